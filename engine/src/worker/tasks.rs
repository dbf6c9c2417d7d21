//! Task layouts: timers, signals, and run-once tasks.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use crate::event::{Event, MessageTail, StreamEnd};
use crate::liveness::Work;
use crate::loader::Program;
use crate::pipeline::{Context, LayoutKind, Output, Pipeline, PipelineLayout};
use crate::script;

/// One run of a task pipeline; `ended` turns true when it outputs StreamEnd.
pub(super) struct TaskRun {
    _pipeline: Rc<Pipeline>,
    ended: Rc<Cell<bool>>,
}

/// Starts one run of a task pipeline; `work` (a run-once task's) is released when it ends.
pub(super) fn start_task(layout: &Rc<PipelineLayout>, work: Option<Work>) -> TaskRun {
    let ended = Rc::new(Cell::new(false));
    let e = ended.clone();
    let work = RefCell::new(work);
    let output = Output::from_fn(move |evt| {
        if evt.is_stream_end() {
            e.set(true);
            work.borrow_mut().take();
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

pub(super) async fn run_timer_task(layout: Rc<PipelineLayout>, every: Duration) {
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
            let run = start_task(&layout, None);
            *current.borrow_mut() = Some(run);
        }
    }
}

pub(super) async fn run_signal_task(layout: Rc<PipelineLayout>, name: String) {
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
        keep = Some(start_task(&layout, None));
    }
    drop(keep);
}

/// `watch(filename)` layouts: a run of the pipeline each time the codebase file (or a file
/// under the folder) changes; checked twice a second.
pub(super) async fn run_watch_task(layout: Rc<PipelineLayout>, path: std::path::PathBuf) {
    let mut before = crate::codebase::fingerprint(&path);
    // The latest run stays alive until the next one starts.
    let mut latest: Option<TaskRun> = None;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = crate::codebase::fingerprint(&path);
        if now != before {
            before = now;
            tracing::debug!(target: "task", "{} changed", path.display());
            drop(latest.replace(start_task(&layout, None)));
        }
    }
}

/// `exit()` layouts: run once each when the program shuts down, their input closed after what
/// onStart gives; waits until every run has ended, or for `limit`.
pub(super) async fn run_exit_tasks<'a>(
    layouts: impl Iterator<Item = &'a Rc<PipelineLayout>>,
    limit: Duration,
) {
    let runs: Vec<TaskRun> = layouts
        .map(|l| {
            let run = start_task(l, None);
            if l.on_start.is_some() && !run.ended.get() {
                // The program is ending: what onStart gave is all the input there will be.
                run._pipeline.input(StreamEnd::ok());
            }
            run
        })
        .collect();
    if runs.is_empty() {
        return;
    }
    let deadline = tokio::time::Instant::now() + limit;
    while runs.iter().any(|r| !r.ended.get()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Starts the program's tasks: timers, signal and file-watch tasks, run-once tasks (the
/// `exit` tasks run at shutdown).
pub(super) fn start_tasks(program: &Program) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
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
            jobs.push(tokio::task::spawn_local(run_watch_task(layout, full)));
        } else if when.starts_with("SIG") {
            jobs.push(tokio::task::spawn_local(run_signal_task(layout, when)));
        } else if when.is_empty() {
            let work = crate::liveness::hold();
            jobs.push(tokio::task::spawn_local(async move {
                let _keep = start_task(&layout, Some(work));
                std::future::pending::<()>().await;
            }));
        } else {
            let every = crate::units::parse_duration(&when).map_err(|e| format!("task(): {e}"))?;
            if every < Duration::from_millis(10) {
                return Err(format!("task(): interval {when} is shorter than 0.01s"));
            }
            jobs.push(tokio::task::spawn_local(run_timer_task(layout, every)));
        }
    }
    Ok(jobs)
}
