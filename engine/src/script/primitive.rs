//! JS primitives read into Rust, for the places that turn script values into their own
//! scalar types (codec values, SQL parameters).

use rquickjs::Value;

/// A JS `null`, boolean, number or string. A number that is whole and exactly representable
/// (below 9×10¹⁵ in magnitude) reads as an integer.
pub enum Primitive {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A whole number
    Int(i64),
    /// Any other number
    Float(f64),
    /// A string
    Str(String),
}

impl Primitive {
    /// `v` as a primitive; `None` for `undefined`, objects, functions and symbols.
    pub fn of(v: &Value<'_>) -> Option<Primitive> {
        if v.is_null() {
            return Some(Primitive::Null);
        }
        if let Some(b) = v.as_bool() {
            return Some(Primitive::Bool(b));
        }
        if let Some(n) = v.as_number() {
            return Some(if n.fract() == 0.0 && n.abs() < 9.0e15 {
                Primitive::Int(n as i64)
            } else {
                Primitive::Float(n)
            });
        }
        v.as_string()
            .map(|s| Primitive::Str(s.to_string().unwrap_or_default()))
    }
}
