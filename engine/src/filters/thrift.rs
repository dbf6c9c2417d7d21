//! `decodeThrift` and `encodeThrift`: Thrift messages (binary, compact or old encoding,
//! unframed) as Pipy 1.5 has them. A decoded message is an empty `MessageStart` and a
//! `MessageEnd` whose payload is the message object; the encoder writes the payload of each
//! `MessageEnd` and drops any `Data` in between.

use std::rc::Rc;

use rquickjs::{Array, Ctx, Object, Value};

use super::codec_glue::{codec_filters, encoding_proto, Message as Collected, MessageEncoder};
use super::framed::{framed_proto, Cut, Deframe};
use crate::codec::thrift::{self, Field, Message, Protocol, Type, MESSAGE_TYPES};
use crate::event::{Event, MessageTail};
use crate::script::{self, JsValue, Lazy};

codec_filters! {
    /// `decodeThrift` and `encodeThrift`.
    decode "decodeThrift":
        "Decodes Thrift messages (binary or compact protocol) into message payloads",
        options "{maxMessageSize (16m)}",
        build |b| framed_proto(b, &DECODE, Parser);
    encode "encodeThrift": "Encodes Thrift message payloads into Data",
        build |_| encoding_proto(&ENCODE, |_| Encoder);
}

#[derive(Clone)]
struct Parser;

impl Deframe for Parser {
    fn cut(&mut self, buf: &[u8]) -> Cut {
        match thrift::decode(buf) {
            Ok((msg, n)) => {
                let payload = JsValue::lazy(Payload(Rc::new(msg)));
                let evts = vec![
                    Event::MessageStart(None),
                    Event::MessageEnd(MessageTail {
                        tail: None,
                        payload: Some(payload),
                    }),
                ];
                Cut::Message(evts, n)
            }
            Err(thrift::Error::Incomplete(n)) => Cut::More(n),
            Err(thrift::Error::Invalid(why)) => Cut::Invalid(why.into()),
        }
    }
}

/// A decoded message, made into a JS object only when a script looks at it.
struct Payload(Rc<Message>);

impl Lazy for Payload {
    fn make<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        message_to_js(ctx, &self.0)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Writes the payload of each message's end (a message object or an array of them) between
/// the message's own start and end; its body is dropped.
struct Encoder;

impl MessageEncoder for Encoder {
    fn encode(&mut self, message: Collected) -> Result<Vec<Event>, String> {
        let end = message.end.unwrap_or_default();
        let mut out = Vec::new();
        for m in end.payload.as_ref().map(messages_of).unwrap_or_default() {
            thrift::encode(&m, &mut out);
        }
        let mut evts = vec![Event::MessageStart(message.head)];
        if !out.is_empty() {
            evts.push(Event::data(out));
        }
        evts.push(Event::MessageEnd(end));
        Ok(evts)
    }
}

/// The messages a payload describes: one message object, or an array of them.
fn messages_of(p: &JsValue) -> Vec<Message> {
    if let Some(l) = p.pending::<Payload>() {
        if let Some(pl) = l.as_any().downcast_ref::<Payload>() {
            return vec![(*pl.0).clone()];
        }
    }
    script::js(|ctx| {
        let v = p.get(ctx);
        match v.as_array() {
            Some(a) => a
                .iter::<Value>()
                .filter_map(|v| v.ok())
                .filter_map(|v| v.into_object())
                .map(|o| message_from_js(ctx, &o))
                .collect(),
            None => v
                .into_object()
                .map(|o| vec![message_from_js(ctx, &o)])
                .unwrap_or_default(),
        }
    })
}

// ---- JS values ----

fn message_to_js<'js>(ctx: &Ctx<'js>, m: &Message) -> rquickjs::Result<Value<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("protocol", m.protocol.name())?;
    o.set("type", MESSAGE_TYPES[(m.mtype as usize).clamp(1, 4) - 1])?;
    o.set("seqID", m.seq_id)?;
    o.set("name", m.name.as_str())?;
    o.set("fields", fields_to_js(ctx, &m.fields)?)?;
    Ok(o.into_value())
}

fn fields_to_js<'js>(ctx: &Ctx<'js>, fields: &[Field]) -> rquickjs::Result<Value<'js>> {
    let a = Array::new(ctx.clone())?;
    for (i, f) in fields.iter().enumerate() {
        let o = Object::new(ctx.clone())?;
        o.set("id", f.id as i32)?;
        o.set("type", f.ty.name())?;
        o.set("value", value_to_js(ctx, &f.value)?)?;
        a.set(i, o)?;
    }
    Ok(a.into_value())
}

fn value_to_js<'js>(ctx: &Ctx<'js>, v: &thrift::Value) -> rquickjs::Result<Value<'js>> {
    use thrift::Value as V;
    Ok(match v {
        V::Bool(b) => Value::new_bool(ctx.clone(), *b),
        V::Int(n) if n.unsigned_abs() <= (1u64 << 53) => Value::new_number(ctx.clone(), *n as f64),
        V::Int(n) => rquickjs::BigInt::from_i64(ctx.clone(), *n)?.into_value(),
        V::Double(d) => Value::new_number(ctx.clone(), *d),
        V::Text(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
        V::Bytes(b) => script::data_to_js(ctx, b)?,
        V::Uuid(u) => {
            let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
            let s = format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            );
            rquickjs::String::from_str(ctx.clone(), &s)?.into_value()
        }
        V::Struct(f) => fields_to_js(ctx, f)?,
        V::List(t, items) => {
            let o = Object::new(ctx.clone())?;
            o.set("elementType", t.name())?;
            let a = Array::new(ctx.clone())?;
            for (i, e) in items.iter().enumerate() {
                a.set(i, value_to_js(ctx, e)?)?;
            }
            o.set("elements", a)?;
            o.into_value()
        }
        V::Map(k, t, pairs) => {
            let o = Object::new(ctx.clone())?;
            o.set("keyType", k.name())?;
            o.set("valueType", t.name())?;
            let a = Array::new(ctx.clone())?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                let p = Array::new(ctx.clone())?;
                p.set(0, value_to_js(ctx, k)?)?;
                p.set(1, value_to_js(ctx, v)?)?;
                a.set(i, p)?;
            }
            o.set("pairs", a)?;
            o.into_value()
        }
    })
}

fn type_of(o: &Object<'_>, key: &str) -> Type {
    o.get::<_, String>(key)
        .ok()
        .and_then(|s| Type::from_name(&s.to_ascii_uppercase()))
        .unwrap_or(Type::I32)
}

fn message_from_js<'js>(ctx: &Ctx<'js>, o: &Object<'js>) -> Message {
    let protocol = o
        .get::<_, String>("protocol")
        .ok()
        .and_then(|s| Protocol::from_name(&s))
        .unwrap_or(Protocol::Compact);
    let mtype = match o.get::<_, Value>("type") {
        Ok(v) if v.is_number() => v.as_number().unwrap_or(1.0) as u8,
        Ok(v) => v
            .as_string()
            .and_then(|s| s.to_string().ok())
            .and_then(|s| MESSAGE_TYPES.iter().position(|t| *t == s))
            .map_or(1, |i| i as u8 + 1),
        Err(_) => 1,
    };
    Message {
        protocol,
        mtype: mtype.clamp(1, 4),
        seq_id: o.get::<_, f64>("seqID").unwrap_or(0.0) as i64 as i32,
        name: o.get::<_, String>("name").unwrap_or_default(),
        fields: fields_from_js(
            ctx,
            &o.get("fields")
                .unwrap_or_else(|_| Value::new_null(ctx.clone())),
            0,
        ),
    }
}

fn fields_from_js<'js>(ctx: &Ctx<'js>, v: &Value<'js>, depth: usize) -> Vec<Field> {
    let Some(a) = v.as_array() else {
        return Vec::new();
    };
    if depth > 64 {
        return Vec::new();
    }
    a.iter::<Value>()
        .filter_map(|v| v.ok()?.into_object())
        .map(|f| {
            let ty = type_of(&f, "type");
            let value = f
                .get("value")
                .unwrap_or_else(|_| Value::new_undefined(ctx.clone()));
            Field {
                id: f.get::<_, f64>("id").unwrap_or(0.0) as i16,
                ty,
                value: value_from_js(ctx, ty, &value, depth),
            }
        })
        .collect()
}

fn value_from_js<'js>(ctx: &Ctx<'js>, ty: Type, v: &Value<'js>, depth: usize) -> thrift::Value {
    use thrift::Value as V;
    let elements = |o: &Object<'js>, key: &str| -> Vec<Value<'js>> {
        o.get::<_, Array>(key)
            .map(|a| a.iter::<Value>().filter_map(|v| v.ok()).collect())
            .unwrap_or_default()
    };
    match ty {
        Type::Bool => V::Bool(script::truthy(v)),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 => V::Int(int_of(v)),
        Type::Double => V::Double(v.as_number().unwrap_or(0.0)),
        Type::Binary => {
            if let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) {
                V::Text(s)
            } else if let Some(b) = v.as_object().and_then(|o| script::data_from_js(o).ok()) {
                V::Bytes(b.to_vec())
            } else {
                V::Text(String::new())
            }
        }
        Type::Uuid => {
            let s: String = v
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_default()
                .chars()
                .filter(|c| c.is_ascii_hexdigit())
                .collect();
            let mut u = [0u8; 16];
            for (i, b) in u.iter_mut().enumerate() {
                *b = s
                    .get(i * 2..i * 2 + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .unwrap_or(0);
            }
            V::Uuid(u)
        }
        Type::Struct => V::Struct(fields_from_js(ctx, v, depth + 1)),
        Type::List | Type::Set => match v.as_object() {
            Some(o) if depth < 64 => {
                let et = type_of(o, "elementType");
                let items = elements(o, "elements")
                    .iter()
                    .map(|e| value_from_js(ctx, et, e, depth + 1))
                    .collect();
                V::List(et, items)
            }
            _ => V::List(Type::I32, Vec::new()),
        },
        Type::Map => match v.as_object() {
            Some(o) if depth < 64 => {
                let (kt, vt) = (type_of(o, "keyType"), type_of(o, "valueType"));
                let pairs = elements(o, "pairs")
                    .iter()
                    .map(|p| {
                        let get = |i: usize| {
                            p.as_array()
                                .and_then(|a| a.get::<Value>(i).ok())
                                .unwrap_or_else(|| Value::new_undefined(ctx.clone()))
                        };
                        (
                            value_from_js(ctx, kt, &get(0), depth + 1),
                            value_from_js(ctx, vt, &get(1), depth + 1),
                        )
                    })
                    .collect();
                V::Map(kt, vt, pairs)
            }
            _ => V::Map(Type::I32, Type::I32, Vec::new()),
        },
    }
}

fn int_of(v: &Value<'_>) -> i64 {
    if let Some(b) = v.as_big_int() {
        return b.clone().to_i64().unwrap_or(0);
    }
    if let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) {
        return s.trim().parse().unwrap_or(0);
    }
    v.as_number().map_or(0, |n| n as i64)
}
