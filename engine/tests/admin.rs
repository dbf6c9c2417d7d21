//! The admin API, route by route, against the real engine (curl as the client).

mod common;

use std::process::Command;

use common::*;

struct Admin {
    _e: Engine,
    base: String,
    _dir: Codebase,
    token: Option<String>,
}

fn start_admin(token: Option<&str>) -> Admin {
    let dir = Codebase::new("admin");
    let port = free_port();
    let mut args = vec![
        format!("--admin-port={port}"),
        format!("--codebases={}", dir.dir.join("store").display()),
    ];
    if let Some(t) = token {
        args.push(format!("--admin-token={t}"));
    }
    let mut child = std::process::Command::new(engine_bin());
    child.args(&args);
    let e = Engine::spawn(child, &[port]);
    Admin {
        _e: e,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
        token: token.map(str::to_string),
    }
}

impl Admin {
    /// Calls the API; returns (status, body, headers).
    fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String, String) {
        let mut c = Command::new("curl");
        c.args([
            "-s",
            "-m",
            "20",
            "-X",
            method,
            "-D",
            "/dev/stderr",
            "-w",
            "\n%{http_code}",
        ]);
        if let Some(t) = &self.token {
            c.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        if let Some(b) = body {
            c.args(["--data-binary", b]);
        }
        c.arg(format!("{}{}", self.base, path));
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (
            code.parse().unwrap(),
            body.to_string(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[test]
fn codebases_and_files_can_be_created_read_changed_and_deleted() {
    let a = start_admin(None);
    assert_eq!(
        a.call("GET", "/api/v1/codebases", None),
        (200, "[]".into(), a.call("GET", "/api/v1/codebases", None).2)
    );
    let (s, b, _) = a.call("POST", "/api/v1/codebases/proxy", Some("{}"));
    assert_eq!(
        (s, b.as_str()),
        (201, r#"{"main":"/main.js","name":"proxy"}"#)
    );
    assert_eq!(a.call("POST", "/api/v1/codebases/proxy", Some("{}")).0, 409);
    assert_eq!(
        a.call("POST", "/api/v1/codebases/bad%20name", Some("{}")).0,
        400
    );
    assert_eq!(
        a.call("POST", "/api/v1/codebases/.hidden", Some("{}")).0,
        400
    );
    let (s, b, _) = a.call("GET", "/api/v1/codebases/proxy/files/main.js", None);
    assert_eq!(s, 200);
    assert!(b.contains("serveHTTP"), "{b}");
    assert_eq!(
        a.call(
            "PUT",
            "/api/v1/codebases/proxy/files/config/proxy.json",
            Some(r#"{"listen":8000}"#)
        )
        .0,
        201
    );
    assert_eq!(
        a.call(
            "PUT",
            "/api/v1/codebases/proxy/files/config/proxy.json",
            Some(r#"{"listen":8001}"#)
        )
        .0,
        204
    );
    assert_eq!(
        a.call(
            "GET",
            "/api/v1/codebases/proxy/files/config/proxy.json",
            None
        )
        .1,
        r#"{"listen":8001}"#
    );
    let (s, b, _) = a.call("GET", "/api/v1/codebases/proxy", None);
    assert_eq!(
        (s, b.as_str()),
        (
            200,
            r#"{"files":["/config/proxy.json","/main.js"],"main":"/main.js","name":"proxy","services":[]}"#
        )
    );
    assert_eq!(
        a.call(
            "PUT",
            "/api/v1/codebases/proxy/files/proxy.js",
            Some("pipy()")
        )
        .0,
        201
    );
    let (s, b, _) = a.call(
        "PATCH",
        "/api/v1/codebases/proxy",
        Some(r#"{"main":"/proxy.js","name":"renamed"}"#),
    );
    assert_eq!(
        (s, b.as_str()),
        (
            200,
            r#"{"main":"/proxy.js","name":"renamed","services":[]}"#
        )
    );
    assert_eq!(a.call("GET", "/api/v1/codebases/proxy", None).0, 404);
    assert_eq!(
        a.call("DELETE", "/api/v1/codebases/renamed/files/proxy.js", None)
            .0,
        204
    );
    assert_eq!(
        a.call("DELETE", "/api/v1/codebases/renamed/files/proxy.js", None)
            .0,
        404
    );
    assert_eq!(
        a.call("GET", "/api/v1/codebases/renamed/files/nothing.js", None)
            .0,
        404
    );
    assert_eq!(a.call("DELETE", "/api/v1/codebases/renamed", None).0, 204);
    assert_eq!(a.call("GET", "/api/v1/codebases/renamed", None).0, 404);
    assert_eq!(a.call("GET", "/api/v1/nowhere", None).0, 404);
}

#[test]
fn paths_that_leave_a_codebase_and_oversized_bodies_are_refused() {
    let a = start_admin(None);
    a.call("POST", "/api/v1/codebases/c", Some("{}"));
    assert_eq!(
        a.call(
            "GET",
            "/api/v1/codebases/c/files/..%2F..%2Fetc%2Fpasswd",
            None
        )
        .0,
        400
    );
    assert_eq!(
        a.call(
            "PUT",
            "/api/v1/codebases/c/files/a/..%2F..%2Fx.js",
            Some("x")
        )
        .0,
        400
    );
    assert_eq!(
        a.call("GET", "/api/v1/codebases/..%2Fc/files/main.js", None)
            .0,
        400
    );
    // A symlink inside the codebase that points out of it is refused.
    let dir = a._dir.dir.join("store/c");
    std::os::unix::fs::symlink("/etc", dir.join("out")).unwrap();
    assert_eq!(
        a.call("GET", "/api/v1/codebases/c/files/out/hostname", None)
            .0,
        403
    );
    assert_eq!(
        a.call("PUT", "/api/v1/codebases/c/files/out/x", Some("x"))
            .0,
        403
    );
    let big = format!("@{}", write_big(&a._dir.dir));
    assert_eq!(
        a.call("PUT", "/api/v1/codebases/c/files/big.js", Some(&big))
            .0,
        413
    );
}

fn write_big(dir: &std::path::Path) -> String {
    let p = dir.join("big.bin");
    std::fs::write(&p, vec![b'x'; 9 << 20]).unwrap();
    p.display().to_string()
}

#[test]
fn a_program_runs_reloads_on_save_reports_errors_and_stops() {
    let a = start_admin(None);
    let port = free_port();
    a.call("POST", "/api/v1/codebases/web", Some("{}"));
    a.call(
        "PUT",
        "/api/v1/codebases/web/files/main.js",
        Some(&format!(
            "pipy()\n.listen({port})\n  .serveHTTP(new Message('one'))\n"
        )),
    );
    let (s, b, _) = a.call("POST", "/api/v1/program", Some(r#"{"codebase":"web"}"#));
    assert_eq!(
        (s, b.as_str()),
        (201, r#"{"codebase":"web","running":true}"#)
    );
    assert_eq!(curl(&[&format!("http://127.0.0.1:{port}/")]), "one");
    // Saving reloads the running program.
    let (s, _, h) = a.call(
        "PUT",
        "/api/v1/codebases/web/files/main.js",
        Some(&format!(
            "pipy()\n.listen({port})\n  .serveHTTP(new Message('two'))\n"
        )),
    );
    assert_eq!(s, 204);
    assert!(h.to_ascii_lowercase().contains("x-reload: ok"), "{h}");
    assert_eq!(curl(&[&format!("http://127.0.0.1:{port}/")]), "two");
    // A broken save keeps the old version and reports where the error is.
    let (_, _, h) = a.call(
        "PUT",
        "/api/v1/codebases/web/files/main.js",
        Some("pipy()\n.listen(1)\n  .dump(\n"),
    );
    assert!(h.to_ascii_lowercase().contains("x-reload: failed"), "{h}");
    assert_eq!(curl(&[&format!("http://127.0.0.1:{port}/")]), "two");
    let (s, b, _) = a.call("PATCH", "/api/v1/program", None);
    assert_eq!(s, 400);
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["file"], "/main.js");
    assert!(v["line"].as_u64().unwrap() >= 3, "{b}");
    assert!(v["error"].as_str().unwrap().contains("SyntaxError"), "{b}");
    let (_, b, _) = a.call("GET", "/api/v1/program", None);
    assert!(
        b.contains(r#""codebase":"web""#) && b.contains(r#""running":true"#),
        "{b}"
    );
    let (s, b, _) = a.call("GET", "/api/v1/graph/web", None);
    assert_eq!(s, 400, "{b}");
    a.call(
        "PUT",
        "/api/v1/codebases/web/files/main.js",
        Some(&format!(
            "pipy()\n.listen({port})\n  .serveHTTP(new Message('three'))\n"
        )),
    );
    let (s, b, _) = a.call("GET", "/api/v1/graph/web", None);
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert!(v["ascii"].as_str().unwrap().contains("serveHTTP"), "{b}");
    assert_eq!(v["graph"]["layouts"][0]["filters"][0]["name"], "serveHTTP");
    assert_eq!(a.call("DELETE", "/api/v1/program", None).0, 204);
    assert_eq!(
        curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{port}/")
        ]),
        "000"
    );
    let (_, b, _) = a.call("GET", "/api/v1/program", None);
    assert!(b.contains(r#""running":false"#), "{b}");
    assert_eq!(
        a.call("POST", "/api/v1/program", Some(r#"{"codebase":"none"}"#))
            .0,
        404
    );
}

#[test]
fn log_typings_tutorials_and_the_ide_page_are_served() {
    let a = start_admin(None);
    let (s, b, _) = a.call("GET", "/api/v1/log?after=0", None);
    assert_eq!(s, 200);
    assert!(b.contains("Admin console on"), "{b}");
    // The event stream sends history first.
    let out = Command::new("curl")
        .args([
            "-s",
            "-N",
            "-m",
            "2",
            &format!("{}/api/v1/log/stream", a.base),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("data: {"),
        "{:?}",
        out
    );
    let (s, b, _) = a.call("GET", "/api/v1/metrics/summary", None);
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert!(
        v["connectionsTotal"].is_u64() && v["upstream"]["buckets"].is_array(),
        "{b}"
    );
    let (s, b, _) = a.call("GET", "/metrics", None);
    assert_eq!(s, 200);
    assert!(
        b.contains("# TYPE sluice_script_exceptions_total counter"),
        "{b}"
    );
    let (s, b, _) = a.call("GET", "/api/v1/typings", None);
    assert_eq!(s, 200);
    assert!(
        b.contains("serveHTTP(") && b.contains("declare class Message"),
        "{}",
        &b[..200]
    );
    let (s, b, _) = a.call("GET", "/api/v1/tutorials", None);
    assert_eq!(s, 200);
    assert!(b.contains(r#""name":"01-hello""#), "{b}");
    let (s, b, _) = a.call("GET", "/api/v1/tutorials/01-hello/main.js", None);
    assert_eq!(s, 200);
    assert!(b.contains("serveHTTP"), "{b}");
    let (s, b, _) = a.call(
        "POST",
        "/api/v1/tutorials/01-hello/copy",
        Some(r#"{"codebase":"hello"}"#),
    );
    assert_eq!(
        (s, b.as_str()),
        (201, r#"{"main":"/main.js","name":"hello","services":[]}"#)
    );
    let (_, b, _) = a.call("GET", "/api/v1/codebases/hello", None);
    assert!(b.contains("/README.md") && !b.contains("test.sh"), "{b}");
    let (s, b, h) = a.call("GET", "/", None);
    assert_eq!(s, 200);
    assert!(
        h.to_ascii_lowercase().contains("content-type: text/html"),
        "{h}"
    );
    assert!(
        b.contains("<html") || b.contains("<!doctype html") || b.contains("<!DOCTYPE html"),
        "{b}"
    );
    // The IDE is stored compressed: a client that takes gzip gets it so, the same page.
    assert!(!h.to_ascii_lowercase().contains("content-encoding"), "{h}");
    let out = Command::new("curl")
        .args(["-s", "-m", "20", "--compressed", "-D", "/dev/stderr"])
        .arg(format!("{}/", a.base))
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&out.stderr).to_ascii_lowercase();
    assert!(headers.contains("content-encoding: gzip"), "{headers}");
    assert!(headers.contains("vary: accept-encoding"), "{headers}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), b);
}

#[test]
fn a_token_guards_the_api_and_is_required_off_loopback() {
    let a = start_admin(Some("s3cret"));
    assert_eq!(a.call("GET", "/api/v1/codebases", None).0, 200);
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{}/api/v1/codebases", a.base),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "401");
    let (code, _, err) = run_to_end(
        &["--admin-port=0.0.0.0:0", "--codebases=/tmp/sluice-unused"],
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.contains("--admin-token"), "{err}");
}
