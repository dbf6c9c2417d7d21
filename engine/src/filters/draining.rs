//! Connections told when their worker drains (a reload or a shutdown): each protocol closes
//! at its own next clean boundary, so that no request already read is cut off.
//!
//! - HTTP/1 closes after its next response, which says `connection: close`
//!   (`http/server/drain.rs`);
//! - HTTP/2 sends GOAWAY, finishes the streams under way, then closes;
//! - a `demuxQueue`/`demux` stream (RESP, Dubbo, Thrift, ...) closes as soon as every request
//!   it has read is answered.
//!
//! What has not reached a boundary when the drain time is up is closed by the worker.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// A connection (or a protocol session on one) that can wind down when asked.
pub trait Drain {
    /// The worker drains: close at the next boundary; with `close_idle`, an idle connection
    /// closes now even where the protocol can't tell its peer first.
    fn drain(&self, close_idle: bool);
}

thread_local! {
    static DRAINABLE: RefCell<Vec<Weak<dyn Drain>>> = const { RefCell::new(Vec::new()) };
}

/// Adds `item` to this worker thread's list; it is held weakly, so a closed connection simply
/// drops out.
pub fn register<T: Drain + 'static>(item: &Rc<T>) {
    let item: Weak<dyn Drain> = Rc::downgrade(item) as Weak<dyn Drain>;
    DRAINABLE.with(|s| {
        let mut s = s.borrow_mut();
        let n = s.len();
        if n >= 64 && n.is_power_of_two() {
            s.retain(|w| w.strong_count() > 0);
        }
        s.push(item);
    });
}

/// Tells every registered item of this worker thread that it drains.
pub fn drain_all(close_idle: bool) {
    let all = DRAINABLE.with(|s| std::mem::take(&mut *s.borrow_mut()));
    for item in all.iter().filter_map(Weak::upgrade) {
        item.drain(close_idle);
    }
}
