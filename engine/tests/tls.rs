//! TLS through the real engine: termination, origination, SNI, ALPN, mutual TLS. Test
//! certificates are made here (rcgen); no key is checked in.

mod common;

use std::process::Command;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

struct Pki {
    ca: (rcgen::Certificate, KeyPair),
}

impl Pki {
    fn new() -> Pki {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(DnType::CommonName, "Sluice Test CA");
        let key = KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        Pki { ca: (cert, key) }
    }

    /// (certificate PEM, key PEM) for `names`, for a server or a client.
    fn issue(&self, cn: &str, names: &[&str], client: bool) -> (String, String) {
        let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.ca.0, &self.ca.1).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

fn curl_tls(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "-m", "10"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn tls_terminates_originates_picks_certificates_by_sni_and_checks_clients() {
    let pki = Pki::new();
    let cb = Codebase::new("tls");
    let (srv, srv_key) = pki.issue("localhost", &["localhost", "127.0.0.1"], false);
    let (other, other_key) = pki.issue("other.test", &["other.test"], false);
    let (client, client_key) = pki.issue("trusted client", &[], true);
    cb.file("ca.pem", &pki.ca.0.pem());
    cb.file("server.pem", &srv);
    cb.file("server-key.pem", &srv_key);
    cb.file("other.pem", &other);
    cb.file("other-key.pem", &other_key);
    let ca_path = cb.dir.join("ca.pem");
    let client_path = cb.file("client.pem", &client);
    let client_key_path = cb.file("client-key.pem", &client_key);
    let (tls, mtls, to_tls, from_tls, plain) = (
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
    );
    let script = cb.file(
        "main.js",
        &format!(
            r#"var ca = new crypto.Certificate(pipy.load('ca.pem'));
var main = {{ cert: new crypto.CertificateChain(pipy.load('server.pem')), key: new crypto.PrivateKey(pipy.load('server-key.pem')) }};
var other = {{ cert: new crypto.CertificateChain(pipy.load('other.pem')), key: new crypto.PrivateKey(pipy.load('other-key.pem')) }};
pipy()
.listen({tls})
  .acceptTLS({{ certificate: sni => sni === 'other.test' ? other : main, alpn: ['http/1.1'] }}).to($=>$
    .serveHTTP(() => new Message(`hello ${{__inbound.tls.serverName}} ${{__inbound.tls.alpn}} ${{__inbound.tls.protocol}}`))
  )
.listen({mtls})
  .acceptTLS({{ certificate: main, trusted: [ca] }}).to($=>$
    .serveHTTP(() => new Message('client ' + __inbound.tls.peer.subject))
  )
.listen({to_tls})
  .demuxHTTP().to($=>$
    .muxHTTP(() => 'tls').to($=>$
      .connectTLS({{ sni: 'localhost', trusted: [ca] }}).to($=>$.connect('127.0.0.1:{tls}'))
    )
  )
.listen({from_tls})
  .acceptTLS({{ certificate: main }}).to($=>$
    .demuxHTTP().to($=>$.muxHTTP(() => 'plain').to($=>$.connect('127.0.0.1:{plain}')))
  )
.listen({plain})
  .serveHTTP(new Message('plain backend'))
"#
        ),
    );
    let e = Engine::start(&script, &[tls, mtls, to_tls, from_tls, plain]);
    let ca = ca_path.to_str().unwrap();
    let resolve = |name: &str, port: u16| format!("{name}:{port}:127.0.0.1");

    // Termination, TLS 1.3 and 1.2, and the certificate chosen by SNI.
    let (ok, out, err) = curl_tls(&[
        "--cacert",
        ca,
        "--resolve",
        &resolve("localhost", tls),
        &format!("https://localhost:{tls}/"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(out, "hello localhost http/1.1 TLSv1.3");
    let (ok, out, err) = curl_tls(&[
        "--tlsv1.2",
        "--tls-max",
        "1.2",
        "--cacert",
        ca,
        "--resolve",
        &resolve("localhost", tls),
        &format!("https://localhost:{tls}/"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(out, "hello localhost http/1.1 TLSv1.2");
    let (ok, out, err) = curl_tls(&[
        "--cacert",
        ca,
        "--resolve",
        &resolve("other.test", tls),
        &format!("https://other.test:{tls}/"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(out, "hello other.test http/1.1 TLSv1.3");

    // Mutual TLS: accepted with a good client certificate, refused without one.
    let (ok, out, err) = curl_tls(&[
        "--cacert",
        ca,
        "--cert",
        client_path.to_str().unwrap(),
        "--key",
        client_key_path.to_str().unwrap(),
        "--resolve",
        &resolve("localhost", mtls),
        &format!("https://localhost:{mtls}/"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(out, "client CN=trusted client");
    let (ok, _, _) = curl_tls(&[
        "--cacert",
        ca,
        "--resolve",
        &resolve("localhost", mtls),
        &format!("https://localhost:{mtls}/"),
    ]);
    assert!(!ok, "a client without a certificate must be refused");
    e.wait_log("acceptTLS(): handshake failed", 5);

    // Plain in, TLS out; TLS in, plain out.
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{to_tls}/")]),
        "hello localhost undefined TLSv1.3"
    );
    let (ok, out, err) = curl_tls(&[
        "--cacert",
        ca,
        "--resolve",
        &resolve("localhost", from_tls),
        &format!("https://localhost:{from_tls}/"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(out, "plain backend");

    // A client that speaks plain HTTP to a TLS port is dropped; the port keeps serving.
    let (out, closed) = raw_exchange(tls, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 5);
    assert!(closed && !String::from_utf8_lossy(&out).contains("hello"));
    let (ok, _, err) = curl_tls(&[
        "--cacert",
        ca,
        "--resolve",
        &resolve("localhost", tls),
        &format!("https://localhost:{tls}/"),
    ]);
    assert!(ok, "{err}");
}

#[test]
fn a_bad_certificate_is_a_configuration_error() {
    let cb = Codebase::new("badcert");
    let script = cb.file(
        "main.js",
        "pipy()\n.listen(8443)\n  .acceptTLS({ certificate: { cert: 'not a pem', key: 'nor this' } }).to($=>$.dummy())\n",
    );
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("/main.js:3:4: acceptTLS(): certificate: cert: ")
            || err.contains("no certificate"),
        "{err}"
    );
}

/// A message body larger than rustls's 64 KiB buffer of unsent data, written as one Data
/// event, crosses TLS whole both ways: answered by a TLS server, and sent by a TLS client to
/// it (the writer used to stop at 64 KiB with "failed to write whole buffer").
#[test]
fn bodies_larger_than_rustls_buffer_cross_tls_whole() {
    let pki = Pki::new();
    let cb = Codebase::new("tls-large");
    let (srv, srv_key) = pki.issue("localhost", &["localhost"], false);
    cb.file("ca.pem", &pki.ca.0.pem());
    cb.file("server.pem", &srv);
    cb.file("server-key.pem", &srv_key);
    let ca_path = cb.dir.join("ca.pem");
    let (tls, to_tls) = (free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"var ca = new crypto.Certificate(pipy.load('ca.pem'));
var main = {{ cert: new crypto.CertificateChain(pipy.load('server.pem')), key: new crypto.PrivateKey(pipy.load('server-key.pem')) }};
pipy()
.listen({tls})
  .acceptTLS({{ certificate: main }}).to($=>$
    .serveHTTP(msg => new Message('got ' + msg.body.size + ' ' + 'x'.repeat(300000)))
  )
.listen({to_tls})
  .demuxHTTP().to($=>$
    .replaceMessage(msg => new Message(msg.head, 'y'.repeat(250000)))
    .muxHTTP(() => 'tls').to($=>$
      .connectTLS({{ sni: 'localhost', trusted: [ca] }}).to($=>$.connect('127.0.0.1:{tls}'))
    )
  )
"#
        ),
    );
    let _e = Engine::start(&script, &[tls, to_tls]);
    let (ok, out, err) = curl_tls(&[
        "--cacert",
        ca_path.to_str().unwrap(),
        "--resolve",
        &format!("localhost:{tls}:127.0.0.1"),
        &format!("https://localhost:{tls}/"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(out.len(), "got 0 ".len() + 300_000);
    assert!(out.starts_with("got 0 xxx"), "{}", &out[..20]);
    let (ok, out, err) = curl_tls(&[&format!("http://127.0.0.1:{to_tls}/")]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("got 250000 xxx"),
        "{}",
        &out[..out.len().min(20)]
    );
    assert_eq!(out.len(), "got 250000 ".len() + 300_000);
}
