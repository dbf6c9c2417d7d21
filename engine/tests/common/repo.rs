//! A repo engine (`--repo`) on a loopback admin port, for the repo and fleet tests.

use std::process::Command;

use super::{engine_bin, Codebase, Engine};

/// An engine serving a repo, its IDE codebases and repo store under `dir`.
pub struct Repo {
    pub e: Option<Engine>,
    pub port: u16,
    pub dir: Codebase,
}

/// Starts a repo engine on `port` with its stores under `dir`.
pub fn start_repo(dir: Codebase, port: u16) -> Repo {
    let mut cmd = Command::new(engine_bin());
    cmd.arg(format!("--admin-port={port}"))
        .arg(format!("--repo={}", dir.dir.join("repo").display()))
        .arg(format!("--codebases={}", dir.dir.join("ide").display()));
    let e = Engine::spawn(cmd, &[port]);
    Repo {
        e: Some(e),
        port,
        dir,
    }
}

impl Repo {
    /// `curl -X method` on the admin port: the status and the body.
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let mut c = Command::new("curl");
        c.args(["-s", "-X", method, "-w", "\n%{http_code}"])
            .arg(format!("http://127.0.0.1:{}{path}", self.port));
        if let Some(b) = body {
            c.args(["--data-binary", b]);
        }
        let out = String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned();
        let (body, code) = out.rsplit_once('\n').unwrap();
        (code.trim().parse().unwrap_or(0), body.to_string())
    }
}
