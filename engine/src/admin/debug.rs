//! `/api/v1/debug`: the pipeline debugger's routes (see `README.md` beside this file and
//! `crate::debug`).

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::{json, Value};

use super::http::{self, empty, error, json, Res};
use super::Admin;
use crate::debug::{self, Breakpoint, Command, Condition};

/// Handles `/api/v1/debug...`; `rest` starts after `debug`.
pub async fn route(
    admin: &Arc<Admin>,
    method: Method,
    rest: &[&str],
    req: Request<Incoming>,
) -> Res {
    match (method, rest) {
        (Method::GET, []) => json(
            StatusCode::OK,
            &json!({
                "sessions": debug::sessions().iter().map(|s| s.to_json()).collect::<Vec<_>>(),
                "paused": debug::paused(None),
            }),
        ),
        (Method::GET, ["programs", name]) => match debug::session(name) {
            Some(s) => {
                let mut v = s.to_json();
                v["paused"] = json!(debug::paused(Some(name)));
                json(StatusCode::OK, &v)
            }
            None => error(
                StatusCode::NOT_FOUND,
                format!("{name} is not being debugged"),
            ),
        },
        (Method::POST, ["programs", name]) => {
            let body = match read(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            if !admin.host.is_running(name) {
                return error(StatusCode::NOT_FOUND, format!("{name} is not running"));
            }
            let timeout = match body.get("timeout") {
                None | Some(Value::Null) => None,
                Some(t) => match t.as_f64().filter(|t| *t > 0.0 && *t <= 3600.0) {
                    Some(t) => Some(Duration::from_secs_f64(t)),
                    None => {
                        return error(
                            StatusCode::BAD_REQUEST,
                            "timeout is a number of seconds, up to 3600",
                        )
                    }
                },
            };
            json(StatusCode::OK, &debug::enable(name, timeout).to_json())
        }
        (Method::DELETE, ["programs", name]) => match debug::disable(name) {
            true => empty(StatusCode::NO_CONTENT),
            false => error(
                StatusCode::NOT_FOUND,
                format!("{name} is not being debugged"),
            ),
        },
        (Method::POST, ["programs", name, "breakpoints"]) => {
            let body = match read(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            add_breakpoint(admin, name, &body)
        }
        (Method::DELETE, ["programs", name, "breakpoints", id]) => {
            match id
                .parse::<u64>()
                .ok()
                .map(|id| debug::remove_breakpoint(name, id))
            {
                Some(true) => empty(StatusCode::NO_CONTENT),
                _ => error(
                    StatusCode::NOT_FOUND,
                    format!("no breakpoint {id} in {name}"),
                ),
            }
        }
        (Method::GET, ["paused"]) => json(StatusCode::OK, &json!(debug::paused(None))),
        (Method::GET, ["paused", id]) => match id.parse::<u64>() {
            Ok(id) => answer(debug::command(id, Command::Detail).await),
            Err(_) => error(StatusCode::BAD_REQUEST, "a paused stream's id is a number"),
        },
        (Method::POST, ["paused", id]) => {
            let Ok(id) = id.parse::<u64>() else {
                return error(StatusCode::BAD_REQUEST, "a paused stream's id is a number");
            };
            let body = match read(req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            match command_of(&body) {
                Ok(c) => answer(debug::command(id, c).await),
                Err(m) => error(StatusCode::BAD_REQUEST, m),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "no such API route"),
    }
}

async fn read(req: Request<Incoming>) -> Result<Value, Res> {
    let b = http::read_body(req).await?;
    if b.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&b).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the body is not JSON: {e}"),
        )
    })
}

fn answer(r: Result<Value, String>) -> Res {
    match r {
        Ok(v) => json(StatusCode::OK, &v),
        Err(m) if m.starts_with("no paused stream") => error(StatusCode::NOT_FOUND, m),
        Err(m) => error(StatusCode::BAD_REQUEST, m),
    }
}

fn text(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

/// `{"command": "step" | "over" | "continue" | "drop" | "detail"}`,
/// `{"command": "eval", "exprs": [..]}` (or `"expr"`), `{"command": "edit", "header": name,
/// "value": text | null}` or `{"command": "edit", "var": name, "value": JS expression}`.
fn command_of(body: &Value) -> Result<Command, String> {
    let c = text(body, "command").unwrap_or_default();
    Ok(match c.as_str() {
        "step" => Command::Step,
        "over" => Command::Over,
        "continue" => Command::Continue,
        "drop" => Command::Drop,
        "detail" => Command::Detail,
        "eval" => {
            let mut exprs = http::strings(body.get("exprs")).unwrap_or_default();
            exprs.extend(text(body, "expr"));
            if exprs.is_empty() {
                return Err("give expr (or exprs) to evaluate".into());
            }
            Command::Eval(exprs)
        }
        "edit" => {
            if let Some(h) = text(body, "header") {
                let h = h.trim().to_ascii_lowercase();
                let value = body.get("value").and_then(|v| v.as_str());
                let bad = |s: &str| s.contains(['\r', '\n']);
                if h.is_empty() || h.contains([':', ' ']) || bad(&h) || value.is_some_and(bad) {
                    return Err(
                        "a header is a name without spaces or colons, and a value on one line"
                            .into(),
                    );
                }
                Command::Header(h, value.map(str::to_string))
            } else if let Some(v) = text(body, "var") {
                let ok = !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
                    && !v.starts_with(|c: char| c.is_ascii_digit());
                let Some(value) = text(body, "value") else {
                    return Err("give value: a JS expression, e.g. 'text' or 42".into());
                };
                if !ok {
                    return Err(format!("{v} is not a variable name"));
                }
                Command::Var(v, value)
            } else {
                return Err("edit needs header or var".into());
            }
        }
        "" => return Err("give command: step, over, continue, drop, edit or eval".into()),
        other => {
            return Err(format!(
                "unknown command {other}: use step, over, continue, drop, edit or eval"
            ))
        }
    })
}

/// `{layout, index}` or `{file, line}`, with `condition?: {event?, expr?}`.
fn add_breakpoint(admin: &Admin, name: &str, body: &Value) -> Res {
    if debug::session(name).is_none() {
        return error(
            StatusCode::NOT_FOUND,
            format!("{name} is not being debugged: turn debugging on first"),
        );
    }
    let Some(graph) = admin
        .host
        .program(name)
        .and_then(|p| p.loaded)
        .map(|l| l.graph_json)
    else {
        return error(StatusCode::NOT_FOUND, format!("{name} is not running"));
    };
    let layouts = graph["layouts"].as_array().cloned().unwrap_or_default();
    let place = |l: &Value, i: usize| -> Option<Breakpoint> {
        let f = l["filters"].get(i)?;
        Some(Breakpoint {
            layout: l["id"].as_u64()? as usize,
            index: i,
            file: l["module"].as_str().unwrap_or("").to_string(),
            line: f["line"].as_u64().unwrap_or(0) as u32,
            filter: f["label"].as_str().unwrap_or("").to_string(),
            ..Default::default()
        })
    };
    let found = match (
        body.get("layout").and_then(Value::as_u64),
        body.get("index").and_then(Value::as_u64),
    ) {
        (Some(l), Some(i)) => layouts
            .iter()
            .find(|x| x["id"].as_u64() == Some(l))
            .and_then(|x| place(x, i as usize))
            .ok_or_else(|| format!("layout {l} has no filter {i}")),
        _ => match (text(body, "file"), body.get("line").and_then(Value::as_u64)) {
            (Some(file), Some(line)) => layouts
                .iter()
                .filter(|x| x["module"].as_str() == Some(file.as_str()))
                .find_map(|x| {
                    let fs = x["filters"].as_array()?;
                    let i = fs.iter().position(|f| f["line"].as_u64() == Some(line))?;
                    place(x, i)
                })
                .ok_or_else(|| format!("no filter starts on line {line} of {file}")),
            _ => Err("give layout and index, or file and line".to_string()),
        },
    };
    let mut bp = match found {
        Ok(b) => b,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let cond = body.get("condition").cloned().unwrap_or(Value::Null);
    let event = text(&cond, "event").filter(|e| !e.is_empty());
    if let Some(e) = &event {
        if !matches!(
            e.as_str(),
            "MessageStart" | "Data" | "MessageEnd" | "StreamEnd" | "any"
        ) {
            return error(
                StatusCode::BAD_REQUEST,
                "the event type is MessageStart, Data, MessageEnd, StreamEnd or any",
            );
        }
    }
    bp.condition = Condition {
        event,
        expr: text(&cond, "expr").filter(|e| !e.trim().is_empty()),
    };
    match debug::add_breakpoint(name, bp) {
        Some(b) => json(StatusCode::CREATED, &b.to_json()),
        None => error(
            StatusCode::NOT_FOUND,
            format!("{name} is not being debugged"),
        ),
    }
}
