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

use super::{body_length, handler_reply, H2Service, Responder};
use crate::event::{Event, MessageTail, StreamEnd};
use crate::filters::callback::MessageReader;
use crate::filters::draining::{self, Drain};
use crate::filters::http::observer::ExchangeObserver;
use crate::http::grpc;
use crate::http::h2::{self, BodySender, EventBody, LocalExec};
use crate::http::h2_tunnel;
use crate::http::head::{out_head, Exchange, LazyHead};
use crate::http::pipe_io::PipeIo;
use crate::http::tail::{h2_message_end, header_map, trailers_of};
use crate::http::Role;
use crate::net::Tap;
use crate::pipeline::{Context, Output, Pipeline};
use crate::script::JsValue;

/// Starts serving HTTP/2 on a connection whose first bytes were `first`. Returns the stream
/// the filter pushes its further input into; the connection's output goes to `output`, and a
/// StreamEnd follows when the connection is over.
pub(super) fn start(svc: H2Service, first: Bytes) -> PipeIo {
    let H2Service {
        name,
        access_log,
        responder,
        constant,
        context,
        output,
    } = svc;
    let out = output.clone();
    let io = PipeIo::new(Rc::new(move |b| out.emit(Event::Data(b))));
    io.push(first);
    let conn = Rc::new(Conn {
        name,
        access_log,
        responder,
        constant,
        context,
    });
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let conn = conn.clone();
        async move { Ok::<_, std::convert::Infallible>(conn.serve(req).await) }
    });
    let served = hyper::server::conn::http2::Builder::new(LocalExec)
        .max_concurrent_streams(256)
        .serve_connection(io.clone(), service);
    let drain = Rc::new(GoAway(tokio::sync::Notify::new()));
    draining::register(&drain);
    tokio::task::spawn_local(async move {
        let mut served = std::pin::pin!(served);
        let ended = tokio::select! {
            r = served.as_mut() => r,
            _ = drain.0.notified() => {
                // GOAWAY, then the streams under way finish; new ones are refused.
                served.as_mut().graceful_shutdown();
                served.await
            }
        };
        if let Err(e) = ended {
            tracing::debug!(target: "http2", "{name}(): HTTP/2 connection ended: {e}");
        }
        output.emit(StreamEnd::ok());
    });
    io
}

/// Asks an HTTP/2 connection to wind down when its worker drains.
struct GoAway(tokio::sync::Notify);

impl Drain for GoAway {
    fn drain(&self, _close_idle: bool) {
        self.0.notify_one();
    }
}

struct Conn {
    name: &'static str,
    /// Log each response (`{accessLog: true}`).
    access_log: bool,
    responder: Responder,
    /// `serveHTTP`'s answer when it is a fixed Message: sent as is, with no script call.
    constant: Option<Rc<[Event]>>,
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
    done: Cell<bool>,
    /// The body's length when the whole reply is known up front (a handler's Message).
    length: Cell<Option<u64>>,
    /// The request is a gRPC call: failures are answered with gRPC statuses.
    grpc: bool,
    /// What the engine records of the exchange: counters, gRPC status, access log.
    observer: ExchangeObserver,
    /// The request's context (the access log names its upstream).
    sub_context: Option<Rc<Context>>,
    /// A CONNECT request: where the tunnel's bytes to the client go.
    tunnel: RefCell<Option<BodySender>>,
    /// The CONNECT was answered 2xx: the reply's Data are the tunnel's.
    tunnel_open: Cell<bool>,
    /// The answer has no body (to a HEAD, or a 204/304): its Data are dropped, as HTTP/1
    /// drops them (a DATA frame there is a protocol error for the client).
    bodiless: Cell<bool>,
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
                self.observer.answered(status);
                if self.grpc {
                    self.note_grpc(oh.header_pairs());
                }
                if self.tunnel.borrow().is_some() {
                    if (200..300).contains(&status) {
                        // The stream becomes the tunnel; its task holds the pipeline.
                        self.tunnel_open.set(true);
                        oh.content_length = None;
                        oh.no_length = true;
                    } else {
                        self.tunnel.borrow_mut().take();
                    }
                }
                self.bodiless.set(oh.bodiless && !self.tunnel_open.get());
                if let Some(mut body) = self.keep.borrow_mut().take() {
                    if let Some(p) = self.pipeline.borrow_mut().take() {
                        body.hold(Box::new(p));
                    }
                    let _ = tx.send(h2::to_response(&oh, body));
                }
            }
            Event::Data(_) if self.bodiless.get() => {}
            Event::Data(b) => {
                self.observer.body(b.len());
                if self.tunnel_open.get() {
                    if let Some(tx) = self.tunnel.borrow().as_ref() {
                        let _ = tx.send(Ok(Frame::data(b)));
                    }
                    return;
                }
                if let Some(tx) = self.body.borrow().as_ref() {
                    let _ = tx.send(Ok(Frame::data(b)));
                }
            }
            Event::MessageEnd(_) if self.tunnel_open.get() => {}
            Event::MessageEnd(end) => {
                if self.head.borrow().is_none() {
                    self.done.set(true);
                    if let Some(tx) = self.body.borrow_mut().take() {
                        let trailers = trailers_of(&end);
                        if self.grpc {
                            self.note_grpc(trailers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                        }
                        if !trailers.is_empty() {
                            let _ = tx.send(Ok(Frame::trailers(header_map(&trailers))));
                        }
                    }
                    self.finish();
                }
            }
            Event::StreamEnd(_) if self.tunnel_open.get() => {
                self.done.set(true);
                self.tunnel.borrow_mut().take();
                self.finish();
            }
            Event::StreamEnd(se) => {
                self.done.set(true);
                if let Some(tx) = self.head.borrow_mut().take() {
                    // No response came: answer for the pipeline, as HTTP/1 does (a gRPC call
                    // the gRPC way).
                    let (_, body) = EventBody::channel(None);
                    let res = if self.grpc {
                        let (status, message) = grpc::Status::for_end(&se);
                        tracing::debug!(target: "http2", "gRPC call answered with status {status:?}: {message}");
                        self.observer.answered_for_error(200);
                        self.observer.grpc_status(status as u32);
                        h2::head_response(&grpc::trailers_only(status, &message), body)
                    } else {
                        let status = se.http_status().0;
                        self.observer.answered_for_error(status);
                        let mut res = hyper::Response::new(body);
                        *res.status_mut() = hyper::StatusCode::from_u16(status)
                            .unwrap_or(hyper::StatusCode::BAD_GATEWAY);
                        res
                    };
                    let _ = tx.send(res);
                    self.body.borrow_mut().take();
                    self.release();
                    self.finish();
                } else if let Some(tx) = self.body.borrow_mut().take() {
                    // The body broke off: the stream is reset, the client is told why.
                    if let Some(code) = se.error_code() {
                        let _ = tx.send(Err(h2::reset_error(code)));
                    }
                    self.finish();
                }
            }
        }
    }
}

impl Reply {
    /// Notes the `grpc-status` among response fields (a trailers-only head, or trailers).
    fn note_grpc<'a>(&self, mut fields: impl Iterator<Item = (&'a str, &'a str)>) {
        if let Some((_, v)) = fields.find(|(k, _)| k.eq_ignore_ascii_case("grpc-status")) {
            if let Ok(status) = v.trim().parse() {
                self.observer.grpc_status(status);
            }
        }
    }

    /// The reply is over: the gRPC counter and the access log line, once.
    fn finish(&self) {
        self.observer.finish(self.sub_context.as_deref());
    }
}

impl Conn {
    async fn serve(&self, mut req: hyper::Request<Incoming>) -> hyper::Response<EventBody> {
        let on_upgrade = (req.method() == hyper::Method::CONNECT
            && matches!(self.responder, Responder::Sub(_)))
        .then(|| hyper::upgrade::on(&mut req));
        let (parts, body) = req.into_parts();
        let head = h2::request_head(&parts);
        let grpc = grpc::is_grpc(head.headers.iter().map(|h| (h.name(), h.value())));
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
        let observer = ExchangeObserver::new(&self.context);
        if self.access_log {
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            observer.log_access(&self.context, parts.method.as_str(), path, "HTTP/2");
        }
        let sub_context = match &self.responder {
            Responder::Sub(_) => Some(self.context.fork()),
            Responder::Handler(_) => None,
        };
        let reply = Rc::new(Reply {
            head: RefCell::new(Some(head_tx)),
            body: RefCell::new(Some(body_tx)),
            keep: RefCell::new(Some(body_rx)),
            pipeline: RefCell::new(None),
            exchange,
            done: Cell::new(false),
            length: Cell::new(None),
            grpc,
            observer,
            sub_context: sub_context.clone(),
            tunnel: RefCell::new(None),
            tunnel_open: Cell::new(false),
            bodiless: Cell::new(false),
        });
        let _guard = Guard(reply.clone());
        match &self.responder {
            Responder::Sub(layout) => {
                let r = reply.clone();
                let out = Output::from_fn(move |e| r.on_event(e));
                let ctx = sub_context.unwrap_or_else(|| self.context.fork());
                let p = Pipeline::new(layout, ctx, out);
                *reply.pipeline.borrow_mut() = Some(p.clone());
                p.input(Event::MessageStart(head));
                match on_upgrade {
                    Some(on_upgrade) => {
                        // A CONNECT has no body; once answered 2xx, its stream is the tunnel.
                        let (tx, out) = EventBody::channel(None);
                        *reply.tunnel.borrow_mut() = Some(tx);
                        p.input(Event::MessageEnd(MessageTail::default()));
                        tokio::task::spawn_local(tunnel(p, on_upgrade, out));
                    }
                    None => {
                        tokio::task::spawn_local(feed(p, body));
                    }
                }
            }
            Responder::Handler(_) if self.constant.is_some() => {
                // The request is read to its end (as for a handler), then answered.
                let mut body = body;
                while let Some(Ok(_)) = body.frame().await {}
                let events = self.constant.as_deref().unwrap_or_default();
                reply.length.set(Some(body_length(events)));
                for e in events {
                    reply.on_event(e.clone());
                }
                reply.on_event(StreamEnd::ok());
            }
            Responder::Handler(h) => {
                let mut reader = MessageReader::new(None);
                reader.start(head);
                let (mut body, mut size, mut trailers) = (body, 0, Vec::new());
                while let Some(f) = body.frame().await {
                    match f.map(|f| f.into_data()) {
                        Ok(Ok(d)) => {
                            size += d.len();
                            reader.data(&d);
                        }
                        Ok(Err(f)) => {
                            if let Ok(t) = f.into_trailers() {
                                trailers = crate::http::tail::from_header_map(&t);
                            }
                        }
                        Err(_) => break,
                    }
                }
                let msg = reader.finish(h2_message_end(size, trailers));
                let r = reply.clone();
                let later = move |evts: Vec<Event>| {
                    for e in evts {
                        r.on_event(e);
                    }
                    r.on_event(StreamEnd::ok());
                };
                let events = handler_reply(self.name, &self.context, h, &msg, later);
                let events = events.unwrap_or_default();
                if events.is_empty() {
                    // A Promise: the answer comes when it settles.
                } else if events.iter().any(|e| matches!(e, Event::MessageEnd(_))) {
                    reply.length.set(Some(body_length(&events)));
                }
                if !events.is_empty() {
                    for e in events {
                        reply.on_event(e);
                    }
                    reply.on_event(StreamEnd::ok());
                }
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

/// Feeds a request body from hyper into the request's sub-pipeline as it arrives, then ends
/// the message with its trailers; a stream the client reset ends the pipeline with an error.
async fn feed(p: Rc<Pipeline>, mut body: Incoming) {
    let (mut size, mut trailers) = (0, Vec::new());
    // Where the body goes may pause this tap: the next frame is read (and the stream's
    // window opened) only once it is open again.
    let tap = Tap::new();
    while let Some(f) = {
        tap.opened().await;
        body.frame().await
    } {
        match f {
            Ok(f) => match f.into_data() {
                Ok(d) => {
                    size += d.len();
                    Tap::enter(&tap, || p.input(Event::Data(d)));
                }
                Err(f) => {
                    if let Ok(t) = f.into_trailers() {
                        trailers = crate::http::tail::from_header_map(&t);
                    }
                }
            },
            Err(e) => {
                p.input(StreamEnd::code(h2::code_of_body_error(&e)));
                return;
            }
        }
    }
    p.input(Event::MessageEnd(h2_message_end(size, trailers)));
    p.input(StreamEnd::ok());
}

/// Carries a CONNECT stream's tunnel between the client and the request's sub-pipeline, once
/// the response opened it.
async fn tunnel(p: Rc<Pipeline>, on_upgrade: hyper::upgrade::OnUpgrade, out: EventBody) {
    let Ok(up) = on_upgrade.await else {
        // Not answered 2xx: the request's pipeline ends as any other's.
        p.input(StreamEnd::ok());
        return;
    };
    let to = p.clone();
    h2_tunnel::pump(
        up,
        out,
        move |d| to.input(Event::Data(d)),
        move |code| p.input(code.map_or_else(StreamEnd::ok, StreamEnd::code)),
    )
    .await;
}

/// Releases a request's sub-pipeline if the stream goes away before its response head.
struct Guard(Rc<Reply>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.release();
    }
}
