//! The TLS handshake: starting a client, choosing a server certificate by SNI, and the
//! `handshake` callback with what was agreed.

use std::sync::Arc;

use rquickjs::{Ctx, Value};
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, CommonState};

use super::conn::{Core, Side, State};
use super::options::identity_of;
use super::CertSource;
use crate::script::{self, ScriptError};
use crate::tls::{self, ServerSpec};

/// What a handshake agreed, as either side sees it: the ALPN protocol, the TLS version and the
/// peer's certificate (DER).
struct Agreed(Option<String>, Option<String>, Option<Vec<u8>>);

impl Agreed {
    fn of(c: &CommonState) -> Agreed {
        Agreed(
            c.alpn_protocol()
                .map(|a| String::from_utf8_lossy(a).into_owned()),
            c.protocol_version().map(|v| format!("{v:?}")),
            c.peer_certificates()
                .and_then(|cs| cs.first())
                .map(|c| c.to_vec()),
        )
    }
}

impl Core {
    pub(super) fn start_client(&self) -> Result<(), String> {
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
        let mut conn = ClientConnection::new(config.clone(), name).map_err(|e| e.to_string())?;
        // Writes are sent as records at once; no 64 KiB cut (see the server side).
        conn.set_buffer_limit(None);
        *self.state.borrow_mut() = State::Client(Box::new(conn));
        self.open_sub();
        self.flush();
        Ok(())
    }

    /// The server configuration for the name the client asked for (SNI), or the default one.
    pub(super) fn choose_config(
        &self,
        sni: Option<&str>,
    ) -> Result<Arc<rustls::ServerConfig>, String> {
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
    pub(super) fn after_handshake(&self) -> Result<(), ScriptError> {
        let (sni, Agreed(alpn, version, peer)) = {
            let st = self.state.borrow();
            match &*st {
                State::Server(c) => (c.server_name().map(str::to_string), Agreed::of(c)),
                State::Client(c) => (None, Agreed::of(c)),
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
