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

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Event {
        Event::MessageStart(None)
    }
    fn end() -> Event {
        Event::MessageEnd(MessageTail::default())
    }

    /// A queue that waits for the requests `(stream, replies, id)`, in this order.
    fn waiting(requests: &[(&'static str, usize, Option<u64>)]) -> ReplyQueue<&'static str> {
        let mut q = ReplyQueue::default();
        for &(stream, replies, id) in requests {
            q.expect(stream, Expect { replies, id });
        }
        q
    }

    /// The deliveries as `stream:kind` strings.
    fn seen(out: &[Delivery<&'static str>]) -> Vec<String> {
        out.iter()
            .map(|d| match d {
                Delivery::Event(s, e) => format!("{s}:{}", e.type_name()),
                Delivery::Done(s) => format!("{s}:done"),
            })
            .collect()
    }

    #[test]
    fn replies_in_order_go_to_the_oldest_request_and_count_down() {
        let mut q = waiting(&[("a", 2, None), ("one-way", 0, None), ("b", 1, None)]);
        let mut out = Vec::new();
        for e in [
            start(),
            Event::data("x"),
            end(),
            start(),
            end(),
            start(),
            end(),
        ] {
            q.route(Route::Next, e, &mut out);
        }
        assert_eq!(
            seen(&out),
            [
                "a:MessageStart",
                "a:Data",
                "a:MessageEnd",
                "a:MessageStart",
                "a:MessageEnd",
                "a:done",
                "b:MessageStart",
                "b:MessageEnd",
                "b:done"
            ]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn replies_by_id_find_their_request_whatever_its_place() {
        let mut q = waiting(&[("a", 1, Some(7)), ("b", 1, Some(9))]);
        let mut out = Vec::new();
        q.route(Route::Id(9), start(), &mut out);
        q.route(Route::Id(7), start(), &mut out);
        q.route(Route::Id(9), end(), &mut out);
        q.route(Route::Id(5), start(), &mut out);
        assert_eq!(
            seen(&out),
            ["b:MessageStart", "a:MessageStart", "b:MessageEnd", "b:done"]
        );
        out.clear();
        let eos = StreamEnd::default();
        q.end(&eos, &mut out);
        assert_eq!(seen(&out), ["a:MessageEnd", "a:done"]);
    }

    #[test]
    fn the_end_of_the_session_reaches_every_waiting_stream() {
        let mut q = waiting(&[("a", 2, None), ("b", 1, None)]);
        let mut out = Vec::new();
        q.route(Route::Next, start(), &mut out);
        out.clear();
        q.end(&StreamEnd::default(), &mut out);
        assert_eq!(seen(&out), ["a:MessageEnd", "a:StreamEnd", "b:StreamEnd"]);
    }
}
