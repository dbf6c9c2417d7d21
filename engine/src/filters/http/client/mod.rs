//! The client side of HTTP: `muxHTTP`. Requests from many streams share keep-alive
//! upstream connections (sessions), pooled by the key the selector returns. A session serves
//! one request at a time; an idle one is reused, and closed after `maxIdle`.
//!
//! This file holds the filter and its options; `stream.rs` is one stream using it (usually
//! one request), `session.rs` one HTTP/1 upstream connection, `h2.rs` one HTTP/2 upstream
//! connection (on hyper, many requests at once), `pool.rs` the pool of sessions, `idle.rs`
//! the idle timer both kinds of session use.

mod h2;
mod idle;
mod pool;
mod session;
mod stream;

pub(in crate::filters) use pool::Pool;
pub(in crate::filters) use session::Session;
pub(in crate::filters) use stream::MuxStream;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use crate::filters::builder::is_options;
use crate::filters::http::server::size_options;
use crate::filters::{Builder, FilterDescriptor, FilterKind};
use crate::pipeline::FilterProto;
use crate::script::JsValue;
use stream::Mux;

/// `muxHTTP`.
pub static MUX_HTTP: FilterDescriptor = FilterDescriptor {
    name: "muxHTTP",
    kind: FilterKind::Joint,
    signature: "(target[, key[, options]])",
    help: "Sends HTTP requests over pooled keep-alive connections made by a sub-pipeline",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) that makes the connection, usually with connect()"),
        ("key", "value or function() choosing the connection pool; default: one pool per client connection"),
        ("options", "{maxIdle (60s), bufferSize (16k), maxHeaderSize (64k), version: 1 or 2 ('http/1.1', 'h2'), or function() returning one}"),
    ],
    build,
};

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = b.required_layout()?;
    // [A] muxHTTP('name', key, options); [C] muxHTTP(selector?, options?).
    let (key, opts_at) = match b.arg(0) {
        Some(v) if is_options(&v) => (None, 0),
        Some(_) => (b.saved(0), 1),
        None => (None, 1),
    };
    let (max_head, buffer_size) = size_options(b, opts_at)?;
    let max_idle = b
        .duration_option(opts_at, "maxIdle")?
        .unwrap_or(Duration::from_secs(60));
    // A fixed version is read once; only a function is asked per request.
    let version = match b.option(opts_at, "version") {
        None => Version::Fixed(false),
        Some(v) if v.is_function() => Version::Dynamic(JsValue::save(b.ctx, v)),
        Some(v) => Version::Fixed(is_h2(&v)),
    };
    // The early form (`muxHTTP('name', ...)`) gives the session pipeline a copy of the
    // context; the current one shares the creating filter's variables.
    let cloned_context = b.named_sub;
    let pool = Rc::new(Pool::default());
    let settings = Settings {
        max_idle,
        max_head,
        buffer_size,
    };
    b.joint_prototype(layout, move |init, layout| {
        Box::new(Mux(Rc::new_cyclic(|me| MuxStream {
            me: me.clone(),
            layout: layout.clone(),
            cloned_context,
            key_fn: key.clone(),
            version: version.clone(),
            h2_call: RefCell::new(None),
            request_head: RefCell::new(None),
            pool: pool.clone(),
            settings,
            context: init.context,
            output: init.output,
            key: RefCell::new(None),
            session: RefCell::new(None),
            held: RefCell::new(VecDeque::new()),
            in_flight: Cell::new(false),
            input_ended: Cell::new(false),
            ended: Cell::new(false),
            tunnel: Cell::new(false),
            tunnel_pending: RefCell::new(Vec::new()),
            probing: Cell::new(false),
        })))
    })
}

#[derive(Clone, Copy)]
pub(in crate::filters) struct Settings {
    pub(in crate::filters) max_idle: Duration,
    max_head: usize,
    buffer_size: usize,
}

/// The `version` option of `muxHTTP`.
#[derive(Clone)]
enum Version {
    /// HTTP/2 (true) or HTTP/1.1, for every request.
    Fixed(bool),
    /// A function asked for each stream.
    Dynamic(JsValue),
}

/// True for the values that name HTTP/2: 2, `'2'`, `'h2'`, `'HTTP/2'`.
pub(in crate::filters) fn is_h2(v: &rquickjs::Value<'_>) -> bool {
    let n = v.as_number().or_else(|| v.as_int().map(f64::from));
    let s = v
        .as_string()
        .and_then(|s| s.to_string().ok())
        .map(|s| s.to_ascii_lowercase());
    n == Some(2.0)
        || matches!(
            s.as_deref(),
            Some("2" | "h2" | "h2c" | "http/2" | "http/2.0")
        )
}
