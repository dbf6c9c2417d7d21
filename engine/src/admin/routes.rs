//! Admin API routes (see `README.md` beside this file).

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::json;

use super::http::{self, content_type, empty, error, json, Res};
use super::store::StoreError;
use super::{assets, Admin};
use crate::host;
use crate::worker::LoadError;

fn store_err(e: StoreError) -> Res {
    error(e.0, e.1)
}

fn load_error(e: &LoadError) -> serde_json::Value {
    super::programs::load_error(e)
}

/// Splits `/api/v1/...` into decoded segments.
fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(crate::web::percent_decode)
        .collect()
}

fn authorized(admin: &Admin, req: &Request<Incoming>) -> bool {
    let Some(token) = &admin.config.token else {
        return true;
    };
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let expected = format!("Bearer {token}");
    // Compare in constant time.
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Handles one admin request. The desktop app's page (another origin) may call the API when
/// it is protected by a token: it gets CORS headers, and its preflights are answered.
pub async fn handle(admin: &Arc<Admin>, req: Request<Incoming>) -> Res {
    let origin = admin
        .config
        .token
        .as_ref()
        .and_then(|_| http::app_origin(&req));
    let Some(origin) = origin else {
        return route(admin, req).await;
    };
    if req.method() == Method::OPTIONS {
        return http::preflight(origin);
    }
    let mut res = route(admin, req).await;
    http::allow_origin(&mut res, origin);
    res
}

async fn route(admin: &Arc<Admin>, req: Request<Incoming>) -> Res {
    if let Some(res) = super::health::probe(admin, &req) {
        return res; // `/healthz` and `/readyz`: probes carry no token (see health.rs)
    }
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if (path.starts_with("/api/") || path.starts_with("/admin/") || path == "/metrics")
        && !authorized(admin, &req)
    {
        return error(StatusCode::UNAUTHORIZED, "missing or wrong admin token");
    }
    if let Some(repo) = &admin.repo {
        if crate::repo::claims(&path, &req) {
            return crate::repo::handle(repo, &path, req).await;
        }
    }
    if path == "/metrics" {
        return http::reply(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            crate::metrics::text(),
        );
    }
    let seg = segments(&path);
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    match (method.clone(), seg.as_slice()) {
        (_, ["api", "v1", rest @ ..]) => api(admin, method, rest, req).await,
        (_, ["admin", ..]) => script_admin(admin, method, &path, req).await,
        (Method::GET, _) | (Method::HEAD, _) => match assets::ui_file(&path) {
            Some((gz, name)) => ui_reply(&req, gz, &name),
            None => error(StatusCode::NOT_FOUND, format!("no such page: {path}")),
        },
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}

/// `/admin/...`: answered by the running programs' `admin()` layouts (Pipy's custom
/// administration paths), 404 when none takes the path.
async fn script_admin(
    admin: &Arc<Admin>,
    method: Method,
    path: &str,
    req: Request<Incoming>,
) -> Res {
    let body = match http::read_body(req).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    match admin.host.admin(method.as_str(), path, body).await {
        Some(Ok(b)) => http::reply(StatusCode::OK, "text/plain; charset=utf-8", b),
        Some(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        None => error(
            StatusCode::NOT_FOUND,
            format!("no admin() pipeline takes {path}"),
        ),
    }
}

/// A web IDE file: sent gzip-compressed as it is stored when the client takes gzip, else
/// expanded.
fn ui_reply(req: &Request<Incoming>, gz: &'static [u8], name: &str) -> Res {
    let takes_gzip = req
        .headers()
        .get_all(hyper::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|c| {
            let mut parts = c.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            coding.eq_ignore_ascii_case("gzip") && !refused
        });
    let mut res = if takes_gzip {
        let mut res = http::reply(StatusCode::OK, content_type(name), Bytes::from_static(gz));
        res.headers_mut().insert(
            hyper::header::CONTENT_ENCODING,
            hyper::header::HeaderValue::from_static("gzip"),
        );
        res
    } else {
        match assets::gunzip(gz) {
            Ok(body) => http::reply(StatusCode::OK, content_type(name), body),
            Err(e) => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the embedded file {name} is damaged: {e}"),
                )
            }
        }
    };
    res.headers_mut().insert(
        hyper::header::VARY,
        hyper::header::HeaderValue::from_static("accept-encoding"),
    );
    res
}

async fn api(admin: &Arc<Admin>, method: Method, rest: &[&str], req: Request<Incoming>) -> Res {
    let store = &admin.store;
    match (method, rest) {
        (Method::GET, ["codebases"]) => {
            let v: Vec<_> = store
                .list()
                .into_iter()
                .map(|(n, m)| json!({ "name": n, "main": m }))
                .collect();
            json(StatusCode::OK, &json!(v))
        }
        (Method::POST, ["codebases", name]) => {
            let body = match http::read_json(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            let main = body.get("main").and_then(|m| m.as_str());
            let empty = body.get("template").and_then(|t| t.as_str()) == Some("empty");
            let made = match body.get("folder").and_then(|f| f.as_str()) {
                Some(folder) => store.link(name, folder),
                None => store.create(name, main, empty),
            };
            match made {
                Ok(main) => json(StatusCode::CREATED, &json!({ "name": name, "main": main })),
                Err(e) => store_err(e),
            }
        }
        (Method::GET, ["codebases", name]) => match (store.meta(name), store.files(name)) {
            (Ok(meta), Ok(files)) => json(
                StatusCode::OK,
                &json!({ "name": name, "main": meta.main, "services": meta.services, "files": files }),
            ),
            (Err(e), _) | (_, Err(e)) => store_err(e),
        },
        (Method::PATCH, ["codebases", name]) => {
            let body = match http::read_json(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            let mut name = name.to_string();
            if let Some(to) = body.get("name").and_then(|v| v.as_str()) {
                if to != name {
                    if admin.host.is_running(&name) {
                        return error(
                            StatusCode::CONFLICT,
                            "stop the program before renaming its codebase",
                        );
                    }
                    if let Err(e) = store.rename(&name, to) {
                        return store_err(e);
                    }
                    name = to.to_string();
                }
            }
            if let Some(m) = body.get("main").and_then(|v| v.as_str()) {
                if let Err(e) = store.set_main(&name, m) {
                    return store_err(e);
                }
            }
            if let Some(s) = http::strings(body.get("services")) {
                if let Err(e) = store.set_services(&name, &s) {
                    return store_err(e);
                }
            }
            match store.meta(&name) {
                Ok(m) => json(
                    StatusCode::OK,
                    &json!({ "name": name, "main": m.main, "services": m.services }),
                ),
                Err(e) => store_err(e),
            }
        }
        (Method::DELETE, ["codebases", name]) => {
            if admin.host.is_running(name) {
                let h = admin.host.clone();
                let n = name.to_string();
                let _ = tokio::task::spawn_blocking(move || h.stop_program(&n)).await;
            }
            match store.delete(name) {
                Ok(()) => empty(StatusCode::NO_CONTENT),
                Err(e) => store_err(e),
            }
        }
        (Method::GET, ["codebases", name, "files", path @ ..]) if !path.is_empty() => {
            let p = path.join("/");
            match store.read(name, &p) {
                Ok(b) => http::reply(StatusCode::OK, content_type(&p), b),
                Err(e) => store_err(e),
            }
        }
        (Method::PUT, ["codebases", name, "files", path @ ..]) if !path.is_empty() => {
            let p = path.join("/");
            let name = name.to_string();
            let body = match http::read_body(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            let created = match store.write(&name, &p, &body) {
                Ok(c) => c,
                Err(e) => return store_err(e),
            };
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::NO_CONTENT
            };
            let mut res = empty(status);
            if admin.host.is_running(&name) {
                let h = admin.host.clone();
                let n = name.clone();
                let r = tokio::task::spawn_blocking(move || h.reload_program(&n)).await;
                let ok = matches!(r, Ok(Ok(())));
                res.headers_mut().insert(
                    "x-reload",
                    if ok { "ok" } else { "failed" }.parse().expect("header"),
                );
            }
            res
        }
        (Method::DELETE, ["codebases", name, "files", path @ ..]) if !path.is_empty() => {
            match store.remove(name, &path.join("/")) {
                Ok(()) => empty(StatusCode::NO_CONTENT),
                Err(e) => store_err(e),
            }
        }
        (Method::GET, ["program"]) => program_status(admin),
        (Method::POST, ["program"]) => {
            let body = match http::read_json(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(name) = body
                .get("codebase")
                .and_then(|v| v.as_str())
                .map(str::to_string)
            else {
                return error(StatusCode::BAD_REQUEST, "give {\"codebase\": name}");
            };
            // One program at a time here: once this one runs, the others stop (and are named).
            if let Err(res) = super::programs::start_codebase(admin, &name).await {
                return res;
            }
            let others: Vec<String> = admin
                .host
                .programs()
                .into_iter()
                .filter(|p| p.running && p.name != name)
                .map(|p| p.name)
                .collect();
            let h = admin.host.clone();
            let stop = others.clone();
            let _ = tokio::task::spawn_blocking(move || {
                for n in &stop {
                    h.stop_program(n);
                }
            })
            .await;
            let mut answer = json!({ "codebase": name, "running": true });
            if !others.is_empty() {
                answer["stopped"] = json!(others);
            }
            json(StatusCode::CREATED, &answer)
        }
        (Method::PATCH, ["program"]) => {
            let h = admin.host.clone();
            match tokio::task::spawn_blocking(move || h.reload()).await {
                Ok(Ok(())) => program_status(admin),
                Ok(Err(e)) => super::programs::failed(&e),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        (Method::DELETE, ["program"]) => {
            let h = admin.host.clone();
            let _ = tokio::task::spawn_blocking(move || h.stop()).await;
            empty(StatusCode::NO_CONTENT)
        }
        (m, ["programs", rest @ ..]) => super::programs::route(admin, m, rest).await,
        (m, ["debug", rest @ ..]) => super::debug::route(admin, m, rest, req).await,
        (Method::GET, ["log"]) => {
            let after = req
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("after=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let lines = crate::logging::history(after, 1000);
            let next = lines.last().map(|l| l.seq).unwrap_or(after);
            let v: Vec<_> = lines.iter().map(line_json).collect();
            json(StatusCode::OK, &json!({ "lines": v, "next": next }))
        }
        (Method::GET, ["log", "stream"]) => log_stream(),
        (Method::GET, ["graph", name]) => {
            let (dir, meta) = match (store.dir(name), store.meta(name)) {
                (Ok(d), Ok(m)) => (d, m),
                (Err(e), _) | (_, Err(e)) => return store_err(e),
            };
            let load = move || host::check(dir, Some(meta.main), meta.services);
            match tokio::task::spawn_blocking(load).await {
                Ok(Ok(l)) => json(
                    StatusCode::OK,
                    &json!({ "ascii": l.graph.join("\n"), "graph": l.graph_json }),
                ),
                Ok(Err(e)) => json(StatusCode::BAD_REQUEST, &load_error(&e)),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        (Method::GET, ["trace"]) => super::inspect::status(),
        (Method::POST, ["trace"]) => match http::read_json(req).await {
            Ok(b) => super::inspect::start(&b),
            Err(r) => r,
        },
        (Method::DELETE, ["trace"]) => {
            crate::trace::stop();
            empty(StatusCode::NO_CONTENT)
        }
        (Method::GET, ["trace", "stream"]) => super::inspect::stream(),
        (Method::GET, ["trace", id]) => super::inspect::one(id),
        (Method::POST, ["request"]) => match http::read_json(req).await {
            Ok(b) => tokio::task::spawn_blocking(move || super::inspect::send(&b))
                .await
                .unwrap_or_else(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
            Err(r) => r,
        },
        (Method::GET, ["metrics", "summary"]) => json(StatusCode::OK, &crate::metrics::summary()),
        (Method::GET, ["typings"]) => http::reply(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            super::typings(),
        ),
        (Method::GET, ["tutorials"]) => {
            let v: Vec<_> = assets::tutorials()
                .iter()
                .map(|t| json!({ "name": t.name, "title": t.title, "files": super::tutorial::files_opened(t) }))
                .collect();
            json(StatusCode::OK, &json!(v))
        }
        (Method::GET, ["tutorials", name, path @ ..]) if !path.is_empty() => {
            let p = format!("/{}", path.join("/"));
            let found = assets::tutorials()
                .into_iter()
                .find(|t| t.name == *name)
                .and_then(|t| t.files.into_iter().find(|f| f.0 == p));
            match found {
                Some((_, b)) => {
                    http::reply(StatusCode::OK, content_type(&p), Bytes::from_static(b))
                }
                None => error(StatusCode::NOT_FOUND, format!("no tutorial file {name}{p}")),
            }
        }
        (Method::POST, ["tutorials", name, "copy"]) => match http::read_json(req).await {
            Ok(b) => super::tutorial::copy(store, name, &b),
            Err(r) => r,
        },
        (Method::POST, ["check"]) => match http::read_json(req).await {
            Ok(b) => super::tutorial::check(admin, &b).await,
            Err(r) => r,
        },
        (Method::GET, ["reference"]) => super::reference::get(),
        (m, ["tests", name]) => super::testing::route(admin, m, name, req).await,
        _ => error(StatusCode::NOT_FOUND, "no such API route"),
    }
}

fn program_status(admin: &Admin) -> Res {
    let s = admin.host.status();
    json(
        StatusCode::OK,
        &json!({
            "codebase": s.name,
            "running": s.name.is_some(),
            "error": s.error.as_ref().map(load_error),
            "programs": admin.host.programs().into_iter().filter(|p| p.running).map(|p| p.name).collect::<Vec<_>>(),
        }),
    )
}

fn line_json(l: &crate::logging::LogLine) -> serde_json::Value {
    json!({ "seq": l.seq, "time": l.time, "level": l.level, "topic": l.topic, "program": l.program, "message": l.message })
}

/// Server-sent events: recent history, then every new line.
fn log_stream() -> Res {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(256);
    let mut live = crate::logging::subscribe();
    let history = crate::logging::history(0, 1000);
    tokio::spawn(async move {
        let mut last = 0;
        for l in history {
            last = l.seq;
            if tx
                .send(Bytes::from(format!("data: {}\n\n", line_json(&l))))
                .await
                .is_err()
            {
                return;
            }
        }
        loop {
            match live.recv().await {
                Ok(l) if l.seq > last => {
                    if tx
                        .send(Bytes::from(format!("data: {}\n\n", line_json(&l))))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    });
    http::event_stream(rx)
}
