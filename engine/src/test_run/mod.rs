//! `engine test [CODEBASE] [FILE...]`: runs a codebase's tests headless.
//!
//! A test file is a check (see [`crate::check`]): `check.json` at the codebase's root and every
//! `tests/*.json`, unless files are named. For each file the codebase's program starts in this
//! process (its main script and the services its settings or the file name), with the mock
//! upstreams the file declares; the steps run; the program stops. One line per case, then
//! `N passed, N failed`; the exit code is 0 when every case passed, 1 otherwise.

mod junit;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use serde_json::{json, Value};

use crate::host::{Handover, ProgramHost};
use crate::worker::RunOptions;

/// Runs a codebase's tests (check.json and tests/*.json) against its program, headless.
#[derive(Parser, Debug)]
#[command(name = "engine test")]
struct Args {
    /// The codebase folder (default: the current folder).
    codebase: Option<PathBuf>,

    /// Test files to run, instead of check.json and tests/*.json.
    files: Vec<PathBuf>,

    /// Also write the results as JUnit XML to this file, for CI systems.
    #[arg(long)]
    junit: Option<PathBuf>,

    /// Print the results as JSON instead of lines.
    #[arg(long)]
    json: bool,

    /// Log level of the program under test: debug, info, warn or error.
    #[arg(long = "log-level", default_value = "warn")]
    log_level: String,
}

/// One test file's outcome: its check results, or why it could not run.
pub struct Suite {
    /// The file's path, as given or found.
    pub name: String,
    /// `{"passed", "failed", "results"}` from [`crate::check::run`].
    pub results: Value,
    /// Why the file did not run (bad JSON, a program that does not load, ...).
    pub error: Option<String>,
    /// How long it took, in seconds.
    pub secs: f64,
}

/// Starts an admin API for a test whose steps talk to it (a request with `"port": "admin"`):
/// given the test program's host and a scratch folder for its codebase store, answers the
/// port it listens on. The admin layer, above this one, provides it
/// (`admin::start_for_tests`).
pub type AdminStarter =
    fn(
        Arc<ProgramHost>,
        PathBuf,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<u16, String>>>>;

/// `engine test ...` (`args` are what follows `test`); answers the exit code.
pub fn main(args: Vec<std::ffi::OsString>, admin: AdminStarter) -> i32 {
    let args = Args::parse_from(std::iter::once("engine test".into()).chain(args));
    if let Err(e) = crate::logging::init(&args.log_level, false) {
        eprintln!("engine test: {e}");
        return 2;
    }
    crate::trace::init();
    let root = args.codebase.clone().unwrap_or_else(|| PathBuf::from("."));
    if !root.is_dir() {
        eprintln!("engine test: {} is not a codebase folder", root.display());
        return 2;
    }
    let files = if args.files.is_empty() {
        test_files(&root)
    } else {
        args.files.clone()
    };
    if files.is_empty() {
        eprintln!(
            "engine test: no tests in {}: add a check.json or tests/*.json",
            root.display()
        );
        return 1;
    }
    let json_out = args.json;
    let suites = match run_codebase(&root, &files, false, admin, |suite| {
        if !json_out {
            print_suite(suite);
        }
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("engine test: {e}");
            return 1;
        }
    };
    let (passed, failed) = totals(&suites);
    if args.json {
        let list: Vec<Value> = suites
            .iter()
            .map(|s| json!({"file": s.name, "error": s.error, "results": s.results}))
            .collect();
        println!(
            "{}",
            json!({"passed": passed, "failed": failed, "files": list})
        );
    } else {
        println!("{passed} passed, {failed} failed");
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, junit::xml(&suites)) {
            eprintln!("engine test: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    i32::from(failed > 0 || passed == 0)
}

/// Runs the test `files` against the codebase folder `root`, one after another, each with its
/// own program started in this process (on the ports the codebase declares) and stopped after
/// it; `on_suite` sees each file's outcome as it ends. With `trace`, every HTTP step's request
/// is traced and its result names its trace (see [`crate::check::run_traced`]). This is
/// `engine test`, and the IDE's Tests panel (`POST /api/v1/tests/{name}`) calls it too. It
/// makes its own runtime: call it from a thread that runs none.
pub fn run_codebase(
    root: &Path,
    files: &[PathBuf],
    trace: bool,
    admin: AdminStarter,
    mut on_suite: impl FnMut(&Suite),
) -> Result<Vec<Suite>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let mut suites = Vec::new();
    for f in files {
        let suite = run_file(&rt, root, f, trace, admin);
        on_suite(&suite);
        suites.push(suite);
    }
    Ok(suites)
}

/// `check.json` and `tests/*.json` of `root`, in name order.
pub fn test_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let check = root.join("check.json");
    if check.is_file() {
        files.push(check);
    }
    let mut more: Vec<PathBuf> = std::fs::read_dir(root.join("tests"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    more.sort();
    files.extend(more);
    files
}

/// A failed result's problems, `; `-separated.
fn problems(result: &Value) -> String {
    let all = result["problems"].as_array().into_iter().flatten();
    all.filter_map(Value::as_str).collect::<Vec<_>>().join("; ")
}

/// Passed and failed cases; a file that did not run counts as one failure.
pub fn totals(suites: &[Suite]) -> (u64, u64) {
    suites.iter().fold((0, 0), |(p, f), s| {
        let count = |k: &str| s.results.get(k).and_then(Value::as_u64).unwrap_or(0);
        let broken = u64::from(s.error.is_some());
        (p + count("passed"), f + count("failed") + broken)
    })
}

fn print_suite(s: &Suite) {
    println!("== {}", s.name);
    if let Some(e) = &s.error {
        println!("FAIL {}: {e}", s.name);
    }
    let show = |v: &Value| v.to_string();
    for r in s.results["results"].as_array().into_iter().flatten() {
        let name = r["name"].as_str().unwrap_or("?");
        if r["pass"] == true {
            println!("ok   {name}");
            continue;
        }
        println!("FAIL {name}: {}", problems(r));
        println!("       request  {}", show(&r["request"]));
        println!("       expected {}", show(&r["expected"]));
        match &r["actual"] {
            Value::Null => println!("       actual   (none)"),
            a => println!("       actual   {}", show(a)),
        }
        if let Some(f) = r.get("forwarded") {
            println!("       forwarded {}", show(f));
        }
    }
}

/// Runs one test file against the codebase `root`.
fn run_file(
    rt: &tokio::runtime::Runtime,
    root: &Path,
    file: &Path,
    trace: bool,
    admin: AdminStarter,
) -> Suite {
    let began = Instant::now();
    let name = file.display().to_string();
    let (results, error) = match std::fs::read(file)
        .map_err(|e| format!("cannot read it: {e}"))
        .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| format!("not JSON: {e}")))
    {
        Ok(spec) => match run_spec(rt, root, &spec, trace, admin) {
            Ok(v) => (v, None),
            Err(e) => (json!({}), Some(e)),
        },
        Err(e) => (json!({}), Some(e)),
    };
    Suite {
        name,
        results,
        error,
        secs: began.elapsed().as_secs_f64(),
    }
}

fn run_spec(
    rt: &tokio::runtime::Runtime,
    root: &Path,
    spec: &Value,
    trace: bool,
    admin: AdminStarter,
) -> Result<Value, String> {
    let settings = crate::settings::read(root);
    let services = match spec.get("services").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(|s| format!("/{}", s.trim_start_matches('/')))
            .collect(),
        None => settings.services,
    };
    // Certificates a test asks for are made in a copy, so the codebase itself stays as it is.
    let scratch = match spec.get("certificates").and_then(Value::as_array) {
        Some(certs) if !certs.is_empty() => Some(Scratch::with_certificates(root, certs)?),
        _ => None,
    };
    let target = scratch.as_ref().map_or(root, |s| s.dir.as_path());
    // A file with an "advance" step runs the program on a clock that only the test moves.
    let test_clock = spec["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s.get("advance").is_some())
        .then(crate::clock::TestClock::new);
    let host = Arc::new(ProgramHost::new(RunOptions {
        quiet: true,
        threads: 1,
        clock: test_clock.clone(),
        ..Default::default()
    }));
    host.run(
        "test",
        target.to_path_buf(),
        settings.main,
        services,
        Handover::Stop,
    )
    .map_err(|e| format!("the program does not start: {e}"))?;
    // Its listeners are bound once it has started; no probe connection is made, since the
    // program would see it (an empty connection moves a round-robin balancer on, say).
    let uses_admin = spec["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s["request"]["port"] == "admin");
    let result = rt.block_on(async {
        let admin_port = if uses_admin {
            admin(host.clone(), scratch_dir("admin")?).await?
        } else {
            0
        };
        crate::check::run_with_clock(spec, admin_port, trace, test_clock.as_ref()).await
    });
    host.stop();
    result
}

fn scratch_dir(what: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "sluice-test-{what}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    Ok(dir)
}

/// A copy of a codebase in a temporary folder, removed on drop.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// A copy of `root` with a fresh self-signed certificate for each of `certs`
    /// (`{"cert": "/cert.pem", "key": "/key.pem", "names"?: ["localhost"]}`).
    fn with_certificates(root: &Path, certs: &[Value]) -> Result<Scratch, String> {
        let s = Scratch {
            dir: scratch_dir("codebase")?,
        };
        copy_tree(root, &s.dir).map_err(|e| format!("cannot copy the codebase: {e}"))?;
        for c in certs {
            let names = c["names"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_else(|| vec!["localhost".to_string()]);
            let (cert, key) = crate::tls::self_signed(names)
                .map_err(|e| format!("cannot make a test certificate: {e}"))?;
            for (k, pem) in [("cert", cert), ("key", key)] {
                let path = c[k]
                    .as_str()
                    .ok_or("a certificate needs \"cert\" and \"key\"")?;
                let full = s.dir.join(path.trim_start_matches('/'));
                if let Some(parent) = full.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                std::fs::write(&full, pem).map_err(|e| format!("cannot write {path}: {e}"))?;
            }
        }
        Ok(s)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}
