//! Thrift through Sluice against Python's `thrift` library: a client and a server speaking the
//! binary and the compact protocols, with a proxy in between that decodes every message,
//! changes one argument, and encodes them again (`decodeThrift`/`encodeThrift`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use common::*;

const PEER: &str = include_str!("peers/thrift_peer.py");

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python_thrift() -> bool {
    Command::new("python3")
        .args(["-c", "import thrift"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn through_proxy(kind: &str) {
    assert!(
        python_thrift(),
        "Python's thrift is missing: run scripts/setup.sh codecs2"
    );
    let cb = Codebase::new("thrift");
    let peer = cb.file("peer.py", PEER);
    let (up, port) = (free_port(), free_port());
    let mut server = Peer(
        Command::new("python3")
            .arg(&peer)
            .args(["server", kind, &up.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs"),
    );
    let mut ready = String::new();
    BufReader::new(server.0.stdout.as_mut().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    let main = cb.file(
        "main.js",
        &format!(
            "pipy.listen({port}, $=>$\n\
               .decodeThrift()\n\
               .handleMessageEnd(e => {{\n\
                 const m = e.payload\n\
                 console.log(`call ${{m.protocol}} ${{m.type}} ${{m.name}} #${{m.seqID}} ${{m.fields.map(f => f.id + ':' + f.type).join(',')}}`)\n\
                 if (m.name === 'add') m.fields[0].value += 100\n\
               }})\n\
               .encodeThrift()\n\
               .connect('127.0.0.1:{up}')\n\
               .decodeThrift()\n\
               .handleMessageEnd(e => console.log(`reply ${{e.payload.type}} ${{e.payload.name}} #${{e.payload.seqID}}`))\n\
               .encodeThrift()\n\
             )\n"
        ),
    );
    let e = Engine::start(&main, &[port]);
    let out = Command::new("python3")
        .arg(&peer)
        .args(["client", kind, &port.to_string()])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        e.log()
    );
    let lines: Vec<&str> = stdout.lines().collect();
    // add(1, 2) reached the server as add(101, 2).
    assert_eq!(
        lines[0],
        r#"{"name": "add", "type": 2, "seq": 7, "result": [[0, 8, 103]]}"#
    );
    // Every type survives decoding and encoding both ways.
    let sample = lines[2]
        .strip_prefix(r#"{"sample": "#)
        .and_then(|s| s.strip_suffix('}'))
        .unwrap();
    assert!(
        lines[1].ends_with(&format!(r#""seq": 8, "result": [[0, 12, {sample}]]}}"#)),
        "{}",
        lines[1]
    );
    let log = e.wait_log("reply reply echo #8", 5);
    assert!(
        log.contains(&format!("call {kind} call add #7 1:I32,2:I32")),
        "{log}"
    );
    assert!(
        log.contains(&format!("call {kind} call echo #8 1:STRUCT")),
        "{log}"
    );
}

#[test]
fn binary_protocol_through_a_decoding_proxy() {
    through_proxy("binary");
}

#[test]
fn compact_protocol_through_a_decoding_proxy() {
    through_proxy("compact");
}

#[test]
fn oversized_and_malformed_messages_end_the_stream() {
    let cb = Codebase::new("thrift-limit");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            "pipy.listen({port}, $=>$\n\
               .decodeThrift({{ maxMessageSize: 1000 }})\n\
               .handleStreamEnd(e => console.log(`ended ${{e.error}}`))\n\
               .encodeThrift()\n\
             )\n"
        ),
    );
    let e = Engine::start(&main, &[port]);
    // A call whose name claims 1 MB: over the 1000-byte limit, refused once that is known.
    let mut big = b"\x80\x01\x00\x01\x00\x10\x00\x00".to_vec();
    big.extend(std::iter::repeat_n(b'a', 500));
    let (_, closed) = raw_exchange(port, &big, 5);
    assert!(closed);
    e.wait_log("ended BufferOverflow", 5);
    // Not Thrift at all.
    let (_, closed) = raw_exchange(port, b"\xffnot thrift", 5);
    assert!(closed);
    e.wait_log("ended ProtocolError", 5);
    // A whole message is answered with the same bytes.
    let ping = b"\x80\x01\x00\x01\x00\x00\x00\x04ping\x00\x00\x00\x01\x00";
    let (back, _) = raw_exchange(port, ping, 2);
    assert_eq!(back, ping);
    // And the same when it arrives in pieces.
    let mut s = connect(port);
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    for piece in [&ping[..3], &ping[3..10], &ping[10..]] {
        s.write_all(piece).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut back = vec![0u8; ping.len()];
    s.read_exact(&mut back).unwrap();
    assert_eq!(back, ping);
}
