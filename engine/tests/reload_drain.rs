//! A reload drains every protocol at its own boundary, long before the drain time is up:
//! a RESP connection (demuxQueue) closes as soon as every command it read is answered, and an
//! HTTP/2 connection gets GOAWAY, finishes the stream under way, then closes. Nothing already
//! read is cut off.

mod codec_common;
mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codec_common::*;
use common::*;

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// One RESP command in its array-of-bulk-strings form.
fn command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

/// Reads until `want` bytes came or the peer closed; the bytes, and whether it closed.
fn read_some(s: &mut std::net::TcpStream, want: usize) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while got.len() < want {
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read: {e} after {:?}", String::from_utf8_lossy(&got)),
        }
    }
    (got, false)
}

/// True when the peer closes within `secs` without sending anything more.
fn closes_quietly(s: &mut std::net::TcpStream, secs: u64) -> Result<(), String> {
    s.set_read_timeout(Some(Duration::from_secs(secs))).unwrap();
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!(
            "more bytes: {:?}",
            String::from_utf8_lossy(&buf[..n])
        )),
        // A reset is a close too (nothing was unread on our side, so it should be a FIN).
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(()),
        Err(e) => Err(format!("not closed: {e}")),
    }
}

#[test]
fn a_resp_connection_closes_between_commands_when_the_program_reloads() {
    let redis_port = free_port();
    let _redis = Peer::start({
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"]);
        cmd
    });
    wait_listening(redis_port, 10);
    let port = free_port();
    let cb = Codebase::new("drain-resp");
    let script = |v: usize| {
        format!(
            "// version {v}\npipy()\n.listen({port})\n  .decodeRESP()\n  .demuxQueue().to($=>$\n    \
             .muxQueue({{ maxQueue: 0 }}).to($=>$.encodeRESP().connect('127.0.0.1:{redis_port}').decodeRESP())\n  )\n  \
             .encodeRESP()\n"
        )
    };
    let path = cb.file("main.js", &script(0));
    let e = Engine::start(&path, &[port]);

    // An idle connection, and one with a command the server holds for a second.
    let mut idle = connect(port);
    idle.write_all(&command(&["PING"])).unwrap();
    assert_eq!(read_some(&mut idle, 7).0, b"+PONG\r\n");
    let mut busy = connect(port);
    busy.write_all(&command(&["BLPOP", "nothing-here", "1"]))
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let reloaded = Instant::now();
    std::fs::write(&path, script(1)).unwrap();
    signal(e.pid(), "HUP");
    e.wait_log("reloaded", 10);

    // The idle one closes at once; the busy one gets its answer first, then closes.
    closes_quietly(&mut idle, 5).unwrap_or_else(|m| panic!("idle connection: {m}"));
    busy.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (answer, closed) = read_some(&mut busy, 5);
    // BLPOP's timeout answer is a null (the codec writes RESP2's null bulk string for it).
    assert!(
        answer == b"*-1\r\n" || answer == b"$-1\r\n",
        "BLPOP's answer {:?}; log:\n{}",
        String::from_utf8_lossy(&answer),
        e.log()
    );
    assert!(!closed);
    closes_quietly(&mut busy, 5).unwrap_or_else(|m| panic!("busy connection: {m}"));
    let took = reloaded.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "the drain took {took:?}, as long as the drain time"
    );
    // New connections are served by the new version.
    let mut fresh = connect(port);
    fresh.write_all(&command(&["SET", "k", "v"])).unwrap();
    fresh.write_all(&command(&["GET", "k"])).unwrap();
    assert_eq!(read_some(&mut fresh, 12).0, b"+OK\r\n$1\r\nv\r\n");
}

/// An h2c client that sends one GET, prints each event with its time, and runs until the
/// server closes the connection.
const H2_CLIENT: &str = r#"
import socket, sys, time
import h2.config, h2.connection, h2.events
# python-h2 moves its connection to CLOSED on the first GOAWAY and then rejects every frame
# (the PING of a graceful shutdown, the answers of the streams still under way), although
# RFC 9113 §6.8 has both ends go on with the streams below the last stream id. Let it.
S, I = h2.connection.ConnectionState, h2.connection.ConnectionInputs
for i in I:
    if i is not I.SEND_HEADERS:
        h2.connection.H2ConnectionStateMachine._transitions.setdefault((S.CLOSED, i), (None, S.CLOSED))
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.send_headers(1, [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "a")], end_stream=True)
s.sendall(c.data_to_send())
print("sent", flush=True)
start, body = time.time(), b""
while True:
    data = s.recv(65536)
    if not data:
        print("eof %.2f" % (time.time() - start), flush=True)
        break
    for ev in c.receive_data(data):
        if isinstance(ev, h2.events.ConnectionTerminated):
            print("goaway error=%d last=%d" % (ev.error_code, ev.last_stream_id), flush=True)
        elif isinstance(ev, h2.events.ResponseReceived):
            print("status", dict(ev.headers)[b":status"].decode(), flush=True)
        elif isinstance(ev, h2.events.DataReceived):
            body += ev.data
            c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            print("body", body.decode(), flush=True)
        elif isinstance(ev, h2.events.StreamReset):
            print("reset", ev.error_code, flush=True)
    out = c.data_to_send()
    if out:
        s.sendall(out)
"#;

#[test]
fn an_http2_connection_gets_goaway_and_finishes_its_stream_when_the_program_reloads() {
    let port = free_port();
    let cb = Codebase::new("drain-h2");
    let script = |v: usize| {
        format!(
            "pipy()\n.listen({port})\n  .serveHTTP(() => new Timeout(1.5).wait().then(() => new Message('v{v}')))\n"
        )
    };
    let path = cb.file("main.js", &script(0));
    let e = Engine::start(&path, &[port]);
    let mut client = Command::new("python3")
        .args(["-c", H2_CLIENT, &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with h2 (scripts/setup.sh h2check)");
    // The request is under way (its answer comes after 1.5 s) when the program reloads.
    let mut first = [0u8; 5];
    client
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .expect("the client started (scripts/setup.sh h2check installs h2)");
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&path, script(1)).unwrap();
    signal(e.pid(), "HUP");
    let out = client.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| {
                panic!(
                    "no {prefix:?} in {text:?}; stderr {}; log:\n{}",
                    String::from_utf8_lossy(&out.stderr),
                    e.log()
                )
            })
    };
    // GOAWAY (NO_ERROR) came before the answer, the answer is the old version's, then the
    // server closed, long before the drain time (30 s).
    let goaway = at("goaway");
    assert!(lines[goaway].starts_with("goaway error=0"), "{text}");
    assert!(goaway < at("status 200"), "{text}");
    assert_eq!(lines[at("body")], "body v0", "{text}");
    let eof: f64 = lines[at("eof")][4..].parse().unwrap();
    assert!(eof < 10.0, "closed after {eof} s: {text}");
    assert!(!lines.iter().any(|l| l.starts_with("reset")), "{text}");
}

/// A WebSocket handshake under way when the program reloads: its 101 still says
/// `connection: upgrade` (a drain marks the next HTTP/1 answer `connection: close`, but an
/// accepted tunnel is no keep-alive answer), and the tunnel carries bytes. In Soak II, one
/// handshake in an hour met a reload this way and the client refused the upgrade.
#[test]
fn a_websocket_handshake_under_way_at_a_reload_still_upgrades() {
    let port = free_port();
    let cb = Codebase::new("drain-upgrade");
    let script = |v: usize| {
        format!(
            "// version {v}\npipy()\n.listen({port})\n  .demuxHTTP().to($=>$\n    \
             .wait(() => new Timeout(1.5).wait())\n    \
             .acceptHTTPTunnel(() => new Message({{ status: 101, headers: {{ upgrade: 'websocket', connection: 'Upgrade' }} }}))\n    \
             .to($=>$.handleData(() => {{}}))\n  )\n"
        )
    };
    let path = cb.file("main.js", &script(0));
    let e = Engine::start(&path, &[port]);
    let mut s = connect(port);
    s.write_all(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&path, script(1)).unwrap();
    signal(e.pid(), "HUP");
    e.wait_log("reloaded", 10);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!(
                "the answer broke off ({other:?}) after {:?}; log:\n{}",
                String::from_utf8_lossy(&head),
                e.log()
            ),
        }
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("connection: upgrade\r\n"), "{head}");
    assert!(!head.contains("close"), "{head}");
    // The tunnel is open: what goes in comes back.
    s.write_all(b"through the tunnel").unwrap();
    assert_eq!(read_some(&mut s, 18).0, b"through the tunnel");
}
