//! Pipy's command-line conventions, mapped onto the `engine` command's own options.
//!
//! Tools written for Pipy start it as `pipy [options] <script>` with options in Pipy's forms:
//! single-dash spellings (`-v`, `-e`, `-args`), `--name=value` pairs, and flags Sluice has no
//! use for (`--log-local-only`, `--openssl-engine=...`). [`pipy_args`] rewrites such a command
//! line into one the engine's parser takes, and says in plain words what it dropped, so an
//! unknown option is a warning rather than a failure.

use std::ffi::OsString;

/// Pipy 1.5 options that Sluice accepts and ignores: they tune Pipy internals (its log files,
/// OpenSSL, object tracing) or repo reporting that Sluice does not have.
const IGNORED: &[&str] = &[
    "--log-file",
    "--log-file-max-size",
    "--log-file-max-count",
    "--log-file-rotate-interval",
    "--log-history-limit",
    "--log-local",
    "--log-local-only",
    "--no-reload",
    "--no-status",
    "--no-metrics",
    "--trace-objects",
    "--force-start",
    "--init-repo",
    "--init-code",
    "--admin-gui",
    "--admin-tls-cert",
    "--admin-tls-key",
    "--admin-tls-trusted",
    "--admin-log-file",
    "--tls-cert",
    "--tls-key",
    "--tls-trusted",
    "--openssl-engine",
    "--pipy-options",
];

/// Pipy's single-dash and long aliases, as the engine spells them.
const ALIASES: &[(&str, &str)] = &[
    ("-v", "--version"),
    ("-version", "--version"),
    ("-h", "--help"),
    ("-help", "--help"),
    ("-e", "--eval"),
    ("-eval", "--eval"),
    ("-args", "--"),
    ("--args", "--"),
];

/// A command line rewritten for the engine's parser, with a warning per dropped option.
#[derive(Debug, Default)]
pub struct PipyArgs {
    /// The arguments to parse (program name first).
    pub args: Vec<OsString>,
    /// One line per option that was dropped, in plain words.
    pub warnings: Vec<String>,
}

/// Rewrites `argv` (program name first) so that Pipy's spellings reach the engine's parser.
/// `known` are the long options the engine defines (`--threads`, ...); `takes_value` says
/// which of them take a value, so that `--threads 2` keeps its value.
pub fn pipy_args(argv: Vec<OsString>, known: &[(String, bool)]) -> PipyArgs {
    let mut out = PipyArgs::default();
    let mut iter = argv.into_iter();
    if let Some(program) = iter.next() {
        out.args.push(program);
    }
    let mut rest = false;
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy().into_owned();
        if rest || !text.starts_with('-') || text == "-" {
            out.args.push(arg);
            continue;
        }
        if text == "--" {
            rest = true;
            out.args.push(arg);
            continue;
        }
        let (name, value) = match text.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (text.clone(), None),
        };
        if let Some((_, to)) = ALIASES.iter().find(|(from, _)| *from == name) {
            if *to == "--" {
                rest = true;
            }
            out.args.push(match value {
                Some(v) => format!("{to}={v}").into(),
                None => (*to).into(),
            });
            continue;
        }
        if name == "-f" || name == "-file" || name == "--file" {
            // Pipy: "interpret the given string as a pathname" -- which the engine always does.
            if let Some(v) = value {
                out.args.push(v.into());
            }
            continue;
        }
        if let Some((_, takes_value)) = known.iter().find(|(k, _)| *k == name) {
            out.args.push(arg);
            if *takes_value && value.is_none() {
                if let Some(v) = iter.next() {
                    out.args.push(v);
                }
            }
            continue;
        }
        if name.starts_with("--") && IGNORED.contains(&name.as_str()) {
            out.warnings.push(format!(
                "option {name} is a Pipy option Sluice does not use; ignored"
            ));
        } else if name.starts_with("--") || name.len() > 2 {
            out.warnings.push(format!(
                "unknown option {name}; ignored (see engine --help)"
            ));
        } else {
            // Short options the engine defines (`-V`, `-h`) go to its parser as they are.
            out.args.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> PipyArgs {
        let known = vec![
            ("--threads".to_string(), true),
            ("--log-level".to_string(), true),
            ("--no-graph".to_string(), false),
            ("--version".to_string(), false),
        ];
        pipy_args(
            std::iter::once("engine")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect(),
            &known,
        )
    }

    fn strings(p: &PipyArgs) -> Vec<String> {
        p.args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn known_options_pass_with_their_values() {
        let p = run(&["--threads", "2", "--log-level=debug:thread", "main.js"]);
        assert_eq!(
            strings(&p),
            [
                "engine",
                "--threads",
                "2",
                "--log-level=debug:thread",
                "main.js"
            ]
        );
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn pipy_spellings_are_mapped() {
        let p = run(&["-v"]);
        assert_eq!(strings(&p), ["engine", "--version"]);
        let p = run(&["main.js", "-args", "--threads=3"]);
        assert_eq!(strings(&p), ["engine", "main.js", "--", "--threads=3"]);
        let p = run(&["-e", "pipy()"]);
        assert_eq!(strings(&p), ["engine", "--eval", "pipy()"]);
    }

    #[test]
    fn unknown_and_ignored_options_warn() {
        let p = run(&["--log-local-only", "--whatever=1", "main.js"]);
        assert_eq!(strings(&p), ["engine", "main.js"]);
        assert_eq!(p.warnings.len(), 2);
        assert!(p.warnings[0].contains("--log-local-only"));
        assert!(p.warnings[1].contains("unknown option --whatever"));
    }
}
