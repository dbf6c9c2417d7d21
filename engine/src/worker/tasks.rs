//! Task layouts: timers, signals, and run-once tasks.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use super::liveness::Work;
use crate::event::{Event, MessageTail, StreamEnd};
use crate::pipeline::{Context, Output, Pipeline, PipelineLayout};

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
