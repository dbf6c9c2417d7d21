//! `decodeDubbo` and `encodeDubbo`: Dubbo frames as Pipy 1.5 has them. A frame is a 16-byte
//! header (magic `0xdabb`, flags, status, request id, body length) and a body, which is left
//! as bytes (usually Hessian: see the `Hessian` global). The message head is
//! `{requestID, isRequest, isTwoWay, isEvent, serializationType, status}`.

use rquickjs::{Ctx, Object, Value};

use super::codec_glue::{codec_filters, encoding_proto, Message, MessageEncoder};
use super::framed::{framed_proto, Cut, Deframe};
use crate::event::{Event, MessageTail};
use crate::script::{self, JsValue, Lazy};

codec_filters! {
    /// `decodeDubbo` and `encodeDubbo`.
    decode "decodeDubbo": "Decodes Dubbo frames into messages (head fields, body bytes)",
        options "{maxMessageSize (16m)}",
        build |b| framed_proto(b, &DECODE, Parser);
    encode "encodeDubbo": "Encodes messages into Dubbo frames",
        build |_| encoding_proto(&ENCODE, |_| Encoder);
}

/// The frame header's magic number.
const MAGIC: [u8; 2] = [0xda, 0xbb];

/// The fields of a Dubbo frame header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// Request id (the same in a request and its response).
    pub request_id: u64,
    /// Flag 0x80.
    pub is_request: bool,
    /// Flag 0x40: a response is expected.
    pub is_two_way: bool,
    /// Flag 0x20: heartbeat and other events.
    pub is_event: bool,
    /// The low 5 bits of the flags (2 is Hessian 2).
    pub serialization_type: u8,
    /// Response status (20 is OK).
    pub status: u8,
}

impl Head {
    /// Reads a 16-byte header: the head and the body length.
    pub fn parse(h: &[u8; 16]) -> Result<(Head, u32), &'static str> {
        if h[0..2] != MAGIC {
            return Err("bad magic");
        }
        let head = Head {
            request_id: u64::from_be_bytes(h[4..12].try_into().expect("8")),
            is_request: h[2] & 0x80 != 0,
            is_two_way: h[2] & 0x40 != 0,
            is_event: h[2] & 0x20 != 0,
            serialization_type: h[2] & 0x1f,
            status: h[3],
        };
        Ok((head, u32::from_be_bytes(h[12..16].try_into().expect("4"))))
    }

    /// Writes the 16-byte header for a body of `len` bytes.
    pub fn write(&self, len: u32) -> [u8; 16] {
        let mut h = [0u8; 16];
        h[0..2].copy_from_slice(&MAGIC);
        h[2] = (self.serialization_type & 0x1f)
            | if self.is_request { 0x80 } else { 0 }
            | if self.is_two_way { 0x40 } else { 0 }
            | if self.is_event { 0x20 } else { 0 };
        h[3] = self.status;
        h[4..12].copy_from_slice(&self.request_id.to_be_bytes());
        h[12..16].copy_from_slice(&len.to_be_bytes());
        h
    }
}

impl Lazy for Head {
    fn make<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let o = Object::new(ctx.clone())?;
        o.set("requestID", self.request_id as f64)?;
        o.set("isRequest", self.is_request)?;
        o.set("isTwoWay", self.is_two_way)?;
        o.set("isEvent", self.is_event)?;
        o.set("serializationType", self.serialization_type as i32)?;
        o.set("status", self.status as i32)?;
        Ok(o.into_value())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn head_of(v: &JsValue) -> Head {
    if let Some(l) = v.pending::<Head>() {
        if let Some(h) = l.as_any().downcast_ref::<Head>() {
            return h.clone();
        }
    }
    script::js(|ctx| {
        let Some(o) = v.get(ctx).into_object() else {
            return Head::default();
        };
        let num = |k: &str| -> f64 {
            o.get::<_, Value>(k)
                .ok()
                .and_then(|v| {
                    v.as_number().or_else(|| {
                        v.as_big_int()
                            .and_then(|b| b.clone().to_i64().ok())
                            .map(|n| n as f64)
                    })
                })
                .unwrap_or(0.0)
        };
        let flag = |k: &str| o.get::<_, bool>(k).unwrap_or(false);
        let id = if o.contains_key("requestID").unwrap_or(false) {
            num("requestID")
        } else {
            num("id")
        };
        Head {
            request_id: id as u64,
            is_request: flag("isRequest"),
            is_two_way: flag("isTwoWay"),
            is_event: flag("isEvent"),
            serialization_type: num("serializationType") as u8,
            status: num("status") as u8,
        }
    })
}

#[derive(Clone)]
struct Parser;

impl Deframe for Parser {
    fn cut(&mut self, buf: &[u8]) -> Cut {
        if buf.len() < 2 && buf[..] != MAGIC[..buf.len()] || buf.len() >= 2 && buf[..2] != MAGIC {
            return Cut::Invalid("bad magic".into());
        }
        let Some(h) = buf.get(..16) else {
            return Cut::More(16);
        };
        let (head, len) = match Head::parse(h.try_into().expect("16")) {
            Ok(x) => x,
            Err(e) => return Cut::Invalid(e.into()),
        };
        let end = 16 + len as usize;
        let Some(body) = buf.get(16..end) else {
            return Cut::More(end);
        };
        let mut evts = vec![Event::MessageStart(Some(JsValue::lazy(head)))];
        if !body.is_empty() {
            evts.push(Event::data(body.to_vec()));
        }
        evts.push(Event::MessageEnd(MessageTail::default()));
        Cut::Message(evts, end)
    }
}

/// Writes each message as one frame, between its own start and end. A message the stream cut
/// short is still written (as Pipy does), followed by the stream's end.
struct Encoder;

impl MessageEncoder for Encoder {
    const AT_STREAM_END: bool = true;

    fn encode(&mut self, message: Message) -> Result<Vec<Event>, String> {
        let head = message.head.as_ref().map(head_of).unwrap_or_default();
        let len = u32::try_from(message.body.len())
            .map_err(|_| format!("a {}-byte body is too long for a frame", message.body.len()))?;
        let mut frame = head.write(len).to_vec();
        frame.extend_from_slice(&message.body);
        let mut evts = vec![Event::MessageStart(message.head), Event::data(frame)];
        evts.extend(message.end.map(Event::MessageEnd));
        Ok(evts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        // A two-way Hessian 2 request, id 2, with a 0x147-byte body (Dubbo protocol spec).
        let h: [u8; 16] = [
            0xda, 0xbb, 0xc2, 0x00, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0x01, 0x47,
        ];
        let (head, len) = Head::parse(&h).unwrap();
        assert_eq!(len, 0x147);
        assert_eq!(
            head,
            Head {
                request_id: 2,
                is_request: true,
                is_two_way: true,
                is_event: false,
                serialization_type: 2,
                status: 0,
            }
        );
        assert_eq!(head.write(len), h);
        // A heartbeat response: event flag, status 20 (OK).
        let hb: [u8; 16] = [0xda, 0xbb, 0x22, 20, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1];
        let (head, _) = Head::parse(&hb).unwrap();
        assert!(head.is_event && !head.is_request && head.status == 20);
        assert_eq!(head.write(1), hb);
    }

    #[test]
    fn frames_are_cut_whole_and_bad_magic_is_refused() {
        let mut frame = Head::default().write(3).to_vec();
        frame[2] = 0x82;
        frame.extend_from_slice(b"abc");
        for n in 0..frame.len() {
            assert!(matches!(Parser.cut(&frame[..n]), Cut::More(k) if k > n));
        }
        frame.extend_from_slice(b"\xda");
        assert!(matches!(Parser.cut(&frame), Cut::Message(_, 19)));
        assert!(matches!(Parser.cut(b"\xdaX"), Cut::Invalid(_)));
        assert!(matches!(Parser.cut(b"G"), Cut::Invalid(_)));
    }
}
