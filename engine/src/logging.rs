//! Log output: `YYYY-MM-DD HH:MM:SS.mmm [INF] [topic] message` lines on standard error.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats events the way Pipy's log lines look.
pub struct LineFormat;

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
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
        write!(w, "{} [{level}] ", timestamp())?;
        let target = meta.target();
        if !target.starts_with("sluice") && !target.starts_with("engine") && target != "user" {
            write!(w, "[{target}] ")?;
        }
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// Installs the subscriber. `level` is `debug`, `info`, `warn` or `error`, optionally
/// followed by `:topic+topic` to limit debug output to those topics.
pub fn init(level: &str) -> Result<(), String> {
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
    let filter = tracing_subscriber::EnvFilter::try_new(directive).map_err(|e| e.to_string())?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(LineFormat)
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
