//! The worker's on-disk copy of what it runs, so it starts (and keeps serving) without the
//! repo.
//!
//! `<data dir>/sluice/follow/<key>/` per URL (`key`: a hash of it; the URL is in `url`), with
//! one folder per downloaded version under `versions/`, named by a hash of its files so that
//! workers sharing the cache write each version once, and `current.json` naming the version
//! that last loaded. Old version folders beyond the newest few are removed.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::fetch::Download;

/// Version folders kept (other workers of the same URL may still run an older one).
const KEEP: usize = 8;

/// The cache of one codebase URL.
pub struct Cache {
    dir: PathBuf,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The default cache root: `follow` in the data directory.
pub fn default_root() -> PathBuf {
    crate::web::default_codebases_dir()
        .parent()
        .map(|p| p.join("follow"))
        .unwrap_or_else(|| PathBuf::from("follow"))
}

/// What `current.json` says.
#[derive(Debug, Clone)]
pub struct Cached {
    /// Version string.
    pub version: String,
    /// Entry script.
    pub main: String,
    /// Its folder.
    pub dir: PathBuf,
}

impl Cache {
    /// The cache of `url` under `root`.
    pub fn new(root: &Path, url: &str) -> Cache {
        let d = ring::digest::digest(&ring::digest::SHA256, url.as_bytes());
        let dir = root.join(&hex(d.as_ref())[..16]);
        let _ = std::fs::create_dir_all(dir.join("versions"));
        let _ = std::fs::write(dir.join("url"), url);
        Cache { dir }
    }

    /// Writes a downloaded version's files; returns its folder.
    pub fn store(&self, dl: &Download) -> Result<PathBuf, String> {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(dl.main.as_bytes());
        for (p, data) in &dl.files {
            ctx.update(p.as_bytes());
            ctx.update(&(data.len() as u64).to_be_bytes());
            ctx.update(data);
        }
        let name = hex(ctx.finish().as_ref())[..20].to_string();
        let target = self.dir.join("versions").join(&name);
        if target.is_dir() {
            touch(&target);
            return Ok(target);
        }
        let tmp = self
            .dir
            .join("versions")
            .join(format!(".tmp-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        for (p, data) in &dl.files {
            let rel = crate::repo::store::file_path(p).map_err(|_| format!("bad file name {p}"))?;
            let full = tmp.join(&rel[1..]);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot write the cache {}: {e}", parent.display()))?;
            }
            std::fs::write(&full, data)
                .map_err(|e| format!("cannot write the cache {}: {e}", full.display()))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot write the cache: {e}"))?;
        if std::fs::rename(&tmp, &target).is_err() {
            // Another worker stored the same version first.
            let _ = std::fs::remove_dir_all(&tmp);
            if !target.is_dir() {
                return Err(format!("cannot write the cache {}", target.display()));
            }
        }
        Ok(target)
    }

    /// Records that `version` (in `dir`) loaded, and prunes old versions.
    pub fn set_current(&self, version: &str, main: &str, dir: &Path) {
        let text = json!({ "version": version, "main": main, "dir": dir }).to_string();
        let tmp = self
            .dir
            .join(format!(".current-{}.json", std::process::id()));
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, self.dir.join("current.json"));
        }
        touch(dir);
        self.prune(dir);
    }

    /// The version that last loaded, if its files are still there.
    pub fn current(&self) -> Option<Cached> {
        let text = std::fs::read_to_string(self.dir.join("current.json")).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let dir = PathBuf::from(v["dir"].as_str()?);
        dir.is_dir().then(|| Cached {
            version: v["version"].as_str().unwrap_or("").to_string(),
            main: v["main"].as_str().unwrap_or("/main.js").to_string(),
            dir,
        })
    }

    fn prune(&self, keep: &Path) {
        let Ok(rd) = std::fs::read_dir(self.dir.join("versions")) else {
            return;
        };
        let mut all: Vec<(std::time::SystemTime, PathBuf)> = rd
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        all.sort();
        all.reverse();
        for (_, p) in all.into_iter().skip(KEEP) {
            if p != keep {
                let _ = std::fs::remove_dir_all(p);
            }
        }
    }
}

/// Marks a folder as recently used (its modification time), so pruning keeps it.
fn touch(dir: &Path) {
    let f = dir.join(".used");
    let _ = std::fs::write(&f, b"");
}
