//! The server side of HTTP/2 on the engine's own codec (`http/v2`), for `demuxHTTP` and
//! `serveHTTP`: no task, channel or `http` type per request. Each stream becomes one request
//! message into a sub-pipeline with a forked context (`demuxHTTP`) or the handler
//! (`serveHTTP`), and its reply events become frames as they come. A CONNECT stream becomes a
//! tunnel once its reply is 2xx.
//!
//! Output is written once per read delivered (`net::at_scope_end`), so the replies one read
//! causes share a write, and a response head learns whether a body follows (a head alone
//! goes out as one HEADERS frame ending the stream, as gRPC's trailers-only answers must).
//! Back-pressure both ways: a request body's stream window is held while what it goes to is
//! full (its tap is paused); a response body that waits for the client's window pauses
//! whoever produces it.
//!
//! The default: `SLUICE_HTTP2=hyper` in the engine's environment runs hyper's server (`h2.rs`)
//! instead, kept as a fallback for a release. Limits a hostile client meets here: streams
//! reset more than answered (rapid reset, see `MAX_RESET_DEBT`), `serveHTTP` request bodies
//! (`DEFAULT_BUFFER_LIMIT` each, [`MAX_HELD_BODIES`] per connection, 413 past them), header
//! blocks, and the codec's own windows.

use rustc_hash::FxHashMap as HashMap;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use bytes::{Bytes, BytesMut};

use super::{H2Service, Responder};
use crate::event::{ErrorCode as EventCode, Event, StreamEnd};
use crate::filters::callback::MessageReader;
use crate::filters::draining::{self, Drain};
use crate::filters::http::observer::ExchangeObserver;
use crate::http::decoder::Head;
use crate::http::grpc;
use crate::http::head::{Exchange, LazyHead};
use crate::http::header::Header;
use crate::http::v2::request::RequestHead;
use crate::http::v2::server::{Event as H2Event, Limits, ServerConnection};
use crate::http::Role;
use crate::net::Tap;
use crate::pipeline::{Output, Pipeline};
use crate::script::JsValue;

mod stream;

use stream::StreamState;

/// Response bytes waiting for a client's window above which the producer (the upstream
/// connection's reader, say) is paused, and below which it goes on again.
const HIGH_WATER: usize = 256 << 10;
const LOW_WATER: usize = 64 << 10;

/// Request bytes the `serveHTTP` handlers of one connection may hold together, reading
/// whole requests (each at most `DEFAULT_BUFFER_LIMIT`); a request beyond it gets 413.
const MAX_HELD_BODIES: usize = 4 * crate::filters::callback::DEFAULT_BUFFER_LIMIT;

/// True when the engine runs HTTP/2 servers on its own codec: unless `SLUICE_HTTP2=hyper`.
pub(super) fn chosen() -> bool {
    static CHOSEN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| std::env::var("SLUICE_HTTP2").map_or(true, |v| v != "hyper"))
}

/// One HTTP/2 connection served on the engine's codec.
pub(super) struct NativeH2(Rc<Shared>);

struct Shared {
    me: Weak<Shared>,
    svc: H2Service,
    conn: RefCell<ServerConnection>,
    input: RefCell<BytesMut>,
    streams: RefCell<HashMap<u32, Rc<StreamState>>>,
    /// Inside event handling: output is written once at the end.
    busy: Cell<u32>,
    /// The connection is over (StreamEnd sent).
    closed: Cell<bool>,
    /// Sub-pipelines whose stream is over, dropped once no event is being delivered.
    finished: RefCell<Vec<Rc<Pipeline>>>,
    /// A task will drop `finished` (they were left by a reply that came on its own).
    collecting: Cell<bool>,
    draining: Cell<bool>,
    /// The client sent GOAWAY: it opens no more streams.
    peer_left: Cell<bool>,
    /// Streams whose response head waits to see whether a body follows in the same batch.
    held: RefCell<Vec<u32>>,
    /// Streams that paused a producer's tap.
    pausing: RefCell<Vec<u32>>,
    /// A flush waits for the end of the read being delivered.
    flush_scheduled: Cell<bool>,
    /// Request body bytes held by `serveHTTP` readers.
    held_bytes: Cell<usize>,
    /// The tap current while the client's bytes are handled: never paused for a reply,
    /// since the client's input is what brings the window updates a reply waits for.
    codec_tap: Rc<Tap>,
}

impl NativeH2 {
    /// Starts serving a connection whose first bytes (the preface, at least) are `first`.
    pub(super) fn start(svc: H2Service, first: Bytes) -> NativeH2 {
        let shared = Rc::new_cyclic(|me| Shared {
            me: me.clone(),
            svc,
            conn: RefCell::new(ServerConnection::new(Limits::default())),
            input: RefCell::new(BytesMut::new()),
            streams: RefCell::new(HashMap::default()),
            busy: Cell::new(0),
            closed: Cell::new(false),
            finished: RefCell::new(Vec::new()),
            collecting: Cell::new(false),
            draining: Cell::new(false),
            peer_left: Cell::new(false),
            held: RefCell::new(Vec::new()),
            pausing: RefCell::new(Vec::new()),
            flush_scheduled: Cell::new(false),
            held_bytes: Cell::new(0),
            codec_tap: Tap::new(),
        });
        draining::register(&shared);
        let h = NativeH2(shared);
        h.push(first);
        h
    }

    /// Bytes from the client.
    pub(super) fn push(&self, b: Bytes) {
        let s = &self.0;
        if s.closed.get() {
            return;
        }
        s.busy.set(s.busy.get() + 1);
        s.input.borrow_mut().extend_from_slice(&b);
        let result = {
            let mut input = s.input.borrow_mut();
            s.conn.borrow_mut().receive(&mut input)
        };
        Tap::enter(&s.codec_tap, || s.dispatch());
        s.busy.set(s.busy.get() - 1);
        s.resume_drained();
        // Called with the client's bytes, not from inside a sub-pipeline: what finished can go.
        drop(std::mem::take(&mut *s.finished.borrow_mut()));
        match result {
            Ok(()) => s.flush(),
            Err(e) => {
                tracing::debug!(target: "http2", "{}(): HTTP/2 connection error: {}", s.svc.name, e.reason);
                s.end_all(EventCode::ConnectionAborted);
                s.flush_now();
                s.close();
            }
        }
    }

    /// The client closed its side.
    pub(super) fn end(&self) {
        let s = &self.0;
        s.end_all(EventCode::ConnectionReset);
        s.flush_now();
        s.close();
        drop(std::mem::take(&mut *s.finished.borrow_mut()));
    }
}

impl Drain for Shared {
    fn drain(&self, _close_idle: bool) {
        self.draining.set(true);
        self.conn.borrow_mut().go_away();
        self.flush();
    }
}

impl Shared {
    /// Handles the events the codec has for us; no codec borrow is held while a pipeline runs.
    fn dispatch(&self) {
        loop {
            let e = self.conn.borrow_mut().next_event();
            let Some(e) = e else { break };
            match e {
                H2Event::Request {
                    stream,
                    head,
                    end_stream,
                } => self.request(stream, head, end_stream),
                H2Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    if let Some(st) = self.stream(stream) {
                        st.data(data);
                        if end_stream {
                            st.request_end(Vec::new());
                        }
                    }
                }
                H2Event::Trailers { stream, fields } => {
                    if let Some(st) = self.stream(stream) {
                        let fields = fields
                            .iter()
                            .map(|(n, v)| {
                                Header::new(
                                    &String::from_utf8_lossy(n),
                                    &String::from_utf8_lossy(v),
                                )
                            })
                            .collect();
                        st.request_end(fields);
                    }
                }
                H2Event::HeadTooLarge { stream } => {
                    self.conn.borrow_mut().send_head(stream, 431, [], true);
                }
                H2Event::Reset { stream, .. } => {
                    let st = self.streams.borrow_mut().remove(&stream);
                    if let Some(st) = st {
                        st.reply_done.set(true);
                        st.abort(EventCode::ConnectionReset);
                    }
                }
                H2Event::GoAway { .. } => {
                    // The client is leaving: finish what is under way, then close.
                    self.peer_left.set(true);
                    self.draining.set(true);
                    self.conn.borrow_mut().go_away();
                }
            }
        }
    }

    fn stream(&self, id: u32) -> Option<Rc<StreamState>> {
        self.streams.borrow().get(&id).cloned()
    }

    fn request(&self, stream: u32, rh: RequestHead, end_stream: bool) {
        let connect = &rh.method[..] == b"CONNECT" && rh.protocol.is_empty();
        if connect && !matches!(self.svc.responder, Responder::Sub(_)) {
            // A handler answers one message; a tunnel needs a pipeline.
            self.conn.borrow_mut().send_head(stream, 405, [], true);
            return;
        }
        let head = head_of(rh);
        let grpc = grpc::is_grpc(head.headers.iter().map(|h| (h.name(), h.value())));
        let observer = ExchangeObserver::new(&self.svc.context);
        if self.svc.access_log {
            observer.log_access(&self.svc.context, &head.method, &head.path, "HTTP/2");
        }
        let exchange = Exchange {
            head_request: head.method == "HEAD",
            peer_http10: false,
        };
        let sub_context = match &self.svc.responder {
            Responder::Sub(_) => Some(self.svc.context.fork()),
            Responder::Handler(_) => None,
        };
        let st = Rc::new(StreamState {
            id: stream,
            shared: self.me.clone(),
            pipeline: RefCell::new(None),
            reader: RefCell::new(None),
            body_size: Cell::new(0),
            head_sent: Cell::new(false),
            reply_done: Cell::new(false),
            request_done: Cell::new(false),
            exchange,
            grpc,
            bodiless: Cell::new(false),
            length: Cell::new(None),
            observer,
            sub_context: sub_context.clone(),
            connect,
            tunnel_open: Cell::new(false),
            tap: Tap::new(),
            holding: Cell::new(false),
            held: Cell::new(0),
            paused: RefCell::new(Vec::new()),
            held_head: RefCell::new(None),
        });
        self.streams.borrow_mut().insert(stream, st.clone());
        let head = Some(JsValue::lazy(LazyHead {
            head: Rc::new(head),
            role: Role::Request,
        }));
        match &self.svc.responder {
            Responder::Sub(layout) => {
                let weak = Rc::downgrade(&st);
                let out = Output::from_fn(move |e| {
                    if let Some(st) = weak.upgrade() {
                        st.reply(e);
                    }
                });
                let ctx = sub_context.unwrap_or_else(|| self.svc.context.fork());
                let p = Pipeline::new(layout, ctx, out);
                *st.pipeline.borrow_mut() = Some(p.clone());
                p.input(Event::MessageStart(head));
                if connect {
                    p.input(Event::MessageEnd(Default::default()));
                }
            }
            Responder::Handler(_) => {
                let mut reader = MessageReader::new(None);
                reader.start(head);
                *st.reader.borrow_mut() = Some(reader);
            }
        }
        if end_stream {
            st.request_end(Vec::new());
        }
    }

    /// Ends every stream (the connection failed or the client went away).
    fn end_all(&self, code: EventCode) {
        let streams: Vec<_> = self.streams.borrow_mut().drain().map(|(_, s)| s).collect();
        for st in streams {
            st.reply_done.set(true);
            st.abort(code);
        }
    }

    /// Lets producers go on whose stream's waiting response bytes went below the low water
    /// mark (window updates sent them).
    fn resume_drained(&self) {
        let ids = std::mem::take(&mut *self.pausing.borrow_mut());
        for id in ids {
            let Some(st) = self.stream(id) else { continue };
            if self.conn.borrow().pending_len(id) <= LOW_WATER {
                st.release_taps();
            } else {
                self.pausing.borrow_mut().push(id);
            }
        }
    }

    /// Writes what the codec has for the client: at the end of the read being delivered, so
    /// that all it caused goes out together (and a head learns whether a body follows), or
    /// now outside of one; never while events are still being handled.
    fn flush(&self) {
        if self.busy.get() > 0 || self.closed.get() || self.flush_scheduled.get() {
            return;
        }
        let me = self.me.clone();
        let hook: Rc<dyn Fn()> = Rc::new(move || {
            if let Some(s) = me.upgrade() {
                s.flush_scheduled.set(false);
                s.flush_now();
            }
        });
        if !crate::net::at_scope_end(hook.clone()) {
            // Not inside a read's delivery (a reply from a task): right after this task's
            // turn, when the events it produced are all in.
            tokio::task::spawn_local(async move { hook() });
        }
        self.flush_scheduled.set(true);
    }

    fn flush_now(&self) {
        if self.busy.get() > 0 || self.closed.get() {
            return;
        }
        let held = std::mem::take(&mut *self.held.borrow_mut());
        for id in held {
            if let Some(st) = self.stream(id) {
                st.send_held(self, false);
            }
        }
        let out = self.conn.borrow_mut().output();
        if !out.is_empty() {
            self.svc.output.emit(Event::Data(out.freeze()));
        }
        if !self.finished.borrow().is_empty() && !self.collecting.replace(true) {
            // A reply that came by itself: its pipeline may be the one delivering it, so
            // it is let go from a task of its own.
            let me = self.me.clone();
            tokio::task::spawn_local(async move {
                if let Some(s) = me.upgrade() {
                    s.collecting.set(false);
                    drop(std::mem::take(&mut *s.finished.borrow_mut()));
                }
            });
        }
        // Draining: closed once the streams are done, and the client has heard the final
        // GOAWAY (or is leaving itself), so none of its requests is cut.
        let conn = self.conn.borrow();
        let quiet = conn.open_streams() == 0 && (conn.shut() || self.peer_left.get());
        drop(conn);
        if self.draining.get() && quiet && self.streams.borrow().is_empty() {
            self.close();
        }
    }

    fn close(&self) {
        if !self.closed.replace(true) {
            self.svc.output.emit(StreamEnd::ok());
        }
    }
}

/// The request head as the HTTP/1 decoder would give it: `:authority` becomes `host`.
fn head_of(rh: RequestHead) -> Head {
    let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
    let mut headers = Vec::with_capacity(rh.headers.len() + 1);
    if !rh.authority.is_empty() && !rh.headers.iter().any(|(n, _)| &n[..] == b"host") {
        headers.push(Header::new("host", &String::from_utf8_lossy(&rh.authority)));
    }
    for (n, v) in &rh.headers {
        headers.push(Header::new(
            &String::from_utf8_lossy(n),
            &String::from_utf8_lossy(v),
        ));
    }
    Head {
        method: text(&rh.method),
        // A CONNECT names its target in `:authority`; scripts read it as the path, as with
        // HTTP/1's authority-form `CONNECT host:port`.
        path: if rh.path.is_empty() {
            text(&rh.authority)
        } else {
            text(&rh.path)
        },
        status: 0,
        reason: String::new(),
        protocol: "HTTP/2",
        headers,
    }
}
