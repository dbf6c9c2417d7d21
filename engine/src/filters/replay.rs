//! Running a sub-pipeline again with the same input: `replay` and `repeat`.
//!
//! Both keep every input event. `replay` starts a fresh sub-pipeline with copies of them
//! whenever the current one ends with `StreamEnd('Replay')` (after `delay`), which is how a
//! script retries a request. `repeat` asks its condition at each end of the sub-pipeline
//! whether to run it again. The sub-pipelines share the filter's context, so a retry counter
//! in a context variable lives across runs.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::callback::fail;
use super::schedule::{self, Settled};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{ErrorCode, Event};
use crate::pipeline::{Context, Filter, FilterProto, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

static REPLAY: FilterDescriptor = FilterDescriptor {
    name: "replay",
    kind: FilterKind::Joint,
    signature: "(target[, {delay}])",
    help: "Runs the sub-pipeline again with the same input each time it ends with StreamEnd('Replay')",
    params: &[
        ("target", "sub-pipeline name (or use .to(...))"),
        (
            "delay",
            "wait before each new run: seconds, a string like '1s', or a function returning one (default 0)",
        ),
    ],
    build: build_replay,
};

static REPEAT: FilterDescriptor = FilterDescriptor {
    name: "repeat",
    kind: FilterKind::Joint,
    signature: "(target, condition)",
    help: "Runs the sub-pipeline again with the same input while a condition on its StreamEnd holds",
    params: &[
        ("target", "sub-pipeline name (or use .to(...))"),
        (
            "condition",
            "function(streamEnd) called at each end of the sub-pipeline: truthy (or a Promise of it) runs it again",
        ),
    ],
    build: build_repeat,
};

/// `replay` and `repeat`.
pub static FILTERS: &[&FilterDescriptor] = &[&REPLAY, &REPEAT];

/// When a new run starts.
#[derive(Clone)]
enum Rule {
    /// `replay`: on `StreamEnd('Replay')`, after a delay.
    Replay(Delay),
    /// `repeat`: while this function of the StreamEnd is truthy.
    Repeat(JsValue),
}

#[derive(Clone)]
enum Delay {
    Fixed(Duration),
    Computed(JsValue),
}

fn build_replay(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = b.required_layout()?;
    b.options_arg(0, "expects an options object like {delay: 1}")?;
    let delay = match b.option(0, "delay") {
        None => Delay::Fixed(Duration::ZERO),
        Some(v) if v.is_function() => Delay::Computed(JsValue::save(b.ctx, v)),
        Some(v) => {
            Delay::Fixed(super::builder::duration_of(&v).map_err(|e| format!("option delay: {e}"))?)
        }
    };
    rerun_proto(b, layout, Rule::Replay(delay))
}

fn build_repeat(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = b.required_layout()?;
    let condition = b
        .function(0)
        .ok_or("expects a condition function(streamEnd)")?;
    rerun_proto(b, layout, Rule::Repeat(condition))
}

/// The prototype of the filter `b` builds (`replay` or `repeat`) running `layout` again by
/// `rule`.
fn rerun_proto(
    b: &Builder<'_, '_>,
    layout: Rc<PipelineLayout>,
    rule: Rule,
) -> Result<Box<dyn FilterProto>, String> {
    let name = b.descriptor.name;
    b.joint_prototype(layout, move |init, layout| {
        Box::new(Rerun {
            state: Rc::new(RefCell::new(State {
                name,
                layout: layout.clone(),
                rule: rule.clone(),
                context: init.context,
                output: init.output,
                input: Vec::new(),
                current: None,
                run: 0,
                pending: false,
                ended: false,
            })),
        })
    })
}

/// One filter instance's runs.
struct State {
    name: &'static str,
    layout: Rc<PipelineLayout>,
    rule: Rule,
    context: Rc<Context>,
    output: Output,
    /// Every input event so far, for the next run.
    input: Vec<Event>,
    current: Option<Rc<Pipeline>>,
    /// Number of the current run: output of older runs is ignored.
    run: u64,
    /// A new run is on its way: input is only kept.
    pending: bool,
    /// The filter has output its StreamEnd.
    ended: bool,
}

struct Rerun {
    state: Rc<RefCell<State>>,
}

/// Starts a run: a fresh sub-pipeline whose output comes back to [`on_output`].
fn start_run(state: &Rc<RefCell<State>>) -> Rc<Pipeline> {
    let weak = Rc::downgrade(state);
    let (layout, context, run) = {
        let s = state.borrow();
        (s.layout.clone(), s.context.clone(), s.run)
    };
    let output = Output::from_fn(move |evt| on_output(&weak, run, evt));
    let p = Pipeline::new(&layout, context, output);
    let old = state.borrow_mut().current.replace(p.clone());
    drop(old);
    p.start(|_| Vec::new());
    p
}

/// Runs the sub-pipeline again with copies of the input kept so far.
fn rerun(weak: &Weak<RefCell<State>>) {
    let Some(state) = weak.upgrade() else {
        return;
    };
    {
        let mut s = state.borrow_mut();
        if s.ended {
            return;
        }
        s.pending = false;
    }
    tracing::debug!("{}: running the sub-pipeline again", state.borrow().name);
    let p = start_run(&state);
    let input = state.borrow().input.clone();
    for e in input {
        p.input(e);
    }
}

/// Ends the filter's output with an error naming the filter.
fn stop(state: &Rc<RefCell<State>>, err: &ScriptError) {
    let (out, name) = {
        let mut s = state.borrow_mut();
        s.ended = true;
        s.input.clear();
        (s.output.clone(), s.name)
    };
    fail(&out, name, err);
}

/// Ends the filter's output with `end`.
fn finish(state: &Rc<RefCell<State>>, end: Event) {
    let out = {
        let mut s = state.borrow_mut();
        s.ended = true;
        s.input.clear();
        s.output.clone()
    };
    out.emit(end);
}

fn on_output(weak: &Weak<RefCell<State>>, run: u64, evt: Event) {
    let Some(state) = weak.upgrade() else {
        return;
    };
    let rule = {
        let s = state.borrow();
        if s.run != run || s.ended || s.pending {
            return;
        }
        s.rule.clone()
    };
    let Event::StreamEnd(end) = &evt else {
        let out = state.borrow().output.clone();
        return out.emit(evt);
    };
    match rule {
        Rule::Replay(delay) => {
            if end.error_code() != Some(ErrorCode::Replay) {
                return finish(&state, evt);
            }
            let delay = match delay {
                Delay::Fixed(d) => d,
                Delay::Computed(f) => {
                    let context = state.borrow().context.clone();
                    let r = script::call_in(&context, |ctx| {
                        let v: rquickjs::Value = match f.get(ctx).as_function() {
                            Some(f) => f.call(())?,
                            None => rquickjs::Value::new_undefined(ctx.clone()),
                        };
                        super::builder::duration_of(&v).map_err(|e| {
                            rquickjs::Exception::throw_type(ctx, &format!("delay: {e}"))
                        })
                    });
                    match r {
                        Ok(d) => d,
                        Err(e) => return stop(&state, &e),
                    }
                }
            };
            {
                let mut s = state.borrow_mut();
                s.pending = true;
                s.run += 1;
            }
            let weak = weak.clone();
            schedule::after(delay, move || rerun(&weak));
        }
        Rule::Repeat(condition) => {
            let context = state.borrow().context.clone();
            let r = script::call_in(&context, |ctx| {
                let arg = script::to_js_event(ctx, &evt)?;
                let v: rquickjs::Value = match condition.get(ctx).as_function() {
                    Some(f) => f.call((arg,))?,
                    None => rquickjs::Value::new_undefined(ctx.clone()),
                };
                Ok(JsValue::save(ctx, v))
            });
            let v = match r {
                Ok(v) => v,
                Err(e) => return stop(&state, &e),
            };
            {
                let mut s = state.borrow_mut();
                s.pending = true;
                s.run += 1;
            }
            let is_promise = script::js(|ctx| v.get(ctx).is_promise());
            if !is_promise {
                return decide(&state, v.truthy(), evt);
            }
            let weak = weak.clone();
            let r = script::js(|ctx| {
                schedule::when_settled(ctx, v.get(ctx), move |settled: Settled| {
                    let Some(state) = weak.upgrade() else {
                        return;
                    };
                    match settled {
                        Ok(v) => decide(&state, v.truthy(), evt),
                        Err(reason) => match schedule::rejection(&reason) {
                            Ok(end) => finish(&state, end),
                            Err(e) => stop(&state, &e),
                        },
                    }
                })
            });
            if let Err(e) = r {
                stop(&state, &ScriptError::plain(e.to_string()));
            }
        }
    }
}

/// `repeat`: runs again (on the next turn, so a sub-pipeline that ends at once cannot recurse)
/// or passes the StreamEnd on.
fn decide(state: &Rc<RefCell<State>>, again: bool, end: Event) {
    if again {
        let weak = Rc::downgrade(state);
        schedule::soon(move || rerun(&weak));
    } else {
        finish(state, end);
    }
}

impl Filter for Rerun {
    fn process(&mut self, evt: Event) {
        let current = {
            let mut s = self.state.borrow_mut();
            if s.ended {
                return;
            }
            s.input.push(evt.clone());
            if s.pending {
                return;
            }
            s.current.clone()
        };
        let p = match current {
            Some(p) => p,
            None => start_run(&self.state),
        };
        p.input(evt);
    }
}
