//! `mux`, `muxQueue`, `demux` and `demuxQueue` against the real engine: sessions shared by
//! many client connections, replies kept in order over a real TCP link, the pool's
//! `maxIdle`/`maxQueue`/`maxMessages`, key separation, and bad input.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

/// An HTTP/1.1 keep-alive origin that counts the connections it accepts and sees closed, and
/// answers each request with `path=<path> conn=<n>` (after `<ms>` for a path `/delay/<ms>`).
struct CountingOrigin {
    port: u16,
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl CountingOrigin {
    fn start() -> CountingOrigin {
        Self::start_with(false)
    }

    /// With `close_after_reply`, each connection is closed after its first reply.
    fn start_with(close_after_reply: bool) -> CountingOrigin {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let (a, c) = (accepted.clone(), closed.clone());
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(s) = conn else { continue };
                let n = a.fetch_add(1, Ordering::SeqCst) + 1;
                let c = c.clone();
                std::thread::spawn(move || {
                    serve_origin_connection(s, n, close_after_reply);
                    c.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        CountingOrigin {
            port,
            accepted,
            closed,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn closed(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }
}

fn serve_origin_connection(s: TcpStream, n: usize, close_after_reply: bool) {
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or("").to_string();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        if let Some(ms) = path.strip_prefix("/delay/") {
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap_or(0)));
        }
        let text = format!("path={path} conn={n}");
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        if w.write_all(reply.as_bytes()).is_err() || close_after_reply {
            return;
        }
    }
}

/// One request on a new connection (closed after the reply); returns the whole answer.
fn get(port: u16, path: &str, headers: &str) -> String {
    let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\n{headers}connection: close\r\n\r\n");
    let (out, _) = raw_exchange(port, req.as_bytes(), 10);
    String::from_utf8_lossy(&out).into_owned()
}

/// A session sub-pipeline speaking HTTP/1 to `origin`.
fn upstream(origin: u16) -> String {
    format!("$=>$.encodeHTTPRequest().connect('127.0.0.1:{origin}').decodeHTTPResponse()")
}

#[test]
fn mux_merges_many_client_connections_into_one_upstream_connection() {
    let origin = CountingOrigin::start();
    let port = free_port();
    let cb = Codebase::new("mux-merge");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({port})\n  .demuxHTTP().to($=>$\n    .mux(() => 'origin', {{ maxQueue: 0 }}).to({})\n  )\n",
            upstream(origin.port)
        ),
    );
    let _e = Engine::start(&script, &[port]);

    // Ten clients at once, then five more one after another.
    let clients: Vec<_> = (0..10)
        .map(|i| std::thread::spawn(move || (i, get(port, &format!("/c{i}"), ""))))
        .collect();
    for c in clients {
        let (i, answer) = c.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "client {i}: {answer}");
        assert!(
            answer.ends_with(&format!("path=/c{i} conn=1")),
            "client {i} got another's reply: {answer}"
        );
    }
    for i in 10..15 {
        let answer = get(port, &format!("/c{i}"), "");
        assert!(answer.ends_with(&format!("path=/c{i} conn=1")), "{answer}");
    }
    assert_eq!(
        origin.accepted(),
        1,
        "every request shares one upstream connection"
    );
}

#[test]
fn mux_queue_and_demux_queue_keep_replies_in_order_over_a_tcp_link() {
    let (front, back) = (free_port(), free_port());
    let cb = Codebase::new("mux-queue");
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy({{ _g: {{ links: 0 }} }})
.listen({front})
  .demuxHTTP().to($=>$
    .muxQueue(() => 'link', {{ maxQueue: 0 }}).to(
      $=>$.encodeHTTPRequest().connect('127.0.0.1:{back}').decodeHTTPResponse()
    )
  )
.listen({back})
  .onStart(() => void (_g.links++))
  .decodeHTTPRequest()
  .demuxQueue().to($=>$
    .replaceMessage(
      m => (links => new Timeout(+m.head.path.slice(1) / 1000).wait().then(
        () => new Message({{ status: 200 }}, `reply${{m.head.path}} links=${{links}}`)
      ))(_g.links)
    )
  )
  .encodeHTTPResponse()
"#
        ),
    );
    let _e = Engine::start(&script, &[front, back]);

    // demuxQueue alone: three pipelined requests, the first the slowest, answered in order.
    let (out, _) = raw_exchange(
        back,
        b"GET /300 HTTP/1.1\r\nhost: x\r\n\r\nGET /100 HTTP/1.1\r\nhost: x\r\n\r\nGET /5 HTTP/1.1\r\nhost: x\r\n\r\n",
        2,
    );
    let out = String::from_utf8_lossy(&out);
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("no {s} in {out}"));
    assert!(at("reply/300") < at("reply/100") && at("reply/100") < at("reply/5"));

    // muxQueue: three clients share one link; the fast request queued behind the slow one
    // still gets its own reply, after the slow one.
    let started = Instant::now();
    let clients: Vec<_> = ["/600", "/300", "/10"]
        .into_iter()
        .enumerate()
        .map(|(i, path)| {
            std::thread::sleep(Duration::from_millis(if i == 0 { 0 } else { 60 }));
            std::thread::spawn(move || (path, get(front, path, ""), Instant::now()))
        })
        .collect();
    let mut done = Vec::new();
    for c in clients {
        let (path, answer, at) = c.join().unwrap();
        assert!(
            answer.contains(&format!("reply{path} links=")),
            "{path}: {answer}"
        );
        let links = answer.rsplit("links=").next().unwrap().to_string();
        done.push((path, at, links));
    }
    // One link carried all three: each request saw the same number of links made so far.
    assert!(done.iter().all(|d| d.2 == done[0].2), "not one link");
    let fast = done.iter().find(|d| d.0 == "/10").unwrap().1;
    assert!(
        fast.duration_since(started) >= Duration::from_millis(550),
        "the queued reply came before the one ahead of it"
    );
}

#[test]
fn mux_closes_idle_sessions_after_max_idle_and_retires_them_after_max_messages() {
    let (idle_origin, kept_origin, retire_origin) = (
        CountingOrigin::start(),
        CountingOrigin::start(),
        CountingOrigin::start(),
    );
    let (idle, kept, retire) = (free_port(), free_port(), free_port());
    let cb = Codebase::new("mux-limits");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n\
             .listen({idle}).demuxHTTP().to($=>$.mux(() => 'i', {{ maxIdle: 1 }}).to({}))\n\
             .listen({kept}).demuxHTTP().to($=>$.mux(() => 'k', {{ maxIdle: '60s' }}).to({}))\n\
             .listen({retire}).demuxHTTP().to($=>$.mux(() => 'r', () => ({{ maxQueue: 0, maxMessages: 2 }})).to({}))\n",
            upstream(idle_origin.port),
            upstream(kept_origin.port),
            upstream(retire_origin.port)
        ),
    );
    let _e = Engine::start(&script, &[idle, kept, retire]);

    assert!(get(idle, "/a", "").ends_with("conn=1"));
    assert!(get(kept, "/a", "").ends_with("conn=1"));
    for i in 1..=5usize {
        let answer = get(retire, "/r", "");
        assert!(
            answer.ends_with(&format!("conn={}", i.div_ceil(2))),
            "{i}: {answer}"
        );
    }
    assert_eq!(retire_origin.accepted(), 3, "two requests per session");

    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(idle_origin.closed(), 1, "the idle session was closed");
    assert_eq!(kept_origin.closed(), 0, "a session within maxIdle stays");
    assert!(retire_origin.closed() >= 2, "retired sessions were closed");
    assert!(get(idle, "/b", "").ends_with("conn=2"));
    assert!(get(kept, "/b", "").ends_with("conn=1"));
    assert_eq!((idle_origin.accepted(), kept_origin.accepted()), (2, 1));
}

#[test]
fn mux_keys_separate_sessions_and_the_default_key_is_the_client_connection() {
    let (keyed_origin, default_origin) = (CountingOrigin::start(), CountingOrigin::start());
    let (keyed, default) = (free_port(), free_port());
    let cb = Codebase::new("mux-keys");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy({{ _key: undefined }})\n\
             .listen({keyed}).demuxHTTP().to($=>$\n\
               .handleMessageStart(msg => _key = msg.head.headers['x-key'])\n\
               .mux(() => _key, {{ maxQueue: 0 }}).to({}))\n\
             .listen({default}).demuxHTTP().to($=>$.mux().to({}))\n",
            upstream(keyed_origin.port),
            upstream(default_origin.port)
        ),
    );
    let _e = Engine::start(&script, &[keyed, default]);

    let a1 = get(keyed, "/1", "x-key: a\r\n");
    let b1 = get(keyed, "/2", "x-key: b\r\n");
    let a2 = get(keyed, "/3", "x-key: a\r\n");
    let b2 = get(keyed, "/4", "x-key: b\r\n");
    let conn = |s: &str| s.rsplit("conn=").next().unwrap().to_string();
    assert_eq!(conn(&a1), conn(&a2), "same key, same session");
    assert_eq!(conn(&b1), conn(&b2));
    assert_ne!(conn(&a1), conn(&b1), "different keys, different sessions");
    assert_eq!(keyed_origin.accepted(), 2);

    // No key: one pool per client connection. Two requests, one after the other, on one
    // keep-alive connection share a session; another client gets its own.
    let mut s = connect(default);
    let mut out = Vec::new();
    for (path, last) in [("/k1", false), ("/k2", true)] {
        let close = if last { "connection: close\r\n" } else { "" };
        write!(s, "GET {path} HTTP/1.1\r\nhost: x\r\n{close}\r\n").unwrap();
        let want = format!("path={path} conn=");
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&out).contains(&want) {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "{}", String::from_utf8_lossy(&out));
            out.extend_from_slice(&buf[..n]);
        }
    }
    let out = String::from_utf8_lossy(&out);
    assert!(
        out.contains("path=/k1 conn=1") && out.contains("path=/k2 conn=1"),
        "{out}"
    );
    assert!(get(default, "/other", "").ends_with("path=/other conn=2"));
    assert_eq!(default_origin.accepted(), 2);
}

#[test]
fn demux_gives_each_message_a_sub_pipeline_and_honours_output_count() {
    let port = free_port();
    let cb = Codebase::new("demux-count");
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy({{ _n: 0 }})
.listen({port})
  .decodeHTTPRequest()
  .demux({{ outputCount: msg => msg.head.path === '/quiet' ? 0 : msg.head.path === '/twice' ? 2 : 1 }}).to($=>$
    .handleMessageStart(() => _n++)
    .replaceMessage(m => m.head.path === '/twice'
      ? [new Message({{ status: 200 }}, 'one'), new Message({{ status: 200 }}, 'two')]
      : new Message({{ status: 200 }}, `got ${{m.head.path}} n=${{_n}}`))
  )
  .encodeHTTPResponse()
"#
        ),
    );
    let _e = Engine::start(&script, &[port]);
    let (out, closed) = raw_exchange(
        port,
        b"GET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /quiet HTTP/1.1\r\nhost: x\r\n\r\nGET /twice HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\n\r\n",
        2,
    );
    let out = String::from_utf8_lossy(&out);
    // Each message ran in its own cloned context: the counter starts at 0 every time.
    let bodies: Vec<&str> = out
        .split("HTTP/1.1 200 OK")
        .skip(1)
        .map(|r| r.rsplit("\r\n\r\n").next().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["got /a n=1", "one", "two", "got /b n=1"],
        "{out} {closed}"
    );
}

#[test]
fn bad_mux_and_demux_input_is_reported_with_the_filter_name() {
    let cb = Codebase::new("mux-bad");
    for (text, expect) in [
        ("pipy().listen(1).mux(() => 1)\n", "mux"),
        ("pipy().listen(1).demux('nowhere')\n", "demux"),
        (
            "pipy().listen(1).muxQueue(() => 1, { maxQueue: 'x' }).to($=>$)\n",
            "option maxQueue must be a number",
        ),
        (
            "pipy().listen(1).demuxQueue({ outputCount: 'x' }).to($=>$)\n",
            "option outputCount",
        ),
    ] {
        let f = cb.file("bad.js", text);
        let (code, _, err) = run_to_end(&["--check", f.to_str().unwrap()], &[]);
        assert_ne!(code, 0, "{text} loaded");
        assert!(err.contains(expect), "{text}: {err}");
    }

    let (port, bad_options, bad_count) = (free_port(), free_port(), free_port());
    let origin = CountingOrigin::start();
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n\
             .listen({port}).demuxHTTP().to($=>$\n  .branch(\n    msg => false, $=>$,\n    $=>$.mux(() => {{ throw new Error('no key today') }}).to({up})\n  )\n)\n\
             .listen({bad_options}).demuxHTTP().to($=>$.muxQueue(() => 'k', () => 42).to({up}))\n\
             .listen({bad_count}).decodeHTTPRequest().demuxQueue({{ outputCount: () => {{ throw new Error('no count') }} }}).to($=>$).encodeHTTPResponse()\n",
            up = upstream(origin.port)
        ),
    );
    let e = Engine::start(&script, &[port, bad_options, bad_count]);
    for _ in 0..2 {
        let answer = get(port, "/", "");
        assert!(answer.starts_with("HTTP/1.1 5"), "{answer}");
    }
    let log = e.wait_log("no key today", 5);
    assert!(log.contains("mux(): "), "{log}");
    assert!(get(bad_options, "/", "").starts_with("HTTP/1.1 5"));
    e.wait_log(
        "muxQueue(): TypeError: the options function did not return an object",
        5,
    );
    let (out, _) = raw_exchange(bad_count, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", 2);
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    e.wait_log("demuxQueue(): ", 5);
    // Still serving after all that.
    assert!(get(port, "/", "").starts_with("HTTP/1.1 5"));
    assert_eq!(origin.accepted(), 0);
}

#[test]
fn a_session_whose_upstream_closes_is_replaced_for_the_next_request() {
    let origin = CountingOrigin::start_with(true);
    let port = free_port();
    let cb = Codebase::new("mux-reopen");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy({{ _keys: [] }})\n.listen({port}).demuxHTTP().to($=>$\n  .mux(() => 'one', {{ maxQueue: 0 }}).to($=>$\n    .onStart(k => void _keys.push(k))\n    .encodeHTTPRequest().connect('127.0.0.1:{}').decodeHTTPResponse()\n  )\n)\n",
            origin.port
        ),
    );
    let _e = Engine::start(&script, &[port]);
    for i in 1..=3 {
        // Give the session time to see its upstream close before the next request.
        std::thread::sleep(Duration::from_millis(100));
        let answer = get(port, &format!("/{i}"), "");
        assert!(answer.ends_with(&format!("path=/{i} conn={i}")), "{answer}");
    }
    assert_eq!(origin.accepted(), 3);
}

#[test]
fn demux_with_a_negative_output_count_reads_the_next_message_after_the_replies() {
    let (paced, free) = (free_port(), free_port());
    let cb = Codebase::new("demux-pause");
    let layout = r#"$=>$
    .handleMessageStart(() => { _g.max = Math.max(_g.max, ++_g.active) })
    .replaceMessage(m => new Timeout(0.1).wait().then(() => {
      _g.active--;
      return new Message({ status: 200 }, `${m.head.path} max=${_g.max}`);
    }))"#;
    let script = cb.file(
        "main.js",
        &format!(
            "pipy({{ _g: {{ active: 0, max: 0 }} }})\n\
             .listen({paced}).decodeHTTPRequest().demux({{ outputCount: -1 }}).to({layout}).encodeHTTPResponse()\n\
             .listen({free}).decodeHTTPRequest().demux().to({layout}).encodeHTTPResponse()\n"
        ),
    );
    let _e = Engine::start(&script, &[paced, free]);
    let three = b"GET /1 HTTP/1.1\r\nhost: x\r\n\r\nGET /2 HTTP/1.1\r\nhost: x\r\n\r\nGET /3 HTTP/1.1\r\nhost: x\r\n\r\n";
    let (out, _) = raw_exchange(paced, three, 1);
    let out = String::from_utf8_lossy(&out);
    assert!(out.ends_with("/3 max=1"), "one request at a time: {out}");
    let (out, _) = raw_exchange(free, three, 1);
    let out = String::from_utf8_lossy(&out);
    assert!(out.ends_with("/3 max=3"), "all three at once: {out}");
}

#[test]
fn a_session_that_cannot_connect_ends_the_waiting_streams_with_its_error() {
    let (port, nowhere) = (free_port(), free_port());
    let cb = Codebase::new("mux-refused");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({port}).demuxHTTP().to($=>$\n  .mux(() => 'down', {{ maxQueue: 0 }}).to({})\n)\n",
            upstream(nowhere)
        ),
    );
    let _e = Engine::start(&script, &[port]);
    let clients: Vec<_> = (0..3)
        .map(|_| std::thread::spawn(move || get(port, "/", "")))
        .collect();
    for c in clients {
        let answer = c.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 502"), "{answer}");
    }
}
