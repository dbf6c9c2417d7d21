//! Whether a script changed an HTTP head it was given.
//!
//! A decoded head becomes a JS object the first time a script looks at it. A script that only
//! reads it (`msg.head.headers['user-agent']`) leaves the object as it was made; such a head is
//! then written from its Rust form, as if no script had seen it, instead of being read back
//! field by field. The check reads exactly the fields the encoder would read back and compares
//! them with the Rust head without copying strings; anything it does not recognise counts as a
//! change, so the head is read back as before.

use rquickjs::{Atom, Ctx, Object, Value};

use super::decoder::Head;
use super::Role;
use crate::script::atoms::{self, is_str, Name};

/// True when `v`, the JS object made from `h` for `role`, reads back into the head `h` is
/// written as when unchanged: the same start line fields, and the same header names, values,
/// spellings and order.
pub fn unchanged<'js>(ctx: &Ctx<'js>, v: &Value<'js>, h: &Head, role: Role) -> bool {
    check(ctx, v, h, role).unwrap_or(false)
}

fn check<'js>(ctx: &Ctx<'js>, v: &Value<'js>, h: &Head, role: Role) -> rquickjs::Result<bool> {
    let Some(o) = v.as_object() else {
        return Ok(false);
    };
    let get = |name| atoms::get(ctx, o, name);
    if !is_str(ctx, &get(Name::Protocol)?, h.protocol) {
        return Ok(false);
    }
    let start_line_same = match role {
        Role::Request => {
            is_str(ctx, &get(Name::Method)?, &h.method) && is_str(ctx, &get(Name::Path)?, &h.path)
        }
        Role::Response => {
            let status = get(Name::Status)?;
            let code = f64::from(h.status);
            let same_code =
                status.as_int().map(f64::from).or_else(|| status.as_float()) == Some(code);
            // A head read back without a reason (or with a code out of range) gets the
            // standard one: that is not the decoded head's form.
            same_code
                && (100..1000).contains(&h.status)
                && !h.reason.is_empty()
                && is_str(ctx, &get(Name::StatusText)?, &h.reason)
        }
    };
    if !start_line_same {
        return Ok(false);
    }
    let Some(headers) = get(Name::Headers)?.into_object() else {
        return Ok(false);
    };
    let names = get(Name::HeaderNames)?;
    let names: Option<&Object> = names.as_object();
    // The object holds each field but `connection`, once, in order: a repeated name (or a
    // cookie list) is made differently, so it never compares equal.
    let mut fields = h.headers.iter().filter(|f| !f.is("connection"));
    for key in headers.keys::<Atom>() {
        let key = key?;
        let Some(field) = fields.next() else {
            return Ok(false);
        };
        let lower = field.lower_name();
        if lower == "cookie" || lower == "set-cookie" {
            return Ok(false);
        }
        let expected = Atom::from_str(ctx.clone(), &lower)?;
        if key != expected || !is_str(ctx, &headers.get(key)?, field.value()) {
            return Ok(false);
        }
        if !same_spelling(ctx, names, expected, field.name(), &lower)? {
            return Ok(false);
        }
    }
    Ok(fields.next().is_none())
}

/// True when `headerNames` spells the header `lower` as `name` for the encoder (an entry is
/// made only for a name not sent in lower case).
fn same_spelling<'js>(
    ctx: &Ctx<'js>,
    names: Option<&Object<'js>>,
    key: Atom<'js>,
    name: &str,
    lower: &str,
) -> rquickjs::Result<bool> {
    let spelled: Option<Value> = match names {
        Some(n) => Some(n.get(key)?),
        None => None,
    };
    Ok(match spelled {
        Some(s) if !s.is_undefined() => is_str(ctx, &s, name),
        _ => name == lower,
    })
}
