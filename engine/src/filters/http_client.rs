//! The client side of HTTP/1.x: `muxHTTP`. Requests from many streams share keep-alive
//! upstream connections (sessions), pooled by the key the selector returns. A session serves
//! one request at a time; an idle one is reused, and closed after `maxIdle`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::time::Duration;

use bytes::Bytes;

use super::callback::fail;
use super::http2_client::{H2Call, H2Session};
pub(super) use super::http_pool::Pool;
use super::http_server::size_options;
use super::http_version::{LateOutput, Probe};
use super::upstream_metrics;
use super::{Builder, FilterDescriptor, FilterKind, Sub};
use crate::event::{ErrorCode, Event, MessageTail, StreamEnd, StreamError};
use crate::http::decoder::{Decoder, Part, RequestInfo};
use crate::http::encoder::{Encoder, OutHead};
use crate::http::grpc;
use crate::http::head::{out_head, Exchange as HeadInfo, LazyHead};
use crate::http::tail::{message_end, trailers_of};
use crate::http::Role;
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, Output, Pipeline, PipelineLayout};
use crate::reuse;
use crate::script::{self, JsValue, ScriptError};

static MUX_HTTP: FilterDescriptor = FilterDescriptor {
    name: "muxHTTP",
    kind: FilterKind::Joint,
    signature: "(target[, key[, options]])",
    help: "Sends HTTP requests over pooled keep-alive connections made by a sub-pipeline",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) that makes the connection, usually with connect()"),
        ("key", "value or function() choosing the connection pool; default: one pool per client connection"),
        ("options", "{maxIdle (60s), bufferSize (16k), maxHeaderSize (64k), version: 1 or 2 ('http/1.1', 'h2'), or function() returning one}"),
    ],
    build,
};

/// `muxHTTP`.
pub static FILTERS: &[&FilterDescriptor] = &[&MUX_HTTP];

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = match b.required_sub()? {
        Sub::Layout(l) => l,
        Sub::Bypass => return Err("needs a sub-pipeline".into()),
    };
    // [A] muxHTTP('name', key, options); [C] muxHTTP(selector?, options?).
    let (key, opts_at) = match b.arg(0) {
        Some(v) if v.is_object() && !v.is_function() && !v.is_array() => (None, 0),
        Some(_) => (b.saved(0), 1),
        None => (None, 1),
    };
    let (max_head, buffer_size) = size_options(b, opts_at)?;
    let max_idle = b
        .duration_option(opts_at, "maxIdle")?
        .unwrap_or(Duration::from_secs(60));
    // A fixed version is read once; only a function is asked per request.
    let version = match b.option(opts_at, "version") {
        None => Version::Fixed(false),
        Some(v) if v.is_function() => Version::Dynamic(JsValue::save(b.ctx, v)),
        Some(v) => Version::Fixed(is_h2(&v)),
    };
    Ok(Box::new(MuxProto {
        layout,
        cloned_context: b.named_sub,
        key,
        version,
        pool: Rc::new(Pool::default()),
        settings: Settings {
            max_idle,
            max_head,
            buffer_size,
        },
    }))
}

#[derive(Clone, Copy)]
pub(super) struct Settings {
    pub(super) max_idle: Duration,
    max_head: usize,
    buffer_size: usize,
}

/// The `version` option of `muxHTTP`.
#[derive(Clone)]
enum Version {
    /// HTTP/2 (true) or HTTP/1.1, for every request.
    Fixed(bool),
    /// A function asked for each stream.
    Dynamic(JsValue),
}

/// True for the values that name HTTP/2: 2, `'2'`, `'h2'`, `'HTTP/2'`.
pub(super) fn is_h2(v: &rquickjs::Value<'_>) -> bool {
    let n = v.as_number().or_else(|| v.as_int().map(f64::from));
    let s = v
        .as_string()
        .and_then(|s| s.to_string().ok())
        .map(|s| s.to_ascii_lowercase());
    n == Some(2.0)
        || matches!(
            s.as_deref(),
            Some("2" | "h2" | "h2c" | "http/2" | "http/2.0")
        )
}

struct MuxProto {
    layout: Rc<PipelineLayout>,
    /// The early form (`muxHTTP('name', ...)`) gives the session pipeline a copy of the
    /// context; the current one shares the creating filter's variables.
    cloned_context: bool,
    key: Option<JsValue>,
    version: Version,
    pool: Rc<Pool>,
    settings: Settings,
}

impl FilterProto for MuxProto {
    fn descriptor(&self) -> &'static FilterDescriptor {
        &MUX_HTTP
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Mux(Rc::new_cyclic(|me| MuxStream {
            me: me.clone(),
            layout: self.layout.clone(),
            cloned_context: self.cloned_context,
            key_fn: self.key.clone(),
            version: self.version.clone(),
            h2_call: RefCell::new(None),
            request_head: RefCell::new(None),
            pool: self.pool.clone(),
            settings: self.settings,
            context: init.context,
            output: init.output,
            key: RefCell::new(None),
            session: RefCell::new(None),
            held: RefCell::new(VecDeque::new()),
            in_flight: Cell::new(false),
            input_ended: Cell::new(false),
            ended: Cell::new(false),
            tunnel: Cell::new(false),
            tunnel_pending: RefCell::new(Vec::new()),
            probing: Cell::new(false),
        })))
    }
    fn subs(&self) -> Vec<Option<Rc<PipelineLayout>>> {
        vec![Some(self.layout.clone())]
    }
}

/// One stream using `muxHTTP` (usually one request).
pub(super) struct MuxStream {
    pub(super) me: Weak<MuxStream>,
    pub(super) layout: Rc<PipelineLayout>,
    /// See `MuxProto::cloned_context`.
    cloned_context: bool,
    key_fn: Option<JsValue>,
    /// The `version` option: HTTP/2 when it is (or its function returns) 2 or `h2`.
    version: Version,
    /// The request in flight, when it went over HTTP/2.
    pub(super) h2_call: RefCell<Option<H2Call>>,
    /// The head of the request in flight (a gRPC call's errors are answered the gRPC way).
    request_head: RefCell<Option<JsValue>>,
    pub(super) pool: Rc<Pool>,
    pub(super) settings: Settings,
    pub(super) context: Rc<Context>,
    output: Output,
    key: RefCell<Option<String>>,
    session: RefCell<Option<Rc<Session>>>,
    /// Events of later requests, waiting for the current exchange to finish.
    held: RefCell<VecDeque<Event>>,
    pub(super) in_flight: Cell<bool>,
    input_ended: Cell<bool>,
    ended: Cell<bool>,
    /// The exchange opened a tunnel: input goes upstream as it is.
    tunnel: Cell<bool>,
    /// Input that came after a tunnel request, before its answer.
    tunnel_pending: RefCell<Vec<Bytes>>,
    /// The request waits for a [`Probe`] to decide the connection's protocol: its events
    /// are held.
    probing: Cell<bool>,
}

struct Mux(Rc<MuxStream>);

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
    fn pool_key(&self) -> Result<String, ScriptError> {
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
    pub(super) fn serves_closed_client(&self) -> bool {
        self.key_fn.is_none() && self.context.inbound().is_some_and(|i| i.is_closed())
    }

    fn input(&self, evt: Event) {
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
    fn route(&self, evt: Event) {
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
    fn wants_h2(&self, key: &str, head: &Option<JsValue>) -> Result<Option<bool>, ScriptError> {
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

    fn wait_for(&self, probe: &Probe, head: &Option<JsValue>) {
        self.in_flight.set(true);
        self.probing.set(true);
        probe.join(self.me.clone(), head.clone());
    }

    /// The first stream of a [`Probe`]: its connection becomes this stream's session.
    pub(super) fn adopt(
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
    pub(super) fn resume_after_probe(&self, head: Option<JsValue>) {
        self.probing.set(false);
        self.in_flight.set(false);
        self.begin(head);
        if !self.probing.get() {
            self.flush_held_message();
        }
    }

    /// The version Promise was rejected: the request is answered with `code`'s error.
    pub(super) fn version_failed(&self, code: ErrorCode) {
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
    fn flush_held_message(&self) {
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

    fn begin(&self, head: Option<JsValue>) {
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
    pub(super) fn fresh_pipeline(&self) -> impl FnOnce(Output) -> Rc<Pipeline> + '_ {
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
    fn begin_h1(&self, session: Rc<Session>, head: Option<JsValue>) {
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
    pub(super) fn answer_error(&self, code: ErrorCode) {
        if grpc::is_grpc_request(self.request_head.borrow().as_ref()) {
            let (status, message) = grpc::Status::for_code(code);
            return self.answer_grpc(status, &message);
        }
        let (status, text) = code.http_status();
        // The dashboard counts this failure once, as the 5xx it becomes.
        crate::metrics::builtin().error_answers.inc();
        let head = script::js(|ctx| {
            let o = rquickjs::Object::new(ctx.clone()).ok()?;
            o.set("protocol", "HTTP/1.1").ok()?;
            o.set("status", status).ok()?;
            o.set("statusText", text).ok()?;
            o.set("headers", rquickjs::Object::new(ctx.clone()).ok()?)
                .ok()?;
            // Hidden from scripts' enumeration: tells http.Agent the server was not reached.
            o.prop("errorAnswer", rquickjs::object::Property::from(true))
                .ok()?;
            Some(JsValue::save(ctx, o.into_value()))
        });
        self.on_response(Event::MessageStart(head));
        self.on_response(Event::MessageEnd(MessageTail::default()));
        self.exchange_done(true);
    }

    /// Called by the session with response events for this stream.
    pub(super) fn on_response(&self, evt: Event) {
        if self.ended.get() {
            return;
        }
        self.output.emit(evt);
    }

    /// The exchange finished (`ok`) or broke off; the session is released.
    pub(super) fn exchange_done(&self, ok: bool) {
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
    pub(super) fn end(&self, evt: Event) {
        if !self.ended.replace(true) {
            self.output.emit(evt);
        }
    }
}

/// One upstream connection: a sub-pipeline (usually `connect`), an encoder for requests and
/// a decoder for responses.
pub(super) struct Session {
    me: Weak<Session>,
    /// The pool key.
    pub(super) key: String,
    /// The key without its kind (`string:`): the upstream the access log names.
    upstream: Rc<str>,
    pool: Weak<Pool>,
    settings: Settings,
    pipeline: RefCell<Option<Rc<Pipeline>>>,
    /// Trace of the stream being served, if it is traced.
    trace: Cell<Option<u64>>,
    /// The request in flight asked for a tunnel (CONNECT or upgrade).
    tunnel_asked: Cell<bool>,
    /// The connection has become a tunnel for the current stream.
    tunneling: Cell<bool>,
    encoder: RefCell<Encoder>,
    decoder: RefCell<Decoder>,
    current: RefCell<Option<Weak<MuxStream>>>,
    response_started: Cell<bool>,
    keep_alive: Cell<bool>,
    closed: Cell<bool>,
    /// When the session last became idle (none while busy).
    idle_since: Cell<Option<tokio::time::Instant>>,
    /// The idle timer task is running.
    idle_timer: Cell<bool>,
    /// When the current request went out.
    sent_at: Cell<Option<std::time::Instant>>,
}

impl Session {
    fn new(
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
    fn trace_bytes(&self, b: &Bytes, sent: bool) {
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

    fn send(&self, mut out: Vec<Bytes>) {
        let p = self.pipeline.borrow().clone();
        if let Some(p) = p {
            for b in out.drain(..) {
                self.trace_bytes(&b, true);
                p.input(Event::Data(b));
            }
        }
        reuse::give_chunks(out);
    }

    fn begin(&self, stream: Weak<MuxStream>, head: Option<JsValue>) {
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
        let mut out = reuse::chunks();
        self.encoder.borrow_mut().start(oh, false, &mut out);
        self.send(out);
    }

    fn send_data(&self, b: Bytes) {
        let mut out = reuse::chunks();
        if self.encoder.borrow_mut().data(b, &mut out).is_err() {
            self.keep_alive.set(false);
        }
        self.send(out);
    }

    fn send_end(&self, trailers: &[(String, String)]) {
        let mut out = reuse::chunks();
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

    fn stream(&self) -> Option<Rc<MuxStream>> {
        self.current.borrow().as_ref().and_then(|w| w.upgrade())
    }

    fn on_output(&self, evt: Event) {
        match evt {
            Event::Data(b) => {
                self.trace_bytes(&b, false);
                let mut parts = reuse::parts();
                self.decoder.borrow_mut().feed(&b, &mut parts);
                for p in parts.drain(..) {
                    self.on_part(p);
                }
                reuse::give_parts(parts);
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

    fn on_part(&self, part: Part) {
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
                let reusable = stream.as_ref().is_none_or(|s| !s.serves_closed_client());
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
    fn on_closed(&self, error: Option<StreamError>, _cut: bool) {
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

    fn go_idle(&self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let Some(me) = self.me.upgrade() else { return };
        pool.put(&me);
        self.idle_since.set(Some(tokio::time::Instant::now()));
        if self.idle_timer.replace(true) {
            return;
        }
        // One timer per session: it checks, every `maxIdle`, whether the session has been
        // idle that long, and closes it then.
        let weak = self.me.clone();
        let wait = self.settings.max_idle;
        tokio::task::spawn_local(async move {
            let mut next = tokio::time::Instant::now() + wait;
            loop {
                tokio::time::sleep_until(next).await;
                let Some(s) = weak.upgrade() else { return };
                if s.closed.get() {
                    return;
                }
                match s.idle_since.get() {
                    Some(t)
                        if s.current.borrow().is_none()
                            && t + wait <= tokio::time::Instant::now() =>
                    {
                        s.close();
                        return;
                    }
                    Some(t) => next = t + wait,
                    None => next = tokio::time::Instant::now() + wait,
                }
            }
        });
    }

    /// The stream left mid-exchange: this connection cannot be reused.
    fn abandon(&self) {
        if self.current.borrow().is_some() {
            self.current.borrow_mut().take();
            self.close();
        }
    }

    /// True once the connection is closed (or closing).
    pub(super) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Closes the connection: its sub-pipeline's input ends.
    pub(super) fn close(&self) {
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
