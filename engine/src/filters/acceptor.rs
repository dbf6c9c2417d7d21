//! The server side of a handshake that comes before a stream's real bytes (`acceptSOCKS`,
//! `acceptProxyProtocol`): the filter buffers what the client sends, lets the protocol's
//! [`Handshake`] read it and answer, and once the handshake accepts, hands the rest of the
//! stream (and the bytes read past the handshake) to a sub-pipeline with the stream's context.

use std::rc::Rc;

use bytes::{Bytes, BytesMut};

use super::callback::fail;
use super::Builder;
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, Output, Pipeline, PipelineLayout};
use crate::script::ScriptError;

/// What a handshake made of the bytes so far.
pub(super) enum Step {
    /// Not enough bytes yet.
    More,
    /// Send this to the client and read on.
    Answer(Bytes),
    /// Accepted: send the answer, if any; the rest of the stream goes to the sub-pipeline.
    Accept(Option<Bytes>),
    /// Refused: send the answer, if any, then end the stream with this event.
    Refuse(Option<Bytes>, Event),
    /// The script deciding failed: the stream ends with its error.
    Fail(ScriptError),
}

/// A protocol's side of the handshake.
pub(super) trait Handshake: 'static {
    /// Reads what it can from the start of `buf`, taking off the bytes it used.
    fn step(&mut self, buf: &mut BytesMut, context: &Rc<Context>) -> Step;
}

/// The filter: a [`Handshake`], then the sub-pipeline.
pub(super) struct Acceptor<H> {
    name: &'static str,
    handshake: H,
    layout: Rc<PipelineLayout>,
    context: Rc<Context>,
    output: Output,
    buf: BytesMut,
    sub: Option<Rc<Pipeline>>,
    done: bool,
}

/// The prototype of the accepting filter `b` builds: each stream goes through the
/// [`Handshake`] that `handshake` makes for it, then to `layout`.
pub(super) fn acceptor_proto<H: Handshake>(
    b: &Builder<'_, '_>,
    layout: Rc<PipelineLayout>,
    handshake: impl Fn() -> H + 'static,
) -> Result<Box<dyn FilterProto>, String> {
    let name = b.descriptor.name;
    b.joint_prototype(layout, move |init, layout| {
        Box::new(Acceptor::new(name, handshake(), layout.clone(), init))
    })
}

impl<H: Handshake> Acceptor<H> {
    /// The filter `name` (for errors) running `handshake`, then `layout`.
    fn new(name: &'static str, handshake: H, layout: Rc<PipelineLayout>, init: FilterInit) -> Self {
        Acceptor {
            name,
            handshake,
            layout,
            context: init.context,
            output: init.output,
            buf: BytesMut::new(),
            sub: None,
            done: false,
        }
    }

    fn read(&mut self) {
        loop {
            match self.handshake.step(&mut self.buf, &self.context) {
                Step::More => return,
                Step::Answer(b) => self.output.emit(Event::Data(b)),
                Step::Accept(answer) => {
                    if let Some(b) = answer {
                        self.output.emit(Event::Data(b));
                    }
                    let sub =
                        Pipeline::new(&self.layout, self.context.clone(), self.output.clone());
                    self.sub = Some(sub.clone());
                    let rest = self.buf.split().freeze();
                    if !rest.is_empty() {
                        sub.input(Event::Data(rest));
                    }
                    return;
                }
                Step::Refuse(answer, end) => {
                    self.done = true;
                    self.buf = BytesMut::new();
                    if let Some(b) = answer {
                        self.output.emit(Event::Data(b));
                    }
                    return self.output.emit(end);
                }
                Step::Fail(e) => {
                    self.done = true;
                    return fail(&self.output, self.name, &e);
                }
            }
        }
    }
}

impl<H: Handshake> Filter for Acceptor<H> {
    fn process(&mut self, evt: Event) {
        if self.done {
            return;
        }
        if let Some(s) = self.sub.clone() {
            return s.input(evt);
        }
        match evt {
            Event::Data(b) => {
                self.buf.extend_from_slice(&b);
                self.read();
            }
            Event::StreamEnd(_) => {
                self.done = true;
                self.output.emit(evt);
            }
            _ => {}
        }
    }
}
