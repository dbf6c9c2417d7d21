//! The engine, in-process: a [`ProgramHost`] and its admin server on a loopback port that only
//! this launch knows the token of. The IDE talks to it exactly as the browser IDE talks to the
//! `engine` binary's admin port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sluice::admin;
use sluice::host::ProgramHost;
use sluice::worker::RunOptions;

/// How long open connections may finish when the app closes.
const CLOSE_DRAIN: Duration = Duration::from_secs(2);

/// The running engine and how to reach its admin API.
pub struct Engine {
    /// `http://127.0.0.1:PORT`, the admin API and the IDE's log stream.
    pub url: String,
    /// Bearer token of this launch.
    pub token: String,
    host: Arc<ProgramHost>,
}

impl Engine {
    /// Starts the admin server on `127.0.0.1:0` with a fresh token, serving the codebases of
    /// `codebases`, on a thread of its own (as the `engine` binary runs it on its main thread).
    pub fn start(codebases: PathBuf) -> Result<Engine, String> {
        let host = Arc::new(ProgramHost::new(RunOptions::default()));
        let token = random_token()?;
        // The app serves a local repo too, beside its codebases, as `engine` with no program
        // does.
        let repo = codebases
            .parent()
            .map(|p| p.join("repo"))
            .unwrap_or_else(sluice::repo::default_dir);
        let config = admin::Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: Some(token.clone()),
            codebases,
            repo: Some(repo),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let h = host.clone();
        std::thread::Builder::new()
            .name("sluice-admin".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(format!("cannot start the runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    let started = admin::start(config, h).await;
                    let ok = started.is_ok();
                    let _ = tx.send(started);
                    if ok {
                        std::future::pending::<()>().await;
                    }
                });
            })
            .map_err(|e| format!("cannot start the admin thread: {e}"))?;
        let addr = rx
            .recv()
            .map_err(|_| "the admin thread ended".to_string())??;
        Ok(Engine {
            url: format!("http://{addr}"),
            token,
            host,
        })
    }

    /// Stops the running programs: listeners close, open connections get a moment to finish.
    /// Safe to call more than once.
    pub fn stop(&self) {
        for p in self.host.programs().into_iter().filter(|p| p.running) {
            tracing::info!(target: "desktop", "stopping {}", p.name);
        }
        self.host.shutdown(CLOSE_DRAIN);
    }
}

/// 32 random bytes, hex-encoded.
fn random_token() -> Result<String, String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness for the admin token: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}
