//! FastCGI: `muxFastCGI` sends each request message to a FastCGI application (PHP-FPM, say)
//! over shared connections, on the generic mux core; `demuxFastCGI` ([`server`]) makes Sluice
//! the application behind a web server.
//!
//! A request's head is Pipy's: `{role (1 = responder), keepAlive, params: {NAME: value}}`,
//! and its body is the request's standard input. The answer is a message whose body is the
//! application's standard output (for a responder: CGI headers, a blank line, the content);
//! its tail is `{appStatus, protocolStatus, stderr}`.

mod record;
mod server;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use bytes::BytesMut;

use super::mux::mux_filter::key_and_options;
use super::mux::{Expect, MuxCore, MuxProtocol, ProtocolFactory, Request, Route};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{ErrorCode, Event, MessageTail, StreamEnd};
use crate::pipeline::{FilterProto, FnProto};
use crate::script::{self, JsValue};
use record::*;

static MUX_FASTCGI: FilterDescriptor = FilterDescriptor {
    name: "muxFastCGI",
    kind: FilterKind::Joint,
    signature: "(target[, key[, options]])",
    help: "Sends request messages to a FastCGI application over shared connections; answers come back as messages",
    params: &[
        (
            "target",
            "sub-pipeline name (or use .to(...)): the connection, e.g. $=>$.connect('127.0.0.1:9000')",
        ),
        (
            "key",
            "value or function() choosing the connection pool; default: one pool per client connection",
        ),
        (
            "options",
            "{maxIdle (60s), maxQueue (1: PHP-FPM serves one request per connection at a time), maxMessages}",
        ),
    ],
    build,
};

static DEMUX_FASTCGI: FilterDescriptor = FilterDescriptor {
    name: "demuxFastCGI",
    kind: FilterKind::Joint,
    signature: "(target)",
    help: "Serves FastCGI requests: each is a message {role, keepAlive, params} with its standard input as the body, answered by a sub-pipeline",
    params: &[(
        "target",
        "sub-pipeline name (or use .to(...)); its output message's body is the request's standard output",
    )],
    build: |b| {
        let layout = b.required_layout()?;
        server::demux_proto(b, layout)
    },
};

/// `muxFastCGI`, `demuxFastCGI`.
pub static FILTERS: &[&FilterDescriptor] = &[&MUX_FASTCGI, &DEMUX_FASTCGI];

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = b.required_layout()?;
    let (key, options) = key_and_options(b)?;
    let protocol: ProtocolFactory = Rc::new(|| Box::<Client>::default());
    let core = MuxCore::new("muxFastCGI", layout, key, options, protocol);
    let subs = vec![Some(core.layout().clone())];
    Ok(Box::new(
        FnProto::new(&MUX_FASTCGI, move |init| core.instantiate(init)).with_subs(subs),
    ))
}

/// The client side of one FastCGI connection.
#[derive(Default)]
struct Client {
    last_id: u16,
    decoder: Decoder,
    /// Requests whose answer has begun (a MessageStart went out).
    started: HashSet<u16>,
    /// Standard error of each request, for its tail.
    stderr: HashMap<u16, BytesMut>,
}

/// What a request head asks for: role, keep-alive, and the encoded PARAMS stream.
fn request_head(head: &Option<JsValue>) -> (u16, bool, Vec<u8>) {
    let Some(head) = head else {
        return (1, false, Vec::new());
    };
    script::js(|ctx| {
        let mut params = Vec::new();
        let Some(o) = head.get(ctx).into_object() else {
            return (1, false, params);
        };
        let role = o
            .get::<_, Option<f64>>("role")
            .ok()
            .flatten()
            .map_or(1, |r| r as u16);
        let keep = o.get::<_, Option<bool>>("keepAlive").ok().flatten() == Some(true);
        if let Ok(Some(p)) = o.get::<_, Option<rquickjs::Object>>("params") {
            for (k, v) in p.props::<String, rquickjs::Value>().flatten() {
                let v = match v.as_string() {
                    Some(s) => s.to_string().unwrap_or_default(),
                    None if v.is_undefined() || v.is_null() => String::new(),
                    None => v
                        .get::<rquickjs::Coerced<String>>()
                        .map(|c| c.0)
                        .unwrap_or_default(),
                };
                put_param(&mut params, k.as_bytes(), v.as_bytes());
            }
        }
        (role, keep, params)
    })
}

impl Client {
    fn start(&mut self, id: u16, out: &mut Vec<(Route, Event)>) {
        if self.started.insert(id) {
            out.push((Route::Id(id as u64), Event::MessageStart(None)));
        }
    }

    /// The tail of an answer: `{appStatus, protocolStatus, stderr}`.
    fn tail(&mut self, id: u16, app: u32, protocol: u8) -> Option<JsValue> {
        let stderr = self.stderr.remove(&id).unwrap_or_default();
        script::js(|ctx| {
            let o = rquickjs::Object::new(ctx.clone()).ok()?;
            o.set("appStatus", app).ok()?;
            o.set("protocolStatus", protocol).ok()?;
            o.set("stderr", script::data_to_js(ctx, &stderr).ok()?)
                .ok()?;
            Some(JsValue::save(ctx, o.into_value()))
        })
    }
}

impl MuxProtocol for Client {
    fn request(&mut self, request: Request, replies: usize, out: &mut Vec<Event>) -> Expect {
        self.last_id = self.last_id % u16::MAX + 1;
        let id = self.last_id;
        let (role, keep, params) = request_head(&request.head);
        let mut b = BytesMut::new();
        put_record(&mut b, BEGIN_REQUEST, id, &begin_request(role, keep));
        put_stream(&mut b, PARAMS, id, &params, true);
        for chunk in &request.body {
            put_stream(&mut b, STDIN, id, chunk, false);
        }
        put_record(&mut b, STDIN, id, &[]);
        out.push(Event::Data(b.freeze()));
        Expect {
            replies,
            id: Some(id as u64),
        }
    }

    fn reply(&mut self, event: Event, out: &mut Vec<(Route, Event)>) {
        let Event::Data(b) = event else { return };
        let mut records = Vec::new();
        if let Err(BadRecord(why)) = self.decoder.feed(&b, &mut records) {
            tracing::warn!(target: "fastcgi", "muxFastCGI(): {why}");
            out.push((Route::Next, StreamEnd::code(ErrorCode::ProtocolError)));
            return;
        }
        for r in records {
            let id = r.request_id;
            match r.kind {
                STDOUT if !r.content.is_empty() => {
                    self.start(id, out);
                    out.push((Route::Id(id as u64), Event::Data(r.content)));
                }
                STDERR if !r.content.is_empty() => {
                    self.stderr
                        .entry(id)
                        .or_default()
                        .extend_from_slice(&r.content);
                }
                END_REQUEST => {
                    let (app, protocol) = parse_end_request(&r.content).unwrap_or((0, 0));
                    self.start(id, out);
                    self.started.remove(&id);
                    let tail = self.tail(id, app, protocol);
                    let end = MessageTail {
                        tail,
                        payload: None,
                    };
                    out.push((Route::Id(id as u64), Event::MessageEnd(end)));
                }
                _ => {}
            }
        }
    }
}

/// The bytes of one request as `muxFastCGI` sends them (for tests of the wire format).
#[cfg(test)]
fn encode_for_test(params: &[(&str, &str)], body: &[u8]) -> bytes::Bytes {
    let mut p = Vec::new();
    for (k, v) in params {
        put_param(&mut p, k.as_bytes(), v.as_bytes());
    }
    let mut b = BytesMut::new();
    put_record(&mut b, BEGIN_REQUEST, 1, &begin_request(1, true));
    put_stream(&mut b, PARAMS, 1, &p, true);
    put_stream(&mut b, STDIN, 1, body, true);
    b.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn a_request_is_begin_params_and_stdin_records() {
        let b = encode_for_test(&[("REQUEST_METHOD", "POST")], b"abc");
        let mut out = Vec::new();
        Decoder::default().feed(&b, &mut out).unwrap();
        let kinds: Vec<u8> = out.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, vec![BEGIN_REQUEST, PARAMS, PARAMS, STDIN, STDIN]);
        assert_eq!(parse_begin_request(&out[0].content), Some((1, true)));
        let params = parse_params(&out[1].content).unwrap();
        assert_eq!(params[0].0, Bytes::from_static(b"REQUEST_METHOD"));
        assert_eq!(out[3].content, Bytes::from_static(b"abc"));
        assert!(out[4].content.is_empty());
    }
}
