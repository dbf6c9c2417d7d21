//! The rows behind the repo's store: blobs, a codebase's own files and edits, and the
//! snapshots (versions) publishing makes, including those of derived codebases.

use std::collections::BTreeMap;

use bytes::Bytes;
use rusqlite::types::FromSql;
use rusqlite::{params, Connection, OptionalExtension, Params};

use super::store::{RepoError, RepoStore};

type Result<T> = std::result::Result<T, RepoError>;

fn hash_of(data: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(super) fn put_blob(db: &Connection, data: &[u8]) -> Result<String> {
    let hash = hash_of(data);
    db.execute(
        "INSERT OR IGNORE INTO blobs (hash, data) VALUES (?1, ?2)",
        params![hash, data],
    )?;
    Ok(hash)
}

pub(super) fn get_blob(db: &Connection, hash: &str) -> Result<Bytes> {
    let v: Vec<u8> = db.query_row("SELECT data FROM blobs WHERE hash = ?1", [hash], |r| {
        r.get(0)
    })?;
    Ok(Bytes::from(v))
}

/// The first column of the row that `sql` selects with `params`, if it selects one.
pub(super) fn first_of<T: FromSql>(
    db: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<Option<T>> {
    Ok(db.query_row(sql, params, |r| r.get(0)).optional()?)
}

pub(super) fn own_hash(db: &Connection, id: i64, file: &str) -> Result<Option<String>> {
    let sql = "SELECT hash FROM files WHERE codebase = ?1 AND path = ?2";
    first_of(db, sql, params![id, file])
}

pub(super) fn version_id(db: &Connection, id: i64, version: &str) -> Result<Option<i64>> {
    let sql =
        "SELECT id FROM versions WHERE codebase = ?1 AND version = ?2 ORDER BY id DESC LIMIT 1";
    first_of(db, sql, params![id, version])
}

/// Adds the (path, hash) rows `sql` selects for `id` to `out`.
fn path_hashes(
    db: &Connection,
    sql: &str,
    id: i64,
    out: &mut BTreeMap<String, String>,
) -> Result<()> {
    let mut st = db.prepare(sql)?;
    for r in st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (p, h) = r?;
        out.insert(p, h);
    }
    Ok(())
}

/// Own committed files of `id` (path → hash), over what `out` holds.
fn own_files(db: &Connection, id: i64, out: &mut BTreeMap<String, String>) -> Result<()> {
    path_hashes(
        db,
        "SELECT path, hash FROM files WHERE codebase = ?1",
        id,
        out,
    )
}

/// Own committed files of `id` and of its bases (nearest wins).
pub(super) fn own_files_chain(
    db: &Connection,
    id: i64,
    out: &mut BTreeMap<String, String>,
) -> Result<()> {
    let mut chain = vec![id];
    let mut cur = id;
    while let Some(b) = db.query_row("SELECT base FROM codebases WHERE id = ?1", [cur], |r| {
        r.get::<_, Option<i64>>(0)
    })? {
        chain.push(b);
        cur = b;
    }
    for c in chain.into_iter().rev() {
        own_files(db, c, out)?;
    }
    Ok(())
}

/// The files a new version of codebase `id` holds: the current snapshot of its `base` (none
/// before the base's first publish) overlaid with its own committed files.
pub(super) fn version_files(
    db: &Connection,
    base: Option<i64>,
    id: i64,
) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    if let Some(base) = base {
        let current: Option<i64> =
            db.query_row("SELECT current FROM codebases WHERE id = ?1", [base], |r| {
                r.get(0)
            })?;
        if let Some(v) = current {
            let sql = "SELECT path, hash FROM version_files WHERE version = ?1";
            path_hashes(db, sql, v, &mut files)?;
        }
    }
    own_files(db, id, &mut files)?;
    Ok(files)
}

/// Moves pending edits into the codebase's own files; returns how many there were.
pub(super) fn apply_edits(db: &Connection, id: i64) -> Result<usize> {
    let mut st = db.prepare("SELECT path, hash FROM edits WHERE codebase = ?1")?;
    let edits = st
        .query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (p, h) in &edits {
        match h {
            Some(h) => db.execute(
                "INSERT OR REPLACE INTO files (codebase, path, hash) VALUES (?1, ?2, ?3)",
                params![id, p, h],
            )?,
            None => db.execute(
                "DELETE FROM files WHERE codebase = ?1 AND path = ?2",
                params![id, p],
            )?,
        };
    }
    db.execute("DELETE FROM edits WHERE codebase = ?1", [id])?;
    Ok(edits.len())
}

pub(super) fn insert_version(
    db: &Connection,
    id: i64,
    version: &str,
    main: &str,
    files: &BTreeMap<String, String>,
) -> Result<i64> {
    db.execute(
        "INSERT INTO versions (codebase, version, main, published) VALUES (?1, ?2, ?3, ?4)",
        params![id, version, main, now_ms()],
    )?;
    let vid = db.last_insert_rowid();
    let mut st =
        db.prepare("INSERT INTO version_files (version, path, hash) VALUES (?1, ?2, ?3)")?;
    for (p, h) in files {
        st.execute(params![vid, p, h])?;
    }
    Ok(vid)
}

/// Makes snapshot `vid` (named `version`) the current one of codebase `id` at `path`, and gives
/// the codebases derived from it new snapshots; returns every codebase updated.
pub(super) fn make_current(
    db: &Connection,
    id: i64,
    path: &str,
    version: &str,
    vid: i64,
) -> Result<Vec<(String, String)>> {
    db.execute(
        "UPDATE codebases SET version = ?1, current = ?2 WHERE id = ?3",
        params![version, vid, id],
    )?;
    let mut updated = vec![(path.to_string(), version.to_string())];
    follow_derived(db, id, &mut updated)?;
    Ok(updated)
}

/// Gives every codebase derived from `id` a new snapshot over `id`'s current one, depth first.
pub(super) fn follow_derived(
    db: &Connection,
    id: i64,
    updated: &mut Vec<(String, String)>,
) -> Result<()> {
    let mut st = db.prepare("SELECT id, path, main FROM codebases WHERE base = ?1")?;
    let derived = st
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (did, dpath, dmain) in derived {
        let files = version_files(db, Some(id), did)?;
        let mut st = db.prepare("SELECT version FROM versions WHERE codebase = ?1")?;
        let mut next = st
            .query_map([did], |r| r.get::<_, String>(0))?
            .filter_map(|v| v.ok()?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let cur: String =
            db.query_row("SELECT version FROM codebases WHERE id = ?1", [did], |r| {
                r.get(0)
            })?;
        if let Ok(c) = cur.parse::<u64>() {
            next = next.max(c + 1);
        }
        let version = next.to_string();
        let vid = insert_version(db, did, &version, &dmain, &files)?;
        db.execute(
            "UPDATE codebases SET version = ?1, current = ?2 WHERE id = ?3",
            params![version, vid, did],
        )?;
        updated.push((dpath, version));
        follow_derived(db, did, updated)?;
    }
    Ok(())
}

pub(super) fn delete_tree(db: &Connection, id: i64, gone: &mut Vec<String>) -> Result<()> {
    let mut st = db.prepare("SELECT id FROM codebases WHERE base = ?1")?;
    let derived = st
        .query_map([id], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for d in derived {
        delete_tree(db, d, gone)?;
    }
    gone.push(RepoStore::path_of(db, id)?);
    db.execute(
        "DELETE FROM version_files WHERE version IN (SELECT id FROM versions WHERE codebase = ?1)",
        [id],
    )?;
    for t in ["versions", "files", "edits"] {
        db.execute(&format!("DELETE FROM {t} WHERE codebase = ?1"), [id])?;
    }
    db.execute("DELETE FROM codebases WHERE id = ?1", [id])?;
    Ok(())
}
