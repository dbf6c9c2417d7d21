//! Repo mode, Pipy 1.5's way of running many engines: the admin port serves codebases and
//! their published versions, and workers (`engine http://HOST:6060/repo/NAME/`) follow them.
//!
//! - [`store`]: codebases, edits and every published version, in SQLite (its rows: `rows`).
//! - [`api`]: `/api/v1/repo`, `/api/v1/repo-files`, `/api/v1/repo-versions` (token-protected).
//! - [`manifest`]: `/repo/...`, what workers download, and their status posts.
//! - [`link`]: the WebSocket each worker holds open, so a publish reaches it at once.
//! - [`instances`]: the workers as they report themselves, and their latest log lines.
//! - [`rollout`]: staged roll-outs (`/api/v1/repo-rollouts`).
//! - [`versions`]: versions apart from the current one (made, read, made current).
//! - [`follow`]: the worker side.
//!
//! See `admin/README.md` for the routes.

pub mod api;
pub mod follow;
pub mod instances;
pub mod link;
pub mod manifest;
pub mod rollout;
mod rows;
pub mod store;
pub mod versions;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::Request;

use crate::web::Res;

/// The peer address of an admin connection, kept in each request's extensions.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

/// A message for the push links: the instances of `codebase` (all of them, or `only` those
/// UUIDs) are to fetch `version`.
#[derive(Clone, Debug)]
pub struct Push {
    /// Codebase path.
    pub codebase: String,
    /// The version they are to run.
    pub version: String,
    /// The instances concerned, when not all.
    pub only: Option<Arc<Vec<String>>>,
}

/// A served repo: its store, its instances, its roll-outs, and the channel publishes are
/// pushed on.
pub struct Repo {
    /// Codebases and versions.
    pub store: store::RepoStore,
    /// Workers seen.
    pub instances: instances::Instances,
    /// The latest roll-out of each codebase.
    pub rollouts: rollout::Rollouts,
    /// Every publish, and every move of a roll-out.
    pub publishes: tokio::sync::broadcast::Sender<Push>,
}

impl Repo {
    /// Opens the repo stored in `dir`.
    pub fn open(dir: &Path) -> Result<Repo, String> {
        let store = store::RepoStore::open(dir)?;
        let rollouts = rollout::Rollouts::load(&store)?;
        Ok(Repo {
            store,
            instances: instances::Instances::default(),
            rollouts,
            publishes: tokio::sync::broadcast::channel(1024).0,
        })
    }

    /// Starts watching roll-outs (on the current runtime).
    pub fn start(self: &Arc<Self>) {
        tokio::spawn(rollout::watch::run(self.clone()));
    }

    /// Tells linked workers of every codebase in `updated` to fetch its new version.
    pub fn announce(&self, updated: &[(String, String)]) {
        for (path, version) in updated {
            tracing::info!(target: "repo", "published {path} version {version}");
            self.push(path, version, None);
        }
    }

    /// Tells the linked instances of `codebase` (or `only` those) to fetch `version`.
    pub fn push(&self, codebase: &str, version: &str, only: Option<Vec<String>>) {
        let _ = self.publishes.send(Push {
            codebase: codebase.to_string(),
            version: version.to_string(),
            only: only.map(Arc::new),
        });
    }
}

/// The default repo folder: `repo` beside the IDE's codebases in the data directory.
pub fn default_dir() -> PathBuf {
    crate::web::default_codebases_dir()
        .parent()
        .map(|p| p.join("repo"))
        .unwrap_or_else(|| PathBuf::from("repo"))
}

/// Whether a request to `path` is the repo's: its API, or what workers fetch and post (a
/// browser asking for a page under `/repo/` gets the IDE, as with Pipy).
pub fn claims(path: &str, req: &Request<Incoming>) -> bool {
    if path == "/api/v1/repo"
        || path.starts_with("/api/v1/repo/")
        || path.starts_with("/api/v1/repo-files/")
        || path.starts_with("/api/v1/repo-versions/")
        || path == "/api/v1/repo-rollouts"
        || path.starts_with("/api/v1/repo-rollouts/")
        || path.starts_with("/api/v1/repo-log/")
    {
        return true;
    }
    if path != "/repo" && !path.starts_with("/repo/") {
        return false;
    }
    let browser = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    !browser || link::is_upgrade(req)
}

/// Answers a request [`claims`] took.
pub async fn handle(repo: &Arc<Repo>, path: &str, req: Request<Incoming>) -> Res {
    match path.strip_prefix("/repo") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            manifest::handle(repo, rest, req).await
        }
        _ => api::handle(repo, path, req).await,
    }
}
