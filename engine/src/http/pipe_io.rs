//! A byte stream between pipeline events and hyper: what the filter pushes in (its input Data
//! events) hyper reads, and what hyper writes goes straight out as Data events. This lets
//! hyper's HTTP/2 run over any stream a pipeline carries (a socket, TLS, a tunnel), not only
//! sockets.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes};

/// Where hyper's output bytes go.
pub type Sink = Rc<dyn Fn(Bytes)>;

struct State {
    input: VecDeque<Bytes>,
    eof: bool,
    reader: Option<Waker>,
    sink: Option<Sink>,
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
            eof: false,
            reader: None,
            sink: Some(sink),
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
            s.reader.take()
        };
        if let Some(w) = w {
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
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for PipeIo {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let sink = self.0.borrow().sink.clone();
        match sink {
            Some(f) => {
                f(Bytes::copy_from_slice(buf));
                Poll::Ready(Ok(buf.len()))
            }
            None => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
