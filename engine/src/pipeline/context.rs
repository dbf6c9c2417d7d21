//! Contexts: the per-stream set of script variables (docs/concepts.md, "Contexts").

use std::cell::{Cell, OnceCell};
use std::rc::Rc;

use super::Inbound;
use crate::script::{self, JsValue};

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// One set of values for every module's context variables.
///
/// Root pipelines get a fresh context from the initial values; joint filters either share
/// their pipeline's context (`Rc` clone) or give the sub-pipeline a shallow copy
/// ([`Context::fork`]).
///
/// The values are made when a script first needs them: a stream no script looks at (a fixed
/// `serveHTTP` answer, a plain TCP proxy) never pays for them.
pub struct Context {
    id: u64,
    values: OnceCell<JsValue>,
    inbound: Option<Rc<Inbound>>,
    upstream: std::cell::RefCell<Option<Rc<str>>>,
    trace: Cell<Option<u64>>,
    /// The MQTT protocol level `decodeMQTT` read on this stream (shared by its copies).
    mqtt_level: Rc<Cell<Option<u8>>>,
}

impl Context {
    /// A new root context from the modules' initial values.
    pub fn root(inbound: Option<Rc<Inbound>>) -> Rc<Context> {
        Rc::new(Context {
            id: next_id(),
            values: OnceCell::new(),
            inbound,
            upstream: Default::default(),
            trace: Cell::new(None),
            mqtt_level: Rc::default(),
        })
    }

    /// A shallow copy of this context's current values. Values never made are still the
    /// initial ones, so the copy can wait too.
    pub fn fork(&self) -> Rc<Context> {
        let values = OnceCell::new();
        if let Some(parent) = self.values.get() {
            let v = script::js(|ctx| {
                let v = script::copy_context_values(ctx, Some(&parent.get(ctx)), None)
                    .expect("a copy of context values");
                JsValue::save(ctx, v)
            });
            let _ = values.set(v);
        }
        self.derived(values)
    }

    /// A new context with `values`, this one's inbound connection, trace flag and MQTT level,
    /// and its own id and upstream.
    fn derived(&self, values: OnceCell<JsValue>) -> Rc<Context> {
        Rc::new(Context {
            id: next_id(),
            values,
            inbound: self.inbound.clone(),
            upstream: Default::default(),
            trace: Cell::new(self.trace.get()),
            mqtt_level: self.mqtt_level.clone(),
        })
    }

    /// A context that shares this one's variables (a write on either side is seen by the
    /// other) but keeps its own id, upstream and trace: what a `mux*` session pipeline of
    /// the current API gets from the filter that made it (Pipy's mux sub-pipeline does not
    /// clone its context).
    pub fn share(&self) -> Rc<Context> {
        let values = OnceCell::new();
        let _ = values.set(self.values().clone());
        self.derived(values)
    }

    /// A unique id (never reused within a worker).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The JS array holding the values (made from the initial values on first use).
    pub fn values(&self) -> &JsValue {
        self.values.get_or_init(|| {
            script::js(|ctx| {
                let inbound_js = match &self.inbound {
                    Some(i) => i
                        .to_js(ctx)
                        .unwrap_or_else(|_| rquickjs::Value::new_null(ctx.clone())),
                    None => rquickjs::Value::new_null(ctx.clone()),
                };
                let v = script::copy_context_values(ctx, None, Some(inbound_js))
                    .expect("new context values");
                JsValue::save(ctx, v)
            })
        })
    }

    /// The trace (event inspector) this context's streams are recorded under, if any.
    pub fn trace(&self) -> Option<u64> {
        self.trace.get()
    }

    /// Records this context's streams under `trace` (see `trace.rs`).
    pub fn set_trace(&self, trace: Option<u64>) {
        self.trace.set(trace);
    }

    /// Notes the upstream a request of this context went to (for the access log); a name
    /// already shared (`Rc<str>`) is kept, not copied.
    pub fn set_upstream(&self, u: impl Into<Rc<str>>) {
        *self.upstream.borrow_mut() = Some(u.into());
    }

    /// The upstream noted by [`Context::set_upstream`].
    pub fn upstream(&self) -> Option<Rc<str>> {
        self.upstream.borrow().clone()
    }

    /// The MQTT protocol level `decodeMQTT` learned on this stream (from its CONNECT or its
    /// `protocolLevel` option), for `encodeMQTT` to answer in.
    pub fn mqtt_level(&self) -> Option<u8> {
        self.mqtt_level.get()
    }

    /// Notes the MQTT protocol level of this stream (see [`Context::mqtt_level`]).
    pub fn set_mqtt_level(&self, level: u8) {
        self.mqtt_level.set(Some(level));
    }

    /// The inbound connection this context belongs to, if any.
    pub fn inbound(&self) -> Option<&Rc<Inbound>> {
        self.inbound.as_ref()
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        script::forget_context(self.id);
    }
}

fn next_id() -> u64 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    })
}

impl script::ScriptContext for Context {
    fn id(&self) -> u64 {
        self.id
    }
    fn values(&self) -> &JsValue {
        Context::values(self)
    }
}
