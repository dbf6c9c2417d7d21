//! The client side of HTTP/2 for `muxHTTP` (`{version: 2}`): one upstream connection per pool
//! key carries every stream's requests at once, multiplexed by hyper over the bytes of the
//! connection's sub-pipeline (usually `connect`, or `connectTLS` with ALPN `h2`).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use http_body::Frame;
use http_body_util::BodyExt;
use hyper::client::conn::http2::SendRequest;
use tokio::sync::watch;

use super::idle::{watch_idle, IdleSession};
use super::{MuxStream, Pool};
use crate::event::{ErrorCode, Event, MessageTail, StreamEnd, StreamError};
use crate::filters::upstream_metrics;
use crate::http::grpc;
use crate::http::h2::{self, BodySender, EventBody, LocalExec};
use crate::http::h2_tunnel;
use crate::http::head::{out_head, Exchange, LazyHead};
use crate::http::pipe_io::PipeIo;
use crate::http::tail::{from_header_map, h2_message_end, header_map, trailers_of};
use crate::http::Role;
use crate::net::Tap;
use crate::pipeline::{Output, Pipeline};
use crate::script::JsValue;

/// Where the connection's handshake stands.
#[derive(Clone)]
enum Link {
    Connecting,
    Ready(SendRequest<EventBody>),
    Failed(ErrorCode),
}

/// One HTTP/2 connection upstream, shared by every stream with the same pool key.
pub(super) struct H2Session {
    me: Weak<H2Session>,
    key: String,
    pool: Weak<Pool>,
    max_idle: Duration,
    pipeline: RefCell<Option<Rc<Pipeline>>>,
    io: PipeIo,
    link: watch::Sender<Link>,
    /// Streams with a request in flight.
    active: Cell<usize>,
    /// When the session last became idle (no call in flight).
    idle_since: Cell<Option<tokio::time::Instant>>,
    /// The idle timer task is running.
    idle_timer: Cell<bool>,
    /// No new call will come (the client connection its key stands for closed): the session
    /// closes once its calls are over.
    retired: Cell<bool>,
    closed: Cell<bool>,
    /// How the connection's pipeline ended, if it has (a refused connection, say).
    /// Shared with the request tasks, which may outlive the session.
    end_code: Rc<Cell<Option<ErrorCode>>>,
}

impl H2Session {
    /// Opens a connection through a new instance of `layout` and starts the HTTP/2
    /// handshake on it.
    pub(super) fn new(
        make: impl FnOnce(Output) -> Rc<Pipeline>,
        key: String,
        pool: &Rc<Pool>,
        max_idle: Duration,
    ) -> Rc<H2Session> {
        let s = Rc::new_cyclic(|me: &Weak<H2Session>| {
            let to_pipe = me.clone();
            let io = PipeIo::new(Rc::new(move |b| {
                if let Some(s) = to_pipe.upgrade() {
                    let p = s.pipeline.borrow().clone();
                    if let Some(p) = p {
                        p.input(Event::Data(b));
                    }
                }
            }));
            H2Session {
                me: me.clone(),
                key,
                pool: Rc::downgrade(pool),
                max_idle,
                pipeline: RefCell::new(None),
                io,
                link: watch::channel(Link::Connecting).0,
                active: Cell::new(0),
                idle_since: Cell::new(None),
                idle_timer: Cell::new(false),
                retired: Cell::new(false),
                closed: Cell::new(false),
                end_code: Rc::new(Cell::new(None)),
            }
        });
        let me = Rc::downgrade(&s);
        let out = Output::from_fn(move |e| {
            if let Some(s) = me.upgrade() {
                s.on_output(e);
            }
        });
        let p = make(out);
        *s.pipeline.borrow_mut() = Some(p);
        let weak = Rc::downgrade(&s);
        let io = s.io.clone();
        tokio::task::spawn_local(async move {
            let r = hyper::client::conn::http2::Builder::new(LocalExec)
                .handshake::<_, EventBody>(io)
                .await;
            let Some(s) = weak.upgrade() else { return };
            match r {
                Ok((tx, conn)) => {
                    s.link.send_replace(Link::Ready(tx));
                    drop(s);
                    tokio::task::spawn_local(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(target: "http2", "muxHTTP(): upstream HTTP/2 connection ended: {e}");
                        }
                        if let Some(s) = weak.upgrade() {
                            s.close();
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(target: "http2", "muxHTTP(): HTTP/2 handshake with upstream failed: {e}");
                    s.fail(ErrorCode::ConnectionReset);
                }
            }
        });
        s
    }

    /// False once the connection is closed or failed: a new one is needed.
    pub(super) fn usable(&self) -> bool {
        !self.closed.get()
    }

    /// No new call will come: the session closes now, or when its last call is over.
    pub(super) fn retire(&self) {
        self.retired.set(true);
        if self.active.get() == 0 {
            self.close();
        }
    }

    fn on_output(&self, evt: Event) {
        match evt {
            Event::Data(b) => self.io.push(b),
            Event::StreamEnd(se) => {
                let code = match se.error {
                    Some(StreamError::Code(c)) => c,
                    Some(StreamError::Runtime(_)) => ErrorCode::RuntimeError,
                    None => ErrorCode::ConnectionReset,
                };
                self.end_code.set(Some(code));
                self.io.end();
                if matches!(*self.link.borrow(), Link::Connecting) {
                    self.fail(code);
                }
            }
            _ => {}
        }
    }

    fn fail(&self, code: ErrorCode) {
        self.link.send_replace(Link::Failed(code));
        self.close();
    }

    fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        if let Some(pool) = self.pool.upgrade() {
            pool.forget_h2(&self.key, self);
        }
        self.io.end();
        let p = self.pipeline.borrow_mut().take();
        if let Some(p) = p {
            tokio::task::spawn_local(async move { p.input(StreamEnd::ok()) });
        }
    }

    /// Sends one request for `stream`; returns the call, where its body goes. The response
    /// comes back to the stream as events, then [`MuxStream::exchange_done`]. A gRPC call with
    /// a `grpc-timeout` that passes is answered DEADLINE_EXCEEDED and its upstream stream reset.
    pub(super) fn request(&self, stream: Weak<MuxStream>, head: Option<JsValue>) -> H2Call {
        let (body_tx, body) = EventBody::channel(None);
        let oh = out_head(head.as_ref(), Role::Request, Exchange::default());
        let connect = oh
            .start_line
            .split(' ')
            .next()
            .is_some_and(h2_tunnel::is_connect);
        let deadline = grpc::deadline_of(oh.header_pairs());
        let key = self.key.clone();
        self.active.set(self.active.get() + 1);
        let mut link = self.link.subscribe();
        let session = self.me.clone();
        let done = StreamDone(self.me.clone());
        let end_code = self.end_code.clone();
        let task = tokio::task::spawn_local(async move {
            let _done = done;
            let started = Cell::new(false);
            let call = async {
                let tx = loop {
                    let now = link.borrow_and_update().clone();
                    match now {
                        Link::Ready(tx) => break Ok(tx),
                        Link::Failed(c) => break Err(c),
                        Link::Connecting => {
                            if link.changed().await.is_err() {
                                break Err(ErrorCode::ConnectionReset);
                            }
                        }
                    }
                };
                match tx {
                    Ok(mut tx) => {
                        let call = Call {
                            stream: &stream,
                            session: &session,
                            key: &key,
                            started: &started,
                        };
                        exchange(&mut tx, &oh, body, connect, call).await
                    }
                    Err(c) => Err(c),
                }
            };
            let outcome = match deadline {
                Some(d) => tokio::time::timeout(d, call).await.map_err(|_| ()),
                None => Ok(call.await),
            };
            let Some(st) = stream.upgrade() else { return };
            note_upstream(&session, &st);
            match outcome {
                Ok(Ok(())) => st.exchange_done(true),
                Ok(Err(code)) => {
                    // A request that failed because the connection did tells why it did.
                    let code = match (started.get(), end_code.get()) {
                        (false, Some(c)) => c,
                        _ => code,
                    };
                    if started.get() {
                        st.on_response(StreamEnd::code(code));
                        st.exchange_done(false);
                    } else {
                        st.answer_error(code);
                    }
                }
                Err(_) => {
                    tracing::debug!(target: "http2", "muxHTTP(): gRPC call past its deadline");
                    st.cancel_h2();
                    let status = grpc::Status::DeadlineExceeded;
                    if started.get() {
                        let trailers = grpc::status_trailers(status, "deadline exceeded");
                        st.on_response(Event::MessageEnd(h2_message_end(0, trailers)));
                        st.exchange_done(true);
                    } else {
                        st.answer_grpc(status, "deadline exceeded");
                    }
                }
            }
        });
        H2Call {
            body: Some(body_tx),
            task: task.abort_handle(),
            connect,
        }
    }

    fn stream_done(&self) {
        let n = self.active.get().saturating_sub(1);
        self.active.set(n);
        if n > 0 || self.closed.get() {
            return;
        }
        if self.retired.get() {
            return self.close();
        }
        self.idle_since.set(Some(tokio::time::Instant::now()));
        if self.idle_timer.replace(true) {
            return;
        }
        watch_idle(self.me.clone(), self.max_idle);
    }
}

/// The HTTP/2 side of a `muxHTTP` stream.
impl MuxStream {
    /// Sends the stream's request as a stream of the key's HTTP/2 connection.
    pub(super) fn begin_h2(&self, key: String, head: Option<JsValue>) {
        let session = self.pool.h2_session(&key, || {
            H2Session::new(
                self.fresh_pipeline(),
                key.clone(),
                &self.pool,
                self.settings.max_idle,
            )
        });
        self.in_flight.set(true);
        self.context
            .set_upstream(key.split_once(':').map(|(_, k)| k).unwrap_or(&key));
        let call = session.request(self.me.clone(), head);
        *self.h2_call.borrow_mut() = Some(call);
        if self.serves_closed_client() {
            // The client connection is gone: nothing will ask for this key again.
            session.retire();
        }
    }

    /// Gives up the HTTP/2 call in flight, if any: its upstream stream is reset.
    pub(super) fn cancel_h2(&self) {
        let call = self.h2_call.borrow_mut().take();
        if let Some(c) = call {
            c.cancel();
        }
    }

    /// Answers the gRPC call in flight with a trailers-only response of `status`.
    pub(super) fn answer_grpc(&self, status: grpc::Status, message: &str) {
        let head = JsValue::lazy(LazyHead {
            head: std::rc::Rc::new(grpc::trailers_only(status, message)),
            role: Role::Response,
        });
        self.on_response(Event::MessageStart(Some(head)));
        self.on_response(Event::MessageEnd(MessageTail::default()));
        self.exchange_done(true);
    }
}

/// Tells the session a stream's call is over, however its task ends (done or aborted).
struct StreamDone(Weak<H2Session>);

impl Drop for StreamDone {
    fn drop(&mut self) {
        if let Some(s) = self.0.upgrade() {
            s.stream_done();
        }
    }
}

impl IdleSession for H2Session {
    fn is_closed(&self) -> bool {
        self.closed.get()
    }
    fn is_busy(&self) -> bool {
        self.active.get() > 0
    }
    fn idle_since(&self) -> Option<tokio::time::Instant> {
        self.idle_since.get()
    }
    fn close(&self) {
        H2Session::close(self)
    }
}

/// One request in flight on an upstream HTTP/2 connection, as its stream sees it.
pub(super) struct H2Call {
    /// Where the request body goes, until it ends.
    body: Option<BodySender>,
    task: tokio::task::AbortHandle,
    /// The request is a CONNECT: after its head, the stream's bytes are the tunnel's, and
    /// only the end of the stream ends them.
    connect: bool,
}

impl H2Call {
    /// Request body bytes, sent as they come (hyper sends them within the stream's window).
    pub(super) fn data(&self, b: bytes::Bytes) {
        if let Some(tx) = &self.body {
            let _ = tx.send(Ok(Frame::data(b)));
        }
    }

    /// The request ends, with the trailers its tail carries.
    pub(super) fn end(&mut self, end: &MessageTail) {
        if self.connect {
            return;
        }
        if let Some(tx) = self.body.take() {
            let trailers = trailers_of(end);
            if !trailers.is_empty() {
                let _ = tx.send(Ok(Frame::trailers(header_map(&trailers))));
            }
        }
    }

    /// The stream ended: a CONNECT tunnel's sending side closes.
    pub(super) fn close_tunnel(&mut self) {
        if self.connect {
            self.body.take();
        }
    }

    /// The call is given up (the downstream went away, or its deadline passed): the
    /// upstream stream is reset with CANCEL and the call's task stops.
    pub(super) fn cancel(mut self) {
        if let Some(tx) = self.body.take() {
            let _ = tx.send(Err(h2::reset_error(ErrorCode::ConnectionReset)));
        }
        self.task.abort();
    }
}

/// The address the session's connection went to (what `connect` noted), if known.
fn reached(session: &Weak<H2Session>) -> Option<Rc<str>> {
    let s = session.upgrade()?;
    let p = s.pipeline.borrow().clone()?;
    p.context().upstream()
}

/// The access log names the upstream the session's connection went to, not the pool key.
fn note_upstream(session: &Weak<H2Session>, st: &MuxStream) {
    if let Some(u) = reached(session) {
        st.context.set_upstream(u);
    }
}

/// Who a request on the connection is for, and where it stands.
struct Call<'a> {
    stream: &'a Weak<MuxStream>,
    session: &'a Weak<H2Session>,
    /// The pool key (labels the response-time metric when no address is known).
    key: &'a str,
    /// Set once the response head has come: an error then cuts the stream.
    started: &'a Cell<bool>,
}

/// One request and its response on the connection. After an error, `started` tells whether
/// the response had begun (then the stream is cut, otherwise it gets an error answer).
async fn exchange(
    tx: &mut SendRequest<EventBody>,
    oh: &crate::http::encoder::OutHead,
    body: EventBody,
    connect: bool,
    call: Call<'_>,
) -> Result<(), ErrorCode> {
    let Call {
        stream,
        session,
        key,
        started,
    } = call;
    // A CONNECT's request has no body: its stream carries the tunnel once answered.
    let (body, tunnel_out) = if connect {
        (EventBody::channel(None).1, Some(body))
    } else {
        (body, None)
    };
    let req = h2::to_request(oh, "http", body).map_err(|e| {
        tracing::warn!(target: "http2", "muxHTTP(): {e}");
        ErrorCode::ProtocolError
    })?;
    if tx.ready().await.is_err() {
        return Err(ErrorCode::ConnectionReset);
    }
    let sent = std::time::Instant::now();
    let mut res = tx.send_request(req).await.map_err(|e| {
        tracing::debug!(target: "http2", "muxHTTP(): request failed: {e}");
        ErrorCode::ConnectionReset
    })?;
    upstream_metrics::observe_response(reached(session).as_deref(), key, sent.elapsed());
    let upgrade = match tunnel_out {
        Some(out) if res.status().is_success() => Some((hyper::upgrade::on(&mut res), out)),
        _ => None,
    };
    let (parts, mut body) = res.into_parts();
    let head = Some(JsValue::lazy(LazyHead {
        head: std::rc::Rc::new(h2::response_head(&parts)),
        role: Role::Response,
    }));
    started.set(true);
    match stream.upgrade() {
        Some(s) => {
            note_upstream(session, &s);
            s.on_response(Event::MessageStart(head))
        }
        None => return Ok(()),
    }
    if let Some((on_upgrade, out)) = upgrade {
        if let Some(s) = stream.upgrade() {
            s.on_response(Event::MessageEnd(MessageTail::default()));
        }
        let up = on_upgrade.await.map_err(|e| {
            tracing::debug!(target: "http2", "muxHTTP(): CONNECT stream unusable: {e}");
            ErrorCode::ConnectionReset
        })?;
        let to = stream.clone();
        let at_end = stream.clone();
        h2_tunnel::pump(
            up,
            out,
            move |d| {
                if let Some(s) = to.upgrade() {
                    s.on_response(Event::Data(d));
                }
            },
            move |code| {
                if let Some(s) = at_end.upgrade() {
                    s.end(code.map_or_else(StreamEnd::ok, StreamEnd::code));
                }
            },
        )
        .await;
        return Ok(());
    }
    let (mut size, mut trailers) = (0, Vec::new());
    // Where the response goes may pause this tap: the next frame is read (and the upstream
    // stream's window opened) only once it is open again.
    let tap = Tap::new();
    while let Some(f) = {
        tap.opened().await;
        body.frame().await
    } {
        let f: Frame<_> = f.map_err(|e| h2::code_of_body_error(&e))?;
        match f.into_data() {
            Ok(d) => {
                size += d.len();
                match stream.upgrade() {
                    Some(s) => Tap::enter(&tap, || s.on_response(Event::Data(d))),
                    None => return Ok(()),
                }
            }
            Err(f) => {
                if let Ok(t) = f.into_trailers() {
                    trailers = from_header_map(&t);
                }
            }
        }
    }
    if let Some(s) = stream.upgrade() {
        s.on_response(Event::MessageEnd(h2_message_end(size, trailers)));
    }
    Ok(())
}
