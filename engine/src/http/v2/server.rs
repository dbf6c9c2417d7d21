//! The server side of an HTTP/2 connection, sans I/O (RFC 9113 §5, §6.9): bytes in through
//! [`ServerConnection::receive`], what happened out through [`ServerConnection::next_event`],
//! answers in through the `send_*` methods, and bytes to write from
//! [`ServerConnection::output`].
//!
//! It keeps the stream states, both sides' settings, the HPACK tables, and flow control in
//! both directions: response data waits in its stream while the peer's windows are closed and
//! goes out as WINDOW_UPDATEs open them; request data is credited back as it is received (the
//! engine's own back-pressure works on events, above this layer).

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;

use bytes::{Bytes, BytesMut};

use super::frame::{self, setting, ErrorCode, Frame, FrameError};
use super::hpack;
use super::request::RequestHead;

/// What this side announces in its SETTINGS.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub max_concurrent_streams: u32,
    /// SETTINGS_INITIAL_WINDOW_SIZE, and the connection window this side keeps open.
    pub initial_window: u32,
    /// SETTINGS_MAX_FRAME_SIZE.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE: a larger request head is answered 431 (see
    /// [`Event::HeadTooLarge`]).
    pub max_header_list_size: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_concurrent_streams: 256,
            initial_window: 1 << 20,
            max_frame_size: frame::DEFAULT_MAX_FRAME_SIZE,
            max_header_list_size: 64 << 10,
        }
    }
}

/// What a connection reports.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// A request head; `end_stream` when no body follows.
    Request {
        /// The stream.
        stream: u32,
        /// The head.
        head: RequestHead,
        /// No body follows.
        end_stream: bool,
    },
    /// A piece of a request body.
    Data {
        /// The stream.
        stream: u32,
        /// The bytes.
        data: Bytes,
        /// The body ends here.
        end_stream: bool,
    },
    /// A request's trailers (the body ends with them).
    Trailers {
        /// The stream.
        stream: u32,
        /// The fields.
        fields: Vec<(Bytes, Bytes)>,
    },
    /// A request head larger than [`Limits::max_header_list_size`]: answer 431.
    HeadTooLarge {
        /// The stream.
        stream: u32,
    },
    /// The stream ended abnormally: the peer reset it, or it broke the protocol (this side
    /// has sent RST_STREAM then).
    Reset {
        /// The stream.
        stream: u32,
        /// Why.
        code: ErrorCode,
    },
    /// The client is going away (it will open no new stream).
    GoAway {
        /// The last server-initiated stream it processed (none, for a server without push).
        last_stream: u32,
        /// Why.
        code: ErrorCode,
    },
}

/// The connection failed: GOAWAY has been written to the output; write it, then close.
#[derive(Debug, PartialEq, Eq)]
pub struct ConnectionError {
    /// The code sent in the GOAWAY.
    pub code: ErrorCode,
    /// Why, in words.
    pub reason: String,
}

/// A stream's state, as this side sees it (§5.1; idle and reserved states do not occur).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Both sides may send.
    Open,
    /// The client has ended its side.
    HalfClosedRemote,
    /// Half-closed (local): the response is complete before the request. The rest of the
    /// request is read (its window credited) and dropped, not reported. §8.1 would also let
    /// the server reset the stream with NO_ERROR, but clients in use (curl 7.88) then drop
    /// the response they already have.
    Answered,
}

struct Stream {
    phase: Phase,
    /// How much response data the peer lets this side send on the stream.
    send_window: i64,
    /// How much request data this side still accepts before it credits more.
    recv_window: i64,
    /// Response data waiting for window.
    pending: VecDeque<Bytes>,
    /// How the response ends once `pending` is out.
    pending_end: Option<End>,
    /// The request's `content-length`, which its DATA must add up to (§8.1.1).
    expected_len: Option<u64>,
    received_len: u64,
    /// Bytes in `pending`.
    pending_len: usize,
    /// The stream is in the connection's `waiting` list.
    waiting: bool,
    /// A response head has been sent: a reset from the client now cancels work the server
    /// did, as a stopped download does, not the cheap open-and-reset of a flood.
    head_sent: bool,
    /// What the request body goes to is full: its window is not opened again until it is
    /// not (see [`ServerConnection::set_paused`]).
    paused: bool,
}

/// How a response ends once its data is out.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum End {
    /// An empty DATA frame with END_STREAM (unless the last data carries the flag).
    Data,
    /// Trailers, HPACK-encoded only when they are written: encoding changes the dynamic
    /// table, and the client's decoder sees blocks in the order they are written.
    Trailers(Vec<(Bytes, Bytes)>),
}

/// A header block being received in HEADERS + CONTINUATION frames.
struct Continuing {
    stream: u32,
    end_stream: bool,
    self_dependent: bool,
    block: BytesMut,
}

/// How the connection begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// The client preface has not all come yet.
    Preface,
    /// Preface done; its SETTINGS frame must be next.
    Settings,
    /// Running.
    Open,
}

/// The server side of one HTTP/2 connection.
pub struct ServerConnection {
    limits: Limits,
    start: Start,
    decoder: hpack::Decoder,
    encoder: hpack::Encoder,
    streams: HashMap<u32, Stream>,
    /// The highest stream the client has opened.
    last_stream: u32,
    /// The peer's settings this side follows.
    peer_initial_window: u32,
    peer_max_frame_size: u32,
    /// The connection's windows.
    send_window: i64,
    recv_window: i64,
    continuing: Option<Continuing>,
    /// Streams whose response data waits for window, in the order they began to wait.
    waiting: VecDeque<u32>,
    events: VecDeque<Event>,
    out: BytesMut,
    /// A GOAWAY has been sent: no new stream is taken.
    going_away: bool,
    /// A graceful shutdown was announced (GOAWAY with the highest stream id, and a PING):
    /// streams the client opened before it heard are still taken until the PING's answer
    /// comes back, then the final GOAWAY names the last one (RFC 9113 §6.8).
    shutdown_announced: bool,
    /// Streams this side reset lately (most recent last): frames the client sent on them
    /// before it saw the RST_STREAM are ignored (§5.1, "closed").
    reset_lately: VecDeque<u32>,
    /// Streams reset before any answer (by the client, or by this side for the client's
    /// errors) and not yet made up for by requests answered (see [`Self::credit`]): past
    /// [`MAX_RESET_DEBT`] the connection ends with ENHANCE_YOUR_CALM (the "rapid reset"
    /// attack, CVE-2023-44487).
    reset_debt: u32,
    /// Response bytes waiting for the client's windows, on all streams.
    pending_total: usize,
}

/// The largest header block taken (in HEADERS + CONTINUATION) before the connection is
/// ended: beyond what a 431 answer needs to know, a flood.
const MAX_BLOCK: usize = 256 << 10;

/// How many streams may be reset more than have completed before the connection ends.
/// Browsers cancel streams (a page left, a download stopped), but a few, among many that
/// complete; a client that only opens and resets streams makes the server work for nothing.
pub const MAX_RESET_DEBT: u32 = 200;

/// The payload of the PING that follows a shutdown's first GOAWAY.
const SHUTDOWN_PING: [u8; 8] = *b"shutdown";

/// How many recently reset streams are remembered (to ignore the client's frames in flight):
/// twice the streams a connection may have open, so a burst of resets (an upstream failing
/// every stream at once) is covered.
const RESET_MEMORY: usize = 512;

/// Response bytes waiting for a client's windows above which its new streams are refused
/// (REFUSED_STREAM, which clients retry): a client that opens streams but does not read
/// their answers cannot make the server hold more than this plus what is under way.
pub const MAX_PENDING: usize = 8 << 20;

impl ServerConnection {
    /// A connection whose SETTINGS (this side's preface) are already in the output.
    pub fn new(limits: Limits) -> ServerConnection {
        let mut out = BytesMut::with_capacity(4096);
        frame::write_settings(
            &mut out,
            &[
                (
                    setting::MAX_CONCURRENT_STREAMS,
                    limits.max_concurrent_streams,
                ),
                (setting::INITIAL_WINDOW_SIZE, limits.initial_window),
                (setting::MAX_FRAME_SIZE, limits.max_frame_size),
                (setting::MAX_HEADER_LIST_SIZE, limits.max_header_list_size),
                (setting::ENABLE_CONNECT_PROTOCOL, 1),
            ],
        );
        let extra = i64::from(limits.initial_window) - i64::from(frame::DEFAULT_WINDOW);
        if extra > 0 {
            frame::write_window_update(&mut out, 0, extra as u32);
        }
        ServerConnection {
            limits,
            start: Start::Preface,
            decoder: hpack::Decoder::new(4096),
            encoder: hpack::Encoder::new(4096),
            streams: HashMap::default(),
            last_stream: 0,
            peer_initial_window: frame::DEFAULT_WINDOW,
            peer_max_frame_size: frame::DEFAULT_MAX_FRAME_SIZE,
            send_window: i64::from(frame::DEFAULT_WINDOW),
            recv_window: i64::from(limits.initial_window.max(frame::DEFAULT_WINDOW)),
            continuing: None,
            waiting: VecDeque::new(),
            events: VecDeque::new(),
            out,
            going_away: false,
            shutdown_announced: false,
            reset_lately: VecDeque::new(),
            reset_debt: 0,
            pending_total: 0,
        }
    }

    /// The bytes to write to the peer (taken: the next call has only what came since).
    pub fn output(&mut self) -> BytesMut {
        self.out.split()
    }

    /// True when there are bytes to write.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Streams open (not closed on both sides).
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Takes the whole frames at the front of `input`. On a connection error the GOAWAY is in
    /// the output and the connection must close once it is written.
    pub fn receive(&mut self, input: &mut BytesMut) -> Result<(), ConnectionError> {
        if self.start == Start::Preface {
            let n = input.len().min(frame::PREFACE.len());
            if input[..n] != frame::PREFACE[..n] {
                return Err(self.fail(ErrorCode::PROTOCOL, "not an HTTP/2 client preface".into()));
            }
            if n < frame::PREFACE.len() {
                return Ok(());
            }
            let _ = input.split_to(n);
            self.start = Start::Settings;
        }
        loop {
            match frame::next(input, self.limits.max_frame_size) {
                Ok(Some(f)) => self.frame(f)?,
                Ok(None) => return Ok(()),
                Err(FrameError::Connection(code, why)) => return Err(self.fail(code, why.into())),
                Err(FrameError::Stream(stream, code, why)) => self.reset_stream(stream, code, why),
            }
            if self.reset_debt > MAX_RESET_DEBT {
                return Err(self.fail(
                    ErrorCode::ENHANCE_YOUR_CALM,
                    "too many streams reset".into(),
                ));
            }
        }
    }

    fn fail(&mut self, code: ErrorCode, reason: String) -> ConnectionError {
        tracing::debug!(target: "http", "HTTP/2 connection error {}: {reason}", code.name());
        frame::write_goaway(&mut self.out, self.last_stream, code, reason.as_bytes());
        self.going_away = true;
        ConnectionError { code, reason }
    }

    /// Ends one stream for breaking the protocol: RST_STREAM out, a Reset event up.
    fn reset_stream(&mut self, stream: u32, code: ErrorCode, why: &str) {
        tracing::debug!(target: "http", "HTTP/2 stream {stream} error {}: {why}", code.name());
        self.reset_debt += 1;
        self.write_reset(stream, code);
        if let Some(s) = self.streams.remove(&stream) {
            self.pending_total -= s.pending_len;
            self.events.push_back(Event::Reset { stream, code });
        }
    }

    /// Writes RST_STREAM and remembers the stream a while, so that what the client sent on
    /// it before it learned is ignored.
    pub(super) fn write_reset(&mut self, stream: u32, code: ErrorCode) {
        frame::write_rst_stream(&mut self.out, stream, code);
        if self.reset_lately.len() >= RESET_MEMORY {
            self.reset_lately.pop_front();
        }
        self.reset_lately.push_back(stream);
    }

    /// True when this side reset `stream` lately.
    fn was_reset(&self, stream: u32) -> bool {
        self.reset_lately.contains(&stream)
    }

    fn frame(&mut self, f: Frame) -> Result<(), ConnectionError> {
        if self.start == Start::Settings && !matches!(f, Frame::Settings { ack: false, .. }) {
            return Err(self.fail(
                ErrorCode::PROTOCOL,
                "the client preface's first frame is not SETTINGS".into(),
            ));
        }
        if let Some(c) = &self.continuing {
            let ok = matches!(&f, Frame::Continuation { stream, .. } if *stream == c.stream);
            if !ok {
                return Err(self.fail(
                    ErrorCode::PROTOCOL,
                    "a header block interrupted before its end".into(),
                ));
            }
        }
        match f {
            Frame::Settings { ack, params } => self.settings(ack, &params),
            Frame::Headers {
                stream,
                end_stream,
                end_headers,
                priority,
                block,
            } => {
                let self_dependent = priority.is_some_and(|p| p.dependency == stream);
                if !end_headers {
                    let mut b = BytesMut::with_capacity(block.len() * 2);
                    b.extend_from_slice(&block);
                    self.continuing = Some(Continuing {
                        stream,
                        end_stream,
                        self_dependent,
                        block: b,
                    });
                    return Ok(());
                }
                self.header_block(stream, end_stream, self_dependent, block)
            }
            Frame::Continuation {
                end_headers, block, ..
            } => {
                let Some(c) = self.continuing.as_mut() else {
                    return Err(self.fail(
                        ErrorCode::PROTOCOL,
                        "CONTINUATION without a header block".into(),
                    ));
                };
                c.block.extend_from_slice(&block);
                if c.block.len() > MAX_BLOCK {
                    return Err(self.fail(
                        ErrorCode::ENHANCE_YOUR_CALM,
                        "header block too large".into(),
                    ));
                }
                if end_headers {
                    let c = self.continuing.take().expect("checked above");
                    self.header_block(c.stream, c.end_stream, c.self_dependent, c.block.freeze())?;
                }
                Ok(())
            }
            Frame::Data {
                stream,
                end_stream,
                data,
                flow_len,
            } => self.data(stream, end_stream, data, flow_len),
            Frame::WindowUpdate { stream, increment } => self.window_update(stream, increment),
            Frame::Ping { ack, data } => {
                if !ack {
                    frame::write_ping(&mut self.out, data, true);
                } else if data == SHUTDOWN_PING && self.shutdown_announced && !self.going_away {
                    // A round trip since the announcement: whatever the client opened before
                    // it heard has come. The final GOAWAY names the last of it.
                    self.going_away = true;
                    frame::write_goaway(&mut self.out, self.last_stream, ErrorCode::NO_ERROR, b"");
                }
                Ok(())
            }
            Frame::RstStream { stream, code } => {
                if stream > self.last_stream {
                    return Err(
                        self.fail(ErrorCode::PROTOCOL, "RST_STREAM on an idle stream".into())
                    );
                }
                if let Some(s) = self.streams.remove(&stream) {
                    // A stream the server has begun to answer was not opened in vain.
                    if !s.head_sent {
                        self.reset_debt += 1;
                    }
                    self.pending_total -= s.pending_len;
                    self.events.push_back(Event::Reset { stream, code });
                }
                Ok(())
            }
            Frame::GoAway {
                last_stream, code, ..
            } => {
                self.events.push_back(Event::GoAway { last_stream, code });
                Ok(())
            }
            Frame::PushPromise { .. } => {
                Err(self.fail(ErrorCode::PROTOCOL, "PUSH_PROMISE from a client".into()))
            }
            Frame::Priority { .. } | Frame::Unknown { .. } => Ok(()),
        }
    }

    fn settings(&mut self, ack: bool, params: &[(u16, u32)]) -> Result<(), ConnectionError> {
        if ack {
            return Ok(());
        }
        self.start = Start::Open;
        for &(id, value) in params {
            match id {
                setting::HEADER_TABLE_SIZE => self.encoder.set_max_size(value.min(4096) as usize),
                setting::INITIAL_WINDOW_SIZE => {
                    let delta = i64::from(value) - i64::from(self.peer_initial_window);
                    self.peer_initial_window = value;
                    let mut too_large = false;
                    for s in self.streams.values_mut() {
                        s.send_window += delta;
                        too_large |= s.send_window > i64::from(frame::MAX_WINDOW);
                    }
                    if too_large {
                        return Err(self.fail(
                            ErrorCode::FLOW_CONTROL,
                            "a stream window above 2^31-1".into(),
                        ));
                    }
                }
                setting::MAX_FRAME_SIZE => self.peer_max_frame_size = value,
                _ => {}
            }
        }
        frame::write_settings_ack(&mut self.out);
        self.flush_waiting();
        Ok(())
    }

    /// Holds (or lets go again) the request body of `stream`: while held, the stream's window
    /// is not opened again, so the client stops once it has sent a window's worth.
    pub fn set_paused(&mut self, stream: u32, paused: bool) {
        let window = i64::from(self.limits.initial_window);
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        s.paused = paused;
        if !paused && s.phase != Phase::HalfClosedRemote && s.recv_window < window / 2 {
            frame::write_window_update(&mut self.out, stream, (window - s.recv_window) as u32);
            s.recv_window = window;
        }
    }

    /// True while this side may still send on `stream` (it has not ended its side).
    pub fn is_open_locally(&self, stream: u32) -> bool {
        self.streams
            .get(&stream)
            .is_some_and(|s| s.phase != Phase::Answered && s.pending_end.is_none())
    }

    /// Response bytes of `stream` waiting for the client's window.
    pub fn pending_len(&self, stream: u32) -> usize {
        self.streams.get(&stream).map_or(0, |s| s.pending_len)
    }

    /// The client ended its side of `stream`.
    fn remote_end(&mut self, stream: u32) {
        if let Some(s) = self.streams.get_mut(&stream) {
            s.phase = Phase::HalfClosedRemote;
        }
    }

    /// This side ended `stream`: it is over, or, with the request still coming, answered.
    fn local_end(&mut self, stream: u32) {
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        if s.phase == Phase::Open {
            s.phase = Phase::Answered;
            // The rest of the request is dropped as it comes: it must not wait for a window
            // that whoever paused it will never open.
            s.paused = false;
            let window = i64::from(self.limits.initial_window);
            if s.recv_window < window / 2 {
                frame::write_window_update(&mut self.out, stream, (window - s.recv_window) as u32);
                s.recv_window = window;
            }
            return;
        }
        self.completed(stream);
    }

    /// The stream is over on both sides.
    fn completed(&mut self, stream: u32) {
        if let Some(s) = self.streams.remove(&stream) {
            self.pending_total -= s.pending_len;
        }
    }

    /// A request reached the application and was answered: it makes up for one reset.
    /// (Answers the codec makes alone, such as 431, earn nothing: they cost a flood nothing.)
    pub fn credit(&mut self) {
        self.reset_debt = self.reset_debt.saturating_sub(1);
    }

    fn window_update(&mut self, stream: u32, increment: u32) -> Result<(), ConnectionError> {
        let inc = i64::from(increment);
        if stream == 0 {
            self.send_window += inc;
            if self.send_window > i64::from(frame::MAX_WINDOW) {
                return Err(self.fail(
                    ErrorCode::FLOW_CONTROL,
                    "the connection window above 2^31-1".into(),
                ));
            }
        } else if let Some(s) = self.streams.get_mut(&stream) {
            s.send_window += inc;
            if s.send_window > i64::from(frame::MAX_WINDOW) {
                self.reset_stream(
                    stream,
                    ErrorCode::FLOW_CONTROL,
                    "a stream window above 2^31-1",
                );
                return Ok(());
            }
        } else if stream > self.last_stream {
            return Err(self.fail(
                ErrorCode::PROTOCOL,
                "WINDOW_UPDATE on an idle stream".into(),
            ));
        }
        self.flush_waiting();
        Ok(())
    }
}

#[path = "server_recv.rs"]
mod recv;

#[path = "server_send.rs"]
mod send;

#[cfg(test)]
#[path = "server_tests/mod.rs"]
mod tests;
