//! A byte stream between pipeline events and hyper: what the filter pushes in (its input Data
//! events) hyper reads, and what hyper writes goes straight out as Data events. This lets
//! hyper's HTTP/2 run over any stream a pipeline carries (a socket, TLS, a tunnel), not only
//! sockets.
//!
//! Writes are bounded: hyper's bytes go out with the stream's own [`Tap`] current, so a socket
//! writer (or anything that applies back-pressure) downstream that is full pauses it, and
//! hyper's next write waits until it opens again. Hyper then stops taking from the bodies it
//! sends, and their back-pressure reaches whoever fills them. Reads are bounded too: input
//! queued past [`INPUT_LIMIT`] (hyper not reading, as when its writes wait) pauses the tap
//! that delivered it until hyper has read half of it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes};

use crate::net::{Backlog, Tap};

/// Input bytes queued for hyper before the input that brings them is paused.
pub const INPUT_LIMIT: usize = 1 << 20;

/// Where hyper's output bytes go.
pub type Sink = Rc<dyn Fn(Bytes)>;

struct State {
    input: VecDeque<Bytes>,
    /// The bytes in `input`, and the inputs paused because they were too many.
    backlog: Backlog,
    eof: bool,
    reader: Option<Waker>,
    sink: Option<Sink>,
    /// Current while hyper's bytes are delivered: what they fill pauses it.
    tap: Rc<Tap>,
    /// Hyper waiting to write until the tap opens.
    opened: Option<Pin<Box<dyn Future<Output = ()>>>>,
    writer: Option<Waker>,
}

/// One end of the stream, shared by the filter (which pushes input) and hyper (which reads
/// and writes). Clones share the stream.
#[derive(Clone)]
pub struct PipeIo(Rc<RefCell<State>>);

impl PipeIo {
    /// A stream whose written bytes go to `sink`.
    pub fn new(sink: Sink) -> PipeIo {
        PipeIo(Rc::new(RefCell::new(State {
            input: VecDeque::new(),
            backlog: Backlog::new(INPUT_LIMIT),
            eof: false,
            reader: None,
            sink: Some(sink),
            tap: Tap::new(),
            opened: None,
            writer: None,
        })))
    }

    /// Bytes arrived for hyper to read.
    pub fn push(&self, b: Bytes) {
        if b.is_empty() {
            return;
        }
        let w = {
            let mut s = self.0.borrow_mut();
            if s.eof {
                return;
            }
            s.backlog.grow(b.len());
            s.input.push_back(b);
            s.reader.take()
        };
        if let Some(w) = w {
            w.wake();
        }
    }

    /// The input ended: hyper reads end-of-stream once the queue is empty. Writes are
    /// dropped from now on.
    pub fn end(&self) {
        let w = {
            let mut s = self.0.borrow_mut();
            s.eof = true;
            s.sink = None;
            s.opened = None;
            for t in s.backlog.release_all() {
                t.resume();
            }
            [s.reader.take(), s.writer.take()]
        };
        for w in w.into_iter().flatten() {
            w.wake();
        }
    }
}

impl hyper::rt::Read for PipeIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let mut s = self.0.borrow_mut();
        let room = buf.remaining();
        let Some(front) = s.input.front_mut() else {
            if s.eof {
                return Poll::Ready(Ok(()));
            }
            s.reader = Some(cx.waker().clone());
            return Poll::Pending;
        };
        let n = room.min(front.len());
        buf.put_slice(&front[..n]);
        front.advance(n);
        if front.is_empty() {
            s.input.pop_front();
        }
        s.backlog.shrink(n);
        let resumed = s.backlog.resumable();
        drop(s);
        for t in resumed {
            t.resume();
        }
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for PipeIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let (sink, tap) = {
            let mut s = self.0.borrow_mut();
            let Some(sink) = s.sink.clone() else {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            };
            if !s.tap.is_open() {
                let tap = s.tap.clone();
                let opened = s
                    .opened
                    .get_or_insert_with(|| Box::pin(async move { tap.opened().await }));
                if opened.as_mut().poll(cx).is_pending() {
                    s.writer = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
            s.opened = None;
            (sink, s.tap.clone())
        };
        Tap::enter(&tap, || sink(Bytes::copy_from_slice(buf)));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
