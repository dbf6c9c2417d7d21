//! A port already taken is reported in words, naming the program that holds it.

mod common;

use common::*;

#[test]
fn listening_on_a_taken_port_names_the_process_holding_it() {
    let held = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let cb = Codebase::new("port-in-use");
    let script = cb.file(
        "main.js",
        &format!("pipy().listen({port}).serveHTTP(new Message('hi'))\n"),
    );
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "port {port} is already in use by port_in_use" // the test binary's name
        )) && err.contains(&format!("(process {})", std::process::id())),
        "{err}"
    );
    drop(held);
}
