//! A request's header fields checked as HTTP/2 requires (RFC 9113 §8.2-8.3): lower-case
//! names, pseudo-header fields first and each once, no connection-specific fields, and the
//! pseudo-header fields a method needs.

use bytes::Bytes;

use super::hpack::Field;

/// A request head, as the client sent it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestHead {
    /// `:method`.
    pub method: Bytes,
    /// `:scheme` (absent for CONNECT).
    pub scheme: Bytes,
    /// `:authority` (may be absent; then `host` may say it).
    pub authority: Bytes,
    /// `:path` (absent for CONNECT).
    pub path: Bytes,
    /// `:protocol` of an extended CONNECT (RFC 8441), such as `websocket`.
    pub protocol: Bytes,
    /// The other fields, in order (cookies still in pieces, as sent).
    pub headers: Vec<(Bytes, Bytes)>,
}

/// Why a header block is not a valid request (a stream error, PROTOCOL_ERROR).
pub type Malformed = &'static str;

/// Fields that belong to one HTTP/1 connection and must not appear in HTTP/2 (§8.2.2).
fn connection_specific(name: &[u8]) -> bool {
    matches!(
        name,
        b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade"
    )
}

/// A `tchar` of RFC 9110 §5.6.2: what a token (a method, a field name) is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Checks the fields of a request's header block and sorts them into a [`RequestHead`].
pub fn request_head(fields: Vec<Field>) -> Result<RequestHead, Malformed> {
    let mut head = RequestHead::default();
    let mut seen = [false; 5];
    let mut regular = false;
    for f in fields {
        if f.name.iter().any(u8::is_ascii_uppercase) {
            return Err("upper-case header name");
        }
        // §8.2.1: a value never holds NUL, CR or LF (pseudo-header fields included: they
        // become an HTTP/1 start line upstream, where a line break would start another).
        if f.value.iter().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
            return Err("header value with a NUL or a line break");
        }
        if let Some(pseudo) = f.name.strip_prefix(b":") {
            if regular {
                return Err("pseudo-header field after a regular one");
            }
            let (slot, i) = match pseudo {
                b"method" => (&mut head.method, 0),
                b"scheme" => (&mut head.scheme, 1),
                b"authority" => (&mut head.authority, 2),
                b"path" => (&mut head.path, 3),
                b"protocol" => (&mut head.protocol, 4),
                _ => return Err("unknown pseudo-header field"),
            };
            if seen[i] {
                return Err("pseudo-header field given twice");
            }
            seen[i] = true;
            // The method and path are one token each on an HTTP/1 start line.
            if i == 0 && (f.value.is_empty() || !f.value.iter().all(|&b| is_tchar(b))) {
                return Err(":method is not a token");
            }
            if i == 3 && f.value.iter().any(|&b| b <= b' ' || b == 0x7f) {
                return Err(":path with white space or a control character");
            }
            *slot = f.value;
            continue;
        }
        regular = true;
        // §8.2.1 and RFC 9110 §5.1: a field name is a token (lower case here).
        if f.name.is_empty() || !f.name.iter().all(|&b| is_tchar(b)) {
            return Err("header name that is not a token");
        }
        if connection_specific(&f.name) {
            return Err("connection-specific header field");
        }
        if &f.name[..] == b"te" && &f.value[..] != b"trailers" {
            return Err("te other than trailers");
        }
        if f.value.first().is_some_and(|b| *b == b' ' || *b == b'\t')
            || f.value.last().is_some_and(|b| *b == b' ' || *b == b'\t')
            || f.value.iter().any(|b| matches!(b, 0 | b'\r' | b'\n'))
        {
            return Err("header value with surrounding white space or a line break");
        }
        head.headers.push((f.name, f.value));
    }
    if !seen[0] {
        return Err("no :method");
    }
    let connect = &head.method[..] == b"CONNECT";
    if connect && !seen[4] {
        if seen[1] || seen[3] {
            return Err("CONNECT with :scheme or :path");
        }
        if !seen[2] {
            return Err("CONNECT without :authority");
        }
    } else {
        if !seen[1] || !seen[3] || head.path.is_empty() {
            return Err("no :scheme or :path");
        }
        if seen[4] && !connect {
            return Err(":protocol on a method other than CONNECT");
        }
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &[(&str, &str)]) -> Vec<Field> {
        v.iter()
            .map(|(n, v)| Field {
                name: Bytes::copy_from_slice(n.as_bytes()),
                value: Bytes::copy_from_slice(v.as_bytes()),
                sensitive: false,
            })
            .collect()
    }

    #[test]
    fn a_request_is_sorted_into_its_head() {
        let h = request_head(fields(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "example.com"),
            (":path", "/a?b"),
            ("accept", "*/*"),
            ("te", "trailers"),
        ]))
        .unwrap();
        assert_eq!(h.method, "GET");
        assert_eq!(h.path, "/a?b");
        assert_eq!(h.authority, "example.com");
        assert_eq!(h.headers.len(), 2);
        let connect = request_head(fields(&[(":method", "CONNECT"), (":authority", "h:443")]));
        assert!(connect.is_ok());
    }

    /// How a malformed case changes the base request.
    enum Change {
        Add(Option<usize>),
        Set(usize),
    }

    const NUL_OR_BREAK: &str = "header value with a NUL or a line break";

    #[test]
    fn malformed_requests_are_refused() {
        let bad = |v: &[(&str, &str)]| request_head(fields(v)).unwrap_err();
        let base = [(":method", "GET"), (":scheme", "http"), (":path", "/")];
        assert_eq!(bad(&[(":path", "/"), (":scheme", "http")]), "no :method");
        assert_eq!(
            bad(&[(":method", "GET"), (":path", "/")]),
            "no :scheme or :path"
        );
        // The base request with one field added (at `Some(i)` or the end) or replaced.
        let cases: [(Change, (&str, &str), &str); 11] = [
            (Change::Add(None), ("Accept", "x"), "upper-case header name"),
            (
                Change::Add(Some(1)),
                ("accept", "x"),
                "pseudo-header field after a regular one",
            ),
            (
                Change::Add(None),
                (":path", "/again"),
                "pseudo-header field given twice",
            ),
            (
                Change::Add(None),
                ("connection", "keep-alive"),
                "connection-specific header field",
            ),
            (Change::Add(None), ("te", "gzip"), "te other than trailers"),
            (
                Change::Add(None),
                (":status", "200"),
                "unknown pseudo-header field",
            ),
            // Request smuggling through the start line or headers of an HTTP/1 upstream.
            (
                Change::Set(2),
                (":path", "/ HTTP/1.1\r\nhost: a\r\n\r\nGET /admin"),
                NUL_OR_BREAK,
            ),
            (
                Change::Set(2),
                (":path", "/a b"),
                ":path with white space or a control character",
            ),
            (
                Change::Set(0),
                (":method", "GET /x"),
                ":method is not a token",
            ),
            (
                Change::Add(None),
                ("x\r\ntransfer-encoding", "chunked"),
                "header name that is not a token",
            ),
            (Change::Add(None), ("x-a", "b\r\nx-b: c"), NUL_OR_BREAK),
        ];
        for (change, field, why) in cases {
            let mut v = base.to_vec();
            match change {
                Change::Add(at) => v.insert(at.unwrap_or(v.len()), field),
                Change::Set(at) => v[at] = field,
            }
            assert_eq!(bad(&v), why, "{v:?}");
        }
        assert_eq!(
            bad(&[
                (":method", "CONNECT"),
                (":authority", "h:1"),
                (":path", "/")
            ]),
            "CONNECT with :scheme or :path"
        );
    }
}
