//! Running a pipeline template from a script: Pipy's `pipeline($=>$...).spawn(...args)` and
//! `.process(events)`, and what `http.Agent` is made of.
//!
//! The pipeline runs with a context of its own, fed with the events given (or those its
//! `onStart` returns) and then a StreamEnd, until it outputs a StreamEnd. `spawn` and
//! `process` settle with what the layout's `onEnd` callback returns, as in Pipy; the
//! `'message'` mode settles with the first Message the pipeline outputs instead (rejected
//! with an error answer's head if the pipeline ends without one).

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Value};

use super::reads;
use crate::event::{Event, StreamEnd};
use crate::filters::MessageReader;
use crate::liveness;
use crate::pipeline::{Context, Output, Pipeline};
use crate::script::{self, JsValue};

/// `__native.spawnPipeline(layoutId, args, events, resolve, reject, mode)`.
pub fn spawn<'js>(
    ctx: Ctx<'js>,
    id: usize,
    args: Vec<Value<'js>>,
    events: Value<'js>,
    resolve: Function<'js>,
    reject: Function<'js>,
    mode: Opt<String>,
) -> rquickjs::Result<()> {
    let layout = match reads::layout(&ctx, id) {
        Ok(l) => l,
        Err(e) => return Err(rquickjs::Exception::throw_message(&ctx, &e)),
    };
    let mut input = Vec::new();
    if !events.is_undefined() {
        script::events_from_js(&ctx, events, &mut input)
            .map_err(|m| rquickjs::Exception::throw_type(&ctx, &format!("process(): {m}")))?;
    }
    let by_message = mode.0.as_deref() == Some("message");
    let resolve = JsValue::save(&ctx, resolve.into_value());
    let reject = JsValue::save(&ctx, reject.into_value());
    let args: Vec<JsValue> = args.into_iter().map(|a| JsValue::save(&ctx, a)).collect();
    let work = liveness::hold();
    let holder: Rc<RefCell<Option<Rc<Pipeline>>>> = Rc::default();
    let reader = RefCell::new(MessageReader::new(None));
    let settled = Rc::new(std::cell::Cell::new(false));
    let (res, rej, done) = (resolve.clone(), reject.clone(), settled.clone());
    let keep = holder.clone();
    let output = Output::from_fn(move |evt| {
        let _ = &work;
        if by_message && !done.get() {
            let mut r = reader.borrow_mut();
            match &evt {
                Event::MessageStart(h) => r.start(h.clone()),
                Event::Data(b) if r.is_open() => r.data(b),
                Event::MessageEnd(t) if r.is_open() => {
                    let msg = r.finish(t.clone());
                    done.set(true);
                    settle_with(&res, |ctx| script::to_js_message(ctx, &msg));
                }
                _ => {}
            }
        }
        if let Event::StreamEnd(se) = &evt {
            if by_message && !done.replace(true) {
                let (status, text) = se.http_status();
                settle_with(&rej, |ctx| {
                    let o = rquickjs::Object::new(ctx.clone())?;
                    o.set("status", status)?;
                    o.set("statusText", text)?;
                    let head = JsValue::save(ctx, o.into_value());
                    let msg = script::JsMessage {
                        head: Some(head),
                        body: Default::default(),
                        end: Default::default(),
                    };
                    script::to_js_message(ctx, &msg)
                });
            }
            // The pipeline ends: let it go outside its own delivery (its onEnd runs then).
            if let Some(p) = keep.borrow_mut().take() {
                tokio::task::spawn_local(async move { drop(p) });
            }
        }
    });
    let pipeline = Pipeline::new(&layout, Context::root(None), output);
    if !by_message {
        let res = resolve.clone();
        let done = settled.clone();
        pipeline.on_result(move |ctx, v| {
            if !done.replace(true) {
                if let Some(f) = res.get(ctx).as_function() {
                    let _ = f.call::<_, Value>((v,));
                }
            }
        });
    }
    *holder.borrow_mut() = Some(pipeline.clone());
    pipeline.start(move |ctx| args.iter().map(|a| a.get(ctx)).collect());
    // The input ends after the given events (or onStart's), so the pipeline ends once its
    // filters are done with them, and its result is known.
    let ended = input.last().is_some_and(|e| e.is_stream_end());
    for e in input {
        pipeline.input(e);
    }
    if !ended {
        pipeline.input(StreamEnd::ok());
    }
    Ok(())
}

/// Calls the settling function `f` with the value `make` builds.
fn settle_with(f: &JsValue, make: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Value<'js>>) {
    script::js(|ctx| {
        let r = make(ctx).and_then(|v| match f.get(ctx).as_function() {
            Some(func) => func.call::<_, Value>((v,)).map(|_| ()),
            None => Ok(()),
        });
        if let Err(e) = r {
            let e = script::ScriptError::from_js(ctx, e);
            tracing::error!(target: "script", "pipeline result: {e}");
        }
    });
}
