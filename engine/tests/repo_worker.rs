//! Workers following a repo (`engine http://127.0.0.1:P/repo/NAME/`), against the real
//! engine on both ends: push on publish, a broken version kept out, the repo going away and
//! coming back, the cache.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::repo::{start_repo, Repo};
use common::*;

impl Repo {
    /// Uploads `main.js` and publishes it as `version`.
    fn publish(&self, name: &str, version: u32, main: &str) {
        let (s, b) = self.call(
            "POST",
            &format!("/api/v1/repo-files/{name}/main.js"),
            Some(main),
        );
        assert_eq!(s, 201, "{b}");
        let (s, b) = self.call(
            "PATCH",
            &format!("/api/v1/repo/{name}"),
            Some(&format!("{{\"version\": {version}}}")),
        );
        assert_eq!(s, 201, "{b}");
    }

    fn info(&self, name: &str) -> serde_json::Value {
        let (s, b) = self.call("GET", &format!("/api/v1/repo/{name}"), None);
        assert_eq!(s, 200, "{b}");
        serde_json::from_str(&b).unwrap()
    }
}

fn script(port: u16, answer: &str) -> String {
    format!("pipy().listen({port}).serveHTTP(new Message('{answer}'))\n")
}

/// One GET to the worker: the body, or None when the request failed.
fn get(port: u16) -> Option<String> {
    let (out, _) = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
        5,
    );
    let text = String::from_utf8_lossy(&out).into_owned();
    text.starts_with("HTTP/1.1 200")
        .then(|| text.split_once("\r\n\r\n").map(|x| x.1.to_string()))
        .flatten()
}

/// Polls the worker until it answers `want`; returns how long that took.
fn until_serves(port: u16, want: &str, secs: u64) -> Duration {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if get(port).as_deref() == Some(want) {
            return t.elapsed();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!(
        "the worker did not serve {want:?} within {secs}s (it serves {:?})",
        get(port)
    );
}

fn worker(repo_port: u16, name: &str, cache: &Codebase, poll: &str, port: u16) -> Engine {
    let mut cmd = Command::new(engine_bin());
    cmd.arg(format!("--repo-poll={poll}"))
        .arg(format!("--repo-cache={}", cache.dir.display()))
        .arg(format!("http://127.0.0.1:{repo_port}/repo/{name}/"));
    Engine::spawn(cmd, &[port])
}

/// Waits until the repo lists `n` instances of `name` with an open push link.
fn until_linked(repo: &Repo, name: &str, n: usize) {
    let t = Instant::now();
    loop {
        let info = repo.info(name);
        let linked = info["instances"]
            .as_object()
            .map(|m| m.values().filter(|i| i["linked"] == true).count())
            .unwrap_or(0);
        if linked >= n {
            return;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "no link: {info}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_worker_takes_each_publish_by_push_and_refuses_a_broken_version() {
    let repo = start_repo(Codebase::new("repo-w1"), free_port());
    let port = free_port();
    repo.call("POST", "/api/v1/repo/svc/a", Some("{}"));
    repo.publish("svc/a", 1, &script(port, "v1"));
    let cache = Codebase::new("repo-w1-cache");
    // Polling every minute: only the push link can bring the next version quickly.
    let _w = worker(repo.port, "svc/a", &cache, "60", port);
    assert_eq!(get(port).as_deref(), Some("v1"));
    until_linked(&repo, "svc/a", 1);

    let t = Instant::now();
    repo.publish("svc/a", 2, &script(port, "v2"));
    until_serves(port, "v2", 5);
    let took = t.elapsed();
    eprintln!("publish to served by push: {took:?}");
    assert!(took < Duration::from_secs(2), "push took {took:?}");

    // A version that does not load: the worker keeps v2 and the repo shows why.
    repo.publish("svc/a", 3, "pipy().listen(");
    let t = Instant::now();
    let err = loop {
        let info = repo.info("svc/a");
        let inst = info["instances"]["1"]["status"].clone();
        if inst["error"]["version"] == "3" {
            break inst;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no error reported: {info}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(err["version"], "2", "{err}");
    assert!(
        err["error"]["error"]
            .as_str()
            .unwrap()
            .contains("SyntaxError"),
        "{err}"
    );
    assert_eq!(err["error"]["file"], "/main.js");
    for _ in 0..20 {
        assert_eq!(get(port).as_deref(), Some("v2"));
    }

    // The next good version is taken.
    repo.publish("svc/a", 4, &script(port, "v4"));
    until_serves(port, "v4", 5);
    let status = &repo.info("svc/a")["instances"]["1"]["status"];
    assert!(status["uptime"].as_f64().unwrap() > 0.0, "{status}");
    assert!(
        status["stats"]["connectionsTotal"].as_u64().unwrap() > 0,
        "{status}"
    );
}

#[test]
fn a_worker_outlives_its_repo_runs_from_its_cache_and_reconnects() {
    let repo_port = free_port();
    let mut repo = start_repo(Codebase::new("repo-w2"), repo_port);
    let port = free_port();
    repo.call("POST", "/api/v1/repo/svc", Some("{}"));
    repo.publish("svc", 1, &script(port, "v1"));
    let cache = Codebase::new("repo-w2-cache");
    let w = worker(repo_port, "svc", &cache, "0.5", port);
    assert_eq!(get(port).as_deref(), Some("v1"));
    until_linked(&repo, "svc", 1);

    // The repo stops: the worker keeps serving, and says it is retrying.
    drop(repo.e.take());
    w.wait_log("cannot reach the repo", 10);
    for _ in 0..20 {
        assert_eq!(get(port).as_deref(), Some("v1"));
        std::thread::sleep(Duration::from_millis(25));
    }

    // A worker started while the repo is away runs the cached version.
    drop(w);
    let w = worker(repo_port, "svc", &cache, "0.5", port);
    assert_eq!(get(port).as_deref(), Some("v1"));
    w.wait_log("running the cached version 1", 5);

    // The repo comes back on the same port with the same store: the worker reconnects and
    // takes what is published then.
    let repo = start_repo(repo.dir, repo_port);
    repo.publish("svc", 2, &script(port, "v2"));
    let took = until_serves(port, "v2", 20);
    eprintln!("after the repo came back, v2 served in {took:?}");
    w.wait_log("answers again", 5);
}

#[test]
fn without_a_push_link_a_worker_follows_by_polling_a_plain_script_url() {
    // A plain HTTP server (no repo, no push link) serving one script with an etag.
    let port = free_port();
    let current = std::sync::Arc::new(std::sync::Mutex::new((1u32, script(port, "p1"))));
    let c = current.clone();
    let origin = origin(move |path, _| {
        let (v, text) = c.lock().unwrap().clone();
        if path != "/code/main.js" {
            return b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec();
        }
        format!(
            "HTTP/1.1 200 OK\r\netag: {v}\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        )
        .into_bytes()
    });
    let cache = Codebase::new("repo-w3-cache");
    let mut cmd = Command::new(engine_bin());
    cmd.arg("--repo-poll=0.2")
        .arg(format!("--repo-cache={}", cache.dir.display()))
        .arg(format!("http://127.0.0.1:{origin}/code/main.js"));
    let _w = Engine::spawn(cmd, &[port]);
    assert_eq!(get(port).as_deref(), Some("p1"));
    *current.lock().unwrap() = (2, script(port, "p2"));
    let took = until_serves(port, "p2", 5);
    eprintln!("taken by polling in {took:?}");
}
