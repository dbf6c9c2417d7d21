//! Reading a socket into a pipeline and writing a pipeline's output to a socket.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

use super::Tap;
use crate::event::{ErrorCode, Event, StreamEnd};

/// Bytes queued for writing before the writer pauses the input that fills it.
pub const CONGESTION_LIMIT: usize = 1 << 20;
const READ_CHUNK: usize = 64 * 1024;
const SMALL_READ: usize = 4096;

/// The write side of a socket: a bounded queue drained by its own task.
pub struct SocketWriter {
    write_timeout: std::cell::Cell<Option<Duration>>,
    state: RefCell<WriterState>,
    wake: Notify,
    done: Notify,
}

#[derive(Default)]
struct WriterState {
    queue: VecDeque<Bytes>,
    queued: usize,
    closing: bool,
    finished: bool,
    paused: Vec<Rc<Tap>>,
    error: Option<ErrorCode>,
}

impl SocketWriter {
    /// A writer with nothing attached yet; data written now waits for [`attach`](Self::attach).
    pub fn new() -> Rc<SocketWriter> {
        Rc::new(SocketWriter {
            write_timeout: std::cell::Cell::new(None),
            state: RefCell::new(WriterState::default()),
            wake: Notify::new(),
            done: Notify::new(),
        })
    }

    /// Gives up (with `WriteTimeout`) when the peer takes no bytes for this long.
    pub fn set_write_timeout(&self, t: Option<Duration>) {
        self.write_timeout.set(t);
    }

    /// Queues bytes. Pauses the current input tap when the queue is over its limit.
    pub fn write(&self, b: Bytes) {
        if b.is_empty() {
            return;
        }
        let mut s = self.state.borrow_mut();
        if s.closing || s.finished {
            return;
        }
        s.queued += b.len();
        s.queue.push_back(b);
        if s.queued > CONGESTION_LIMIT {
            if let Some(tap) = Tap::current() {
                if !s.paused.iter().any(|t| Rc::ptr_eq(t, &tap)) {
                    tap.pause();
                    s.paused.push(tap);
                }
            }
        }
        drop(s);
        self.wake.notify_one();
    }

    /// Writes what is queued, then shuts the write side down.
    pub fn close(&self) {
        self.state.borrow_mut().closing = true;
        self.wake.notify_one();
    }

    /// Applies one output event of a pipeline: Data is written, StreamEnd closes.
    pub fn on_event(&self, evt: Event) {
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

    /// Waits until the writer has stopped.
    pub async fn finished(&self) {
        loop {
            let n = self.done.notified();
            if self.is_finished() {
                return;
            }
            n.await;
        }
    }

    /// Starts writing to `io` on this thread.
    pub fn attach<W: AsyncWrite + Unpin + 'static>(self: &Rc<Self>, io: W) {
        let me = self.clone();
        tokio::task::spawn_local(async move { me.run(io).await });
    }

    async fn run<W: AsyncWrite + Unpin>(&self, mut io: W) {
        let mut batch: Vec<Bytes> = Vec::new();
        loop {
            let notified = self.wake.notified();
            {
                let mut s = self.state.borrow_mut();
                while batch.len() < 16 {
                    match s.queue.pop_front() {
                        Some(b) => batch.push(b),
                        None => break,
                    }
                }
                if batch.is_empty() && s.closing {
                    break;
                }
            }
            if batch.is_empty() {
                // An idle connection keeps no batch allocation.
                batch = Vec::new();
                notified.await;
                continue;
            }
            let written = match self.write_timeout.get() {
                Some(t) => tokio::time::timeout(t, write_batch(&mut io, &mut batch))
                    .await
                    .unwrap_or_else(|_| {
                        Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "write timeout",
                        ))
                    }),
                None => write_batch(&mut io, &mut batch).await,
            };
            if let Err(e) = written {
                let mut s = self.state.borrow_mut();
                s.error = Some(if e.kind() == std::io::ErrorKind::TimedOut {
                    ErrorCode::WriteTimeout
                } else {
                    ErrorCode::from_io(&e, false)
                });
                s.queue.clear();
                s.queued = 0;
                break;
            }
            let resumed = {
                let mut s = self.state.borrow_mut();
                s.queued = s.queue.iter().map(|b| b.len()).sum();
                if s.queued <= CONGESTION_LIMIT / 2 {
                    std::mem::take(&mut s.paused)
                } else {
                    Vec::new()
                }
            };
            for t in resumed {
                t.resume();
            }
        }
        let _ = io.shutdown().await;
        let paused = {
            let mut s = self.state.borrow_mut();
            s.finished = true;
            std::mem::take(&mut s.paused)
        };
        for t in paused {
            t.resume();
        }
        self.done.notify_waiters();
    }
}

async fn write_batch<W: AsyncWrite + Unpin>(
    io: &mut W,
    batch: &mut Vec<Bytes>,
) -> std::io::Result<()> {
    while !batch.is_empty() {
        let slices: Vec<IoSlice<'_>> = batch.iter().map(|b| IoSlice::new(b)).collect();
        let mut n = io.write_vectored(&slices).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        let mut done = 0;
        for b in batch.iter_mut() {
            if n >= b.len() {
                n -= b.len();
                done += 1;
            } else {
                let _ = b.split_to(n);
                break;
            }
        }
        batch.drain(..done);
    }
    Ok(())
}

/// Reads `io` until EOF or error, handing each chunk to `deliver` with `tap` current, and
/// finally a `StreamEnd` (with the error code, if reading failed or timed out).
///
/// It waits for the socket to be readable before it takes a buffer, so an idle connection
/// holds no read buffer; the buffer grows to 64 KiB once reads fill it (bulk transfers). Stops early (without a StreamEnd) when `stop` resolves.
pub async fn pump_reader(
    io: tokio::net::tcp::OwnedReadHalf,
    tap: Rc<Tap>,
    timeout: Option<(Duration, ErrorCode)>,
    deliver: impl Fn(Event),
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut want = SMALL_READ;
    loop {
        tap.opened().await;
        let ready = async {
            match timeout {
                Some((d, code)) => match tokio::time::timeout(d, io.readable()).await {
                    Ok(r) => r.map_err(|e| ErrorCode::from_io(&e, true)),
                    Err(_) => Err(code),
                },
                None => io
                    .readable()
                    .await
                    .map_err(|e| ErrorCode::from_io(&e, true)),
            }
        };
        let r = tokio::select! {
            r = ready => r,
            _ = &mut stop => return,
        };
        let r = r.and_then(|()| {
            let mut buf = BytesMut::with_capacity(want);
            match io.try_read_buf(&mut buf) {
                Ok(n) => Ok(Some((n, buf))),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
                Err(e) => Err(ErrorCode::from_io(&e, true)),
            }
        });
        match r {
            Ok(None) => continue,
            Ok(Some((0, _))) => {
                Tap::enter(&tap, || deliver(StreamEnd::ok()));
                return;
            }
            Ok(Some((n, buf))) => {
                // Reads that fill the buffer mean a bulk transfer: read more at a time.
                // (An idle connection holds no buffer, so the size never costs memory then.)
                if n == want {
                    want = (want * 4).min(READ_CHUNK);
                }
                let chunk = buf.freeze();
                Tap::enter(&tap, || deliver(Event::Data(chunk)));
            }
            Err(code) => {
                Tap::enter(&tap, || deliver(StreamEnd::code(code)));
                return;
            }
        }
    }
}
