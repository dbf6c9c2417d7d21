//! Versions apart from the current one, for staged roll-outs: a snapshot made without being
//! served to everyone, read back by version, and made current when the roll-out completes.

use std::sync::Arc;

use super::rows::{apply_edits, insert_version, version_files, version_id};
use super::store::{Published, RepoError, RepoStore};

type Result<T> = std::result::Result<T, RepoError>;

impl RepoStore {
    /// Makes `version` of `path` ready without serving it: pending edits become the
    /// codebase's files and a snapshot of them is stored under `version`. A version already
    /// in the history is taken as it is (there must then be no pending edits). Returns the
    /// version being served now.
    pub fn prepare_version(&self, path: &str, version: &str) -> Result<String> {
        let mut db = self.db();
        let row = Self::must(&db, path)?;
        if row.current.is_some() && row.version == version {
            return Err(RepoError::Conflict(format!(
                "{path} serves version {version} already"
            )));
        }
        if row.current.is_none() {
            return Err(RepoError::Conflict(format!(
                "{path} has never been published: publish a first version before rolling one out"
            )));
        }
        let tx = db.transaction()?;
        let existing = version_id(&tx, row.id, version)?;
        let edits = apply_edits(&tx, row.id)?;
        match existing {
            Some(_) if edits > 0 => {
                return Err(RepoError::Conflict(format!(
                    "{path} has a version {version} already: roll out the edits under a new version"
                )))
            }
            Some(_) => {}
            None => {
                let files = version_files(&tx, row.base, row.id)?;
                insert_version(&tx, row.id, version, &row.main, &files)?;
            }
        }
        tx.commit()?;
        Ok(row.version)
    }

    /// Serves `version` (in the history) to everyone, without touching pending edits; the
    /// codebases derived from `path` follow. Returns every codebase whose version changed.
    pub fn make_current(&self, path: &str, version: &str) -> Result<Vec<(String, String)>> {
        let mut db = self.db();
        let row = Self::must(&db, path)?;
        let tx = db.transaction()?;
        let vid = version_id(&tx, row.id, version)?
            .ok_or_else(|| RepoError::NotFound(format!("{path} has no version {version}")))?;
        self.commit_current(tx, row.id, path, version, vid)
    }

    /// A stored version of `path` as workers download it.
    pub fn version_snapshot(&self, path: &str, version: &str) -> Result<Arc<Published>> {
        let db = self.db();
        let row = Self::must(&db, path)?;
        let vid = version_id(&db, row.id, version)?
            .ok_or_else(|| RepoError::NotFound(format!("{path} has no version {version}")))?;
        Ok(Arc::new(Published::load(&db, vid)?))
    }
}
