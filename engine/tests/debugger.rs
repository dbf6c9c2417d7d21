//! The pipeline debugger (`/api/v1/debug`): a traced request paused at a breakpoint on
//! `muxHTTP` waits alone while other connections flow, shows its context, steps to the next
//! filter, takes an edited header to the backend, goes on when told or when the debug timeout
//! passes, and a program stopped with a stream paused stops cleanly.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

struct Admin {
    e: Engine,
    base: String,
    _dir: Codebase,
    proxy: u16,
    mux_line: usize,
}

/// A proxy (demuxHTTP → muxHTTP → connect) with context variables, and a backend that
/// tells which `x-edit` header it saw, as codebase `dbg` run through the admin API.
fn start() -> Admin {
    let dir = Codebase::new("debugger");
    let (admin, proxy, backend) = (free_port(), free_port(), free_port());
    let mut child = Command::new(engine_bin());
    child.args([
        format!("--admin-port={admin}"),
        format!("--codebases={}", dir.dir.join("store").display()),
    ]);
    let e = Engine::spawn(child, &[admin]);
    let main = format!(
        "pipy({{ _who: 'nobody', _count: 0 }})\n\
         \n\
         .listen({proxy})\n\
         .demuxHTTP().to($=>$\n\
         \x20 .handleMessageStart(msg => (_who = msg.head.headers['x-who'] || 'anon', _count++))\n\
         \x20 .muxHTTP().to($=>$\n\
         \x20   .connect('127.0.0.1:{backend}')\n\
         \x20 )\n\
         )\n\
         \n\
         .listen({backend})\n\
         .serveHTTP(msg => new Message('saw ' + (msg.head.headers['x-edit'] || '-') + '\\n'))\n"
    );
    let mux_line = main.lines().position(|l| l.contains(".muxHTTP()")).unwrap() + 1;
    let a = Admin {
        e,
        base: format!("http://127.0.0.1:{admin}"),
        _dir: dir,
        proxy,
        mux_line,
    };
    assert_eq!(a.call("POST", "/api/v1/codebases/dbg", Some("{}")).0, 201);
    a.call("PUT", "/api/v1/codebases/dbg/files/main.js", Some(&main));
    let (s, b) = a.call("POST", "/api/v1/programs/dbg", None);
    assert_eq!(s, 201, "{b}");
    a.e.wait_port(proxy);
    a.e.wait_port(backend);
    a
}

impl Admin {
    fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let mut c = Command::new("curl");
        c.args(["-s", "-m", "20", "-X", method, "-w", "\n%{http_code}"]);
        if let Some(b) = body {
            c.args(["--data-binary", b]);
        }
        c.arg(format!("{}{}", self.base, path));
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse().unwrap(), body.to_string())
    }

    fn json(&self, method: &str, path: &str, body: Value) -> Value {
        let (s, b) = self.call(method, path, Some(&body.to_string()));
        assert!((200..300).contains(&s), "{method} {path}: {s} {b}");
        serde_json::from_str(&b).unwrap_or(Value::Null)
    }

    /// Turns debugging on with `timeout` seconds and a breakpoint on the muxHTTP line.
    fn break_at_mux(&self, timeout: f64) -> Value {
        self.json(
            "POST",
            "/api/v1/debug/programs/dbg",
            json!({ "timeout": timeout }),
        );
        self.json(
            "POST",
            "/api/v1/debug/programs/dbg/breakpoints",
            json!({ "file": "/main.js", "line": self.mux_line }),
        )
    }

    /// Waits for a paused stream other than `not`, and returns its detail.
    fn wait_paused(&self, not: Option<u64>) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let (_, b) = self.call("GET", "/api/v1/debug/paused", None);
            let list: Value = serde_json::from_str(&b).unwrap_or(Value::Null);
            if let Some(p) = list
                .as_array()
                .and_then(|l| l.iter().find(|p| p["id"].as_u64() != not))
            {
                let id = p["id"].as_u64().unwrap();
                return self.json("GET", &format!("/api/v1/debug/paused/{id}"), Value::Null);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no stream paused; log:\n{}", self.e.log());
    }

    fn command(&self, id: u64, body: Value) -> Value {
        self.json("POST", &format!("/api/v1/debug/paused/{id}"), body)
    }

    fn paused_count(&self) -> usize {
        let (_, b) = self.call("GET", "/api/v1/debug/paused", None);
        serde_json::from_str::<Value>(&b)
            .ok()
            .and_then(|v| v.as_array().map(|a| a.len()))
            .unwrap_or(0)
    }
}

/// One HTTP/1.1 request on a new connection: (response, seconds it took).
fn request(port: u16, headers: &str) -> (String, f64) {
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let req = format!("GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n{headers}\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed().as_secs_f64(),
    )
}

/// A traced request (the inspector's header) sent from another thread.
fn traced(port: u16, who: &str) -> JoinHandle<(String, f64)> {
    let h = format!("x-sluice-trace: 1\r\nx-who: {who}\r\n");
    std::thread::spawn(move || request(port, &h))
}

#[test]
fn a_paused_request_shows_its_context_waits_alone_and_takes_an_edited_header_on_continue() {
    let a = start();
    let bp = a.break_at_mux(60.0);
    assert_eq!(bp["filter"], "muxHTTP", "{bp}");
    let first = traced(a.proxy, "alice");
    let p = a.wait_paused(None);
    assert_eq!(p["filter"], "muxHTTP", "{p}");
    assert_eq!(p["event"], "MessageStart", "{p}");
    assert_eq!(p["reason"], "breakpoint", "{p}");
    assert_eq!(p["head"]["path"], "/hello", "{p}");
    assert_eq!(p["line"].as_u64(), Some(a.mux_line as u64), "{p}");
    let var = |name: &str| {
        p["vars"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .map(|v| v["value"].as_str().unwrap().to_string())
    };
    assert_eq!(var("_who").as_deref(), Some("\"alice\""), "{p}");
    assert_eq!(var("_count").as_deref(), Some("1"), "{p}");
    assert_eq!(
        p["path"][0]["pipeline"], p["pipeline"],
        "the path of pipelines: {p}"
    );
    let id = p["id"].as_u64().unwrap();

    // While it waits, other connections are served at full speed.
    for _ in 0..5 {
        let (res, secs) = request(a.proxy, "x-who: bob\r\n");
        assert!(res.ends_with("saw -\n"), "{res}");
        assert!(
            secs < 0.2,
            "a request took {secs:.3} s while another was paused"
        );
    }
    assert!(!first.is_finished(), "the paused request was answered");

    // Watch expressions see the stream's context and the event.
    let w = a.command(
        id,
        json!({ "command": "eval", "exprs": ["_who + '!'", "msg.head.path", "nope.x"] }),
    );
    assert_eq!(w["results"][0]["value"], "\"alice!\"", "{w}");
    assert_eq!(w["results"][1]["value"], "\"/hello\"", "{w}");
    assert!(w["results"][2]["error"].as_str().is_some(), "{w}");

    // Edits: a context variable and a header of the paused MessageStart.
    let d = a.command(
        id,
        json!({ "command": "edit", "var": "_who", "value": "'carol'" }),
    );
    assert!(d["vars"].to_string().contains("carol"), "{d}");
    let d = a.command(
        id,
        json!({ "command": "edit", "header": "X-Edit", "value": "edited" }),
    );
    assert_eq!(d["head"]["headers"]["x-edit"], "edited", "{d}");

    std::thread::sleep(Duration::from_millis(300));
    a.command(id, json!({ "command": "continue" }));
    let (res, secs) = first.join().unwrap();
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(res.ends_with("saw edited\n"), "{res}");
    assert!(secs >= 0.3, "the paused request was not held ({secs:.3} s)");
    assert_eq!(a.paused_count(), 0);
}

#[test]
fn step_moves_to_the_next_filter_and_continue_finishes_the_request() {
    let a = start();
    a.break_at_mux(60.0);
    let req = traced(a.proxy, "dave");
    let p = a.wait_paused(None);
    assert_eq!(p["filter"], "muxHTTP", "{p}");
    let id = p["id"].as_u64().unwrap();
    a.command(id, json!({ "command": "step" }));
    let q = a.wait_paused(Some(id));
    assert_ne!(q["filter"], "muxHTTP", "step stayed at muxHTTP: {q}");
    assert_eq!(q["filter"], "connect", "{q}");
    assert_eq!(q["reason"], "step", "{q}");
    assert_eq!(q["event"], "Data", "{q}");
    assert!(
        q["body"]
            .as_str()
            .unwrap()
            .starts_with("GET /hello HTTP/1.1"),
        "{q}"
    );
    assert_ne!(q["pipeline"], p["pipeline"], "{q}");
    a.command(q["id"].as_u64().unwrap(), json!({ "command": "continue" }));
    let (res, _) = req.join().unwrap();
    assert!(res.ends_with("saw -\n"), "{res}");
    assert_eq!(a.paused_count(), 0);
}

#[test]
fn the_debug_timeout_lets_a_forgotten_pause_go_on() {
    let a = start();
    a.break_at_mux(1.0);
    let req = traced(a.proxy, "erin");
    a.wait_paused(None);
    let (res, secs) = req.join().unwrap();
    assert!(res.ends_with("saw -\n"), "{res}");
    assert!((0.9..5.0).contains(&secs), "released after {secs:.3} s");
    assert_eq!(a.paused_count(), 0);
    a.e.wait_log("(the debug timeout)", 5);
}

#[test]
fn drop_ends_the_paused_stream() {
    let a = start();
    a.break_at_mux(60.0);
    let req = traced(a.proxy, "frank");
    let p = a.wait_paused(None);
    a.command(p["id"].as_u64().unwrap(), json!({ "command": "drop" }));
    let (res, secs) = req.join().unwrap();
    assert!(
        !res.contains("saw "),
        "the backend answered a dropped request: {res}"
    );
    assert!(secs < 5.0, "{secs}");
    assert_eq!(a.paused_count(), 0);
}

#[test]
fn stopping_the_program_with_a_stream_paused_stops_cleanly() {
    let mut a = start();
    a.break_at_mux(60.0);
    let req = traced(a.proxy, "gina");
    a.wait_paused(None);
    let started = Instant::now();
    let (s, b) = a.call("DELETE", "/api/v1/programs/dbg", None);
    assert_eq!(s, 204, "{b}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let (_, secs) = req.join().unwrap();
    assert!(secs < 10.0);
    assert_eq!(a.paused_count(), 0);
    // Debugging went off with the program, and the engine still answers.
    assert_eq!(a.call("GET", "/api/v1/debug/programs/dbg", None).0, 404);
    assert_eq!(a.call("GET", "/api/v1/programs", None).0, 200);
    assert!(a.e.try_wait().is_none(), "the engine exited");
    // Debugging needs a running program.
    assert_eq!(
        a.call("POST", "/api/v1/debug/programs/dbg", Some("{}")).0,
        404
    );
}

#[test]
fn a_request_that_is_not_traced_never_pauses() {
    let a = start();
    a.break_at_mux(60.0);
    let (res, secs) = request(a.proxy, "x-who: hal\r\n");
    assert!(res.ends_with("saw -\n"), "{res}");
    assert!(secs < 0.5);
    assert_eq!(a.paused_count(), 0);
}

#[test]
fn step_over_runs_the_joint_filters_sub_pipeline_and_pauses_at_its_output() {
    let a = start();
    a.break_at_mux(60.0);
    let req = traced(a.proxy, "ivy");
    let p = a.wait_paused(None);
    let id = p["id"].as_u64().unwrap();
    a.command(id, json!({ "command": "over" }));
    let q = a.wait_paused(Some(id));
    // The connection's pipeline ran unpaused; the response stops past muxHTTP.
    assert_eq!(q["pipeline"], p["pipeline"], "{q}");
    assert_eq!(q["filter"], "output", "{q}");
    assert_eq!(q["event"], "MessageStart", "{q}");
    assert_eq!(q["head"]["status"], 200, "{q}");
    a.command(q["id"].as_u64().unwrap(), json!({ "command": "continue" }));
    let (res, _) = req.join().unwrap();
    assert!(res.ends_with("saw -\n"), "{res}");
}
