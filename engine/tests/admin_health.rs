//! The probes of the admin port (`/healthz`, `/readyz`) as a kubelet sees them: plain HTTP
//! from curl, with no token, against the real engine.

mod common;

use std::process::Command;

use common::*;

/// Asks `url` with curl, with an `Authorization` header when `token` is given; returns
/// (status, body).
fn ask(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
    let mut c = Command::new("curl");
    c.args(["-s", "-m", "20", "-X", method, "-w", "\n%{http_code}"]);
    if method == "HEAD" {
        c.arg("-I");
    }
    if let Some(t) = token {
        c.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    if let Some(b) = body {
        c.args(["--data-binary", b]);
    }
    let out = c.arg(url).output().expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').expect("curl printed the status");
    (code.parse().expect("a status code"), body.to_string())
}

fn probe(admin: u16, path: &str) -> (u16, String) {
    ask(
        "GET",
        &format!("http://127.0.0.1:{admin}{path}"),
        None,
        None,
    )
}

/// A program that answers HTTP on `port`.
fn server_script(port: u16) -> String {
    format!("pipy().listen({port}).serveHTTP(new Message('hi\\n'))\n")
}

#[test]
fn a_console_without_a_program_is_alive_but_not_ready_and_probes_need_no_token() {
    let store = Codebase::new("health-console");
    let admin = free_port();
    let token = "probe-secret";
    let mut cmd = Command::new(engine_bin());
    cmd.args([
        format!("--admin-port={admin}"),
        format!("--admin-token={token}"),
        format!("--codebases={}", store.dir.join("store").display()),
    ]);
    let _e = Engine::spawn(cmd, &[admin]);
    let base = format!("http://127.0.0.1:{admin}");

    // The token is in force for the API, but not for the probes.
    assert_eq!(
        ask("GET", &format!("{base}/api/v1/program"), None, None).0,
        401
    );
    assert_eq!(probe(admin, "/healthz"), (200, "ok\n".into()));
    assert_eq!(
        probe(admin, "/readyz"),
        (503, "not ready: no program is running\n".into())
    );
    // HEAD is a probe too (some load balancers use it): the status without a body.
    let (status, head) = ask("HEAD", &format!("{base}/readyz"), None, None);
    assert_eq!(status, 503, "{head}");
    assert!(head.contains("cache-control: no-store"), "{head}");

    // A program that fails to load leaves the engine not ready.
    let port = free_port();
    let api = |method: &str, path: &str, body: Option<&str>| {
        ask(method, &format!("{base}/api/v1{path}"), Some(token), body)
    };
    assert_eq!(
        api("POST", "/codebases/web", Some(r#"{"template":"empty"}"#)).0,
        201
    );
    assert_eq!(
        api(
            "PUT",
            "/codebases/web/files/main.js",
            Some("pipy().listen(")
        )
        .0,
        201
    );
    assert_eq!(
        api("POST", "/program", Some(r#"{"codebase":"web"}"#)).0,
        400
    );
    assert_eq!(
        probe(admin, "/readyz"),
        (503, "not ready: the program failed to load\n".into())
    );

    // Once a program runs and listens, the engine is ready; the probe still needs no token.
    assert_eq!(
        api(
            "PUT",
            "/codebases/web/files/main.js",
            Some(&server_script(port))
        )
        .0,
        204
    );
    assert_eq!(
        api("POST", "/program", Some(r#"{"codebase":"web"}"#)).0,
        201
    );
    assert_eq!(curl(&[&format!("http://127.0.0.1:{port}/")]), "hi\n");
    assert_eq!(probe(admin, "/readyz"), (200, "ready\n".into()));
    assert_eq!(probe(admin, "/healthz"), (200, "ok\n".into()));

    // Stopped, it is not ready any more, and alive all the same.
    assert_eq!(api("DELETE", "/program", None).0, 204);
    assert_eq!(
        probe(admin, "/readyz"),
        (503, "not ready: no program is running\n".into())
    );
    assert_eq!(probe(admin, "/healthz"), (200, "ok\n".into()));
}

#[test]
fn a_program_from_the_command_line_is_ready_as_soon_as_the_admin_port_answers() {
    let dir = Codebase::new("health-script");
    let (port, admin) = (free_port(), free_port());
    let script = dir.file("main.js", &server_script(port));
    let admin_arg = format!("--admin-port=127.0.0.1:{admin}");
    let _e = Engine::start_with(&script, &[port, admin], &[&admin_arg]);
    assert_eq!(probe(admin, "/readyz"), (200, "ready\n".into()));
    assert_eq!(probe(admin, "/healthz"), (200, "ok\n".into()));
    // Only GET and HEAD are probes: other methods on these paths are refused.
    assert_eq!(
        ask(
            "POST",
            &format!("http://127.0.0.1:{admin}/readyz"),
            None,
            None
        )
        .0,
        405
    );
}

#[test]
fn a_program_that_listens_on_no_port_is_not_ready() {
    let dir = Codebase::new("health-nolisten");
    let admin = free_port();
    let script = dir.file("main.js", "pipy()\n");
    let admin_arg = format!("--admin-port=127.0.0.1:{admin}");
    let _e = Engine::start_with(&script, &[admin], &[&admin_arg]);
    assert_eq!(
        probe(admin, "/readyz"),
        (503, "not ready: the program listens on no port\n".into())
    );
    assert_eq!(probe(admin, "/healthz"), (200, "ok\n".into()));
}

#[test]
fn a_draining_engine_is_not_ready_but_alive() {
    use std::io::Write;
    let dir = Codebase::new("health-drain");
    let (port, admin) = (free_port(), free_port());
    let script = dir.file("main.js", &server_script(port));
    let admin_arg = format!("--admin-port=127.0.0.1:{admin}");
    let e = Engine::start_with(&script, &[port, admin], &[&admin_arg, "--drain-timeout=20"]);
    assert_eq!(probe(admin, "/readyz"), (200, "ready\n".into()));
    // A request that has begun keeps the engine draining after SIGTERM.
    let mut open = connect(port);
    open.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let killed = Command::new("kill")
        .args(["-TERM", &e.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    e.wait_log("shutting down", 10);
    // The log line comes just before the program is let go: ask until the answer changes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut ready = probe(admin, "/readyz");
    while ready.0 == 200 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        ready = probe(admin, "/readyz");
    }
    assert_eq!(ready, (503, "not ready: no program is running\n".into()));
    assert_eq!(probe(admin, "/healthz"), (200, "ok\n".into()));
    // The request that had begun is still served.
    open.write_all(b"\r\n").unwrap();
    let mut answer = [0u8; 12];
    std::io::Read::read_exact(&mut open, &mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
}
