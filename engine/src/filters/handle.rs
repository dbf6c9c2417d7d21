//! `handle*` filters: call a callback on events of one kind and pass everything through.

use std::rc::Rc;

use super::callback::{call_handler, fail, MessageReader};
use super::event_kinds::On;
use super::promise::{Gate, Settle};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, FilterType, Output};
use crate::script::{self, JsValue};

macro_rules! handler {
    ($id:ident, $name:literal, $on:expr, $sig:literal, $help:literal, $param:literal) => {
        static $id: FilterDescriptor = FilterDescriptor {
            name: $name,
            kind: FilterKind::Plain,
            signature: $sig,
            help: $help,
            params: &[("callback", $param)],
            build: |b| build(b, $on),
        };
    };
}

handler!(
    ANY,
    "handle",
    On::Any,
    "(callback)",
    "Calls a function on every event",
    "function(event, counter) called with each event of any type"
);
handler!(
    STREAM_START,
    "handleStreamStart",
    On::StreamStart,
    "(callback)",
    "Calls a function on the first event of the stream",
    "function(event) called with the first event"
);
handler!(
    DATA,
    "handleData",
    On::Data,
    "(callback)",
    "Calls a function on every Data event",
    "function(data, counter) called with each Data"
);
handler!(
    MESSAGE_START,
    "handleMessageStart",
    On::MessageStart,
    "(callback)",
    "Calls a function on every MessageStart event",
    "function(messageStart, counter)"
);
handler!(
    MESSAGE_END,
    "handleMessageEnd",
    On::MessageEnd,
    "(callback)",
    "Calls a function on every MessageEnd event",
    "function(messageEnd, counter)"
);
handler!(
    STREAM_END,
    "handleStreamEnd",
    On::StreamEnd,
    "(callback)",
    "Calls a function on the StreamEnd event",
    "function(streamEnd)"
);
handler!(
    MESSAGE,
    "handleMessage",
    On::Message,
    "([sizeLimit, ]callback[, {bufferLimit}])",
    "Calls a function on every complete message",
    "function(message, counter) called at the end of each message"
);
handler!(
    MESSAGE_BODY,
    "handleMessageBody",
    On::MessageBody,
    "([sizeLimit, ]callback[, {bufferLimit}])",
    "Calls a function on the body of every complete message",
    "function(data, counter) called with each body"
);

/// The `handle*` filters.
pub static FILTERS: &[&FilterDescriptor] = &[
    &ANY,
    &STREAM_START,
    &DATA,
    &MESSAGE_START,
    &MESSAGE_END,
    &STREAM_END,
    &MESSAGE,
    &MESSAGE_BODY,
];

fn build(b: &mut Builder<'_, '_>, on: On) -> Result<Box<dyn FilterProto>, String> {
    let (limit, at) = on.callback_arg(b)?;
    let callback = b.function(at).ok_or("expects a callback function")?;
    let desc = on.pick(FILTERS);
    Ok(Box::new(HandleProto {
        desc,
        on,
        callback,
        limit,
    }))
}

struct HandleProto {
    desc: &'static FilterDescriptor,
    on: On,
    callback: JsValue,
    limit: Option<usize>,
}

impl FilterProto for HandleProto {
    fn descriptor(&self) -> &'static dyn FilterType {
        self.desc
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Handle {
            gate: Gate::new(&init, self.desc.name),
            proto: HandleShared {
                name: self.desc.name,
                on: self.on,
                callback: self.callback.clone(),
            },
            context: init.context,
            output: init.output,
            counter: 0,
            started: false,
            ended: false,
            reader: MessageReader::new(self.limit),
        })
    }
}

struct HandleShared {
    name: &'static str,
    on: On,
    callback: JsValue,
}

/// What to do with the event that called the handler.
enum Step {
    /// Pass it on.
    Pass,
    /// Hold it until this Promise settles.
    Wait(JsValue),
    /// Drop it: the handler failed and the stream ended.
    Stop,
}

struct Handle {
    gate: Gate,
    proto: HandleShared,
    context: Rc<Context>,
    output: Output,
    counter: u64,
    started: bool,
    ended: bool,
    reader: MessageReader,
}

impl Handle {
    fn call_event(&mut self, evt: &Event) -> Step {
        let n = self.counter;
        self.counter += 1;
        let r = call_handler(&self.context, &self.proto.callback, n, |ctx| {
            script::to_js_event(ctx, evt)
        });
        self.check(r)
    }

    fn check(&mut self, r: Result<Option<JsValue>, script::ScriptError>) -> Step {
        match r {
            Ok(None) => Step::Pass,
            Ok(Some(p)) => Step::Wait(p),
            Err(e) => {
                self.ended = true;
                fail(&self.output, self.proto.name, &e);
                Step::Stop
            }
        }
    }

    fn finish_message(&mut self, end: MessageTail) -> Step {
        let msg = self.reader.finish(end);
        let n = self.counter;
        self.counter += 1;
        let r = if self.proto.on == On::Message {
            call_handler(&self.context, &self.proto.callback, n, |ctx| {
                script::to_js_message(ctx, &msg)
            })
        } else {
            call_handler(&self.context, &self.proto.callback, n, |ctx| {
                crate::script::data_to_js(ctx, &msg.body)
            })
        };
        self.check(r)
    }
}

impl Filter for Handle {
    fn process(&mut self, evt: Event) {
        if self.ended || self.gate.has_ended() {
            return;
        }
        if self.gate.is_waiting() {
            return self.gate.keep(evt);
        }
        let step = match (self.proto.on, &evt) {
            (On::Any, _) => self.call_event(&evt),
            (On::StreamStart, _) if !self.started => {
                self.started = true;
                self.call_event(&evt)
            }
            (On::Data, Event::Data(_))
            | (On::MessageStart, Event::MessageStart(_))
            | (On::MessageEnd, Event::MessageEnd(_))
            | (On::StreamEnd, Event::StreamEnd(_)) => self.call_event(&evt),
            (On::Message | On::MessageBody, Event::MessageStart(h)) => {
                self.reader.start(h.clone());
                Step::Pass
            }
            (On::Message | On::MessageBody, Event::Data(b)) => {
                self.reader.data(b);
                Step::Pass
            }
            (On::Message | On::MessageBody, Event::MessageEnd(t)) if self.reader.is_open() => {
                self.finish_message(t.clone())
            }
            (On::Message | On::MessageBody, Event::StreamEnd(_)) if self.reader.is_open() => {
                self.finish_message(MessageTail::default())
            }
            _ => Step::Pass,
        };
        match step {
            Step::Pass => {
                if evt.is_stream_end() {
                    self.ended = true;
                }
                self.output.emit(evt);
            }
            Step::Wait(p) => {
                let r = script::js(|ctx| {
                    self.gate.wait(
                        ctx,
                        p.get(ctx),
                        Settle::Ignore,
                        Some(evt),
                        self.context.clone(),
                        self.output.clone(),
                    )
                });
                if let Err(e) = r {
                    self.ended = true;
                    let e = script::ScriptError::plain(e.to_string());
                    fail(&self.output, self.proto.name, &e);
                }
            }
            Step::Stop => {}
        }
    }
}
