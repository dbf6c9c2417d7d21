//! MQTT's data representations (section 1.5): big-endian integers, the variable byte
//! integer, and length-prefixed UTF-8 strings and binary data, read from a packet's bytes.

use bytes::Bytes;

use crate::codec::{malformed, Cursor, DecodeError, Short};

/// Reads one packet's bytes front to back: the codecs' [`Cursor`], with MQTT's error for a
/// field that runs past the packet's end.
pub struct Reader<'a> {
    bytes: &'a Bytes,
    cursor: Cursor<'a>,
}

/// A read that ran past the end of the packet.
fn inside<T>(read: Result<T, Short>) -> Result<T, DecodeError> {
    read.or_else(|_| malformed("packet ends inside a field"))
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a Bytes) -> Self {
        let cursor = Cursor::new(bytes);
        Reader { bytes, cursor }
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.cursor.left()
    }

    /// The bytes from here to the end, without moving.
    pub fn rest(&self) -> Bytes {
        self.bytes.slice(self.cursor.pos()..)
    }

    /// A one-byte integer.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        inside(self.cursor.u8())
    }

    /// A two-byte integer.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        inside(self.cursor.u16())
    }

    /// A four-byte integer.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        inside(self.cursor.u32())
    }

    /// A variable byte integer (at most four bytes).
    pub fn varint(&mut self) -> Result<u32, DecodeError> {
        let mut n = 0u32;
        for i in 0..4 {
            let c = self.u8()?;
            n |= u32::from(c & 0x7f) << (7 * i);
            if c & 0x80 == 0 {
                return Ok(n);
            }
        }
        malformed("variable byte integer longer than four bytes")
    }

    /// Length-prefixed binary data.
    pub fn binary(&mut self) -> Result<Bytes, DecodeError> {
        let n = usize::from(self.u16()?);
        let start = self.cursor.pos();
        inside(self.cursor.take(n))?;
        Ok(self.bytes.slice(start..start + n))
    }

    /// A length-prefixed UTF-8 string (invalid sequences are replaced, as Pipy keeps them).
    pub fn string(&mut self) -> Result<String, DecodeError> {
        let n = usize::from(self.u16()?);
        Ok(String::from_utf8_lossy(inside(self.cursor.take(n))?).into_owned())
    }
}

/// Appends a variable byte integer; `n` must be at most [`super::MAX_REMAINING_LENGTH`].
pub fn put_varint(out: &mut Vec<u8>, mut n: u32) {
    loop {
        let mut b = (n & 0x7f) as u8;
        n >>= 7;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
}

/// Appends length-prefixed bytes (a string or binary data).
pub fn put_prefixed(out: &mut Vec<u8>, b: &[u8]) -> Result<(), String> {
    let n = u16::try_from(b.len()).map_err(|_| format!("{} bytes is over 65535", b.len()))?;
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(b);
    Ok(())
}
