//! The worker side of repo mode: `engine http[s]://HOST:PORT/repo/NAME/` downloads the
//! codebase, keeps it in a cache on disk, runs it, and follows the repo.
//!
//! - Push: a WebSocket link the repo writes `reload` on ([`link`]); a publish reaches the
//!   worker at once.
//! - Poll: `HEAD` of the codebase URL every `--repo-poll` seconds (5, as Pipy); a new `etag`
//!   means a new version.
//! - A new version loads beside the running one and takes over without a gap (as SIGHUP). If
//!   it fails to load, the running version stays, the error goes to the repo in the next
//!   status report (sent at once), and that version is not tried again.
//! - When the repo cannot be reached, the worker keeps serving what it runs (or, at start,
//!   the cached version) and retries with back-off.
//! - Every poll period it posts its status (version, uptime, errors, key metrics) to the
//!   codebase URL, as Pipy's workers do ([`status`]).

pub mod cache;
pub mod fetch;
pub mod link;
pub mod status;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::host::{Handover, ProgramHost};
use crate::worker::LoadError;
use fetch::{Download, RepoUrl};

/// How a worker follows its repo.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// The codebase URL.
    pub url: String,
    /// Poll period (also the status report period).
    pub poll: Duration,
    /// Cache root (`cache::default_root()` by default).
    pub cache_root: PathBuf,
    /// PEM file of CAs to trust for an `https` repo (else the system's).
    pub ca: Option<PathBuf>,
}

/// What the worker runs and how following goes.
#[derive(Default)]
pub struct State {
    /// Version running, if any.
    pub version: Option<String>,
    /// Its folder in the cache.
    pub dir: Option<PathBuf>,
    /// The last version that failed to load, and why.
    pub failed: Option<(String, LoadError)>,
    /// Why the repo cannot be reached now, if it cannot.
    pub unreachable: Option<String>,
    /// Versions loaded since start.
    pub loads: u64,
    /// Versions that failed to load since start.
    pub load_failures: u64,
}

/// `Duration` of the `n`th retry (1-based): `min` doubling up to `max`, with ±20% jitter so a
/// fleet does not retry in step.
pub fn backoff(n: u32, min: Duration, max: Duration) -> Duration {
    let d = min
        .saturating_mul(1u32 << n.saturating_sub(1).min(16))
        .min(max);
    let r = (uuid::Uuid::new_v4().as_u128() % 400) as f64 / 1000.0;
    d.mul_f64(0.8 + r)
}

struct Follower {
    url: RepoUrl,
    tls: Option<Arc<rustls::ClientConfig>>,
    host: Arc<ProgramHost>,
    cache: cache::Cache,
    state: Arc<Mutex<State>>,
    report_now: Arc<Notify>,
}

fn tls_config(ca: Option<&PathBuf>) -> Result<Arc<rustls::ClientConfig>, String> {
    let trusted = match ca {
        Some(p) => vec![std::fs::read_to_string(p)
            .map_err(|e| format!("cannot read --repo-ca {}: {e}", p.display()))?],
        None => Vec::new(),
    };
    crate::tls::client_config(&crate::tls::ClientSpec {
        trusted,
        identity: None,
        alpn: vec!["http/1.1".into()],
        versions: Default::default(),
        check_name: true,
    })
}

/// Starts following `opts.url` on the current runtime, running what it downloads in `host`.
pub fn start(opts: FollowOptions, host: Arc<ProgramHost>) -> Result<(), String> {
    let url = RepoUrl::parse(&opts.url)?;
    let tls = if url.tls {
        Some(tls_config(opts.ca.as_ref())?)
    } else {
        None
    };
    let f = Arc::new(Follower {
        cache: cache::Cache::new(&opts.cache_root, &url.href),
        url,
        tls,
        host,
        state: Arc::new(Mutex::new(State::default())),
        report_now: Arc::new(Notify::new()),
    });
    let wake = Arc::new(Notify::new());
    tokio::spawn(f.clone().run(opts.poll, wake.clone()));
    Ok(())
}

impl Follower {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn run(self: Arc<Self>, poll: Duration, wake: Arc<Notify>) {
        let mut failures = 0u32;
        if let Err(e) = self.sync(true).await {
            failures = 1;
            self.state().unreachable = Some(e.clone());
            match self.cache.current() {
                Some(c) => {
                    tracing::warn!(target: "repo", "cannot download {}: {e}; running the cached version {}", self.url.href, c.version);
                    self.load(&c.version, &c.main, c.dir).await;
                }
                None => {
                    tracing::warn!(target: "repo", "cannot download {}: {e}; retrying", self.url.href)
                }
            }
        }
        let (uuid, _) = crate::worker::instance();
        tokio::spawn(link::run(
            self.url.clone(),
            self.tls.clone(),
            uuid,
            wake.clone(),
        ));
        tokio::spawn(status::run(self.clone(), poll));
        loop {
            let delay = if failures == 0 {
                poll
            } else {
                backoff(failures, Duration::from_secs(1), Duration::from_secs(30))
            };
            let pushed = tokio::select! {
                _ = tokio::time::sleep(delay) => false,
                _ = wake.notified() => true,
            };
            match self.sync(pushed).await {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(target: "repo", "the repo at {} answers again", self.url.href);
                    }
                    failures = 0;
                    self.state().unreachable = None;
                }
                Err(e) => {
                    if failures == 0 {
                        let v = self
                            .state()
                            .version
                            .clone()
                            .unwrap_or_else(|| "nothing".into());
                        tracing::warn!(target: "repo", "cannot reach the repo: {e}; still serving {v}, retrying");
                    }
                    failures += 1;
                    self.state().unreachable = Some(e);
                }
            }
        }
    }

    /// Checks for a new version (`HEAD` first unless `pushed`) and takes it.
    async fn sync(&self, pushed: bool) -> Result<(), String> {
        let known = |v: &str| {
            let st = self.state();
            !v.is_empty()
                && (st.version.as_deref() == Some(v)
                    || st.failed.as_ref().is_some_and(|f| f.0 == v))
        };
        if !pushed {
            let etag = fetch::head(&self.url, self.tls.as_ref()).await?;
            if known(&etag) {
                return Ok(());
            }
        }
        let dl = fetch::download(&self.url, self.tls.as_ref()).await?;
        if known(&dl.version) {
            return Ok(());
        }
        self.take(dl).await;
        Ok(())
    }

    /// Stores and loads a downloaded version.
    async fn take(&self, dl: Download) {
        let dir = match self.cache.store(&dl) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(target: "repo", "{e}");
                return;
            }
        };
        if self.state().dir.as_ref() == Some(&dir) {
            self.state().version = Some(dl.version);
            return;
        }
        self.load(&dl.version, &dl.main, dir).await;
    }

    /// Runs the version in `dir`, replacing what runs without a gap; on failure, what runs
    /// stays.
    async fn load(&self, version: &str, main: &str, dir: PathBuf) {
        let host = self.host.clone();
        let name = self.url.href.clone();
        let (d, m) = (dir.clone(), main.to_string());
        let r = tokio::task::spawn_blocking(move || {
            host.run(&name, d, Some(m), Vec::new(), Handover::Drain)
        })
        .await
        .unwrap_or_else(|e| Err(LoadError::from_message(&e.to_string())));
        match r {
            Ok(()) => {
                tracing::info!(target: "repo", "running version {version} of {}", self.url.href);
                self.cache.set_current(version, main, &dir);
                let mut st = self.state();
                st.version = Some(version.to_string());
                st.dir = Some(dir);
                st.loads += 1;
            }
            Err(e) => {
                let keep = self
                    .state()
                    .version
                    .clone()
                    .unwrap_or_else(|| "nothing".into());
                tracing::error!(target: "repo", "version {version} does not load, keeping {keep}: {e}");
                let mut st = self.state();
                st.failed = Some((version.to_string(), e));
                st.load_failures += 1;
            }
        }
        self.report_now.notify_one();
    }
}
