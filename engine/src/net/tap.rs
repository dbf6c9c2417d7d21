//! Taps: back-pressure from a full buffer to the reader that filled it.
//!
//! A socket reader runs each batch of input with its [`Tap`] current. A writer whose queue
//! grows past its limit pauses the current tap; the reader then stops reading until every
//! writer that paused it has drained. Nothing else needs to know: any chain of filters in
//! between is covered, because delivery is synchronous.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use tokio::sync::Notify;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Tap>>> = const { RefCell::new(None) };
}

/// The input side of a stream that can be paused.
#[derive(Default)]
pub struct Tap {
    pauses: Cell<u32>,
    resumed: Notify,
}

impl Tap {
    /// A new open tap.
    pub fn new() -> Rc<Tap> {
        Rc::new(Tap::default())
    }

    /// Runs `f` with `tap` as the current input.
    pub fn enter<R>(tap: &Rc<Tap>, f: impl FnOnce() -> R) -> R {
        let prev = CURRENT.with(|c| c.replace(Some(tap.clone())));
        let r = f();
        CURRENT.with(|c| *c.borrow_mut() = prev);
        r
    }

    /// The tap whose input is being processed now, if any.
    pub fn current() -> Option<Rc<Tap>> {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// Adds one pause.
    pub fn pause(&self) {
        self.pauses.set(self.pauses.get() + 1);
    }

    /// Removes one pause; wakes the reader when none remain.
    pub fn resume(&self) {
        let n = self.pauses.get().saturating_sub(1);
        self.pauses.set(n);
        if n == 0 {
            self.resumed.notify_waiters();
        }
    }

    /// True when nobody holds the tap paused.
    pub fn is_open(&self) -> bool {
        self.pauses.get() == 0
    }

    /// Waits until the tap is open.
    pub async fn opened(&self) {
        while !self.is_open() {
            let n = self.resumed.notified();
            if self.is_open() {
                break;
            }
            n.await;
        }
    }
}

/// One writer's side of back-pressure: the bytes it holds, and the taps it paused because
/// they went past its limit. Taps it hands back are to be resumed once the caller's borrows
/// have ended.
pub struct Backlog {
    limit: usize,
    queued: usize,
    paused: Vec<Rc<Tap>>,
}

impl Backlog {
    /// An empty backlog that pauses its input past `limit` bytes.
    pub const fn new(limit: usize) -> Backlog {
        Backlog {
            limit,
            queued: 0,
            paused: Vec::new(),
        }
    }

    /// The bytes held.
    #[inline]
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Counts `n` more bytes held; past the limit, pauses the current tap (once).
    #[inline]
    pub fn grow(&mut self, n: usize) {
        self.queued += n;
        if self.queued > self.limit {
            if let Some(tap) = Tap::current() {
                if !self.paused.iter().any(|t| Rc::ptr_eq(t, &tap)) {
                    tap.pause();
                    self.paused.push(tap);
                }
            }
        }
    }

    /// Counts `n` bytes gone.
    #[inline]
    pub fn shrink(&mut self, n: usize) {
        self.queued -= n;
    }

    /// The taps to resume now that the backlog is down to half its limit (none before).
    #[inline]
    pub fn resumable(&mut self) -> Vec<Rc<Tap>> {
        if !self.paused.is_empty() && self.queued <= self.limit / 2 {
            std::mem::take(&mut self.paused)
        } else {
            Vec::new()
        }
    }

    /// Every tap paused, to resume: the writer takes no more.
    pub fn release_all(&mut self) -> Vec<Rc<Tap>> {
        std::mem::take(&mut self.paused)
    }
}
