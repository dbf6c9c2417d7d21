//! `decodeMQTT` and `encodeMQTT` (Pipy 1.5): MQTT control packets between bytes and messages.
//! The wire format is in `crate::codec::mqtt`.

use std::rc::Rc;

use bytes::{Bytes, BytesMut};

use super::codec_glue::{fail, size_option};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::codec::{js, mqtt, Value, DEFAULT_MAX_SIZE};
use crate::event::{Event, MessageTail, StreamEnd};
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, FilterType, Output};
use crate::script::{self, JsValue};

static DECODE: FilterDescriptor = FilterDescriptor {
    name: "decodeMQTT",
    kind: FilterKind::Plain,
    signature: "([options])",
    help: "Decodes MQTT packets from Data into messages",
    params: &[(
        "options",
        "{maxPacketSize (16m): a larger packet ends the stream; protocolLevel (from the \
         CONNECT, else 5): a number or a function, for a side that sees no CONNECT}",
    )],
    build: build_decode,
};

static ENCODE: FilterDescriptor = FilterDescriptor {
    name: "encodeMQTT",
    kind: FilterKind::Plain,
    signature: "()",
    help: "Encodes messages into MQTT packets, at the head's protocolLevel, else the level \
           decodeMQTT read on the same stream, else 5",
    params: &[],
    build: |_| Ok(Box::new(EncodeProto)),
};

/// The two MQTT filters.
pub static FILTERS: &[&FilterDescriptor] = &[&DECODE, &ENCODE];

struct DecodeProto {
    max_size: usize,
    level: Option<JsValue>,
}

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    Ok(Box::new(DecodeProto {
        max_size: size_option(b, 0, "maxPacketSize", DEFAULT_MAX_SIZE)?,
        level: b
            .option(0, "protocolLevel")
            .map(|v| JsValue::save(b.ctx, v)),
    }))
}

impl FilterProto for DecodeProto {
    fn descriptor(&self) -> &'static dyn FilterType {
        &DECODE
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Decode {
            decoder: mqtt::Decoder::new(self.max_size),
            level: self.level.clone(),
            context: init.context,
            output: init.output,
            ended: false,
        })
    }
}

struct Decode {
    decoder: mqtt::Decoder,
    level: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    ended: bool,
}

impl Decode {
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

impl Filter for Decode {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        match evt {
            Event::Data(b) => {
                if !self.decoder.knows_level() && !b.is_empty() && b[0] >> 4 != 1 {
                    self.resolve_level();
                }
                let mut packets = Vec::new();
                let r = self.decoder.feed(&b, &mut packets);
                if self.decoder.knows_level() {
                    self.context.set_mqtt_level(self.decoder.level());
                }
                for p in packets {
                    self.output
                        .emit(Event::MessageStart(Some(js::lazy(p.head))));
                    if !p.body.is_empty() {
                        self.output.emit(Event::Data(p.body));
                    }
                    self.output.emit(Event::MessageEnd(MessageTail {
                        tail: None,
                        payload: p.payload.map(js::lazy),
                    }));
                }
                if let Err(e) = r {
                    self.ended = true;
                    fail(&self.output, "decodeMQTT", &e);
                }
            }
            Event::StreamEnd(_) => {
                self.ended = true;
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
        Box::new(Encode {
            head: None,
            body: BytesMut::new(),
            context: init.context,
            output: init.output,
            ended: false,
        })
    }
}

struct Encode {
    head: Option<Value>,
    context: Rc<Context>,
    body: BytesMut,
    output: Output,
    ended: bool,
}

impl Filter for Encode {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        match evt {
            Event::MessageStart(head) => {
                if self.head.is_none() {
                    self.head = Some(head.as_ref().map_or_else(Value::object, js::value_of));
                    self.body.clear();
                }
            }
            Event::Data(b) => {
                if self.head.is_some() {
                    self.body.extend_from_slice(&b);
                }
            }
            Event::MessageEnd(end) => {
                let Some(mut head) = self.head.take() else {
                    return;
                };
                // A head without protocolLevel is written at the level decodeMQTT read on
                // this stream (a 3.1.1 client gets 3.1.1 packets); Pipy would write MQTT 5.
                if head.get("protocolLevel").is_none() {
                    if let Some(level) = self.context.mqtt_level() {
                        head = head.with("protocolLevel", level as i64);
                    }
                }
                let payload = end.payload.as_ref().map(js::value_of);
                let body = std::mem::take(&mut self.body);
                match mqtt::encode(&head, &body, payload.as_ref()) {
                    Ok(bytes) => self.output.emit(Event::Data(Bytes::from(bytes))),
                    Err(e) => {
                        tracing::warn!(target: "codec", "encodeMQTT: {e}");
                        self.ended = true;
                        self.output
                            .emit(StreamEnd::runtime(format!("encodeMQTT: {e}")));
                    }
                }
            }
            Event::StreamEnd(_) => {
                self.ended = true;
                self.output.emit(evt);
            }
        }
    }
}
