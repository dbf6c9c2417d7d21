//! Upgrades (WebSocket-style) and CONNECT through the HTTP proxy: after the 101 / 2xx the
//! connection carries raw bytes both ways.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::*;

/// An origin that accepts an upgrade (101) or CONNECT (200), then answers every chunk with
/// the same bytes upper-cased; anything else gets 400.
fn tunnel_origin() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut c = c;
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if c.read(&mut b).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(b[0]);
                }
                let h = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let reply: &[u8] = if h.starts_with("connect ") {
                    b"HTTP/1.1 200 Connection Established\r\n\r\n"
                } else if h.contains("upgrade: shout") && h.contains("connection: upgrade") {
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n"
                } else {
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                };
                c.write_all(reply).unwrap();
                let mut buf = [0u8; 4096];
                loop {
                    match c.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if c.write_all(&buf[..n].to_ascii_uppercase()).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    port
}

fn read_until(s: &mut std::net::TcpStream, want: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(want) {
        let n = s.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "closed before {want:?}; got {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got).unwrap()
}

#[test]
fn an_upgrade_and_a_connect_tunnel_pass_through_the_proxy() {
    let origin = tunnel_origin();
    let port = free_port();
    let cb = Codebase::new("tunnels");
    let script = cb.file(
        "main.js",
        &format!("pipy()\n.listen({port})\n  .demuxHTTP().to($=>$.muxHTTP(() => 'o').to($=>$.connect('127.0.0.1:{origin}')))\n"),
    );
    let _e = Engine::start(&script, &[port]);

    // Upgrade: the 101 comes back with `connection: upgrade`, then bytes flow both ways.
    let mut s = connect(port);
    s.write_all(
        b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nhello",
    )
    .unwrap();
    let head = read_until(&mut s, "HELLO");
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("connection: upgrade\r\n"),
        "{head}"
    );
    s.write_all(b"again").unwrap();
    read_until(&mut s, "AGAIN");
    drop(s);

    // CONNECT: 200, then a raw tunnel.
    let mut s = connect(port);
    s.write_all(b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
        .unwrap();
    let head = read_until(&mut s, "\r\n\r\n");
    assert!(
        head.starts_with("HTTP/1.1 200 Connection Established\r\n"),
        "{head}"
    );
    assert!(
        !head.to_ascii_lowercase().contains("content-length"),
        "{head}"
    );
    s.write_all(b"secret bytes").unwrap();
    read_until(&mut s, "SECRET BYTES");
    drop(s);

    // A refused upgrade is an ordinary response, and the proxy keeps serving.
    let (out, _) = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: other\r\nConnection: Upgrade\r\n\r\n",
        5,
    );
    assert!(
        String::from_utf8_lossy(&out).starts_with("HTTP/1.1 400"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn accept_and_connect_http_tunnel_build_a_forward_proxy_and_its_client() {
    let (fwd, hello, echo, entry) = (free_port(), free_port(), free_port(), free_port());
    let cb = Codebase::new("httptunnel");
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy({{ _target: '' }})
.listen({fwd})
  .demuxHTTP().to($=>$
    .acceptHTTPTunnel(msg => (
      _target = msg.head.path,
      msg.head.method === 'CONNECT' ? new Message({{ status: 200 }}) : new Message({{ status: 405 }}, 'method not allowed')
    )).to($=>$.connect(() => _target))
  )
.listen({hello})
  .serveHTTP(new Message('Hello!'))
.listen({echo})
.listen({entry})
  .connectHTTPTunnel(new Message({{ method: 'CONNECT', path: '127.0.0.1:{echo}' }})).to($=>$
    .muxHTTP(() => 'fwd').to($=>$.connect('127.0.0.1:{fwd}'))
  )
"#
        ),
    );
    let _e = Engine::start(&script, &[fwd, hello, echo, entry]);
    // A real client through the forward proxy with CONNECT.
    let out = curl(&[
        "-p",
        "-x",
        &format!("http://127.0.0.1:{fwd}"),
        &format!("http://127.0.0.1:{hello}/"),
    ]);
    assert_eq!(out, "Hello!");
    // Not CONNECT: refused.
    assert_eq!(
        curl(&[
            "-x",
            &format!("http://127.0.0.1:{fwd}"),
            &format!("http://127.0.0.1:{hello}/")
        ]),
        "method not allowed"
    );
    // Raw bytes into the entry port come back from the echo service through the tunnel.
    assert_eq!(
        roundtrip(entry, b"through the tunnel"),
        b"through the tunnel"
    );
}

#[test]
fn a_connect_tunnel_carries_a_tls_session_end_to_end() {
    let (fwd, tls) = (free_port(), free_port());
    let cb = Codebase::new("tls-tunnel");
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = cb.file("cert.pem", &c.cert.pem());
    cb.file("key.pem", &c.key_pair.serialize_pem());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy({{ _target: '' }})
.listen({fwd})
  .demuxHTTP().to($=>$
    .acceptHTTPTunnel(msg => (_target = msg.head.path, new Message({{ status: 200 }})))
    .to($=>$.connect(() => _target))
  )
.listen({tls})
  .acceptTLS({{
    certificate: {{ cert: new crypto.CertificateChain(pipy.load('cert.pem')), key: new crypto.PrivateKey(pipy.load('key.pem')) }},
  }}).to($=>$.serveHTTP(() => new Message('secret over ' + __inbound.tls.protocol)))
"#
        ),
    );
    let _e = Engine::start(&script, &[fwd, tls]);
    // curl opens a CONNECT tunnel through the proxy and runs TLS inside it; the proxy only
    // sees ciphertext and the certificate is checked against the one made above.
    let out = curl(&[
        "--cacert",
        cert.to_str().unwrap(),
        "-x",
        &format!("http://127.0.0.1:{fwd}"),
        "--resolve",
        &format!("localhost:{tls}:127.0.0.1"),
        &format!("https://localhost:{tls}/"),
    ]);
    assert_eq!(out, "secret over TLSv1.3");
}
