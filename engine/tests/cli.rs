//! The command line and error handling: clear messages, no crashes.

mod common;

use std::io::{Read, Write};

use common::*;

#[test]
fn help_version_and_filter_listings() {
    let (code, out, _) = run_to_end(&["--help"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--list-filters") && out.contains("--check"),
        "{out}"
    );
    let (code, out, _) = run_to_end(&["--version"], &[]);
    assert_eq!(code, 0);
    assert!(out.starts_with("engine "), "{out}");
    let (code, out, _) = run_to_end(&["--list-filters"], &[]);
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.starts_with("link "))
        .expect("link is listed");
    assert!(
        line.contains("(target[, when[, target2[, when2...]]])"),
        "{line}"
    );
    let (code, out, _) = run_to_end(&["--help-filters"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("connect(target[, options])\n==========================\n"),
        "{out}"
    );
    assert!(out.contains("  target  - 'host:port'"), "{out}");
}

#[test]
fn check_prints_the_graph_and_exits_without_listening() {
    let cb = Codebase::new("check");
    let port = free_port();
    let script = cb.file("main.js", &format!("pipy()\n.listen({port})\n  .dump()\n"));
    let (code, _, err) = run_to_end(&["--check", script.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("[Listen on :::{port}]")), "{err}");
    assert!(!err.contains("Listening on"), "{err}");
}

#[test]
fn pipy_config_file_names_the_script() {
    let cb = Codebase::new("envfile");
    let script = cb.file("main.js", "pipy()\n.pipeline('x')\n  .dummy()\n");
    let (code, _, err) = run_to_end(
        &["--check"],
        &[("PIPY_CONFIG_FILE", script.to_str().unwrap())],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Module /main.js"), "{err}");
}

#[test]
fn a_codebase_folder_runs_its_main_js() {
    let cb = Codebase::new("folder");
    cb.file("main.js", "pipy()\n.pipeline('x')\n  .dummy()\n");
    let (code, _, err) = run_to_end(&["--check", cb.dir.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let cb = Codebase::new("syntax");
    cb.file(
        "main.js",
        "pipy()\n.listen(8080)\n  .use('lib/bad.js', 'x')\n",
    );
    cb.file(
        "lib/bad.js",
        "pipy()\n.pipeline('x')\n  .handleData(d => {{ )\n",
    );
    let (code, _, err) = run_to_end(&[cb.dir.join("main.js").to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("/lib/bad.js:3:"), "{err}");
    assert!(err.contains("SyntaxError"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn a_syntax_error_on_line_one_reports_the_users_column() {
    let cb = Codebase::new("syntax1");
    let script = cb.file("main.js", "pipy() .listen(8080) )\n");
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("/main.js:1:22"), "{err}");
}

#[test]
fn configuration_errors_name_the_filter_and_place() {
    let cb = Codebase::new("cfgerr");
    let script = cb.file("main.js", "pipy()\n.listen(8080)\n  .link('nowhere')\n");
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("/main.js:3:4: link(): pipeline not found: nowhere"),
        "{err}"
    );

    let script = cb.file("two.js", "pipy()\n.listen(8080)\n  .handleData()\n");
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("/two.js:3:4: handleData(): expects a callback function"),
        "{err}"
    );
}

#[test]
fn a_missing_script_and_paths_outside_the_codebase_are_errors() {
    let (code, _, err) = run_to_end(&["/nonexistent/sluice.js"], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot open /nonexistent/sluice.js"), "{err}");

    let cb = Codebase::new("confine");
    let script = cb.file("main.js", "pipy.load('../../etc/passwd');\npipy()\n");
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("is outside the codebase"), "{err}");
    assert!(err.contains("/main.js:1:"), "{err}");
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let holder = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let cb = Codebase::new("inuse");
    let script = cb.file("main.js", &format!("pipy()\n.listen({port})\n  .dummy()\n"));
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("[ERR]")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains(&format!("port {port} is already in use")),
        "{err}"
    );
}

#[test]
fn an_exception_in_a_callback_ends_only_that_stream() {
    let cb = Codebase::new("throw");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({port})\n  .handleData(d => {{ if (d.toString() === 'boom') throw new Error('kaboom'); }})\n  .replaceData(d => new Data('ok:' + d.toString()))\n"
        ),
    );
    let e = Engine::start(&script, &[port]);
    // A long-lived connection opened before the failure keeps working after it.
    let mut steady = connect(port);
    steady.write_all(b"one").unwrap();
    let mut buf = [0u8; 6];
    steady.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ok:one");

    let out = roundtrip(port, b"boom");
    assert_eq!(out, b"", "the failing stream is closed");
    let log = e.wait_log("kaboom", 5);
    assert!(log.contains("/main.js:3:"), "{log}");

    steady.write_all(b"two").unwrap();
    steady.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ok:two");
    assert_eq!(roundtrip(port, b"three"), b"ok:three");
}

#[test]
fn a_bad_replacement_value_is_an_error_for_that_stream() {
    let cb = Codebase::new("badrepl");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!("pipy()\n.listen({port})\n  .replaceData(() => 42)\n"),
    );
    let e = Engine::start(&script, &[port]);
    assert_eq!(roundtrip(port, b"x"), b"");
    e.wait_log("replaceData()", 5);
}
