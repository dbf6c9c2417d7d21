//! Calling script callbacks from filters, and collecting whole messages.

use bytes::{Bytes, BytesMut};
use rquickjs::{Ctx, Value};

use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, Output};
use crate::script::{self, JsMessage, JsValue, ScriptError};

/// Logs a callback error and ends the stream with `RuntimeError`.
pub fn fail(output: &Output, filter: &str, err: &ScriptError) {
    crate::metrics::builtin().script_exceptions.inc();
    tracing::error!("{filter}(): {err}");
    output.emit(crate::event::StreamEnd::runtime(err.to_string()));
}

/// The events a callback returned: `v`, which must be events, a Message or an array of them;
/// otherwise a script TypeError `{what}: {why}`.
pub fn events_of<'js>(ctx: &Ctx<'js>, v: Value<'js>, what: &str) -> rquickjs::Result<Vec<Event>> {
    let mut out = Vec::new();
    script::events_from_js(ctx, v, &mut out)
        .map_err(|m| rquickjs::Exception::throw_type(ctx, &format!("{what}: {m}")))?;
    Ok(out)
}

/// Calls `f(arg, counter)` for its side effects. Returns the Promise it gave, if any: the
/// caller must then wait for it (see [`super::promise::Gate`]).
pub fn call_handler(
    context: &Context,
    f: &JsValue,
    counter: u64,
    arg: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Value<'js>>,
) -> Result<Option<JsValue>, ScriptError> {
    script::call_in(context, |ctx| {
        let a = arg(ctx)?;
        if let Some(func) = f.get(ctx).as_function() {
            let r = func.call::<_, Value>((a, counter as f64))?;
            if r.is_promise() {
                return Ok(Some(JsValue::save(ctx, r)));
            }
        }
        Ok(None)
    })
}

/// What a replacement evaluated to.
pub enum Replacement {
    /// These events.
    Events(Vec<Event>),
    /// Nothing: the function returned `undefined` (the input is dropped).
    Nothing,
    /// A Promise of the replacement: wait for it.
    Pending(JsValue),
}

impl Replacement {
    /// For filters that do not wait for Promises: the events (`None` for undefined), or an
    /// error naming `filter` when the callback gave a Promise.
    pub fn now(self, filter: &str) -> Result<Option<Vec<Event>>, ScriptError> {
        match self {
            Replacement::Events(e) => Ok(Some(e)),
            Replacement::Nothing => Ok(None),
            Replacement::Pending(_) => Err(ScriptError::plain(format!(
                "{filter}(): the callback returned a Promise, which {filter}() does not wait for"
            ))),
        }
    }
}

/// Evaluates a replacement: a static events-like value, or a function of `(arg, counter)`
/// returning one (or a Promise of one).
pub fn call_replacer(
    context: &Context,
    r: &JsValue,
    counter: u64,
    arg: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Value<'js>>,
) -> Result<Replacement, ScriptError> {
    script::call_in(context, |ctx| {
        let v = r.get(ctx);
        let v = match v.as_function() {
            Some(func) => func.call::<_, Value>((arg(ctx)?, counter as f64))?,
            None => v,
        };
        if v.is_undefined() {
            return Ok(Replacement::Nothing);
        }
        if v.is_promise() {
            return Ok(Replacement::Pending(JsValue::save(ctx, v)));
        }
        Ok(Replacement::Events(events_of(
            ctx,
            v,
            "invalid replacement",
        )?))
    })
}

/// Collects the events of one message into a [`JsMessage`], keeping at most `limit` body
/// bytes.
#[derive(Default)]
pub struct MessageReader {
    open: bool,
    head: Option<JsValue>,
    body: BytesMut,
    chunks: Vec<Bytes>,
    size: usize,
    limit: Option<usize>,
    dropped: usize,
}

/// Body bytes a filter that collects whole messages keeps unless told otherwise
/// (`{bufferLimit}`), so one huge message cannot exhaust memory.
pub const DEFAULT_BUFFER_LIMIT: usize = 16 << 20;

impl MessageReader {
    /// A reader keeping at most `limit` body bytes ([`DEFAULT_BUFFER_LIMIT`] when `None`).
    pub fn new(limit: Option<usize>) -> Self {
        MessageReader {
            limit: Some(limit.unwrap_or(DEFAULT_BUFFER_LIMIT)),
            ..Default::default()
        }
    }

    /// Body bytes discarded so far because of the limit.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// True between MessageStart and its end.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Starts a message.
    pub fn start(&mut self, head: Option<JsValue>) {
        self.open = true;
        self.head = head;
        self.chunks.clear();
        self.body.clear();
        self.size = 0;
        self.dropped = 0;
    }

    /// Adds body bytes.
    pub fn data(&mut self, b: &Bytes) {
        if !self.open {
            return;
        }
        let room = self
            .limit
            .map(|l| l.saturating_sub(self.size))
            .unwrap_or(usize::MAX);
        if b.len() <= room {
            self.chunks.push(b.clone());
            self.size += b.len();
        } else {
            if room > 0 {
                self.chunks.push(b.slice(..room));
                self.size += room;
            }
            self.dropped += b.len() - room;
        }
    }

    /// Finishes the message with its tail (none when closed by StreamEnd).
    pub fn finish(&mut self, end: MessageTail) -> JsMessage {
        self.open = false;
        if self.dropped > 0 {
            tracing::warn!(
                "message body over the buffer limit: {} bytes discarded",
                self.dropped
            );
        }
        let body = if self.chunks.len() == 1 {
            self.chunks.pop().unwrap_or_default()
        } else {
            for c in self.chunks.drain(..) {
                self.body.extend_from_slice(&c);
            }
            self.body.split().freeze()
        };
        JsMessage {
            head: self.head.take(),
            body,
            end,
        }
    }
}

/// Reads a leading size limit (the [A] form `handleMessage('256k', cb)`) or a trailing
/// `{bufferLimit}` option; returns `(limit, index of the callback argument)`.
pub fn size_limit_and_callback(
    b: &super::Builder<'_, '_>,
) -> Result<(Option<usize>, usize), String> {
    let first = b.arg(0);
    let leading = match &first {
        Some(v) if v.is_number() => Some(v.as_number().unwrap_or(0.0) as usize),
        Some(v) if v.is_string() => {
            let s = v
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_default();
            Some(crate::units::parse_size(&s)? as usize)
        }
        _ => None,
    };
    if let Some(limit) = leading {
        return Ok((Some(limit), 1));
    }
    let limit = match b.option(1, "bufferLimit") {
        None => None,
        Some(v) if v.is_number() => Some(v.as_number().unwrap_or(0.0) as usize),
        Some(v) => {
            let s = v
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_default();
            Some(crate::units::parse_size(&s)? as usize)
        }
    };
    Ok((limit, 0))
}
