//! The PROXY protocol against Debian's HAProxy on both sides: HAProxy `send-proxy` and
//! `send-proxy-v2` in front of a Sluice `acceptProxyProtocol`, and a Sluice
//! `connectProxyProtocol` in front of an HAProxy `bind ... accept-proxy`. HAProxy comes from
//! `scripts/setup.sh bytes`; it is started here on loopback free ports.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

/// A foreground HAProxy, killed on drop.
struct HaProxy {
    child: Child,
}

impl HaProxy {
    fn start(dir: &Path, config: &str, port: u16) -> HaProxy {
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(&cfg, config).unwrap();
        let bin = ["/usr/sbin/haproxy", "haproxy"]
            .into_iter()
            .find(|b| Command::new(b).arg("-v").output().is_ok())
            .expect("HAProxy is installed (scripts/setup.sh bytes)");
        let child = Command::new(bin)
            .args(["-db", "-f"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let h = HaProxy { child };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "HAProxy did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        h
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const DEFAULTS: &str =
    "defaults\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\n";

/// Connects from `from` (an address of the loopback range) to a loopback port.
fn connect_from(from: &str, port: u16) -> TcpStream {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let local: SocketAddr = format!("{from}:0").parse().unwrap();
    sock.bind(&local.into()).unwrap();
    let to: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    sock.connect(&to.into()).unwrap();
    let s: TcpStream = sock.into();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn sluice(name: &str, body: &str) -> (Codebase, Engine, u16) {
    let cb = Codebase::new(name);
    let port = free_port();
    let script = cb.file("main.js", &body.replace("PORT", &port.to_string()));
    let e = Engine::start(&script, &[port]);
    (cb, e, port)
}

/// A Sluice that answers each connection with what it learned from the PROXY header.
const REPORTER: &str = r#"pipy({ _h: null })
.listen(PORT)
  .acceptProxyProtocol(h => (_h = h, true))
  .to($=>$
    .replaceData(d => new Data([
      d.toString(), _h.version, _h.command, _h.protocol,
      __inbound.remoteAddress, __inbound.remotePort,
      __inbound.destinationAddress, __inbound.destinationPort,
    ].join(' ')))
  )
"#;

#[test]
fn haproxy_send_proxy_v1_and_v2_reach_accept_proxy_protocol() {
    let (cb, _e, port) = sluice("pp-accept", REPORTER);
    for (version, option) in [(1, "send-proxy"), (2, "send-proxy-v2")] {
        let front = free_port();
        let config = format!(
            "{DEFAULTS}frontend fe\n  mode tcp\n  bind 127.0.0.1:{front}\n  default_backend be\n\
             backend be\n  mode tcp\n  server s1 127.0.0.1:{port} {option}\n"
        );
        let _h = HaProxy::start(&cb.dir, &config, front);
        // The client comes from 127.0.0.2: only the PROXY header can tell Sluice so.
        let mut s = connect_from("127.0.0.2", front);
        let me = s.local_addr().unwrap();
        s.write_all(b"hello").unwrap();
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).unwrap();
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert_eq!(
            got,
            format!(
                "hello {version} PROXY TCP4 127.0.0.2 {} 127.0.0.1 {front}",
                me.port()
            ),
            "{option}"
        );
    }
}

#[test]
fn connect_proxy_protocol_is_understood_by_haproxy_accept_proxy() {
    let cb = Codebase::new("pp-connect-ha");
    let ha = free_port();
    // HAProxy answers with the client it was told about.
    let config = format!(
        "{DEFAULTS}frontend fe\n  mode http\n  bind 127.0.0.1:{ha} accept-proxy\n\
         http-request return status 200 content-type text/plain lf-string \"client=%[src]:%[src_port] dst=%[dst]:%[dst_port]\"\n"
    );
    let _h = HaProxy::start(&cb.dir, &config, ha);
    for version in [1, 2] {
        let (_c, _e, port) = sluice(
            "pp-connect",
            &format!(
                r#"pipy()
.listen(PORT)
  .connectProxyProtocol(() => ({{
    version: {version},
    sourceAddress: '203.0.113.7', sourcePort: 4242,
    targetAddress: '198.51.100.1', targetPort: 8443,
  }}))
  .to($=>$.connect('127.0.0.1:{ha}'))
"#
            ),
        );
        let (out, _) = raw_exchange(port, b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", 5);
        let out = String::from_utf8_lossy(&out).into_owned();
        assert!(
            out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200"),
            "v{version}: {out}"
        );
        assert!(
            out.ends_with("client=203.0.113.7:4242 dst=198.51.100.1:8443"),
            "v{version}: {out}"
        );
    }
}

#[test]
fn accept_proxy_protocol_ends_garbage_cleanly() {
    let (_c, e, port) = sluice(
        "pp-garbage",
        r#"pipy()
.listen(PORT)
  .acceptProxyProtocol(h => h.sourceAddress !== '10.9.9.9')
  .to($=>$.replaceData(d => new Data('passed:' + d.toString())))
"#,
    );
    let long = [b"PROXY TCP4 ".as_slice(), &[b'1'; 200]].concat();
    let v2_short = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x04\x01\x02\x03\x04rest";
    let v2_huge = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff";
    for bad in [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".as_slice(),
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\nhello",
        b"PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\nhello",
        b"PROXY TCP4 10.9.9.9 5.6.7.8 1 2\r\nrefused",
        &long,
        v2_short,
        v2_huge,
    ] {
        let (out, closed) = raw_exchange(port, bad, 5);
        assert!(
            out.is_empty(),
            "{:?} gave {:?}",
            String::from_utf8_lossy(bad),
            out
        );
        assert!(closed, "{:?} left open", String::from_utf8_lossy(bad));
    }
    // A good header still works, byte by byte.
    let mut s = connect(port);
    for b in b"PROXY TCP4 10.1.1.1 10.2.2.2 1000 80\r\nok" {
        s.write_all(&[*b]).unwrap();
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("passed:"));
    assert!(!e.log().contains("panicked"));
}

#[test]
fn proxy_protocol_filters_report_bad_handlers_and_headers() {
    let (_c, e, port) = sluice(
        "pp-throw",
        r#"pipy()
.listen(PORT)
  .acceptProxyProtocol(h => { throw new Error('handler broke') })
  .to($=>$)
"#,
    );
    let (out, closed) = raw_exchange(port, b"PROXY UNKNOWN\r\nx", 5);
    assert!(out.is_empty() && closed);
    let log = e.wait_log("handler broke", 5);
    assert!(log.contains("acceptProxyProtocol()"), "{log}");

    let (_c2, e2, port2) = sluice(
        "pp-bad-header",
        r#"pipy()
.listen(PORT)
  .connectProxyProtocol({ version: 2, protocol: 'TCP6', sourceAddress: '1.2.3.4' })
  .to($=>$.connect('127.0.0.1:1'))
"#,
    );
    let (out, closed) = raw_exchange(port2, b"x", 5);
    assert!(out.is_empty() && closed);
    let log = e2.wait_log("connectProxyProtocol()", 5);
    assert!(log.contains("do not belong to protocol TCP6"), "{log}");

    for (script, want) in [
        (
            "pipy().pipeline('p').acceptProxyProtocol(42).to($=>$)\n",
            "expects a handler",
        ),
        (
            "pipy().pipeline('p').acceptProxyProtocol(() => true)\n",
            "sub-pipeline",
        ),
        (
            "pipy().pipeline('p').connectProxyProtocol(2).to($=>$)\n",
            "expects a header",
        ),
    ] {
        let cb = Codebase::new("pp-args");
        let s = cb.file("main.js", script);
        let (code, _, err) = run_to_end(&["--check", s.to_str().unwrap()], &[]);
        assert_ne!(code, 0, "{script}");
        assert!(
            err.contains("ProxyProtocol()") && err.contains(want),
            "{err}"
        );
    }
}
