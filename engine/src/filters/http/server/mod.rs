//! The server side of HTTP: `demuxHTTP` (one sub-pipeline per request, cloned context)
//! and `serveHTTP` (a handler per request), HTTP/1.x here and HTTP/2 in `h2_native/`.
//! Requests are decoded as they arrive, replies are encoded in request order, so pipelined
//! requests get their responses in order.
//!
//! This file holds the filters, their options and the connection's state ([`ServerCore`]);
//! the connection's work is split by concern: `input.rs` (decoding what the client sends),
//! `sniff.rs` (HTTP/1 or HTTP/2, and `Upgrade: h2c`), `h2_native/` (an HTTP/2 connection on
//! the engine's own codec; `h2.rs` the same on hyper's server, with `SLUICE_HTTP2=hyper` in
//! the engine's environment), `exchange.rs` (one request and its
//! reply), `reply.rs` (encoding replies in request order) and `drain.rs` (closing
//! keep-alive connections when the worker drains).

mod drain;
mod exchange;
mod h2;
mod h2_native;
mod input;
mod reply;
mod sniff;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use bytes::Bytes;

use crate::event::Event;
use crate::filters::callback::{call_replacer, Replacement};
use crate::filters::mailbox::Mailbox;
use crate::filters::{Builder, FilterDescriptor, FilterKind};
use crate::http::decoder::{Decoder, DEFAULT_MAX_HEAD};
use crate::http::encoder::{Encoder, DEFAULT_BUFFER_SIZE};
use crate::http::h2c::Splice;
use crate::http::head::LazyHead;
use crate::http::pipe_io::PipeIo;
use crate::http::Role;
use crate::pipeline::{Context, Filter, FilterProto, FnProto, Output, PipelineLayout};
use crate::script::{self, JsValue};
use exchange::Exch;
use sniff::Mode;

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
pub(in crate::filters) enum Responder {
    /// A sub-pipeline per request (`demuxHTTP`).
    Sub(Rc<PipelineLayout>),
    /// A handler function or Message (`serveHTTP`).
    Handler(JsValue),
}

/// The body length of a reply whose events are all known up front.
pub(super) fn body_length(events: &[Event]) -> u64 {
    events
        .iter()
        .map(|e| match e {
            Event::Data(b) => b.len() as u64,
            _ => 0,
        })
        .sum()
}

/// What an HTTP/2 connection serves its streams with: the filter's settings, and the
/// connection's context and output.
pub(super) struct H2Service {
    pub(super) name: &'static str,
    /// Log each response (`{accessLog: true}`).
    pub(super) access_log: bool,
    pub(super) responder: Responder,
    /// `serveHTTP`'s answer when it is a fixed Message: sent as is, with no script call.
    pub(super) constant: Option<Rc<[Event]>>,
    pub(super) context: Rc<Context>,
    pub(super) output: Output,
}

/// The reply events of a `serveHTTP` handler (a Message, or a function of the request): a
/// StreamEnd when it gives nothing, and a runtime-error StreamEnd when it throws.
///
/// A handler may answer with a Promise (of a Message), as in Pipy: then `None` comes back,
/// and `later` gets the events once the Promise settles.
pub(in crate::filters) fn handler_reply(
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
            crate::filters::promise::when_settled(context, name, &p, later);
            None
        }
        Err(e) => {
            tracing::error!("{name}(): {e}");
            Some(vec![crate::event::StreamEnd::runtime(e.to_string())])
        }
    }
}

/// Reads `{bufferSize, maxHeaderSize}` from options argument `i`.
pub(in crate::filters) fn size_options(
    b: &Builder<'_, '_>,
    i: usize,
) -> Result<(usize, usize), String> {
    Ok((
        b.size_option(i, "maxHeaderSize", DEFAULT_MAX_HEAD)?,
        b.size_option(i, "bufferSize", DEFAULT_BUFFER_SIZE)?,
    ))
}

fn build(b: &mut Builder<'_, '_>, demux: bool) -> Result<Box<dyn FilterProto>, String> {
    let (responder, opts_at, desc) = if demux {
        (Responder::Sub(b.required_layout()?), 0, &DEMUX_HTTP)
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
        .map(|v| crate::script::truthy(&v))
        .unwrap_or(false);
    let subs = match &responder {
        Responder::Sub(l) => vec![Some(l.clone())],
        Responder::Handler(_) => Vec::new(),
    };
    let settings = Rc::new(Settings {
        name: desc.name,
        responder,
        header_timeout,
        access_log,
        constant,
    });
    Ok(Box::new(
        FnProto::new(desc, move |init| {
            let core = Rc::new_cyclic(|me| ServerCore {
                me: me.clone(),
                settings: settings.clone(),
                context: init.context,
                output: init.output,
                decoder: RefCell::new(Decoder::new(Role::Request, max_head)),
                encoder: RefCell::new(Encoder::new(buffer_size)),
                exchanges: RefCell::new(VecDeque::new()),
                receiving: RefCell::new(None),
                mailbox: Mailbox::new(),
                input_ended: Cell::new(false),
                closed: Cell::new(false),
                next_id: Cell::new(0),
                head_timer: Cell::new(0),
                tunnel: RefCell::new(None),
                tunnel_pending: RefCell::new(Vec::new()),
                draining: Cell::new(false),
                mode: Cell::new(Mode::Sniffing),
                sniffed: RefCell::new(Vec::new()),
                h2: RefCell::new(None),
                h2_native: RefCell::new(None),
                h2c: RefCell::new(None),
            });
            crate::filters::draining::register(&core);
            Box::new(Server(core))
        })
        .with_subs(subs),
    ))
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

enum Action {
    Input(Event),
    Reply(u64, Event),
    Timeout,
    /// The worker is draining: finish what is under way, then close (idle connections at
    /// once when true).
    Drain(bool),
}

/// What every connection of one `demuxHTTP`/`serveHTTP` shares: the filter's settings, kept
/// once rather than copied into each connection (an idle connection holds its core).
struct Settings {
    name: &'static str,
    responder: Responder,
    header_timeout: std::time::Duration,
    /// Log each response (`{accessLog: true}`).
    access_log: bool,
    /// `serveHTTP`'s answer when it is a fixed Message.
    constant: Option<Rc<[Event]>>,
}

struct ServerCore {
    me: Weak<ServerCore>,
    settings: Rc<Settings>,
    context: Rc<Context>,
    output: Output,
    decoder: RefCell<Decoder>,
    encoder: RefCell<Encoder>,
    exchanges: RefCell<VecDeque<Rc<Exch>>>,
    receiving: RefCell<Option<Rc<Exch>>>,
    mailbox: Mailbox<Action>,
    input_ended: Cell<bool>,
    closed: Cell<bool>,
    next_id: Cell<u64>,
    /// Generation of the running head timer; 0 when none runs.
    head_timer: Cell<u64>,
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
    /// The connection's HTTP/2 on the engine's own codec (unless `SLUICE_HTTP2=hyper`).
    h2_native: RefCell<Option<h2_native::NativeH2>>,
    /// An `Upgrade: h2c` was answered 101: the client's HTTP/2 preface is awaited (boxed: rare,
    /// and every open connection holds this field).
    h2c: RefCell<Option<Box<Splice>>>,
}

struct Server(Rc<ServerCore>);

impl Filter for Server {
    fn process(&mut self, evt: Event) {
        self.0.act(Action::Input(evt));
    }
}

impl ServerCore {
    fn act(&self, a: Action) {
        self.mailbox.run(a, |a| match a {
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
        });
    }
}
