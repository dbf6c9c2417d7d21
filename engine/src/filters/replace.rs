//! `replace*` filters: swap events of one kind (or whole messages) for what a callback or a
//! static value gives.

use std::rc::Rc;

use super::callback::{call_replacer, fail, MessageReader, Replacement};
use super::event_kinds::On;
use super::promise::{Gate, Settle};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, FilterType, Output};
use crate::script::{self, JsValue};

macro_rules! replacer {
    ($id:ident, $name:literal, $on:expr, $sig:literal, $help:literal) => {
        static $id: FilterDescriptor = FilterDescriptor {
            name: $name,
            kind: FilterKind::Plain,
            signature: $sig,
            help: $help,
            params: &[(
                "replacement",
                "events, a Message, an array of them, or a function(input, counter) returning them; undefined drops the input",
            )],
            build: |b| build(b, $on),
        };
    };
}

replacer!(
    ANY,
    "replace",
    On::Any,
    "([replacement])",
    "Replaces every event"
);
replacer!(
    STREAM_START,
    "replaceStreamStart",
    On::StreamStart,
    "(replacement)",
    "Replaces the first event of the stream"
);
replacer!(
    DATA,
    "replaceData",
    On::Data,
    "([replacement])",
    "Replaces every Data event"
);
replacer!(
    MESSAGE_START,
    "replaceMessageStart",
    On::MessageStart,
    "([replacement])",
    "Replaces every MessageStart event"
);
replacer!(
    MESSAGE_END,
    "replaceMessageEnd",
    On::MessageEnd,
    "([replacement])",
    "Replaces every MessageEnd event"
);
replacer!(
    STREAM_END,
    "replaceStreamEnd",
    On::StreamEnd,
    "([replacement])",
    "Replaces the StreamEnd event"
);
replacer!(
    MESSAGE,
    "replaceMessage",
    On::Message,
    "([sizeLimit, ]replacement[, {bufferLimit}])",
    "Replaces every complete message"
);
replacer!(
    MESSAGE_BODY,
    "replaceMessageBody",
    On::MessageBody,
    "([sizeLimit, ]replacement[, {bufferLimit}])",
    "Replaces the body of every message"
);

/// The `replace*` filters.
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
    let replacement = b.saved(at);
    let desc = on.pick(FILTERS);
    Ok(Box::new(ReplaceProto {
        desc,
        on,
        replacement,
        limit,
    }))
}

struct ReplaceProto {
    desc: &'static FilterDescriptor,
    on: On,
    replacement: Option<JsValue>,
    limit: Option<usize>,
}

impl FilterProto for ReplaceProto {
    fn descriptor(&self) -> &'static dyn FilterType {
        self.desc
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Replace {
            gate: Gate::new(&init, self.desc.name),
            name: self.desc.name,
            on: self.on,
            replacement: self.replacement.clone(),
            context: init.context,
            output: init.output,
            counter: 0,
            started: false,
            ended: false,
            reader: MessageReader::new(self.limit),
        })
    }
}

struct Replace {
    gate: Gate,
    name: &'static str,
    on: On,
    replacement: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    counter: u64,
    started: bool,
    ended: bool,
    reader: MessageReader,
}

impl Replace {
    /// Emits the replacement for one input, then `after`; returns false after an error.
    /// When the replacement is a Promise, both wait for it.
    fn replace(
        &mut self,
        arg: impl for<'js> FnOnce(&rquickjs::Ctx<'js>) -> rquickjs::Result<rquickjs::Value<'js>>,
        after: Option<Event>,
    ) -> bool {
        let Some(r) = self.replacement.clone() else {
            return self.emit_after(after); // no replacement: the input is dropped
        };
        let n = self.counter;
        self.counter += 1;
        match call_replacer(&self.context, &r, n, arg) {
            Ok(Replacement::Pending(p)) => {
                let r = script::js(|ctx| {
                    self.gate.wait(
                        ctx,
                        p.get(ctx),
                        Settle::Replace,
                        after,
                        self.context.clone(),
                        self.output.clone(),
                    )
                });
                if let Err(e) = r {
                    self.ended = true;
                    fail(
                        &self.output,
                        self.name,
                        &script::ScriptError::plain(e.to_string()),
                    );
                    return false;
                }
                true
            }
            Ok(Replacement::Events(evts)) => {
                for e in evts {
                    if e.is_stream_end() {
                        self.ended = true;
                    }
                    self.output.emit(e);
                    if self.ended {
                        break;
                    }
                }
                self.emit_after(after)
            }
            Ok(Replacement::Nothing) => self.emit_after(after),
            Err(e) => {
                self.ended = true;
                fail(&self.output, self.name, &e);
                false
            }
        }
    }

    /// Emits what follows a replacement (unless the replacement ended the stream).
    fn emit_after(&mut self, after: Option<Event>) -> bool {
        if let Some(e) = after {
            if !self.ended {
                self.ended = e.is_stream_end();
                self.output.emit(e);
            }
        }
        true
    }

    fn replace_event(&mut self, evt: Event) {
        self.replace(move |ctx| script::to_js_event(ctx, &evt), None);
    }

    fn end_message(&mut self, end: MessageTail, closing: Option<Event>) {
        let msg = self.reader.finish(end.clone());
        if self.on == On::Message {
            // The stream still ends after the replacement: a StreamEnd that closed the
            // message is passed on so the pipeline's owner sees the end.
            self.replace(move |ctx| script::to_js_message(ctx, &msg), closing);
        } else {
            let body = msg.body;
            let after = closing.unwrap_or(Event::MessageEnd(end));
            self.replace(move |ctx| script::data_to_js(ctx, &body), Some(after));
        }
    }
}

impl Filter for Replace {
    fn process(&mut self, evt: Event) {
        if self.ended || self.gate.has_ended() {
            return;
        }
        if self.gate.is_waiting() {
            return self.gate.keep(evt);
        }
        match (self.on, &evt) {
            (On::Any, _) => self.replace_event(evt),
            (On::StreamStart, _) if !self.started => {
                self.started = true;
                self.replace_event(evt);
            }
            (On::Data, Event::Data(b)) if !b.is_empty() => self.replace_event(evt),
            (On::MessageStart, Event::MessageStart(_))
            | (On::MessageEnd, Event::MessageEnd(_))
            | (On::StreamEnd, Event::StreamEnd(_)) => self.replace_event(evt),
            (On::Message, Event::MessageStart(h)) => self.reader.start(h.clone()),
            (On::MessageBody, Event::MessageStart(h)) => {
                self.reader.start(None);
                let _ = h;
                self.output.emit(evt);
            }
            (On::Message | On::MessageBody, Event::Data(b)) if self.reader.is_open() => {
                self.reader.data(b)
            }
            (On::Message | On::MessageBody, Event::MessageEnd(t)) if self.reader.is_open() => {
                self.end_message(t.clone(), None)
            }
            (On::Message | On::MessageBody, Event::StreamEnd(_)) if self.reader.is_open() => {
                self.end_message(MessageTail::default(), Some(evt))
            }
            _ => {
                if evt.is_stream_end() {
                    self.ended = true;
                }
                self.output.emit(evt);
            }
        }
    }
}
