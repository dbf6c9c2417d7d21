//! A message body for hyper whose frames come from pipeline events, with back-pressure.
//!
//! The side that feeds a body (a pipeline's output) sends frames as events arrive; hyper reads
//! them as the stream's flow-control window allows. Bytes waiting in between are counted: past
//! [`HIGH_WATER`], the input that is being delivered (the current [`Tap`]: a socket reader, or
//! the task reading the other HTTP/2 stream) is paused, and resumed once hyper has taken the
//! queue below half of that. So a slow reader on one side slows the writer on the other, and
//! the window of the far stream stops opening, instead of the proxy holding the whole stream.

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::net::Tap;

/// Body bytes a body may hold before it pauses its input (as a socket writer does).
pub const HIGH_WATER: usize = 1 << 20;

/// The error a body fed by events ends with when its message broke off.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// What the two ends of a body share: bytes queued, and the inputs paused for them.
#[derive(Default)]
struct Flow {
    queued: Cell<usize>,
    paused: RefCell<Vec<Rc<Tap>>>,
}

impl Flow {
    fn resume_all(&self) {
        let taps = std::mem::take(&mut *self.paused.borrow_mut());
        for t in taps {
            t.resume();
        }
    }
}

/// A message body whose frames come from pipeline events, through a channel.
pub struct EventBody {
    rx: UnboundedReceiver<Result<Frame<Bytes>, BodyError>>,
    flow: Rc<Flow>,
    /// Anything that must live as long as the body is read (the pipeline producing it).
    _keep: Option<Box<dyn std::any::Any>>,
}

/// The sending side of an [`EventBody`].
pub struct BodySender {
    tx: UnboundedSender<Result<Frame<Bytes>, BodyError>>,
    flow: Rc<Flow>,
}

impl EventBody {
    /// A body and the sender that feeds it; the body ends when the sender is dropped.
    pub fn channel(keep: Option<Box<dyn std::any::Any>>) -> (BodySender, EventBody) {
        let (tx, rx) = unbounded_channel();
        let flow = Rc::new(Flow::default());
        (
            BodySender {
                tx,
                flow: flow.clone(),
            },
            EventBody {
                rx,
                flow,
                _keep: keep,
            },
        )
    }

    /// Keeps `x` alive as long as the body.
    pub fn hold(&mut self, x: Box<dyn std::any::Any>) {
        self._keep = Some(x);
    }
}

impl BodySender {
    /// Queues a frame (or the error that resets the stream); false when the body is gone.
    /// Past the high-water mark the input being delivered now is paused until hyper has taken
    /// the queue down.
    pub fn send(&self, frame: Result<Frame<Bytes>, BodyError>) -> bool {
        let len = match &frame {
            Ok(f) => f.data_ref().map_or(0, |d| d.len()),
            Err(_) => 0,
        };
        if self.tx.send(frame).is_err() {
            return false;
        }
        let queued = self.flow.queued.get() + len;
        self.flow.queued.set(queued);
        if queued > HIGH_WATER {
            if let Some(tap) = Tap::current() {
                let mut paused = self.flow.paused.borrow_mut();
                if !paused.iter().any(|t| Rc::ptr_eq(t, &tap)) {
                    tap.pause();
                    paused.push(tap);
                }
            }
        }
        true
    }
}

impl http_body::Body for EventBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let next = self.rx.poll_recv(cx);
        if let Poll::Ready(Some(Ok(f))) = &next {
            let len = f.data_ref().map_or(0, |d| d.len());
            let queued = self.flow.queued.get().saturating_sub(len);
            self.flow.queued.set(queued);
            if queued <= HIGH_WATER / 2 {
                self.flow.resume_all();
            }
        }
        next
    }

    /// True once the sender is gone with nothing left to read: a response known to be empty
    /// when hyper takes it goes out as one HEADERS frame with END_STREAM (a gRPC
    /// trailers-only response stays one).
    fn is_end_stream(&self) -> bool {
        self.rx.is_closed() && self.rx.is_empty()
    }
}

impl Drop for EventBody {
    fn drop(&mut self) {
        // Nobody will read what is queued: whoever waits for it goes on.
        self.flow.resume_all();
    }
}
