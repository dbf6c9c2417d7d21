//! MIME multipart bodies (RFC 2046, section 5.1) as Pipy 1.5's `decodeMultipart` splits them:
//! each body part becomes a message whose head is `{headers}` (names in lower case) and whose
//! body is the part's content, streamed. A part that is itself multipart is split in turn.
//!
//! As in Pipy, a part's body runs up to the next `--boundary`, so it keeps the line break
//! before it (Pipy's own test expects those bytes); the preamble and epilogue are dropped.

use bytes::{Bytes, BytesMut};

use super::{DecodeError, Value};

/// Multipart parts nested deeper than this are passed on as they are, not split.
pub const MAX_DEPTH: usize = 8;

/// What the decoder outputs.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// A part starts, with its head `{headers}`.
    Start(Value),
    /// Part content.
    Data(Bytes),
    /// The part ended.
    End,
}

/// The boundary of a `multipart/*` content type, if it is one.
pub fn boundary_of(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let v = v.trim().trim_matches('"');
        (!v.is_empty() && v.len() <= 200).then(|| v.to_string())
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter.
    Preamble,
    /// Just after a delimiter.
    Start,
    /// After a delimiter's CR.
    Crlf,
    /// The part's header lines.
    Header,
    /// The part's content.
    Body,
    /// Anything after `--boundary--`, or after a malformed delimiter line.
    Ignore,
}

/// A streaming splitter for one multipart body.
pub struct Decoder {
    delimiter: Vec<u8>,
    /// The tail of the input that may be the start of a delimiter.
    pending: BytesMut,
    state: State,
    line: Vec<u8>,
    head: Value,
    header_size: usize,
    max_header: usize,
    depth: usize,
    child: Option<Box<Decoder>>,
}

impl Decoder {
    /// A decoder for a body with `boundary`; a part's header section over `max_header` bytes
    /// is an error. `depth` counts the multipart bodies this one is nested in.
    pub fn new(boundary: &str, max_header: usize, depth: usize) -> Self {
        Decoder {
            delimiter: format!("--{boundary}").into_bytes(),
            pending: BytesMut::new(),
            state: State::Preamble,
            line: Vec::new(),
            head: Value::Null,
            header_size: 0,
            max_header,
            depth,
            child: None,
        }
    }

    /// Takes body bytes and appends what they complete to `out`.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Part>) -> Result<(), DecodeError> {
        self.pending.extend_from_slice(data);
        let d = self.delimiter.len();
        loop {
            match find(&self.pending, &self.delimiter) {
                Some(i) => {
                    let segment = self.pending.split_to(i).freeze();
                    let _ = self.pending.split_to(d);
                    self.segment(segment, out)?;
                    self.delimiter_seen(out)?;
                }
                None => {
                    let keep = self.pending.len().min(d - 1);
                    let segment = self.pending.split_to(self.pending.len() - keep).freeze();
                    return self.segment(segment, out);
                }
            }
        }
    }

    /// The body ended: what was held back is content, and an open part ends.
    pub fn finish(&mut self, out: &mut Vec<Part>) -> Result<(), DecodeError> {
        let rest = self.pending.split().freeze();
        self.segment(rest, out)?;
        if self.state == State::Body {
            self.end_part(out)?;
        }
        self.state = State::Ignore;
        Ok(())
    }

    fn delimiter_seen(&mut self, out: &mut Vec<Part>) -> Result<(), DecodeError> {
        if self.state == State::Body {
            self.end_part(out)?;
        }
        self.state = State::Start;
        self.head = Value::object().with("headers", Value::object());
        self.header_size = 0;
        self.line.clear();
        Ok(())
    }

    fn end_part(&mut self, out: &mut Vec<Part>) -> Result<(), DecodeError> {
        match self.child.take() {
            Some(mut child) => child.finish(out),
            None => {
                out.push(Part::End);
                Ok(())
            }
        }
    }

    fn segment(&mut self, mut data: Bytes, out: &mut Vec<Part>) -> Result<(), DecodeError> {
        while !data.is_empty() {
            match self.state {
                State::Preamble | State::Ignore => return Ok(()),
                State::Body => {
                    return match self.child.as_mut() {
                        Some(child) => child.feed(&data, out),
                        None => {
                            out.push(Part::Data(data));
                            Ok(())
                        }
                    };
                }
                State::Start => {
                    self.state = if data[0] == b'\r' {
                        State::Crlf
                    } else {
                        State::Ignore
                    };
                    data = data.slice(1..);
                }
                State::Crlf => {
                    self.state = if data[0] == b'\n' {
                        State::Header
                    } else {
                        State::Ignore
                    };
                    data = data.slice(1..);
                }
                State::Header => {
                    let (n, eol) = match data.iter().position(|c| *c == b'\n') {
                        Some(i) => (i + 1, true),
                        None => (data.len(), false),
                    };
                    self.header_size += n;
                    if self.header_size > self.max_header {
                        return Err(DecodeError::TooLarge {
                            size: self.header_size as u64,
                            limit: self.max_header,
                        });
                    }
                    self.line.extend_from_slice(&data[..n]);
                    data = data.slice(n..);
                    if eol {
                        self.header_line(out);
                    }
                }
            }
        }
        Ok(())
    }

    /// A whole header line (with its line break): a header, or the blank line before the body.
    fn header_line(&mut self, out: &mut Vec<Part>) {
        let line = std::mem::take(&mut self.line);
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if !text.is_empty() {
            if let Some((name, value)) = text.split_once(':') {
                let name = name.to_ascii_lowercase();
                let value = Value::Str(value.trim_start_matches([' ', '\t']).to_string());
                if let Value::Object(fields) = &mut self.head {
                    if let Some((_, Value::Object(headers))) =
                        fields.iter_mut().find(|(k, _)| k == "headers")
                    {
                        match headers.iter_mut().find(|(k, _)| *k == name) {
                            Some((_, Value::Array(list))) => list.push(value),
                            Some((_, old)) => {
                                *old =
                                    Value::Array(vec![std::mem::replace(old, Value::Null), value])
                            }
                            None => headers.push((name, value)),
                        }
                    }
                }
            }
            return;
        }
        let nested = self
            .head
            .get("headers")
            .and_then(|h| h.get("content-type"))
            .and_then(|ct| boundary_of(&ct.to_text()))
            .filter(|_| self.depth + 1 < MAX_DEPTH);
        match nested {
            Some(b) => {
                self.child = Some(Box::new(Decoder::new(&b, self.max_header, self.depth + 1)));
            }
            None => out.push(Part::Start(std::mem::replace(&mut self.head, Value::Null))),
        }
        self.state = State::Body;
    }
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    (0..=hay.len() - needle.len()).find(|&i| hay[i] == first && &hay[i..i + needle.len()] == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\nContent-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\n\r\nfirst\r\n--XyZ\r\ncontent-type: multipart/mixed; boundary=\"in\"\r\n\r\n--in\r\n\r\nnested\r\n--in--\r\n--XyZ--\r\nepilogue";

    fn decode_in_pieces(size: usize) -> Vec<Part> {
        let mut d = Decoder::new("XyZ", 1024, 0);
        let mut out = Vec::new();
        for chunk in BODY.chunks(size) {
            d.feed(chunk, &mut out).unwrap();
        }
        d.finish(&mut out).unwrap();
        // Merge adjacent Data parts, which depend on where the input was cut.
        let mut merged: Vec<Part> = Vec::new();
        for p in out {
            match (merged.last_mut(), p) {
                (Some(Part::Data(a)), Part::Data(b)) => {
                    let mut v = a.to_vec();
                    v.extend_from_slice(&b);
                    *a = Bytes::from(v);
                }
                (_, p) => merged.push(p),
            }
        }
        merged
    }

    #[test]
    fn parts_and_nested_parts_in_any_pieces() {
        let headers = Value::object()
            .with("content-type", "text/plain")
            .with("x-a", Value::Array(vec!["1".into(), "2".into()]));
        let expected = vec![
            Part::Start(Value::object().with("headers", headers)),
            Part::Data(Bytes::from_static(b"first\r\n")),
            Part::End,
            Part::Start(Value::object().with("headers", Value::object())),
            Part::Data(Bytes::from_static(b"nested\r\n")),
            Part::End,
        ];
        for size in [1, 2, 3, 7, 1000] {
            assert_eq!(decode_in_pieces(size), expected, "pieces of {size}");
        }
    }

    #[test]
    fn boundaries_from_content_types() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=----abc"),
            Some("----abc".into())
        );
        assert_eq!(
            boundary_of("Multipart/Mixed; charset=x; Boundary=\"a b\""),
            Some("a b".into())
        );
        assert_eq!(boundary_of("text/plain; boundary=x"), None);
        assert_eq!(boundary_of("multipart/mixed"), None);
    }

    #[test]
    fn a_header_section_over_the_limit_is_an_error() {
        let mut d = Decoder::new("b", 50, 0);
        let mut out = Vec::new();
        let r = d.feed(b"--b\r\nx-long: ", &mut out);
        assert!(r.is_ok());
        let r = d.feed(&[b'y'; 100], &mut out);
        assert!(matches!(r, Err(DecodeError::TooLarge { .. })));
    }
}
