//! CORS on the admin API: only the desktop app's page (`tauri://localhost`) may call it from
//! another origin, and only when a token protects the API (curl as the client).

mod common;

use std::process::Command;

use common::*;

/// An admin-only engine; the folder must outlive it.
fn admin(token: Option<&str>) -> (Engine, Codebase, String) {
    let dir = Codebase::new("admin-cors");
    let port = free_port();
    let mut cmd = Command::new(engine_bin());
    cmd.arg(format!("--admin-port={port}"))
        .arg(format!("--codebases={}", dir.dir.join("store").display()));
    if let Some(t) = token {
        cmd.arg(format!("--admin-token={t}"));
    }
    let e = Engine::spawn(cmd, &[port]);
    (e, dir, format!("http://127.0.0.1:{port}"))
}

/// The status line and headers (lower-cased) of one request.
fn head(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-m", "10", "-o", "/dev/null", "-D", "-"])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

#[test]
fn the_desktop_page_gets_cors_headers_when_a_token_protects_the_api() {
    let (_e, _d, base) = admin(Some("t0k"));
    let url = format!("{base}/api/v1/codebases");
    let pre = head(&[
        "-X",
        "OPTIONS",
        "-H",
        "Origin: tauri://localhost",
        "-H",
        "Access-Control-Request-Method: GET",
        "-H",
        "Access-Control-Request-Headers: authorization",
        &url,
    ]);
    assert!(pre.starts_with("http/1.1 204"), "{pre}");
    assert!(
        pre.contains("access-control-allow-origin: tauri://localhost"),
        "{pre}"
    );
    assert!(
        pre.contains("access-control-allow-headers: authorization"),
        "{pre}"
    );

    let get = head(&[
        "-H",
        "Origin: tauri://localhost",
        "-H",
        "Authorization: Bearer t0k",
        &url,
    ]);
    assert!(get.starts_with("http/1.1 200"), "{get}");
    assert!(
        get.contains("access-control-allow-origin: tauri://localhost"),
        "{get}"
    );
    assert!(
        get.contains("access-control-expose-headers: x-reload"),
        "{get}"
    );

    // The token is still needed.
    let anon = head(&["-H", "Origin: tauri://localhost", &url]);
    assert!(anon.starts_with("http/1.1 401"), "{anon}");

    // Other origins get nothing.
    let other = head(&[
        "-H",
        "Origin: http://example.com",
        "-H",
        "Authorization: Bearer t0k",
        &url,
    ]);
    assert!(!other.contains("access-control-"), "{other}");
}

#[test]
fn without_a_token_no_origin_gets_cors_headers() {
    let (_e, _d, base) = admin(None);
    let get = head(&[
        "-H",
        "Origin: tauri://localhost",
        &format!("{base}/api/v1/codebases"),
    ]);
    assert!(get.starts_with("http/1.1 200"), "{get}");
    assert!(!get.contains("access-control-"), "{get}");
}
