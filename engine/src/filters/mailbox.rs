//! A mailbox that keeps a filter from being re-entered.
//!
//! A filter's own output can call it back (a sub-pipeline answers while the filter is still
//! handling an event). The filter posts each piece of work to its mailbox; only the first
//! poster runs the loop, later ones (from inside that loop) just queue theirs:
//!
//! ```ignore
//! fn act(&self, a: Action) {
//!     if !self.mailbox.post(a) {
//!         return;
//!     }
//!     while let Some(a) = self.mailbox.next() {
//!         // handle `a`: it may post more
//!     }
//! }
//! ```

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

/// Work waiting for a filter, and whether the filter is working through it now.
pub(crate) struct Mailbox<A> {
    queue: RefCell<VecDeque<A>>,
    busy: Cell<bool>,
}

impl<A> Mailbox<A> {
    /// An empty, idle mailbox.
    pub(crate) fn new() -> Mailbox<A> {
        Mailbox {
            queue: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
        }
    }

    /// Queues `a`. True when the caller must now run the loop with [`Mailbox::next`]; false
    /// when a loop is running already and will come to `a`.
    pub(crate) fn post(&self, a: A) -> bool {
        self.queue.borrow_mut().push_back(a);
        !self.busy.replace(true)
    }

    /// The next piece of work; `None` when there is none left, and the loop is over.
    pub(crate) fn next(&self) -> Option<A> {
        let mut queue = self.queue.borrow_mut();
        let a = queue.pop_front();
        if a.is_none() {
            // An idle filter keeps no queue (a new one costs a small allocation).
            if queue.capacity() != 0 {
                *queue = VecDeque::new();
            }
            self.busy.set(false);
        }
        a
    }
}
