//! Staged roll-outs (Pipy has none): a version goes to a share of a codebase's instances
//! first, the repo watches their error rate and latency in their status posts, and then goes
//! on to the next share, or rolls those instances back to the version everyone else runs.
//!
//! - [`plan`]: what a roll-out is asked to do, and its record (kept in the repo database, so a
//!   restarted repo resumes a running roll-out or reports how it ended).
//! - [`watch`]: the repo's side while it runs: choosing instances, judging their figures,
//!   moving on, rolling back.
//! - [`api`]: the routes, `/api/v1/repo-rollouts/NAME`.
//!
//! An instance is known by the UUID it links and posts with; a Sluice worker also sends it
//! with every download (`sluice-instance` header), so the manifest it gets is the roll-out's
//! version when it is one of the chosen, and the current version otherwise.

pub mod api;
pub mod plan;
pub mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::params;

use super::store::{Published, RepoError, RepoStore};
use plan::{Phase, Record};

/// The header a worker names itself with when it downloads.
pub const INSTANCE_HEADER: &str = "sluice-instance";

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS rollouts (id INTEGER PRIMARY KEY, \
  codebase TEXT NOT NULL, phase TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rollouts_by_codebase ON rollouts (codebase, id);";

/// The latest roll-out of each codebase, mirrored in the repo database.
#[derive(Default)]
pub struct Rollouts {
    inner: Mutex<HashMap<String, watch::Live>>,
}

impl Rollouts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Live>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the latest roll-out of every codebase from the store (creating its table).
    pub fn load(store: &RepoStore) -> Result<Rollouts, String> {
        let db = store.db();
        db.execute_batch(SCHEMA)
            .map_err(|e| format!("cannot set up the roll-out table: {e}"))?;
        let mut st = db
            .prepare(
                "SELECT r.id, r.record FROM rollouts r WHERE r.id = \
                 (SELECT MAX(id) FROM rollouts WHERE codebase = r.codebase)",
            )
            .map_err(|e| e.to_string())?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| format!("cannot read the roll-outs: {e}"))?;
        let mut map = HashMap::new();
        for (id, text) in rows {
            let Some(rec) = serde_json::from_str(&text)
                .ok()
                .and_then(|v| Record::from_json(id, &v))
            else {
                tracing::warn!(target: "repo", "roll-out {id} cannot be read; ignored");
                continue;
            };
            if rec.phase == Phase::Running {
                tracing::info!(target: "repo", "resuming the roll-out of {} version {} at stage {}",
                    rec.codebase, rec.version, rec.stage + 1);
            }
            map.insert(rec.codebase.clone(), watch::Live::resumed(rec));
        }
        Ok(Rollouts {
            inner: Mutex::new(map),
        })
    }

    /// Writes a record (a new one gets its id).
    pub(super) fn save(store: &RepoStore, rec: &mut Record) -> Result<(), RepoError> {
        let db = store.db();
        let text = rec.to_json().to_string();
        if rec.id == 0 {
            db.execute(
                "INSERT INTO rollouts (codebase, phase, record) VALUES (?1, ?2, ?3)",
                params![rec.codebase, rec.phase.as_str(), text],
            )?;
            rec.id = db.last_insert_rowid();
        } else {
            db.execute(
                "UPDATE rollouts SET phase = ?1, record = ?2 WHERE id = ?3",
                params![rec.phase.as_str(), text, rec.id],
            )?;
        }
        Ok(())
    }

    /// The version instance `uuid` of `codebase` is to run, when a roll-out running now
    /// chose it.
    pub fn version_for(&self, codebase: &str, uuid: &str) -> Option<String> {
        let map = self.lock();
        let live = map.get(codebase)?;
        (live.rec.phase == Phase::Running && live.rec.assigned.iter().any(|a| a == uuid))
            .then(|| live.rec.version.clone())
    }

    /// The snapshot instance `uuid` downloads, if a roll-out gives it another version than
    /// the current one.
    pub fn snapshot_for(
        &self,
        store: &RepoStore,
        codebase: &str,
        uuid: &str,
    ) -> Option<Arc<Published>> {
        let version = self.version_for(codebase, uuid)?;
        let mut map = self.lock();
        let live = map.get_mut(codebase)?;
        if let Some(s) = &live.snapshot {
            return Some(s.clone());
        }
        let s = store.version_snapshot(codebase, &version).ok()?;
        live.snapshot = Some(s.clone());
        Some(s)
    }

    /// The version a running roll-out of `codebase` brings, if one runs.
    pub fn running(&self, codebase: &str) -> Option<String> {
        let map = self.lock();
        map.get(codebase)
            .filter(|l| l.rec.phase == Phase::Running)
            .map(|l| l.rec.version.clone())
    }
}
