//! The `engine` command: runs a Pipy-compatible script or codebase, and the admin console.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use sluice::host::{Handover, ProgramHost};
use sluice::worker::{self, RunOptions};
use sluice::{admin, filters, logging};

/// Sluice: a programmable network stream processor.
#[derive(Parser, Debug)]
#[command(
    name = "engine",
    version,
    about,
    long_about = None,
    after_help = "Run `engine test --help` for the test runner: `engine test [CODEBASE]`."
)]
struct Cli {
    /// Script file, or a codebase folder with a main.js (or set PIPY_CONFIG_FILE). Without
    /// it, the admin console starts on 127.0.0.1:6060.
    #[arg(env = "PIPY_CONFIG_FILE")]
    target: Option<PathBuf>,

    /// More scripts from the same folder, run in the same program beside the first (say, the
    /// backend a proxy forwards to).
    #[arg(value_name = "SERVICE")]
    services: Vec<PathBuf>,

    /// Log level: debug, info, warn or error; `debug:topic+topic` for some topics only.
    #[arg(long = "log-level", default_value = "info")]
    log_level: String,

    /// Log line format: text or json.
    #[arg(long = "log-format", default_value = "text")]
    log_format: String,

    /// Load and check the program, print its pipeline graph, and exit without listening.
    #[arg(long, alias = "verify")]
    check: bool,

    /// List the built-in filters and exit.
    #[arg(long = "list-filters")]
    list_filters: bool,

    /// Describe every built-in filter and its parameters, and exit.
    #[arg(long = "help-filters")]
    help_filters: bool,

    /// Write the generated reference (every filter, every global and class) as Markdown into
    /// this folder, and exit.
    #[arg(long = "gen-docs", value_name = "DIR")]
    gen_docs: Option<PathBuf>,

    /// Set SO_REUSEPORT on listening sockets.
    #[arg(long = "reuse-port")]
    reuse_port: bool,

    /// Serve the admin API and web IDE on `[ip:]port` (default ip 127.0.0.1).
    #[arg(long = "admin-port")]
    admin_port: Option<String>,

    /// Token every admin API call must carry (required to bind a non-loopback address).
    #[arg(
        long = "admin-token",
        env = "SLUICE_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,

    /// Folder of the admin console's codebases.
    #[arg(long)]
    codebases: Option<PathBuf>,

    /// Folder of the repo's store (codebases and every published version). The admin console
    /// of `engine` with no target serves the repo, by default from `repo` in the data folder.
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,

    /// Seconds between a worker's checks of its repo (and its status reports).
    #[arg(long = "repo-poll", value_name = "SECONDS", default_value_t = 5.0)]
    repo_poll: f64,

    /// PEM file of the CAs a worker trusts for an https repo (default: the system's).
    #[arg(long = "repo-ca", value_name = "FILE")]
    repo_ca: Option<PathBuf>,

    /// Folder a worker caches downloaded codebases in (default: `follow` in the data folder).
    #[arg(long = "repo-cache", value_name = "DIR")]
    repo_cache: Option<PathBuf>,

    /// Worker threads: a number or `auto` (one per CPU). Default: PIPY_THREADS, else
    /// PIPY_SPAWN + 1 (the seed article's Docker variable), else 1.
    #[arg(long)]
    threads: Option<String>,

    /// Reload the program when a file of its codebase changes.
    #[arg(long)]
    watch: bool,

    /// Do not log the pipeline graphs at start-up.
    #[arg(long = "no-graph")]
    no_graph: bool,

    /// Do not start the admin console (Pipy's `--admin-port-off`).
    #[arg(long = "admin-port-off")]
    admin_port_off: bool,

    /// Evaluate the target argument as script text instead of a file name.
    #[arg(long, short = 'e')]
    eval: bool,

    /// A UUID for this instance (`pipy.uuid` is still a fresh one per call).
    #[arg(long = "instance-uuid")]
    instance_uuid: Option<String>,

    /// A name for this instance.
    #[arg(long = "instance-name")]
    instance_name: Option<String>,

    /// Seconds open connections may take to finish on shutdown (SIGINT/SIGTERM).
    #[arg(long = "drain-timeout", default_value_t = 10.0)]
    drain_timeout: f64,

    /// Arguments for the script (`pipy.argv`), after `--`.
    #[arg(last = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    sluice::memory::tune_allocator();
    // `engine test ...` is the test runner (a script file named `test` runs as `engine ./test`).
    let mut argv = std::env::args_os();
    if argv.nth(1).is_some_and(|a| a == "test") {
        let code = sluice::test_run::main(argv.collect(), sluice::admin::start_for_tests);
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(code);
    }
    let known: Vec<(String, bool)> = Cli::command()
        .get_arguments()
        .filter_map(|a| {
            let takes = a.get_action().takes_values();
            a.get_long().map(|l| (format!("--{l}"), takes))
        })
        .chain([("--help".into(), false), ("--version".into(), false)])
        .collect();
    let pipy = sluice::cli::pipy_args(std::env::args_os().collect(), &known);
    let mut cli = Cli::parse_from(pipy.args);
    if cli.list_filters {
        print!("{}", filters::list_text());
        return ExitCode::SUCCESS;
    }
    if let Some(dir) = &cli.gen_docs {
        return match sluice::docs::generate(dir) {
            Ok(files) => {
                for f in files {
                    println!("{f}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("engine: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if cli.help_filters {
        print!("{}", filters::help_text());
        return ExitCode::SUCCESS;
    }
    let json = match cli.log_format.as_str() {
        "text" => false,
        "json" => true,
        other => {
            eprintln!("engine: unknown --log-format {other} (use text or json)");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = logging::init(&cli.log_level, json) {
        eprintln!("engine: {e}");
        return ExitCode::from(2);
    }
    sluice::trace::init();
    for w in &pipy.warnings {
        tracing::warn!("{w}");
    }
    if cli.eval {
        match eval_target(cli.target.take()) {
            Ok(t) => cli.target = Some(t),
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::from(255);
            }
        }
    }
    worker::set_instance(cli.instance_uuid.take(), cli.instance_name.take());
    let code = run(cli);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code);
}

/// `--eval`: the target is script text; it runs as the `main.js` of a fresh folder.
fn eval_target(text: Option<PathBuf>) -> Result<PathBuf, String> {
    let text = text.ok_or("--eval needs the script text as its argument")?;
    let dir = std::env::temp_dir().join(format!("sluice-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot write the script: {e}"))?;
    let main = dir.join("main.js");
    std::fs::write(&main, text.as_os_str().as_encoded_bytes())
        .map_err(|e| format!("cannot write the script: {e}"))?;
    Ok(main)
}

fn admin_addr(spec: &str) -> Result<SocketAddr, String> {
    let spec = spec.trim_start_matches('=');
    if let Ok(port) = spec.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    spec.parse()
        .map_err(|_| format!("invalid --admin-port: {spec} (use PORT or IP:PORT)"))
}

/// The number of workers from `--threads`, PIPY_THREADS or PIPY_SPAWN.
fn thread_count(arg: Option<&str>) -> Result<usize, String> {
    let auto = || {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    };
    let parse = |v: &str, what: &str| -> Result<usize, String> {
        match v.trim() {
            "auto" | "max" => Ok(auto()),
            s => s
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("invalid {what}: {s} (use a number or auto)")),
        }
    };
    if let Some(a) = arg {
        return parse(a, "--threads");
    }
    if let Ok(v) = std::env::var("PIPY_THREADS") {
        return parse(&v, "PIPY_THREADS");
    }
    if let Ok(v) = std::env::var("PIPY_SPAWN") {
        // PIPY_SPAWN=n means n extra instances: n + 1 in all.
        return v
            .trim()
            .parse::<usize>()
            .map(|n| n + 1)
            .map_err(|_| format!("invalid PIPY_SPAWN: {v}"));
    }
    Ok(1)
}

fn run(cli: Cli) -> i32 {
    let threads = match thread_count(cli.threads.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            tracing::error!("{e}");
            return 2;
        }
    };
    // `engine http[s]://HOST:PORT/repo/NAME/`: a worker following a repo.
    let follow = cli
        .target
        .as_ref()
        .and_then(|t| t.to_str())
        .filter(|t| t.starts_with("http://") || t.starts_with("https://"))
        .map(str::to_string);
    let services = match &cli.target {
        _ if follow.is_some() => Vec::new(),
        // A codebase folder with no services on the command line runs those its settings name.
        Some(t) if t.is_dir() && cli.services.is_empty() => sluice::settings::read(t).services,
        Some(t) => match service_paths(t, &cli.services) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e}");
                return 2;
            }
        },
        None => Vec::new(),
    };
    let template = RunOptions {
        reuse_port: cli.reuse_port,
        args: cli.args.clone(),
        threads,
        services: services.clone(),
        quiet: cli.no_graph,
        ..Default::default()
    };
    if cli.check {
        let Some(target) = cli.target else {
            tracing::error!("--check needs a script or codebase");
            return 2;
        };
        let opts = RunOptions {
            target,
            check: true,
            ..template
        };
        return match worker::spawn(opts) {
            Ok(h) => {
                h.join();
                0
            }
            Err(e) => {
                tracing::error!(target: "config", "{e}");
                1
            }
        };
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return 1;
        }
    };
    // The signal handlers go in before any listener opens: a SIGHUP (reload) that came between
    // the first listen and the handlers would otherwise end the process.
    let signals = {
        let _in_runtime = rt.enter();
        match Signals::watch() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("cannot watch signals: {e}");
                return 1;
            }
        }
    };
    let host = Arc::new(ProgramHost::new(template));
    if let (Some(target), None) = (&cli.target, &follow) {
        let name = target.display().to_string();
        if let Err(e) = host.run(&name, target.clone(), None, services, Handover::Stop) {
            tracing::error!(target: "config", "{e}");
            // Pipy's exit code for a program that does not start.
            return 255;
        }
    }
    if cli.watch {
        if let Some(target) = &cli.target {
            watch_codebase(target.clone(), host.clone());
        }
    }
    let admin = match (&cli.admin_port, &cli.target) {
        _ if cli.admin_port_off => None,
        (Some(p), _) => Some(p.clone()),
        (None, None) => Some("6060".to_string()),
        (None, Some(_)) => None,
    };
    let drain = Duration::from_secs_f64(cli.drain_timeout.max(0.0));
    // A program run from the command line ends when it has nothing left to do, as Pipy's;
    // the admin console and --watch keep the process up.
    let exit_when_idle = cli.target.is_some() && admin.is_none() && !cli.watch && follow.is_none();
    let repo_dir = match (&cli.repo, &cli.target) {
        (Some(d), _) => Some(d.clone()),
        // Beside the IDE's codebases.
        (None, None) => Some(match &cli.codebases {
            Some(c) => c
                .parent()
                .map(|p| p.join("repo"))
                .unwrap_or_else(|| PathBuf::from("repo")),
            None => sluice::repo::default_dir(),
        }),
        (None, Some(_)) => None,
    };
    rt.block_on(async {
        if let Some(url) = follow {
            let opts = sluice::repo::follow::FollowOptions {
                url,
                poll: Duration::from_secs_f64(cli.repo_poll.max(0.05)),
                cache_root: cli
                    .repo_cache
                    .clone()
                    .unwrap_or_else(sluice::repo::follow::cache::default_root),
                ca: cli.repo_ca.clone(),
            };
            if let Err(e) = sluice::repo::follow::start(opts, host.clone()) {
                tracing::error!("{e}");
                return 2;
            }
        }
        if let Some(spec) = admin {
            let addr = match admin_addr(&spec) {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!("{e}");
                    return 2;
                }
            };
            let config = admin::Config {
                addr,
                token: cli.admin_token.clone(),
                codebases: cli
                    .codebases
                    .clone()
                    .unwrap_or_else(admin::default_codebases_dir),
                repo: repo_dir.clone(),
            };
            let codebases = config.codebases.clone();
            match admin::start(config, host.clone()).await {
                Ok(a) => {
                    tracing::info!(target: "admin", "Admin console on http://{a}/");
                    tracing::info!(target: "admin", "Codebases are kept in {}", codebases.display());
                }
                Err(e) => {
                    tracing::error!(target: "admin", "{e}");
                    return 1;
                }
            }
        }
        wait_for_signals(signals, &host, drain, exit_when_idle).await
    })
}

/// The codebase paths of service scripts given on the command line: each must be inside the
/// folder of `target` (the codebase).
fn service_paths(target: &Path, services: &[PathBuf]) -> Result<Vec<String>, String> {
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let full = target
        .canonicalize()
        .map_err(|e| format!("cannot open {}: {e}", target.display()))?;
    let root = if full.is_dir() {
        full
    } else {
        full.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    services
        .iter()
        .map(|s| {
            let full = s
                .canonicalize()
                .map_err(|e| format!("cannot open {}: {e}", s.display()))?;
            let rel = full.strip_prefix(&root).map_err(|_| {
                format!(
                    "{} is outside the codebase folder {}: give scripts from the same folder",
                    s.display(),
                    root.display()
                )
            })?;
            Ok(format!("/{}", rel.to_string_lossy()))
        })
        .collect()
}

/// Runs until SIGINT/SIGTERM (graceful shutdown; a second one exits at once) or a script's
/// `pipy.exit()`. SIGHUP (or a script's `pipy.restart()`) reloads the program.
/// The process signals the engine acts on, watched from start-up.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers; must be called inside the runtime.
    fn watch() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }
}

async fn wait_for_signals(
    signals: Signals,
    host: &Arc<ProgramHost>,
    drain: Duration,
    exit_when_idle: bool,
) -> i32 {
    let Signals {
        mut int,
        mut term,
        mut hup,
    } = signals;
    let code = loop {
        tokio::select! {
            _ = int.recv() => break 0,
            _ = term.recv() => break 0,
            _ = hup.recv() => {
                let _ = host.reload();
            }
            _ = worker::reload_requested() => {
                let _ = host.reload();
            }
            code = worker::exit_requested() => break code,
            _ = worker::idle(), if exit_when_idle => {
                tracing::debug!("nothing left to do: exiting");
                // The last work may have been a callback that called pipy.exit(code).
                break worker::requested_exit_code().unwrap_or(0);
            }
        }
    };
    tracing::info!(
        "shutting down: draining open connections (up to {}s)",
        drain.as_secs_f64()
    );
    let h = host.clone();
    let done = tokio::task::spawn_blocking(move || h.shutdown(drain));
    tokio::select! {
        _ = done => {}
        _ = int.recv() => second_signal(code),
        _ = term.recv() => second_signal(code),
    }
    code
}

/// A second SIGINT/SIGTERM during the drain: exit at once, without waiting for the workers.
fn second_signal(code: i32) -> ! {
    tracing::info!("second signal: exiting now");
    std::process::exit(code)
}

/// `--watch`: checks the codebase twice a second and reloads the program when it changed.
fn watch_codebase(target: PathBuf, host: Arc<ProgramHost>) {
    let dir = if target.is_dir() {
        target
    } else {
        target
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    };
    std::thread::spawn(move || {
        let mut last = sluice::codebase::fingerprint(&dir);
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = sluice::codebase::fingerprint(&dir);
            if now != last {
                last = now;
                tracing::info!("a file of the codebase changed: reloading");
                let _ = host.reload();
            }
        }
    });
}
