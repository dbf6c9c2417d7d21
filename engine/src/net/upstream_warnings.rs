//! Warnings for failed upstream connections (refused, unresolvable, timed out, reset), so that a
//! `502 Connection Refused` never leaves the log silent.
//!
//! Each failure writes one `warn` line on the `outbound` topic naming the target and the error,
//! rate-limited per target and worker: at most one line per target per [`WINDOW`]; the
//! failures held back in between are counted in the next line, so no failure goes unreported.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::event::ErrorCode;

/// The shortest time between two warnings about one target.
pub const WINDOW: Duration = Duration::from_secs(1);

/// Targets remembered per worker before the oldest entries are forgotten.
const MAX_TARGETS: usize = 1024;

/// Per-target state of the limiter.
struct Entry {
    last: Instant,
    held_back: u64,
}

/// Decides which failures are written and how many were held back.
#[derive(Default)]
pub struct Limiter {
    targets: HashMap<String, Entry>,
}

impl Limiter {
    /// A failure on `target` at `now`: `Some(n)` when a line is due (`n` failures were held
    /// back since the last line), `None` when this one is held back.
    pub fn admit(&mut self, target: &str, now: Instant) -> Option<u64> {
        if let Some(e) = self.targets.get_mut(target) {
            if now.duration_since(e.last) < WINDOW {
                e.held_back += 1;
                return None;
            }
            let n = e.held_back;
            e.last = now;
            e.held_back = 0;
            return Some(n);
        }
        if self.targets.len() >= MAX_TARGETS {
            self.targets
                .retain(|_, e| now.duration_since(e.last) < WINDOW);
        }
        self.targets.insert(
            target.to_string(),
            Entry {
                last: now,
                held_back: 0,
            },
        );
        Some(0)
    }
}

thread_local! {
    static LIMITER: RefCell<Limiter> = RefCell::new(Limiter::default());
}

/// Whether `code` is a failure worth a warning. An idle upstream connection closed by its
/// idle timeout is ordinary housekeeping, not a failure.
pub fn is_failure(code: ErrorCode) -> bool {
    code != ErrorCode::IdleTimeout
}

/// The words a warning uses for `code`.
fn describe(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::ConnectionRefused => "connection refused (nothing listens there)",
        ErrorCode::CannotResolve => "cannot resolve the host name",
        ErrorCode::ConnectionTimeout => "connect timed out",
        ErrorCode::ReadTimeout => "no answer within the read timeout",
        ErrorCode::WriteTimeout => "write timed out",
        ErrorCode::ConnectionReset => "connection reset by the peer",
        ErrorCode::ConnectionAborted => "connection aborted",
        ErrorCode::ReadError => "read error",
        ErrorCode::WriteError => "write error",
        _ => "stream failed",
    }
}

/// The warning line for a failure `code` on `target`, `held_back` failures after the last one.
pub fn message(target: &str, code: ErrorCode, connecting: bool, held_back: u64) -> String {
    let what = if connecting {
        "connect to"
    } else {
        "connection to"
    };
    let mut m = format!(
        "{what} {target} failed: {} ({})",
        describe(code),
        code.name()
    );
    if held_back > 0 {
        m.push_str(&format!(
            "; {held_back} more failure{} to {target} since the last warning",
            if held_back == 1 { "" } else { "s" }
        ));
    }
    m
}

/// Reports a failed upstream stream: a `warn` line unless one about `target` was written less
/// than [`WINDOW`] ago. `connecting` tells a failed connect from a failure after connecting.
pub fn report(target: &str, code: ErrorCode, connecting: bool) {
    if !is_failure(code) {
        tracing::debug!(target: "outbound", "connection to {target} closed: {}", code.name());
        return;
    }
    let due = LIMITER.with(|l| l.borrow_mut().admit(target, Instant::now()));
    if let Some(held_back) = due {
        tracing::warn!(target: "outbound", "{}", message(target, code, connecting, held_back));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_target_per_window_and_the_rest_counted() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        assert_eq!(l.admit("a:1", t0), Some(0));
        assert_eq!(l.admit("a:1", t0 + Duration::from_millis(10)), None);
        assert_eq!(l.admit("a:1", t0 + Duration::from_millis(20)), None);
        assert_eq!(l.admit("b:2", t0 + Duration::from_millis(30)), Some(0));
        assert_eq!(l.admit("a:1", t0 + WINDOW), Some(2));
        assert_eq!(l.admit("a:1", t0 + WINDOW * 3), Some(0));
    }

    #[test]
    fn messages_name_target_and_error() {
        let m = message("127.0.0.1:9", ErrorCode::ConnectionRefused, true, 0);
        assert_eq!(
            m,
            "connect to 127.0.0.1:9 failed: connection refused (nothing listens there) (ConnectionRefused)"
        );
        let m = message("x:1", ErrorCode::ConnectionReset, false, 3);
        assert!(m.starts_with("connection to x:1 failed: connection reset"));
        assert!(m.ends_with("; 3 more failures to x:1 since the last warning"));
    }

    #[test]
    fn idle_timeouts_are_not_failures() {
        assert!(!is_failure(ErrorCode::IdleTimeout));
        assert!(is_failure(ErrorCode::ReadTimeout));
    }
}
