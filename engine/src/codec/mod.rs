//! Wire codecs for the protocols beyond HTTP: MQTT, RESP (Redis), WebSocket, MIME multipart
//! and Thrift. Each is sans-I/O: bytes in, [`Value`] heads and payloads out (Thrift: its own
//! values), and back. The filters in `crate::filters` and the script globals in
//! `crate::script` build on them; [`js`] moves values to and from scripts.

pub mod js;
pub mod mqtt;
pub mod multipart;
pub mod natives;
pub mod resp;
pub mod thrift;
mod value;
pub mod websocket;

pub use value::Value;

/// The default for every decoder's size limit (a packet, a message, a part head): 16 MiB.
pub const DEFAULT_MAX_SIZE: usize = 16 << 20;

/// Why a decoder gave up on a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A frame or message over the configured size limit.
    TooLarge {
        /// The size announced or reached.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// Bytes that break the protocol.
    Malformed(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLarge { size, limit } => {
                write!(f, "{size} bytes is over the limit of {limit}")
            }
            DecodeError::Malformed(m) => f.write_str(m),
        }
    }
}

/// Shorthand for a malformed-input error.
pub(crate) fn malformed<T>(msg: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError::Malformed(msg.into()))
}

/// The input ended before a value did: `needed` is the input length that the read would
/// have needed (a lower bound for the whole value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short {
    /// Bytes from the start of the input the failed read needed.
    pub needed: usize,
}

/// A reading position in a byte slice; every read fails with [`Short`] past the end.
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// Bytes read so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if self.left() < n {
            return Err(Short {
                needed: self.pos.saturating_add(n),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.take(1)?[0])
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, Short> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().expect("2")))
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32, Short> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4")))
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> Result<u64, Short> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().expect("8")))
    }

    /// A little-endian base-128 varint (at most 10 bytes; extra bits are dropped).
    pub fn varint(&mut self) -> Result<u64, Short> {
        let mut n = 0u64;
        for i in 0..10 {
            let b = self.u8()?;
            n |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        Ok(n)
    }
}
