//! Log output: `YYYY-MM-DD HH:MM:SS.mmm [INF] [topic] message` lines on standard error.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// One captured log line, as the admin API serves it.
#[derive(Clone, Debug)]
pub struct LogLine {
    /// Sequence number, from 1.
    pub seq: u64,
    /// `YYYY-MM-DD HH:MM:SS.mmm` (UTC).
    pub time: String,
    /// `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// Topic (`config`, `listener`, `user`, ...).
    pub topic: String,
    /// The message.
    pub message: String,
    /// The program that wrote it (a codebase's name), or empty for the engine's own lines.
    pub program: String,
}

thread_local! {
    static PROGRAM: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Tags the log lines written on this thread from now on with the program `name` (a worker
/// thread runs one program all its life).
pub fn set_program(name: &str) {
    PROGRAM.with(|p| *p.borrow_mut() = name.to_string());
}

/// The program this thread's log lines are tagged with (empty on the engine's own threads).
pub fn program() -> String {
    PROGRAM.with(|p| p.borrow().clone())
}

/// Runs `f` with this thread's log lines tagged with the program `name`, then restores the tag.
pub fn with_program<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let before = PROGRAM.with(|p| std::mem::replace(&mut *p.borrow_mut(), name.to_string()));
    let out = f();
    PROGRAM.with(|p| *p.borrow_mut() = before);
    out
}

const HISTORY: usize = 10_000;

struct History {
    lines: VecDeque<LogLine>,
    next: u64,
}

static HISTORY_BUF: Mutex<History> = Mutex::new(History {
    lines: VecDeque::new(),
    next: 1,
});
static LIVE: std::sync::OnceLock<tokio::sync::broadcast::Sender<LogLine>> =
    std::sync::OnceLock::new();

fn live() -> &'static tokio::sync::broadcast::Sender<LogLine> {
    LIVE.get_or_init(|| tokio::sync::broadcast::channel(1024).0)
}

/// Log lines with a sequence number above `after` (at most `max`).
pub fn history(after: u64, max: usize) -> Vec<LogLine> {
    let h = HISTORY_BUF.lock().unwrap_or_else(|e| e.into_inner());
    h.lines
        .iter()
        .filter(|l| l.seq > after)
        .take(max)
        .cloned()
        .collect()
}

/// New log lines as they are written.
pub fn subscribe() -> tokio::sync::broadcast::Receiver<LogLine> {
    live().subscribe()
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        }
    }
}

/// Keeps recent log lines for the admin console.
struct Capture;

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let meta = event.metadata();
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let level = match *meta.level() {
            Level::ERROR => "error",
            Level::WARN => "warn",
            Level::INFO => "info",
            _ => "debug",
        };
        let target = meta.target();
        let topic = if target.starts_with("sluice") || target.starts_with("engine") {
            ""
        } else {
            target
        };
        let line = {
            let mut h = HISTORY_BUF.lock().unwrap_or_else(|e| e.into_inner());
            let line = LogLine {
                seq: h.next,
                time: timestamp(),
                level,
                topic: topic.to_string(),
                message: v.0,
                program: PROGRAM.with(|p| p.borrow().clone()),
            };
            h.next += 1;
            if h.lines.len() >= HISTORY {
                h.lines.pop_front();
            }
            h.lines.push_back(line.clone());
            line
        };
        let _ = live().send(line);
    }
}

/// Formats events the way Pipy's log lines look, or as one JSON object per line.
pub struct LineFormat {
    json: bool,
}

/// Collects every field of an event.
#[derive(Default)]
struct Fields(serde_json::Map<String, serde_json::Value>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            serde_json::Value::String(format!("{value:?}")),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_string(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), value.into());
    }
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let level = match *meta.level() {
            Level::ERROR => "ERR",
            Level::WARN => "WRN",
            Level::INFO => "INF",
            _ => "DBG",
        };
        if !self.json {
            write!(w, "{} [{level}] ", timestamp())?;
        }
        let target = meta.target();
        let topic =
            !target.starts_with("sluice") && !target.starts_with("engine") && target != "user";
        if self.json {
            let mut f = Fields::default();
            event.record(&mut f);
            let mut o = serde_json::Map::new();
            o.insert("time".into(), timestamp().into());
            o.insert(
                "level".into(),
                level
                    .to_ascii_lowercase()
                    .replace("inf", "info")
                    .replace("wrn", "warn")
                    .replace("err", "error")
                    .replace("dbg", "debug")
                    .into(),
            );
            o.insert("topic".into(), if topic { target } else { "" }.into());
            o.extend(f.0);
            return writeln!(w, "{}", serde_json::Value::Object(o));
        }
        if topic {
            write!(w, "[{target}] ")?;
        }
        // The access log's fields are in its message already.
        let mut m = MessageVisitor(String::new());
        event.record(&mut m);
        writeln!(w, "{}", m.0)
    }
}

/// Installs the subscriber. `level` is `debug`, `info`, `warn` or `error`, optionally
/// followed by `:topic+topic` to limit debug output to those topics.
pub fn init(level: &str, json: bool) -> Result<(), String> {
    let (lvl, topics) = match level.split_once(':') {
        Some((l, t)) => (l, Some(t)),
        None => (level, None),
    };
    let lvl = match lvl {
        "debug" | "info" | "warn" | "error" => lvl,
        other => {
            return Err(format!(
                "unknown log level: {other} (use debug, info, warn or error)"
            ))
        }
    };
    let mut directive = match topics {
        Some(_) => "info".to_string(),
        None => lvl.to_string(),
    };
    if let Some(t) = topics {
        for topic in t.split('+').filter(|s| !s.is_empty()) {
            directive.push_str(&format!(",{topic}={lvl}"));
        }
    }
    let filter: tracing_subscriber::filter::Targets =
        directive.parse().map_err(|e| format!("{e}"))?;
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .event_format(LineFormat { json }),
        )
        .with(Capture)
        .try_init()
        .map_err(|e| e.to_string())
}

fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        t / 3600,
        t / 60 % 60,
        t % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20417), (2025, 11, 25));
    }
}
