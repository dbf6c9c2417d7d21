//! Decoded HTTP heads as scripts see them: objects backed by the Rust head, which make a JS
//! value only for the field a script reads.
//!
//! A head (`{method, path, protocol, headers, headerNames}` for a request, `{protocol, status,
//! statusText, headers, headerNames}` for a response), its `headers` and its `headerNames` are
//! each a [`HeadView`]. A script sees plain objects: it reads, assigns, adds, deletes,
//! enumerates, copies and serialises their fields as it would on plain ones, in the same order
//! and with the same values that were set field by field before (`connection` left out, `cookie`
//! and `set-cookie` as arrays, a repeated name as its last value, `headerNames` only when a name
//! was not sent in lower case). Until a script enumerates or changes a view, a read answers
//! straight from the Rust head; then the view becomes a list of JS values, and a change is
//! remembered, so a head no script changed is written from its Rust form without being read
//! back ([`HeadView::untouched`]).
//!
//! Keys that are not fields (`hasOwnProperty`, `toString`, symbols) are looked up on
//! `Object.prototype`, as on a plain object. Unlike on a plain object, a field added with
//! `Object.defineProperty` is kept apart from the others (it reads, but is listed first).

mod fields;

use std::rc::Rc;

use rquickjs::class::{ClassKind, JsCell, JsClass, PropertyDescriptor, PropertyName, Trace};
use rquickjs::class::{Tracer, Writable};
use rquickjs::{qjs, Atom, Class, Constructor, Ctx, JsLifetime, Object, Value};

use super::decoder::Head;
use super::Role;

/// Which object of a head a [`HeadView`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The head itself.
    Head(Role),
    /// `headers`: lower-case name → value.
    Values,
    /// `headerNames`: lower-case name → the spelling sent, for names not sent in lower case.
    Names,
}

/// A head, its `headers` or its `headerNames`, as a script sees it.
pub struct HeadView<'js> {
    head: Rc<Head>,
    view: View,
    /// A head's `headers` and `headerNames`, made when first read (the same objects after).
    children: [Option<Value<'js>>; 2],
    /// Made on the first enumeration or change: every field in order.
    made: Option<Vec<(String, Value<'js>)>>,
    /// Headers a script added (string values under names the head does not have), kept apart
    /// while the view is not made, so that the head goes out from its Rust form plus these
    /// ([`HeadView::added_headers`]); they join `made` (as a change) when it is made.
    added: Vec<(String, Value<'js>)>,
    /// A script assigned or deleted a field.
    changed: bool,
}

// SAFETY: the type's only lifetime is 'js, and `Changed` swaps exactly that.
unsafe impl<'js> JsLifetime<'js> for HeadView<'js> {
    type Changed<'to> = HeadView<'to>;
}

impl<'js> Trace<'js> for HeadView<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        for v in self.children.iter().flatten() {
            tracer.mark(v);
        }
        for (_, v) in self.made.iter().flatten().chain(&self.added) {
            tracer.mark(v);
        }
    }
}

impl<'js> HeadView<'js> {
    /// The JS object for a decoded head of `role`.
    pub fn head(ctx: &Ctx<'js>, head: Rc<Head>, role: Role) -> rquickjs::Result<Value<'js>> {
        Self::instance(ctx, head, View::Head(role))
    }

    fn instance(ctx: &Ctx<'js>, head: Rc<Head>, view: View) -> rquickjs::Result<Value<'js>> {
        let me = HeadView {
            head,
            view,
            children: [None, None],
            made: None,
            added: Vec::new(),
            changed: false,
        };
        Class::instance(ctx.clone(), me).map(Class::into_value)
    }

    /// True when `v` is the object made from `head` for `role` and a script changed nothing
    /// in it, in its `headers` or in its `headerNames`; once a script has seen the header
    /// objects, they must also hold the fields one for one (see [`fields::one_for_one`]).
    pub fn untouched(v: &Value<'js>, head: &Head, role: Role) -> bool {
        let pristine = |v: &Value<'js>, view: View, then: &dyn Fn(&HeadView<'js>) -> bool| {
            let Some(me) = v.as_object().and_then(Class::<HeadView>::from_object) else {
                return false;
            };
            let me = me.borrow();
            me.pristine(view, head) && then(&me)
        };
        pristine(v, View::Head(role), &|me| {
            let views = [View::Values, View::Names];
            let made = me
                .children
                .iter()
                .zip(views)
                .filter_map(|(c, w)| Some((c.as_ref()?, w)));
            let mut any = false;
            let all = made.into_iter().all(|(c, w)| {
                any = true;
                pristine(c, w, &|_| true)
            });
            all && (!any || fields::one_for_one(head))
        })
    }

    /// The headers a script added to `v`, the object made from `head` for `role`, when that is
    /// all it changed: the head then goes out from its Rust form with these after its fields.
    /// `None` when it changed something else too, or nothing (see [`HeadView::untouched`]).
    pub fn added_headers(v: &Value<'js>, head: &Head, role: Role) -> Option<Vec<(String, String)>> {
        let view_of = |v: &Value<'js>| v.as_object().and_then(Class::<HeadView>::from_object);
        let me = view_of(v)?;
        let me = me.borrow();
        if !me.pristine(View::Head(role), head) || !fields::one_for_one(head) {
            return None;
        }
        if let Some(names) = &me.children[1] {
            if !view_of(names)?.borrow().pristine(View::Names, head) {
                return None;
            }
        }
        let values = view_of(me.children[0].as_ref()?)?;
        let values = values.borrow();
        let only_added = !values.changed
            && values.made.is_none()
            && values.view == View::Values
            && std::ptr::eq(&*values.head, head);
        if !only_added || values.added.is_empty() {
            return None;
        }
        let text = |v: &Value<'js>| v.as_string().and_then(|s| s.to_string().ok());
        values
            .added
            .iter()
            .map(|(k, v)| Some((k.clone(), text(v)?)))
            .collect()
    }

    /// True when this is the `view` of `head` and a script neither changed nor added a field.
    fn pristine(&self, view: View, head: &Head) -> bool {
        !self.changed
            && self.added.is_empty()
            && self.view == view
            && std::ptr::eq(&*self.head, head)
    }

    /// The field `key`'s value, or `None` when the object has no such field.
    fn field(&mut self, ctx: &Ctx<'js>, key: &str) -> rquickjs::Result<Option<Value<'js>>> {
        match &self.made {
            None => match self.read(ctx, key)? {
                Some(v) => Ok(Some(v)),
                None => Ok(self
                    .added
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())),
            },
            Some(made) => Ok(made.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())),
        }
    }

    /// Keeps `value` as an added header `key` when the view can hold it apart (see `added`):
    /// `headers` not yet made, a string, a name the head does not have in any case, and neither
    /// a cookie list nor a field the encoder writes itself. False otherwise.
    fn add(&mut self, key: &str, value: &Value<'js>) -> bool {
        if self.view != View::Values || self.made.is_some() || self.changed || !value.is_string() {
            return false;
        }
        const SPECIAL: [&str; 6] = [
            "cookie",
            "set-cookie",
            "connection",
            "keep-alive",
            "content-length",
            "transfer-encoding",
        ];
        let special = SPECIAL.iter().any(|n| n.eq_ignore_ascii_case(key));
        if special
            || self
                .head
                .headers
                .iter()
                .any(|f| f.name().eq_ignore_ascii_case(key))
        {
            return false;
        }
        match self.added.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value.clone(),
            None => self.added.push((key.to_string(), value.clone())),
        }
        true
    }
}

/// The text of a property key, lent by the script runtime for as long as this lives.
struct Key {
    ctx: *mut qjs::JSContext,
    text: *const std::ffi::c_char,
    len: usize,
}

impl Key {
    /// The key `atom` names; `None` for a symbol, which is never a field.
    fn of(ctx: &Ctx<'_>, atom: &Atom<'_>) -> rquickjs::Result<Option<Key>> {
        let name = atom.to_value()?;
        if name.is_symbol() {
            return Ok(None);
        }
        let raw = ctx.as_raw().as_ptr();
        let mut len = 0;
        // SAFETY: `name` is a live value of this context; the text is freed on drop.
        let text = unsafe { qjs::JS_ToCStringLen(raw, &mut len, name.as_raw()) };
        if text.is_null() {
            return Err(rquickjs::Error::Exception);
        }
        Ok(Some(Key {
            ctx: raw,
            text,
            len,
        }))
    }

    fn as_str(&self) -> &str {
        // SAFETY: QuickJS lends `len` bytes of UTF-8 (CESU-8 for lone surrogates, which no
        // field name has: such a key is then only never found).
        let bytes = unsafe { std::slice::from_raw_parts(self.text.cast::<u8>(), self.len) };
        std::str::from_utf8(bytes).unwrap_or("\u{fffd}")
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the text was lent by this context and is given back once.
        unsafe { qjs::JS_FreeCString(self.ctx, self.text) };
    }
}

/// Makes the view's fields and lets `change` edit them under the key `atom` names; the view
/// counts as changed when `change` says it changed something. False for a symbol key, which
/// is never a field.
fn edit<'js>(
    this: &JsCell<'js, HeadView<'js>>,
    ctx: &Ctx<'js>,
    atom: &Atom<'js>,
    change: impl FnOnce(&mut Vec<(String, Value<'js>)>, &str) -> bool,
) -> rquickjs::Result<bool> {
    let Some(key) = Key::of(ctx, atom)? else {
        return Ok(false);
    };
    let mut me = this.borrow_mut();
    if change(me.make(ctx)?, key.as_str()) {
        me.changed = true;
    }
    Ok(true)
}

/// `Object.prototype`, where a key that is not a field is looked up.
fn object_prototype<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    ctx.globals().get::<_, Object>("Object")?.get("prototype")
}

impl<'js> JsClass<'js> for HeadView<'js> {
    const NAME: &'static str = "Object";
    const KIND: ClassKind = ClassKind::Exotic;
    type Mutable = Writable;

    fn prototype(ctx: &Ctx<'js>) -> rquickjs::Result<Option<Object<'js>>> {
        object_prototype(ctx).map(Some)
    }

    fn constructor(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Constructor<'js>>> {
        Ok(None)
    }

    fn exotic_get_property(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
        atom: Atom<'js>,
        receiver: Value<'js>,
    ) -> rquickjs::Result<Value<'js>> {
        if let Some(key) = Key::of(ctx, &atom)? {
            if let Some(v) = this.borrow_mut().field(ctx, key.as_str())? {
                return Ok(v);
            }
        }
        match receiver.as_object().and_then(Object::get_prototype) {
            Some(proto) => proto.get(atom),
            None => Ok(Value::new_undefined(ctx.clone())),
        }
    }

    fn exotic_set_property(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
        atom: Atom<'js>,
        _receiver: Value<'js>,
        value: Value<'js>,
    ) -> rquickjs::Result<bool> {
        // rquickjs 0.14 hands the value over as owned, but QuickJS lends it (the caller frees
        // its reference after the call): keep a reference of our own, and let the lent one go
        // without releasing it a second time. The handle let go also held a reference to the
        // context, which is released here.
        let value = {
            let own = value.clone();
            std::mem::forget(value);
            // SAFETY: gives back exactly the context reference the forgotten handle held.
            unsafe { qjs::JS_FreeContext(ctx.as_raw().as_ptr()) };
            own
        };
        if let Some(key) = Key::of(ctx, &atom)? {
            if this.borrow_mut().add(key.as_str(), &value) {
                return Ok(true);
            }
        }
        edit(this, ctx, &atom, |made, key| {
            match made.iter_mut().find(|(k, _)| k == key) {
                Some(field) => field.1 = value,
                None => made.push((key.to_string(), value)),
            }
            true
        })
    }

    fn exotic_delete_property(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
        atom: Atom<'js>,
    ) -> rquickjs::Result<bool> {
        edit(this, ctx, &atom, |made, key| {
            let at = made.iter().position(|(k, _)| k == key);
            at.map(|i| made.remove(i)).is_some()
        })?;
        Ok(true)
    }

    fn exotic_has_property(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
        atom: Atom<'js>,
    ) -> rquickjs::Result<bool> {
        if let Some(key) = Key::of(ctx, &atom)? {
            if this.borrow_mut().field(ctx, key.as_str())?.is_some() {
                return Ok(true);
            }
        }
        object_prototype(ctx)?.contains_key(atom)
    }

    fn exotic_get_own_property(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
        atom: Atom<'js>,
    ) -> rquickjs::Result<Option<PropertyDescriptor<'js>>> {
        let Some(key) = Key::of(ctx, &atom)? else {
            return Ok(None);
        };
        let v = this.borrow_mut().field(ctx, key.as_str())?;
        Ok(v.map(|v| PropertyDescriptor::new_value(v, true, true, true)))
    }

    fn exotic_get_own_property_names(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
    ) -> rquickjs::Result<Vec<PropertyName<'js>>> {
        let mut me = this.borrow_mut();
        let made = me.make(ctx)?;
        let mut names = Vec::with_capacity(made.len());
        for (k, _) in made.iter() {
            names.push(PropertyName {
                atom: Atom::from_str(ctx.clone(), k)?,
                is_enumerable: true,
            });
        }
        Ok(names)
    }
}
