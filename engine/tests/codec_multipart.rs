//! `decodeMultipart` through the real engine, with curl `-F` uploads: a Sluice server splits
//! each form upload into its parts (a text field, a 200 KB binary file, a file read as text)
//! and answers with what it saw; a request that is not multipart passes whole; a part with a
//! header section over `maxHeaderSize` ends the stream with an error.

mod common;

use common::*;

fn server(port: u16) -> (Engine, Codebase) {
    let cb = Codebase::new("multipart");
    let main = cb.file(
        "main.js",
        &format!(
            r#"
var seen = [];

pipy()
.listen({port})
  .demuxHTTP().to($=>$
    .fork().to($=>$
      .decodeMultipart()
      .handleMessage(msg => {{
        var sum = 0;
        msg.body.toArray().forEach(b => {{ sum = (sum * 31 + b) % 1000000007 }});
        seen.push({{
          headers: msg.head.headers,
          size: msg.body.size,
          sum: sum,
          text: msg.body.size < 100 ? msg.body.toString() : undefined,
        }});
      }})
    )
    .replaceMessage(() => new Message(JSON.stringify(seen.splice(0))))
  )

pipy()
.listen({small})
  .demuxHTTP().to($=>$
    .decodeMultipart({{ maxHeaderSize: 256 }})
    .replaceMessage(() => null)
    .replaceStreamEnd(e => [new Message(e.error ? `error ${{e.error}}` : 'done'), new StreamEnd])
  )
"#,
            small = port + 1
        ),
    );
    let e = Engine::start(&main, &[port, port + 1]);
    (e, cb)
}

fn two_ports() -> u16 {
    loop {
        let p = free_port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

/// The checksum the server computes, over `bytes`.
fn sum(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0u64, |s, b| (s * 31 + u64::from(*b)) % 1_000_000_007)
}

#[test]
fn curl_form_uploads_split_into_parts() {
    let port = two_ports();
    let (_engine, cb) = server(port);
    let file: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let bin = cb.dir.join("data.bin");
    std::fs::write(&bin, &file).unwrap();
    let note = cb.file("note.txt", "a note\n");
    let url = format!("http://127.0.0.1:{port}/upload");
    let out = curl(&[
        "-F",
        "field=value",
        "-F",
        &format!("file=@{};type=application/octet-stream", bin.display()),
        "-F",
        &format!("note=<{}", note.display()),
        &url,
    ]);
    let parts: serde_json::Value = serde_json::from_str(&out).expect(&out);
    let parts = parts.as_array().expect("an array of parts");
    assert_eq!(parts.len(), 3, "{out}");

    // As in Pipy, a part's body keeps the line break before the next boundary.
    assert_eq!(
        parts[0]["headers"]["content-disposition"],
        r#"form-data; name="field""#
    );
    assert_eq!(parts[0]["text"], "value\r\n");

    assert_eq!(
        parts[1]["headers"]["content-disposition"],
        r#"form-data; name="file"; filename="data.bin""#
    );
    assert_eq!(
        parts[1]["headers"]["content-type"],
        "application/octet-stream"
    );
    let mut with_crlf = file.clone();
    with_crlf.extend_from_slice(b"\r\n");
    assert_eq!(parts[1]["size"], with_crlf.len());
    assert_eq!(parts[1]["sum"], sum(&with_crlf));

    assert_eq!(parts[2]["text"], "a note\n\r\n");

    // Not multipart: the message passes whole.
    let out = curl(&["-d", "plain=1", &url]);
    let whole: serde_json::Value = serde_json::from_str(&out).expect(&out);
    assert_eq!(whole.as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(whole[0]["text"], "plain=1");
    assert_eq!(
        whole[0]["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
}

#[test]
fn a_part_header_over_the_limit_ends_the_stream_with_an_error() {
    let port = two_ports();
    let (engine, _cb) = server(port);
    let url = format!("http://127.0.0.1:{}/upload", port + 1);
    assert_eq!(curl(&["-F", "a=1", &url]), "done");
    let long = "n".repeat(1000);
    assert_eq!(
        curl(&["-F", &format!("{long}=1"), &url]),
        "error BufferOverflow",
        "the decoder ended the stream with an error, and no part came out"
    );
    engine.wait_log("decodeMultipart: ", 10);
}
