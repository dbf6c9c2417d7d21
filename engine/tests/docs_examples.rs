//! Every example in `docs/` is tested, and what the pages show is what was tested.
//!
//! - Every codebase under `docs/examples/` (a folder with a `main.js`) passes `engine test`:
//!   it is copied to a scratch folder with each of its ports (the 18xxx numbers in its files)
//!   moved to a free port, so examples never collide with each other or with other tests.
//! - A page includes a file of an example with a marker line followed by a fenced block:
//!   `<!-- example: examples/NAME/main.js -->` (relative to the page). The block must equal
//!   the file. Run the test with `SLUICE_UPDATE_DOCS=1` to rewrite the blocks from the files
//!   (in `docs/reference/`, which `engine --gen-docs` writes, regenerate instead).
//! - Every ```js block of a page is such an include, and every example is included somewhere,
//!   so no example goes untested and no tested example goes unshown.
//! - With `nginx` and `openssl` installed (`scripts/setup.sh fastcgi`), every `nginx.conf` of
//!   an example passes `nginx -t` inside an `http {}` block.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// Every example codebase (a folder holding `main.js`) under `docs/examples/`, sorted.
fn examples() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        if dir.join("main.js").is_file() {
            out.push(dir.to_path_buf());
        }
        let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        for s in subs {
            walk(&s, out);
        }
    }
    let mut out = Vec::new();
    walk(&docs_dir().join("examples"), &mut out);
    out
}

/// Every file under `dir`, as (path relative to `dir`, text).
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), text));
            }
        }
    }
    out
}

/// A copy of the example `dir` with every 18xxx port moved to a free one.
fn copy_on_free_ports(dir: &Path) -> Codebase {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let cb = Codebase::new(&format!("doc-{name}"));
    let port = regex::Regex::new(r"\b18\d{3}\b").unwrap();
    let mut moved: BTreeMap<String, String> = BTreeMap::new();
    for (rel, text) in files(dir) {
        let text = port.replace_all(&text, |c: &regex::Captures| {
            moved
                .entry(c[0].to_string())
                .or_insert_with(|| free_port().to_string())
                .clone()
        });
        cb.file(rel.to_str().unwrap(), &text);
    }
    cb
}

#[test]
fn every_example_passes_engine_test() {
    let all = examples();
    assert!(all.len() >= 7, "examples: {all:?}");
    let mut failures = Vec::new();
    for dir in &all {
        let cb = copy_on_free_ports(dir);
        let (code, out, err) = run_to_end(&["test", cb.dir.to_str().unwrap()], &[]);
        let last = out.lines().last().unwrap_or("");
        if code != 0 || !last.ends_with(" 0 failed") || last.starts_with("0 passed") {
            failures.push(format!("{}:\n{out}\n{err}", dir.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The example includes of one page: (line index of the marker, file named, block text).
struct Include {
    marker: usize,
    file: String,
    block: String,
    end: usize,
}

fn includes(lines: &[&str]) -> (Vec<Include>, Vec<usize>) {
    let mut found = Vec::new();
    let mut bare = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if let Some(rest) = line.strip_prefix("<!-- example:") {
            let file = rest.trim_end_matches("-->").trim().to_string();
            assert!(
                lines.get(i + 1).is_some_and(|l| l.starts_with("```")),
                "a block must follow the marker at line {}",
                i + 1
            );
            let end = (i + 2..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .expect("an unclosed block");
            let mut block = lines[i + 2..end].join("\n");
            block.push('\n');
            found.push(Include {
                marker: i,
                file,
                block,
                end,
            });
            i = end + 1;
            continue;
        }
        if line.starts_with("```js") || line.starts_with("```javascript") {
            bare.push(i + 1);
        }
        if line.starts_with("```") {
            let close = (i + 1..lines.len()).find(|&j| lines[j].trim().starts_with("```"));
            i = close.map_or(lines.len(), |c| c + 1);
            continue;
        }
        i += 1;
    }
    (found, bare)
}

#[test]
fn the_pages_show_the_tested_examples() {
    let docs = docs_dir();
    let update = std::env::var_os("SLUICE_UPDATE_DOCS").is_some();
    let mut pages: Vec<PathBuf> = [docs.clone(), docs.join("reference")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    let mut problems = Vec::new();
    let mut shown = std::collections::BTreeSet::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let (found, bare) = includes(&lines);
        let name = page.file_name().unwrap().to_string_lossy().to_string();
        for l in bare {
            problems.push(format!(
                "{name}:{l}: a js block that is not an example include (put it in docs/examples/)"
            ));
        }
        let mut out: Vec<String> = Vec::new();
        let mut from = 0;
        for inc in &found {
            let path = page.parent().unwrap().join(&inc.file);
            let Ok(wanted) = std::fs::read_to_string(&path) else {
                problems.push(format!("{name}:{}: no file {}", inc.marker + 1, inc.file));
                continue;
            };
            if let Some(dir) = path.parent() {
                shown.insert(dir.to_path_buf());
            }
            if wanted != inc.block {
                problems.push(format!(
                    "{name}:{}: the block differs from {} (run this test with SLUICE_UPDATE_DOCS=1)",
                    inc.marker + 1,
                    inc.file
                ));
            }
            out.extend(lines[from..inc.marker + 2].iter().map(|s| s.to_string()));
            out.extend(wanted.trim_end_matches('\n').lines().map(str::to_string));
            from = inc.end;
        }
        out.extend(lines[from..].iter().map(|s| s.to_string()));
        if update {
            let mut new = out.join("\n");
            new.push('\n');
            if new != text {
                std::fs::write(page, new).unwrap();
            }
        }
    }
    for dir in examples() {
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap();
        if !shown.iter().any(|s| canon(s) == canon(&dir)) {
            problems.push(format!(
                "{} is not shown on any page",
                dir.strip_prefix(&docs).unwrap_or(&dir).display()
            ));
        }
    }
    if update {
        problems.retain(|p| !p.contains("SLUICE_UPDATE_DOCS"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_nginx_snippets_are_valid_nginx() {
    let have = |tool: &str| {
        Command::new(tool)
            .arg("-v")
            .output()
            .or_else(|_| Command::new(tool).arg("version").output())
            .is_ok()
    };
    if !have("nginx") || !have("openssl") {
        eprintln!("nginx or openssl is not installed (scripts/setup.sh fastcgi): not checked");
        return;
    }
    let scratch = Codebase::new("nginx-t");
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .current_dir(&scratch.dir)
        .output()
        .unwrap();
    assert!(made.status.success(), "openssl failed");
    let mut checked = 0;
    for dir in examples() {
        let conf = dir.join("nginx.conf");
        if !conf.is_file() {
            continue;
        }
        let wrapper = scratch.file(
            "wrapper.conf",
            &format!(
                "pid nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n    access_log off;\n    include {};\n}}\n",
                std::fs::canonicalize(&conf).unwrap().display()
            ),
        );
        let prefix = format!("{}/", scratch.dir.display());
        let out = Command::new("nginx")
            .args(["-t", "-q", "-p", &prefix, "-c"])
            .arg(&wrapper)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            conf.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} nginx.conf files");
}
