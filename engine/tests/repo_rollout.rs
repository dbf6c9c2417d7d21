//! Staged roll-outs (`/api/v1/repo-rollouts/NAME`) against real engines: a repo and five
//! workers following one codebase, each on its own port, under continuous requests. A
//! version that answers 500 is rolled back after its first share and no other worker ever
//! serves it; a good version goes through every stage to all workers, across a restart of
//! the repo.

mod common;

use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::repo::{start_repo, Repo};
use common::*;
use serde_json::Value;

const WORKERS: usize = 5;
const NAME: &str = "svc";

impl Repo {
    fn upload(&self, main: &str) {
        let (s, b) = self.call(
            "POST",
            &format!("/api/v1/repo-files/{NAME}/main.js"),
            Some(main),
        );
        assert_eq!(s, 201, "{b}");
    }

    fn json(&self, path: &str) -> Value {
        let (s, b) = self.call("GET", path, None);
        assert_eq!(s, 200, "{path}: {b}");
        serde_json::from_str(&b).unwrap()
    }

    fn rollout(&self) -> Value {
        self.json(&format!("/api/v1/repo-rollouts/{NAME}"))
    }

    /// Waits until the roll-out's state is `state`; returns its progress.
    fn until_state(&self, state: &str, secs: u64) -> Value {
        let t = Instant::now();
        loop {
            let p = self.rollout();
            if p["state"] == state {
                return p;
            }
            assert!(
                t.elapsed() < Duration::from_secs(secs),
                "the roll-out is not {state} after {secs}s: {p:#}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The script every worker runs: it listens on the port given after `--`.
fn script(answer: &str, status: u16) -> String {
    format!(
        "pipy().listen(+pipy.argv[pipy.argv.length - 1])\
         .serveHTTP(new Message({{ status: {status} }}, '{answer}'))\n"
    )
}

/// One GET to a worker: status and body (None when the request failed).
fn get(port: u16) -> Option<(u16, String)> {
    let (out, _) = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n",
        5,
    );
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

struct Fleet {
    repo: Repo,
    ports: Vec<u16>,
    _workers: Vec<Engine>,
    _caches: Codebase,
}

/// A repo publishing `v1`, and five workers serving it with their push links open.
fn fleet(tag: &str) -> Fleet {
    let repo = start_repo(Codebase::new(tag), free_port());
    let (s, b) = repo.call("POST", &format!("/api/v1/repo/{NAME}"), Some("{}"));
    assert_eq!(s, 201, "{b}");
    repo.upload(&script("v1", 200));
    let (s, b) = repo.call(
        "PATCH",
        &format!("/api/v1/repo/{NAME}"),
        Some("{\"version\": 1}"),
    );
    assert_eq!(s, 201, "{b}");
    let caches = Codebase::new(&format!("{tag}-caches"));
    let mut ports = Vec::new();
    let mut workers = Vec::new();
    for i in 0..WORKERS {
        let port = free_port();
        let mut cmd = Command::new(engine_bin());
        cmd.arg("--repo-poll=0.3")
            .arg(format!(
                "--repo-cache={}",
                caches.dir.join(i.to_string()).display()
            ))
            .arg(format!("http://127.0.0.1:{}/repo/{NAME}/", repo.port))
            .arg("--")
            .arg(port.to_string());
        workers.push(Engine::spawn(cmd, &[port]));
        ports.push(port);
    }
    for &p in &ports {
        assert_eq!(get(p), Some((200, "v1".into())));
    }
    let t = Instant::now();
    loop {
        let info = repo.json(&format!("/api/v1/repo/{NAME}"));
        let linked = info["instances"]
            .as_object()
            .map(|m| m.values().filter(|i| i["linked"] == true).count())
            .unwrap_or(0);
        if linked == WORKERS {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "not all linked: {info}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Fleet {
        repo,
        ports,
        _workers: workers,
        _caches: caches,
    }
}

/// Requests to every worker in turn until stopped: per port, the count of each answer.
struct Traffic {
    on: Arc<AtomicBool>,
    seen: Arc<Mutex<HashMap<u16, HashMap<String, u64>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Traffic {
    fn start(ports: &[u16]) -> Traffic {
        let on = Arc::new(AtomicBool::new(true));
        let seen: Arc<Mutex<HashMap<u16, HashMap<String, u64>>>> =
            Arc::new(Mutex::new(HashMap::new()));
        let (o, s, ports) = (on.clone(), seen.clone(), ports.to_vec());
        let thread = std::thread::spawn(move || {
            while o.load(Ordering::Relaxed) {
                for &p in &ports {
                    let answer = match get(p) {
                        Some((status, body)) => format!("{status} {body}"),
                        None => "failed".to_string(),
                    };
                    *s.lock()
                        .unwrap()
                        .entry(p)
                        .or_default()
                        .entry(answer)
                        .or_default() += 1;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Traffic {
            on,
            seen,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> HashMap<u16, HashMap<String, u64>> {
        self.on.store(false, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        self.seen.lock().unwrap().clone()
    }
}

#[test]
fn a_version_that_answers_500_is_rolled_back_after_its_first_share() {
    let f = fleet("rollout-bad");
    let traffic = Traffic::start(&f.ports);
    std::thread::sleep(Duration::from_millis(500));

    f.repo.upload(&script("bad", 500));
    let (s, b) = f.repo.call(
        "POST",
        &format!("/api/v1/repo-rollouts/{NAME}"),
        Some(
            r#"{"version": 2, "maxErrorRate": 0.1, "minRequests": 5,
                "stages": [{"share": 0.2, "watchSeconds": 30}, {"share": 1, "watchSeconds": 1}]}"#,
        ),
    );
    assert_eq!(s, 201, "{b}");
    let started: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(started["state"], "running");
    assert_eq!(started["from"], "1");

    // A publish while it runs is refused.
    let (s, b) = f.repo.call(
        "PATCH",
        &format!("/api/v1/repo/{NAME}"),
        Some("{\"version\": 3}"),
    );
    assert_eq!(s, 409, "{b}");

    let t = Instant::now();
    let p = f.repo.until_state("rolled-back", 30);
    eprintln!(
        "rolled back {:?} after the start: {}",
        t.elapsed(),
        p["reason"]
    );
    assert_eq!(p["stage"], 0, "{p:#}");
    assert_eq!(p["assigned"].as_array().unwrap().len(), 1, "{p:#}");
    assert!(
        p["reason"]
            .as_str()
            .unwrap()
            .contains("requests to the new version failed"),
        "{p:#}"
    );
    assert_eq!(p["stages"][0]["state"], "failed");
    assert_eq!(p["stages"][1]["state"], "pending");

    // The chosen worker goes back to v1; keep the requests going a little longer.
    let t = Instant::now();
    'back: loop {
        let all_v1 = f.ports.iter().all(|&p| get(p) == Some((200, "v1".into())));
        if all_v1 {
            break 'back;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "a worker stays on the bad version"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "every worker on v1 again {:?} after the roll-back",
        t.elapsed()
    );
    std::thread::sleep(Duration::from_millis(500));
    let seen = traffic.stop();

    // Exactly one worker served the bad version; the others only ever served v1.
    let mut bad = Vec::new();
    for &port in &f.ports {
        let answers = &seen[&port];
        eprintln!("worker on {port}: {answers:?}");
        assert!(
            answers.get("200 v1").copied().unwrap_or(0) > 10,
            "{answers:?}"
        );
        assert!(!answers.contains_key("failed"), "{answers:?}");
        if answers.contains_key("500 bad") {
            bad.push(port);
        }
        assert!(
            answers.keys().all(|k| k == "200 v1" || k == "500 bad"),
            "{answers:?}"
        );
    }
    assert_eq!(bad.len(), 1, "workers that served the bad version: {bad:?}");

    // The codebase still serves v1, and a restarted repo reports how the roll-out ended.
    let info = f.repo.json(&format!("/api/v1/repo/{NAME}"));
    assert_eq!(info["version"], "1", "{info}");
    let Fleet { mut repo, .. } = f;
    drop(repo.e.take());
    let repo = start_repo(repo.dir, repo.port);
    let p = repo.rollout();
    assert_eq!(p["state"], "rolled-back", "{p:#}");
    assert!(p["reason"].as_str().unwrap().contains("failed"), "{p:#}");
}

#[test]
fn a_good_version_goes_through_every_stage_across_a_repo_restart() {
    let f = fleet("rollout-good");
    let traffic = Traffic::start(&f.ports);
    f.repo.upload(&script("v2", 200));
    let (s, b) = f.repo.call(
        "POST",
        &format!("/api/v1/repo-rollouts/{NAME}"),
        Some(
            r#"{"version": 2, "maxErrorRate": 0.1, "maxLatencyMs": 1000, "minRequests": 5,
                "stages": [{"share": 0.2, "watchSeconds": 2}, {"share": 0.6, "watchSeconds": 2},
                           {"share": 1, "watchSeconds": 1}]}"#,
        ),
    );
    assert_eq!(s, 201, "{b}");
    let t0 = Instant::now();

    // While stage 1 is watched, exactly one worker serves v2.
    let t = Instant::now();
    loop {
        let p = f.repo.rollout();
        if p["stage"] == 0 && p["watchingFor"].is_number() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "stage 1 not watched: {p:#}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let on_v2 = f
        .ports
        .iter()
        .filter(|&&p| get(p) == Some((200, "v2".into())))
        .count();
    assert_eq!(on_v2, 1);

    // Stage 2 (60%: three of five): the repo restarts meanwhile and resumes it.
    let t = Instant::now();
    loop {
        let p = f.repo.rollout();
        if p["stage"] == 1 && p["watchingFor"].is_number() {
            assert_eq!(p["assigned"].as_array().unwrap().len(), 3, "{p:#}");
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "stage 2 not watched: {p:#}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let on_v2 = f
        .ports
        .iter()
        .filter(|&&p| get(p) == Some((200, "v2".into())))
        .count();
    assert_eq!(on_v2, 3);
    let Fleet {
        mut repo,
        ports,
        _workers,
        _caches,
    } = f;
    drop(repo.e.take());
    std::thread::sleep(Duration::from_millis(300));
    let repo = start_repo(repo.dir, repo.port);

    let p = repo.until_state("done", 60);
    eprintln!("roll-out done {:?} after its start", t0.elapsed());
    let events: Vec<&str> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    eprintln!("events: {events:#?}");
    for n in 1..=3 {
        assert!(
            events
                .iter()
                .any(|e| e.starts_with(&format!("stage {n} passed"))),
            "{events:?}"
        );
    }
    assert_eq!(p["assigned"].as_array().unwrap().len(), WORKERS, "{p:#}");
    assert!(p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["state"] == "passed"));
    let info = repo.json(&format!("/api/v1/repo/{NAME}"));
    assert_eq!(info["version"], "2", "{info}");
    for &port in &ports {
        let t = Instant::now();
        while get(port) != Some((200, "v2".into())) {
            assert!(t.elapsed() < Duration::from_secs(10), "{port} not on v2");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // No request failed through the run: every answer was v1 or v2.
    let seen = traffic.stop();
    for &port in &ports {
        let answers = &seen[&port];
        eprintln!("worker on {port}: {answers:?}");
        assert!(
            answers.keys().all(|k| k == "200 v1" || k == "200 v2"),
            "{answers:?}"
        );
    }
}
