//! Callbacks that answer with a Promise: the filter waits for it.
//!
//! A `handle*` or `replace*` callback may return a Promise (for example
//! `new Timeout(1).wait().then(...)`). As in Pipy, the filter then holds the event that
//! called it (a handler) or emits nothing yet (a replacer), and keeps every later input in
//! order until the Promise settles. When it is fulfilled, a replacer emits what the Promise
//! gave, the held event follows, and the kept inputs run through the filter again. When it is
//! rejected, the stream ends with the error, as a callback that throws would end it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use rquickjs::{Ctx, Function, Value};

use super::schedule;
use crate::event::Event;
use crate::pipeline::{Context, FilterInit, Output, Pipeline};
use crate::script::{self, ScriptError};

/// What a fulfilled Promise's value means to the filter that waits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Its value is the replacement: events, a Message, an array of them, or undefined.
    Replace,
    /// Its value is ignored (a handler).
    Ignore,
}

#[derive(Default)]
struct State {
    waiting: bool,
    ended: bool,
    kept: VecDeque<Event>,
}

/// The waiting state of one filter instance.
pub struct Gate {
    state: Rc<RefCell<State>>,
    pipeline: Weak<Pipeline>,
    index: usize,
    name: &'static str,
}

impl Gate {
    /// A gate for the filter made with `init`; `name` is the filter's, for error messages.
    pub fn new(init: &FilterInit, name: &'static str) -> Gate {
        Gate {
            state: Rc::default(),
            pipeline: init.pipeline.clone(),
            index: init.index,
            name,
        }
    }

    /// True while a Promise is pending: inputs must be [kept](Gate::keep).
    pub fn is_waiting(&self) -> bool {
        self.state.borrow().waiting
    }

    /// True once the filter's output ended while it waited (a StreamEnd was emitted).
    pub fn has_ended(&self) -> bool {
        self.state.borrow().ended
    }

    /// Keeps an input until the Promise settles.
    pub fn keep(&self, evt: Event) {
        self.state.borrow_mut().kept.push_back(evt);
    }

    /// Waits for `promise`. On fulfilment its value is handled as `settle` says, then `after`
    /// (the event held back) is emitted, then the kept inputs go through the filter again.
    pub fn wait<'js>(
        &self,
        ctx: &Ctx<'js>,
        promise: Value<'js>,
        settle: Settle,
        after: Option<Event>,
        context: Rc<Context>,
        output: Output,
    ) -> rquickjs::Result<()> {
        self.state.borrow_mut().waiting = true;
        let resolved = Resumer {
            state: self.state.clone(),
            pipeline: self.pipeline.clone(),
            index: self.index,
            name: self.name,
            context,
            output,
        };
        let rejected = resolved.clone();
        let after = RefCell::new(after);
        let on_fulfilled = Function::new(ctx.clone(), move |ctx: Ctx<'js>, v: Value<'js>| {
            resolved.fulfilled(&ctx, v, settle, after.borrow_mut().take());
        })?;
        let on_rejected = Function::new(ctx.clone(), move |ctx: Ctx<'js>, e: Value<'js>| {
            rejected.rejected(&ctx, e);
        })?;
        schedule::then(&promise, on_fulfilled, on_rejected)
    }
}

/// What a settled Promise calls back into: the filter's shared state and where to send.
#[derive(Clone)]
struct Resumer {
    state: Rc<RefCell<State>>,
    pipeline: Weak<Pipeline>,
    index: usize,
    name: &'static str,
    context: Rc<Context>,
    output: Output,
}

impl Resumer {
    fn fulfilled<'js>(&self, ctx: &Ctx<'js>, v: Value<'js>, settle: Settle, after: Option<Event>) {
        if self.pipeline.upgrade().is_none() {
            return; // the stream is gone
        }
        let _ = script::with_context(ctx, &self.context);
        let mut out = Vec::new();
        if settle == Settle::Replace && !v.is_undefined() {
            if let Err(m) = script::events_from_js(ctx, v, &mut out) {
                let e = ScriptError::plain(format!("the Promise gave an invalid replacement: {m}"));
                return self.fail(&e);
            }
        }
        out.extend(after);
        for e in out {
            let end = e.is_stream_end();
            self.output.emit(e);
            if end {
                self.state.borrow_mut().ended = true;
                break;
            }
        }
        self.resume();
    }

    fn rejected<'js>(&self, ctx: &Ctx<'js>, e: Value<'js>) {
        if self.pipeline.upgrade().is_none() {
            return;
        }
        // A rejection with a StreamEnd ends the stream with it, as Pipy does.
        let mut out = Vec::new();
        if script::events_from_js(ctx, e.clone(), &mut out).is_ok() {
            if let [Event::StreamEnd(_)] = out.as_slice() {
                self.state.borrow_mut().ended = true;
                self.output.emit_all(out);
                return self.resume();
            }
        }
        self.fail(&ScriptError::from_value(&e));
    }

    fn fail(&self, e: &ScriptError) {
        self.state.borrow_mut().ended = true;
        super::callback::fail(&self.output, self.name, e);
        self.resume();
    }

    /// Stops waiting and sends the kept inputs through the filter again, in order.
    fn resume(&self) {
        let kept = {
            let mut st = self.state.borrow_mut();
            st.waiting = false;
            std::mem::take(&mut st.kept)
        };
        if let Some(p) = self.pipeline.upgrade() {
            for e in kept {
                p.deliver(self.index, e);
            }
        }
    }
}

/// Waits for `promise`, a callback's answer, and hands `done` the events its value stands
/// for (a StreamEnd when it gives nothing). A rejection, or a value that is not events,
/// ends with a runtime error named after `filter`. For filters that answer whole messages
/// (`serveHTTP`), which need no gate: nothing else flows until they answer.
pub fn when_settled(
    context: &Context,
    filter: &'static str,
    promise: &script::JsValue,
    done: impl Fn(Vec<Event>) + 'static,
) {
    let done: Rc<dyn Fn(Vec<Event>)> = Rc::new(done);
    let r = script::call_in(context, |ctx| {
        then_events(ctx, promise.get(ctx), filter, done.clone())
    });
    if let Err(e) = r {
        tracing::error!("{filter}(): {e}");
        done(vec![crate::event::StreamEnd::runtime(e.to_string())]);
    }
}

fn then_events<'js>(
    ctx: &Ctx<'js>,
    p: Value<'js>,
    filter: &'static str,
    done: Rc<dyn Fn(Vec<Event>)>,
) -> rquickjs::Result<()> {
    let (ok_done, err_done) = (done.clone(), done);
    let on_fulfilled = Function::new(ctx.clone(), move |ctx: Ctx<'js>, v: Value<'js>| {
        let mut out = Vec::new();
        match script::events_from_js(&ctx, v, &mut out) {
            Ok(()) if out.is_empty() => ok_done(vec![crate::event::StreamEnd::ok()]),
            Ok(()) => ok_done(out),
            Err(m) => {
                tracing::error!("{filter}(): the Promise gave an invalid answer: {m}");
                ok_done(vec![crate::event::StreamEnd::runtime(m)]);
            }
        }
    })?;
    let on_rejected = Function::new(ctx.clone(), move |e: Value<'js>| {
        let e = ScriptError::from_value(&e);
        tracing::error!("{filter}(): {e}");
        err_done(vec![crate::event::StreamEnd::runtime(e.to_string())]);
    })?;
    schedule::then(&p, on_fulfilled, on_rejected)
}
