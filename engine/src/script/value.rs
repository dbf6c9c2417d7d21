//! A JavaScript value held from Rust, outside any `Ctx` borrow.

use std::rc::Rc;

use rquickjs::{Ctx, Persistent, Value};

/// A reference-counted handle to a JS value that lives in this worker's runtime.
///
/// Cloning is a reference-count bump on the Rust side; the JS value is duplicated only when
/// it is restored into a `Ctx`. Every `JsValue` must be dropped before the worker's runtime.
#[derive(Clone)]
pub struct JsValue(Rc<Persistent<Value<'static>>>);

impl JsValue {
    /// Saves `value` so it can be kept past the current `Ctx` borrow.
    pub fn save<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Self {
        JsValue(Rc::new(Persistent::save(ctx, value)))
    }

    /// Brings the value back into `ctx`.
    pub fn get<'js>(&self, ctx: &Ctx<'js>) -> Value<'js> {
        // Restoring a Persistent that belongs to this runtime cannot fail.
        (*self.0)
            .clone()
            .restore(ctx)
            .unwrap_or_else(|_| Value::new_undefined(ctx.clone()))
    }
}

impl std::fmt::Debug for JsValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsValue")
    }
}
