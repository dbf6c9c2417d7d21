//! The generated reference in `docs/reference/`: `engine --gen-docs` writes it, every filter
//! `--list-filters` names has its entry, and the files in the repository are not stale.

mod common;

use common::*;

#[test]
fn the_generated_reference_is_complete_and_up_to_date() {
    let out = Codebase::new("gen-docs");
    let dir = out.dir.join("reference");
    // The filter examples are read from `examples/filters` beside the output folder.
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples");
    std::os::unix::fs::symlink(examples, out.dir.join("examples")).unwrap();
    let (code, stdout, err) = run_to_end(&["--gen-docs", dir.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    let filters = std::fs::read_to_string(dir.join("filters.md")).unwrap();
    let (_, list, _) = run_to_end(&["--list-filters"], &[]);
    let listed: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(listed.len() > 50, "{list}");
    for name in listed {
        assert!(
            filters.contains(&format!("\n## {name}\n")),
            "no entry for {name}"
        );
    }
    let api = std::fs::read_to_string(dir.join("api.md")).unwrap();
    for name in ["Message", "Configuration", "algo", "crypto", "URL", "http"] {
        assert!(
            api.contains(&format!("\n## {name}\n")),
            "no entry for {name}"
        );
    }

    // The committed copy is what the generator writes now (run `engine --gen-docs
    // docs/reference` after changing a filter or a declaration).
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/reference");
    for f in ["README.md", "filters.md", "api.md"] {
        let committed = std::fs::read_to_string(repo.join(f)).unwrap_or_default();
        let fresh = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(
            committed == fresh,
            "docs/reference/{f} is stale: run `engine --gen-docs docs/reference`"
        );
    }
}
