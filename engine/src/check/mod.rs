//! Checks: the requests a `check.json` (or an `engine test` file) lists, sent to the running
//! program, and what came back compared with what was expected. The IDE's "Check" button
//! (`POST /api/v1/check`), `engine test` and the test suite all go through here.
//!
//! A check is `{"mocks"?: [...], "steps": [...]}`. A step is `{"name", "wait"?: ms, "request":
//! {port, method, path, headers, body, tls, host, http2}, "expect": {status, body, bodyContains,
//! headers, forwarded}}`, or a *raw* step that speaks plain TCP: `"request": {port, "send" (or
//! "sendBase64"), "quietMs"?}`, whose `expect` compares `body`/`bodyContains` with the bytes read
//! back. A step with `"wait"` and no request may expect `"forwarded"` (what the mocks received
//! since the last request, the wait included). See `engine/src/admin/README.md`, [`expect`] for
//! the matchers, [`raw`] for raw steps and [`mock`] for mock upstreams. Every step is read
//! before the first one runs, so a mistake in the file is reported, naming its step, before
//! anything is sent.

pub mod clock;
pub mod expect;
pub mod mock;
pub mod raw;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use expect::Answer;
use mock::Mocks;
use raw::RawRequest;

/// How long one step may take, from connecting to the end of the response body.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a response body a check keeps.
const BODY_LIMIT: usize = 1 << 20;
/// The request header that asks the program to trace a request (see `crate::trace`).
const TRACE_HEADER: &str = "x-sluice-trace";

/// What a step sends.
struct Step {
    name: String,
    port: u16,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    tls: bool,
    host: String,
    http2: bool,
    /// A raw step's bytes (the HTTP fields above are then unused).
    raw: Option<RawRequest>,
}

/// Runs every step of `spec` (a `check.json` object) in order, with the mock upstreams it
/// declares running; `admin_port` stands for the port `"admin"`. Answers `{"passed", "failed",
/// "results": [...]}`.
pub async fn run(spec: &Value, admin_port: u16) -> Result<Value, String> {
    run_traced(spec, admin_port, false).await
}

/// [`run`], and when `trace` is set every HTTP step asks the program to trace its request
/// (`x-sluice-trace`): its result then carries `"trace"`, the id the program answered with
/// (the inspector's `GET /api/v1/trace/{id}`), and that header is left out of `actual`.
pub async fn run_traced(spec: &Value, admin_port: u16, trace: bool) -> Result<Value, String> {
    run_with_clock(spec, admin_port, trace, None).await
}

/// [`run_traced`] against a program started with the test clock `test_clock`, which steps with
/// `"advance"` move on (without one, such steps are refused).
pub async fn run_with_clock(
    spec: &Value,
    admin_port: u16,
    trace: bool,
    test_clock: Option<&crate::clock::TestClock>,
) -> Result<Value, String> {
    let steps = spec
        .get("steps")
        .and_then(Value::as_array)
        .ok_or("a check needs \"steps\": [...]")?;
    // Every step is read first: a mistake is reported before anything is sent.
    let mut parsed = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let wait = s
            .get("wait")
            .and_then(Value::as_u64)
            .map(Duration::from_millis);
        let step_name = || {
            s.get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("step {}", i + 1))
        };
        let advance = clock::parse(&step_name(), s)?;
        if advance.is_some() && test_clock.is_none() {
            return Err(format!(
                "{}: \"advance\" needs a clock the test can move: run it with engine test",
                step_name()
            ));
        }
        let step = if (wait.is_some() || advance.is_some()) && s.get("request").is_none() {
            None
        } else {
            let mut step = parse_step(s, i, admin_port)?;
            let asks = |h: &(String, String)| h.0.eq_ignore_ascii_case(TRACE_HEADER);
            if trace && step.raw.is_none() && !step.headers.iter().any(asks) {
                step.headers
                    .push((TRACE_HEADER.to_string(), "1".to_string()));
            }
            Some(step)
        };
        parsed.push((s, wait, advance, step));
    }
    let mocks = Mocks::start(spec.get("mocks")).await?;
    let mut results = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    for (i, (s, wait, advance, step)) in parsed.into_iter().enumerate() {
        if wait.is_some() || (advance.is_some() && step.is_none()) {
            let began = std::time::Instant::now();
            if let Some(pause) = wait {
                tokio::time::sleep(pause).await;
            }
            let mut moved = Ok(());
            if let (Some(by), None, Some(c)) = (advance, &step, test_clock) {
                moved = c.advance(by).await;
            }
            if let Err(e) = &moved {
                failed += 1;
                results.push(json!({
                    "name": s.get("name").and_then(Value::as_str).map(str::to_string)
                        .unwrap_or_else(|| format!("step {}", i + 1)),
                    "pass": false, "request": Value::Null, "expected": s["expect"],
                    "actual": Value::Null, "error": e, "problems": [e],
                    "ms": began.elapsed().as_millis() as u64,
                }));
                continue;
            }
            if step.is_none() {
                // A pause that expects something forwarded checks what the mocks received
                // since the last request was sent, the pause included (a batched log, say).
                if let Some(want) = s.pointer("/expect/forwarded") {
                    let received = mocks.received();
                    let problems = forwarded_problems(want, &received);
                    let pass = problems.is_empty();
                    if pass {
                        passed += 1;
                    } else {
                        failed += 1;
                    }
                    results.push(json!({
                        "name": s.get("name").and_then(Value::as_str).map(str::to_string)
                            .unwrap_or_else(|| format!("step {}", i + 1)),
                        "pass": pass,
                        "request": Value::Null,
                        "expected": s["expect"],
                        "actual": Value::Null,
                        "error": Value::Null,
                        "problems": problems,
                        "ms": began.elapsed().as_millis() as u64,
                        "forwarded": mock::to_json(&received),
                    }));
                }
                continue;
            }
        }
        let Some(step) = step else {
            continue;
        };
        let expect = s.get("expect").cloned().unwrap_or_else(|| json!({}));
        mocks.clear();
        let began = std::time::Instant::now();
        let answer = tokio::time::timeout(STEP_TIMEOUT, send(&step, &expect));
        let moved = async {
            match (advance, test_clock) {
                (Some(by), Some(c)) => {
                    tokio::time::sleep(clock::SETTLE).await;
                    c.advance(by).await
                }
                _ => Ok(()),
            }
        };
        let (outcome, moved) = tokio::join!(answer, moved);
        let mut trace_id = None;
        let (actual, error, mut problems) = match outcome {
            Ok(Ok(mut a)) => {
                if trace {
                    trace_id = a
                        .headers
                        .remove(TRACE_HEADER)
                        .and_then(|v| v.as_str().and_then(outer_trace_id));
                }
                let p = expect::compare(&expect, &a);
                (Some(a), None, p)
            }
            Ok(Err(e)) => (None, Some(e.clone()), vec![e]),
            Err(_) => {
                let e = format!("no complete answer within {}s", STEP_TIMEOUT.as_secs());
                (None, Some(e.clone()), vec![e])
            }
        };
        if let Err(e) = moved {
            problems.push(e);
        }
        let received = mocks.received();
        if let Some(want) = expect.get("forwarded") {
            problems.extend(forwarded_problems(want, &received));
        }
        let pass = problems.is_empty();
        if pass {
            passed += 1;
        } else {
            failed += 1;
        }
        let mut result = json!({
            "name": step.name,
            "pass": pass,
            "request": s.get("request").cloned().unwrap_or(Value::Null),
            "expected": expect,
            "actual": actual.map(|a| if step.raw.is_some() {
                json!({ "body": a.body })
            } else {
                json!({ "status": a.status, "headers": a.headers, "body": a.body })
            }),
            "error": error,
            "problems": problems,
            "ms": began.elapsed().as_millis() as u64,
        });
        if !mocks.is_empty() {
            result["forwarded"] = mock::to_json(&received);
        }
        if let Some(id) = trace_id {
            result["trace"] = json!(id);
        }
        results.push(result);
    }
    mocks.stop().await;
    Ok(json!({ "passed": passed, "failed": failed, "results": results }))
}

/// Every way what the mocks received differs from `want` (`{"mock name": {...}}`).
fn forwarded_problems(
    want: &Value,
    received: &std::collections::BTreeMap<String, Vec<expect::Received>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, w) in want.as_object().into_iter().flatten() {
        match received.get(name) {
            Some(got) => problems.extend(expect::forwarded(name, w, got)),
            None => problems.push(format!("no mock is named {name}")),
        }
    }
    problems
}

/// An entry's `"name"`, or `default()` when it has none.
fn name_or(entry: &Value, default: impl FnOnce() -> String) -> String {
    let name = entry.get("name").and_then(Value::as_str);
    name.map_or_else(default, str::to_string)
}

fn parse_step(s: &Value, i: usize, admin_port: u16) -> Result<Step, String> {
    let name = name_or(s, || format!("step {}", i + 1));
    let r = s
        .get("request")
        .ok_or_else(|| format!("{name}: no \"request\""))?;
    let text = |k: &str, d: &str| r.get(k).and_then(Value::as_str).unwrap_or(d).to_string();
    let port = match r.get("port") {
        Some(Value::String(p)) if p == "admin" => admin_port,
        Some(v) => v
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| format!("{name}: \"port\" must be a port number or \"admin\""))?,
        None => return Err(format!("{name}: the request needs a \"port\"")),
    };
    let headers = match r.get("headers") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                (k.clone(), v)
            })
            .collect(),
        _ => Vec::new(),
    };
    let flag = |k: &str| r.get(k).and_then(Value::as_bool).unwrap_or(false);
    let expect = s.get("expect").cloned().unwrap_or_else(|| json!({}));
    let raw = raw::parse(&name, r, &expect)?;
    Ok(Step {
        raw,
        port,
        method: text("method", "GET").to_ascii_uppercase(),
        path: text("path", "/"),
        headers,
        body: text("body", ""),
        tls: flag("tls"),
        host: text("host", "localhost"),
        http2: flag("http2"),
        name,
    })
}

async fn send(step: &Step, expect: &Value) -> Result<Answer, String> {
    if let Some(raw) = &step.raw {
        // A little under the step's time, so what arrived is still shown if it runs out.
        let within = STEP_TIMEOUT - Duration::from_millis(200);
        let got = raw::exchange(step.port, raw, BODY_LIMIT, within, |got| {
            raw::complete(expect, got)
        })
        .await?;
        // A raw answer is only bytes: no status and no headers (its expect names neither).
        return Ok(Answer {
            status: 0,
            headers: Map::new(),
            body: String::from_utf8_lossy(&got).into_owned(),
        });
    }
    let tcp = TcpStream::connect(("127.0.0.1", step.port))
        .await
        .map_err(|e| format!("cannot connect to port {}: {e}", step.port))?;
    let _ = tcp.set_nodelay(true);
    if !step.tls {
        return exchange(tcp, step).await;
    }
    let alpn = if step.http2 { "h2" } else { "http/1.1" };
    let config = crate::tls::insecure_client_config(&crate::tls::ClientSpec {
        trusted: Vec::new(),
        identity: None,
        alpn: vec![alpn.to_string()],
        versions: Default::default(),
        check_name: false,
    })?;
    let name = rustls::pki_types::ServerName::try_from(step.host.clone())
        .map_err(|_| format!("{} is not a valid TLS server name", step.host))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::clone(&config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS handshake failed: {e}"))?;
    if step.http2 && tls.get_ref().1.alpn_protocol() != Some(b"h2") {
        return Err("the server did not agree to HTTP/2 (ALPN h2) in the TLS handshake".into());
    }
    exchange(tls, step).await
}

async fn exchange<S>(io: S, step: &Step) -> Result<Answer, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let req = request(step)?;
    let res = if step.http2 {
        let (mut tx, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
                .await
                .map_err(|e| format!("HTTP/2 connection failed: {e}"))?;
        tokio::spawn(conn);
        tx.send_request(req).await
    } else {
        let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| format!("HTTP connection failed: {e}"))?;
        tokio::spawn(conn);
        tx.send_request(req).await
    }
    .map_err(|e| format!("no answer: {e}"))?;
    let status = res.status().as_u16();
    let mut headers = Map::new();
    for (k, v) in res.headers() {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        match headers.get_mut(k.as_str()) {
            Some(Value::String(old)) => {
                old.push_str(", ");
                old.push_str(&v);
            }
            _ => {
                headers.insert(k.as_str().to_string(), Value::String(v));
            }
        }
    }
    let body = Limited::new(res.into_body(), BODY_LIMIT)
        .collect()
        .await
        .map_err(|e| format!("the response body did not arrive whole: {e}"))?
        .to_bytes();
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn request(step: &Step) -> Result<Request<Full<Bytes>>, String> {
    let uri = if step.http2 {
        let scheme = if step.tls { "https" } else { "http" };
        format!("{scheme}://{}:{}{}", step.host, step.port, step.path)
    } else {
        step.path.clone()
    };
    let mut b = Request::builder().method(step.method.as_str()).uri(uri);
    let has_host = step
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("host"));
    if !step.http2 && !has_host {
        b = b.header("host", format!("{}:{}", step.host, step.port));
    }
    for (k, v) in &step.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Full::new(Bytes::from(step.body.clone())))
        .map_err(|e| format!("{}: cannot make that request: {e}", step.name))
}

/// The trace id of the program the test spoke to, from its `x-sluice-trace` answer header. A
/// proxy passes the header on, so its upstream (another listener of the program, say a
/// `backend.js`) traces the request too and answers with its own id; the proxy's id is added
/// after it, and repeated headers are joined with `", "`: the last id is the proxy's.
fn outer_trace_id(value: &str) -> Option<u64> {
    value.rsplit(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_need_a_port() {
        let e = parse_step(&json!({"name": "a", "request": {}}), 0, 1).err();
        assert_eq!(e.as_deref(), Some("a: the request needs a \"port\""));
        let s = parse_step(&json!({"request": {"port": "admin"}}), 2, 6060).unwrap();
        assert_eq!(
            (s.name.as_str(), s.port, s.method.as_str()),
            ("step 3", 6060, "GET")
        );
    }

    #[tokio::test]
    async fn a_raw_step_with_a_status_is_refused_before_anything_runs() {
        let spec = json!({"steps": [
            {"name": "ping", "request": {"port": 1, "send": "PING\r\n"}, "expect": {"body": "+PONG\r\n"}},
            {"wait": 10},
            {"name": "burst", "request": {"port": 1, "send": "x"}, "expect": {"status": 200}},
        ]});
        let e = run(&spec, 0).await.unwrap_err();
        assert!(
            e.starts_with("burst: a raw step (\"send\") gets bytes back"),
            "{e}"
        );
        let s = parse_step(&spec["steps"][0], 0, 0).unwrap();
        assert_eq!(s.raw.map(|r| r.send), Some(b"PING\r\n".to_vec()));
    }

    #[test]
    fn the_trace_id_is_the_outer_one_behind_a_proxy() {
        assert_eq!(outer_trace_id("7"), Some(7));
        // The backend's id, then the proxy's.
        assert_eq!(outer_trace_id("8, 7"), Some(7));
        assert_eq!(outer_trace_id("x"), None);
    }
}
