//! The common part of the message decoders for non-HTTP protocols: buffering the byte stream
//! up to a size limit and cutting it into messages with a codec's own parser.

use bytes::{Buf, BytesMut};

use crate::event::{ErrorCode, Event, StreamEnd};
use crate::pipeline::{Filter, Output};

/// The largest message a decoder buffers unless told otherwise (`maxMessageSize`).
pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;

/// What a parser found at the start of the buffer.
pub enum Cut {
    /// A whole message: the events to output and how many bytes it took.
    Message(Vec<Event>, usize),
    /// Not enough bytes yet: at least this many are needed from the start of the buffer.
    More(usize),
    /// Malformed input: the stream ends with `ProtocolError`.
    Invalid(String),
}

/// A codec's parser: looks at the buffered bytes and cuts the next message off.
pub trait Deframe: 'static {
    /// Looks at `buf`, which starts where the previous message ended.
    fn cut(&mut self, buf: &[u8]) -> Cut;
}

/// A decoding filter around a [`Deframe`].
pub struct Framed<D: Deframe> {
    name: &'static str,
    parser: D,
    buffer: BytesMut,
    max: usize,
    output: Output,
    ended: bool,
    /// The parser asked for at least this many bytes: no use looking before they are here.
    wait_for: usize,
}

impl<D: Deframe> Framed<D> {
    /// A decoder named `name` (for logs) that refuses messages over `max` bytes.
    pub fn new(name: &'static str, parser: D, max: usize, output: Output) -> Self {
        Framed {
            name,
            parser,
            buffer: BytesMut::new(),
            max,
            output,
            ended: false,
            wait_for: 0,
        }
    }

    fn fail(&mut self, code: ErrorCode, why: &str) {
        tracing::debug!(target: "codec", "{}: {why}", self.name);
        self.ended = true;
        self.buffer = BytesMut::new();
        self.output.emit(StreamEnd::code(code));
    }
}

impl<D: Deframe> Filter for Framed<D> {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        match evt {
            Event::Data(b) => {
                self.buffer.extend_from_slice(&b);
                while !self.buffer.is_empty() && self.buffer.len() >= self.wait_for {
                    match self.parser.cut(&self.buffer) {
                        Cut::Message(evts, n) => {
                            self.buffer.advance(n);
                            self.wait_for = 0;
                            self.output.emit_all(evts);
                        }
                        Cut::More(needed) => {
                            // A message over the limit is refused as soon as that is known.
                            if self.buffer.len() > self.max || needed > self.max {
                                let why = format!("message over {} bytes", self.max);
                                self.fail(ErrorCode::BufferOverflow, &why);
                            }
                            self.wait_for = needed.max(self.buffer.len() + 1);
                            return;
                        }
                        Cut::Invalid(why) => return self.fail(ErrorCode::ProtocolError, &why),
                    }
                }
            }
            Event::StreamEnd(_) => {
                self.ended = true;
                self.output.emit(evt);
            }
            _ => {}
        }
    }
}

/// Reads `maxMessageSize` (a number or a size such as `'1m'`) from options argument `i`.
pub fn max_message_size(b: &super::Builder<'_, '_>, i: usize) -> Result<usize, String> {
    b.size_option(i, "maxMessageSize", DEFAULT_MAX_MESSAGE)
}
