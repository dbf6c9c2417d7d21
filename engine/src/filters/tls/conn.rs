//! One TLS connection: the rustls state, the plaintext and ciphertext sides, and the loops
//! that move bytes between them.

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use bytes::Bytes;
use rustls::server::Acceptor;
use rustls::{ClientConnection, ServerConnection};

use super::CertSource;
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::filters::mailbox::Mailbox;
use crate::pipeline::{Context, Filter, Output, Pipeline, PipelineLayout};
use crate::script::JsValue;
use crate::tls::{self};

pub(super) enum Side {
    Server {
        certs: Rc<CertSource>,
    },
    Client {
        config: Arc<rustls::ClientConfig>,
        sni: Option<JsValue>,
    },
}

pub(super) enum State {
    Idle,
    Hello(Box<Acceptor>),
    Server(Box<ServerConnection>),
    Client(Box<ClientConnection>),
    Closed,
}

pub(super) enum Action {
    /// Events from the filter's input.
    Input(Event),
    /// Events from the sub-pipeline's output.
    Sub(Event),
}

pub(super) struct Core {
    pub(super) me: Weak<Core>,
    pub(super) side: Side,
    pub(super) layout: Rc<PipelineLayout>,
    pub(super) handshake_cb: Option<JsValue>,
    pub(super) context: Rc<Context>,
    pub(super) output: Output,
    pub(super) state: RefCell<State>,
    pub(super) sub: RefCell<Option<Rc<Pipeline>>>,
    pub(super) mailbox: Mailbox<Action>,
    /// The handshake finished (and the callback ran).
    pub(super) done: Cell<bool>,
}

pub(super) struct TlsFilter(pub(super) Rc<Core>);

impl Filter for TlsFilter {
    fn process(&mut self, evt: Event) {
        self.0.act(Action::Input(evt));
    }
}

impl Core {
    pub(super) fn act(&self, a: Action) {
        self.mailbox.run(a, |a| match (&self.side, a) {
            (Side::Server { .. }, Action::Input(e)) => self.cipher_in(e),
            (Side::Server { .. }, Action::Sub(e)) => self.plain_out(e),
            (Side::Client { .. }, Action::Input(e)) => self.plain_out(e),
            (Side::Client { .. }, Action::Sub(e)) => self.cipher_in(e),
        });
    }

    pub(super) fn is_server(&self) -> bool {
        matches!(self.side, Side::Server { .. })
    }

    /// Where plaintext goes: the sub-pipeline (server) or the filter's output (client).
    pub(super) fn emit_plain(&self, e: Event) {
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
    pub(super) fn emit_cipher(&self, e: Event) {
        if self.is_server() {
            self.output.emit(e);
        } else {
            let sub = self.sub.borrow().clone();
            if let Some(s) = sub {
                s.input(e);
            }
        }
    }

    pub(super) fn open_sub(&self) {
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

    pub(super) fn fail(&self, what: &str, code: ErrorCode) {
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
    pub(super) fn flush(&self) {
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
    pub(super) fn plain_out(&self, e: Event) {
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
    pub(super) fn cipher_in(&self, e: Event) {
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

    pub(super) fn receive(&self, mut data: &[u8]) {
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
                    Ok(mut conn) => {
                        // Each write is turned into records and sent at once (`flush`), so
                        // rustls's own 64 KiB bound on unsent data would only cut a larger
                        // Data event short.
                        conn.set_buffer_limit(None);
                        *self.state.borrow_mut() = State::Server(Box::new(conn));
                    }
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
}

pub(super) fn write_all_tls<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>, S>(
    c: &mut C,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    while c.wants_write() {
        c.write_tls(out)?;
    }
    Ok(())
}

/// Feeds TLS records and takes out the plaintext they carry.
pub(super) fn pump<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>, S>(
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

pub(super) fn read_plain<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>, S>(
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
