//! The explicit HTTP codec filters and body compression, through the real engine.

mod common;

use common::*;

fn start(name: &str, script: &str, ports: &[u16]) -> (Codebase, Engine) {
    let cb = Codebase::new(name);
    let path = cb.file("main.js", script);
    let e = Engine::start(&path, ports);
    (cb, e)
}

#[test]
fn decode_and_encode_filters_build_a_server_and_a_proxy_by_hand() {
    let (backend, server, proxy, dead) = (free_port(), free_port(), free_port(), free_port());
    let script = format!(
        r#"pipy()
.listen({backend})
  .serveHTTP(msg => new Message(`backend saw ${{msg.head.method}} ${{msg.head.path}}`))
.listen({server})
  .decodeHTTPRequest()
  .replaceMessage(m => new Message({{ status: 202, headers: {{ 'x-path': m.head.path }} }}, 'accepted'))
  .encodeHTTPResponse()
.listen({proxy})
  .decodeHTTPRequest()
  .handleMessageStart(e => e.head.path = '/rewritten' + e.head.path)
  .encodeHTTPRequest()
  .connect('127.0.0.1:{backend}')
  .decodeHTTPResponse()
  .encodeHTTPResponse()
.listen({dead})
  .decodeHTTPRequest()
  .encodeHTTPRequest()
  .connect('127.0.0.1:1')
  .decodeHTTPResponse()
  .encodeHTTPResponse()
"#
    );
    let (_c, _e) = start("codecs", &script, &[backend, server, proxy, dead]);
    let (out, _) = raw_exchange(server, b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n", 2);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 202 Accepted\r\nx-path: /a\r\ncontent-length: 8\r\nconnection: keep-alive\r\n\r\naccepted"
    );
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{proxy}/x")]),
        "backend saw GET /rewritten/x"
    );
    assert_eq!(
        curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{dead}/")
        ]),
        "502"
    );
}

#[test]
fn compress_and_decompress_http_bodies() {
    let (backend, gz, plain) = (free_port(), free_port(), free_port());
    let script = format!(
        r#"var text = 'the quick brown fox jumps over the lazy dog '.repeat(2000);
pipy()
.listen({backend})
  .demuxHTTP().to($=>$
    .replaceMessage(msg => new Message({{ status: 200 }}, text))
    .compressHTTP(e => e.head.status === 200 ? 'gzip' : null)
  )
.listen({gz})
  .demuxHTTP().to($=>$
    .muxHTTP(() => 'b').to($=>$.connect('127.0.0.1:{backend}'))
  )
.listen({plain})
  .demuxHTTP().to($=>$
    .muxHTTP(() => 'b').to($=>$.connect('127.0.0.1:{backend}'))
    .decompressHTTP()
  )
"#
    );
    let (_c, _e) = start("compress", &script, &[backend, gz, plain]);
    let expected = "the quick brown fox jumps over the lazy dog ".repeat(2000);
    // curl decodes gzip itself; the raw bytes must be gzip and much smaller.
    let raw = std::process::Command::new("curl")
        .args(["-s", "-D", "-", &format!("http://127.0.0.1:{gz}/")])
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.to_ascii_lowercase().contains("content-encoding: gzip"),
        "{text}"
    );
    assert!(
        raw.len() < expected.len() / 10,
        "compressed size {}",
        raw.len()
    );
    assert_eq!(
        curl(&["--compressed", &format!("http://127.0.0.1:{gz}/")]),
        expected
    );
    // The decompressing proxy hands out plain text, without content-encoding.
    let out = curl(&["-D", "-", &format!("http://127.0.0.1:{plain}/")]);
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(
        !head.to_ascii_lowercase().contains("content-encoding"),
        "{head}"
    );
    assert_eq!(body, expected);
}
