//! What scripts ask of the whole process: exit (`pipy.exit()`), reload (`pipy.restart()`),
//! its instance name (`pipy.uuid`, `pipy.name`) and arguments (`pipy.argv`).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

use tokio::sync::Notify;

static EXIT: OnceLock<(AtomicI32, Notify)> = OnceLock::new();
static ARGS: OnceLock<Vec<String>> = OnceLock::new();

/// Keeps the arguments for `pipy.argv` (the first call counts).
pub(super) fn set_args(args: &[String]) {
    let _ = ARGS.set(args.to_vec());
}

fn exit_signal() -> &'static (AtomicI32, Notify) {
    EXIT.get_or_init(|| (AtomicI32::new(0), Notify::new()))
}

static EXIT_ASKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks the process to exit with `code` (`pipy.exit()`).
pub fn request_exit(code: i32) {
    let (c, n) = exit_signal();
    c.store(code, Ordering::SeqCst);
    EXIT_ASKED.store(true, Ordering::SeqCst);
    n.notify_one();
}

/// The code a script asked to exit with, if it did.
pub fn requested_exit_code() -> Option<i32> {
    EXIT_ASKED
        .load(Ordering::SeqCst)
        .then(|| exit_signal().0.load(Ordering::SeqCst))
}

/// Waits until a script asks the process to exit; returns the exit code.
pub async fn exit_requested() -> i32 {
    let (c, n) = exit_signal();
    n.notified().await;
    c.load(Ordering::SeqCst)
}

static RELOAD: Notify = Notify::const_new();

/// Asks the process to load its program again, as SIGHUP does (`pipy.restart()`).
pub fn request_reload() {
    RELOAD.notify_one();
}

/// Waits until a script asks for a reload.
pub async fn reload_requested() {
    RELOAD.notified().await
}

static INSTANCE: OnceLock<(String, String)> = OnceLock::new();

/// Names this process for scripts (`pipy.uuid`, `pipy.name`): the given UUID, or a fresh
/// random one. Only the first call counts.
pub fn set_instance(uuid: Option<String>, name: Option<String>) {
    let uuid = uuid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let _ = INSTANCE.set((uuid, name.unwrap_or_default()));
}

/// This process's instance UUID and name (see [`set_instance`]).
pub fn instance() -> (String, String) {
    INSTANCE
        .get_or_init(|| (uuid::Uuid::new_v4().to_string(), String::new()))
        .clone()
}

/// Arguments for `pipy.argv`.
pub fn script_args() -> Vec<String> {
    ARGS.get().cloned().unwrap_or_default()
}
