//! A JavaScript value held from Rust, outside any `Ctx` borrow — possibly not made yet.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::{Ctx, Persistent, Value};

/// A value Rust can describe without JS and turn into a JS value when a script needs it
/// (e.g. an HTTP head decoded in Rust). Filters that never call scripts never pay for it.
pub trait Lazy: Any {
    /// Makes the JS value.
    fn make<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>>;
    /// For downcasting to the concrete type.
    fn as_any(&self) -> &dyn Any;
    /// Keep this description once the JS value is made (see [`JsValue::made_from`]): for
    /// small values a reader can compare with the JS value instead of reading it all back.
    fn keep_after_make(&self) -> bool {
        false
    }
}

enum Repr {
    Saved(Persistent<Value<'static>>),
    Lazy(Rc<dyn Lazy>),
    /// A lazy value made in JS, with the Rust description it was made from (so a reader can
    /// check whether a script changed it before reading it back).
    Made(Persistent<Value<'static>>, Rc<dyn Lazy>),
    /// The runtime was shut down while something still held this handle (see
    /// [`release_all`]); it reads as `undefined`.
    Released,
}

thread_local! {
    /// Every handle of this thread that holds a JS value, so that [`release_all`] can let go
    /// of the ones a stopped program left behind (in Rust reference cycles, say) before the
    /// runtime is freed.
    static SAVED: RefCell<Saved> = const { RefCell::new(Saved { list: Vec::new(), sweep_at: 1024 }) };
}

struct Saved {
    list: Vec<std::rc::Weak<RefCell<Repr>>>,
    /// The list is swept of dead handles when it grows to this length, which keeps it at
    /// most about twice the number of live handles.
    sweep_at: usize,
}

fn register(handle: &Rc<RefCell<Repr>>) {
    SAVED.with(|s| {
        let mut s = s.borrow_mut();
        s.list.push(Rc::downgrade(handle));
        if s.list.len() >= s.sweep_at {
            s.list.retain(|w| w.strong_count() > 0);
            s.sweep_at = (s.list.len() * 2).max(1024);
        }
    });
}

/// Drops the JS side of every handle still alive on this thread (they read as `undefined`
/// from then on), so the runtime can be freed. Values freed meanwhile may make new handles;
/// they are released too. Returns how many were released.
pub(crate) fn release_all() -> usize {
    let mut released = 0;
    loop {
        let live: Vec<Rc<RefCell<Repr>>> = SAVED.with(|s| {
            s.borrow_mut()
                .list
                .drain(..)
                .filter_map(|w| w.upgrade())
                .collect()
        });
        if live.is_empty() {
            return released;
        }
        for handle in live {
            let old = std::mem::replace(&mut *handle.borrow_mut(), Repr::Released);
            released += usize::from(matches!(old, Repr::Saved(_) | Repr::Made(..)));
            drop(old);
        }
    }
}

/// A reference-counted handle to a JS value that lives in this worker's runtime.
///
/// Cloning is a reference-count bump on the Rust side. A lazy value is made on first use and
/// kept, so every holder then sees the same JS object (and a script's changes to it). Every
/// `JsValue` must be dropped before the worker's runtime.
#[derive(Clone)]
pub struct JsValue(Rc<RefCell<Repr>>);

/// JS truthiness (`ToBoolean`): false for `false`, `0`, `-0`, `0n`, `NaN`, `''`, `null` and
/// `undefined`, true for anything else. The one definition the filters and script natives use
/// (`algo`, which sits below `script`, has its own copy of this one line).
pub fn truthy(v: &Value<'_>) -> bool {
    v.get::<rquickjs::Coerced<bool>>().is_ok_and(|b| b.0)
}

impl JsValue {
    /// JS truthiness of the value (see [`truthy`]).
    pub fn truthy(&self) -> bool {
        super::js(|ctx| truthy(&self.get(ctx)))
    }

    /// Saves `value` so it can be kept past the current `Ctx` borrow.
    pub fn save<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Self {
        let handle = Rc::new(RefCell::new(Repr::Saved(Persistent::save(ctx, value))));
        register(&handle);
        JsValue(handle)
    }

    /// A value made only when a script needs it.
    pub fn lazy(v: impl Lazy + 'static) -> Self {
        JsValue(Rc::new(RefCell::new(Repr::Lazy(Rc::new(v)))))
    }

    /// The Rust description, while the value has not been made in JS yet.
    pub fn pending<T: 'static>(&self) -> Option<Rc<dyn Lazy>> {
        match &*self.0.borrow() {
            Repr::Lazy(l) if l.as_any().is::<T>() => Some(l.clone()),
            _ => None,
        }
    }

    /// The Rust description a value was made from, once it has been made in JS (a script may
    /// have changed the JS value since: compare before trusting it).
    pub fn made_from<T: 'static>(&self) -> Option<Rc<dyn Lazy>> {
        match &*self.0.borrow() {
            Repr::Made(_, l) if l.as_any().is::<T>() => Some(l.clone()),
            _ => None,
        }
    }

    /// Brings the value into `ctx` (making it first if it is lazy).
    pub fn get<'js>(&self, ctx: &Ctx<'js>) -> Value<'js> {
        let lazy = match &*self.0.borrow() {
            Repr::Saved(p) | Repr::Made(p, _) => {
                // Restoring a Persistent that belongs to this runtime cannot fail.
                return p
                    .clone()
                    .restore(ctx)
                    .unwrap_or_else(|_| Value::new_undefined(ctx.clone()));
            }
            Repr::Lazy(l) => l.clone(),
            Repr::Released => return Value::new_undefined(ctx.clone()),
        };
        let v = lazy
            .make(ctx)
            .unwrap_or_else(|_| Value::new_undefined(ctx.clone()));
        let saved = Persistent::save(ctx, v.clone());
        *self.0.borrow_mut() = if lazy.keep_after_make() {
            Repr::Made(saved, lazy)
        } else {
            Repr::Saved(saved)
        };
        register(&self.0);
        v
    }
}

impl std::fmt::Debug for JsValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsValue")
    }
}
