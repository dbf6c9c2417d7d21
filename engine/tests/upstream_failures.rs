//! Failed upstream connections leave a trace: one warning naming the target and the error
//! (rate-limited), and the engine's 5xx answers show on the dashboard's summary.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;

/// A proxy on `port` that forwards HTTP to `target` with the given `connect` options.
fn proxy_script(port: u16, target: &str, connect_options: &str) -> String {
    format!(
        r#"pipy()
.listen({port})
  .demuxHTTP().to($=>$
    .muxHTTP().to($=>$.connect('{target}', {connect_options}))
  )
"#
    )
}

fn warnings(log: &str, needle: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("[WRN]") && l.contains(needle))
        .map(str::to_string)
        .collect()
}

fn status(port: u16, path: &str) -> String {
    curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://127.0.0.1:{port}{path}"),
    ])
}

#[test]
fn a_refused_connect_writes_one_warning_per_second_and_counts_as_5xx() {
    let (port, dead, admin) = (free_port(), free_port(), free_port());
    let cb = Codebase::new("refused");
    let target = format!("127.0.0.1:{dead}");
    let script = cb.file("main.js", &proxy_script(port, &target, "{}"));
    let e = Engine::start_with(&script, &[port], &[&format!("--admin-port={admin}")]);
    e.wait_port(admin);
    const N: usize = 6;
    let started = Instant::now();
    for _ in 0..N {
        assert_eq!(status(port, "/"), "502");
    }
    let secs = started.elapsed().as_secs() as usize;
    let needle = format!("connect to {target} failed: connection refused");
    let log = e.wait_log(&needle, 10);
    let lines = warnings(&log, &needle);
    assert!(
        !lines.is_empty() && lines.len() <= secs + 1,
        "{N} failures in {secs}s gave {} warnings:\n{log}",
        lines.len()
    );
    assert!(lines[0].contains("[outbound]"), "{}", lines[0]);

    let summary = curl(&[&format!("http://127.0.0.1:{admin}/api/v1/metrics/summary")]);
    let summary: serde_json::Value = serde_json::from_str(&summary).expect("summary JSON");
    assert_eq!(
        summary["listeners"][port.to_string()]["responses"]["5xx"],
        serde_json::json!(N),
        "{summary}"
    );
    assert_eq!(
        summary["responses"]["5xx"],
        serde_json::json!(N),
        "{summary}"
    );

    // A second later the next failure is written again, with the count held back.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(status(port, "/"), "502");
    let deadline = Instant::now() + Duration::from_secs(10);
    while warnings(&e.log(), &needle).len() < lines.len() + 1 {
        assert!(Instant::now() < deadline, "no second warning:\n{}", e.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_unresolvable_host_is_named_in_a_warning() {
    let port = free_port();
    let cb = Codebase::new("unresolvable");
    let target = "no-such-host.invalid:80";
    let script = cb.file("main.js", &proxy_script(port, target, "{}"));
    let e = Engine::start(&script, &[port]);
    assert_eq!(status(port, "/"), "502");
    let log = e.wait_log(
        &format!("connect to {target} failed: cannot resolve the host name (CannotResolve)"),
        10,
    );
    assert_eq!(
        warnings(&log, target).len(),
        1,
        "one failure, one line:\n{log}"
    );
}

#[test]
fn a_silent_upstream_times_out_with_a_warning() {
    let port = free_port();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("127.0.0.1:{}", silent.local_addr().unwrap().port());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().map_while(Result::ok) {
            held.push(s);
        }
    });
    let cb = Codebase::new("silent");
    let script = cb.file(
        "main.js",
        &proxy_script(port, &target, "{ readTimeout: 0.3 }"),
    );
    let e = Engine::start(&script, &[port]);
    assert_eq!(status(port, "/"), "504");
    e.wait_log(
        &format!("connection to {target} failed: no answer within the read timeout (ReadTimeout)"),
        10,
    );
}

#[test]
fn an_upstream_reset_is_named_in_a_warning() {
    let port = free_port();
    let rude = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("127.0.0.1:{}", rude.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for s in rude.incoming().map_while(Result::ok) {
            let mut s = s;
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            // Linger 0: closing sends a reset instead of a FIN.
            let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
            drop(s);
        }
    });
    let cb = Codebase::new("reset");
    let script = cb.file("main.js", &proxy_script(port, &target, "{}"));
    let e = Engine::start(&script, &[port]);
    assert_eq!(status(port, "/"), "502");
    e.wait_log(
        &format!("connection to {target} failed: connection reset by the peer"),
        10,
    );
}
