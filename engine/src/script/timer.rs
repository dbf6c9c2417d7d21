//! Timers for scripts (`new Timeout(seconds).wait()`): a task on the worker's event loop
//! that calls back into the script when it fires.

use std::time::Duration;

use rquickjs::{Ctx, Function};

use super::JsValue;

/// `__native.setTimer(seconds, callback)`: calls `callback()` once after `seconds`.
pub(super) fn set_timer<'js>(ctx: Ctx<'js>, seconds: f64, callback: Function<'js>) {
    let callback = JsValue::save(&ctx, callback.into_value());
    let delay = Duration::from_secs_f64(if seconds.is_finite() {
        seconds.max(0.0)
    } else {
        0.0
    });
    // A pending timer is live work: the program does not end before it fires.
    let work = crate::liveness::hold();
    tokio::task::spawn_local(async move {
        let _work = work;
        tokio::time::sleep(delay).await;
        super::js(|ctx| {
            // The callback sets the context it was made in itself; what Rust last made
            // current may no longer be.
            super::forget_current_context();
            if let Some(f) = callback.get(ctx).as_function() {
                if let Err(e) = f.call::<_, rquickjs::Value>(()) {
                    let e = super::ScriptError::from_js(ctx, e);
                    tracing::error!(target: "script", "timer callback: {e}");
                }
            }
        });
    });
}
