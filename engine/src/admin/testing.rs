//! The IDE's Tests panel: `GET /api/v1/tests/{name}` lists a codebase's test files, and
//! `POST /api/v1/tests/{name}` runs them as `engine test` does ([`crate::test_run`]), with
//! every HTTP step traced so that a failing one links to its trace in the inspector.
//!
//! Each file starts the codebase's program afresh on the ports it declares (with the mock
//! upstreams the file declares), so a running copy of that codebase is stopped for the run and
//! started again after it. One run at a time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::{json, Value};

use super::http::{self, error, json, Res};
use super::Admin;
use crate::test_run::{self, Suite};

/// Handles `/api/v1/tests/{name}`.
pub async fn route(admin: &Arc<Admin>, method: Method, name: &str, req: Request<Incoming>) -> Res {
    let dir = match admin.store.dir(name) {
        Ok(d) => d,
        Err(e) => return error(e.0, e.1),
    };
    match method {
        Method::GET => {
            let files: Vec<String> = test_run::test_files(&dir)
                .iter()
                .map(|f| codebase_path(&dir, f))
                .collect();
            json(StatusCode::OK, &json!({ "files": files }))
        }
        Method::POST => {
            let body = match http::read_body(req).await {
                Ok(b) if b.iter().all(u8::is_ascii_whitespace) => json!({}),
                Ok(b) => match serde_json::from_slice::<Value>(&b) {
                    Ok(v) => v,
                    Err(e) => return error(StatusCode::BAD_REQUEST, format!("not JSON: {e}")),
                },
                Err(r) => return r,
            };
            run(admin, name, &dir, &body).await
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}

/// `{"files"?: ["/check.json", ...], "trace"?: true}` → `{"passed", "failed", "restarted",
/// "files": [{"file", "error", "ms", "results"}]}`.
async fn run(admin: &Arc<Admin>, name: &str, dir: &Path, body: &Value) -> Res {
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let files = match body.get("files").and_then(Value::as_array) {
        Some(list) => {
            let mut files = Vec::new();
            for f in list {
                match f.as_str().map(|p| test_file(dir, p)) {
                    Some(Ok(p)) => files.push(p),
                    Some(Err(e)) => return error(StatusCode::BAD_REQUEST, e),
                    None => return error(StatusCode::BAD_REQUEST, "\"files\" lists paths"),
                }
            }
            files
        }
        None => test_run::test_files(dir),
    };
    let trace = body.get("trace").and_then(Value::as_bool).unwrap_or(true);
    let _one = ONE_AT_A_TIME.lock().await;
    // The tests start the program on its own ports: a running copy steps aside meanwhile.
    let was_running = admin.host.is_running(name);
    if was_running {
        let h = admin.host.clone();
        let n = name.to_string();
        let _ = tokio::task::spawn_blocking(move || h.stop_program(&n)).await;
    }
    let outcome = run_files(dir.to_path_buf(), files, trace).await;
    let restart_error = if was_running {
        super::programs::start_codebase(admin, name)
            .await
            .err()
            .map(|_| format!("{name} did not start again after the tests: see its program status"))
    } else {
        None
    };
    let suites = match outcome {
        Ok(s) => s,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let (passed, failed) = test_run::totals(&suites);
    let list: Vec<Value> = suites
        .iter()
        .map(|s| {
            json!({
                "file": codebase_path(dir, Path::new(&s.name)),
                "error": s.error,
                "ms": (s.secs * 1000.0).round() as u64,
                "results": s.results.get("results").cloned().unwrap_or_else(|| json!([])),
            })
        })
        .collect();
    json(
        StatusCode::OK,
        &json!({
            "passed": passed,
            "failed": failed,
            "restarted": was_running,
            "restartError": restart_error,
            "files": list,
        }),
    )
}

/// Runs the files on a thread of their own (the test run makes its own runtime); with `trace`
/// every HTTP step is traced.
async fn run_files(dir: PathBuf, files: Vec<PathBuf>, trace: bool) -> Result<Vec<Suite>, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("sluice-tests".into())
        .spawn(move || {
            let _ = tx.send(test_run::run_codebase(
                &dir,
                &files,
                trace,
                super::start_for_tests,
                |_| {},
            ));
        })
        .map_err(|e| format!("cannot start the test run: {e}"))?;
    rx.await
        .map_err(|_| "the test run stopped unexpectedly".to_string())?
}

/// The file of codebase path `path` (`/tests/a.json`): a `.json` file inside `dir`.
fn test_file(dir: &Path, path: &str) -> Result<PathBuf, String> {
    let rel = path.trim_start_matches('/');
    let bad = rel.is_empty()
        || !rel.ends_with(".json")
        || rel
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..");
    if bad {
        return Err(format!("{path} is not a test file path like /tests/a.json"));
    }
    let full = dir.join(rel);
    if !full.is_file() {
        return Err(format!("no test file {path}"));
    }
    Ok(full)
}

/// `file` as a codebase path (`/check.json`), when it lies in `dir`.
fn codebase_path(dir: &Path, file: &Path) -> String {
    match file.strip_prefix(dir) {
        Ok(rel) => format!("/{}", rel.to_string_lossy()),
        Err(_) => file.display().to_string(),
    }
}
