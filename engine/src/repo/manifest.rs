//! `/repo/...`: what workers download, as Pipy's repo serves it.
//!
//! - `GET /repo/NAME/`: the manifest, the entry script's path then every other file's, one a
//!   line, with the version as `etag`. `HEAD` answers the same headers, for polling.
//! - `GET /repo/NAME/PATH`: a file of the current version (`etag`: the version).
//! - `GET /repo/NAME/_etags`: `PATH#VERSION` per file.
//! - `GET /repo/PREFIX/`, `/repo`: the codebases under it, `PATH/` a line (when it is no
//!   codebase).
//! - `POST /repo/NAME/`: a worker's status report.
//! - `GET /repo/NAME/UUID` with `upgrade: websocket`: a worker's push link ([`super::link`]).
//!
//! A download naming its instance (`sluice-instance: UUID`) gets the version a running
//! roll-out chose for that instance, if it chose it ([`super::rollout`]).

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::store::Published;
use super::{link, Peer, Repo};
use crate::web::{self as http, empty, error, Res};

/// The manifest text: main first, then the other files.
pub fn manifest_text(p: &Published) -> String {
    let mut out = p.main.clone();
    for path in p.files.keys().filter(|k| **k != p.main) {
        out.push('\n');
        out.push_str(path);
    }
    out
}

/// The `_etags` text: `PATH#VERSION` a line.
pub fn etags_text(p: &Published) -> String {
    p.files
        .keys()
        .map(|k| format!("{k}#{}\n", p.version))
        .collect()
}

fn with_etag(body: impl Into<Bytes>, version: &str) -> Res {
    let mut res = http::reply(StatusCode::OK, "text/plain", body);
    if let Ok(v) = version.parse() {
        res.headers_mut().insert("etag", v);
    }
    res
}

/// Answers `/repo{rest}` (`rest` is empty or starts with `/`, still percent-encoded).
pub async fn handle(repo: &Arc<Repo>, rest: &str, req: Request<Incoming>) -> Res {
    let path = crate::web::percent_decode(rest);
    let peer = req
        .extensions()
        .get::<Peer>()
        .map(|p| p.0.ip().to_string())
        .unwrap_or_default();
    if link::is_upgrade(&req) {
        let (dir, uuid) = match path.trim_end_matches('/').rsplit_once('/') {
            Some((d, u)) if !d.is_empty() && !u.is_empty() => (d.to_string(), u.to_string()),
            _ => return error(StatusCode::BAD_REQUEST, "a link is /repo/NAME/UUID"),
        };
        return link::accept(repo.clone(), req, dir, uuid, peer);
    }
    let store = &repo.store;
    let instance = req
        .headers()
        .get(super::rollout::INSTANCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let published = |cb: &str| -> Option<Arc<Published>> {
        if let Some(uuid) = &instance {
            if let Some(p) = repo.rollouts.snapshot_for(store, cb, uuid) {
                return Some(p);
            }
        }
        store.published(cb).ok().flatten()
    };
    match *req.method() {
        Method::GET | Method::HEAD => {
            if let Some(cb) = path.strip_suffix('/').filter(|c| !c.is_empty()) {
                if let Some(p) = published(cb) {
                    return with_etag(manifest_text(&p), &p.version);
                }
            }
            if let Some(cb) = path.strip_suffix("/_etags") {
                if let Some(p) = published(cb) {
                    return with_etag(etags_text(&p), &p.version);
                }
            }
            if !path.ends_with('/') {
                if let Some((cb, file)) = store.codebase_of(&path) {
                    if let Some(p) = published(&cb) {
                        if let Some(data) = p.files.get(&file) {
                            return with_etag(data.clone(), &p.version);
                        }
                    }
                }
            }
            let mut prefix = path.clone();
            if !prefix.ends_with('/') {
                prefix.push('/');
            }
            let list: String = store
                .list()
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c.starts_with(&prefix))
                .map(|c| format!("{c}/\n"))
                .collect();
            if list.is_empty() {
                return error(
                    StatusCode::NOT_FOUND,
                    format!("nothing published at {path}"),
                );
            }
            http::reply(StatusCode::OK, "text/plain", list)
        }
        Method::POST => {
            let Some(cb) = path.strip_suffix('/').filter(|c| store.exists(c)) else {
                return error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "status reports go to /repo/NAME/",
                );
            };
            let cb = cb.to_string();
            let body = match http::read_json(req).await {
                Ok(b) if b.is_object() => b,
                Ok(_) => return error(StatusCode::BAD_REQUEST, "a status report is a JSON object"),
                Err(r) => return r,
            };
            repo.instances.report(&cb, &peer, body);
            empty(StatusCode::CREATED)
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}
