//! `demuxFastCGI`: Sluice as a FastCGI application behind a web server (NGINX's
//! `fastcgi_pass`, say). Each request becomes a message with Pipy's head `{role, keepAlive,
//! params}` and its standard input as the body, handled by a sub-pipeline of its own on the
//! generic demux core; the reply's body goes back as the request's standard output, then
//! END_REQUEST. Without `keepAlive` the connection closes after the reply, as the
//! specification asks.
//!
//! Requests are taken one after another on a connection, as web servers send them; a
//! connection that interleaves requests (FastCGI multiplexing) is refused with a protocol
//! error.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use bytes::BytesMut;

use super::record::*;
use crate::event::{ErrorCode, Event, MessageTail, StreamEnd};
use crate::filters::mux::{DemuxProtocol, DemuxQueue};
use crate::filters::Builder;
use crate::pipeline::{Context, Filter, FilterProto, Output, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

/// The prototype of `demuxFastCGI`, built by `b`, whose requests `layout` answers.
pub(super) fn demux_proto(
    b: &Builder<'_, '_>,
    layout: Rc<PipelineLayout>,
) -> Result<Box<dyn FilterProto>, String> {
    b.joint_prototype(layout, move |init, layout| {
        let replies = Rc::new(Replies {
            output: init.output.clone(),
            order: RefCell::new(VecDeque::new()),
        });
        let r = replies.clone();
        let to_client = Output::from_fn(move |e| r.reply(e));
        let queue = DemuxQueue::new(
            "demuxFastCGI",
            layout.clone(),
            init.context.clone(),
            to_client,
            Box::new(OneReply),
        );
        Box::new(Demux {
            context: init.context,
            output: init.output,
            decoder: Decoder::default(),
            current: None,
            queue,
            replies,
            failed: false,
        })
    })
}

/// Every FastCGI request has one reply, in order.
struct OneReply;

impl DemuxProtocol for OneReply {
    fn replies(&mut self, _start: &Event) -> Result<i32, ScriptError> {
        Ok(1)
    }
}

/// A request being received.
struct Receiving {
    id: u16,
    role: u16,
    keep: bool,
    params: Vec<u8>,
    /// Its MessageStart went to the queue (PARAMS are complete).
    started: bool,
}

struct Demux {
    context: Rc<Context>,
    output: Output,
    decoder: Decoder,
    current: Option<Receiving>,
    queue: Rc<DemuxQueue>,
    replies: Rc<Replies>,
    failed: bool,
}

impl Demux {
    fn fail(&mut self, why: &str) {
        tracing::warn!(target: "fastcgi", "demuxFastCGI(): {why}");
        self.failed = true;
        self.output.emit(StreamEnd::code(ErrorCode::ProtocolError));
    }

    fn head(&self, r: &Receiving) -> Option<JsValue> {
        let pairs = parse_params(&r.params)?;
        script::call_in(&self.context, |ctx| {
            let params = rquickjs::Object::new(ctx.clone())?;
            for (k, v) in pairs {
                params.set(
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                )?;
            }
            let o = rquickjs::Object::new(ctx.clone())?;
            o.set("role", r.role)?;
            o.set("keepAlive", r.keep)?;
            o.set("params", params)?;
            Ok(JsValue::save(ctx, o.into_value()))
        })
        .ok()
    }

    fn record(&mut self, r: Record) {
        let id = r.request_id;
        match r.kind {
            BEGIN_REQUEST => {
                if self.current.is_some() {
                    return self.fail("a request began before the one under way was complete");
                }
                let Some((role, keep)) = parse_begin_request(&r.content) else {
                    return self.fail("a short BEGIN_REQUEST record");
                };
                self.current = Some(Receiving {
                    id,
                    role,
                    keep,
                    params: Vec::new(),
                    started: false,
                });
            }
            PARAMS | STDIN if self.current.as_ref().is_none_or(|c| c.id != id) => {
                self.fail("a record for a request that was not begun");
            }
            PARAMS => {
                let Some(cur) = self.current.as_mut() else {
                    return;
                };
                if !r.content.is_empty() {
                    return cur.params.extend_from_slice(&r.content);
                }
                let Some(cur) = self.current.take() else {
                    return;
                };
                let Some(head) = self.head(&cur) else {
                    return self.fail("malformed PARAMS");
                };
                self.replies
                    .order
                    .borrow_mut()
                    .push_back((cur.id, cur.keep));
                self.current = Some(Receiving {
                    started: true,
                    ..cur
                });
                self.queue.input(Event::MessageStart(Some(head)));
            }
            STDIN => {
                if !self.current.as_ref().is_some_and(|c| c.started) {
                    return self.fail("STDIN before the end of PARAMS");
                }
                if r.content.is_empty() {
                    self.current = None;
                    self.queue.input(Event::MessageEnd(MessageTail::default()));
                } else {
                    self.queue.input(Event::Data(r.content));
                }
            }
            _ => {}
        }
    }
}

impl Filter for Demux {
    fn process(&mut self, evt: Event) {
        if self.failed {
            return;
        }
        match evt {
            Event::Data(b) => {
                let mut records = Vec::new();
                if let Err(BadRecord(why)) = self.decoder.feed(&b, &mut records) {
                    return self.fail(&why);
                }
                for r in records {
                    if self.failed {
                        return;
                    }
                    self.record(r);
                }
            }
            Event::StreamEnd(_) => self.queue.input(evt),
            _ => {}
        }
    }
}

/// Writes the replies back as records of the requests they answer.
struct Replies {
    output: Output,
    /// Requests in the order their replies come: id and keep-alive.
    order: RefCell<VecDeque<(u16, bool)>>,
}

impl Replies {
    fn reply(&self, e: Event) {
        let front = self.order.borrow().front().copied();
        match (e, front) {
            (Event::Data(b), Some((id, _))) => {
                let mut out = BytesMut::new();
                put_stream(&mut out, STDOUT, id, &b, false);
                self.output.emit(Event::Data(out.freeze()));
            }
            (Event::MessageEnd(_), Some((id, keep))) => {
                self.order.borrow_mut().pop_front();
                let mut out = BytesMut::new();
                put_record(&mut out, STDOUT, id, &[]);
                put_record(&mut out, END_REQUEST, id, &end_request(0, 0));
                self.output.emit(Event::Data(out.freeze()));
                if !keep {
                    self.output.emit(StreamEnd::ok());
                }
            }
            (Event::StreamEnd(se), _) => self.output.emit(Event::StreamEnd(se)),
            _ => {}
        }
    }
}
