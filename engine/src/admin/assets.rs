//! Files compiled into the binary: the web IDE (`ui/dist`) and the tutorials.

use include_dir::{include_dir, Dir};

static UI: Dir<'static> = include_dir!("$SLUICE_UI_DIR");
static TUTORIALS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../tutorial");

/// A file of the web IDE, gzip-compressed (see `build.rs`), with its name; `/` and unknown
/// paths without an extension give `index.html`.
pub fn ui_file(path: &str) -> Option<(&'static [u8], String)> {
    let p = path.trim_start_matches('/');
    let p = if p.is_empty() { "index.html" } else { p };
    if let Some(f) = UI.get_file(p) {
        return Some((f.contents(), p.to_string()));
    }
    if !p.rsplit('/').next().unwrap_or("").contains('.') {
        return UI
            .get_file("index.html")
            .map(|f| (f.contents(), "index.html".to_string()));
    }
    None
}

/// The bytes of a gzip-compressed file, expanded (for clients that do not take gzip).
pub fn gunzip(gz: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut out)?;
    Ok(out)
}

/// A tutorial: its name, title (first heading of its README) and files.
pub struct Tutorial {
    /// Folder name, e.g. `01-hello`.
    pub name: String,
    /// Title from the README.
    pub title: String,
    /// Codebase paths of its files, with their bytes.
    pub files: Vec<(String, &'static [u8])>,
}

/// Every tutorial, in order.
pub fn tutorials() -> Vec<Tutorial> {
    let mut v: Vec<Tutorial> = TUTORIALS
        .dirs()
        .map(|d| {
            let name = d.path().to_string_lossy().into_owned();
            let mut files = Vec::new();
            collect(d, d.path(), &mut files);
            files.sort_by(|a, b| a.0.cmp(&b.0));
            let title = files
                .iter()
                .find(|(p, _)| p == "/README.md")
                .and_then(|(_, b)| std::str::from_utf8(b).ok())
                .and_then(|t| t.lines().find(|l| l.starts_with('#')))
                .map(|l| l.trim_start_matches('#').trim().to_string())
                .unwrap_or_else(|| name.clone());
            Tutorial { name, title, files }
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn collect(
    d: &'static Dir<'static>,
    base: &std::path::Path,
    out: &mut Vec<(String, &'static [u8])>,
) {
    for f in d.files() {
        let rel = f.path().strip_prefix(base).unwrap_or(f.path());
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Keys and certificates left by a local run are never part of a tutorial (copies
        // make their own), nor are hidden files.
        if name.ends_with(".pem") || name.starts_with('.') {
            continue;
        }
        out.push((format!("/{}", rel.to_string_lossy()), f.contents()));
    }
    for sub in d.dirs() {
        collect(sub, base, out);
    }
}
