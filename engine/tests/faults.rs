//! Faults: bad backends, vanishing clients, and thousands of malformed requests. The proxy
//! answers each correctly or closes cleanly, and keeps serving.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::time::Duration;

use common::*;

fn proxy(port: u16, target: u16, opts: &str) -> String {
    format!(
        "pipy()\n.listen({port})\n  .demuxHTTP().to($=>$.muxHTTP(() => 't').to($=>$.connect('127.0.0.1:{target}'{opts})))\n"
    )
}

fn status_of(port: u16, req: &[u8]) -> String {
    let (out, _) = raw_exchange(port, req, 10);
    String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

#[test]
fn a_backend_that_accepts_then_closes_or_stalls_gives_an_error_status() {
    // Accepts, reads, closes without a word.
    let closer = TcpListener::bind("127.0.0.1:0").unwrap();
    let closer_port = closer.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in closer.incoming().flatten() {
            let mut c = c;
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf);
            drop(c);
        }
    });
    // Accepts, reads, and never answers.
    let staller = TcpListener::bind("127.0.0.1:0").unwrap();
    let staller_port = staller.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in staller.incoming().flatten() {
            held.push(c);
        }
    });
    let (p1, p2) = (free_port(), free_port());
    let cb = Codebase::new("faults-backend");
    let script = cb.file(
        "main.js",
        &format!(
            "{}{}",
            proxy(p1, closer_port, ""),
            proxy(p2, staller_port, ", { readTimeout: 0.5 }").replacen("pipy()\n", "", 1)
        ),
    );
    let _e = Engine::start(&script, &[p1, p2]);
    assert_eq!(status_of(p1, GET), "HTTP/1.1 502 Bad Gateway");
    assert_eq!(status_of(p2, GET), "HTTP/1.1 504 Gateway Timeout");
    // And they keep answering.
    assert_eq!(status_of(p1, GET), "HTTP/1.1 502 Bad Gateway");
}

#[test]
fn clients_that_vanish_mid_request_or_mid_response_do_not_hurt_others() {
    let origin_port = origin(|path, len| {
        if path == "/big" {
            let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 20000000\r\n\r\n".to_vec();
            r.extend(std::iter::repeat_n(b'b', 20_000_000));
            r
        } else {
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}",
                len.to_string().len(),
                len
            )
            .into_bytes()
        }
    });
    let port = free_port();
    let cb = Codebase::new("vanish");
    let script = cb.file("main.js", &proxy(port, origin_port, ""));
    let e = Engine::start(&script, &[port]);
    for _ in 0..20 {
        // Mid-request: promise a body and leave.
        let mut s = connect(port);
        s.write_all(b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\npartial")
            .unwrap();
        drop(s);
        // Mid-response: ask for 20 MB, read a little, leave.
        let mut s = connect(port);
        s.write_all(b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let _ = s.shutdown(Shutdown::Both);
    }
    let (out, _) = raw_exchange(
        port,
        b"POST /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
        10,
    );
    assert!(
        String::from_utf8_lossy(&out).ends_with("\r\n\r\n3"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
    assert!(rss_kb(e.pid()) < 128 * 1024);
}

/// A small deterministic generator (xorshift) so failures can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A request that is wrong in one of many ways (or random bytes).
fn malformed(r: &mut Rng) -> Vec<u8> {
    let good =
        b"POST /path?q=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 5\r\n\r\nhello".to_vec();
    match r.below(8) {
        0 => (0..r.below(200) + 1).map(|_| r.below(256) as u8).collect(),
        1 => {
            let mut v = good.clone();
            let i = r.below(v.len() as u64) as usize;
            v[i] = r.below(256) as u8;
            v
        }
        2 => b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
        3 => format!("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n", r.next()).into_bytes(),
        4 => b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
            .to_vec(),
        5 => {
            let mut v = b"GET / HTTP/1.1\r\nHost: a\r\nX: ".to_vec();
            v.extend(std::iter::repeat_n(b'a', 70_000));
            v.extend_from_slice(b"\r\n\r\n");
            v
        }
        6 => b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        _ => {
            let mut v = good.clone();
            v.truncate(r.below(v.len() as u64) as usize);
            v
        }
    }
}

#[test]
fn ten_thousand_malformed_requests_get_an_answer_or_a_clean_close() {
    let port = free_port();
    let cb = Codebase::new("malformed");
    let script = cb.file("main.js", &format!("pipy()\n.listen({port})\n  .serveHTTP(msg => new Message('ok:' + (msg.body ? msg.body.toString() : '')))\n"));
    let e = Engine::start(&script, &[port]);
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    for batch in 0..10 {
        let mut handles = Vec::new();
        for t in 0..4 {
            let reqs: Vec<Vec<u8>> = (0..250).map(|_| malformed(&mut rng)).collect();
            handles.push(std::thread::spawn(move || {
                for (i, req) in reqs.iter().enumerate() {
                    let mut s = connect(port);
                    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let _ = s.write_all(req);
                    // A truncated request waits for more: end it from our side.
                    let _ = s.shutdown(Shutdown::Write);
                    let mut out = Vec::new();
                    match s.read_to_end(&mut out) {
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
                        Err(e) => panic!("batch {batch} thread {t} request {i}: no answer and no close: {e}; request {:?}", String::from_utf8_lossy(req)),
                    }
                    let text = String::from_utf8_lossy(&out);
                    assert!(
                        out.is_empty() || text.starts_with("HTTP/1.1 "),
                        "request {:?} got {:?}",
                        String::from_utf8_lossy(req),
                        text
                    );
                    if !out.is_empty() && !text.starts_with("HTTP/1.1 200") {
                        let status: u16 = text[9..12].parse().unwrap();
                        assert!([400, 408, 431, 501].contains(&status), "status {status} for {:?}", String::from_utf8_lossy(req));
                    }
                }
            }));
        }
        for h in handles {
            h.join().unwrap();
        }
        let (out, _) = raw_exchange(
            port,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
            5,
        );
        assert!(
            String::from_utf8_lossy(&out).ends_with("ok:hi"),
            "after batch {batch}: {:?}",
            String::from_utf8_lossy(&out)
        );
    }
    assert!(!e.log().contains("panicked"), "{}", e.log());
}

#[test]
fn a_client_that_stops_reading_is_cut_off_after_the_write_timeout() {
    let port = free_port();
    let cb = Codebase::new("writetimeout");
    let script = cb.file(
        "main.js",
        &format!("var big = new Data('x'.repeat(1 << 20));\nvar body = new Data(); for (var i = 0; i < 32; i++) body.push(big);\npipy()\n.listen({port}, {{ writeTimeout: 0.5 }})\n  .serveHTTP(() => new Message(body))\n"),
    );
    let _e = Engine::start(&script, &[port]);
    let mut s = connect(port);
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    assert!(
        got < 32 << 20,
        "the server gave up on a client that did not read ({got} bytes)"
    );
    // Others are still served.
    let (out, _) = raw_exchange(
        port,
        b"HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        5,
    );
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200 OK"));
}
