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

mod balancer;
mod cache;
mod key;
mod load_balancer;
mod quota;
mod url_router;

pub use quota::Quota;

use rquickjs::class::JsClass;
use rquickjs::function::IntoJsFunc;
use rquickjs::{Class, Ctx, Function, Object};

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
