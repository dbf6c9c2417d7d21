//! `decodeRESP` and `encodeRESP` (Pipy 1.5): Redis protocol values between bytes and
//! messages. Each top-level value is a message with no head and no body, the value being its
//! `MessageEnd` payload. The wire format is in `crate::codec::resp`.

use bytes::Bytes;

use super::codec_glue::{Decoding, EncodingProto, Message, MessageEncoder, StreamDecoder};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::codec::{js, resp, DecodeError, Value, DEFAULT_MAX_SIZE};
use crate::event::{Event, MessageTail};
use crate::pipeline::{FilterProto, FnProto};

static DECODE: FilterDescriptor = FilterDescriptor {
    name: "decodeRESP",
    kind: FilterKind::Plain,
    signature: "([options])",
    help: "Decodes Redis (RESP) values from Data into messages",
    params: &[(
        "options",
        "{maxMessageSize (16m): a larger value, with all it nests, ends the stream}",
    )],
    build: build_decode,
};

static ENCODE: FilterDescriptor = FilterDescriptor {
    name: "encodeRESP",
    kind: FilterKind::Plain,
    signature: "()",
    help: "Encodes message payloads into Redis (RESP) values",
    params: &[],
    build: |_| {
        Ok(Box::new(EncodingProto {
            desc: &ENCODE,
            encoder: Encoder,
        }))
    },
};

/// The two RESP filters.
pub static FILTERS: &[&FilterDescriptor] = &[&DECODE, &ENCODE];

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let max_size = b.size_option(0, "maxMessageSize", DEFAULT_MAX_SIZE)?;
    Ok(Box::new(FnProto::new(&DECODE, move |init| {
        let decoder = Decoder(resp::Decoder::new(max_size));
        Box::new(Decoding::new("decodeRESP", decoder, init.output))
    })))
}

/// Each top-level value is a message with no head, the value its payload.
struct Decoder(resp::Decoder);

impl StreamDecoder for Decoder {
    fn decode(&mut self, bytes: &Bytes, out: &mut Vec<Event>) -> Result<(), DecodeError> {
        let mut values = Vec::new();
        let r = self.0.feed(bytes, &mut values);
        for v in values {
            out.push(Event::MessageStart(None));
            out.push(Event::MessageEnd(MessageTail {
                tail: None,
                payload: Some(js::lazy(v)),
            }));
        }
        r
    }
}

/// Writes each message's payload as one value; a message without one is `undefined` (a null
/// bulk string).
#[derive(Clone)]
struct Encoder;

impl MessageEncoder for Encoder {
    fn encode(&mut self, message: Message) -> Result<Vec<Event>, String> {
        let payload = message.end.and_then(|end| end.payload);
        let v = payload.as_ref().map_or(Value::Undefined, js::value_of);
        let mut out = Vec::new();
        resp::encode(&v, &mut out);
        Ok(vec![Event::Data(Bytes::from(out))])
    }
}
