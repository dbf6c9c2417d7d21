//! The `engine` command: runs a Pipy-compatible script or codebase.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use sluice::worker::{self, RunOptions};
use sluice::{filters, logging};

/// Sluice: a programmable network stream processor.
#[derive(Parser, Debug)]
#[command(name = "engine", version, about, long_about = None)]
struct Cli {
    /// Script file, or a codebase folder with a main.js (or set PIPY_CONFIG_FILE).
    #[arg(env = "PIPY_CONFIG_FILE")]
    target: Option<PathBuf>,

    /// Log level: debug, info, warn or error; `debug:topic+topic` for some topics only.
    #[arg(long = "log-level", default_value = "info")]
    log_level: String,

    /// Load and check the program, print its pipeline graph, and exit without listening.
    #[arg(long, alias = "verify")]
    check: bool,

    /// List the built-in filters and exit.
    #[arg(long = "list-filters")]
    list_filters: bool,

    /// Describe every built-in filter and its parameters, and exit.
    #[arg(long = "help-filters")]
    help_filters: bool,

    /// Set SO_REUSEPORT on listening sockets.
    #[arg(long = "reuse-port")]
    reuse_port: bool,

    /// Arguments for the script (`pipy.argv`), after `--`.
    #[arg(last = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list_filters {
        print!("{}", filters::list_text());
        return ExitCode::SUCCESS;
    }
    if cli.help_filters {
        print!("{}", filters::help_text());
        return ExitCode::SUCCESS;
    }
    if let Err(e) = logging::init(&cli.log_level) {
        eprintln!("engine: {e}");
        return ExitCode::from(2);
    }
    let Some(target) = cli.target else {
        eprintln!("engine: give a script file or a codebase folder (see engine --help)");
        return ExitCode::from(2);
    };
    let code = worker::run(RunOptions {
        target,
        check: cli.check,
        reuse_port: cli.reuse_port,
        args: cli.args,
    });
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code);
}
