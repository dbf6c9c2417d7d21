//! What Pipy's own test programs need of TLS and protocol detection: X.509 v1 certificates
//! (Pipy's test certificates are v1), `connectTLS` checking the server only when `trusted` is
//! given, ALPN chosen in the client's order, and `detectProtocol`.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use common::*;

/// A self-signed X.509 v1 certificate and its key, made by the system's openssl.
fn v1_certificate(dir: &Path) -> (String, String) {
    let key = dir.join("v1-key.pem");
    let csr = dir.join("v1.csr");
    let cert = dir.join("v1-cert.pem");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["genrsa", "-out", key.to_str().unwrap(), "2048"]);
    run(&[
        "req",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        "/CN=localhost",
        "-out",
        csr.to_str().unwrap(),
    ]);
    // `x509 -req` without extensions makes a version 1 certificate.
    run(&[
        "x509",
        "-req",
        "-in",
        csr.to_str().unwrap(),
        "-signkey",
        key.to_str().unwrap(),
        "-days",
        "30",
        "-out",
        cert.to_str().unwrap(),
    ]);
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in", cert.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("Version: 1 (0x0)"));
    (
        std::fs::read_to_string(&cert).unwrap(),
        std::fs::read_to_string(&key).unwrap(),
    )
}

#[test]
fn v1_certificates_client_ordered_alpn_and_checking_only_with_trusted() {
    let cb = Codebase::new("pipy-tls");
    let (cert, key) = v1_certificate(&cb.dir);
    cb.file("cert.pem", &cert);
    cb.file("key.pem", &key);
    std::fs::create_dir_all(cb.dir.join("other")).unwrap();
    let (other, _) = v1_certificate(&cb.dir.join("other"));
    cb.file("other.pem", &other);
    let [tls, front, checked, wrong] = [free_port(), free_port(), free_port(), free_port()];
    let main = cb.file(
        "main.js",
        &format!(
            "var cert = new crypto.Certificate(pipy.load('cert.pem'))\n\
             var key = new crypto.PrivateKey(pipy.load('key.pem'))\n\
             var $alpn\n\
             // The server lists http/1.1 first; the client prefers h2 and gets it.\n\
             pipy.listen({tls}, $=>$\n\
               .acceptTLS({{ certificate: {{ cert, key }}, alpn: ['http/1.1', 'h2'] }}).to($=>$\n\
                 .detectProtocol(p => void ($alpn = p))\n\
                 .serveHTTP(() => new Message(`${{$alpn}} ${{__inbound.tls?.alpn || ''}}\\n`))))\n\
             var $got\n\
             // No trusted: nothing is checked (a self-signed v1 certificate is fine).\n\
             pipy.listen({front}, $=>$.demuxHTTP().to($=>$\n\
               .muxHTTP(() => 1, {{ version: 2 }}).to($=>$\n\
                 .connectTLS({{ alpn: ['h2', 'http/1.1'], handshake: ({{ alpn }}) => void ($got = alpn) }})\n\
                 .to($=>$.connect('127.0.0.1:{tls}')))))\n\
             // Trusted, no sni: the chain is checked, not the name.\n\
             pipy.listen({checked}, $=>$.demuxHTTP().to($=>$\n\
               .muxHTTP().to($=>$\n\
                 .connectTLS({{ trusted: [cert] }}).to($=>$.connect('127.0.0.1:{tls}')))))\n\
             pipy.listen({wrong}, $=>$.demuxHTTP().to($=>$\n\
               .muxHTTP().to($=>$\n\
                 .connectTLS({{ trusted: [new crypto.Certificate(pipy.load('other.pem'))] }})\n\
                 .to($=>$.connect('127.0.0.1:{tls}')))))\n"
        ),
    );
    let e = Engine::start(&main, &[tls, front, checked, wrong]);
    // curl offers h2 first too, and sees it chosen over the server's order.
    let out = Command::new("curl")
        .args(["-s", "-k", "--http2", "-w", " %{http_version}", "-m", "10"])
        .arg(format!("https://localhost:{tls}/"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "HTTP2 h2\n 2");
    assert_eq!(curl(&[&format!("http://127.0.0.1:{front}/")]), "HTTP2 h2\n");
    // No ALPN asked for: none chosen.
    assert_eq!(curl(&[&format!("http://127.0.0.1:{checked}/")]), "HTTP \n");
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "10"])
        .arg(format!("http://127.0.0.1:{wrong}/"))
        .output()
        .unwrap();
    // The upstream's certificate is refused: the handshake ends the stream as Unauthorized,
    // which the client sees as 401 (as in Pipy).
    assert_eq!(String::from_utf8_lossy(&out.stdout), "401");
    let log = e.wait_log("connectTLS(): handshake failed", 5);
    assert!(log.contains("invalid peer certificate"), "{log}");
}

#[test]
fn detect_protocol_names_http_http2_tls_or_nothing() {
    let cb = Codebase::new("detect");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            "var $p\n\
             pipy.listen({port}, $=>$\n\
               .detectProtocol(p => ($p = p, new Data(`[${{p}}]`)), {{ timeout: 0.3 }})\n\
               .handleStreamStart(() => void 0)\n\
             )\n"
        ),
    );
    let _e = Engine::start(&main, &[port]);
    let ask = |bytes: &[u8]| -> String {
        let mut s = connect(port);
        s.write_all(bytes).unwrap();
        let mut buf = vec![0u8; 256];
        let n = s.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    // The callback's events come first, then the bytes, passed on unchanged.
    assert!(ask(b"GET / HTTP/1.1\r\n").starts_with("[HTTP]"));
    assert!(ask(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").starts_with("[HTTP2]"));
    assert!(ask(&[22, 3, 1, 0, 100, 1, 0, 0, 96, 3, 3]).starts_with("[TLS]"));
    assert!(ask(b"SSH-2.0-OpenSSH_9\r\n").starts_with("[]SSH"));
    // Too few bytes to tell: the bytes pass at once, and the timeout answers ''.
    let mut s = connect(port);
    s.write_all(b"GE").unwrap();
    let mut buf = vec![0u8; 64];
    let mut got = Vec::new();
    while !got.ends_with(b"[]") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "{got:?}");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"GE[]");
}
