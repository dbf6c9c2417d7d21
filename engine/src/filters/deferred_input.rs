//! Input that reaches a sub-pipeline on a later turn of the event loop (`loop`, `linkAsync`),
//! so that whoever sends it never waits for the sub-pipeline's work.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::schedule;
use crate::event::Event;
use crate::pipeline::Pipeline;

/// Events on their way into a sub-pipeline: queued as they come, and fed to it together on a
/// later turn of the event loop. Until the sub-pipeline is known they only wait.
#[derive(Default)]
pub struct DeferredInput {
    sub: Weak<Pipeline>,
    events: Vec<Event>,
    scheduled: bool,
}

impl DeferredInput {
    /// An empty queue, shared by the filter and the turns it schedules.
    pub fn shared() -> Rc<RefCell<DeferredInput>> {
        Rc::new(RefCell::new(DeferredInput::default()))
    }

    /// The sub-pipeline the events go to (whoever keeps it running holds it).
    pub fn feed_into(&mut self, sub: &Rc<Pipeline>) {
        self.sub = Rc::downgrade(sub);
    }

    /// Drops the events waiting.
    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// Queues `evt`, and schedules a turn that feeds the queue to the sub-pipeline unless one
    /// is scheduled already or the sub-pipeline is not known yet.
    pub fn push(queue: &Rc<RefCell<DeferredInput>>, evt: Event) {
        let schedule_now = {
            let mut q = queue.borrow_mut();
            q.events.push(evt);
            q.sub.strong_count() > 0 && !std::mem::replace(&mut q.scheduled, true)
        };
        if schedule_now {
            let queue = Rc::downgrade(queue);
            schedule::soon(move || {
                if let Some(queue) = queue.upgrade() {
                    DeferredInput::feed(&queue);
                }
            });
        }
    }

    fn feed(queue: &RefCell<DeferredInput>) {
        let (sub, events) = {
            let mut q = queue.borrow_mut();
            q.scheduled = false;
            (q.sub.upgrade(), std::mem::take(&mut q.events))
        };
        if let Some(p) = sub {
            for e in events {
                p.input(e);
            }
        }
    }
}
