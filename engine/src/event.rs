//! Events: what flows through pipelines (docs/concepts.md, "Events").
//!
//! A stream is a sequence of events: raw `Data`, messages bracketed by `MessageStart` and
//! `MessageEnd`, and exactly one `StreamEnd`. Events are cheap to clone: `Data` is a
//! reference-counted [`Bytes`] slice and heads/tails are reference-counted JS values.

use std::fmt;

use bytes::Bytes;

use crate::script::JsValue;

/// One event in a stream.
#[derive(Clone, Debug)]
pub enum Event {
    /// A chunk of bytes. An empty chunk is a "flush" marker.
    Data(Bytes),
    /// Start of a message, with its protocol head (a JS object, or none).
    MessageStart(Option<JsValue>),
    /// End of a message, with its tail and payload.
    MessageEnd(MessageTail),
    /// End of the stream, with or without an error.
    StreamEnd(StreamEnd),
}

/// What a `MessageEnd` carries.
#[derive(Clone, Debug, Default)]
pub struct MessageTail {
    /// Protocol trailer (e.g. HTTP `{headSize, bodySize}`), if any.
    pub tail: Option<JsValue>,
    /// A decoded value for codecs that produce one.
    pub payload: Option<JsValue>,
}

/// The end of a stream and why it ended.
#[derive(Clone, Debug, Default)]
pub struct StreamEnd {
    /// `None` for a normal close.
    pub error: Option<StreamError>,
}

/// Why a stream ended abnormally.
#[derive(Clone, Debug)]
pub enum StreamError {
    /// One of the named error codes (docs/reference/api.md, ErrorName).
    Code(ErrorCode),
    /// A script error or a value given to `new StreamEnd(value)`.
    Runtime(RuntimeError),
}

/// The value a `RuntimeError` carries.
#[derive(Clone, Debug)]
pub enum RuntimeError {
    /// A message from the engine.
    Message(String),
    /// A script value.
    Value(JsValue),
}

macro_rules! error_codes {
    ($($name:ident = $status:expr, $text:expr;)*) => {
        /// Named stream-end error codes (docs/reference/api.md, ErrorName), in Pipy's numbering
        /// from 1.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode { $($name),* }

        impl ErrorCode {
            /// Every code, in order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The name scripts see, e.g. `"ConnectionRefused"`.
            pub fn name(self) -> &'static str {
                match self { $(ErrorCode::$name => stringify!($name)),* }
            }

            /// The HTTP status and reason a response decoder synthesizes for this error.
            pub fn http_status(self) -> (u16, &'static str) {
                match self { $(ErrorCode::$name => ($status, $text)),* }
            }
        }
    };
}

error_codes! {
    Replay = 502, "Bad Gateway";
    RuntimeError = 502, "Bad Gateway";
    ReadError = 502, "Read Error";
    WriteError = 502, "Write Error";
    CannotResolve = 502, "Cannot Resolve";
    ConnectionAborted = 502, "Bad Gateway";
    ConnectionReset = 502, "Bad Gateway";
    ConnectionRefused = 502, "Connection Refused";
    ConnectionTimeout = 504, "Gateway Timeout";
    ReadTimeout = 504, "Gateway Timeout";
    WriteTimeout = 504, "Gateway Timeout";
    IdleTimeout = 504, "Gateway Timeout";
    BufferOverflow = 502, "Bad Gateway";
    ProtocolError = 502, "Bad Gateway";
    Unauthorized = 401, "Unauthorized";
}

impl ErrorCode {
    /// Looks a code up by its script name.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// Maps an I/O error to the code a socket filter reports.
    pub fn from_io(err: &std::io::Error, reading: bool) -> ErrorCode {
        use std::io::ErrorKind::*;
        match err.kind() {
            ConnectionRefused => ErrorCode::ConnectionRefused,
            ConnectionReset | BrokenPipe => ErrorCode::ConnectionReset,
            ConnectionAborted => ErrorCode::ConnectionAborted,
            TimedOut => ErrorCode::ConnectionTimeout,
            _ if reading => ErrorCode::ReadError,
            _ => ErrorCode::WriteError,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl StreamEnd {
    /// A normal end.
    pub fn ok() -> Event {
        Event::StreamEnd(StreamEnd { error: None })
    }

    /// An end with a named error code.
    pub fn code(code: ErrorCode) -> Event {
        Event::StreamEnd(StreamEnd {
            error: Some(StreamError::Code(code)),
        })
    }

    /// The HTTP status a server answers with when a request's stream ends this way before any
    /// response: 200 for a normal end, 500 for a script error, the code's own status otherwise.
    pub fn http_status(&self) -> (u16, &'static str) {
        match &self.error {
            None => (200, "OK"),
            Some(StreamError::Runtime(_)) => (500, "Internal Server Error"),
            Some(StreamError::Code(c)) => c.http_status(),
        }
    }

    /// An end caused by a runtime error with a message.
    pub fn runtime(message: impl Into<String>) -> Event {
        Event::StreamEnd(StreamEnd {
            error: Some(StreamError::Runtime(RuntimeError::Message(message.into()))),
        })
    }

    /// The error code, treating every runtime error as `RuntimeError`.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match &self.error {
            None => None,
            Some(StreamError::Code(c)) => Some(*c),
            Some(StreamError::Runtime(_)) => Some(ErrorCode::RuntimeError),
        }
    }
}

impl Event {
    /// A `Data` event from anything that becomes `Bytes`.
    pub fn data(b: impl Into<Bytes>) -> Event {
        Event::Data(b.into())
    }

    /// The type name scripts see.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::Data(_) => "Data",
            Event::MessageStart(_) => "MessageStart",
            Event::MessageEnd(_) => "MessageEnd",
            Event::StreamEnd(_) => "StreamEnd",
        }
    }

    /// True for `StreamEnd`.
    pub fn is_stream_end(&self) -> bool {
        matches!(self, Event::StreamEnd(_))
    }

    /// True for an empty `Data` (a flush marker).
    pub fn is_empty_data(&self) -> bool {
        matches!(self, Event::Data(b) if b.is_empty())
    }
}
