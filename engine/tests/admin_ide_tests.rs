//! The admin routes behind the IDE's Tests panel and Reference tab, against the real engine
//! (curl as the client): `POST /api/v1/tests/{name}` runs a codebase's tests as `engine test`
//! does, with a mock upstream, a running copy stepping aside and starting again, and each
//! HTTP step's trace; `GET /api/v1/reference` is the generated reference as JSON.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

/// An engine with an admin port over a codebase folder of its own.
struct Admin {
    _e: Engine,
    base: String,
    _dir: Codebase,
}

fn start_admin() -> Admin {
    let dir = Codebase::new("admin-ide-tests");
    let port = free_port();
    let mut cmd = Command::new(engine_bin());
    cmd.args([
        format!("--admin-port={port}"),
        format!("--codebases={}", dir.dir.join("store").display()),
    ]);
    Admin {
        _e: Engine::spawn(cmd, &[port]),
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

impl Admin {
    /// Calls the API: (status, body).
    fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let mut c = Command::new("curl");
        c.args(["-s", "-m", "30", "-X", method, "-w", "\n%{http_code}"]);
        if let Some(b) = body {
            c.args(["--data-binary", b]);
        }
        c.arg(format!("{}{}", self.base, path));
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse().unwrap(), body.to_string())
    }

    fn json(&self, method: &str, path: &str, body: Option<&str>) -> Value {
        let (status, text) = self.call(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

#[test]
fn the_tests_of_a_codebase_run_with_their_traces_and_a_running_copy_starts_again() {
    let a = start_admin();
    let (front, mock) = (free_port(), free_port());
    a.json(
        "POST",
        "/api/v1/codebases/lb",
        Some(r#"{"main": "/main.js"}"#),
    );
    let main = format!(
        "pipy().listen({front}).demuxHTTP().to($=>$\n  \
         .handleMessageStart(msg => msg.head.headers['x-via'] = 'sluice')\n  \
         .muxHTTP().to($=>$.connect('127.0.0.1:{mock}')))\n"
    );
    a.json("PUT", "/api/v1/codebases/lb/files/main.js", Some(&main));
    let check = format!(
        r#"{{"mocks": [{{"name": "up", "port": {mock}, "body": "from up\n"}}],
  "steps": [
    {{"name": "the proxy adds x-via", "request": {{"port": {front}, "path": "/a"}},
      "expect": {{"status": 200, "body": "from up\n",
                  "forwarded": {{"up": {{"path": "/a", "headers": {{"x-via": "sluice"}}}}}}}}}},
    {{"name": "a wrong expectation", "request": {{"port": {front}, "path": "/b"}},
      "expect": {{"body": "from elsewhere\n"}}}}
  ]}}"#
    );
    a.json("PUT", "/api/v1/codebases/lb/files/check.json", Some(&check));
    assert_eq!(
        a.json("GET", "/api/v1/tests/lb", None)["files"],
        serde_json::json!(["/check.json"])
    );

    // It runs (its upstream is absent, but it listens): the tests take its port meanwhile.
    a.json("POST", "/api/v1/programs/lb", None);
    let run = a.json("POST", "/api/v1/tests/lb", None);
    assert_eq!(
        (run["passed"].as_u64(), run["failed"].as_u64()),
        (Some(1), Some(1)),
        "{run}"
    );
    assert_eq!(run["restarted"], true);
    assert_eq!(run["restartError"], Value::Null);
    let file = &run["files"][0];
    assert_eq!(file["file"], "/check.json");
    let results = file["results"].as_array().unwrap();
    assert_eq!(results[0]["pass"], true, "{}", results[0]);
    assert_eq!(
        results[0]["forwarded"]["up"][0]["headers"]["x-via"],
        "sluice"
    );
    let failing = &results[1];
    assert_eq!(failing["pass"], false);
    assert_eq!(failing["actual"]["body"], "from up\n");
    assert_eq!(failing["expected"]["body"], "from elsewhere\n");
    // The header that asked for the trace is not part of what the test saw.
    assert!(failing["actual"]["headers"].get("x-sluice-trace").is_none());

    // Each step names the trace of its request, which the inspector's API shows.
    let id = failing["trace"].as_u64().expect("a trace id");
    assert_ne!(Some(id), results[0]["trace"].as_u64());
    let trace = a.json("GET", &format!("/api/v1/trace/{id}"), None);
    let records = trace["records"].as_array().unwrap();
    assert!(
        records.iter().any(|r| r["event"] == "MessageStart"
            && r["detail"].as_str().unwrap().starts_with("GET /b ")),
        "{trace}"
    );

    // The codebase runs again on its port.
    let programs = a.json("GET", "/api/v1/programs", None);
    assert_eq!(programs[0]["name"], "lb");
    assert_eq!(programs[0]["running"], true);
    assert_eq!(programs[0]["ports"], serde_json::json!([front]));

    // A file named; a path out of the codebase is refused.
    let one = a.json(
        "POST",
        "/api/v1/tests/lb",
        Some(r#"{"files": ["/check.json"], "trace": false}"#),
    );
    assert_eq!(one["files"][0]["results"][1].get("trace"), None);
    let (status, text) = a.call(
        "POST",
        "/api/v1/tests/lb",
        Some(r#"{"files": ["/../x.json"]}"#),
    );
    assert_eq!(status, 400, "{text}");
    assert_eq!(a.call("POST", "/api/v1/tests/nope", None).0, 404);
}

#[test]
fn a_codebase_without_tests_answers_no_files() {
    let a = start_admin();
    a.json("POST", "/api/v1/codebases/empty", Some("{}"));
    let run = a.json("POST", "/api/v1/tests/empty", None);
    assert_eq!(run["files"], serde_json::json!([]));
    assert_eq!(
        (run["passed"].as_u64(), run["failed"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn the_reference_lists_every_filter_of_the_registry_and_the_script_api() {
    let a = start_admin();
    let reference = a.json("GET", "/api/v1/reference", None);
    let (code, listed, _) = run_to_end(&["--list-filters"], &[]);
    assert_eq!(code, 0);
    let names: Vec<&str> = reference["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for line in listed.lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        if name.chars().next().is_some_and(char::is_alphabetic) && line.starts_with(name) {
            assert!(
                names.contains(&name),
                "{name} is missing from the reference"
            );
        }
    }
    let connect = reference["filters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "connect")
        .unwrap();
    assert!(
        connect["params"].as_array().unwrap().len() >= 2,
        "{connect}"
    );
    assert!(connect["example"].as_str().unwrap().contains(".connect("));
    let api = reference["api"].as_array().unwrap();
    for name in ["pipy", "Message", "Data", "algo", "os", "crypto"] {
        assert!(api.iter().any(|d| d["name"] == name), "{name} is missing");
    }
}
