//! The one filter behind the `handle*` and `replace*` families: it picks out the events (or
//! whole messages) its [`On`] names and gives each to a script callback. In [`Mode::Handle`]
//! the callback only looks and every event passes on; in [`Mode::Replace`] what the callback
//! (or a static value) gives takes the input's place. Either may answer with a Promise, and
//! the stream waits for it (see [`Gate`]).

use std::rc::Rc;

use super::callback::{call_handler, call_replacer, fail, MessageReader, Replacement};
use super::event_kinds::On;
use super::promise::{Gate, Settle};
use super::Builder;
use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// The descriptors of a family (`handle*` or `replace*`), one for each [`On`]: each family's
/// file names them `ANY`, `STREAM_START`, ... `MESSAGE_BODY`.
macro_rules! family {
    () => {
        &[
            &ANY,
            &STREAM_START,
            &DATA,
            &MESSAGE_START,
            &MESSAGE_END,
            &STREAM_END,
            &MESSAGE,
            &MESSAGE_BODY,
        ]
    };
}
pub(super) use family;

/// What the filter does with what it picks out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// `handle*`: calls a function; everything passes on.
    Handle,
    /// `replace*`: outputs the replacement instead of the input.
    Replace,
}

/// Builds a `handle*` or `replace*` filter: its optional size limit, then its callback or
/// replacement.
pub(super) fn build(
    b: &mut Builder<'_, '_>,
    on: On,
    mode: Mode,
) -> Result<Box<dyn FilterProto>, String> {
    let (limit, at) = on.callback_arg(b)?;
    let callback = match mode {
        Mode::Handle => Some(b.function(at).ok_or("expects a callback function")?),
        Mode::Replace => b.saved(at),
    };
    let name = b.descriptor.name;
    // `callback` is the function (`handle*`), or the replacement value or function
    // (`replace*`; `None` drops the input).
    b.prototype(move |init| {
        Box::new(OnEvent {
            gate: Gate::new(&init, name),
            name,
            on,
            mode,
            callback: callback.clone(),
            context: init.context,
            output: init.output,
            counter: 0,
            started: false,
            ended: false,
            reader: MessageReader::new(limit),
        })
    })
}

struct OnEvent {
    gate: Gate,
    name: &'static str,
    on: On,
    mode: Mode,
    callback: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    counter: u64,
    started: bool,
    ended: bool,
    reader: MessageReader,
}

/// What the callback gave, in either mode.
enum Outcome {
    /// Events to output in the input's place (empty: nothing, or a handler's return).
    Events(Vec<Event>),
    /// A Promise: wait for it.
    Pending(JsValue),
}

impl OnEvent {
    /// Gives one input (made into JS by `arg`) to the callback and outputs the outcome, then
    /// `after` (the input itself for a handler; what closes a message).
    fn call(
        &mut self,
        arg: impl for<'js> FnOnce(&rquickjs::Ctx<'js>) -> rquickjs::Result<rquickjs::Value<'js>>,
        after: Option<Event>,
    ) {
        let outcome = self.invoke(arg);
        self.settle(outcome, after);
    }

    /// Calls the callback (or evaluates the replacement) on one input; `None` when there is
    /// none (a `replace*` without a replacement drops its input).
    fn invoke(
        &mut self,
        arg: impl for<'js> FnOnce(&rquickjs::Ctx<'js>) -> rquickjs::Result<rquickjs::Value<'js>>,
    ) -> Option<Result<Outcome, ScriptError>> {
        let f = self.callback.as_ref()?;
        let n = self.counter;
        self.counter += 1;
        Some(match self.mode {
            Mode::Handle => call_handler(&self.context, f, n, arg).map(|p| match p {
                Some(p) => Outcome::Pending(p),
                None => Outcome::Events(Vec::new()),
            }),
            Mode::Replace => call_replacer(&self.context, f, n, arg).map(|r| match r {
                Replacement::Pending(p) => Outcome::Pending(p),
                Replacement::Events(evts) => Outcome::Events(evts),
                Replacement::Nothing => Outcome::Events(Vec::new()),
            }),
        })
    }

    /// Outputs what the callback gave and then `after`, or waits for its Promise first.
    fn settle(&mut self, outcome: Option<Result<Outcome, ScriptError>>, after: Option<Event>) {
        match outcome {
            None => self.emit(Vec::new(), after),
            Some(Ok(Outcome::Events(evts))) => self.emit(evts, after),
            Some(Ok(Outcome::Pending(p))) => {
                let settle = match self.mode {
                    Mode::Handle => Settle::Ignore,
                    Mode::Replace => Settle::Replace,
                };
                let r = script::js(|ctx| {
                    self.gate.wait(
                        ctx,
                        p.get(ctx),
                        settle,
                        after,
                        self.context.clone(),
                        self.output.clone(),
                    )
                });
                if let Err(e) = r {
                    self.stop(&ScriptError::plain(e.to_string()));
                }
            }
            Some(Err(e)) => self.stop(&e),
        }
    }

    /// Outputs `evts` and then `after`, up to the first `StreamEnd`.
    fn emit(&mut self, evts: Vec<Event>, after: Option<Event>) {
        for e in evts.into_iter().chain(after) {
            if self.ended {
                break;
            }
            self.ended = e.is_stream_end();
            self.output.emit(e);
        }
    }

    /// The callback failed: the stream ends with its error.
    fn stop(&mut self, e: &ScriptError) {
        self.ended = true;
        fail(&self.output, self.name, e);
    }

    /// Gives the callback the event itself; a handler then passes it on.
    fn call_event(&mut self, evt: Event) {
        match self.mode {
            Mode::Handle => {
                let outcome = self.invoke(|ctx| script::to_js_event(ctx, &evt));
                self.settle(outcome, Some(evt));
            }
            Mode::Replace => self.call(move |ctx| script::to_js_event(ctx, &evt), None),
        }
    }

    /// A message (or the stream, `closing`) ended: gives the callback the whole message or its
    /// body. The end follows, except where a replaced whole message takes its place.
    fn end_message(&mut self, end: MessageTail, closing: Option<Event>) {
        let msg = self.reader.finish(end.clone());
        let after = match (self.mode, self.on) {
            (Mode::Replace, On::Message) => closing,
            _ => closing.or(Some(Event::MessageEnd(end))),
        };
        if self.on == On::Message {
            self.call(move |ctx| script::to_js_message(ctx, &msg), after);
        } else {
            let body = msg.body;
            self.call(move |ctx| script::data_to_js(ctx, &body), after);
        }
    }

    /// Collects a message for `handleMessage*`/`replaceMessage*`: a handler passes what it
    /// collects on, a replacer holds it (but for a body-only replacer's `MessageStart`).
    fn collect(&mut self, evt: Event) {
        match &evt {
            Event::MessageStart(h) => {
                let keep_head = self.mode == Mode::Handle || self.on == On::Message;
                self.reader.start(if keep_head { h.clone() } else { None });
                if self.mode == Mode::Replace && self.on == On::Message {
                    return;
                }
            }
            Event::Data(b) => {
                self.reader.data(b);
                if self.mode == Mode::Replace {
                    return;
                }
            }
            _ => {}
        }
        self.emit(Vec::new(), Some(evt));
    }
}

impl Filter for OnEvent {
    fn process(&mut self, evt: Event) {
        if self.ended || self.gate.has_ended() {
            return;
        }
        if self.gate.is_waiting() {
            return self.gate.keep(evt);
        }
        let whole = matches!(self.on, On::Message | On::MessageBody);
        match (self.on, &evt) {
            (On::Any, _) => self.call_event(evt),
            (On::StreamStart, _) if !self.started => {
                self.started = true;
                self.call_event(evt);
            }
            // An empty Data is nothing to replace.
            (On::Data, Event::Data(b)) if self.mode == Mode::Handle || !b.is_empty() => {
                self.call_event(evt)
            }
            (On::MessageStart, Event::MessageStart(_))
            | (On::MessageEnd, Event::MessageEnd(_))
            | (On::StreamEnd, Event::StreamEnd(_)) => self.call_event(evt),
            (_, Event::MessageStart(_)) if whole => self.collect(evt),
            (_, Event::Data(_)) if whole && self.reader.is_open() => self.collect(evt),
            (_, Event::MessageEnd(t)) if whole && self.reader.is_open() => {
                let t = t.clone();
                self.end_message(t, None);
            }
            (_, Event::StreamEnd(_)) if whole && self.reader.is_open() => {
                self.end_message(MessageTail::default(), Some(evt))
            }
            _ => self.emit(Vec::new(), Some(evt)),
        }
    }
}
