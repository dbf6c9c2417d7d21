//! The answers the HTTP filters make themselves, when no script or upstream gives one: 400,
//! 408, 413, 431 ... for input that is not valid HTTP, 502/504 ... for an upstream that could
//! not be reached or broke off (the status of each error code is in `event.rs`).

use bytes::Bytes;

use crate::http::encoder::{Encoder, OutHead};
use crate::http::status::reason;
use crate::script::{self, JsValue};

/// The head of an error answer to a request whose reply stream ended with an error:
/// `HTTP/1.1 {status} {text}` and `content-length: 0`.
pub(crate) fn error_head(status: u16, text: &str, peer_http10: bool) -> OutHead {
    OutHead {
        start_line: format!("HTTP/1.1 {status} {text}"),
        length_when_empty: true,
        peer_http10,
        ..Default::default()
    }
}

/// The whole answer to input that is not valid HTTP (or too slow, or too big): `status`
/// with its standard reason and `message` as the body; it closes the connection.
pub(crate) fn refusal(status: u16, message: String) -> Bytes {
    let head = OutHead {
        start_line: format!("HTTP/1.1 {status} {}", reason(status)),
        length_when_empty: true,
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut enc = Encoder::new(usize::MAX);
    enc.start(head, true, &mut out);
    let _ = enc.data(Bytes::from(message + "\n"), &mut out);
    let _ = enc.end(&mut out);
    out.concat().into()
}

/// The response head (a script value) for an upstream that did not answer: `status` and
/// `text`, no headers. With `mark`, a property hidden from scripts' enumeration,
/// `errorAnswer`, tells `http.Agent` that the server was not reached.
pub(crate) fn upstream_error_head(status: u16, text: &str, mark: bool) -> Option<JsValue> {
    script::js(|ctx| {
        let o = rquickjs::Object::new(ctx.clone()).ok()?;
        o.set("protocol", "HTTP/1.1").ok()?;
        o.set("status", status).ok()?;
        o.set("statusText", text).ok()?;
        o.set("headers", rquickjs::Object::new(ctx.clone()).ok()?)
            .ok()?;
        if mark {
            o.prop("errorAnswer", rquickjs::object::Property::from(true))
                .ok()?;
        }
        Some(JsValue::save(ctx, o.into_value()))
    })
}
