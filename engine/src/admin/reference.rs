//! `GET /api/v1/reference`: the reference (every filter, every global and class) as JSON, for
//! the IDE's Reference tab. The data is [`crate::docs::reference`], made from the same sources
//! as `engine --gen-docs`; it is made once and kept.

use std::sync::OnceLock;

use hyper::StatusCode;

use super::http::{reply, Res};

/// The reference, as JSON text.
pub fn get() -> Res {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| crate::docs::reference().to_string());
    reply(StatusCode::OK, "application/json", text.clone())
}
