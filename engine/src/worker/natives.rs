//! The natives scripts reach above the script layer: pipelines started from scripts, exit and
//! reload, the command line's arguments, the instance and thread, the filter kinds the
//! configuration API builds methods for, the open connections and the codec globals. The
//! script runtime calls [`install`] while it builds `__native` (see `Script::install`), so the
//! script layer itself never reaches up into the worker.

use rquickjs::function::Func;
use rquickjs::{Array, Ctx, Object};

/// Adds the worker's natives to `n` (`__native`, its leaf natives already set).
pub fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    let ctx = n.ctx();
    n.set("startRead", Func::from(super::start_read))?;
    n.set("spawnPipeline", Func::from(super::spawn_pipeline))?;
    n.set("exit", Func::from(|code: i32| super::request_exit(code)))?;
    n.set("restart", Func::from(super::request_reload))?;
    crate::codec::natives::install(n)?;

    let argv = Array::new(ctx.clone())?;
    for (i, a) in super::script_args().iter().enumerate() {
        argv.set(i, a.as_str())?;
    }
    n.set("argv", argv)?;
    let (uuid, name) = super::instance();
    n.set("uuid", uuid)?;
    n.set("name", name)?;
    let thread = Object::new(ctx.clone())?;
    let (id, count) = super::current();
    thread.set("id", id)?;
    thread.set("concurrency", count)?;
    n.set("thread", thread)?;

    let kinds = Object::new(ctx.clone())?;
    for d in crate::filters::registry() {
        kinds.set(d.name, d.kind.as_str())?;
    }
    n.set("filterKinds", kinds)?;

    let process: Object = n.get("process")?;
    process.set("inbounds", Func::from(inbounds))?;
    process.set("outbounds", Func::from(outbounds))?;
    Ok(())
}

/// This worker's open connections, as the objects scripts see as `__inbound`.
fn inbounds<'js>(ctx: Ctx<'js>) -> rquickjs::Result<Array<'js>> {
    let a = Array::new(ctx.clone())?;
    for (i, ib) in crate::pipeline::inbound::open().iter().enumerate() {
        a.set(i, ib.to_js(&ctx)?)?;
    }
    Ok(a)
}

/// This worker's open outbound connections (`pipy.outbound`).
fn outbounds<'js>(ctx: Ctx<'js>) -> rquickjs::Result<Array<'js>> {
    let a = Array::new(ctx.clone())?;
    for (i, ob) in crate::net::outbound::open().iter().enumerate() {
        a.set(i, ob.to_js(&ctx)?)?;
    }
    Ok(a)
}
