//! Reloads and shutdown: nothing in flight is lost.

mod common;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// One GET on a new connection; the body or an error.
fn get(port: u16) -> Result<String, String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out).into_owned();
    match text.split_once("\r\n\r\n") {
        Some((h, b)) if h.starts_with("HTTP/1.1 200") => Ok(b.to_string()),
        _ => Err(format!("bad response: {text:?}")),
    }
}

#[test]
fn twenty_reloads_under_load_fail_no_request() {
    let cb = Codebase::new("reload");
    let port = free_port();
    let script = |v: usize| format!("pipy()\n.listen({port})\n  .serveHTTP(new Message('v{v}'))\n");
    let path = cb.file("main.js", &script(0));
    let e = Engine::start(&path, &[port]);
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut clients = Vec::new();
    for keep_alive in [false, true] {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        clients.push(std::thread::spawn(move || {
            let mut conn: Option<std::net::TcpStream> = None;
            while !stop.load(Ordering::Relaxed) {
                let r = if keep_alive {
                    let s = conn.get_or_insert_with(|| connect(port));
                    (|| -> Result<bool, String> {
                        s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                            .map_err(|e| e.to_string())?;
                        let mut buf = [0u8; 256];
                        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
                        if n == 0 || !buf.starts_with(b"HTTP/1.1 200") {
                            return Err(format!("{:?}", String::from_utf8_lossy(&buf[..n])));
                        }
                        // A reload asks keep-alive clients to reconnect (to the new version).
                        Ok(String::from_utf8_lossy(&buf[..n]).contains("connection: close"))
                    })()
                    .map(|close| {
                        if close {
                            conn = None;
                        }
                    })
                } else {
                    get(port).map(|_| ())
                };
                match r {
                    Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                    Err(m) => {
                        eprintln!("request failed: {m}");
                        conn = None;
                        failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }));
    }
    for v in 1..=20 {
        std::fs::write(&path, script(v)).unwrap();
        signal(e.pid(), "HUP");
        let deadline = Instant::now() + Duration::from_secs(10);
        while get(port).ok().as_deref() != Some(&format!("v{v}")) {
            assert!(
                Instant::now() < deadline,
                "reload {v} did not take effect; log:\n{}",
                e.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    assert!(ok.load(Ordering::Relaxed) > 100, "too few requests made");
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "requests failed across reloads"
    );
}

#[test]
fn reloads_free_the_old_program_s_script_memory() {
    // Each version holds about 4 MB of script values (and a pipeline in a keep-alive
    // connection's muxHTTP pool): 60 reloads that kept them would add about 250 MB.
    let cb = Codebase::new("reload-memory");
    let (port, backend) = (free_port(), free_port());
    let script = |v: usize| {
        format!(
            "var big = new Array(20000).fill(0).map((_, i) => ({{ i, s: 'x' + i }}))\n\
             pipy()\n.listen({port}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{backend}')))\n\
             .listen({backend}).serveHTTP(() => new Message('v{v} ' + big.length))\n"
        )
    };
    let path = cb.file("main.js", &script(0));
    let e = Engine::start(&path, &[port, backend]);
    let reload_to = |v: usize| {
        std::fs::write(&path, script(v)).unwrap();
        signal(e.pid(), "HUP");
        let deadline = Instant::now() + Duration::from_secs(10);
        while get(port).ok().as_deref() != Some(&format!("v{v} 20000")) {
            assert!(
                Instant::now() < deadline,
                "reload {v} did not take effect; log:\n{}",
                e.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    // Warm up: the allocator keeps some freed memory for reuse.
    for v in 1..=20 {
        reload_to(v);
    }
    let before = rss_kb(e.pid());
    for v in 21..=80 {
        reload_to(v);
    }
    let grown = rss_kb(e.pid()).saturating_sub(before);
    assert!(grown < 40_000, "60 reloads grew the engine by {grown} kB");
}

#[test]
fn a_reload_that_fails_keeps_the_old_program() {
    let cb = Codebase::new("badreload");
    let port = free_port();
    let path = cb.file(
        "main.js",
        &format!("pipy()\n.listen({port})\n  .serveHTTP(new Message('old'))\n"),
    );
    let e = Engine::start(&path, &[port]);
    std::fs::write(&path, "pipy(\n").unwrap();
    signal(e.pid(), "HUP");
    e.wait_log("reload of", 10);
    assert_eq!(get(port).unwrap(), "old");
}

#[test]
fn sigterm_lets_requests_in_flight_finish_then_exits() {
    let origin_port = origin(|_, _| {
        std::thread::sleep(Duration::from_millis(800));
        b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow".to_vec()
    });
    let cb = Codebase::new("drain");
    let port = free_port();
    let path = cb.file(
        "main.js",
        &format!("pipy()\n.listen({port})\n  .demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{origin_port}')))\n"),
    );
    let mut cmd = std::process::Command::new(engine_bin());
    cmd.arg(&path);
    let mut e = Engine::spawn(cmd, &[port]);
    let client = std::thread::spawn(move || get(port));
    std::thread::sleep(Duration::from_millis(200));
    signal(e.pid(), "TERM");
    assert_eq!(client.join().unwrap().unwrap(), "slow");
    let t = Instant::now();
    let status = loop {
        if let Some(s) = e.try_wait() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "engine did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status, 0);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still accepting"
    );
}

#[test]
fn watch_reloads_when_a_codebase_file_changes() {
    let cb = Codebase::new("watch");
    let port = free_port();
    cb.file("reply.json", r#"{ "text": "first" }"#);
    let path = cb.file(
        "main.js",
        &format!("var c = JSON.decode(pipy.load('reply.json'));\npipy()\n.listen({port})\n  .serveHTTP(new Message(c.text))\n"),
    );
    let e = Engine::start_with(&path, &[port], &["--watch"]);
    assert_eq!(get(port).unwrap(), "first");
    std::thread::sleep(Duration::from_millis(1100));
    cb.file("reply.json", r#"{ "text": "second" }"#);
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(port).unwrap() != "second" {
        assert!(Instant::now() < deadline, "no reload; log:\n{}", e.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    // A broken change keeps the running version.
    cb.file("main.js", "pipy(\n");
    e.wait_log("reload of", 10);
    assert_eq!(get(port).unwrap(), "second");
}

#[test]
fn shutdown_closes_idle_keep_alive_connections_at_once() {
    // A proxy and its backend in one program, started from their folder with bare names: the
    // proxy's pooled upstream connection is an idle keep-alive connection of the backend.
    let cb = Codebase::new("drain-idle");
    let (front, back) = (free_port(), free_port());
    cb.file(
        "main.js",
        &format!(
            "pipy().listen({front}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{back}')))"
        ),
    );
    cb.file(
        "backend.js",
        &format!("pipy().listen({back}).serveHTTP(new Message('up'))"),
    );
    let mut cmd = std::process::Command::new(engine_bin());
    cmd.current_dir(&cb.dir).args(["main.js", "backend.js"]);
    let mut e = Engine::spawn(cmd, &[front, back]);
    assert_eq!(curl(&[&format!("http://127.0.0.1:{front}/")]), "up");
    // A client that keeps its connection open, idle.
    let mut idle = connect(front);
    idle.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 256];
    assert!(idle.read(&mut buf).unwrap() > 0);
    let t = Instant::now();
    signal(e.pid(), "TERM");
    while e.try_wait().is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM (drain time is 10 s); log:\n{}",
            e.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The idle client was told: its connection is closed.
    assert_eq!(idle.read(&mut buf).unwrap_or(0), 0);
}
