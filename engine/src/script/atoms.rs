//! Property access for the objects the engine makes on every message (`MessageStart`),
//! without the per-call name lookups and wrapper costs of the general API: their fixed property
//! names are interned once per runtime.

use rquickjs::{qjs, Ctx, Object, Value};

/// A property name the engine sets on every message.
#[derive(Clone, Copy)]
pub enum Name {
    /// `head`
    Head,
}

const TEXT: [&str; 1] = ["head"];

/// The interned names of one runtime. They are never freed one by one: they go with the
/// runtime's atom table.
pub(crate) struct Names([qjs::JSAtom; 1]);

impl Names {
    /// Interns the names in `ctx`'s runtime.
    pub(crate) fn new(ctx: &Ctx<'_>) -> Names {
        let raw = ctx.as_raw().as_ptr();
        // SAFETY: `raw` is a live context; the strings are valid for their lengths.
        Names(TEXT.map(|t| unsafe { qjs::JS_NewAtomLen(raw, t.as_ptr().cast(), t.len() as _) }))
    }
}

fn atom(name: Name) -> qjs::JSAtom {
    super::script().names.0[name as usize]
}

/// `obj[name] = value`.
pub fn set<'js>(
    ctx: &Ctx<'js>,
    obj: &Object<'js>,
    name: Name,
    value: Value<'js>,
) -> rquickjs::Result<()> {
    set_atom(ctx, obj, atom(name), value)
}

fn set_atom<'js>(
    ctx: &Ctx<'js>,
    obj: &Object<'js>,
    a: qjs::JSAtom,
    value: Value<'js>,
) -> rquickjs::Result<()> {
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: JS_SetProperty takes one reference to the value: it is given a new one, and
    // `value` drops its own.
    let r =
        unsafe { qjs::JS_SetProperty(raw, obj.as_raw(), a, qjs::JS_DupValue(raw, value.as_raw())) };
    if r < 0 {
        Err(rquickjs::Error::Exception)
    } else {
        Ok(())
    }
}

/// A new JS string.
pub fn new_string<'js>(ctx: &Ctx<'js>, s: &str) -> rquickjs::Result<Value<'js>> {
    // SAFETY: the string is valid for its length; the new reference goes to the Value.
    let v = unsafe {
        Value::from_raw(
            ctx.clone(),
            qjs::JS_NewStringLen(ctx.as_raw().as_ptr(), s.as_ptr().cast(), s.len() as _),
        )
    };
    if v.is_exception() {
        Err(rquickjs::Error::Exception)
    } else {
        Ok(v)
    }
}
