//! `stats.Counter`, `stats.Gauge` and `stats.Histogram` for scripts (docs/reference/api.md), backed
//! by the engine's Prometheus registry (see `metrics.rs`).

use std::cell::RefCell;

use rquickjs::function::{Func, Opt};
use rquickjs::{Ctx, Exception, Object};

use crate::metrics::{self, ScriptMetric};

thread_local! {
    static DEFINED: RefCell<Vec<ScriptMetric>> = const { RefCell::new(Vec::new()) };
}

fn define(
    ctx: Ctx<'_>,
    kind: String,
    name: String,
    labels: Opt<Vec<String>>,
    buckets: Opt<Vec<f64>>,
) -> rquickjs::Result<usize> {
    let m = metrics::script_metric(&kind, &name, &labels.0.unwrap_or_default(), buckets.0)
        .map_err(|e| Exception::throw_type(&ctx, &e))?;
    Ok(DEFINED.with(|d| {
        let mut d = d.borrow_mut();
        d.push(m);
        d.len() - 1
    }))
}

/// Operations: 0 increase, 1 decrease, 2 zero, 3 set, 4 observe.
fn op(ctx: Ctx<'_>, id: usize, labels: Vec<String>, op: i32, value: f64) -> rquickjs::Result<()> {
    let m = DEFINED.with(|d| d.borrow().get(id).cloned());
    let Some(m) = m else { return Ok(()) };
    let l: Vec<&str> = labels.iter().map(String::as_str).collect();
    let bad = |e: prometheus::Error| Exception::throw_type(&ctx, &format!("metric labels: {e}"));
    match (m, op) {
        (ScriptMetric::Counter(c), 0) => c
            .get_metric_with_label_values(&l)
            .map_err(bad)?
            .inc_by(value.max(0.0)),
        (ScriptMetric::Counter(c), 2) => c.get_metric_with_label_values(&l).map_err(bad)?.reset(),
        (ScriptMetric::Counter(_), _) => {
            return Err(Exception::throw_type(
                &ctx,
                "a Counter only goes up: use a Gauge for values that go down",
            ))
        }
        (ScriptMetric::Gauge(g), 0) => g.get_metric_with_label_values(&l).map_err(bad)?.add(value),
        (ScriptMetric::Gauge(g), 1) => g.get_metric_with_label_values(&l).map_err(bad)?.sub(value),
        (ScriptMetric::Gauge(g), 2) => g.get_metric_with_label_values(&l).map_err(bad)?.set(0.0),
        (ScriptMetric::Gauge(g), 3) => g.get_metric_with_label_values(&l).map_err(bad)?.set(value),
        (ScriptMetric::Histogram(h), 4) => h
            .get_metric_with_label_values(&l)
            .map_err(bad)?
            .observe(value),
        (ScriptMetric::Histogram(_), 2) => {}
        _ => {
            return Err(Exception::throw_type(
                &ctx,
                "that operation does not apply to this metric",
            ))
        }
    }
    Ok(())
}

/// Adds the native half of `stats` to `__native`.
pub fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    n.set("statsNew", Func::from(define))?;
    n.set("statsOp", Func::from(op))?;
    Ok(())
}
