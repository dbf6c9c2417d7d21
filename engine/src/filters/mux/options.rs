//! The options of the multiplexing filters: the session pool's limits (`maxIdle`, `maxQueue`,
//! `maxMessages`) and how many replies each request expects (`outputCount`, or the older
//! `isOneWay`).

use std::time::Duration;

use rquickjs::{Ctx, Value};

use crate::event::Event;
use crate::filters::builder::is_options;
use crate::pipeline::Context;
use crate::script::{self, JsValue, ScriptError};

/// Limits of one session pool (Pipy's defaults: 60 s idle, one stream per session, no message
/// limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionOptions {
    /// How long a session with no streams stays open for a new one (`maxIdle`).
    pub max_idle: Duration,
    /// Most streams sharing one session at a time; 0 = no limit (`maxQueue`).
    pub max_queue: usize,
    /// Most streams a session takes over its life before it retires; 0 = no limit
    /// (`maxMessages`).
    pub max_messages: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            max_idle: Duration::from_secs(60),
            max_queue: 1,
            max_messages: 0,
        }
    }
}

/// How many replies a request message expects.
#[derive(Clone, Debug)]
pub enum ReplyCount {
    /// The same number for every message (`outputCount: n`, default 1).
    Fixed(i32),
    /// `outputCount: (messageStart) => n`.
    PerMessage(JsValue),
    /// `isOneWay: (messageStart) => bool` (Pipy 0.90): true means no reply.
    OneWay(JsValue),
}

impl Default for ReplyCount {
    fn default() -> Self {
        ReplyCount::Fixed(1)
    }
}

impl ReplyCount {
    /// The count for the message starting with `start`, evaluated in `context`. Negative
    /// values are kept: `demux` reads them as "pause input until the replies are out".
    pub fn of(&self, context: &Context, start: &Event) -> Result<i32, ScriptError> {
        let f = match self {
            ReplyCount::Fixed(n) => return Ok(*n),
            ReplyCount::PerMessage(f) | ReplyCount::OneWay(f) => f,
        };
        let one_way = matches!(self, ReplyCount::OneWay(_));
        script::call_in(context, |ctx| {
            let arg = script::to_js_event(ctx, start)?;
            let r: Value = match f.get(ctx).as_function() {
                Some(func) => func.call((arg,))?,
                None => return Ok(1),
            };
            if one_way {
                return Ok(if crate::script::truthy(&r) { 0 } else { 1 });
            }
            Ok(r.as_number()
                .or_else(|| r.as_int().map(f64::from))
                .map(|n| n as i32)
                .unwrap_or(0))
        })
    }

    /// Reads `outputCount` / `isOneWay` from an options object (absent: one reply).
    pub fn from_options<'js>(ctx: &Ctx<'js>, opts: &Value<'js>) -> Result<ReplyCount, String> {
        if let Some(v) = field(opts, "outputCount") {
            if v.is_function() {
                return Ok(ReplyCount::PerMessage(JsValue::save(ctx, v)));
            }
            return match v.as_number().or_else(|| v.as_int().map(f64::from)) {
                Some(n) if n.is_finite() => Ok(ReplyCount::Fixed(n as i32)),
                _ => Err("option outputCount must be a number or a function".into()),
            };
        }
        if let Some(v) = field(opts, "isOneWay") {
            if v.is_function() {
                return Ok(ReplyCount::OneWay(JsValue::save(ctx, v)));
            }
            return match v.as_bool() {
                Some(true) => Ok(ReplyCount::Fixed(0)),
                Some(false) => Ok(ReplyCount::Fixed(1)),
                None => Err("option isOneWay must be a function or a boolean".into()),
            };
        }
        Ok(ReplyCount::default())
    }
}

/// Everything a `mux` pool is configured with.
#[derive(Clone, Debug, Default)]
pub struct MuxOptions {
    /// The pool's limits.
    pub session: SessionOptions,
    /// Replies per request.
    pub replies: ReplyCount,
}

impl MuxOptions {
    /// Reads an options object (`undefined`/`null` = defaults). Errors name the option.
    pub fn from_js<'js>(ctx: &Ctx<'js>, opts: &Value<'js>) -> Result<MuxOptions, String> {
        if opts.is_undefined() || opts.is_null() {
            return Ok(MuxOptions::default());
        }
        if !is_options(opts) {
            return Err("options must be an object".into());
        }
        let mut session = SessionOptions::default();
        if let Some(v) = field(opts, "maxIdle") {
            session.max_idle = crate::filters::builder::duration_of(&v)
                .map_err(|e| format!("option maxIdle: {e}"))?;
        }
        if let Some(n) = count(opts, "maxQueue")? {
            session.max_queue = n;
        }
        if let Some(n) = count(opts, "maxMessages")? {
            session.max_messages = n;
        }
        Ok(MuxOptions {
            session,
            replies: ReplyCount::from_options(ctx, opts)?,
        })
    }
}

/// Where a `mux` filter gets its options.
#[derive(Clone, Debug)]
pub enum OptionsSource {
    /// Fixed when the script was loaded.
    Fixed(MuxOptions),
    /// A function called (in the stream's context) each time a new pool is made.
    PerPool(JsValue),
}

impl OptionsSource {
    /// The options for a new pool.
    pub fn resolve(&self, context: &Context) -> Result<MuxOptions, ScriptError> {
        let f = match self {
            OptionsSource::Fixed(o) => return Ok(o.clone()),
            OptionsSource::PerPool(f) => f,
        };
        script::call_in(context, |ctx| {
            let v: Value = match f.get(ctx).as_function() {
                Some(func) => func.call(())?,
                None => Value::new_undefined(ctx.clone()),
            };
            if !is_options(&v) {
                return Err(rquickjs::Exception::throw_type(
                    ctx,
                    "the options function did not return an object",
                ));
            }
            MuxOptions::from_js(ctx, &v).map_err(|m| rquickjs::Exception::throw_type(ctx, &m))
        })
    }
}

fn field<'js>(opts: &Value<'js>, key: &str) -> Option<Value<'js>> {
    opts.as_object()?
        .get::<_, Value>(key)
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn count(opts: &Value<'_>, key: &str) -> Result<Option<usize>, String> {
    match field(opts, key) {
        None => Ok(None),
        Some(v) => match v.as_number().or_else(|| v.as_int().map(f64::from)) {
            Some(n) if n.is_finite() => Ok(Some(n.max(0.0) as usize)),
            _ => Err(format!("option {key} must be a number")),
        },
    }
}
