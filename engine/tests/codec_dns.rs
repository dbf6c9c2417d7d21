//! A DNS forwarder over UDP in Sluice with the `DNS` global: dnspython queries go through
//! Sluice to a dnspython-based server; Sluice decodes both ways, drops a blocked name's
//! answers, rewrites every TTL, and encodes again.

mod common;

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};

use common::*;

const PEER: &str = include_str!("peers/dns_peer.py");

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn forwarder_between_dnspython_client_and_server() {
    let cb = Codebase::new("dns");
    let peer = cb.file("peer.py", PEER);
    let (up, port, http) = (free_udp_port(), free_udp_port(), free_port());
    let mut server = Peer(
        Command::new("python3")
            .arg(&peer)
            .args(["server", &up.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs"),
    );
    let mut ready = String::new();
    BufReader::new(server.0.stdout.as_mut().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(
        ready.trim(),
        "ready",
        "dnspython missing? run scripts/setup.sh codecs2"
    );
    let main = cb.file(
        "main.js",
        &format!(
            "pipy.listen({port}, 'udp', $=>$\n\
               .replaceData(d => {{\n\
                 const m = DNS.decode(d)\n\
                 console.log('query ' + JSON.stringify(m.question))\n\
                 return DNS.encode(m)\n\
               }})\n\
               .connect('127.0.0.1:{up}', {{ protocol: 'udp' }})\n\
               .replaceData(d => {{\n\
                 const m = DNS.decode(d)\n\
                 console.log('answer ' + JSON.stringify(m))\n\
                 if (m.answer) m.answer = m.answer.filter(r => r.name !== 'blocked.example.com')\n\
                 for (const r of m.answer || []) r.ttl = 60\n\
                 return DNS.encode(m)\n\
               }})\n\
             )\n\
             pipy.listen({http}, $=>$.dummy())\n"
        ),
    );
    let e = Engine::start(&main, &[http]);
    e.wait_log(&format!("Listening on UDP port {port}"), 5);
    let out = Command::new("python3")
        .arg(&peer)
        .args(["client", &port.to_string()])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "client failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        e.log()
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let want = [
        r#"{"q": "www.example.com", "type": "A", "id": true, "rcode": 0, "answers": ["10.0.0.1", "10.0.0.2"], "ttl": [60]}"#,
        r#"{"q": "www.example.com", "type": "AAAA", "id": true, "rcode": 0, "answers": ["2001:db8::1"], "ttl": [60]}"#,
        r#"{"q": "example.com", "type": "MX", "id": true, "rcode": 0, "answers": ["10 mail.example.com."], "ttl": [60]}"#,
        r#"{"q": "example.com", "type": "TXT", "id": true, "rcode": 0, "answers": ["\"hello world\""], "ttl": [60]}"#,
        r#"{"q": "example.com", "type": "SOA", "id": true, "rcode": 0, "answers": ["ns1.example.com. admin.example.com. 2024010101 7200 3600 1209600 300"], "ttl": [60]}"#,
        r#"{"q": "_sip._tcp.example.com", "type": "SRV", "id": true, "rcode": 0, "answers": ["0 5 5060 sip.example.com."], "ttl": [60]}"#,
        r#"{"q": "alias.example.com", "type": "CNAME", "id": true, "rcode": 0, "answers": ["www.example.com."], "ttl": [60]}"#,
        r#"{"q": "blocked.example.com", "type": "A", "id": true, "rcode": 0, "answers": [], "ttl": []}"#,
        r#"{"q": "1.0.0.10.in-addr.arpa", "type": "PTR", "id": true, "rcode": 0, "answers": ["www.example.com."], "ttl": [60]}"#,
        r#"{"q": "missing.example.com", "type": "A", "id": true, "rcode": 3, "answers": [], "ttl": []}"#,
    ];
    assert_eq!(stdout.lines().collect::<Vec<_>>(), want, "{}", e.log());
    let log = e.log();
    assert!(
        log.contains(r#"query [{"name":"example.com","type":"MX"}]"#),
        "{log}"
    );
    assert!(
        log.contains(r#""answer":[{"name":"example.com","type":"MX","ttl":300,"rdata":{"preference":10,"exchange":"mail.example.com"}}]"#),
        "{log}"
    );
    assert!(
        log.contains(r#""qr":1"#) && log.contains(r#""rcode":3"#),
        "{log}"
    );
}
