//! Incremental HTTP/1.x decoding: bytes in, heads and body chunks out.
//!
//! States: `Head` (collecting the head up to the blank line) → one of the body states
//! (`Length`, `Chunk*`, `UntilClose`) → back to `Head`; `Tunnel` passes bytes through after a
//! successful CONNECT or upgrade; `Failed` ignores everything.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};

use super::chunked::{self, MAX_CHUNK_LINE};
use super::framing::{framing, Framing};
use super::header::Header;
use super::syntax;
use super::Role;

/// Largest request/response head accepted by default (issue: 64 KB).
pub const DEFAULT_MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 256;

/// A decoded head.
#[derive(Clone, Debug, Default)]
pub struct Head {
    /// Request method (requests only).
    pub method: String,
    /// Request target (requests only).
    pub path: String,
    /// Status code (responses only).
    pub status: u16,
    /// Reason phrase (responses only).
    pub reason: String,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub protocol: &'static str,
    /// Headers in order, spelled as sent.
    pub headers: Vec<Header>,
}

impl Head {
    /// First value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|h| h.is(name)).map(|h| h.value())
    }

    /// True if the `connection` header lists `token`.
    pub fn connection_has(&self, token: &str) -> bool {
        self.headers.iter().filter(|h| h.is("connection")).any(|h| {
            h.value()
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        })
    }

    /// True for a CONNECT request, or one asking for a protocol upgrade.
    pub fn wants_tunnel(&self) -> bool {
        self.method == "CONNECT"
            || (self.header("upgrade").is_some() && self.connection_has("upgrade"))
    }

    /// Whether the connection may carry another message after this one.
    pub fn keep_alive(&self) -> bool {
        if self.protocol == "HTTP/1.0" {
            self.connection_has("keep-alive")
        } else {
            !self.connection_has("close")
        }
    }
}

/// What decoding produced.
#[derive(Debug)]
pub enum Part {
    /// A message head.
    Head(Head),
    /// Body bytes.
    Data(Bytes),
    /// The end of a message, with the sizes of its head and body and its trailers.
    End {
        /// Bytes of the head.
        head_size: usize,
        /// Bytes of the body.
        body_size: usize,
        /// The trailer section of a chunked body.
        trailers: Vec<Header>,
    },
    /// Bytes after a tunnel was established.
    Tunnel(Bytes),
    /// Input that is not valid HTTP; nothing more is decoded.
    Error(DecodeError),
}

/// Why input was rejected, and the status a server answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Malformed syntax (400).
    Malformed(String),
    /// Head larger than the limit (431).
    HeadTooLarge,
    /// Request line larger than the head limit (414).
    UriTooLong,
    /// Unsupported transfer coding (501).
    NotImplemented(String),
}

impl DecodeError {
    /// Status code a server responds with.
    pub fn status(&self) -> u16 {
        match self {
            DecodeError::Malformed(_) => 400,
            DecodeError::HeadTooLarge => 431,
            DecodeError::UriTooLong => 414,
            DecodeError::NotImplemented(_) => 501,
        }
    }

    /// Plain description.
    pub fn message(&self) -> String {
        match self {
            DecodeError::Malformed(m) => m.clone(),
            DecodeError::HeadTooLarge => "request head too large".into(),
            DecodeError::UriTooLong => "request target too long".into(),
            DecodeError::NotImplemented(m) => m.clone(),
        }
    }
}

#[derive(Debug)]
enum State {
    Head,
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailers,
    UntilClose,
    Tunnel,
    Failed,
}

/// What the response decoder must know about the request a response answers.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestInfo {
    /// The request was HEAD: the response has no body.
    pub head: bool,
    /// The request was CONNECT: a 2xx response opens a tunnel.
    pub connect: bool,
    /// The request asked for an upgrade: a 101 response opens a tunnel.
    pub upgrade: bool,
}

/// An HTTP/1.x decoder for one direction of one connection.
pub struct Decoder {
    role: Role,
    state: State,
    buf: BytesMut,
    max_head: usize,
    head_size: usize,
    body_size: usize,
    /// Bytes of the trailer section read so far.
    trailer_size: usize,
    /// Trailers of the chunked body being decoded.
    trailers: Vec<Header>,
    /// Requests whose responses are still to come (response role).
    pending: VecDeque<RequestInfo>,
}

impl Decoder {
    /// A decoder for `role` with a head size limit.
    pub fn new(role: Role, max_head: usize) -> Decoder {
        Decoder {
            role,
            state: State::Head,
            buf: BytesMut::new(),
            max_head,
            head_size: 0,
            body_size: 0,
            trailer_size: 0,
            trailers: Vec::new(),
            pending: VecDeque::new(),
        }
    }

    /// Tells a response decoder about a request sent on its connection.
    pub fn expect_response(&mut self, info: RequestInfo) {
        self.pending.push_back(info);
    }

    /// True when between messages (nothing partial buffered).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head) && self.buf.is_empty()
    }

    /// Switches to tunnel mode: all further bytes are passed through.
    pub fn tunnel(&mut self) {
        self.state = State::Tunnel;
    }

    /// Decodes `input`, appending what it yields to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<Part>) {
        if matches!(self.state, State::Failed) {
            return;
        }
        if matches!(self.state, State::Tunnel) {
            if !input.is_empty() {
                out.push(Part::Tunnel(Bytes::copy_from_slice(input)));
            }
            return;
        }
        self.buf.extend_from_slice(input);
        while self.step(out) {}
        if self.buf.is_empty() {
            // What was read is all handed out (its bytes live on in the parts): an idle
            // keep-alive connection holds no buffer, and no share of the last request's.
            self.buf = BytesMut::new();
        }
    }

    /// The input ended. A body delimited by the close of the connection ends here.
    /// Returns true if a message was cut short.
    pub fn finish(&mut self, out: &mut Vec<Part>) -> bool {
        match self.state {
            State::UntilClose => {
                self.end(out);
                false
            }
            State::Head => !self.buf.is_empty(),
            State::Tunnel | State::Failed => false,
            _ => true,
        }
    }

    fn fail(&mut self, e: DecodeError, out: &mut Vec<Part>) -> bool {
        self.state = State::Failed;
        self.buf.clear();
        out.push(Part::Error(e));
        false
    }

    fn end(&mut self, out: &mut Vec<Part>) {
        out.push(Part::End {
            head_size: self.head_size,
            body_size: self.body_size,
            trailers: std::mem::take(&mut self.trailers),
        });
        self.state = State::Head;
    }

    /// Passes on up to `left` bytes of a body from the buffer: how many are still to come, or
    /// `None` when the buffer holds none.
    fn take_up_to(&mut self, left: u64, out: &mut Vec<Part>) -> Option<u64> {
        if self.buf.is_empty() {
            return None;
        }
        let n = (left as usize).min(self.buf.len());
        self.take_body(n, out);
        Some(left - n as u64)
    }

    fn take_body(&mut self, n: usize, out: &mut Vec<Part>) {
        let chunk = self.buf.split_to(n).freeze();
        self.body_size += chunk.len();
        out.push(Part::Data(chunk));
    }

    /// Makes one step of progress; false when more input is needed.
    fn step(&mut self, out: &mut Vec<Part>) -> bool {
        match self.state {
            State::Head => self.parse_head(out),
            State::Length(left) => {
                let Some(left) = self.take_up_to(left, out) else {
                    return false;
                };
                if left == 0 {
                    self.end(out);
                } else {
                    self.state = State::Length(left);
                }
                true
            }
            State::UntilClose => {
                if self.buf.is_empty() {
                    return false;
                }
                let n = self.buf.len();
                self.take_body(n, out);
                false
            }
            State::ChunkSize => {
                let line = self.line();
                // The same limit whether the line came in one read or many.
                let too_long = match &line {
                    Some(line) => line.len() >= MAX_CHUNK_LINE,
                    None => self.buf.len() > MAX_CHUNK_LINE,
                };
                if too_long {
                    return self.fail(
                        DecodeError::Malformed("chunk size line too long".into()),
                        out,
                    );
                }
                let Some(line) = line else {
                    return false;
                };
                match chunked::chunk_size(&line) {
                    Ok(0) => {
                        self.trailer_size = 0;
                        self.state = State::Trailers;
                    }
                    Ok(n) => self.state = State::ChunkData(n),
                    Err(e) => return self.fail(e, out),
                }
                true
            }
            State::ChunkData(left) => {
                let Some(left) = self.take_up_to(left, out) else {
                    return false;
                };
                self.state = if left == 0 {
                    State::ChunkDataEnd
                } else {
                    State::ChunkData(left)
                };
                true
            }
            State::ChunkDataEnd => {
                if self.buf.len() < 2 {
                    return false;
                }
                if &self.buf[..2] != b"\r\n" {
                    return self.fail(
                        DecodeError::Malformed("missing CRLF after chunk".into()),
                        out,
                    );
                }
                self.buf.advance(2);
                self.state = State::ChunkSize;
                true
            }
            State::Trailers => {
                let Some(line) = self.line() else {
                    if self.trailer_size + self.buf.len() > self.max_head {
                        return self.fail(DecodeError::HeadTooLarge, out);
                    }
                    return false;
                };
                self.trailer_size += line.len() + 2;
                if self.trailer_size > self.max_head {
                    return self.fail(DecodeError::HeadTooLarge, out);
                }
                if line.is_empty() {
                    self.end(out);
                } else if let Err(e) = chunked::trailer_line(&line) {
                    return self.fail(e, out);
                } else if let Some(t) = super::tail::parse_line(&line) {
                    if self.trailers.len() >= MAX_HEADERS {
                        return self.fail(DecodeError::HeadTooLarge, out);
                    }
                    self.trailers.push(t);
                }
                true
            }
            State::Tunnel => {
                if !self.buf.is_empty() {
                    out.push(Part::Tunnel(self.buf.split().freeze()));
                }
                false
            }
            State::Failed => false,
        }
    }

    /// Takes one CRLF-terminated line (without the CRLF).
    fn line(&mut self) -> Option<Vec<u8>> {
        let pos = self.buf.windows(2).position(|w| w == b"\r\n")?;
        let line = self.buf.split_to(pos).to_vec();
        self.buf.advance(2);
        Some(line)
    }

    /// The error for a head over the limit: 414 when the request line alone is (RFC 9112 §3
    /// asks for it when the target is too long), else 431.
    fn too_large(&self) -> DecodeError {
        let limit = self.max_head.min(self.buf.len());
        let line_fits = self.buf[..limit].windows(2).any(|w| w == b"\r\n");
        if self.role == Role::Request && !line_fits {
            DecodeError::UriTooLong
        } else {
            DecodeError::HeadTooLarge
        }
    }

    fn parse_head(&mut self, out: &mut Vec<Part>) -> bool {
        // Tolerate empty lines between messages (RFC 9112 §2.2).
        while self.buf.starts_with(b"\r\n") {
            self.buf.advance(2);
        }
        if self.buf.is_empty() {
            return false;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let parsed = match self.role {
            Role::Request => {
                let mut req = httparse::Request::new(&mut headers);
                let status = req.parse(&self.buf);
                parsed_head(status, "request", || head_of_request(&req))
            }
            Role::Response => {
                let mut res = httparse::Response::new(&mut headers);
                let status = res.parse(&self.buf);
                parsed_head(status, "response", || head_of_response(&res))
            }
        };
        let (n, head) = match parsed {
            Err(e) => return self.fail(e, out),
            Ok(None) => {
                if self.buf.len() > self.max_head {
                    return self.fail(self.too_large(), out);
                }
                return false;
            }
            Ok(Some((n, head))) => (n, head),
        };
        if n > self.max_head {
            return self.fail(self.too_large(), out);
        }
        let checked = head.and_then(|h| {
            syntax::line_endings(&self.buf[..n])?;
            if self.role == Role::Request {
                syntax::request_head(&h)?;
            }
            let info = self.pending.front().copied().unwrap_or_default();
            let f = framing(self.role, &h, info)?;
            Ok((h, f))
        });
        let (head, framing) = match checked {
            Ok(hf) => hf,
            Err(e) => return self.fail(e, out),
        };
        self.buf.advance(n);
        self.head_size = n;
        self.body_size = 0;
        // A CONNECT or upgrade request may turn the connection into a tunnel: whatever
        // follows its head is the tunnel's, not another request.
        let framing = match framing {
            Framing::None if self.role == Role::Request && head.wants_tunnel() => Framing::Tunnel,
            f => f,
        };
        // Interim responses (1xx other than 101) are skipped; the real one follows.
        if self.role == Role::Response && (100..200).contains(&head.status) && head.status != 101 {
            return true;
        }
        if self.role == Role::Response {
            self.pending.pop_front();
        }
        out.push(Part::Head(head));
        match framing {
            Framing::None => self.end(out),
            Framing::Length(0) => self.end(out),
            Framing::Length(n) => self.state = State::Length(n),
            Framing::Chunked => self.state = State::ChunkSize,
            Framing::UntilClose => self.state = State::UntilClose,
            Framing::Tunnel => {
                self.end(out);
                self.state = State::Tunnel;
            }
        }
        true
    }
}

fn protocol(version: Option<u8>) -> Result<&'static str, DecodeError> {
    match version {
        Some(0) => Ok("HTTP/1.0"),
        Some(1) => Ok("HTTP/1.1"),
        _ => Err(DecodeError::Malformed("unsupported HTTP version".into())),
    }
}

fn headers_of(hs: &[httparse::Header<'_>]) -> Result<Vec<Header>, DecodeError> {
    let mut v = Vec::with_capacity(hs.len());
    for h in hs {
        if h.name.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(DecodeError::Malformed(
                "white space in a header name".into(),
            ));
        }
        if h.value.is_ascii() {
            // SAFETY: ASCII is UTF-8. (Checked so, the common case costs a vector scan rather
            // than a UTF-8 validation per field.)
            v.push(Header::new(h.name, unsafe {
                std::str::from_utf8_unchecked(h.value)
            }));
        } else {
            v.push(Header::new(h.name, &String::from_utf8_lossy(h.value)));
        }
    }
    Ok(v)
}

/// What one parse of a head gave: its length and `head()` once complete, `None` while more
/// bytes are needed, or why it is refused (`what` is "request" or "response").
fn parsed_head<H>(
    status: httparse::Result<usize>,
    what: &str,
    head: impl FnOnce() -> H,
) -> Result<Option<(usize, H)>, DecodeError> {
    match status {
        Ok(httparse::Status::Complete(n)) => Ok(Some((n, head()))),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(DecodeError::HeadTooLarge),
        Err(e) => Err(DecodeError::Malformed(format!(
            "malformed {what} head: {e}"
        ))),
    }
}

fn head_of_request(r: &httparse::Request<'_, '_>) -> Result<Head, DecodeError> {
    Ok(Head {
        method: r.method.unwrap_or("GET").to_string(),
        path: r.path.unwrap_or("/").to_string(),
        protocol: protocol(r.version)?,
        headers: headers_of(r.headers)?,
        ..Default::default()
    })
}

fn head_of_response(r: &httparse::Response<'_, '_>) -> Result<Head, DecodeError> {
    Ok(Head {
        status: r.code.unwrap_or(200),
        reason: r.reason.unwrap_or("").to_string(),
        protocol: protocol(r.version)?,
        headers: headers_of(r.headers)?,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(role: Role, chunks: &[&[u8]]) -> Vec<Part> {
        let mut d = Decoder::new(role, DEFAULT_MAX_HEAD);
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c, &mut out);
        }
        d.finish(&mut out);
        out
    }

    fn body(parts: &[Part]) -> Vec<u8> {
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Data(b) => Some(b.to_vec()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn pipelined_requests_split_anywhere() {
        let wire = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.0\r\n\r\n";
        for split in 1..wire.len() {
            let parts = decode(Role::Request, &[&wire[..split], &wire[split..]]);
            let heads: Vec<&Head> = parts
                .iter()
                .filter_map(|p| if let Part::Head(h) = p { Some(h) } else { None })
                .collect();
            assert_eq!(heads.len(), 3, "split at {split}");
            assert_eq!(heads[0].path, "/a");
            assert_eq!(heads[0].headers[0], Header::new("Host", "x"));
            assert_eq!(heads[2].protocol, "HTTP/1.0");
            assert_eq!(body(&parts), b"hello");
            assert_eq!(
                parts
                    .iter()
                    .filter(|p| matches!(p, Part::End { .. }))
                    .count(),
                3
            );
        }
    }

    #[test]
    fn chunked_bodies_with_extensions_and_trailers() {
        let wire = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n";
        let parts = decode(Role::Request, &[wire]);
        assert_eq!(body(&parts), b"hello world");
        assert!(matches!(
            parts.last(),
            Some(Part::End { body_size: 11, trailers, .. }) if trailers == &[Header::new("T", "v")]
        ));
    }

    #[test]
    fn smuggling_shapes_are_rejected() {
        let cases: &[&[u8]] = &[
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
            b"NOT HTTP AT ALL\r\n\r\n",
        ];
        for c in cases {
            // Each with a Host, so that only its own fault is judged.
            let text = String::from_utf8_lossy(c).replacen("\r\n", "\r\nHost: x\r\n", 1);
            let parts = decode(Role::Request, &[text.as_bytes()]);
            assert!(
                matches!(parts.last(), Some(Part::Error(e)) if e.status() == 400),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

    #[test]
    fn oversized_heads_chunk_lines_and_trailers_are_refused() {
        let big = |prefix: &[u8], n| [prefix, &vec![b'a'; n]].concat();
        let chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (wire, status) in [
            (big(b"GET / HTTP/1.1\r\nX: ", 70 * 1024), 431),
            (big(b"GET /", 70 * 1024), 414),
            (big(&[&chunked[..], b"5;x="].concat(), 2000), 400),
            (
                [
                    &big(&[&chunked[..], b"5;x="].concat(), 1500),
                    &b"\r\nhello\r\n0\r\n\r\n"[..],
                ]
                .concat(),
                400,
            ),
            (big(&[&chunked[..], b"0\r\nX: "].concat(), 70 * 1024), 431),
        ] {
            let parts = decode(Role::Request, &[&wire]);
            assert!(matches!(parts.last(), Some(Part::Error(e)) if e.status() == status));
        }
    }

    #[test]
    fn responses_follow_the_request_they_answer() {
        let mut d = Decoder::new(Role::Response, DEFAULT_MAX_HEAD);
        d.expect_response(RequestInfo {
            head: true,
            ..Default::default()
        });
        d.expect_response(RequestInfo::default());
        let mut out = Vec::new();
        d.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil close", &mut out);
        d.finish(&mut out);
        let heads = out.iter().filter(|p| matches!(p, Part::Head(_))).count();
        assert_eq!(heads, 2);
        assert_eq!(body(&out), b"until close");
    }
}
