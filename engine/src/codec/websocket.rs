//! WebSocket frames (RFC 6455, section 5) as Pipy 1.5's `decodeWebSocket`/`encodeWebSocket`
//! model them: a message (all the frames of a text or binary message, or one control frame)
//! has a head `{opcode, masked}` and the unmasked payload as its body.
//!
//! The decoder streams payloads (a large message is never held whole) and checks the framing
//! rules: no reserved bits (no extension is negotiated), known opcodes only, control frames
//! unfragmented and at most 125 bytes, continuation frames only inside a fragmented message;
//! and, on the server side when asked ([`Decoder::require_mask`]), a mask on every frame.
//! A control frame that arrives between the fragments of a message comes out right after
//! that message, since messages on a stream do not nest.

use bytes::{Buf, Bytes, BytesMut};

use super::{malformed, DecodeError};

/// Opcode of a continuation frame.
pub const CONTINUATION: u8 = 0;
/// Opcode of a close frame.
pub const CLOSE: u8 = 8;

/// The largest control frame payload.
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Control frames held while a fragmented message is open, at most.
const MAX_HELD: usize = 16;

/// What the decoder outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// A message starts.
    Start {
        /// Its opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong).
        opcode: u8,
        /// Whether its (first) frame was masked.
        masked: bool,
    },
    /// Unmasked payload bytes.
    Data(Bytes),
    /// The message ended.
    End,
}

struct Header {
    len: usize,
    fin: bool,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: u64,
}

enum State {
    Header,
    Payload {
        left: u64,
        mask: Option<[u8; 4]>,
        offset: usize,
        fin: bool,
    },
}

/// A stream decoder.
pub struct Decoder {
    buf: BytesMut,
    state: State,
    in_message: bool,
    message_size: u64,
    held: Vec<Part>,
    max_size: usize,
    require_mask: bool,
}

impl Decoder {
    /// A decoder that refuses a message (all its fragments) over `max_size` bytes.
    pub fn new(max_size: usize) -> Self {
        Decoder {
            buf: BytesMut::new(),
            state: State::Header,
            in_message: false,
            message_size: 0,
            held: Vec::new(),
            max_size,
            require_mask: false,
        }
    }

    /// Refuses unmasked frames, as a server must (RFC 6455 section 5.1: a client masks every
    /// frame, and the server fails the connection on one that is not).
    pub fn require_mask(mut self, on: bool) -> Self {
        self.require_mask = on;
        self
    }

    /// Takes bytes and appends what they complete to `out`.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Part>) -> Result<(), DecodeError> {
        self.buf.extend_from_slice(data);
        loop {
            match &mut self.state {
                State::Payload {
                    left,
                    mask,
                    offset,
                    fin,
                } => {
                    if *left > 0 {
                        if self.buf.is_empty() {
                            return Ok(());
                        }
                        let n = (*left).min(self.buf.len() as u64) as usize;
                        let mut chunk = self.buf.split_to(n);
                        if let Some(m) = mask {
                            unmask(&mut chunk, *m, *offset);
                        }
                        *offset += n;
                        *left -= n as u64;
                        out.push(Part::Data(chunk.freeze()));
                        if *left > 0 {
                            return Ok(());
                        }
                    }
                    if *fin {
                        out.push(Part::End);
                        self.in_message = false;
                        out.append(&mut self.held);
                    }
                    self.state = State::Header;
                }
                State::Header => {
                    let Some(h) = header(&self.buf)? else {
                        return Ok(());
                    };
                    if self.require_mask && h.mask.is_none() {
                        return malformed("an unmasked frame from a client (RFC 6455 5.1)");
                    }
                    if h.opcode >= CLOSE {
                        if !self.control(&h, out)? {
                            return Ok(());
                        }
                        continue;
                    }
                    if h.opcode == CONTINUATION && !self.in_message {
                        return malformed("a continuation frame outside a fragmented message");
                    }
                    if h.opcode != CONTINUATION && self.in_message {
                        return malformed("a new message inside a fragmented one");
                    }
                    // Checked before the message starts: a frame announced over the limit
                    // gives no (empty) message at all.
                    let size = if h.opcode == CONTINUATION {
                        self.message_size + h.payload
                    } else {
                        h.payload
                    };
                    if size > self.max_size as u64 {
                        return Err(DecodeError::TooLarge {
                            size,
                            limit: self.max_size,
                        });
                    }
                    self.message_size = size;
                    if h.opcode != CONTINUATION {
                        self.in_message = true;
                        out.push(Part::Start {
                            opcode: h.opcode,
                            masked: h.mask.is_some(),
                        });
                    }
                    self.buf.advance(h.len);
                    self.state = State::Payload {
                        left: h.payload,
                        mask: h.mask,
                        offset: 0,
                        fin: h.fin,
                    };
                }
            }
        }
    }

    /// A control frame, once it is all buffered: out now, or held until the open message
    /// ends. False while more bytes are needed.
    fn control(&mut self, h: &Header, out: &mut Vec<Part>) -> Result<bool, DecodeError> {
        let total = h.len + h.payload as usize;
        if self.buf.len() < total {
            return Ok(false);
        }
        self.buf.advance(h.len);
        let mut payload = self.buf.split_to(h.payload as usize);
        if let Some(m) = h.mask {
            unmask(&mut payload, m, 0);
        }
        if h.opcode == CLOSE && payload.len() == 1 {
            return malformed("a close frame with a one-byte payload");
        }
        let parts = [
            Part::Start {
                opcode: h.opcode,
                masked: h.mask.is_some(),
            },
            Part::Data(payload.freeze()),
            Part::End,
        ];
        let parts = parts
            .into_iter()
            .filter(|p| !matches!(p, Part::Data(d) if d.is_empty()));
        if self.in_message {
            if self.held.len() >= 3 * MAX_HELD {
                return malformed("too many control frames inside a fragmented message");
            }
            self.held.extend(parts);
        } else {
            out.extend(parts);
        }
        Ok(true)
    }
}

/// Reads a frame header at the start of `buf`; `None` until it is all there.
fn header(buf: &[u8]) -> Result<Option<Header>, DecodeError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    if b0 & 0x70 != 0 {
        return malformed("reserved bits set with no extension negotiated");
    }
    let opcode = b0 & 0x0f;
    if !matches!(opcode, 0..=2 | 8..=10) {
        return malformed(format!("unknown opcode {opcode}"));
    }
    let fin = b0 & 0x80 != 0;
    let masked = b1 & 0x80 != 0;
    let (mut len, payload) = match b1 & 0x7f {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (4, u64::from(u16::from_be_bytes([buf[2], buf[3]])))
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let n = u64::from_be_bytes(buf[2..10].try_into().expect("8 bytes"));
            if n >> 63 != 0 {
                return malformed("a 64-bit length with its top bit set");
            }
            (10, n)
        }
        n => (2, u64::from(n)),
    };
    if opcode >= CLOSE && (!fin || payload > MAX_CONTROL_PAYLOAD as u64) {
        return malformed("a control frame fragmented or longer than 125 bytes");
    }
    let mask = if masked {
        if buf.len() < len + 4 {
            return Ok(None);
        }
        let m = [buf[len], buf[len + 1], buf[len + 2], buf[len + 3]];
        len += 4;
        Some(m)
    } else {
        None
    };
    Ok(Some(Header {
        len,
        fin,
        opcode,
        mask,
        payload,
    }))
}

/// XORs `data` with the masking key, `offset` bytes into the frame's payload.
pub fn unmask(data: &mut [u8], mask: [u8; 4], offset: usize) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= mask[(offset + i) & 3];
    }
}

/// Appends one frame: `opcode` (0 for a continuation), FIN when `fin`, masked with `mask`
/// when given.
pub fn frame(out: &mut Vec<u8>, opcode: u8, fin: bool, mask: Option<[u8; 4]>, payload: &[u8]) {
    out.push(opcode & 0x0f | if fin { 0x80 } else { 0 });
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(m | n as u8),
        n if n <= 0xffff => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if let Some(k) = mask {
        out.extend_from_slice(&k);
    }
    let body = out.len();
    out.extend_from_slice(payload);
    if let Some(k) = mask {
        unmask(&mut out[body..], k, 0);
    }
}

/// The `Sec-WebSocket-Accept` value for a handshake's `Sec-WebSocket-Key` (section 4.2.2).
pub fn accept_key(key: &str) -> String {
    use base64::Engine as _;
    const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{}{GUID}", key.trim()).as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests;
