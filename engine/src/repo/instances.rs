//! The workers that follow the repo's codebases, as their status posts and links tell, and
//! the last lines each one logged (sent over its push link).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::{json, Value};

/// Instances silent this long (and not linked) are forgotten.
const FORGET_AFTER_MS: u64 = 60 * 60 * 1000;

/// An instance with no open link that has not posted for this long is taken for gone.
const LIVE_MS: u64 = 20_000;

/// Log lines kept per instance.
const LOG_LINES: usize = 500;

/// Longest log line kept (longer ones are cut).
const LOG_LINE_BYTES: usize = 4096;

/// One instance as the repo knows it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The UUID it links and posts with.
    pub uuid: String,
    /// Its number, in the order the repo first heard of it.
    pub index: u64,
    /// Address it posts from.
    pub ip: String,
    /// Its link is open, or it posted lately.
    pub live: bool,
    /// Its last status report (null before the first).
    pub status: Value,
}

struct Instance {
    index: u64,
    codebase: String,
    ip: String,
    /// Last status post or link activity, ms since the epoch.
    timestamp: u64,
    status: Value,
    links: usize,
    /// Recent log lines with their sequence numbers (from 1).
    log: VecDeque<(u64, String)>,
    log_next: u64,
}

/// Every known instance, by UUID.
#[derive(Default)]
pub struct Instances {
    inner: Mutex<(u64, HashMap<String, Instance>)>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Instances {
    fn with<R>(&self, f: impl FnOnce(&mut (u64, HashMap<String, Instance>)) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn entry<'a>(
        st: &'a mut (u64, HashMap<String, Instance>),
        uuid: &str,
        codebase: &str,
    ) -> &'a mut Instance {
        let (next, map) = st;
        let inst = map.entry(uuid.to_string()).or_insert_with(|| {
            *next += 1;
            Instance {
                index: *next,
                codebase: codebase.to_string(),
                ip: String::new(),
                timestamp: 0,
                status: Value::Null,
                links: 0,
                log: VecDeque::new(),
                log_next: 1,
            }
        });
        inst.codebase = codebase.to_string();
        inst
    }

    /// Records a status post of `codebase`'s instance from `ip`.
    pub fn report(&self, codebase: &str, ip: &str, status: Value) {
        let uuid = status
            .get("uuid")
            .and_then(|u| u.as_str())
            .unwrap_or("")
            .to_string();
        self.with(|st| {
            let now = now_ms();
            st.1.retain(|_, i| i.links > 0 || now.saturating_sub(i.timestamp) < FORGET_AFTER_MS);
            let inst = Self::entry(st, &uuid, codebase);
            inst.ip = ip.to_string();
            inst.timestamp = now;
            inst.status = status;
        });
    }

    /// A worker opened (`true`) or lost its link.
    pub fn linked(&self, uuid: &str, codebase: &str, ip: &str, open: bool) {
        self.with(|st| {
            let inst = Self::entry(st, uuid, codebase);
            if open {
                inst.links += 1;
                inst.ip = ip.to_string();
            } else {
                inst.links = inst.links.saturating_sub(1);
            }
            inst.timestamp = now_ms();
        });
    }

    /// The instances of `codebase`, as Pipy lists them: `{index: {ip, timestamp, status}}`,
    /// plus `uuid` and `linked` (a push link is open).
    pub fn of(&self, codebase: &str) -> Value {
        self.with(|st| {
            let mut m = serde_json::Map::new();
            let mut all: Vec<(&String, &Instance)> =
                st.1.iter()
                    .filter(|(_, i)| i.codebase == codebase)
                    .collect();
            all.sort_by_key(|(_, i)| i.index);
            for (uuid, i) in all {
                m.insert(
                    i.index.to_string(),
                    json!({
                        "uuid": uuid,
                        "ip": i.ip,
                        "timestamp": i.timestamp,
                        "linked": i.links > 0,
                        "status": i.status,
                    }),
                );
            }
            Value::Object(m)
        })
    }

    /// The instances of `codebase`, first seen first.
    pub fn seen(&self, codebase: &str) -> Vec<Seen> {
        self.with(|st| {
            let now = now_ms();
            let mut all: Vec<Seen> =
                st.1.iter()
                    .filter(|(_, i)| i.codebase == codebase)
                    .map(|(uuid, i)| Seen {
                        uuid: uuid.clone(),
                        index: i.index,
                        ip: i.ip.clone(),
                        live: i.links > 0 || now.saturating_sub(i.timestamp) < LIVE_MS,
                        status: i.status.clone(),
                    })
                    .collect();
            all.sort_by_key(|s| s.index);
            all
        })
    }

    /// Keeps the lines of `text` as instance `uuid`'s latest log lines (bounded).
    pub fn log(&self, uuid: &str, text: &str) {
        self.with(|st| {
            let Some(inst) = st.1.get_mut(uuid) else {
                return;
            };
            for line in text.lines().filter(|l| !l.is_empty()) {
                let mut line = line.to_string();
                if line.len() > LOG_LINE_BYTES {
                    let mut cut = LOG_LINE_BYTES;
                    while !line.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    line.truncate(cut);
                }
                if inst.log.len() >= LOG_LINES {
                    inst.log.pop_front();
                }
                inst.log.push_back((inst.log_next, line));
                inst.log_next += 1;
            }
        })
    }

    /// Instance `uuid`'s kept log lines numbered above `after`, and the number to ask after
    /// next; `None` for an unknown instance.
    pub fn log_after(&self, uuid: &str, after: u64) -> Option<(Vec<(u64, String)>, u64)> {
        self.with(|st| {
            let inst = st.1.get(uuid)?;
            let lines = inst
                .log
                .iter()
                .filter(|(n, _)| *n > after)
                .cloned()
                .collect();
            Some((lines, inst.log_next - 1))
        })
    }
}
