//! Workers: a program running on its own thread, with its own tokio runtime (current-thread,
//! with a `LocalSet`) and its own script runtime.
//!
//! [`spawn`] loads the program and binds its listeners before it returns, so load errors come
//! back to the caller. A [`WorkerHandle`] then drains the worker (stop accepting, let open
//! connections finish) or stops it at once. Reloading starts a new worker on the same
//! listening sockets and drains the old one, so no connection is dropped.

mod admin;
mod liveness;
mod reads;
mod spawn;
mod tasks;

pub use admin::{AdminAnswer, AdminCall};
pub use liveness::{hold, idle, Work};
pub use reads::request as start_read;
pub use spawn::spawn as spawn_pipeline;

use std::collections::HashSet;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use crate::codebase::Codebase;
use crate::loader::{self, Program};
use crate::net::{self, ListenOptions, Tracker};
use crate::pipeline::{LayoutKind, PipelineLayout};
use crate::script::{self, Script};

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
        parsed.unwrap_or_else(|| LoadError {
            message: m.to_string(),
            ..Default::default()
        })
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

static EXIT: OnceLock<(AtomicI32, Notify)> = OnceLock::new();
static ARGS: OnceLock<Vec<String>> = OnceLock::new();

fn exit_signal() -> &'static (AtomicI32, Notify) {
    EXIT.get_or_init(|| (AtomicI32::new(0), Notify::new()))
}

static EXIT_ASKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks the process to exit with `code` (`pipy.exit()`).
pub fn request_exit(code: i32) {
    let (c, n) = exit_signal();
    c.store(code, Ordering::SeqCst);
    EXIT_ASKED.store(true, Ordering::SeqCst);
    n.notify_one();
}

/// The code a script asked to exit with, if it did.
pub fn requested_exit_code() -> Option<i32> {
    EXIT_ASKED
        .load(Ordering::SeqCst)
        .then(|| exit_signal().0.load(Ordering::SeqCst))
}

/// Waits until a script asks the process to exit; returns the exit code.
pub async fn exit_requested() -> i32 {
    let (c, n) = exit_signal();
    n.notified().await;
    c.load(Ordering::SeqCst)
}

static RELOAD: Notify = Notify::const_new();

/// Asks the process to load its program again, as SIGHUP does (`pipy.restart()`).
pub fn request_reload() {
    RELOAD.notify_one();
}

/// Waits until a script asks for a reload.
pub async fn reload_requested() {
    RELOAD.notified().await
}

static INSTANCE: OnceLock<(String, String)> = OnceLock::new();

/// Names this process for scripts (`pipy.uuid`, `pipy.name`): the given UUID, or a fresh
/// random one. Only the first call counts.
pub fn set_instance(uuid: Option<String>, name: Option<String>) {
    let uuid = uuid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let _ = INSTANCE.set((uuid, name.unwrap_or_default()));
}

/// This process's instance UUID and name (see [`set_instance`]).
pub fn instance() -> (String, String) {
    INSTANCE
        .get_or_init(|| (uuid::Uuid::new_v4().to_string(), String::new()))
        .clone()
}

/// Arguments for `pipy.argv`.
pub fn script_args() -> Vec<String> {
    ARGS.get().cloned().unwrap_or_default()
}

/// Starts `opts.threads` worker threads running `opts.target`. Returns once every worker
/// has loaded the program and is listening, or with the reason it could not start.
pub fn spawn(opts: RunOptions) -> Result<WorkerHandle, LoadError> {
    let _ = ARGS.set(opts.args.clone());
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
                return Err(LoadError {
                    message: format!("cannot start a worker thread: {e}"),
                    ..Default::default()
                });
            }
        };
        let result = rx.recv().unwrap_or_else(|_| {
            Err(LoadError {
                message: "the worker thread ended while loading".into(),
                ..Default::default()
            })
        });
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

type Reply = std::sync::mpsc::Sender<Result<Loaded, LoadError>>;

fn thread_main(
    opts: RunOptions,
    index: usize,
    count: usize,
    tx: Reply,
    control: watch::Receiver<Control>,
    admin_calls: tokio::sync::mpsc::UnboundedReceiver<AdminCall>,
) {
    WORKER.with(|w| w.set((index, count)));
    crate::logging::set_program(&opts.program);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = tx.send(Err(LoadError {
                message: format!("cannot start a runtime: {e}"),
                ..Default::default()
            }));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    let program = local.block_on(&rt, run(opts, tx, control, admin_calls));
    // Close every connection and task while the script runtime is still alive, then free
    // the runtime (a reload must not keep the old program's memory).
    {
        let _guard = rt.enter();
        drop(local);
        drop(program);
    }
    let kept = script::shutdown();
    if kept > 0 {
        tracing::debug!("{kept} script values were still held when the worker stopped");
    }
}

async fn run(
    opts: RunOptions,
    tx: Reply,
    mut control: watch::Receiver<Control>,
    admin_calls: tokio::sync::mpsc::UnboundedReceiver<AdminCall>,
) -> Option<Program> {
    let fail = |tx: &Reply, e: LoadError| {
        let _ = tx.send(Err(e));
    };
    // Loading is work: the process must not end before the program has started.
    let loading = liveness::hold();
    let opened = match &opts.main {
        Some(m) => Codebase::with_main(&opts.target, m),
        None => Codebase::open(&opts.target),
    };
    let codebase = match opened {
        Ok(c) => Rc::new(c),
        Err(e) => {
            fail(
                &tx,
                LoadError {
                    message: e,
                    ..Default::default()
                },
            );
            return None;
        }
    };
    if let Err(e) = Script::install(codebase.clone()) {
        fail(
            &tx,
            LoadError {
                message: format!("cannot start the script engine: {e}"),
                ..Default::default()
            },
        );
        return None;
    }
    let clock_job = match opts.clock.as_ref().map(|c| c.join()).transpose() {
        Ok(job) => job,
        Err(message) => {
            fail(
                &tx,
                LoadError {
                    message,
                    ..Default::default()
                },
            );
            return None;
        }
    };
    let program = match loader::load(codebase.main(), &opts.services) {
        Ok(p) => p,
        Err(e) => {
            fail(&tx, LoadError::from_message(&e));
            return None;
        }
    };
    let graph = program.graph_lines();
    if !opts.quiet {
        for line in &graph {
            tracing::info!(target: "config", "{line}");
        }
    }

    let mut loaded = Loaded {
        graph,
        graph_json: crate::graph::program_json(&program),
        listens: HashSet::new(),
    };
    if opts.check {
        let _ = tx.send(Ok(loaded));
        return Some(program);
    }
    let tracker = Rc::new(Tracker::default());
    let mut jobs = match start_listeners(&program, &opts, &tracker, &mut loaded.listens) {
        Ok(j) => j,
        Err(e) => {
            fail(
                &tx,
                LoadError {
                    message: e,
                    ..Default::default()
                },
            );
            return Some(program);
        }
    };
    jobs.extend(clock_job);
    match start_tasks(&program) {
        Ok(t) => jobs.extend(t),
        Err(e) => {
            for j in &jobs {
                j.abort();
            }
            fail(
                &tx,
                LoadError {
                    message: e,
                    ..Default::default()
                },
            );
            return Some(program);
        }
    }
    // Listeners and periodic tasks keep the program running; run-once tasks and reads hold
    // their own work until their pipelines end.
    let _serving = (program.listens().next().is_some()
        || program
            .tasks()
            .any(|l| matches!(&l.kind, LayoutKind::Task { when, .. } if !when.is_empty() && when != "exit")))
    .then(liveness::hold);
    reads::start_program(&program.layouts);
    drop(loading);
    let _ = tx.send(Ok(loaded));
    tracing::debug!(target: "thread", "Thread {} started", current().0);
    jobs.push(tokio::task::spawn_local(report_heap()));
    jobs.push(tokio::task::spawn_local(admin::serve(
        program.admins().cloned().collect(),
        admin_calls,
    )));
    loop {
        if control.changed().await.is_err() {
            break;
        }
        let c = *control.borrow();
        match c {
            Control::Run => continue,
            Control::Exit => break,
            Control::Drain(timeout, close_idle) => {
                for j in &jobs {
                    j.abort();
                }
                if close_idle {
                    // Shutting down (not reloading): the exit() layouts run first.
                    let exits = program.tasks().filter(
                        |l| matches!(&l.kind, LayoutKind::Task { when, .. } if when == "exit"),
                    );
                    tasks::run_exit_tasks(exits, timeout).await;
                }
                tracing::debug!(target: "worker", "draining {} connection(s)", tracker.open());
                crate::filters::drain_servers(close_idle);
                tokio::select! {
                    _ = tracker.all_closed() => {}
                    _ = tokio::time::sleep(timeout) => {
                        if tracker.open() > 0 {
                            tracing::info!(target: "worker", "closing {} connection(s) still open after the drain time", tracker.open());
                        }
                    }
                    _ = async {
                        // Only an explicit stop cuts the drain short; a dropped handle does not.
                        loop {
                            match control.changed().await {
                                Ok(()) if *control.borrow() == Control::Exit => break,
                                Ok(()) => continue,
                                Err(_) => std::future::pending::<()>().await,
                            }
                        }
                    } => {}
                }
                break;
            }
        }
    }
    Some(program)
}

/// Keeps the `sluice_js_heap_bytes` gauge of this worker current.
async fn report_heap() {
    let gauge = crate::metrics::builtin()
        .js_heap
        .with_label_values(&[&current().0.to_string()]);
    loop {
        gauge.set(script::script().memory_used());
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

fn start_listeners(
    program: &Program,
    opts: &RunOptions,
    tracker: &Rc<Tracker>,
    keys: &mut HashSet<String>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let mut bound = Vec::new();
    let mut udp = Vec::new();
    for layout in program.listens() {
        let LayoutKind::Listen { host, port } = &layout.kind else {
            continue;
        };
        let mut lo = listen_options(layout, opts)?;
        let (index, count) = current();
        if count > 1 {
            lo.reuse_port = true;
        }
        if lo.udp {
            // Every worker (and a reloading program) shares the port: the kernel spreads
            // peers over the sockets.
            keys.insert(net::registry::claim_udp(&opts.program, host, *port)?);
            let socket = net::bind_udp(host, *port, true)?;
            udp.push((layout.clone(), socket, lo, host.clone(), *port));
            continue;
        }
        let std_listener = net::registry::acquire(&opts.program, host, *port, index, &lo)?;
        keys.insert(net::registry::key(host, *port, index));
        bound.push((layout.clone(), std_listener, lo, host.clone(), *port));
    }
    let mut jobs = Vec::new();
    for (layout, socket, lo, host, port) in udp {
        let socket = tokio::net::UdpSocket::from_std(socket)
            .map_err(|e| format!("cannot listen on UDP port {port} at {host}: {e}"))?;
        if current().0 == 0 {
            tracing::info!(target: "listener", "Listening on UDP port {port} at {host}");
        }
        jobs.push(tokio::task::spawn_local(net::serve_udp(
            socket,
            layout,
            lo,
            tracker.clone(),
        )));
    }
    for (layout, l, lo, host, port) in bound {
        let listener = tokio::net::TcpListener::from_std(l)
            .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
        if current().0 == 0 {
            tracing::info!(target: "listener", "Listening on TCP port {port} at {host}");
        }
        jobs.push(tokio::task::spawn_local(net::serve_listener(
            listener,
            layout,
            lo,
            tracker.clone(),
        )));
    }
    Ok(jobs)
}

fn start_tasks(program: &Program) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let mut jobs = Vec::new();
    for layout in program.tasks() {
        let LayoutKind::Task { when, .. } = &layout.kind else {
            continue;
        };
        let when = when.clone();
        let layout = layout.clone();
        if when == "exit" {
            // Run at shutdown (see `run`).
            continue;
        } else if let Some(file) = when.strip_prefix("watch:") {
            let full = script::script()
                .codebase()
                .root()
                .join(file.trim_start_matches('/'));
            jobs.push(tokio::task::spawn_local(tasks::run_watch_task(
                layout, full,
            )));
        } else if when.starts_with("SIG") {
            jobs.push(tokio::task::spawn_local(tasks::run_signal_task(
                layout, when,
            )));
        } else if when.is_empty() {
            let work = liveness::hold();
            jobs.push(tokio::task::spawn_local(async move {
                let _keep = tasks::start_task(&layout, Some(work));
                std::future::pending::<()>().await;
            }));
        } else {
            let every = crate::units::parse_duration(&when).map_err(|e| format!("task(): {e}"))?;
            if every < Duration::from_millis(10) {
                return Err(format!("task(): interval {when} is shorter than 0.01s"));
            }
            jobs.push(tokio::task::spawn_local(tasks::run_timer_task(
                layout, every,
            )));
        }
    }
    Ok(jobs)
}

fn listen_options(layout: &PipelineLayout, opts: &RunOptions) -> Result<ListenOptions, String> {
    let mut lo = ListenOptions {
        reuse_port: opts.reuse_port,
        ..Default::default()
    };
    if let Some(o) = &layout.options {
        script::js(|ctx| -> Result<(), String> {
            let v = o.get(ctx);
            let Some(obj) = v.as_object() else {
                return Ok(());
            };
            let get = |k: &str| {
                obj.get::<_, rquickjs::Value>(k)
                    .ok()
                    .filter(|v| !v.is_undefined() && !v.is_null())
            };
            if let Some(v) = get("protocol") {
                let p = v
                    .get::<rquickjs::Coerced<String>>()
                    .map(|s| s.0)
                    .unwrap_or_default();
                lo.udp = match p.to_ascii_lowercase().as_str() {
                    "udp" => true,
                    "tcp" | "" => false,
                    other => {
                        return Err(format!(
                            "listen(): unknown protocol {other} (use tcp or udp)"
                        ))
                    }
                };
            }
            if let Some(v) = get("maxConnections") {
                let n = v
                    .as_number()
                    .ok_or("listen(): maxConnections must be a number")?;
                if n >= 0.0 {
                    lo.max_connections = Some(n as usize);
                }
            }
            if let Some(v) = get("idleTimeout") {
                lo.idle_timeout = crate::filters::builder::duration_of(&v)
                    .map_err(|e| format!("listen(): idleTimeout: {e}"))?;
            }
            if let Some(v) = get("writeTimeout") {
                lo.write_timeout = Some(
                    crate::filters::builder::duration_of(&v)
                        .map_err(|e| format!("listen(): writeTimeout: {e}"))?,
                );
            }
            if let Some(v) = get("readTimeout") {
                lo.read_timeout = Some(
                    crate::filters::builder::duration_of(&v)
                        .map_err(|e| format!("listen(): readTimeout: {e}"))?,
                );
            }
            Ok(())
        })?;
    }
    Ok(lo)
}
