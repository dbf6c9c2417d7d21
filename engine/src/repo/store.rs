//! The repo's store: codebases, their pending edits, and every published version with its
//! files, in one SQLite database (`repo.db` in the repo folder).
//!
//! File contents live once in `blobs`, keyed by their SHA-256, so a version that changes one
//! file costs one file. A codebase has its *own* committed files, *edits* waiting to be
//! published (a missing content marks an erased file), and a history of *versions*, each a
//! complete snapshot (its base's files under its own). Publishing makes a snapshot current;
//! rolling back makes an older one current again. A derived codebase follows its base: when
//! the base's current snapshot changes, the derived one gets a new snapshot with a new number.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{
    apply_edits, delete_tree, first_of, get_blob, insert_version, make_current, own_files_chain,
    own_hash, put_blob, version_files, version_id,
};

/// Why a store operation did not happen, in plain words.
#[derive(Debug)]
pub enum RepoError {
    /// No such codebase, version or file.
    NotFound(String),
    /// The request makes no sense (bad name, bad version).
    Invalid(String),
    /// It clashes with what is there (the codebase or version exists).
    Conflict(String),
    /// The database failed.
    Internal(String),
}

impl From<rusqlite::Error> for RepoError {
    fn from(e: rusqlite::Error) -> RepoError {
        RepoError::Internal(format!("repo database: {e}"))
    }
}

type Result<T> = std::result::Result<T, RepoError>;

/// A published snapshot as workers download it.
#[derive(Debug)]
pub struct Published {
    /// Version string (the `etag` of every file).
    pub version: String,
    /// Entry script.
    pub main: String,
    /// Every file by codebase path.
    pub files: BTreeMap<String, Bytes>,
}

impl Published {
    /// The stored version `vid` with all its files.
    pub(super) fn load(db: &Connection, vid: i64) -> rusqlite::Result<Published> {
        let (version, main) = db.query_row(
            "SELECT version, main FROM versions WHERE id = ?1",
            [vid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut st = db.prepare(
            "SELECT f.path, b.data FROM version_files f JOIN blobs b ON b.hash = f.hash \
             WHERE f.version = ?1",
        )?;
        let files = st
            .query_map([vid], |r| {
                Ok((r.get::<_, String>(0)?, Bytes::from(r.get::<_, Vec<u8>>(1)?)))
            })?
            .collect::<rusqlite::Result<BTreeMap<_, _>>>()?;
        Ok(Published {
            version,
            main,
            files,
        })
    }
}

/// What `GET /api/v1/repo/NAME` tells about a codebase (Pipy's fields).
#[derive(Debug, Default)]
pub struct Info {
    /// Codebase path (`/team/app`).
    pub path: String,
    /// Current version (`0` before the first publish, or the one given at creation).
    pub version: String,
    /// Entry script.
    pub main: String,
    /// Path of the base codebase, if derived.
    pub base: Option<String>,
    /// Own committed files.
    pub files: Vec<String>,
    /// Files with a pending edit.
    pub edit_files: Vec<String>,
    /// Files to be erased at the next publish.
    pub erased_files: Vec<String>,
    /// Files inherited from the base (and its bases).
    pub base_files: Vec<String>,
    /// Paths of the codebases derived from this one.
    pub derived: Vec<String>,
}

/// One published version in a codebase's history.
#[derive(Debug)]
pub struct VersionInfo {
    /// Version string.
    pub version: String,
    /// Entry script of that version.
    pub main: String,
    /// When it was published, in milliseconds since the epoch.
    pub published: i64,
    /// Every file of the snapshot.
    pub files: Vec<String>,
    /// Whether it is the version served now.
    pub current: bool,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS codebases (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  base INTEGER,
  main TEXT NOT NULL,
  version TEXT NOT NULL,
  current INTEGER
);
CREATE TABLE IF NOT EXISTS files (codebase INTEGER NOT NULL, path TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (codebase, path));
CREATE TABLE IF NOT EXISTS edits (codebase INTEGER NOT NULL, path TEXT NOT NULL, hash TEXT,
  PRIMARY KEY (codebase, path));
CREATE TABLE IF NOT EXISTS versions (id INTEGER PRIMARY KEY, codebase INTEGER NOT NULL,
  version TEXT NOT NULL, main TEXT NOT NULL, published INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS versions_by_codebase ON versions (codebase, version);
CREATE TABLE IF NOT EXISTS version_files (version INTEGER NOT NULL, path TEXT NOT NULL,
  hash TEXT NOT NULL, PRIMARY KEY (version, path));
";

/// The script a new codebase starts with.
const NEW_MAIN: &str = "// A new codebase: publish it, then run it with\n\
// `engine http://HOST:6060/repo/NAME/`.\n\
pipy()\n  .listen(8080)\n  .serveHTTP(new Message('Hello from the repo!\\n'))\n";

/// The repo database with a cache of the snapshots workers download.
pub struct RepoStore {
    db: Mutex<Connection>,
    cache: Mutex<HashMap<String, Option<Arc<Published>>>>,
}

/// Drops the pending edit (or erasure) of `file` in codebase `id`.
fn drop_edit(db: &Connection, id: i64, file: &str) -> Result<()> {
    db.execute(
        "DELETE FROM edits WHERE codebase = ?1 AND path = ?2",
        params![id, file],
    )?;
    Ok(())
}

/// A codebase path in canonical form: `/a/b`, no empty or dot segments.
pub fn canonical_path(name: &str) -> Result<String> {
    let segs: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
    if segs.is_empty() || segs.iter().any(|s| *s == "." || *s == "..") {
        return Err(RepoError::Invalid(format!("invalid codebase name: {name}")));
    }
    Ok(format!("/{}", segs.join("/")))
}

/// A file path in canonical form (`/a/b.js`); `..` is refused.
pub fn file_path(path: &str) -> Result<String> {
    let segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if segs.is_empty() || segs.contains(&"..") {
        return Err(RepoError::Invalid(format!("invalid file name: {path}")));
    }
    Ok(format!("/{}", segs.join("/")))
}

pub(super) struct Row {
    pub(super) id: i64,
    pub(super) base: Option<i64>,
    pub(super) main: String,
    pub(super) version: String,
    pub(super) current: Option<i64>,
}

impl RepoStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> std::result::Result<RepoStore, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the repo folder {}: {e}", dir.display()))?;
        let file = dir.join("repo.db");
        let db = Connection::open(&file)
            .map_err(|e| format!("cannot open the repo database {}: {e}", file.display()))?;
        db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .and_then(|_| db.execute_batch(SCHEMA))
            .map_err(|e| format!("cannot set up the repo database {}: {e}", file.display()))?;
        Ok(RepoStore {
            db: Mutex::new(db),
            cache: Mutex::new(HashMap::new()),
        })
    }

    pub(super) fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes version `vid` of codebase `id` current, commits `tx`, and forgets the cached
    /// snapshots of the codebases that changed with it (which it returns with their versions).
    pub(super) fn commit_current(
        &self,
        tx: rusqlite::Transaction<'_>,
        id: i64,
        path: &str,
        version: &str,
        vid: i64,
    ) -> Result<Vec<(String, String)>> {
        let updated = make_current(&tx, id, path, version, vid)?;
        tx.commit()?;
        let paths: Vec<String> = updated.iter().map(|u| u.0.clone()).collect();
        self.forget(&paths);
        Ok(updated)
    }

    pub(super) fn forget(&self, paths: &[String]) {
        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        for p in paths {
            c.remove(p);
        }
    }

    /// Every codebase path, sorted.
    pub fn list(&self) -> Result<Vec<String>> {
        let db = self.db();
        let mut st = db.prepare("SELECT path FROM codebases ORDER BY path")?;
        let v = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    fn row(db: &Connection, path: &str) -> Result<Option<Row>> {
        Ok(db
            .query_row(
                "SELECT id, base, main, version, current FROM codebases WHERE path = ?1",
                [path],
                |r| {
                    Ok(Row {
                        id: r.get(0)?,
                        base: r.get(1)?,
                        main: r.get(2)?,
                        version: r.get(3)?,
                        current: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    pub(super) fn must(db: &Connection, path: &str) -> Result<Row> {
        Self::row(db, path)?.ok_or_else(|| RepoError::NotFound(format!("no codebase {path}")))
    }

    pub(super) fn path_of(db: &Connection, id: i64) -> Result<String> {
        Ok(
            db.query_row("SELECT path FROM codebases WHERE id = ?1", [id], |r| {
                r.get(0)
            })?,
        )
    }

    /// Whether `path` is a codebase.
    pub fn exists(&self, path: &str) -> bool {
        matches!(Self::row(&self.db(), path), Ok(Some(_)))
    }

    /// Splits `/a/b/c.js` into the longest codebase prefix and the file path inside it.
    pub fn codebase_of(&self, full: &str) -> Option<(String, String)> {
        let db = self.db();
        let segs: Vec<&str> = full.split('/').filter(|s| !s.is_empty()).collect();
        for n in (1..segs.len()).rev() {
            let cb = format!("/{}", segs[..n].join("/"));
            if let Ok(Some(_)) = Self::row(&db, &cb) {
                return Some((cb, format!("/{}", segs[n..].join("/"))));
            }
        }
        None
    }

    /// Creates a codebase at version `version`: derived from `base` (it inherits the base's
    /// files and main), or with a starter `/main.js`.
    pub fn create(
        &self,
        path: &str,
        base: Option<&str>,
        main: Option<&str>,
        version: &str,
    ) -> Result<()> {
        let mut db = self.db();
        if Self::row(&db, path)?.is_some() {
            return Err(RepoError::Conflict(format!(
                "codebase {path} exists already"
            )));
        }
        let base = match base {
            Some(b) => Some(
                Self::row(&db, &canonical_path(b)?)?
                    .ok_or_else(|| RepoError::Invalid(format!("no base codebase {b}")))?,
            ),
            None => None,
        };
        let main = match (main, &base) {
            (Some(m), _) => file_path(m)?,
            (None, Some(b)) => b.main.clone(),
            (None, None) => "/main.js".to_string(),
        };
        let tx = db.transaction()?;
        tx.execute(
            "INSERT INTO codebases (path, base, main, version) VALUES (?1, ?2, ?3, ?4)",
            params![path, base.as_ref().map(|b| b.id), main, version],
        )?;
        if base.is_none() {
            let id = tx.last_insert_rowid();
            let hash = put_blob(&tx, NEW_MAIN.as_bytes())?;
            tx.execute(
                "INSERT INTO files (codebase, path, hash) VALUES (?1, '/main.js', ?2)",
                params![id, hash],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The codebase's description (Pipy's `GET /api/v1/repo/NAME`).
    pub fn info(&self, path: &str) -> Result<Info> {
        let db = self.db();
        let row = Self::must(&db, path)?;
        let names = |sql: &str, id: i64| -> Result<Vec<String>> {
            let mut st = db.prepare(sql)?;
            let v = st
                .query_map([id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(v)
        };
        let mut base_files = Vec::new();
        let mut base_path = None;
        if let Some(b) = row.base {
            base_path = Some(Self::path_of(&db, b)?);
            let mut all = BTreeMap::new();
            own_files_chain(&db, b, &mut all)?;
            base_files = all.into_keys().collect();
        }
        Ok(Info {
            path: path.to_string(),
            version: row.version,
            main: row.main,
            base: base_path,
            files: names(
                "SELECT path FROM files WHERE codebase = ?1 ORDER BY path",
                row.id,
            )?,
            edit_files: names(
                "SELECT path FROM edits WHERE codebase = ?1 AND hash IS NOT NULL ORDER BY path",
                row.id,
            )?,
            erased_files: names(
                "SELECT path FROM edits WHERE codebase = ?1 AND hash IS NULL ORDER BY path",
                row.id,
            )?,
            base_files,
            derived: names(
                "SELECT path FROM codebases WHERE base = ?1 ORDER BY path",
                row.id,
            )?,
        })
    }

    /// A file as an editor sees it: the pending edit, else the committed file, else the base's.
    pub fn read_file(&self, path: &str, file: &str) -> Result<Bytes> {
        let db = self.db();
        let row = Self::must(&db, path)?;
        let sql = "SELECT hash FROM edits WHERE codebase = ?1 AND path = ?2";
        let edit: Option<Option<String>> = first_of(&db, sql, params![row.id, file])?;
        let hash = match edit {
            Some(Some(h)) => Some(h),
            Some(None) => None,
            None => own_hash(&db, row.id, file)?,
        };
        let mut hash = hash;
        let mut base = row.base;
        while hash.is_none() {
            let Some(b) = base else { break };
            hash = own_hash(&db, b, file)?;
            base = db.query_row("SELECT base FROM codebases WHERE id = ?1", [b], |r| {
                r.get(0)
            })?;
        }
        match hash {
            Some(h) => get_blob(&db, &h),
            None => Err(RepoError::NotFound(format!("no file {file} in {path}"))),
        }
    }

    /// A file of a published version.
    pub fn read_version_file(&self, path: &str, version: &str, file: &str) -> Result<Bytes> {
        let db = self.db();
        let row = Self::must(&db, path)?;
        let vid = version_id(&db, row.id, version)?
            .ok_or_else(|| RepoError::NotFound(format!("{path} has no version {version}")))?;
        let sql = "SELECT hash FROM version_files WHERE version = ?1 AND path = ?2";
        let hash: Option<String> = first_of(&db, sql, params![vid, file])?;
        match hash {
            Some(h) => get_blob(&db, &h),
            None => Err(RepoError::NotFound(format!(
                "no file {file} in version {version} of {path}"
            ))),
        }
    }

    /// Stores an edit of `file` (published by the next publish).
    pub fn set_file(&self, path: &str, file: &str, data: &[u8]) -> Result<()> {
        let db = self.db();
        let row = Self::must(&db, path)?;
        let hash = put_blob(&db, data)?;
        db.execute(
            "INSERT OR REPLACE INTO edits (codebase, path, hash) VALUES (?1, ?2, ?3)",
            params![row.id, file, hash],
        )?;
        Ok(())
    }

    /// Drops the pending edit or erasure of `file`.
    pub fn reset_file(&self, path: &str, file: &str) -> Result<()> {
        let db = self.db();
        let row = Self::must(&db, path)?;
        drop_edit(&db, row.id, file)
    }

    /// Erases `file`: its pending edit goes, and a committed file is marked to go at the
    /// next publish.
    pub fn erase_file(&self, path: &str, file: &str) -> Result<()> {
        let db = self.db();
        let row = Self::must(&db, path)?;
        drop_edit(&db, row.id, file)?;
        if own_hash(&db, row.id, file)?.is_some() {
            db.execute(
                "INSERT INTO edits (codebase, path, hash) VALUES (?1, ?2, NULL)",
                params![row.id, file],
            )?;
        }
        Ok(())
    }

    /// Sets the entry script (taken by the next publish).
    pub fn set_main(&self, path: &str, main: &str) -> Result<()> {
        let main = file_path(main)?;
        let db = self.db();
        let row = Self::must(&db, path)?;
        db.execute(
            "UPDATE codebases SET main = ?1 WHERE id = ?2",
            params![main, row.id],
        )?;
        Ok(())
    }

    /// Makes pending edits the codebase's own files without publishing (Pipy's PATCH with no
    /// version). Returns whether there was anything to commit.
    pub fn commit_edits(&self, path: &str) -> Result<bool> {
        let mut db = self.db();
        let row = Self::must(&db, path)?;
        let tx = db.transaction()?;
        let n = apply_edits(&tx, row.id)?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Publishes `version`: pending edits become the codebase's files and a snapshot of them
    /// (over the base's) becomes current. When `version` is already in the history and there
    /// are no pending edits, that snapshot becomes current again (a rollback, or a roll
    /// forward). Codebases derived from this one follow with new versions of their own.
    /// Returns every codebase whose current version changed, with its new version.
    pub fn publish(&self, path: &str, version: &str) -> Result<Vec<(String, String)>> {
        let mut db = self.db();
        let row = Self::must(&db, path)?;
        let tx = db.transaction()?;
        let existing = version_id(&tx, row.id, version)?;
        let edits = apply_edits(&tx, row.id)?;
        let vid = match existing {
            Some(_) if edits > 0 => {
                return Err(RepoError::Conflict(format!(
                    "{path} has a version {version} already: publish the edits under a new version"
                )))
            }
            Some(v) => v,
            None => {
                let files = version_files(&tx, row.base, row.id)?;
                insert_version(&tx, row.id, version, &row.main, &files)?
            }
        };
        self.commit_current(tx, row.id, path, version, vid)
    }

    /// The published history, oldest first.
    pub fn versions(&self, path: &str) -> Result<Vec<VersionInfo>> {
        let db = self.db();
        let row = Self::must(&db, path)?;
        let mut st = db.prepare(
            "SELECT id, version, main, published FROM versions WHERE codebase = ?1 ORDER BY id",
        )?;
        let rows = st
            .query_map([row.id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for (id, version, main, published) in rows {
            let mut st =
                db.prepare("SELECT path FROM version_files WHERE version = ?1 ORDER BY path")?;
            let files = st
                .query_map([id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.push(VersionInfo {
                version,
                main,
                published,
                files,
                current: row.current == Some(id),
            });
        }
        Ok(out)
    }

    /// Deletes a codebase, the codebases derived from it, and their histories.
    pub fn delete(&self, path: &str) -> Result<Vec<String>> {
        let mut db = self.db();
        let row = Self::must(&db, path)?;
        let tx = db.transaction()?;
        let mut gone = Vec::new();
        delete_tree(&tx, row.id, &mut gone)?;
        tx.execute(
            "DELETE FROM blobs WHERE hash NOT IN (SELECT hash FROM files UNION \
             SELECT hash FROM edits WHERE hash IS NOT NULL UNION SELECT hash FROM version_files)",
            [],
        )?;
        tx.commit()?;
        drop(db);
        self.forget(&gone);
        Ok(gone)
    }

    /// The current published snapshot of a codebase, if it has one (cached).
    pub fn published(&self, path: &str) -> Result<Option<Arc<Published>>> {
        if let Some(p) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
        {
            return Ok(p.clone());
        }
        let db = self.db();
        let snap = match Self::row(&db, path)? {
            Some(Row {
                current: Some(vid), ..
            }) => Some(Arc::new(Published::load(&db, vid)?)),
            _ => None,
        };
        drop(db);
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_string(), snap.clone());
        Ok(snap)
    }
}
