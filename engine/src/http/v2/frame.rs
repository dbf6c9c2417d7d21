//! HTTP/2 frames (RFC 9113 §4, §6): the 9-byte head, each type's payload parsed and checked,
//! and the writers for what a server or client sends. No I/O: [`next`] takes a frame off the
//! front of a buffer when a whole one is there.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// What a client sends first (§3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A frame head's length.
pub const HEAD_LEN: usize = 9;

/// SETTINGS_MAX_FRAME_SIZE's initial value, and its lowest.
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;

/// The largest SETTINGS_MAX_FRAME_SIZE allowed.
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;

/// The largest flow-control window (§6.9.1).
pub const MAX_WINDOW: u32 = (1 << 31) - 1;

/// The flow-control window every stream and the connection start with.
pub const DEFAULT_WINDOW: u32 = 65_535;

/// Flags.
pub mod flags {
    /// DATA, HEADERS: the last frame of the stream from this side.
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: an acknowledgement.
    pub const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the header block ends here.
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: padding follows.
    pub const PADDED: u8 = 0x8;
    /// HEADERS: priority fields come first.
    pub const PRIORITY: u8 = 0x20;
}

/// Setting identifiers (§6.5.2; 8 is RFC 8441's extended CONNECT).
pub mod setting {
    /// SETTINGS_HEADER_TABLE_SIZE.
    pub const HEADER_TABLE_SIZE: u16 = 1;
    /// SETTINGS_ENABLE_PUSH.
    pub const ENABLE_PUSH: u16 = 2;
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub const MAX_CONCURRENT_STREAMS: u16 = 3;
    /// SETTINGS_INITIAL_WINDOW_SIZE.
    pub const INITIAL_WINDOW_SIZE: u16 = 4;
    /// SETTINGS_MAX_FRAME_SIZE.
    pub const MAX_FRAME_SIZE: u16 = 5;
    /// SETTINGS_MAX_HEADER_LIST_SIZE.
    pub const MAX_HEADER_LIST_SIZE: u16 = 6;
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL.
    pub const ENABLE_CONNECT_PROTOCOL: u16 = 8;
}

/// An error code (§7). Unknown codes are kept as they came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// NO_ERROR.
    pub const NO_ERROR: ErrorCode = ErrorCode(0);
    /// PROTOCOL_ERROR.
    pub const PROTOCOL: ErrorCode = ErrorCode(1);
    /// INTERNAL_ERROR.
    pub const INTERNAL: ErrorCode = ErrorCode(2);
    /// FLOW_CONTROL_ERROR.
    pub const FLOW_CONTROL: ErrorCode = ErrorCode(3);
    /// STREAM_CLOSED.
    pub const STREAM_CLOSED: ErrorCode = ErrorCode(5);
    /// FRAME_SIZE_ERROR.
    pub const FRAME_SIZE: ErrorCode = ErrorCode(6);
    /// REFUSED_STREAM.
    pub const REFUSED_STREAM: ErrorCode = ErrorCode(7);
    /// CANCEL.
    pub const CANCEL: ErrorCode = ErrorCode(8);
    /// COMPRESSION_ERROR.
    pub const COMPRESSION: ErrorCode = ErrorCode(9);
    /// ENHANCE_YOUR_CALM.
    pub const ENHANCE_YOUR_CALM: ErrorCode = ErrorCode(0xb);

    /// The code's name, as the RFC writes it.
    pub fn name(self) -> &'static str {
        const NAMES: [&str; 14] = [
            "NO_ERROR",
            "PROTOCOL_ERROR",
            "INTERNAL_ERROR",
            "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT",
            "STREAM_CLOSED",
            "FRAME_SIZE_ERROR",
            "REFUSED_STREAM",
            "CANCEL",
            "COMPRESSION_ERROR",
            "CONNECT_ERROR",
            "ENHANCE_YOUR_CALM",
            "INADEQUATE_SECURITY",
            "HTTP_1_1_REQUIRED",
        ];
        NAMES
            .get(self.0 as usize)
            .copied()
            .unwrap_or("unknown error")
    }
}

/// A frame that breaks the protocol: the whole connection ends (GOAWAY), or one stream does
/// (RST_STREAM).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A connection error.
    Connection(ErrorCode, &'static str),
    /// A stream error on the stream given.
    Stream(u32, ErrorCode, &'static str),
}

/// HEADERS' or PRIORITY's priority fields (deprecated by RFC 9113, but still parsed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Priority {
    /// The stream this one depends on.
    pub dependency: u32,
    /// An exclusive dependency.
    pub exclusive: bool,
    /// The weight, 1-256, as sent minus one.
    pub weight: u8,
}

/// A frame's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// DATA.
    Data,
    /// HEADERS.
    Headers,
    /// PRIORITY.
    Priority,
    /// RST_STREAM.
    RstStream,
    /// SETTINGS.
    Settings,
    /// PUSH_PROMISE.
    PushPromise,
    /// PING.
    Ping,
    /// GOAWAY.
    GoAway,
    /// WINDOW_UPDATE.
    WindowUpdate,
    /// CONTINUATION.
    Continuation,
    /// A type this codec does not know (ignored, §4.1).
    Unknown(u8),
}

impl Kind {
    fn of(b: u8) -> Kind {
        match b {
            0 => Kind::Data,
            1 => Kind::Headers,
            2 => Kind::Priority,
            3 => Kind::RstStream,
            4 => Kind::Settings,
            5 => Kind::PushPromise,
            6 => Kind::Ping,
            7 => Kind::GoAway,
            8 => Kind::WindowUpdate,
            9 => Kind::Continuation,
            n => Kind::Unknown(n),
        }
    }

    fn byte(self) -> u8 {
        match self {
            Kind::Data => 0,
            Kind::Headers => 1,
            Kind::Priority => 2,
            Kind::RstStream => 3,
            Kind::Settings => 4,
            Kind::PushPromise => 5,
            Kind::Ping => 6,
            Kind::GoAway => 7,
            Kind::WindowUpdate => 8,
            Kind::Continuation => 9,
            Kind::Unknown(n) => n,
        }
    }
}

/// A frame head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// The payload's length.
    pub len: u32,
    /// The type.
    pub kind: Kind,
    /// The flags.
    pub flags: u8,
    /// The stream id (0: the connection).
    pub stream: u32,
}

impl Head {
    /// Reads a head from the first nine bytes of `b`.
    pub fn parse(b: &[u8]) -> Option<Head> {
        let b: &[u8; HEAD_LEN] = b.get(..HEAD_LEN)?.try_into().ok()?;
        Some(Head {
            len: u32::from_be_bytes([0, b[0], b[1], b[2]]),
            kind: Kind::of(b[3]),
            flags: b[4],
            stream: u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & MAX_WINDOW,
        })
    }

    /// Writes the head.
    pub fn write(&self, out: &mut BytesMut) {
        out.put_slice(&self.len.to_be_bytes()[1..]);
        out.put_u8(self.kind.byte());
        out.put_u8(self.flags);
        out.put_u32(self.stream & MAX_WINDOW);
    }
}

/// A parsed frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// DATA: `flow_len` is what it counts against flow control (with padding).
    Data {
        /// The stream.
        stream: u32,
        /// END_STREAM.
        end_stream: bool,
        /// The data, without padding.
        data: Bytes,
        /// The payload's whole length.
        flow_len: u32,
    },
    /// HEADERS: the first fragment of a header block.
    Headers {
        /// The stream.
        stream: u32,
        /// END_STREAM.
        end_stream: bool,
        /// END_HEADERS: no CONTINUATION follows.
        end_headers: bool,
        /// The priority fields, when sent.
        priority: Option<Priority>,
        /// The block fragment.
        block: Bytes,
    },
    /// PRIORITY.
    Priority {
        /// The stream.
        stream: u32,
        /// The fields.
        priority: Priority,
    },
    /// RST_STREAM.
    RstStream {
        /// The stream.
        stream: u32,
        /// Why.
        code: ErrorCode,
    },
    /// SETTINGS.
    Settings {
        /// An acknowledgement (no parameters).
        ack: bool,
        /// The parameters, in order.
        params: Vec<(u16, u32)>,
    },
    /// PUSH_PROMISE.
    PushPromise {
        /// The stream it came on.
        stream: u32,
        /// The stream promised.
        promised: u32,
        /// END_HEADERS.
        end_headers: bool,
        /// The block fragment.
        block: Bytes,
    },
    /// PING.
    Ping {
        /// An acknowledgement.
        ack: bool,
        /// The opaque data.
        data: [u8; 8],
    },
    /// GOAWAY.
    GoAway {
        /// The last stream the sender may have processed.
        last_stream: u32,
        /// Why.
        code: ErrorCode,
        /// Debug data.
        debug: Bytes,
    },
    /// WINDOW_UPDATE.
    WindowUpdate {
        /// The stream (0: the connection).
        stream: u32,
        /// The increment, 1 to 2^31-1.
        increment: u32,
    },
    /// CONTINUATION.
    Continuation {
        /// The stream.
        stream: u32,
        /// END_HEADERS.
        end_headers: bool,
        /// The block fragment.
        block: Bytes,
    },
    /// A frame of an unknown type: to be ignored.
    Unknown {
        /// Its type.
        kind: u8,
        /// Its stream.
        stream: u32,
    },
}

const fn conn(code: ErrorCode, why: &'static str) -> FrameError {
    FrameError::Connection(code, why)
}

/// Takes the next whole frame off the front of `buf`; `None` when more bytes are needed.
/// A frame longer than `max_frame_size` (what this side announced) is a connection error.
pub fn next(buf: &mut BytesMut, max_frame_size: u32) -> Result<Option<Frame>, FrameError> {
    let Some(head) = Head::parse(buf) else {
        return Ok(None);
    };
    if head.len > max_frame_size {
        return Err(conn(
            ErrorCode::FRAME_SIZE,
            "frame larger than SETTINGS_MAX_FRAME_SIZE",
        ));
    }
    let total = HEAD_LEN + head.len as usize;
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    let mut frame = buf.split_to(total).freeze();
    frame.advance(HEAD_LEN);
    parse(head, frame).map(Some)
}

/// Removes padding (PADDED): the pad length byte first, the padding last.
fn unpad(head: &Head, payload: &mut Bytes) -> Result<(), FrameError> {
    if head.flags & flags::PADDED == 0 {
        return Ok(());
    }
    if payload.is_empty() {
        return Err(conn(
            ErrorCode::FRAME_SIZE,
            "padded frame without a pad length",
        ));
    }
    let pad = payload.get_u8() as usize;
    if pad > payload.len() {
        return Err(conn(ErrorCode::PROTOCOL, "padding longer than the frame"));
    }
    payload.truncate(payload.len() - pad);
    Ok(())
}

fn priority_fields(payload: &mut Bytes) -> Priority {
    let dep = payload.get_u32();
    Priority {
        dependency: dep & MAX_WINDOW,
        exclusive: dep & !MAX_WINDOW != 0,
        weight: payload.get_u8(),
    }
}

/// Parses a frame's payload, checking what §6 requires of each type.
pub fn parse(head: Head, mut payload: Bytes) -> Result<Frame, FrameError> {
    let stream = head.stream;
    let on_stream = |what: &'static str| {
        if stream == 0 {
            Err(conn(ErrorCode::PROTOCOL, what))
        } else {
            Ok(())
        }
    };
    let on_connection = |what: &'static str| {
        if stream != 0 {
            Err(conn(ErrorCode::PROTOCOL, what))
        } else {
            Ok(())
        }
    };
    Ok(match head.kind {
        Kind::Data => {
            on_stream("DATA on stream 0")?;
            let flow_len = head.len;
            unpad(&head, &mut payload)?;
            Frame::Data {
                stream,
                end_stream: head.flags & flags::END_STREAM != 0,
                data: payload,
                flow_len,
            }
        }
        Kind::Headers => {
            on_stream("HEADERS on stream 0")?;
            unpad(&head, &mut payload)?;
            let priority = if head.flags & flags::PRIORITY != 0 {
                if payload.len() < 5 {
                    return Err(conn(
                        ErrorCode::FRAME_SIZE,
                        "HEADERS too short for its priority",
                    ));
                }
                // A stream that depends on itself is a stream error (§5.3.1), which the
                // connection reports once it has decoded the block: HPACK's tables must stay
                // in step with the client's.
                Some(priority_fields(&mut payload))
            } else {
                None
            };
            Frame::Headers {
                stream,
                end_stream: head.flags & flags::END_STREAM != 0,
                end_headers: head.flags & flags::END_HEADERS != 0,
                priority,
                block: payload,
            }
        }
        Kind::Priority => {
            on_stream("PRIORITY on stream 0")?;
            if head.len != 5 {
                return Err(FrameError::Stream(
                    stream,
                    ErrorCode::FRAME_SIZE,
                    "PRIORITY is not 5 bytes",
                ));
            }
            let priority = priority_fields(&mut payload);
            if priority.dependency == stream {
                return Err(FrameError::Stream(
                    stream,
                    ErrorCode::PROTOCOL,
                    "stream depends on itself",
                ));
            }
            Frame::Priority { stream, priority }
        }
        Kind::RstStream => {
            on_stream("RST_STREAM on stream 0")?;
            if head.len != 4 {
                return Err(conn(ErrorCode::FRAME_SIZE, "RST_STREAM is not 4 bytes"));
            }
            Frame::RstStream {
                stream,
                code: ErrorCode(payload.get_u32()),
            }
        }
        Kind::Settings => {
            on_connection("SETTINGS on a stream")?;
            let ack = head.flags & flags::ACK != 0;
            if ack && head.len != 0 {
                return Err(conn(
                    ErrorCode::FRAME_SIZE,
                    "SETTINGS acknowledgement with a payload",
                ));
            }
            if !head.len.is_multiple_of(6) {
                return Err(conn(
                    ErrorCode::FRAME_SIZE,
                    "SETTINGS not a multiple of 6 bytes",
                ));
            }
            let mut params = Vec::with_capacity(payload.len() / 6);
            while payload.has_remaining() {
                let (id, value) = (payload.get_u16(), payload.get_u32());
                check_setting(id, value)?;
                params.push((id, value));
            }
            Frame::Settings { ack, params }
        }
        Kind::PushPromise => {
            on_stream("PUSH_PROMISE on stream 0")?;
            unpad(&head, &mut payload)?;
            if payload.len() < 4 {
                return Err(conn(ErrorCode::FRAME_SIZE, "PUSH_PROMISE too short"));
            }
            Frame::PushPromise {
                stream,
                promised: payload.get_u32() & MAX_WINDOW,
                end_headers: head.flags & flags::END_HEADERS != 0,
                block: payload,
            }
        }
        Kind::Ping => {
            on_connection("PING on a stream")?;
            if head.len != 8 {
                return Err(conn(ErrorCode::FRAME_SIZE, "PING is not 8 bytes"));
            }
            let mut data = [0; 8];
            payload.copy_to_slice(&mut data);
            Frame::Ping {
                ack: head.flags & flags::ACK != 0,
                data,
            }
        }
        Kind::GoAway => {
            on_connection("GOAWAY on a stream")?;
            if head.len < 8 {
                return Err(conn(ErrorCode::FRAME_SIZE, "GOAWAY shorter than 8 bytes"));
            }
            Frame::GoAway {
                last_stream: payload.get_u32() & MAX_WINDOW,
                code: ErrorCode(payload.get_u32()),
                debug: payload,
            }
        }
        Kind::WindowUpdate => {
            if head.len != 4 {
                return Err(conn(ErrorCode::FRAME_SIZE, "WINDOW_UPDATE is not 4 bytes"));
            }
            let increment = payload.get_u32() & MAX_WINDOW;
            if increment == 0 {
                let why = "WINDOW_UPDATE of 0";
                return Err(match stream {
                    0 => conn(ErrorCode::PROTOCOL, why),
                    s => FrameError::Stream(s, ErrorCode::PROTOCOL, why),
                });
            }
            Frame::WindowUpdate { stream, increment }
        }
        Kind::Continuation => {
            on_stream("CONTINUATION on stream 0")?;
            Frame::Continuation {
                stream,
                end_headers: head.flags & flags::END_HEADERS != 0,
                block: payload,
            }
        }
        Kind::Unknown(kind) => Frame::Unknown { kind, stream },
    })
}

/// The values §6.5.2 allows.
fn check_setting(id: u16, value: u32) -> Result<(), FrameError> {
    match id {
        setting::ENABLE_PUSH | setting::ENABLE_CONNECT_PROTOCOL if value > 1 => Err(conn(
            ErrorCode::PROTOCOL,
            "a boolean setting that is not 0 or 1",
        )),
        setting::INITIAL_WINDOW_SIZE if value > MAX_WINDOW => Err(conn(
            ErrorCode::FLOW_CONTROL,
            "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1",
        )),
        setting::MAX_FRAME_SIZE
            if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value) =>
        {
            Err(conn(
                ErrorCode::PROTOCOL,
                "SETTINGS_MAX_FRAME_SIZE out of range",
            ))
        }
        _ => Ok(()),
    }
}

/// Writes a frame head and its payload.
fn frame(out: &mut BytesMut, kind: Kind, flags: u8, stream: u32, payload: &[u8]) {
    out.reserve(HEAD_LEN + payload.len());
    Head {
        len: payload.len() as u32,
        kind,
        flags,
        stream,
    }
    .write(out);
    out.put_slice(payload);
}

/// Writes a DATA frame (the caller keeps it within the peer's frame size and windows).
pub fn write_data(out: &mut BytesMut, stream: u32, data: &[u8], end_stream: bool) {
    let f = if end_stream { flags::END_STREAM } else { 0 };
    frame(out, Kind::Data, f, stream, data);
}

/// Writes a header block as HEADERS and as many CONTINUATION frames as `max_frame_size`
/// needs.
pub fn write_headers(
    out: &mut BytesMut,
    stream: u32,
    block: &[u8],
    end_stream: bool,
    max_frame_size: u32,
) {
    let max = max_frame_size as usize;
    let mut chunks = block.chunks(max.max(1)).peekable();
    let first = chunks.next().unwrap_or(&[]);
    let mut f = if end_stream { flags::END_STREAM } else { 0 };
    if chunks.peek().is_none() {
        f |= flags::END_HEADERS;
    }
    frame(out, Kind::Headers, f, stream, first);
    while let Some(chunk) = chunks.next() {
        let f = if chunks.peek().is_none() {
            flags::END_HEADERS
        } else {
            0
        };
        frame(out, Kind::Continuation, f, stream, chunk);
    }
}

/// Writes SETTINGS with `params`.
pub fn write_settings(out: &mut BytesMut, params: &[(u16, u32)]) {
    let mut p = Vec::with_capacity(params.len() * 6);
    for &(id, v) in params {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    frame(out, Kind::Settings, 0, 0, &p);
}

/// Writes a SETTINGS acknowledgement.
pub fn write_settings_ack(out: &mut BytesMut) {
    frame(out, Kind::Settings, flags::ACK, 0, &[]);
}

/// Writes a PING (or its acknowledgement).
pub fn write_ping(out: &mut BytesMut, data: [u8; 8], ack: bool) {
    frame(out, Kind::Ping, if ack { flags::ACK } else { 0 }, 0, &data);
}

/// Writes a WINDOW_UPDATE.
pub fn write_window_update(out: &mut BytesMut, stream: u32, increment: u32) {
    frame(out, Kind::WindowUpdate, 0, stream, &increment.to_be_bytes());
}

/// Writes a RST_STREAM.
pub fn write_rst_stream(out: &mut BytesMut, stream: u32, code: ErrorCode) {
    frame(out, Kind::RstStream, 0, stream, &code.0.to_be_bytes());
}

/// Writes a GOAWAY.
pub fn write_goaway(out: &mut BytesMut, last_stream: u32, code: ErrorCode, debug: &[u8]) {
    let mut p = Vec::with_capacity(8 + debug.len());
    p.extend_from_slice(&(last_stream & MAX_WINDOW).to_be_bytes());
    p.extend_from_slice(&code.0.to_be_bytes());
    p.extend_from_slice(debug);
    frame(out, Kind::GoAway, 0, 0, &p);
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
