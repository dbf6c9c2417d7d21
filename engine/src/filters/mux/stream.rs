//! One stream using a `mux` filter: where its replies go, and when it may end.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::session::Session;
use crate::event::Event;
use crate::pipeline::Output;

/// A stream's side of a session: its output, its requests still waiting for replies, and an
/// input `StreamEnd` held back until those replies are out.
pub struct MuxStream {
    output: Output,
    waiting: Cell<usize>,
    held_end: RefCell<Option<Event>>,
    ended: Cell<bool>,
    session: RefCell<Option<Rc<Session>>>,
}

impl MuxStream {
    /// A stream whose replies go to `output`.
    pub fn new(output: Output) -> Rc<MuxStream> {
        Rc::new(MuxStream {
            output,
            waiting: Cell::new(0),
            held_end: RefCell::new(None),
            ended: Cell::new(false),
            session: RefCell::new(None),
        })
    }

    /// True once the stream has output its `StreamEnd` (or was abandoned).
    pub fn is_ended(&self) -> bool {
        self.ended.get()
    }

    /// The session the stream uses now, if any.
    pub fn session(&self) -> Option<Rc<Session>> {
        self.session.borrow().clone()
    }

    /// Joins `session` (leaving the one it used before).
    pub fn attach(&self, session: Rc<Session>) {
        let old = self.session.replace(Some(session));
        if let Some(old) = old {
            old.leave();
        }
    }

    /// A request now waits for replies.
    pub fn expect_reply(&self) {
        self.waiting.set(self.waiting.get() + 1);
    }

    /// Sends a reply event (or the session's end) to the stream's output.
    pub fn deliver(&self, evt: Event) {
        if self.ended.get() {
            return;
        }
        if evt.is_stream_end() {
            self.finish();
        }
        self.output.emit(evt);
    }

    /// One request got all its replies; a held `StreamEnd` goes out after the last one.
    pub fn reply_done(&self) {
        let n = self.waiting.get().saturating_sub(1);
        self.waiting.set(n);
        if n == 0 {
            let held = self.held_end.borrow_mut().take();
            if let Some(e) = held {
                self.deliver(e);
            }
        }
    }

    /// The stream's input ended: the end goes out now, or after the replies still awaited.
    pub fn input_ended(&self, evt: Event) {
        if self.waiting.get() == 0 {
            self.deliver(evt);
        } else {
            *self.held_end.borrow_mut() = Some(evt);
        }
    }

    /// The filter went away: nothing more is output, and the session is left.
    pub fn abandon(&self) {
        self.finish();
    }

    fn finish(&self) {
        self.ended.set(true);
        let s = self.session.borrow_mut().take();
        if let Some(s) = s {
            s.leave();
        }
    }
}
