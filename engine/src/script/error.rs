//! Script errors with their source location.

use std::fmt;

use rquickjs::{Ctx, Object, Value};

/// An error thrown by a script (or by the engine on a script's behalf), with the place in
/// the codebase it came from when known.
#[derive(Clone, Debug)]
pub struct ScriptError {
    /// Error class name, e.g. `SyntaxError`, `TypeError`, `Error`.
    pub name: String,
    /// The message, without the class name.
    pub message: String,
    /// `file:line:col`, when the script engine reported one.
    pub location: Option<String>,
}

impl ScriptError {
    /// An engine-made error with no location.
    pub fn plain(message: impl Into<String>) -> Self {
        ScriptError {
            name: "Error".into(),
            message: message.into(),
            location: None,
        }
    }

    /// Takes the pending exception (or the given Rust-side error) out of `ctx`.
    pub fn from_js(ctx: &Ctx<'_>, err: rquickjs::Error) -> Self {
        if !matches!(err, rquickjs::Error::Exception) {
            return ScriptError::plain(err.to_string());
        }
        let v = ctx.catch();
        Self::from_value(&v)
    }

    /// Describes a thrown value.
    pub fn from_value(v: &Value<'_>) -> Self {
        let Some(obj) = v.as_object() else {
            return ScriptError::plain(display_value(v));
        };
        let name: Option<String> = obj.get("name").ok();
        let message: Option<String> = obj.get("message").ok();
        let stack: Option<String> = obj.get("stack").ok();
        let location = stack.as_deref().and_then(first_location);
        ScriptError {
            name: name.unwrap_or_else(|| "Error".into()),
            message: message.unwrap_or_else(|| display_value(v)),
            location,
        }
    }

    /// Shifts the column of line 1 by `prefix` characters (module wrappers add a prefix).
    pub fn unshift_column(mut self, file: &str, prefix: usize) -> Self {
        if let Some(loc) = &self.location {
            let mut parts = loc.rsplitn(3, ':');
            let (col, line, f) = (parts.next(), parts.next(), parts.next());
            if let (Some(col), Some("1"), Some(f)) = (col, line, f) {
                if f == file {
                    if let Ok(c) = col.parse::<usize>() {
                        self.location = Some(format!("{f}:1:{}", c.saturating_sub(prefix).max(1)));
                    }
                }
            }
        }
        self
    }
}

/// Finds the first `file:line:col` in a QuickJS stack that is not engine prelude code.
fn first_location(stack: &str) -> Option<String> {
    for line in stack.lines() {
        let line = line.trim();
        let inner = match (line.rfind('('), line.ends_with(')')) {
            (Some(p), true) => &line[p + 1..line.len() - 1],
            _ => line.strip_prefix("at ").unwrap_or(line),
        };
        if inner.starts_with("<sluice:") || inner.starts_with("native") {
            continue;
        }
        let mut parts = inner.rsplitn(3, ':');
        let (col, row) = (parts.next(), parts.next());
        if let (Some(c), Some(r), Some(_)) = (col, row, parts.next()) {
            if c.parse::<u32>().is_ok() && r.parse::<u32>().is_ok() {
                return Some(inner.to_string());
            }
        }
    }
    None
}

fn display_value(v: &Value<'_>) -> String {
    if let Some(s) = v.as_string() {
        return s.to_string().unwrap_or_default();
    }
    if let Some(o) = v.as_object() {
        if let Ok(f) = o.get::<_, rquickjs::Function>("toString") {
            if let Ok(s) = f.call::<_, String>((rquickjs::function::This(o.clone()),)) {
                return s;
            }
        }
        let _: &Object = o;
    }
    if let Some(n) = v.as_number() {
        return n.to_string();
    }
    if let Some(b) = v.as_bool() {
        return b.to_string();
    }
    if v.is_undefined() {
        return "undefined".into();
    }
    "null".into()
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "{loc}: {}: {}", self.name, self.message),
            None => write!(f, "{}: {}", self.name, self.message),
        }
    }
}

impl std::error::Error for ScriptError {}
