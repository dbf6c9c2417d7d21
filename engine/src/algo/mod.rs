//! The `algo` toolkit's routing, balancing and caching classes, native: every request that
//! routes or picks a target runs Rust instead of interpreted JavaScript.
//!
//! Each class is an rquickjs class whose JS values (router values, cached entries, balancer
//! ids) live inside the class instance and are reported to the QuickJS collector through
//! [`Trace`], so they are freed with the instance (or with the runtime on a reload) like any
//! object property, and cycles through them are collected. No `Persistent` handle is kept.
//!
//! The remaining members of `algo` (ResourcePool, Percentile, SharedMap) are JavaScript in the
//! prelude: none of them is on a request's path.

/// Declares the [`JsClass`] impl of an algo class: its JS name (`Type<'js> = "Name"`), how
/// `new` makes one, and what its prototype holds.
/// - `construct: f,` makes `new` call `f` (any rquickjs function making an instance);
///   `constructor: |ctx| expr,` gives the constructor itself; with neither, scripts cannot
///   construct the class (they get instances from other methods).
/// - `prototype: |proto| { ... }` adds the methods and getters to the prototype object `proto`.
macro_rules! native_class {
    ($ty:ty = $name:literal, construct: $f:expr, prototype: |$proto:ident| $body:block) => {
        native_class! {
            $ty = $name,
            constructor: |ctx| rquickjs::Constructor::new_class::<Self, _, _>(ctx.clone(), $f)
                .map(Some),
            prototype: |$proto| $body
        }
    };
    ($ty:ty = $name:literal, prototype: |$proto:ident| $body:block) => {
        native_class! { $ty = $name, constructor: |_ctx| Ok(None), prototype: |$proto| $body }
    };
    (
        $ty:ty = $name:literal,
        constructor: |$ctx:ident| $ctor:expr,
        prototype: |$proto:ident| $body:block
    ) => {
        impl<'js> rquickjs::class::JsClass<'js> for $ty {
            const NAME: &'static str = $name;
            type Mutable = rquickjs::class::Writable;

            fn prototype(
                ctx: &rquickjs::Ctx<'js>,
            ) -> rquickjs::Result<Option<rquickjs::Object<'js>>> {
                let $proto = rquickjs::Object::new(ctx.clone())?;
                $body
                Ok(Some($proto))
            }

            fn constructor(
                $ctx: &rquickjs::Ctx<'js>,
            ) -> rquickjs::Result<Option<rquickjs::Constructor<'js>>> {
                $ctor
            }
        }
    };
}

mod balancer;
mod cache;
mod key;
mod load_balancer;
mod quota;
mod url_router;

pub use quota::Quota;

use rquickjs::class::JsClass;
use rquickjs::function::{IntoJsFunc, Opt, This};
use rquickjs::object::Accessor;
use rquickjs::{Class, Ctx, Function, IntoJs, Object, Value};

/// Puts the native classes on the global `algo` object (made by the prelude).
pub fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let algo: Object = ctx.globals().get("algo")?;
    Class::<url_router::UrlRouter>::define(&algo)?;
    Class::<cache::Cache>::define(&algo)?;
    Class::<quota::Quota>::define(&algo)?;
    Class::<load_balancer::LoadBalancer>::define(&algo)?;
    balancer::install(ctx, &algo)?;
    Ok(())
}

/// JS truthiness (`ToBoolean`), as `crate::script::truthy` has it for the layers above
/// (`algo` sits below `script`, so it keeps this one line of its own).
fn truthy(v: &rquickjs::Value<'_>) -> bool {
    v.get::<rquickjs::Coerced<bool>>().is_ok_and(|b| b.0)
}

/// Adds a method named `name` to a class prototype.
fn method<'js, F, P>(proto: &Object<'js>, name: &str, f: F) -> rquickjs::Result<()>
where
    F: IntoJsFunc<'js, P> + 'js,
{
    proto.set(
        name,
        Function::new(proto.ctx().clone(), f)?.with_name(name)?,
    )
}

/// The first three arguments of a call to a method, a missing one as undefined.
type Args<'js> = [Value<'js>; 3];

/// Adds a method named `name` to the prototype of class `C`: `f` gets the instance the method
/// was called on (a TypeError when `this` is not one) and the first three arguments.
fn method_of<'js, C, R, F>(proto: &Object<'js>, name: &str, f: F) -> rquickjs::Result<()>
where
    C: JsClass<'js> + 'js,
    R: IntoJs<'js> + 'js,
    F: Fn(&Ctx<'js>, &Class<'js, C>, Args<'js>) -> rquickjs::Result<R> + 'js,
{
    method(
        proto,
        name,
        move |ctx: Ctx<'js>,
              this: This<Value<'js>>,
              a: Opt<Value<'js>>,
              b: Opt<Value<'js>>,
              c: Opt<Value<'js>>| {
            let me = this_of::<C>(&ctx, &this.0)?;
            let given =
                |v: Opt<Value<'js>>| v.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
            f(&ctx, &me, [given(a), given(b), given(c)])
        },
    )
}

/// Adds a read-only property named `name`, which `read` computes, to the prototype of class `C`.
fn getter_of<'js, C, R, F>(proto: &Object<'js>, name: &str, read: F) -> rquickjs::Result<()>
where
    C: JsClass<'js> + 'js,
    R: IntoJs<'js> + 'js,
    F: Fn(&Class<'js, C>) -> R + 'js,
{
    let get = move |ctx: Ctx<'js>, this: This<Value<'js>>| {
        this_of::<C>(&ctx, &this.0).map(|me| read(&me))
    };
    proto.prop(name, Accessor::from(get))
}

/// The class instance `this` when a method runs on one; a TypeError otherwise (a method
/// taken off its object and called on something else).
fn this_of<'js, C: JsClass<'js>>(
    ctx: &Ctx<'js>,
    this: &rquickjs::Value<'js>,
) -> rquickjs::Result<Class<'js, C>> {
    this.as_object()
        .and_then(Class::<C>::from_object)
        .ok_or_else(|| {
            rquickjs::Exception::throw_type(ctx, &format!("not an algo.{} object", C::NAME))
        })
}
