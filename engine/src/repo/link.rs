//! The push link between the repo and a worker: Pipy's admin link, a WebSocket the worker
//! opens at `/repo/NAME/UUID` and keeps open.
//!
//! On every publish of `NAME` (or of a codebase `NAME` derives from) the repo sends a text
//! message `reload\nVERSION`; the worker fetches the codebase at once. Pipy workers read the
//! first line (`reload`) and ignore the rest, so they follow a Sluice repo the same way. The
//! repo also sends a ping every 15 s, so a worker can tell a dead link from a quiet one.
//! A roll-out pushes to the instances it chooses (or sends back) only.
//!
//! What the worker sends are its log lines (Pipy's workers send theirs too): each text frame
//! is one or more lines, kept per instance, the latest few hundred
//! (`GET /api/v1/repo-log/UUID`).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;

use super::Repo;
use crate::web::{empty, error, Res};

/// The GUID of RFC 6455's handshake.
const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// How often the repo pings an open link.
pub const PING_EVERY: Duration = Duration::from_secs(15);

/// Whether the request asks for a WebSocket.
pub fn is_upgrade<B>(req: &Request<B>) -> bool {
    req.headers()
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The `sec-websocket-accept` value for a client's key.
pub fn accept_key(key: &str) -> String {
    let d = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{key}{WS_GUID}").as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(d.as_ref())
}

/// One server frame (unmasked, FIN set).
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    let n = payload.len();
    if n < 126 {
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// Upgrades the request to a link for `codebase`'s instance `uuid`, and serves it.
pub fn accept(
    repo: Arc<Repo>,
    mut req: Request<Incoming>,
    codebase: String,
    uuid: String,
    ip: String,
) -> Res {
    let Some(key) = req
        .headers()
        .get("sec-websocket-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return error(StatusCode::BAD_REQUEST, "a link needs sec-websocket-key");
    };
    let upgrade = hyper::upgrade::on(&mut req);
    let mut publishes = repo.publishes.subscribe();
    tokio::spawn(async move {
        let Ok(up) = upgrade.await else { return };
        let (mut rd, mut wr) = tokio::io::split(TokioIo::new(up));
        tracing::debug!(target: "repo", "link from {ip} ({uuid}) for {codebase}");
        repo.instances.linked(&uuid, &codebase, &ip, true);
        let drain = async {
            while let Ok((opcode, payload)) = super::follow::link::read_frame(&mut rd).await {
                match opcode {
                    1 | 2 => repo
                        .instances
                        .log(&uuid, &String::from_utf8_lossy(&payload)),
                    8 => break,
                    _ => {}
                }
            }
        };
        let push = async {
            let mut ping = tokio::time::interval(PING_EVERY);
            ping.tick().await;
            loop {
                let out = tokio::select! {
                    m = publishes.recv() => match m {
                        Ok(p) if p.codebase == codebase
                            && p.only.as_ref().is_none_or(|o| o.contains(&uuid)) =>
                        {
                            frame(1, format!("reload\n{}", p.version).as_bytes())
                        }
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            frame(1, b"reload")
                        }
                        Err(_) => break,
                    },
                    _ = ping.tick() => frame(9, b""),
                };
                if wr.write_all(&out).await.is_err() || wr.flush().await.is_err() {
                    break;
                }
            }
        };
        tokio::select! {
            _ = drain => {}
            _ = push => {}
        }
        repo.instances.linked(&uuid, &codebase, &ip, false);
        tracing::debug!(target: "repo", "link from {ip} ({uuid}) closed");
    });
    let mut res = empty(StatusCode::SWITCHING_PROTOCOLS);
    let h = res.headers_mut();
    h.remove("content-type");
    h.insert("upgrade", "websocket".parse().expect("header"));
    h.insert("connection", "upgrade".parse().expect("header"));
    if let Ok(v) = accept_key(&key).parse() {
        h.insert("sec-websocket-accept", v);
    }
    res
}
