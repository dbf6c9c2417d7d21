//! The HTTP/2 behaviour Pipy's `test/curl/005-http2` relies on: `Upgrade: h2c` answered with
//! 101 and the connection switched to HTTP/2; `muxHTTP`'s `version` given as a function that
//! returns a Promise, settled by `connectTLS`'s handshake callback with the ALPN the server
//! chose; and a load balancer's `borrow()` keeping one target per client connection, so every
//! stream of one HTTP/2 connection goes to the same upstream.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// A self-signed certificate and key for `localhost`, made by the system's openssl.
fn certificate(dir: &Path) {
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `nghttp` fetching `urls` over one HTTP/2 connection (prior knowledge); the bodies in
/// request order.
fn nghttp(urls: &[String]) -> String {
    let out = Command::new("nghttp")
        .args(["-t", "20"])
        .args(urls)
        .output()
        .expect("nghttp runs (scripts/setup.sh h2check installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `n` distinct URLs under `base` (nghttp fetches a URL given twice only once).
fn paths(base: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{base}{i}")).collect()
}

#[test]
fn h2c_upgrade_switches_the_connection_to_http2() {
    let port = free_port();
    let cb = Codebase::new("h2c-upgrade");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy().listen({port}).serveHTTP(req => new Message(\
             `${{req.head.method}} ${{req.head.path}} ${{req.head.headers['x-a'] || ''}} ${{req.body.size}}\\n`))"
        ),
    );
    let engine = Engine::start(&script, &[port]);
    let base = format!("http://127.0.0.1:{port}");
    // The upgrade request itself is answered on stream 1, over HTTP/2.
    let one = curl(&[
        "--http2",
        "-H",
        "x-a: 1",
        "-w",
        "%{http_version}\n",
        &format!("{base}/first"),
    ]);
    assert_eq!(one, "GET /first 1 0\n2\n", "log:\n{}", engine.log());
    // Three requests: the first upgrades, the other two reuse the HTTP/2 connection.
    let three = curl(&[
        "--http2",
        &format!("{base}/a"),
        &format!("{base}/b"),
        &format!("{base}/c"),
    ]);
    assert_eq!(three, "GET /a  0\nGET /b  0\nGET /c  0\n");
    // nghttp's own upgrade (-u) works too.
    let out = Command::new("nghttp")
        .args(["-u", "-t", "20", &format!("{base}/n")])
        .output()
        .expect("nghttp runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "GET /n  0\n");
    // A request with a body is not upgraded (RFC 7540 lets the server choose): HTTP/1.1.
    let post = curl(&[
        "--http2",
        "-d",
        "hello",
        "-w",
        "%{http_version}\n",
        &format!("{base}/post"),
    ]);
    assert_eq!(post, "POST /post  5\n1.1\n");
    // A client that sends something else than the HTTP/2 preface after the 101 is cut off.
    let (reply, closed) = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\
          HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        5,
    );
    let reply = String::from_utf8_lossy(&reply).into_owned();
    assert!(
        reply.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{reply}"
    );
    assert!(!reply.contains("200"), "{reply}");
    assert!(closed, "the connection is closed");
}

#[test]
fn streams_of_one_http2_connection_borrow_one_target() {
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let (a, b, c, front) = (ports[0], ports[1], ports[2], ports[3]);
    let cb = Codebase::new("h2-borrow");
    let script = cb.file(
        "main.js",
        &format!(
            "((lb = new algo.RoundRobinLoadBalancer(['127.0.0.1:{a}', '127.0.0.1:{b}', '127.0.0.1:{c}'])) =>
pipy({{ _target: null }})
.repeat([{a}, {b}, {c}], ($, port) => $.listen(port).serveHTTP(() => new Message(`${{port}}\\n`)))
.listen({front})
.demuxHTTP().to($=>$
  .muxHTTP(() => (_target = lb.borrow().id), {{ version: 2 }}).to($=>$.connect(() => _target))
)
)()"
        ),
    );
    let engine = Engine::start(&script, &[a, b, c, front]);
    let url = format!("http://127.0.0.1:{front}/");
    // Separate connections go round the targets.
    let mut firsts = Vec::new();
    for _ in 0..3 {
        firsts.push(nghttp(std::slice::from_ref(&url)));
    }
    firsts.sort();
    let mut all = vec![format!("{a}\n"), format!("{b}\n"), format!("{c}\n")];
    all.sort();
    assert_eq!(firsts, all);
    // Ten streams on one connection all go where that connection's first borrow went.
    let batch = nghttp(&paths(&url, 10));
    let lines: Vec<&str> = batch.lines().collect();
    assert_eq!(lines.len(), 10, "{batch}\nlog:\n{}", engine.log());
    assert!(lines.iter().all(|l| *l == lines[0]), "{batch}");
    // The same through an h2c upgrade.
    let batch = curl(&["--http2", &url, &url, &url, &url]);
    let lines: Vec<&str> = batch.lines().collect();
    assert_eq!(lines.len(), 4, "{batch}");
    assert!(lines.iter().all(|l| *l == lines[0]), "{batch}");
}

#[test]
fn a_version_promise_follows_the_alpn_the_upstream_chose() {
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let (h2_up, h1_up, front_h2, front_h1) = (ports[0], ports[1], ports[2], ports[3]);
    let cb = Codebase::new("version-promise");
    let main = cb.file("main.js", "");
    certificate(main.parent().unwrap());
    let script = cb.file(
        "main.js",
        &format!(
            "pipy({{ _protocol: undefined, _select: null, _target: null }})
.repeat([{h2_up}, {h1_up}], ($, port) => $
  .listen(port)
  .acceptTLS({{
    certificate: {{ cert: new crypto.Certificate(pipy.load('cert.pem')), key: new crypto.PrivateKey(pipy.load('key.pem')) }},
    alpn: port == {h2_up} ? ['http/1.1', 'h2'] : ['http/1.1'],
  }}).to($=>$
    .detectProtocol(p => _protocol = p)
    .serveHTTP(() => new Message(`${{_protocol}}:${{port}}\\n`))
  )
)
.repeat([[{front_h2}, {h2_up}], [{front_h1}, {h1_up}]], ($, [front, up]) => $
  .listen(front)
  .demuxHTTP().to($=>$
    .muxHTTP(
      () => (_target = '127.0.0.1:' + up),
      {{ version: () => new Promise(r => _select = r) }}
    ).to($=>$
      .connectTLS({{ alpn: ['h2', 'http/1.1'], handshake: ({{ alpn }}) => _select(alpn) }}).to($=>$
        .connect(() => _target)
      )
    )
  )
)"
        ),
    );
    let engine = Engine::start(&script, &[h2_up, h1_up, front_h2, front_h1]);
    let h2_url = format!("http://127.0.0.1:{front_h2}/");
    let h1_url = format!("http://127.0.0.1:{front_h1}/");
    // Several streams of one client connection arrive while the upstream connection is
    // still deciding its protocol: they wait for it, then share it (HTTP/2) or go on
    // connections of their own (HTTP/1.1).
    let out = nghttp(&paths(&h2_url, 6));
    assert_eq!(
        out,
        format!("HTTP2:{h2_up}\n").repeat(6),
        "log:\n{}",
        engine.log()
    );
    let out = nghttp(&paths(&h1_url, 4));
    assert_eq!(
        out,
        format!("HTTP:{h1_up}\n").repeat(4),
        "log:\n{}",
        engine.log()
    );
    for _ in 0..2 {
        let h2 = curl(&[&h2_url]);
        assert_eq!(h2, format!("HTTP2:{h2_up}\n"), "log:\n{}", engine.log());
        let h1 = curl(&[&h1_url]);
        assert_eq!(h1, format!("HTTP:{h1_up}\n"), "log:\n{}", engine.log());
    }
}

#[test]
fn connect_tunnels_run_over_http2_streams() {
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let (origin, tunnel_server, entry, refused_entry) = (ports[0], ports[1], ports[2], ports[3]);
    let cb = Codebase::new("h2-tunnel");
    // Pipy's test/curl/006 on free ports, plus an entry whose tunnel is refused.
    let script = cb.file(
        "main.js",
        &format!(
            "pipy({{ _target: undefined }})
.listen({origin}).serveHTTP(req => new Message(`Hello ${{req.head.path}} ${{req.body.size}}\\n`))
.listen({tunnel_server})
.demuxHTTP().to($=>$
  .acceptHTTPTunnel(
    msg => msg.head.method === 'CONNECT' && msg.head.path === 'localhost:{origin}' ? (
      void (_target = msg.head.path)
    ) : (
      new Message({{ status: 405 }}, 'method not allowed\\n')
    )
  ).to($=>$.connect(() => _target))
)
.repeat([[{entry}, 'localhost:{origin}'], [{refused_entry}, 'localhost:1']], ($, [port, target]) => $
  .listen(port)
  .connectHTTPTunnel(() => new Message({{ method: 'CONNECT', path: target }})).to($=>$
    .muxHTTP(() => 1, {{ version: 2 }}).to($=>$.connect('localhost:{tunnel_server}'))
  )
)"
        ),
    );
    let engine = Engine::start(&script, &[origin, tunnel_server, entry, refused_entry]);
    let url = format!("http://localhost:{entry}");
    // HTTP/1.1 requests, and HTTP/2 ones (h2c upgrade at the origin), through the tunnel.
    let out = curl(&[&format!("{url}/a"), &format!("{url}/b")]);
    assert_eq!(out, "Hello /a 0\nHello /b 0\n", "log:\n{}", engine.log());
    let out = curl(&["--http2", &format!("{url}/c"), &format!("{url}/d")]);
    assert_eq!(out, "Hello /c 0\nHello /d 0\n", "log:\n{}", engine.log());
    // A body of 1 MB goes through and is counted at the origin.
    let body = cb.file("body.bin", &"x".repeat(1 << 20));
    let out = curl(&[
        "--data-binary",
        &format!("@{}", body.display()),
        &format!("{url}/big"),
    ]);
    assert_eq!(out, format!("Hello /big {}\n", 1 << 20));
    // The tunnel server refuses other targets: the entry's client connection is closed.
    let (reply, closed) = raw_exchange(refused_entry, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5);
    assert!(reply.is_empty(), "{}", String::from_utf8_lossy(&reply));
    assert!(closed);
    // The proxy keeps serving after that.
    assert_eq!(curl(&[&format!("{url}/e")]), "Hello /e 0\n");
}
