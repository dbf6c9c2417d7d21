//! Hostile peers against the real engine, each a raw TCP client on a free loopback port: a
//! WebSocket client that never masks, one that announces a 2 GB frame, one that floods pings
//! without reading the pongs; an MQTT client whose fixed header claims 256 MB; a Redis client
//! that pipelines without reading the replies; a PROXY protocol header where none is expected,
//! and a malformed one where one is; an HTTP/2 client that reads slowly or not at all.
//!
//! Each must get a clean close or its protocol's error, and the engine's resident memory
//! (VmRSS) must stay far below what buffering the hostile amount would take.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

const MB: u64 = 1024;

/// Starts `script` (with `PORT` replaced by a free port) and returns the codebase, the engine
/// and the port.
fn start(name: &str, script: &str) -> (Codebase, Engine, u16) {
    let cb = Codebase::new(name);
    let port = free_port();
    let main = cb.file("main.js", &script.replace("PORT", &port.to_string()));
    let e = Engine::start(&main, &[port]);
    (cb, e, port)
}

/// Reads until the peer closes (true) or `secs` pass (false); returns what came.
fn read_until_closed(s: &mut TcpStream, secs: u64) -> (Vec<u8>, bool) {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (out, true),
        }
    }
    (out, false)
}

/// Reads exactly `n` bytes.
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut v = vec![0u8; n];
    s.read_exact(&mut v).unwrap();
    v
}

// ---------------------------------------------------------------------------------------
// WebSocket

/// An echo server: text and binary back, a pong for each ping.
const WS_ECHO: &str = r#"
pipy()
.listen(PORT)
  .demuxHTTP().to($=>$
    .acceptHTTPTunnel(() => new Message({ status: 101, headers: { upgrade: 'websocket', connection: 'Upgrade' } }))
    .to($=>$
      .decodeWebSocket(OPTIONS)
      .replaceMessage(msg => {
        switch (msg.head.opcode) {
          case 1: case 2: return new Message({ opcode: msg.head.opcode }, msg.body);
          case 9: return new Message({ opcode: 10 }, msg.body);
          default: return null;
        }
      })
      .encodeWebSocket()
    )
  )
"#;

fn ws_server(name: &str, options: &str) -> (Codebase, Engine, u16) {
    start(name, &WS_ECHO.replace("OPTIONS", options))
}

/// Opens a WebSocket: the upgrade request, then the 101 head.
fn ws_open(port: u16) -> TcpStream {
    let mut s = connect(port);
    s.write_all(
        b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).unwrap(), 1, "the upgrade was answered");
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    s
}

/// A client frame (FIN set) with `payload`, masked with a fixed key when `masked`.
fn ws_frame(opcode: u8, masked: bool, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80 | opcode];
    let m = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(m | n as u8),
        n if n <= 0xffff => {
            f.push(m | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(m | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let key = [0x11, 0x22, 0x33, 0x44];
    if masked {
        f.extend_from_slice(&key);
    }
    f.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, b)| if masked { b ^ key[i & 3] } else { *b }),
    );
    f
}

/// The server frame the echo sends for a short `payload`.
fn ws_server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80 | opcode, payload.len() as u8];
    f.extend_from_slice(payload);
    f
}

#[test]
fn websocket_client_that_never_masks_is_cut_off() {
    let (_cb, e, port) = ws_server("hostile-ws-unmasked", "{ requireMask: true }");
    // A masked frame is echoed...
    let mut s = ws_open(port);
    s.write_all(&ws_frame(1, true, b"masked")).unwrap();
    assert_eq!(read_n(&mut s, 8), ws_server_frame(1, b"masked"));
    // ...an unmasked one ends the connection (RFC 6455 section 5.1), with nothing echoed.
    s.write_all(&ws_frame(1, false, b"bare")).unwrap();
    let (got, closed) = read_until_closed(&mut s, 10);
    assert!(closed, "the connection stays open");
    assert!(
        !got.windows(4).any(|w| w == b"bare"),
        "the unmasked frame was echoed: {got:?}"
    );
    e.wait_log("decodeWebSocket: an unmasked frame", 10);
    // A client that never masks, from its first frame, gets nothing either.
    let mut s = ws_open(port);
    s.write_all(&ws_frame(2, false, b"never")).unwrap();
    let (got, closed) = read_until_closed(&mut s, 10);
    assert!(closed && got.is_empty(), "{closed} {got:?}");
    // Without the option, the frame is the script's to judge (as in Pipy): it is echoed.
    let (_cb2, _e2, plain) = ws_server("hostile-ws-unmasked-plain", "");
    let mut s = ws_open(plain);
    s.write_all(&ws_frame(1, false, b"bare")).unwrap();
    assert_eq!(read_n(&mut s, 6), ws_server_frame(1, b"bare"));
}

#[test]
fn websocket_frame_of_2_gb_is_refused_without_allocating() {
    let (_cb, e, port) = ws_server("hostile-ws-2g", "");
    let mut s = ws_open(port);
    s.write_all(&ws_frame(1, true, b"warm")).unwrap();
    assert_eq!(read_n(&mut s, 6), ws_server_frame(1, b"warm"));
    let before = rss_kb(e.pid());
    // A binary frame that announces 2 GB, then 8 MB of its payload.
    let mut head = vec![0x82, 0x80 | 127];
    head.extend_from_slice(&(2u64 << 30).to_be_bytes());
    head.extend_from_slice(&[1, 2, 3, 4]);
    s.write_all(&head).unwrap();
    let chunk = vec![0x5a; 64 * 1024];
    for _ in 0..128 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let (got, closed) = read_until_closed(&mut s, 10);
    let after = rss_kb(e.pid());
    println!("2 GB WebSocket frame: RSS {before} kB -> {after} kB");
    assert!(closed, "the connection stays open");
    assert!(got.is_empty(), "{got:?}");
    assert!(after < before + 8 * MB, "{before} kB -> {after} kB");
    e.wait_log("decodeWebSocket: ", 10);
}

#[test]
fn websocket_ping_flood_is_held_back_not_buffered() {
    let (_cb, e, port) = ws_server("hostile-ws-ping", "");
    let mut s = ws_open(port);
    s.write_all(&ws_frame(1, true, b"warm")).unwrap();
    assert_eq!(read_n(&mut s, 6), ws_server_frame(1, b"warm"));
    let before = rss_kb(e.pid());
    // 200,000 pings of 125 bytes (27 MB in, 25 MB of pongs out), none of the pongs read
    // while they are sent.
    const PINGS: usize = 200_000;
    let payload = [0x70u8; 125];
    let ping = ws_frame(9, true, &payload);
    let mut w = s.try_clone().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let writer = std::thread::spawn(move || {
        let mut batch = Vec::new();
        for _ in 0..1000 {
            batch.extend_from_slice(&ping);
        }
        for _ in 0..PINGS / 1000 {
            if w.write_all(&batch).is_err() {
                return;
            }
            counter.fetch_add(1000, Ordering::Relaxed);
        }
    });
    std::thread::sleep(Duration::from_secs(5));
    let during = rss_kb(e.pid());
    let sent_while_unread = sent.load(Ordering::Relaxed);
    println!(
        "ping flood: RSS {before} kB -> {during} kB with {sent_while_unread} pings sent, no pong read"
    );
    assert!(
        sent_while_unread < PINGS as u64,
        "all {PINGS} pings went in while no pong was read: nothing held the client back"
    );
    assert!(during < before + 16 * MB, "{before} kB -> {during} kB");
    // Now read: every pong comes, in order, and the connection still echoes.
    let pong = ws_server_frame(10, &payload);
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = vec![0u8; pong.len() * 1000];
    for _ in 0..PINGS / 1000 {
        s.read_exact(&mut buf).unwrap();
        assert!(buf.chunks(pong.len()).all(|c| c == pong.as_slice()));
    }
    writer.join().unwrap();
    s.write_all(&ws_frame(1, true, b"still")).unwrap();
    assert_eq!(read_n(&mut s, 7), ws_server_frame(1, b"still"));
    let after = rss_kb(e.pid());
    println!("ping flood: RSS {after} kB after all pongs were read");
    assert!(after < before + 16 * MB, "{before} kB -> {after} kB");
}

// ---------------------------------------------------------------------------------------
// MQTT

#[test]
fn mqtt_packet_claiming_256_mb_is_refused_without_allocating() {
    let (_cb, e, port) = start(
        "hostile-mqtt",
        "pipy()\n.listen(PORT).decodeMQTT().handleMessage(m => console.log('packet', m.head.type)).encodeMQTT()\n",
    );
    // A CONNECT goes through (and comes back encoded again).
    let connect_packet: &[u8] = &[
        0x10, 0x10, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, b'h',
        b'o', b's', b't',
    ];
    let mut s = connect(port);
    s.write_all(connect_packet).unwrap();
    assert_eq!(read_n(&mut s, connect_packet.len()), connect_packet);
    e.wait_log("packet CONNECT", 10);
    let before = rss_kb(e.pid());
    // A PUBLISH whose remaining length is the largest MQTT allows (256 MB - 1), then 4 MB.
    s.write_all(&[0x30, 0xff, 0xff, 0xff, 0x7f]).unwrap();
    let chunk = vec![0x61; 64 * 1024];
    for _ in 0..64 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let (got, closed) = read_until_closed(&mut s, 10);
    let after = rss_kb(e.pid());
    println!("256 MB MQTT packet: RSS {before} kB -> {after} kB");
    assert!(closed, "the connection stays open");
    assert!(got.is_empty(), "{got:?}");
    assert!(after < before + 8 * MB, "{before} kB -> {after} kB");
    e.wait_log("decodeMQTT: 268435455 bytes is over the limit", 10);
}

// ---------------------------------------------------------------------------------------
// RESP

/// One pipelined command: `GET k`.
const GET: &[u8] = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";

/// A fake Redis that answers every `GET k` with a 1 KB bulk string; returns its port and
/// the reply bytes it has written so far.
fn fake_redis() -> (u16, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let written = Arc::new(AtomicU64::new(0));
    let count = written.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { return };
            let count = count.clone();
            std::thread::spawn(move || {
                let mut reply = b"$1024\r\n".to_vec();
                reply.extend_from_slice(&[b'v'; 1024]);
                reply.extend_from_slice(b"\r\n");
                let mut buf = [0u8; 4096];
                let mut pending = 0usize;
                loop {
                    let n = match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    pending += n;
                    let mut out = Vec::new();
                    while pending >= GET.len() {
                        pending -= GET.len();
                        out.extend_from_slice(&reply);
                    }
                    if s.write_all(&out).is_err() {
                        return;
                    }
                    count.fetch_add(out.len() as u64, Ordering::Relaxed);
                }
            });
        }
    });
    (port, written)
}

#[test]
fn resp_client_pipelining_without_reading_is_held_back_not_buffered() {
    let (redis, written) = fake_redis();
    let (_cb, e, port) = start(
        "hostile-resp",
        &format!(
            "pipy()\n.listen(PORT).decodeRESP().encodeRESP()\n  .connect('127.0.0.1:{redis}')\n  .decodeRESP().encodeRESP()\n"
        ),
    );
    let reply_len = 1024 + 9;
    let mut s = connect(port);
    s.write_all(GET).unwrap();
    read_n(&mut s, reply_len);
    let before = rss_kb(e.pid());
    // 100,000 GETs (2.2 MB) whose replies (103 MB) are not read while they are sent.
    const COMMANDS: usize = 100_000;
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let batch = GET.repeat(1000);
        for _ in 0..COMMANDS / 1000 {
            if w.write_all(&batch).is_err() {
                return false;
            }
        }
        true
    });
    std::thread::sleep(Duration::from_secs(5));
    let during = rss_kb(e.pid());
    let replied = written.load(Ordering::Relaxed);
    println!(
        "RESP pipelining: RSS {before} kB -> {during} kB; the server wrote {} kB of replies, none read",
        replied / 1024
    );
    assert!(
        replied < 48 << 20,
        "{replied} bytes of replies left the server while the client read none"
    );
    assert!(during < before + 24 * MB, "{before} kB -> {during} kB");
    // Reading now gets every reply.
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = vec![0u8; reply_len * 100];
    for _ in 0..COMMANDS / 100 {
        s.read_exact(&mut buf).unwrap();
    }
    assert!(writer.join().unwrap(), "the commands were all sent");
    assert!(buf.starts_with(b"$1024\r\nvvv"));
    let after = rss_kb(e.pid());
    println!("RESP pipelining: RSS {after} kB after all replies were read");
    assert!(after < before + 24 * MB, "{before} kB -> {after} kB");
}

// ---------------------------------------------------------------------------------------
// PROXY protocol

#[test]
fn proxy_header_on_a_plain_http_listener_is_a_bad_request() {
    let (_cb, _e, port) = start(
        "hostile-pp-http",
        "pipy()\n.listen(PORT).serveHTTP(new Message('hello'))\n",
    );
    let (ok, _) = raw_exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 2);
    assert!(
        ok.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&ok)
    );
    let v2_local: &[u8] = b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00";
    for header in [
        &b"PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\n"[..],
        &b"PROXY UNKNOWN\r\n"[..],
        v2_local,
    ] {
        let mut req = header.to_vec();
        req.extend_from_slice(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        let (got, closed) = raw_exchange(port, &req, 10);
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 400"), "{header:?}: {text}");
        assert!(!text.contains("hello"), "{header:?}: {text}");
        assert!(closed, "{header:?}: the connection stays open");
    }
}

#[test]
fn malformed_proxy_header_is_refused_by_accept_proxy_protocol() {
    let (_cb, e, port) = start(
        "hostile-pp-accept",
        "pipy()\n.listen(PORT).acceptProxyProtocol(() => true).to($=>$.replaceData(d => new Data('got ' + d.toString())))\n",
    );
    let (ok, _) = raw_exchange(port, b"PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\nhi", 2);
    assert_eq!(ok, b"got hi");
    let before = rss_kb(e.pid());
    let long_v1 = [b"PROXY TCP4 ".to_vec(), vec![b'1'; 4096]].concat();
    let mut huge_v2 = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff".to_vec();
    huge_v2.extend_from_slice(&[7; 64]);
    let cases: [(&str, &[u8]); 5] = [
        (
            "a bad address",
            b"PROXY TCP4 999.0.2.1 192.0.2.2 1234 80\r\nhi",
        ),
        (
            "a bad port",
            b"PROXY TCP4 192.0.2.1 192.0.2.2 99999 80\r\nhi",
        ),
        ("no header", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("a v1 line with no end", &long_v1),
        ("a v2 header announcing a 64 kB address block", &huge_v2),
    ];
    for (what, bytes) in cases {
        let mut s = connect(port);
        let _ = s.write_all(bytes);
        // Each is refused as it arrives; the end of the input would end a header still
        // waiting for bytes.
        let _ = s.shutdown(Shutdown::Write);
        let (got, closed) = read_until_closed(&mut s, 10);
        assert!(closed, "{what}: the connection stays open");
        assert!(got.is_empty(), "{what}: {}", String::from_utf8_lossy(&got));
    }
    let after = rss_kb(e.pid());
    assert!(after < before + 8 * MB, "{before} kB -> {after} kB");
}

// ---------------------------------------------------------------------------------------
// HTTP/2 (the framing a gRPC client uses)

/// A raw HTTP/2 frame.
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    f.extend_from_slice(&[kind, flags]);
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Reads frames until the server's SETTINGS (not an ACK); returns the other frames' types.
fn h2_read_settings(s: &mut TcpStream) {
    loop {
        let head = read_n(s, 9);
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        read_n(s, len);
        if head[3] == 4 && head[4] & 1 == 0 {
            return;
        }
    }
}

/// Opens an HTTP/2 connection with `settings` (id, value pairs) and asks for `GET /big`.
fn h2_get_big(port: u16, settings: &[(u16, u32)], connection_window: u32) -> TcpStream {
    let mut s = connect(port);
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    let mut payload = Vec::new();
    for (id, v) in settings {
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&v.to_be_bytes());
    }
    out.extend(h2_frame(4, 0, 0, &payload));
    if connection_window > 0 {
        out.extend(h2_frame(8, 0, 0, &connection_window.to_be_bytes()));
    }
    s.write_all(&out).unwrap();
    h2_read_settings(&mut s);
    // SETTINGS ACK; HEADERS: GET http://a/big (HPACK: static :method GET, :scheme http,
    // literal :authority a, literal :path /big).
    let mut out = h2_frame(4, 1, 0, &[]);
    let block = [&[0x82, 0x86, 0x41, 0x01, b'a', 0x44, 0x04][..], b"/big"].concat();
    out.extend(h2_frame(1, 0x5, 1, &block));
    s.write_all(&out).unwrap();
    s
}

/// An HTTP/1.1 origin whose `/big` is a 1 GB body written as fast as it is taken; returns
/// its port and the body bytes written so far.
fn endless_origin() -> (u16, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let written = Arc::new(AtomicU64::new(0));
    let count = written.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { return };
            let count = count.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match s.read(&mut b) {
                        Ok(1) => head.push(b[0]),
                        _ => return,
                    }
                }
                let size: u64 = 1 << 30;
                let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
                if s.write_all(reply.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                let mut left = size;
                while left > 0 {
                    if s.write_all(&chunk).is_err() {
                        return;
                    }
                    left -= chunk.len() as u64;
                    count.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
            });
        }
    });
    (port, written)
}

/// A proxy from HTTP/2 clients to `endless_origin`.
fn h2_proxy(name: &str) -> (Codebase, Engine, u16, Arc<AtomicU64>) {
    let (origin, written) = endless_origin();
    let (cb, e, port) = start(
        name,
        &format!(
            "pipy()\n.listen(PORT).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{origin}')))\n"
        ),
    );
    (cb, e, port, written)
}

#[test]
fn http2_client_that_never_opens_its_window_gets_one_window() {
    let (_cb, e, port, written) = h2_proxy("hostile-h2-window");
    let before = rss_kb(e.pid());
    // The default stream window (64 kB), never updated; every frame is read.
    let mut s = h2_get_big(port, &[], 0);
    let (got, _) = read_until_closed(&mut s, 5);
    let during = rss_kb(e.pid());
    let sent = written.load(Ordering::Relaxed);
    println!(
        "HTTP/2 closed window: RSS {before} kB -> {during} kB; the origin wrote {} kB, the client got {} bytes",
        sent / 1024,
        got.len()
    );
    assert!(
        got.len() > 65535 && got.len() < 65535 + 4096,
        "{} bytes reached the client through a 64 kB window",
        got.len()
    );
    assert!(sent < 64 << 20, "the origin wrote {sent} bytes");
    assert!(during < before + 24 * MB, "{before} kB -> {during} kB");
}

#[test]
fn http2_client_that_never_reads_is_held_back_by_tcp() {
    let (_cb, e, port, written) = h2_proxy("hostile-h2-unread");
    let before = rss_kb(e.pid());
    // Windows opened as far as HTTP/2 allows, then the socket is never read again.
    let max = (1u32 << 31) - 1;
    let _s = h2_get_big(port, &[(4, max)], max - 65535);
    std::thread::sleep(Duration::from_secs(5));
    let during = rss_kb(e.pid());
    let sent = written.load(Ordering::Relaxed);
    println!(
        "HTTP/2 unread socket: RSS {before} kB -> {during} kB; the origin wrote {} kB",
        sent / 1024
    );
    assert!(sent < 96 << 20, "the origin wrote {sent} bytes");
    assert!(during < before + 32 * MB, "{before} kB -> {during} kB");
}

#[test]
fn http2_ping_flood_from_a_client_that_never_reads_is_held_back() {
    let (_cb, e, port) = start(
        "hostile-h2-ping",
        "pipy()\n.listen(PORT).serveHTTP(new Message('hello'))\n",
    );
    let mut s = connect(port);
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend(h2_frame(4, 0, 0, &[]));
    s.write_all(&out).unwrap();
    h2_read_settings(&mut s);
    s.write_all(&h2_frame(4, 1, 0, &[])).unwrap();
    let before = rss_kb(e.pid());
    // 2,000,000 PINGs (34 MB) whose ACKs are never read.
    const PINGS: u64 = 2_000_000;
    let mut w = s.try_clone().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    std::thread::spawn(move || {
        let batch = h2_frame(6, 0, 0, b"12345678").repeat(1000);
        for _ in 0..PINGS / 1000 {
            if w.write_all(&batch).is_err() {
                return;
            }
            counter.fetch_add(1000, Ordering::Relaxed);
        }
    });
    std::thread::sleep(Duration::from_secs(5));
    let during = rss_kb(e.pid());
    let n = sent.load(Ordering::Relaxed);
    println!("HTTP/2 PING flood: RSS {before} kB -> {during} kB with {n} PINGs sent, no ACK read");
    assert!(n < PINGS, "all {PINGS} PINGs went in while no ACK was read");
    assert!(during < before + 16 * MB, "{before} kB -> {during} kB");
}
