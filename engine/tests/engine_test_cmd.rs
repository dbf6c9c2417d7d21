//! `engine test [CODEBASE]`: the real command on small codebases, with passing and failing
//! cases, mock upstreams, JUnit XML, and tutorial codebases moved to free ports.

mod common;

use common::*;

/// Runs `engine test` with `args`: (exit code, stdout, stderr).
fn engine_test(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["test"];
    all.extend_from_slice(args);
    run_to_end(&all, &[])
}

/// `text` with each of the fixed ports `from` replaced by the port beside it.
fn move_ports(text: &str, ports: &[(u16, u16)]) -> String {
    let mut out = text.to_string();
    for (i, (from, _)) in ports.iter().enumerate() {
        out = out.replace(&from.to_string(), &format!("@port{i}@"));
    }
    for (i, (_, to)) in ports.iter().enumerate() {
        out = out.replace(&format!("@port{i}@"), &to.to_string());
    }
    out
}

/// A proxy on `front` in front of a JSON backend service on `back`.
fn proxy_codebase(name: &str, front: u16, back: u16) -> Codebase {
    let cb = Codebase::new(name);
    cb.file(
        "main.js",
        &format!(
            "pipy().listen({front}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{back}')))"
        ),
    );
    cb.file(
        "backend.js",
        &format!(
            r#"pipy().listen({back}).serveHTTP(req => new Message(
  {{ status: 200, headers: {{ 'content-type': 'application/json', 'x-id': 'b-1234' }} }},
  JSON.stringify({{ path: req.head.path, items: [1, 2], ok: true }})))"#
        ),
    );
    cb
}

#[test]
fn passing_and_failing_cases_print_a_line_each_and_set_the_exit_code() {
    let (front, back) = (free_port(), free_port());
    let cb = proxy_codebase("etest-cases", front, back);
    let dir = cb.dir.to_str().unwrap();
    cb.file(
        "check.json",
        &format!(
            r#"{{"services": ["/backend.js"], "steps": [
  {{"name": "exact status and a header by regex",
    "request": {{"port": {front}, "path": "/a"}},
    "expect": {{"status": 200, "headers": {{"X-Id": {{"regex": "^b-[0-9]+$"}}, "x-missing": null}}}}}},
  {{"name": "the body as a JSON subset",
    "request": {{"port": {front}, "path": "/b?q=1"}},
    "expect": {{"body": {{"json": {{"path": "/b?q=1", "items": [1, 2]}}}}}}}},
  {{"name": "the admin port is there for metrics",
    "request": {{"port": "admin", "path": "/metrics"}},
    "expect": {{"status": 200, "bodyContains": "sluice_inbound_connections_total"}}}}
]}}"#
        ),
    );
    cb.file(
        "tests/wrong.json",
        &format!(
            r#"{{"services": ["/backend.js"], "steps": [
  {{"name": "a wrong status and a regex that does not match",
    "request": {{"port": {front}, "path": "/c"}},
    "expect": {{"status": 201, "headers": {{"x-id": {{"regex": "^z"}}}}}}}},
  {{"name": "a JSON subset that differs",
    "request": {{"port": {front}, "path": "/d"}},
    "expect": {{"body": {{"json": {{"items": [1, 3]}}}}}}}},
  {{"name": "still fine", "request": {{"port": {front}, "path": "/e"}}, "expect": {{"status": 200}}}}
]}}"#
        ),
    );
    let junit = cb.dir.join("report.xml");
    let (code, out, err) = engine_test(&[dir, "--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    let check = format!("== {dir}/check.json");
    assert_eq!(lines[0], check, "{out}");
    assert_eq!(lines[1], "ok   exact status and a header by regex", "{out}");
    assert_eq!(lines[2], "ok   the body as a JSON subset", "{out}");
    assert_eq!(
        lines[3], "ok   the admin port is there for metrics",
        "{out}"
    );
    assert_eq!(lines[4], format!("== {dir}/tests/wrong.json"), "{out}");
    assert_eq!(
        lines[5],
        "FAIL a wrong status and a regex that does not match: status was 200, expected 201; \
         header x-id was \"b-1234\", expected to match /^z/",
        "{out}"
    );
    assert!(lines[6].starts_with("       request  {"), "{out}");
    assert_eq!(
        lines[7], r#"       expected {"headers":{"x-id":{"regex":"^z"}},"status":201}"#,
        "{out}"
    );
    assert!(
        lines[8].starts_with(r#"       actual   {"body":"{\"path\":\"/c\""#),
        "{out}"
    );
    assert_eq!(
        lines[9], "FAIL a JSON subset that differs: body: $.items[1] was 2, expected 3",
        "{out}"
    );
    assert_eq!(lines[13], "ok   still fine", "{out}");
    assert_eq!(lines.last(), Some(&"4 passed, 2 failed"), "{out}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testsuites name="engine test" tests="6" failures="2">"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<failure message="body: $.items[1] was 2, expected 3">"#),
        "{xml}"
    );

    // Only the file named: every case passes, exit code 0.
    let check_file = cb.dir.join("check.json");
    let (code, out, _) = engine_test(&[dir, check_file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().last(), Some("3 passed, 0 failed"), "{out}");

    // --json: the same results for a machine.
    let (code, out, _) = engine_test(&[dir, check_file.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(v["files"][0]["results"]["results"][1]["pass"], true);
}

#[test]
fn a_program_that_does_not_start_and_a_codebase_without_tests_fail() {
    let cb = Codebase::new("etest-broken");
    let dir = cb.dir.to_str().unwrap();
    let (code, _, err) = engine_test(&[dir]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no tests in") && err.contains("add a check.json or tests/*.json"),
        "{err}"
    );

    let port = free_port();
    cb.file("main.js", &format!("pipy().listen({port}).serveHTTP(("));
    cb.file(
        "check.json",
        &format!(r#"{{"steps": [{{"name": "x", "request": {{"port": {port}}}}}]}}"#),
    );
    let (code, out, _) = engine_test(&[dir]);
    assert_eq!(code, 1, "{out}");
    let fail = out.lines().nth(1).unwrap_or_default();
    assert!(
        fail.starts_with(&format!(
            "FAIL {dir}/check.json: the program does not start:"
        )),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("0 passed, 1 failed"), "{out}");
}

#[test]
fn mock_upstreams_check_tutorial_05s_round_robin() {
    // Tutorial 05 as shipped, moved from its fixed ports to free ones.
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tutorial/05-load-balancing");
    let ports: Vec<(u16, u16)> = [8000, 8080, 8081, 8082]
        .into_iter()
        .map(|p| (p, free_port()))
        .collect();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let cb = Codebase::new("etest-rr");
    cb.file("main.js", &move_ports(&read("main.js"), &ports));
    let test = cb.file(
        "tests/round-robin.json",
        &move_ports(&read("tests/round-robin.json"), &ports),
    );
    cb.file("backend.js", &move_ports(&read("backend.js"), &ports));
    cb.file("check.json", &move_ports(&read("check.json"), &ports));
    // check.json (with the tutorial's backend.js), then tests/round-robin.json (with mocks
    // instead), as `engine test tutorial/05-load-balancing` runs them.
    let dir = cb.dir.to_str().unwrap();
    let (code, out, err) = engine_test(&[dir]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, alone, err) = engine_test(&[dir, test.to_str().unwrap()]);
    assert_eq!(code, 0, "the mock test on its own:\n{alone}\n{err}");
    assert!(
        out.contains(&format!(
            "== {dir}/tests/round-robin.json\nok   1st connection to /hi is forwarded to {}",
            ports[1].1
        )),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("12 passed, 0 failed"), "{out}");

    // A proxy that forwards every /hi to the same target fails, saying where each went.
    let broken = move_ports(&read("main.js"), &ports).replace(
        &format!("'127.0.0.1:{}']", ports[3].1),
        &format!("'127.0.0.1:{}']", ports[1].1),
    );
    cb.file("main.js", &broken);
    let (code, out, _) = engine_test(&[dir, test.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let (hi, ip) = (ports[1].1, ports[3].1);
    assert!(
        out.contains(&format!(
            "FAIL 2nd connection to /hi is forwarded to {ip}: body was \"from {hi}\\n\", \
             expected \"from {ip}\\n\"; mock hi received 1 request(s), expected 0 (GET /hi); \
             mock ip received 0 request(s), expected 1"
        )),
        "{out}"
    );
    assert!(
        out.contains(r#"       forwarded {"echo":[],"hi":[{"body":"""#),
        "{out}"
    );
}

#[test]
fn certificates_a_test_asks_for_are_made_in_a_copy_of_the_codebase() {
    // Tutorial 11 (TLS) as shipped, moved to free ports, against its own check.json.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tutorial/11-tls");
    let ports: Vec<(u16, u16)> = [8000, 8443, 8080, 8081, 8082]
        .into_iter()
        .map(|p| (p, free_port()))
        .collect();
    let read = |p: &str| move_ports(&std::fs::read_to_string(root.join(p)).unwrap(), &ports);
    let cb = Codebase::new("etest-tls");
    for f in ["main.js", "backend.js", "check.json"] {
        cb.file(f, &read(f));
    }
    let dir = cb.dir.to_str().unwrap();
    let (code, out, err) = engine_test(&[dir]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("ok   https: /tls tells the TLS version"),
        "{out}"
    );
    assert!(
        !cb.dir.join("cert.pem").exists(),
        "the codebase stays as it was"
    );
}

#[test]
fn raw_steps_check_tutorial_16s_redis_proxy() {
    // Tutorial 16 (a Redis proxy) as shipped, moved to free ports: its check.json speaks RESP
    // over plain TCP. Then with the quota raised, the burst's step fails and shows the bytes.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tutorial/16-redis-proxy");
    let ports: Vec<(u16, u16)> = [8000, 8080].into_iter().map(|p| (p, free_port())).collect();
    let read = |p: &str| move_ports(&std::fs::read_to_string(root.join(p)).unwrap(), &ports);
    let cb = Codebase::new("etest-redis");
    for f in ["main.js", "backend.js", "check.json"] {
        cb.file(f, &read(f));
    }
    let dir = cb.dir.to_str().unwrap();
    let (code, out, err) = engine_test(&[dir]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("ok   PING answers +PONG"), "{out}");
    assert!(out.contains("6 passed, 0 failed"), "{out}");

    cb.file(
        "main.js",
        &read("main.js").replace("new algo.Quota(5, ", "new algo.Quota(50, "),
    );
    let (code, out, err) = engine_test(&[dir]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("FAIL a burst of 8 commands"), "{out}");
    assert!(
        out.contains(r#"actual   {"body":"+OK\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n"}"#),
        "{out}"
    );
    assert!(out.contains("3 passed, 3 failed"), "{out}");
}

#[test]
fn files_reuse_mock_ports_and_a_wait_checks_what_arrived_later() {
    let (front, app, collector) = (free_port(), free_port(), free_port());
    let cb = Codebase::new("etest-later");
    // Every request is proxied to `app`, and a log line for it is shipped to `collector`
    // (batched, about a second later).
    cb.file(
        "main.js",
        &format!(
            "var log = new logging.TextLogger('t').toHTTP('http://127.0.0.1:{collector}/logs')\n\
             pipy.listen({front}, $=>$.demuxHTTP().to($=>$\n\
               .handleMessageStart(msg => log.log('saw', msg.head.path))\n\
               .muxHTTP().to($=>$.connect('127.0.0.1:{app}'))))\n"
        ),
    );
    let mocks = format!(
        r#"[{{"name": "app", "port": {app}, "body": "app"}}, {{"name": "logs", "port": {collector}}}]"#
    );
    for (file, want) in [("a", "saw /a"), ("b", "saw /nothing")] {
        cb.file(
            &format!("tests/{file}.json"),
            &format!(
                r#"{{"mocks": {mocks}, "steps": [
  {{"name": "{file}: proxied", "request": {{"port": {front}, "path": "/a"}},
    "expect": {{"body": "app", "forwarded": {{"logs": {{"count": 0}}}}}}}},
  {{"name": "{file}: logged", "wait": 1600,
    "expect": {{"forwarded": {{"logs": {{"path": "/logs", "body": {{"regex": "^{want}\\s*$"}}}}}}}}}}
]}}"#
            ),
        );
    }
    let (code, out, err) = engine_test(&[cb.dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}\n{err}");
    // The second file declares the same mock ports as the first: they were free again.
    assert!(out.contains("ok   a: proxied\nok   a: logged\n"), "{out}");
    assert!(out.contains("ok   b: proxied\n"), "{out}");
    assert!(
        out.contains(
            "FAIL b: logged: mock logs: body was \"saw /a\\n\", expected to match /^saw /nothing\\s*$/"
        ),
        "{out}"
    );
    assert!(out.ends_with("3 passed, 1 failed\n"), "{out}");
}

#[test]
fn advance_steps_move_the_programs_clock_so_a_rate_limit_runs_in_simulated_time() {
    let (front, app) = (free_port(), free_port());
    let cb = Codebase::new("etest-clock");
    // One request per two minutes; each answer says how long the throttle held it, by the
    // script's clock.
    cb.file(
        "main.js",
        &format!(
            "var quota = new algo.Quota(1, {{ per: '120s' }})\n\
             var $arrived, $took\n\
             pipy.listen({front}, $=>$.demuxHTTP().to($=>$\n\
               .handleMessageStart(() => {{ $arrived = Date.now() }})\n\
               .throttleMessageRate(quota)\n\
               .handleMessageStart(() => {{ $took = Math.round((Date.now() - $arrived) / 1000) }})\n\
               .muxHTTP().to($=>$.connect('127.0.0.1:{app}'))\n\
               .handleMessageStart(res => {{ res.head.headers['x-took'] = String($took) }})))\n"
        ),
    );
    let step = |name: &str, advance: &str, took: &str, count: u32| {
        format!(
            r#"{{"name": "{name}", "request": {{"port": {front}, "path": "/{name}"}}{advance},
    "expect": {{"headers": {{"x-took": "{took}"}}, "forwarded": {{"app": {{"count": {count}, "path": "/{name}"}}}}}}}}"#
        )
    };
    cb.file(
        "check.json",
        &format!(
            r#"{{"mocks": [{{"name": "app", "port": {app}, "body": "app"}}], "steps": [
  {},
  {},
  {{"name": "a minute on, the held one was the last forwarded", "advance": "60s", "expect": {{"forwarded": {{"app": {{"path": "/held"}}}}}}}},
  {},
  {}
]}}"#,
            step("first", "", "0", 1),
            step("held", r#", "advance": "120s""#, "120", 1),
            // The quota refills every two minutes from the start: at 3 minutes, one more
            // waits one minute. After it, an advance too short leaves the next unanswered.
            step("again", r#", "advance": "2m""#, "60", 1),
            step("too-soon", r#", "advance": "1s""#, "0", 1),
        ),
    );
    let began = std::time::Instant::now();
    let (code, out, err) = engine_test(&[cb.dir.to_str().unwrap()]);
    let wall = began.elapsed();
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("ok   first\nok   held\n"), "{out}");
    assert!(
        out.contains("ok   a minute on, the held one was the last forwarded\n"),
        "{out}"
    );
    assert!(out.contains("ok   again\n"), "{out}");
    assert!(
        out.contains("FAIL too-soon: no complete answer within 10s"),
        "{out}"
    );
    assert!(out.ends_with("4 passed, 1 failed\n"), "{out}");
    // Five simulated minutes passed; the last step waits out its 10 real seconds.
    assert!(wall.as_secs() < 60, "took {wall:?}");
}
