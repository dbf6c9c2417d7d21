//! UDP as Pipy has it: `listen(port, {protocol: 'udp'})` makes a pipeline per peer, one Data
//! per datagram; `connect(target, {protocol: 'udp'})` sends each Data as a datagram.

mod common;

use std::net::UdpSocket;
use std::time::Duration;

use common::*;

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn datagrams_per_peer_sessions_idle_timeouts_and_udp_upstreams() {
    let cb = Codebase::new("udp");
    let (udp, http) = (free_udp_port(), free_port());
    let main = cb.file(
        "main.js",
        &format!(
            "var $n = 0\n\
             pipy.listen({udp}, 'udp', {{ idleTimeout: 0.5 }}, $=>$\n\
               .onEnd(() => console.log('udp session ended'))\n\
               .replaceData(d => ($n++, new Data(`#${{$n}} ${{d.toString()}} from ${{__inbound.remoteAddress}}`)))\n\
             )\n\
             pipy.listen({http}, $=>$.demuxHTTP().to($=>$\n\
               .replaceMessage(m => m.body)\n\
               .connect('127.0.0.1:{udp}', {{ protocol: 'udp', idleTimeout: 1 }})\n\
               .replaceData(d => new Message(d))\n\
             ))\n"
        ),
    );
    let e = Engine::start(&main, &[http]);
    e.wait_log(&format!("Listening on UDP port {udp}"), 5);
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    for s in [&a, &b] {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.connect(("127.0.0.1", udp)).unwrap();
    }
    let ask = |s: &UdpSocket, m: &[u8]| {
        s.send(m).unwrap();
        let mut buf = [0u8; 256];
        let n = s.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    // Each peer is its own session with its own context; one datagram in, one out.
    assert_eq!(ask(&a, b"x"), "#1 x from 127.0.0.1");
    assert_eq!(ask(&a, b"yy"), "#2 yy from 127.0.0.1");
    assert_eq!(ask(&b, b"z"), "#1 z from 127.0.0.1");
    // After the idle timeout the session ends; the peer then starts a new one.
    e.wait_log("udp session ended", 5);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(ask(&a, b"again"), "#1 again from 127.0.0.1");
    // An HTTP request's body goes out as one datagram and the answer comes back.
    let out = curl(&["-d", "hello", &format!("http://127.0.0.1:{http}/")]);
    assert_eq!(out, "#1 hello from 127.0.0.1");
}
