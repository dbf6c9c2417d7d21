//! What a roll-out is asked to do ([`Spec`], from `POST /api/v1/repo-rollouts/NAME`) and
//! where it stands ([`Record`], a JSON object in the repo database).

use serde_json::{json, Value};

/// One stage: the share of instances to run the new version, and how long to watch them.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// Share of the codebase's instances, in (0, 1].
    pub share: f64,
    /// Seconds to watch them once they all run the version.
    pub watch: f64,
}

/// The limits a roll-out judges its instances by.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Stages, shares rising.
    pub stages: Vec<Stage>,
    /// Highest share of 5xx answers (and failed streams) among the requests the instances on
    /// the new version served.
    pub max_error_rate: f64,
    /// Highest mean response time, in milliseconds (none: not judged).
    pub max_latency_ms: Option<f64>,
    /// Requests the instances on the new version must serve before a stage is judged.
    pub min_requests: u64,
    /// Seconds an instance has to take the version before the roll-out gives up.
    pub take_within: f64,
}

/// Defaults when the request leaves them out.
const DEFAULT_STAGES: [(f64, f64); 3] = [(0.2, 60.0), (0.5, 60.0), (1.0, 60.0)];
const DEFAULT_MAX_ERROR_RATE: f64 = 0.05;
const DEFAULT_MIN_REQUESTS: u64 = 5;
const DEFAULT_TAKE_WITHIN: f64 = 30.0;

fn number(body: &Value, key: &str) -> Result<Option<f64>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(Some)
            .ok_or_else(|| format!("{key} must be a number, 0 or more")),
    }
}

impl Spec {
    /// Reads a roll-out request: `{stages: [{share, watchSeconds}], maxErrorRate,
    /// maxLatencyMs, minRequests, takeSeconds}` (all optional).
    pub fn from_request(body: &Value) -> Result<Spec, String> {
        let stages = match body.get("stages") {
            None | Some(Value::Null) => DEFAULT_STAGES
                .iter()
                .map(|&(share, watch)| Stage { share, watch })
                .collect(),
            Some(Value::Array(list)) => {
                let mut out = Vec::new();
                for s in list {
                    let share = number(s, "share")?
                        .ok_or("each stage needs a share, like {\"share\": 0.2}")?;
                    if share <= 0.0 || share > 1.0 {
                        return Err(format!(
                            "a stage's share is more than 0 and at most 1, not {share}"
                        ));
                    }
                    if out.last().is_some_and(|l: &Stage| l.share >= share) {
                        return Err("the stages' shares must rise".into());
                    }
                    let watch = number(s, "watchSeconds")?.unwrap_or(60.0);
                    out.push(Stage { share, watch });
                }
                if out.is_empty() {
                    return Err("a roll-out needs at least one stage".into());
                }
                out
            }
            Some(_) => return Err("stages must be a list".into()),
        };
        let max_error_rate = number(body, "maxErrorRate")?.unwrap_or(DEFAULT_MAX_ERROR_RATE);
        if max_error_rate > 1.0 {
            return Err("maxErrorRate is a share, at most 1".into());
        }
        Ok(Spec {
            stages,
            max_error_rate,
            max_latency_ms: number(body, "maxLatencyMs")?,
            min_requests: number(body, "minRequests")?
                .map(|n| n as u64)
                .unwrap_or(DEFAULT_MIN_REQUESTS),
            take_within: number(body, "takeSeconds")?.unwrap_or(DEFAULT_TAKE_WITHIN),
        })
    }

    fn to_json(&self) -> Value {
        json!({
            "stages": self.stages.iter()
                .map(|s| json!({ "share": s.share, "watchSeconds": s.watch }))
                .collect::<Vec<_>>(),
            "maxErrorRate": self.max_error_rate,
            "maxLatencyMs": self.max_latency_ms,
            "minRequests": self.min_requests,
            "takeSeconds": self.take_within,
        })
    }
}

/// How a roll-out stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Going through its stages.
    Running,
    /// Every stage passed; the version is the codebase's current one.
    Done,
    /// The instances on the new version got worse and went back.
    RolledBack,
    /// Stopped by a `DELETE`; the instances went back.
    Aborted,
}

impl Phase {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Running => "running",
            Phase::Done => "done",
            Phase::RolledBack => "rolled-back",
            Phase::Aborted => "aborted",
        }
    }

    fn parse(s: &str) -> Option<Phase> {
        Some(match s {
            "running" => Phase::Running,
            "done" => Phase::Done,
            "rolled-back" => Phase::RolledBack,
            "aborted" => Phase::Aborted,
            _ => return None,
        })
    }
}

/// Events kept per roll-out.
const MAX_EVENTS: usize = 200;

/// A roll-out as stored.
#[derive(Clone, Debug)]
pub struct Record {
    /// Row id (0 before it is first saved).
    pub id: i64,
    /// Codebase path.
    pub codebase: String,
    /// The version rolled out.
    pub version: String,
    /// The version everyone ran when it started (what instances go back to).
    pub from: String,
    /// Limits and stages.
    pub spec: Spec,
    /// How it stands.
    pub phase: Phase,
    /// Index of the stage under way (or the last one, once over).
    pub stage: usize,
    /// UUIDs of the instances given the new version, in the order they were chosen.
    pub assigned: Vec<String>,
    /// Why it ended, when it did not complete.
    pub reason: Option<String>,
    /// Start, ms since the epoch.
    pub started: u64,
    /// Last change, ms since the epoch.
    pub updated: u64,
    /// What happened, `(ms since the epoch, words)`, oldest first.
    pub events: Vec<(u64, String)>,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Record {
    /// A new roll-out of `version` over `from`.
    pub fn new(codebase: &str, version: &str, from: &str, spec: Spec) -> Record {
        let now = now_ms();
        Record {
            id: 0,
            codebase: codebase.to_string(),
            version: version.to_string(),
            from: from.to_string(),
            spec,
            phase: Phase::Running,
            stage: 0,
            assigned: Vec::new(),
            reason: None,
            started: now,
            updated: now,
            events: Vec::new(),
        }
    }

    /// Notes an event (and logs it).
    pub fn event(&mut self, text: String) {
        tracing::info!(target: "repo", "roll-out of {} version {}: {text}", self.codebase, self.version);
        self.updated = now_ms();
        if self.events.len() >= MAX_EVENTS {
            self.events.remove(0);
        }
        self.events.push((self.updated, text));
    }

    /// The stored form.
    pub fn to_json(&self) -> Value {
        json!({
            "codebase": self.codebase,
            "version": self.version,
            "from": self.from,
            "spec": self.spec.to_json(),
            "phase": self.phase.as_str(),
            "stage": self.stage,
            "assigned": self.assigned,
            "reason": self.reason,
            "started": self.started,
            "updated": self.updated,
            "events": self.events.iter().map(|(t, e)| json!({ "time": t, "text": e })).collect::<Vec<_>>(),
        })
    }

    /// Reads the stored form back.
    pub fn from_json(id: i64, v: &Value) -> Option<Record> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Record {
            id,
            codebase: s("codebase")?,
            version: s("version")?,
            from: s("from")?,
            spec: Spec::from_request(v.get("spec")?).ok()?,
            phase: Phase::parse(&s("phase")?)?,
            stage: v.get("stage")?.as_u64()? as usize,
            assigned: v
                .get("assigned")?
                .as_array()?
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            reason: s("reason"),
            started: v.get("started")?.as_u64()?,
            updated: v.get("updated")?.as_u64()?,
            events: v
                .get("events")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|e| Some((e.get("time")?.as_u64()?, s_of(e, "text")?)))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

fn s_of(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}
