//! The repo's admin API (Pipy 1.5's, plus version history), under the admin token:
//!
//! - `GET /api/v1/repo`: codebase paths, one a line.
//! - `GET|POST|PATCH|DELETE /api/v1/repo/NAME`: describe, create (`{base, main, version}`),
//!   publish (`{version}`; an old version rolls back to it; `{main}` sets the entry), delete.
//! - `GET|POST|PATCH|DELETE /api/v1/repo-files/NAME/PATH`: read (`?version=V` for a published
//!   one), edit, edit or reset (empty body), erase.
//! - `GET /api/v1/repo-versions/NAME`: the published history.
//! - `/api/v1/repo-rollouts/NAME`: staged roll-outs ([`super::rollout::api`]).
//! - `GET /api/v1/repo-log/UUID?after=N`: an instance's latest log lines.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::{json, Value};

use super::store::{canonical_path, file_path, RepoError};
use super::Repo;
use crate::web::{self as http, empty, error, json, Res};

/// The answer for a store error.
pub(crate) fn repo_err(e: RepoError) -> Res {
    match e {
        RepoError::NotFound(m) => error(StatusCode::NOT_FOUND, m),
        RepoError::Invalid(m) => error(StatusCode::BAD_REQUEST, m),
        RepoError::Conflict(m) => error(StatusCode::CONFLICT, m),
        RepoError::Internal(m) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
    }
}

/// A version from JSON as Pipy takes it: a number 0..=2^31-1 or a non-empty string.
pub(crate) fn version_of(v: &Value) -> Result<String, &'static str> {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if (0.0..=i32::MAX as f64).contains(&f) => Ok((f as i64).to_string()),
            _ => Err("invalid version number"),
        },
        Value::String(s) if !s.is_empty() && !s.contains(['\r', '\n']) => Ok(s.clone()),
        _ => Err("invalid version"),
    }
}

fn query_param(req: &Request<Incoming>, key: &str) -> Option<String> {
    req.uri().query().and_then(|q| {
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == key).then(|| crate::web::percent_decode(v))
        })
    })
}

/// Answers an `/api/v1/repo...` request (`path` still percent-encoded).
pub async fn handle(repo: &Arc<Repo>, path: &str, req: Request<Incoming>) -> Res {
    let path = crate::web::percent_decode(path);
    let method = req.method().clone();
    if path == "/api/v1/repo" || path == "/api/v1/repo/" {
        return match method {
            Method::GET => match repo.store.list() {
                Ok(l) => http::reply(StatusCode::OK, "text/plain", l.join("\n")),
                Err(e) => repo_err(e),
            },
            _ => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        };
    }
    if let Some(rest) = path.strip_prefix("/api/v1/repo-files") {
        return files(repo, method, rest, req).await;
    }
    if let Some(rest) = path.strip_prefix("/api/v1/repo-rollouts") {
        return super::rollout::api::handle(repo, rest, req).await;
    }
    if let Some(uuid) = path.strip_prefix("/api/v1/repo-log/") {
        let after = query_param(&req, "after")
            .and_then(|a| a.parse().ok())
            .unwrap_or(0);
        return match repo.instances.log_after(uuid, after) {
            Some((lines, next)) => json(
                StatusCode::OK,
                &json!({
                    "lines": lines.into_iter()
                        .map(|(seq, text)| json!({ "seq": seq, "text": text }))
                        .collect::<Vec<_>>(),
                    "next": next,
                }),
            ),
            None => error(StatusCode::NOT_FOUND, format!("no instance {uuid}")),
        };
    }
    if let Some(rest) = path.strip_prefix("/api/v1/repo-versions") {
        let name = match canonical_path(rest) {
            Ok(n) => n,
            Err(e) => return repo_err(e),
        };
        return match repo.store.versions(&name) {
            Ok(v) => json(
                StatusCode::OK,
                &Value::Array(
                    v.into_iter()
                        .map(|v| {
                            json!({ "version": v.version, "main": v.main, "published": v.published,
                                    "files": v.files, "current": v.current })
                        })
                        .collect(),
                ),
            ),
            Err(e) => repo_err(e),
        };
    }
    let rest = path.strip_prefix("/api/v1/repo").unwrap_or("");
    if rest.ends_with('/') && method != Method::GET {
        return error(StatusCode::BAD_REQUEST, "invalid codebase name");
    }
    let name = match canonical_path(rest) {
        Ok(n) => n,
        Err(e) => return repo_err(e),
    };
    match method {
        Method::GET => info(repo, &name),
        Method::POST => {
            let body = match http::read_json(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            let base = match body.get("base") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return error(StatusCode::BAD_REQUEST, "invalid base codebase"),
            };
            let main = match body.get("main") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(_) => return error(StatusCode::BAD_REQUEST, "invalid main filename"),
            };
            let version = match body.get("version") {
                None => "0".to_string(),
                Some(v) => match version_of(v) {
                    Ok(v) => v,
                    Err(m) => return error(StatusCode::BAD_REQUEST, m),
                },
            };
            match repo
                .store
                .create(&name, base.as_deref(), main.as_deref(), &version)
            {
                Ok(()) => json(
                    StatusCode::CREATED,
                    &json!({ "path": name, "version": version }),
                ),
                Err(e) => repo_err(e),
            }
        }
        Method::PATCH => {
            let body = match http::read_json(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            if let Some(m) = body.get("main") {
                match m.as_str().filter(|s| !s.is_empty()) {
                    Some(m) => {
                        if let Err(e) = repo.store.set_main(&name, m) {
                            return repo_err(e);
                        }
                    }
                    None => return error(StatusCode::BAD_REQUEST, "invalid main filename"),
                }
            }
            let Some(v) = body.get("version") else {
                return match repo.store.commit_edits(&name) {
                    Ok(_) => empty(StatusCode::CREATED),
                    Err(e) => repo_err(e),
                };
            };
            let version = match version_of(v) {
                Ok(v) => v,
                Err(m) => return error(StatusCode::BAD_REQUEST, m),
            };
            if let Some(v) = repo.rollouts.running(&name) {
                return error(
                    StatusCode::CONFLICT,
                    format!("a roll-out of version {v} of {name} is running: wait for it or abort it first"),
                );
            }
            match repo.store.publish(&name, &version) {
                Ok(updated) => {
                    repo.announce(&updated);
                    let list: Vec<Value> = updated
                        .iter()
                        .map(|(p, v)| json!({ "path": p, "version": v }))
                        .collect();
                    json(
                        StatusCode::CREATED,
                        &json!({ "version": version, "updated": list }),
                    )
                }
                Err(e) => repo_err(e),
            }
        }
        Method::DELETE => match repo.store.delete(&name) {
            Ok(_) => empty(StatusCode::NO_CONTENT),
            Err(e) => repo_err(e),
        },
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}

/// `GET /api/v1/repo/NAME`: the codebase (Pipy's fields, its instances, the versions
/// published), or a file of it when NAME ends inside one.
fn info(repo: &Repo, name: &str) -> Res {
    let store = &repo.store;
    if !store.exists(name) {
        if let Some((cb, file)) = store.codebase_of(name) {
            return match store.read_file(&cb, &file) {
                Ok(b) => http::reply(StatusCode::OK, "text/plain", b),
                Err(e) => repo_err(e),
            };
        }
    }
    let info = match store.info(name) {
        Ok(i) => i,
        Err(e) => return repo_err(e),
    };
    let versions: Vec<String> = store
        .versions(name)
        .map(|v| v.into_iter().map(|v| v.version).collect())
        .unwrap_or_default();
    let published = store
        .published(name)
        .ok()
        .flatten()
        .map(|p| p.version.clone());
    let mut v = json!({
        "version": info.version,
        "path": info.path,
        "main": info.main,
        "files": info.files,
        "editFiles": info.edit_files,
        "erasedFiles": info.erased_files,
        "baseFiles": info.base_files,
        "derived": info.derived,
        "instances": repo.instances.of(name),
        "versions": versions,
        "published": published,
    });
    if let Some(b) = info.base {
        v["base"] = json!(b);
    }
    json(StatusCode::OK, &v)
}

/// `/api/v1/repo-files/NAME/PATH`.
async fn files(repo: &Repo, method: Method, rest: &str, req: Request<Incoming>) -> Res {
    if rest.ends_with('/') || rest.is_empty() {
        return error(StatusCode::BAD_REQUEST, "invalid filename");
    }
    let store = &repo.store;
    let Some((cb, file)) = store.codebase_of(rest) else {
        return error(StatusCode::NOT_FOUND, format!("no codebase holds {rest}"));
    };
    let file = match file_path(&file) {
        Ok(f) => f,
        Err(e) => return repo_err(e),
    };
    match method {
        Method::GET => {
            let r = match query_param(&req, "version") {
                Some(v) => store.read_version_file(&cb, &v, &file),
                None => store.read_file(&cb, &file),
            };
            match r {
                Ok(b) => http::reply(StatusCode::OK, "text/plain", b),
                Err(e) => repo_err(e),
            }
        }
        Method::POST | Method::PATCH => {
            let body = match http::read_body(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            let r = if method == Method::PATCH && body.is_empty() {
                store.reset_file(&cb, &file)
            } else {
                store.set_file(&cb, &file, &body)
            };
            match r {
                Ok(()) => empty(StatusCode::CREATED),
                Err(e) => repo_err(e),
            }
        }
        Method::DELETE => match store.erase_file(&cb, &file) {
            Ok(()) => empty(StatusCode::NO_CONTENT),
            Err(e) => repo_err(e),
        },
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}
