//! Tutorials as the IDE uses them: copying a step into a codebase ready to run (its services
//! recorded, its test certificates made) and checking the running program against the step's
//! `check.json`.

use std::sync::Arc;

use hyper::StatusCode;
use serde_json::{json, Value};

use super::http::{error, json, strings, Res};
use super::store::{copy_into, Store};
use super::{assets, Admin};
use crate::check;

/// The check of a tutorial, parsed from its embedded `check.json`.
fn check_spec(t: &assets::Tutorial) -> Result<Option<Value>, String> {
    let Some((_, bytes)) = t.files.iter().find(|f| f.0 == "/check.json") else {
        return Ok(None);
    };
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| format!("{}/check.json is not valid JSON: {e}", t.name))
}

/// Whether Open copies a tutorial file into the codebase (the terminal test stays behind).
fn copied(path: &str) -> bool {
    path != "/test.sh"
}

/// The files Open gives a codebase made from `t`: its copied files, then the certificate and key
/// files its `check.json` has made.
pub fn files_opened(t: &assets::Tutorial) -> Vec<String> {
    let mut files: Vec<String> = t
        .files
        .iter()
        .map(|f| f.0.clone())
        .filter(|p| copied(p))
        .collect();
    if let Ok(Some(spec)) = check_spec(t) {
        for c in spec["certificates"].as_array().into_iter().flatten() {
            for key in ["cert", "key"] {
                if let Some(p) = c[key].as_str() {
                    if !files.iter().any(|f| f == p) {
                        files.push(p.to_string());
                    }
                }
            }
        }
    }
    files
}

fn find(name: &str) -> Option<assets::Tutorial> {
    assets::tutorials().into_iter().find(|t| t.name == name)
}

/// `POST /api/v1/tutorials/{name}/copy`: a codebase made from the tutorial, with the services
/// and certificates its `check.json` asks for.
pub fn copy(store: &Store, name: &str, body: &Value) -> Res {
    let Some(t) = find(name) else {
        return error(StatusCode::NOT_FOUND, format!("no tutorial {name}"));
    };
    let spec = match check_spec(&t) {
        Ok(s) => s.unwrap_or_else(|| json!({})),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let target = body
        .get("codebase")
        .and_then(Value::as_str)
        .unwrap_or(name)
        .to_string();
    let files: Vec<(String, &[u8])> = t.files.iter().filter(|f| copied(&f.0)).cloned().collect();
    let main = match copy_into(store, &target, &files, "/main.js") {
        Ok(m) => m,
        Err(e) => return error(e.0, e.1),
    };
    let certs = spec.get("certificates").and_then(Value::as_array);
    for c in certs.into_iter().flatten() {
        let path = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default();
        let names = strings(c.get("names")).unwrap_or_else(|| vec!["localhost".into()]);
        let made = crate::tls::self_signed(names).and_then(|(cert, key)| {
            store
                .write(&target, path("cert"), cert.as_bytes())
                .and_then(|_| store.write(&target, path("key"), key.as_bytes()))
                .map_err(|e| e.1)
        });
        if let Err(e) = made {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot make the tutorial's certificate: {e}"),
            );
        }
    }
    let services = strings(spec.get("services")).unwrap_or_default();
    let services = match store.set_services(&target, &services) {
        Ok(s) => s,
        Err(e) => return error(e.0, e.1),
    };
    json(
        StatusCode::CREATED,
        &json!({ "name": target, "main": main, "services": services }),
    )
}

/// `POST /api/v1/check`: runs a check (`{"tutorial": name}` for a tutorial's own, or a whole
/// check object) against the running program.
pub async fn check(admin: &Arc<Admin>, body: &Value) -> Res {
    let spec = match body.get("tutorial").and_then(Value::as_str) {
        Some(name) => match find(name).map(|t| check_spec(&t)) {
            None => return error(StatusCode::NOT_FOUND, format!("no tutorial {name}")),
            Some(Ok(None)) => {
                return error(
                    StatusCode::NOT_FOUND,
                    format!("tutorial {name} has no check.json"),
                )
            }
            Some(Err(e)) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
            Some(Ok(Some(s))) => s,
        },
        None => body.clone(),
    };
    match check::run(&spec, admin.config.addr.port()).await {
        Ok(v) => json(StatusCode::OK, &v),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}
