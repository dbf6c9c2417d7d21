//! Breakpoints, and the check a traced event goes through on a worker thread.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::{json, Value};

use super::Session;
use crate::event::Event;
use crate::pipeline::debugger::Arrival;
use crate::pipeline::Pipeline;

/// When a breakpoint pauses a stream.
#[derive(Clone, Debug, Default)]
pub struct Condition {
    /// Only events of this type (`MessageStart`, `Data`, `MessageEnd`, `StreamEnd`). Without
    /// one, a breakpoint pauses each stream once: at the first event it brings to the filter.
    pub event: Option<String>,
    /// Only when this JS expression over `msg`/`evt` and the context variables is truthy.
    pub expr: Option<String>,
}

/// A breakpoint on one filter of one pipeline layout.
#[derive(Clone, Debug, Default)]
pub struct Breakpoint {
    /// Its id (unique in the process).
    pub id: u64,
    /// The layout id, as the program graph gives it.
    pub layout: usize,
    /// The filter's position in the layout.
    pub index: usize,
    /// The module file the filter is in.
    pub file: String,
    /// The filter's line in it (0 when unknown).
    pub line: u32,
    /// The filter's name.
    pub filter: String,
    /// When it pauses.
    pub condition: Condition,
}

impl Breakpoint {
    /// As JSON for the admin API.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "layout": self.layout, "index": self.index, "file": self.file,
            "line": self.line, "filter": self.filter,
            "condition": { "event": self.condition.event, "expr": self.condition.expr },
        })
    }
}

/// Where a stream that is being stepped pauses next. Both name the pipeline (by id) and the
/// filter it was paused at: the rest of the stream's input to that filter (and to the ones
/// before it) goes on without pausing.
#[derive(Clone, Copy)]
pub(super) enum Step {
    /// At its next event anywhere else: what the filter put out, in this pipeline or in a
    /// sub-pipeline it fed.
    Into(u64, usize),
    /// At the next event of this pipeline at a later filter (or its output): a joint filter's
    /// sub-pipeline runs without pausing.
    Over(u64, usize),
}

/// This thread's copy of its program's session.
struct View {
    generation: u64,
    session: Option<Rc<Session>>,
}

thread_local! {
    static VIEW: RefCell<View> = const { RefCell::new(View { generation: 0, session: None }) };
    /// Streams (by trace id) being stepped.
    static STEPS: RefCell<HashMap<u64, Step>> = RefCell::new(HashMap::new());
    /// (pipeline, breakpoint) pairs already paused at, for breakpoints without an event type.
    static PASSED: RefCell<HashSet<(u64, u64)>> = RefCell::new(HashSet::new());
}

/// This thread's program's session, refreshed when sessions changed.
fn session() -> Option<Rc<Session>> {
    let now = super::generation();
    VIEW.with(|v| {
        let mut v = v.borrow_mut();
        if v.generation != now {
            v.generation = now;
            v.session = super::session(&crate::logging::program()).map(Rc::new);
        }
        v.session.clone()
    })
}

/// Makes the stream of `trace` pause at its next event matching `step` (or not, with `None`).
pub(super) fn set_step(trace: u64, step: Option<Step>) {
    STEPS.with(|s| match step {
        Some(st) => {
            let mut s = s.borrow_mut();
            if s.len() > 10_000 {
                s.clear(); // streams that ended while being stepped
            }
            s.insert(trace, st);
        }
        None => {
            s.borrow_mut().remove(&trace);
        }
    });
}

/// Checks a traced event at its arrival: gives it back to be delivered, or pauses the
/// pipeline and keeps it (`None`).
pub(crate) fn arrive(at: Arrival<'_>, evt: Event) -> Option<Event> {
    let Arrival {
        pipeline,
        trace,
        index,
    } = at;
    let Some(session) = session() else {
        return Some(evt);
    };
    let here = (pipeline.id(), index);
    let stepped = STEPS.with(|s| match s.borrow().get(&trace) {
        Some(Step::Into(p, i)) => *p != here.0 || here.1 > *i,
        Some(Step::Over(p, i)) => *p == here.0 && here.1 > *i,
        None => false,
    });
    let hit = if stepped {
        None
    } else {
        let layout = pipeline.layout().id;
        let found = session
            .breakpoints
            .iter()
            .find(|b| b.layout == layout && b.index == index && matches(b, pipeline, &evt));
        match found {
            Some(b) => Some(b.clone()),
            None => return Some(evt),
        }
    };
    set_step(trace, None);
    super::pause::start(pipeline.clone(), trace, index, evt, hit, &session);
    None
}

fn matches(b: &Breakpoint, pipeline: &Rc<Pipeline>, evt: &Event) -> bool {
    match &b.condition.event {
        Some(t) if t != "any" && t != evt.type_name() => return false,
        Some(_) => {}
        None => {
            let key = (pipeline.id(), b.id);
            if PASSED.with(|p| p.borrow().contains(&key)) {
                return false;
            }
        }
    }
    if let Some(expr) = &b.condition.expr {
        match super::js::condition(pipeline, evt, expr) {
            Ok(true) => {}
            Ok(false) => return false,
            Err(e) => {
                tracing::warn!(target: "debug", "breakpoint {} condition: {e}", b.id);
                return false;
            }
        }
    }
    if b.condition.event.is_none() {
        PASSED.with(|p| {
            let mut p = p.borrow_mut();
            if p.len() > 100_000 {
                p.clear();
            }
            p.insert((pipeline.id(), b.id));
        });
    }
    true
}
