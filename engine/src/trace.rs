//! The event inspector's recorder: for traced streams, every event entering every filter and
//! leaving every pipeline, with timing (see `admin/README.md`, "Tracing").
//!
//! Off by default. A stream is traced when its context carries a trace id, given when the
//! stream starts (a listener that matches, sampled) or when `demuxHTTP` sees a matching
//! request; sub-pipelines inherit it with the context. When tracing is off, delivery pays one
//! `Option` check per event. Records go to a bounded ring ([`CAPACITY`] records, oldest first
//! out).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde_json::{json, Value};

/// Records kept at most.
pub const CAPACITY: usize = 100_000;
/// Bytes of a Data event kept as a preview.
pub const PREVIEW: usize = 64;

/// What to trace.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Only connections to this port.
    pub listener: Option<u16>,
    /// Only HTTP requests whose path starts with this.
    pub path: Option<String>,
    /// Only HTTP requests with this header (lower-case name) and, if given, value.
    pub header: Option<(String, Option<String>)>,
    /// Fraction of matching streams to trace (0..=1).
    pub sample: f64,
}

/// One recorded event.
#[derive(Clone, Debug)]
pub struct Record {
    /// Trace (stream) id.
    pub trace: u64,
    /// Sequence number across all traces.
    pub seq: u64,
    /// Microseconds since the engine started.
    pub time_us: u64,
    /// Pipeline instance id.
    pub pipeline: u64,
    /// Layout title (`[request]`, `Listen on :::8000`, ...).
    pub layout: String,
    /// Module path.
    pub module: String,
    /// Filter position in its pipeline; `None` = the pipeline's output.
    pub index: Option<usize>,
    /// Filter name (or `output`).
    pub filter: String,
    /// Context id.
    pub context: u64,
    /// `Data`, `MessageStart`, `MessageEnd` or `StreamEnd`.
    pub kind: &'static str,
    /// Data size.
    pub size: usize,
    /// Data preview (lossy UTF-8), head/tail dump, or StreamEnd code.
    pub detail: String,
}

impl Record {
    /// As JSON for the admin API.
    pub fn to_json(&self) -> Value {
        json!({
            "trace": self.trace, "seq": self.seq, "time": self.time_us, "pipeline": self.pipeline,
            "layout": self.layout, "module": self.module, "index": self.index, "filter": self.filter,
            "context": self.context, "event": self.kind, "size": self.size, "detail": self.detail,
        })
    }
}

struct Ring {
    records: VecDeque<Record>,
    next_seq: u64,
}

static ENABLED: AtomicBool = AtomicBool::new(false);
static NEXT_TRACE: AtomicU64 = AtomicU64::new(1);
static SAMPLER: AtomicU64 = AtomicU64::new(0);

fn config_cell() -> &'static Mutex<Config> {
    static C: OnceLock<Mutex<Config>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(Config::default()))
}

fn ring() -> &'static Mutex<Ring> {
    static R: OnceLock<Mutex<Ring>> = OnceLock::new();
    R.get_or_init(|| {
        Mutex::new(Ring {
            records: VecDeque::new(),
            next_seq: 1,
        })
    })
}

fn live() -> &'static tokio::sync::broadcast::Sender<Record> {
    static L: OnceLock<tokio::sync::broadcast::Sender<Record>> = OnceLock::new();
    L.get_or_init(|| tokio::sync::broadcast::channel(4096).0)
}

/// Starts the clock records are timed by (call once, when the engine starts).
pub fn init() {
    epoch();
}

fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

/// Turns tracing on with `config`.
pub fn start(config: Config) {
    *config_cell().lock().unwrap_or_else(|e| e.into_inner()) = config;
    ENABLED.store(true, Ordering::SeqCst);
}

/// Turns tracing off (records are kept).
pub fn stop() {
    ENABLED.store(false, Ordering::SeqCst);
}

/// True while tracing is on.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The current configuration.
pub fn config() -> Config {
    config_cell()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

fn sampled(rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 {
        return false;
    }
    // A deterministic spread: every 1/rate-th candidate.
    let n = SAMPLER.fetch_add(1, Ordering::Relaxed);
    let every = (1.0 / rate).round().max(1.0) as u64;
    n.is_multiple_of(every)
}

/// A trace id for a new connection on `port`, if it is to be traced. HTTP filters narrow
/// this down when a path or header is configured, so such connections are not traced.
pub fn for_connection(port: u16) -> Option<u64> {
    if !enabled() {
        return None;
    }
    let c = config();
    if c.listener.is_some_and(|l| l != port) || c.path.is_some() || c.header.is_some() {
        return None;
    }
    sampled(c.sample).then(|| NEXT_TRACE.fetch_add(1, Ordering::Relaxed))
}

/// A trace id for an HTTP request, if it is to be traced: it matches the configuration, or
/// asks for it with `x-sluice-trace`. `has_header(name, value)` tells whether the request
/// has a header `name` (with that value, when one is given).
pub fn for_request(
    port: Option<u16>,
    path: &str,
    has_header: impl Fn(&str, Option<&str>) -> bool,
) -> Option<u64> {
    let asked = has_header("x-sluice-trace", None);
    if !asked && !enabled() {
        return None;
    }
    if !asked {
        let c = config();
        if c.listener.is_some_and(|l| Some(l) != port) {
            return None;
        }
        if c.path.as_deref().is_some_and(|p| !path.starts_with(p)) {
            return None;
        }
        if let Some((name, value)) = &c.header {
            if !has_header(name, value.as_deref()) {
                return None;
            }
        }
        if !sampled(c.sample) {
            return None;
        }
    }
    Some(NEXT_TRACE.fetch_add(1, Ordering::Relaxed))
}

/// Stores one record.
pub fn record(mut r: Record) {
    r.time_us = epoch().elapsed().as_micros() as u64;
    {
        let mut g = ring().lock().unwrap_or_else(|e| e.into_inner());
        r.seq = g.next_seq;
        g.next_seq += 1;
        if g.records.len() >= CAPACITY {
            g.records.pop_front();
        }
        g.records.push_back(r.clone());
    }
    let _ = live().send(r);
}

/// Every record of one trace, in order.
pub fn trace(id: u64) -> Vec<Record> {
    let g = ring().lock().unwrap_or_else(|e| e.into_inner());
    g.records
        .iter()
        .filter(|r| r.trace == id)
        .cloned()
        .collect()
}

/// Recent traces, newest first: id, first and last time, record count, first event detail.
pub fn traces(max: usize) -> Vec<Value> {
    let g = ring().lock().unwrap_or_else(|e| e.into_inner());
    let mut seen: Vec<(u64, u64, u64, usize, String)> = Vec::new();
    for r in g.records.iter() {
        match seen.iter_mut().find(|s| s.0 == r.trace) {
            Some(s) => {
                s.2 = r.time_us;
                s.3 += 1;
            }
            None => {
                let summary = if r.kind == "MessageStart" {
                    r.detail.clone()
                } else {
                    String::new()
                };
                seen.push((r.trace, r.time_us, r.time_us, 1, summary));
            }
        }
        if let Some(s) = seen.iter_mut().find(|s| s.0 == r.trace) {
            if s.4.is_empty() && r.kind == "MessageStart" {
                s.4 = r.detail.clone();
            }
        }
    }
    seen.iter()
        .rev()
        .take(max)
        .map(|s| json!({ "id": s.0, "start": s.1, "end": s.2, "records": s.3, "summary": s.4 }))
        .collect()
}

/// New records as they come.
pub fn subscribe() -> tokio::sync::broadcast::Receiver<Record> {
    live().subscribe()
}

/// Records an event a joint filter handles on its own (e.g. `demuxHTTP` decoding a request
/// or encoding its response), so a request's trace starts and ends at the filter that owns it.
pub fn note(
    trace: u64,
    filter: &str,
    context: u64,
    kind: &'static str,
    size: usize,
    detail: String,
) {
    record(Record {
        trace,
        seq: 0,
        time_us: 0,
        pipeline: 0,
        layout: filter.to_string(),
        module: String::new(),
        index: None,
        filter: filter.to_string(),
        context,
        kind,
        size,
        detail,
    });
}
