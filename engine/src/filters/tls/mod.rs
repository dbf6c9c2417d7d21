//! `acceptTLS` and `connectTLS`: TLS over the event stream, on rustls. The plaintext side of
//! `acceptTLS` and the ciphertext side of `connectTLS` are sub-pipelines sharing the context.

//!
//! This file holds the filters and their prototypes; `options.rs` reads certificates and
//! keys from script values, `conn.rs` is one connection's TLS state and its byte pumps,
//! `handshake.rs` the handshake (client start, per-SNI certificates, the `handshake`
//! callback).

mod conn;
mod handshake;
mod options;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::filters::mailbox::Mailbox;
use crate::filters::{Builder, FilterDescriptor, FilterKind};
use crate::pipeline::{Filter, FilterInit, FilterProto, PipelineLayout};
use crate::script::JsValue;
use crate::tls::{self, ClientSpec, ServerSpec};
use conn::{Core, Side, State, TlsFilter};
use options::{identity_of, pems_of, strings_of, versions_of};

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

/// A certificate given directly, or a function choosing one per connection.
pub(super) enum CertSource {
    Fixed(ServerSpec),
    Choose(JsValue, ServerSpec),
}

fn build_accept(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = b.required_layout()?;
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
    let certs = Rc::new(certs);
    let handshake = handshake_of(b);
    b.joint_prototype(layout, move |init, layout| {
        new_filter(
            Side::Server {
                certs: certs.clone(),
            },
            State::Hello(Box::default()),
            layout,
            &handshake,
            init,
        )
    })
}

fn build_connect(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = b.required_layout()?;
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
        .map(|v| crate::script::truthy(&v))
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
    let handshake = handshake_of(b);
    b.joint_prototype(layout, move |init, layout| {
        new_filter(
            Side::Client {
                config: config.clone(),
                sni: sni.clone(),
            },
            State::Idle,
            layout,
            &handshake,
            init,
        )
    })
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
        mailbox: Mailbox::new(),
        done: Cell::new(false),
    })))
}
