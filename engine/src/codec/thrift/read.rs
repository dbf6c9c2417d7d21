//! Reading a Thrift message.

use super::{Field, Message, Protocol, Type, Value};
use crate::codec::{Cursor, Short};

/// Deepest nesting of structs and collections a decoder accepts.
const MAX_DEPTH: usize = 64;

/// Why a buffer does not hold a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// More bytes are needed: at least this many from the start of the message.
    Incomplete(usize),
    /// Not Thrift, or malformed.
    Invalid(&'static str),
}

impl From<Short> for Error {
    fn from(s: Short) -> Error {
        Error::Incomplete(s.needed)
    }
}

/// Decodes one message from the start of `buf`: the message and how many bytes it took.
pub fn decode(buf: &[u8]) -> Result<(Message, usize), Error> {
    let mut c = Cursor::new(buf);
    let first = c.u8()?;
    let mut msg = Message {
        protocol: Protocol::Binary,
        mtype: 1,
        seq_id: 0,
        name: String::new(),
        fields: Vec::new(),
    };
    if first == 0x80 {
        if c.u8()? != 0x01 {
            return Err(Error::Invalid("bad version"));
        }
        c.u8()?;
        msg.mtype = c.u8()? & 0x07;
        let len = c.u32()? as usize;
        msg.name = String::from_utf8_lossy(c.take(len)?).into_owned();
        msg.seq_id = c.u32()? as i32;
    } else if first == 0x82 {
        msg.protocol = Protocol::Compact;
        let b = c.u8()?;
        if b & 0x1f != 1 {
            return Err(Error::Invalid("bad compact version"));
        }
        msg.mtype = b >> 5;
        msg.seq_id = c.varint()? as u32 as i32;
        let len = c.varint()? as usize;
        msg.name = String::from_utf8_lossy(c.take(len)?).into_owned();
    } else if first & 0x80 != 0 {
        return Err(Error::Invalid("not a Thrift message"));
    } else {
        msg.protocol = Protocol::Old;
        let len = u32::from_be_bytes([first, c.u8()?, c.u8()?, c.u8()?]) as usize;
        msg.name = String::from_utf8_lossy(c.take(len)?).into_owned();
        msg.mtype = c.u8()?;
        msg.seq_id = c.u32()? as i32;
    }
    if !(1..=4).contains(&msg.mtype) {
        return Err(Error::Invalid("bad message type"));
    }
    let mut r = Reader { c, p: msg.protocol };
    msg.fields = r.fields(0)?;
    Ok((msg, r.c.pos()))
}

struct Reader<'a> {
    c: Cursor<'a>,
    p: Protocol,
}

impl Reader<'_> {
    fn compact(&self) -> bool {
        self.p == Protocol::Compact
    }

    fn ty(&mut self, code: u8) -> Result<Type, Error> {
        Type::from_code(code, self.p).ok_or(Error::Invalid("bad type code"))
    }

    fn size(&mut self) -> Result<usize, Error> {
        let n = if self.compact() {
            self.c.varint()? as i64
        } else {
            self.c.u32()? as i32 as i64
        };
        if n < 0 {
            return Err(Error::Invalid("negative size"));
        }
        Ok(n as usize)
    }

    fn fields(&mut self, depth: usize) -> Result<Vec<Field>, Error> {
        if depth > MAX_DEPTH {
            return Err(Error::Invalid("nested too deep"));
        }
        let mut out = Vec::new();
        let mut last_id: i16 = 0;
        loop {
            let b = self.c.u8()?;
            if b == 0 {
                return Ok(out);
            }
            if self.compact() {
                let code = b & 0x0f;
                let delta = b >> 4;
                let id = if delta != 0 {
                    last_id.wrapping_add(delta as i16)
                } else {
                    zigzag32(self.c.varint()? as u32) as i16
                };
                last_id = id;
                let (ty, value) = match code {
                    1 => (Type::Bool, Value::Bool(true)),
                    2 => (Type::Bool, Value::Bool(false)),
                    _ => {
                        let ty = self.ty(code)?;
                        (ty, self.value(ty, depth)?)
                    }
                };
                out.push(Field { id, ty, value });
            } else {
                let ty = self.ty(b)?;
                let id = self.c.u16()? as i16;
                let value = self.value(ty, depth)?;
                out.push(Field { id, ty, value });
            }
        }
    }

    fn value(&mut self, ty: Type, depth: usize) -> Result<Value, Error> {
        let compact = self.compact();
        Ok(match ty {
            Type::Bool => Value::Bool(self.c.u8()? == 1),
            Type::I8 => Value::Int(self.c.u8()? as i8 as i64),
            Type::I16 if compact => Value::Int(zigzag32(self.c.varint()? as u32) as i16 as i64),
            Type::I16 => Value::Int(self.c.u16()? as i16 as i64),
            Type::I32 if compact => Value::Int(zigzag32(self.c.varint()? as u32) as i64),
            Type::I32 => Value::Int(self.c.u32()? as i32 as i64),
            Type::I64 if compact => Value::Int(zigzag64(self.c.varint()?)),
            Type::I64 => Value::Int(self.c.u64()? as i64),
            Type::Double if compact => {
                let b: [u8; 8] = self.c.take(8)?.try_into().expect("8 bytes");
                Value::Double(f64::from_le_bytes(b))
            }
            Type::Double => Value::Double(f64::from_bits(self.c.u64()?)),
            Type::Binary => {
                let n = self.size()?;
                let b = self.c.take(n)?;
                match std::str::from_utf8(b) {
                    Ok(s) => Value::Text(s.to_string()),
                    Err(_) => Value::Bytes(b.to_vec()),
                }
            }
            Type::Uuid => Value::Uuid(self.c.take(16)?.try_into().expect("16 bytes")),
            Type::Struct => Value::Struct(self.fields(depth + 1)?),
            Type::List | Type::Set => {
                let (et, n) = if compact {
                    let b = self.c.u8()?;
                    let n = if b >> 4 == 0x0f {
                        self.size()?
                    } else {
                        (b >> 4) as usize
                    };
                    (self.ty(b & 0x0f)?, n)
                } else {
                    let code = self.c.u8()?;
                    (self.ty(code)?, self.size()?)
                };
                let mut items = Vec::with_capacity(n.min(self.c.left()));
                for _ in 0..n {
                    items.push(self.element(et, depth)?);
                }
                Value::List(et, items)
            }
            Type::Map => {
                let (kt, vt, n) = if compact {
                    let n = self.size()?;
                    if n == 0 {
                        (Type::I32, Type::I32, 0)
                    } else {
                        let b = self.c.u8()?;
                        (self.ty(b >> 4)?, self.ty(b & 0x0f)?, n)
                    }
                } else {
                    let k = self.c.u8()?;
                    let v = self.c.u8()?;
                    (self.ty(k)?, self.ty(v)?, self.size()?)
                };
                let mut pairs = Vec::with_capacity(n.min(self.c.left()));
                for _ in 0..n {
                    let k = self.element(kt, depth)?;
                    let v = self.element(vt, depth)?;
                    pairs.push((k, v));
                }
                Value::Map(kt, vt, pairs)
            }
        })
    }

    /// A list, set or map element: as a value, except that the compact protocol writes
    /// booleans as 1 (true) or 2 (false).
    fn element(&mut self, ty: Type, depth: usize) -> Result<Value, Error> {
        if self.compact() && ty == Type::Bool {
            return Ok(Value::Bool(self.c.u8()? == 1));
        }
        self.value(ty, depth + 1)
    }
}

fn zigzag32(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

fn zigzag64(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}
