//! The explicit HTTP/1.x codec filters: `decodeHTTPRequest`, `decodeHTTPResponse`,
//! `encodeHTTPRequest`, `encodeHTTPResponse` (docs/reference/filters.md). They turn a byte stream
//! into messages and back without any sub-pipeline.

use bytes::Bytes;

use super::family::family_members;
use super::http::answer;
use super::http::server::size_options;
use super::{Builder, Family, FilterKind};
use crate::event::{ErrorCode, Event, MessageTail, StreamEnd};
use crate::http::decoder::{Decoder, Part, RequestInfo};
use crate::http::encoder::Encoder;
use crate::http::head::{out_head, Exchange, LazyHead};
use crate::http::Role;
use crate::pipeline::{Filter, FilterProto, Output};
use crate::script::JsValue;

/// What the four codec filters share.
const CODECS: Family = Family {
    kind: FilterKind::Plain,
    signature: "([options])",
    params: &[("options", "{bufferSize (16k), maxHeaderSize (64k)}")],
};

family_members! {
    CODECS;
    /// The four codec filters.
    DECODE_REQUEST "decodeHTTPRequest": "Decodes HTTP/1 requests from Data into messages",
        |b| codec_proto(b, Kind::Decode(Role::Request));
    DECODE_RESPONSE "decodeHTTPResponse": "Decodes HTTP/1 responses from Data into messages",
        |b| codec_proto(b, Kind::Decode(Role::Response));
    ENCODE_REQUEST "encodeHTTPRequest": "Encodes request messages into HTTP/1 Data",
        |b| codec_proto(b, Kind::Encode(Role::Request));
    ENCODE_RESPONSE "encodeHTTPResponse": "Encodes response messages into HTTP/1 Data",
        |b| codec_proto(b, Kind::Encode(Role::Response));
}

#[derive(Clone, Copy)]
enum Kind {
    Decode(Role),
    Encode(Role),
}

fn codec_proto(b: &mut Builder<'_, '_>, kind: Kind) -> Result<Box<dyn FilterProto>, String> {
    // An options object may come first or after a handler function.
    let at = if b.is_function(0) { 1 } else { 0 };
    let (max_head, buffer_size) = size_options(b, at)?;
    b.prototype(move |init| match kind {
        Kind::Decode(role) => Box::new(Decode {
            role,
            decoder: Decoder::new(role, max_head),
            output: init.output,
            started: false,
            ended: false,
        }),
        Kind::Encode(role) => Box::new(Encode {
            role,
            encoder: Encoder::new(buffer_size),
            output: init.output,
            started: false,
        }),
    })
}

struct Decode {
    role: Role,
    decoder: Decoder,
    output: Output,
    started: bool,
    ended: bool,
}

impl Decode {
    fn emit_parts(&mut self, parts: Vec<Part>) {
        for p in parts {
            match p {
                Part::Head(h) => {
                    self.started = true;
                    let head = Some(JsValue::lazy(LazyHead {
                        head: std::rc::Rc::new(h),
                        role: self.role,
                    }));
                    self.output.emit(Event::MessageStart(head));
                }
                Part::Data(b) | Part::Tunnel(b) => self.output.emit(Event::Data(b)),
                Part::End { .. } => self.output.emit(Event::MessageEnd(MessageTail::default())),
                Part::Error(e) => {
                    tracing::debug!(target: "http", "decode: {}", e.message());
                    self.ended = true;
                    self.output.emit(StreamEnd::code(ErrorCode::ProtocolError));
                }
            }
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
                if self.role == Role::Response {
                    self.decoder.expect_response(RequestInfo::default());
                }
                let mut parts = Vec::new();
                self.decoder.feed(&b, &mut parts);
                self.emit_parts(parts);
            }
            Event::StreamEnd(se) => {
                let mut parts = Vec::new();
                self.decoder.finish(&mut parts);
                self.emit_parts(parts);
                self.ended = true;
                // An upstream that failed before any response: answer with the error's status.
                if self.role == Role::Response && !self.started {
                    if let Some(code) = se.error_code() {
                        let (status, text) = code.http_status();
                        crate::metrics::builtin().error_answers.inc();
                        let head = answer::upstream_error_head(status, text, false);
                        self.output.emit(Event::MessageStart(head));
                        self.output.emit(Event::MessageEnd(MessageTail::default()));
                    }
                }
                self.output.emit(Event::StreamEnd(se));
            }
            _ => {}
        }
    }
}

struct Encode {
    role: Role,
    encoder: Encoder,
    output: Output,
    started: bool,
}

impl Encode {
    fn emit(&self, out: Vec<Bytes>) {
        for b in out {
            self.output.emit(Event::Data(b));
        }
    }
}

impl Filter for Encode {
    fn process(&mut self, evt: Event) {
        let mut out = Vec::new();
        match evt {
            Event::MessageStart(head) => {
                let oh = out_head(head.as_ref(), self.role, Exchange::default());
                self.encoder.start(oh, false, &mut out);
                self.started = true;
            }
            Event::Data(b) => {
                if !self.started {
                    return self.output.emit(Event::Data(b));
                }
                if let Err(e) = self.encoder.data(b, &mut out) {
                    self.emit(out);
                    return self.output.emit(StreamEnd::runtime(e));
                }
            }
            Event::MessageEnd(_) => {
                if let Err(e) = self.encoder.end(&mut out) {
                    self.emit(out);
                    return self.output.emit(StreamEnd::runtime(e));
                }
                self.started = false;
            }
            Event::StreamEnd(se) => {
                if self.started {
                    let _ = self.encoder.end(&mut out);
                    self.started = false;
                }
                self.emit(out);
                return self.output.emit(Event::StreamEnd(se));
            }
        }
        self.emit(out);
    }
}
