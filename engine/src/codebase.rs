//! The codebase: the folder a program's scripts and files are loaded from.
//!
//! Script paths are codebase-absolute (`/plugins/a.js`); a relative path is taken from the
//! root. Nothing outside the root can be read: a path whose `..` climbs above it is an error.
//!
//! As in Pipy, a script may change what the codebase holds while it runs: `pipy.mount(name,
//! dir)` shows the folder `dir` as `/name/`, and `pipy.patch(path, content)` replaces a file's
//! content in memory. Both are kept per codebase folder for the whole process, so every worker
//! thread sees them and they outlive a reload, as they outlive one in Pipy.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

/// Mounts and patches of one codebase folder.
#[derive(Default)]
struct Overlay {
    mounts: BTreeMap<String, PathBuf>,
    patches: HashMap<String, Vec<u8>>,
}

static OVERLAYS: LazyLock<Mutex<HashMap<PathBuf, Overlay>>> = LazyLock::new(Default::default);

/// Every file at or under `path` with its size and modification time, sorted: two fingerprints
/// differ when a file was added, removed or changed. A path that does not exist has none.
pub fn fingerprint(path: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => {
                for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                    stack.push(e.path());
                }
            }
            Ok(m) => out.push((p, m.len(), m.modified().ok())),
            Err(_) => {}
        }
    }
    out.sort();
    out
}

/// A folder of scripts and data files with an entry script.
#[derive(Debug)]
pub struct Codebase {
    root: PathBuf,
    main: String,
}

impl Codebase {
    /// Opens a script file (its folder becomes the codebase) or a folder (entry `/main.js`).
    pub fn open(target: &Path) -> Result<Codebase, String> {
        let meta = std::fs::metadata(target)
            .map_err(|e| format!("cannot open {}: {}", target.display(), plain_io(&e)))?;
        let abs = target
            .canonicalize()
            .map_err(|e| format!("cannot open {}: {}", target.display(), plain_io(&e)))?;
        if meta.is_dir() {
            let main = abs.join("main.js");
            if !main.is_file() {
                return Err(format!(
                    "no main.js in codebase folder {}",
                    target.display()
                ));
            }
            Ok(Codebase {
                root: abs,
                main: "/main.js".into(),
            })
        } else {
            let root = abs
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("/"));
            let name = abs
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Codebase {
                root,
                main: format!("/{name}"),
            })
        }
    }

    /// A folder whose entry script is `main` (a codebase path like `/proxy.js`).
    pub fn with_main(dir: &Path, main: &str) -> Result<Codebase, String> {
        let root = dir
            .canonicalize()
            .map_err(|e| format!("cannot open {}: {}", dir.display(), plain_io(&e)))?;
        let cb = Codebase {
            root,
            main: String::new(),
        };
        let main = cb.normalize(main)?;
        if !cb.root.join(&main[1..]).is_file() {
            return Err(format!("the entry script {main} does not exist"));
        }
        Ok(Codebase { main, ..cb })
    }

    /// The folder on disk.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The entry script's codebase path, e.g. `/proxy.js`.
    pub fn main(&self) -> &str {
        &self.main
    }

    /// A path's codebase-absolute form (see [`Codebase::normalize`]) and the file or folder
    /// on disk it stands for (see [`Codebase::full_path`]).
    pub fn locate(&self, path: &str) -> Result<(String, PathBuf), String> {
        let norm = self.normalize(path)?;
        let full = self.full_path(&norm);
        Ok((norm, full))
    }

    /// Normalizes a script path to codebase-absolute form (`a/./b/../c.js` → `/a/c.js`).
    pub fn normalize(&self, path: &str) -> Result<String, String> {
        let root = self.root.to_string_lossy();
        let rel = path
            .strip_prefix(root.as_ref())
            .filter(|r| r.starts_with('/'))
            .unwrap_or(path);
        let mut parts: Vec<&str> = Vec::new();
        for seg in rel.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(format!("path {path} is outside the codebase"));
                    }
                }
                s => parts.push(s),
            }
        }
        Ok(format!("/{}", parts.join("/")))
    }

    fn with_overlay<R>(&self, f: impl FnOnce(&mut Overlay) -> R) -> R {
        let mut all = OVERLAYS.lock().unwrap_or_else(|e| e.into_inner());
        f(all.entry(self.root.clone()).or_default())
    }

    /// Where the normalized codebase path `norm` is on disk: under a mounted folder when its
    /// first segment names a mount, else under the root.
    pub fn full_path(&self, norm: &str) -> PathBuf {
        let rel = norm.trim_start_matches('/');
        let (first, rest) = rel.split_once('/').unwrap_or((rel, ""));
        let mounted = self.with_overlay(|o| o.mounts.get(first).cloned());
        match mounted {
            Some(dir) if !first.is_empty() => dir.join(rest),
            _ => self.root.join(rel),
        }
    }

    /// The names mounted with [`Codebase::mount`], with their folders.
    pub fn mounts(&self) -> Vec<(String, PathBuf)> {
        self.with_overlay(|o| {
            o.mounts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
    }

    /// Shows the folder `dir` as `/name/` (`name` is one path segment that the codebase
    /// does not use yet).
    pub fn mount(&self, name: &str, dir: &Path) -> Result<(), String> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(format!(
                "invalid mount name {name:?}: it must be one path segment"
            ));
        }
        if !dir.is_dir() {
            return Err(format!("cannot mount {}: not a folder", dir.display()));
        }
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("cannot mount {}: {}", dir.display(), plain_io(&e)))?;
        if self.root.join(name).exists() {
            return Err(format!("cannot mount /{name}: the codebase already has it"));
        }
        self.with_overlay(|o| {
            if o.mounts.contains_key(name) {
                return Err(format!("cannot mount /{name}: it is mounted already"));
            }
            o.mounts.insert(name.to_string(), dir);
            Ok(())
        })
    }

    /// Removes the mount `name` (nothing happens when there is none).
    pub fn unmount(&self, name: &str) {
        self.with_overlay(|o| o.mounts.remove(name));
    }

    /// Replaces the content of the codebase file `path` in memory (the file on disk stays).
    pub fn patch(&self, path: &str, content: Vec<u8>) -> Result<(), String> {
        let p = self.normalize(path)?;
        self.with_overlay(|o| o.patches.insert(p, content));
        Ok(())
    }

    /// The patched content of the normalized path `norm`, if it was patched.
    pub fn patched(&self, norm: &str) -> Option<Vec<u8>> {
        self.with_overlay(|o| o.patches.get(norm).cloned())
    }

    /// Reads a codebase file; `Ok(None)` when it does not exist.
    pub fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let p = self.normalize(path)?;
        if let Some(b) = self.patched(&p) {
            return Ok(Some(b));
        }
        let full = self.full_path(&p);
        match std::fs::read(&full) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Ok(None),
            Err(e) => Err(format!("cannot read {p}: {}", plain_io(&e))),
        }
    }
}

fn plain_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
