//! Splits a byte stream into MQTT control packets and reads each into a head, a body and a
//! payload.

use bytes::{Buf, Bytes, BytesMut};

use super::properties;
use super::wire::Reader;
use crate::codec::{malformed, DecodeError, Value};

/// One decoded control packet.
#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    /// The message head, with Pipy's field names.
    pub head: Value,
    /// The bytes after the variable header: a PUBLISH's application message.
    pub body: Bytes,
    /// What the payload section lists, for the packet types that have one.
    pub payload: Option<Value>,
}

/// A stream decoder: feed it bytes, get whole packets.
pub struct Decoder {
    buf: BytesMut,
    max_size: usize,
    level: Option<u8>,
}

impl Decoder {
    /// A decoder that rejects packets whose remaining length is over `max_size`.
    pub fn new(max_size: usize) -> Self {
        Decoder {
            buf: BytesMut::new(),
            max_size,
            level: None,
        }
    }

    /// The protocol level packets are read at: the CONNECT's when one went by, else the one
    /// given to [`Decoder::set_level`], else 5 (as Pipy).
    pub fn level(&self) -> u8 {
        self.level.unwrap_or(5)
    }

    /// True once the level is known (from a CONNECT or [`Decoder::set_level`]).
    pub fn knows_level(&self) -> bool {
        self.level.is_some()
    }

    /// Sets the protocol level for packets of a session whose CONNECT this decoder does not
    /// see (the server's side of a connection).
    pub fn set_level(&mut self, level: u8) {
        self.level = Some(level);
    }

    /// Takes bytes and appends every packet they complete to `out`.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Packet>) -> Result<(), DecodeError> {
        self.buf.extend_from_slice(data);
        loop {
            let Some((header_len, remaining)) = self.fixed_header()? else {
                return Ok(());
            };
            if self.buf.len() < header_len + remaining {
                self.buf.reserve(header_len + remaining - self.buf.len());
                return Ok(());
            }
            let first = self.buf[0];
            self.buf.advance(header_len);
            let bytes = self.buf.split_to(remaining).freeze();
            out.push(self.packet(first, bytes)?);
        }
    }

    /// The fixed header's length and the remaining length, once both are buffered.
    fn fixed_header(&self) -> Result<Option<(usize, usize)>, DecodeError> {
        let Some(&first) = self.buf.first() else {
            return Ok(None);
        };
        if first >> 4 == 0 {
            return malformed("packet type 0 is reserved");
        }
        let mut n = 0usize;
        for i in 0..4 {
            let Some(&c) = self.buf.get(1 + i) else {
                return Ok(None);
            };
            n |= usize::from(c & 0x7f) << (7 * i);
            if c & 0x80 == 0 {
                if n > self.max_size {
                    return Err(DecodeError::TooLarge {
                        size: n as u64,
                        limit: self.max_size,
                    });
                }
                return Ok(Some((2 + i, n)));
            }
        }
        malformed("remaining length longer than four bytes")
    }

    fn packet(&mut self, first: u8, bytes: Bytes) -> Result<Packet, DecodeError> {
        let kind = first >> 4;
        let name = super::type_name(kind).unwrap_or("CONNECT");
        let qos = (first >> 1) & 3;
        let mut r = Reader::new(&bytes);
        let mut head = Value::object()
            .with("type", name)
            .with("dup", first & 0x08 != 0)
            .with("retain", first & 0x01 != 0)
            .with("qos", qos);
        let mut payload = None;
        if kind == 1 {
            payload = Some(self.connect(&mut r, &mut head)?);
        } else {
            let v5 = self.level() >= 5;
            head.set("protocolLevel", Value::from(self.level()));
            match kind {
                2 => {
                    head.set("sessionPresent", Value::Bool(r.u8()? & 1 != 0));
                    head.set("reasonCode", Value::from(r.u8()?));
                    props(&mut r, &mut head, v5)?;
                }
                3 => {
                    if qos == 3 {
                        return malformed("PUBLISH with QoS 3");
                    }
                    head.set("topicName", Value::Str(r.string()?));
                    if qos > 0 {
                        head.set("packetIdentifier", Value::from(r.u16()?));
                    }
                    props(&mut r, &mut head, v5)?;
                }
                4..=7 => {
                    head.set("packetIdentifier", Value::from(r.u16()?));
                    reason_and_props(&mut r, &mut head, v5)?;
                }
                8 => {
                    head.set("packetIdentifier", Value::from(r.u16()?));
                    props(&mut r, &mut head, v5)?;
                    payload = Some(subscribe_payload(&r.rest(), v5)?);
                }
                9 | 11 => {
                    head.set("packetIdentifier", Value::from(r.u16()?));
                    props(&mut r, &mut head, v5)?;
                    let codes = r.rest().iter().map(|c| Value::from(*c)).collect();
                    payload = Some(Value::Array(codes));
                }
                10 => {
                    head.set("packetIdentifier", Value::from(r.u16()?));
                    props(&mut r, &mut head, v5)?;
                    let rest = r.rest();
                    let mut pr = Reader::new(&rest);
                    let mut filters = Vec::new();
                    while pr.remaining() > 0 {
                        filters.push(Value::Str(pr.string()?));
                    }
                    payload = Some(Value::Array(filters));
                }
                12 | 13 => {}
                _ => reason_and_props(&mut r, &mut head, v5)?,
            }
        }
        Ok(Packet {
            head,
            body: r.rest(),
            payload,
        })
    }

    fn connect(&mut self, r: &mut Reader<'_>, head: &mut Value) -> Result<Value, DecodeError> {
        let name = r.string()?;
        if name != "MQTT" && name != "MQIsdp" {
            return malformed(format!("unknown protocol name {name:?}"));
        }
        let level = r.u8()?;
        self.level = Some(level);
        let v5 = level >= 5;
        let flags = r.u8()?;
        head.set("protocolLevel", Value::from(level));
        head.set("keepAlive", Value::from(r.u16()?));
        props(r, head, v5)?;
        let mut p = Value::object()
            .with("clientID", r.string()?)
            .with("cleanStart", flags & 0x02 != 0);
        if flags & 0x04 != 0 {
            let mut will = Value::object()
                .with("qos", (flags >> 3) & 3)
                .with("retain", flags & 0x20 != 0);
            if v5 {
                let wp = properties::read(r)?;
                will.set("properties", wp.unwrap_or_else(Value::object));
            }
            will.set("topic", Value::Str(r.string()?));
            will.set("payload", Value::Bytes(r.binary()?));
            p.set("will", will);
        }
        if flags & 0x80 != 0 {
            p.set("username", Value::Str(r.string()?));
        }
        if flags & 0x40 != 0 {
            p.set("password", Value::Bytes(r.binary()?));
        }
        Ok(p)
    }
}

fn props(r: &mut Reader<'_>, head: &mut Value, v5: bool) -> Result<(), DecodeError> {
    if v5 {
        if let Some(p) = properties::read(r)? {
            head.set("properties", p);
        }
    }
    Ok(())
}

/// A reason code and properties, each there only when bytes are left (an acknowledgement or
/// a DISCONNECT may stop early; the reason code is then 0).
fn reason_and_props(r: &mut Reader<'_>, head: &mut Value, v5: bool) -> Result<(), DecodeError> {
    let code = if r.remaining() > 0 { r.u8()? } else { 0 };
    head.set("reasonCode", Value::from(code));
    if r.remaining() > 0 {
        props(r, head, v5)?;
    }
    Ok(())
}

/// A SUBSCRIBE's topic filters, read apart so the body keeps the whole payload section.
fn subscribe_payload(rest: &Bytes, v5: bool) -> Result<Value, DecodeError> {
    let mut r = Reader::new(rest);
    let mut filters = Vec::new();
    while r.remaining() > 0 {
        let filter = r.string()?;
        let options = r.u8()?;
        let mut f = Value::object()
            .with("filter", filter)
            .with("qos", options & 3);
        if v5 {
            f.set("noLocal", Value::Bool(options & 0x04 != 0));
            f.set("retainAsPublished", Value::Bool(options & 0x08 != 0));
            f.set("retainHandling", Value::from((options >> 4) & 3));
        }
        filters.push(f);
    }
    Ok(Value::object().with("topicFilters", Value::Array(filters)))
}
