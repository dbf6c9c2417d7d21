//! The admin service: the HTTP API of `README.md` beside this file, and the web IDE it serves.
//!
//! It runs on the main thread's runtime, apart from the workers; programs are started and
//! stopped through the [`ProgramHost`](crate::host::ProgramHost).

mod assets;
mod debug;
mod health;
mod inspect;
mod programs;
mod reference;
pub(crate) mod routes;
mod store;
mod testing;
mod tutorial;

pub use crate::typings::{filter_overloads, typings};
use crate::web as http;
pub use crate::web::default_codebases_dir;
pub use health::set_repo_serving;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::host::ProgramHost;

/// How the admin service is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Bearer token every API call must carry, if set.
    pub token: Option<String>,
    /// Folder of codebases.
    pub codebases: PathBuf,
    /// Folder of the repo's store, when the admin port serves a repo (see `crate::repo`).
    pub repo: Option<PathBuf>,
}

/// An admin API on a free loopback port with its codebase store in `codebases`, for the
/// `engine test` steps that talk to it (see [`crate::test_run::AdminStarter`]).
pub fn start_for_tests(
    host: Arc<ProgramHost>,
    codebases: PathBuf,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<u16, String>>>> {
    Box::pin(async move {
        let config = Config {
            addr: ([127, 0, 0, 1], 0).into(),
            token: None,
            codebases,
            repo: None,
        };
        Ok(start(config, host).await?.port())
    })
}

/// Shared state of the admin handlers.
pub(crate) struct Admin {
    pub config: Config,
    pub host: Arc<ProgramHost>,
    pub store: store::Store,
    pub repo: Option<Arc<crate::repo::Repo>>,
}

/// Binds the admin port and serves it on the current runtime. Returns the bound address.
pub async fn start(config: Config, host: Arc<ProgramHost>) -> Result<SocketAddr, String> {
    if !config.addr.ip().is_loopback() && config.token.is_none() {
        return Err(format!(
            "the admin console on {} would be reachable from other machines: give --admin-token (or SLUICE_ADMIN_TOKEN)",
            config.addr
        ));
    }
    std::fs::create_dir_all(&config.codebases).map_err(|e| {
        format!(
            "cannot create the codebase folder {}: {e}",
            config.codebases.display()
        )
    })?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                format!(
                    "cannot start the admin console: port {} is already in use",
                    config.addr.port()
                )
            } else {
                format!("cannot start the admin console on {}: {e}", config.addr)
            }
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut config = config;
    config.addr = addr;
    let repo = match &config.repo {
        Some(dir) => {
            let repo = Arc::new(crate::repo::Repo::open(dir)?);
            repo.start();
            Some(repo)
        }
        None => None,
    };
    tracing::info!(target: "listener", "Listening on TCP port {} at {}", addr.port(), addr.ip());
    let admin = Arc::new(Admin {
        repo,
        store: store::Store::new(config.codebases.clone()),
        config,
        host,
    });
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(target: "admin", "accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let admin = admin.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(crate::repo::Peer(peer));
                    let admin = admin.clone();
                    async move { Ok::<_, std::convert::Infallible>(routes::handle(&admin, req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Ok(addr)
}
