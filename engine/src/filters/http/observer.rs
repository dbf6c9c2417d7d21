//! The observer of one HTTP exchange on the server side, HTTP/1 or HTTP/2. What the engine
//! records of a request hangs off it: the response counters (per listening port, by status
//! class, with the response time), the error-answer and gRPC status counters, the access log
//! line, and the trace notes. The codecs call it at the exchange's moments (the response head,
//! a body chunk, the end) and know nothing of what is recorded.

use std::cell::{Cell, RefCell};
use std::time::Instant;

use crate::http::access::AccessRecord;
use crate::pipeline::Context;

/// What one exchange has shown so far, and where it goes.
pub(in crate::filters) struct ExchangeObserver {
    /// The listening port, for the response counters.
    port: Option<u16>,
    /// When the request's head arrived, for the response time.
    started: Instant,
    /// The access log line being filled in, when the access log is on (boxed: most exchanges
    /// have none, and the observer stays small).
    access: RefCell<Option<Box<AccessRecord>>>,
    /// The `grpc-status` a gRPC call ended with, once known.
    grpc_status: Cell<Option<u32>>,
    /// The trace the exchange is recorded in, when it is traced.
    traced: Cell<Option<u64>>,
    /// The request asked for its trace id back (`x-sluice-trace`).
    echo_trace: Cell<bool>,
    finished: Cell<bool>,
}

impl ExchangeObserver {
    /// The observer of an exchange that starts now on a connection of `context`.
    pub(in crate::filters) fn new(context: &Context) -> Self {
        ExchangeObserver {
            port: context.inbound().map(|i| i.local.port()),
            started: Instant::now(),
            access: RefCell::new(None),
            grpc_status: Cell::new(None),
            traced: Cell::new(None),
            echo_trace: Cell::new(false),
            finished: Cell::new(false),
        }
    }

    /// Opens the exchange's access log line (`{accessLog: true}`).
    pub(in crate::filters) fn log_access(
        &self,
        context: &Context,
        method: &str,
        path: &str,
        protocol: &'static str,
    ) {
        *self.access.borrow_mut() = Some(Box::new(AccessRecord {
            remote: context
                .inbound()
                .map(|i| i.client().ip().to_string())
                .unwrap_or_else(|| "-".into()),
            method: method.to_string(),
            path: path.to_string(),
            protocol,
            start: self.started,
            status: 0,
            bytes: 0,
            grpc_status: None,
        }));
    }

    /// Records the exchange in trace `id`; with `echo`, the response names it.
    pub(in crate::filters) fn trace(&self, id: u64, echo: bool) {
        self.traced.set(Some(id));
        self.echo_trace.set(echo);
    }

    /// The trace the response names (`x-sluice-trace`), if the request asked for it.
    pub(in crate::filters) fn echoed_trace(&self) -> Option<u64> {
        self.traced.get().filter(|_| self.echo_trace.get())
    }

    /// Notes a head passing `filter` in the exchange's trace, if it is traced (its start line
    /// is copied only then).
    pub(in crate::filters) fn note_head(&self, filter: &str, context_id: u64, line: &str) {
        if let Some(t) = self.traced.get() {
            crate::trace::note(t, filter, context_id, "MessageStart", 0, line.to_string());
        }
    }

    /// The response head went out with `status`.
    pub(in crate::filters) fn answered(&self, status: u16) {
        crate::metrics::http_response_on(self.port, status, self.started);
        if let Some(a) = self.access.borrow_mut().as_mut() {
            a.status = status;
        }
    }

    /// The engine answered for the pipeline (it ended before responding): `status`.
    pub(in crate::filters) fn answered_for_error(&self, status: u16) {
        crate::metrics::builtin().error_answers.inc();
        self.answered(status);
    }

    /// `n` bytes of the response body went out.
    pub(in crate::filters) fn body(&self, n: usize) {
        if let Some(a) = self.access.borrow_mut().as_mut() {
            a.bytes += n as u64;
        }
    }

    /// The gRPC call's status, from the response head, its trailers or the engine's answer.
    pub(in crate::filters) fn grpc_status(&self, status: u32) {
        self.grpc_status.set(Some(status));
    }

    /// The exchange is over: the gRPC counter and the access log line (naming the upstream
    /// the request's context reached), once.
    pub(in crate::filters) fn finish(&self, request: Option<&Context>) {
        if self.finished.replace(true) {
            return;
        }
        let grpc_status = self.grpc_status.get();
        if grpc_status.is_none() && self.access.borrow().is_none() {
            return; // nothing to record: the common case
        }
        if let Some(g) = grpc_status {
            crate::metrics::grpc_response_on(self.port, g);
        }
        if let Some(mut a) = self.access.borrow_mut().take() {
            a.grpc_status = grpc_status;
            let upstream = request.and_then(|c| c.upstream());
            a.log(upstream.as_deref());
        }
    }
}
