//! The script bridge: one QuickJS runtime per worker thread (rquickjs), the configuration
//! API scripts call, and conversion between events and JS values.
//!
//! Everything here is `!Send`: a worker thread owns its runtime, and pipelines call into it
//! through [`js`], which may be entered again from inside a native function.

/// Sets each named Rust function on `$obj` under its own name, as a native JS function:
/// `native_functions!(o, open, close)` is `o.set("open", Func::from(open))?` and the same for
/// `close`.
macro_rules! native_functions {
    ($obj:expr, $($f:ident),+ $(,)?) => {
        $($obj.set(stringify!($f), rquickjs::function::Func::from($f))?;)+
    };
}

pub mod atoms;
#[cfg(test)]
mod codec_tests;
mod convert;
pub mod coverage;
mod error;
mod esm;
mod files;
mod formats;
mod http_log;
mod native;
mod os;
mod prelude;
mod primitive;
mod process;
mod shared;
mod sqlite;
mod stats;
mod timer;
pub(crate) use native::module_prefix_len;
mod value;

pub use convert::{
    data_from_js, data_to_js, events_from_js, message_from_js, to_js_event, to_js_message,
    typed_bytes, JsMessage,
};
pub use error::ScriptError;
pub use primitive::Primitive;
pub use value::{truthy, JsValue, Lazy};

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rquickjs::{Ctx, Function, Object, Runtime, Value};

use crate::codebase::Codebase;

/// Adds the natives that reach above the script layer to `__native` (the worker's
/// `natives::install`); given to [`Script::install`].
pub type EngineNatives = fn(&Object<'_>) -> rquickjs::Result<()>;

/// The worker's JS runtime and the helpers the engine calls often.
pub struct Script {
    // Field order matters: helpers must drop before the context and runtime.
    helpers: Helpers,
    names: atoms::Names,
    context: rquickjs::Context,
    _runtime: Runtime,
    codebase: Rc<Codebase>,
}

struct Helpers {
    current: JsValue,
    sluice: JsValue,
    /// `__sluice.initial`: every context variable's initial value, by slot.
    initial: JsValue,
    /// `MessageStart.prototype`, for making the events natively.
    message_start: JsValue,
}

thread_local! {
    /// While set, script code running past this instant is interrupted.
    static DEADLINE: Cell<Option<std::time::Instant>> = const { Cell::new(None) };
    static SCRIPT: RefCell<Option<Rc<Script>>> = const { RefCell::new(None) };
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static RAW_CTX: Cell<*mut rquickjs::qjs::JSContext> = const { Cell::new(std::ptr::null_mut()) };
    static CURRENT_CONTEXT: Cell<u64> = const { Cell::new(u64::MAX) };
}

impl Script {
    /// Creates the runtime for this thread, installs the prelude and makes it current.
    pub fn install(
        codebase: Rc<Codebase>,
        natives: EngineNatives,
    ) -> Result<Rc<Script>, ScriptError> {
        let runtime = Runtime::new().map_err(|e| ScriptError::plain(e.to_string()))?;
        runtime.set_max_stack_size(4 * 1024 * 1024);
        runtime.set_interrupt_handler(Some(Box::new(|| {
            DEADLINE.with(|d| d.get().is_some_and(|t| std::time::Instant::now() >= t))
        })));
        let context =
            rquickjs::Context::full(&runtime).map_err(|e| ScriptError::plain(e.to_string()))?;
        let (helpers, names) =
            context.with(|ctx| -> Result<(Helpers, atoms::Names), ScriptError> {
                native::install(&ctx, &codebase, natives)
                    .map_err(|e| ScriptError::from_js(&ctx, e))?;
                prelude::run(&ctx).map_err(|e| ScriptError::from_js(&ctx, e))?;
                let sluice: Object = ctx
                    .globals()
                    .get("__sluice")
                    .map_err(|e| ScriptError::from_js(&ctx, e))?;
                let current: Object = sluice
                    .get("current")
                    .map_err(|e| ScriptError::from_js(&ctx, e))?;
                let initial: rquickjs::Array = sluice
                    .get("initial")
                    .map_err(|e| ScriptError::from_js(&ctx, e))?;
                let message_start: Object = ctx
                    .globals()
                    .get::<_, Object>("MessageStart")
                    .and_then(|c| c.get("prototype"))
                    .map_err(|e| ScriptError::from_js(&ctx, e))?;
                let helpers = Helpers {
                    initial: JsValue::save(&ctx, initial.into_value()),
                    current: JsValue::save(&ctx, current.into_value()),
                    sluice: JsValue::save(&ctx, sluice.into_value()),
                    message_start: JsValue::save(&ctx, message_start.into_value()),
                };
                Ok((helpers, atoms::Names::new(&ctx)))
            })?;
        let script = Rc::new(Script {
            helpers,
            names,
            context,
            _runtime: runtime,
            codebase,
        });
        SCRIPT.with(|s| *s.borrow_mut() = Some(script.clone()));
        Ok(script)
    }

    /// Bytes the script engine has allocated.
    pub fn memory_used(&self) -> i64 {
        self._runtime.memory_usage().malloc_size
    }

    /// The codebase scripts load files from.
    pub fn codebase(&self) -> &Rc<Codebase> {
        &self.codebase
    }
}

/// Evaluates a sloppy-mode global script and returns its completion value.
pub(crate) fn eval_script<'js>(
    ctx: &Ctx<'js>,
    filename: &str,
    src: &str,
) -> rquickjs::Result<Value<'js>> {
    let mut opts = rquickjs::context::EvalOptions::default();
    opts.strict = false;
    opts.global = true;
    opts.filename = Some(filename.to_string());
    ctx.eval_with_options(src, opts)
}

/// The current worker's script runtime.
///
/// # Panics
/// When called on a thread that has no runtime installed (an engine bug).
pub fn script() -> Rc<Script> {
    SCRIPT.with(|s| {
        s.borrow()
            .clone()
            .expect("no script runtime on this thread")
    })
}

/// Runs `f` with script code limited to `limit` of running time (an endless loop at load
/// time becomes an error instead of a hang).
pub fn with_deadline<R>(limit: std::time::Duration, f: impl FnOnce() -> R) -> R {
    let prev = DEADLINE.with(|d| d.replace(Some(std::time::Instant::now() + limit)));
    let r = f();
    DEADLINE.with(|d| d.set(prev));
    r
}

/// Drops this thread's runtime. Every [`JsValue`] must be gone before.
pub fn uninstall() {
    HELPER_FNS.with(|m| m.borrow_mut().clear());
    SCRIPT.with(|s| s.borrow_mut().take());
}

/// Frees this thread's runtime once its program is gone: the script values something still
/// holds (a pipeline left in a reference cycle, say) are released first, so they can never
/// reach into the freed runtime. Returns how many were released.
pub fn shutdown() -> usize {
    if SCRIPT.with(|s| s.borrow().is_none()) {
        return 0;
    }
    let released = value::release_all();
    script()._runtime.run_gc();
    // Values the collection freed may have let go of more handles.
    let released = released + value::release_all();
    uninstall();
    released
}

/// Leaves this thread's runtime alive until the process ends (for harnesses whose values
/// may outlive them).
pub fn leak() {
    if let Some(s) = SCRIPT.with(|s| s.borrow_mut().take()) {
        std::mem::forget(s);
    }
}

/// Runs `f` with the worker's JS context. Re-entrant: a native function called from JS may
/// call back in.
pub fn js<R>(f: impl FnOnce(&Ctx<'_>) -> R) -> R {
    if DEPTH.with(|d| d.get()) > 0 {
        let raw = RAW_CTX.with(|r| r.get());
        // SAFETY: an outer `js()` frame on this thread holds the runtime lock and keeps the
        // context alive; QuickJS calls on one thread may nest.
        let ctx = unsafe { Ctx::from_raw(std::ptr::NonNull::new(raw).expect("raw context")) };
        DEPTH.with(|d| d.set(d.get() + 1));
        let r = f(&ctx);
        DEPTH.with(|d| d.set(d.get() - 1));
        return r;
    }
    let s = script();
    s.context.with(|ctx| {
        RAW_CTX.with(|r| r.set(ctx.as_raw().as_ptr()));
        DEPTH.with(|d| d.set(1));
        let r = f(&ctx);
        // Run promise continuations scheduled by this call.
        while ctx.execute_pending_job() {}
        DEPTH.with(|d| d.set(0));
        r
    })
}

/// What the script layer needs of a pipeline context (`pipeline::Context`, a layer above):
/// an id that tells contexts apart, and the array of module-variable scopes scripts see.
pub trait ScriptContext {
    /// Unique among this thread's live contexts.
    fn id(&self) -> u64;
    /// The JS array holding the context's variables.
    fn values(&self) -> &JsValue;
}

impl<T: ScriptContext + ?Sized> ScriptContext for Rc<T> {
    fn id(&self) -> u64 {
        (**self).id()
    }
    fn values(&self) -> &JsValue {
        (**self).values()
    }
}

/// Makes `context` the one whose variables scripts see.
pub fn with_context<'js>(
    ctx: &Ctx<'js>,
    context: &(impl ScriptContext + ?Sized),
) -> rquickjs::Result<()> {
    if CURRENT_CONTEXT.with(|c| c.get()) == context.id() {
        return Ok(());
    }
    let s = script();
    let current: Object = s
        .helpers
        .current
        .get(ctx)
        .into_object()
        .expect("current holder");
    current.set(0, context.values().get(ctx))?;
    CURRENT_CONTEXT.with(|c| c.set(context.id()));
    Ok(())
}

/// A new array of context values: a copy of `from` (the initial values when `None`), with
/// `first` (the inbound connection) in slot 0 when given. Made here rather than by a script
/// call because a context is made for every stream that a script looks at.
pub fn copy_context_values<'js>(
    ctx: &Ctx<'js>,
    from: Option<&rquickjs::Value<'js>>,
    first: Option<rquickjs::Value<'js>>,
) -> rquickjs::Result<rquickjs::Value<'js>> {
    let from = match from {
        Some(v) => v.clone(),
        None => script().helpers.initial.get(ctx),
    };
    let from = from
        .into_array()
        .ok_or_else(|| rquickjs::Error::new_from_js("value", "array"))?;
    let raw = ctx.as_raw().as_ptr();
    let len = from.len();
    // The copy is made at its full length in one step, from references to the values.
    let mut values = Vec::with_capacity(len.max(1));
    let mut first = first;
    for i in 0..len.max(usize::from(first.is_some())) {
        let v = match (i, first.take()) {
            (0, Some(v)) => v,
            _ => from.get::<rquickjs::Value>(i)?,
        };
        // SAFETY: a new reference for the array, which takes it over.
        values.push(unsafe { rquickjs::qjs::JS_DupValue(raw, v.as_raw()) });
    }
    // SAFETY: `values` holds `values.len()` owned references, which the new array takes over
    // (or frees, on failure); the result is a new reference the Value takes over.
    let copy = unsafe {
        let n = values.len() as std::ffi::c_int;
        rquickjs::Value::from_raw(
            ctx.clone(),
            rquickjs::qjs::JS_NewArrayFrom(raw, n, values.as_ptr()),
        )
    };
    if copy.is_exception() {
        return Err(rquickjs::Error::Exception);
    }
    Ok(copy)
}

/// Forgets which context is current, whatever it was: a script changed it itself.
pub fn forget_current_context() {
    CURRENT_CONTEXT.with(|c| c.set(u64::MAX));
}

/// Forgets which context is current (after a context is dropped its id could be reused).
pub fn forget_context(id: u64) {
    CURRENT_CONTEXT.with(|c| {
        if c.get() == id {
            c.set(u64::MAX)
        }
    });
}

/// The `__sluice` helper object.
pub fn helpers<'js>(ctx: &Ctx<'js>) -> Object<'js> {
    script()
        .helpers
        .sluice
        .get(ctx)
        .into_object()
        .expect("__sluice")
}

thread_local! {
    static HELPER_FNS: RefCell<std::collections::HashMap<&'static str, JsValue>> = RefCell::new(std::collections::HashMap::new());
}

/// Calls a `__sluice` helper by name (looked up once per worker).
pub fn call_helper<'js, A, R>(ctx: &Ctx<'js>, name: &'static str, args: A) -> rquickjs::Result<R>
where
    A: rquickjs::function::IntoArgs<'js>,
    R: rquickjs::FromJs<'js>,
{
    let cached = HELPER_FNS.with(|m| m.borrow().get(name).cloned());
    let f: Function = match cached {
        Some(v) => v.get(ctx).into_function().ok_or(rquickjs::Error::Unknown)?,
        None => {
            let f: Function = helpers(ctx).get(name)?;
            HELPER_FNS.with(|m| {
                m.borrow_mut()
                    .insert(name, JsValue::save(ctx, f.clone().into_value()))
            });
            f
        }
    };
    f.call(args)
}

/// A `MessageStart` event object with `head` (as `new MessageStart(head)` makes it), made
/// without a script call.
pub fn message_start_of<'js>(ctx: &Ctx<'js>, head: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let proto = script().helpers.message_start.get(ctx);
    let o = Object::new_proto(ctx.clone(), proto.as_object())?;
    let head = if head.is_undefined() {
        Value::new_null(ctx.clone())
    } else {
        head
    };
    atoms::set(ctx, &o, atoms::Name::Head, head)?;
    Ok(o.into_value())
}

/// Calls a script callback in `context`, turning an exception into a [`ScriptError`].
pub fn call_in<R>(
    context: &(impl ScriptContext + ?Sized),
    f: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<R>,
) -> Result<R, ScriptError> {
    js(|ctx| {
        with_context(ctx, context).map_err(|e| ScriptError::from_js(ctx, e))?;
        f(ctx).map_err(|e| ScriptError::from_js(ctx, e))
    })
}
