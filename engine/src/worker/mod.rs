//! Workers: a program running on its own thread, with its own tokio runtime (current-thread,
//! with a `LocalSet`) and its own script runtime.
//!
//! [`spawn`] loads the program and binds its listeners before it returns, so load errors come
//! back to the caller. A [`WorkerHandle`] then drains the worker (stop accepting, let open
//! connections finish) or stops it at once. Reloading starts a new worker on the same
//! listening sockets and drains the old one, so no connection is dropped.

mod admin;
mod listen;
mod natives;

mod process;
mod reads;
mod spawn;
mod tasks;
mod thread;

pub use crate::liveness::{hold, idle, Work};
pub use admin::{AdminAnswer, AdminCall};
pub use natives::install as script_natives;
pub use process::{
    exit_requested, instance, reload_requested, request_exit, request_reload, requested_exit_code,
    script_args, set_instance,
};
pub use reads::request as start_read;
pub use spawn::spawn as spawn_pipeline;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;

use thread::thread_main;

/// What to run and how.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Script file or codebase folder.
    pub target: PathBuf,
    /// Entry script of a codebase folder, when it is not `/main.js`.
    pub main: Option<String>,
    /// Only load the program and draw its graph; do not listen or run tasks.
    pub check: bool,
    /// Set SO_REUSEPORT on listeners.
    pub reuse_port: bool,
    /// Do not log the start-up graph.
    pub quiet: bool,
    /// Worker threads, each with its own script runtime (0 or 1 = one).
    pub threads: usize,
    /// Arguments after `--`, for `pipy.argv`.
    pub args: Vec<String>,
    /// More entry scripts (codebase paths) loaded after the main one into the same program:
    /// the services a proxy forwards to, run alongside it.
    pub services: Vec<String>,
    /// The program's name (a codebase's name, or the script's path): it owns the program's
    /// listening ports and tags its log lines. Several programs with different names can run
    /// in one engine side by side.
    pub program: String,
    /// `engine test`'s clock: when given, the program's clock stands still until the test
    /// moves it on (see [`crate::clock`]).
    pub clock: Option<crate::clock::TestClock>,
}

/// Why a program did not start, with the place in the codebase when known.
#[derive(Clone, Debug, Default)]
pub struct LoadError {
    /// What went wrong, in plain words.
    pub message: String,
    /// Codebase path of the file, e.g. `/main.js`.
    pub file: Option<String>,
    /// Line, from 1.
    pub line: Option<u32>,
    /// Column, from 1.
    pub column: Option<u32>,
}

impl LoadError {
    /// An error with no place in the codebase.
    pub fn plain(message: impl Into<String>) -> LoadError {
        LoadError {
            message: message.into(),
            ..Default::default()
        }
    }

    /// Splits a leading `/file:line:col: ` off an error message.
    pub fn from_message(m: &str) -> LoadError {
        let parsed = (|| {
            if !m.starts_with('/') {
                return None;
            }
            let (loc, rest) = m.split_once(": ")?;
            let mut parts = loc.rsplitn(3, ':');
            let col: u32 = parts.next()?.parse().ok()?;
            let line: u32 = parts.next()?.parse().ok()?;
            let file = parts.next()?.to_string();
            Some(LoadError {
                message: rest.to_string(),
                file: Some(file),
                line: Some(line),
                column: Some(col),
            })
        })();
        parsed.unwrap_or_else(|| LoadError::plain(m))
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line, self.column) {
            (Some(file), Some(l), Some(c)) => write!(f, "{file}:{l}:{c}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// What a loaded program looks like.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The start-up graph, as logged.
    pub graph: Vec<String>,
    /// The graph as JSON (see `admin/README.md`).
    pub graph_json: serde_json::Value,
    /// Registry keys of the listeners it holds.
    pub listens: HashSet<String>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Control {
    Run,
    /// Stop accepting; let open connections finish for up to the time given. With `true`,
    /// idle HTTP keep-alive connections close at once (shutdown); with `false` they close
    /// after their next response (a reload, where the client could be mid-request).
    Drain(Duration, bool),
    Exit,
}

/// The running workers of one program (one per thread).
pub struct WorkerHandle {
    controls: Vec<watch::Sender<Control>>,
    admins: Vec<tokio::sync::mpsc::UnboundedSender<AdminCall>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// What was loaded (by the first worker).
    pub loaded: Loaded,
}

impl WorkerHandle {
    /// Stops accepting connections; open ones may finish for up to `timeout`. HTTP
    /// keep-alive connections close after their next response.
    pub fn drain(&self, timeout: Duration) {
        for c in &self.controls {
            let _ = c.send(Control::Drain(timeout, false));
        }
    }

    /// Like [`WorkerHandle::drain`], but idle HTTP keep-alive connections close at once: for
    /// shutting down.
    pub fn drain_for_exit(&self, timeout: Duration) {
        for c in &self.controls {
            let _ = c.send(Control::Drain(timeout, true));
        }
    }

    /// Stops now: open connections are closed.
    pub fn stop(&self) {
        for c in &self.controls {
            let _ = c.send(Control::Exit);
        }
    }

    /// Waits for the worker threads to end.
    pub fn join(mut self) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }

    /// Hands an admin-port request under `/admin/` to every worker's `admin()` layouts and
    /// joins their answers: `None` when no layout takes the path, else the answer bodies one
    /// after another (or the first failure when no worker answered).
    pub fn admin(
        &self,
        method: &str,
        path: &str,
        body: bytes::Bytes,
    ) -> impl std::future::Future<Output = Option<Result<bytes::Bytes, String>>> + Send + 'static
    {
        let mut waits = Vec::new();
        for tx in &self.admins {
            let (reply, rx) = tokio::sync::oneshot::channel();
            let call = AdminCall {
                method: method.to_string(),
                path: path.to_string(),
                body: body.clone(),
                reply,
            };
            if tx.send(call).is_ok() {
                waits.push(rx);
            }
        }
        async move {
            let mut joined = bytes::BytesMut::new();
            let (mut answered, mut failure) = (false, None);
            for rx in waits {
                match rx.await {
                    Ok(AdminAnswer::Body(b)) => {
                        answered = true;
                        joined.extend_from_slice(&b);
                    }
                    Ok(AdminAnswer::Failed(e)) => failure = failure.or(Some(e)),
                    Ok(AdminAnswer::NoRoute) => {}
                    Err(_) => failure = failure.or(Some("the worker ended".to_string())),
                }
            }
            match (answered, failure) {
                (true, _) => Some(Ok(joined.freeze())),
                (false, Some(e)) => Some(Err(e)),
                (false, None) => None,
            }
        }
    }

    /// True once every worker thread has ended.
    pub fn is_finished(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }
}

thread_local! {
    static WORKER: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 1)) };
}

/// This thread's worker number (from 0) and the number of workers.
pub fn current() -> (usize, usize) {
    WORKER.with(|w| w.get())
}

/// Starts `opts.threads` worker threads running `opts.target`. Returns once every worker
/// has loaded the program and is listening, or with the reason it could not start.
pub fn spawn(opts: RunOptions) -> Result<WorkerHandle, LoadError> {
    process::set_args(&opts.args);
    let n = if opts.check { 1 } else { opts.threads.max(1) };
    let mut handle = WorkerHandle {
        controls: Vec::new(),
        admins: Vec::new(),
        threads: Vec::new(),
        loaded: Loaded::default(),
    };
    for index in 0..n {
        let (tx, rx) = std::sync::mpsc::channel();
        let (control, control_rx) = watch::channel(Control::Run);
        let (admin_tx, admin_rx) = tokio::sync::mpsc::unbounded_channel();
        let o = RunOptions {
            quiet: opts.quiet || index > 0,
            ..opts.clone()
        };
        let spawned = std::thread::Builder::new()
            .name(format!("sluice-worker-{index}"))
            .spawn(move || thread_main(o, index, n, tx, control_rx, admin_rx));
        let thread = match spawned {
            Ok(t) => t,
            Err(e) => {
                handle.stop();
                return Err(LoadError::plain(format!(
                    "cannot start a worker thread: {e}"
                )));
            }
        };
        let result = rx
            .recv()
            .unwrap_or_else(|_| Err(LoadError::plain("the worker thread ended while loading")));
        match result {
            Ok(loaded) => {
                if index == 0 {
                    handle.loaded.graph = loaded.graph;
                    handle.loaded.graph_json = loaded.graph_json;
                }
                handle.loaded.listens.extend(loaded.listens);
                handle.controls.push(control);
                handle.admins.push(admin_tx);
                handle.threads.push(thread);
            }
            Err(e) => {
                let _ = thread.join();
                handle.stop();
                handle.join();
                return Err(e);
            }
        }
    }
    Ok(handle)
}
