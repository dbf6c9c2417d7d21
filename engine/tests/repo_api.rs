//! The repo's API against the real engine (curl as the client): codebases, edits, publishing,
//! the version history and rollback, derived codebases, the token, and what workers fetch.

mod common;

use std::process::Command;

use common::*;

/// A repo: `engine --admin-port=P --repo=DIR`.
struct Repo {
    e: Option<Engine>,
    port: u16,
    dir: Codebase,
    token: Option<String>,
}

/// A response: status, headers (lower-case), body.
struct Res {
    status: u16,
    headers: String,
    body: String,
}

fn start_repo(dir: Codebase, port: u16, token: Option<&str>) -> Repo {
    let mut cmd = Command::new(engine_bin());
    cmd.arg(format!("--admin-port={port}"))
        .arg(format!("--repo={}", dir.dir.join("repo").display()))
        .arg(format!("--codebases={}", dir.dir.join("ide").display()));
    if let Some(t) = token {
        cmd.arg(format!("--admin-token={t}"));
    }
    let e = Engine::spawn(cmd, &[port]);
    Repo {
        e: Some(e),
        port,
        dir,
        token: token.map(str::to_string),
    }
}

fn repo(token: Option<&str>) -> Repo {
    start_repo(Codebase::new("repo-api"), free_port(), token)
}

impl Repo {
    fn call_as(&self, token: Option<&str>, method: &str, path: &str, body: Option<&str>) -> Res {
        let mut c = Command::new("curl");
        c.args(["-s", "-i", "-X", method])
            .arg(format!("http://127.0.0.1:{}{path}", self.port));
        if method == "HEAD" {
            c.args(["-I"]);
        }
        if let Some(t) = token {
            c.args(["-H", &format!("authorization: Bearer {t}")]);
        }
        if let Some(b) = body {
            c.args(["--data-binary", b]);
        }
        let out = c.output().expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Res {
            status,
            headers: head.to_ascii_lowercase(),
            body: body.to_string(),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&str>) -> Res {
        self.call_as(self.token.as_deref(), method, path, body)
    }

    fn ok(&self, method: &str, path: &str, body: Option<&str>, want: u16) -> String {
        let r = self.call(method, path, body);
        assert_eq!(r.status, want, "{method} {path}: {}", r.body);
        r.body
    }

    fn json(&self, path: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok("GET", path, None, 200)).unwrap()
    }
}

fn etag(r: &Res) -> String {
    r.headers
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap_or("")
        .trim()
        .to_string()
}

#[test]
fn create_edit_publish_history_and_rollback() {
    let r = repo(None);
    r.ok("POST", "/api/v1/repo/team/app", Some("{}"), 201);
    assert_eq!(
        r.call("POST", "/api/v1/repo/team/app", Some("{}")).status,
        409
    );
    let info = r.json("/api/v1/repo/team/app");
    assert_eq!(info["version"], "0");
    assert_eq!(info["path"], "/team/app");
    assert_eq!(info["main"], "/main.js");
    assert_eq!(info["files"], serde_json::json!(["/main.js"]));
    // Nothing is served before the first publish.
    assert_eq!(r.call("GET", "/repo/team/app/", None).status, 404);

    r.ok(
        "POST",
        "/api/v1/repo-files/team/app/main.js",
        Some("// v1"),
        201,
    );
    r.ok(
        "POST",
        "/api/v1/repo-files/team/app/lib/util.js",
        Some("util v1"),
        201,
    );
    assert_eq!(
        r.ok("GET", "/api/v1/repo-files/team/app/main.js", None, 200),
        "// v1"
    );
    let info = r.json("/api/v1/repo/team/app");
    assert_eq!(
        info["editFiles"],
        serde_json::json!(["/lib/util.js", "/main.js"])
    );

    let p = r.ok(
        "PATCH",
        "/api/v1/repo/team/app",
        Some(r#"{"version": 1}"#),
        201,
    );
    assert!(p.contains(r#""version":"1""#), "{p}");

    // What workers fetch: the manifest (main first), files, _etags, with the version as etag.
    let m = r.call("GET", "/repo/team/app/", None);
    assert_eq!(m.status, 200);
    assert_eq!(m.body, "/main.js\n/lib/util.js");
    assert_eq!(etag(&m), "1");
    let h = r.call("HEAD", "/repo/team/app/", None);
    assert_eq!((h.status, etag(&h)), (200, "1".to_string()));
    let f = r.call("GET", "/repo/team/app/lib/util.js", None);
    assert_eq!((f.body.as_str(), etag(&f).as_str()), ("util v1", "1"));
    assert_eq!(
        r.ok("GET", "/repo/team/app/_etags", None, 200),
        "/lib/util.js#1\n/main.js#1\n"
    );
    assert_eq!(r.ok("GET", "/repo/team/", None, 200), "/team/app/\n");
    assert_eq!(r.ok("GET", "/api/v1/repo", None, 200), "/team/app");

    // Version 2 changes main.js; version 1 stays readable.
    r.ok(
        "POST",
        "/api/v1/repo-files/team/app/main.js",
        Some("// v2"),
        201,
    );
    // Publishing edits under a version that exists is refused.
    assert_eq!(
        r.call("PATCH", "/api/v1/repo/team/app", Some(r#"{"version": 1}"#))
            .status,
        409
    );
    r.ok(
        "PATCH",
        "/api/v1/repo/team/app",
        Some(r#"{"version": "2"}"#),
        201,
    );
    assert_eq!(r.ok("GET", "/repo/team/app/main.js", None, 200), "// v2");
    let versions = r.json("/api/v1/repo-versions/team/app");
    let names: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1", "2"]);
    assert_eq!(versions[1]["current"], true);
    assert_eq!(
        r.ok(
            "GET",
            "/api/v1/repo-files/team/app/main.js?version=1",
            None,
            200
        ),
        "// v1"
    );
    assert_eq!(
        r.call("GET", "/api/v1/repo-files/team/app/main.js?version=9", None)
            .status,
        404
    );

    // Rollback is one call: publish the old version again.
    r.ok(
        "PATCH",
        "/api/v1/repo/team/app",
        Some(r#"{"version": 1}"#),
        201,
    );
    let f = r.call("GET", "/repo/team/app/main.js", None);
    assert_eq!((f.body.as_str(), etag(&f).as_str()), ("// v1", "1"));
    assert_eq!(r.json("/api/v1/repo/team/app")["version"], "1");

    // Erase and reset: an erased file goes at the next publish; reset undoes an edit.
    r.ok(
        "DELETE",
        "/api/v1/repo-files/team/app/lib/util.js",
        None,
        204,
    );
    assert_eq!(
        r.json("/api/v1/repo/team/app")["erasedFiles"],
        serde_json::json!(["/lib/util.js"])
    );
    r.ok(
        "POST",
        "/api/v1/repo-files/team/app/main.js",
        Some("// draft"),
        201,
    );
    r.ok(
        "PATCH",
        "/api/v1/repo-files/team/app/main.js",
        Some(""),
        201,
    );
    assert_eq!(
        r.ok("GET", "/api/v1/repo-files/team/app/main.js", None, 200),
        "// v2"
    );
    r.ok(
        "PATCH",
        "/api/v1/repo/team/app",
        Some(r#"{"version": 3}"#),
        201,
    );
    assert_eq!(r.ok("GET", "/repo/team/app/", None, 200), "/main.js");
    assert_eq!(
        r.call("GET", "/repo/team/app/lib/util.js", None).status,
        404
    );

    r.ok("DELETE", "/api/v1/repo/team/app", None, 204);
    assert_eq!(r.call("GET", "/api/v1/repo/team/app", None).status, 404);
    assert_eq!(r.call("GET", "/repo/team/app/", None).status, 404);
}

#[test]
fn a_derived_codebase_inherits_and_follows_its_base() {
    let r = repo(None);
    r.ok("POST", "/api/v1/repo/base", Some("{}"), 201);
    r.ok(
        "POST",
        "/api/v1/repo-files/base/main.js",
        Some("main b1"),
        201,
    );
    r.ok(
        "POST",
        "/api/v1/repo-files/base/config.json",
        Some("{\"c\":\"base\"}"),
        201,
    );
    r.ok("PATCH", "/api/v1/repo/base", Some(r#"{"version": 1}"#), 201);

    r.ok(
        "POST",
        "/api/v1/repo/edge/one",
        Some(r#"{"base": "/base"}"#),
        201,
    );
    let info = r.json("/api/v1/repo/edge/one");
    assert_eq!(info["base"], "/base");
    assert_eq!(info["main"], "/main.js");
    assert_eq!(info["files"], serde_json::json!([]));
    assert_eq!(
        info["baseFiles"],
        serde_json::json!(["/config.json", "/main.js"])
    );
    assert_eq!(
        r.json("/api/v1/repo/base")["derived"],
        serde_json::json!(["/edge/one"])
    );
    // An editor reads the base's file through the derived codebase.
    assert_eq!(
        r.ok("GET", "/api/v1/repo-files/edge/one/main.js", None, 200),
        "main b1"
    );

    r.ok(
        "POST",
        "/api/v1/repo-files/edge/one/config.json",
        Some("{\"c\":\"edge\"}"),
        201,
    );
    r.ok(
        "PATCH",
        "/api/v1/repo/edge/one",
        Some(r#"{"version": 1}"#),
        201,
    );
    assert_eq!(r.ok("GET", "/repo/edge/one/main.js", None, 200), "main b1");
    assert_eq!(
        r.ok("GET", "/repo/edge/one/config.json", None, 200),
        "{\"c\":\"edge\"}"
    );

    // Publishing the base gives the derived codebase a new version over it.
    r.ok(
        "POST",
        "/api/v1/repo-files/base/main.js",
        Some("main b2"),
        201,
    );
    let p = r.ok("PATCH", "/api/v1/repo/base", Some(r#"{"version": 2}"#), 201);
    assert!(p.contains(r#"{"path":"/edge/one","version":"2"}"#), "{p}");
    let m = r.call("GET", "/repo/edge/one/main.js", None);
    assert_eq!((m.body.as_str(), etag(&m).as_str()), ("main b2", "2"));
    assert_eq!(
        r.ok("GET", "/repo/edge/one/config.json", None, 200),
        "{\"c\":\"edge\"}"
    );

    // Deleting the base deletes what derives from it.
    r.ok("DELETE", "/api/v1/repo/base", None, 204);
    assert_eq!(r.call("GET", "/api/v1/repo/edge/one", None).status, 404);
}

#[test]
fn the_admin_token_protects_the_api_not_what_workers_fetch() {
    let r = repo(Some("s3cret"));
    let no = r.call_as(None, "POST", "/api/v1/repo/app", Some("{}"));
    assert_eq!(no.status, 401);
    let wrong = r.call_as(Some("nope"), "POST", "/api/v1/repo/app", Some("{}"));
    assert_eq!(wrong.status, 401);
    r.ok("POST", "/api/v1/repo/app", Some("{}"), 201);
    assert_eq!(
        r.call_as(None, "PATCH", "/api/v1/repo/app", Some(r#"{"version":1}"#))
            .status,
        401
    );
    assert_eq!(
        r.call_as(None, "POST", "/api/v1/repo-files/app/x.js", Some("x"))
            .status,
        401
    );
    assert_eq!(
        r.call_as(None, "DELETE", "/api/v1/repo/app", None).status,
        401
    );
    assert_eq!(r.call_as(None, "GET", "/api/v1/repo", None).status, 401);
    r.ok("PATCH", "/api/v1/repo/app", Some(r#"{"version":1}"#), 201);
    // Workers fetch and report without it, as Pipy's do.
    let m = r.call_as(None, "GET", "/repo/app/", None);
    assert_eq!((m.status, m.body.as_str()), (200, "/main.js"));
    let s = r.call_as(
        None,
        "POST",
        "/repo/app/",
        Some(r#"{"uuid":"u-1","version":"1"}"#),
    );
    assert_eq!(s.status, 201);
    let info = r.json("/api/v1/repo/app");
    assert_eq!(info["instances"]["1"]["uuid"], "u-1");
    assert_eq!(info["instances"]["1"]["status"]["version"], "1");
}

#[test]
fn the_store_outlives_the_process() {
    let mut r = repo(None);
    r.ok("POST", "/api/v1/repo/keep", Some("{}"), 201);
    r.ok("POST", "/api/v1/repo-files/keep/main.js", Some("kept"), 201);
    r.ok("PATCH", "/api/v1/repo/keep", Some(r#"{"version": 7}"#), 201);
    drop(r.e.take());
    let r = start_repo(r.dir, free_port(), None);
    let m = r.call("GET", "/repo/keep/main.js", None);
    assert_eq!((m.body.as_str(), etag(&m).as_str()), ("kept", "7"));
    assert_eq!(r.json("/api/v1/repo-versions/keep")[0]["version"], "7");
}
