//! Admin routes of the event inspector: turn tracing on and off, list and fetch traces,
//! stream records live, and send a test request to a running listener.

use std::io::{Read, Write};
use std::time::Duration;

use bytes::Bytes;
use hyper::StatusCode;
use serde_json::{json, Value};

use super::http::{self, error, json, Res};
use crate::trace;

/// `POST /api/v1/trace`: `{listener?, path?, header?: "name" | "name: value", sample?}`.
pub fn start(body: &Value) -> Res {
    let header = body
        .get("header")
        .and_then(|h| h.as_str())
        .map(|h| match h.split_once(':') {
            Some((n, v)) => (n.trim().to_ascii_lowercase(), Some(v.trim().to_string())),
            None => (h.trim().to_ascii_lowercase(), None),
        });
    if let Some(h) = &header {
        if h.0.is_empty() || h.0.contains(char::is_whitespace) {
            return error(
                StatusCode::BAD_REQUEST,
                "header must be a header name, or \"name: value\"",
            );
        }
    }
    if body
        .get("header")
        .is_some_and(|h| !h.is_string() && !h.is_null())
    {
        return error(StatusCode::BAD_REQUEST, "header must be a string");
    }
    let listener = match body.get("listener") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().filter(|p| *p > 0 && *p < 65536) {
            Some(p) => Some(p as u16),
            None => return error(StatusCode::BAD_REQUEST, "listener must be a port number"),
        },
    };
    if body
        .get("path")
        .is_some_and(|p| !p.is_string() && !p.is_null())
    {
        return error(StatusCode::BAD_REQUEST, "path must be a string");
    }
    let sample = body.get("sample").and_then(|s| s.as_f64()).unwrap_or(1.0);
    if !(0.0..=1.0).contains(&sample) {
        return error(StatusCode::BAD_REQUEST, "sample must be between 0 and 1");
    }
    let config = trace::Config {
        listener,
        path: body
            .get("path")
            .and_then(|p| p.as_str())
            .map(str::to_string),
        header,
        sample,
    };
    trace::start(config);
    status()
}

/// `GET /api/v1/trace`.
pub fn status() -> Res {
    let c = trace::config();
    json(
        StatusCode::OK,
        &json!({
            "enabled": trace::enabled(),
            "config": {
                "listener": c.listener, "path": c.path,
                "header": c.header.map(|(n, v)| match v { Some(v) => format!("{n}: {v}"), None => n }),
                "sample": c.sample,
            },
            "capacity": trace::CAPACITY,
            "traces": trace::traces(200),
        }),
    )
}

/// `GET /api/v1/trace/{id}`.
pub fn one(id: &str) -> Res {
    let Ok(id) = id.parse::<u64>() else {
        return error(StatusCode::BAD_REQUEST, "a trace id is a number");
    };
    let records: Vec<Value> = trace::trace(id).iter().map(|r| r.to_json()).collect();
    if records.is_empty() {
        return error(
            StatusCode::NOT_FOUND,
            format!("no trace {id} (it may have rolled out of the buffer)"),
        );
    }
    json(StatusCode::OK, &json!({ "id": id, "records": records }))
}

/// `GET /api/v1/trace/stream`: records as server-sent events.
pub fn stream() -> Res {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1024);
    let mut live = trace::subscribe();
    tokio::spawn(async move {
        loop {
            match live.recv().await {
                Ok(r) => {
                    if tx
                        .send(Bytes::from(format!("data: {}\n\n", r.to_json())))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    });
    http::event_stream(rx)
}

/// `POST /api/v1/request`: `{port, method?, path?, headers?: {..}, body?}` sends one HTTP/1.1
/// request to `127.0.0.1:port`, asking for it to be traced, and returns the response with the
/// trace id the engine gave it.
pub fn send(body: &Value) -> Res {
    let Some(port) = body
        .get("port")
        .and_then(|p| p.as_u64())
        .filter(|p| *p > 0 && *p < 65536)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "give the port of a running listener",
        );
    };
    let method = body.get("method").and_then(|m| m.as_str()).unwrap_or("GET");
    let path = body.get("path").and_then(|m| m.as_str()).unwrap_or("/");
    if method.is_empty()
        || method.contains(char::is_whitespace)
        || !path.starts_with('/')
        || path.contains(char::is_whitespace)
    {
        return error(
            StatusCode::BAD_REQUEST,
            "method must be one word and path must start with /",
        );
    }
    let payload = body.get("body").and_then(|b| b.as_str()).unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.1\r\nx-sluice-trace: 1\r\nconnection: close\r\n");
    let headers = body.get("headers").and_then(|h| h.as_object());
    // One Host and one Content-Length, or the engine answers 400 (RFC 9112 §3.2, §6.3): a
    // host the user gave replaces the default, a content-length is always the body's.
    let user_host = headers.is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("host")));
    if !user_host {
        req.push_str(&format!("host: 127.0.0.1:{port}\r\n"));
    }
    if let Some(h) = headers {
        for (k, v) in h
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("content-length"))
        {
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "header names and values may not contain line breaks",
                );
            }
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str(&format!(
        "content-length: {}\r\n\r\n{payload}",
        payload.len()
    ));
    let started = std::time::Instant::now();
    let result = (|| -> std::io::Result<Vec<u8>> {
        let mut s = std::net::TcpStream::connect_timeout(
            &([127, 0, 0, 1], port as u16).into(),
            Duration::from_secs(5),
        )?;
        // A request paused in the debugger may wait as long as the debug timeout.
        let wait = Duration::from_secs(15) + crate::debug::longest_timeout().unwrap_or_default();
        s.set_read_timeout(Some(wait))?;
        s.write_all(req.as_bytes())?;
        let mut out = Vec::new();
        s.take(8 << 20).read_to_end(&mut out)?;
        Ok(out)
    })();
    let raw = match result {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_GATEWAY,
                format!("cannot reach 127.0.0.1:{port}: {e}"),
            )
        }
    };
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut headers = serde_json::Map::new();
    let mut trace_id = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "x-sluice-trace" {
                trace_id = v.parse::<u64>().ok();
            }
            headers.insert(k, v.into());
        }
    }
    let chunked = headers.get("transfer-encoding").and_then(|v| v.as_str()) == Some("chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    json(
        StatusCode::OK,
        &json!({
            "status": status, "statusLine": status_line, "headers": headers, "body": body,
            "trace": trace_id, "ms": started.elapsed().as_secs_f64() * 1000.0,
        }),
    )
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}
