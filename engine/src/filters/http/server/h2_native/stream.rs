//! One stream of a [`super::NativeH2`] connection: the request into its sub-pipeline or
//! handler, the reply's events out as frames, back-pressure both ways, and the end of both.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use bytes::Bytes;

use super::{Shared, HIGH_WATER, MAX_HELD_BODIES};
use crate::event::{ErrorCode as EventCode, Event, StreamEnd};
use crate::filters::callback::MessageReader;
use crate::filters::http::observer::ExchangeObserver;
use crate::filters::http::server::{body_length, handler_reply, Responder};
use crate::http::grpc;
use crate::http::head::{out_head, Exchange};
use crate::http::header::Header;
use crate::http::tail::{h2_message_end, trailers_of};
use crate::http::v2::frame::ErrorCode;
use crate::http::v2::server::ServerConnection;
use crate::http::Role;
use crate::net::Tap;
use crate::pipeline::{Context, Pipeline};

/// A response head not written yet: its status and fields.
pub(super) type HeldHead = (u16, Vec<(String, String)>);

/// One stream: the way in of its request and the way out of its reply.
pub(super) struct StreamState {
    pub(super) id: u32,
    pub(super) shared: Weak<Shared>,
    pub(super) pipeline: RefCell<Option<Rc<Pipeline>>>,
    /// `serveHTTP` with a function: the request being read.
    pub(super) reader: RefCell<Option<MessageReader>>,
    pub(super) body_size: Cell<usize>,
    pub(super) head_sent: Cell<bool>,
    pub(super) reply_done: Cell<bool>,
    pub(super) request_done: Cell<bool>,
    pub(super) exchange: Exchange,
    pub(super) grpc: bool,
    pub(super) bodiless: Cell<bool>,
    /// The reply's body length when it is known up front (a fixed Message).
    pub(super) length: Cell<Option<u64>>,
    pub(super) observer: ExchangeObserver,
    pub(super) sub_context: Option<Rc<Context>>,
    /// A CONNECT: the request message ends at once, and the stream's DATA both ways are the
    /// tunnel's bytes once the reply is 2xx.
    pub(super) connect: bool,
    pub(super) tunnel_open: Cell<bool>,
    /// The request body's input: what it goes to pauses it when full.
    pub(super) tap: Rc<Tap>,
    /// The stream's window is held while `tap` is paused.
    pub(super) holding: Cell<bool>,
    /// Request body bytes this stream counts in the connection's `held_bytes`.
    pub(super) held: Cell<usize>,
    /// Producers of the response paused while the client's window is closed.
    pub(super) paused: RefCell<Vec<Rc<Tap>>>,
    /// The response head, until the batch shows whether a body follows (a head alone goes
    /// out as one HEADERS frame that ends the stream, as gRPC's trailers-only answers must).
    pub(super) held_head: RefCell<Option<HeldHead>>,
}

impl StreamState {
    pub(super) fn data(&self, d: Bytes) {
        self.body_size.set(self.body_size.get() + d.len());
        let over = self.reader.borrow_mut().as_mut().map(|r| {
            // A copy: DATA is a slice of the connection's input buffer, and keeping it would
            // keep the whole buffer (a 1-byte frame could pin a 256 KiB read).
            r.data(&Bytes::copy_from_slice(&d));
            r.dropped() > 0
        });
        if let Some(over) = over {
            let Some(shared) = self.shared.upgrade() else {
                return;
            };
            self.held.set(self.held.get() + d.len());
            let held = shared.held_bytes.get() + d.len();
            shared.held_bytes.set(held);
            if over || held > MAX_HELD_BODIES {
                self.refuse_body(&shared);
            }
            return;
        }
        let p = self.pipeline.borrow().clone();
        let Some(p) = p else { return };
        Tap::enter(&self.tap, || p.input(Event::Data(d)));
        if self.tap.is_open() || self.holding.replace(true) {
            return;
        }
        // What the body goes to is full: the client gets no more window until it is not.
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        shared.conn.borrow_mut().set_paused(self.id, true);
        let (tap, weak, id) = (self.tap.clone(), self.shared.clone(), self.id);
        tokio::task::spawn_local(async move {
            tap.opened().await;
            if let Some(s) = weak.upgrade() {
                if let Some(st) = s.stream(id) {
                    st.holding.set(false);
                }
                s.conn.borrow_mut().set_paused(id, false);
                s.flush();
            }
        });
    }

    /// `serveHTTP` holds whole requests: one past the limit (or past what the connection's
    /// requests may hold together) is answered 413, and the rest of it dropped as it comes.
    fn refuse_body(&self, shared: &Shared) {
        self.drop_reader();
        self.request_done.set(true);
        tracing::debug!(target: "http2", "{}(): stream {}: request body over the limit", shared.svc.name, self.id);
        if self.reply_done.get() || self.head_sent.replace(true) {
            return;
        }
        let body = format!(
            "request body is over the {} MiB limit\n",
            crate::filters::callback::DEFAULT_BUFFER_LIMIT >> 20
        );
        self.observer.answered_for_error(413);
        {
            let mut conn = shared.conn.borrow_mut();
            let length = body.len().to_string();
            let fields = [
                (&b"content-type"[..], &b"text/plain"[..]),
                (b"content-length", length.as_bytes()),
            ];
            conn.send_head(self.id, 413, fields, false);
            conn.send_data(self.id, Bytes::from(body), true);
        }
        self.done(shared);
        shared.flush();
    }

    /// Lets go of the request being read for `serveHTTP`.
    fn drop_reader(&self) -> Option<MessageReader> {
        self.reader.borrow_mut().take()
    }

    /// The request's body is no longer held (the reply is done, or the stream gone): it no
    /// longer counts against the connection's limit. Until then it does, the handler's
    /// Promise holding it included.
    pub(super) fn release_held(&self, shared: &Shared) {
        let held = self.held.replace(0);
        shared
            .held_bytes
            .set(shared.held_bytes.get().saturating_sub(held));
    }

    /// Sends the held response head, if any.
    pub(super) fn send_held(&self, shared: &Shared, end_stream: bool) {
        let Some((status, fields)) = self.held_head.borrow_mut().take() else {
            return;
        };
        shared.conn.borrow_mut().send_head(
            self.id,
            status,
            fields.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
            end_stream,
        );
    }

    /// True when the stream is over on this side already (its head ended it).
    fn head_only_sent(&self, conn: &ServerConnection) -> bool {
        !conn.is_open_locally(self.id)
    }

    /// Lets the paused producers of the response go on.
    pub(super) fn release_taps(&self) {
        for t in self.paused.borrow_mut().drain(..) {
            t.resume();
        }
    }

    /// The request is complete (with `trailers`, if any).
    pub(super) fn request_end(&self, trailers: Vec<Header>) {
        if self.request_done.replace(true) {
            return;
        }
        if self.connect {
            // The client closed its side of the tunnel.
            let p = self.pipeline.borrow().clone();
            if let Some(p) = p {
                p.input(StreamEnd::ok());
            }
            self.settle();
            return;
        }
        let end = h2_message_end(self.body_size.get(), trailers);
        let reader = self.drop_reader();
        if let Some(mut reader) = reader {
            self.answer(reader.finish(end));
        } else {
            let p = self.pipeline.borrow().clone();
            if let Some(p) = p {
                p.input(Event::MessageEnd(end));
                p.input(StreamEnd::ok());
            }
        }
        self.settle();
    }

    /// `serveHTTP`: the handler's answer to the whole request.
    fn answer(&self, msg: crate::script::JsMessage) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        if let Some(events) = shared.svc.constant.as_deref() {
            self.length.set(Some(body_length(events)));
            for e in events {
                self.reply(e.clone());
            }
            self.reply(StreamEnd::ok());
            return;
        }
        let Responder::Handler(h) = &shared.svc.responder else {
            return;
        };
        let me = shared.stream(self.id);
        let later = move |evts: Vec<Event>| {
            if let Some(st) = &me {
                for e in evts {
                    st.reply(e);
                }
                st.reply(StreamEnd::ok());
            }
        };
        let events =
            handler_reply(shared.svc.name, &shared.svc.context, h, &msg, later).unwrap_or_default();
        if events.iter().any(|e| matches!(e, Event::MessageEnd(_))) {
            self.length.set(Some(body_length(&events)));
        }
        if !events.is_empty() {
            for e in events {
                self.reply(e);
            }
            self.reply(StreamEnd::ok());
        }
    }

    /// The stream broke off: its pipeline ends with `code`.
    pub(super) fn abort(&self, code: EventCode) {
        self.release_taps();
        self.end_input(StreamEnd::code(code));
    }

    /// No more of the request comes: its pipeline's input ends with `end`.
    fn end_input(&self, end: Event) {
        let shared = self.shared.upgrade();
        if let Some(shared) = &shared {
            self.drop_reader();
            self.release_held(shared);
        }
        let p = self.pipeline.borrow_mut().take();
        if let Some(p) = p {
            p.input(end);
            if let Some(shared) = &shared {
                shared.finished.borrow_mut().push(p);
            }
        }
    }

    /// One event of the reply.
    pub(super) fn reply(&self, evt: Event) {
        if self.reply_done.get() {
            return;
        }
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        shared.busy.set(shared.busy.get() + 1);
        match evt {
            Event::MessageStart(head) => {
                if self.head_sent.get() {
                    shared.busy.set(shared.busy.get() - 1);
                    return;
                }
                let mut oh = out_head(head.as_ref(), Role::Response, self.exchange);
                if oh.content_length.is_none() {
                    oh.content_length = self.length.get();
                }
                let status = crate::http::h2::status_of(&oh);
                if status >= 200 {
                    self.head_sent.set(true);
                    self.observer.answered(status);
                    if self.grpc {
                        self.note_grpc(oh.header_pairs());
                    }
                    self.bodiless.set(oh.bodiless);
                    if self.connect && (200..300).contains(&status) {
                        self.tunnel_open.set(true);
                        self.bodiless.set(false);
                        oh.content_length = None;
                    }
                    let mut fields: Vec<(String, String)> = oh
                        .header_pairs()
                        .filter(|(k, _)| !connection_specific(k))
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                        .collect();
                    if let Some(n) = oh.content_length {
                        fields.push(("content-length".into(), n.to_string()));
                    }
                    *self.held_head.borrow_mut() = Some((status, fields));
                    shared.held.borrow_mut().push(self.id);
                }
            }
            Event::Data(_) if self.bodiless.get() || !self.head_sent.get() => {}
            Event::Data(b) => {
                self.observer.body(b.len());
                self.send_held(&shared, false);
                let pending = {
                    let mut conn = shared.conn.borrow_mut();
                    conn.send_data(self.id, b, false);
                    conn.pending_len(self.id)
                };
                if pending > HIGH_WATER {
                    // The client's window is closed: pause whoever produces the body (not the
                    // client's own input, which brings the window updates).
                    let producer = Tap::current().filter(|t| !Rc::ptr_eq(t, &shared.codec_tap));
                    if let Some(tap) = producer {
                        let mut paused = self.paused.borrow_mut();
                        if !paused.iter().any(|t| Rc::ptr_eq(t, &tap)) {
                            tap.pause();
                            paused.push(tap);
                            shared.pausing.borrow_mut().push(self.id);
                        }
                    }
                }
            }
            Event::MessageEnd(_) if self.tunnel_open.get() => {}
            Event::StreamEnd(_) if self.tunnel_open.get() => {
                // The tunnel's far side closed: so does the stream.
                self.send_held(&shared, false);
                shared
                    .conn
                    .borrow_mut()
                    .send_data(self.id, Bytes::new(), true);
                self.done(&shared);
            }
            Event::MessageEnd(end) => {
                if self.head_sent.get() {
                    let trailers = trailers_of(&end);
                    if self.grpc {
                        self.note_grpc(trailers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    }
                    if self.held_head.borrow().is_some() {
                        // A head and no body: one HEADERS frame, ending the stream unless
                        // trailers follow.
                        self.send_held(&shared, trailers.is_empty());
                    }
                    let mut conn = shared.conn.borrow_mut();
                    if trailers.is_empty() {
                        if !self.head_only_sent(&conn) {
                            conn.send_data(self.id, Bytes::new(), true);
                        }
                    } else {
                        let lower: Vec<(String, &str)> = trailers
                            .iter()
                            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
                            .collect();
                        conn.send_trailers(
                            self.id,
                            lower.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
                        );
                    }
                    drop(conn);
                    self.done(&shared);
                }
            }
            Event::StreamEnd(se) => {
                if !self.head_sent.get() {
                    // No response came: answer for the pipeline, as HTTP/1 does (a gRPC call
                    // the gRPC way).
                    let mut conn = shared.conn.borrow_mut();
                    if self.grpc {
                        let (status, message) = grpc::Status::for_end(&se);
                        self.observer.answered_for_error(200);
                        self.observer.grpc_status(status as u32);
                        let head = grpc::trailers_only(status, &message);
                        let fields: Vec<(String, String)> = head
                            .headers
                            .iter()
                            .map(|h| (h.lower_name().into_owned(), h.value().to_string()))
                            .collect();
                        conn.send_head(
                            self.id,
                            200,
                            fields.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
                            true,
                        );
                    } else {
                        let status = se.http_status().0;
                        self.observer.answered_for_error(status);
                        conn.send_head(self.id, status, [], true);
                    }
                    drop(conn);
                    self.done(&shared);
                } else if !self.reply_done.get() {
                    // The body broke off: the client is told by a reset.
                    self.held_head.borrow_mut().take();
                    let code = match se.error_code() {
                        Some(EventCode::ConnectionReset) => ErrorCode::CANCEL,
                        _ => ErrorCode::INTERNAL,
                    };
                    shared.conn.borrow_mut().reset(self.id, code);
                    self.done(&shared);
                }
            }
        }
        shared.busy.set(shared.busy.get() - 1);
        shared.flush();
    }

    /// The reply is out: the access log and counters, and the stream leaves the connection
    /// once its request is read too.
    fn done(&self, shared: &Shared) {
        self.reply_done.set(true);
        self.observer.finish(self.sub_context.as_deref());
        self.release_held(shared);
        // A request that reached the application and was answered offsets one reset.
        shared.conn.borrow_mut().credit();
        if !self.request_done.replace(true) {
            // Answered before the request ended: the codec drops the rest of the request.
            self.end_input(StreamEnd::ok());
        }
        self.settle_in(shared);
    }

    fn settle(&self) {
        if let Some(shared) = self.shared.upgrade() {
            self.settle_in(&shared);
        }
    }

    fn settle_in(&self, shared: &Shared) {
        if self.reply_done.get() {
            self.release_taps();
        }
        if self.reply_done.get() && self.request_done.get() {
            if let Some(p) = self.pipeline.borrow_mut().take() {
                shared.finished.borrow_mut().push(p);
            }
            shared.streams.borrow_mut().remove(&self.id);
        }
    }

    /// Notes the `grpc-status` among response fields (a trailers-only head, or trailers).
    fn note_grpc<'a>(&self, mut fields: impl Iterator<Item = (&'a str, &'a str)>) {
        if let Some((_, v)) = fields.find(|(k, _)| k.eq_ignore_ascii_case("grpc-status")) {
            if let Ok(status) = v.trim().parse() {
                self.observer.grpc_status(status);
            }
        }
    }
}

/// Fields of one HTTP/1 connection, which must not go on an HTTP/2 stream (RFC 9113 §8.2.2).
fn connection_specific(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "host",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}
