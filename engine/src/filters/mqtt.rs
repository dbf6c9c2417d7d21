//! `decodeMQTT` and `encodeMQTT` (Pipy 1.5): MQTT control packets between bytes and messages.
//! The wire format is in `crate::codec::mqtt`.

use std::rc::Rc;

use bytes::Bytes;

use super::codec_glue::{
    codec_filters, decoding_proto, encoding_proto, Message, MessageEncoder, StreamDecoder,
};
use super::Builder;
use crate::codec::{js, mqtt, DecodeError, Value, DEFAULT_MAX_SIZE};
use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, FilterProto};
use crate::script::{self, JsValue};

codec_filters! {
    /// The two MQTT filters.
    decode "decodeMQTT": "Decodes MQTT packets from Data into messages",
        options "{maxPacketSize (16m): a larger packet ends the stream; protocolLevel (from the \
                 CONNECT, else 5): a number or a function, for a side that sees no CONNECT}",
        build build_decode;
    encode "encodeMQTT":
        "Encodes messages into MQTT packets, at the head's protocolLevel, else the level \
         decodeMQTT read on the same stream, else 5",
        build |_| encoding_proto(&ENCODE, |context| Encoder { context });
}

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let max_size = b.size_option(0, "maxPacketSize", DEFAULT_MAX_SIZE)?;
    let level = b
        .option(0, "protocolLevel")
        .map(|v| JsValue::save(b.ctx, v));
    decoding_proto(&DECODE, move |context| Decoder {
        decoder: mqtt::Decoder::new(max_size),
        level: level.clone(),
        context,
    })
}

/// Each packet is a message: its head, its application payload (PUBLISH) as Data, and the
/// rest of its fields as the `MessageEnd` payload.
struct Decoder {
    decoder: mqtt::Decoder,
    level: Option<JsValue>,
    context: Rc<Context>,
}

impl Decoder {
    /// Evaluates the `protocolLevel` option once, before the first packet.
    fn resolve_level(&mut self) {
        let Some(v) = self.level.take() else { return };
        let level = script::call_in(&self.context, |ctx| {
            let v = v.get(ctx);
            let v = match v.as_function() {
                Some(f) => f.call(())?,
                None => v,
            };
            Ok(v.as_number().or_else(|| v.as_int().map(f64::from)))
        });
        match level {
            Ok(Some(n)) if (3.0..=5.0).contains(&n) => self.decoder.set_level(n as u8),
            Ok(_) => {}
            Err(e) => tracing::warn!(target: "codec", "decodeMQTT protocolLevel: {e}"),
        }
    }
}

impl StreamDecoder for Decoder {
    fn decode(&mut self, bytes: &Bytes, out: &mut Vec<Event>) -> Result<(), DecodeError> {
        // A stream that does not open with CONNECT (a client's side) takes the option's level.
        if !self.decoder.knows_level() && !bytes.is_empty() && bytes[0] >> 4 != 1 {
            self.resolve_level();
        }
        let mut packets = Vec::new();
        let r = self.decoder.feed(bytes, &mut packets);
        if self.decoder.knows_level() {
            self.context.set_mqtt_level(self.decoder.level());
        }
        for p in packets {
            out.push(Event::MessageStart(Some(js::lazy(p.head))));
            if !p.body.is_empty() {
                out.push(Event::Data(p.body));
            }
            out.push(Event::MessageEnd(MessageTail {
                tail: None,
                payload: p.payload.map(js::lazy),
            }));
        }
        r
    }
}

struct Encoder {
    context: Rc<Context>,
}

impl MessageEncoder for Encoder {
    fn encode(&mut self, message: Message) -> Result<Vec<Event>, String> {
        let mut head = message
            .head
            .as_ref()
            .map_or_else(Value::object, js::value_of);
        // A head without protocolLevel is written at the level decodeMQTT read on this stream
        // (a 3.1.1 client gets 3.1.1 packets); Pipy would write MQTT 5.
        if head.get("protocolLevel").is_none() {
            if let Some(level) = self.context.mqtt_level() {
                head = head.with("protocolLevel", level as i64);
            }
        }
        let payload = message.end.and_then(|end| end.payload);
        let payload = payload.as_ref().map(js::value_of);
        let bytes = mqtt::encode(&head, &message.body, payload.as_ref())?;
        Ok(vec![Event::Data(Bytes::from(bytes))])
    }
}
