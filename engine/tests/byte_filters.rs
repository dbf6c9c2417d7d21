//! The byte tools through the real engine: split, deframe, pack, compress/decompress (checked
//! against the system's gzip and Python's zlib and brotli), exec (with real child processes)
//! and handleTLSClientHello (with a ClientHello made by Python's TLS stack).

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn serve(name: &str, body: &str) -> (Codebase, Engine, u16) {
    let cb = Codebase::new(name);
    let port = free_port();
    let script = cb.file("main.js", &body.replace("PORT", &port.to_string()));
    let e = Engine::start(&script, &[port]);
    (cb, e, port)
}

/// Sends `chunks` with pauses between them (so they arrive as separate reads), closes the
/// write side and reads everything back.
fn chunked(port: u16, chunks: &[&[u8]]) -> Vec<u8> {
    let mut s = connect(port);
    for c in chunks {
        s.write_all(c).unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).into_owned()
}

/// Runs a program with `input` on its standard input; returns its standard output.
fn pipe_through(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} runs (scripts/setup.sh bytes): {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let w = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    w.join().unwrap().unwrap();
    assert!(out.status.success(), "{program} {args:?} failed");
    out.stdout
}

/// A text of `n` lines that compresses well but not trivially.
fn sample(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| format!("line {i}: the quick brown fox {}\n", i * 7919 % 1000))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn split_cuts_messages_at_a_separator_even_across_reads() {
    let (_c, _e, port) = serve(
        "split",
        r#"pipy()
.listen(PORT)
  .split('\r\n')
  .replaceMessage(m => new Data('[' + m.body.toString() + ']'))
"#,
    );
    let out = chunked(port, &[b"ab\r", b"\ncd\r\n\r", b"\nlast\r"]);
    assert_eq!(text(out), "[ab][cd][][last\r]");
}

#[test]
fn split_takes_data_or_a_function_returning_the_separator() {
    let (_c, _e, port) = serve(
        "split-fn",
        r#"pipy({ _sep: ';' })
.listen(PORT)
  .split(() => new Data(_sep))
  .replaceMessage(m => new Data(m.body.toString().toUpperCase() + '.'))
"#,
    );
    assert_eq!(text(chunked(port, &[b"a;b", b"c;d"])), "A.BC.D.");
}

#[test]
fn split_with_a_byte_callback_inserts_its_events_after_the_byte() {
    // The Pipy 0.x form: a function of the byte.
    let (_c, _e, port) = serve(
        "split-cb",
        r#"pipy()
.listen(PORT)
  .split(b => b === 59 ? new Data('|') : undefined)
"#,
    );
    assert_eq!(text(chunked(port, &[b"a;b;", b"c"])), "a;|b;|c");
}

#[test]
fn split_rejects_a_separator_over_1k_and_a_callback_that_throws() {
    let cb = Codebase::new("split-bad");
    let s = cb.file("main.js", "pipy().pipeline('p').split('x'.repeat(1025))\n");
    let (code, _, err) = run_to_end(&["--check", s.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("split()") && err.contains("1KB"), "{err}");

    let (_c, e, port) = serve(
        "split-throw",
        r#"pipy()
.listen(PORT)
  .split(b => { throw new Error('byte trouble') })
"#,
    );
    let (out, closed) = raw_exchange(port, b"abc", 5);
    assert!(out.is_empty() && closed);
    let log = e.wait_log("byte trouble", 5);
    assert!(log.contains("split()"), "{log}");
}

#[test]
fn deframe_reads_length_prefixed_frames_into_data_and_arrays() {
    let (_c, _e, port) = serve(
        "deframe",
        r#"pipy()
.listen(PORT)
  .deframe({
    kind: c => c === 68 ? 'len' : (c === 65 ? ['sum', 3, []] : ['skip', 2]),
    skip: () => 'kind',
    len: n => ['body', n, new Data],
    body: d => [new MessageStart, d, new MessageEnd, 'kind'],
    sum: a => [new Data('(' + a.reduce((x, y) => x + y, 0) + ')'), 'kind'],
  })
  .replaceMessage(m => new Data('<' + m.body.toString() + '>'))
"#,
    );
    // D: a length byte and that many bytes; A: three bytes summed; else: 2 bytes pass through.
    let out = chunked(port, &[b"D\x03ab", b"cA\x01\x02", b"\x03xyzD\x02hi"]);
    assert_eq!(text(out), "<abc>(6)yz<hi>");
}

#[test]
fn deframe_ends_the_stream_on_an_unknown_state_or_a_bad_length() {
    let (_c, e, port) = serve(
        "deframe-bad",
        r#"pipy()
.listen(PORT)
  .deframe({ start: c => c === 48 ? ['start', -1] : 'nowhere' })
"#,
    );
    let (out, closed) = raw_exchange(port, b"x", 5);
    assert!(out.is_empty() && closed);
    let log = e.wait_log("invalid state: nowhere", 5);
    assert!(log.contains("deframe()"), "{log}");
    let (_, closed) = raw_exchange(port, b"0", 5);
    assert!(closed);
    e.wait_log("invalid reading length", 5);

    let cb = Codebase::new("deframe-args");
    let s = cb.file("main.js", "pipy().pipeline('p').deframe('nope')\n");
    let (code, _, err) = run_to_end(&["--check", s.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("deframe()") && err.contains("object of states"),
        "{err}"
    );
}

#[test]
fn pack_joins_batches_and_flushes_on_timeout_and_at_the_end() {
    let (_c, _e, port) = serve(
        "pack",
        r#"pipy()
.listen(PORT)
  .split('\n')
  .pack(3, { timeout: 0.3, prefix: '[', separator: ',', postfix: ']' })
  .replaceMessage(m => new Data(m.body.toString() + '\n'))
"#,
    );
    assert_eq!(text(chunked(port, &[b"a\nb\nc\nd\n"])), "[a,b,c]\n[d]\n");

    // Two messages, then a pause longer than the timeout: they go out before the stream ends.
    let mut s = connect(port);
    s.write_all(b"x\ny\n").unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"[x,y]\n");
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[test]
fn pack_rejects_bad_options() {
    for (script, want) in [
        ("pipy().pipeline('p').pack('many')\n", "batch size"),
        ("pipy().pipeline('p').pack(2, { vacancy: 2 })\n", "vacancy"),
        ("pipy().pipeline('p').pack(2, { prefix: 1 })\n", "prefix"),
    ] {
        let cb = Codebase::new("pack-bad");
        let s = cb.file("main.js", script);
        let (code, _, err) = run_to_end(&["--check", s.to_str().unwrap()], &[]);
        assert_ne!(code, 0, "{script}");
        assert!(err.contains("pack()") && err.contains(want), "{err}");
    }
}

#[test]
fn compress_output_is_read_by_the_system_gzip_and_python_zlib() {
    let (_c, _e, port) = serve(
        "compress",
        r#"pipy()
.listen(PORT)
  .compress(() => 'gzip')
"#,
    );
    let input = sample(3000);
    let parts: Vec<&[u8]> = input.chunks(10_000).collect();
    let gz = chunked(port, &parts);
    assert!(gz.len() < input.len() / 3, "compressed {} bytes", gz.len());
    assert_eq!(pipe_through("gzip", &["-dc"], &gz), input);

    let (_c2, _e2, port2) = serve(
        "compress-deflate",
        "pipy().listen(PORT).compress('deflate')\n",
    );
    let z = chunked(port2, &[&input]);
    let py = "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))";
    assert_eq!(pipe_through("python3", &["-c", py], &z), input);
}

#[test]
fn decompress_reads_gzip_zlib_and_brotli_from_real_tools() {
    let input = sample(2000);
    for (alg, packed) in [
        ("gzip", pipe_through("gzip", &["-c"], &input)),
        (
            "inflate",
            pipe_through(
                "python3",
                &["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"],
                &input,
            ),
        ),
        (
            "brotli",
            pipe_through(
                "python3",
                &["-c", "import sys, brotli; sys.stdout.buffer.write(brotli.compress(sys.stdin.buffer.read()))"],
                &input,
            ),
        ),
    ] {
        let (_c, _e, p) = serve(
            "decompress-one",
            &format!("pipy().listen(PORT).decompress('{alg}')\n"),
        );
        let parts: Vec<&[u8]> = packed.chunks(1000).collect();
        assert_eq!(chunked(p, &parts), input, "{alg}");
    }
}

#[test]
fn compress_and_decompress_fail_cleanly_on_bad_input() {
    let (_c, e, port) = serve(
        "decompress-bad",
        r#"pipy()
.listen(PORT)
  .decompress('gzip')
"#,
    );
    let (out, closed) = raw_exchange(port, b"this is not gzip at all", 5);
    assert!(out.is_empty() && closed);
    let log = e.wait_log("decompress(): corrupt", 5);
    assert!(!log.contains("panicked"), "{log}");

    let (_c2, e2, port2) = serve(
        "compress-bad",
        r#"pipy()
.listen(PORT)
  .compress(() => 'zip')
"#,
    );
    let (out, closed) = raw_exchange(port2, b"abc", 5);
    assert!(out.is_empty() && closed);
    e2.wait_log("compress(): unknown compression algorithm: zip", 5);

    let cb = Codebase::new("compress-args");
    let s = cb.file("main.js", "pipy().pipeline('p').compress()\n");
    let (code, _, err) = run_to_end(&["--check", s.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("compress()") && err.contains("algorithm"),
        "{err}"
    );
}

#[test]
fn exec_joins_the_stream_to_a_child_process() {
    let (_c, _e, port) = serve(
        "exec",
        r#"pipy()
.listen(PORT)
  .exec('tr a-z A-Z')
"#,
    );
    assert_eq!(text(chunked(port, &[b"hello ", b"world"])), "HELLO WORLD");

    let (_c2, _e2, port2) = serve(
        "exec-argv",
        r#"pipy()
.listen(PORT)
  .exec(['sh', '-c', 'cat; echo oops >&2; exit 3'], {
    onExit: (code, stderr) => new Data('[exit ' + code + ': ' + stderr.toString().trim() + ']'),
  })
"#,
    );
    assert_eq!(text(chunked(port2, &[b"in;"])), "in;[exit 3: oops]");

    let (_c3, _e3, port3) = serve(
        "exec-env",
        r#"pipy()
.listen(PORT)
  .exec(() => ['sh', '-c', 'printf "$GREETING"; printf " to stderr" >&2'], {
    stderr: true,
    env: () => ({ GREETING: 'hi from env' }),
  })
"#,
    );
    let out = text(chunked(port3, &[b""]));
    assert!(
        out.contains("hi from env") && out.contains(" to stderr"),
        "{out}"
    );
}

/// Processes whose command line contains `needle`.
fn processes_with(needle: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .contains(needle)
                })
                .unwrap_or(false)
        })
        .count()
}

#[test]
fn exec_kills_the_child_when_the_stream_ends() {
    // Each connection's child names the connection's port, to be found among processes.
    let (_c, _e, port) = serve(
        "exec-kill",
        r#"pipy()
.listen(PORT)
  .exec(() => ['sleep', '314.' + __inbound.remotePort])
"#,
    );
    let wait_for = |needle: &str, want: usize, secs: u64| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while processes_with(needle) != want && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        processes_with(needle)
    };
    // A connection reset: the child is terminated at once.
    let s = connect(port);
    let needle = format!("sleep 314.{}", s.local_addr().unwrap().port());
    socket2::SockRef::from(&s)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    (&s).write_all(b"x").unwrap();
    assert_eq!(wait_for(&needle, 1, 5), 1, "the child runs");
    drop(s);
    assert_eq!(wait_for(&needle, 0, 3), 0, "killed after a reset");

    // A normal end: the child gets its grace time, then SIGTERM; the stream then ends.
    let mut s = connect(port);
    let needle = format!("sleep 314.{}", s.local_addr().unwrap().port());
    s.write_all(b"x").unwrap();
    assert_eq!(wait_for(&needle, 1, 5), 1, "the child runs");
    let started = Instant::now();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    assert!(out.is_empty());
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(15),
        "{took:?}"
    );
    assert_eq!(processes_with(&needle), 0);
}

#[test]
fn exec_reports_what_cannot_run() {
    let (_c, e, port) = serve(
        "exec-bad",
        r#"pipy()
.listen(PORT)
  .exec('/no/such/program --flag')
"#,
    );
    let (out, closed) = raw_exchange(port, b"x", 5);
    assert!(out.is_empty() && closed);
    e.wait_log("exec(): cannot run /no/such/program", 5);

    let (_c2, e2, port2) = serve(
        "exec-throw",
        r#"pipy()
.listen(PORT)
  .exec('true', { onExit: () => { throw new Error('exit handler broke') } })
"#,
    );
    let (out, closed) = raw_exchange(port2, b"x", 5);
    assert!(out.is_empty() && closed);
    let log = e2.wait_log("exit handler broke", 5);
    assert!(log.contains("exec()"), "{log}");

    for (script, want) in [
        ("pipy().pipeline('p').exec()\n", "expects a command"),
        (
            "pipy().pipeline('p').exec('cat', 'x')\n",
            "options must be an object",
        ),
        (
            "pipy().pipeline('p').exec('cat', { onExit: 1 })\n",
            "onExit must be a function",
        ),
        (
            "pipy().pipeline('p').exec('cat', { pty: true })\n",
            "pty is not supported",
        ),
    ] {
        let cb = Codebase::new("exec-args");
        let s = cb.file("main.js", script);
        let (code, _, err) = run_to_end(&["--check", s.to_str().unwrap()], &[]);
        assert_ne!(code, 0, "{script}");
        assert!(err.contains("exec()") && err.contains(want), "{err}");
    }
}

/// The first flight of a real TLS client (Python's ssl module) for `sni` and `alpn`.
fn client_hello(sni: &str, alpn: &[&str]) -> Vec<u8> {
    let py = format!(
        "import ssl, sys\n\
         c = ssl.create_default_context()\n\
         c.set_alpn_protocols({alpn:?})\n\
         i, o = ssl.MemoryBIO(), ssl.MemoryBIO()\n\
         s = c.wrap_bio(i, o, server_hostname={sni:?})\n\
         try:\n    s.do_handshake()\n\
         except ssl.SSLWantReadError:\n    pass\n\
         sys.stdout.buffer.write(o.read())\n"
    );
    let out = Command::new("python3").args(["-c", &py]).output().unwrap();
    assert!(out.status.success() && out.stdout.len() > 100);
    out.stdout
}

#[test]
fn handle_tls_client_hello_routes_by_sni_without_terminating_tls() {
    let (_c, _e, port) = serve(
        "client-hello",
        r#"pipy({ _sni: '', _alpn: '' })
.listen(PORT)
  .handleTLSClientHello(h => {
    _sni = h.serverNames?.[0] || ''
    _alpn = (h.protocolNames || []).join(',')
  })
  .link(() => _sni === 'a.example' ? 'a' : 'other')
.pipeline('a')
  .replaceData(d => new Data('A ' + _alpn + ' ' + d.size))
.pipeline('other')
  .replaceData(d => new Data('other:' + _sni + ' ' + d.size))
"#,
    );
    let hello = client_hello("a.example", &["h2", "http/1.1"]);
    // Cut in the middle of the ClientHello: the filter waits for the rest before routing.
    let (a, b) = hello.split_at(60);
    let out = text(chunked(port, &[a, b]));
    assert_eq!(out, format!("A h2,http/1.1 {}", hello.len()));

    let hello = client_hello("b.example", &[]);
    assert_eq!(
        text(chunked(port, &[&hello])),
        format!("other:b.example {}", hello.len())
    );
    // Not TLS: passed on untouched, without a callback.
    assert_eq!(
        text(chunked(port, &[b"GET / HTTP/1.0\r\n\r\n"])),
        "other: 18"
    );
}

#[test]
fn handle_tls_client_hello_reports_a_throwing_callback() {
    let (_c, e, port) = serve(
        "client-hello-bad",
        r#"pipy()
.listen(PORT)
  .handleTLSClientHello(h => { throw new Error('no names for you') })
"#,
    );
    let (out, closed) = raw_exchange(port, &client_hello("x.example", &[]), 5);
    assert!(out.is_empty() && closed);
    let log = e.wait_log("no names for you", 5);
    assert!(log.contains("handleTLSClientHello()"), "{log}");

    let cb = Codebase::new("client-hello-args");
    let s = cb.file(
        "main.js",
        "pipy().pipeline('p').handleTLSClientHello('sni')\n",
    );
    let (code, _, err) = run_to_end(&["--check", s.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("handleTLSClientHello()") && err.contains("expects a callback"),
        "{err}"
    );
}

#[test]
fn decompress_http_decodes_a_brotli_body_from_an_origin() {
    let input = sample(1500);
    let packed = pipe_through(
        "python3",
        &[
            "-c",
            "import sys, brotli; sys.stdout.buffer.write(brotli.compress(sys.stdin.buffer.read()))",
        ],
        &input,
    );
    let body = packed.clone();
    let origin = origin(move |_, _| {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\ncontent-encoding: br\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(&body);
        r
    });
    let (_c, _e, port) = serve(
        "decompress-http-br",
        &format!(
            r#"pipy()
.listen(PORT)
  .demuxHTTP().to($=>$
    .muxHTTP(() => 'o').to($=>$.connect('127.0.0.1:{origin}'))
    .decompressHTTP()
  )
"#
        ),
    );
    let out = Command::new("curl")
        .args(["-s", "-D", "-", &format!("http://127.0.0.1:{port}/")])
        .output()
        .unwrap()
        .stdout;
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).to_ascii_lowercase();
    assert!(!head.contains("content-encoding"), "{head}");
    assert_eq!(&out[split + 4..], &input[..]);
}
