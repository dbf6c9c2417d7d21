//! A test clock: `engine test` can stop a program's clock and move it on by hand, so a test of
//! a rate limit or a timeout runs in simulated time instead of sleeping.
//!
//! A program started with a [`TestClock`] (see `RunOptions::clock`) has its worker's tokio
//! clock paused as it starts: every timer of the engine (a script's `Timeout`, a throttle's
//! refill, `connect`'s timeouts, keep-alive idle times, periodic tasks) and the script's
//! `Date.now()` and `new Date()` read that clock, and it does not move on its own, not even
//! while the worker is idle. [`TestClock::advance`] moves it forward in ticks of [`TICK`], so
//! timers fire in order, each within a tick of its time, and what they start runs before the
//! next tick; a timer due at the very end of an advance fires too (the clock moves a
//! millisecond past it). Real I/O (sockets, files) is not affected.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};

/// How far the clock moves at once while it is advanced.
pub const TICK: Duration = Duration::from_millis(10);

/// How long a worker may take to move its clock on, in real time, before the test gives up.
const ADVANCE_LIMIT: Duration = Duration::from_secs(30);

/// One request to a worker: move the clock on by this much, then say so.
struct Advance {
    by: Duration,
    done: oneshot::Sender<()>,
}

/// A clock shared by the test that holds it and the workers of the program started with it.
#[derive(Clone, Default)]
pub struct TestClock {
    workers: Arc<Mutex<Vec<mpsc::UnboundedSender<Advance>>>>,
}

impl std::fmt::Debug for TestClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestClock")
    }
}

impl TestClock {
    /// A clock no worker uses yet.
    pub fn new() -> TestClock {
        TestClock::default()
    }

    /// Called by a worker as it starts, inside its (current-thread) runtime and after its
    /// script runtime is installed: pauses the runtime's clock, makes the script's `Date` read
    /// it, and answers the task that moves it on when [`TestClock::advance`] asks (the worker
    /// keeps it with its other jobs; the clock stays paused while it runs).
    pub fn join(&self) -> Result<tokio::task::JoinHandle<()>, String> {
        tokio::time::pause();
        install_script_date()?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Advance>();
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        // A paused runtime moves its clock to the next timer whenever it has nothing else to
        // do, unless a blocking task is running: this one runs until the worker ends, so the
        // clock only moves when asked.
        let (hold, held) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = held.recv();
        });
        Ok(tokio::task::spawn_local(async move {
            let _hold = hold;
            while let Some(a) = rx.recv().await {
                // Timers count whole milliseconds, rounded up: one more lets a timer due at
                // the very end of the advance fire too.
                let mut left = a.by + Duration::from_millis(1);
                while !left.is_zero() {
                    let step = left.min(TICK);
                    tokio::time::advance(step).await;
                    left -= step;
                    // Let what the tick woke run (and start its own timers) before the next.
                    for _ in 0..4 {
                        tokio::task::yield_now().await;
                    }
                }
                let _ = a.done.send(());
            }
        }))
    }

    /// Moves the clock of every worker that joined on by `by`; answers once each has fired the
    /// timers due and run what they woke.
    pub async fn advance(&self, by: Duration) -> Result<(), String> {
        let workers: Vec<_> = self
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if workers.is_empty() {
            return Err("the program has no clock to advance (it did not start)".into());
        }
        let mut waits = Vec::new();
        for w in workers {
            let (done, wait) = oneshot::channel();
            if w.send(Advance { by, done }).is_ok() {
                waits.push(wait);
            }
        }
        for w in waits {
            match tokio::time::timeout(ADVANCE_LIMIT, w).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err("the program ended while its clock was moved".into()),
                Err(_) => return Err("the program did not move its clock on in time".into()),
            }
        }
        Ok(())
    }
}

/// Replaces the script's `Date` with one that reads the worker's (paused) clock: `Date.now()`
/// and `new Date()` start at the wall-clock time the program started and move with the clock.
fn install_script_date() -> Result<(), String> {
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0);
    let origin = tokio::time::Instant::now();
    let now = move || (wall + origin.elapsed().as_secs_f64() * 1000.0).floor();
    crate::script::js(|ctx| -> rquickjs::Result<()> {
        let install: rquickjs::Function = ctx.eval(DATE_JS)?;
        install.call::<_, ()>((rquickjs::Function::new(ctx.clone(), now)?,))
    })
    .map_err(|e| format!("cannot install the test clock: {e}"))
}

/// A `Date` whose current time comes from `now()`; dates made from arguments are unchanged.
const DATE_JS: &str = r#"(function (now) {
  var RealDate = Date;
  function TestDate() {
    if (!new.target) return new RealDate(now()).toString();
    if (arguments.length === 0) return new RealDate(now());
    return new (Function.prototype.bind.apply(RealDate, [null].concat(Array.prototype.slice.call(arguments))))();
  }
  TestDate.prototype = RealDate.prototype;
  TestDate.now = function () { return now(); };
  TestDate.parse = RealDate.parse;
  TestDate.UTC = RealDate.UTC;
  globalThis.Date = TestDate;
})"#;
