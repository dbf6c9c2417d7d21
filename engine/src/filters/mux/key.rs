//! The session key: which pool a stream takes its session from.

use rquickjs::Value;

use crate::pipeline::Context;
use crate::script::{self, JsValue, ScriptError};

/// How a `mux` filter picks the key of a stream's pool.
#[derive(Clone)]
pub enum KeySelector {
    /// No key given: one pool per client connection (`__inbound`), as Pipy does.
    Inbound,
    /// A value, or a function evaluated once per stream (`undefined` = the default).
    Script(JsValue),
}

/// A key as the pool map compares it, with the script value `onStart` of a new session gets.
#[derive(Clone)]
pub struct PoolKey {
    /// Strings and numbers by value, objects by identity.
    pub text: String,
    /// The script's value (the Inbound object for the default key).
    pub value: Option<JsValue>,
}

impl KeySelector {
    /// The key of a stream running in `context`.
    pub fn evaluate(&self, context: &Context) -> Result<PoolKey, ScriptError> {
        let f = match self {
            KeySelector::Inbound => return Ok(inbound_key(context)),
            KeySelector::Script(f) => f,
        };
        let key = script::call_in(context, |ctx| {
            let v = f.get(ctx);
            let v: Value = match v.as_function() {
                Some(func) => func.call(())?,
                None => v,
            };
            if v.is_undefined() {
                return Ok(None);
            }
            let text = if let Some(s) = v.as_string() {
                format!("string:{}", s.to_string()?)
            } else {
                script::call_helper::<_, String>(ctx, "keyOf", (v.clone(),))?
            };
            Ok(Some(PoolKey {
                text,
                value: Some(JsValue::save(ctx, v)),
            }))
        })?;
        Ok(key.unwrap_or_else(|| inbound_key(context)))
    }
}

fn inbound_key(context: &Context) -> PoolKey {
    match context.inbound() {
        Some(i) => PoolKey {
            text: format!("inbound:{}", i.id),
            value: script::js(|ctx| i.to_js(ctx).ok().map(|v| JsValue::save(ctx, v))),
        },
        None => PoolKey {
            text: String::new(),
            value: None,
        },
    }
}
