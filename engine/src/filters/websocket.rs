//! `decodeWebSocket` and `encodeWebSocket` (Pipy 1.5): WebSocket frames between bytes and
//! messages with a head `{opcode, masked}`; and the handshake's `Sec-WebSocket-Accept`, filled
//! in for `acceptHTTPTunnel`. The wire format is in `crate::codec::websocket`.

use bytes::{Bytes, BytesMut};
use ring::rand::SecureRandom;
use rquickjs::Object;

use super::codec_glue::{codec_filters, decoding_proto, StreamDecoder};
use super::Builder;
use crate::codec::websocket::{self, Part};
use crate::codec::{js, DecodeError, Value, DEFAULT_MAX_SIZE};
use crate::event::{Event, MessageTail, StreamEnd};
use crate::pipeline::{Filter, FilterProto, Output};
use crate::script::{self, JsValue};

/// A long message is sent in frames of this many bytes (the last one may be shorter).
const FRAGMENT_SIZE: usize = 64 * 1024;

codec_filters! {
    /// The two WebSocket filters.
    decode "decodeWebSocket":
        "Decodes WebSocket frames from Data into messages with heads {opcode, masked}",
        options "{maxMessageSize (16m): a larger message, all fragments counted, ends the stream; \
                 requireMask (false): an unmasked frame ends the stream, as a server must do}",
        build build_decode;
    encode "encodeWebSocket":
        "Encodes messages with heads {opcode (1), masked (false)} into WebSocket frames",
        build |b| {
            b.prototype(|init| {
                Box::new(Encode {
                    message: None,
                    buf: BytesMut::new(),
                    output: init.output,
                    ended: false,
                })
            })
        };
}

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let max_size = b.size_option(0, "maxMessageSize", DEFAULT_MAX_SIZE)?;
    let require_mask = match b.option(0, "requireMask") {
        None => false,
        Some(v) => v.as_bool().ok_or("option requireMask must be a boolean")?,
    };
    decoding_proto(&DECODE, move |_| {
        Decoder(websocket::Decoder::new(max_size).require_mask(require_mask))
    })
}

/// Each message is a head `{opcode, masked}`, its payload as Data (fragments joined in
/// order, as they come) and an end.
struct Decoder(websocket::Decoder);

impl StreamDecoder for Decoder {
    fn decode(&mut self, bytes: &Bytes, out: &mut Vec<Event>) -> Result<(), DecodeError> {
        let mut parts = Vec::new();
        let r = self.0.feed(bytes, &mut parts);
        out.extend(parts.into_iter().map(|p| match p {
            Part::Start { opcode, masked } => {
                let head = Value::object()
                    .with("opcode", opcode)
                    .with("masked", masked);
                Event::MessageStart(Some(js::lazy(head)))
            }
            Part::Data(d) => Event::Data(d),
            Part::End => Event::MessageEnd(MessageTail::default()),
        }));
        r
    }
}

/// The message being encoded: its opcode (0 once its first frame went out) and masking.
struct Message {
    opcode: u8,
    masked: bool,
}

struct Encode {
    message: Option<Message>,
    buf: BytesMut,
    output: Output,
    ended: bool,
}

impl Encode {
    fn send(&mut self, fin: bool) {
        let Some(m) = self.message.as_mut() else {
            return;
        };
        let mask = m.masked.then(random_mask);
        let mut out = Vec::with_capacity(self.buf.len() + 14);
        websocket::frame(&mut out, m.opcode, fin, mask, &self.buf);
        self.buf.clear();
        m.opcode = websocket::CONTINUATION;
        self.output.emit(Event::Data(Bytes::from(out)));
    }
}

impl Filter for Encode {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        match evt {
            Event::MessageStart(head) => {
                if self.message.is_none() {
                    let head = head.as_ref().map_or(Value::Undefined, js::value_of);
                    let opcode = head.get("opcode").map_or(1, |v| v.to_i64() as u8 & 0x0f);
                    let masked = head.get("masked").is_some_and(Value::truthy);
                    self.message = Some(Message { opcode, masked });
                    self.buf.clear();
                }
            }
            Event::Data(b) => {
                let Some(m) = &self.message else { return };
                self.buf.extend_from_slice(&b);
                if m.opcode >= websocket::CLOSE {
                    if self.buf.len() > websocket::MAX_CONTROL_PAYLOAD {
                        self.ended = true;
                        let msg = "encodeWebSocket: a control frame over 125 bytes";
                        tracing::warn!(target: "codec", "{msg}");
                        self.output.emit(StreamEnd::runtime(msg));
                    }
                    return;
                }
                while self.buf.len() > FRAGMENT_SIZE {
                    let rest = self.buf.split_off(FRAGMENT_SIZE);
                    self.send(false);
                    self.buf = rest;
                }
            }
            Event::MessageEnd(_) => {
                self.send(true);
                self.message = None;
            }
            Event::StreamEnd(_) => {
                self.ended = true;
                self.output.emit(evt);
            }
        }
    }
}

/// A masking key from the system's random source.
fn random_mask() -> [u8; 4] {
    let mut k = [0u8; 4];
    if ring::rand::SystemRandom::new().fill(&mut k).is_err() {
        k = std::process::id().to_be_bytes();
    }
    k
}

/// Completes a WebSocket handshake answer: a 101 response to a request with a
/// `Sec-WebSocket-Key` gets its `Sec-WebSocket-Accept`, unless the script gave one.
pub(super) fn complete_handshake(request: Option<&JsValue>, response: &JsValue) {
    let Some(request) = request else { return };
    script::js(|ctx| -> Option<()> {
        let req = request.get(ctx).into_object()?;
        let headers: Object = req.get("headers").ok()?;
        let key = header(&headers, "sec-websocket-key")?;
        let res = response.get(ctx).into_object()?;
        let headers: Object = match res.get::<_, Option<Object>>("headers").ok()? {
            Some(h) => h,
            None => {
                let h = Object::new(ctx.clone()).ok()?;
                res.set("headers", h.clone()).ok()?;
                h
            }
        };
        if header(&headers, "sec-websocket-accept").is_none() {
            let accept = websocket::accept_key(&key);
            headers.set("sec-websocket-accept", accept).ok()?;
        }
        Some(())
    });
}

/// A header's value by case-insensitive name.
fn header(headers: &Object<'_>, name: &str) -> Option<String> {
    headers
        .props::<String, rquickjs::Value>()
        .filter_map(Result::ok)
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_string()?.to_string().ok())
}
