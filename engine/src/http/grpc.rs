//! What the HTTP filters know about gRPC (over HTTP/2, content type `application/grpc*`): a
//! failed call is answered the gRPC way, a trailers-only response (HTTP 200 with
//! `grpc-status` and `grpc-message` in its head) rather than an HTTP error page, and a call's
//! `grpc-timeout` is read as its deadline.

use std::time::Duration;

use super::decoder::Head;
use super::header::Header;
use crate::event::{ErrorCode, StreamEnd, StreamError};

/// gRPC status codes the engine answers with itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 1: the call was cancelled.
    Cancelled = 1,
    /// 4: the call's deadline passed.
    DeadlineExceeded = 4,
    /// 13: an error inside the proxy (a script error, a broken response).
    Internal = 13,
    /// 14: the upstream could not be reached.
    Unavailable = 14,
    /// 16: the proxy refused the call's credentials.
    Unauthenticated = 16,
}

impl Status {
    /// The status for a call whose stream ended this way before any response.
    pub fn for_end(se: &StreamEnd) -> (Status, String) {
        match &se.error {
            None => (Status::Internal, "no response".into()),
            Some(StreamError::Runtime(_)) => (Status::Internal, "script error".into()),
            Some(StreamError::Code(c)) => Status::for_code(*c),
        }
    }

    /// The status for an error code of a stream end.
    pub fn for_code(code: ErrorCode) -> (Status, String) {
        use ErrorCode::*;
        let status = match code {
            CannotResolve | ConnectionRefused | ConnectionReset | ConnectionAborted | ReadError
            | WriteError => Status::Unavailable,
            ConnectionTimeout | ReadTimeout | WriteTimeout | IdleTimeout => {
                Status::DeadlineExceeded
            }
            Unauthorized => Status::Unauthenticated,
            Replay | RuntimeError | BufferOverflow | ProtocolError => Status::Internal,
        };
        (status, format!("upstream: {}", code.name()))
    }
}

/// True when a request with these headers is a gRPC call.
pub fn is_grpc<'a>(mut headers: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    headers.any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type")
            && v.len() >= 16
            && v[..16].eq_ignore_ascii_case("application/grpc")
    })
}

/// True when a request head (decoded, or a script's object) is a gRPC call.
pub fn is_grpc_request(head: Option<&crate::script::JsValue>) -> bool {
    let Some(h) = head else { return false };
    if let Some(l) = h.pending::<super::head::LazyHead>() {
        if let Some(lh) = l.as_any().downcast_ref::<super::head::LazyHead>() {
            return is_grpc(lh.head.headers.iter().map(|f| (f.name(), f.value())));
        }
    }
    crate::script::js(|ctx| {
        content_type(&h.get(ctx))
            .is_some_and(|ct| is_grpc([("content-type", ct.as_str())].into_iter()))
    })
}

/// The `content-type` header of a script's message head, as given.
pub fn content_type(head: &rquickjs::Value<'_>) -> Option<String> {
    head.as_object()
        .and_then(|o| {
            o.get::<_, Option<rquickjs::Object>>("headers")
                .ok()
                .flatten()
        })
        .and_then(|hs| hs.get::<_, Option<String>>("content-type").ok().flatten())
}

/// The head of a trailers-only response: HTTP 200 whose head carries the call's status.
pub fn trailers_only(status: Status, message: &str) -> Head {
    Head {
        status: 200,
        protocol: "HTTP/2",
        headers: vec![
            Header::new("content-type", "application/grpc"),
            Header::new("grpc-status", &(status as u32).to_string()),
            Header::new("grpc-message", &percent_encode(message)),
        ],
        ..Default::default()
    }
}

/// The trailers that end a response whose call failed after its head went out.
pub fn status_trailers(status: Status, message: &str) -> Vec<Header> {
    vec![
        Header::new("grpc-status", &(status as u32).to_string()),
        Header::new("grpc-message", &percent_encode(message)),
    ]
}

/// A `grpc-message` value: printable ASCII but `%` as is, the rest percent-encoded.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The deadline a `grpc-timeout` value gives (up to 8 digits and a unit: H M S m u n).
pub fn parse_timeout(v: &str) -> Option<Duration> {
    let v = v.trim();
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The `grpc-timeout` of a request with these headers, if it is a gRPC call with one.
pub fn deadline_of<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> Option<Duration> {
    let (mut grpc, mut timeout) = (false, None);
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("grpc-timeout") {
            timeout = parse_timeout(v);
        } else if is_grpc(std::iter::once((k, v))) {
            grpc = true;
        }
    }
    timeout.filter(|_| grpc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_and_content_types() {
        assert_eq!(parse_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_timeout("123456789S"), None);
        assert_eq!(parse_timeout("5x"), None);
        let h = [
            ("Content-Type", "application/grpc+proto"),
            ("grpc-timeout", "1M"),
        ];
        assert!(is_grpc(h.iter().copied()));
        assert_eq!(
            deadline_of(h.iter().copied()),
            Some(Duration::from_secs(60))
        );
        assert!(!is_grpc([("content-type", "application/json")].into_iter()));
        let head = trailers_only(Status::Unavailable, "no 100%");
        assert_eq!(head.header("grpc-status"), Some("14"));
        assert_eq!(head.header("grpc-message"), Some("no 100%25"));
    }
}
