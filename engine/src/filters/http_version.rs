//! `muxHTTP`'s protocol choice when its `version` function answers with a Promise.
//!
//! Pipy lets the version depend on the upstream connection itself: the classic use is
//! `version: () => new Promise(r => _select = r)` with `connectTLS({alpn: ['h2', 'http/1.1'],
//! handshake: ({alpn}) => _select(alpn)})`, so HTTP/2 is spoken exactly when the server picked
//! `h2` in ALPN. The connection must therefore exist before the protocol is known. A
//! [`Probe`] opens it (the sub-pipeline gets an empty Data, which starts `connect` and the TLS
//! handshake, as Pipy's pending session does), keeps what the connection outputs meanwhile,
//! and holds the streams that asked for this key. When the Promise settles, the connection
//! is handed to an HTTP/1 [`Session`](super::http::client) or an [`H2Session`] as if it had
//! been made for it, and the streams go on.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use bytes::Bytes;
use rquickjs::{Ctx, Function, Value};

use super::http::client::{is_h2, MuxStream, Pool};
use super::schedule;
use crate::event::{ErrorCode, Event};
use crate::pipeline::{Output, Pipeline};
use crate::script::JsValue;

/// An output whose destination is chosen later: events that come before are kept and
/// delivered, in order, when it is [bound](LateOutput::bind).
#[derive(Default)]
pub(super) struct LateOutput {
    target: RefCell<Option<Output>>,
    held: RefCell<Vec<Event>>,
}

impl LateOutput {
    /// The output to give the pipeline whose destination is not known yet.
    pub(super) fn output(me: &Rc<LateOutput>) -> Output {
        let me = me.clone();
        Output::from_fn(move |e| me.emit(e))
    }

    fn emit(&self, e: Event) {
        let target = self.target.borrow().clone();
        match target {
            Some(t) => t.emit(e),
            None => self.held.borrow_mut().push(e),
        }
    }

    /// Sends what was kept to `out`, and everything later too.
    pub(super) fn bind(&self, out: Output) {
        loop {
            let held = std::mem::take(&mut *self.held.borrow_mut());
            if held.is_empty() {
                break;
            }
            out.emit_all(held);
        }
        *self.target.borrow_mut() = Some(out);
    }
}

/// A connection opened for one pool key whose protocol is not decided yet.
pub(super) struct Probe {
    key: String,
    pool: Weak<Pool>,
    pipeline: RefCell<Option<Rc<Pipeline>>>,
    late: Rc<LateOutput>,
    /// The streams waiting for the decision, with their request heads.
    waiting: RefCell<Vec<(Weak<MuxStream>, Option<JsValue>)>>,
}

impl Probe {
    /// Opens the connection for `stream` and waits for `promise`, the value its `version`
    /// function returned.
    pub(super) fn start<'js>(
        ctx: &Ctx<'js>,
        stream: &MuxStream,
        key: String,
        promise: Value<'js>,
    ) -> rquickjs::Result<Rc<Probe>> {
        let late = Rc::new(LateOutput::default());
        let context = stream.context.fork();
        context.set_trace(None);
        let pipeline = Pipeline::new(&stream.layout, context, LateOutput::output(&late));
        let probe = Rc::new(Probe {
            key: key.clone(),
            pool: Rc::downgrade(&stream.pool),
            pipeline: RefCell::new(Some(pipeline.clone())),
            late,
            waiting: RefCell::new(Vec::new()),
        });
        stream.pool.add_probe(&key, &probe);
        let on_ok = Rc::downgrade(&probe);
        let on_err = on_ok.clone();
        let fulfilled = Function::new(ctx.clone(), move |v: Value<'js>| {
            if let Some(p) = on_ok.upgrade() {
                let h2 = is_h2(&v);
                p.settle(Some(h2));
            }
        })?;
        let rejected = Function::new(ctx.clone(), move |e: Value<'js>| {
            tracing::debug!(target: "http", "muxHTTP(): the version Promise was rejected: {e:?}");
            if let Some(p) = on_err.upgrade() {
                p.settle(None);
            }
        })?;
        schedule::then(&promise, fulfilled, rejected)?;
        // Start the connection (and its TLS handshake) now, as Pipy does for a pending session.
        pipeline.input(Event::Data(Bytes::new()));
        Ok(probe)
    }

    /// Adds a stream that wants this key's connection.
    pub(super) fn join(&self, stream: Weak<MuxStream>, head: Option<JsValue>) {
        self.waiting.borrow_mut().push((stream, head));
    }

    /// The Promise settled: HTTP/2 (`Some(true)`), HTTP/1.1 (`Some(false)`), or rejected.
    fn settle(self: &Rc<Self>, h2: Option<bool>) {
        let Some(pipeline) = self.pipeline.borrow_mut().take() else {
            return;
        };
        if let Some(pool) = self.pool.upgrade() {
            pool.remove_probe(&self.key, self);
        }
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        let mut streams = waiting
            .into_iter()
            .filter_map(|(s, head)| s.upgrade().map(|s| (s, head)));
        let Some(h2) = h2 else {
            pipeline.input(crate::event::StreamEnd::ok());
            for (s, _) in streams {
                s.version_failed(ErrorCode::ConnectionRefused);
            }
            return;
        };
        let Some((first, head)) = streams.next() else {
            pipeline.input(crate::event::StreamEnd::ok());
            return;
        };
        first.adopt(&self.key, pipeline, &self.late, h2, head);
        for (s, head) in streams {
            s.resume_after_probe(head);
        }
    }
}
