//! HTTP/2 through the real engine: cleartext by prior knowledge, over TLS by ALPN, many
//! concurrent streams on one connection, HTTP/1 and HTTP/2 on either side of a proxy, a dead
//! upstream, and protocol errors. Clients: curl and hyper.

mod common;

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// curl's output (body, or with `-i` the head too), or panics with its error.
fn curl_ok(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-S", "-m", "10"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The backend of every test: answers with the method, path, protocol and body size.
const BACKEND: &str = "serveHTTP(req => new Message({ headers: { 'x-protocol': req.head.protocol, 'x-host': req.head.headers.host } }, `${req.head.method} ${req.head.path} ${req.body ? req.body.size : 0}\\n`))";

#[test]
fn cleartext_http2_by_prior_knowledge_through_a_proxy_both_ways() {
    let cb = Codebase::new("h2c");
    let (serve, proxy, to_h2, dead) = (free_port(), free_port(), free_port(), free_port());
    let (down, chosen) = (free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({serve}).{BACKEND}
.listen({proxy}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{serve}')))
.listen({to_h2}).demuxHTTP().to($=>$.muxHTTP(() => 'h2', {{ version: 2 }}).to($=>$.connect('127.0.0.1:{serve}')))
.listen({chosen}).demuxHTTP().to($=>$.muxHTTP(() => 'fn', {{ version: () => 'HTTP/2' }}).to($=>$.connect('127.0.0.1:{serve}')))
.listen({dead}).demuxHTTP().to($=>$.muxHTTP(() => 'dead', {{ version: 'h2' }}).to($=>$.connect('127.0.0.1:{down}')))
"#
        ),
    );
    let _e = Engine::start(&script, &[serve, proxy, to_h2, dead, chosen]);

    // h2c straight to serveHTTP: the handler sees HTTP/2 and the authority as the host.
    let out = curl_ok(&[
        "-i",
        "--http2-prior-knowledge",
        &format!("http://127.0.0.1:{serve}/a?b=1"),
    ]);
    assert!(out.starts_with("HTTP/2 200 \r\n"), "{out}");
    assert!(out.contains("x-protocol: HTTP/2\r\n"), "{out}");
    assert!(
        out.contains(&format!("x-host: 127.0.0.1:{serve}\r\n")),
        "{out}"
    );
    assert!(out.contains("content-length: 13\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nGET /a?b=1 0\n"), "{out}");

    // h2c in, HTTP/1.1 out: the backend sees HTTP/1.1; a 300 KB upload arrives whole.
    let big = cb.file("big", &"x".repeat(300_000));
    let out = curl_ok(&[
        "-i",
        "--http2-prior-knowledge",
        "--data-binary",
        &format!("@{}", big.display()),
        &format!("http://127.0.0.1:{proxy}/up"),
    ]);
    assert!(out.starts_with("HTTP/2 200 \r\n"), "{out}");
    assert!(out.contains("x-protocol: HTTP/1.1\r\n"), "{out}");
    assert!(out.ends_with("POST /up 300000\n"), "{out}");

    // HTTP/1.1 in, HTTP/2 out (muxHTTP version 2).
    let out = curl_ok(&["-i", &format!("http://127.0.0.1:{to_h2}/down")]);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("x-protocol: HTTP/2\r\n"), "{out}");
    assert!(out.ends_with("GET /down 0\n"), "{out}");
    // and HTTP/2 on both sides.
    let out = curl_ok(&[
        "--http2-prior-knowledge",
        "-d",
        "12345",
        &format!("http://127.0.0.1:{to_h2}/both"),
    ]);
    assert_eq!(out, "POST /both 5\n");

    // The version chosen per stream by a function.
    let out = curl_ok(&["-i", &format!("http://127.0.0.1:{chosen}/fn")]);
    assert!(out.contains("x-protocol: HTTP/2\r\n"), "{out}");

    // A dead HTTP/2 upstream: 502, and the proxy goes on serving.
    for _ in 0..2 {
        let out = curl_ok(&["-i", &format!("http://127.0.0.1:{dead}/")]);
        assert!(
            out.starts_with("HTTP/1.1 502 Connection Refused\r\n"),
            "{out}"
        );
    }
    let out = curl_ok(&[&format!("http://127.0.0.1:{to_h2}/again")]);
    assert_eq!(out, "GET /again 0\n");
}

#[test]
fn http2_over_tls_is_chosen_by_alpn_and_http1_still_works_there() {
    let cb = Codebase::new("h2-tls");
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = cb.file("cert.pem", &c.cert.pem());
    cb.file("key.pem", &c.key_pair.serialize_pem());
    let (tls, serve) = (free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({tls})
  .acceptTLS({{
    certificate: {{ cert: new crypto.CertificateChain(pipy.load('cert.pem')), key: new crypto.PrivateKey(pipy.load('key.pem')) }},
    alpn: ['h2', 'http/1.1'],
  }}).to($=>$.demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{serve}'))))
.listen({serve}).{BACKEND}
"#
        ),
    );
    let _e = Engine::start(&script, &[tls, serve]);
    let ca = cert.to_str().unwrap();
    let resolve = format!("localhost:{tls}:127.0.0.1");
    let url = format!("https://localhost:{tls}/secure");
    let out = curl_ok(&[
        "--http2",
        "--cacert",
        ca,
        "--resolve",
        &resolve,
        "-w",
        "%{http_version}",
        &url,
    ]);
    assert_eq!(out, "GET /secure 0\n2");
    let out = curl_ok(&[
        "--http1.1",
        "--cacert",
        ca,
        "--resolve",
        &resolve,
        "-w",
        "%{http_version}",
        &url,
    ]);
    assert_eq!(out, "GET /secure 0\n1.1");
}

/// Sends `n` requests at once on one HTTP/2 connection to `port`; returns (path, status,
/// body) of each.
async fn concurrent_streams(port: u16, n: usize) -> Vec<(String, u16, String)> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (tx, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut tasks = Vec::new();
    for i in 0..n {
        let mut tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let path = format!("/stream/{i}");
            let body = "b".repeat(i * 100);
            let req = hyper::Request::post(format!("http://localhost{path}"))
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            let res = tx.send_request(req).await.unwrap();
            let status = res.status().as_u16();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (path, status, String::from_utf8_lossy(&body).into_owned())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[test]
fn a_hundred_concurrent_streams_on_one_connection_all_complete() {
    let cb = Codebase::new("h2-streams");
    let (proxy, proxy_h2, serve) = (free_port(), free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({proxy}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{serve}')))
.listen({proxy_h2}).demuxHTTP().to($=>$.muxHTTP(() => 'one', {{ version: 2 }}).to($=>$.connect('127.0.0.1:{serve}')))
.listen({serve}).{BACKEND}
"#
        ),
    );
    let e = Engine::start(&script, &[proxy, proxy_h2, serve]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for port in [proxy, proxy_h2] {
        let results = rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), concurrent_streams(port, 100))
                .await
                .expect("100 streams finish within 30 s")
        });
        assert_eq!(results.len(), 100);
        for (i, (path, status, body)) in results.iter().enumerate() {
            assert_eq!(*status, 200, "{path}");
            assert_eq!(body, &format!("POST {path} {}\n", i * 100));
        }
    }
    // Nothing went wrong on the way.
    let log = e.log();
    assert!(!log.contains("[ERR]"), "{log}");
}

#[test]
fn a_broken_http2_connection_ends_alone() {
    let cb = Codebase::new("h2-bad");
    let serve = free_port();
    let script = cb.file("main.js", &format!("pipy().listen({serve}).{BACKEND}"));
    let _e = Engine::start(&script, &[serve]);
    // The preface, then a frame that is not one (a DATA frame on stream 0): the server must
    // answer with GOAWAY (type 7) and close, never crash.
    let mut bad = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    bad.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]); // empty SETTINGS
    bad.extend_from_slice(&[0, 0, 3, 0, 0, 0, 0, 0, 0, b'x', b'y', b'z']); // DATA on stream 0
    let (reply, closed) = raw_exchange(serve, &bad, 5);
    assert!(closed, "the connection is closed");
    assert!(
        frame_types(&reply).contains(&7),
        "a GOAWAY frame: {reply:?}"
    );
    // The next client is served.
    let out = curl_ok(&[
        "--http2-prior-knowledge",
        &format!("http://127.0.0.1:{serve}/ok"),
    ]);
    assert_eq!(out, "GET /ok 0\n");
}

/// The types of the HTTP/2 frames in `bytes`, in order.
fn frame_types(bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut i = 0;
    while i + 9 <= bytes.len() {
        let len = usize::from(bytes[i]) << 16
            | usize::from(bytes[i + 1]) << 8
            | usize::from(bytes[i + 2]);
        types.push(bytes[i + 3]);
        i += 9 + len;
    }
    types
}

#[test]
fn a_fixed_serve_http_message_answers_http2_as_it_answers_http1() {
    // serveHTTP given a Message (not a function) answers from a copy made once; HTTP/2 must
    // carry the same status, headers and body, read the request body first, and answer HEAD
    // with the head alone.
    let cb = Codebase::new("h2-constant");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({port})\n  .serveHTTP(new Message({{ status: 201, headers: {{ 'x-fixed': 'yes' }} }}, 'made once'))\n"
        ),
    );
    let _e = Engine::start(&script, &[port]);
    let url = format!("http://127.0.0.1:{port}/x");
    for proto in ["--http1.1", "--http2-prior-knowledge"] {
        let out = curl_ok(&["-i", proto, &url]);
        assert!(
            out.starts_with("HTTP/1.1 201") || out.starts_with("HTTP/2 201"),
            "{out}"
        );
        assert!(out.contains("x-fixed: yes\r\n"), "{out}");
        assert!(out.contains("content-length: 9\r\n"), "{out}");
        assert!(out.ends_with("\r\n\r\nmade once"), "{out}");
        let posted = curl_ok(&[proto, "--data-binary", &"b".repeat(100_000), &url]);
        assert_eq!(posted, "made once");
        let head = curl_ok(&["-I", proto, &url]);
        assert!(head.contains("x-fixed: yes\r\n"), "{head}");
        assert!(!head.contains("made once"), "{head}");
    }
}

#[test]
fn a_serve_http_body_past_the_limit_gets_413() {
    // serveHTTP holds whole requests (16 MiB each at most, as over HTTP/1): a bigger upload is
    // answered 413 and the rest of it dropped. (The codec's own tests show the connection
    // serving on; curl 7.88 cannot reuse a connection after a 413 mid-upload, NGINX's too.)
    let cb = Codebase::new("h2-413");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            "pipy().listen({port}).serveHTTP(req => new Message(`got ${{req.body.size}}\\n`))"
        ),
    );
    let _e = Engine::start(&script, &[port]);
    let big = cb.file("big", &"x".repeat(17 << 20));
    let url = format!("http://127.0.0.1:{port}/");
    let out = Command::new("curl")
        .args([
            "-s",
            "-m",
            "20",
            "-i",
            "--http2-prior-knowledge",
            "--data-binary",
        ])
        .arg(format!("@{}", big.display()))
        .arg(&url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/2 413"), "{text}");
    assert!(
        text.ends_with("\r\n\r\nrequest body is over the 16 MiB limit\n"),
        "{text}"
    );
    // Within the limit, the whole body reaches the handler.
    let fits = cb.file("fits", &"x".repeat(3 << 20));
    let out = curl_ok(&[
        "--http2-prior-knowledge",
        "--data-binary",
        &format!("@{}", fits.display()),
        &url,
    ]);
    assert_eq!(out, format!("got {}\n", 3 << 20));
}

#[test]
fn a_large_answer_made_at_once_reaches_a_client_with_a_small_window() {
    // A reply made while the client's bytes are handled (a fixed Message here) waits in the
    // codec for the client's window, and goes out as the client's WINDOW_UPDATEs come: the
    // whole body arrives. nghttp's stream window is 64 KiB; the body is 30 times that.
    let cb = Codebase::new("h2-window");
    let port = free_port();
    let size = 2_000_000;
    let script = cb.file(
        "main.js",
        &format!("pipy().listen({port}).serveHTTP(new Message('y'.repeat({size})))"),
    );
    let _e = Engine::start(&script, &[port]);
    let out = Command::new("timeout")
        .args(["20", "nghttp", "-w", "16", "-W", "16"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), size);
    assert!(out.stdout.iter().all(|&b| b == b'y'));
}
