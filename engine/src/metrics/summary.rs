//! The dashboard's figures (`GET /api/v1/metrics/summary`): the engine's counters added up over
//! their labels, and each listener's responses and response times on their own, so that the
//! dashboard can show any port (proxied or answered directly) or all of them.

use std::collections::BTreeMap;

use prometheus::core::Collector;
use prometheus::proto::Metric;
use prometheus::{IntCounterVec, IntGaugeVec};
use serde_json::{json, Value};

use super::builtin;

/// A cumulative histogram added up over labels: count, sum and `[le, count]` buckets.
#[derive(Default)]
struct Histogram {
    count: u64,
    sum: f64,
    buckets: Vec<(f64, u64)>,
}

impl Histogram {
    fn add(&mut self, m: &Metric) {
        let h = m.get_histogram();
        self.count += h.get_sample_count();
        self.sum += h.get_sample_sum();
        for (i, b) in h.get_bucket().iter().enumerate() {
            if self.buckets.len() <= i {
                self.buckets.push((b.upper_bound(), 0));
            }
            self.buckets[i].1 += b.cumulative_count();
        }
    }

    fn json(&self) -> Value {
        json!({ "count": self.count, "sum": self.sum, "buckets": self.buckets })
    }
}

/// One listener's figures.
#[derive(Default)]
struct Listener {
    responses: BTreeMap<String, u64>,
    latency: Histogram,
}

fn label(m: &Metric, name: &str) -> String {
    m.get_label()
        .iter()
        .find(|l| l.name() == name)
        .map(|l| l.value().to_string())
        .unwrap_or_default()
}

fn counter_sum(v: &IntCounterVec) -> u64 {
    v.collect()
        .iter()
        .flat_map(|mf| {
            mf.get_metric()
                .iter()
                .map(|m| m.get_counter().get_value() as u64)
        })
        .sum()
}

fn gauge_sum(v: &IntGaugeVec) -> i64 {
    v.collect()
        .iter()
        .flat_map(|mf| {
            mf.get_metric()
                .iter()
                .map(|m| m.get_gauge().get_value() as i64)
        })
        .sum()
}

/// A few headline figures for the IDE's dashboard.
pub fn summary() -> Value {
    let b = builtin();
    let mut by_class: BTreeMap<String, u64> = BTreeMap::new();
    let mut listeners: BTreeMap<String, Listener> = BTreeMap::new();
    let mut latency = Histogram::default();
    for mf in b.http_responses.collect() {
        for m in mf.get_metric() {
            let n = m.get_counter().get_value() as u64;
            let class = label(m, "class");
            *by_class.entry(class.clone()).or_default() += n;
            let l = listeners.entry(label(m, "listen")).or_default();
            *l.responses.entry(class).or_default() += n;
        }
    }
    for mf in b.response_seconds.collect() {
        for m in mf.get_metric() {
            latency.add(m);
            listeners
                .entry(label(m, "listen"))
                .or_default()
                .latency
                .add(m);
        }
    }
    let mut upstream = Histogram::default();
    for mf in b.upstream_seconds.collect() {
        for m in mf.get_metric() {
            upstream.add(m);
        }
    }
    let listeners: serde_json::Map<String, Value> = listeners
        .into_iter()
        .filter(|(port, _)| !port.is_empty())
        .map(|(port, l)| {
            let v = json!({ "responses": l.responses, "latency": l.latency.json() });
            (port, v)
        })
        .collect();
    json!({
        "connectionsTotal": counter_sum(&b.inbound_total),
        "connectionsOpen": gauge_sum(&b.inbound_open),
        "bytes": counter_sum(&b.inbound_bytes),
        "responses": by_class,
        "errors": counter_sum(&b.stream_errors),
        "errorAnswers": b.error_answers.get(),
        "scriptExceptions": b.script_exceptions.get(),
        "latency": latency.json(),
        "upstream": upstream.json(),
        "listeners": listeners,
    })
}
