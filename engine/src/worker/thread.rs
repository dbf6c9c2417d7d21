//! One worker thread: its runtime, loading the program, serving it until it is drained or
//! stopped, and freeing everything before the thread ends.

use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::watch;

use super::listen::start_listeners;
use super::tasks::{self, start_tasks};
use super::{admin, current, reads, AdminCall, Control, LoadError, Loaded, RunOptions, WORKER};
use crate::codebase::Codebase;
use crate::liveness;
use crate::loader::{self, Program};
use crate::net::Tracker;
use crate::pipeline::LayoutKind;
use crate::script::{self, Script};

pub(super) type Reply = std::sync::mpsc::Sender<Result<Loaded, LoadError>>;

pub(super) fn thread_main(
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
            let _ = tx.send(Err(LoadError::plain(format!(
                "cannot start a runtime: {e}"
            ))));
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
            fail(&tx, LoadError::plain(e));
            return None;
        }
    };
    if let Err(e) = Script::install(codebase.clone(), super::natives::install) {
        fail(
            &tx,
            LoadError::plain(format!("cannot start the script engine: {e}")),
        );
        return None;
    }
    let clock_job = match opts.clock.as_ref().map(|c| c.join()).transpose() {
        Ok(job) => job,
        Err(message) => {
            fail(&tx, LoadError::plain(message));
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
        graph_json: crate::graph::program_json(
            &program.layouts,
            &program.modules,
            &crate::debug::filter_lines(),
        ),
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
            fail(&tx, LoadError::plain(e));
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
            fail(&tx, LoadError::plain(e));
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
