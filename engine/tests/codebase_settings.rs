//! What runs beside a codebase's main script is one setting, honoured the same way by the
//! admin API's Run and by the command line: `.sluice.json`'s services, or else `check.json`'s.

mod common;

use std::process::Command;

use common::*;

fn proxy(port: u16, backend: u16) -> String {
    format!(
        "pipy().listen({port}).demuxHTTP().to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{backend}')))\n"
    )
}

fn backend(port: u16) -> String {
    format!("pipy().listen({port}).serveHTTP(new Message('from the backend'))\n")
}

#[test]
fn run_in_the_admin_api_starts_the_services_check_json_names() {
    let store = Codebase::new("settings-store");
    let (admin, port, back) = (free_port(), free_port(), free_port());
    let cb = store.dir.join("lb");
    std::fs::create_dir_all(&cb).unwrap();
    std::fs::write(cb.join("main.js"), proxy(port, back)).unwrap();
    std::fs::write(cb.join("backend.js"), backend(back)).unwrap();
    std::fs::write(
        cb.join("check.json"),
        r#"{"services": ["/backend.js"], "steps": []}"#,
    )
    .unwrap();
    let mut cmd = Command::new(engine_bin());
    cmd.args([
        &format!("--admin-port={admin}"),
        &format!("--codebases={}", store.dir.display()),
    ]);
    let _e = Engine::spawn(cmd, &[admin]);
    let base = format!("http://127.0.0.1:{admin}/api/v1");
    let info = curl(&[&format!("{base}/codebases/lb")]);
    assert!(info.contains(r#""services":["/backend.js"]"#), "{info}");
    let started = curl(&[
        "-X",
        "POST",
        "--data-binary",
        r#"{"codebase":"lb"}"#,
        &format!("{base}/program"),
    ]);
    assert!(started.contains(r#""running":true"#), "{started}");
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{port}/")]),
        "from the backend"
    );
    // Taking the service out in the settings overrides check.json: Run starts main alone.
    let patched = curl(&[
        "-X",
        "PATCH",
        "--data-binary",
        r#"{"services":[]}"#,
        &format!("{base}/codebases/lb"),
    ]);
    assert!(patched.contains(r#""services":[]"#), "{patched}");
    curl(&[
        "-X",
        "POST",
        "--data-binary",
        r#"{"codebase":"lb"}"#,
        &format!("{base}/program"),
    ]);
    let status = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    assert_eq!(status, "502", "the backend no longer runs");
}

#[test]
fn the_command_line_runs_the_services_of_a_codebase_folder() {
    let cb = Codebase::new("settings-cli");
    let (port, back) = (free_port(), free_port());
    cb.file("main.js", &proxy(port, back));
    cb.file("backend.js", &backend(back));
    cb.file(
        ".sluice.json",
        r#"{"main": "/main.js", "services": ["/backend.js"]}"#,
    );
    let mut cmd = Command::new(engine_bin());
    cmd.arg(&cb.dir);
    let _e = Engine::spawn(cmd, &[port, back]);
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{port}/")]),
        "from the backend"
    );
}
