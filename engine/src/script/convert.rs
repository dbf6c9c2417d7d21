//! Events and messages between Rust and JS (docs/concepts.md, "Events").

use bytes::Bytes;
use rquickjs::{Ctx, Function, Object, TypedArray, Value};

use super::{call_helper, helpers, JsValue};
use crate::event::{ErrorCode, Event, MessageTail, RuntimeError, StreamEnd, StreamError};

/// A whole message held on the Rust side: head, body bytes, tail and payload.
#[derive(Clone, Debug, Default)]
pub struct JsMessage {
    /// Protocol head, if any.
    pub head: Option<JsValue>,
    /// The body, concatenated.
    pub body: Bytes,
    /// Tail and payload.
    pub end: MessageTail,
}

impl JsMessage {
    /// The events this message expands to: MessageStart, Data (if any), MessageEnd.
    pub fn into_events(self, out: &mut Vec<Event>) {
        out.push(Event::MessageStart(self.head));
        if !self.body.is_empty() {
            out.push(Event::Data(self.body));
        }
        out.push(Event::MessageEnd(self.end));
    }
}

fn opt_value<'js>(ctx: &Ctx<'js>, v: &Option<JsValue>) -> Value<'js> {
    match v {
        Some(v) => v.get(ctx),
        None => Value::new_null(ctx.clone()),
    }
}

fn save_opt<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> Option<JsValue> {
    if v.is_null() || v.is_undefined() {
        None
    } else {
        Some(JsValue::save(ctx, v))
    }
}

/// Makes a JS `Data` object holding a copy of `bytes`.
pub fn data_to_js<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<Value<'js>> {
    let u8 = TypedArray::<u8>::new_copy(ctx.clone(), bytes)?;
    let f: Function = helpers(ctx).get("dataOf")?;
    f.call((u8,))
}

/// Reads the bytes out of a JS `Data` object.
pub fn data_from_js<'js>(obj: &Object<'js>) -> rquickjs::Result<Bytes> {
    let flat: Function = obj.get("_flat")?;
    let a: TypedArray<u8> = flat.call((rquickjs::function::This(obj.clone()),))?;
    Ok(Bytes::copy_from_slice(typed_bytes(&a)))
}

/// The JS object scripts see for `evt`.
pub fn to_js_event<'js>(ctx: &Ctx<'js>, evt: &Event) -> rquickjs::Result<Value<'js>> {
    match evt {
        Event::Data(b) => data_to_js(ctx, b),
        Event::MessageStart(head) => super::message_start_of(ctx, opt_value(ctx, head)),
        Event::MessageEnd(t) => {
            let payload = match &t.payload {
                Some(p) => p.get(ctx),
                None => Value::new_undefined(ctx.clone()),
            };
            call_helper(ctx, "messageEndOf", (opt_value(ctx, &t.tail), payload))
        }
        Event::StreamEnd(se) => {
            let err: Value = match &se.error {
                None => Value::new_undefined(ctx.clone()),
                Some(StreamError::Code(c)) => {
                    rquickjs::String::from_str(ctx.clone(), c.name())?.into_value()
                }
                Some(StreamError::Runtime(RuntimeError::Value(v))) => v.get(ctx),
                Some(StreamError::Runtime(RuntimeError::Message(m))) => {
                    rquickjs::String::from_str(ctx.clone(), m)?.into_value()
                }
            };
            call_helper(ctx, "streamEndOf", (err,))
        }
    }
}

/// A JS `Message` for a whole message.
pub fn to_js_message<'js>(ctx: &Ctx<'js>, msg: &JsMessage) -> rquickjs::Result<Value<'js>> {
    let f: Function = helpers(ctx).get("messageOf")?;
    // A bodiless message still has a body: an empty Data, as in Pipy.
    let body = data_to_js(ctx, &msg.body)?;
    let payload = match &msg.end.payload {
        Some(p) => p.get(ctx),
        None => Value::new_undefined(ctx.clone()),
    };
    f.call((
        opt_value(ctx, &msg.head),
        body,
        opt_value(ctx, &msg.end.tail),
        payload,
    ))
}

/// Reads a JS `Message` (or a string/Data body) into a [`JsMessage`].
pub fn message_from_js<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> Result<JsMessage, String> {
    let kind = kind_of(ctx, &v).map_err(|e| e.to_string())?;
    let obj = match (kind, v.as_object()) {
        (5, Some(o)) => o.clone(),
        (1, Some(o)) => {
            return Ok(JsMessage {
                body: data_from_js(o).map_err(|e| e.to_string())?,
                ..Default::default()
            })
        }
        _ => return Err(format!("expected a Message, got {}", type_name(&v))),
    };
    message_fields(ctx, &obj).map_err(|e| e.to_string())
}

fn message_fields<'js>(ctx: &Ctx<'js>, obj: &Object<'js>) -> rquickjs::Result<JsMessage> {
    let head: Value = obj.get("head")?;
    let body: Value = obj.get("body")?;
    let tail: Value = obj.get("tail")?;
    let payload: Value = obj.get("payload")?;
    let body = match body.as_object() {
        Some(b) => data_from_js(b)?,
        None => match body.as_string() {
            Some(s) => Bytes::from(s.to_string()?),
            None => Bytes::new(),
        },
    };
    Ok(JsMessage {
        head: save_opt(ctx, head),
        body,
        end: MessageTail {
            tail: save_opt(ctx, tail),
            payload: if payload.is_undefined() {
                None
            } else {
                Some(JsValue::save(ctx, payload))
            },
        },
    })
}

fn kind_of<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> rquickjs::Result<i32> {
    if v.is_undefined() || v.is_null() {
        return Ok(0);
    }
    let f: Function = helpers(ctx).get("kindOf")?;
    f.call((v.clone(),))
}

fn type_name(v: &Value<'_>) -> &'static str {
    v.type_name()
}

/// Appends the events an events-like value stands for (docs/concepts.md, "Events") to `out`.
///
/// `undefined`/`null` add nothing. Anything that is not an event, a Message or an array of
/// them is an error.
pub fn events_from_js<'js>(
    ctx: &Ctx<'js>,
    v: Value<'js>,
    out: &mut Vec<Event>,
) -> Result<(), String> {
    let kind = kind_of(ctx, &v).map_err(|e| e.to_string())?;
    let obj = v.as_object();
    let r: rquickjs::Result<()> = (|| {
        match (kind, obj) {
            (0, _) => {}
            (1, Some(o)) => out.push(Event::Data(data_from_js(o)?)),
            (2, Some(o)) => out.push(Event::MessageStart(save_opt(ctx, o.get("head")?))),
            (3, Some(o)) => {
                let payload: Value = o.get("payload")?;
                out.push(Event::MessageEnd(MessageTail {
                    tail: save_opt(ctx, o.get("tail")?),
                    payload: if payload.is_undefined() {
                        None
                    } else {
                        Some(JsValue::save(ctx, payload))
                    },
                }))
            }
            (4, Some(o)) => {
                let err: Value = o.get("error")?;
                out.push(Event::StreamEnd(stream_end_from_js(ctx, err)?))
            }
            (5, Some(o)) => message_fields(ctx, o)?.into_events(out),
            (6, Some(o)) => {
                let arr = o.clone().into_array().expect("array");
                for item in arr.iter::<Value>() {
                    let item = item?;
                    let k = kind_of(ctx, &item)?;
                    if k == 6 || k < 0 {
                        return Err(rquickjs::Error::new_from_js_message(
                            type_name(&item),
                            "Event",
                            "array items must be events or messages",
                        ));
                    }
                    events_from_js(ctx, item, out)
                        .map_err(|m| rquickjs::Error::new_from_js_message("value", "Event", m))?;
                }
            }
            _ => {
                return Err(rquickjs::Error::new_from_js_message(
                    type_name(&v),
                    "Event",
                    "expected an event, a Message or an array of them",
                ))
            }
        }
        Ok(())
    })();
    r.map_err(|e| match e {
        rquickjs::Error::FromJs {
            message: Some(m),
            from,
            ..
        } => format!("{m} (got {from})"),
        other => other.to_string(),
    })
}

fn stream_end_from_js<'js>(ctx: &Ctx<'js>, err: Value<'js>) -> rquickjs::Result<StreamEnd> {
    if err.is_undefined() || err.is_null() {
        return Ok(StreamEnd { error: None });
    }
    if let Some(s) = err.as_string() {
        if let Some(code) = ErrorCode::from_name(&s.to_string()?) {
            return Ok(StreamEnd {
                error: Some(StreamError::Code(code)),
            });
        }
    }
    Ok(StreamEnd {
        error: Some(StreamError::Runtime(RuntimeError::Value(JsValue::save(
            ctx, err,
        )))),
    })
}

/// The bytes of a `Uint8Array`, to be copied at once.
pub fn typed_bytes<'a>(a: &'a TypedArray<'_, u8>) -> &'a [u8] {
    // SAFETY: the slice is read immediately, before any script code can run and detach or
    // resize the buffer.
    unsafe { a.as_bytes() }.unwrap_or(&[])
}
