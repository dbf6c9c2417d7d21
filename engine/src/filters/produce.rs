//! `produce`: output made by a producer instead of the input.
//!
//! On the first input event the producer is asked for events: a static value is output once;
//! a function is asked again and again (each time on a later turn of the event loop, or when
//! the Promise it returned is fulfilled) until it gives a StreamEnd. Input is ignored.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::callback::fail;
use super::schedule::{self, Settled};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// `produce`.
pub static PRODUCE: FilterDescriptor = FilterDescriptor {
    name: "produce",
    kind: FilterKind::Plain,
    signature: "(producer)",
    help: "Outputs what a producer gives, until a StreamEnd; the input is ignored",
    params: &[(
        "producer",
        "events or a Message (output once), or a function() returning them or a Promise of them, called until it gives a StreamEnd",
    )],
    build,
};

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let v = b.arg(0).ok_or("expects a producer: events or a function")?;
    if !v.is_function() {
        let mut out = Vec::new();
        script::events_from_js(b.ctx, v.clone(), &mut out)
            .map_err(|m| format!("expects events or a function: {m}"))?;
    }
    let producer = JsValue::save(b.ctx, v);
    b.prototype(move |init| {
        Box::new(Produce {
            started: false,
            state: Rc::new(RefCell::new(State {
                producer: producer.clone(),
                context: init.context,
                output: init.output,
                ended: false,
            })),
        })
    })
}

struct State {
    producer: JsValue,
    context: Rc<Context>,
    output: Output,
    ended: bool,
}

struct Produce {
    started: bool,
    state: Rc<RefCell<State>>,
}

/// What one call of the producer gave.
enum Made {
    Now(JsValue),
    Later(JsValue),
}

fn stop(state: &Rc<RefCell<State>>, err: Result<Event, ScriptError>) {
    let out = {
        let mut s = state.borrow_mut();
        if s.ended {
            return;
        }
        s.ended = true;
        s.output.clone()
    };
    match err {
        Ok(end) => out.emit(end),
        Err(e) => fail(&out, "produce", &e),
    }
}

/// Outputs a production; false once the stream has ended (or failed).
fn consume(state: &Rc<RefCell<State>>, v: &JsValue) -> bool {
    let r = script::js(|ctx| {
        let mut out = Vec::new();
        script::events_from_js(ctx, v.get(ctx), &mut out).map(|_| out)
    });
    let events = match r {
        Ok(e) => e,
        Err(m) => {
            stop(
                state,
                Err(ScriptError::plain(format!(
                    "the production is not events: {m}"
                ))),
            );
            return false;
        }
    };
    let out = state.borrow().output.clone();
    for e in events {
        let end = e.is_stream_end();
        if end {
            state.borrow_mut().ended = true;
        }
        out.emit(e);
        if end {
            return false;
        }
    }
    true
}

/// Asks the producer once and handles what it gave; a function is asked again later.
fn produce(state: &Rc<RefCell<State>>) {
    let (producer, context) = {
        let s = state.borrow();
        if s.ended {
            return;
        }
        (s.producer.clone(), s.context.clone())
    };
    let made = script::call_in(&context, |ctx| {
        let v = producer.get(ctx);
        let (v, repeat) = match v.as_function() {
            Some(f) => (f.call::<_, rquickjs::Value>(())?, true),
            None => (v, false),
        };
        let saved = JsValue::save(ctx, v.clone());
        Ok((
            if v.is_promise() {
                Made::Later(saved)
            } else {
                Made::Now(saved)
            },
            repeat,
        ))
    });
    let (made, repeat) = match made {
        Ok(m) => m,
        Err(e) => return stop(state, Err(e)),
    };
    match made {
        Made::Now(v) => {
            if consume(state, &v) && repeat {
                let weak = Rc::downgrade(state);
                schedule::soon(move || again(&weak));
            }
        }
        Made::Later(p) => {
            let weak = Rc::downgrade(state);
            let r = script::js(|ctx| {
                schedule::when_settled(ctx, p.get(ctx), move |settled: Settled| {
                    let Some(state) = weak.upgrade() else {
                        return;
                    };
                    match settled {
                        Ok(v) => {
                            if consume(&state, &v) && repeat {
                                produce(&state);
                            }
                        }
                        Err(reason) => stop(&state, schedule::rejection(&reason)),
                    }
                })
            });
            if let Err(e) = r {
                stop(state, Err(ScriptError::plain(e.to_string())));
            }
        }
    }
}

fn again(weak: &Weak<RefCell<State>>) {
    if let Some(state) = weak.upgrade() {
        produce(&state);
    }
}

impl Filter for Produce {
    fn process(&mut self, _evt: Event) {
        if !self.started {
            self.started = true;
            produce(&self.state);
        }
    }
}
