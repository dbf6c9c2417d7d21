//! Several workers: each its own thread and script runtime, sharing the ports.

mod common;

use std::collections::HashMap;

use common::*;

fn spread(port: u16, n: usize) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for _ in 0..n {
        *seen
            .entry(curl(&[&format!("http://127.0.0.1:{port}/")]))
            .or_insert(0) += 1;
    }
    seen
}

#[test]
fn requests_land_on_every_worker_and_state_stays_per_worker() {
    let cb = Codebase::new("workers");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            "pipy({{ _g: {{ n: 0 }} }})\n.listen({port})\n  .serveHTTP(() => new Message(`worker ${{__thread.id}} of ${{__thread.concurrency}} count ${{++_g.n > 0}}`))\n"
        ),
    );
    let _e = Engine::start_with(&script, &[port], &["--threads", "3"]);
    let seen = spread(port, 120);
    for w in 0..3 {
        assert!(
            seen.keys()
                .any(|k| k.starts_with(&format!("worker {w} of 3"))),
            "worker {w} got nothing: {seen:?}"
        );
    }
}

#[test]
fn pipy_spawn_means_extra_workers_as_in_the_article() {
    let cb = Codebase::new("spawn");
    let port = free_port();
    let script = cb.file("main.js", &format!("pipy()\n.listen({port})\n  .serveHTTP(() => new Message(`of ${{__thread.concurrency}}`))\n"));
    let mut cmd = std::process::Command::new(engine_bin());
    cmd.arg(&script).env("PIPY_SPAWN", "1");
    let _e = Engine::spawn(cmd, &[port]);
    assert_eq!(curl(&[&format!("http://127.0.0.1:{port}/")]), "of 2");
}
