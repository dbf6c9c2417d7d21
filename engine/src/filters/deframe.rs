//! `deframe`: a byte-level state machine written in script, for binary framings.
//!
//! The argument is an object of states: `{ name: handler, ... }`; the first is the initial
//! state. A handler is a function, or a constant result. A function gets each byte of the
//! input (a number) and returns what happens next:
//!
//! * a state name: the next byte goes to that state;
//! * an array `[...events, state, length, buffer]`: the events are output, and then
//!   - with a `length` and a `buffer` (a Data or an array), the next `length` bytes are read
//!     into the buffer (Data appended, or byte numbers pushed) and `state` is called once with
//!     the buffer when it is full;
//!   - with a `length` and no buffer, the next `length` bytes pass through as Data, and then
//!     `state` is called with `-1`;
//!   - with neither, the next byte goes to `state`.
//!
//! Only Data is parsed; message events in the input are dropped and StreamEnd passes (the
//! machine starts again for the next stream). A handler that throws, returns an unknown state
//! or a bad length ends the stream with an error naming the filter.

use std::rc::Rc;

use bytes::Bytes;
use rquickjs::{Array, Ctx, Object, Value};

use super::callback::fail;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// `deframe`.
pub static DEFRAME: FilterDescriptor = FilterDescriptor {
    name: "deframe",
    kind: FilterKind::Plain,
    signature: "(states)",
    help: "Parses the Data stream with a byte-level state machine whose states are script functions",
    params: &[(
        "states",
        "{ stateName: function(byte | buffer) returning the next state or [...events, state, length, buffer] }; the first is the initial state",
    )],
    build,
};

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let states = b
        .arg(0)
        .and_then(|v| v.into_object())
        .filter(|o| !o.is_function() && !o.is_array())
        .ok_or("expects an object of states: { name: function(byte) {...}, ... }")?;
    let mut names = Vec::new();
    let mut handlers = Vec::new();
    for kv in states.props::<String, Value>() {
        let (k, v) = kv.map_err(|e| e.to_string())?;
        names.push(k);
        handlers.push(JsValue::save(b.ctx, v));
    }
    if names.is_empty() {
        return Err("expects at least one state".into());
    }
    let states = Rc::new(States { names, handlers });
    b.prototype(move |init| {
        Box::new(Deframe {
            states: states.clone(),
            state: Some(0),
            pending: Pending::Byte,
            context: init.context,
            output: init.output,
        })
    })
}

/// The state table: names in declaration order, and their handlers.
struct States {
    names: Vec<String>,
    handlers: Vec<JsValue>,
}

/// What the next input bytes are for.
enum Pending {
    /// One byte for the current state.
    Byte,
    /// Bytes to pass through before the current state is called with -1.
    Pass(usize),
    /// Bytes to read into a buffer before the current state is called with it.
    Read { left: usize, buffer: JsValue },
}

struct Deframe {
    states: Rc<States>,
    /// The current state; `None` once the machine failed.
    state: Option<usize>,
    pending: Pending,
    context: Rc<Context>,
    output: Output,
}

/// A handler's answer: events to output, the next state, and what to read next.
struct Step {
    state: usize,
    pending: Pending,
}

impl Deframe {
    /// Calls state `state` with `arg` and reads its answer, adding events to `out`.
    fn call<'js>(
        &self,
        ctx: &Ctx<'js>,
        state: usize,
        arg: Value<'js>,
        out: &mut Vec<Event>,
    ) -> rquickjs::Result<Step> {
        let h = self.states.handlers[state].get(ctx);
        let v = match h.as_function() {
            Some(f) => f.call::<_, Value>((arg,))?,
            None => h,
        };
        let mut pending = Pending::Byte;
        let next = if let Some(a) = v.as_array() {
            self.read_array(ctx, a, out, &mut pending)?
        } else {
            v
        };
        let Some(name) = next.as_string().and_then(|s| s.to_string().ok()) else {
            return Err(rquickjs::Exception::throw_type(
                ctx,
                "a state returned neither a state name nor [...events, state, length, buffer]",
            ));
        };
        let Some(state) = self.states.names.iter().position(|n| *n == name) else {
            return Err(rquickjs::Exception::throw_type(
                ctx,
                &format!("invalid state: {name}"),
            ));
        };
        Ok(Step { state, pending })
    }

    /// Reads `[...events, state, length, buffer]`; returns the state value.
    fn read_array<'js>(
        &self,
        ctx: &Ctx<'js>,
        a: &Array<'js>,
        out: &mut Vec<Event>,
        pending: &mut Pending,
    ) -> rquickjs::Result<Value<'js>> {
        let mut i = 0;
        while i < a.len() {
            let e: Value = a.get(i)?;
            let kind: i32 = script::call_helper(ctx, "kindOf", (e.clone(),))?;
            if !(1..=5).contains(&kind) {
                break;
            }
            script::events_from_js(ctx, e, out)
                .map_err(|m| rquickjs::Exception::throw_type(ctx, &m))?;
            i += 1;
        }
        let state: Value = a.get(i)?;
        let size: Value = a.get(i + 1)?;
        let buffer: Value = a.get(i + 2)?;
        if size.is_undefined() || size.is_null() {
            return Ok(state);
        }
        let n = size.as_number().unwrap_or(f64::NAN);
        if !(n >= 1.0 && n.is_finite()) {
            return Err(rquickjs::Exception::throw_range(
                ctx,
                &format!("invalid reading length {}", n as i64),
            ));
        }
        let n = n as usize;
        *pending = if buffer.is_undefined() || buffer.is_null() {
            Pending::Pass(n)
        } else {
            let kind: i32 = script::call_helper(ctx, "kindOf", (buffer.clone(),))?;
            if kind != 1 && kind != 6 {
                return Err(rquickjs::Exception::throw_type(
                    ctx,
                    "invalid read buffer: expected a Data or an array",
                ));
            }
            Pending::Read {
                left: n,
                buffer: JsValue::save(ctx, buffer),
            }
        };
        Ok(state)
    }

    /// Runs the machine over one chunk; returns the events in order.
    fn run(&mut self, data: &Bytes) -> Result<Vec<Event>, ScriptError> {
        let mut out = Vec::new();
        let context = self.context.clone();
        let r = script::call_in(&context, |ctx| {
            let mut pos = 0;
            while pos < data.len() {
                let Some(state) = self.state else { break };
                let step = match std::mem::replace(&mut self.pending, Pending::Byte) {
                    Pending::Byte => {
                        let c = data[pos];
                        pos += 1;
                        self.call(ctx, state, Value::new_int(ctx.clone(), c as i32), &mut out)?
                    }
                    Pending::Pass(left) => {
                        let n = left.min(data.len() - pos);
                        out.push(Event::Data(data.slice(pos..pos + n)));
                        pos += n;
                        if left > n {
                            self.pending = Pending::Pass(left - n);
                            continue;
                        }
                        self.call(ctx, state, Value::new_int(ctx.clone(), -1), &mut out)?
                    }
                    Pending::Read { left, buffer } => {
                        let n = left.min(data.len() - pos);
                        let buf = buffer.get(ctx);
                        append(ctx, &buf, &data[pos..pos + n])?;
                        pos += n;
                        if left > n {
                            self.pending = Pending::Read {
                                left: left - n,
                                buffer,
                            };
                            continue;
                        }
                        self.call(ctx, state, buf, &mut out)?
                    }
                };
                self.state = Some(step.state);
                self.pending = step.pending;
            }
            Ok(())
        });
        match r {
            Ok(()) => Ok(out),
            Err(e) => {
                self.state = None;
                // What was decided before the error still goes out first.
                self.output.emit_all(out);
                Err(e)
            }
        }
    }
}

/// Appends bytes to a read buffer: a Data gets them as one piece, an array as numbers.
fn append<'js>(ctx: &Ctx<'js>, buffer: &Value<'js>, bytes: &[u8]) -> rquickjs::Result<()> {
    let o: &Object = buffer
        .as_object()
        .ok_or_else(|| rquickjs::Exception::throw_type(ctx, "invalid read buffer"))?;
    if let Some(a) = o.as_array() {
        for (i, &c) in (a.len()..).zip(bytes) {
            a.set(i, c as i32)?;
        }
        return Ok(());
    }
    let push: rquickjs::Function = o.get("push")?;
    let d = script::data_to_js(ctx, bytes)?;
    push.call::<_, Value>((rquickjs::function::This(o.clone()), d))?;
    Ok(())
}

impl Filter for Deframe {
    fn process(&mut self, evt: Event) {
        match evt {
            Event::Data(b) if !b.is_empty() => match self.run(&b) {
                Ok(out) => self.output.emit_all(out),
                Err(e) => fail(&self.output, "deframe", &e),
            },
            Event::StreamEnd(_) => {
                self.state = Some(0);
                self.pending = Pending::Byte;
                self.output.emit(evt);
            }
            _ => {}
        }
    }
}
