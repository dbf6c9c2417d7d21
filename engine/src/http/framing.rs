//! How long a message body is (RFC 9112 §6): from Transfer-Encoding, Content-Length, the
//! request a response answers, or the close of the connection. A head whose framing could be
//! read two ways is an error, never a guess: a server answers it with 400, a proxy reading a
//! response answers its client with 502.

use super::decoder::{DecodeError, Head, RequestInfo};
use super::Role;

/// Where a message body ends.
#[derive(Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// A body of this many bytes.
    Length(u64),
    /// A chunked body.
    Chunked,
    /// A body that ends when the connection closes (responses only).
    UntilClose,
    /// No body; the connection becomes a tunnel after the head.
    Tunnel,
}

/// The framing of `head`, decoded in `role`; `info` describes the request a response answers.
pub fn framing(role: Role, head: &Head, info: RequestInfo) -> Result<Framing, DecodeError> {
    if role == Role::Response {
        if (100..200).contains(&head.status) {
            return Ok(if head.status == 101 && info.upgrade {
                Framing::Tunnel
            } else {
                Framing::None
            });
        }
        if info.connect && (200..300).contains(&head.status) {
            return Ok(Framing::Tunnel);
        }
        if info.head || head.status == 204 || head.status == 304 {
            return Ok(Framing::None);
        }
    }
    let mut te = head
        .headers
        .iter()
        .filter(|h| h.is("transfer-encoding"))
        .peekable();
    let mut cl = head
        .headers
        .iter()
        .filter(|h| h.is("content-length"))
        .peekable();
    if te.peek().is_some() {
        if cl.peek().is_some() {
            return Err(bad("both Content-Length and Transfer-Encoding"));
        }
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
        if head.protocol == "HTTP/1.0" {
            return Err(bad("Transfer-Encoding in an HTTP/1.0 message"));
        }
        let codings: Vec<String> = te
            .flat_map(|h| h.value().split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        if codings.iter().any(String::is_empty) {
            return Err(bad("empty transfer coding"));
        }
        let chunked = codings.iter().filter(|c| *c == "chunked").count();
        if chunked > 1 {
            return Err(bad("chunked applied more than once"));
        }
        if codings.last().map(String::as_str) != Some("chunked") {
            // §6.3: a request must end with chunked; a response then runs until close.
            return match role {
                Role::Request => Err(bad("Transfer-Encoding must end with chunked")),
                Role::Response => Ok(Framing::UntilClose),
            };
        }
        if codings.len() > 1 {
            return Err(DecodeError::NotImplemented(format!(
                "unsupported transfer coding: {}",
                codings.join(", ")
            )));
        }
        return Ok(Framing::Chunked);
    }
    if let Some(first) = cl.next() {
        // §6.3 lets a recipient accept repeated identical values; Sluice refuses any repeat,
        // as nothing legitimate sends one.
        if cl.next().is_some() || first.value().contains(',') {
            return Err(bad("more than one Content-Length"));
        }
        let v = first.value().trim();
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("invalid Content-Length"));
        }
        let n: u64 = v.parse().map_err(|_| bad("invalid Content-Length"))?;
        return Ok(Framing::Length(n));
    }
    Ok(match role {
        Role::Request => Framing::None,
        Role::Response => Framing::UntilClose,
    })
}

fn bad(why: &str) -> DecodeError {
    DecodeError::Malformed(why.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::header::Header;

    fn head(protocol: &'static str, headers: &[(&str, &str)]) -> Head {
        Head {
            protocol,
            status: 200,
            headers: headers.iter().map(|(n, v)| Header::new(n, v)).collect(),
            ..Default::default()
        }
    }

    fn both(protocol: &'static str, headers: &[(&str, &str)]) -> [Result<Framing, DecodeError>; 2] {
        let h = head(protocol, headers);
        [Role::Request, Role::Response].map(|r| framing(r, &h, RequestInfo::default()))
    }

    #[test]
    fn one_clear_length_or_coding_is_read() {
        assert_eq!(
            both("HTTP/1.1", &[("Content-Length", "5")])[0],
            Ok(Framing::Length(5))
        );
        assert_eq!(
            both("HTTP/1.1", &[("Transfer-Encoding", "Chunked")])[1],
            Ok(Framing::Chunked)
        );
        assert_eq!(both("HTTP/1.1", &[])[0], Ok(Framing::None));
        assert_eq!(both("HTTP/1.1", &[])[1], Ok(Framing::UntilClose));
        assert_eq!(
            both("HTTP/1.1", &[("Transfer-Encoding", "gzip")])[1],
            Ok(Framing::UntilClose)
        );
    }

    #[test]
    fn framing_that_reads_two_ways_is_an_error_in_both_directions() {
        for headers in [
            &[("Content-Length", "5"), ("Transfer-Encoding", "chunked")][..],
            &[("Content-Length", "5"), ("Content-Length", "5")],
            &[("Content-Length", "5, 5")],
            &[("Content-Length", "5"), ("content-length", "6")],
            &[("Content-Length", "+5")],
            &[("Content-Length", "0x5")],
            &[("Content-Length", "99999999999999999999999")],
            &[("Transfer-Encoding", "chunked, chunked")],
            &[
                ("Transfer-Encoding", "chunked"),
                ("Transfer-Encoding", "chunked"),
            ],
            &[("Transfer-Encoding", "chunked,")],
        ] {
            for r in both("HTTP/1.1", headers) {
                assert!(matches!(r, Err(DecodeError::Malformed(_))), "{headers:?}");
            }
        }
        for r in both("HTTP/1.0", &[("Transfer-Encoding", "chunked")]) {
            assert!(r.is_err());
        }
    }
}
