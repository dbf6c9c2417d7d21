//! FastCGI records (the FastCGI 1.0 specification): the 8-byte record header, the
//! name-value pairs of PARAMS, and BEGIN_REQUEST / END_REQUEST bodies. Sans I/O: bytes in,
//! records out, and records to bytes, for both sides.

use bytes::{Buf, Bytes, BytesMut};

/// `FCGI_BEGIN_REQUEST`.
pub const BEGIN_REQUEST: u8 = 1;
/// `FCGI_END_REQUEST`.
pub const END_REQUEST: u8 = 3;
/// `FCGI_PARAMS`.
pub const PARAMS: u8 = 4;
/// `FCGI_STDIN`.
pub const STDIN: u8 = 5;
/// `FCGI_STDOUT`.
pub const STDOUT: u8 = 6;
/// `FCGI_STDERR`.
pub const STDERR: u8 = 7;

/// The `FCGI_KEEP_CONN` flag of BEGIN_REQUEST.
pub const KEEP_CONN: u8 = 1;

/// The largest content one record carries.
const MAX_CONTENT: usize = 0xffff;

/// One decoded record.
#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    /// Record type (`STDOUT`, `END_REQUEST`, ...).
    pub kind: u8,
    /// The request the record belongs to (0 for management records).
    pub request_id: u16,
    /// The content, without padding.
    pub content: Bytes,
}

/// Appends one record of `kind` for `request_id` carrying `content` (at most 65,535 bytes),
/// padded to a multiple of 8 bytes as the specification recommends.
pub fn put_record(out: &mut BytesMut, kind: u8, request_id: u16, content: &[u8]) {
    debug_assert!(content.len() <= MAX_CONTENT);
    let padding = (8 - content.len() % 8) % 8;
    out.extend_from_slice(&[1, kind]);
    out.extend_from_slice(&request_id.to_be_bytes());
    out.extend_from_slice(&(content.len() as u16).to_be_bytes());
    out.extend_from_slice(&[padding as u8, 0]);
    out.extend_from_slice(content);
    out.extend_from_slice(&[0u8; 8][..padding]);
}

/// Appends a stream (`PARAMS`, `STDIN`, `STDOUT`...) as records of at most 65,535 bytes;
/// with `end`, the empty record that closes the stream follows.
pub fn put_stream(out: &mut BytesMut, kind: u8, request_id: u16, data: &[u8], end: bool) {
    for chunk in data.chunks(MAX_CONTENT) {
        put_record(out, kind, request_id, chunk);
    }
    if end {
        put_record(out, kind, request_id, &[]);
    }
}

/// The body of BEGIN_REQUEST: `role` (1 responder, 2 authorizer, 3 filter) and flags.
pub fn begin_request(role: u16, keep_conn: bool) -> [u8; 8] {
    let r = role.to_be_bytes();
    [
        r[0],
        r[1],
        if keep_conn { KEEP_CONN } else { 0 },
        0,
        0,
        0,
        0,
        0,
    ]
}

/// The body of END_REQUEST: the application's exit status and the protocol status.
pub fn end_request(app_status: u32, protocol_status: u8) -> [u8; 8] {
    let a = app_status.to_be_bytes();
    [a[0], a[1], a[2], a[3], protocol_status, 0, 0, 0]
}

/// Reads an END_REQUEST body: `(appStatus, protocolStatus)`.
pub fn parse_end_request(content: &[u8]) -> Option<(u32, u8)> {
    if content.len() < 5 {
        return None;
    }
    let app = u32::from_be_bytes([content[0], content[1], content[2], content[3]]);
    Some((app, content[4]))
}

/// Reads a BEGIN_REQUEST body: `(role, keepConn)`.
pub fn parse_begin_request(content: &[u8]) -> Option<(u16, bool)> {
    if content.len() < 3 {
        return None;
    }
    Some((
        u16::from_be_bytes([content[0], content[1]]),
        content[2] & KEEP_CONN != 0,
    ))
}

/// Appends one name-value pair of PARAMS (lengths of 1 byte below 128, else 4 bytes).
pub fn put_param(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    for n in [name.len(), value.len()] {
        if n < 128 {
            out.push(n as u8);
        } else {
            out.extend_from_slice(&((n as u32) | 0x8000_0000).to_be_bytes());
        }
    }
    out.extend_from_slice(name);
    out.extend_from_slice(value);
}

/// Reads the name-value pairs of a whole PARAMS stream; `None` if it is cut or malformed.
pub fn parse_params(mut b: &[u8]) -> Option<Vec<(Bytes, Bytes)>> {
    fn len(b: &mut &[u8]) -> Option<usize> {
        let first = *b.first()?;
        if first & 0x80 == 0 {
            b.advance(1);
            return Some(first as usize);
        }
        if b.len() < 4 {
            return None;
        }
        let n = u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]]) as usize;
        b.advance(4);
        Some(n)
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let (n, v) = (len(&mut b)?, len(&mut b)?);
        if b.len() < n + v {
            return None;
        }
        out.push((
            Bytes::copy_from_slice(&b[..n]),
            Bytes::copy_from_slice(&b[n..n + v]),
        ));
        b.advance(n + v);
    }
    Some(out)
}

/// Splits a byte stream into records, keeping an incomplete one for later.
#[derive(Default)]
pub struct Decoder {
    buf: BytesMut,
}

/// Input that is not FastCGI.
#[derive(Debug, PartialEq, Eq)]
pub struct BadRecord(pub String);

impl Decoder {
    /// Takes more bytes and returns the records they complete.
    pub fn feed(&mut self, b: &[u8], out: &mut Vec<Record>) -> Result<(), BadRecord> {
        self.buf.extend_from_slice(b);
        while self.buf.len() >= 8 {
            if self.buf[0] != 1 {
                return Err(BadRecord(format!(
                    "unknown FastCGI version {}",
                    self.buf[0]
                )));
            }
            let kind = self.buf[1];
            let request_id = u16::from_be_bytes([self.buf[2], self.buf[3]]);
            let len = u16::from_be_bytes([self.buf[4], self.buf[5]]) as usize;
            let padding = self.buf[6] as usize;
            if self.buf.len() < 8 + len + padding {
                break;
            }
            self.buf.advance(8);
            let content = self.buf.split_to(len).freeze();
            self.buf.advance(padding);
            out.push(Record {
                kind,
                request_id,
                content,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_with_padding() {
        let mut b = BytesMut::new();
        put_record(&mut b, STDOUT, 1, b"hello");
        assert_eq!(&b[..8], &[1, 6, 0, 1, 0, 5, 3, 0]);
        assert_eq!(b.len(), 16);
        put_record(&mut b, END_REQUEST, 1, &end_request(7, 0));
        let mut d = Decoder::default();
        let mut out = Vec::new();
        // Fed a byte at a time, records still come out whole.
        for x in b.iter() {
            d.feed(&[*x], &mut out).unwrap();
        }
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].content, Bytes::from_static(b"hello"));
        assert_eq!(parse_end_request(&out[1].content), Some((7, 0)));
        assert!(d.feed(&[2, 0, 0, 0, 0, 0, 0, 0], &mut out).is_err());
    }

    #[test]
    fn params_use_short_and_long_lengths() {
        let mut p = Vec::new();
        put_param(&mut p, b"A", b"1");
        put_param(&mut p, b"LONG", &[b'x'; 200]);
        assert_eq!(&p[..4], &[1, 1, b'A', b'1']);
        assert_eq!(&p[4..9], &[4, 0x80, 0, 0, 200]);
        let back = parse_params(&p).unwrap();
        assert_eq!(
            back[0],
            (Bytes::from_static(b"A"), Bytes::from_static(b"1"))
        );
        assert_eq!(back[1].1.len(), 200);
        assert_eq!(parse_params(&p[..p.len() - 1]), None);
    }

    #[test]
    fn a_long_stream_is_split_and_closed() {
        let mut b = BytesMut::new();
        put_stream(&mut b, STDIN, 3, &vec![0u8; 70_000], true);
        let mut out = Vec::new();
        Decoder::default().feed(&b, &mut out).unwrap();
        let sizes: Vec<usize> = out.iter().map(|r| r.content.len()).collect();
        assert_eq!(sizes, vec![65_535, 4_465, 0]);
        assert!(out.iter().all(|r| r.kind == STDIN && r.request_id == 3));
        assert_eq!(begin_request(1, true), [0, 1, 1, 0, 0, 0, 0, 0]);
        assert_eq!(
            parse_begin_request(&begin_request(2, false)),
            Some((2, false))
        );
    }
}
