//! RESP, the Redis serialization protocol (version 2), as Pipy 1.5 maps it to script values:
//! a simple string is a string, an error an `Error`, an integer a number, a bulk string a
//! `Data`, an array an array, and a null bulk string or null array `null`. Each top-level value
//! is one message (its `MessageEnd` payload); the decoder builds values incrementally, so a
//! large bulk string or a long pipeline of commands is read once.

use bytes::{Buf, BytesMut};

use super::{malformed, DecodeError, Value};

/// Arrays nested deeper than this are refused.
pub const MAX_DEPTH: usize = 256;

/// A stream decoder: feed it bytes, get whole top-level values.
pub struct Decoder {
    buf: BytesMut,
    /// Arrays being filled: items so far, items expected.
    stack: Vec<(Vec<Value>, usize)>,
    /// Bytes of the current top-level value already taken from `buf`.
    taken: usize,
    max_size: usize,
}

enum Item {
    Value(Value),
    Array(usize),
}

impl Decoder {
    /// A decoder that refuses a value (with everything nested in it) over `max_size` bytes.
    pub fn new(max_size: usize) -> Self {
        Decoder {
            buf: BytesMut::new(),
            stack: Vec::new(),
            taken: 0,
            max_size,
        }
    }

    /// Takes bytes and appends every value they complete to `out`.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Value>) -> Result<(), DecodeError> {
        self.buf.extend_from_slice(data);
        while let Some((used, item)) = self.item()? {
            self.buf.advance(used);
            self.taken += used;
            if self.taken > self.max_size {
                return Err(DecodeError::TooLarge {
                    size: self.taken as u64,
                    limit: self.max_size,
                });
            }
            let mut v = match item {
                Item::Array(n) if n > 0 => {
                    if self.stack.len() >= MAX_DEPTH {
                        return malformed("arrays nested too deep");
                    }
                    self.stack.push((Vec::with_capacity(n.min(1024)), n));
                    continue;
                }
                Item::Array(_) => Value::Array(Vec::new()),
                Item::Value(v) => v,
            };
            loop {
                let Some((items, expected)) = self.stack.last_mut() else {
                    out.push(v);
                    self.taken = 0;
                    break;
                };
                items.push(v);
                if items.len() < *expected {
                    break;
                }
                let (items, _) = self.stack.pop().expect("a level");
                v = Value::Array(items);
            }
        }
        let held = self.taken + self.buf.len();
        if held > self.max_size {
            return Err(DecodeError::TooLarge {
                size: held as u64,
                limit: self.max_size,
            });
        }
        Ok(())
    }

    /// The item at the front of the buffer and its length, once it is all there.
    fn item(&self) -> Result<Option<(usize, Item)>, DecodeError> {
        let Some(lf) = self.buf.iter().position(|c| *c == b'\n') else {
            return Ok(None);
        };
        // A line is at least a type byte and CRLF.
        if lf < 2 || self.buf[lf - 1] != b'\r' {
            return malformed("a line not ended by CRLF");
        }
        let line = &self.buf[1..lf - 1];
        let used = lf + 1;
        let text = || String::from_utf8_lossy(line).into_owned();
        let item = match self.buf[0] {
            b'+' => Item::Value(Value::Str(text())),
            b'-' => Item::Value(Value::Error(text())),
            b':' => Item::Value(Value::Int(number(line)?)),
            b'$' => {
                let n = number(line)?;
                if n < 0 {
                    return Ok(Some((used, Item::Value(Value::Null))));
                }
                let n = n as u64;
                let total = used as u64 + n + 2;
                if self.taken as u64 + total > self.max_size as u64 {
                    return Err(DecodeError::TooLarge {
                        size: self.taken as u64 + total,
                        limit: self.max_size,
                    });
                }
                let (n, total) = (n as usize, total as usize);
                if self.buf.len() < total {
                    return Ok(None);
                }
                if &self.buf[used + n..total] != b"\r\n" {
                    return malformed("a bulk string not ended by CRLF");
                }
                let bytes = bytes::Bytes::copy_from_slice(&self.buf[used..used + n]);
                return Ok(Some((total, Item::Value(Value::Bytes(bytes)))));
            }
            b'*' => {
                let n = number(line)?;
                if n < 0 {
                    return Ok(Some((used, Item::Value(Value::Null))));
                }
                // Every item takes at least three bytes.
                let least =
                    ((self.taken + used) as u64).saturating_add((n as u64).saturating_mul(3));
                if least > self.max_size as u64 {
                    return Err(DecodeError::TooLarge {
                        size: least,
                        limit: self.max_size,
                    });
                }
                Item::Array(n as usize)
            }
            c => return malformed(format!("unknown RESP type byte {c:#04x}")),
        };
        Ok(Some((used, item)))
    }
}

fn number(line: &[u8]) -> Result<i64, DecodeError> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or_else(|| malformed("a bad RESP number"), Ok)
}

/// Appends the RESP for `v`. Numbers are written as integers; `undefined` and `null` as a
/// null bulk string; anything else that is not a string, `Data`, `Error` or array as a
/// simple string of its text (as Pipy).
pub fn encode(v: &Value, out: &mut Vec<u8>) {
    let line = |out: &mut Vec<u8>, kind: u8, text: &[u8]| {
        out.push(kind);
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    };
    match v {
        Value::Str(s) => line(out, b'+', s.as_bytes()),
        Value::Int(_) | Value::Float(_) => line(out, b':', v.to_i64().to_string().as_bytes()),
        Value::Bytes(b) => {
            line(out, b'$', b.len().to_string().as_bytes());
            out.extend_from_slice(b);
            out.extend_from_slice(b"\r\n");
        }
        Value::Error(m) => line(out, b'-', m.as_bytes()),
        Value::Undefined | Value::Null => out.extend_from_slice(b"$-1\r\n"),
        Value::Array(items) => {
            line(out, b'*', items.len().to_string().as_bytes());
            for item in items {
                encode(item, out);
            }
        }
        Value::Bool(_) | Value::Object(_) => line(out, b'+', v.to_text().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Vec<Value> {
        let mut out = Vec::new();
        Decoder::new(1 << 20)
            .feed(bytes, &mut out)
            .expect("decodes");
        out
    }

    fn bulk(s: &str) -> Value {
        Value::Bytes(bytes::Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn every_type_round_trips() {
        let wire =
            b"*7\r\n+OK\r\n-ERR no\r\n:-42\r\n$3\r\nfoo\r\n$-1\r\n*0\r\n*2\r\n$0\r\n\r\n:12345\r\n";
        let values = decode(wire);
        assert_eq!(
            values,
            vec![Value::Array(vec![
                Value::from("OK"),
                Value::Error("ERR no".into()),
                Value::Int(-42),
                bulk("foo"),
                Value::Null,
                Value::Array(vec![]),
                Value::Array(vec![bulk(""), Value::Int(12345)]),
            ])]
        );
        let mut again = Vec::new();
        encode(&values[0], &mut again);
        assert_eq!(again, wire);
    }

    #[test]
    fn pipelined_commands_split_anywhere() {
        let wire = b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n:7\r\n";
        for cut in 0..wire.len() {
            let mut d = Decoder::new(1024);
            let mut out = Vec::new();
            d.feed(&wire[..cut], &mut out).unwrap();
            d.feed(&wire[cut..], &mut out).unwrap();
            assert_eq!(out.len(), 3, "cut at {cut}");
            let mut again = Vec::new();
            out.iter().for_each(|v| encode(v, &mut again));
            assert_eq!(again, wire);
        }
    }

    #[test]
    fn a_large_bulk_string_in_chunks() {
        let body = vec![b'x'; 1 << 20];
        let mut wire = format!("${}\r\n", body.len()).into_bytes();
        wire.extend_from_slice(&body);
        wire.extend_from_slice(b"\r\n");
        let mut d = Decoder::new(2 << 20);
        let mut out = Vec::new();
        for chunk in wire.chunks(16 * 1024) {
            d.feed(chunk, &mut out).unwrap();
        }
        assert_eq!(out, vec![Value::Bytes(body.into())]);
    }

    #[test]
    fn limits_and_malformed_input() {
        let mut out = Vec::new();
        let r = Decoder::new(100).feed(b"$1000\r\n", &mut out);
        assert!(matches!(r, Err(DecodeError::TooLarge { .. })));
        let r = Decoder::new(100).feed(b"*1000\r\n", &mut out);
        assert!(matches!(r, Err(DecodeError::TooLarge { .. })));
        let r = Decoder::new(100).feed(&[b'+'; 200], &mut out);
        assert!(matches!(r, Err(DecodeError::TooLarge { .. })));
        assert!(Decoder::new(100).feed(b"?x\r\n", &mut out).is_err());
        assert!(Decoder::new(100).feed(b"\r\n", &mut out).is_err());
        assert!(Decoder::new(100).feed(b"*1\r\n\n", &mut out).is_err());
        assert!(Decoder::new(100).feed(b"$1\r\nab\r\n", &mut out).is_err());
        assert!(Decoder::new(100).feed(b":1x\r\n", &mut out).is_err());
        let deep = "*1\r\n".repeat(MAX_DEPTH + 1);
        assert!(Decoder::new(1 << 20)
            .feed(deep.as_bytes(), &mut out)
            .is_err());
    }

    #[test]
    fn script_values_encode_as_pipy() {
        let mut out = Vec::new();
        encode(&Value::Float(2.7), &mut out);
        encode(&Value::Undefined, &mut out);
        encode(&Value::Bool(true), &mut out);
        assert_eq!(out, b":2\r\n$-1\r\n+true\r\n");
    }
}
