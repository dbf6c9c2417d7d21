//! Where the debugger (a layer above) meets event delivery: a traced event is offered to the
//! installed [`Hook`] while debugging is armed, so delivery can pause at a breakpoint
//! without this layer knowing about breakpoints or sessions.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use super::Pipeline;
use crate::event::Event;

/// Where a traced event arrives: at filter `index` of `pipeline`.
pub struct Arrival<'a> {
    /// The pipeline it travels through.
    pub pipeline: &'a Rc<Pipeline>,
    /// The trace id of its stream.
    pub trace: u64,
    /// The filter it is about to reach (the pipeline's length for its output).
    pub index: usize,
}

/// Checks a traced event at its [`Arrival`]: gives it back to be delivered, or keeps it
/// (`None`) while the pipeline is paused.
pub type Hook = fn(Arrival<'_>, Event) -> Option<Event>;

static ARMED: AtomicBool = AtomicBool::new(false);
static HOOK: OnceLock<Hook> = OnceLock::new();

/// Installs the debugger's hook (the first one stays) and arms or disarms it.
pub fn arm(hook: Hook, on: bool) {
    let _ = HOOK.set(hook);
    ARMED.store(on, Ordering::SeqCst);
}

/// Offers a traced event to the debugger when one is armed; otherwise gives it straight back.
#[inline]
pub(super) fn arrive(
    pipeline: &Rc<Pipeline>,
    trace: u64,
    index: usize,
    evt: Event,
) -> Option<Event> {
    if !ARMED.load(Ordering::Relaxed) {
        return Some(evt);
    }
    match HOOK.get() {
        Some(hook) => hook(
            Arrival {
                pipeline,
                trace,
                index,
            },
            evt,
        ),
        None => Some(evt),
    }
}
