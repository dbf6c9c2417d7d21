//! The codebase: the folder a program's scripts and files are loaded from.
//!
//! Script paths are codebase-absolute (`/plugins/a.js`); a relative path is taken from the
//! root. Nothing outside the root can be read: a path whose `..` climbs above it is an error.

use std::path::{Path, PathBuf};

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

    /// Reads a codebase file; `Ok(None)` when it does not exist.
    pub fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let p = self.normalize(path)?;
        let full = self.root.join(&p[1..]);
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
