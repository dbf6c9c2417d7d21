//! `decodeRESP` and `encodeRESP` (Pipy 1.5): Redis protocol values between bytes and
//! messages. Each top-level value is a message with no head and no body, the value being its
//! `MessageEnd` payload. The wire format is in `crate::codec::resp`.

use bytes::Bytes;

use super::codec_glue::{fail, size_option};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::codec::{js, resp, DEFAULT_MAX_SIZE};
use crate::event::{Event, MessageTail};
use crate::pipeline::{Filter, FilterInit, FilterProto, FilterType, Output};

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
    build: |_| Ok(Box::new(EncodeProto)),
};

/// The two RESP filters.
pub static FILTERS: &[&FilterDescriptor] = &[&DECODE, &ENCODE];

struct DecodeProto {
    max_size: usize,
}

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    Ok(Box::new(DecodeProto {
        max_size: size_option(b, 0, "maxMessageSize", DEFAULT_MAX_SIZE)?,
    }))
}

impl FilterProto for DecodeProto {
    fn descriptor(&self) -> &'static dyn FilterType {
        &DECODE
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Decode {
            decoder: resp::Decoder::new(self.max_size),
            output: init.output,
            ended: false,
        })
    }
}

struct Decode {
    decoder: resp::Decoder,
    output: Output,
    ended: bool,
}

impl Filter for Decode {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        match evt {
            Event::Data(b) => {
                let mut values = Vec::new();
                let r = self.decoder.feed(&b, &mut values);
                for v in values {
                    self.output.emit(Event::MessageStart(None));
                    self.output.emit(Event::MessageEnd(MessageTail {
                        tail: None,
                        payload: Some(js::lazy(v)),
                    }));
                }
                if let Err(e) = r {
                    self.ended = true;
                    fail(&self.output, "decodeRESP", &e);
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
            started: false,
            output: init.output,
        })
    }
}

struct Encode {
    started: bool,
    output: Output,
}

impl Filter for Encode {
    fn process(&mut self, evt: Event) {
        match evt {
            Event::MessageStart(_) => self.started = true,
            Event::MessageEnd(end) if self.started => {
                self.started = false;
                let v = end
                    .payload
                    .as_ref()
                    .map_or(crate::codec::Value::Undefined, js::value_of);
                let mut out = Vec::new();
                resp::encode(&v, &mut out);
                self.output.emit(Event::Data(Bytes::from(out)));
            }
            Event::StreamEnd(_) => {
                self.started = false;
                self.output.emit(evt);
            }
            _ => {}
        }
    }
}
