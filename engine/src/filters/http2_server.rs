//! The server side of HTTP/2 for `demuxHTTP` and `serveHTTP`: a connection that starts with
//! the HTTP/2 preface (prior knowledge over cleartext, or after ALPN `h2` over TLS) is served
//! by hyper. Every stream becomes one request message, handled like an HTTP/1 request: a
//! sub-pipeline with a forked context (`demuxHTTP`) or the handler (`serveHTTP`). Streams run
//! concurrently; hyper does the framing, flow control and stream errors (RFC 9113).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::oneshot;

use super::callback::MessageReader;
use super::http_server::{handler_reply, Responder};
use crate::event::{Event, MessageTail, StreamEnd};
use crate::http::h2::{self, BodySender, EventBody, LocalExec};
use crate::http::head::{out_head, Exchange, LazyHead};
use crate::http::pipe_io::PipeIo;
use crate::http::Role;
use crate::pipeline::{Context, Output, Pipeline};
use crate::script::JsValue;

/// Starts serving HTTP/2 on a connection whose first bytes were `first`. Returns the stream
/// the filter pushes its further input into; the connection's output goes to `output`, and a
/// StreamEnd follows when the connection is over.
pub(super) fn start(
    name: &'static str,
    responder: Responder,
    context: Rc<Context>,
    output: Output,
    first: Bytes,
) -> PipeIo {
    let out = output.clone();
    let io = PipeIo::new(Rc::new(move |b| out.emit(Event::Data(b))));
    io.push(first);
    let conn = Rc::new(Conn {
        name,
        responder,
        context,
    });
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let conn = conn.clone();
        async move { Ok::<_, std::convert::Infallible>(conn.serve(req).await) }
    });
    let served = hyper::server::conn::http2::Builder::new(LocalExec)
        .max_concurrent_streams(256)
        .serve_connection(io.clone(), service);
    tokio::task::spawn_local(async move {
        if let Err(e) = served.await {
            tracing::debug!(target: "http2", "{name}(): HTTP/2 connection ended: {e}");
        }
        output.emit(StreamEnd::ok());
    });
    io
}

struct Conn {
    name: &'static str,
    responder: Responder,
    context: Rc<Context>,
}

/// How a reply's events become hyper's response: the head once, then the body frames.
struct Reply {
    head: RefCell<Option<oneshot::Sender<hyper::Response<EventBody>>>>,
    body: RefCell<Option<BodySender>>,
    keep: RefCell<Option<EventBody>>,
    /// The request's sub-pipeline, handed to the response body once the head is out (hyper
    /// drops the body when the stream is over, and with it the pipeline).
    pipeline: RefCell<Option<Rc<Pipeline>>>,
    exchange: Exchange,
    /// The listening port, for the response counters.
    port: Option<u16>,
    /// When the request's head arrived, for the response time.
    started: std::time::Instant,
    done: Cell<bool>,
    /// The body's length when the whole reply is known up front (a handler's Message).
    length: Cell<Option<u64>>,
}

impl Reply {
    /// Lets the sub-pipeline go, outside of its own event delivery.
    fn release(&self) {
        if let Some(p) = self.pipeline.borrow_mut().take() {
            tokio::task::spawn_local(async move { drop(p) });
        }
    }

    fn on_event(&self, evt: Event) {
        if self.done.get() {
            return;
        }
        match evt {
            Event::MessageStart(head) => {
                let Some(tx) = self.head.borrow_mut().take() else {
                    return;
                };
                let mut oh = out_head(head.as_ref(), Role::Response, self.exchange);
                if oh.content_length.is_none() {
                    oh.content_length = self.length.get();
                }
                let status = h2::status_of(&oh);
                if status < 200 {
                    // An interim answer: the real one comes next.
                    *self.head.borrow_mut() = Some(tx);
                    return;
                }
                crate::metrics::http_response_on(self.port, status, self.started);
                if let Some(mut body) = self.keep.borrow_mut().take() {
                    if let Some(p) = self.pipeline.borrow_mut().take() {
                        body.hold(Box::new(p));
                    }
                    let _ = tx.send(h2::to_response(&oh, body));
                }
            }
            Event::Data(b) => {
                if let Some(tx) = self.body.borrow().as_ref() {
                    let _ = tx.send(Ok(Frame::data(b)));
                }
            }
            Event::MessageEnd(_) => {
                if self.head.borrow().is_none() {
                    self.done.set(true);
                    self.body.borrow_mut().take();
                }
            }
            Event::StreamEnd(se) => {
                self.done.set(true);
                if let Some(tx) = self.head.borrow_mut().take() {
                    // No response came: answer for the pipeline, as HTTP/1 does.
                    let status = se.http_status().0;
                    crate::metrics::builtin().error_answers.inc();
                    crate::metrics::http_response_on(self.port, status, self.started);
                    let (_, body) = EventBody::channel(None);
                    let mut res = hyper::Response::new(body);
                    *res.status_mut() = hyper::StatusCode::from_u16(status)
                        .unwrap_or(hyper::StatusCode::BAD_GATEWAY);
                    let _ = tx.send(res);
                    self.body.borrow_mut().take();
                    self.release();
                } else if let Some(tx) = self.body.borrow_mut().take() {
                    // The body broke off: the stream is reset, the client is told.
                    if se.error.is_some() {
                        let _ = tx.send(Err("the response broke off".into()));
                    }
                }
            }
        }
    }
}

impl Conn {
    async fn serve(&self, req: hyper::Request<Incoming>) -> hyper::Response<EventBody> {
        let (parts, body) = req.into_parts();
        let head = h2::request_head(&parts);
        let exchange = Exchange {
            head_request: head.method == "HEAD",
            peer_http10: false,
        };
        let head = Some(JsValue::lazy(LazyHead {
            head: std::rc::Rc::new(head),
            role: Role::Request,
        }));
        let (head_tx, head_rx) = oneshot::channel();
        let (body_tx, body_rx) = EventBody::channel(None);
        let port = self.context.inbound().map(|i| i.local.port());
        let reply = Rc::new(Reply {
            head: RefCell::new(Some(head_tx)),
            body: RefCell::new(Some(body_tx)),
            keep: RefCell::new(Some(body_rx)),
            pipeline: RefCell::new(None),
            exchange,
            port,
            started: std::time::Instant::now(),
            done: Cell::new(false),
            length: Cell::new(None),
        });
        let _guard = Guard(reply.clone());
        match &self.responder {
            Responder::Sub(layout) => {
                let r = reply.clone();
                let out = Output::from_fn(move |e| r.on_event(e));
                let p = Pipeline::new(layout, self.context.fork(), out);
                *reply.pipeline.borrow_mut() = Some(p.clone());
                p.input(Event::MessageStart(head));
                tokio::task::spawn_local(feed(p, body));
            }
            Responder::Handler(h) => {
                let mut reader = MessageReader::new(None);
                reader.start(head);
                let mut body = body;
                while let Some(f) = body.frame().await {
                    match f {
                        Ok(f) => {
                            if let Ok(d) = f.into_data() {
                                reader.data(&d);
                            }
                        }
                        Err(_) => break,
                    }
                }
                let msg = reader.finish(MessageTail::default());
                let events = handler_reply(self.name, &self.context, h, &msg);
                if events.iter().any(|e| matches!(e, Event::MessageEnd(_))) {
                    let n = events
                        .iter()
                        .map(|e| match e {
                            Event::Data(b) => b.len() as u64,
                            _ => 0,
                        })
                        .sum();
                    reply.length.set(Some(n));
                }
                for e in events {
                    reply.on_event(e);
                }
                reply.on_event(StreamEnd::ok());
            }
        }
        match head_rx.await {
            Ok(res) => res,
            Err(_) => {
                let (_, body) = EventBody::channel(None);
                let mut res = hyper::Response::new(body);
                *res.status_mut() = hyper::StatusCode::BAD_GATEWAY;
                res
            }
        }
    }
}

/// Feeds a request body from hyper into the request's sub-pipeline, then ends the message.
async fn feed(p: Rc<Pipeline>, mut body: Incoming) {
    let mut broke = false;
    while let Some(f) = body.frame().await {
        match f {
            Ok(f) => {
                if let Ok(d) = f.into_data() {
                    p.input(Event::Data(d));
                }
            }
            Err(_) => {
                broke = true;
                break;
            }
        }
    }
    if broke {
        p.input(StreamEnd::code(crate::event::ErrorCode::ConnectionReset));
        return;
    }
    p.input(Event::MessageEnd(MessageTail::default()));
    p.input(StreamEnd::ok());
}

/// Releases a request's sub-pipeline if the stream goes away before its response head.
struct Guard(Rc<Reply>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.release();
    }
}
