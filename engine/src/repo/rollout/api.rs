//! `/api/v1/repo-rollouts` (under the admin token):
//!
//! - `GET /api/v1/repo-rollouts`: the latest roll-out of every codebase that had one.
//! - `GET /api/v1/repo-rollouts/NAME`: the latest roll-out of NAME with its progress.
//! - `POST /api/v1/repo-rollouts/NAME` `{version, stages, maxErrorRate, maxLatencyMs,
//!   minRequests, takeSeconds}`: starts one (pending edits become `version`, or `version` is
//!   one already in the history).
//! - `DELETE /api/v1/repo-rollouts/NAME`: aborts the running one; its instances go back.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::Value;

use super::plan::{Phase, Record, Spec};
use super::watch::{end, Live};
use super::Rollouts;
use crate::repo::api::{repo_err, version_of};
use crate::repo::store::canonical_path;
use crate::repo::Repo;
use crate::web::{self as http, error, json, Res};

/// Answers `/api/v1/repo-rollouts{rest}` (`rest` decoded).
pub async fn handle(repo: &Arc<Repo>, rest: &str, req: Request<Incoming>) -> Res {
    let method = req.method().clone();
    if rest.is_empty() || rest == "/" {
        if method != Method::GET {
            return error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        }
        let names: Vec<String> = repo.rollouts.lock().keys().cloned().collect();
        let mut all: Vec<Value> = names.iter().filter_map(|n| progress(repo, n)).collect();
        all.sort_by_key(|v| v["codebase"].as_str().unwrap_or("").to_string());
        return json(StatusCode::OK, &Value::Array(all));
    }
    let name = match canonical_path(rest) {
        Ok(n) => n,
        Err(e) => return repo_err(e),
    };
    match method {
        Method::GET => match progress(repo, &name) {
            Some(p) => json(StatusCode::OK, &p),
            None => error(StatusCode::NOT_FOUND, format!("{name} has had no roll-out")),
        },
        Method::POST => {
            let body = match http::read_json(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            start(repo, &name, &body)
        }
        Method::DELETE => {
            let mut map = repo.rollouts.lock();
            let Some(live) = map.get_mut(&name).filter(|l| l.rec.phase == Phase::Running) else {
                return error(
                    StatusCode::NOT_FOUND,
                    format!("no roll-out of {name} is running"),
                );
            };
            end(repo, live, Phase::Aborted, "stopped by request".into());
            drop(map);
            match progress(repo, &name) {
                Some(p) => json(StatusCode::OK, &p),
                None => error(StatusCode::NOT_FOUND, "gone"),
            }
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}

fn progress(repo: &Repo, name: &str) -> Option<Value> {
    let seen = repo.instances.seen(name);
    let map = repo.rollouts.lock();
    map.get(name).map(|l| l.progress(&seen))
}

fn start(repo: &Arc<Repo>, name: &str, body: &Value) -> Res {
    let version = match body.get("version").map(version_of) {
        Some(Ok(v)) => v,
        Some(Err(m)) => return error(StatusCode::BAD_REQUEST, m),
        None => return error(StatusCode::BAD_REQUEST, "say which version to roll out"),
    };
    let spec = match Spec::from_request(body) {
        Ok(s) => s,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    if let Some(v) = repo.rollouts.running(name) {
        return error(
            StatusCode::CONFLICT,
            format!(
                "a roll-out of version {v} of {name} is running: wait for it or abort it first"
            ),
        );
    }
    let from = match repo.store.prepare_version(name, &version) {
        Ok(f) => f,
        Err(e) => return repo_err(e),
    };
    let mut rec = Record::new(name, &version, &from, spec);
    rec.event(format!("started: version {version} over {from}"));
    if let Err(e) = Rollouts::save(&repo.store, &mut rec) {
        return repo_err(e);
    }
    repo.rollouts
        .lock()
        .insert(name.to_string(), Live::new(rec));
    match progress(repo, name) {
        Some(p) => json(StatusCode::CREATED, &p),
        None => error(StatusCode::INTERNAL_SERVER_ERROR, "the roll-out vanished"),
    }
}
