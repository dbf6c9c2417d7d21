//! Where the debugger (a layer above) meets event delivery: a traced event is offered to the
//! installed [`Arrival`] hook while debugging is armed, so delivery can pause at a breakpoint
//! without this layer knowing about breakpoints or sessions.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use super::Pipeline;
use crate::event::Event;

/// Checks a traced event (`trace` id) arriving at filter `index` of a pipeline: gives it back
/// to be delivered, or keeps it (`None`) while the pipeline is paused.
pub type Arrival = fn(&Rc<Pipeline>, u64, usize, Event) -> Option<Event>;

static ARMED: AtomicBool = AtomicBool::new(false);
static HOOK: OnceLock<Arrival> = OnceLock::new();

/// Installs the debugger's hook (the first one stays) and arms or disarms it.
pub fn arm(hook: Arrival, on: bool) {
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
        Some(hook) => hook(pipeline, trace, index, evt),
        None => Some(evt),
    }
}
