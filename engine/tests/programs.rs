//! Several codebases running at once through the admin API (`/api/v1/programs`): each starts,
//! reloads and stops on its own, its log lines carry its name, and a port another program
//! holds is refused with a 409 naming the holder.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

struct Admin {
    _e: Engine,
    base: String,
    _dir: Codebase,
}

fn start_admin() -> Admin {
    let dir = Codebase::new("programs");
    let port = free_port();
    let mut child = Command::new(engine_bin());
    child.args([
        format!("--admin-port={port}"),
        format!("--codebases={}", dir.dir.join("store").display()),
    ]);
    let e = Engine::spawn(child, &[port]);
    Admin {
        _e: e,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

impl Admin {
    /// Calls the API; returns (status, body, response headers).
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

    /// A codebase whose main.js answers `text` on `port`.
    fn greeter(&self, name: &str, port: u16, text: &str) {
        assert_eq!(
            self.call("POST", &format!("/api/v1/codebases/{name}"), Some("{}"))
                .0,
            201
        );
        self.save(name, port, text);
    }

    fn save(&self, name: &str, port: u16, text: &str) -> String {
        let script = format!("pipy()\n.listen({port})\n  .serveHTTP(new Message('{text}'))\n");
        let path = format!("/api/v1/codebases/{name}/files/main.js");
        self.call("PUT", &path, Some(&script)).2
    }

    fn programs(&self) -> Value {
        let (s, b, _) = self.call("GET", "/api/v1/programs", None);
        assert_eq!(s, 200, "{b}");
        serde_json::from_str(&b).unwrap()
    }
}

fn get(port: u16) -> String {
    curl(&["-s", "-m", "5", &format!("http://127.0.0.1:{port}/")])
}

#[test]
fn two_codebases_run_at_once_each_with_its_own_stop_reload_and_log_lines() {
    let a = start_admin();
    let (pa, pb) = (free_port(), free_port());
    a.greeter("alpha", pa, "from alpha");
    a.greeter("beta", pb, "from beta");

    let (s, b, _) = a.call("POST", "/api/v1/programs/alpha", None);
    assert_eq!(s, 201, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["name"], "alpha");
    assert_eq!(v["running"], true);
    assert_eq!(v["ports"], serde_json::json!([pa]));
    let (s, b, _) = a.call("POST", "/api/v1/programs/beta", None);
    assert_eq!(s, 201, "{b}");
    // Starting beta left alpha running.
    assert_eq!(get(pa), "from alpha");
    assert_eq!(get(pb), "from beta");
    let list = a.programs();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"], "{list}");
    assert_eq!(list[1]["ports"], serde_json::json!([pb]));

    // Each program's log lines carry its name.
    let (_, b, _) = a.call("GET", "/api/v1/log?after=0", None);
    let log: Value = serde_json::from_str(&b).unwrap();
    let tagged = |program: &str, port: u16| {
        log["lines"].as_array().unwrap().iter().any(|l| {
            l["program"] == program
                && l["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("Listening on TCP port {port}"))
        })
    };
    assert!(tagged("alpha", pa) && tagged("beta", pb), "{b}");
    assert!(!tagged("alpha", pb) && !tagged("beta", pa), "{b}");

    // Saving beta's main reloads beta only.
    let h = a.save("beta", pb, "beta again");
    assert!(h.to_ascii_lowercase().contains("x-reload: ok"), "{h}");
    assert_eq!(get(pb), "beta again");
    assert_eq!(get(pa), "from alpha");
    let (s, b, _) = a.call("PATCH", "/api/v1/programs/alpha", None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(get(pa), "from alpha");

    // Stopping alpha leaves beta running.
    assert_eq!(a.call("DELETE", "/api/v1/programs/alpha", None).0, 204);
    assert_eq!(a.call("DELETE", "/api/v1/programs/alpha", None).0, 404);
    assert_eq!(get(pa), "");
    assert_eq!(get(pb), "beta again");
    let (s, b, _) = a.call("GET", "/api/v1/program", None);
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(
        (v["codebase"].as_str(), v["running"].as_bool()),
        (Some("beta"), Some(true)),
        "{b}"
    );

    // The one-program route still runs one at a time, and says what it stopped.
    a.call("POST", "/api/v1/programs/alpha", None);
    let (s, b, _) = a.call("POST", "/api/v1/program", Some(r#"{"codebase":"alpha"}"#));
    assert_eq!(s, 201, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["stopped"], serde_json::json!(["beta"]), "{b}");
    assert_eq!(get(pa), "from alpha");
    assert_eq!(get(pb), "");
    assert_eq!(a.call("DELETE", "/api/v1/program", None).0, 204);
    assert_eq!(a.programs(), serde_json::json!([]));
}

#[test]
fn a_port_another_program_holds_is_refused_with_409_naming_it() {
    let a = start_admin();
    let (pa, outside) = (free_port(), free_port());
    a.greeter("alpha", pa, "from alpha");
    a.greeter("copycat", pa, "from copycat");
    assert_eq!(a.call("POST", "/api/v1/programs/alpha", None).0, 201);

    let (s, b, _) = a.call("POST", "/api/v1/programs/copycat", None);
    assert_eq!(s, 409, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    let msg = v["error"].as_str().unwrap();
    assert!(
        msg.contains(&format!(
            "port {pa} is already in use by the program 'alpha'"
        )),
        "{msg}"
    );
    // Alpha keeps its port and keeps answering; copycat shows as failed, not running.
    assert_eq!(get(pa), "from alpha");
    let list = a.programs();
    assert_eq!(list[0]["name"], "alpha");
    assert_eq!(list[1]["name"], "copycat");
    assert_eq!(list[1]["running"], false);
    assert!(
        list[1]["error"]["error"]
            .as_str()
            .unwrap()
            .contains("'alpha'"),
        "{list}"
    );

    // A port held by another process is named too.
    let _holder = std::net::TcpListener::bind(("127.0.0.1", outside)).unwrap();
    a.save("copycat", outside, "from copycat");
    let (s, b, _) = a.call("POST", "/api/v1/programs/copycat", None);
    assert_eq!(s, 409, "{b}");
    assert!(
        b.contains(&format!("port {outside} is already in use by")),
        "{b}"
    );

    // A UDP port too.
    let udp = free_port();
    let echo = format!("pipy()\n.listen({udp}, {{ protocol: 'udp' }})\n  .print()\n");
    for name in ["udp-one", "udp-two"] {
        a.call("POST", &format!("/api/v1/codebases/{name}"), Some("{}"));
        a.call(
            "PUT",
            &format!("/api/v1/codebases/{name}/files/main.js"),
            Some(&echo),
        );
    }
    assert_eq!(a.call("POST", "/api/v1/programs/udp-one", None).0, 201);
    let (s, b, _) = a.call("POST", "/api/v1/programs/udp-two", None);
    assert_eq!(s, 409, "{b}");
    assert!(
        b.contains(&format!(
            "port {udp} is already in use by the program 'udp-one'"
        )),
        "{b}"
    );
    assert_eq!(a.call("DELETE", "/api/v1/programs/udp-one", None).0, 204);
    assert_eq!(a.call("POST", "/api/v1/programs/udp-two", None).0, 201);
    assert_eq!(a.call("DELETE", "/api/v1/programs/udp-two", None).0, 204);

    // Once alpha stops, copycat may have alpha's port.
    a.save("copycat", pa, "from copycat");
    assert_eq!(a.call("DELETE", "/api/v1/programs/alpha", None).0, 204);
    let (s, b, _) = a.call("POST", "/api/v1/programs/copycat", None);
    assert_eq!(s, 201, "{b}");
    assert_eq!(get(pa), "from copycat");
}
