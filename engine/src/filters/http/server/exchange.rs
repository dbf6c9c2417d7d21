//! One request and its reply: started when its head arrives, answered by a sub-pipeline or
//! a handler.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use bytes::Bytes;

use super::{handler_reply, Action, Responder, ServerCore};
use crate::event::{Event, MessageTail};
use crate::filters::callback::MessageReader;
use crate::filters::http::observer::ExchangeObserver;
use crate::http::decoder::Head;
use crate::http::h2c::{self, Splice};
use crate::http::head::{Exchange as HeadInfo, LazyHead};
use crate::http::Role;
use crate::pipeline::{Output, Pipeline};
use crate::script::JsValue;

/// One request and its reply.
pub(super) struct Exch {
    pub(super) id: u64,
    pub(super) info: HeadInfo,
    pub(super) sub: RefCell<Option<Rc<Pipeline>>>,
    pub(super) reader: RefCell<MessageReader>,
    /// Reply events that arrived before this exchange reached the front.
    pub(super) pending: RefCell<VecDeque<Event>>,
    pub(super) reply: Cell<ReplyState>,
    /// The response must close the connection.
    pub(super) last: Cell<bool>,
    /// The reply is bytes the server made itself (an error answer).
    pub(super) raw: Cell<bool>,
    /// What the engine records of the exchange: counters, access log, trace.
    pub(super) observer: ExchangeObserver,
    pub(super) tunnel: Cell<Tunnel>,
}

/// How far an exchange's reply has gone.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ReplyState {
    /// Nothing written yet.
    NotStarted,
    /// The head is written (or the server's own answer is on its way).
    Started,
    /// The whole reply is written.
    Done,
}

/// Whether a request asked for a tunnel, and whether it is open.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Tunnel {
    /// A plain request.
    None,
    /// A CONNECT request: a 2xx answer opens the tunnel.
    ConnectAsked,
    /// An `Upgrade` request: a 101 answer opens the tunnel.
    UpgradeAsked,
    /// The answer accepted it: bytes flow both ways unframed.
    Open,
}

impl Tunnel {
    /// True when a tunnel was asked for and not opened yet.
    pub(super) fn asked(self) -> bool {
        matches!(self, Tunnel::ConnectAsked | Tunnel::UpgradeAsked)
    }

    /// True when an answer with `status` opens the tunnel asked for (a CONNECT with any 2xx,
    /// either kind with 101).
    pub(super) fn accepted_by(self, status: u16) -> bool {
        self.asked()
            && ((self == Tunnel::ConnectAsked && (200..300).contains(&status)) || status == 101)
    }
}

impl ServerCore {
    pub(super) fn new_exchange(&self, keep_alive: bool, info: HeadInfo) -> Rc<Exch> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let x = Rc::new(Exch {
            id,
            info,
            sub: RefCell::new(None),
            reader: RefCell::new(MessageReader::new(None)),
            pending: RefCell::new(VecDeque::new()),
            reply: Cell::new(ReplyState::NotStarted),
            last: Cell::new(!keep_alive),
            raw: Cell::new(false),
            observer: ExchangeObserver::new(&self.context),
            tunnel: Cell::new(Tunnel::None),
        });
        self.exchanges.borrow_mut().push_back(x.clone());
        x
    }

    pub(super) fn start_exchange(&self, mut h: Head) {
        if self.exchanges.borrow().is_empty() && h2c::wants_h2c(&h) {
            // The request is answered on stream 1 of the HTTP/2 connection that follows.
            *self.h2c.borrow_mut() = Some(Box::new(Splice::new(h2c::stream_one(&h))));
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
        if self.settings.access_log {
            x.observer
                .log_access(&self.context, &h.method, &h.path, h.protocol);
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
            |name, value| {
                h.headers
                    .iter()
                    .any(|x| x.is(name) && value.is_none_or(|v| x.value() == v))
            },
        );
        let asked = h.header("x-sluice-trace").is_some();
        if h.wants_tunnel() {
            x.tunnel.set(if h.method == "CONNECT" {
                Tunnel::ConnectAsked
            } else {
                Tunnel::UpgradeAsked
            });
            if matches!(self.settings.responder, Responder::Handler(_)) {
                // serveHTTP answers but cannot carry a tunnel: the connection ends after it.
                x.last.set(true);
            }
        }
        let line = trace.map(|_| format!("{} {} {}", h.method, h.path, h.protocol));
        // A fixed answer never looks at the request head.
        let head = match self.settings.constant {
            Some(_) => None,
            None => Some(JsValue::lazy(LazyHead {
                head: Rc::new(h),
                role: Role::Request,
            })),
        };
        *self.receiving.borrow_mut() = Some(x.clone());
        match &self.settings.responder {
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
                    x.observer.trace(t, asked);
                    x.observer.note_head(
                        self.settings.name,
                        ctx.id(),
                        line.as_deref().unwrap_or_default(),
                    );
                }
                let p = Pipeline::new(layout, ctx, out);
                *x.sub.borrow_mut() = Some(p.clone());
                p.input(Event::MessageStart(head));
            }
            Responder::Handler(_) => {
                if let Some(t) = trace {
                    x.observer.trace(t, asked);
                    x.observer.note_head(
                        self.settings.name,
                        self.context.id(),
                        line.as_deref().unwrap_or_default(),
                    );
                }
                x.reader.borrow_mut().start(head)
            }
        }
    }

    pub(super) fn run_handler(&self, x: &Rc<Exch>, end: MessageTail) {
        let Responder::Handler(h) = &self.settings.responder else {
            return;
        };
        let msg = x.reader.borrow_mut().finish(end);
        if let Some(c) = &self.settings.constant {
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
        for e in
            handler_reply(self.settings.name, &self.context, h, &msg, later).unwrap_or_default()
        {
            self.on_reply(x.id, e);
        }
    }
}
