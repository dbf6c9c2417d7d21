//! Message syntax rules of RFC 9112 and RFC 9110 that httparse leaves to its caller: line
//! endings, the Host header, and the form of a request target. Each check names the rule it
//! enforces; `docs/http1-conformance.md` lists them with their tests.

use super::decoder::{DecodeError, Head};

/// A `tchar` of RFC 9110 §5.6.2 (the characters of a token).
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// True if a field value holds no CR, LF or NUL (RFC 9110 §5.5) and no other control
/// character than HTAB.
pub fn is_ctl_free_value(v: &[u8]) -> bool {
    v.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// Every line of a head ends in CRLF: a bare LF (which RFC 9112 §2.2 lets a recipient accept)
/// is refused, as is a bare CR (which it must refuse or replace).
pub fn line_endings(head: &[u8]) -> Result<(), DecodeError> {
    // Each LF must follow a CR, and there must be no other CR: a vector search for each byte
    // rather than a look at every byte (a head is checked for every message).
    let mut lines = 0;
    for i in memchr::memchr_iter(b'\n', head) {
        if i == 0 || head[i - 1] != b'\r' {
            return Err(bare());
        }
        lines += 1;
    }
    if memchr::memchr_iter(b'\r', head).count() != lines {
        return Err(bare());
    }
    Ok(())
}

fn bare() -> DecodeError {
    DecodeError::Malformed("a line ends without CRLF (bare CR or LF)".into())
}

/// The rules a server applies to a request head before it looks at the body.
pub fn request_head(head: &Head) -> Result<(), DecodeError> {
    host(head)?;
    target(head)
}

/// RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host; no request has two; its value is
/// `uri-host [ ":" port ]`.
fn host(head: &Head) -> Result<(), DecodeError> {
    let mut hosts = head.headers.iter().filter(|h| h.is("host"));
    let first = hosts.next();
    if hosts.next().is_some() {
        return Err(DecodeError::Malformed("more than one Host header".into()));
    }
    // An HTTP/1.1 request without Host is taken, as Pipy takes it (RFC 9112 §3.2 asks for a
    // 400): Pipy's own test harnesses send such requests, and a missing Host opens no
    // ambiguity a proxy could be tricked by. Two Hosts or a malformed one stay refused.
    match first {
        Some(h) if !h.value().bytes().all(is_host_char) => {
            Err(DecodeError::Malformed("invalid Host header".into()))
        }
        _ => Ok(()),
    }
}

/// Characters of `uri-host [ ":" port ]` (RFC 3986: reg-name, IP literals, percent-encoding).
fn is_host_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%:[]".contains(&b)
}

/// RFC 9112 §3.2: the request target is in origin form (`/path`), absolute form
/// (`scheme:...`), authority form (`host:port`, for CONNECT only) or asterisk form (`*`, for
/// OPTIONS only).
fn target(head: &Head) -> Result<(), DecodeError> {
    let t = head.path.as_bytes();
    let ok = match head.method.as_str() {
        "CONNECT" => is_authority(t),
        "OPTIONS" if t == b"*" => true,
        _ => t.first() == Some(&b'/') || is_absolute(t),
    };
    if ok {
        Ok(())
    } else {
        Err(DecodeError::Malformed(format!(
            "request target not allowed for {}",
            head.method
        )))
    }
}

/// `scheme ":" ...` where scheme is `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_absolute(t: &[u8]) -> bool {
    let scheme = t
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
        .count();
    scheme > 0 && t[0].is_ascii_alphabetic() && t.get(scheme) == Some(&b':')
}

/// `uri-host ":" port` with a non-empty host and a decimal port.
fn is_authority(t: &[u8]) -> bool {
    let Some(colon) = t.iter().rposition(|&b| b == b':') else {
        return false;
    };
    let (host, port) = (&t[..colon], &t[colon + 1..]);
    !host.is_empty()
        && host.iter().all(|&b| is_host_char(b))
        && !port.is_empty()
        && port.len() <= 5
        && port.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::header::Header;

    fn req(method: &str, path: &str, protocol: &'static str, headers: &[(&str, &str)]) -> Head {
        Head {
            method: method.into(),
            path: path.into(),
            protocol,
            headers: headers.iter().map(|(n, v)| Header::new(n, v)).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn host_rules() {
        let ok = |h: &Head| request_head(h).is_ok();
        assert!(ok(&req(
            "GET",
            "/",
            "HTTP/1.1",
            &[("Host", "a.example:80")]
        )));
        assert!(ok(&req("GET", "/", "HTTP/1.1", &[("host", "[::1]:8080")])));
        assert!(ok(&req("GET", "/", "HTTP/1.1", &[("Host", "")])));
        assert!(ok(&req("GET", "/", "HTTP/1.0", &[])));
        // Pipy takes an HTTP/1.1 request without Host, and so does Sluice.
        assert!(ok(&req("GET", "/", "HTTP/1.1", &[])));
        assert!(!ok(&req(
            "GET",
            "/",
            "HTTP/1.0",
            &[("Host", "a"), ("HOST", "a")]
        )));
        assert!(!ok(&req("GET", "/", "HTTP/1.1", &[("Host", "a b")])));
        assert!(!ok(&req("GET", "/", "HTTP/1.1", &[("Host", "a/b")])));
        assert!(!ok(&req("GET", "/", "HTTP/1.1", &[("Host", "a@b")])));
    }

    #[test]
    fn target_forms_follow_the_method() {
        let ok = |m: &str, t: &str| request_head(&req(m, t, "HTTP/1.1", &[("Host", "a")])).is_ok();
        assert!(ok("GET", "/x?y"));
        assert!(ok("GET", "http://a/x"));
        assert!(ok("CONNECT", "a.example:443"));
        assert!(ok("CONNECT", "[::1]:443"));
        assert!(ok("OPTIONS", "*"));
        assert!(ok("OPTIONS", "/"));
        assert!(!ok("GET", "*"));
        assert!(!ok("GET", "x"));
        assert!(!ok("CONNECT", "/"));
        assert!(!ok("CONNECT", "a.example"));
        assert!(!ok("CONNECT", "a.example:x"));
    }

    #[test]
    fn lines_end_in_crlf() {
        assert!(line_endings(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").is_ok());
        assert!(line_endings(b"GET / HTTP/1.1\nHost: a\r\n\r\n").is_err());
        assert!(line_endings(b"GET / HTTP/1.1\r\nHost: a\r\n\n").is_err());
        assert!(line_endings(b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n").is_err());
        assert!(line_endings(b"\nGET / HTTP/1.1\r\n\r\n").is_err());
        assert!(line_endings(b"GET / HTTP/1.1\r\nX: a\r\r\n\r\n").is_err());
        assert!(line_endings(b"GET / HTTP/1.1\r\n\r\n\r").is_err());
    }
}
