//! One stream using `muxHTTP`: its requests go to a session of the pool (HTTP/1) or to an
//! HTTP/2 session, and the responses come back to it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use bytes::Bytes;

use super::h2::{H2Call, H2Session};
use super::{is_h2, Pool, Session, Settings, Version};
use crate::event::{ErrorCode, Event, MessageTail, StreamEnd};
use crate::filters::callback::fail;
use crate::filters::http::answer;
use crate::filters::http_version::{LateOutput, Probe};
use crate::http::grpc;
use crate::http::tail::trailers_of;
use crate::pipeline::{Context, Filter, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

/// One stream using `muxHTTP` (usually one request).
pub(in crate::filters) struct MuxStream {
    pub(in crate::filters) me: Weak<MuxStream>,
    pub(in crate::filters) layout: Rc<PipelineLayout>,
    /// The early form (`muxHTTP('name', ...)`) gives the session pipeline a copy of the
    /// context; the current one shares the creating filter's variables.
    pub(super) cloned_context: bool,
    pub(super) key_fn: Option<JsValue>,
    /// The `version` option: HTTP/2 when it is (or its function returns) 2 or `h2`.
    pub(super) version: Version,
    /// The request in flight, when it went over HTTP/2.
    pub(super) h2_call: RefCell<Option<H2Call>>,
    /// The head of the request in flight (a gRPC call's errors are answered the gRPC way).
    pub(super) request_head: RefCell<Option<JsValue>>,
    pub(in crate::filters) pool: Rc<Pool>,
    pub(in crate::filters) settings: Settings,
    pub(in crate::filters) context: Rc<Context>,
    pub(super) output: Output,
    pub(super) key: RefCell<Option<String>>,
    pub(super) session: RefCell<Option<Rc<Session>>>,
    /// Events of later requests, waiting for the current exchange to finish.
    pub(super) held: RefCell<VecDeque<Event>>,
    pub(in crate::filters) in_flight: Cell<bool>,
    pub(super) input_ended: Cell<bool>,
    pub(super) ended: Cell<bool>,
    /// The exchange opened a tunnel: input goes upstream as it is.
    pub(super) tunnel: Cell<bool>,
    /// Input that came after a tunnel request, before its answer.
    pub(super) tunnel_pending: RefCell<Vec<Bytes>>,
    /// The request waits for a [`Probe`] to decide the connection's protocol: its events
    /// are held.
    pub(super) probing: Cell<bool>,
}

pub(super) struct Mux(pub(super) Rc<MuxStream>);

impl Filter for Mux {
    fn process(&mut self, evt: Event) {
        self.0.input(evt);
    }
}

impl Drop for Mux {
    fn drop(&mut self) {
        // A stream that goes away mid-exchange leaves its session unusable, or (HTTP/2)
        // resets its upstream stream.
        if let Some(s) = self.0.session.borrow_mut().take() {
            s.abandon();
        }
        self.0.cancel_h2();
    }
}

impl MuxStream {
    pub(super) fn pool_key(&self) -> Result<String, ScriptError> {
        if let Some(k) = self.key.borrow().clone() {
            return Ok(k);
        }
        let k = match &self.key_fn {
            None => match self.context.inbound() {
                Some(i) => {
                    let k = format!("inbound:{}", i.id);
                    self.pool.watch(i, &k);
                    k
                }
                None => String::new(),
            },
            Some(f) => script::call_in(&self.context, |ctx| {
                let v = f.get(ctx);
                let v = match v.as_function() {
                    Some(func) => func.call::<_, rquickjs::Value>(())?,
                    None => v,
                };
                // Strings and integers the way `keyOf` spells them, without a script call.
                if let Some(s) = v.as_string() {
                    let s = s.to_string()?;
                    let mut key = String::with_capacity(7 + s.len());
                    key.push_str("string:");
                    key.push_str(&s);
                    return Ok(key);
                }
                if let Some(i) = v.as_int() {
                    return Ok(format!("number:{i}"));
                }
                script::call_helper::<_, String>(ctx, "keyOf", (v,))
            })?,
        };
        *self.key.borrow_mut() = Some(k.clone());
        Ok(k)
    }

    /// True when this stream's pool key is its client connection (no key given) and that
    /// connection has closed: a session it leaves can never be reused.
    pub(in crate::filters) fn serves_closed_client(&self) -> bool {
        self.key_fn.is_none() && self.context.inbound().is_some_and(|i| i.is_closed())
    }

    pub(super) fn input(&self, evt: Event) {
        if self.ended.get() {
            return;
        }
        if self.tunnel.get() {
            // A tunnel is open: bytes go to the upstream connection as they are.
            if let Some(s) = self.session.borrow().clone() {
                match evt {
                    Event::Data(b) => s.send(vec![b]),
                    Event::StreamEnd(_) => {
                        let p = s.pipeline.borrow().clone();
                        if let Some(p) = p {
                            p.input(StreamEnd::ok());
                        }
                    }
                    _ => {}
                }
            }
            return;
        }
        if let Event::StreamEnd(se) = &evt {
            if se.error.is_some() {
                // The downstream broke off (a client's RST_STREAM): so does the call upstream.
                self.cancel_h2();
            } else if let Some(c) = self.h2_call.borrow_mut().as_mut() {
                c.close_tunnel();
            }
            self.input_ended.set(true);
            if !self.in_flight.get() && self.held.borrow().is_empty() {
                self.end(evt);
            }
            return;
        }
        if self.in_flight.get() && matches!(evt, Event::MessageStart(_))
            || !self.held.borrow().is_empty()
            || self.probing.get()
        {
            self.held.borrow_mut().push_back(evt);
            return;
        }
        self.route(evt);
    }

    /// Sends one input event where the exchange in flight needs it.
    pub(super) fn route(&self, evt: Event) {
        match evt {
            Event::MessageStart(head) => self.begin(head),
            Event::Data(b) if self.h2_call.borrow().is_some() => {
                if let Some(c) = self.h2_call.borrow().as_ref() {
                    c.data(b);
                }
            }
            Event::MessageEnd(end) if self.h2_call.borrow().is_some() => {
                if let Some(c) = self.h2_call.borrow_mut().as_mut() {
                    c.end(&end);
                }
            }
            Event::Data(b) => {
                if let Some(s) = self.session.borrow().clone() {
                    if s.tunnel_asked.get() && !s.encoder.borrow().is_busy() {
                        // Bytes sent ahead of the answer to a tunnel request wait for it.
                        self.tunnel_pending.borrow_mut().push(b);
                    } else {
                        s.send_data(b);
                    }
                }
            }
            Event::MessageEnd(end) => {
                if let Some(s) = self.session.borrow().clone() {
                    s.send_end(&trailers_of(&end));
                }
            }
            Event::StreamEnd(_) => {}
        }
    }

    /// Whether this stream's request goes over HTTP/2 (`Some(true)`) or HTTP/1.1. A
    /// `version` function is asked only when the key has no connection yet; when it answers
    /// with a Promise, the request waits for a [`Probe`] (`None`).
    pub(super) fn wants_h2(
        &self,
        key: &str,
        head: &Option<JsValue>,
    ) -> Result<Option<bool>, ScriptError> {
        let f = match &self.version {
            Version::Fixed(h2) => return Ok(Some(*h2)),
            Version::Dynamic(f) => f,
        };
        if self.pool.has_h2(key) {
            return Ok(Some(true));
        }
        if let Some(probe) = self.pool.probe(key) {
            self.wait_for(&probe, head);
            return Ok(None);
        }
        script::call_in(&self.context, |ctx| {
            let v = match f.get(ctx).as_function() {
                Some(func) => func.call::<_, rquickjs::Value>(())?,
                None => return Ok(Some(false)),
            };
            if v.as_promise().is_some() {
                let probe = Probe::start(ctx, self, key.to_string(), v)?;
                self.wait_for(&probe, head);
                return Ok(None);
            }
            Ok(Some(is_h2(&v)))
        })
    }

    pub(super) fn wait_for(&self, probe: &Probe, head: &Option<JsValue>) {
        self.in_flight.set(true);
        self.probing.set(true);
        probe.join(self.me.clone(), head.clone());
    }

    /// The first stream of a [`Probe`]: its connection becomes this stream's session.
    pub(in crate::filters) fn adopt(
        &self,
        key: &str,
        pipeline: Rc<Pipeline>,
        late: &LateOutput,
        h2: bool,
        head: Option<JsValue>,
    ) {
        self.probing.set(false);
        self.in_flight.set(false);
        let bound = RefCell::new(None);
        let make = |out: Output| {
            *bound.borrow_mut() = Some(out);
            pipeline
        };
        if h2 {
            let s = H2Session::new(make, key.to_string(), &self.pool, self.settings.max_idle);
            self.pool.set_h2(key, &s);
            if let Some(out) = bound.borrow_mut().take() {
                late.bind(out);
            }
            self.begin_h2(key.to_string(), head);
        } else {
            let s = Session::new(make, key.to_string(), &self.pool, self.settings);
            if let Some(out) = bound.borrow_mut().take() {
                late.bind(out);
            }
            self.begin_h1(s, head);
        }
        self.flush_held_message();
    }

    /// A later stream of a [`Probe`]: it starts again now that the key's protocol is known.
    pub(in crate::filters) fn resume_after_probe(&self, head: Option<JsValue>) {
        self.probing.set(false);
        self.in_flight.set(false);
        self.begin(head);
        if !self.probing.get() {
            self.flush_held_message();
        }
    }

    /// The version Promise was rejected: the request is answered with `code`'s error.
    pub(in crate::filters) fn version_failed(&self, code: ErrorCode) {
        self.probing.set(false);
        let mut held = self.held.borrow_mut();
        while held
            .front()
            .is_some_and(|e| !matches!(e, Event::MessageStart(_)))
        {
            held.pop_front();
        }
        drop(held);
        self.answer_error(code);
    }

    /// Sends on the held events of the request just begun (up to the next request's head).
    pub(super) fn flush_held_message(&self) {
        loop {
            let next = {
                let mut held = self.held.borrow_mut();
                match held.front() {
                    Some(Event::MessageStart(_)) | None => None,
                    Some(_) => held.pop_front(),
                }
            };
            let Some(e) = next else { break };
            if let Event::StreamEnd(_) = e {
                self.input_ended.set(true);
                continue;
            }
            self.route(e);
        }
    }

    pub(super) fn begin(&self, head: Option<JsValue>) {
        *self.request_head.borrow_mut() = head.clone();
        let key = match self.pool_key() {
            Ok(k) => k,
            Err(e) => {
                self.ended.set(true);
                return fail(&self.output, "muxHTTP", &e);
            }
        };
        match self.wants_h2(&key, &head) {
            Ok(Some(true)) => return self.begin_h2(key, head),
            Ok(Some(false)) => {}
            Ok(None) => return,
            Err(e) => {
                self.ended.set(true);
                return fail(&self.output, "muxHTTP", &e);
            }
        }
        let session = match self.pool.take(&key) {
            Some(s) => s,
            None => Session::new(self.fresh_pipeline(), key, &self.pool, self.settings),
        };
        self.begin_h1(session, head);
    }

    /// A new instance of the connection's sub-pipeline, for a session to make with its
    /// output.
    pub(in crate::filters) fn fresh_pipeline(&self) -> impl FnOnce(Output) -> Rc<Pipeline> + '_ {
        move |out| {
            let context = if self.cloned_context {
                self.context.fork()
            } else {
                self.context.share()
            };
            context.set_trace(None);
            Pipeline::new(&self.layout, context, out)
        }
    }

    /// Sends the request over the HTTP/1 `session`.
    pub(super) fn begin_h1(&self, session: Rc<Session>, head: Option<JsValue>) {
        self.in_flight.set(true);
        self.context.set_upstream(session.upstream.clone());
        *self.session.borrow_mut() = Some(session.clone());
        session.trace.set(self.context.trace());
        // The connection's pipeline records under the trace of the request it serves now.
        if let Some(p) = session.pipeline.borrow().as_ref() {
            p.context().set_trace(self.context.trace());
        }
        session.begin(self.me.clone(), head);
    }

    /// Answers the request in flight with the HTTP error for `code` (the upstream could not
    /// be reached or broke off before answering).
    pub(in crate::filters) fn answer_error(&self, code: ErrorCode) {
        if grpc::is_grpc_request(self.request_head.borrow().as_ref()) {
            let (status, message) = grpc::Status::for_code(code);
            return self.answer_grpc(status, &message);
        }
        let (status, text) = code.http_status();
        // The dashboard counts this failure once, as the 5xx it becomes.
        crate::metrics::builtin().error_answers.inc();
        let head = answer::upstream_error_head(status, text, true);
        self.on_response(Event::MessageStart(head));
        self.on_response(Event::MessageEnd(MessageTail::default()));
        self.exchange_done(true);
    }

    /// Called by the session with response events for this stream.
    pub(in crate::filters) fn on_response(&self, evt: Event) {
        if self.ended.get() {
            return;
        }
        self.output.emit(evt);
    }

    /// The exchange finished (`ok`) or broke off; the session is released.
    pub(in crate::filters) fn exchange_done(&self, ok: bool) {
        self.in_flight.set(false);
        self.session.borrow_mut().take();
        self.h2_call.borrow_mut().take();
        self.request_head.borrow_mut().take();
        if !ok {
            return;
        }
        loop {
            let Some(e) = self.held.borrow_mut().pop_front() else {
                break;
            };
            self.input(e);
            if self.in_flight.get() {
                break;
            }
        }
        if self.input_ended.get() && !self.in_flight.get() && self.held.borrow().is_empty() {
            self.end(StreamEnd::ok());
        }
    }

    /// Ends the stream's output with `evt` (once).
    pub(in crate::filters) fn end(&self, evt: Event) {
        if !self.ended.replace(true) {
            self.output.emit(evt);
        }
    }
}
