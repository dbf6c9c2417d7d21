//! What the protocol codec filters (MQTT, RESP, WebSocket, multipart, netlink) share: reading a size
//! limit option, and ending a stream when a decoder gives up.

use super::Builder;
use crate::codec::DecodeError;
use crate::event::{ErrorCode, StreamEnd};
use crate::pipeline::Output;

/// A size option of options argument `i`: a number of bytes or a size like `'16m'`.
pub(super) fn size_option(
    b: &Builder<'_, '_>,
    i: usize,
    key: &str,
    default: usize,
) -> Result<usize, String> {
    match b.option(i, key) {
        None => Ok(default),
        Some(v) => match v.as_number() {
            Some(n) if n >= 1.0 && n.is_finite() => Ok(n as usize),
            Some(n) => Err(format!("option {key}: {n} is not a size")),
            None => super::builder::size_text(&v, key),
        },
    }
}

/// Ends the stream after a decoder error: a frame over the limit is `BufferOverflow`,
/// anything else `ProtocolError`.
pub(super) fn fail(output: &Output, codec: &str, err: &DecodeError) {
    tracing::warn!(target: "codec", "{codec}: {err}; the stream ends");
    let code = match err {
        DecodeError::TooLarge { .. } => ErrorCode::BufferOverflow,
        DecodeError::Malformed(_) => ErrorCode::ProtocolError,
    };
    output.emit(StreamEnd::code(code));
}
