//! `acceptSOCKS` and `connectSOCKS` (docs/reference/filters.md): the server side of SOCKS 4, 4a and
//! 5 (CONNECT, no authentication) and the client side of SOCKS 5. After the handshake the
//! sub-pipeline carries the tunnelled bytes, with the same context as the stream.

use std::cell::{Cell, RefCell};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use rquickjs::{Object, Value};

use super::acceptor::{acceptor_proto, Handshake, Step};
use super::callback::fail;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::pipeline::{Context, Filter, FilterProto, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

static ACCEPT: FilterDescriptor = FilterDescriptor {
    name: "acceptSOCKS",
    kind: FilterKind::Joint,
    signature: "(target, handler)",
    help: "Answers a SOCKS 4, 4a or 5 CONNECT handshake; if the handler accepts, the sub-pipeline carries the tunnel",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) for the tunnel's bytes"),
        (
            "handler",
            "function({id, ip, domain, port}) ([A]: function(host, port, id)) returning true to accept",
        ),
    ],
    build: build_accept,
};

static CONNECT: FilterDescriptor = FilterDescriptor {
    name: "connectSOCKS",
    kind: FilterKind::Joint,
    signature: "(target, address)",
    help: "Asks a SOCKS 5 proxy, reached through the sub-pipeline, to connect to an address, then sends the stream through it",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) that connects to the proxy"),
        ("address", "'host:port' to reach through the proxy, or a function returning it"),
    ],
    build: build_connect,
};

/// `acceptSOCKS` and `connectSOCKS`.
pub static FILTERS: &[&FilterDescriptor] = &[&ACCEPT, &CONNECT];

fn build_accept(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let handler = b
        .function(0)
        .ok_or("expects a handler function deciding each request")?;
    let layout = b.required_layout()?;
    let early_api = b.named_sub;
    acceptor_proto(b, layout, move || Socks {
        handler: handler.clone(),
        early_api,
        greeted: false,
    })
}

fn build_connect(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let address = b
        .saved(0)
        .ok_or("expects the address to connect to, as 'host:port'")?;
    let layout = b.required_layout()?;
    b.joint_prototype(layout, move |init, layout| {
        Box::new(Connect {
            layout: layout.clone(),
            address: address.clone(),
            context: init.context,
            output: init.output,
            link: None,
        })
    })
}

/// Where a client asked to go.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// SOCKS 4 user id (empty for SOCKS 5).
    id: String,
    ip: Option<String>,
    domain: Option<String>,
    port: u16,
}

/// What the bytes read so far say.
#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    /// More bytes are needed.
    More,
    /// A SOCKS 5 greeting: answer with the method, then read the request.
    Greeting { used: usize, no_auth: bool },
    /// A complete CONNECT request (`version` 4 or 5).
    Request {
        used: usize,
        version: u8,
        target: Target,
    },
    /// Not SOCKS, or a command other than CONNECT (with the SOCKS 5 reply code to send).
    Bad(u8),
}

fn cstr(b: &[u8]) -> Option<(String, usize)> {
    let end = b.iter().position(|&c| c == 0)?;
    Some((String::from_utf8_lossy(&b[..end]).into_owned(), end + 1))
}

/// Parses a SOCKS 4/4a request, or a SOCKS 5 greeting (`greeted` false) or request.
fn parse(b: &[u8], greeted: bool) -> Parsed {
    let Some(&version) = b.first() else {
        return Parsed::More;
    };
    match (version, greeted) {
        (4, false) => {
            if b.len() < 9 {
                return Parsed::More;
            }
            if b[1] != 1 {
                return Parsed::Bad(7);
            }
            let port = u16::from_be_bytes([b[2], b[3]]);
            let ip = Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            let Some((id, n)) = cstr(&b[8..]) else {
                return Parsed::More;
            };
            let mut used = 8 + n;
            // 4a: 0.0.0.x (x not 0) means a domain name follows the user id.
            let domain = if b[4..7] == [0, 0, 0] && b[7] != 0 {
                let Some((d, m)) = cstr(&b[used..]) else {
                    return Parsed::More;
                };
                used += m;
                Some(d)
            } else {
                None
            };
            let ip = domain.is_none().then(|| ip.to_string());
            Parsed::Request {
                used,
                version: 4,
                target: Target {
                    id,
                    ip,
                    domain,
                    port,
                },
            }
        }
        (5, false) => {
            let Some(&n) = b.get(1) else {
                return Parsed::More;
            };
            let n = usize::from(n);
            if b.len() < 2 + n {
                return Parsed::More;
            }
            Parsed::Greeting {
                used: 2 + n,
                no_auth: b[2..2 + n].contains(&0),
            }
        }
        (5, true) => {
            if b.get(1).is_some_and(|&c| c != 1) {
                return Parsed::Bad(7);
            }
            if b.len() < 5 {
                return Parsed::More;
            }
            let (addr_len, at) = match b[3] {
                1 => (4, 4),
                3 => (usize::from(b[4]), 5),
                4 => (16, 4),
                _ => return Parsed::Bad(8),
            };
            let used = at + addr_len + 2;
            if b.len() < used {
                return Parsed::More;
            }
            let a = &b[at..at + addr_len];
            let (ip, domain) = match b[3] {
                1 => (
                    Some(Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string()),
                    None,
                ),
                4 => {
                    let mut o = [0u8; 16];
                    o.copy_from_slice(a);
                    (Some(Ipv6Addr::from(o).to_string()), None)
                }
                _ => (None, Some(String::from_utf8_lossy(a).into_owned())),
            };
            let port = u16::from_be_bytes([b[used - 2], b[used - 1]]);
            Parsed::Request {
                used,
                version: 5,
                target: Target {
                    id: String::new(),
                    ip,
                    domain,
                    port,
                },
            }
        }
        _ => Parsed::Bad(1),
    }
}

/// The reply to a request: granted or refused, in the request's version.
fn reply(version: u8, granted: bool, code: u8) -> Bytes {
    if version == 4 {
        let c = if granted { 0x5a } else { 0x5b };
        Bytes::from(vec![0, c, 0, 0, 0, 0, 0, 0])
    } else {
        let c = if granted { 0 } else { code };
        Bytes::from(vec![5, c, 0, 1, 0, 0, 0, 0, 0, 0])
    }
}

/// The server's side of a SOCKS handshake.
struct Socks {
    handler: JsValue,
    early_api: bool,
    /// A SOCKS 5 greeting was answered: the request comes next.
    greeted: bool,
}

impl Socks {
    fn decide(&self, context: &Context, t: &Target) -> Result<bool, ScriptError> {
        script::call_in(context, |ctx| {
            let f = self.handler.get(ctx);
            let Some(f) = f.as_function() else {
                return Ok(false);
            };
            let v: Value = if self.early_api {
                let host = t
                    .domain
                    .clone()
                    .or_else(|| t.ip.clone())
                    .unwrap_or_default();
                f.call((host, t.port, t.id.clone()))?
            } else {
                let o = Object::new(ctx.clone())?;
                o.set("id", t.id.clone())?;
                o.set("ip", t.ip.clone())?;
                o.set("domain", t.domain.clone())?;
                o.set("port", t.port)?;
                f.call((o,))?
            };
            Ok(crate::script::truthy(&v))
        })
    }
}

/// A refusal: the reply, then the stream ends.
fn refuse(bytes: Bytes) -> Step {
    Step::Refuse(Some(bytes), StreamEnd::ok())
}

impl Handshake for Socks {
    fn step(&mut self, buf: &mut BytesMut, context: &Rc<Context>) -> Step {
        match parse(buf, self.greeted) {
            Parsed::More => Step::More,
            Parsed::Bad(code) => {
                tracing::debug!(target: "socks", "acceptSOCKS(): not a SOCKS CONNECT handshake");
                refuse(if buf[0] == 4 {
                    reply(4, false, 0)
                } else {
                    reply(5, false, code)
                })
            }
            Parsed::Greeting { used, no_auth } => {
                let _ = buf.split_to(used);
                if !no_auth {
                    return refuse(Bytes::from_static(&[5, 0xff]));
                }
                self.greeted = true;
                Step::Answer(Bytes::from_static(&[5, 0]))
            }
            Parsed::Request {
                used,
                version,
                target,
            } => {
                let _ = buf.split_to(used);
                match self.decide(context, &target) {
                    Ok(true) => Step::Accept(Some(reply(version, true, 0))),
                    Ok(false) => refuse(reply(version, false, 2)),
                    Err(e) => Step::Fail(e),
                }
            }
        }
    }
}

/// The client's side of the handshake, shared with the sub-pipeline's output.
struct Link {
    sub: RefCell<Option<Rc<Pipeline>>>,
    /// 0 greeting sent, 1 request sent, 2 open, 3 failed.
    state: Cell<u8>,
    request: Bytes,
    /// The stream's bytes waiting for the tunnel to open.
    held: RefCell<Vec<Event>>,
    answer: RefCell<BytesMut>,
    output: Output,
}

/// The SOCKS 5 CONNECT request for `host:port`.
fn connect_request(address: &str) -> Result<Bytes, String> {
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("invalid address {address}: use host:port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("invalid port in address {address}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut r = vec![5, 1, 0];
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        r.push(1);
        r.extend_from_slice(&ip.octets());
    } else if let Ok(ip) = host.parse::<Ipv6Addr>() {
        r.push(4);
        r.extend_from_slice(&ip.octets());
    } else {
        let n = u8::try_from(host.len())
            .map_err(|_| format!("host name too long for SOCKS: {host}"))?;
        r.push(3);
        r.push(n);
        r.extend_from_slice(host.as_bytes());
    }
    r.extend_from_slice(&port.to_be_bytes());
    Ok(Bytes::from(r))
}

impl Link {
    fn send(&self, b: Bytes) {
        let sub = self.sub.borrow().clone();
        if let Some(s) = sub {
            s.input(Event::Data(b));
        }
    }

    fn failed(&self, why: &str) {
        self.state.set(3);
        tracing::warn!(target: "socks", "connectSOCKS(): {why}");
        self.output
            .emit(StreamEnd::code(ErrorCode::ConnectionRefused));
    }

    /// What the proxy sent back.
    fn on_output(&self, evt: Event) {
        match (self.state.get(), evt) {
            (2, e) => self.output.emit(e),
            (3, _) => {}
            (_, Event::StreamEnd(se)) => {
                self.state.set(3);
                self.output.emit(Event::StreamEnd(se));
            }
            (st, Event::Data(b)) => {
                self.answer.borrow_mut().extend_from_slice(&b);
                let a = self.answer.borrow().clone();
                if st == 0 {
                    if a.len() < 2 {
                        return;
                    }
                    if a[..2] != [5, 0] {
                        return self.failed("the proxy wants authentication or is not SOCKS 5");
                    }
                    let _ = self.answer.borrow_mut().split_to(2);
                    self.state.set(1);
                    self.send(self.request.clone());
                    return;
                }
                // The reply: VER REP RSV ATYP BND.ADDR BND.PORT.
                if a.len() < 5 {
                    return;
                }
                let len = match a[3] {
                    1 => 10,
                    4 => 22,
                    3 => 7 + usize::from(a[4]),
                    _ => return self.failed("the proxy's reply is not SOCKS 5"),
                };
                if a.len() < len {
                    return;
                }
                if a[1] != 0 {
                    return self
                        .failed(&format!("the proxy refused the connection (code {})", a[1]));
                }
                self.state.set(2);
                let rest = self.answer.borrow_mut().split_off(len).freeze();
                if !rest.is_empty() {
                    self.output.emit(Event::Data(rest));
                }
                let held = std::mem::take(&mut *self.held.borrow_mut());
                let sub = self.sub.borrow().clone();
                if let Some(s) = sub {
                    for e in held {
                        s.input(e);
                    }
                }
            }
            _ => {}
        }
    }
}

struct Connect {
    layout: Rc<PipelineLayout>,
    address: JsValue,
    context: Rc<Context>,
    output: Output,
    link: Option<Rc<Link>>,
}

impl Connect {
    fn address(&self) -> Result<String, ScriptError> {
        script::call_in(&self.context, |ctx| {
            let mut v = self.address.get(ctx);
            if let Some(f) = v.as_function() {
                v = f.call::<_, Value>(())?;
            }
            match v.as_string() {
                Some(s) => s.to_string(),
                None => Ok(v
                    .as_object()
                    .and_then(|o| o.get::<_, rquickjs::Function>("toString").ok())
                    .and_then(|f| {
                        f.call::<_, String>((rquickjs::function::This(v.clone()),))
                            .ok()
                    })
                    .unwrap_or_default()),
            }
        })
    }

    fn open(&mut self) -> Option<Rc<Link>> {
        let address = match self.address() {
            Ok(a) => a,
            Err(e) => {
                fail(&self.output, "connectSOCKS", &e);
                return None;
            }
        };
        let request = match connect_request(&address) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(target: "socks", "connectSOCKS(): {e}");
                self.output.emit(StreamEnd::runtime(e));
                return None;
            }
        };
        let link = Rc::new(Link {
            sub: RefCell::new(None),
            state: Cell::new(0),
            request,
            held: RefCell::new(Vec::new()),
            answer: RefCell::new(BytesMut::new()),
            output: self.output.clone(),
        });
        let l = Rc::downgrade(&link);
        let out = Output::from_fn(move |e| {
            if let Some(l) = l.upgrade() {
                l.on_output(e);
            }
        });
        let sub = Pipeline::new(&self.layout, self.context.clone(), out);
        *link.sub.borrow_mut() = Some(sub);
        link.send(Bytes::from_static(&[5, 1, 0]));
        Some(link)
    }
}

impl Filter for Connect {
    fn process(&mut self, evt: Event) {
        if self.link.is_none() {
            if evt.is_stream_end() {
                return self.output.emit(evt);
            }
            self.link = self.open();
        }
        let Some(link) = self.link.clone() else {
            return;
        };
        match link.state.get() {
            2 => {
                let sub = link.sub.borrow().clone();
                if let Some(s) = sub {
                    s.input(evt);
                }
            }
            3 => {}
            _ => link.held.borrow_mut().push(evt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socks4_4a_and_5_requests_parse() {
        let v4 = [4, 1, 0x1f, 0x90, 10, 0, 0, 1, b'u', 0, b'x'];
        assert_eq!(
            parse(&v4, false),
            Parsed::Request {
                used: 10,
                version: 4,
                target: Target {
                    id: "u".into(),
                    ip: Some("10.0.0.1".into()),
                    domain: None,
                    port: 8080
                }
            }
        );
        let v4a = b"\x04\x01\x00\x50\x00\x00\x00\x01\x00example.com\x00";
        match parse(v4a, false) {
            Parsed::Request { used, target, .. } => {
                assert_eq!(used, v4a.len());
                assert_eq!(target.domain.as_deref(), Some("example.com"));
                assert_eq!(target.ip, None);
            }
            p => panic!("{p:?}"),
        }
        assert_eq!(parse(&v4a[..12], false), Parsed::More);
        assert_eq!(
            parse(&[5, 2, 2, 0], false),
            Parsed::Greeting {
                used: 4,
                no_auth: true
            }
        );
        let v5 = b"\x05\x01\x00\x03\x09localhost\x00\x50";
        match parse(v5, true) {
            Parsed::Request {
                used,
                version: 5,
                target,
            } => {
                assert_eq!(used, v5.len());
                assert_eq!(
                    (target.domain.as_deref(), target.port),
                    (Some("localhost"), 80)
                );
            }
            p => panic!("{p:?}"),
        }
        assert_eq!(parse(b"\x05\x02\x00\x01", true), Parsed::Bad(7));
        assert_eq!(parse(b"GET / HTTP/1.1\r\n", false), Parsed::Bad(1));
    }

    #[test]
    fn connect_requests_name_the_address() {
        assert_eq!(
            &connect_request("127.0.0.1:80").unwrap()[..],
            &[5, 1, 0, 1, 127, 0, 0, 1, 0, 80]
        );
        assert_eq!(
            &connect_request("ab.c:443").unwrap()[..],
            &[5, 1, 0, 3, 4, b'a', b'b', b'.', b'c', 1, 187]
        );
        assert!(connect_request("nohost").is_err());
    }
}
