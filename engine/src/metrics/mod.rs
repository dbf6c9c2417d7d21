//! Metrics: the engine's own (connections, bytes, HTTP statuses, upstream latency, errors)
//! and the ones scripts define with `stats.Counter`/`Gauge`/`Histogram`, in one Prometheus
//! registry that the admin port exposes at `/metrics`.
//!
//! Hot paths hold pre-resolved metric handles (an atomic add each), not label lookups.

mod summary;

pub use summary::summary;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Mutex, OnceLock};

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The engine's built-in metrics.
pub struct Builtin {
    /// Connections accepted, by listener.
    pub inbound_total: IntCounterVec,
    /// Connections open now, by listener.
    pub inbound_open: IntGaugeVec,
    /// Bytes received and sent on accepted connections, by listener and direction.
    pub inbound_bytes: IntCounterVec,
    /// HTTP responses sent, by listener and status class.
    pub http_responses: IntCounterVec,
    /// gRPC calls answered, by listener and `grpc-status`.
    pub grpc_responses: IntCounterVec,
    /// Time from a request's head to its response's head, by listener.
    pub response_seconds: HistogramVec,
    /// Time to connect upstream, by target.
    pub connect_seconds: HistogramVec,
    /// Time from request sent to response head, by the upstream's address (never a pool key).
    pub upstream_seconds: HistogramVec,
    /// Streams that ended with an error, by code.
    pub stream_errors: IntCounterVec,
    /// Error answers (5xx) the HTTP servers made themselves because a request's stream failed.
    pub error_answers: IntCounter,
    /// Exceptions thrown by script callbacks.
    pub script_exceptions: IntCounter,
    /// Bytes the script engine holds, by worker.
    pub js_heap: IntGaugeVec,
}

struct State {
    registry: Registry,
    builtin: Builtin,
    scripts: Mutex<HashMap<String, ScriptMetric>>,
}

/// A metric a script defined.
#[derive(Clone)]
pub enum ScriptMetric {
    /// `stats.Counter`.
    Counter(prometheus::CounterVec),
    /// `stats.Gauge`.
    Gauge(GaugeVec),
    /// `stats.Histogram`.
    Histogram(HistogramVec),
}

fn state() -> &'static State {
    static S: OnceLock<State> = OnceLock::new();
    S.get_or_init(|| {
        let registry = Registry::new();
        let secs = vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let b = Builtin {
            inbound_total: IntCounterVec::new(
                Opts::new("sluice_inbound_connections_total", "Connections accepted"),
                &["listen"],
            )
            .expect("metric"),
            inbound_open: IntGaugeVec::new(
                Opts::new("sluice_inbound_connections_open", "Connections open now"),
                &["listen"],
            )
            .expect("metric"),
            inbound_bytes: IntCounterVec::new(
                Opts::new(
                    "sluice_inbound_bytes_total",
                    "Bytes received (in) and sent (out) on accepted connections",
                ),
                &["listen", "direction"],
            )
            .expect("metric"),
            http_responses: IntCounterVec::new(
                Opts::new(
                    "sluice_http_responses_total",
                    "HTTP responses sent to clients, by listener and status class",
                ),
                &["listen", "class"],
            )
            .expect("metric"),
            grpc_responses: IntCounterVec::new(
                Opts::new(
                    "sluice_grpc_responses_total",
                    "gRPC calls answered to clients, by listener and grpc-status",
                ),
                &["listen", "grpc_status"],
            )
            .expect("metric"),
            response_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "sluice_http_response_seconds",
                    "Time from a request's head to its response's head, by listener",
                )
                .buckets(secs.clone()),
                &["listen"],
            )
            .expect("metric"),
            connect_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "sluice_upstream_connect_seconds",
                    "Time to open an upstream connection",
                )
                .buckets(secs.clone()),
                &["target"],
            )
            .expect("metric"),
            upstream_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "sluice_upstream_response_seconds",
                    "Time from sending a request upstream to its response head",
                )
                .buckets(secs),
                &["upstream"],
            )
            .expect("metric"),
            stream_errors: IntCounterVec::new(
                Opts::new(
                    "sluice_stream_errors_total",
                    "Upstream streams that ended with an error, by code",
                ),
                &["code"],
            )
            .expect("metric"),
            error_answers: IntCounter::new(
                "sluice_http_error_answers_total",
                "Error answers the HTTP servers made because a request's stream failed",
            )
            .expect("metric"),
            script_exceptions: IntCounter::new(
                "sluice_script_exceptions_total",
                "Exceptions thrown by script callbacks",
            )
            .expect("metric"),
            js_heap: IntGaugeVec::new(
                Opts::new("sluice_js_heap_bytes", "Memory the script engine holds"),
                &["worker"],
            )
            .expect("metric"),
        };
        for m in [
            Box::new(b.inbound_total.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(b.inbound_open.clone()),
            Box::new(b.inbound_bytes.clone()),
            Box::new(b.http_responses.clone()),
            Box::new(b.grpc_responses.clone()),
            Box::new(b.response_seconds.clone()),
            Box::new(b.connect_seconds.clone()),
            Box::new(b.upstream_seconds.clone()),
            Box::new(b.stream_errors.clone()),
            Box::new(b.error_answers.clone()),
            Box::new(b.script_exceptions.clone()),
            Box::new(b.js_heap.clone()),
        ] {
            registry.register(m).expect("unique metric names");
        }
        State {
            registry,
            builtin: b,
            scripts: Mutex::new(HashMap::new()),
        }
    })
}

/// The built-in metrics.
pub fn builtin() -> &'static Builtin {
    &state().builtin
}

/// Handles for one listener's connection counters, looked up once for all its connections.
pub struct ListenerMetrics {
    /// Bytes in.
    pub bytes_in: IntCounter,
    /// Bytes out.
    pub bytes_out: IntCounter,
    total: IntCounter,
    open: IntGauge,
}

impl ListenerMetrics {
    /// The counters of connections accepted on `listen`.
    pub fn new(listen: &str) -> Rc<ListenerMetrics> {
        let b = builtin();
        Rc::new(ListenerMetrics {
            bytes_in: b.inbound_bytes.with_label_values(&[listen, "in"]),
            bytes_out: b.inbound_bytes.with_label_values(&[listen, "out"]),
            total: b.inbound_total.with_label_values(&[listen]),
            open: b.inbound_open.with_label_values(&[listen]),
        })
    }

    /// Counts a new connection, open until the returned value is dropped.
    pub fn open(self: &Rc<Self>) -> ConnectionMetrics {
        self.total.inc();
        self.open.inc();
        ConnectionMetrics(self.clone())
    }
}

/// One accepted connection's counters: its listener's, with the connection counted as open
/// while this lives.
pub struct ConnectionMetrics(Rc<ListenerMetrics>);

impl std::ops::Deref for ConnectionMetrics {
    type Target = Rc<ListenerMetrics>;

    fn deref(&self) -> &Rc<ListenerMetrics> {
        &self.0
    }
}

impl Drop for ConnectionMetrics {
    fn drop(&mut self) {
        self.0.open.dec();
    }
}

/// This worker's handles for one listener's responses: counters by status class and the
/// response-time histogram.
struct ListenerResponses {
    by_class: [Option<IntCounter>; 6],
    seconds: Histogram,
}

thread_local! {
    /// This worker's response metrics by listening port, so that counting a response does not
    /// look its labels up again.
    static RESPONSE_METRICS: RefCell<rustc_hash::FxHashMap<Option<u16>, ListenerResponses>> =
        RefCell::new(rustc_hash::FxHashMap::default());
}

/// Counts an HTTP response by its status class on the listener at `port` (`None`: not from a
/// listener), and the time since its request's head arrived (`started`).
pub fn http_response_on(port: Option<u16>, status: u16, started: std::time::Instant) {
    let class = usize::from((status / 100).min(5));
    let elapsed = started.elapsed().as_secs_f64();
    RESPONSE_METRICS.with(|m| {
        let mut m = m.borrow_mut();
        let entry = m.entry(port).or_insert_with(|| {
            let listen = port.map(|p| p.to_string()).unwrap_or_default();
            ListenerResponses {
                by_class: Default::default(),
                seconds: builtin().response_seconds.with_label_values(&[&listen]),
            }
        });
        entry.by_class[class]
            .get_or_insert_with(|| {
                let listen = port.map(|p| p.to_string()).unwrap_or_default();
                response_counter(&listen, status)
            })
            .inc();
        entry.seconds.observe(elapsed);
    });
}

/// Counts a gRPC call answered on listening port `port` with `grpc-status` `status`.
pub fn grpc_response_on(port: Option<u16>, status: u32) {
    let listen = port.map(|p| p.to_string()).unwrap_or_default();
    builtin()
        .grpc_responses
        .with_label_values(&[listen.as_str(), &status.to_string()])
        .inc();
}

fn response_counter(listen: &str, status: u16) -> IntCounter {
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    builtin().http_responses.with_label_values(&[listen, class])
}

/// A histogram handle for timing one upstream target.
pub fn connect_timer(target: &str) -> Histogram {
    builtin().connect_seconds.with_label_values(&[target])
}

/// Defines (or finds again, after a reload) a script metric.
pub fn script_metric(
    kind: &str,
    name: &str,
    labels: &[String],
    buckets: Option<Vec<f64>>,
) -> Result<ScriptMetric, String> {
    let s = state();
    let mut map = s.scripts.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = map.get(name) {
        let same = matches!(
            (m, kind),
            (ScriptMetric::Counter(_), "counter")
                | (ScriptMetric::Gauge(_), "gauge")
                | (ScriptMetric::Histogram(_), "histogram")
        );
        return if same {
            Ok(m.clone())
        } else {
            Err(format!("metric {name} is already defined as another kind"))
        };
    }
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let help = format!("{name} (defined by a script)");
    let m = match kind {
        "counter" => ScriptMetric::Counter(
            prometheus::CounterVec::new(Opts::new(name, help), &labels)
                .map_err(|e| e.to_string())?,
        ),
        "gauge" => ScriptMetric::Gauge(
            GaugeVec::new(Opts::new(name, help), &labels).map_err(|e| e.to_string())?,
        ),
        _ => {
            let mut o = HistogramOpts::new(name, help);
            if let Some(b) = buckets {
                o = o.buckets(b);
            }
            ScriptMetric::Histogram(HistogramVec::new(o, &labels).map_err(|e| e.to_string())?)
        }
    };
    let c: Box<dyn prometheus::core::Collector> = match &m {
        ScriptMetric::Counter(c) => Box::new(c.clone()),
        ScriptMetric::Gauge(g) => Box::new(g.clone()),
        ScriptMetric::Histogram(h) => Box::new(h.clone()),
    };
    s.registry
        .register(c)
        .map_err(|e| format!("cannot define metric {name}: {e}"))?;
    map.insert(name.to_string(), m.clone());
    Ok(m)
}

/// Every metric in the Prometheus text format.
pub fn text() -> String {
    let mut buf = Vec::new();
    let _ = TextEncoder::new().encode(&state().registry.gather(), &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}
