//! The pipeline debugger: breakpoints on filters, paused streams, stepping (see
//! `admin/README.md`, "Debugger").
//!
//! Off unless the admin API turns it on for a running program. Only traced streams (see
//! [`crate::trace`]) are checked, so a stream that is not traced never pays for it; a traced
//! one pays one atomic load per event while no program is debugged.
//!
//! When a traced stream's event reaches a breakpoint, its pipeline is *held*: the event and
//! every later one wait in the pipeline's queue, and a task on the worker thread waits for a
//! command (step, step over, continue, edit, eval, drop) or for the debug timeout, which lets
//! a forgotten pause go on. The worker thread never blocks, so every other stream keeps
//! flowing. The admin service reaches a paused stream through the registry kept here.

mod breakpoint;
mod js;
mod pause;

pub use breakpoint::{Breakpoint, Condition};
pub use js::filter_lines;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

/// How long a pause lasts when nobody says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One debugged program's settings.
#[derive(Clone, Debug)]
pub struct Session {
    /// The program's name.
    pub program: String,
    /// How long a stream may stay paused before it goes on by itself.
    pub timeout: Duration,
    /// Its breakpoints.
    pub breakpoints: Vec<Breakpoint>,
}

impl Session {
    /// As JSON for the admin API.
    pub fn to_json(&self) -> Value {
        json!({
            "program": self.program,
            "timeout": self.timeout.as_secs_f64(),
            "breakpoints": self.breakpoints.iter().map(Breakpoint::to_json).collect::<Vec<_>>(),
        })
    }
}

/// What the admin service asks a paused stream to do.
#[derive(Debug)]
pub enum Command {
    /// Deliver the event, pause at the stream's next event at another filter (what this
    /// filter puts out, in this pipeline or a sub-pipeline it feeds).
    Step,
    /// Deliver the event, pause at the next event of this same pipeline at another filter
    /// (the joint filter's sub-pipeline runs without pausing unless it has a breakpoint).
    Over,
    /// Go on to the next breakpoint.
    Continue,
    /// End the stream: the waiting events are dropped and the filter gets a StreamEnd.
    Drop,
    /// Set a header of the paused MessageStart (`None` removes it).
    Header(String, Option<String>),
    /// Set a context variable to the value of a JS expression.
    Var(String, String),
    /// Evaluate JS expressions in the stream's context.
    Eval(Vec<String>),
    /// Describe the paused stream afresh (the body may have come in meanwhile).
    Detail,
}

/// A command with the channel for its answer.
pub(crate) struct Call {
    pub command: Command,
    pub reply: oneshot::Sender<Result<Value, String>>,
}

/// A paused stream as the registry knows it.
struct Entry {
    program: String,
    trace: u64,
    detail: Value,
    calls: mpsc::UnboundedSender<Call>,
}

#[derive(Default)]
struct State {
    sessions: Vec<Session>,
    pauses: BTreeMap<u64, Entry>,
    next_breakpoint: u64,
    next_pause: u64,
}

/// Bumped whenever sessions change, so worker threads refresh their copy.
static GENERATION: AtomicU64 = AtomicU64::new(1);
static STATE: Mutex<Option<State>> = Mutex::new(None);

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut g: MutexGuard<'_, Option<State>> = STATE.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(State::default))
}

fn changed(st: &State) {
    crate::pipeline::debugger::arm(breakpoint::arrive, !st.sessions.is_empty());
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

/// Turns debugging on for `program` (or changes its timeout); breakpoints already set stay.
pub fn enable(program: &str, timeout: Option<Duration>) -> Session {
    with_state(|st| {
        let s = match st.sessions.iter_mut().position(|s| s.program == program) {
            Some(i) => &mut st.sessions[i],
            None => {
                st.sessions.push(Session {
                    program: program.to_string(),
                    timeout: DEFAULT_TIMEOUT,
                    breakpoints: Vec::new(),
                });
                st.sessions.last_mut().expect("just pushed")
            }
        };
        if let Some(t) = timeout {
            s.timeout = t;
        }
        let out = s.clone();
        changed(st);
        out
    })
}

/// Turns debugging off for `program`: its breakpoints go and its paused streams go on.
/// False when it was not being debugged.
pub fn disable(program: &str) -> bool {
    let (was, calls) = with_state(|st| {
        let before = st.sessions.len();
        st.sessions.retain(|s| s.program != program);
        changed(st);
        let calls: Vec<_> = st
            .pauses
            .values()
            .filter(|e| e.program == program)
            .map(|e| e.calls.clone())
            .collect();
        (before != st.sessions.len(), calls)
    });
    for c in calls {
        let (reply, _) = oneshot::channel();
        let _ = c.send(Call {
            command: Command::Continue,
            reply,
        });
    }
    was
}

/// The session of `program`, if it is being debugged.
pub fn session(program: &str) -> Option<Session> {
    with_state(|st| st.sessions.iter().find(|s| s.program == program).cloned())
}

/// Every debugged program.
pub fn sessions() -> Vec<Session> {
    with_state(|st| st.sessions.clone())
}

/// The longest debug timeout of any session (the request runner waits that long).
pub fn longest_timeout() -> Option<Duration> {
    with_state(|st| st.sessions.iter().map(|s| s.timeout).max())
}

/// Adds a breakpoint to `program`'s session (which must exist); returns it with its id.
pub fn add_breakpoint(program: &str, mut bp: Breakpoint) -> Option<Breakpoint> {
    with_state(|st| {
        st.next_breakpoint += 1;
        bp.id = st.next_breakpoint;
        let s = st.sessions.iter_mut().find(|s| s.program == program)?;
        s.breakpoints
            .retain(|b| !(b.layout == bp.layout && b.index == bp.index));
        s.breakpoints.push(bp.clone());
        changed(st);
        Some(bp)
    })
}

/// Removes breakpoint `id` of `program`; false when there is no such breakpoint.
pub fn remove_breakpoint(program: &str, id: u64) -> bool {
    with_state(|st| {
        let Some(s) = st.sessions.iter_mut().find(|s| s.program == program) else {
            return false;
        };
        let before = s.breakpoints.len();
        s.breakpoints.retain(|b| b.id != id);
        let gone = before != s.breakpoints.len();
        changed(st);
        gone
    })
}

/// The paused streams (of `program`, or all), as their details.
pub fn paused(program: Option<&str>) -> Vec<Value> {
    with_state(|st| {
        st.pauses
            .values()
            .filter(|e| program.is_none_or(|p| e.program == p))
            .map(|e| e.detail.clone())
            .collect()
    })
}

/// The detail of paused stream `id`.
pub fn pause_detail(id: u64) -> Option<Value> {
    with_state(|st| st.pauses.get(&id).map(|e| e.detail.clone()))
}

/// Sends `command` to paused stream `id` and waits (up to 10 s) for its answer.
pub async fn command(id: u64, command: Command) -> Result<Value, String> {
    let Some(calls) = with_state(|st| st.pauses.get(&id).map(|e| e.calls.clone())) else {
        return Err(format!(
            "no paused stream {id} (it may have gone on already)"
        ));
    };
    let (reply, answer) = oneshot::channel();
    if calls.send(Call { command, reply }).is_err() {
        return Err(format!("paused stream {id} is gone"));
    }
    match tokio::time::timeout(Duration::from_secs(10), answer).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err(format!("paused stream {id} ended before it answered")),
        Err(_) => Err(format!("paused stream {id} did not answer in time")),
    }
}

/// Registers a new pause; returns its id.
fn register(program: &str, trace: u64, calls: mpsc::UnboundedSender<Call>) -> u64 {
    with_state(|st| {
        st.next_pause += 1;
        let id = st.next_pause;
        st.pauses.insert(
            id,
            Entry {
                program: program.to_string(),
                trace,
                detail: Value::Null,
                calls,
            },
        );
        id
    })
}

fn set_detail(id: u64, detail: Value) {
    with_state(|st| {
        if let Some(e) = st.pauses.get_mut(&id) {
            e.detail = detail;
        }
    })
}

fn unregister(id: u64) {
    with_state(|st| st.pauses.remove(&id));
}

/// The pause the stream of `trace` is in, if any.
fn pause_of_trace(trace: u64) -> Option<u64> {
    with_state(|st| {
        st.pauses
            .iter()
            .find(|(_, e)| e.trace == trace)
            .map(|(id, _)| *id)
    })
}
