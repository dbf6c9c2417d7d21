//! Message tails: what a `MessageEnd` of an HTTP message carries. As in Pipy, a tail is
//! `{headSize, bodySize, headers}`, where `headers` holds the message's trailers (HTTP/2
//! trailing HEADERS, or the trailer section of a chunked HTTP/1.1 body), when it has any.
//! Scripts read and set trailers there; the encoders write them back out in either version.

use rquickjs::{Ctx, Object, Value};

use super::header::Header;
use crate::event::MessageTail;
use crate::script::JsValue;

/// A decoded message tail, made into a JS object only when a script asks.
#[derive(Default)]
pub struct LazyTail {
    /// Bytes of the head.
    pub head_size: usize,
    /// Bytes of the body.
    pub body_size: usize,
    /// The trailers, in order, spelled as sent (none for most messages).
    pub trailers: Vec<Header>,
}

impl crate::script::Lazy for LazyTail {
    fn make<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let o = Object::new(ctx.clone())?;
        o.set("headSize", self.head_size)?;
        o.set("bodySize", self.body_size)?;
        if !self.trailers.is_empty() {
            let h = Object::new(ctx.clone())?;
            for t in &self.trailers {
                let name = t.lower_name();
                // A repeated trailer keeps every value, joined as HTTP allows.
                let joined = match h.get::<_, Option<String>>(name.as_ref())? {
                    Some(prev) => format!("{prev}, {}", t.value()),
                    None => t.value().to_string(),
                };
                h.set(name.as_ref(), joined)?;
            }
            o.set("headers", h)?;
        }
        Ok(o.into_value())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The `MessageEnd` of a decoded message.
pub fn message_end(head_size: usize, body_size: usize, trailers: Vec<Header>) -> MessageTail {
    MessageTail {
        tail: Some(JsValue::lazy(LazyTail {
            head_size,
            body_size,
            trailers,
        })),
        payload: None,
    }
}

/// The `MessageEnd` of a message that came over HTTP/2: as in Pipy, it has a tail only when
/// the message had trailers.
pub fn h2_message_end(body_size: usize, trailers: Vec<Header>) -> MessageTail {
    if trailers.is_empty() {
        return MessageTail::default();
    }
    message_end(0, body_size, trailers)
}

/// The trailers a `MessageEnd` carries, as `(name, value)` pairs in order: read straight from
/// a decoded tail no script touched, else from the `headers` of the script's tail object.
pub fn trailers_of(end: &MessageTail) -> Vec<(String, String)> {
    let Some(tail) = &end.tail else {
        return Vec::new();
    };
    if let Some(l) = tail.pending::<LazyTail>() {
        if let Some(t) = l.as_any().downcast_ref::<LazyTail>() {
            return t
                .trailers
                .iter()
                .map(|h| (h.name().to_string(), h.value().to_string()))
                .collect();
        }
    }
    crate::script::js(|ctx| trailers_from_js(&tail.get(ctx)))
}

fn trailers_from_js(tail: &Value<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(headers) = tail
        .as_object()
        .and_then(|o| o.get::<_, Option<Object>>("headers").ok().flatten())
    else {
        return out;
    };
    for (k, v) in headers.props::<String, Value>().flatten() {
        if v.is_undefined() || v.is_null() {
            continue;
        }
        match v.as_array() {
            Some(a) => {
                for item in a.iter::<rquickjs::Coerced<String>>().flatten() {
                    out.push((k.clone(), item.0));
                }
            }
            None => {
                if let Ok(s) = v.get::<rquickjs::Coerced<String>>() {
                    out.push((k, s.0));
                }
            }
        }
    }
    out
}

/// Trailers as hyper's header map, for an HTTP/2 trailing HEADERS frame. Names go lower case;
/// pseudo-headers, framing fields and anything not valid on the wire are left out.
pub fn header_map(trailers: &[(String, String)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in trailers {
        let lower = k.to_ascii_lowercase();
        if lower.starts_with(':') || is_forbidden(&lower) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::from_bytes(lower.as_bytes()),
            http::header::HeaderValue::from_str(v),
        ) {
            map.append(n, v);
        }
    }
    map
}

/// Trailers from hyper's header map, as decoded fields.
pub fn from_header_map(map: &http::HeaderMap) -> Vec<Header> {
    map.iter()
        .map(|(k, v)| Header::new(k.as_str(), &String::from_utf8_lossy(v.as_bytes())))
        .collect()
}

/// Fields a trailer section must not carry (RFC 9110 §6.5.1: framing, routing, connection).
fn is_forbidden(lower: &str) -> bool {
    matches!(
        lower,
        "content-length"
            | "transfer-encoding"
            | "connection"
            | "keep-alive"
            | "host"
            | "te"
            | "trailer"
            | "upgrade"
    )
}

/// The last chunk of a chunked HTTP/1.1 body with its trailer section.
pub fn chunked_end(trailers: &[(String, String)]) -> bytes::Bytes {
    if trailers.is_empty() {
        return bytes::Bytes::from_static(b"0\r\n\r\n");
    }
    let mut s = String::from("0\r\n");
    for (k, v) in trailers {
        if is_forbidden(&k.to_ascii_lowercase()) || k.starts_with(':') {
            continue;
        }
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into()
}

/// One line of a chunked body's trailer section (`name: value`), or `None` when malformed.
pub fn parse_line(line: &[u8]) -> Option<Header> {
    let text = std::str::from_utf8(line).ok()?;
    let (name, value) = text.split_once(':')?;
    if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    Some(Header::new(name, value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_trailers_round_trip_without_framing_fields() {
        let end = chunked_end(&[
            ("grpc-status".into(), "0".into()),
            ("Content-Length".into(), "5".into()),
            ("X-Check".into(), "a b".into()),
        ]);
        assert_eq!(&end[..], b"0\r\ngrpc-status: 0\r\nX-Check: a b\r\n\r\n");
        assert_eq!(
            parse_line(b"X-Check:  a b "),
            Some(Header::new("X-Check", "a b"))
        );
        assert_eq!(parse_line(b"bad line"), None);
        let map = header_map(&[
            ("Grpc-Status".into(), "0".into()),
            (":x".into(), "1".into()),
        ]);
        assert_eq!(map.len(), 1);
        assert_eq!(map["grpc-status"], "0");
    }
}
