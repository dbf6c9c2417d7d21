//! One upstream connection of `muxHTTP`: a sub-pipeline (usually `connect`), an encoder for
//! requests and a decoder for responses.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use bytes::Bytes;

use super::idle::{self, IdleSession};
use super::{MuxStream, Pool, Settings};
use crate::event::{ErrorCode, Event, StreamEnd, StreamError};
use crate::filters::http::scratch;
use crate::filters::upstream_metrics;
use crate::http::decoder::{Decoder, Part, RequestInfo};
use crate::http::encoder::{Encoder, OutHead};
use crate::http::head::{out_head, Exchange as HeadInfo, LazyHead};
use crate::http::tail::message_end;
use crate::http::Role;
use crate::pipeline::{Output, Pipeline};
use crate::script::JsValue;

/// One upstream connection: a sub-pipeline (usually `connect`), an encoder for requests and
/// a decoder for responses.
pub(in crate::filters) struct Session {
    pub(super) me: Weak<Session>,
    /// The pool key.
    pub(in crate::filters) key: String,
    /// The key without its kind (`string:`): the upstream the access log names.
    pub(super) upstream: Rc<str>,
    pub(super) pool: Weak<Pool>,
    pub(super) settings: Settings,
    pub(super) pipeline: RefCell<Option<Rc<Pipeline>>>,
    /// Trace of the stream being served, if it is traced.
    pub(super) trace: Cell<Option<u64>>,
    /// The request in flight asked for a tunnel (CONNECT or upgrade).
    pub(super) tunnel_asked: Cell<bool>,
    /// The connection has become a tunnel for the current stream.
    pub(super) tunneling: Cell<bool>,
    pub(super) encoder: RefCell<Encoder>,
    pub(super) decoder: RefCell<Decoder>,
    pub(super) current: RefCell<Option<Weak<MuxStream>>>,
    pub(super) response_started: Cell<bool>,
    pub(super) keep_alive: Cell<bool>,
    pub(super) closed: Cell<bool>,
    /// When the session last became idle (none while busy).
    pub(super) idle_since: Cell<Option<tokio::time::Instant>>,
    /// The idle timer task is running.
    pub(super) idle_timer: Cell<bool>,
    /// When the current request went out.
    pub(super) sent_at: Cell<Option<std::time::Instant>>,
}

impl Session {
    pub(super) fn new(
        make: impl FnOnce(Output) -> Rc<Pipeline>,
        key: String,
        pool: &Rc<Pool>,
        settings: Settings,
    ) -> Rc<Session> {
        let s = Rc::new_cyclic(|me: &Weak<Session>| Session {
            me: me.clone(),
            upstream: key.split_once(':').map(|(_, k)| k).unwrap_or(&key).into(),
            key,
            pool: Rc::downgrade(pool),
            settings,
            pipeline: RefCell::new(None),
            trace: Cell::new(None),
            tunnel_asked: Cell::new(false),
            tunneling: Cell::new(false),
            encoder: RefCell::new(Encoder::new(settings.buffer_size)),
            decoder: RefCell::new(Decoder::new(Role::Response, settings.max_head)),
            current: RefCell::new(None),
            response_started: Cell::new(false),
            keep_alive: Cell::new(true),
            closed: Cell::new(false),
            idle_since: Cell::new(None),
            idle_timer: Cell::new(false),
            sent_at: Cell::new(None),
        });
        let me = Rc::downgrade(&s);
        let out = Output::from_fn(move |e| {
            if let Some(s) = me.upgrade() {
                s.on_output(e);
            }
        });
        let p = make(out);
        *s.pipeline.borrow_mut() = Some(p);
        s
    }

    /// Notes bytes to or from upstream in the trace of the stream being served.
    pub(super) fn trace_bytes(&self, b: &Bytes, sent: bool) {
        let Some(t) = self.trace.get() else { return };
        let p = self.pipeline.borrow().clone();
        let Some(p) = p else { return };
        let name = p
            .layout()
            .filters()
            .first()
            .map(|f| f.label())
            .unwrap_or_else(|| "muxHTTP".into());
        let preview =
            String::from_utf8_lossy(&b[..b.len().min(crate::trace::PREVIEW)]).into_owned();
        let label = if sent {
            name
        } else {
            format!("{name} (response)")
        };
        crate::trace::note(t, &label, p.context().id(), "Data", b.len(), preview);
    }

    pub(super) fn send(&self, mut out: Vec<Bytes>) {
        let p = self.pipeline.borrow().clone();
        if let Some(p) = p {
            for b in out.drain(..) {
                self.trace_bytes(&b, true);
                p.input(Event::Data(b));
            }
        }
        scratch::give_chunks(out);
    }

    pub(super) fn begin(&self, stream: Weak<MuxStream>, head: Option<JsValue>) {
        self.idle_since.set(None);
        self.sent_at.set(Some(std::time::Instant::now()));
        self.response_started.set(false);
        *self.current.borrow_mut() = Some(stream);
        let oh: OutHead = out_head(head.as_ref(), Role::Request, HeadInfo::default());
        let method = oh.start_line.split(' ').next().unwrap_or("");
        let (is_head, is_connect) = (method == "HEAD", method == "CONNECT");
        let upgrade = oh
            .header_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("upgrade"));
        let mut oh = oh;
        if upgrade {
            oh.connection = Some("upgrade".into());
        }
        self.tunnel_asked.set(upgrade || is_connect);
        self.decoder.borrow_mut().expect_response(RequestInfo {
            head: is_head,
            connect: is_connect,
            upgrade,
        });
        let mut out = scratch::chunks();
        self.encoder.borrow_mut().start(oh, false, &mut out);
        self.send(out);
    }

    pub(super) fn send_data(&self, b: Bytes) {
        let mut out = scratch::chunks();
        if self.encoder.borrow_mut().data(b, &mut out).is_err() {
            self.keep_alive.set(false);
        }
        self.send(out);
    }

    pub(super) fn send_end(&self, trailers: &[(String, String)]) {
        let mut out = scratch::chunks();
        if self
            .encoder
            .borrow_mut()
            .end_with(trailers, &mut out)
            .is_err()
        {
            self.keep_alive.set(false);
        }
        self.send(out);
    }

    pub(super) fn stream(&self) -> Option<Rc<MuxStream>> {
        self.current.borrow().as_ref().and_then(|w| w.upgrade())
    }

    pub(super) fn on_output(&self, evt: Event) {
        match evt {
            Event::Data(b) => {
                self.trace_bytes(&b, false);
                let mut parts = scratch::parts();
                self.decoder.borrow_mut().feed(&b, &mut parts);
                for p in parts.drain(..) {
                    self.on_part(p);
                }
                scratch::give_parts(parts);
            }
            Event::StreamEnd(se) => {
                let mut parts = Vec::new();
                let cut = self.decoder.borrow_mut().finish(&mut parts);
                for p in parts {
                    self.on_part(p);
                }
                self.on_closed(se.error.clone(), cut);
            }
            _ => {}
        }
    }

    pub(super) fn on_part(&self, part: Part) {
        let stream = self.stream();
        match part {
            Part::Head(h) => {
                self.response_started.set(true);
                // The access log names the upstream its connection went to, when known.
                if let (Some(s), Some(p)) = (&stream, self.pipeline.borrow().as_ref()) {
                    if let Some(u) = p.context().upstream() {
                        s.context.set_upstream(u);
                    }
                }
                let ok = (h.status == 101) || (200..300).contains(&h.status);
                self.tunneling.set(self.tunnel_asked.get() && ok);
                if self.tunneling.get() {
                    if let Some(s) = &stream {
                        s.tunnel.set(true);
                        let ahead = std::mem::take(&mut *s.tunnel_pending.borrow_mut());
                        self.send(ahead);
                        if s.input_ended.get() {
                            // The stream already ended its side: so does the tunnel.
                            let p = self.pipeline.borrow().clone();
                            if let Some(p) = p {
                                p.input(StreamEnd::ok());
                            }
                        }
                    }
                }
                if let Some(t) = self.sent_at.take() {
                    let p = self.pipeline.borrow().clone();
                    let reached = p.and_then(|p| p.context().upstream());
                    upstream_metrics::observe_response(reached.as_deref(), &self.key, t.elapsed());
                }
                if !h.keep_alive() {
                    self.keep_alive.set(false);
                }
                let head = Some(JsValue::lazy(LazyHead {
                    head: Rc::new(h),
                    role: Role::Response,
                }));
                if let Some(s) = stream {
                    s.on_response(Event::MessageStart(head));
                }
            }
            Part::Data(b) => {
                if let Some(s) = stream {
                    s.on_response(Event::Data(b));
                }
            }
            Part::End {
                head_size,
                body_size,
                trailers,
            } => {
                let end = message_end(head_size, body_size, trailers);
                if self.tunneling.get() {
                    // The connection now belongs to this stream, as a raw tunnel.
                    if let Some(s) = stream {
                        s.on_response(Event::MessageEnd(end));
                    }
                    return;
                }
                self.current.borrow_mut().take();
                self.response_started.set(false);
                // A response that ends before its request was all sent (an early 413, say)
                // leaves the upstream expecting the rest of the body: the next request on this
                // connection would be read as that body. So the connection is not reused.
                let request_sent = self.encoder.borrow().is_idle();
                let reusable =
                    request_sent && stream.as_ref().is_none_or(|s| !s.serves_closed_client());
                if self.keep_alive.get() && !self.closed.get() && reusable {
                    self.go_idle();
                } else {
                    self.close();
                }
                if let Some(s) = stream {
                    s.on_response(Event::MessageEnd(end));
                    s.exchange_done(true);
                }
            }
            Part::Error(e) => {
                tracing::warn!(target: "http", "muxHTTP(): bad response from upstream: {}", e.message());
                self.on_closed(Some(StreamError::Code(ErrorCode::ProtocolError)), true);
            }
            Part::Tunnel(b) => {
                if let Some(s) = stream {
                    s.on_response(Event::Data(b));
                }
            }
        }
    }

    /// The upstream connection ended. A waiting stream gets a synthesized error response, or
    /// (mid-response) the end of its stream.
    pub(super) fn on_closed(&self, error: Option<StreamError>, _cut: bool) {
        let stream = self.stream();
        self.current.borrow_mut().take();
        self.close();
        let Some(s) = stream else { return };
        if self.response_started.get() {
            s.on_response(Event::StreamEnd(StreamEnd {
                error: Some(error.unwrap_or(StreamError::Code(ErrorCode::ConnectionReset))),
            }));
            s.exchange_done(false);
            s.ended.set(true);
            return;
        }
        let code = match &error {
            Some(StreamError::Code(c)) => *c,
            Some(StreamError::Runtime(_)) => ErrorCode::RuntimeError,
            None => ErrorCode::ConnectionReset,
        };
        s.answer_error(code);
    }

    pub(super) fn go_idle(&self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let Some(me) = self.me.upgrade() else { return };
        pool.put(&me);
        self.idle_since.set(Some(tokio::time::Instant::now()));
        if self.idle_timer.replace(true) {
            return;
        }
        idle::watch_idle(self.me.clone(), self.settings.max_idle);
    }

    /// The stream left mid-exchange: this connection cannot be reused.
    pub(super) fn abandon(&self) {
        if self.current.borrow().is_some() {
            self.current.borrow_mut().take();
            self.close();
        }
    }

    /// True once the connection is closed (or closing).
    pub(in crate::filters) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Closes the connection: its sub-pipeline's input ends.
    pub(in crate::filters) fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        if let Some(pool) = self.pool.upgrade() {
            pool.remove(self);
        }
        let p = self.pipeline.borrow_mut().take();
        if let Some(p) = p {
            p.input(StreamEnd::ok());
        }
    }
}

impl IdleSession for Session {
    fn is_closed(&self) -> bool {
        self.closed.get()
    }
    fn is_busy(&self) -> bool {
        self.current.borrow().is_some()
    }
    fn idle_since(&self) -> Option<tokio::time::Instant> {
        self.idle_since.get()
    }
    fn close(&self) {
        Session::close(self)
    }
}
