//! What a worker does with a codebase a repo sends it: the top answer read as a manifest (or
//! as one script), then the files it lists written into the worker's cache. The input is the
//! top answer, a NUL byte, then the files' bodies separated by NUL bytes. Whatever the names,
//! every file must land inside the cache's version folder with the bytes given, and nothing
//! may be written beside the cache.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sluice::repo::follow::cache::Cache;
use sluice::repo::follow::fetch::{manifest_paths, Download};
use sluice::repo::store::file_path;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let top = parts.next().unwrap_or_default();
    let bodies: Vec<&[u8]> = parts.collect();
    let (main, files) = match manifest_paths(top) {
        Some(paths) => {
            let main = paths.first().cloned().unwrap_or_default();
            let files = paths
                .into_iter()
                .enumerate()
                .map(|(i, p)| (p, Bytes::copy_from_slice(bodies.get(i).copied().unwrap_or(b""))))
                .collect();
            (main, files)
        }
        None => ("/main.js".to_string(), vec![("/main.js".to_string(), Bytes::copy_from_slice(top))]),
    };
    let dl = Download { version: "fuzz".into(), main, files };
    let scratch = std::env::temp_dir().join(format!("sluice-fuzz-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let root = scratch.join("cache");
    let cache = Cache::new(&root, "http://repo.invalid/repo/fuzz/");
    if let Ok(dir) = cache.store(&dl) {
        assert!(dir.starts_with(&root), "{} is outside the cache", dir.display());
        // The last file of each canonical name wins, as the writes went in order.
        let mut last = std::collections::HashMap::new();
        for (p, body) in &dl.files {
            last.insert(file_path(p).expect("stored names are valid"), body);
        }
        for (rel, body) in last {
            let full = dir.join(&rel[1..]);
            // A name that is also another's folder fails the store: every name is a file.
            assert_eq!(&std::fs::read(&full).expect("a stored file")[..], &body[..], "{rel}");
        }
    }
    let beside: Vec<_> = std::fs::read_dir(&scratch)
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(beside, vec![std::ffi::OsString::from("cache")], "written beside the cache");
    let _ = std::fs::remove_dir_all(&scratch);
});
