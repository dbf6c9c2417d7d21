//! Property access for the objects the engine makes and reads on every message (heads and
//! `MessageStart`), without the per-call name lookups and wrapper costs of the general API:
//! their fixed property names are interned once per runtime.

use rquickjs::{qjs, Ctx, Object, Value};

/// A property name the engine sets or reads on every message.
#[derive(Clone, Copy)]
pub enum Name {
    /// `method`
    Method,
    /// `path`
    Path,
    /// `protocol`
    Protocol,
    /// `status`
    Status,
    /// `statusText`
    StatusText,
    /// `headers`
    Headers,
    /// `headerNames`
    HeaderNames,
    /// `head`
    Head,
}

const TEXT: [&str; 8] = [
    "method",
    "path",
    "protocol",
    "status",
    "statusText",
    "headers",
    "headerNames",
    "head",
];

/// The interned names of one runtime. They are never freed one by one: they go with the
/// runtime's atom table.
pub(crate) struct Names([qjs::JSAtom; 8]);

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

/// `obj[name] = value` for a string `value`.
pub fn set_str<'js>(
    ctx: &Ctx<'js>,
    obj: &Object<'js>,
    name: Name,
    value: &str,
) -> rquickjs::Result<()> {
    set_atom(ctx, obj, atom(name), new_string(ctx, value)?)
}

/// `obj[key] = value` for a string key and value (a header).
pub fn set_field<'js>(
    ctx: &Ctx<'js>,
    obj: &Object<'js>,
    key: &str,
    value: &str,
) -> rquickjs::Result<()> {
    let raw = ctx.as_raw().as_ptr();
    let v = new_string(ctx, value)?;
    // SAFETY: `raw` is the live context of `ctx`; the key is valid for its length. The atom
    // is freed after use.
    unsafe {
        let a = qjs::JS_NewAtomLen(raw, key.as_ptr().cast(), key.len() as _);
        if a == 0 {
            return Err(rquickjs::Error::Exception);
        }
        let r = set_atom(ctx, obj, a, v);
        qjs::JS_FreeAtom(raw, a);
        r
    }
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

/// `obj[name]`.
pub fn get<'js>(ctx: &Ctx<'js>, obj: &Object<'js>, name: Name) -> rquickjs::Result<Value<'js>> {
    // SAFETY: JS_GetProperty returns a new reference, which the Value takes over.
    let v = unsafe {
        Value::from_raw(
            ctx.clone(),
            qjs::JS_GetProperty(ctx.as_raw().as_ptr(), obj.as_raw(), atom(name)),
        )
    };
    if v.is_exception() {
        Err(rquickjs::Error::Exception)
    } else {
        Ok(v)
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

/// True when `v` is a string equal to `s` (compared in place, not copied).
pub fn is_str(ctx: &Ctx<'_>, v: &Value<'_>, s: &str) -> bool {
    if !v.is_string() {
        return false;
    }
    let raw = ctx.as_raw().as_ptr();
    let mut len = 0;
    // SAFETY: `v` is a live string of this context; the C string is freed before returning.
    unsafe {
        let p = qjs::JS_ToCStringLen(raw, &mut len, v.as_raw());
        if p.is_null() {
            return false;
        }
        let same = std::slice::from_raw_parts(p.cast::<u8>(), len) == s.as_bytes();
        qjs::JS_FreeCString(raw, p);
        same
    }
}
