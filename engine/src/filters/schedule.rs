//! Work the flow filters do later: on the next turn of the event loop, after a delay, or
//! when a Promise settles.
//!
//! Running later (rather than inside the call that asked for it) keeps a filter that feeds
//! its own sub-pipeline again — `loop`, `repeat`, `produce` — from growing the stack or
//! holding the worker for good.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use rquickjs::function::This;
use rquickjs::{Ctx, Function, Value};

use crate::event::Event;
use crate::script::{self, JsValue, ScriptError};

/// Runs `f` on a later turn of the worker's event loop.
pub fn soon(f: impl FnOnce() + 'static) {
    tokio::task::spawn_local(async move {
        tokio::task::yield_now().await;
        f();
    });
}

/// Runs `f` once `delay` has passed.
pub fn after(delay: Duration, f: impl FnOnce() + 'static) {
    tokio::task::spawn_local(async move {
        tokio::time::sleep(delay).await;
        f();
    });
}

/// How a Promise settled: the value it was fulfilled with, or the reason it was rejected.
pub type Settled = Result<JsValue, JsValue>;

/// What runs when a Promise settles, shared by its two callbacks (only one of them runs it).
type OnSettled = Rc<RefCell<Option<Box<dyn FnOnce(Settled)>>>>;

/// Calls `done` when `promise` settles.
pub fn when_settled<'js>(
    ctx: &Ctx<'js>,
    promise: Value<'js>,
    done: impl FnOnce(Settled) + 'static,
) -> rquickjs::Result<()> {
    let done: OnSettled = Rc::new(RefCell::new(Some(Box::new(done))));
    let on_rejected_done = done.clone();
    let fulfilled = Function::new(ctx.clone(), move |ctx: Ctx<'js>, v: Value<'js>| {
        let f = done.borrow_mut().take();
        if let Some(f) = f {
            f(Ok(JsValue::save(&ctx, v)));
        }
    })?;
    let rejected = Function::new(ctx.clone(), move |ctx: Ctx<'js>, v: Value<'js>| {
        let f = on_rejected_done.borrow_mut().take();
        if let Some(f) = f {
            f(Err(JsValue::save(&ctx, v)));
        }
    })?;
    then(&promise, fulfilled, rejected)
}

/// Calls `promise.then(on_fulfilled, on_rejected)`; an error when `promise` is not an object.
pub fn then<'js>(
    promise: &Value<'js>,
    on_fulfilled: Function<'js>,
    on_rejected: Function<'js>,
) -> rquickjs::Result<()> {
    let obj = promise
        .as_object()
        .ok_or_else(|| rquickjs::Error::new_from_js("value", "Promise"))?;
    let then: Function = obj.get("then")?;
    then.call::<_, Value>((This(promise.clone()), on_fulfilled, on_rejected))?;
    Ok(())
}

/// What a rejected Promise means to the stream: a rejection with a StreamEnd ends the stream
/// with it, as in Pipy; any other reason is a script error.
pub fn rejection(reason: &JsValue) -> Result<Event, ScriptError> {
    script::js(|ctx| {
        let v = reason.get(ctx);
        let mut out = Vec::new();
        if script::events_from_js(ctx, v.clone(), &mut out).is_ok() {
            if let [Event::StreamEnd(_)] = out.as_slice() {
                return Ok(out.remove(0));
            }
        }
        Err(ScriptError::from_value(&v))
    })
}
