//! Live work in the process: what keeps a program running.
//!
//! A program runs while any worker has something to do: listeners, periodic or signal tasks,
//! a run-once task or a `pipy.read()` pipeline that has not ended, a script timer not yet
//! fired. Each holds a [`Work`] guard; when the last one is dropped, [`idle`] resolves and a
//! program run from the command line exits, as Pipy's does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use tokio::sync::Notify;

static LIVE: AtomicUsize = AtomicUsize::new(0);

fn idle_signal() -> &'static Notify {
    static IDLE: OnceLock<Notify> = OnceLock::new();
    IDLE.get_or_init(Notify::new)
}

/// One unit of live work; the process may end once every one is dropped.
#[derive(Debug)]
pub struct Work(());

/// Counts one unit of live work until the guard is dropped.
pub fn hold() -> Work {
    LIVE.fetch_add(1, Ordering::SeqCst);
    Work(())
}

impl Drop for Work {
    fn drop(&mut self) {
        if LIVE.fetch_sub(1, Ordering::SeqCst) == 1 {
            idle_signal().notify_waiters();
        }
    }
}

/// Resolves when no work is left in any worker.
pub async fn idle() {
    loop {
        let n = idle_signal().notified();
        tokio::pin!(n);
        n.as_mut().enable();
        if LIVE.load(Ordering::SeqCst) == 0 {
            return;
        }
        n.await;
    }
}
