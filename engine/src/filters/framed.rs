//! The decoders of protocols that cut a byte stream into whole messages (Dubbo, Thrift, BGP):
//! buffering up to a size limit and cutting with a codec's own parser. The filter around it is
//! [`super::codec_glue::Decoding`].

use bytes::{Buf, Bytes, BytesMut};

use super::codec_glue::{decoding_proto, StreamDecoder};
use super::{Builder, FilterDescriptor};
use crate::codec::DecodeError;
use crate::event::Event;
use crate::pipeline::FilterProto;

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

/// The buffer and parser of a framed decoder: a [`StreamDecoder`] for
/// [`super::codec_glue::Decoding`].
pub struct Framed<D> {
    parser: D,
    buffer: BytesMut,
    max: usize,
    /// The parser asked for at least this many bytes: no use looking before they are here.
    wait_for: usize,
}

impl<D: Deframe> Framed<D> {
    /// A decoder that cuts with `parser`, refusing messages over `max` bytes.
    pub fn new(parser: D, max: usize) -> Self {
        Framed {
            parser,
            buffer: BytesMut::new(),
            max,
            wait_for: 0,
        }
    }
}

impl<D: Deframe> StreamDecoder for Framed<D> {
    fn decode(&mut self, bytes: &Bytes, out: &mut Vec<Event>) -> Result<(), DecodeError> {
        self.buffer.extend_from_slice(bytes);
        while !self.buffer.is_empty() && self.buffer.len() >= self.wait_for {
            match self.parser.cut(&self.buffer) {
                Cut::Message(evts, n) => {
                    self.buffer.advance(n);
                    self.wait_for = 0;
                    out.extend(evts);
                }
                Cut::More(needed) => {
                    // A message over the limit is refused as soon as that is known.
                    if self.buffer.len() > self.max || needed > self.max {
                        let size = needed.max(self.buffer.len()) as u64;
                        self.buffer = BytesMut::new();
                        return Err(DecodeError::TooLarge {
                            size,
                            limit: self.max,
                        });
                    }
                    self.wait_for = needed.max(self.buffer.len() + 1);
                    return Ok(());
                }
                Cut::Invalid(why) => {
                    self.buffer = BytesMut::new();
                    return Err(DecodeError::Malformed(why));
                }
            }
        }
        Ok(())
    }
}

/// The prototype of the framed decoding filter `desc` whose parser keeps no state of the
/// stream (Dubbo, Thrift): each stream gets a copy; `maxMessageSize` is read from options
/// argument 0.
pub fn framed_proto<D: Deframe + Clone>(
    b: &Builder<'_, '_>,
    desc: &'static FilterDescriptor,
    parser: D,
) -> Result<Box<dyn FilterProto>, String> {
    let max = max_message_size(b, 0)?;
    decoding_proto(desc, move |_| Framed::new(parser.clone(), max))
}

/// Reads `maxMessageSize` (a number or a size such as `'1m'`) from options argument `i`.
pub fn max_message_size(b: &Builder<'_, '_>, i: usize) -> Result<usize, String> {
    b.size_option(i, "maxMessageSize", DEFAULT_MAX_MESSAGE)
}
