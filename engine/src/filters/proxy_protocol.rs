//! `acceptProxyProtocol` and `connectProxyProtocol`: the PROXY protocol header (versions 1
//! and 2, see [`crate::net::proxy_protocol`]) on the server and the client side.
//!
//! `acceptProxyProtocol(handler)` reads the header at the start of the stream and calls
//! `handler({version, command, protocol, sourceAddress, sourcePort, targetAddress,
//! targetPort})`; a truthy answer accepts: the inbound connection then reports the original
//! client as `__inbound.remoteAddress`/`remotePort` (and the original destination as
//! `destinationAddress`/`destinationPort`), and the rest of the stream goes through the
//! sub-pipeline. A falsy answer, or bytes that are no header, end the stream.
//!
//! `connectProxyProtocol(header)` writes a header (an object as above, or a function returning
//! one; `version` 1 by default, protocol `TCP4`) before the stream, into its sub-pipeline.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;

use bytes::BytesMut;
use rquickjs::{Ctx, Object, Value};

use super::acceptor::{acceptor_proto, Handshake, Step};
use super::callback::fail;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::net::proxy_protocol::{self as pp, Decoded, Header, Protocol};
use crate::pipeline::{Context, Filter, FilterProto, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

static ACCEPT: FilterDescriptor = FilterDescriptor {
    name: "acceptProxyProtocol",
    kind: FilterKind::Joint,
    signature: "(target, handler)",
    help: "Reads a PROXY protocol (v1 or v2) header, asks a handler, and sends the rest of the stream to a sub-pipeline",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) for the stream after the header"),
        (
            "handler",
            "function({version, command, protocol, sourceAddress, sourcePort, targetAddress, targetPort}) returning true to accept",
        ),
    ],
    build: build_accept,
};

static CONNECT: FilterDescriptor = FilterDescriptor {
    name: "connectProxyProtocol",
    kind: FilterKind::Joint,
    signature: "(target, header)",
    help: "Writes a PROXY protocol (v1 or v2) header before the stream, which goes to a sub-pipeline",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) that connects to the server"),
        (
            "header",
            "{version, command, protocol, sourceAddress, sourcePort, targetAddress, targetPort}, or a function returning it",
        ),
    ],
    build: build_connect,
};

/// `acceptProxyProtocol` and `connectProxyProtocol`.
pub static FILTERS: &[&FilterDescriptor] = &[&ACCEPT, &CONNECT];

fn build_accept(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let handler = b
        .function(0)
        .ok_or("expects a handler function(header) returning true to accept")?;
    let layout = b.required_layout()?;
    acceptor_proto(b, layout, move || ProxyHeader {
        handler: handler.clone(),
    })
}

fn build_connect(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let header = b
        .arg(0)
        .filter(|v| v.is_object())
        .ok_or("expects a header object {version, protocol, sourceAddress, ...} or a function returning one")?;
    let layout = b.required_layout()?;
    let header = JsValue::save(b.ctx, header);
    b.joint_prototype(layout, move |init, layout| {
        Box::new(Connect {
            layout: layout.clone(),
            header: header.clone(),
            context: init.context,
            output: init.output,
            sub: None,
            failed: false,
        })
    })
}

/// The server's side: reading the header and asking the handler.
struct ProxyHeader {
    handler: JsValue,
}

/// The object a handler gets (and `connectProxyProtocol` reads).
fn header_to_js<'js>(ctx: &Ctx<'js>, h: &Header) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("version", h.version)?;
    o.set("command", if h.proxied { "PROXY" } else { "LOCAL" })?;
    o.set("protocol", h.protocol.name())?;
    if let Some((s, d)) = h.addresses {
        o.set("sourceAddress", s.ip().to_string())?;
        o.set("sourcePort", s.port())?;
        o.set("targetAddress", d.ip().to_string())?;
        o.set("targetPort", d.port())?;
    }
    Ok(o)
}

/// A refusal: the stream ends as a protocol error.
fn reject(why: &str) -> Step {
    tracing::debug!(target: "inbound", "acceptProxyProtocol(): {why}");
    Step::Refuse(None, StreamEnd::code(ErrorCode::ProtocolError))
}

impl ProxyHeader {
    fn ask(&self, context: &Context, h: &Header) -> Result<bool, ScriptError> {
        script::call_in(context, |ctx| {
            let Some(f) = self.handler.get(ctx).into_function() else {
                return Ok(true);
            };
            let v: Value = f.call((header_to_js(ctx, h)?,))?;
            Ok(crate::script::truthy(&v))
        })
    }
}

impl Handshake for ProxyHeader {
    fn step(&mut self, buf: &mut BytesMut, context: &Rc<Context>) -> Step {
        let (h, used) = match pp::decode(buf) {
            Decoded::Incomplete => return Step::More,
            Decoded::Invalid(why) => return reject(why),
            Decoded::Header(h, used) => (h, used),
        };
        let _ = buf.split_to(used);
        match self.ask(context, &h) {
            Err(e) => return Step::Fail(e),
            Ok(false) => return reject("the handler refused the connection"),
            Ok(true) => {}
        }
        if let (true, Some((client, target)), Some(inbound)) =
            (h.proxied, h.addresses, context.inbound())
        {
            tracing::debug!(target: "inbound", "connection {} is from {client} (PROXY protocol)", inbound.id);
            inbound.set_proxied(client, target);
        }
        Step::Accept(None)
    }
}

struct Connect {
    layout: Rc<PipelineLayout>,
    header: JsValue,
    context: Rc<Context>,
    output: Output,
    sub: Option<Rc<Pipeline>>,
    failed: bool,
}

/// Reads a header object as `connectProxyProtocol` takes it.
fn header_from_js<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> rquickjs::Result<Header> {
    let bad = |m: String| rquickjs::Exception::throw_type(ctx, &m);
    let o = v
        .as_object()
        .ok_or_else(|| bad("an object containing source/target addresses is expected".into()))?;
    let text = |k: &str| -> rquickjs::Result<Option<String>> {
        let v: Value = o.get(k)?;
        Ok(if v.is_undefined() || v.is_null() {
            None
        } else {
            Some(v.get::<rquickjs::Coerced<String>>()?.0)
        })
    };
    let number = |k: &str, default: f64| -> rquickjs::Result<f64> {
        let v: Value = o.get(k)?;
        Ok(if v.is_undefined() || v.is_null() {
            default
        } else {
            v.get::<rquickjs::Coerced<f64>>()?.0
        })
    };
    let version = number("version", 1.0)?;
    if version != 1.0 && version != 2.0 {
        return Err(bad(format!("version must be 1 or 2, not {version}")));
    }
    let protocol = match text("protocol")? {
        None => Protocol::Tcp4,
        Some(p) => Protocol::from_name(&p).ok_or_else(|| bad(format!("unknown protocol {p}")))?,
    };
    let proxied = match text("command")?.as_deref() {
        None | Some("PROXY") => true,
        Some("LOCAL") => false,
        Some(c) => return Err(bad(format!("command must be PROXY or LOCAL, not {c}"))),
    };
    let v6 = matches!(protocol, Protocol::Tcp6 | Protocol::Udp6);
    let ip = |k: &str| -> rquickjs::Result<IpAddr> {
        match text(k)? {
            None if v6 => Ok(Ipv6Addr::UNSPECIFIED.into()),
            None => Ok(Ipv4Addr::UNSPECIFIED.into()),
            Some(s) => s
                .parse::<IpAddr>()
                .map(|a| match a {
                    IpAddr::V6(a) if !v6 => a.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(a.into()),
                    a => a,
                })
                .map_err(|_| bad(format!("{k} is not an IP address: {s}"))),
        }
    };
    let port = |k: &str| -> rquickjs::Result<u16> {
        let n = number(k, 0.0)?;
        if (0.0..=65535.0).contains(&n) && n.fract() == 0.0 {
            Ok(n as u16)
        } else {
            Err(bad(format!("{k} is not a port number: {n}")))
        }
    };
    let addresses = match protocol {
        Protocol::Unknown | Protocol::Unix | Protocol::UnixDgram => None,
        _ => Some((
            SocketAddr::new(ip("sourceAddress")?, port("sourcePort")?),
            SocketAddr::new(ip("targetAddress")?, port("targetPort")?),
        )),
    };
    Ok(Header {
        version: version as u8,
        proxied,
        protocol,
        addresses,
    })
}

impl Connect {
    fn header_bytes(&self) -> Result<Vec<u8>, ScriptError> {
        let header = self.header.clone();
        script::call_in(&self.context, |ctx| {
            let v = header.get(ctx);
            let v = match v.as_function() {
                Some(f) => f.call::<_, Value>(())?,
                None => v,
            };
            let h = header_from_js(ctx, v)?;
            pp::encode(&h).map_err(|m| rquickjs::Exception::throw_type(ctx, &m))
        })
    }
}

impl Filter for Connect {
    fn process(&mut self, evt: Event) {
        if self.failed {
            return;
        }
        if self.sub.is_none() {
            let bytes = match self.header_bytes() {
                Ok(b) => b,
                Err(e) => {
                    self.failed = true;
                    return fail(&self.output, "connectProxyProtocol", &e);
                }
            };
            let sub = Pipeline::new(&self.layout, self.context.clone(), self.output.clone());
            sub.input(Event::data(bytes));
            self.sub = Some(sub);
        }
        if let Some(s) = self.sub.clone() {
            s.input(evt);
        }
    }
}
