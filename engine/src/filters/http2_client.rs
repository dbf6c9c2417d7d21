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

use super::http_client::{MuxStream, Pool};
use crate::event::{ErrorCode, Event, MessageTail, StreamEnd, StreamError};
use crate::http::h2::{self, BodySender, EventBody, LocalExec};
use crate::http::head::{out_head, Exchange, LazyHead};
use crate::http::pipe_io::PipeIo;
use crate::http::Role;
use crate::pipeline::{Context, Output, Pipeline, PipelineLayout};
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
    /// Bumped whenever the session becomes idle; the idle timer checks it.
    idle_gen: Cell<u64>,
    closed: Cell<bool>,
    /// How the connection's pipeline ended, if it has (a refused connection, say).
    /// Shared with the request tasks, which may outlive the session.
    end_code: Rc<Cell<Option<ErrorCode>>>,
}

impl H2Session {
    /// Opens a connection through a new instance of `layout` and starts the HTTP/2
    /// handshake on it.
    pub(super) fn new(
        layout: &Rc<PipelineLayout>,
        context: Rc<Context>,
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
                idle_gen: Cell::new(0),
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
        context.set_trace(None);
        *s.pipeline.borrow_mut() = Some(Pipeline::new(layout, context, out));
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

    /// Sends one request for `stream`; returns where its body goes. The response comes back
    /// to the stream as events, then [`MuxStream::exchange_done`].
    pub(super) fn request(&self, stream: Weak<MuxStream>, head: Option<JsValue>) -> BodySender {
        let (body_tx, body) = EventBody::channel(None);
        let oh = out_head(head.as_ref(), Role::Request, Exchange::default());
        let label = self
            .key
            .split_once(':')
            .map(|(_, k)| k)
            .unwrap_or(&self.key)
            .to_string();
        self.active.set(self.active.get() + 1);
        let mut link = self.link.subscribe();
        let me = self.me.clone();
        let end_code = self.end_code.clone();
        tokio::task::spawn_local(async move {
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
            let outcome = match tx {
                Ok(mut tx) => exchange(&mut tx, &oh, body, &stream, &label).await,
                Err(c) => Err((c, false)),
            };
            // A request that failed because the connection did tells why it did.
            let outcome = match (outcome, end_code.get()) {
                (Err((_, false)), Some(code)) => Err((code, false)),
                (o, _) => o,
            };
            if let Some(s) = me.upgrade() {
                s.stream_done();
            }
            let Some(st) = stream.upgrade() else { return };
            match outcome {
                Ok(()) => st.exchange_done(true),
                Err((code, started)) => {
                    if started {
                        st.on_response(StreamEnd::code(code));
                        st.exchange_done(false);
                    } else {
                        st.answer_error(code);
                    }
                }
            }
        });
        body_tx
    }

    fn stream_done(&self) {
        let n = self.active.get().saturating_sub(1);
        self.active.set(n);
        if n > 0 || self.closed.get() {
            return;
        }
        let gen = self.idle_gen.get() + 1;
        self.idle_gen.set(gen);
        let weak = self.me.clone();
        let wait = self.max_idle;
        tokio::task::spawn_local(async move {
            tokio::time::sleep(wait).await;
            if let Some(s) = weak.upgrade() {
                if s.idle_gen.get() == gen && s.active.get() == 0 {
                    s.close();
                }
            }
        });
    }
}

/// One request and its response on the connection. Errors say whether the response had
/// started (then the stream is cut; otherwise it gets an error answer).
async fn exchange(
    tx: &mut SendRequest<EventBody>,
    oh: &crate::http::encoder::OutHead,
    body: EventBody,
    stream: &Weak<MuxStream>,
    label: &str,
) -> Result<(), (ErrorCode, bool)> {
    let req = h2::to_request(oh, "http", body).map_err(|e| {
        tracing::warn!(target: "http2", "muxHTTP(): {e}");
        (ErrorCode::ProtocolError, false)
    })?;
    if tx.ready().await.is_err() {
        return Err((ErrorCode::ConnectionReset, false));
    }
    let sent = std::time::Instant::now();
    let res = tx.send_request(req).await.map_err(|e| {
        tracing::debug!(target: "http2", "muxHTTP(): request failed: {e}");
        (ErrorCode::ConnectionReset, false)
    })?;
    crate::metrics::builtin()
        .upstream_seconds
        .with_label_values(&[label])
        .observe(sent.elapsed().as_secs_f64());
    let (parts, mut body) = res.into_parts();
    let head = Some(JsValue::lazy(LazyHead {
        head: std::rc::Rc::new(h2::response_head(&parts)),
        role: Role::Response,
    }));
    match stream.upgrade() {
        Some(s) => s.on_response(Event::MessageStart(head)),
        None => return Ok(()),
    }
    while let Some(f) = body.frame().await {
        let f: Frame<_> = f.map_err(|_| (ErrorCode::ConnectionReset, true))?;
        if let Ok(d) = f.into_data() {
            match stream.upgrade() {
                Some(s) => s.on_response(Event::Data(d)),
                None => return Ok(()),
            }
        }
    }
    if let Some(s) = stream.upgrade() {
        s.on_response(Event::MessageEnd(MessageTail::default()));
    }
    Ok(())
}
