//! Picks the web IDE files to embed: `ui/dist` when it has been built, else a page that says
//! how to build it.

use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = manifest.join("../ui/dist");
    let dir = if dist.join("index.html").is_file() {
        dist.canonicalize().unwrap_or(dist)
    } else {
        manifest.join("ui-fallback")
    };
    println!("cargo:rustc-env=SLUICE_UI_DIR={}", dir.display());
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=../tutorial");
    println!("cargo:rerun-if-changed=ui-fallback");
}
