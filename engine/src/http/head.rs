//! HTTP heads as scripts see them (docs/reference/api.md, RequestHead and ResponseHead), and back.

use std::rc::Rc;

use rquickjs::{Ctx, Object, Value};

use super::decoder::Head;
use super::encoder::{decimal, OutHead};
use super::head_view::HeadView;
use super::header::Header;
use super::status::reason;

/// What an encoder needs to know about the exchange beyond the head itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Exchange {
    /// The response answers a HEAD request.
    pub head_request: bool,
    /// The peer speaks HTTP/1.0.
    pub peer_http10: bool,
}

fn str_field(o: &Object<'_>, k: &str) -> Option<String> {
    let v: Value = o.get(k).ok()?;
    if v.is_undefined() || v.is_null() {
        return None;
    }
    v.get::<rquickjs::Coerced<String>>().ok().map(|c| c.0)
}

/// Reads a head object (or nothing) into an [`OutHead`] for `role`.
pub fn out_head_from_js(head: Option<&Value<'_>>, role: super::Role, x: Exchange) -> OutHead {
    let mut out = read_out_head(head, role, x);
    if role == super::Role::Request {
        add_host(&mut out);
    }
    out
}

/// RFC 9112 §3.2: an HTTP/1.1 request carries a Host. A script's request without one gets it
/// from its target when the target names it (authority form for CONNECT, absolute form);
/// otherwise it goes out as the script made it.
fn add_host(out: &mut OutHead) {
    let mut words = out.start_line.split(' ');
    let (Some(method), Some(target), Some("HTTP/1.1")) = (words.next(), words.next(), words.next())
    else {
        return;
    };
    if out
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"))
    {
        return;
    }
    let authority = if method == "CONNECT" {
        Some(target)
    } else {
        target
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
            .map(|a| a.rsplit('@').next().unwrap_or(a))
    };
    if let Some(a) = authority.filter(|a| !a.is_empty()) {
        let host = ("host".to_string(), a.to_string());
        out.headers.insert(0, host);
    }
}

fn read_out_head(head: Option<&Value<'_>>, role: super::Role, x: Exchange) -> OutHead {
    let obj = head.and_then(|v| v.as_object().cloned());
    let get = |k: &str| obj.as_ref().and_then(|o| str_field(o, k));
    // Heads that came over HTTP/2 go out as HTTP/1.1 on an HTTP/1 connection.
    let protocol = get("protocol")
        .filter(|p| p == "HTTP/1.0")
        .unwrap_or_else(|| "HTTP/1.1".into());
    let mut out = OutHead {
        peer_http10: x.peer_http10,
        ..Default::default()
    };
    match role {
        super::Role::Request => {
            let method = get("method").unwrap_or_else(|| "GET".into());
            let path = get("path").unwrap_or_else(|| "/".into());
            out.length_when_empty = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
            out.start_line = words(&[&method, " ", &path, " ", &protocol]);
        }
        super::Role::Response => {
            let status: u16 = obj
                .as_ref()
                .and_then(|o| o.get::<_, Value>("status").ok())
                .and_then(|v| v.as_number().or_else(|| v.as_int().map(f64::from)))
                .map(|n| n as u16)
                .filter(|n| (100..1000).contains(n))
                .unwrap_or(200);
            let text = get("statusText").unwrap_or_else(|| reason(status).into());
            let mut digits = [0u8; 20];
            let code = decimal(status.into(), &mut digits);
            out.start_line = words(&[&protocol, " ", code, " ", &text]);
            out.length_when_empty = true;
            out.no_length = status < 200 || status == 204;
            out.bodiless = out.no_length || status == 304 || x.head_request;
            out.keep_length = x.head_request;
        }
    }
    let Some(o) = obj else { return out };
    let Ok(headers) = o.get::<_, Object>("headers") else {
        return out;
    };
    let names: Option<Object> = o.get("headerNames").ok();
    for (k, v) in headers.props::<String, Value>().flatten() {
        if v.is_undefined() || v.is_null() {
            continue;
        }
        match k.as_str() {
            "keep-alive" | "transfer-encoding" => continue,
            "content-length" => {
                out.content_length = v
                    .get::<rquickjs::Coerced<String>>()
                    .ok()
                    .and_then(|s| s.0.trim().parse().ok());
                continue;
            }
            "connection" => {
                if let Some(s) = v.as_string() {
                    out.connection = s.to_string().ok();
                }
                continue;
            }
            _ => {}
        }
        let name = names
            .as_ref()
            .and_then(|n| n.get::<_, Option<String>>(k.as_str()).ok().flatten())
            .unwrap_or_else(|| k.clone());
        match v.as_array() {
            Some(a) => {
                for item in a.iter::<rquickjs::Coerced<String>>().flatten() {
                    out.headers.push((name.clone(), item.0));
                }
            }
            None => {
                if let Ok(s) = v.get::<rquickjs::Coerced<String>>() {
                    out.headers.push((name, s.0));
                }
            }
        }
    }
    out
}

/// A decoded request or response head, made into a JS object only when a script asks.
pub struct LazyHead {
    /// The head (shared with the encoder that writes it out unchanged).
    pub head: Rc<Head>,
    /// Which kind it is.
    pub role: super::Role,
}

impl crate::script::Lazy for LazyHead {
    fn make<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        HeadView::head(ctx, self.head.clone(), self.role)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn keep_after_make(&self) -> bool {
        true
    }
}

/// A head (lazy or made in JS) ready to encode; a head no script touched, or one a script
/// only read, is read straight from its Rust form.
pub fn out_head(head: Option<&crate::script::JsValue>, role: super::Role, x: Exchange) -> OutHead {
    let decoded = |l: std::rc::Rc<dyn crate::script::Lazy>| {
        l.as_any()
            .downcast_ref::<LazyHead>()
            .filter(|lh| lh.role == role)
            .map(|lh| lh.head.clone())
    };
    if let Some(h) = head {
        if let Some(rust) = h.pending::<LazyHead>().and_then(decoded) {
            return out_head_from_rust(rust, role, x);
        }
    }
    let made = head
        .and_then(|h| h.made_from::<LazyHead>())
        .and_then(decoded);
    crate::script::js(|ctx| {
        let v = head.map(|h| h.get(ctx));
        if let (Some(rust), Some(v)) = (made, v.as_ref()) {
            if HeadView::untouched(v, &rust, role) {
                return out_head_from_rust(rust, role, x);
            }
            if let Some(added) = HeadView::added_headers(v, &rust, role) {
                let has_host = rust.headers.iter().any(|f| f.is("host"));
                let mut out = out_head_from_rust(rust, role, x);
                out.headers = added;
                if role == super::Role::Request && !has_host {
                    add_host(&mut out);
                }
                return out;
            }
        }
        out_head_from_js(v.as_ref(), role, x)
    })
}

/// A response head given once in a script (`serveHTTP(new Message(...))`) as a Rust head, so
/// that answering with it needs no script call. `None` when it asks for something only the
/// script form carries (a `connection` header).
pub fn constant_response_head(head: Option<&Value<'_>>) -> Option<Head> {
    let oh = out_head_from_js(head, super::Role::Response, Exchange::default());
    if oh.connection.is_some() {
        return None;
    }
    let mut words = oh.start_line.splitn(3, ' ');
    let protocol = match words.next() {
        Some("HTTP/1.0") => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let status = words.next()?.parse().ok()?;
    let reason = words.next().unwrap_or("").to_string();
    let mut headers: Vec<Header> = oh.headers.iter().map(|(k, v)| Header::new(k, v)).collect();
    if let Some(n) = oh.content_length {
        headers.push(Header::new("content-length", &n.to_string()));
    }
    Some(Head {
        method: String::new(),
        path: String::new(),
        status,
        reason,
        protocol,
        headers,
    })
}

/// The HTTP/1 version to write for a decoded head (one from HTTP/2 goes out as HTTP/1.1).
fn http1_version(h: &Head) -> &'static str {
    if h.protocol == "HTTP/1.0" {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    }
}

fn out_head_from_rust(h: Rc<Head>, role: super::Role, x: Exchange) -> OutHead {
    let mut out = OutHead {
        peer_http10: x.peer_http10,
        ..Default::default()
    };
    let version = http1_version(&h);
    match role {
        super::Role::Request => {
            out.length_when_empty = matches!(h.method.as_str(), "POST" | "PUT" | "PATCH");
            out.start_line = words(&[&h.method, " ", &h.path, " ", version]);
        }
        super::Role::Response => {
            let text = if h.reason.is_empty() {
                reason(h.status)
            } else {
                h.reason.as_str()
            };
            let mut digits = [0u8; 20];
            let code = decimal(h.status.into(), &mut digits);
            out.start_line = words(&[version, " ", code, " ", text]);
            out.length_when_empty = true;
            out.no_length = h.status < 200 || h.status == 204;
            out.bodiless = out.no_length || h.status == 304 || x.head_request;
            out.keep_length = x.head_request;
        }
    }
    out.content_length = h
        .headers
        .iter()
        .rev()
        .find(|f| f.is("content-length"))
        .and_then(|f| f.value().trim().parse().ok());
    out.base = Some(h);
    out
}

/// The strings joined, in one allocation.
fn words(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}
