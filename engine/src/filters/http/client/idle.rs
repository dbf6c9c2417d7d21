//! The idle timer of a pooled upstream session (HTTP/1 or HTTP/2): one task per session, not
//! one per request (requests come faster than `maxIdle` passes). It wakes when the session
//! could have been idle for `maxIdle`, and closes it if it was.

use std::rc::Weak;
use std::time::Duration;

use tokio::time::Instant;

/// What the idle timer reads of a session.
pub(in crate::filters) trait IdleSession: 'static {
    /// The session is closed: the timer stops.
    fn is_closed(&self) -> bool;
    /// A request is in flight.
    fn is_busy(&self) -> bool;
    /// When the session last became idle.
    fn idle_since(&self) -> Option<Instant>;
    /// Closes the session.
    fn close(&self);
}

/// Starts the timer of `session`, which closes it once it has been idle for `wait`. The timer
/// ends with the session.
pub(in crate::filters) fn watch_idle<S: IdleSession>(session: Weak<S>, wait: Duration) {
    tokio::task::spawn_local(async move {
        let mut next = Instant::now() + wait;
        loop {
            tokio::time::sleep_until(next).await;
            let Some(s) = session.upgrade() else { return };
            if s.is_closed() {
                return;
            }
            match s.idle_since() {
                Some(t) if !s.is_busy() && t + wait <= Instant::now() => return s.close(),
                Some(t) if !s.is_busy() => next = t + wait,
                _ => next = Instant::now() + wait,
            }
        }
    });
}
