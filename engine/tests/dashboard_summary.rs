//! The dashboard's figures (`GET /api/v1/metrics/summary`) count every listener: responses by
//! status class and response times for each port, proxied or answered directly, exactly as
//! many as were sent.

mod common;

use common::*;
use serde_json::Value;

fn summary(admin: u16) -> Value {
    let text = curl(&[&format!("http://127.0.0.1:{admin}/api/v1/metrics/summary")]);
    serde_json::from_str(&text).expect("summary JSON")
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

#[test]
fn two_listeners_proxied_and_direct_are_each_counted_with_their_response_times() {
    let (proxy, backend, direct, admin) = (free_port(), free_port(), free_port(), free_port());
    let cb = Codebase::new("dashboard");
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({proxy})
  .demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{backend}')))
.listen({backend})
  .serveHTTP(new Message('from the backend'))
.listen({direct})
  .serveHTTP(msg => msg.head.path === '/missing' ? new Message({{ status: 404 }}, 'no') : new Message('direct'))
"#
        ),
    );
    let e = Engine::start_with(
        &script,
        &[proxy, backend, direct],
        &[&format!("--admin-port={admin}")],
    );
    e.wait_port(admin);
    let before = summary(admin);
    const PROXIED: u64 = 7;
    const DIRECT: u64 = 5;
    const MISSING: u64 = 3;
    for _ in 0..PROXIED {
        assert_eq!(
            curl(&[&format!("http://127.0.0.1:{proxy}/")]),
            "from the backend"
        );
    }
    for _ in 0..DIRECT {
        assert_eq!(curl(&[&format!("http://127.0.0.1:{direct}/")]), "direct");
    }
    for _ in 0..MISSING {
        assert_eq!(curl(&[&format!("http://127.0.0.1:{direct}/missing")]), "no");
    }
    let after = summary(admin);
    let delta = |path: &[&str]| {
        let get = |v: &Value| path.iter().fold(v.clone(), |v, k| v[*k].clone());
        n(&get(&after)) - n(&get(&before))
    };
    let (p, bk, d) = (proxy.to_string(), backend.to_string(), direct.to_string());
    assert_eq!(
        delta(&["listeners", &p, "responses", "2xx"]),
        PROXIED,
        "{after}"
    );
    assert_eq!(
        delta(&["listeners", &bk, "responses", "2xx"]),
        PROXIED,
        "{after}"
    );
    assert_eq!(
        delta(&["listeners", &d, "responses", "2xx"]),
        DIRECT,
        "{after}"
    );
    assert_eq!(
        delta(&["listeners", &d, "responses", "4xx"]),
        MISSING,
        "{after}"
    );
    assert_eq!(delta(&["listeners", &p, "latency", "count"]), PROXIED);
    assert_eq!(delta(&["listeners", &bk, "latency", "count"]), PROXIED);
    assert_eq!(
        delta(&["listeners", &d, "latency", "count"]),
        DIRECT + MISSING
    );
    // All listeners together: every answer, from every port.
    assert_eq!(delta(&["responses", "2xx"]), 2 * PROXIED + DIRECT);
    assert_eq!(delta(&["responses", "4xx"]), MISSING);
    assert_eq!(delta(&["latency", "count"]), 2 * PROXIED + DIRECT + MISSING);
    // Only the proxied requests went upstream.
    assert_eq!(delta(&["upstream", "count"]), PROXIED);
    // A proxied answer takes at least as long as the backend's part of it.
    let secs = |port: &str| after["listeners"][port]["latency"]["sum"].as_f64().unwrap();
    assert!(
        secs(&p) >= secs(&bk),
        "proxy {} s, backend {} s",
        secs(&p),
        secs(&bk)
    );
}

#[test]
fn errors_are_counted_on_the_port_that_answered_them_proxied_or_direct() {
    let (proxy, dead, direct, admin) = (free_port(), free_port(), free_port(), free_port());
    let cb = Codebase::new("dashboard-errors");
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({proxy})
  .demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{dead}')))
.listen({direct})
  .serveHTTP(msg => msg.head.path === '/fail' ? new Message({{ status: 503 }}, 'down') : new Message('up'))
"#
        ),
    );
    let e = Engine::start_with(
        &script,
        &[proxy, direct],
        &[&format!("--admin-port={admin}")],
    );
    e.wait_port(admin);
    let before = summary(admin);
    const REFUSED: u64 = 4;
    const FAILED: u64 = 3;
    const UP: u64 = 2;
    let code = |port: u16, path: &str| {
        curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{port}{path}"),
        ])
    };
    for _ in 0..REFUSED {
        assert_eq!(code(proxy, "/"), "502");
    }
    for _ in 0..FAILED {
        assert_eq!(code(direct, "/fail"), "503");
    }
    for _ in 0..UP {
        assert_eq!(code(direct, "/"), "200");
    }
    let after = summary(admin);
    let delta = |path: &[&str]| {
        let get = |v: &Value| path.iter().fold(v.clone(), |v, k| v[*k].clone());
        n(&get(&after)) - n(&get(&before))
    };
    let (p, d) = (proxy.to_string(), direct.to_string());
    // The engine's own 502s count on the proxy's port, the script's 503s on the direct one.
    assert_eq!(
        delta(&["listeners", &p, "responses", "5xx"]),
        REFUSED,
        "{after}"
    );
    assert_eq!(
        delta(&["listeners", &d, "responses", "5xx"]),
        FAILED,
        "{after}"
    );
    assert_eq!(delta(&["listeners", &d, "responses", "2xx"]), UP, "{after}");
    assert_eq!(delta(&["responses", "5xx"]), REFUSED + FAILED, "{after}");
    // Each refused connect is one failed upstream stream, answered by the engine.
    assert_eq!(delta(&["errors"]), REFUSED, "{after}");
    assert_eq!(delta(&["errorAnswers"]), REFUSED, "{after}");
    assert_eq!(delta(&["listeners", &p, "latency", "count"]), REFUSED);
    assert_eq!(delta(&["listeners", &d, "latency", "count"]), FAILED + UP);
}
