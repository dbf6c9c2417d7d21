//! The workers that follow the repo's codebases, as their status posts and links tell.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{json, Value};

/// Instances silent this long (and not linked) are forgotten.
const FORGET_AFTER_MS: u64 = 60 * 60 * 1000;

struct Instance {
    index: u64,
    codebase: String,
    ip: String,
    /// Last status post or link activity, ms since the epoch.
    timestamp: u64,
    status: Value,
    links: usize,
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
}
