//! Probes for orchestrators such as Kubernetes, on the admin port:
//!
//! - `GET /healthz`: the process is alive and its admin service answers: always `200 ok`.
//! - `GET /readyz`: the engine can take traffic: `200 ready` while a program runs and holds at
//!   least one listening port, or while this engine serves a codebase repo; `503 not ready: ...`
//!   otherwise (no program yet, a program that listens on nothing, a program that failed to
//!   load, or one that is shutting down).
//!
//! Neither needs the admin token: a kubelet's probe carries no credentials, and the answers
//! say nothing about the program but whether it runs.

use std::sync::atomic::{AtomicBool, Ordering};

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::http::{reply, Res};
use super::Admin;

/// Whether a codebase repo is served from this process's admin port.
static REPO_SERVING: AtomicBool = AtomicBool::new(false);

/// Tells the readiness probe whether this engine serves a codebase repo. Repo mode sets it once
/// its store is open (and clears it if the store goes away): an engine that serves a repo is
/// ready with no program of its own.
pub fn set_repo_serving(serving: bool) {
    REPO_SERVING.store(serving, Ordering::Relaxed);
}

/// The answer to a probe, or `None` when `req` is not a probe (it goes on to the other routes).
pub(super) fn probe(admin: &Admin, req: &Request<Incoming>) -> Option<Res> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    match req.uri().path() {
        "/healthz" => Some(text(StatusCode::OK, "ok")),
        "/readyz" => Some(match not_ready(admin) {
            None => text(StatusCode::OK, "ready"),
            Some(why) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("not ready: {why}"),
            ),
        }),
        _ => None,
    }
}

/// Why the engine cannot take traffic now, or `None` when it can.
fn not_ready(admin: &Admin) -> Option<&'static str> {
    if REPO_SERVING.load(Ordering::Relaxed) {
        return None;
    }
    let status = admin.host.status();
    match (&status.loaded, &status.error) {
        (Some(loaded), _) if !loaded.listens.is_empty() => None,
        (Some(_), _) => Some("the program listens on no port"),
        (None, Some(_)) => Some("the program failed to load"),
        (None, None) => Some("no program is running"),
    }
}

/// A plain-text probe answer that no cache keeps.
fn text(status: StatusCode, body: &str) -> Res {
    let mut res = reply(status, "text/plain; charset=utf-8", format!("{body}\n"));
    res.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    res
}
