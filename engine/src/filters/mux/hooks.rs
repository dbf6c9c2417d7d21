//! The protocol hooks: how a multiplexed protocol plugs into the generic core.
//!
//! The core ([`super::session`], [`super::pool`], [`super::replies`]) knows streams, sessions,
//! pools and which request is waiting for which reply. It does not know bytes. A protocol
//! supplies a [`MuxProtocol`] per session (the client side: many streams share one upstream
//! session) and, for the server side, a [`DemuxProtocol`] per `demux` instance.
//!
//! # Writing a client-side protocol (a `muxDubbo`-style filter)
//!
//! 1. Implement [`MuxProtocol`] for the per-session codec state:
//!    * [`MuxProtocol::request`] gets each complete request message of a stream (head, body,
//!      tail) and writes the events the session sub-pipeline should see (for a byte
//!      protocol: `Data` with the encoded frame; for the generic `mux`: the message itself).
//!      It answers with an [`Expect`]: how many replies, and the id they will carry (`None` =
//!      replies come back in request order, FIFO).
//!    * [`MuxProtocol::reply`] gets every event the session sub-pipeline outputs (for a byte
//!      protocol: `Data` from the upstream connection; decode as much as is complete and keep
//!      the rest). It pushes reply message events (`MessageStart`, `Data`, `MessageEnd`),
//!      each with a [`Route`]: [`Route::Next`] (the oldest waiting request) or
//!      [`Route::Id`] (the request whose [`Expect::id`] matches — HTTP/2 stream ids, Dubbo
//!      request ids, Thrift seqids). Pushing a `StreamEnd` ends the session (a framing error,
//!      say): every waiting stream gets it.
//! 2. Make the filter with [`super::MuxCore::new`] and a factory making one protocol state per
//!    session; the core then does key selection, pooling, `maxIdle`/`maxQueue`/`maxMessages`,
//!    reply matching, and ending streams in order.
//!
//! Session output is matched to requests strictly by these routes: a reply for an unknown id
//! is dropped (with a debug log), and one reply message completes one expected reply.
//!
//! A sketch of an id-matched protocol (framing details left out):
//!
//! ```ignore
//! struct DubboClient { next_id: u64, pending: BytesMut }
//!
//! impl MuxProtocol for DubboClient {
//!     fn request(&mut self, req: Request, replies: usize, out: &mut Vec<Event>) -> Expect {
//!         self.next_id += 1;
//!         out.push(Event::Data(encode_frame(self.next_id, &req)));  // head + body bytes
//!         Expect { replies, id: Some(self.next_id) }
//!     }
//!     fn reply(&mut self, event: Event, out: &mut Vec<(Route, Event)>) {
//!         if let Event::Data(b) = event {
//!             self.pending.extend_from_slice(&b);
//!             while let Some((id, head, body)) = take_frame(&mut self.pending) {
//!                 out.push((Route::Id(id), Event::MessageStart(head)));
//!                 out.push((Route::Id(id), Event::Data(body)));
//!                 out.push((Route::Id(id), Event::MessageEnd(Default::default())));
//!             }
//!         }
//!     }
//! }
//!
//! // The filter's build function: the generic (key, options) arguments, then the core.
//! let (key, options) = mux_filter::key_and_options(b)?;
//! let factory: ProtocolFactory = Rc::new(|| Box::new(DubboClient::default()));
//! let core = MuxCore::new("muxDubbo", layout, key, options, factory);
//! // FilterProto::instantiate(init) => core.instantiate(init)
//! ```
//!
//! # Writing a server-side protocol (a `demuxDubbo`-style filter)
//!
//! Decode bytes into request messages before the demux core and encode replies after it; the
//! [`DemuxProtocol`] only tells the core how many replies each request has and whether replies
//! must leave in request order (HTTP/1, Redis) or may leave as each completes (HTTP/2, Dubbo).
//! Make one [`super::DemuxQueue`] per filter instance with [`super::DemuxQueue::new`] and feed
//! it the decoded messages with [`super::DemuxQueue::input`]; its output is the reply messages
//! (give it an `Output` that runs your encoder).

use bytes::Bytes;

use crate::event::{Event, MessageTail};
use crate::script::JsValue;

/// One complete request message from a stream, ready to frame.
pub struct Request {
    /// The `MessageStart` head.
    pub head: Option<JsValue>,
    /// The body, in the chunks it came in.
    pub body: Vec<Bytes>,
    /// The `MessageEnd` tail and payload.
    pub tail: MessageTail,
}

impl Request {
    /// The request as events: `MessageStart`, one `Data` (when the body is not empty),
    /// `MessageEnd`.
    pub fn into_events(self, out: &mut Vec<Event>) {
        out.push(Event::MessageStart(self.head));
        match self.body.len() {
            0 => {}
            1 => out.extend(self.body.into_iter().map(Event::Data)),
            _ => out.push(Event::Data(self.body.concat().into())),
        }
        out.push(Event::MessageEnd(self.tail));
    }
}

/// What a request waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    /// Reply messages to route back to the stream (0 = one-way: nothing is waited for).
    pub replies: usize,
    /// The id replies carry; `None` = replies come in request order.
    pub id: Option<u64>,
}

/// Where one piece of session output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// To the oldest request still waiting (FIFO).
    Next,
    /// To the request that was sent with this [`Expect::id`].
    Id(u64),
}

/// The client-side framing of one session (one state per session, made by a factory).
pub trait MuxProtocol {
    /// Frames one request of a stream into events for the session sub-pipeline (`out`).
    /// `replies` is what the filter's `outputCount`/`isOneWay` option says for it (1 when not
    /// given); a protocol that knows better (a one-way flag in its head) may answer otherwise.
    fn request(&mut self, request: Request, replies: usize, out: &mut Vec<Event>) -> Expect;

    /// Takes one event the session sub-pipeline output (never `StreamEnd`: the core handles
    /// the end of the session) and pushes the reply events it completes, with their routes.
    fn reply(&mut self, event: Event, out: &mut Vec<(Route, Event)>);
}

/// Makes the protocol state of a new session.
pub type ProtocolFactory = std::rc::Rc<dyn Fn() -> Box<dyn MuxProtocol>>;

/// The generic protocol of `mux` and `muxQueue`: request messages go to the session as they
/// are, and the session's output messages answer them in order.
#[derive(Default)]
pub struct QueueProtocol;

impl MuxProtocol for QueueProtocol {
    fn request(&mut self, request: Request, replies: usize, out: &mut Vec<Event>) -> Expect {
        request.into_events(out);
        Expect { replies, id: None }
    }

    fn reply(&mut self, event: Event, out: &mut Vec<(Route, Event)>) {
        out.push((Route::Next, event));
    }
}

/// The server-side hooks of a `demux`-style filter.
pub trait DemuxProtocol {
    /// Replies expected for the request starting with `start`: 0 = none (one-way), negative =
    /// `-n` replies and no further request is read until they are out.
    fn replies(&mut self, start: &Event) -> Result<i32, crate::script::ScriptError>;

    /// True when replies must leave in request order (a later reply waits for earlier ones);
    /// false when each reply may leave as soon as it is complete.
    fn ordered(&self) -> bool {
        true
    }
}
