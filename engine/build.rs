//! Picks the web IDE files to embed: `ui/dist` when it has been built, else a page that says
//! how to build it. The files are embedded gzip-compressed (the IDE is mostly the Monaco editor,
//! about 14 MB as it is, a quarter of that compressed); the admin server sends them compressed
//! to clients that take gzip and expands them for the others.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dist = manifest.join("../ui/dist");
    // A fuzzing build (cargo fuzz, `--cfg fuzzing`) never serves the IDE: it embeds the
    // fallback page and does not watch ui/dist, which a fuzzing work tree usually lacks (a
    // missing path would make cargo rebuild the engine on every `cargo fuzz build`).
    let fuzzing = std::env::var_os("CARGO_CFG_FUZZING").is_some();
    let has_dist = dist.is_dir();
    let dir = if !fuzzing && dist.join("index.html").is_file() {
        dist.canonicalize().unwrap_or(dist)
    } else {
        manifest.join("ui-fallback")
    };
    let packed = out.join("ui-gz");
    let _ = fs::remove_dir_all(&packed);
    compress_tree(&dir, &packed).expect("compressing the web IDE files");
    println!("cargo:rustc-env=SLUICE_UI_DIR={}", packed.display());
    // The built IDE when there is one; else its source folder (a few dozen files), whose
    // change includes ui/dist appearing. (A path that does not exist would make cargo rerun
    // this script, and rebuild the engine, on every build.)
    if !fuzzing {
        if has_dist {
            println!("cargo:rerun-if-changed=../ui/dist");
        } else {
            println!("cargo:rerun-if-changed=../ui");
        }
    }
    println!("cargo:rerun-if-changed=../tutorial");
    println!("cargo:rerun-if-changed=../docs/examples/filters");
    println!("cargo:rerun-if-changed=ui-fallback");
}

/// Copies `from` to `to` with every file gzip-compressed (same names).
fn compress_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            compress_tree(&src, &dst)?;
        } else {
            println!("cargo:rerun-if-changed={}", src.display());
            let mut gz = GzEncoder::new(Vec::new(), Compression::best());
            gz.write_all(&fs::read(&src)?)?;
            fs::write(dst, gz.finish()?)?;
        }
    }
    Ok(())
}
