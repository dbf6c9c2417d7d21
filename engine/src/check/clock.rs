//! `"advance"`: a step that moves the program's clock on, for tests of rate limits, timeouts
//! and timers that should not sleep in real time. Only `engine test` runs programs with a clock
//! a test can move (see [`crate::clock`]); elsewhere such a step is refused before anything runs.
//!
//! `{"advance": "5s"}` moves the clock on by five seconds; with a `request` in the same step,
//! the request goes out first and the clock moves while it is answered (a read timeout firing,
//! say). Durations are `"250ms"`, `"5s"`, `"2m"`, `"1h"`, or a number of milliseconds.

use std::time::Duration;

use serde_json::Value;

/// How long, in real time, a step with a request lets it reach the program before the clock
/// moves.
pub const SETTLE: Duration = Duration::from_millis(150);

/// The longest advance a step may ask for.
const MOST: Duration = Duration::from_secs(7 * 24 * 3600);

/// The advance step `name` asks for in `s`, if any.
pub fn parse(name: &str, s: &Value) -> Result<Option<Duration>, String> {
    let by = match s.get("advance") {
        None => return Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|ms| *ms >= 0.0)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        Some(Value::String(t)) => duration(t),
        Some(_) => None,
    };
    match by {
        Some(d) if d <= MOST => Ok(Some(d)),
        Some(_) => Err(format!("{name}: \"advance\" is longer than a week")),
        None => Err(format!(
            "{name}: \"advance\" must be a duration such as \"250ms\", \"5s\" or \"2m\", or a \
             number of milliseconds"
        )),
    }
}

/// `"250ms"`, `"1.5s"`, `"2m"`, `"1h"`.
fn duration(t: &str) -> Option<Duration> {
    let t = t.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let n: f64 = t[..split].parse().ok()?;
    let secs = match t[split..].trim() {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations() {
        let p = |v: Value| parse("s", &json!({ "advance": v }));
        assert_eq!(p(json!("250ms")), Ok(Some(Duration::from_millis(250))));
        assert_eq!(p(json!("1.5s")), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(p(json!("2m")), Ok(Some(Duration::from_secs(120))));
        assert_eq!(p(json!(40)), Ok(Some(Duration::from_millis(40))));
        assert!(p(json!("5")).is_err());
        assert!(p(json!("5 days")).is_err());
        assert!(p(json!(-1)).is_err());
        assert_eq!(parse("s", &json!({})), Ok(None));
    }
}
