//! `decodeBGP` and `encodeBGP`: BGP-4 messages as Pipy 1.5 has them. The filters frame the
//! stream (a 19-byte header: 16 marker bytes, length, type) and leave the message bodies to
//! the `BGP` global (`js/bgp.js`): a decoded message is an empty `MessageStart` and a
//! `MessageEnd` whose payload is `{type, body}`; the encoder writes each payload.

use std::rc::Rc;

use rquickjs::{Array, Function, Object, Value};

use super::codec_glue::{codec_filters, decoding_proto, encoding_proto, Message, MessageEncoder};
use super::framed::{max_message_size, Cut, Deframe, Framed};
use super::Builder;
use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, FilterProto};
use crate::script::{self, JsValue, ScriptError};

codec_filters! {
    /// `decodeBGP` and `encodeBGP`.
    decode "decodeBGP": "Decodes BGP messages into message payloads",
        options "{enableAS4 (false; or a function), maxMessageSize (64k)}",
        build build_decode;
    encode "encodeBGP": "Encodes BGP message payloads into Data",
        options "{enableAS4 (false; or a function)}",
        build build_encode;
}

/// A BGP header: 16 marker bytes, a 2-byte length (header included) and a type.
const HEADER: usize = 19;

fn build_decode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let as4 = as4_option(b);
    let max = if b.option(0, "maxMessageSize").is_some() {
        max_message_size(b, 0)?
    } else {
        0xffff
    };
    decoding_proto(&DECODE, move |context| {
        let as4 = As4 {
            value: as4.clone(),
            context,
        };
        Framed::new(Parser { as4 }, max)
    })
}

fn build_encode(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let as4 = as4_option(b);
    encoding_proto(&ENCODE, move |context| {
        let as4 = As4 {
            value: as4.clone(),
            context,
        };
        Encoder { as4 }
    })
}

/// The `enableAS4` option as given.
fn as4_option(b: &Builder<'_, '_>) -> Option<JsValue> {
    b.option(0, "enableAS4").map(|v| JsValue::save(b.ctx, v))
}

/// The `enableAS4` option: a value, or a function evaluated for each message.
struct As4 {
    value: Option<JsValue>,
    context: Rc<Context>,
}

impl As4 {
    fn get(&self) -> Result<bool, ScriptError> {
        let Some(v) = &self.value else {
            return Ok(false);
        };
        script::call_in(&self.context, |ctx| {
            let v = v.get(ctx);
            let v = match v.as_function() {
                Some(f) => f.call::<_, Value>(())?,
                None => v,
            };
            Ok(script::truthy(&v))
        })
    }
}

/// Calls `BGP.<name>(arg, enableAS4)`.
fn call_bgp<'js>(
    ctx: &rquickjs::Ctx<'js>,
    name: &str,
    arg: Value<'js>,
    as4: bool,
) -> rquickjs::Result<Value<'js>> {
    let bgp: Object = ctx.globals().get("BGP")?;
    let f: Function = bgp.get(name)?;
    f.call((arg, as4))
}

struct Parser {
    as4: As4,
}

impl Deframe for Parser {
    fn cut(&mut self, buf: &[u8]) -> Cut {
        let Some(h) = buf.get(..HEADER) else {
            return Cut::More(HEADER);
        };
        let size = u16::from_be_bytes([h[16], h[17]]) as usize;
        if size < HEADER {
            return Cut::Invalid(format!("bad message length {size}"));
        }
        let Some(frame) = buf.get(..size) else {
            return Cut::More(size);
        };
        let as4 = match self.as4.get() {
            Ok(b) => b,
            Err(e) => return Cut::Invalid(e.to_string()),
        };
        let payload = script::js(|ctx| -> rquickjs::Result<Option<JsValue>> {
            let data = script::data_to_js(ctx, frame)?;
            let all = call_bgp(ctx, "decode", data, as4)?;
            let first = all.as_array().and_then(|a: &Array| a.get::<Value>(0).ok());
            Ok(first
                .filter(|v| v.is_object())
                .map(|v| JsValue::save(ctx, v)))
        });
        match payload {
            Ok(Some(p)) => Cut::Message(
                vec![
                    Event::MessageStart(None),
                    Event::MessageEnd(MessageTail {
                        tail: None,
                        payload: Some(p),
                    }),
                ],
                size,
            ),
            _ => Cut::Invalid("malformed message".into()),
        }
    }
}

/// Writes the payload of each message's end (`{type, body}`) with `BGP.encode`, between the
/// message's own start and end.
struct Encoder {
    as4: As4,
}

impl MessageEncoder for Encoder {
    fn encode(&mut self, message: Message) -> Result<Vec<Event>, String> {
        let end = message.end.unwrap_or_default();
        let mut evts = vec![Event::MessageStart(message.head)];
        if let Some(p) = &end.payload {
            let as4 = self.as4.get().map_err(|e| e.to_string())?;
            let bytes = script::call_in(&self.as4.context, |ctx| {
                let v = p.get(ctx);
                if !v.is_object() {
                    return Ok(None);
                }
                let d = call_bgp(ctx, "encode", v, as4)?;
                match d.as_object() {
                    Some(o) => Ok(Some(script::data_from_js(o)?)),
                    None => Ok(None),
                }
            });
            evts.extend(bytes.map_err(|e| e.to_string())?.map(Event::Data));
        }
        evts.push(Event::MessageEnd(end));
        Ok(evts)
    }
}
