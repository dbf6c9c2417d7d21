//! A mailbox that keeps a filter from being re-entered.
//!
//! A filter's own output can call it back (a sub-pipeline answers while the filter is still
//! handling an event). The filter hands each piece of work to its mailbox; the first caller
//! does it at once and then works through what was posted meanwhile, later callers (from
//! inside that work) only queue theirs:
//!
//! ```ignore
//! fn act(&self, a: Action) {
//!     self.mailbox.run(a, |a| {
//!         // handle `a`: it may call `act` again, which queues
//!     });
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

    /// Has `work` do `a` now when the filter is idle, then whatever was posted while it
    /// worked, in order; when the filter is working already, queues `a` for that loop. (Work
    /// that comes while the filter is idle, the common case, never touches the queue: an
    /// idle filter keeps none, and a new one costs an allocation.)
    pub(crate) fn run(&self, a: A, mut work: impl FnMut(A)) {
        if self.busy.replace(true) {
            self.queue.borrow_mut().push_back(a);
            return;
        }
        work(a);
        loop {
            let next = {
                let mut queue = self.queue.borrow_mut();
                let next = queue.pop_front();
                if next.is_none() && queue.capacity() != 0 {
                    *queue = VecDeque::new();
                }
                next
            };
            match next {
                Some(a) => work(a),
                None => break,
            }
        }
        self.busy.set(false);
    }
}

#[cfg(test)]
mod tests {
    use super::Mailbox;
    use std::cell::RefCell;

    #[test]
    fn work_posted_from_inside_the_work_waits_its_turn() {
        struct F {
            mailbox: Mailbox<u32>,
            done: RefCell<Vec<u32>>,
        }
        impl F {
            fn act(&self, n: u32) {
                self.mailbox.run(n, |n| {
                    self.done.borrow_mut().push(n);
                    if n == 1 {
                        // Re-entered: queued, not done inside this call.
                        self.act(2);
                        self.act(3);
                        assert_eq!(*self.done.borrow(), [1]);
                    }
                });
            }
        }
        let f = F {
            mailbox: Mailbox::new(),
            done: RefCell::new(Vec::new()),
        };
        f.act(1);
        assert_eq!(*f.done.borrow(), [1, 2, 3]);
        // Idle again, with no queue kept.
        assert!(!f.mailbox.busy.get());
        assert_eq!(f.mailbox.queue.borrow().capacity(), 0);
        f.act(4);
        assert_eq!(*f.done.borrow(), [1, 2, 3, 4]);
    }
}
