//! `decodeRESP` and `encodeRESP` (Pipy 1.5): Redis protocol values between bytes and
//! messages. Each top-level value is a message with no head and no body, the value being its
//! `MessageEnd` payload. The wire format is in `crate::codec::resp`.

use bytes::Bytes;

use super::codec_glue::{
    codec_filters, decoding_proto, encoding_proto, Message, MessageEncoder, StreamDecoder,
};
use super::Builder;
use crate::codec::{js, resp, DecodeError, Value, DEFAULT_MAX_SIZE};
use crate::event::{Event, MessageTail};
use crate::pipeline::FilterProto;

codec_filters! {
    /// The two RESP filters.
    decode "decodeRESP": "Decodes Redis (RESP) values from Data into messages",
        options "{maxMessageSize (16m): a larger value, with all it nests, ends the stream}",
        build build_decode;
    encode "encodeRESP": "Encodes message payloads into Redis (RESP) values",
        build |_| encoding_proto(&ENCODE, |_| Encoder);
}

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let max_size = b.size_option(0, "maxMessageSize", DEFAULT_MAX_SIZE)?;
    decoding_proto(&DECODE, move |_| Decoder(resp::Decoder::new(max_size)))
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
