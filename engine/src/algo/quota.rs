//! `algo.Quota` (docs/reference/api.md): an amount that is consumed and produced again over
//! time, for rate limits. With `per`, `produce` (default: the initial amount) comes back every
//! `per`, up to `max` (default: the initial amount). Time is the engine's clock, which a test
//! may drive (`engine test`).
//!
//! The throttle filters call [`Quota::consume`] directly when the quota is this class, without
//! a JS call.

use std::time::Duration;

use rquickjs::class::{Trace, Tracer};
use rquickjs::function::Opt;
use rquickjs::{Class, Coerced, Ctx, Function, JsLifetime, Object, Result, Value};
use tokio::time::Instant;

/// A quota.
pub struct Quota {
    initial: f64,
    current: f64,
    /// How often `produce` comes back; `None`: never by itself.
    per: Option<Duration>,
    produce: f64,
    max: f64,
    /// When the last refill was due.
    last: Instant,
}

// SAFETY: the type holds no JS value and no lifetime.
unsafe impl<'js> JsLifetime<'js> for Quota {
    type Changed<'to> = Quota;
}

impl<'js> Trace<'js> for Quota {
    fn trace<'a>(&self, _tracer: Tracer<'a, 'js>) {}
}

impl Quota {
    /// Adds what came back since the last refill.
    fn refill(&mut self) {
        let Some(per) = self.per else { return };
        let now = Instant::now();
        let steps = now.saturating_duration_since(self.last).as_nanos() / per.as_nanos();
        let steps = steps.min(u128::from(u32::MAX)) as u32;
        if steps > 0 {
            self.current = self.max.min(self.current + f64::from(steps) * self.produce);
            self.last += per * steps;
        }
    }

    /// Takes up to `n`; returns how much was taken.
    pub fn consume(&mut self, n: f64) -> f64 {
        self.refill();
        if n.is_nan() || n <= 0.0 {
            return 0.0; // nothing asked (or not a number)
        }
        let take = n.min(self.current).max(0.0);
        self.current -= take;
        take
    }
}

/// A number argument as JS's `Number()` reads it (`NaN` for what is not one).
fn number(v: &Value<'_>) -> f64 {
    v.get::<Coerced<f64>>().map_or(f64::NAN, |n| n.0)
}

/// `new Quota(initial[, {per, produce, max}])`.
fn construct<'js>(
    ctx: Ctx<'js>,
    initial: Opt<Value<'js>>,
    options: Opt<Value<'js>>,
) -> Result<Class<'js, Quota>> {
    let initial = initial.0.as_ref().map_or(f64::NAN, number);
    let options = options.0.and_then(|o| o.into_object());
    let field = |k: &str| -> Result<Option<Value<'js>>> {
        match &options {
            Some(o) => Ok(o.get::<_, Option<Value>>(k)?.filter(|v| !v.is_undefined())),
            None => Ok(None),
        }
    };
    let per = match field("per")? {
        Some(v) if super::truthy(&v) => {
            let seconds: Function = ctx.globals().get::<_, Object>("__sluice")?.get("seconds")?;
            let s: f64 = seconds.call((v,))?;
            // Less than a nanosecond is no period: nothing comes back by itself.
            (s > 0.0)
                .then(|| Duration::from_secs_f64(s.min(1e12)))
                .filter(|d| !d.is_zero())
        }
        _ => None,
    };
    let produce = field("produce")?.as_ref().map_or(initial, number);
    let max = field("max")?.as_ref().map_or(initial, number);
    let quota = Quota {
        initial,
        current: initial,
        per,
        produce,
        max,
        last: Instant::now(),
    };
    Class::instance(ctx, quota)
}

native_class! {
    Quota = "Quota",
    construct: construct,
    prototype: |proto| {
        super::getter_of(&proto, "initial", |me: &Class<Self>| me.borrow().initial)?;
        super::getter_of(&proto, "current", |me: &Class<Self>| me.borrow().current)?;
        super::method_of(&proto, "consume", |_, me: &Class<Self>, [n, _, _]| {
            let took = me.borrow_mut().consume(number(&n));
            Ok(took)
        })?;
        super::method_of(&proto, "produce", |_, me: &Class<Self>, [n, _, _]| {
            let mut q = me.borrow_mut();
            q.current = q.max.min(q.current + number(&n));
            Ok(())
        })?;
        super::method_of(&proto, "reset", |_, me: &Class<Self>, _| {
            let mut q = me.borrow_mut();
            q.current = q.initial;
            q.last = Instant::now();
            Ok(())
        })?;
    }
}
