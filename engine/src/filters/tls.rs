//! `acceptTLS` and `connectTLS`: TLS over the event stream, on rustls. The plaintext side of
//! `acceptTLS` and the ciphertext side of `connectTLS` are sub-pipelines sharing the context.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use bytes::Bytes;
use rquickjs::{Ctx, Value};
use rustls::pki_types::ServerName;
use rustls::server::Acceptor;
use rustls::{ClientConnection, ServerConnection};

use super::{Builder, FilterDescriptor, FilterKind, Sub};
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};
use crate::tls::{self, ClientSpec, ServerSpec, Versions};

static ACCEPT_TLS: FilterDescriptor = FilterDescriptor {
    name: "acceptTLS",
    kind: FilterKind::Joint,
    signature: "(target, options)",
    help: "Terminates TLS: the sub-pipeline gets the decrypted stream",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) for the plaintext side"),
        (
            "options",
            "{certificate: {cert, key} or function(sni) returning it, trusted: [Certificate] to require client certificates, alpn: ['h2', 'http/1.1'], handshake: function(info), minVersion, maxVersion}",
        ),
    ],
    build: build_accept,
};

static CONNECT_TLS: FilterDescriptor = FilterDescriptor {
    name: "connectTLS",
    kind: FilterKind::Joint,
    signature: "(target[, options])",
    help: "Originates TLS: encrypts the stream into the sub-pipeline (usually connect)",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) for the encrypted side"),
        (
            "options",
            "{sni: name or function, trusted: [Certificate] to check the server against (nothing is checked without it), verify: true to check against the system's roots, certificate: {cert, key} for mutual TLS, alpn, handshake: function(info), minVersion, maxVersion}",
        ),
    ],
    build: build_connect,
};

/// `acceptTLS` and `connectTLS`.
pub static FILTERS: &[&FilterDescriptor] = &[&ACCEPT_TLS, &CONNECT_TLS];

/// PEM text of a Certificate/PrivateKey object, a string or Data.
fn pem_of(v: &Value<'_>) -> Result<String, String> {
    if let Some(s) = v.as_string() {
        return s.to_string().map_err(|e| e.to_string());
    }
    let o = v.as_object().ok_or(
        "expected a certificate or key (crypto.Certificate, crypto.PrivateKey or PEM text)",
    )?;
    if let Ok(p) = o.get::<_, String>("_pem") {
        return Ok(p);
    }
    crate::script::data_from_js(o)
        .map_err(|e| e.to_string())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn pems_of(v: Option<Value<'_>>) -> Result<Vec<String>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(v) => match v.as_array() {
            Some(a) => a
                .iter::<Value>()
                .map(|x| x.map_err(|e| e.to_string()).and_then(|x| pem_of(&x)))
                .collect(),
            None => Ok(vec![pem_of(&v)?]),
        },
    }
}

fn identity_of(v: &Value<'_>) -> Result<(String, String), String> {
    let o = v.as_object().ok_or("certificate must be {cert, key}")?;
    let cert: Value = o.get("cert").map_err(|e| e.to_string())?;
    let key: Value = o.get("key").map_err(|e| e.to_string())?;
    Ok((
        pem_of(&cert).map_err(|e| format!("cert: {e}"))?,
        pem_of(&key).map_err(|e| format!("key: {e}"))?,
    ))
}

fn strings_of(v: Option<Value<'_>>) -> Result<Vec<String>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(v) => match v.as_array() {
            Some(a) => a
                .iter::<String>()
                .collect::<rquickjs::Result<_>>()
                .map_err(|e| e.to_string()),
            None => Ok(vec![v
                .get::<String>()
                .map_err(|_| "expected a string or an array of strings")?]),
        },
    }
}

fn versions_of(b: &Builder<'_, '_>, at: usize) -> Result<Versions, String> {
    let name = |k: &str| {
        b.option(at, k)
            .and_then(|v| v.as_string().and_then(|s| s.to_string().ok()))
    };
    Versions::from_names(name("minVersion").as_deref(), name("maxVersion").as_deref())
}

fn sub_layout(b: &Builder<'_, '_>) -> Result<Rc<PipelineLayout>, String> {
    match b.required_sub()? {
        Sub::Layout(l) => Ok(l),
        Sub::Bypass => Err("needs a sub-pipeline".into()),
    }
}

/// A certificate given directly, or a function choosing one per connection.
enum CertSource {
    Fixed(ServerSpec),
    Choose(JsValue, ServerSpec),
}

struct AcceptProto {
    layout: Rc<PipelineLayout>,
    certs: Rc<CertSource>,
    handshake: Option<JsValue>,
}

fn build_accept(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = sub_layout(b)?;
    let cert = b
        .option(0, "certificate")
        .ok_or("options need a certificate: {cert, key}")?;
    let base = ServerSpec {
        cert: String::new(),
        key: String::new(),
        trusted: pems_of(b.option(0, "trusted")).map_err(|e| format!("trusted: {e}"))?,
        alpn: strings_of(b.option(0, "alpn")).map_err(|e| format!("alpn: {e}"))?,
        versions: versions_of(b, 0)?,
    };
    let certs = if cert.is_function() {
        CertSource::Choose(JsValue::save(b.ctx, cert), base)
    } else {
        let (c, k) = identity_of(&cert).map_err(|e| format!("certificate: {e}"))?;
        let spec = ServerSpec {
            cert: c,
            key: k,
            ..base
        };
        tls::server_config(&spec)?;
        CertSource::Fixed(spec)
    };
    Ok(Box::new(AcceptProto {
        layout,
        certs: Rc::new(certs),
        handshake: handshake_of(b),
    }))
}

impl FilterProto for AcceptProto {
    fn descriptor(&self) -> &'static FilterDescriptor {
        &ACCEPT_TLS
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        new_filter(
            Side::Server {
                certs: self.certs.clone(),
            },
            State::Hello(Box::default()),
            &self.layout,
            &self.handshake,
            init,
        )
    }
    fn subs(&self) -> Vec<Option<Rc<PipelineLayout>>> {
        vec![Some(self.layout.clone())]
    }
}

struct ConnectProto {
    layout: Rc<PipelineLayout>,
    config: Arc<rustls::ClientConfig>,
    sni: Option<JsValue>,
    handshake: Option<JsValue>,
}

fn build_connect(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = sub_layout(b)?;
    let identity = match b.option(0, "certificate") {
        Some(v) => Some(identity_of(&v).map_err(|e| format!("certificate: {e}"))?),
        None => None,
    };
    let sni = b.option(0, "sni").map(|v| JsValue::save(b.ctx, v));
    let trusted = pems_of(b.option(0, "trusted")).map_err(|e| format!("trusted: {e}"))?;
    // As in Pipy, the server is checked when trusted CAs are given (or `verify: true` asks
    // for the system's roots); its name only when there is an `sni` to compare with.
    let verify = b
        .option(0, "verify")
        .map(|v| super::link::is_truthy(&v))
        .unwrap_or(!trusted.is_empty());
    let spec = ClientSpec {
        trusted,
        identity,
        alpn: strings_of(b.option(0, "alpn")).map_err(|e| format!("alpn: {e}"))?,
        versions: versions_of(b, 0)?,
        check_name: sni.is_some(),
    };
    let config = if verify {
        tls::client_config(&spec)?
    } else {
        tls::insecure_client_config(&spec)?
    };
    Ok(Box::new(ConnectProto {
        layout,
        config,
        sni,
        handshake: handshake_of(b),
    }))
}

impl FilterProto for ConnectProto {
    fn descriptor(&self) -> &'static FilterDescriptor {
        &CONNECT_TLS
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        new_filter(
            Side::Client {
                config: self.config.clone(),
                sni: self.sni.clone(),
            },
            State::Idle,
            &self.layout,
            &self.handshake,
            init,
        )
    }
    fn subs(&self) -> Vec<Option<Rc<PipelineLayout>>> {
        vec![Some(self.layout.clone())]
    }
}

/// The `handshake` callback option, if given.
fn handshake_of(b: &Builder<'_, '_>) -> Option<JsValue> {
    b.option(0, "handshake")
        .filter(|v| v.is_function())
        .map(|v| JsValue::save(b.ctx, v))
}

fn new_filter(
    side: Side,
    state: State,
    layout: &Rc<PipelineLayout>,
    handshake: &Option<JsValue>,
    init: FilterInit,
) -> Box<dyn Filter> {
    Box::new(TlsFilter(Rc::new_cyclic(|me| Core {
        me: me.clone(),
        side,
        layout: layout.clone(),
        handshake_cb: handshake.clone(),
        context: init.context,
        output: init.output,
        state: RefCell::new(state),
        sub: RefCell::new(None),
        actions: RefCell::new(VecDeque::new()),
        busy: Cell::new(false),
        done: Cell::new(false),
    })))
}

enum Side {
    Server {
        certs: Rc<CertSource>,
    },
    Client {
        config: Arc<rustls::ClientConfig>,
        sni: Option<JsValue>,
    },
}

enum State {
    Idle,
    Hello(Box<Acceptor>),
    Server(Box<ServerConnection>),
    Client(Box<ClientConnection>),
    Closed,
}

enum Action {
    /// Events from the filter's input.
    Input(Event),
    /// Events from the sub-pipeline's output.
    Sub(Event),
}

struct Core {
    me: Weak<Core>,
    side: Side,
    layout: Rc<PipelineLayout>,
    handshake_cb: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    state: RefCell<State>,
    sub: RefCell<Option<Rc<Pipeline>>>,
    actions: RefCell<VecDeque<Action>>,
    busy: Cell<bool>,
    /// The handshake finished (and the callback ran).
    done: Cell<bool>,
}

struct TlsFilter(Rc<Core>);

impl Filter for TlsFilter {
    fn process(&mut self, evt: Event) {
        self.0.act(Action::Input(evt));
    }
}

impl Core {
    fn act(&self, a: Action) {
        self.actions.borrow_mut().push_back(a);
        if self.busy.replace(true) {
            return;
        }
        loop {
            let Some(a) = self.actions.borrow_mut().pop_front() else {
                break;
            };
            match (&self.side, a) {
                (Side::Server { .. }, Action::Input(e)) => self.cipher_in(e),
                (Side::Server { .. }, Action::Sub(e)) => self.plain_out(e),
                (Side::Client { .. }, Action::Input(e)) => self.plain_out(e),
                (Side::Client { .. }, Action::Sub(e)) => self.cipher_in(e),
            }
        }
        self.busy.set(false);
    }

    fn is_server(&self) -> bool {
        matches!(self.side, Side::Server { .. })
    }

    /// Where plaintext goes: the sub-pipeline (server) or the filter's output (client).
    fn emit_plain(&self, e: Event) {
        if self.is_server() {
            let sub = self.sub.borrow().clone();
            if let Some(s) = sub {
                s.input(e);
            }
        } else {
            self.output.emit(e);
        }
    }

    /// Where ciphertext goes: the filter's output (server) or the sub-pipeline (client).
    fn emit_cipher(&self, e: Event) {
        if self.is_server() {
            self.output.emit(e);
        } else {
            let sub = self.sub.borrow().clone();
            if let Some(s) = sub {
                s.input(e);
            }
        }
    }

    fn open_sub(&self) {
        if self.sub.borrow().is_some() {
            return;
        }
        let me = self.me.clone();
        let out = Output::from_fn(move |e| {
            if let Some(c) = me.upgrade() {
                c.act(Action::Sub(e));
            }
        });
        *self.sub.borrow_mut() = Some(Pipeline::new(&self.layout, self.context.clone(), out));
    }

    fn fail(&self, what: &str, code: ErrorCode) {
        tracing::warn!(target: "tls", "{}: {what}", if self.is_server() { "acceptTLS()" } else { "connectTLS()" });
        self.flush();
        *self.state.borrow_mut() = State::Closed;
        let end = StreamEnd::code(code);
        if self.is_server() {
            let sub = self.sub.borrow().clone();
            if let Some(s) = sub {
                s.input(end.clone());
            }
            self.output.emit(end);
        } else {
            self.output.emit(end.clone());
            let sub = self.sub.borrow().clone();
            if let Some(s) = sub {
                s.input(end);
            }
        }
    }

    /// Sends whatever TLS records are waiting.
    fn flush(&self) {
        let mut out = Vec::new();
        {
            let mut st = self.state.borrow_mut();
            let r = match &mut *st {
                State::Server(c) => write_all_tls(c.as_mut(), &mut out),
                State::Client(c) => write_all_tls(c.as_mut(), &mut out),
                _ => Ok(()),
            };
            let _ = r;
        }
        if !out.is_empty() {
            self.emit_cipher(Event::Data(Bytes::from(out)));
        }
    }

    fn start_client(&self) -> Result<(), String> {
        let Side::Client { config, sni } = &self.side else {
            return Ok(());
        };
        let name = match sni {
            None => ServerName::try_from("localhost").expect("valid name"),
            Some(v) => {
                let s = script::call_in(&self.context, |ctx| {
                    let x = v.get(ctx);
                    let x = match x.as_function() {
                        Some(f) => f.call::<_, Value>(())?,
                        None => x,
                    };
                    Ok(x.get::<rquickjs::Coerced<String>>()?.0)
                })
                .map_err(|e| e.to_string())?;
                ServerName::try_from(s.clone()).map_err(|_| format!("invalid sni {s:?}"))?
            }
        };
        let conn = ClientConnection::new(config.clone(), name).map_err(|e| e.to_string())?;
        *self.state.borrow_mut() = State::Client(Box::new(conn));
        self.open_sub();
        self.flush();
        Ok(())
    }

    /// Plaintext to encrypt (server: from the sub-pipeline; client: from the input).
    fn plain_out(&self, e: Event) {
        if !self.is_server() && matches!(*self.state.borrow(), State::Idle) {
            if e.is_stream_end() {
                return self.output.emit(e);
            }
            if let Err(m) = self.start_client() {
                return self.fail(&m, ErrorCode::ProtocolError);
            }
        }
        match e {
            Event::Data(b) => {
                let r = {
                    let mut st = self.state.borrow_mut();
                    match &mut *st {
                        State::Server(c) => c.writer().write_all(&b),
                        State::Client(c) => c.writer().write_all(&b),
                        _ => Ok(()),
                    }
                };
                if let Err(err) = r {
                    return self.fail(&err.to_string(), ErrorCode::WriteError);
                }
                self.flush();
            }
            Event::StreamEnd(se) => {
                {
                    let mut st = self.state.borrow_mut();
                    match &mut *st {
                        State::Server(c) => c.send_close_notify(),
                        State::Client(c) => c.send_close_notify(),
                        _ => {}
                    }
                }
                self.flush();
                self.emit_cipher(Event::StreamEnd(se));
            }
            _ => {}
        }
    }

    /// Ciphertext received (server: the input; client: from the sub-pipeline).
    fn cipher_in(&self, e: Event) {
        match e {
            Event::Data(b) => self.receive(&b),
            Event::StreamEnd(se) => {
                if self.is_server() && self.sub.borrow().is_none() {
                    return self.output.emit(Event::StreamEnd(se));
                }
                self.emit_plain(Event::StreamEnd(se));
            }
            _ => {}
        }
    }

    fn receive(&self, mut data: &[u8]) {
        // A server first reads the ClientHello, then picks the configuration for it.
        let hello_done = {
            let mut st = self.state.borrow_mut();
            match &mut *st {
                State::Hello(acc) => {
                    while !data.is_empty() {
                        match acc.read_tls(&mut data) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                    }
                    match acc.accept() {
                        Ok(None) => return,
                        Ok(Some(accepted)) => Some(Ok(accepted)),
                        Err((err, mut alert)) => {
                            let mut out = Vec::new();
                            let _ = alert.write_all(&mut out);
                            Some(Err((err.to_string(), out)))
                        }
                    }
                }
                State::Closed => return,
                _ => None,
            }
        };
        match hello_done {
            Some(Err((m, alert))) => {
                if !alert.is_empty() {
                    self.output.emit(Event::Data(Bytes::from(alert)));
                }
                return self.fail(&format!("bad ClientHello: {m}"), ErrorCode::ProtocolError);
            }
            Some(Ok(accepted)) => {
                let hello = accepted.client_hello();
                let sni = hello.server_name().map(str::to_string);
                let offered: Vec<Vec<u8>> = hello
                    .alpn()
                    .map(|i| i.map(<[u8]>::to_vec).collect())
                    .unwrap_or_default();
                let config = match self.choose_config(sni.as_deref()) {
                    Ok(c) => tls::in_client_order(c, offered),
                    Err(m) => return self.fail(&m, ErrorCode::Unauthorized),
                };
                match accepted.into_connection(config) {
                    Ok(conn) => *self.state.borrow_mut() = State::Server(Box::new(conn)),
                    Err((err, mut alert)) => {
                        let mut out = Vec::new();
                        let _ = alert.write_all(&mut out);
                        self.output.emit(Event::Data(Bytes::from(out)));
                        return self.fail(
                            &format!("handshake failed: {err}"),
                            ErrorCode::ProtocolError,
                        );
                    }
                }
            }
            None => {}
        }
        // Feed the records, then take out plaintext and send what rustls has to say.
        let mut plain = Vec::new();
        let mut peer_closed = false;
        let result = {
            let mut st = self.state.borrow_mut();
            match &mut *st {
                State::Server(c) => pump(c.as_mut(), data, &mut plain, &mut peer_closed),
                State::Client(c) => pump(c.as_mut(), data, &mut plain, &mut peer_closed),
                _ => Ok(()),
            }
        };
        if let Err(m) = result {
            let code = if m.contains("certificate") {
                ErrorCode::Unauthorized
            } else {
                ErrorCode::ProtocolError
            };
            return self.fail(&format!("handshake failed: {m}"), code);
        }
        self.flush();
        let handshaking = match &*self.state.borrow() {
            State::Server(c) => c.is_handshaking(),
            State::Client(c) => c.is_handshaking(),
            _ => true,
        };
        if !handshaking && !self.done.replace(true) {
            if self.is_server() {
                self.open_sub();
            }
            if let Err(e) = self.after_handshake() {
                tracing::error!(
                    "{}(): {e}",
                    if self.is_server() {
                        "acceptTLS"
                    } else {
                        "connectTLS"
                    }
                );
            }
        }
        if !plain.is_empty() {
            self.emit_plain(Event::Data(Bytes::from(plain)));
        }
        if peer_closed {
            self.emit_plain(StreamEnd::ok());
        }
    }

    fn choose_config(&self, sni: Option<&str>) -> Result<Arc<rustls::ServerConfig>, String> {
        let Side::Server { certs } = &self.side else {
            unreachable!()
        };
        match &**certs {
            CertSource::Fixed(spec) => tls::server_config(spec),
            CertSource::Choose(f, base) => {
                let (cert, key) = script::call_in(&self.context, |ctx| {
                    let func = f.get(ctx);
                    let func = func.as_function().expect("function");
                    let v: Value = func.call((sni,))?;
                    identity_of(&v).map_err(|m| rquickjs::Exception::throw_type(ctx, &m))
                })
                .map_err(|e: ScriptError| format!("certificate({sni:?}): {e}"))?;
                tls::server_config(&ServerSpec {
                    cert,
                    key,
                    ..base.clone()
                })
            }
        }
    }

    /// Records what the handshake settled in `__inbound.tls` (server) and calls `handshake`.
    fn after_handshake(&self) -> Result<(), ScriptError> {
        let (sni, alpn, version, peer) = {
            let st = self.state.borrow();
            match &*st {
                State::Server(c) => (
                    c.server_name().map(str::to_string),
                    c.alpn_protocol()
                        .map(|a| String::from_utf8_lossy(a).into_owned()),
                    c.protocol_version().map(|v| format!("{v:?}")),
                    c.peer_certificates()
                        .and_then(|cs| cs.first())
                        .map(|c| c.to_vec()),
                ),
                State::Client(c) => (
                    None,
                    c.alpn_protocol()
                        .map(|a| String::from_utf8_lossy(a).into_owned()),
                    c.protocol_version().map(|v| format!("{v:?}")),
                    c.peer_certificates()
                        .and_then(|cs| cs.first())
                        .map(|c| c.to_vec()),
                ),
                _ => return Ok(()),
            }
        };
        let peer = peer.and_then(|d| tls::cert_info(&d).ok());
        let server = self.is_server();
        let cb = self.handshake_cb.clone();
        script::call_in(&self.context, |ctx| {
            let info = rquickjs::Object::new(ctx.clone())?;
            info.set("serverName", sni.clone())?;
            info.set("alpn", alpn.clone())?;
            info.set(
                "protocol",
                version.clone().map(|v| v.replace("TLSv1_", "TLSv1.")),
            )?;
            match &peer {
                Some(p) => {
                    let o = rquickjs::Object::new(ctx.clone())?;
                    o.set("subject", p.subject.clone())?;
                    o.set("issuer", p.issuer.clone())?;
                    o.set("subjectAltNames", p.subject_alt_names.clone())?;
                    info.set("peer", o)?;
                }
                None => info.set("peer", Value::new_null(ctx.clone()))?,
            }
            if server {
                set_inbound_tls(ctx, &info)?;
            }
            if let Some(f) = &cb {
                if let Some(func) = f.get(ctx).as_function() {
                    func.call::<_, Value>((info,))?;
                }
            }
            Ok(())
        })
    }
}

fn set_inbound_tls<'js>(ctx: &Ctx<'js>, info: &rquickjs::Object<'js>) -> rquickjs::Result<()> {
    let current: rquickjs::Array = script::helpers(ctx).get("current")?;
    let values: rquickjs::Array = current.get(0)?;
    let inbound: Value = values.get(0)?;
    if let Some(o) = inbound.as_object() {
        o.set("tls", info.clone())?;
    }
    Ok(())
}

fn write_all_tls<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>, S>(
    c: &mut C,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    while c.wants_write() {
        c.write_tls(out)?;
    }
    Ok(())
}

/// Feeds TLS records and takes out the plaintext they carry.
fn pump<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>, S>(
    c: &mut C,
    mut data: &[u8],
    plain: &mut Vec<u8>,
    peer_closed: &mut bool,
) -> Result<(), String> {
    while !data.is_empty() {
        let n = c.read_tls(&mut data).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        c.process_new_packets().map_err(|e| e.to_string())?;
        read_plain(c, plain, peer_closed)?;
    }
    c.process_new_packets().map_err(|e| e.to_string())?;
    read_plain(c, plain, peer_closed)
}

fn read_plain<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>, S>(
    c: &mut C,
    plain: &mut Vec<u8>,
    peer_closed: &mut bool,
) -> Result<(), String> {
    let mut buf = [0u8; 16384];
    loop {
        match c.reader().read(&mut buf) {
            Ok(0) => {
                *peer_closed = true;
                return Ok(());
            }
            Ok(n) => plain.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e.to_string()),
        }
    }
}
