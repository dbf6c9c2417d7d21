//! What each view of a head holds: its fields as read straight from the Rust head, and all of
//! them made into JS values in the order a plain object would hold them.

use rquickjs::{Array, Ctx, Value};

use super::{HeadView, View};
use crate::http::decoder::Head;
use crate::http::header::Header;
use crate::http::Role;
use crate::script::atoms;

/// The fields a script sees (`connection` is not one).
pub(super) fn seen(head: &Head) -> impl Iterator<Item = &Header> {
    head.headers.iter().filter(|f| !f.is("connection"))
}

/// A cookie header, whose values make an array.
fn is_list(lower: &str) -> bool {
    lower == "cookie" || lower == "set-cookie"
}

/// True when `key` is the lower-case name of `f`.
fn named(f: &Header, key: &str) -> bool {
    f.is(key) && !key.bytes().any(|b| b.is_ascii_uppercase())
}

/// True when a field name was not sent in lower case (the head then has `headerNames`).
pub(super) fn spelled(head: &Head) -> bool {
    seen(head).any(|f| f.name().bytes().any(|b| b.is_ascii_uppercase()))
}

/// True when the header objects hold the fields one for one: no repeated name and no cookie
/// list, which they hold differently from the head.
pub(super) fn one_for_one(head: &Head) -> bool {
    let fields = &head.headers;
    fields.iter().enumerate().all(|(i, f)| {
        f.is("connection")
            || (!f.is("cookie")
                && !f.is("set-cookie")
                && !fields[..i]
                    .iter()
                    .any(|g| g.name().eq_ignore_ascii_case(f.name())))
    })
}

/// The keys of a head object, in order.
fn head_keys(role: Role) -> [&'static str; 5] {
    match role {
        Role::Request => ["method", "path", "protocol", "headers", "headerNames"],
        Role::Response => ["protocol", "status", "statusText", "headers", "headerNames"],
    }
}

impl<'js> HeadView<'js> {
    /// The field `key` read from the Rust head, before the object is made: its JS value, or
    /// `None` when the object has no such field.
    pub(super) fn read(
        &mut self,
        ctx: &Ctx<'js>,
        key: &str,
    ) -> rquickjs::Result<Option<Value<'js>>> {
        let text = match self.view {
            View::Head(role) => return self.read_head(ctx, role, key),
            View::Values if is_list(key) => {
                let made = self.make(ctx)?;
                return Ok(made.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
            }
            View::Values => match seen(&self.head).filter(|f| named(f, key)).last() {
                Some(f) => f.value(),
                None => return Ok(None),
            },
            // The last spelling that is not lower case (each one was set over the last).
            View::Names => {
                let spelling = seen(&self.head)
                    .filter(|f| named(f, key) && f.name() != key)
                    .last();
                match spelling {
                    Some(f) => f.name(),
                    None => return Ok(None),
                }
            }
        };
        atoms::new_string(ctx, text).map(Some)
    }

    fn read_head(
        &mut self,
        ctx: &Ctx<'js>,
        role: Role,
        key: &str,
    ) -> rquickjs::Result<Option<Value<'js>>> {
        let h = &self.head;
        let text = match (role, key) {
            (_, "headers") => return self.child(ctx, View::Values).map(Some),
            (_, "headerNames") if spelled(h) => return self.child(ctx, View::Names).map(Some),
            (_, "protocol") => h.protocol,
            (Role::Request, "method") => &h.method,
            (Role::Request, "path") => &h.path,
            (Role::Response, "status") => {
                return Ok(Some(Value::new_int(ctx.clone(), h.status.into())))
            }
            (Role::Response, "statusText") => &h.reason,
            _ => return Ok(None),
        };
        atoms::new_string(ctx, text).map(Some)
    }

    /// The `headers` or `headerNames` object of a head view: made on first use, the same
    /// object after.
    fn child(&mut self, ctx: &Ctx<'js>, view: View) -> rquickjs::Result<Value<'js>> {
        let slot = usize::from(view == View::Names);
        if let Some(v) = &self.children[slot] {
            return Ok(v.clone());
        }
        let v = HeadView::instance(ctx, self.head.clone(), view)?;
        self.children[slot] = Some(v.clone());
        Ok(v)
    }

    /// Makes every field into a JS value, in the order a plain object would hold them.
    pub(super) fn make(
        &mut self,
        ctx: &Ctx<'js>,
    ) -> rquickjs::Result<&mut Vec<(String, Value<'js>)>> {
        if self.made.is_none() {
            let made = match self.view {
                View::Head(role) => {
                    let mut made = Vec::with_capacity(5);
                    for key in head_keys(role) {
                        if let Some(v) = self.read_head(ctx, role, key)? {
                            made.push((key.to_string(), v));
                        }
                    }
                    made
                }
                view => make_fields(ctx, &self.head, view)?,
            };
            self.made = Some(made);
            // Headers added while the view was not made come after the head's, as they would
            // on a plain object, and from now on count as a change.
            if !self.added.is_empty() {
                let added = std::mem::take(&mut self.added);
                self.made.as_mut().expect("made above").extend(added);
                self.changed = true;
            }
        }
        Ok(self.made.as_mut().expect("made above"))
    }
}

/// The fields of `headers` or `headerNames` as set one by one on a plain object: a repeated
/// name keeps its first place and its last value, cookies make an array.
fn make_fields<'js>(
    ctx: &Ctx<'js>,
    head: &Head,
    view: View,
) -> rquickjs::Result<Vec<(String, Value<'js>)>> {
    let mut made: Vec<(String, Value<'js>)> = Vec::new();
    for f in seen(head) {
        let lower = f.lower_name();
        let at = made.iter().position(|(k, _)| *k == lower);
        let v = match view {
            View::Names if f.name() == lower => continue,
            View::Names => atoms::new_string(ctx, f.name())?,
            View::Values if is_list(&lower) => {
                let list = match at {
                    Some(i) => made[i].1.clone(),
                    None => Array::new(ctx.clone())?.into_value(),
                };
                if let Some(a) = list.as_array() {
                    a.set(a.len(), f.value())?;
                }
                list
            }
            _ => atoms::new_string(ctx, f.value())?,
        };
        match at {
            Some(i) => made[i].1 = v,
            None => made.push((lower.into_owned(), v)),
        }
    }
    Ok(made)
}
