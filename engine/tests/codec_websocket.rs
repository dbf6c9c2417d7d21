//! WebSocket through the real engine, with Python's websockets library on the other ends
//! (tests/codecs/websocket_peer.py): Sluice as an echo server (`demuxHTTP` →
//! `acceptHTTPTunnel` answering 101 → `decodeWebSocket` → `encodeWebSocket`), as a proxy
//! that decodes and re-encodes every frame both ways (`connectHTTPTunnel` over `muxHTTP`), and
//! as a plain HTTP proxy the upgrade passes through. The client sends text, a 1 MB binary
//! message, a fragmented message, a ping and a close with code 4001; a message over
//! `maxMessageSize` ends its connection.

mod codec_common;
mod common;

use std::path::PathBuf;
use std::process::Command;

use codec_common::*;
use common::*;

fn peer_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/codecs/websocket_peer.py")
}

/// The Python echo server on a free port.
fn python_server() -> (Peer, u16) {
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.arg(peer_script())
        .args(["server", &port.to_string()])
        .env("PYTHONUNBUFFERED", "1");
    let p = Peer::start(cmd);
    p.wait_output("ready", 20);
    (p, port)
}

/// Runs the Python client cases against `url` and checks every result.
fn python_client(url: &str) {
    let mut cmd = Command::new("python3");
    cmd.arg(peer_script()).args(["client", url]);
    let (code, out, err) = run(cmd, 30);
    assert_eq!(code, Some(0), "client: {out}{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("a JSON line");
    assert_eq!(
        v,
        serde_json::json!({
            "text": "hello", "binary": 1048576, "fragmented": "fragmented!",
            "pong": true, "close": [4001, "bye"]
        }),
        "{err}"
    );
}

const ACCEPT: &str = r#"
    .acceptHTTPTunnel(req => (
      _req = req.head,
      new Message({ status: 101, headers: { upgrade: 'websocket', connection: 'Upgrade' } })
    ))"#;

#[test]
fn sluice_as_an_echo_server() {
    let port = free_port();
    let cb = Codebase::new("ws-echo");
    let main = cb.file(
        "main.js",
        &format!(
            r#"
pipy({{ _req: null }})
.listen({port})
  .demuxHTTP().to($=>${ACCEPT}
    .to($=>$
      .decodeWebSocket()
      .handleMessage(msg => console.log('frame', msg.head.opcode, msg.head.masked, msg.body.size))
      .replaceMessage(msg => {{
        switch (msg.head.opcode) {{
          case 1: case 2: return new Message({{ opcode: msg.head.opcode }}, msg.body);
          case 9: return new Message({{ opcode: 10 }}, msg.body);
          case 8: return [new Message({{ opcode: 8 }}, msg.body), new StreamEnd];
          default: return null;
        }}
      }})
      .encodeWebSocket()
    )
  )
"#
        ),
    );
    let engine = Engine::start(&main, &[port]);
    python_client(&format!("ws://127.0.0.1:{port}/echo"));
    let log = engine.log();
    for line in [
        "frame 1 true 5",
        "frame 2 true 1048576",
        "frame 1 true 11",
        "frame 9 true 13",
        "frame 8 true 5",
    ] {
        assert!(log.contains(line), "no {line:?} in:\n{log}");
    }
}

#[test]
fn sluice_as_a_decoding_proxy() {
    let (_server, upstream) = python_server();
    let port = free_port();
    let cb = Codebase::new("ws-proxy");
    let main = cb.file(
        "main.js",
        &format!(
            r#"
pipy({{ _req: null }})
.listen({port})
  .demuxHTTP().to($=>${ACCEPT}
    .to($=>$
      .decodeWebSocket()
      .handleMessage(msg => console.log('client>', msg.head.opcode, msg.head.masked, msg.body.size))
      .encodeWebSocket()
      .connectHTTPTunnel(() => new Message({{
        method: 'GET', path: _req.path, headers: {{
          host: _req.headers.host, upgrade: 'websocket', connection: 'Upgrade',
          'sec-websocket-key': _req.headers['sec-websocket-key'], 'sec-websocket-version': '13',
        }}
      }}))
      .to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{upstream}')))
      .decodeWebSocket()
      .handleMessage(msg => console.log('server>', msg.head.opcode, msg.head.masked, msg.body.size))
      .encodeWebSocket()
    )
  )
"#
        ),
    );
    let engine = Engine::start(&main, &[port]);
    python_client(&format!("ws://127.0.0.1:{port}/via-proxy"));
    let log = engine.log();
    // Client frames are masked (and re-masked toward the server); server frames are not.
    for line in [
        "client> 1 true 5",
        "server> 1 false 5",
        "client> 2 true 1048576",
        "server> 2 false 1048576",
        "client> 1 true 11",
        "client> 9 true 13",
        "server> 10 false 13",
        "client> 8 true 5",
        "server> 8 false 5",
    ] {
        assert!(log.contains(line), "no {line:?} in:\n{log}");
    }
}

#[test]
fn the_upgrade_passes_through_a_plain_http_proxy() {
    let (_server, upstream) = python_server();
    let port = free_port();
    let cb = Codebase::new("ws-http-proxy");
    let main = cb.file(
        "main.js",
        &format!(
            r#"
pipy()
.listen({port})
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => console.log('request', msg.head.method, msg.head.headers.upgrade))
    .muxHTTP().to($=>$.connect('127.0.0.1:{upstream}'))
    .handleMessageStart(msg => console.log('response', msg.head.status))
  )
"#
        ),
    );
    let engine = Engine::start(&main, &[port]);
    python_client(&format!("ws://127.0.0.1:{port}/plain"));
    let log = engine.log();
    assert!(log.contains("request GET websocket"), "{log}");
    assert!(log.contains("response 101"), "{log}");
}

#[test]
fn a_message_over_the_limit_ends_its_connection() {
    let port = free_port();
    let cb = Codebase::new("ws-limit");
    let main = cb.file(
        "main.js",
        &format!(
            r#"
pipy({{ _req: null }})
.listen({port})
  .demuxHTTP().to($=>${ACCEPT}
    .to($=>$
      .decodeWebSocket({{ maxMessageSize: '64k' }})
      .handleMessageStart(msg => {{ msg.head.masked = false }})
      .encodeWebSocket()
    )
  )
"#
        ),
    );
    let engine = Engine::start(&main, &[port]);
    let url = format!("ws://127.0.0.1:{port}/limit");
    let mut cmd = Command::new("python3");
    cmd.arg(peer_script()).args(["oversize", &url, "100000"]);
    let (code, out, err) = run(cmd, 30);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(
        out.trim(),
        "closed True",
        "no close frame, the connection just ends"
    );
    engine.wait_log(
        "decodeWebSocket: 100000 bytes is over the limit of 65536",
        10,
    );
    // Small messages still echo.
    let mut cmd = Command::new("python3");
    cmd.arg(peer_script()).args(["oversize", &url, "1000"]);
    let (_, out, _) = run(cmd, 30);
    assert_eq!(out.trim(), "answered");
}
