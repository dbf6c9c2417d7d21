//! Running a roll-out: every tick the repo looks at the codebase's instances, gives the new
//! version to as many as the stage's share asks, judges the figures those instances post
//! since they took it, and moves on, completes, or rolls back.
//!
//! The figures are the `stats` of the status posts (cumulative counters): for each instance,
//! the difference between its latest post and the first one it made on the new version. The
//! error rate is the share of 5xx answers among all answers; the latency is the mean response
//! time. A stage passes when every chosen instance that is still there runs the version, the
//! stage's watch time has gone by since they all did, and they served at least
//! `minRequests` requests; it fails, at any moment, when the figures go over the limits, when
//! a chosen instance cannot load the version, or when it does not take it in time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::plan::{now_ms, Phase, Record};
use super::Rollouts;
use crate::repo::instances::Seen;
use crate::repo::store::{Published, RepoError};
use crate::repo::Repo;

/// How often running roll-outs are looked at.
const TICK: Duration = Duration::from_millis(200);

/// After the repo starts, a resumed roll-out waits this long for the instances to link and
/// post again before it chooses any (else it would choose among the first few back).
const SETTLE_MS: u64 = 5000;

/// Cumulative figures from one status post.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    requests: u64,
    errors: u64,
    latency_count: u64,
    latency_sum: f64,
}

impl Counters {
    fn of(status: &Value) -> Counters {
        let s = &status["stats"];
        let responses = s["responses"].as_object();
        Counters {
            requests: responses
                .map(|m| m.values().filter_map(Value::as_u64).sum())
                .unwrap_or(0),
            errors: s["responses"]["5xx"].as_u64().unwrap_or(0),
            latency_count: s["latency"]["count"].as_u64().unwrap_or(0),
            latency_sum: s["latency"]["sum"].as_f64().unwrap_or(0.0),
        }
    }

    fn since(&self, base: &Counters) -> Counters {
        Counters {
            requests: self.requests.saturating_sub(base.requests),
            errors: self.errors.saturating_sub(base.errors),
            latency_count: self.latency_count.saturating_sub(base.latency_count),
            latency_sum: (self.latency_sum - base.latency_sum).max(0.0),
        }
    }

    fn add(&mut self, o: &Counters) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.latency_count += o.latency_count;
        self.latency_sum += o.latency_sum;
    }

    fn json(&self) -> Value {
        json!({
            "requests": self.requests,
            "errors": self.errors,
            "errorRate": (self.requests > 0).then(|| self.errors as f64 / self.requests as f64),
            "latencyMs": (self.latency_count > 0)
                .then(|| self.latency_sum / self.latency_count as f64 * 1000.0),
        })
    }
}

/// A roll-out with what the repo watches of it (figures are not stored: a restarted repo
/// starts the stage's watch again from the instances' next posts).
pub struct Live {
    /// The stored record.
    pub rec: Record,
    /// The version's snapshot, for the chosen instances' downloads.
    pub snapshot: Option<Arc<Published>>,
    chosen_at: HashMap<String, u64>,
    first: HashMap<String, Counters>,
    latest: HashMap<String, Counters>,
    watching_since: Option<u64>,
    waiting: Option<String>,
    settle_until: u64,
}

enum Verdict {
    Wait(Option<String>),
    Choose(Vec<String>),
    Pass(String),
    Fail(String),
}

impl Live {
    /// Wraps a new record.
    pub fn new(rec: Record) -> Live {
        Live::with_settle(rec, 0)
    }

    /// Wraps a record read back from the store at start.
    pub fn resumed(rec: Record) -> Live {
        Live::with_settle(rec, now_ms() + SETTLE_MS)
    }

    fn with_settle(rec: Record, settle_until: u64) -> Live {
        Live {
            settle_until,
            rec,
            snapshot: None,
            chosen_at: HashMap::new(),
            first: HashMap::new(),
            latest: HashMap::new(),
            watching_since: None,
            waiting: None,
        }
    }

    /// The figures of the instances on the new version since they took it.
    fn window(&self) -> Counters {
        let mut w = Counters::default();
        for (uuid, first) in &self.first {
            if let Some(l) = self.latest.get(uuid) {
                w.add(&l.since(first));
            }
        }
        w
    }

    fn judge(&mut self, seen: &[Seen], now: u64) -> Verdict {
        let spec = self.rec.spec.clone();
        let stage = &spec.stages[self.rec.stage];
        if now < self.settle_until {
            return Verdict::Wait(Some(
                "the repo restarted: waiting for the instances to report".into(),
            ));
        }
        let live: Vec<&Seen> = seen.iter().filter(|s| s.live).collect();
        if live.is_empty() {
            return Verdict::Wait(Some("no instance of the codebase is running".into()));
        }
        let n = live.len();
        let target = ((stage.share * n as f64 - 1e-9).ceil() as usize).clamp(1, n);
        let assigned = self.rec.assigned.clone();
        let chosen: Vec<&Seen> = live
            .iter()
            .copied()
            .filter(|s| assigned.contains(&s.uuid))
            .collect();
        let on = chosen.len();
        if on < target {
            let more = live
                .iter()
                .filter(|s| !assigned.contains(&s.uuid))
                .take(target - on)
                .map(|s| s.uuid.clone())
                .collect();
            return Verdict::Choose(more);
        }
        let mut all_taken = true;
        for s in chosen {
            let since = *self.chosen_at.entry(s.uuid.clone()).or_insert(now);
            let err = &s.status["error"];
            if err["version"].as_str() == Some(self.rec.version.as_str()) {
                return Verdict::Fail(format!(
                    "instance {} ({}) cannot load the version: {}",
                    s.uuid.get(..8).unwrap_or(&s.uuid),
                    s.ip,
                    err["error"].as_str().unwrap_or("unknown error")
                ));
            }
            if s.status["version"].as_str() == Some(self.rec.version.as_str()) {
                let c = Counters::of(&s.status);
                self.first.entry(s.uuid.clone()).or_insert(c);
                self.latest.insert(s.uuid.clone(), c);
            } else if now.saturating_sub(since) as f64 > spec.take_within * 1000.0 {
                return Verdict::Fail(format!(
                    "instance {} ({}) did not take the version within {} s",
                    s.uuid.get(..8).unwrap_or(&s.uuid),
                    s.ip,
                    spec.take_within
                ));
            } else {
                all_taken = false;
            }
        }
        let w = self.window();
        if w.requests >= spec.min_requests.max(1) {
            let rate = w.errors as f64 / w.requests as f64;
            if rate > spec.max_error_rate {
                return Verdict::Fail(format!(
                    "{} of {} requests to the new version failed ({:.1}%, the limit is {:.1}%)",
                    w.errors,
                    w.requests,
                    rate * 100.0,
                    spec.max_error_rate * 100.0
                ));
            }
            if let Some(max) = spec.max_latency_ms {
                if w.latency_count > 0 {
                    let mean = w.latency_sum / w.latency_count as f64 * 1000.0;
                    if mean > max {
                        return Verdict::Fail(format!(
                            "the new version answers in {mean:.1} ms on average (the limit is {max} ms)"
                        ));
                    }
                }
            }
        }
        if !all_taken {
            self.watching_since = None;
            return Verdict::Wait(Some("waiting for the chosen instances to take it".into()));
        }
        let since = *self.watching_since.get_or_insert(now);
        if (now.saturating_sub(since) as f64) < stage.watch * 1000.0 {
            return Verdict::Wait(None);
        }
        if w.requests < spec.min_requests {
            return Verdict::Wait(Some(format!(
                "waiting for traffic: {} of {} requests served on the new version",
                w.requests, spec.min_requests
            )));
        }
        Verdict::Pass(format!(
            "stage {} passed: {} of {} instances ({}%) on it, {} requests, {} failed",
            self.rec.stage + 1,
            on,
            n,
            (stage.share * 100.0).round(),
            w.requests,
            w.errors
        ))
    }

    /// The roll-out as `GET /api/v1/repo-rollouts/NAME` shows it.
    pub fn progress(&self, seen: &[Seen]) -> Value {
        let mut v = self.rec.to_json();
        let spec = &self.rec.spec;
        let stages: Vec<Value> = spec
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let state = match (self.rec.phase, i.cmp(&self.rec.stage)) {
                    (_, std::cmp::Ordering::Less) | (Phase::Done, _) => "passed",
                    (Phase::Running, std::cmp::Ordering::Equal) => "running",
                    (Phase::RolledBack | Phase::Aborted, std::cmp::Ordering::Equal) => "failed",
                    _ => "pending",
                };
                json!({ "share": s.share, "watchSeconds": s.watch, "state": state })
            })
            .collect();
        let instances: Vec<Value> = seen
            .iter()
            .map(|s| {
                let mut fig = match (self.first.get(&s.uuid), self.latest.get(&s.uuid)) {
                    (Some(f), Some(l)) => l.since(f).json(),
                    _ => json!({}),
                };
                fig["uuid"] = json!(s.uuid);
                fig["index"] = json!(s.index);
                fig["ip"] = json!(s.ip);
                fig["live"] = json!(s.live);
                fig["version"] = s.status["version"].clone();
                fig["chosen"] = json!(self.rec.assigned.contains(&s.uuid));
                fig
            })
            .collect();
        v["state"] = json!(self.rec.phase.as_str());
        v["stages"] = json!(stages);
        v["window"] = self.window().json();
        v["instances"] = json!(instances);
        v["watchingFor"] = json!(self
            .watching_since
            .filter(|_| self.rec.phase == Phase::Running)
            .map(|s| now_ms().saturating_sub(s) as f64 / 1000.0));
        v["waiting"] = json!(self.waiting);
        v
    }
}

/// Looks at running roll-outs every tick, for the repo's life.
pub async fn run(repo: Arc<Repo>) {
    let mut tick = tokio::time::interval(TICK);
    loop {
        tick.tick().await;
        let running: Vec<String> = {
            let map = repo.rollouts.lock();
            map.iter()
                .filter(|(_, l)| l.rec.phase == Phase::Running)
                .map(|(cb, _)| cb.clone())
                .collect()
        };
        for cb in running {
            step(&repo, &cb);
        }
    }
}

/// One look at the roll-out of `cb`.
fn step(repo: &Repo, cb: &str) {
    let seen = repo.instances.seen(cb);
    let mut map = repo.rollouts.lock();
    let Some(live) = map.get_mut(cb).filter(|l| l.rec.phase == Phase::Running) else {
        return;
    };
    match live.judge(&seen, now_ms()) {
        Verdict::Wait(why) => live.waiting = why,
        Verdict::Choose(more) => {
            live.waiting = None;
            let list: Vec<String> = seen
                .iter()
                .filter(|s| more.contains(&s.uuid))
                .map(|s| format!("{} ({})", s.uuid.get(..8).unwrap_or(&s.uuid), s.ip))
                .collect();
            live.rec.assigned.extend(more.iter().cloned());
            let stage = live.rec.stage + 1;
            live.rec.event(format!(
                "stage {stage}: version {} goes to instance{} {}",
                live.rec.version,
                if list.len() == 1 { "" } else { "s" },
                list.join(", ")
            ));
            save(repo, &mut live.rec);
            repo.push(cb, &live.rec.version, Some(more));
        }
        Verdict::Pass(text) => {
            live.waiting = None;
            live.rec.event(text);
            if live.rec.stage + 1 < live.rec.spec.stages.len() {
                live.rec.stage += 1;
                live.watching_since = None;
                save(repo, &mut live.rec);
                return;
            }
            match repo.store.make_current(cb, &live.rec.version) {
                Ok(updated) => {
                    live.rec.phase = Phase::Done;
                    live.snapshot = None;
                    live.rec.event(format!(
                        "done: version {} is the current version of {cb}",
                        live.rec.version
                    ));
                    save(repo, &mut live.rec);
                    repo.announce(&updated);
                }
                Err(e) => {
                    let (RepoError::NotFound(m)
                    | RepoError::Invalid(m)
                    | RepoError::Conflict(m)
                    | RepoError::Internal(m)) = e;
                    let why = format!("cannot publish the version: {m}");
                    end(repo, live, Phase::Aborted, why);
                }
            }
        }
        Verdict::Fail(why) => end(repo, live, Phase::RolledBack, why),
    }
}

/// Ends a roll-out that did not complete: its instances go back to the version it started
/// from.
pub(super) fn end(repo: &Repo, live: &mut Live, phase: Phase, why: String) {
    live.rec.phase = phase;
    live.waiting = None;
    live.snapshot = None;
    live.rec.event(format!(
        "{}: {why}; {} instance{} go back to version {}",
        if phase == Phase::Aborted {
            "aborted"
        } else {
            "rolled back"
        },
        live.rec.assigned.len(),
        if live.rec.assigned.len() == 1 {
            ""
        } else {
            "s"
        },
        live.rec.from
    ));
    live.rec.reason = Some(why);
    save(repo, &mut live.rec);
    let back = live.rec.assigned.clone();
    repo.push(&live.rec.codebase, &live.rec.from, Some(back));
}

fn save(repo: &Repo, rec: &mut super::plan::Record) {
    if let Err(
        RepoError::NotFound(e)
        | RepoError::Invalid(e)
        | RepoError::Conflict(e)
        | RepoError::Internal(e),
    ) = Rollouts::save(&repo.store, rec)
    {
        tracing::error!(target: "repo", "cannot store the roll-out of {}: {e}", rec.codebase);
    }
}
