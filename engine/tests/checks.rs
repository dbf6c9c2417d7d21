//! Tutorial checks and services: `POST /api/v1/check` against a running program (HTTP and raw
//! TCP steps), service scripts beside the main one (command line and codebase), and local
//! folders as codebases.

mod common;

use std::process::Command;

use common::*;

/// Calls the admin API with curl: (status, body).
fn call(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-m", "30", "-X", method, "-w", "\n%{http_code}"])
        .args(["--data-binary", body])
        .arg(format!("http://127.0.0.1:{port}/api/v1{path}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (b, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap(), b.to_string())
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn admin(store: &Codebase) -> (Engine, u16) {
    let port = free_port();
    let mut c = Command::new(engine_bin());
    c.arg(format!("--admin-port={port}"))
        .arg(format!("--codebases={}", store.dir.join("store").display()));
    (Engine::spawn(c, &[port]), port)
}

#[test]
fn services_given_on_the_command_line_run_in_the_same_program() {
    let cb = Codebase::new("services-cli");
    let (front, back) = (free_port(), free_port());
    let main = cb.file(
        "main.js",
        &format!(
            "pipy().listen({front}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{back}')))"
        ),
    );
    let backend = cb.file(
        "backend.js",
        &format!("pipy().listen({back}).serveHTTP(new Message('from the backend\\n'))"),
    );
    let e = Engine::start_with(&main, &[front, back], &[backend.to_str().unwrap()]);
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{front}/")]),
        "from the backend\n"
    );
    drop(e);

    // A script from another folder is refused with a plain reason.
    let other = Codebase::new("services-other");
    let stray = other.file("x.js", "pipy()");
    let (code, _, err) = run_to_end(&[main.to_str().unwrap(), stray.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is outside the codebase folder"), "{err}");
}

#[test]
fn a_check_reports_each_step_with_the_actual_response() {
    let store = Codebase::new("check-api");
    let (_admin, ap) = admin(&store);
    let (front, back) = (free_port(), free_port());
    let (s, b) = call(ap, "POST", "/codebases/p", r#"{"template":"empty"}"#);
    assert_eq!(s, 201, "{b}");
    let main = format!(
        "pipy().listen({front}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{back}')))"
    );
    let backend = format!(
        "pipy().listen({back}).serveHTTP(req => new Message({{status: req.head.path === '/' ? 200 : 404, headers: {{'x-from': 'backend'}}}}, 'hello\\n'))"
    );
    assert_eq!(call(ap, "PUT", "/codebases/p/files/main.js", &main).0, 201);
    assert_eq!(
        call(ap, "PUT", "/codebases/p/files/backend.js", &backend).0,
        201
    );
    let (s, b) = call(
        ap,
        "PATCH",
        "/codebases/p",
        r#"{"services":["backend.js"]}"#,
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(json(&b)["services"], json(r#"["/backend.js"]"#));
    let (s, b) = call(ap, "POST", "/program", r#"{"codebase":"p"}"#);
    assert_eq!(s, 201, "{b}");

    let spec = format!(
        r#"{{"steps":[
        {{"name":"root","request":{{"port":{front},"path":"/"}},
          "expect":{{"status":200,"body":"hello\n","headers":{{"X-From":"backend"}}}}}},
        {{"name":"missing","request":{{"port":{front},"path":"/x"}},"expect":{{"status":200,"bodyContains":["bye"]}}}},
        {{"name":"metrics","request":{{"port":"admin","path":"/metrics"}},"expect":{{"bodyContains":"sluice_inbound_connections_total"}}}},
        {{"name":"closed port","request":{{"port":{dead}}},"expect":{{"status":200}}}}
    ]}}"#,
        dead = free_port()
    );
    let (s, b) = call(ap, "POST", "/check", &spec);
    assert_eq!(s, 200, "{b}");
    let r = json(&b);
    assert_eq!(
        (r["passed"].as_u64(), r["failed"].as_u64()),
        (Some(2), Some(2)),
        "{b}"
    );
    let res = r["results"].as_array().unwrap();
    assert_eq!(res[0]["pass"], true);
    assert_eq!(res[0]["actual"]["body"], "hello\n");
    assert_eq!(res[1]["actual"]["status"], 404);
    assert_eq!(
        res[1]["problems"],
        json(r#"["status was 404, expected 200", "body does not contain \"bye\""]"#)
    );
    assert_eq!(res[2]["pass"], true, "{b}");
    assert_eq!(res[3]["actual"], serde_json::Value::Null);
    assert!(
        res[3]["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot connect to port"),
        "{b}"
    );

    // A check that is not one is refused.
    let (s, b) = call(ap, "POST", "/check", r#"{"steps": 3}"#);
    assert_eq!((s, b.contains("steps")), (400, true), "{b}");
    let (s, _) = call(ap, "POST", "/check", r#"{"tutorial": "no-such"}"#);
    assert_eq!(s, 404);
}

#[test]
fn a_local_folder_becomes_a_codebase_and_is_only_unlinked_on_delete() {
    let store = Codebase::new("linked-store");
    let folder = Codebase::new("linked-folder");
    let port = free_port();
    folder.file(
        "proxy.js",
        &format!("pipy().listen({port}).serveHTTP(new Message('linked\\n'))"),
    );
    let (_admin, ap) = admin(&store);
    let body = format!(r#"{{"folder":"{}"}}"#, folder.dir.display());
    let (s, b) = call(ap, "POST", "/codebases/mine", &body);
    assert_eq!(s, 201, "{b}");
    assert_eq!(json(&b)["main"], "/proxy.js");
    let (s, b) = call(ap, "POST", "/program", r#"{"codebase":"mine"}"#);
    assert_eq!(s, 201, "{b}");
    assert_eq!(curl(&[&format!("http://127.0.0.1:{port}/")]), "linked\n");
    // Edits through the API land in the folder itself.
    assert_eq!(
        call(ap, "PUT", "/codebases/mine/files/notes.txt", "hi").0,
        201
    );
    assert!(folder.dir.join("notes.txt").is_file());
    assert_eq!(call(ap, "DELETE", "/codebases/mine", "").0, 204);
    assert!(folder.dir.join("proxy.js").is_file());
    let (s, _) = call(
        ap,
        "POST",
        "/codebases/rel",
        r#"{"folder":"relative/path"}"#,
    );
    assert_eq!(s, 400);
}

#[test]
fn raw_steps_send_bytes_and_compare_the_bytes_read_back() {
    let store = Codebase::new("check-raw");
    let (engine, ap) = admin(&store);
    let (echo, closer) = (free_port(), free_port());
    let (s, b) = call(ap, "POST", "/codebases/r", r#"{"template":"empty"}"#);
    assert_eq!(s, 201, "{b}");
    // A RESP server that answers each command with the command itself, and a port that writes
    // a greeting and closes.
    let main = format!(
        "pipy().listen({echo}).decodeRESP()\
           .replaceMessage(msg => [new MessageStart, new MessageEnd(null, msg.payload)]).encodeRESP()\
         .listen({closer}).replaceStreamStart(() => [new Data('bye\\n'), new StreamEnd])"
    );
    assert_eq!(call(ap, "PUT", "/codebases/r/files/main.js", &main).0, 201);
    let (s, b) = call(ap, "POST", "/program", r#"{"codebase":"r"}"#);
    assert_eq!(s, 201, "{b}");
    engine.wait_port(echo);
    engine.wait_port(closer);

    // "*1\r\n$4\r\nPING\r\n" in base64.
    let spec = format!(
        r#"{{"steps":[
        {{"name":"exact","request":{{"port":{echo},"send":"*1\r\n$4\r\nPING\r\n","quietMs":5000}},
          "expect":{{"body":"*1\r\n$4\r\nPING\r\n"}}}},
        {{"name":"base64","request":{{"port":{echo},"sendBase64":"KjENCiQ0DQpQSU5HDQo=","quietMs":5000}},
          "expect":{{"bodyContains":["PING"]}}}},
        {{"name":"regex","request":{{"port":{echo},"send":"*1\r\n$1\r\nx\r\n","quietMs":200}},
          "expect":{{"body":{{"regex":"^\\*1\r\n"}}}}}},
        {{"name":"closed","request":{{"port":{closer},"send":"hi\n","quietMs":5000}},
          "expect":{{"body":"bye\n"}}}},
        {{"name":"wrong","request":{{"port":{echo},"send":"*1\r\n$4\r\nPING\r\n"}},
          "expect":{{"bodyContains":"+PONG"}}}}
    ]}}"#
    );
    let (s, b) = call(ap, "POST", "/check", &spec);
    assert_eq!(s, 200, "{b}");
    let r = json(&b);
    let res = r["results"].as_array().unwrap();
    let ms = |i: usize| res[i]["ms"].as_u64().unwrap();
    assert_eq!(
        (r["passed"].as_u64(), r["failed"].as_u64()),
        (Some(4), Some(1)),
        "{b}"
    );
    // Whole answers end the read: no waiting for the 5 s of quiet.
    assert_eq!(
        res[0]["actual"],
        json(r#"{"body": "*1\r\n$4\r\nPING\r\n"}"#)
    );
    assert!(ms(0) < 2000 && ms(1) < 2000, "{b}");
    // A regex cannot tell when the answer is whole: the quiet time ends it.
    assert!(ms(2) >= 200 && ms(2) < 2000, "{b}");
    // The peer closing ends it too.
    assert_eq!(res[3]["actual"]["body"], "bye\n", "{b}");
    assert!(ms(3) < 2000, "{b}");
    assert_eq!(
        res[4]["problems"],
        json(r#"["body does not contain \"+PONG\""]"#),
        "{b}"
    );
    assert_eq!(
        res[4]["actual"],
        json(r#"{"body": "*1\r\n$4\r\nPING\r\n"}"#)
    );

    // A raw step cannot expect a status: the check is refused, naming the step, before it runs.
    let bad = format!(
        r#"{{"steps":[{{"name":"ping","request":{{"port":{echo},"send":"x"}},"expect":{{"status":200}}}}]}}"#
    );
    let (s, b) = call(ap, "POST", "/check", &bad);
    assert_eq!(s, 400, "{b}");
    assert!(
        b.contains(r#"ping: a raw step (\"send\") gets bytes back, with no status or headers"#),
        "{b}"
    );
}
