//! Upstream sessions of `muxHTTP` against the real engine: sessions pooled per client
//! connection (no key) close as soon as that client leaves, sessions of a key the script gives
//! stay for the next client, and the upstream metrics do not grow with the clients.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

/// Short-lived clients each test sends.
const CLIENTS: usize = 1000;

/// An HTTP/1.1 origin on threads that answers `ok` on keep-alive connections and counts the
/// connections it accepted and those still open.
struct CountingOrigin {
    port: u16,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

impl CountingOrigin {
    fn start() -> CountingOrigin {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let (a, o) = (accepted.clone(), open.clone());
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(s) = conn else { continue };
                a.fetch_add(1, Ordering::SeqCst);
                o.fetch_add(1, Ordering::SeqCst);
                let o = o.clone();
                std::thread::spawn(move || {
                    serve_ok(s);
                    o.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        CountingOrigin {
            port,
            accepted,
            open,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// Answers each request (heads only, no bodies) with `ok` until the peer closes.
fn serve_ok(s: TcpStream) {
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    loop {
        // One request head: lines up to the empty one.
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }
        if w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .is_err()
        {
            return;
        }
    }
}

/// One client: a connection, one `GET path`, its whole response read, then it leaves.
fn one_client(port: u16, path: &str) -> String {
    let mut s = connect(port);
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut r = BufReader::new(s);
    let mut head = String::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "cut response: {head}");
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    String::from_utf8(body).unwrap()
}

/// Runs `n` clients, a few at a time; client `i` asks for `path(i)`. Returns once the last
/// one has left.
fn clients(port: u16, n: usize, path: impl Fn(usize) -> String + Sync) {
    const AT_ONCE: usize = 4;
    std::thread::scope(|s| {
        for t in 0..AT_ONCE {
            let path = &path;
            s.spawn(move || {
                for i in (t..n).step_by(AT_ONCE) {
                    assert_eq!(one_client(port, &path(i)), "ok");
                }
            });
        }
    });
}

/// Waits up to `limit` for `cond`; returns how long it took, or `None`.
fn within(limit: Duration, cond: impl Fn() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if cond() {
            return Some(start.elapsed());
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Connections to local `port` open on this machine (ESTABLISHED or CLOSE_WAIT at the
/// listening side), from /proc. A socket listed twice (the table moved while read) counts once.
fn open_at(port: u16) -> usize {
    let mut seen = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for l in text.lines().skip(1) {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local_port = f
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) && matches!(f.get(3), Some(&"01") | Some(&"08")) {
                seen.insert((f[1].to_string(), f[2].to_string()));
            }
        }
    }
    seen.len()
}

#[test]
fn a_client_connections_upstream_sessions_close_when_it_leaves() {
    let origin = CountingOrigin::start();
    let proxy = free_port();
    let cb = Codebase::new("pool-inbound");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({proxy}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{}')))\n",
            origin.port
        ),
    );
    let e = Engine::start(&script, &[proxy]);
    clients(proxy, CLIENTS, |_| "/".into());
    // One pool per client connection: each client had its own upstream connection.
    assert_eq!(origin.accepted(), CLIENTS);
    let took = within(Duration::from_secs(1), || origin.open() == 0);
    assert!(
        took.is_some(),
        "{} of {CLIENTS} upstream connections still open 1 s after the last client left; log:\n{}",
        origin.open(),
        e.log()
    );
    eprintln!("all {CLIENTS} upstream connections closed {took:?} after the last client left");
}

#[test]
fn sessions_of_a_named_key_stay_for_the_next_client() {
    let origin = CountingOrigin::start();
    let proxy = free_port();
    let cb = Codebase::new("pool-named");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({proxy}).demuxHTTP().to($=>$.muxHTTP(() => 'shared').to($=>$.connect('127.0.0.1:{}')))\n",
            origin.port
        ),
    );
    let _e = Engine::start(&script, &[proxy]);
    for _ in 0..20 {
        assert_eq!(one_client(proxy, "/"), "ok");
    }
    // The clients came one after another: one upstream connection served them all, and it
    // is kept for the next one.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(origin.accepted(), 1);
    assert_eq!(origin.open(), 1);
    assert_eq!(one_client(proxy, "/"), "ok");
    assert_eq!(origin.accepted(), 1);
}

#[test]
fn a_client_connections_http2_session_closes_when_it_leaves() {
    let (proxy, serve) = (free_port(), free_port());
    let cb = Codebase::new("pool-h2");
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({serve}).serveHTTP(req => new Message(req.head.protocol === 'HTTP/2' ? 'ok' : 'not h2'))
.listen({proxy}).demuxHTTP().to($=>$.muxHTTP({{ version: 2 }}).to($=>$.connect('127.0.0.1:{serve}')))
"#
        ),
    );
    let e = Engine::start(&script, &[proxy, serve]);
    // While a client stays, its HTTP/2 session stays too, and serves its next request.
    let mut kept = connect(proxy);
    for _ in 0..2 {
        kept.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 256];
        let n = kept.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).ends_with("\r\n\r\nok"));
    }
    assert_eq!(open_at(serve), 1);
    const H2_CLIENTS: usize = CLIENTS / 4;
    clients(proxy, H2_CLIENTS, |_| "/".into());
    let took = within(Duration::from_secs(1), || open_at(serve) == 1);
    assert!(
        took.is_some(),
        "{} upstream HTTP/2 connections open 1 s after the last client left (1 expected); log:\n{}",
        open_at(serve),
        e.log()
    );
    drop(kept);
    let took = within(Duration::from_secs(1), || open_at(serve) == 0);
    assert!(took.is_some(), "the last client's HTTP/2 session stayed");
}

#[test]
fn upstream_metric_series_do_not_grow_with_clients() {
    let (a, b) = (CountingOrigin::start(), CountingOrigin::start());
    let (proxy, admin) = (free_port(), free_port());
    let cb = Codebase::new("pool-metrics");
    let script = cb.file(
        "main.js",
        &format!(
            r#"var n = 0
pipy()
.listen({proxy}).demuxHTTP().to($=>$
  .muxHTTP().to($=>$.connect(() => n++ % 2 ? '127.0.0.1:{}' : '127.0.0.1:{}'))
)
"#,
            a.port, b.port
        ),
    );
    let e = Engine::start_with(&script, &[proxy], &[&format!("--admin-port={admin}")]);
    e.wait_port(admin);
    clients(proxy, CLIENTS, |_| "/".into());
    assert_eq!(a.accepted() + b.accepted(), CLIENTS);
    let text = curl(&[&format!("http://127.0.0.1:{admin}/metrics")]);
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("sluice_upstream_response_seconds_count"))
        .collect();
    let count = |port: u16| -> usize {
        let label =
            format!("sluice_upstream_response_seconds_count{{upstream=\"127.0.0.1:{port}\"}} ");
        series
            .iter()
            .find_map(|l| l.strip_prefix(&label))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    // One series per upstream address, whatever the number of clients; each counts every
    // response its upstream gave.
    assert_eq!(series.len(), 2, "{series:#?}");
    assert_eq!(count(a.port), a.accepted(), "{series:#?}");
    assert_eq!(count(b.port), b.accepted(), "{series:#?}");
    // The dashboard's summary still sees the upstream latency of every response.
    let summary = curl(&[&format!("http://127.0.0.1:{admin}/api/v1/metrics/summary")]);
    let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(v["upstream"]["count"], CLIENTS, "{summary}");
}

#[test]
fn an_upstream_that_answers_before_the_body_ends_is_not_reused() {
    // The origin answers 413 as soon as it has a request's head, without reading the body,
    // and keeps the connection open. The engine must not send the next request on it: the
    // origin would read it as the rest of the first request's body (request smuggling).
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = l.local_addr().unwrap().port();
    let seen = Arc::new(std::sync::Mutex::new(Vec::<(usize, String)>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, conn) in l.incoming().enumerate() {
            let Ok(s) = conn else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut w = s;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line.contains("POST /") || line.contains("GET /") {
                        log.lock().unwrap().push((n, line.trim_end().to_string()));
                    }
                    if line == "\r\n" {
                        let _ = w.write_all(
                            b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 4\r\n\r\nbig!",
                        );
                    }
                }
            });
        }
    });
    let cb = Codebase::new("early-answer");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            "pipy().listen({port}).demuxHTTP().to($=>$.muxHTTP(() => 'shared').to($=>$.connect('127.0.0.1:{origin}')))"
        ),
    );
    let _e = Engine::start(&script, &[port]);
    // A POST whose body never all comes: its answer arrives first.
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000\r\n\r\n")
        .unwrap();
    c.write_all(&[b'a'; 100_000]).unwrap();
    // The origin's answer reaches the engine (whether the client sees it before its body
    // ends is the server side's business).
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut got = [0u8; 256];
    // Another client, same pool key: its request reaches the origin on a connection of its
    // own, as a request (not glued to the first one's body).
    let mut c2 = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c2.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c2.write_all(b"GET /second HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let n = c2.read(&mut got).unwrap();
    assert!(
        got[..n].starts_with(b"HTTP/1.1 413"),
        "{:?}",
        String::from_utf8_lossy(&got[..n])
    );
    let seen = seen.lock().unwrap().clone();
    let first_conn = seen.iter().find(|(_, l)| l.contains("POST /")).unwrap().0;
    assert!(
        seen.iter()
            .any(|(n, l)| l.starts_with("GET /second") && *n != first_conn),
        "the second request went on the first request's connection: {:?}",
        seen.iter()
            .map(|(n, l)| (n, &l[l.len().saturating_sub(40)..]))
            .collect::<Vec<_>>()
    );
    drop(c);
}
