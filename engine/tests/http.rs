//! HTTP through the real engine, with real clients (curl and raw sockets): framing, keep-alive,
//! pipelining, errors, proxying, load balancing, streaming.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

fn start(name: &str, script: &str, ports: &[u16]) -> (Codebase, Engine) {
    let cb = Codebase::new(name);
    let path = cb.file("main.js", script);
    let e = Engine::start(&path, ports);
    (cb, e)
}

/// Reads one response (Content-Length or chunked framing) from a keep-alive connection.
fn read_response(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            s.read(&mut b).unwrap(),
            1,
            "connection closed in a head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let lower = head.to_ascii_lowercase();
    let mut body = Vec::new();
    if let Some(len) = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
    {
        body.resize(len.trim().parse().unwrap(), 0);
        s.read_exact(&mut body).unwrap();
    } else if lower.contains("transfer-encoding: chunked") {
        loop {
            let mut line = Vec::new();
            while !line.ends_with(b"\r\n") {
                s.read_exact(&mut b).unwrap();
                line.push(b[0]);
            }
            let n = usize::from_str_radix(String::from_utf8_lossy(&line).trim(), 16).unwrap();
            let mut chunk = vec![0u8; n + 2];
            s.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    (head, body)
}

#[test]
fn serve_http_writes_the_exact_bytes_and_handles_pipelining_and_http_1_0() {
    let port = free_port();
    let (_c, _e) = start(
        "wire",
        &format!("pipy()\n.listen({port})\n  .serveHTTP(new Message('Hello!\\n'))\n"),
        &[port],
    );
    let (out, closed) = raw_exchange(
        port,
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.0\r\n\r\n",
        5,
    );
    let one = "HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: keep-alive\r\n\r\nHello!\n";
    let last = "HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\nHello!\n";
    assert_eq!(String::from_utf8(out).unwrap(), format!("{one}{one}{last}"));
    assert!(
        closed,
        "an HTTP/1.0 request without keep-alive closes the connection"
    );
    // `connection: close` from an HTTP/1.1 client does too.
    let (out, closed) = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        5,
    );
    assert!(String::from_utf8(out)
        .unwrap()
        .ends_with("connection: close\r\n\r\nHello!\n"));
    assert!(closed);
}

#[test]
fn request_heads_reach_scripts_as_the_spec_says() {
    let port = free_port();
    let (_c, _e) = start(
        "heads",
        &format!(
            r#"pipy()
.listen({port})
  .serveHTTP(msg => new Message(
    {{ status: 201, headers: {{ 'X-Seen': msg.head.headers['x-custom'], 'set-cookie': ['a=1', 'b=2'] }} }},
    `${{msg.head.method}} ${{msg.head.path}} ${{msg.head.protocol}} ${{msg.head.headerNames['x-custom']}} ${{msg.body.toString()}}`
  ))
"#
        ),
        &[port],
    );
    let (out, _) = raw_exchange(
        port,
        b"POST /p?q=1 HTTP/1.1\r\nHost: a\r\nX-Custom: v\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
        5,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 201 Created\r\nX-Seen: v\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 32\r\nconnection: close\r\n\r\nPOST /p?q=1 HTTP/1.1 X-Custom hi"
    );
}

#[test]
fn chunked_request_bodies_and_expect_100_continue() {
    let port = free_port();
    let (_c, _e) = start(
        "chunked",
        &format!("pipy()\n.listen({port})\n  .serveHTTP(msg => new Message(msg.body))\n"),
        &[port],
    );
    let (out, _) = raw_exchange(
        port,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
        5,
    );
    assert!(String::from_utf8(out)
        .unwrap()
        .ends_with("content-length: 12\r\nconnection: close\r\n\r\nhello, world"));

    let mut s = connect(port);
    s.write_all(b"PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let mut interim = [0u8; 25];
    s.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"body").unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(body, b"body");
}

#[test]
fn bad_requests_get_the_right_status_and_the_connection_closes() {
    let port = free_port();
    let (_c, _e) = start(
        "bad",
        &format!("pipy()\n.listen({port})\n  .serveHTTP(new Message('ok'))\n"),
        &[port],
    );
    let status = |req: &[u8]| -> (String, bool) {
        let (out, closed) = raw_exchange(port, req, 5);
        let text = String::from_utf8_lossy(&out).into_owned();
        (text.lines().next().unwrap_or("").to_string(), closed)
    };
    assert_eq!(
        status(b"NOT/HTTP\r\n\r\n"),
        ("HTTP/1.1 400 Bad Request".into(), true)
    );
    assert_eq!(
        status(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
        ("HTTP/1.1 400 Bad Request".into(), true)
    );
    assert_eq!(
        status(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"
        ),
        ("HTTP/1.1 400 Bad Request".into(), true)
    );
    let mut big = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 70 * 1024));
    big.extend_from_slice(b"\r\n\r\n");
    assert_eq!(
        status(&big),
        ("HTTP/1.1 431 Request Header Fields Too Large".into(), true)
    );
    // A good request before a bad one is still answered, in order.
    let (out, closed) = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\nBAD REQUEST LINE\r\n\r\n",
        5,
    );
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n") && text.contains("HTTP/1.1 400 Bad Request\r\n"),
        "{text}"
    );
    assert!(closed);
}

#[test]
fn idle_connections_and_slow_request_heads_are_closed() {
    let port = free_port();
    let (_c, _e) = start(
        "timeouts",
        &format!("pipy()\n.listen({port}, {{ idleTimeout: 0.5 }})\n  .serveHTTP(new Message('ok'), {{ headerTimeout: 0.5 }})\n"),
        &[port],
    );
    let t = Instant::now();
    let (out, closed) = raw_exchange(port, b"", 5);
    assert!(
        out.is_empty() && closed && t.elapsed() < Duration::from_secs(4),
        "idle close"
    );
    // A head that trickles in is cut off with 408, even though bytes keep arriving.
    let mut s = connect(port);
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n").unwrap();
    let t = Instant::now();
    let mut out = Vec::new();
    for _ in 0..30 {
        if s.write_all(b"X-Slow: 1\r\n").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if t.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    let _ = s.read_to_end(&mut out);
    assert!(
        String::from_utf8_lossy(&out).starts_with("HTTP/1.1 408 Request Timeout"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
}

fn proxy_script(port: u16, targets: &[u16]) -> String {
    let list: Vec<String> = targets.iter().map(|p| format!("'127.0.0.1:{p}'")).collect();
    format!(
        r#"pipy({{ _lb: new algo.RoundRobinLoadBalancer([{}]), _target: '' }})
.listen({port})
  .demuxHTTP().to($=>$
    .handleMessageStart(() => _target = _lb.select())
    .muxHTTP(() => _target).to($=>$
      .connect(() => _target)
    )
  )
"#,
        list.join(", ")
    )
}

#[test]
fn a_dead_backend_gives_502_and_the_proxy_keeps_serving() {
    let (port, dead) = (free_port(), free_port());
    let (_c, _e) = start("dead", &proxy_script(port, &[dead]), &[port]);
    let mut s = connect(port);
    for _ in 0..3 {
        s.write_all(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        let (head, body) = read_response(&mut s);
        assert_eq!(head, "HTTP/1.1 502 Connection Refused\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n");
        assert!(body.is_empty());
    }
}

#[test]
fn a_backend_reset_mid_response_closes_the_client_connection() {
    // The origin promises 1000 bytes, sends 10, and closes.
    let origin_port = origin_with(true, |_, _| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
        r.extend_from_slice(&[b'x'; 10]);
        r
    });
    let port = free_port();
    let (_c, _e) = start("reset", &proxy_script(port, &[origin_port]), &[port]);
    let t = Instant::now();
    let mut s = connect(port);
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    // Whatever part of the reply got through, the client must see the connection end
    // before a complete-looking response.
    let text = String::from_utf8_lossy(&out);
    assert!(
        out.is_empty() || text.starts_with("HTTP/1.1 200 OK\r\n"),
        "{text}"
    );
    assert!(
        out.len() < 1000,
        "the client must not get a complete-looking response"
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "closed promptly, not hung"
    );
}

#[test]
fn a_thousand_keep_alive_requests_spread_evenly_over_three_targets() {
    let (a, b, c, port) = (free_port(), free_port(), free_port(), free_port());
    let backends = format!(
        "pipy()\n.listen({a})\n  .serveHTTP(new Message('{a}'))\n.listen({b})\n  .serveHTTP(new Message('{b}'))\n.listen({c})\n  .serveHTTP(new Message('{c}'))\n"
    );
    let (_c1, _e1) = start("rr-backends", &backends, &[a, b, c]);
    let (_c2, _e2) = start("rr-proxy", &proxy_script(port, &[a, b, c]), &[port]);
    let mut s = connect(port);
    let mut counts = std::collections::HashMap::new();
    let mut order = Vec::new();
    for i in 0..1000 {
        s.write_all(format!("GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())
            .unwrap();
        let (head, body) = read_response(&mut s);
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        let who = String::from_utf8(body).unwrap();
        if i < 6 {
            order.push(who.clone());
        }
        *counts.entry(who).or_insert(0) += 1;
    }
    assert_eq!(counts.len(), 3, "{counts:?}");
    for n in counts.values() {
        assert!((333..=334).contains(n), "{counts:?}");
    }
    assert_eq!(order[0..3], order[3..6], "strict rotation: {order:?}");
}

#[test]
fn a_100_mb_body_streams_through_the_proxy_in_both_directions_with_flat_memory() {
    const SIZE: usize = 100 << 20;
    let origin_port = origin(|path, len| {
        if path == "/download" {
            let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n").into_bytes();
            r.extend(std::iter::repeat_n(b'd', SIZE));
            r
        } else {
            let body = format!("received {len}");
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        }
    });
    let port = free_port();
    let (_c, e) = start("stream", &proxy_script(port, &[origin_port]), &[port]);
    let pid = e.pid();

    // Upload.
    let mut s = connect(port);
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut w = s.try_clone().unwrap();
    let up = std::thread::spawn(move || {
        w.write_all(
            format!("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {SIZE}\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        let chunk = vec![b'u'; 1 << 20];
        for _ in 0..100 {
            w.write_all(&chunk).unwrap();
        }
    });
    let mut peak = 0;
    let (head, body) = {
        let watcher = std::thread::spawn(move || {
            let mut peak = 0;
            for _ in 0..40 {
                peak = peak.max(rss_kb(pid));
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        });
        let r = read_response(&mut s);
        peak = peak.max(watcher.join().unwrap());
        r
    };
    up.join().unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert_eq!(String::from_utf8(body).unwrap(), format!("received {SIZE}"));

    // Download, read slowly at first.
    s.write_all(b"GET /download HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    peak = peak.max(rss_kb(pid));
    let (head, body) = read_response(&mut s);
    assert!(head.contains(&format!("content-length: {SIZE}")), "{head}");
    assert_eq!(body.len(), SIZE);
    assert!(body.iter().all(|&b| b == b'd'));
    assert!(peak < 64 * 1024, "proxy RSS peaked at {peak} kB");
}

#[test]
fn curl_through_the_proxy_sees_keep_alive_and_intact_bodies() {
    let (backend, port) = (free_port(), free_port());
    let (_c1, _e1) = start(
        "curl-backend",
        &format!(
            "pipy()\n.listen({backend})\n  .serveHTTP(msg => new Message(msg.body.size ? msg.body : 'empty'))\n"
        ),
        &[backend],
    );
    let (_c2, _e2) = start("curl-proxy", &proxy_script(port, &[backend]), &[port]);
    let url = format!("http://127.0.0.1:{port}/echo");
    assert_eq!(curl(&["-d", "hello", &url]), "hello");
    let out = curl(&[
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-w",
        "%{num_connects};",
        &url,
        &url,
    ]);
    assert_eq!(out, "1;0;");
    let big = std::env::temp_dir().join(format!("sluice-big-{port}"));
    std::fs::write(&big, "z".repeat(300_000)).unwrap();
    let arg = format!("@{}", big.display());
    assert_eq!(curl(&["--data-binary", &arg, &url]).len(), 300_000);
    let _ = std::fs::remove_file(&big);
    assert_eq!(curl(&["-0", &url]), "empty", "HTTP/1.0 client");
}

#[test]
fn serve_http_refuses_a_body_too_big_to_hold_with_413() {
    let port = free_port();
    let (_c, _e) = start(
        "toobig",
        &format!(
            "pipy()\n.listen({port})\n  .serveHTTP(msg => new Message('got ' + msg.body.size))\n"
        ),
        &[port],
    );
    let mut s = connect(port);
    s.write_all(
        format!(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
            20 << 20
        )
        .as_bytes(),
    )
    .unwrap();
    let chunk = vec![b'z'; 1 << 20];
    for _ in 0..20 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(
        String::from_utf8_lossy(&out).starts_with("HTTP/1.1 413 Payload Too Large"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(
        curl(&["-d", "small", &format!("http://127.0.0.1:{port}/")]),
        "got 5"
    );
}
