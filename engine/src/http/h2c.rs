//! The cleartext upgrade to HTTP/2 (`Upgrade: h2c`, RFC 7540 §3.2; Pipy answers it, so
//! `curl --http2 http://...` gets HTTP/2 from a Sluice server too).
//!
//! The server answers the upgrade request with `101 Switching Protocols`; the client then
//! sends the HTTP/2 preface and its SETTINGS, and expects the response to the request it
//! upgraded with on stream 1. The HTTP/2 connection itself is served by the same HTTP/2
//! server as prior-knowledge connections: [`Splice`] hands it the client's preface and
//! SETTINGS frame followed by a HEADERS frame on stream 1 that carries the upgrade request,
//! as if the client had sent that request over HTTP/2 in the first place.

use bytes::Bytes;

use super::decoder::Head;
use super::h2::PREFACE;

/// The server's answer to an accepted upgrade.
pub const SWITCHING: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

/// Header fields that belong to the HTTP/1.1 connection, not to the request (RFC 9113
/// §8.2.2): they are not carried over to stream 1.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "upgrade",
    "http2-settings",
    "host",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
];

/// True when `head` asks to switch to cleartext HTTP/2 in a way the server can accept: an
/// HTTP/1.1 request (not CONNECT) with `Upgrade: h2c`, `Connection: Upgrade, HTTP2-Settings`,
/// an `HTTP2-Settings` field and no body. Requests with a body are served over HTTP/1.1, as
/// RFC 7540 lets a server do.
pub fn wants_h2c(head: &Head) -> bool {
    let upgrade = head
        .header("upgrade")
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("h2c")));
    let no_body = head.header("transfer-encoding").is_none()
        && head
            .header("content-length")
            .is_none_or(|v| v.trim() == "0");
    head.protocol == "HTTP/1.1"
        && head.method != "CONNECT"
        && upgrade
        && head.connection_has("upgrade")
        && head.header("http2-settings").is_some()
        && no_body
}

/// Builds the HEADERS frame (stream 1, END_STREAM and END_HEADERS set) that stands for the
/// upgrade request on the HTTP/2 connection. Fields are written as HPACK literals without
/// indexing, so the frame leaves the connection's header table untouched.
pub fn stream_one(head: &Head) -> Vec<u8> {
    let mut block = Vec::new();
    let authority = head.header("host").unwrap_or("");
    literal(&mut block, ":method", &head.method);
    literal(&mut block, ":scheme", "http");
    literal(&mut block, ":path", &head.path);
    if !authority.is_empty() {
        literal(&mut block, ":authority", authority);
    }
    for h in &head.headers {
        let name = h.name().to_ascii_lowercase();
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        literal(&mut block, &name, h.value());
    }
    let mut frame = Vec::with_capacity(9 + block.len());
    let len = block.len() as u32;
    frame.extend_from_slice(&len.to_be_bytes()[1..]);
    frame.push(0x1); // HEADERS
    frame.push(0x1 | 0x4); // END_STREAM | END_HEADERS
    frame.extend_from_slice(&1u32.to_be_bytes());
    frame.extend_from_slice(&block);
    frame
}

/// A header field as an HPACK "literal header field without indexing — new name".
fn literal(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(0);
    string(out, name.as_bytes());
    string(out, value.as_bytes());
}

/// An HPACK string literal, not Huffman-coded: a 7-bit-prefix length, then the bytes.
fn string(out: &mut Vec<u8>, s: &[u8]) {
    let mut n = s.len();
    if n < 127 {
        out.push(n as u8);
    } else {
        out.push(127);
        n -= 127;
        while n >= 128 {
            out.push((n % 128) as u8 | 0x80);
            n /= 128;
        }
        out.push(n as u8);
    }
    out.extend_from_slice(s);
}

/// What [`Splice::push`] made of the bytes so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Spliced {
    /// More bytes are needed.
    Waiting,
    /// The client's preface and first frame with stream 1 after them, then whatever else
    /// had arrived: the first input of the HTTP/2 server.
    Ready(Bytes),
    /// The client did not send the HTTP/2 preface after the 101.
    NotHttp2,
}

/// Holds the client's first bytes after the 101 until its preface and first frame (its
/// SETTINGS) are complete, then puts the stream-1 HEADERS frame after them.
pub struct Splice {
    held: Vec<u8>,
    stream_one: Option<Vec<u8>>,
}

impl Splice {
    /// A splice that will insert `stream_one` (see [`stream_one`]).
    pub fn new(stream_one: Vec<u8>) -> Splice {
        Splice {
            held: Vec::new(),
            stream_one: Some(stream_one),
        }
    }

    /// Takes more of the client's bytes.
    pub fn push(&mut self, b: &[u8]) -> Spliced {
        self.held.extend_from_slice(b);
        let n = self.held.len().min(PREFACE.len());
        if self.held[..n] != PREFACE[..n] {
            return Spliced::NotHttp2;
        }
        let at = PREFACE.len();
        if self.held.len() < at + 9 {
            return Spliced::Waiting;
        }
        let len = u32::from_be_bytes([0, self.held[at], self.held[at + 1], self.held[at + 2]]);
        let end = at + 9 + len as usize;
        if self.held.len() < end {
            return Spliced::Waiting;
        }
        let Some(one) = self.stream_one.take() else {
            return Spliced::Waiting;
        };
        let mut out = Vec::with_capacity(self.held.len() + one.len());
        out.extend_from_slice(&self.held[..end]);
        out.extend_from_slice(&one);
        out.extend_from_slice(&self.held[end..]);
        self.held.clear();
        Spliced::Ready(Bytes::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::decoder::{Decoder, Part};
    use crate::http::Role;

    fn head(text: &str) -> Head {
        let mut d = Decoder::new(Role::Request, 65536);
        let mut parts = Vec::new();
        d.feed(text.as_bytes(), &mut parts);
        match parts.into_iter().next() {
            Some(Part::Head(h)) => h,
            other => panic!("no head: {other:?}"),
        }
    }

    const UPGRADE: &str = "GET /a HTTP/1.1\r\nHost: x:1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nAccept: */*\r\n\r\n";

    #[test]
    fn accepts_only_bodiless_http11_upgrades() {
        assert!(wants_h2c(&head(UPGRADE)));
        let with_body = UPGRADE.replace("Accept: */*", "Content-Length: 3");
        assert!(!wants_h2c(&head(&with_body)));
        let no_settings = UPGRADE.replace("HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n", "");
        assert!(!wants_h2c(&head(&no_settings)));
        let websocket = UPGRADE.replace("Upgrade: h2c", "Upgrade: websocket");
        assert!(!wants_h2c(&head(&websocket)));
    }

    #[test]
    fn stream_one_is_a_headers_frame_without_connection_fields() {
        let f = stream_one(&head(UPGRADE));
        let len = u32::from_be_bytes([0, f[0], f[1], f[2]]) as usize;
        assert_eq!(f.len(), 9 + len);
        assert_eq!(&f[3..9], &[1, 5, 0, 0, 0, 1]);
        let block = &f[9..];
        let text = String::from_utf8_lossy(block);
        assert!(text.contains(":method\x03GET"));
        assert!(text.contains(":path\x02/a"));
        assert!(text.contains(":authority\x03x:1"));
        assert!(text.contains("accept\x03*/*"));
        assert!(!text.contains("upgrade") && !text.contains("http2-settings"));
    }

    #[test]
    fn long_strings_use_the_continued_length() {
        let mut out = Vec::new();
        string(&mut out, &[b'a'; 300]);
        assert_eq!(&out[..3], &[127, (173 % 128) as u8 | 0x80, 1]);
        assert_eq!(out.len(), 3 + 300);
    }

    #[test]
    fn splice_waits_for_the_first_frame_then_inserts_stream_one() {
        let mut s = Splice::new(vec![0xAA]);
        let mut bytes = PREFACE.to_vec();
        bytes.extend_from_slice(&[0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100]);
        bytes.extend_from_slice(b"rest");
        assert_eq!(s.push(&bytes[..30]), Spliced::Waiting);
        let Spliced::Ready(out) = s.push(&bytes[30..]) else {
            panic!("not ready");
        };
        let settings_end = PREFACE.len() + 15;
        assert_eq!(&out[..settings_end], &bytes[..settings_end]);
        assert_eq!(out[settings_end], 0xAA);
        assert_eq!(&out[settings_end + 1..], b"rest");
        assert_eq!(
            Splice::new(vec![]).push(b"GET / HTTP/1.1\r\n"),
            Spliced::NotHttp2
        );
    }
}
