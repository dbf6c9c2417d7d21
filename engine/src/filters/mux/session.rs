//! A session: one shared sub-pipeline (usually one upstream connection) that carries the
//! requests of many streams, and sends each reply back to the stream that asked.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::hooks::{MuxProtocol, Request};
use super::options::{ReplyCount, SessionOptions};
use super::pool::Pool;
use super::replies::{Delivery, ReplyQueue};
use super::stream::MuxStream;
use crate::event::{Event, StreamEnd};
use crate::pipeline::{Context, Output, Pipeline, PipelineLayout};
use crate::script::JsValue;

/// One session of a pool.
pub struct Session {
    me: Weak<Session>,
    pool: Weak<Pool>,
    limits: SessionOptions,
    reply_count: ReplyCount,
    pipeline: RefCell<Option<Rc<Pipeline>>>,
    protocol: RefCell<Box<dyn MuxProtocol>>,
    replies: RefCell<ReplyQueue<Rc<MuxStream>>>,
    /// Streams using the session now.
    streams: Cell<usize>,
    /// Streams that have used it, over its life.
    taken: Cell<usize>,
    /// When the last stream left (none while some use it).
    free_since: Cell<Option<tokio::time::Instant>>,
    closed: Cell<bool>,
    /// How the sub-pipeline ended, when it ended by itself.
    end: RefCell<Option<StreamEnd>>,
}

impl Session {
    /// A session of `pool` speaking `protocol`; [`Session::open`] starts its sub-pipeline.
    pub fn new(pool: &Rc<Pool>, protocol: Box<dyn MuxProtocol>) -> Rc<Session> {
        Rc::new_cyclic(|me| Session {
            me: me.clone(),
            pool: Rc::downgrade(pool),
            limits: pool.options().session,
            reply_count: pool.options().replies.clone(),
            pipeline: RefCell::new(None),
            protocol: RefCell::new(protocol),
            replies: RefCell::new(ReplyQueue::default()),
            streams: Cell::new(0),
            taken: Cell::new(0),
            free_since: Cell::new(None),
            closed: Cell::new(false),
            end: RefCell::new(None),
        })
    }

    /// Starts the sub-pipeline from `layout` in `context`; its `onStart` gets the key.
    pub fn open(&self, layout: &Rc<PipelineLayout>, context: Rc<Context>, key: Option<JsValue>) {
        let me = self.me.clone();
        let out = Output::from_fn(move |e| {
            if let Some(s) = me.upgrade() {
                s.on_output(e);
            }
        });
        let p = Pipeline::new(layout, context, out);
        *self.pipeline.borrow_mut() = Some(p.clone());
        p.start(move |ctx| match &key {
            Some(k) => vec![k.get(ctx)],
            None => Vec::new(),
        });
    }

    /// How many replies a request expects, as the pool's options say.
    pub fn reply_count(&self) -> &ReplyCount {
        &self.reply_count
    }

    /// True once the sub-pipeline has ended or the session was closed.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// How the sub-pipeline ended, if it ended by itself.
    pub fn end_event(&self) -> Option<Event> {
        self.end.borrow().clone().map(Event::StreamEnd)
    }

    /// Streams using the session now.
    pub fn stream_count(&self) -> usize {
        self.streams.get()
    }

    /// True when one more stream may join under the pool's `maxQueue` and `maxMessages`.
    pub fn can_take(&self) -> bool {
        let l = &self.limits;
        !self.closed.get()
            && (l.max_queue == 0 || self.streams.get() < l.max_queue)
            && (l.max_messages == 0 || self.taken.get() < l.max_messages)
    }

    /// A stream joins.
    pub fn join(&self) {
        self.streams.set(self.streams.get() + 1);
        self.taken.set(self.taken.get() + 1);
        self.free_since.set(None);
    }

    /// A stream leaves. The last one starts the idle clock (`maxIdle`); a session that has
    /// taken `maxMessages` streams retires at once.
    pub fn leave(&self) {
        let n = self.streams.get().saturating_sub(1);
        self.streams.set(n);
        if n > 0 || self.closed.get() {
            return;
        }
        self.free_since.set(Some(tokio::time::Instant::now()));
        let retired = self.limits.max_messages > 0 && self.taken.get() >= self.limits.max_messages;
        let wait = if retired {
            std::time::Duration::ZERO
        } else {
            self.limits.max_idle
        };
        let weak = self.me.clone();
        tokio::task::spawn_local(async move {
            tokio::time::sleep(wait).await;
            let Some(s) = weak.upgrade() else { return };
            let idle_long = s.free_since.get().is_some_and(|t| t.elapsed() >= wait);
            if s.streams.get() == 0 && idle_long {
                tracing::debug!(
                    "mux: session closed ({})",
                    if retired { "maxMessages" } else { "maxIdle" }
                );
                s.close();
            }
        });
    }

    /// Frames `request` of `stream` into the sub-pipeline; `replies` is the filter's count.
    pub fn send(&self, stream: &Rc<MuxStream>, request: Request, replies: usize) {
        let mut events = Vec::new();
        let expect = self
            .protocol
            .borrow_mut()
            .request(request, replies, &mut events);
        if expect.replies > 0 {
            stream.expect_reply();
            self.replies.borrow_mut().expect(stream.clone(), expect);
        }
        let p = self.pipeline.borrow().clone();
        if let Some(p) = p {
            for e in events {
                p.input(e);
            }
        }
    }

    fn on_output(&self, evt: Event) {
        if self.closed.get() && self.replies.borrow().is_empty() {
            return;
        }
        let mut deliveries = Vec::new();
        match evt {
            Event::StreamEnd(se) => self.ended(se, &mut deliveries),
            evt => {
                let mut routed = Vec::new();
                self.protocol.borrow_mut().reply(evt, &mut routed);
                for (route, e) in routed {
                    if let Event::StreamEnd(se) = e {
                        self.ended(se, &mut deliveries);
                        break;
                    }
                    self.replies.borrow_mut().route(route, e, &mut deliveries);
                }
            }
        }
        for d in deliveries {
            match d {
                Delivery::Event(s, e) => s.deliver(e),
                Delivery::Done(s) => s.reply_done(),
            }
        }
    }

    /// The sub-pipeline ended (or the protocol gave up on it): waiting streams get the end.
    fn ended(&self, se: StreamEnd, deliveries: &mut Vec<Delivery<Rc<MuxStream>>>) {
        self.replies.borrow_mut().end(&se, deliveries);
        *self.end.borrow_mut() = Some(se);
        self.closed.set(true);
        self.detach();
        drop(self.pipeline.borrow_mut().take());
    }

    /// Closes an idle or retired session: its sub-pipeline gets `StreamEnd`.
    pub fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.detach();
        let p = self.pipeline.borrow_mut().take();
        if let Some(p) = p {
            p.input(StreamEnd::ok());
        }
    }

    fn detach(&self) {
        if let Some(pool) = self.pool.upgrade() {
            pool.remove(self);
        }
    }
}
