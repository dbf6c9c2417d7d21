//! Wire codecs for the protocols beyond HTTP: MQTT, RESP (Redis), WebSocket and MIME
//! multipart. Each is sans-I/O: bytes in, [`Value`] heads and payloads out, and back. The
//! filters in `crate::filters` glue them to pipelines; [`js`] moves values to and from scripts.

pub mod js;
pub mod mqtt;
pub mod multipart;
pub mod resp;
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
