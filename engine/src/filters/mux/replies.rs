//! Matching session output to the requests waiting for it: in request order (FIFO), or by the
//! id a protocol gave the request.

use std::collections::VecDeque;

use super::hooks::{Expect, Route};
use crate::event::{Event, MessageTail, StreamEnd};

/// What the matcher decided for one piece of output; the caller carries it out once it holds
/// no borrow (delivering may run the receiving pipeline).
pub enum Delivery<S> {
    /// Send this event to the stream.
    Event(S, Event),
    /// The stream got every reply one of its requests expected.
    Done(S),
}

struct Waiting<S> {
    stream: S,
    remaining: usize,
    id: Option<u64>,
    started: bool,
}

/// Requests waiting for replies, oldest first.
pub struct ReplyQueue<S> {
    waiting: VecDeque<Waiting<S>>,
}

impl<S> Default for ReplyQueue<S> {
    fn default() -> Self {
        ReplyQueue {
            waiting: VecDeque::new(),
        }
    }
}

impl<S: Clone> ReplyQueue<S> {
    /// Notes a request of `stream` (nothing is noted for a one-way request).
    pub fn expect(&mut self, stream: S, expect: Expect) {
        if expect.replies > 0 {
            self.waiting.push_back(Waiting {
                stream,
                remaining: expect.replies,
                id: expect.id,
                started: false,
            });
        }
    }

    /// True when no request waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Routes one reply event (`MessageStart`, `Data` or `MessageEnd`).
    pub fn route(&mut self, route: Route, evt: Event, out: &mut Vec<Delivery<S>>) {
        let at = match route {
            Route::Next => (!self.waiting.is_empty()).then_some(0),
            Route::Id(id) => self.waiting.iter().position(|w| w.id == Some(id)),
        };
        let Some(at) = at else {
            tracing::debug!("mux: a {} no request waits for", evt.type_name());
            return;
        };
        let w = &mut self.waiting[at];
        match evt {
            Event::MessageStart(_) if !w.started => {
                w.started = true;
                out.push(Delivery::Event(w.stream.clone(), evt));
            }
            Event::Data(_) if w.started => out.push(Delivery::Event(w.stream.clone(), evt)),
            Event::MessageEnd(_) if w.started => {
                w.started = false;
                w.remaining -= 1;
                out.push(Delivery::Event(w.stream.clone(), evt));
                if w.remaining == 0 {
                    let done = self.waiting.remove(at).map(|w| w.stream);
                    out.extend(done.map(Delivery::Done));
                }
            }
            _ => {}
        }
    }

    /// The session ended: a reply under way is closed with `MessageEnd`, and every stream
    /// still waiting gets the end (`eos`).
    pub fn end(&mut self, eos: &StreamEnd, out: &mut Vec<Delivery<S>>) {
        for mut w in self.waiting.drain(..) {
            if w.started {
                w.remaining -= 1;
                out.push(Delivery::Event(
                    w.stream.clone(),
                    Event::MessageEnd(MessageTail::default()),
                ));
                if w.remaining == 0 {
                    out.push(Delivery::Done(w.stream));
                    continue;
                }
            }
            out.push(Delivery::Event(w.stream, Event::StreamEnd(eos.clone())));
        }
    }
}
