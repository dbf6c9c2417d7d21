//! What the protocol codec filters (MQTT, RESP, WebSocket, netlink, Dubbo, Thrift, BGP, ...)
//! share: the decoding filter that feeds `Data` to a codec's decoder, the encoding filter that
//! collects a message and hands it to a codec's writer, and how either ends a stream on bad
//! input. A codec brings only its own part: a [`StreamDecoder`] or a [`MessageEncoder`].

use std::rc::Rc;

use bytes::{Bytes, BytesMut};

use super::FilterDescriptor;
use crate::codec::DecodeError;
use crate::event::{ErrorCode, Event, MessageTail, StreamEnd};
use crate::pipeline::{Context, Filter, FilterProto, FnProto, Output};
use crate::script::JsValue;

/// Ends the stream after a decoder error: a frame over the limit is `BufferOverflow`,
/// anything else `ProtocolError`.
pub(super) fn fail(output: &Output, codec: &str, err: &DecodeError) {
    tracing::warn!(target: "codec", "{codec}: {err}; the stream ends");
    let code = match err {
        DecodeError::TooLarge { .. } => ErrorCode::BufferOverflow,
        DecodeError::Malformed(_) => ErrorCode::ProtocolError,
    };
    output.emit(StreamEnd::code(code));
}

/// A codec's incremental decoder, driven by [`Decoding`].
pub(super) trait StreamDecoder: 'static {
    /// Decodes the bytes that came in after the previous call, appending the events of what
    /// they complete to `out`. An error ends the stream after the events already in `out`.
    fn decode(&mut self, bytes: &Bytes, out: &mut Vec<Event>) -> Result<(), DecodeError>;
}

/// A decoding filter: `Data` goes to its [`StreamDecoder`], the messages it completes go
/// out; the first decode error ends the stream ([`fail`]) and nothing after it is read.
/// Message events from upstream are dropped (the input is bytes); `StreamEnd` passes.
pub(super) struct Decoding<D> {
    name: &'static str,
    decoder: D,
    output: Output,
    ended: bool,
}

impl<D: StreamDecoder> Decoding<D> {
    /// The filter `name` (for the log line when a stream ends on bad input) around `decoder`.
    pub(super) fn new(name: &'static str, decoder: D, output: Output) -> Self {
        Decoding {
            name,
            decoder,
            output,
            ended: false,
        }
    }
}

impl<D: StreamDecoder> Filter for Decoding<D> {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        match evt {
            Event::Data(b) => {
                let mut out = Vec::new();
                let r = self.decoder.decode(&b, &mut out);
                self.output.emit_all(out);
                if let Err(e) = r {
                    self.ended = true;
                    fail(&self.output, self.name, &e);
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

/// One whole message, as [`Encoding`] collected it.
pub(super) struct Message {
    /// The head of its `MessageStart` (`None`: a message with no head).
    pub head: Option<JsValue>,
    /// Its `Data`, joined.
    pub body: Bytes,
    /// Its `MessageEnd`; `None` when the stream ended first (see
    /// [`MessageEncoder::AT_STREAM_END`]).
    pub end: Option<MessageTail>,
}

/// A codec's writer, driven by [`Encoding`].
pub(super) trait MessageEncoder: 'static {
    /// Whether a message the stream cut short (a `StreamEnd` before its `MessageEnd`) is
    /// still written; otherwise it is dropped.
    const AT_STREAM_END: bool = false;
    /// Writes one message: the events that stand for it downstream (its bytes, often framed
    /// by the message's own start and end), or a plain-words error that ends the stream.
    fn encode(&mut self, message: Message) -> Result<Vec<Event>, String>;
}

/// An encoding filter: collects each message (head, body, end) and outputs what its
/// [`MessageEncoder`] writes for it; an encoding error ends the stream with a runtime error.
/// Events outside a message are dropped; `StreamEnd` passes.
pub(super) struct Encoding<E> {
    name: &'static str,
    encoder: E,
    output: Output,
    /// The head of the message being collected (`Some(None)`: a message with no head).
    head: Option<Option<JsValue>>,
    body: BytesMut,
    ended: bool,
}

impl<E: MessageEncoder> Encoding<E> {
    /// The filter `name` (for errors) around `encoder`.
    pub(super) fn new(name: &'static str, encoder: E, output: Output) -> Self {
        Encoding {
            name,
            encoder,
            output,
            head: None,
            body: BytesMut::new(),
            ended: false,
        }
    }

    fn write(&mut self, head: Option<JsValue>, end: Option<MessageTail>) -> bool {
        let body = std::mem::take(&mut self.body).freeze();
        match self.encoder.encode(Message { head, body, end }) {
            Ok(evts) => {
                self.output.emit_all(evts);
                true
            }
            Err(e) => {
                tracing::warn!(target: "codec", "{}: {e}", self.name);
                self.ended = true;
                self.output
                    .emit(StreamEnd::runtime(format!("{}: {e}", self.name)));
                false
            }
        }
    }
}

impl<E: MessageEncoder> Filter for Encoding<E> {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        match evt {
            Event::MessageStart(head) => {
                if self.head.is_none() {
                    self.head = Some(head);
                    self.body.clear();
                }
            }
            Event::Data(b) => {
                if self.head.is_some() {
                    self.body.extend_from_slice(&b);
                }
            }
            Event::MessageEnd(end) => {
                if let Some(head) = self.head.take() {
                    self.write(head, Some(end));
                }
            }
            Event::StreamEnd(_) => {
                if let Some(head) = self.head.take() {
                    if E::AT_STREAM_END && !self.write(head, None) {
                        return;
                    }
                }
                self.ended = true;
                self.output.emit(evt);
            }
        }
    }
}

/// The prototype of the decoding filter `desc`: each stream gets the decoder `decoder` makes
/// for its context.
pub(super) fn decoding_proto<D: StreamDecoder>(
    desc: &'static FilterDescriptor,
    decoder: impl Fn(Rc<Context>) -> D + 'static,
) -> Result<Box<dyn FilterProto>, String> {
    Ok(Box::new(FnProto::new(desc, move |init| {
        Box::new(Decoding::new(desc.name, decoder(init.context), init.output))
    })))
}

/// The prototype of the encoding filter `desc`: each stream gets the encoder `encoder` makes
/// for its context.
pub(super) fn encoding_proto<E: MessageEncoder>(
    desc: &'static FilterDescriptor,
    encoder: impl Fn(Rc<Context>) -> E + 'static,
) -> Result<Box<dyn FilterProto>, String> {
    Ok(Box::new(FnProto::new(desc, move |init| {
        Box::new(Encoding::new(desc.name, encoder(init.context), init.output))
    })))
}

/// Declares a codec's two plain filters and the module's `FILTERS`, which lists them:
/// `DECODE`, named `decodeX([options])`, and `ENCODE`, named `encodeX()`, or
/// `encodeX([options])` when its options are described too.
macro_rules! codec_filters {
    (
        $(#[$doc:meta])*
        decode $decode:literal: $decode_help:literal,
            options $decode_options:literal,
            build $decode_build:expr;
        encode $encode:literal: $encode_help:literal,
            $(options $encode_options:literal,)?
            build $encode_build:expr;
    ) => {
        static DECODE: $crate::filters::FilterDescriptor = $crate::filters::FilterDescriptor {
            name: $decode,
            kind: $crate::filters::FilterKind::Plain,
            signature: "([options])",
            help: $decode_help,
            params: &[("options", $decode_options)],
            build: $decode_build,
        };

        static ENCODE: $crate::filters::FilterDescriptor = $crate::filters::FilterDescriptor {
            name: $encode,
            kind: $crate::filters::FilterKind::Plain,
            signature: codec_filters!(@signature $($encode_options)?),
            help: $encode_help,
            params: &[$(("options", $encode_options))?],
            build: $encode_build,
        };

        $(#[$doc])*
        pub static FILTERS: &[&$crate::filters::FilterDescriptor] = &[&DECODE, &ENCODE];
    };
    (@signature) => {
        "()"
    };
    (@signature $options:literal) => {
        "([options])"
    };
}

pub(super) use codec_filters;
