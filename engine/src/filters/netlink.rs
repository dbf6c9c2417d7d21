//! `decodeNetlink` and `encodeNetlink`: Linux netlink messages (`nlmsghdr`, RFC 3549 and
//! netlink(7)) as pipeline messages, with Pipy's head `{type, flags, seq, pid}` and the
//! payload as the body.
//!
//! The header is in host byte order, as the kernel writes it. Messages in one buffer start
//! at 4-byte boundaries (`NLMSG_ALIGN`): the decoder skips the padding after each message and
//! the encoder writes it, so a kernel dump decodes and re-encodes to the same bytes (Pipy's
//! decoder loses its place after a message whose length is not a multiple of 4).

use std::rc::Rc;

use bytes::{Buf, Bytes, BytesMut};

use super::codec_glue::{
    codec_filters, decoding_proto, encoding_proto, Message, MessageEncoder, StreamDecoder,
};
use super::Builder;
use crate::codec::DecodeError;
use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, FilterProto};
use crate::script::{self, JsValue, ScriptError};

/// The size of `nlmsghdr`.
const HEADER: usize = 16;

/// The largest message decoded unless `maxMessageSize` says otherwise.
const DEFAULT_MAX: usize = 1 << 20;

codec_filters! {
    /// `decodeNetlink`, `encodeNetlink`.
    decode "decodeNetlink":
        "Decodes Linux netlink messages: head {type, flags, seq, pid}, the payload as the body",
        options "{maxMessageSize (1m)}: a longer message ends the stream with BufferOverflow",
        build build_decode;
    encode "encodeNetlink":
        "Encodes messages with a head {type, flags, seq, pid} as Linux netlink messages",
        build |_| encoding_proto(&ENCODE, |context| Encoder { context });
}

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let max = b.size_option(0, "maxMessageSize", DEFAULT_MAX)?;
    decoding_proto(&DECODE, move |_| Decoder {
        max,
        buf: BytesMut::new(),
        skip: 0,
    })
}

/// A netlink header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    len: u32,
    kind: u16,
    flags: u16,
    seq: u32,
    pid: u32,
}

impl Header {
    fn read(b: &[u8]) -> Header {
        let u32_at = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Header {
            len: u32_at(0),
            kind: u16::from_ne_bytes([b[4], b[5]]),
            flags: u16::from_ne_bytes([b[6], b[7]]),
            seq: u32_at(8),
            pid: u32_at(12),
        }
    }

    fn write(&self, out: &mut BytesMut) {
        out.extend_from_slice(&self.len.to_ne_bytes());
        out.extend_from_slice(&self.kind.to_ne_bytes());
        out.extend_from_slice(&self.flags.to_ne_bytes());
        out.extend_from_slice(&self.seq.to_ne_bytes());
        out.extend_from_slice(&self.pid.to_ne_bytes());
    }
}

/// Padding after a message of `len` bytes up to the next 4-byte boundary.
fn padding(len: usize) -> usize {
    (4 - len % 4) % 4
}

struct Decoder {
    max: usize,
    buf: BytesMut,
    /// Padding bytes still to skip before the next header.
    skip: usize,
}

impl StreamDecoder for Decoder {
    fn decode(&mut self, bytes: &Bytes, out: &mut Vec<Event>) -> Result<(), DecodeError> {
        self.buf.extend_from_slice(bytes);
        loop {
            let n = self.skip.min(self.buf.len());
            self.buf.advance(n);
            self.skip -= n;
            if self.skip > 0 || self.buf.len() < HEADER {
                return Ok(());
            }
            let h = Header::read(&self.buf[..HEADER]);
            let len = h.len as usize;
            if len < HEADER {
                let why = "a message shorter than its header".to_string();
                return Err(DecodeError::Malformed(why));
            }
            if len > self.max {
                return Err(DecodeError::TooLarge {
                    size: len as u64,
                    limit: self.max,
                });
            }
            if self.buf.len() < len {
                return Ok(());
            }
            let mut msg = self.buf.split_to(len);
            msg.advance(HEADER);
            self.skip = padding(len);
            let head = script::js(|ctx| {
                let o = rquickjs::Object::new(ctx.clone()).ok()?;
                o.set("type", h.kind).ok()?;
                o.set("flags", h.flags).ok()?;
                o.set("seq", h.seq).ok()?;
                o.set("pid", h.pid).ok()?;
                Some(JsValue::save(ctx, o.into_value()))
            });
            out.push(Event::MessageStart(head));
            if !msg.is_empty() {
                out.push(Event::Data(msg.freeze()));
            }
            out.push(Event::MessageEnd(MessageTail::default()));
        }
    }
}

struct Encoder {
    context: Rc<Context>,
}

/// Reads `{type, flags, seq, pid}` from a message head (missing fields are 0).
fn header_of(context: &Context, head: &Option<JsValue>, len: usize) -> Result<Header, ScriptError> {
    let len = u32::try_from(len)
        .map_err(|_| ScriptError::plain(format!("a {len}-byte message is too long")))?;
    let Some(head) = head else {
        return Ok(Header {
            len,
            kind: 0,
            flags: 0,
            seq: 0,
            pid: 0,
        });
    };
    script::call_in(context, |ctx| {
        let v = head.get(ctx);
        let field = |k: &str| -> f64 {
            v.as_object()
                .and_then(|o| o.get::<_, Option<f64>>(k).ok().flatten())
                .unwrap_or(0.0)
        };
        Ok(Header {
            len,
            kind: field("type") as u16,
            flags: field("flags") as u16,
            seq: field("seq") as u32,
            pid: field("pid") as u32,
        })
    })
}

impl MessageEncoder for Encoder {
    fn encode(&mut self, message: Message) -> Result<Vec<Event>, String> {
        let size = HEADER + message.body.len();
        let h = header_of(&self.context, &message.head, size).map_err(|e| e.to_string())?;
        let mut out = BytesMut::with_capacity(size + 3);
        h.write(&mut out);
        out.extend_from_slice(&message.body);
        out.extend_from_slice(&[0u8; 3][..padding(size)]);
        let end = message.end.unwrap_or_default();
        Ok(vec![
            Event::MessageStart(message.head),
            Event::Data(out.freeze()),
            Event::MessageEnd(end),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_host_order_and_messages_are_padded_to_four_bytes() {
        let h = Header {
            len: 21,
            kind: 18,
            flags: 0x301,
            seq: 7,
            pid: 0,
        };
        let mut b = BytesMut::new();
        h.write(&mut b);
        assert_eq!(b.len(), HEADER);
        assert_eq!(Header::read(&b), h);
        assert_eq!(&b[..4], &21u32.to_ne_bytes());
        assert_eq!((padding(21), padding(20), padding(16)), (3, 0, 0));
    }
}
