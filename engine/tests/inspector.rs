//! The event inspector: tracing a request through the seed article's proxy.

mod common;

use common::*;

/// The article's proxy (proxy.js and its plugins), on free ports.
fn seed_proxy(cb: &Codebase, listen: u16, hi: u16) {
    cb.file("config/proxy.json", &format!(r#"{{ "listen": {listen}, "plugins": ["plugins/router.js", "plugins/balancer.js", "plugins/default.js"] }}"#));
    cb.file(
        "config/router.json",
        r#"{ "routes": { "/hi/*": "service-hi" } }"#,
    );
    cb.file(
        "config/balancer.json",
        &format!(r#"{{ "services": {{ "service-hi": ["127.0.0.1:{hi}"] }} }}"#),
    );
    cb.file("plugins/default.js", "pipy()\n\n.pipeline('request')\n  .replaceMessage(\n    new Message({ status: 404 }, 'No handler found')\n  )\n");
    cb.file(
        "plugins/router.js",
        "(config =>\n\npipy({\n  _router: new algo.URLRouter(config.routes),\n})\n\n.export('router', {\n  __serviceID: '',\n})\n\n.pipeline('request')\n  .handleMessageStart(\n    msg => (\n      __serviceID = _router.find(\n        msg.head.headers.host,\n        msg.head.path,\n      )\n    )\n  )\n\n)(JSON.decode(pipy.load('config/router.json')))\n",
    );
    cb.file(
        "plugins/balancer.js",
        "(config =>\n\npipy({\n  _services: (\n    Object.fromEntries(\n      Object.entries(config.services).map(\n        ([k, v]) => [\n          k, new algo.RoundRobinLoadBalancer(v)\n        ]\n      )\n    )\n  ),\n\n  _balancer: null,\n  _balancerCache: null,\n  _target: '',\n})\n\n.import({\n  __turnDown: 'proxy',\n  __serviceID: 'router',\n})\n\n.pipeline('session')\n  .handleStreamStart(\n    () => (\n      _balancerCache = new algo.Cache(\n        (k  ) => k.select(),\n        (k,v) => k.deselect(v),\n      )\n    )\n  )\n  .handleStreamEnd(\n    () => (\n      _balancerCache.clear()\n    )\n  )\n\n.pipeline('request')\n  .handleMessageStart(\n    () => (\n      _balancer = _services[__serviceID],\n      _balancer && (_target = _balancerCache.get(_balancer)),\n      _target && (__turnDown = true)\n    )\n  )\n  .link(\n    'forward', () => Boolean(_target),\n    ''\n  )\n\n.pipeline('forward')\n  .muxHTTP(\n    'connection',\n    () => _target\n  )\n\n.pipeline('connection')\n  .connect(\n    () => _target\n  )\n\n)(JSON.decode(pipy.load('config/balancer.json')))\n",
    );
    cb.file(
        "proxy.js",
        "(config =>\n\npipy()\n\n.export('proxy', {\n  __turnDown: false,\n})\n\n.listen(config.listen)\n  .use(config.plugins, 'session')\n  .demuxHTTP('request')\n\n.pipeline('request')\n  .use(\n    config.plugins,\n    'request',\n    'response',\n    () => __turnDown\n  )\n\n)(JSON.decode(pipy.load('config/proxy.json')))\n",
    );
    cb.file(
        "hi.js",
        &format!("pipy()\n.listen({hi})\n  .serveHTTP(new Message('Hi, there!\\n'))\n"),
    );
}

fn api(admin: u16, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
    let mut args = vec!["-X", method];
    let url = format!("http://127.0.0.1:{admin}{path}");
    if let Some(b) = body {
        args.extend(["-d", b]);
    }
    args.push(&url);
    let out = curl(&args);
    serde_json::from_str(&out).unwrap_or(serde_json::Value::Null)
}

#[test]
fn a_traced_request_through_the_seed_proxy_shows_every_filter_in_order() {
    let cb = Codebase::new("inspect");
    let (listen, hi, admin) = (free_port(), free_port(), free_port());
    seed_proxy(&cb, listen, hi);
    let _backend = Engine::start(&cb.dir.join("hi.js"), &[hi]);
    let e = Engine::start_with(
        &cb.dir.join("proxy.js"),
        &[listen],
        &[&format!("--admin-port={admin}")],
    );
    e.wait_port(admin);

    // Off by default: a plain request leaves no trace.
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{listen}/hi/x")]),
        "Hi, there!\n"
    );
    let st = api(admin, "GET", "/api/v1/trace", None);
    assert_eq!(st["enabled"], false);
    assert_eq!(st["traces"].as_array().unwrap().len(), 0, "{st}");

    // The request runner asks for a trace and gets its id back.
    let r = api(
        admin,
        "POST",
        "/api/v1/request",
        Some(&format!(r#"{{"port": {listen}, "path": "/hi/there"}}"#)),
    );
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["body"], "Hi, there!\n");
    let id = r["trace"].as_u64().expect("a trace id");
    let t = api(admin, "GET", &format!("/api/v1/trace/{id}"), None);
    let records = t["records"].as_array().unwrap();
    let filters: Vec<String> = records
        .iter()
        .filter(|r| r["event"] == "MessageStart")
        .map(|r| r["filter"].as_str().unwrap().to_string())
        .collect();
    let expect = [
        "demuxHTTP",
        "handleMessageStart",
        "handleMessageStart",
        "link",
        "muxHTTP",
    ];
    let mut at = 0;
    for f in &filters {
        if at < expect.len() && f == expect[at] {
            at += 1;
        }
    }
    assert_eq!(at, expect.len(), "request filters in order: {filters:?}");
    // ...and back: the response leaves muxHTTP's pipeline and demuxHTTP encodes it.
    let last = records
        .iter()
        .rev()
        .find(|r| r["event"] == "MessageStart")
        .unwrap();
    assert_eq!(last["filter"], "demuxHTTP");
    assert!(
        last["detail"].as_str().unwrap().starts_with("HTTP/1.1 200"),
        "{last}"
    );
    assert!(
        records
            .iter()
            .any(|r| r["filter"] == "connect" && r["event"] == "Data"),
        "connect carries the request: {t}"
    );
    assert!(
        records
            .iter()
            .any(|r| r["filter"] == "connect (response)" && r["event"] == "Data"),
        "and the response: {t}"
    );

    // A second traced request over the same upstream connection gets its own upstream
    // records, and the first trace does not grow.
    let first_len = records.len();
    let r2 = api(
        admin,
        "POST",
        "/api/v1/request",
        Some(&format!(
            r#"{{"port": {listen}, "path": "/hi/again", "headers": {{"Host": "a.example", "content-length": "9"}}}}"#
        )),
    );
    // A host and a content-length of the user's own replace Sluice's, never doubling them.
    assert_eq!(r2["status"], 200, "{r2}");
    let id2 = r2["trace"].as_u64().expect("a second trace id");
    assert_ne!(id, id2);
    let t2 = api(admin, "GET", &format!("/api/v1/trace/{id2}"), None);
    let r2s = t2["records"].as_array().unwrap();
    assert!(
        r2s.iter()
            .any(|r| r["layout"] == "connection" && r["filter"] == "connect"),
        "{t2}"
    );
    let t1 = api(admin, "GET", &format!("/api/v1/trace/{id}"), None);
    assert_eq!(t1["records"].as_array().unwrap().len(), first_len);
    assert_eq!(
        curl(&[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            "-d",
            r#"{"listener":"abc"}"#,
            &format!("http://127.0.0.1:{admin}/api/v1/trace")
        ]),
        "400"
    );

    // Turned on for a path, matching requests are traced without asking.
    api(
        admin,
        "POST",
        "/api/v1/trace",
        Some(r#"{"path": "/hi/traced"}"#),
    );
    curl(&[&format!("http://127.0.0.1:{listen}/hi/traced")]);
    curl(&[&format!("http://127.0.0.1:{listen}/hi/not")]);
    let st = api(admin, "GET", "/api/v1/trace", None);
    assert_eq!(st["enabled"], true);
    let summaries: Vec<&str> = st["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.iter().any(|s| s.starts_with("GET /hi/traced")),
        "{summaries:?}"
    );
    assert!(
        !summaries.iter().any(|s| s.contains("/hi/not")),
        "{summaries:?}"
    );
    assert!(
        curl(&[
            "-X",
            "DELETE",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{admin}/api/v1/trace")
        ]) == "204"
    );
}
