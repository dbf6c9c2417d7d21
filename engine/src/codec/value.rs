//! A protocol value: the tree of heads and payloads the codecs decode to and encode from,
//! described in Rust so the wire code never touches the script engine. [`super::js`] turns it
//! into a JS value (only when a script looks) and back.

use bytes::Bytes;

/// A value as scripts see it, minus functions and classes.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `undefined`.
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// A string.
    Str(String),
    /// A `Data` object.
    Bytes(Bytes),
    /// An `Error` object with its message.
    Error(String),
    /// An array.
    Array(Vec<Value>),
    /// A plain object, its keys in insertion order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// An empty object.
    pub fn object() -> Value {
        Value::Object(Vec::new())
    }

    /// Adds (or replaces) a key of an object; does nothing on other values.
    pub fn set(&mut self, key: &str, v: Value) {
        if let Value::Object(fields) = self {
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = v,
                None => fields.push((key.to_string(), v)),
            }
        }
    }

    /// Builder form of [`Value::set`].
    pub fn with(mut self, key: &str, v: impl Into<Value>) -> Value {
        self.set(key, v.into());
        self
    }

    /// A key of an object, when present and neither `undefined` nor `null`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .filter(|v| !v.is_nullish()),
            _ => None,
        }
    }

    /// True for `undefined` and `null`.
    pub fn is_nullish(&self) -> bool {
        matches!(self, Value::Undefined | Value::Null)
    }

    /// The value as a number, the way JS's `Number()` reads the simple cases.
    pub fn to_f64(&self) -> f64 {
        match self {
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Int(n) => *n as f64,
            Value::Float(f) => *f,
            Value::Str(s) => s.trim().parse().unwrap_or(f64::NAN),
            Value::Null => 0.0,
            _ => f64::NAN,
        }
    }

    /// The value as a whole number (truncated; `NaN` is 0).
    pub fn to_i64(&self) -> i64 {
        match self {
            Value::Int(n) => *n,
            other => {
                let f = other.to_f64();
                if f.is_finite() {
                    f as i64
                } else {
                    0
                }
            }
        }
    }

    /// The value's truth, as JS's `Boolean()`.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::Float(f) => *f != 0.0 && !f.is_nan(),
            Value::Str(s) => !s.is_empty(),
            _ => true,
        }
    }

    /// The value as text, as JS's `String()` for the simple cases.
    pub fn to_text(&self) -> String {
        match self {
            Value::Undefined => "undefined".into(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => s.clone(),
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Value::Error(m) => format!("Error: {m}"),
            Value::Array(a) => a
                .iter()
                .map(|v| {
                    if v.is_nullish() {
                        String::new()
                    } else {
                        v.to_text()
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
            Value::Object(_) => "[object Object]".into(),
        }
    }

    /// The bytes of a `Data`, or of a string in UTF-8.
    pub fn to_bytes(&self) -> Option<Bytes> {
        match self {
            Value::Bytes(b) => Some(b.clone()),
            Value::Str(s) => Some(Bytes::copy_from_slice(s.as_bytes())),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Int(i64::from(n))
    }
}

impl From<u16> for Value {
    fn from(n: u16) -> Value {
        Value::Int(i64::from(n))
    }
}

impl From<u8> for Value {
    fn from(n: u8) -> Value {
        Value::Int(i64::from(n))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<Bytes> for Value {
    fn from(b: Bytes) -> Value {
        Value::Bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_insertion_order_and_replace_in_place() {
        let mut o = Value::object().with("b", 1i64).with("a", "x");
        o.set("b", Value::Int(2));
        assert_eq!(
            o,
            Value::Object(vec![
                ("b".into(), Value::Int(2)),
                ("a".into(), Value::Str("x".into()))
            ])
        );
        assert_eq!(o.get("a"), Some(&Value::Str("x".into())));
        assert_eq!(o.with("n", Value::Null).get("n"), None);
    }

    #[test]
    fn conversions_follow_js() {
        assert_eq!(Value::Str(" 12 ".into()).to_i64(), 12);
        assert_eq!(Value::Float(2.9).to_i64(), 2);
        assert!(!Value::Str(String::new()).truthy());
        assert_eq!(
            Value::Array(vec![Value::Int(1), Value::Null]).to_text(),
            "1,"
        );
    }
}
