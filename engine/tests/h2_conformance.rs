//! HTTP/2 conformance (RFC 9113 §4-8): the Python checks in `tests/h2conformance/` (built on the
//! `h2` library's frame and HPACK codecs, installed by `scripts/setup.sh h2check`) send raw,
//! mostly invalid frames to the real engine over h2c and judge each answer. On the engine's
//! own codec (the default) every check must pass, with no deviation; on hyper's server (the
//! fallback, `SLUICE_HTTP2=hyper`) every check must pass or match a known deviation of the h2
//! crate (listed in `docs/http2-conformance.md`).

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs the checks against the engine (on its own HTTP/2 codec when `native`); returns the
/// summary line and the number passed.
fn run_checks(native: bool) -> (String, usize) {
    let port = free_port();
    let cb = Codebase::new(if native {
        "h2conformance-native"
    } else {
        "h2conformance"
    });
    let script = cb.file(
        "main.js",
        &format!("pipy()\n.listen({port})\n  .serveHTTP(new Message('ok'))\n"),
    );
    let mut cmd = Command::new(engine_bin());
    cmd.arg(&script);
    if !native {
        cmd.env("SLUICE_HTTP2", "hyper");
    }
    let e = Engine::spawn(cmd, &[port]);
    let checks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/h2conformance/h2check.py");
    let out = Command::new("python3")
        .arg(&checks)
        .args(["127.0.0.1", &port.to_string()])
        .output()
        .expect("python3 runs (scripts/setup.sh h2check installs it and the h2 library)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("h2 conformance: "))
        .unwrap_or_else(|| {
            panic!("the checks did not run (scripts/setup.sh h2check installs h2): {stderr}")
        })
        .to_string();
    assert!(
        out.status.success() && summary.contains(" 0 failed"),
        "{summary}\n{stderr}"
    );
    // The engine survived every one of them.
    assert!(!e.log().contains("panicked"), "{}", e.log());
    let passed: usize = summary["h2 conformance: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (summary, passed)
}

#[test]
fn http2_protocol_errors_are_answered_as_rfc_9113_says() {
    let (summary, passed) = run_checks(false);
    assert!(passed >= 40, "{summary}");
}

#[test]
fn the_engines_own_http2_codec_passes_every_check_with_no_deviation() {
    let (summary, passed) = run_checks(true);
    assert!(summary.contains(" 0 known"), "{summary}");
    assert_eq!(passed, 66, "{summary}");
}
