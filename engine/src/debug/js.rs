//! The debugger's script side: filter lines, conditions, watch expressions, context
//! variables and edits, all run in the paused stream's context on its worker thread.

use std::cell::RefCell;

use rquickjs::{Ctx, Function, Object, Value};

use crate::event::Event;
use crate::pipeline::{Context, Pipeline};
use crate::script::{self, JsValue};

/// Helpers made once per worker. `with` needs sloppy mode, so they are not in the strict
/// prelude. A watch expression sees the module's context variables by name, and `evt` (the
/// paused event) and `msg` (`{head}`, `{tail}` or `{body}` of it).
const HELPERS: &str = r#"(function () {
  const S = globalThis.__sluice;
  const show = v => {
    if (typeof v === 'string') return JSON.stringify(v);
    try { return S.dump(v); } catch (e) { try { return String(v); } catch (e2) { return '?'; } }
  };
  const scopeOf = file => { const m = S.byPath[file] || S.modules[0]; return m ? m.scope : Object.create(null); };
  const msgOf = evt => {
    if (!evt || typeof evt !== 'object') return {};
    if (evt.type === 'MessageStart') return { head: evt.head };
    if (evt.type === 'MessageEnd') return { tail: evt.tail };
    if (evt.type === 'StreamEnd') return {};
    return { body: evt };
  };
  const run = (file, code, evt) =>
    new Function('__scope', 'evt', 'msg', 'with (__scope) { return (' + code + '\n); }')(scopeOf(file), evt, msgOf(evt));
  return {
    test: (file, code, evt) => !!run(file, code, evt),
    show: (file, code, evt) => show(run(file, code, evt)),
    vars: () => {
      const out = [];
      for (const m of S.modules) for (const k of Object.keys(m.vars)) out.push([m.path, k, show(S.current[0][m.vars[k]])]);
      return JSON.stringify(out);
    },
    head: h => { try { return JSON.stringify(h === undefined ? null : h); } catch (e) { return 'null'; } },
    setVar: (file, name, code, evt) => {
      const v = run(file, code, evt);
      const s = scopeOf(file);
      if (!(name in s)) throw new Error(`${file} has no context variable ${name}`);
      s[name] = v;
    },
    lines: () => JSON.stringify(S.layouts.map(l => (l.filters || []).map(f => f.line || 0))),
  };
})()"#;

thread_local! {
    static MADE: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

fn helpers<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    if let Some(v) = MADE.with(|m| m.borrow().clone()) {
        if let Some(o) = v.get(ctx).into_object() {
            return Ok(o);
        }
    }
    let v: Value = ctx.eval(HELPERS)?;
    MADE.with(|m| *m.borrow_mut() = Some(JsValue::save(ctx, v.clone())));
    v.into_object()
        .ok_or_else(|| rquickjs::Error::new_from_js("value", "object"))
}

fn call<'js, R: rquickjs::FromJs<'js>>(
    ctx: &Ctx<'js>,
    name: &str,
    args: impl rquickjs::function::IntoArgs<'js>,
) -> rquickjs::Result<R> {
    let f: Function = helpers(ctx)?.get(name)?;
    f.call(args)
}

/// The line of every filter of every layout (by layout id), read from what the configuration
/// API recorded; empty outside a worker that loaded a program.
pub fn filter_lines() -> Vec<Vec<u32>> {
    script::js(|ctx| {
        let text: String = call(ctx, "lines", ()).ok()?;
        serde_json::from_str(&text).ok()
    })
    .unwrap_or_default()
}

/// Runs `f` in `context` with the JS form of `evt`, turning errors into plain words.
fn in_context<R>(
    context: &Context,
    evt: &Event,
    f: impl for<'js> FnOnce(&Ctx<'js>, Value<'js>) -> rquickjs::Result<R>,
) -> Result<R, String> {
    script::call_in(context, |ctx| {
        let e = script::to_js_event(ctx, evt)?;
        f(ctx, e)
    })
    .map_err(|e| e.to_string())
}

/// Whether a breakpoint's condition holds for `evt` arriving in `pipeline`.
pub(super) fn condition(pipeline: &Pipeline, evt: &Event, expr: &str) -> Result<bool, String> {
    let file = pipeline.layout().module.to_string();
    in_context(pipeline.context(), evt, |ctx, e| {
        call(ctx, "test", (file.as_str(), expr, e))
    })
}

/// A watch expression's value, shown as the console shows it.
pub(super) fn watch(pipeline: &Pipeline, evt: &Event, expr: &str) -> Result<String, String> {
    let file = pipeline.layout().module.to_string();
    in_context(pipeline.context(), evt, |ctx, e| {
        call(ctx, "show", (file.as_str(), expr, e))
    })
}

/// Sets a context variable of the pipeline's module to the value of a JS expression.
pub(super) fn set_var(
    pipeline: &Pipeline,
    evt: &Event,
    name: &str,
    expr: &str,
) -> Result<(), String> {
    let file = pipeline.layout().module.to_string();
    in_context(pipeline.context(), evt, |ctx, e| {
        call(ctx, "setVar", (file.as_str(), name, expr, e))
    })
}

/// Every module's context variables in `context`: (module, name, value as shown).
pub(super) fn vars(context: &Context) -> Vec<(String, String, String)> {
    let text = script::call_in(context, |ctx| call::<String>(ctx, "vars", ()));
    text.ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// A head or tail as JSON (null when there is none or it cannot be written as JSON).
pub(super) fn head_json(v: Option<&JsValue>) -> serde_json::Value {
    let Some(v) = v else {
        return serde_json::Value::Null;
    };
    let text = script::js(|ctx| call::<String>(ctx, "head", (v.get(ctx),)).unwrap_or_default());
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// Sets (or, with `None`, removes) header `name` of a MessageStart head in place, so every
/// filter after sees it.
pub(super) fn set_header(head: &JsValue, name: &str, value: Option<&str>) -> Result<(), String> {
    script::js(|ctx| -> rquickjs::Result<()> {
        let h = head
            .get(ctx)
            .into_object()
            .ok_or_else(|| rquickjs::Error::new_from_js("value", "object"))?;
        let headers: Value = h.get("headers")?;
        let headers = match headers.into_object() {
            Some(o) => o,
            None => {
                let o = Object::new(ctx.clone())?;
                h.set("headers", o.clone())?;
                o
            }
        };
        match value {
            Some(v) => headers.set(name, v)?,
            None => headers.remove(name)?,
        }
        Ok(())
    })
    .map_err(|e| format!("cannot change the header: {e}"))
}
