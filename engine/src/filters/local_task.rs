//! A task a filter runs on the worker's event loop (a timer, a child's input and exit), which
//! must not outlive the filter.

use std::future::Future;

use tokio::task::JoinHandle;

/// A task spawned on the worker's event loop, aborted when this handle is dropped.
pub struct LocalTask(JoinHandle<()>);

impl LocalTask {
    /// Runs `f` on the worker's event loop until it ends or the handle is dropped.
    pub fn spawn(f: impl Future<Output = ()> + 'static) -> Self {
        LocalTask(tokio::task::spawn_local(f))
    }
}

impl Drop for LocalTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}
