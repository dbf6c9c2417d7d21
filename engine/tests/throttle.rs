//! Throttles hold events back until their quota allows them (lower bounds only: a throttle
//! must never let traffic through faster than its quota).

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn message_and_data_rates_and_concurrency_are_limited() {
    let (msgs, early, bytes, conc, origin_port) = (
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
    );
    let cb = Codebase::new("throttle");
    let script = cb.file(
        "main.js",
        &format!(
            r#"var q = new algo.Quota(5, {{ per: '1s' }});
var one = new algo.Quota(1);
pipy()
.listen({msgs})
  .demuxHTTP().to($=>$.throttleMessageRate(q).replaceMessage(new Message('ok')))
.listen({early})
  .demuxHTTP().to($=>$.throttleMessageRate(5, () => 'shared').replaceMessage(new Message('ok')))
.listen({bytes})
  .throttleDataRate(() => new algo.Quota(100000, {{ per: 1 }}))
.listen({conc})
  .throttleConcurrency(one)
  .connect('127.0.0.1:{origin_port}')
"#
        ),
    );
    let _o = Engine::start(
        &cb.file(
            "origin.js",
            &format!("pipy()\n.listen({origin_port})\n  .serveHTTP(new Message('slow'))\n"),
        ),
        &[origin_port],
    );
    let _e = Engine::start(&script, &[msgs, early, bytes, conc]);

    // 12 requests at 5 per second: at least 2 s (the first 5 go at once).
    for port in [msgs, early] {
        let t = Instant::now();
        let mut s = connect(port);
        for _ in 0..12 {
            s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        }
        let mut got = 0;
        let mut buf = [0u8; 4096];
        while got < 12 {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0);
            got += String::from_utf8_lossy(&buf[..n]).matches("ok").count();
        }
        assert!(
            t.elapsed() >= Duration::from_millis(1400),
            "12 messages at 5/s took only {:?}",
            t.elapsed()
        );
    }

    // 300 kB echoed at 100 kB/s: at least 2 s.
    let t = Instant::now();
    let out = roundtrip(bytes, &vec![b'z'; 300_000]);
    assert_eq!(out.len(), 300_000);
    assert!(out.iter().all(|&b| b == b'z'));
    assert!(
        t.elapsed() >= Duration::from_millis(1900),
        "300 kB at 100 kB/s took only {:?}",
        t.elapsed()
    );

    // One stream at a time: the second connection waits until the first closes.
    let mut first = connect(conc);
    first
        .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = first.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("slow"));
    let mut second = connect(conc);
    second
        .set_read_timeout(Some(Duration::from_millis(600)))
        .unwrap();
    second
        .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert!(
        second.read(&mut buf).is_err(),
        "the second stream must wait while the first holds the only slot"
    );
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = second.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("slow"));
}
