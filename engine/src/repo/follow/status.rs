//! The worker's status reports: a JSON object posted to the codebase URL every poll period
//! and at once after a version loads or fails. Pipy's fields (`timestamp`, `since`, `uuid`,
//! `name`, `ip`, `version`, `modules`, `logs`) come first; Sluice adds `source`, `uptime`
//! (seconds), `error` (the version that failed to load and why, or null), `unreachable` (why
//! the last check failed, or null), `loads`, `loadFailures`, and `stats` (key metrics).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::Method;
use serde_json::{json, Value};

use super::fetch::Conn;
use super::Follower;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The key metrics: connections, responses by class, errors, latency count and sum.
fn stats() -> Value {
    let s = crate::metrics::summary();
    json!({
        "connectionsTotal": s["connectionsTotal"],
        "connectionsOpen": s["connectionsOpen"],
        "bytes": s["bytes"],
        "responses": s["responses"],
        "errors": s["errors"],
        "errorAnswers": s["errorAnswers"],
        "scriptExceptions": s["scriptExceptions"],
        "latency": { "count": s["latency"]["count"], "sum": s["latency"]["sum"] },
    })
}

/// The report of `f` now.
fn report(f: &Follower, since: u64, started: std::time::Instant) -> Value {
    let (uuid, name) = crate::worker::instance();
    let st = f.state();
    json!({
        "timestamp": now_ms(),
        "since": since,
        "uuid": uuid,
        "name": name,
        "ip": "",
        "version": st.version.clone().unwrap_or_default(),
        "modules": {},
        "logs": [],
        "source": f.url.href,
        "uptime": started.elapsed().as_secs_f64(),
        "error": st.failed.as_ref().map(|(v, e)| json!({
            "version": v, "error": e.message, "file": e.file, "line": e.line, "column": e.column,
        })),
        "unreachable": st.unreachable,
        "loads": st.loads,
        "loadFailures": st.load_failures,
        "stats": stats(),
    })
}

/// Posts a report every `period`, and whenever `f.report_now` is notified.
pub(super) async fn run(f: Arc<Follower>, period: Duration) {
    let since = now_ms();
    let started = std::time::Instant::now();
    let mut conn: Option<Conn> = None;
    loop {
        let body = Bytes::from(report(&f, since, started).to_string());
        if conn.is_none() {
            conn = Conn::open(&f.url, f.tls.as_ref()).await.ok();
        }
        if let Some(c) = conn.as_mut() {
            match c.request(Method::POST, &f.url.path, Some(body)).await {
                Ok(a) => tracing::debug!(target: "repo", "status report sent: {}", a.status),
                Err(e) => {
                    tracing::debug!(target: "repo", "status report not sent: {e}");
                    conn = None;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = f.report_now.notified() => {}
        }
    }
}
