//! Raw steps: a check that speaks plain TCP instead of HTTP, for programs that serve another
//! protocol (Redis, MQTT, a line protocol...).
//!
//! `"request": {"port": 8000, "send": "*1\r\n$4\r\nPING\r\n"}` connects to `127.0.0.1:port`,
//! writes the bytes of `send` (UTF-8; `"sendBase64"` gives any bytes), then reads until the
//! peer closes, until the expected body is complete (an exact `body` has arrived in full, or every
//! `bodyContains` part is there), or until nothing has been sent or received for `quietMs`
//! (default 300). The bytes read are the answer's body; a raw answer has no status and no
//! headers, so a raw step's `expect` may not name them.

use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a raw step waits with nothing sent or received before it takes what it has.
const DEFAULT_QUIET: Duration = Duration::from_millis(300);

/// The request fields that only an HTTP step has.
const HTTP_FIELDS: [&str; 7] = ["method", "path", "headers", "body", "tls", "host", "http2"];

/// What a raw step sends, and how long a silence ends its answer.
#[derive(Debug, PartialEq)]
pub struct RawRequest {
    /// The bytes written once connected.
    pub send: Vec<u8>,
    /// The silence after the last byte sent or received that ends the answer.
    pub quiet: Duration,
}

/// The raw request of step `name`, if its request `r` is one (it has `send` or `sendBase64`);
/// `expect` is checked for fields a raw answer cannot have.
pub fn parse(name: &str, r: &Value, expect: &Value) -> Result<Option<RawRequest>, String> {
    let send = match (r.get("send"), r.get("sendBase64")) {
        (None, None) => {
            if r.get("quietMs").is_some() {
                return Err(format!(
                    "{name}: \"quietMs\" is for raw steps, which need \"send\" or \"sendBase64\""
                ));
            }
            return Ok(None);
        }
        (Some(_), Some(_)) => {
            return Err(format!("{name}: give \"send\" or \"sendBase64\", not both"))
        }
        (Some(Value::String(s)), None) => s.as_bytes().to_vec(),
        (Some(_), None) => return Err(format!("{name}: \"send\" must be a string")),
        (None, Some(Value::String(b))) => base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .map_err(|e| format!("{name}: \"sendBase64\" is not valid base64: {e}"))?,
        (None, Some(_)) => return Err(format!("{name}: \"sendBase64\" must be a string")),
    };
    if let Some(f) = HTTP_FIELDS.iter().find(|f| r.get(**f).is_some()) {
        return Err(format!(
            "{name}: a raw step (\"send\") is plain TCP, so its request cannot have \"{f}\""
        ));
    }
    for f in ["status", "headers"] {
        if expect.get(f).is_some() {
            return Err(format!(
                "{name}: a raw step (\"send\") gets bytes back, with no status or headers: expect only \"body\" or \"bodyContains\", not \"{f}\""
            ));
        }
    }
    let quiet = match r.get("quietMs") {
        None => DEFAULT_QUIET,
        Some(v) => v
            .as_u64()
            .map(Duration::from_millis)
            .ok_or_else(|| format!("{name}: \"quietMs\" must be a number of milliseconds"))?,
    };
    Ok(Some(RawRequest { send, quiet }))
}

/// Whether `got` already holds all that `expect` asks of the body, so reading can stop early:
/// an exact `body` string at least as long as expected, or every `bodyContains` part present.
/// Nothing to wait for (no body expected, or a regex) means read until close or silence.
pub fn complete(expect: &Value, got: &[u8]) -> bool {
    if let Some(Value::String(b)) = expect.get("body") {
        return got.len() >= b.len();
    }
    if expect.get("body").is_some() {
        return false;
    }
    let text = String::from_utf8_lossy(got);
    match expect.get("bodyContains") {
        Some(Value::String(s)) => text.contains(s.as_str()),
        Some(Value::Array(parts)) if !parts.is_empty() => parts
            .iter()
            .all(|p| p.as_str().is_some_and(|p| text.contains(p))),
        _ => false,
    }
}

/// Connects to `127.0.0.1:port`, writes the request's bytes and reads the answer (at most
/// `limit` bytes): until the peer closes, `done` says it is whole, a silence of `quiet`, or
/// `within` has passed since the call (what arrived by then is the answer).
pub async fn exchange(
    port: u16,
    req: &RawRequest,
    limit: usize,
    within: Duration,
    done: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, String> {
    let deadline = tokio::time::Instant::now() + within;
    let connecting = TcpStream::connect(("127.0.0.1", port));
    let mut tcp = tokio::time::timeout(within, connecting)
        .await
        .map_err(|_| format!("cannot connect to port {port} within {within:?}"))?
        .map_err(|e| format!("cannot connect to port {port}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    tcp.write_all(&req.send)
        .await
        .map_err(|e| format!("cannot send to port {port}: {e}"))?;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while got.len() < limit && !done(&got) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(req.quiet.min(left), tcp.read(&mut buf)).await {
            Err(_) | Ok(Ok(0)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n.min(limit - got.len())]),
            // A reset after some bytes still leaves an answer to compare.
            Ok(Err(_)) if !got.is_empty() => break,
            Ok(Err(e)) => return Err(format!("the connection to port {port} failed: {e}")),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn send_and_send_base64_make_raw_requests() {
        let r = parse(
            "a",
            &json!({"port": 1, "send": "*1\r\n$4\r\nPING\r\n"}),
            &json!({}),
        );
        assert_eq!(
            r,
            Ok(Some(RawRequest {
                send: b"*1\r\n$4\r\nPING\r\n".to_vec(),
                quiet: DEFAULT_QUIET
            }))
        );
        let r = parse(
            "a",
            &json!({"port": 1, "sendBase64": "EAwABE1RVFQEAgA8AAA=", "quietMs": 50}),
            &json!({"bodyContains": " "}),
        );
        assert_eq!(
            r,
            Ok(Some(RawRequest {
                send: vec![16, 12, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 0],
                quiet: Duration::from_millis(50)
            }))
        );
        assert_eq!(
            parse("a", &json!({"port": 1, "path": "/"}), &json!({})),
            Ok(None)
        );
    }

    #[test]
    fn raw_steps_refuse_what_they_cannot_have() {
        let fail = |r: Value, e: Value| parse("burst", &r, &e).unwrap_err();
        assert_eq!(
            fail(json!({"send": "x"}), json!({"status": 200})),
            "burst: a raw step (\"send\") gets bytes back, with no status or headers: expect only \"body\" or \"bodyContains\", not \"status\""
        );
        assert!(fail(json!({"send": "x"}), json!({"headers": {}})).ends_with("not \"headers\""));
        assert_eq!(
            fail(json!({"send": "x", "method": "GET"}), json!({})),
            "burst: a raw step (\"send\") is plain TCP, so its request cannot have \"method\""
        );
        assert_eq!(
            fail(json!({"send": "x", "sendBase64": "eA=="}), json!({})),
            "burst: give \"send\" or \"sendBase64\", not both"
        );
        assert_eq!(
            fail(json!({"send": 1}), json!({})),
            "burst: \"send\" must be a string"
        );
        assert!(fail(json!({"sendBase64": "%%"}), json!({}))
            .starts_with("burst: \"sendBase64\" is not valid base64"));
        assert_eq!(
            fail(json!({"send": "x", "quietMs": "soon"}), json!({})),
            "burst: \"quietMs\" must be a number of milliseconds"
        );
        assert_eq!(
            fail(json!({"path": "/", "quietMs": 5}), json!({})),
            "burst: \"quietMs\" is for raw steps, which need \"send\" or \"sendBase64\""
        );
    }

    #[test]
    fn an_answer_is_complete_once_the_expected_body_is_there() {
        let exact = json!({"body": "+PONG\r\n"});
        assert!(!complete(&exact, b"+PO"));
        assert!(complete(&exact, b"+PONG\r\n"));
        let parts = json!({"bodyContains": ["+OK", "$1\r\nv"]});
        assert!(!complete(&parts, b"+OK\r\n"));
        assert!(complete(&parts, b"+OK\r\n$1\r\nv\r\n"));
        assert!(complete(&json!({"bodyContains": "ERR"}), b"-ERR x\r\n"));
        assert!(!complete(&json!({"body": {"regex": "."}}), b"anything"));
        assert!(!complete(&json!({}), b"anything"));
    }

    #[tokio::test]
    async fn exchange_reads_until_complete_quiet_or_closed() {
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = server.local_addr().unwrap().port();
        // The server echoes what it reads, twice (the second copy 100 ms later), then closes.
        tokio::spawn(async move {
            while let Ok((mut s, _)) = server.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    let _ = s.write_all(&buf[..n]).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let _ = s.write_all(&buf[..n]).await;
                });
            }
        });
        let req = |quiet| RawRequest {
            send: b"ab\r\n".to_vec(),
            quiet: Duration::from_millis(quiet),
        };
        let closed = exchange(port, &req(1000), 1 << 20, Duration::from_secs(5), |_| false).await;
        assert_eq!(closed.as_deref(), Ok(&b"ab\r\nab\r\n"[..]));
        let quiet = exchange(port, &req(30), 1 << 20, Duration::from_secs(5), |_| false).await;
        assert_eq!(quiet.as_deref(), Ok(&b"ab\r\n"[..]));
        let done = exchange(port, &req(1000), 1 << 20, Duration::from_secs(5), |g| {
            g.len() >= 4
        })
        .await;
        assert_eq!(done.as_deref(), Ok(&b"ab\r\n"[..]));
        let limited = exchange(port, &req(1000), 3, Duration::from_secs(5), |_| false).await;
        assert_eq!(limited.as_deref(), Ok(&b"ab\r"[..]));
        let cut = exchange(port, &req(1000), 1 << 20, Duration::from_millis(50), |_| {
            false
        })
        .await;
        assert_eq!(cut.as_deref(), Ok(&b"ab\r\n"[..]));
    }
}
