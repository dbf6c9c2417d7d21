//! A paused stream on its worker thread: a task holding the pipeline and the event, waiting
//! for commands or the debug timeout.

use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::breakpoint::{set_step, Step};
use super::{js, Breakpoint, Call, Command, Session};
use crate::event::{Event, StreamEnd};
use crate::pipeline::Pipeline;

/// Bytes of body shown with a paused event.
const BODY_PREVIEW: usize = 1024;

/// The paused stream.
struct Paused {
    id: u64,
    program: String,
    pipeline: Rc<Pipeline>,
    trace: u64,
    index: usize,
    evt: Event,
    breakpoint: Option<u64>,
    timeout: Duration,
    since: u128,
}

/// How a pause ends.
enum Outcome {
    Go(Option<Step>),
    Drop,
}

/// Unregisters a pause however its task ends (a command, the timeout, the worker stopping).
struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        super::unregister(self.0);
    }
}

/// Holds `pipeline` with `evt` (arriving at filter `index`) and starts waiting for commands.
pub(super) fn start(
    pipeline: Rc<Pipeline>,
    trace: u64,
    index: usize,
    evt: Event,
    hit: Option<Breakpoint>,
    session: &Session,
) {
    pipeline.hold();
    let (tx, rx) = mpsc::unbounded_channel();
    let id = super::register(&session.program, trace, tx);
    let p = Paused {
        id,
        program: session.program.clone(),
        pipeline,
        trace,
        index,
        evt,
        breakpoint: hit.as_ref().map(|b| b.id),
        timeout: session.timeout,
        since: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
    };
    super::set_detail(id, p.detail());
    tracing::info!(
        target: "debug",
        "stream {trace} paused at {} in {}",
        p.filter(),
        p.pipeline.layout().title()
    );
    tokio::task::spawn_local(wait(p, rx));
}

async fn wait(mut p: Paused, mut calls: mpsc::UnboundedReceiver<Call>) {
    let registered = Registered(p.id);
    let deadline = tokio::time::Instant::now() + p.timeout;
    let (outcome, last) = loop {
        tokio::select! {
            call = calls.recv() => {
                let Some(call) = call else { break (Outcome::Go(None), None) };
                let go = match call.command {
                    Command::Step => Outcome::Go(Some(Step::Into(p.pipeline.id(), p.index))),
                    Command::Over => Outcome::Go(Some(Step::Over(p.pipeline.id(), p.index))),
                    Command::Continue => Outcome::Go(None),
                    Command::Drop => Outcome::Drop,
                    other => {
                        let _ = call.reply.send(p.answer(other));
                        continue;
                    }
                };
                break (go, Some(call.reply));
            }
            _ = tokio::time::sleep_until(deadline) => {
                tracing::warn!(
                    target: "debug",
                    "stream {} went on after being paused for {:?} (the debug timeout)",
                    p.trace, p.timeout
                );
                break (Outcome::Go(None), None);
            }
        }
    };
    drop(registered);
    let (pipeline, index, trace) = (p.pipeline.clone(), p.index, p.trace);
    let evt = std::mem::replace(&mut p.evt, Event::Data(Default::default()));
    drop(p);
    match outcome {
        Outcome::Go(step) => {
            set_step(trace, step);
            pipeline.release(index, evt);
        }
        Outcome::Drop => {
            set_step(trace, None);
            pipeline.clear_queue();
            pipeline.release(index, StreamEnd::runtime("dropped in the debugger"));
        }
    }
    if let Some(reply) = last {
        let _ = reply.send(Ok(json!({ "paused": super::pause_of_trace(trace) })));
    }
}

impl Paused {
    fn filter(&self) -> String {
        self.pipeline
            .layout()
            .filters()
            .get(self.index)
            .map(|f| f.label())
            .unwrap_or_else(|| "output".into())
    }

    /// Answers a command that leaves the stream paused.
    fn answer(&mut self, c: Command) -> Result<Value, String> {
        match c {
            Command::Eval(exprs) => {
                let results: Vec<Value> = exprs
                    .iter()
                    .map(|e| match js::watch(&self.pipeline, &self.evt, e) {
                        Ok(v) => json!({ "expr": e, "value": v }),
                        Err(err) => json!({ "expr": e, "error": err }),
                    })
                    .collect();
                Ok(json!({ "results": results }))
            }
            Command::Header(name, value) => {
                let Event::MessageStart(Some(head)) = &self.evt else {
                    return Err(
                        "only a paused MessageStart has headers to change (this is a {})"
                            .replace("{}", self.evt.type_name()),
                    );
                };
                js::set_header(head, &name, value.as_deref())?;
                self.refresh()
            }
            Command::Var(name, expr) => {
                js::set_var(&self.pipeline, &self.evt, &name, &expr)?;
                self.refresh()
            }
            Command::Detail => self.refresh(),
            Command::Step | Command::Over | Command::Continue | Command::Drop => {
                Err("not a question".into())
            }
        }
    }

    fn refresh(&self) -> Result<Value, String> {
        let d = self.detail();
        super::set_detail(self.id, d.clone());
        Ok(d)
    }

    /// Everything the IDE shows about the paused stream.
    fn detail(&self) -> Value {
        let layout = self.pipeline.layout();
        let queued = self.pipeline.queued();
        let body_of = |index: usize| {
            let mut b = Vec::new();
            let mut size = 0;
            for (i, e) in &queued {
                if let (true, Event::Data(d)) = (*i == index, e) {
                    size += d.len();
                    let room = BODY_PREVIEW.saturating_sub(b.len());
                    b.extend_from_slice(&d[..d.len().min(room)]);
                }
            }
            (String::from_utf8_lossy(&b).into_owned(), size)
        };
        let (head, (body, size)) = match &self.evt {
            Event::MessageStart(h) => (js::head_json(h.as_ref()), body_of(self.index)),
            Event::MessageEnd(t) => (js::head_json(t.tail.as_ref()), (String::new(), 0)),
            Event::Data(d) => (
                Value::Null,
                (
                    String::from_utf8_lossy(&d[..d.len().min(BODY_PREVIEW)]).into_owned(),
                    d.len(),
                ),
            ),
            Event::StreamEnd(se) => (
                Value::Null,
                (
                    se.error_code()
                        .map(|c| c.name().to_string())
                        .unwrap_or_default(),
                    0,
                ),
            ),
        };
        let vars: Vec<Value> = js::vars(self.pipeline.context())
            .into_iter()
            .map(|(module, name, value)| json!({ "module": module, "name": name, "value": value }))
            .collect();
        let line = js::filter_lines()
            .get(layout.id)
            .and_then(|l| l.get(self.index))
            .copied();
        json!({
            "id": self.id, "program": self.program, "trace": self.trace,
            "pipeline": self.pipeline.id(),
            "layout": { "id": layout.id, "title": Some(layout.title()).filter(|t| !t.is_empty()).unwrap_or_else(|| layout.label.clone()),
                        "module": &*layout.module, "line": layout.line },
            "index": self.index, "filter": self.filter(), "line": line,
            "event": self.evt.type_name(), "head": head, "body": body, "bodySize": size,
            "queued": queued.len(), "vars": vars, "path": path(self.trace),
            "breakpoint": self.breakpoint, "reason": if self.breakpoint.is_some() { "breakpoint" } else { "step" },
            "since": self.since as u64, "timeout": self.timeout.as_secs_f64(),
        })
    }
}

/// The pipelines the stream came through, in the order it entered them (from its trace).
fn path(trace: u64) -> Vec<Value> {
    let mut seen: Vec<u64> = Vec::new();
    let mut out = Vec::new();
    for r in crate::trace::trace(trace) {
        if r.pipeline == 0 || seen.contains(&r.pipeline) {
            continue;
        }
        seen.push(r.pipeline);
        out.push(json!({ "pipeline": r.pipeline, "layout": r.layout, "module": r.module }));
    }
    out
}
