//! The server side of HTTP/1.x: `demuxHTTP` (one sub-pipeline per request, cloned context)
//! and `serveHTTP` (a handler per request). Requests are decoded as they arrive, replies are
//! encoded in request order, so pipelined requests get their responses in order.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use bytes::Bytes;

use super::callback::{call_replacer, MessageReader, Replacement};
use super::{Builder, FilterDescriptor, FilterKind, Sub};
use crate::event::{ErrorCode, Event, MessageTail};
use crate::http::access::AccessRecord;
use crate::http::decoder::{Decoder, Head, Part, DEFAULT_MAX_HEAD};
use crate::http::encoder::{Encoder, OutHead, DEFAULT_BUFFER_SIZE};
use crate::http::h2::PREFACE;
use crate::http::h2c::{self, Splice, Spliced};
use crate::http::head::{out_head, Exchange as HeadInfo, LazyHead};
use crate::http::pipe_io::PipeIo;
use crate::http::status::reason;
use crate::http::tail::{message_end, trailers_of};
use crate::http::Role;
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, Output, Pipeline, PipelineLayout};
use crate::reuse;
use crate::script::{self, JsValue};

static DEMUX_HTTP: FilterDescriptor = FilterDescriptor {
    name: "demuxHTTP",
    kind: FilterKind::Joint,
    signature: "(target[, options])",
    help: "Decodes HTTP requests, runs a sub-pipeline per request and encodes its response",
    params: &[
        (
            "target",
            "sub-pipeline name (or use .to(...)); it gets the request and outputs the response",
        ),
        ("options", "{bufferSize (16k), maxHeaderSize (64k), headerTimeout (30s): time allowed to send a request head, accessLog: true to log each response}"),
    ],
    build: |b| build(b, true),
};

static SERVE_HTTP: FilterDescriptor = FilterDescriptor {
    name: "serveHTTP",
    kind: FilterKind::Plain,
    signature: "(handler[, options])",
    help: "Serves HTTP: decodes requests and answers each with the handler's Message",
    params: &[
        (
            "handler",
            "a Message, or function(request Message) returning the response Message",
        ),
        ("options", "{bufferSize (16k), maxHeaderSize (64k), headerTimeout (30s): time allowed to send a request head, accessLog: true to log each response}"),
    ],
    build: |b| build(b, false),
};

/// `demuxHTTP` and `serveHTTP`.
pub static FILTERS: &[&FilterDescriptor] = &[&DEMUX_HTTP, &SERVE_HTTP];

/// What answers each request.
#[derive(Clone)]
pub(super) enum Responder {
    /// A sub-pipeline per request (`demuxHTTP`).
    Sub(Rc<PipelineLayout>),
    /// A handler function or Message (`serveHTTP`).
    Handler(JsValue),
}

/// The connection's protocol: not known until its first bytes arrive.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing decided yet (the first bytes may still become the HTTP/2 preface).
    Sniffing,
    Http1,
    Http2,
}

struct ServerProto {
    desc: &'static FilterDescriptor,
    responder: Responder,
    max_head: usize,
    buffer_size: usize,
    header_timeout: std::time::Duration,
    access_log: bool,
    /// `serveHTTP`'s answer when it is a fixed Message.
    constant: Option<Rc<[Event]>>,
}

/// The reply events of a `serveHTTP` handler (a Message, or a function of the request): a
/// StreamEnd when it gives nothing, and a runtime-error StreamEnd when it throws.
///
/// A handler may answer with a Promise (of a Message), as in Pipy: then `None` comes back,
/// and `later` gets the events once the Promise settles.
pub(super) fn handler_reply(
    name: &'static str,
    context: &Context,
    handler: &JsValue,
    request: &script::JsMessage,
    later: impl Fn(Vec<Event>) + 'static,
) -> Option<Vec<Event>> {
    match call_replacer(context, handler, 0, |ctx| {
        script::to_js_message(ctx, request)
    }) {
        Ok(Replacement::Events(evts)) if !evts.is_empty() => Some(evts),
        Ok(Replacement::Events(_) | Replacement::Nothing) => {
            Some(vec![crate::event::StreamEnd::ok()])
        }
        Ok(Replacement::Pending(p)) => {
            super::promise::when_settled(context, name, &p, later);
            None
        }
        Err(e) => {
            tracing::error!("{name}(): {e}");
            Some(vec![crate::event::StreamEnd::runtime(e.to_string())])
        }
    }
}

/// Reads `{bufferSize, maxHeaderSize}` from options argument `i`.
pub(super) fn size_options(b: &Builder<'_, '_>, i: usize) -> Result<(usize, usize), String> {
    let size = |k: &str, d: usize| -> Result<usize, String> {
        match b.option(i, k) {
            None => Ok(d),
            Some(v) if v.is_number() => Ok(v.as_number().unwrap_or(0.0) as usize),
            Some(v) => {
                let s = v
                    .as_string()
                    .and_then(|s| s.to_string().ok())
                    .unwrap_or_default();
                crate::units::parse_size(&s)
                    .map(|n| n as usize)
                    .map_err(|e| format!("option {k}: {e}"))
            }
        }
    };
    Ok((
        size("maxHeaderSize", DEFAULT_MAX_HEAD)?,
        size("bufferSize", DEFAULT_BUFFER_SIZE)?,
    ))
}

fn build(b: &mut Builder<'_, '_>, demux: bool) -> Result<Box<dyn FilterProto>, String> {
    let (responder, opts_at, desc) = if demux {
        match b.required_sub()? {
            Sub::Layout(l) => (Responder::Sub(l), 0, &DEMUX_HTTP),
            Sub::Bypass => return Err("needs a sub-pipeline".into()),
        }
    } else {
        let h = b
            .saved(0)
            .ok_or("expects a Message or a function returning one")?;
        (Responder::Handler(h), 1, &SERVE_HTTP)
    };
    let constant = if demux { None } else { constant_reply(b)? };
    let (max_head, buffer_size) = size_options(b, opts_at)?;
    let header_timeout = b
        .duration_option(opts_at, "headerTimeout")?
        .unwrap_or(std::time::Duration::from_secs(30));
    let access_log = b
        .option(opts_at, "accessLog")
        .map(|v| super::link::is_truthy(&v))
        .unwrap_or(false);
    Ok(Box::new(ServerProto {
        desc,
        responder,
        max_head,
        buffer_size,
        header_timeout,
        access_log,
        constant,
    }))
}

/// The events of a `serveHTTP` answer given as a value rather than a function, made once; its
/// head becomes a Rust head, so each answer needs no script call.
fn constant_reply(b: &Builder<'_, '_>) -> Result<Option<Rc<[Event]>>, String> {
    let Some(v) = b.arg(0).filter(|v| !v.is_function()) else {
        return Ok(None);
    };
    let mut events = Vec::new();
    script::events_from_js(b.ctx, v, &mut events)?;
    for e in events.iter_mut() {
        if let Event::MessageStart(head) = e {
            let v = head.as_ref().map(|h| h.get(b.ctx));
            match crate::http::head::constant_response_head(v.as_ref()) {
                Some(h) => {
                    *head = Some(JsValue::lazy(LazyHead {
                        head: Rc::new(h),
                        role: Role::Response,
                    }))
                }
                None => return Ok(None),
            }
        }
    }
    Ok(Some(events.into()))
}

impl FilterProto for ServerProto {
    fn descriptor(&self) -> &'static FilterDescriptor {
        self.desc
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        let core = Rc::new_cyclic(|me| ServerCore {
            me: me.clone(),
            name: self.desc.name,
            responder: self.responder.clone(),
            context: init.context,
            output: init.output,
            decoder: RefCell::new(Decoder::new(Role::Request, self.max_head)),
            encoder: RefCell::new(Encoder::new(self.buffer_size)),
            exchanges: RefCell::new(VecDeque::new()),
            receiving: RefCell::new(None),
            actions: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
            input_ended: Cell::new(false),
            closed: Cell::new(false),
            next_id: Cell::new(0),
            header_timeout: self.header_timeout,
            head_timer: Cell::new(0),
            access_log: self.access_log,
            constant: self.constant.clone(),
            tunnel: RefCell::new(None),
            tunnel_pending: RefCell::new(Vec::new()),
            draining: Cell::new(false),
            mode: Cell::new(Mode::Sniffing),
            sniffed: RefCell::new(Vec::new()),
            h2: RefCell::new(None),
            h2c: RefCell::new(None),
        });
        register(&core);
        Box::new(Server(core))
    }
    fn subs(&self) -> Vec<Option<Rc<PipelineLayout>>> {
        match &self.responder {
            Responder::Sub(l) => vec![Some(l.clone())],
            Responder::Handler(_) => Vec::new(),
        }
    }
}

/// One request and its reply.
struct Exch {
    id: u64,
    info: HeadInfo,
    sub: RefCell<Option<Rc<Pipeline>>>,
    reader: RefCell<MessageReader>,
    /// Reply events that arrived before this exchange reached the front.
    pending: RefCell<VecDeque<Event>>,
    reply_started: Cell<bool>,
    reply_done: Cell<bool>,
    /// The response must close the connection.
    last: Cell<bool>,
    /// The reply is bytes the server made itself (an error answer).
    raw: Cell<bool>,
    /// When the request's head arrived, for the response time.
    started: std::time::Instant,
    /// Access log record, when the access log is on.
    access: RefCell<Option<AccessRecord>>,
    /// The trace id, when the request asked for one with `x-sluice-trace`.
    trace: Cell<Option<u64>>,
    /// The trace id, when the request is traced.
    traced: Cell<Option<u64>>,
    /// Tunnel state: 0 none, 1 CONNECT asked, 2 upgrade asked, 3 open.
    tunnel: Cell<u8>,
}

enum Action {
    Input(Event),
    Reply(u64, Event),
    Timeout,
    /// The worker is draining: finish what is under way, then close (idle connections at
    /// once when true).
    Drain(bool),
}

thread_local! {
    /// The HTTP/1 server connections of this worker, to be told when it drains.
    static SERVERS: RefCell<Vec<Weak<ServerCore>>> = const { RefCell::new(Vec::new()) };
}

fn register(core: &Rc<ServerCore>) {
    SERVERS.with(|s| {
        let mut s = s.borrow_mut();
        let n = s.len();
        if n >= 64 && n.is_power_of_two() {
            s.retain(|w| w.strong_count() > 0);
        }
        s.push(Rc::downgrade(core));
    });
}

/// Tells every HTTP server connection of this worker that it is draining: each closes after
/// its next response (which says `connection: close`); with `close_idle`, idle keep-alive
/// connections close now.
pub fn drain_servers(close_idle: bool) {
    let all = SERVERS.with(|s| std::mem::take(&mut *s.borrow_mut()));
    for core in all.iter().filter_map(Weak::upgrade) {
        core.act(Action::Drain(close_idle));
    }
}

struct ServerCore {
    me: Weak<ServerCore>,
    name: &'static str,
    responder: Responder,
    context: Rc<Context>,
    output: Output,
    decoder: RefCell<Decoder>,
    encoder: RefCell<Encoder>,
    exchanges: RefCell<VecDeque<Rc<Exch>>>,
    receiving: RefCell<Option<Rc<Exch>>>,
    actions: RefCell<VecDeque<Action>>,
    busy: Cell<bool>,
    input_ended: Cell<bool>,
    closed: Cell<bool>,
    next_id: Cell<u64>,
    header_timeout: std::time::Duration,
    /// Generation of the running head timer; 0 when none runs.
    head_timer: Cell<u64>,
    /// Log each response (`{accessLog: true}`).
    access_log: bool,
    /// `serveHTTP`'s answer when it is a fixed Message.
    constant: Option<Rc<[Event]>>,
    /// The exchange whose tunnel is open, if any.
    tunnel: RefCell<Option<Rc<Exch>>>,
    /// Tunnel bytes that came before the tunnel was accepted.
    tunnel_pending: RefCell<Vec<Bytes>>,
    /// The worker is draining: no more keep-alive.
    draining: Cell<bool>,
    mode: Cell<Mode>,
    /// First bytes held while they could still be the HTTP/2 preface.
    sniffed: RefCell<Vec<u8>>,
    /// The HTTP/2 connection's input, once the preface came.
    h2: RefCell<Option<PipeIo>>,
    /// An `Upgrade: h2c` was answered 101: the client's HTTP/2 preface is awaited.
    h2c: RefCell<Option<Splice>>,
}

struct Server(Rc<ServerCore>);

impl Filter for Server {
    fn process(&mut self, evt: Event) {
        self.0.act(Action::Input(evt));
    }
}

impl ServerCore {
    fn act(&self, a: Action) {
        self.actions.borrow_mut().push_back(a);
        if self.busy.replace(true) {
            return;
        }
        loop {
            let Some(a) = self.actions.borrow_mut().pop_front() else {
                break;
            };
            match a {
                Action::Input(e) => self.on_input(e),
                Action::Reply(id, e) => self.on_reply(id, e),
                Action::Timeout => {
                    if !self.input_ended.get() && !self.switched_to_h2() {
                        self.decoder_failed(408, "request head not received in time".into());
                    }
                }
                Action::Drain(close_idle) => {
                    self.draining.set(true);
                    let idle = close_idle
                        && self.mode.get() != Mode::Http2
                        && self.exchanges.borrow().is_empty()
                        && self.receiving.borrow().is_none()
                        && self.decoder.borrow().is_idle();
                    if idle {
                        self.close();
                    }
                }
            }
        }
        self.busy.set(false);
    }

    /// Decides HTTP/1 or HTTP/2 from the first bytes. Returns the bytes for the HTTP/1
    /// decoder, or nothing when they are held or went to HTTP/2.
    fn sniff(&self, b: Bytes, end: bool) -> Option<Bytes> {
        let mut held = self.sniffed.borrow_mut();
        let all = if held.is_empty() {
            b
        } else {
            held.extend_from_slice(&b);
            Bytes::from(std::mem::take(&mut *held))
        };
        let n = all.len().min(PREFACE.len());
        if all[..n] != PREFACE[..n] {
            self.mode.set(Mode::Http1);
            return Some(all);
        }
        if n < PREFACE.len() {
            if end {
                self.mode.set(Mode::Http1);
                return Some(all);
            }
            held.extend_from_slice(&all);
            return None;
        }
        drop(held);
        self.start_h2(all);
        None
    }

    /// True once the connection speaks HTTP/2, or is about to after an `Upgrade: h2c`.
    fn switched_to_h2(&self) -> bool {
        self.mode.get() == Mode::Http2 || self.h2c.borrow().is_some()
    }

    /// Hands the connection to the HTTP/2 server, `first` being its first bytes.
    fn start_h2(&self, first: Bytes) {
        self.mode.set(Mode::Http2);
        let io = super::http2_server::start(
            self.name,
            self.access_log,
            self.responder.clone(),
            self.constant.clone(),
            self.context.clone(),
            self.output.clone(),
            first,
        );
        *self.h2.borrow_mut() = Some(io);
    }

    /// The client's bytes after the 101 of an `Upgrade: h2c`.
    fn h2c_input(&self, b: &[u8]) {
        let done = match self.h2c.borrow_mut().as_mut() {
            Some(splice) => splice.push(b),
            None => return,
        };
        match done {
            Spliced::Waiting => {}
            Spliced::Ready(first) => {
                self.h2c.borrow_mut().take();
                self.start_h2(first);
            }
            Spliced::NotHttp2 => {
                tracing::debug!(target: "http", "no HTTP/2 preface after an h2c upgrade");
                self.h2c.borrow_mut().take();
                self.close();
            }
        }
    }

    fn on_input(&self, evt: Event) {
        if self.closed.get() || self.input_ended.get() {
            return;
        }
        let evt = match (self.mode.get(), evt) {
            (Mode::Http2, Event::Data(b)) => {
                if let Some(io) = self.h2.borrow().as_ref() {
                    io.push(b);
                }
                return;
            }
            (Mode::Http2, Event::StreamEnd(_)) => {
                self.input_ended.set(true);
                if let Some(io) = self.h2.borrow().as_ref() {
                    io.end();
                }
                return;
            }
            (Mode::Sniffing, Event::Data(b)) if !b.is_empty() => match self.sniff(b, false) {
                Some(b) => Event::Data(b),
                None => return,
            },
            (Mode::Sniffing, Event::StreamEnd(se)) if !self.sniffed.borrow().is_empty() => {
                if let Some(b) = self.sniff(Bytes::new(), true) {
                    self.on_input(Event::Data(b));
                }
                Event::StreamEnd(se)
            }
            (_, e) => e,
        };
        match evt {
            Event::Data(b) => {
                let mut parts = reuse::parts();
                self.decoder.borrow_mut().feed(&b, &mut parts);
                for p in parts.drain(..) {
                    self.on_part(p);
                }
                reuse::give_parts(parts);
                self.watch_head();
            }
            Event::StreamEnd(_) => {
                self.input_ended.set(true);
                let open = self.tunnel.borrow().clone();
                if let Some(x) = open {
                    if let Some(p) = x.sub.borrow().clone() {
                        p.input(crate::event::StreamEnd::ok());
                    }
                    return;
                }
                let mut parts = Vec::new();
                let cut = self.decoder.borrow_mut().finish(&mut parts);
                for p in parts {
                    self.on_part(p);
                }
                if cut {
                    self.abandon_receiving(ErrorCode::ConnectionReset);
                }
                self.maybe_close();
            }
            _ => {}
        }
    }

    fn on_part(&self, part: Part) {
        match part {
            Part::Head(h) => self.start_exchange(h),
            Part::Data(b) => {
                let x = self.receiving.borrow().clone();
                if let Some(x) = x {
                    let sub = x.sub.borrow().clone();
                    match sub {
                        Some(p) => p.input(Event::Data(b)),
                        None => {
                            x.reader.borrow_mut().data(&b);
                            if x.reader.borrow().dropped() > 0 {
                                // serveHTTP holds whole requests: refuse one too big to hold.
                                self.decoder_failed(
                                    413,
                                    format!(
                                        "request body is over the {} MiB limit",
                                        super::callback::DEFAULT_BUFFER_LIMIT >> 20
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            Part::End {
                head_size,
                body_size,
                trailers,
            } => {
                let Some(x) = self.receiving.borrow_mut().take() else {
                    return;
                };
                let end = message_end(head_size, body_size, trailers);
                let sub = x.sub.borrow().clone();
                match sub {
                    Some(p) => {
                        p.input(Event::MessageEnd(end));
                        // A tunnel's sub-pipeline goes on with the tunnel's bytes.
                        if x.tunnel.get() == 0 {
                            p.input(crate::event::StreamEnd::ok());
                        }
                    }
                    None => self.run_handler(&x, end),
                }
            }
            Part::Error(e) => {
                tracing::debug!(target: "http", "bad request: {}", e.message());
                self.decoder_failed(e.status(), e.message());
            }
            Part::Tunnel(b) if self.h2c.borrow().is_some() => self.h2c_input(&b),
            Part::Tunnel(b) => {
                let open = self.tunnel.borrow().clone();
                match open {
                    Some(x) => {
                        if let Some(p) = x.sub.borrow().clone() {
                            p.input(Event::Data(b));
                        }
                    }
                    None => self.tunnel_pending.borrow_mut().push(b),
                }
            }
        }
    }

    /// Starts a timer while a request head is partly received; a client that does not
    /// finish its head in time gets 408 and the connection closes.
    fn watch_head(&self) {
        let partial = self.receiving.borrow().is_none()
            && !self.decoder.borrow().is_idle()
            && !self.switched_to_h2();
        if !partial {
            self.head_timer.set(0);
            return;
        }
        if self.head_timer.get() != 0 {
            return;
        }
        let gen = self.next_id.get() + 1;
        self.head_timer.set(gen);
        let me = self.me.clone();
        let wait = self.header_timeout;
        tokio::task::spawn_local(async move {
            tokio::time::sleep(wait).await;
            if let Some(core) = me.upgrade() {
                if core.head_timer.get() == gen && !core.closed.get() {
                    core.head_timer.set(0);
                    core.act(Action::Timeout);
                }
            }
        });
    }

    fn new_exchange(&self, keep_alive: bool, info: HeadInfo) -> Rc<Exch> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let x = Rc::new(Exch {
            id,
            info,
            sub: RefCell::new(None),
            reader: RefCell::new(MessageReader::new(None)),
            pending: RefCell::new(VecDeque::new()),
            reply_started: Cell::new(false),
            reply_done: Cell::new(false),
            last: Cell::new(!keep_alive),
            raw: Cell::new(false),
            started: std::time::Instant::now(),
            access: RefCell::new(None),
            trace: Cell::new(None),
            traced: Cell::new(None),
            tunnel: Cell::new(0),
        });
        self.exchanges.borrow_mut().push_back(x.clone());
        x
    }

    fn start_exchange(&self, mut h: Head) {
        if self.exchanges.borrow().is_empty() && h2c::wants_h2c(&h) {
            // The request is answered on stream 1 of the HTTP/2 connection that follows.
            *self.h2c.borrow_mut() = Some(Splice::new(h2c::stream_one(&h)));
            self.output
                .emit(Event::Data(Bytes::from_static(h2c::SWITCHING)));
            return;
        }
        let expect_continue = h
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if expect_continue {
            h.headers.retain(|x| !x.is("expect"));
        }
        let info = HeadInfo {
            head_request: h.method == "HEAD",
            peer_http10: h.protocol == "HTTP/1.0",
        };
        let x = self.new_exchange(h.keep_alive(), info);
        if self.access_log {
            *x.access.borrow_mut() = Some(AccessRecord {
                remote: self
                    .context
                    .inbound()
                    .map(|i| i.client().ip().to_string())
                    .unwrap_or_else(|| "-".into()),
                method: h.method.clone(),
                path: h.path.clone(),
                protocol: h.protocol,
                start: x.started,
                status: 0,
                bytes: 0,
                grpc_status: None,
            });
        }
        // Answer `Expect: 100-continue` ourselves when nothing is ahead of this request.
        if expect_continue && self.exchanges.borrow().len() == 1 && h.protocol == "HTTP/1.1" {
            self.output.emit(Event::Data(Bytes::from_static(
                b"HTTP/1.1 100 Continue\r\n\r\n",
            )));
        }
        let trace = crate::trace::for_request(
            self.context.inbound().map(|i| i.local.port()),
            &h.path,
            &h.headers,
        );
        let asked = h.header("x-sluice-trace").is_some();
        if h.wants_tunnel() {
            x.tunnel.set(if h.method == "CONNECT" { 1 } else { 2 });
            if matches!(self.responder, Responder::Handler(_)) {
                // serveHTTP answers but cannot carry a tunnel: the connection ends after it.
                x.last.set(true);
            }
        }
        let line = trace.map(|_| format!("{} {} {}", h.method, h.path, h.protocol));
        // A fixed answer never looks at the request head.
        let head = match self.constant {
            Some(_) => None,
            None => Some(JsValue::lazy(LazyHead {
                head: Rc::new(h),
                role: Role::Request,
            })),
        };
        *self.receiving.borrow_mut() = Some(x.clone());
        match &self.responder {
            Responder::Sub(layout) => {
                let me = self.me.clone();
                let id = x.id;
                let out = Output::from_fn(move |e| {
                    if let Some(core) = me.upgrade() {
                        core.act(Action::Reply(id, e));
                    }
                });
                let ctx = self.context.fork();
                if let Some(t) = trace {
                    ctx.set_trace(Some(t));
                    x.traced.set(Some(t));
                    if asked {
                        x.trace.set(Some(t));
                    }
                    crate::trace::note(
                        t,
                        self.name,
                        ctx.id(),
                        "MessageStart",
                        0,
                        line.unwrap_or_default(),
                    );
                }
                let p = Pipeline::new(layout, ctx, out);
                *x.sub.borrow_mut() = Some(p.clone());
                p.input(Event::MessageStart(head));
            }
            Responder::Handler(_) => {
                if let Some(t) = trace {
                    x.traced.set(Some(t));
                    if asked {
                        x.trace.set(Some(t));
                    }
                    crate::trace::note(
                        t,
                        self.name,
                        self.context.id(),
                        "MessageStart",
                        0,
                        line.unwrap_or_default(),
                    );
                }
                x.reader.borrow_mut().start(head)
            }
        }
    }

    fn run_handler(&self, x: &Rc<Exch>, end: MessageTail) {
        let Responder::Handler(h) = &self.responder else {
            return;
        };
        let msg = x.reader.borrow_mut().finish(end);
        if let Some(c) = &self.constant {
            for e in c.iter() {
                self.on_reply(x.id, e.clone());
            }
            return;
        }
        let me = self.me.clone();
        let id = x.id;
        let later = move |evts: Vec<Event>| {
            if let Some(core) = me.upgrade() {
                for e in evts {
                    core.act(Action::Reply(id, e));
                }
            }
        };
        for e in handler_reply(self.name, &self.context, h, &msg, later).unwrap_or_default() {
            self.on_reply(x.id, e);
        }
    }

    /// Answers input that is not valid HTTP with `status`, then closes the connection.
    /// The request being received will never be complete: its sub-pipeline ends, and it
    /// gets no reply (whatever came before it still does).
    fn abandon_receiving(&self, code: ErrorCode) {
        let Some(x) = self.receiving.borrow_mut().take() else {
            return;
        };
        self.exchanges.borrow_mut().retain(|e| e.id != x.id);
        let sub = x.sub.borrow_mut().take();
        if let Some(sub) = sub {
            sub.input(crate::event::StreamEnd::code(code));
        }
        self.flush_front();
    }

    fn decoder_failed(&self, status: u16, message: String) {
        self.abandon_receiving(ErrorCode::ProtocolError);
        let x = self.new_exchange(false, HeadInfo::default());

        self.input_ended.set(true);
        let head = OutHead {
            start_line: format!("HTTP/1.1 {status} {}", reason(status)),
            length_when_empty: true,
            ..Default::default()
        };
        let mut out = Vec::new();
        let mut enc = Encoder::new(usize::MAX);
        enc.start(head, true, &mut out);
        let _ = enc.data(Bytes::from(message + "\n"), &mut out);
        let _ = enc.end(&mut out);
        x.raw.set(true);
        x.reply_started.set(true);
        x.pending
            .borrow_mut()
            .push_back(Event::Data(out.concat().into()));
        x.pending
            .borrow_mut()
            .push_back(Event::MessageEnd(MessageTail::default()));
        self.flush_front();
    }

    fn on_reply(&self, id: u64, evt: Event) {
        let front = self.exchanges.borrow().front().map(|x| x.id);
        let x = self.exchanges.borrow().iter().find(|x| x.id == id).cloned();
        let Some(x) = x else { return };
        if x.reply_done.get() {
            return;
        }
        if front == Some(id) {
            self.write_reply(&x, evt);
            self.flush_front();
        } else {
            x.pending.borrow_mut().push_back(evt);
        }
    }

    /// Writes pending replies of the front exchanges, in order, as far as they go.
    fn flush_front(&self) {
        loop {
            let Some(x) = self.exchanges.borrow().front().cloned() else {
                break;
            };
            if x.reply_done.get() {
                self.finish_front(&x);
                continue;
            }
            let next = x.pending.borrow_mut().pop_front();
            match next {
                Some(e) => self.write_reply(&x, e),
                None => break,
            }
        }
    }

    fn finish_front(&self, x: &Rc<Exch>) {
        self.exchanges.borrow_mut().pop_front();
        if x.last.get() {
            self.close();
        } else {
            self.maybe_close();
        }
    }

    fn write_reply(&self, x: &Rc<Exch>, evt: Event) {
        if self.closed.get() {
            return;
        }
        if x.raw.get() {
            match evt {
                Event::Data(b) => self.output.emit(Event::Data(b)),
                Event::MessageEnd(_) => x.reply_done.set(true),
                _ => {}
            }
            return;
        }
        let mut out = reuse::chunks();
        match evt {
            Event::MessageStart(head) => {
                if x.reply_started.get() {
                    return;
                }
                x.reply_started.set(true);
                let oh = out_head(head.as_ref(), Role::Response, x.info);
                let mut oh = oh;
                if let Some(t) = x.trace.get() {
                    oh.headers.push(("x-sluice-trace".into(), t.to_string()));
                }
                if let Some(t) = x.traced.get() {
                    crate::trace::note(
                        t,
                        self.name,
                        self.context.id(),
                        "MessageStart",
                        0,
                        oh.start_line.clone(),
                    );
                }
                let status = oh
                    .start_line
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(200);
                self.count_status(x, status);
                match x.tunnel.get() {
                    1 | 2
                        if (x.tunnel.get() == 1 && (200..300).contains(&status))
                            || status == 101 =>
                    {
                        oh.no_length = true;
                        oh.bodiless = true;
                        if status == 101 {
                            oh.connection = Some("upgrade".into());
                        }
                        x.tunnel.set(3);
                        *self.tunnel.borrow_mut() = Some(x.clone());
                    }
                    1 | 2 => x.last.set(true),
                    _ => {}
                }
                let last = x.last.get()
                    || self.draining.get()
                    || oh
                        .connection
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case("close"));
                x.last.set(last);
                if self.encoder.borrow_mut().start(oh, last, &mut out) {
                    x.last.set(true);
                }
                if x.tunnel.get() == 3 {
                    // The tunnel is open: what the client sent ahead goes through it now.
                    let _ = self.encoder.borrow_mut().end(&mut out);
                    self.emit_bytes(std::mem::take(&mut out));
                    let pending = std::mem::take(&mut *self.tunnel_pending.borrow_mut());
                    if let Some(p) = x.sub.borrow().clone() {
                        for b in pending {
                            p.input(Event::Data(b));
                        }
                    }
                }
            }
            Event::Data(b) if x.tunnel.get() == 3 => out.push(b),
            Event::MessageEnd(_) if x.tunnel.get() == 3 => {}
            Event::StreamEnd(_) if x.tunnel.get() == 3 => {
                self.emit_bytes(out);
                return self.close();
            }
            Event::Data(b) => {
                if !x.reply_started.get() {
                    return;
                }
                if let Some(a) = x.access.borrow_mut().as_mut() {
                    a.bytes += b.len() as u64;
                }
                if let Err(e) = self.encoder.borrow_mut().data(b, &mut out) {
                    tracing::warn!(target: "http", "{}(): {e}", self.name);
                    self.emit_bytes(out);
                    return self.close();
                }
            }
            Event::MessageEnd(end) => {
                if !x.reply_started.get() {
                    return;
                }
                let trailers = trailers_of(&end);
                match self.encoder.borrow_mut().end_with(&trailers, &mut out) {
                    Ok(close) => {
                        if close {
                            x.last.set(true);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(target: "http", "{}(): {e}", self.name);
                        self.emit_bytes(out);
                        return self.close();
                    }
                }
                x.reply_done.set(true);
                self.log_access(x);
            }
            Event::StreamEnd(se) => {
                if x.reply_started.get() {
                    // The reply broke off: the client cannot be told, so the connection ends.
                    self.emit_bytes(out);
                    return self.close();
                }
                let (status, text) = se.http_status();
                crate::metrics::builtin().error_answers.inc();
                let head = OutHead {
                    start_line: format!("HTTP/1.1 {status} {text}"),
                    length_when_empty: true,
                    peer_http10: x.info.peer_http10,
                    ..Default::default()
                };
                x.reply_started.set(true);
                self.count_status(x, status);
                self.encoder
                    .borrow_mut()
                    .start(head, x.last.get(), &mut out);
                let _ = self.encoder.borrow_mut().end(&mut out);
                x.reply_done.set(true);
                self.log_access(x);
            }
        }
        self.emit_bytes(out);
    }

    fn count_status(&self, x: &Exch, status: u16) {
        crate::metrics::http_response_on(
            self.context.inbound().map(|i| i.local.port()),
            status,
            x.started,
        );
        if let Some(a) = x.access.borrow_mut().as_mut() {
            a.status = status;
        }
    }

    fn log_access(&self, x: &Exch) {
        if let Some(a) = x.access.borrow().as_ref() {
            let upstream = x.sub.borrow().as_ref().and_then(|p| p.context().upstream());
            a.log(upstream.as_deref());
        }
    }

    fn emit_bytes(&self, mut out: Vec<Bytes>) {
        for b in out.drain(..) {
            self.output.emit(Event::Data(b));
        }
        reuse::give_chunks(out);
    }

    fn maybe_close(&self) {
        if self.input_ended.get() && self.exchanges.borrow().is_empty() {
            self.close();
        }
    }

    fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.exchanges.borrow_mut().clear();
        *self.receiving.borrow_mut() = None;
        self.output.emit(crate::event::StreamEnd::ok());
    }
}
