//! The server side of the core: one sub-pipeline per request message, replies out in request
//! order (or as each completes, for protocols that allow it).
//!
//! Each input message (`MessageStart` … `MessageEnd`; a `StreamEnd` closes an open one) gets
//! its own sub-pipeline in a cloned context. The reply of the oldest request streams out as it
//! comes; replies of later requests wait, buffered, until the earlier ones are complete. A
//! sub-pipeline that ends before giving all its replies ends the whole stream with its
//! `StreamEnd`. The input's `StreamEnd` goes out after the last reply.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};

use super::hooks::DemuxProtocol;
use crate::event::{Event, MessageTail, StreamEnd};
use crate::filters::callback::fail;
use crate::filters::draining::{self, Drain};
use crate::pipeline::{Context, Output, Pipeline, PipelineLayout};

/// A request whose replies are awaited.
struct Receiver {
    id: u64,
    /// The request's sub-pipeline, kept until its replies are out.
    _pipeline: Rc<Pipeline>,
    remaining: usize,
    started: bool,
    /// Reply events held while earlier replies are out.
    buffer: Vec<Event>,
    /// The sub-pipeline ended while its replies were held.
    eos: Option<Event>,
}

#[derive(Default)]
struct State {
    /// The sub-pipeline taking the input message now, and its request's id.
    current: Option<(u64, Rc<Pipeline>)>,
    /// The current request has a negative count: reading pauses once it is in.
    pause_after_current: bool,
    receivers: VecDeque<Receiver>,
    /// One-way requests' sub-pipelines, kept until they end.
    one_way: HashMap<u64, Rc<Pipeline>>,
    /// Input held while a request with a negative count waits for its replies.
    held: VecDeque<Event>,
    /// The input `StreamEnd`, waiting for the last reply.
    held_end: Option<Event>,
    next_id: u64,
}

/// The demux engine of one stream. Filters wrap it (see [`super::demux_filter`]).
pub struct DemuxQueue {
    me: Weak<DemuxQueue>,
    name: &'static str,
    layout: Rc<PipelineLayout>,
    context: Rc<Context>,
    output: Output,
    protocol: RefCell<Box<dyn DemuxProtocol>>,
    ordered: bool,
    state: RefCell<State>,
    paused: Cell<bool>,
    ended: Cell<bool>,
    /// The worker drains: the stream ends once every request read is answered.
    draining: Cell<bool>,
}

impl DemuxQueue {
    /// A queue for the filter `name` in `context`, starting `layout` per request and writing
    /// replies to `output`.
    pub fn new(
        name: &'static str,
        layout: Rc<PipelineLayout>,
        context: Rc<Context>,
        output: Output,
        protocol: Box<dyn DemuxProtocol>,
    ) -> Rc<DemuxQueue> {
        let ordered = protocol.ordered();
        let q = Rc::new_cyclic(|me| DemuxQueue {
            me: me.clone(),
            name,
            layout,
            context,
            output,
            protocol: RefCell::new(protocol),
            ordered,
            state: RefCell::new(State::default()),
            paused: Cell::new(false),
            ended: Cell::new(false),
            draining: Cell::new(false),
        });
        draining::register(&q);
        q
    }

    /// True between requests: none is being read, none awaits its replies, no input is held.
    fn is_idle(&self) -> bool {
        let st = self.state.borrow();
        st.current.is_none()
            && st.receivers.is_empty()
            && st.one_way.is_empty()
            && st.held.is_empty()
            && !self.paused.get()
    }

    /// While draining, ends the stream at the first moment between requests.
    fn end_if_drained(&self) {
        if self.draining.get() && !self.ended.get() && self.is_idle() {
            tracing::debug!(target: "worker", "{}(): closing a drained connection between requests", self.name);
            self.end(StreamEnd::ok());
        }
    }

    /// Takes one input event.
    pub fn input(&self, evt: Event) {
        if self.ended.get() {
            return;
        }
        let busy = self.paused.get() || !self.state.borrow().held.is_empty();
        if busy {
            self.state.borrow_mut().held.push_back(evt);
            self.drain_held();
            return;
        }
        self.handle(evt);
    }

    /// Replays held input while not paused.
    fn drain_held(&self) {
        while !self.paused.get() && !self.ended.get() {
            let Some(e) = self.state.borrow_mut().held.pop_front() else {
                break;
            };
            self.handle(e);
        }
    }

    fn handle(&self, evt: Event) {
        match evt {
            Event::MessageStart(_) => {
                if self.state.borrow().current.is_some() {
                    return;
                }
                let n = match self.protocol.borrow_mut().replies(&evt) {
                    Ok(n) => n,
                    Err(e) => return self.abort_with_error(&e),
                };
                let p = self.open_sub(n);
                p.input(evt);
            }
            Event::Data(ref b) => {
                if b.is_empty() {
                    return;
                }
                let p = self.state.borrow().current.clone();
                if let Some((_, p)) = p {
                    p.input(evt);
                }
            }
            Event::MessageEnd(_) | Event::StreamEnd(_) => {
                let is_end = evt.is_stream_end();
                let current = self.state.borrow_mut().current.take();
                if let Some((id, p)) = current {
                    let mut st = self.state.borrow_mut();
                    if std::mem::take(&mut st.pause_after_current) {
                        // No further request is read until this one's replies are out.
                        let waiting = st.receivers.iter().any(|r| r.id == id);
                        self.paused.set(waiting);
                    }
                    drop(st);
                    p.input(evt.clone());
                }
                if is_end {
                    let done = self.state.borrow().receivers.is_empty();
                    if done {
                        self.end(evt);
                    } else {
                        self.state.borrow_mut().held_end = Some(evt);
                    }
                }
            }
        }
    }

    /// Starts the sub-pipeline of a new request expecting `n` replies.
    fn open_sub(&self, n: i32) -> Rc<Pipeline> {
        let id = {
            let mut st = self.state.borrow_mut();
            st.next_id += 1;
            st.next_id
        };
        let me = self.me.clone();
        let out = Output::from_fn(move |e| {
            if let Some(q) = me.upgrade() {
                q.on_reply(id, e);
            }
        });
        let p = Pipeline::new(&self.layout, self.context.fork(), out);
        let mut st = self.state.borrow_mut();
        st.current = Some((id, p.clone()));
        st.pause_after_current = n < 0;
        if n == 0 {
            st.one_way.insert(id, p.clone());
        } else {
            st.receivers.push_back(Receiver {
                id,
                _pipeline: p.clone(),
                remaining: n.unsigned_abs() as usize,
                started: false,
                buffer: Vec::new(),
                eos: None,
            });
        }
        p
    }

    fn on_reply(&self, id: u64, evt: Event) {
        if self.ended.get() {
            return;
        }
        if self.state.borrow().one_way.contains_key(&id) {
            if evt.is_stream_end() {
                let p = self.state.borrow_mut().one_way.remove(&id);
                drop(p);
                self.end_if_drained();
            }
            return;
        }
        let mut out = Vec::new();
        let mut abort = None;
        let finished = {
            let mut st = self.state.borrow_mut();
            let Some(at) = st.receivers.iter().position(|r| r.id == id) else {
                return;
            };
            let live = self.ordered && at == 0;
            let r = &mut st.receivers[at];
            let whole = take_reply(r, evt, live, &mut out, &mut abort);
            if !self.ordered {
                // Unordered: each reply leaves whole, as soon as it is complete.
                if whole {
                    out.append(&mut r.buffer);
                }
                if r.remaining > 0 && r.eos.is_some() {
                    abort = r.eos.take();
                }
                if r.remaining == 0 || abort.is_some() {
                    st.receivers.remove(at);
                }
                abort.is_none() && st.receivers.is_empty()
            } else if at == 0 && (r.remaining == 0 || abort.is_some()) {
                st.receivers.pop_front();
                if abort.is_none() {
                    flush_ready(&mut st.receivers, &mut out, &mut abort);
                }
                abort.is_none() && st.receivers.is_empty()
            } else {
                false
            }
        };
        self.output.emit_all(out);
        if let Some(eos) = abort {
            return self.end(eos);
        }
        if finished {
            self.all_replied();
        }
    }

    /// Every awaited reply is out: reading resumes, or the held end goes out.
    fn all_replied(&self) {
        if self.paused.replace(false) {
            self.drain_held();
        }
        let end = {
            let st = self.state.borrow();
            if st.receivers.is_empty() && !self.paused.get() {
                st.held_end.clone()
            } else {
                None
            }
        };
        if let Some(e) = end {
            self.end(e);
        }
        self.end_if_drained();
    }

    fn abort_with_error(&self, e: &crate::script::ScriptError) {
        self.ended.set(true);
        fail(&self.output, self.name, e);
        self.clear();
    }

    /// Outputs the stream's end and lets every sub-pipeline go.
    fn end(&self, evt: Event) {
        if self.ended.replace(true) {
            return;
        }
        self.output.emit(evt);
        self.clear();
    }

    fn clear(&self) {
        let old = std::mem::take(&mut *self.state.borrow_mut());
        drop(old);
    }
}

impl Drain for DemuxQueue {
    fn drain(&self, _close_idle: bool) {
        // Between requests there is nothing to cut: idle streams close at once, busy ones
        // after their last reply.
        self.draining.set(true);
        self.end_if_drained();
    }
}

/// Takes one reply event of receiver `r`: out now (`live`) or into its buffer. Returns true
/// when it completed a reply message. A premature end sets `abort`.
fn take_reply(
    r: &mut Receiver,
    evt: Event,
    live: bool,
    out: &mut Vec<Event>,
    abort: &mut Option<Event>,
) -> bool {
    let sink = if live { out } else { &mut r.buffer };
    match evt {
        Event::MessageStart(_) if !r.started => {
            r.started = true;
            sink.push(evt);
        }
        Event::Data(_) if r.started => sink.push(evt),
        Event::MessageEnd(_) if r.started => {
            r.started = false;
            r.remaining -= 1;
            sink.push(evt);
            return true;
        }
        Event::StreamEnd(_) => {
            if r.started {
                r.started = false;
                r.remaining -= 1;
                sink.push(Event::MessageEnd(MessageTail::default()));
                if r.remaining == 0 {
                    return true;
                }
            }
            if live {
                *abort = Some(evt);
            } else {
                r.eos = Some(evt);
            }
            return r.remaining == 0;
        }
        _ => {}
    }
    false
}

/// After the head receiver is done: outputs the buffered replies of the next ones, removing
/// each that is complete; stops at the first still under way.
fn flush_ready(
    receivers: &mut VecDeque<Receiver>,
    out: &mut Vec<Event>,
    abort: &mut Option<Event>,
) {
    while let Some(r) = receivers.front_mut() {
        out.append(&mut r.buffer);
        if r.remaining == 0 {
            receivers.pop_front();
            continue;
        }
        if let Some(eos) = r.eos.take() {
            *abort = Some(eos);
        }
        return;
    }
}
