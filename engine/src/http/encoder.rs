//! HTTP/1.x encoding: heads and body chunks in, bytes out.
//!
//! Framing: a body is held up to `buffer_size` bytes and sent with its exact `content-length`
//! if it ends by then (so scripts that change a body never send a stale length). A longer body
//! streams: with the `content-length` its head declared, if any (checked at the end), else
//! with `transfer-encoding: chunked` (close-delimited for an HTTP/1.0 peer). Bodies of any size
//! pass with bounded memory.

use std::rc::Rc;

use bytes::{BufMut, Bytes, BytesMut};

use super::decoder::Head;

/// Default body bytes held before switching to chunked ([A]: 16 KiB).
pub const DEFAULT_BUFFER_SIZE: usize = 16 * 1024;

/// A head ready to encode.
#[derive(Clone, Debug, Default)]
pub struct OutHead {
    /// `HTTP/1.1 200 OK` or `GET / HTTP/1.1`.
    pub start_line: String,
    /// A decoded head whose fields go out first, as they came, but for its framing and
    /// `connection` fields (a head no script changed is not copied).
    pub base: Option<Rc<Head>>,
    /// Headers to copy after those of `base`, in order, spelled as they go on the wire;
    /// framing and `connection` headers are not among them.
    pub headers: Vec<(String, String)>,
    /// A `content-length` the head declared.
    pub content_length: Option<u64>,
    /// A `connection` value the head carried.
    pub connection: Option<String>,
    /// The message never has a body (HEAD response, 1xx, 204, 304).
    pub bodiless: bool,
    /// Keep the declared `content-length` on a bodiless message (HEAD responses).
    pub keep_length: bool,
    /// Write no length header at all (1xx, 204, tunnels).
    pub no_length: bool,
    /// An empty body still gets `content-length: 0` (POST/PUT/PATCH requests, responses).
    pub length_when_empty: bool,
    /// The peer speaks HTTP/1.0 (cannot take chunked).
    pub peer_http10: bool,
}

impl OutHead {
    /// The header fields to write, in order: those of `base` (less framing and `connection`),
    /// then `headers`.
    pub fn header_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        let base = self.base.iter().flat_map(|h| {
            h.headers
                .iter()
                .filter(|f| !is_framing(f.name()))
                .map(|f| (f.name(), f.value()))
        });
        base.chain(self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// Fields the encoder writes itself (framing and `connection`), never copied from a head.
/// (By length first: every field of every head written goes through here.)
fn is_framing(name: &str) -> bool {
    match name.len() {
        10 => name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive"),
        14 => name.eq_ignore_ascii_case("content-length"),
        17 => name.eq_ignore_ascii_case("transfer-encoding"),
        _ => false,
    }
}

enum State {
    Idle,
    Buffering {
        head: OutHead,
        body: Vec<Bytes>,
        len: usize,
        last: bool,
    },
    Length {
        left: u64,
    },
    Chunked,
    UntilClose,
    Bodiless,
}

/// Encodes one message at a time.
pub struct Encoder {
    buffer_size: usize,
    state: State,
}

impl Encoder {
    /// An encoder holding at most `buffer_size` body bytes before streaming.
    pub fn new(buffer_size: usize) -> Encoder {
        Encoder {
            buffer_size,
            state: State::Idle,
        }
    }

    /// True between messages: the last one has ended.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// Starts a message; `last` asks for `connection: close`. Returns true when the message
    /// had to be close-delimited, which makes it the last one on the connection.
    pub fn start(&mut self, head: OutHead, last: bool, out: &mut Vec<Bytes>) -> bool {
        if head.bodiless || head.no_length {
            let len = if head.keep_length {
                head.content_length
            } else {
                None
            };
            out.push(write_head(
                &head,
                len.map(Framing::Length).unwrap_or(Framing::Nothing),
                last,
            ));
            self.state = State::Bodiless;
            return false;
        }
        self.state = State::Buffering {
            head,
            body: Vec::new(),
            len: 0,
            last,
        };
        false
    }

    /// Adds body bytes. Returns an error when they overrun a declared length.
    pub fn data(&mut self, b: Bytes, out: &mut Vec<Bytes>) -> Result<(), String> {
        if b.is_empty() {
            return Ok(());
        }
        match &mut self.state {
            State::Idle | State::Bodiless => Ok(()),
            State::Length { left } => {
                if b.len() as u64 > *left {
                    return Err("body longer than its content-length".into());
                }
                *left -= b.len() as u64;
                out.push(b);
                Ok(())
            }
            State::Chunked => {
                out.push(chunk(b));
                Ok(())
            }
            State::UntilClose => {
                out.push(b);
                Ok(())
            }
            State::Buffering { body, len, .. } => {
                *len += b.len();
                body.push(b);
                if *len > self.buffer_size {
                    self.stream_out(out, false);
                }
                Ok(())
            }
        }
    }

    /// Ends the message. Returns an error when the body fell short of a declared length, and
    /// `Ok(true)` when the connection must close after it (close-delimited body).
    pub fn end(&mut self, out: &mut Vec<Bytes>) -> Result<bool, String> {
        self.end_with(&[], out)
    }

    /// Ends the message with trailers. They need a chunked body: a message still held goes
    /// out chunked to carry them; one already framed otherwise (a length, an HTTP/1.0 peer)
    /// or without a body loses them.
    pub fn end_with(
        &mut self,
        trailers: &[(String, String)],
        out: &mut Vec<Bytes>,
    ) -> Result<bool, String> {
        if !trailers.is_empty() {
            if let State::Buffering { head, .. } = &self.state {
                if !head.peer_http10 {
                    self.stream_out(out, true);
                }
            }
        }
        let state = std::mem::replace(&mut self.state, State::Idle);
        match state {
            State::Idle | State::Bodiless => Ok(false),
            State::Length { left } if left > 0 => {
                Err("body shorter than its content-length".into())
            }
            State::Length { .. } => Ok(false),
            State::Chunked => {
                out.push(super::tail::chunked_end(trailers));
                Ok(false)
            }
            State::UntilClose => Ok(true),
            State::Buffering {
                head,
                body,
                len,
                last,
            } => {
                let framing = if len > 0 || head.length_when_empty {
                    Framing::Length(len as u64)
                } else {
                    Framing::Nothing
                };
                out.push(write_head(&head, framing, last));
                out.extend(body);
                Ok(false)
            }
        }
    }

    /// The message so far has to go out before its end: switch to streaming (chunked when
    /// `chunked` asks for it, to carry trailers).
    fn stream_out(&mut self, out: &mut Vec<Bytes>, chunked: bool) {
        let State::Buffering {
            head,
            body,
            last,
            len,
        } = std::mem::replace(&mut self.state, State::Idle)
        else {
            return;
        };
        if let Some(n) = head.content_length.filter(|&n| n >= len as u64 && !chunked) {
            out.push(write_head(&head, Framing::Length(n), last));
            out.extend(body);
            self.state = State::Length {
                left: n - len as u64,
            };
        } else if head.peer_http10 {
            out.push(write_head(&head, Framing::Nothing, true));
            out.extend(body);
            self.state = State::UntilClose;
        } else {
            out.push(write_head(&head, Framing::Chunked, last));
            for b in body {
                out.push(chunk(b));
            }
            self.state = State::Chunked;
        }
    }

    /// True when a message is in progress.
    pub fn is_busy(&self) -> bool {
        !matches!(self.state, State::Idle)
    }
}

enum Framing {
    Nothing,
    Length(u64),
    Chunked,
}

fn write_head(head: &OutHead, framing: Framing, last: bool) -> Bytes {
    let fields = head.base.as_ref().map_or(0, |b| b.headers.len()) + head.headers.len();
    let mut b = BytesMut::with_capacity(128 + fields * 40);
    b.put_slice(head.start_line.as_bytes());
    b.put_slice(b"\r\n");
    // As `header_pairs` gives them, in plain loops (the iterator chain cost more than the
    // copying).
    let mut field = |k: &str, v: &str| {
        b.put_slice(k.as_bytes());
        b.put_slice(b": ");
        b.put_slice(v.as_bytes());
        b.put_slice(b"\r\n");
    };
    if let Some(base) = &head.base {
        for f in base.headers.iter().filter(|f| !is_framing(f.name())) {
            field(f.name(), f.value());
        }
    }
    for (k, v) in &head.headers {
        field(k, v);
    }
    match framing {
        Framing::Nothing => {}
        Framing::Length(n) => {
            b.put_slice(b"content-length: ");
            b.put_slice(decimal(n, &mut [0; 20]).as_bytes());
            b.put_slice(b"\r\n");
        }
        Framing::Chunked => b.put_slice(b"transfer-encoding: chunked\r\n"),
    }
    b.put_slice(b"connection: ");
    if last {
        b.put_slice(b"close");
    } else {
        b.put_slice(
            head.connection
                .as_deref()
                .unwrap_or("keep-alive")
                .as_bytes(),
        );
    }
    b.put_slice(b"\r\n\r\n");
    b.freeze()
}

/// `n` in decimal, written into `buf` (no allocation: heads are written for every message).
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).expect("ASCII digits")
}

fn chunk(b: Bytes) -> Bytes {
    let mut c = BytesMut::with_capacity(b.len() + 16);
    c.put_slice(format!("{:x}\r\n", b.len()).as_bytes());
    c.put_slice(&b);
    c.put_slice(b"\r\n");
    c.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_decimals_without_allocating() {
        let mut buf = [0u8; 20];
        assert_eq!(decimal(0, &mut buf), "0");
        assert_eq!(decimal(204, &mut buf), "204");
        assert_eq!(decimal(u64::MAX, &mut buf), u64::MAX.to_string());
    }

    fn ok_head() -> OutHead {
        OutHead {
            start_line: "HTTP/1.1 200 OK".into(),
            length_when_empty: true,
            ..Default::default()
        }
    }

    fn join(v: &[Bytes]) -> String {
        v.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    /// What `e` writes for a whole message: `head`, then `body` in its pieces, then the end.
    fn encode(e: &mut Encoder, head: OutHead, last: bool, body: &[&'static [u8]]) -> String {
        let mut out = Vec::new();
        e.start(head, last, &mut out);
        for piece in body {
            e.data(Bytes::from_static(piece), &mut out).unwrap();
        }
        e.end(&mut out).unwrap();
        join(&out)
    }

    #[test]
    fn small_bodies_get_a_content_length_then_keep_alive() {
        assert_eq!(
            encode(
                &mut Encoder::new(DEFAULT_BUFFER_SIZE),
                ok_head(),
                false,
                &[b"Hello!\n"]
            ),
            "HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: keep-alive\r\n\r\nHello!\n"
        );
    }

    #[test]
    fn large_bodies_stream_chunked() {
        assert_eq!(
            encode(&mut Encoder::new(4), ok_head(), true, &[b"abc", b"defg", b"h"]),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n1\r\nh\r\n0\r\n\r\n"
        );
    }

    #[test]
    fn declared_lengths_stream_and_are_checked() {
        let mut e = Encoder::new(4);
        let mut out = Vec::new();
        e.start(
            OutHead {
                content_length: Some(7),
                ..ok_head()
            },
            false,
            &mut out,
        );
        e.data(Bytes::from_static(b"abcde"), &mut out).unwrap();
        assert_eq!(
            join(&out),
            "HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: keep-alive\r\n\r\nabcde"
        );
        assert!(e.end(&mut out).is_err());
        // A stale declared length on a small body is replaced by the real one.
        let head = OutHead {
            content_length: Some(99),
            ..ok_head()
        };
        assert_eq!(
            encode(&mut e, head, false, &[b"ab"]),
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nab"
        );
    }
}
