//! Codebases on disk: one folder each under the store's root, with its entry script recorded
//! in `.sluice.json`. Every path is checked to stay inside its codebase.

use std::path::{Path, PathBuf};

use hyper::StatusCode;

const META: &str = crate::settings::FILE;
const HELLO: &str =
    "pipy()\n\n.listen(8080)\n  .serveHTTP(\n    new Message('Hi, there!\\n')\n  )\n";

/// A refusal, with the HTTP status it maps to.
#[derive(Debug)]
pub struct StoreError(pub StatusCode, pub String);

type R<T> = Result<T, StoreError>;

fn not_found(what: impl Into<String>) -> StoreError {
    StoreError(StatusCode::NOT_FOUND, what.into())
}

fn bad(what: impl Into<String>) -> StoreError {
    StoreError(StatusCode::BAD_REQUEST, what.into())
}

fn io(e: std::io::Error) -> StoreError {
    StoreError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// The folder of codebases.
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// A store at `root` (created by the caller).
    pub fn new(root: PathBuf) -> Store {
        Store { root }
    }

    /// The folder for a new codebase named `name`: a valid name that is not taken (409).
    fn vacant(&self, name: &str) -> R<PathBuf> {
        Self::check_name(name)?;
        let d = self.root.join(name);
        if d.exists() {
            return Err(StoreError(
                StatusCode::CONFLICT,
                format!("codebase {name} already exists"),
            ));
        }
        Ok(d)
    }

    fn check_name(name: &str) -> R<()> {
        let ok = !name.is_empty()
            && name.len() <= 100
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if ok {
            Ok(())
        } else {
            Err(bad(format!(
                "invalid codebase name {name:?}: use letters, digits, '-', '_' and '.'"
            )))
        }
    }

    /// The folder of an existing codebase.
    pub fn dir(&self, name: &str) -> R<PathBuf> {
        Self::check_name(name)?;
        let d = self.root.join(name);
        if d.is_dir() {
            Ok(d)
        } else {
            Err(not_found(format!("no codebase named {name}")))
        }
    }

    /// Every codebase with its entry script.
    pub fn list(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| Self::check_name(n).is_ok())
            .map(|n| {
                let main = self.main(&n).unwrap_or_else(|_| "/main.js".into());
                (n, main)
            })
            .collect();
        v.sort();
        v
    }

    /// The entry script of a codebase.
    pub fn main(&self, name: &str) -> R<String> {
        Ok(self.meta(name)?.main)
    }

    /// The entry script and services of a codebase ([`crate::settings`]; defaults when unset).
    pub fn meta(&self, name: &str) -> R<Meta> {
        let d = self.dir(name)?;
        let s = crate::settings::read(&d);
        let main = s.main.unwrap_or_else(|| default_main(&d));
        Ok(Meta {
            main,
            services: s.services,
        })
    }

    /// Registers the local folder `folder` (an absolute path) as the codebase `name`: the
    /// codebase is a link to it, its files stay where they are.
    pub fn link(&self, name: &str, folder: &str) -> R<String> {
        Self::check_name(name)?;
        let target = Path::new(folder);
        if !target.is_absolute() {
            return Err(bad(format!("{folder} is not an absolute path")));
        }
        if !target.is_dir() {
            return Err(not_found(format!("no folder {folder}")));
        }
        let d = self.root.join(name);
        if d.exists() || d.is_symlink() {
            return Err(StoreError(
                StatusCode::CONFLICT,
                format!("codebase {name} already exists"),
            ));
        }
        std::os::unix::fs::symlink(target, &d).map_err(io)?;
        self.main(name)
    }

    /// Sets the services: more entry scripts run in the same program as the main one.
    pub fn set_services(&self, name: &str, services: &[String]) -> R<Vec<String>> {
        let d = self.dir(name)?;
        let main = self.main(name)?;
        let services = services
            .iter()
            .map(|s| normalize(s))
            .collect::<R<Vec<_>>>()?;
        self.write_meta_full(&d, &main, Some(&services))?;
        Ok(services)
    }

    /// Creates a codebase, with a hello-world entry script unless `empty`.
    pub fn create(&self, name: &str, main: Option<&str>, empty: bool) -> R<String> {
        let d = self.vacant(name)?;
        let main = normalize(main.unwrap_or("/main.js"))?;
        std::fs::create_dir_all(&d).map_err(io)?;
        self.write_meta(&d, &main)?;
        if !empty {
            let f = d.join(&main[1..]);
            if let Some(p) = f.parent() {
                std::fs::create_dir_all(p).map_err(io)?;
            }
            std::fs::write(f, HELLO).map_err(io)?;
        }
        Ok(main)
    }

    fn write_meta(&self, dir: &Path, main: &str) -> R<()> {
        self.write_meta_full(dir, main, None)
    }

    /// Writes the settings; `services: None` leaves them unset (so `check.json`'s count), an
    /// empty list says that nothing runs beside main.
    fn write_meta_full(&self, dir: &Path, main: &str, services: Option<&[String]>) -> R<()> {
        let mut v = serde_json::json!({ "main": main });
        if let Some(services) = services {
            v["services"] = serde_json::json!(services);
        }
        std::fs::write(dir.join(META), v.to_string()).map_err(io)
    }

    /// Sets the entry script.
    pub fn set_main(&self, name: &str, main: &str) -> R<String> {
        let d = self.dir(name)?;
        let main = normalize(main)?;
        let services = crate::settings::read_own(&d).services;
        self.write_meta_full(&d, &main, services.as_deref())?;
        Ok(main)
    }

    /// Renames a codebase.
    pub fn rename(&self, name: &str, to: &str) -> R<()> {
        let d = self.dir(name)?;
        let t = self.vacant(to)?;
        std::fs::rename(d, t).map_err(io)
    }

    /// Deletes a codebase and its files; a linked folder is only unlinked.
    pub fn delete(&self, name: &str) -> R<()> {
        let d = self.dir(name)?;
        if d.is_symlink() {
            return std::fs::remove_file(d).map_err(io);
        }
        std::fs::remove_dir_all(d).map_err(io)
    }

    /// Codebase paths of every file (dot-files left out).
    pub fn files(&self, name: &str) -> R<Vec<String>> {
        let d = self.dir(name)?;
        let mut out = Vec::new();
        walk(&d, "", &mut out);
        out.sort();
        Ok(out)
    }

    /// Resolves a file path inside a codebase, refusing anything that leads out of it.
    fn file(&self, name: &str, path: &str) -> R<PathBuf> {
        let d = self.dir(name)?;
        let p = normalize(path)?;
        let full = d.join(&p[1..]);
        let root = d.canonicalize().map_err(io)?;
        // The deepest part of the path that exists must resolve inside the codebase.
        let mut probe = full.clone();
        while !probe.exists() {
            if !probe.pop() {
                break;
            }
        }
        let real = probe.canonicalize().map_err(io)?;
        if !real.starts_with(&root) {
            return Err(StoreError(
                StatusCode::FORBIDDEN,
                format!("{p} leads out of the codebase"),
            ));
        }
        Ok(full)
    }

    /// Reads a file.
    pub fn read(&self, name: &str, path: &str) -> R<Vec<u8>> {
        let f = self.file(name, path)?;
        if !f.is_file() {
            return Err(not_found(format!("no file {path} in {name}")));
        }
        std::fs::read(f).map_err(io)
    }

    /// Writes a file, making folders as needed. Returns true when it was created.
    pub fn write(&self, name: &str, path: &str, bytes: &[u8]) -> R<bool> {
        let f = self.file(name, path)?;
        if f.is_dir() {
            return Err(bad(format!("{path} is a folder")));
        }
        let created = !f.exists();
        if let Some(p) = f.parent() {
            std::fs::create_dir_all(p).map_err(io)?;
        }
        std::fs::write(f, bytes).map_err(io)?;
        Ok(created)
    }

    /// Deletes a file.
    pub fn remove(&self, name: &str, path: &str) -> R<()> {
        let f = self.file(name, path)?;
        if !f.is_file() {
            return Err(not_found(format!("no file {path} in {name}")));
        }
        std::fs::remove_file(f).map_err(io)
    }
}

/// Normalizes a codebase path; `..`, empty names and dot-files are refused.
fn normalize(path: &str) -> R<String> {
    let mut parts = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(bad(format!("path {path} may not contain '..'"))),
            s if s.starts_with('.') => return Err(bad(format!("path {path} names a hidden file"))),
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        return Err(bad("empty file path"));
    }
    Ok(format!("/{}", parts.join("/")))
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(n) = e.file_name().into_string() else {
            continue;
        };
        if n.starts_with('.') {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        let p = format!("{prefix}/{n}");
        if ft.is_dir() {
            walk(&e.path(), &p, out);
        } else if ft.is_file() {
            out.push(p);
        }
    }
}

/// Copies an embedded folder of files into a new codebase.
pub fn copy_into(store: &Store, name: &str, files: &[(String, &[u8])], main: &str) -> R<String> {
    let main = store.create(name, Some(main), true)?;
    for (p, b) in files {
        store.write(name, p, b)?;
    }
    Ok(main)
}

/// What `.sluice.json` records of a codebase.
pub struct Meta {
    /// The entry script.
    pub main: String,
    /// More entry scripts run beside it.
    pub services: Vec<String>,
}

/// `/main.js`, or in a folder without one, its only top-level script.
fn default_main(dir: &Path) -> String {
    if dir.join("main.js").is_file() {
        return "/main.js".into();
    }
    let scripts: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".js") && !n.starts_with('.'))
        .collect();
    match scripts.as_slice() {
        [only] => format!("/{only}"),
        _ => "/main.js".into(),
    }
}
