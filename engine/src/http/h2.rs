//! What the HTTP/2 filters share: running hyper's connection tasks on the worker thread, a
//! message body fed by pipeline events, and turning heads into hyper's and back.

use std::future::Future;

use super::decoder::Head;
use super::encoder::OutHead;
use super::header::Header;

/// The first bytes an HTTP/2 client sends (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Runs hyper's background tasks (streams, the connection) on the worker's local task set:
/// they touch the worker's pipelines and script values, which never leave its thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalExec;

impl<F> hyper::rt::Executor<F> for LocalExec
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }
}

pub use super::body::{BodyError, BodySender, EventBody};

/// The error that resets a stream whose body broke off: `CANCEL` when the other side went
/// away (so a gRPC peer reads CANCELLED), `INTERNAL_ERROR` otherwise.
pub fn reset_error(code: crate::event::ErrorCode) -> BodyError {
    let reason = match code {
        crate::event::ErrorCode::ConnectionReset => ::h2::Reason::CANCEL,
        _ => ::h2::Reason::INTERNAL_ERROR,
    };
    Box::new(::h2::Error::from(reason))
}

/// The code a stream end reports for a body that broke off with `err`: a peer's reset with
/// `CANCEL` reads as `ConnectionReset`, anything else as `ConnectionAborted`.
pub fn code_of_body_error(err: &(dyn std::error::Error + 'static)) -> crate::event::ErrorCode {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(h2e) = e.downcast_ref::<::h2::Error>() {
            if h2e.reason() == Some(::h2::Reason::CANCEL) {
                return crate::event::ErrorCode::ConnectionReset;
            }
            return crate::event::ErrorCode::ConnectionAborted;
        }
        cause = e.source();
    }
    crate::event::ErrorCode::ConnectionReset
}

/// Headers that belong to one HTTP/1 connection and must not go on an HTTP/2 stream
/// (RFC 9113 §8.2.2).
fn connection_specific(name: &str) -> bool {
    matches!(
        name,
        "connection" | "keep-alive" | "proxy-connection" | "transfer-encoding" | "upgrade" | "host"
    )
}

fn headers_of(map: &http::HeaderMap) -> Vec<Header> {
    map.iter()
        .map(|(k, v)| Header::new(k.as_str(), &String::from_utf8_lossy(v.as_bytes())))
        .collect()
}

/// The head of a request that came in over HTTP/2, as the HTTP/1 decoder would give it: the
/// `:authority` becomes the `host` header.
pub fn request_head(parts: &http::request::Parts) -> Head {
    let mut headers = headers_of(&parts.headers);
    if !headers.iter().any(|h| h.is("host")) {
        if let Some(a) = parts.uri.authority() {
            headers.insert(0, Header::new("host", a.as_str()));
        }
    }
    // A CONNECT names its target in `:authority`; scripts read it as the path, as with
    // HTTP/1's authority-form `CONNECT host:port`.
    let path = match (&parts.method, parts.uri.authority()) {
        (&http::Method::CONNECT, Some(a)) => a.as_str().to_string(),
        _ => parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
    };
    Head {
        method: parts.method.as_str().to_string(),
        path,
        status: 0,
        reason: String::new(),
        protocol: "HTTP/2",
        headers,
    }
}

/// The head of a response that came back over HTTP/2.
pub fn response_head(parts: &http::response::Parts) -> Head {
    Head {
        method: String::new(),
        path: String::new(),
        status: parts.status.as_u16(),
        reason: String::new(),
        protocol: "HTTP/2",
        headers: headers_of(&parts.headers),
    }
}

fn copy_headers(oh: &OutHead, map: &mut http::HeaderMap) {
    for (k, v) in oh.header_pairs() {
        let lower = k.to_ascii_lowercase();
        if connection_specific(&lower) || lower == "te" && !v.eq_ignore_ascii_case("trailers") {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::from_bytes(lower.as_bytes()),
            http::header::HeaderValue::from_str(v),
        ) {
            map.append(n, v);
        }
    }
    if let Some(n) = oh.content_length {
        if !oh.no_length && (!oh.bodiless || oh.keep_length) {
            map.insert(http::header::CONTENT_LENGTH, n.into());
        }
    }
}

/// The status of an encoded response head (`HTTP/1.1 200 OK`).
pub fn status_of(oh: &OutHead) -> u16 {
    oh.start_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

/// A response for hyper from a response head made for HTTP/1.
pub fn to_response<B>(oh: &OutHead, body: B) -> http::Response<B> {
    let mut res = http::Response::new(body);
    *res.status_mut() = http::StatusCode::from_u16(status_of(oh)).unwrap_or(http::StatusCode::OK);
    copy_headers(oh, res.headers_mut());
    res
}

/// A response for hyper from a decoded head (one the engine made itself).
pub fn head_response<B>(head: &Head, body: B) -> http::Response<B> {
    let mut res = http::Response::new(body);
    *res.status_mut() = http::StatusCode::from_u16(head.status).unwrap_or(http::StatusCode::OK);
    for h in &head.headers {
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::from_bytes(h.lower_name().as_bytes()),
            http::header::HeaderValue::from_str(h.value()),
        ) {
            res.headers_mut().append(n, v);
        }
    }
    res
}

/// A request for hyper from a request head made for HTTP/1; `host` becomes the authority.
pub fn to_request<B>(oh: &OutHead, scheme: &str, body: B) -> Result<http::Request<B>, String> {
    let mut words = oh.start_line.split(' ');
    let method = words.next().unwrap_or("GET");
    let path = words.next().unwrap_or("/");
    let host = oh
        .header_pairs()
        .find(|(k, _)| k.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v)
        .unwrap_or("localhost");
    // CONNECT sends its target as `:authority` alone (RFC 9113 §8.5).
    let uri = if super::h2_tunnel::is_connect(method) {
        path.to_string()
    } else {
        format!("{scheme}://{host}{path}")
    };
    let mut req = http::Request::new(body);
    *req.method_mut() = http::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("invalid request method {method}"))?;
    *req.uri_mut() = uri
        .parse()
        .map_err(|_| format!("invalid request target {path} for host {host}"))?;
    copy_headers(oh, req.headers_mut());
    Ok(req)
}
