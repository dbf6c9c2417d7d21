//! A worker: one thread with its own tokio runtime and script runtime, running a program.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::Notify;

use crate::codebase::Codebase;
use crate::event::{Event, MessageTail, StreamEnd};
use crate::loader::{self, Program};
use crate::net::{self, ListenOptions};
use crate::pipeline::{Context, LayoutKind, Output, Pipeline, PipelineLayout};
use crate::script::{self, Script};

/// What to run and how.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Script file or codebase folder.
    pub target: PathBuf,
    /// Load, validate and print the graph, then exit.
    pub check: bool,
    /// Set SO_REUSEPORT on listeners.
    pub reuse_port: bool,
    /// Arguments after `--`, for `pipy.argv`.
    pub args: Vec<String>,
}

static EXIT: OnceLock<(AtomicI32, Notify)> = OnceLock::new();
static ARGS: OnceLock<Vec<String>> = OnceLock::new();

fn exit_signal() -> &'static (AtomicI32, Notify) {
    EXIT.get_or_init(|| (AtomicI32::new(0), Notify::new()))
}

/// Asks the process to exit with `code` (`pipy.exit()`).
pub fn request_exit(code: i32) {
    let (c, n) = exit_signal();
    c.store(code, Ordering::SeqCst);
    n.notify_one();
}

/// Arguments for `pipy.argv`.
pub fn script_args() -> Vec<String> {
    ARGS.get().cloned().unwrap_or_default()
}

/// Runs a program to the end and returns the process exit code.
pub fn run(opts: RunOptions) -> i32 {
    let _ = ARGS.set(opts.args.clone());
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return 1;
        }
    };
    let local = tokio::task::LocalSet::new();
    let code = local.block_on(&rt, run_program(opts));
    // Pipelines still alive hold script values; the process ends here without tearing the
    // script runtime down under them.
    std::mem::forget(local);
    std::mem::forget(rt);
    script::leak();
    code
}

async fn run_program(opts: RunOptions) -> i32 {
    let codebase = match Codebase::open(&opts.target) {
        Ok(c) => Rc::new(c),
        Err(e) => {
            tracing::error!("{e}");
            return 1;
        }
    };
    if let Err(e) = Script::install(codebase.clone()) {
        tracing::error!("cannot start the script engine: {e}");
        return 1;
    }
    let program = match loader::load(codebase.main()) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(target: "config", "{e}");
            return 1;
        }
    };
    for line in program.graph_lines() {
        tracing::info!(target: "config", "{line}");
    }
    if opts.check {
        return 0;
    }
    if let Err(e) = start(&program, &opts) {
        tracing::error!(target: "listener", "{e}");
        return 1;
    }
    let code = wait_for_exit().await;
    std::mem::forget(program);
    code
}

fn start(program: &Program, opts: &RunOptions) -> Result<(), String> {
    let mut bound = Vec::new();
    for layout in program.listens() {
        let LayoutKind::Listen { host, port } = &layout.kind else {
            continue;
        };
        let lo = listen_options(layout, opts)?;
        let std_listener = net::bind(host, *port, &lo)?;
        bound.push((layout.clone(), std_listener, lo, host.clone(), *port));
    }
    for (layout, l, lo, host, port) in bound {
        let listener = tokio::net::TcpListener::from_std(l)
            .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
        tracing::info!(target: "listener", "Listening on port {port} at {host}");
        tokio::task::spawn_local(net::serve_listener(listener, layout, lo));
    }
    for layout in program.tasks() {
        let LayoutKind::Task { when, .. } = &layout.kind else {
            continue;
        };
        let when = when.clone();
        let layout = layout.clone();
        if when.starts_with("SIG") {
            tokio::task::spawn_local(run_signal_task(layout, when));
        } else if when.is_empty() {
            tokio::task::spawn_local(async move {
                let _keep = start_task(&layout);
                std::future::pending::<()>().await;
            });
        } else {
            let every = crate::units::parse_duration(&when).map_err(|e| format!("task(): {e}"))?;
            if every < Duration::from_millis(10) {
                return Err(format!("task(): interval {when} is shorter than 0.01s"));
            }
            tokio::task::spawn_local(run_timer_task(layout, every));
        }
    }
    Ok(())
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

/// One run of a task pipeline; `ended` turns true when it outputs StreamEnd.
struct TaskRun {
    _pipeline: Rc<Pipeline>,
    ended: Rc<Cell<bool>>,
}

fn start_task(layout: &Rc<PipelineLayout>) -> TaskRun {
    let ended = Rc::new(Cell::new(false));
    let e = ended.clone();
    let output = Output::from_fn(move |evt| {
        if evt.is_stream_end() {
            e.set(true);
        }
    });
    let pipeline = Pipeline::new(layout, Context::root(None), output);
    if layout.on_start.is_some() {
        pipeline.start(|_| Vec::new());
    } else {
        // [A]: a task's input is an empty message, then the end of the stream.
        pipeline.input(Event::MessageStart(None));
        pipeline.input(Event::MessageEnd(MessageTail::default()));
        pipeline.input(StreamEnd::ok());
    }
    TaskRun {
        _pipeline: pipeline,
        ended,
    }
}

async fn run_timer_task(layout: Rc<PipelineLayout>, every: Duration) {
    let current: RefCell<Option<TaskRun>> = RefCell::new(None);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let busy = current
            .borrow()
            .as_ref()
            .map(|r| !r.ended.get())
            .unwrap_or(false);
        if !busy {
            let old = current.borrow_mut().take();
            drop(old);
            let run = start_task(&layout);
            *current.borrow_mut() = Some(run);
        }
    }
}

async fn run_signal_task(layout: Rc<PipelineLayout>, name: String) {
    use tokio::signal::unix::{signal, SignalKind};
    let kind = match name.as_str() {
        "SIGHUP" => SignalKind::hangup(),
        "SIGINT" => SignalKind::interrupt(),
        "SIGTERM" => SignalKind::terminate(),
        "SIGUSR1" => SignalKind::user_defined1(),
        "SIGUSR2" => SignalKind::user_defined2(),
        "SIGQUIT" => SignalKind::quit(),
        "SIGALRM" => SignalKind::alarm(),
        other => {
            tracing::error!("task(): unsupported signal {other}");
            return;
        }
    };
    let Ok(mut sig) = signal(kind) else {
        tracing::error!("task(): cannot watch {name}");
        return;
    };
    let mut keep = None;
    while sig.recv().await.is_some() {
        keep = Some(start_task(&layout));
    }
    drop(keep);
}

async fn wait_for_exit() -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let (code, notify) = exit_signal();
    let mut term = signal(SignalKind::terminate()).ok();
    let term_fut = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => { tracing::info!("interrupted; exiting"); 0 }
        _ = term_fut => { tracing::info!("terminated; exiting"); 0 }
        _ = notify.notified() => code.load(Ordering::SeqCst),
    }
}
