//! A JS value as a Rust map key, compared the way a JS `Map` compares its keys (SameValueZero):
//! primitives by value, objects, functions and symbols by identity.

use rquickjs::Value;

/// The identity of a JS value for map lookups. An object key is its address, which stays
/// valid while the map keeps the key's value alive (every map here does).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Key {
    Undefined,
    Null,
    Bool(bool),
    /// The bits of the number, with -0 folded into 0 and every NaN into one.
    Number(u64),
    String(String),
    BigInt(String),
    Ref(usize),
}

impl Key {
    /// The key of `v`.
    pub(crate) fn of(v: &Value<'_>) -> Key {
        if let Some(s) = v.as_string() {
            return Key::String(s.to_string().unwrap_or_else(|_| lossy(s)));
        }
        if let Some(n) = v.as_number() {
            return Key::number(n);
        }
        if let Some(b) = v.as_bool() {
            return Key::Bool(b);
        }
        if v.is_undefined() {
            return Key::Undefined;
        }
        if v.is_null() {
            return Key::Null;
        }
        if let Some(b) = v.as_big_int() {
            return Key::BigInt(
                b.clone()
                    .to_i64()
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
            );
        }
        // SAFETY: only the pointer of a reference-counted value is read, as an identity.
        let raw = v.as_raw();
        Key::Ref(unsafe { rquickjs::qjs::JS_VALUE_GET_PTR(raw) } as usize)
    }

    /// The key of a number.
    pub(crate) fn number(n: f64) -> Key {
        if n.is_nan() {
            Key::Number(f64::NAN.to_bits())
        } else if n == 0.0 {
            Key::Number(0)
        } else {
            Key::Number(n.to_bits())
        }
    }
}

/// A JS string that is not valid UTF-16 (a lone surrogate), read as well as it can be.
fn lossy(s: &rquickjs::String<'_>) -> String {
    s.as_value()
        .get::<rquickjs::Coerced<String>>()
        .map(|c| c.0)
        .unwrap_or_default()
}
