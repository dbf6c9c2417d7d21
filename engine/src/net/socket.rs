//! Reading a socket into a pipeline and writing a pipeline's output to a socket.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, Interest};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{Backlog, Tap};
use crate::event::{ErrorCode, Event, StreamEnd};

/// Bytes queued for writing before the writer pauses the input that fills it.
pub const CONGESTION_LIMIT: usize = 1 << 20;
const READ_CHUNK: usize = 256 * 1024;
const SMALL_READ: usize = 4096;
/// Most buffers handed to one `writev`.
const MAX_IOV: usize = 64;

/// The write side of a socket: a bounded queue, written out at the end of the read that filled
/// it (see [`flush_scope`]) or by the writer's task. The task is started only when it is needed
/// (the socket is full, bytes come from outside a read, or the writer closes), so an idle
/// connection has none.
pub struct SocketWriter {
    write_timeout: Cell<Option<Duration>>,
    io: OnceCell<OwnedWriteHalf>,
    task_started: Cell<bool>,
    state: RefCell<WriterState>,
    /// Already in the current flush scope's list.
    flush_listed: Cell<bool>,
    /// The socket took less than it was offered: the task waits for it to be writable, and
    /// writes meanwhile only queue.
    blocked: Cell<bool>,
    wake: Notify,
    /// The connection task waiting for the writer to stop (see [`SocketWriter::poll_finished`]).
    done: RefCell<Option<Waker>>,
}

struct WriterState {
    queue: VecDeque<Bytes>,
    /// The bytes in `queue`, and the inputs paused because they were too many.
    backlog: Backlog,
    closing: bool,
    finished: bool,
    error: Option<ErrorCode>,
}

impl Default for WriterState {
    fn default() -> WriterState {
        WriterState {
            queue: VecDeque::new(),
            backlog: Backlog::new(CONGESTION_LIMIT),
            closing: false,
            finished: false,
            error: None,
        }
    }
}

thread_local! {
    /// Writers that got bytes during the current [`flush_scope`], if one is open.
    static TO_FLUSH: RefCell<Option<Vec<Rc<SocketWriter>>>> = const { RefCell::new(None) };
    /// What runs at the end of a flush scope, before its writers flush, with the depth of the
    /// scope it belongs to. Scopes that add none pay two `Cell` updates.
    static AT_SCOPE_END: RefCell<Vec<(u32, ScopeHook)>> = const { RefCell::new(Vec::new()) };
    /// How many flush scopes are open on this thread.
    static SCOPE_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Hooks are waiting in `AT_SCOPE_END`.
    static HOOKS_WAITING: Cell<bool> = const { Cell::new(false) };
    /// An empty list kept for the next scope (so a scope does not allocate one).
    static SPARE_LIST: Cell<Vec<Rc<SocketWriter>>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` (the delivery of one read) and then writes out, on this thread and without a task
/// switch, whatever it queued on any socket writer: a request and its response cost one read
/// and one write system call, and several responses produced by one read go out in one write.
pub fn flush_scope<R>(f: impl FnOnce() -> R) -> R {
    let list = SPARE_LIST.with(|s| s.take());
    let outer = TO_FLUSH.with(|t| t.borrow_mut().replace(list));
    let depth = SCOPE_DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get()
    });
    let r = f();
    // Hooks may write (and add hooks of their own): run them until none are left.
    while HOOKS_WAITING.with(Cell::get) {
        let hooks: Vec<ScopeHook> = AT_SCOPE_END.with(|h| {
            let mut h = h.borrow_mut();
            let mine = h.iter().position(|(d, _)| *d >= depth).unwrap_or(h.len());
            let hooks = h.drain(mine..).map(|(_, f)| f).collect();
            HOOKS_WAITING.with(|w| w.set(!h.is_empty()));
            hooks
        });
        if hooks.is_empty() {
            break;
        }
        hooks.iter().for_each(|h| h());
    }
    SCOPE_DEPTH.with(|d| d.set(depth - 1));
    let mut listed = TO_FLUSH
        .with(|t| std::mem::replace(&mut *t.borrow_mut(), outer))
        .unwrap_or_default();
    for w in listed.drain(..) {
        w.flush_listed.set(false);
        w.flush_inline();
    }
    SPARE_LIST.with(|s| s.set(listed));
    r
}

/// Work deferred to the end of a flush scope.
type ScopeHook = Rc<dyn Fn()>;

/// Runs `hook` at the end of the current flush scope (the delivery of one read), before the
/// scope's writers flush, so that a codec can write once for all the events one read caused.
/// Returns false, and does nothing, outside of a scope.
pub fn at_scope_end(hook: Rc<dyn Fn()>) -> bool {
    let depth = SCOPE_DEPTH.with(Cell::get);
    if depth == 0 {
        return false;
    }
    AT_SCOPE_END.with(|h| h.borrow_mut().push((depth, hook)));
    HOOKS_WAITING.with(|w| w.set(true));
    true
}

impl SocketWriter {
    /// A writer with nothing attached yet; data written now waits for [`attach`](Self::attach).
    pub fn new() -> Rc<SocketWriter> {
        Rc::new(SocketWriter {
            write_timeout: Cell::new(None),
            io: OnceCell::new(),
            task_started: Cell::new(false),
            state: RefCell::new(WriterState::default()),
            flush_listed: Cell::new(false),
            blocked: Cell::new(false),
            wake: Notify::new(),
            done: RefCell::new(None),
        })
    }

    /// Gives up (with `WriteTimeout`) when the peer takes no bytes for this long.
    pub fn set_write_timeout(&self, t: Option<Duration>) {
        self.write_timeout.set(t);
    }

    /// Queues bytes. Pauses the current input tap when the queue is over its limit.
    pub fn write(self: &Rc<Self>, b: Bytes) {
        if b.is_empty() {
            return;
        }
        let mut s = self.state.borrow_mut();
        if s.closing || s.finished {
            return;
        }
        s.backlog.grow(b.len());
        s.queue.push_back(b);
        drop(s);
        if self.flush_listed.get() || self.blocked.get() {
            return;
        }
        let listed = self.io.get().is_some()
            && TO_FLUSH.with(|t| match t.borrow_mut().as_mut() {
                Some(list) => {
                    list.push(self.clone());
                    true
                }
                None => false,
            });
        if listed {
            self.flush_listed.set(true);
        } else {
            self.kick();
        }
    }

    /// Writes what is queued, then shuts the write side down: at once when the socket takes
    /// it all (most closes), or from the writer's task.
    pub fn close(self: &Rc<Self>) {
        self.state.borrow_mut().closing = true;
        if !self.task_started.get() && matches!(self.try_flush(), Ok(true)) {
            self.task_started.set(true);
            self.finish();
            return;
        }
        self.kick();
    }

    /// Wakes the writer's task, starting it first if the socket is attached.
    fn kick(self: &Rc<Self>) {
        if self.io.get().is_some() && !self.task_started.replace(true) {
            let me = self.clone();
            tokio::task::spawn_local(async move { me.run().await });
        }
        self.wake.notify_one();
    }

    /// Applies one output event of a pipeline: Data is written, StreamEnd closes.
    pub fn on_event(self: &Rc<Self>, evt: Event) {
        match evt {
            Event::Data(b) => self.write(b),
            Event::StreamEnd(_) => self.close(),
            _ => {}
        }
    }

    /// True once the writer has stopped (closed or failed).
    pub fn is_finished(&self) -> bool {
        self.state.borrow().finished
    }

    /// The write error, if writing failed.
    pub fn error(&self) -> Option<ErrorCode> {
        self.state.borrow().error
    }

    /// Ready once the writer has stopped; until then `cx`'s task is woken when it stops. There
    /// is one such waiter, the connection's task: a second registration replaces the first.
    pub fn poll_finished(&self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.is_finished() {
            return Poll::Ready(());
        }
        let mut done = self.done.borrow_mut();
        if !done.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *done = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Waits until the writer has stopped (see [`SocketWriter::poll_finished`]).
    pub async fn finished(&self) {
        std::future::poll_fn(|cx| self.poll_finished(cx)).await
    }

    /// Starts writing to `io` on this thread.
    pub fn attach(self: &Rc<Self>, io: OwnedWriteHalf) {
        if self.io.set(io).is_err() {
            return;
        }
        let s = self.state.borrow();
        let pending = !s.queue.is_empty() || s.closing;
        drop(s);
        if pending {
            self.kick();
        }
    }

    /// Writes what the socket takes now; leaves the rest (and any error) to the task.
    fn flush_inline(self: &Rc<Self>) {
        match self.try_flush() {
            Ok(true) => {}
            _ => self.kick(),
        }
    }

    /// Writes queued bytes until the queue is empty (`Ok(true)`) or the socket is full
    /// (`Ok(false)`, and the writer is then blocked), and resumes the taps this writer paused
    /// once it has drained enough.
    fn try_flush(&self) -> std::io::Result<bool> {
        let Some(io) = self.io.get() else {
            return Ok(false);
        };
        let drained = loop {
            let mut s = self.state.borrow_mut();
            if s.queue.is_empty() {
                // An idle connection keeps no queue (a new one costs a small allocation).
                if s.queue.capacity() != 0 {
                    s.queue = VecDeque::new();
                }
                break true;
            }
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut k = 0;
            let mut offered = 0;
            for b in s.queue.iter().take(MAX_IOV) {
                iov[k] = IoSlice::new(b);
                offered += b.len();
                k += 1;
            }
            let mut n = match io.try_write_vectored(&iov[..k]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
                Err(e) => return Err(e),
            };
            let short = n < offered;
            if short {
                // A short write means the send buffer is full (epoll is edge-triggered):
                // forget the socket's write readiness now rather than learn it from an EAGAIN.
                let tcp: &tokio::net::TcpStream = io.as_ref();
                let _ = tcp.try_io(Interest::WRITABLE, || {
                    Err::<(), _>(std::io::ErrorKind::WouldBlock.into())
                });
            }
            s.backlog.shrink(n);
            while n > 0 {
                let front = s.queue.front_mut().expect("written bytes were queued");
                if n >= front.len() {
                    n -= front.len();
                    s.queue.pop_front();
                } else {
                    let _ = front.split_to(n);
                    n = 0;
                }
            }
            if short {
                break false;
            }
        };
        let resumed = self.state.borrow_mut().backlog.resumable();
        for t in resumed {
            t.resume();
        }
        self.blocked.set(!drained);
        Ok(drained)
    }

    async fn run(&self) {
        let Some(io) = self.io.get() else { return };
        loop {
            let notified = self.wake.notified();
            let written = match self.try_flush() {
                Ok(true) => {
                    if self.state.borrow().closing {
                        break;
                    }
                    notified.await;
                    continue;
                }
                Ok(false) => match self.write_timeout.get() {
                    Some(t) => tokio::time::timeout(t, io.writable())
                        .await
                        .unwrap_or_else(|_| {
                            Err(std::io::Error::new(
                                std::io::ErrorKind::TimedOut,
                                "write timeout",
                            ))
                        }),
                    None => io.writable().await,
                },
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                let mut s = self.state.borrow_mut();
                s.error = Some(if e.kind() == std::io::ErrorKind::TimedOut {
                    ErrorCode::WriteTimeout
                } else {
                    ErrorCode::from_io(&e, false)
                });
                s.queue.clear();
                let all = s.backlog.queued();
                s.backlog.shrink(all);
                break;
            }
        }
        self.finish();
    }

    /// Shuts the write side down and tells whoever waits for the writer to stop.
    fn finish(&self) {
        if let Some(io) = self.io.get() {
            let tcp: &tokio::net::TcpStream = io.as_ref();
            let _ = socket2::SockRef::from(tcp).shutdown(std::net::Shutdown::Write);
        }
        let paused = {
            let mut s = self.state.borrow_mut();
            s.finished = true;
            s.backlog.release_all()
        };
        for t in paused {
            t.resume();
        }
        let waiter = self.done.borrow_mut().take();
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

/// Reads `io` until EOF or error, handing each chunk to `deliver` with `tap` current, and
/// finally a `StreamEnd` (with the error code, if reading failed or timed out). What a chunk's
/// delivery writes to sockets goes out when it returns ([`flush_scope`]).
///
/// It waits for the socket to be readable before it takes a buffer, so an idle connection
/// holds no read buffer; the buffer grows to 256 KiB once reads fill it (bulk transfers). A read
/// that does not fill the buffer marks the socket drained, so the next read waits for the
/// socket to be readable again instead of asking it for nothing. The timeout is one timer per
/// connection, moved on only when it fires. Stops early (without a StreamEnd) once `stop` is
/// ready (polled with the socket; `|_| Poll::Pending` never stops).
///
/// The future is an `async` block over the arguments themselves, not an `async fn`: the
/// arguments of an `async fn` are stored twice in its state (as given and as moved), and this
/// state is part of every connection's task, idle ones included.
#[allow(clippy::manual_async_fn)] // on purpose: see above
pub fn pump_reader(
    mut io: OwnedReadHalf,
    tap: Rc<Tap>,
    timeout: Option<(Duration, ErrorCode)>,
    deliver: impl Fn(Event),
    mut stop: impl FnMut(&mut std::task::Context<'_>) -> Poll<()>,
) -> impl Future<Output = ()> {
    async move {
        let timed = timeout.is_some();
        let (limit, timeout_code) =
            timeout.unwrap_or((Duration::from_secs(86400 * 365), ErrorCode::IdleTimeout));
        let mut last_read = Instant::now();
        let deadline = tokio::time::sleep_until(last_read + limit);
        tokio::pin!(deadline);
        let mut want = SMALL_READ;
        loop {
            if !tap.is_open() {
                tap.opened().await;
                // Time paused by back-pressure is not idle time.
                last_read = Instant::now();
            }
            // One poll for all three (readable first): no future of its own per wait. The read
            // happens in the same poll, so its buffer is never part of the task's idle state.
            let woke = std::future::poll_fn(|cx| {
                if let Poll::Ready(r) = io.as_ref().poll_read_ready(cx) {
                    let read = match r {
                        Ok(()) => read_once(&mut io, want, cx),
                        Err(e) => Some(Err(e)),
                    };
                    return Poll::Ready(Woke::Read(read));
                }
                if stop(cx).is_ready() {
                    return Poll::Ready(Woke::Stop);
                }
                if timed && deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Woke::Deadline);
                }
                Poll::Pending
            })
            .await;
            let r = match woke {
                Woke::Read(r) => r.transpose().map_err(|e| ErrorCode::from_io(&e, true)),
                Woke::Stop => return,
                Woke::Deadline => {
                    if last_read.elapsed() < limit {
                        deadline.as_mut().reset(last_read + limit);
                        continue;
                    }
                    Err(timeout_code)
                }
            };
            match r {
                Ok(None) => continue,
                Ok(Some((0, _))) => {
                    Tap::enter(&tap, || flush_scope(|| deliver(StreamEnd::ok())));
                    return;
                }
                Ok(Some((n, buf))) => {
                    if timed {
                        last_read = Instant::now();
                    }
                    // Reads that fill the buffer mean a bulk transfer: read more at a time.
                    // (An idle connection holds no buffer, so the size never costs memory then.)
                    if n == want {
                        want = (want * 4).min(READ_CHUNK);
                    }
                    Tap::enter(&tap, || flush_scope(|| deliver(Event::Data(buf))));
                }
                Err(code) => {
                    Tap::enter(&tap, || flush_scope(|| deliver(StreamEnd::code(code))));
                    return;
                }
            }
        }
    }
}

/// What ended a wait of [`pump_reader`].
enum Woke {
    /// The socket was readable: what one read got (`None`: nothing after all).
    Read(Option<std::io::Result<(usize, Bytes)>>),
    Stop,
    Deadline,
}

thread_local! {
    /// The worker's buffer for small reads (see [`pump_reader`]).
    static SCRATCH: Cell<Option<BytesMut>> = const { Cell::new(None) };
}

/// The `n` bytes read into `buf`: copied out of a scratch buffer, or the buffer itself.
fn chunk_of(buf: &mut BytesMut, n: usize, scratch: bool) -> Bytes {
    if scratch {
        Bytes::copy_from_slice(&buf[..n])
    } else {
        std::mem::take(buf).freeze()
    }
}

/// One read attempt on a socket reported readable, polled with the waiting task's `cx`: the
/// byte count and the bytes, or `None` if it had nothing after all. It goes through tokio's
/// `poll_read`, which marks the socket drained after a short read.
///
/// Small reads go into the worker's scratch buffer and are copied out at their size: a request
/// costs a small allocation, not a 4 KiB one.
fn read_once(
    io: &mut OwnedReadHalf,
    want: usize,
    cx: &mut std::task::Context<'_>,
) -> Option<std::io::Result<(usize, Bytes)>> {
    let small = want <= SMALL_READ;
    let mut buf = match small {
        true => SCRATCH
            .take()
            .unwrap_or_else(|| BytesMut::with_capacity(SMALL_READ)),
        false => BytesMut::with_capacity(want),
    };
    let polled = std::pin::pin!(io.read_buf(&mut buf)).poll(cx);
    let r = match polled {
        Poll::Ready(Ok(n)) => Some(Ok((n, chunk_of(&mut buf, n, small)))),
        Poll::Ready(Err(e)) => Some(Err(e)),
        Poll::Pending => None,
    };
    if small {
        buf.clear();
        SCRATCH.set(Some(buf));
    }
    r
}
