//! TCP streams through the real engine: echo, proxy, back-pressure, connect errors.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::*;

/// A deterministic byte pattern so corruption or reordering shows.
fn pattern(offset: usize, len: usize) -> Vec<u8> {
    (offset..offset + len)
        .map(|i| (i % 251) as u8 ^ (i / 251 % 7) as u8)
        .collect()
}

/// Sends `total` bytes and reads them back at the same time; checks every byte.
fn pump_both_ways(port: u16, total: usize) {
    let s = connect(port);
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = 256 * 1024;
        let mut sent = 0;
        while sent < total {
            let n = chunk.min(total - sent);
            w.write_all(&pattern(sent, n)).unwrap();
            sent += n;
        }
        w.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut r = s;
    let mut got = 0usize;
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert_eq!(
            &buf[..n],
            &pattern(got, n)[..],
            "bytes differ at offset {got}"
        );
        got += n;
    }
    writer.join().unwrap();
    assert_eq!(got, total, "all bytes came back");
}

#[test]
fn echo_and_proxy_move_100_mb_intact_both_ways() {
    let cb = Codebase::new("tcp100");
    let (echo, proxy) = (free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!("pipy()\n.listen({echo})\n.listen({proxy})\n  .connect('127.0.0.1:{echo}')\n"),
    );
    let _e = Engine::start(&script, &[echo, proxy]);
    pump_both_ways(echo, 100 << 20);
    pump_both_ways(proxy, 100 << 20);
}

fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[test]
fn a_client_that_does_not_read_does_not_grow_memory() {
    let cb = Codebase::new("slow");
    let (echo, proxy) = (free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!("pipy()\n.listen({echo})\n.listen({proxy})\n  .connect('127.0.0.1:{echo}')\n"),
    );
    let mut child = std::process::Command::new(engine_bin())
        .arg(&script)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    for p in [echo, proxy] {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
            assert!(std::time::Instant::now() < deadline, "engine did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let s = connect(proxy);
    let mut w = s.try_clone().unwrap();
    let total = 200usize << 20;
    // The writer blocks once every buffer on the way is full; it must not get far.
    let writer = std::thread::spawn(move || {
        let chunk = vec![7u8; 1 << 20];
        let mut sent = 0;
        while sent < total {
            if w.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len();
        }
        let _ = w.shutdown(std::net::Shutdown::Write);
        sent
    });
    std::thread::sleep(Duration::from_secs(2));
    let rss = rss_kb(pid);
    assert!(
        rss < 64 * 1024,
        "engine RSS grew to {rss} kB while the client did not read"
    );
    // Now read everything: nothing was lost while paused.
    let mut r = s;
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got += n;
    }
    let sent = writer.join().unwrap();
    assert_eq!(got, sent);
    assert_eq!(got, total);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn connect_reports_refused_and_read_timeout_as_stream_end_codes() {
    let cb = Codebase::new("codes");
    let (refused, silent, a, b) = (free_port(), free_port(), free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({silent})
  .dummy()
.listen({a})
  .connect('127.0.0.1:{refused}')
  .replaceStreamEnd(e => [new Data(`end:${{e.error}}`), new StreamEnd()])
.listen({b})
  .connect(() => '127.0.0.1:{silent}', {{ readTimeout: 0.3, connectTimeout: '2s', idleTimeout: 5 }})
  .replaceStreamEnd(e => [new Data(`end:${{e.error}}`), new StreamEnd()])
"#
        ),
    );
    let _e = Engine::start(&script, &[silent, a, b]);
    assert_eq!(roundtrip(a, b"hi"), b"end:ConnectionRefused");
    let mut s = connect(b);
    s.write_all(b"hello").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    assert_eq!(out, b"end:ReadTimeout");
}

#[test]
fn an_empty_stream_end_first_does_not_connect() {
    // A StreamEnd before anything else passes through connect without dialing.
    let cb = Codebase::new("noconnect");
    let (port, dead) = (free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({port})
  .connect('127.0.0.1:{dead}')
  .replaceStreamEnd(e => [new Data(`end:${{e.error}}`), new StreamEnd()])
"#
        ),
    );
    let _e = Engine::start(&script, &[port]);
    assert_eq!(roundtrip(port, b""), b"end:undefined");
}

#[test]
fn handle_stream_end_after_connect_sees_the_refusal_wherever_replace_stream_end_does() {
    // The same placements for both filters: right after connect in a listener, in a linked
    // sub-pipeline, and in a muxHTTP session. Each handler notes what it saw; the status port
    // lists it (leaving out the ends without an error: the start-up probes send nothing).
    let cb = Codebase::new("hse-refused");
    let (refused, tcp, linked, http, status) = (
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
    );
    let script = cb.file(
        "main.js",
        &format!(
            r#"var seen = []
pipy()
.listen({tcp})
  .connect('127.0.0.1:{refused}')
  .handleStreamEnd(e => {{ seen.push(`tcp-handle:${{e.error}}`) }})
  .replaceStreamEnd(e => {{ seen.push(`tcp-replace:${{e.error}}`); return new StreamEnd }})
.listen({linked})
  .link('up')
.listen({http})
  .demuxHTTP().to($=>$
    .muxHTTP().to($=>$
      .connect('127.0.0.1:{refused}')
      .handleStreamEnd(e => {{ seen.push(`mux-handle:${{e.error}}`) }})
    )
  )
.listen({status})
  .serveHTTP(() => new Message(seen.filter(s => !s.endsWith(':undefined')).sort().join(' ')))
.pipeline('up')
  .connect('127.0.0.1:{refused}')
  .handleStreamEnd(e => {{ seen.push(`link-handle:${{e.error}}`) }})
"#
        ),
    );
    let _e = Engine::start(&script, &[tcp, linked, http, status]);
    assert_eq!(roundtrip(tcp, b"hi"), b"");
    assert_eq!(roundtrip(linked, b"hi"), b"");
    let _ = curl(&["-s", &format!("http://127.0.0.1:{http}/")]);
    let seen = curl(&["-s", &format!("http://127.0.0.1:{status}/")]);
    assert_eq!(
        seen,
        "link-handle:ConnectionRefused mux-handle:ConnectionRefused \
         tcp-handle:ConnectionRefused tcp-replace:ConnectionRefused"
    );
}

/// A server that reads everything the client sends, then answers with how many bytes and the
/// checksum it got, and closes: a relay must pass the client's half-close on, and the server's.
fn counting_server() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let (mut n, mut sum) = (0usize, 0u64);
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => {
                            n += k;
                            sum = buf[..k]
                                .iter()
                                .fold(sum, |a, &b| a.wrapping_mul(31).wrapping_add(b as u64));
                        }
                    }
                }
                let _ = s.write_all(format!("{n} {sum}").as_bytes());
            });
        }
    });
    port
}

/// `listen(P).connect('host:port')` alone has no filter reading the bytes: the listener relays
/// them in the kernel (splice). Both half-closes go through, the listener's byte counters count
/// them, a connection that sends nothing never reaches the target, and a target given by a
/// function still goes through a pipeline with the same result.
#[test]
fn a_lone_connect_is_relayed_in_the_kernel_with_half_closes_and_counters() {
    let cb = Codebase::new("relay");
    let target = counting_server();
    let (relayed, piped, dead, admin) = (free_port(), free_port(), free_port(), free_port());
    let dead_target = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({relayed})\n  .connect('127.0.0.1:{target}')\n\
             .listen({piped})\n  .connect(() => '127.0.0.1:{target}')\n\
             .listen({dead})\n  .connect('127.0.0.1:{dead_target}')\n"
        ),
    );
    let e = Engine::start_with(
        &script,
        &[relayed, piped, dead],
        &[
            &format!("--admin-port={admin}"),
            "--log-level=debug:outbound",
        ],
    );
    e.wait_port(admin);
    let total = 3 << 20;
    let data = pattern(0, total);
    let expect = {
        let sum = data
            .iter()
            .fold(0u64, |a, &b| a.wrapping_mul(31).wrapping_add(b as u64));
        format!("{total} {sum}")
    };
    for port in [relayed, piped] {
        let mut s = connect(port);
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(&data).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert_eq!(answer, expect, "through port {port}");
    }
    let log = e.wait_log("relayed in the kernel", 10);
    assert_eq!(
        log.matches("relayed in the kernel").count(),
        1,
        "only the fixed target is relayed:\n{log}"
    );
    // The start-up probes (connections that send nothing) dialled nothing: only the two
    // exchanges above reached the target.
    assert_eq!(
        log.matches(&format!("connected to 127.0.0.1:{target}"))
            .count(),
        2,
        "{log}"
    );
    let metrics = curl(&[&format!("http://127.0.0.1:{admin}/metrics")]);
    let counted = |direction: &str| -> f64 {
        let (d, l) = (
            format!("direction=\"{direction}\""),
            format!("listen=\"{relayed}\""),
        );
        metrics
            .lines()
            .find(|x| {
                x.starts_with("sluice_inbound_bytes_total{") && x.contains(&d) && x.contains(&l)
            })
            .and_then(|x| x.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no bytes {direction} for {relayed} in\n{metrics}"))
    };
    assert_eq!(counted("in"), total as f64);
    assert_eq!(counted("out"), expect.len() as f64);
    // A refused target: the client's bytes are read and it gets a FIN, not a reset.
    let mut s = connect(dead);
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"anyone there?").unwrap();
    let mut rest = Vec::new();
    assert_eq!(s.read_to_end(&mut rest).unwrap(), 0);
    e.wait_log(&format!("127.0.0.1:{dead_target}"), 10);
}
