//! `wait`: holds the stream until a condition holds, a Promise is fulfilled, or a timeout.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::callback::fail;
use super::schedule::{self, Settled};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// `wait`.
pub static WAIT: FilterDescriptor = FilterDescriptor {
    name: "wait",
    kind: FilterKind::Plain,
    signature: "(condition[, {timeout}])",
    help: "Holds events until a condition holds (asked again at each event) or its Promise is fulfilled",
    params: &[
        (
            "condition",
            "function() returning truthy to let events through, or a Promise fulfilled when they may go",
        ),
        (
            "timeout",
            "let the events through anyway after this long: seconds or a string like '5s'",
        ),
    ],
    build,
};

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let condition = b
        .function(0)
        .ok_or("expects a condition function (returning a boolean or a Promise)")?;
    b.options_arg(
        1,
        "expects an options object like {timeout: 5} after the condition",
    )?;
    let timeout = b.duration_option(1, "timeout")?;
    b.prototype(move |init| {
        Box::new(Wait {
            condition: condition.clone(),
            timeout,
            context: init.context.clone(),
            state: Rc::new(RefCell::new(State {
                output: init.output,
                held: Vec::new(),
                open: false,
                ended: false,
                promised: false,
                timer: false,
            })),
        })
    })
}

struct State {
    output: Output,
    held: Vec<Event>,
    /// The condition held: events pass.
    open: bool,
    /// The stream ended with an error from the condition.
    ended: bool,
    /// The condition gave a Promise: it is not asked again.
    promised: bool,
    /// The timeout is running.
    timer: bool,
}

struct Wait {
    condition: JsValue,
    timeout: Option<Duration>,
    context: Rc<Context>,
    state: Rc<RefCell<State>>,
}

/// Lets the held events through, once.
fn open(state: &Rc<RefCell<State>>) {
    let (held, out) = {
        let mut s = state.borrow_mut();
        if s.open || s.ended {
            return;
        }
        s.open = true;
        (std::mem::take(&mut s.held), s.output.clone())
    };
    out.emit_all(held);
}

fn stop(state: &Rc<RefCell<State>>, err: Result<Event, ScriptError>) {
    let out = {
        let mut s = state.borrow_mut();
        if s.ended || s.open {
            return;
        }
        s.ended = true;
        s.held.clear();
        s.output.clone()
    };
    match err {
        Ok(end) => out.emit(end),
        Err(e) => fail(&out, "wait", &e),
    }
}

impl Wait {
    /// Asks the condition; opens on truthy, or waits for the Promise it gave.
    fn ask(&self) -> Result<(), ScriptError> {
        let v = script::call_in(&self.context, |ctx| {
            let v: rquickjs::Value = match self.condition.get(ctx).as_function() {
                Some(f) => f.call(())?,
                None => rquickjs::Value::new_undefined(ctx.clone()),
            };
            Ok(JsValue::save(ctx, v))
        })?;
        if !script::js(|ctx| v.get(ctx).is_promise()) {
            if v.truthy() {
                open(&self.state);
            }
            return Ok(());
        }
        self.state.borrow_mut().promised = true;
        let weak: Weak<RefCell<State>> = Rc::downgrade(&self.state);
        script::js(|ctx| {
            schedule::when_settled(ctx, v.get(ctx), move |settled: Settled| {
                let Some(state) = weak.upgrade() else {
                    return;
                };
                match settled {
                    Ok(_) => open(&state),
                    Err(reason) => stop(&state, schedule::rejection(&reason)),
                }
            })
        })
        .map_err(|e| ScriptError::plain(e.to_string()))
    }
}

impl Filter for Wait {
    fn process(&mut self, evt: Event) {
        let (open_now, ask) = {
            let s = self.state.borrow();
            if s.ended {
                return;
            }
            (s.open, !s.promised)
        };
        if open_now {
            let out = self.state.borrow().output.clone();
            return out.emit(evt);
        }
        self.state.borrow_mut().held.push(evt);
        if ask {
            if let Err(e) = self.ask() {
                return stop(&self.state, Err(e));
            }
        }
        let start_timer = {
            let mut s = self.state.borrow_mut();
            let start = !s.open && !s.ended && !s.timer && self.timeout.is_some();
            s.timer |= start;
            start
        };
        if let (true, Some(t)) = (start_timer, self.timeout) {
            let weak = Rc::downgrade(&self.state);
            schedule::after(t, move || {
                if let Some(state) = weak.upgrade() {
                    tracing::debug!("wait(): timed out, letting events through");
                    open(&state);
                }
            });
        }
    }
}
