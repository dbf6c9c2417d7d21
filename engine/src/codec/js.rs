//! Between codec [`Value`]s and script values.
//!
//! A decoder hands its heads and payloads to the pipeline as [`LazyValue`]s: made into JS
//! objects only when a script looks at them. An encoder reads them back with [`value_of`],
//! which takes the Rust value straight out of a head no script has touched.

use std::any::Any;

use rquickjs::{Array, Ctx, Exception, Object};

use super::Value;
use crate::script::{self, JsValue, Lazy, Primitive};

/// Nesting deeper than this is cut off when reading script values (a cycle, or abuse).
const MAX_DEPTH: usize = 64;

/// A codec value that becomes a JS value on first use.
pub struct LazyValue(pub Value);

impl Lazy for LazyValue {
    fn make<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<rquickjs::Value<'js>> {
        to_js(ctx, &self.0)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Wraps a codec value for an event.
pub fn lazy(v: Value) -> JsValue {
    JsValue::lazy(LazyValue(v))
}

/// The codec value of an event's head or payload: the Rust value itself while no script
/// made it into JS, else read from the JS value.
pub fn value_of(v: &JsValue) -> Value {
    if let Some(l) = v.pending::<LazyValue>() {
        if let Some(lv) = l.as_any().downcast_ref::<LazyValue>() {
            return lv.0.clone();
        }
    }
    script::js(|ctx| from_js(ctx, &v.get(ctx)))
}

/// Makes the JS value for `v`.
pub fn to_js<'js>(ctx: &Ctx<'js>, v: &Value) -> rquickjs::Result<rquickjs::Value<'js>> {
    Ok(match v {
        Value::Undefined => rquickjs::Value::new_undefined(ctx.clone()),
        Value::Null => rquickjs::Value::new_null(ctx.clone()),
        Value::Bool(b) => rquickjs::Value::new_bool(ctx.clone(), *b),
        Value::Int(n) => match i32::try_from(*n) {
            Ok(i) => rquickjs::Value::new_int(ctx.clone(), i),
            Err(_) => rquickjs::Value::new_number(ctx.clone(), *n as f64),
        },
        Value::Float(f) => rquickjs::Value::new_number(ctx.clone(), *f),
        Value::Str(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
        Value::Bytes(b) => script::data_to_js(ctx, b)?,
        Value::Error(m) => Exception::from_message(ctx.clone(), m)?.into_value(),
        Value::Array(items) => {
            let a = Array::new(ctx.clone())?;
            for (i, item) in items.iter().enumerate() {
                a.set(i, to_js(ctx, item)?)?;
            }
            a.into_value()
        }
        Value::Object(fields) => {
            let o = Object::new(ctx.clone())?;
            for (k, item) in fields {
                o.set(k.as_str(), to_js(ctx, item)?)?;
            }
            o.into_value()
        }
    })
}

/// Reads a JS value into a codec value. Functions and symbols read as `undefined`.
pub fn from_js<'js>(ctx: &Ctx<'js>, v: &rquickjs::Value<'js>) -> Value {
    read(ctx, v, 0)
}

fn read<'js>(ctx: &Ctx<'js>, v: &rquickjs::Value<'js>, depth: usize) -> Value {
    if v.is_undefined() {
        return Value::Undefined;
    }
    if let Some(p) = Primitive::of(v) {
        return match p {
            Primitive::Null => Value::Null,
            Primitive::Bool(b) => Value::Bool(b),
            Primitive::Int(i) => Value::Int(i),
            Primitive::Float(f) => Value::Float(f),
            Primitive::Str(s) => Value::Str(s),
        };
    }
    if depth >= MAX_DEPTH || v.is_function() {
        return Value::Undefined;
    }
    let Some(o) = v.as_object() else {
        return Value::Undefined;
    };
    if v.is_error() {
        let msg = Exception::from_object(o.clone())
            .and_then(|e| e.message())
            .unwrap_or_default();
        return Value::Error(msg);
    }
    if let Some(a) = v.as_array() {
        return Value::Array(
            a.iter::<rquickjs::Value>()
                .map(|x| {
                    x.map(|x| read(ctx, &x, depth + 1))
                        .unwrap_or(Value::Undefined)
                })
                .collect(),
        );
    }
    let kind: i32 = script::call_helper(ctx, "kindOf", (v.clone(),)).unwrap_or(-1);
    if kind == 1 {
        return script::data_from_js(o)
            .map(Value::Bytes)
            .unwrap_or(Value::Undefined);
    }
    let mut fields = Vec::new();
    for (k, x) in o.props::<String, rquickjs::Value>().flatten() {
        if !x.is_function() {
            fields.push((k, read(ctx, &x, depth + 1)));
        }
    }
    Value::Object(fields)
}
