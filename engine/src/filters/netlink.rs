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

use super::callback::fail;
use super::codec_glue::{fail as codec_fail, size_option};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::codec::DecodeError;
use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, FilterType, Output};
use crate::script::{self, JsValue, ScriptError};

/// The size of `nlmsghdr`.
const HEADER: usize = 16;

/// The largest message decoded unless `maxMessageSize` says otherwise.
const DEFAULT_MAX: usize = 1 << 20;

static DECODE: FilterDescriptor = FilterDescriptor {
    name: "decodeNetlink",
    kind: FilterKind::Plain,
    signature: "([options])",
    help: "Decodes Linux netlink messages: head {type, flags, seq, pid}, the payload as the body",
    params: &[(
        "options",
        "{maxMessageSize (1m)}: a longer message ends the stream with BufferOverflow",
    )],
    build: build_decode,
};

static ENCODE: FilterDescriptor = FilterDescriptor {
    name: "encodeNetlink",
    kind: FilterKind::Plain,
    signature: "()",
    help: "Encodes messages with a head {type, flags, seq, pid} as Linux netlink messages",
    params: &[],
    build: |_| Ok(Box::new(EncodeProto)),
};

/// `decodeNetlink`, `encodeNetlink`.
pub static FILTERS: &[&FilterDescriptor] = &[&DECODE, &ENCODE];

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let max = size_option(b, 0, "maxMessageSize", DEFAULT_MAX)?;
    Ok(Box::new(DecodeProto { max }))
}

struct DecodeProto {
    max: usize,
}

impl FilterProto for DecodeProto {
    fn descriptor(&self) -> &'static dyn FilterType {
        &DECODE
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Decoder {
            max: self.max,
            output: init.output,
            buf: BytesMut::new(),
            skip: 0,
            failed: false,
        })
    }
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
    output: Output,
    buf: BytesMut,
    /// Padding bytes still to skip before the next header.
    skip: usize,
    failed: bool,
}

impl Decoder {
    fn end(&mut self, err: DecodeError) {
        self.failed = true;
        codec_fail(&self.output, "decodeNetlink()", &err);
    }

    fn decode(&mut self) {
        loop {
            let n = self.skip.min(self.buf.len());
            self.buf.advance(n);
            self.skip -= n;
            if self.skip > 0 || self.buf.len() < HEADER {
                return;
            }
            let h = Header::read(&self.buf[..HEADER]);
            let len = h.len as usize;
            if len < HEADER {
                let why = "a message shorter than its header".to_string();
                return self.end(DecodeError::Malformed(why));
            }
            if len > self.max {
                return self.end(DecodeError::TooLarge {
                    size: len as u64,
                    limit: self.max,
                });
            }
            if self.buf.len() < len {
                return;
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
            self.output.emit(Event::MessageStart(head));
            if !msg.is_empty() {
                self.output.emit(Event::Data(msg.freeze()));
            }
            self.output.emit(Event::MessageEnd(MessageTail::default()));
        }
    }
}

impl Filter for Decoder {
    fn process(&mut self, evt: Event) {
        if self.failed {
            return;
        }
        match evt {
            Event::Data(b) => {
                self.buf.extend_from_slice(&b);
                self.decode();
            }
            Event::StreamEnd(_) => {
                self.buf.clear();
                self.output.emit(evt);
            }
            _ => {}
        }
    }
}

struct EncodeProto;

impl FilterProto for EncodeProto {
    fn descriptor(&self) -> &'static dyn FilterType {
        &ENCODE
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Encoder {
            context: init.context,
            output: init.output,
            head: None,
            body: Vec::new(),
        })
    }
}

struct Encoder {
    context: Rc<Context>,
    output: Output,
    /// The head of the message being collected (`Some(None)`: a message with no head).
    head: Option<Option<JsValue>>,
    body: Vec<Bytes>,
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

impl Filter for Encoder {
    fn process(&mut self, evt: Event) {
        match evt {
            Event::MessageStart(head) => {
                if self.head.is_none() {
                    self.head = Some(head);
                    self.body.clear();
                }
            }
            Event::Data(b) => {
                if self.head.is_some() {
                    self.body.push(b);
                }
            }
            Event::MessageEnd(end) => {
                let Some(head) = self.head.take() else { return };
                let size: usize = self.body.iter().map(Bytes::len).sum();
                let h = match header_of(&self.context, &head, HEADER + size) {
                    Ok(h) => h,
                    Err(e) => return fail(&self.output, "encodeNetlink", &e),
                };
                let mut out = BytesMut::with_capacity(HEADER + size + 3);
                h.write(&mut out);
                for b in self.body.drain(..) {
                    out.extend_from_slice(&b);
                }
                out.extend_from_slice(&[0u8; 3][..padding(HEADER + size)]);
                self.output.emit(Event::MessageStart(head));
                self.output.emit(Event::Data(out.freeze()));
                self.output.emit(Event::MessageEnd(end));
            }
            Event::StreamEnd(_) => self.output.emit(evt),
        }
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
