//! `/api/v1/programs`: several codebases running side by side, each started, reloaded and
//! stopped on its own (see `README.md` beside this file).

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::json;

use super::http::{empty, error, json, Res};
use super::Admin;
use crate::host::{Handover, ProgramInfo};
use crate::net::registry;
use crate::worker::LoadError;

/// The JSON of a start-up error: `{"error", "file", "line", "column"}`.
pub fn load_error(e: &LoadError) -> serde_json::Value {
    json!({ "error": e.message, "file": e.file, "line": e.line, "column": e.column })
}

/// The answer to a failed start or reload: 409 when a port is taken (the words name who holds
/// it), 400 otherwise.
pub fn failed(e: &LoadError) -> Res {
    let status = if registry::is_port_conflict(&e.message) {
        StatusCode::CONFLICT
    } else {
        StatusCode::BAD_REQUEST
    };
    json(status, &load_error(e))
}

fn program_json(p: &ProgramInfo) -> serde_json::Value {
    json!({
        "name": p.name,
        "running": p.running,
        "ports": p.ports,
        "error": p.error.as_ref().map(load_error),
    })
}

/// Starts (or restarts) the codebase `name` with its main script and services, beside the
/// programs already running. `Err` is the answer to give.
pub async fn start_codebase(admin: &Arc<Admin>, name: &str) -> Result<(), Res> {
    let (dir, meta) = match (admin.store.dir(name), admin.store.meta(name)) {
        (Ok(d), Ok(m)) => (d, m),
        (Err(e), _) | (_, Err(e)) => return Err(error(e.0, e.1)),
    };
    let h = admin.host.clone();
    let n = name.to_string();
    let run = move || h.run(&n, dir, Some(meta.main), meta.services, Handover::Stop);
    match tokio::task::spawn_blocking(run).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(failed(&e)),
        Err(e) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

fn one(admin: &Admin, name: &str, status: StatusCode) -> Res {
    match admin.host.program(name) {
        Some(p) => json(status, &program_json(&p)),
        None => error(StatusCode::NOT_FOUND, format!("{name} is not running")),
    }
}

/// Handles `/api/v1/programs...`; `rest` starts after `programs`.
pub async fn route(admin: &Arc<Admin>, method: Method, rest: &[&str]) -> Res {
    match (method, rest) {
        (Method::GET, []) => {
            let v: Vec<_> = admin.host.programs().iter().map(program_json).collect();
            json(StatusCode::OK, &json!(v))
        }
        (Method::GET, [name]) => one(admin, name, StatusCode::OK),
        (Method::POST, [name]) => match start_codebase(admin, name).await {
            Ok(()) => one(admin, name, StatusCode::CREATED),
            Err(res) => res,
        },
        (Method::PATCH, [name]) => {
            if !admin.host.is_running(name) {
                return error(StatusCode::NOT_FOUND, format!("{name} is not running"));
            }
            let h = admin.host.clone();
            let n = name.to_string();
            match tokio::task::spawn_blocking(move || h.reload_program(&n)).await {
                Ok(Ok(())) => one(admin, name, StatusCode::OK),
                Ok(Err(e)) => failed(&e),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        (Method::DELETE, [name]) => {
            crate::debug::disable(name);
            let h = admin.host.clone();
            let n = name.to_string();
            match tokio::task::spawn_blocking(move || h.stop_program(&n)).await {
                Ok(true) => empty(StatusCode::NO_CONTENT),
                Ok(false) => error(StatusCode::NOT_FOUND, format!("{name} is not running")),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        (Method::GET, [name, "graph"]) => match admin.host.program(name).and_then(|p| p.loaded) {
            Some(l) => json(
                StatusCode::OK,
                &json!({ "ascii": l.graph.join("\n"), "graph": l.graph_json }),
            ),
            None => error(StatusCode::NOT_FOUND, format!("{name} is not running")),
        },
        _ => error(StatusCode::NOT_FOUND, "no such API route"),
    }
}
