//! Thrift messages on the wire, sans I/O: the binary protocol (strict and old encodings) and
//! the compact protocol, unframed, as Pipy 1.5 reads and writes them.
//!
//! A message is `{protocol, type, seqID, name, fields}` where `fields` is a struct: a list of
//! `{id, type, value}`. Lists and sets are `{elementType, elements}`, maps
//! `{keyType, valueType, pairs}` (pairs are `[key, value]`), binaries are text when they are
//! valid UTF-8 and bytes otherwise. Type names are Pipy's (`BOOL`, `I8` ... `UUID`).

use super::{Cursor, Short};

/// How a message was (or is to be) written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// The binary protocol, strict encoding (`0x80 0x01` version word).
    Binary,
    /// The compact protocol (`0x82`).
    Compact,
    /// The binary protocol's old encoding (name length first).
    Old,
}

impl Protocol {
    /// Pipy's name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Binary => "binary",
            Protocol::Compact => "compact",
            Protocol::Old => "old",
        }
    }

    /// Looks a protocol up by Pipy's name.
    pub fn from_name(s: &str) -> Option<Protocol> {
        [Protocol::Binary, Protocol::Compact, Protocol::Old]
            .into_iter()
            .find(|p| p.name() == s)
    }
}

/// A Thrift value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// `BOOL`
    Bool,
    /// `I8`
    I8,
    /// `I16`
    I16,
    /// `I32`
    I32,
    /// `I64`
    I64,
    /// `DOUBLE`
    Double,
    /// `BINARY` (also strings)
    Binary,
    /// `STRUCT`
    Struct,
    /// `MAP`
    Map,
    /// `SET`
    Set,
    /// `LIST`
    List,
    /// `UUID`
    Uuid,
}

/// Every type with its name, binary-protocol code and compact-protocol code.
const TYPES: [(Type, &str, u8, u8); 12] = [
    (Type::Bool, "BOOL", 2, 1),
    (Type::I8, "I8", 3, 3),
    (Type::I16, "I16", 6, 4),
    (Type::I32, "I32", 8, 5),
    (Type::I64, "I64", 10, 6),
    (Type::Double, "DOUBLE", 4, 7),
    (Type::Binary, "BINARY", 11, 8),
    (Type::Struct, "STRUCT", 12, 12),
    (Type::Map, "MAP", 13, 11),
    (Type::Set, "SET", 14, 10),
    (Type::List, "LIST", 15, 9),
    (Type::Uuid, "UUID", 16, 13),
];

impl Type {
    /// Pipy's name, e.g. `"I32"`.
    pub fn name(self) -> &'static str {
        TYPES.iter().find(|t| t.0 == self).map_or("I32", |t| t.1)
    }

    /// Looks a type up by name.
    pub fn from_name(s: &str) -> Option<Type> {
        TYPES.iter().find(|t| t.1 == s).map(|t| t.0)
    }

    fn code(self, p: Protocol) -> u8 {
        let t = TYPES.iter().find(|t| t.0 == self).expect("listed");
        if p == Protocol::Compact {
            t.3
        } else {
            t.2
        }
    }

    fn from_code(code: u8, p: Protocol) -> Option<Type> {
        if p == Protocol::Compact && code == 2 {
            return Some(Type::Bool); // BOOLEAN_FALSE, also used as an element type
        }
        TYPES
            .iter()
            .find(|t| (if p == Protocol::Compact { t.3 } else { t.2 }) == code)
            .map(|t| t.0)
    }
}

/// A message type: `call`, `reply`, `exception` or `oneway` (1 to 4 on the wire).
pub const MESSAGE_TYPES: [&str; 4] = ["call", "reply", "exception", "oneway"];

/// A decoded value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `BOOL`
    Bool(bool),
    /// `I8`, `I16`, `I32` and `I64`
    Int(i64),
    /// `DOUBLE`
    Double(f64),
    /// `BINARY` that is valid UTF-8
    Text(String),
    /// `BINARY` that is not
    Bytes(Vec<u8>),
    /// `STRUCT`
    Struct(Vec<Field>),
    /// `LIST` or `SET`
    List(Type, Vec<Value>),
    /// `MAP`
    Map(Type, Type, Vec<(Value, Value)>),
    /// `UUID`, 16 bytes
    Uuid([u8; 16]),
}

/// A struct field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Field id.
    pub id: i16,
    /// Declared type.
    pub ty: Type,
    /// The value.
    pub value: Value,
}

/// A message: its head and its arguments or result as a struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Wire protocol.
    pub protocol: Protocol,
    /// 1 to 4, see [`MESSAGE_TYPES`].
    pub mtype: u8,
    /// Sequence id.
    pub seq_id: i32,
    /// Method name.
    pub name: String,
    /// The argument or result struct.
    pub fields: Vec<Field>,
}

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

/// Appends the encoding of `msg` to `out`.
pub fn encode(msg: &Message, out: &mut Vec<u8>) {
    let name = msg.name.as_bytes();
    match msg.protocol {
        Protocol::Binary => {
            out.extend_from_slice(&[0x80, 0x01, 0x00, msg.mtype]);
            out.extend_from_slice(&(name.len() as u32).to_be_bytes());
            out.extend_from_slice(name);
            out.extend_from_slice(&msg.seq_id.to_be_bytes());
        }
        Protocol::Compact => {
            out.push(0x82);
            out.push(0x01 | (msg.mtype << 5));
            put_varint(out, msg.seq_id as u32 as u64);
            put_varint(out, name.len() as u64);
            out.extend_from_slice(name);
        }
        Protocol::Old => {
            out.extend_from_slice(&(name.len() as u32).to_be_bytes());
            out.extend_from_slice(name);
            out.push(msg.mtype);
            out.extend_from_slice(&msg.seq_id.to_be_bytes());
        }
    }
    Writer {
        out,
        p: msg.protocol,
    }
    .fields(&msg.fields);
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    p: Protocol,
}

impl Writer<'_> {
    fn compact(&self) -> bool {
        self.p == Protocol::Compact
    }

    fn size(&mut self, n: usize) {
        if self.compact() {
            put_varint(self.out, n as u64);
        } else {
            self.out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }

    fn fields(&mut self, fields: &[Field]) {
        let mut last: i16 = 0;
        for f in fields {
            if self.compact() {
                let code = match (f.ty, &f.value) {
                    (Type::Bool, v) => {
                        if truthy(v) {
                            1
                        } else {
                            2
                        }
                    }
                    (t, _) => t.code(self.p),
                };
                let delta = f.id as i32 - last as i32;
                if (1..=15).contains(&delta) {
                    self.out.push(((delta as u8) << 4) | code);
                } else {
                    self.out.push(code);
                    put_varint(
                        self.out,
                        ((f.id as i32) << 1 ^ (f.id as i32) >> 31) as u32 as u64,
                    );
                }
                last = f.id;
                if f.ty != Type::Bool {
                    self.value(f.ty, &f.value);
                }
            } else {
                self.out.push(f.ty.code(self.p));
                self.out.extend_from_slice(&f.id.to_be_bytes());
                self.value(f.ty, &f.value);
            }
        }
        self.out.push(0);
    }

    fn int(&mut self, ty: Type, n: i64) {
        let compact = self.compact();
        match ty {
            Type::I8 => self.out.push(n as u8),
            Type::I16 if compact => put_varint(self.out, zz32(n as i16 as i32)),
            Type::I16 => self.out.extend_from_slice(&(n as i16).to_be_bytes()),
            Type::I32 if compact => put_varint(self.out, zz32(n as i32)),
            Type::I32 => self.out.extend_from_slice(&(n as i32).to_be_bytes()),
            Type::I64 if compact => put_varint(self.out, ((n << 1) ^ (n >> 63)) as u64),
            _ => self.out.extend_from_slice(&n.to_be_bytes()),
        }
    }

    fn value(&mut self, ty: Type, v: &Value) {
        let compact = self.compact();
        match ty {
            Type::Bool => self.out.push(truthy(v) as u8),
            Type::I8 | Type::I16 | Type::I32 | Type::I64 => self.int(ty, number(v)),
            Type::Double => {
                let d = match v {
                    Value::Double(d) => *d,
                    v => number(v) as f64,
                };
                if compact {
                    self.out.extend_from_slice(&d.to_le_bytes());
                } else {
                    self.out.extend_from_slice(&d.to_be_bytes());
                }
            }
            Type::Binary => {
                let b: &[u8] = match v {
                    Value::Text(s) => s.as_bytes(),
                    Value::Bytes(b) => b,
                    _ => &[],
                };
                self.size(b.len());
                self.out.extend_from_slice(b);
            }
            Type::Uuid => match v {
                Value::Uuid(u) => self.out.extend_from_slice(u),
                _ => self.out.extend_from_slice(&[0; 16]),
            },
            Type::Struct => match v {
                Value::Struct(f) => self.fields(f),
                _ => self.out.push(0),
            },
            Type::List | Type::Set => {
                let (et, items): (Type, &[Value]) = match v {
                    Value::List(t, items) => (*t, items),
                    _ => (Type::I32, &[]),
                };
                let code = et.code(self.p);
                if compact {
                    if items.len() <= 14 {
                        self.out.push(((items.len() as u8) << 4) | code);
                    } else {
                        self.out.push(0xf0 | code);
                        put_varint(self.out, items.len() as u64);
                    }
                } else {
                    self.out.push(code);
                    self.size(items.len());
                }
                for e in items {
                    self.element(et, e);
                }
            }
            Type::Map => {
                let (kt, vt, pairs): (Type, Type, &[(Value, Value)]) = match v {
                    Value::Map(k, v, p) => (*k, *v, p),
                    _ => (Type::I32, Type::I32, &[]),
                };
                if compact {
                    if pairs.is_empty() {
                        self.out.push(0);
                    } else {
                        put_varint(self.out, pairs.len() as u64);
                        self.out.push((kt.code(self.p) << 4) | vt.code(self.p));
                    }
                } else {
                    self.out.push(kt.code(self.p));
                    self.out.push(vt.code(self.p));
                    self.size(pairs.len());
                }
                for (k, v) in pairs {
                    self.element(kt, k);
                    self.element(vt, v);
                }
            }
        }
    }

    fn element(&mut self, ty: Type, v: &Value) {
        if self.compact() && ty == Type::Bool {
            self.out.push(if truthy(v) { 1 } else { 2 });
        } else {
            self.value(ty, v);
        }
    }
}

fn zz32(n: i32) -> u64 {
    ((n << 1) ^ (n >> 31)) as u32 as u64
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(n) => *n != 0,
        Value::Double(d) => *d != 0.0,
        Value::Text(s) => !s.is_empty(),
        _ => true,
    }
}

fn number(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        Value::Double(d) => *d as i64,
        Value::Bool(b) => *b as i64,
        Value::Text(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(bytes: &[u8]) -> Message {
        let (msg, n) = decode(bytes).expect("decodes");
        assert_eq!(n, bytes.len());
        let mut out = Vec::new();
        encode(&msg, &mut out);
        assert_eq!(out, bytes);
        msg
    }

    #[test]
    fn binary_call_with_struct() {
        // calculate(1, Work{num1: 1, num2: 0, op: 4}), seqid 3, from the Thrift tutorial.
        let bytes = b"\x80\x01\x00\x01\x00\x00\x00\x09calculate\x00\x00\x00\x03\
            \x08\x00\x01\x00\x00\x00\x01\x0c\x00\x02\x08\x00\x01\x00\x00\x00\x01\
            \x08\x00\x02\x00\x00\x00\x00\x08\x00\x03\x00\x00\x00\x04\x00\x00";
        let m = round_trip(bytes);
        assert_eq!(m.name, "calculate");
        assert_eq!(m.seq_id, 3);
        assert_eq!(m.mtype, 1);
        assert_eq!(m.fields[0].value, Value::Int(1));
        let Value::Struct(w) = &m.fields[1].value else {
            panic!("struct")
        };
        assert_eq!(
            w[2],
            Field {
                id: 3,
                ty: Type::I32,
                value: Value::Int(4)
            }
        );
    }

    #[test]
    fn compact_message_with_collections() {
        // reply "f", seqid 300: list<i32>[1,-1], map<string,bool>{"a":true}, set<bool>{false},
        // a long-form field id 100 holding a double, and a bool field.
        let mut bytes = vec![0x82, 0x41, 0xac, 0x02, 0x01, b'f'];
        bytes.extend_from_slice(&[0x19, 0x25, 0x02, 0x01]); // field 1: list<i32>
        bytes.extend_from_slice(&[0x1b, 0x01, 0x81, 0x01, b'a', 0x01]); // field 2: map
        bytes.extend_from_slice(&[0x1a, 0x11, 0x02]); // field 3: set<bool>{false}
        bytes.extend_from_slice(&[0x07, 0xc8, 0x01]); // field 100: double
        bytes.extend_from_slice(&1.5f64.to_le_bytes());
        bytes.extend_from_slice(&[0x11, 0x00]); // field 101: true, stop
        let m = round_trip(&bytes);
        assert_eq!(m.protocol, Protocol::Compact);
        assert_eq!(m.mtype, 2);
        assert_eq!(m.seq_id, 300);
        assert_eq!(
            m.fields[0].value,
            Value::List(Type::I32, vec![Value::Int(1), Value::Int(-1)])
        );
        assert_eq!(m.fields[3].id, 100);
        assert_eq!(m.fields[3].value, Value::Double(1.5));
        assert_eq!(m.fields[4].value, Value::Bool(true));
    }

    #[test]
    fn old_encoding_and_incomplete() {
        let bytes = b"\x00\x00\x00\x04ping\x01\x00\x00\x00\x07\x00";
        let m = round_trip(bytes);
        assert_eq!((m.protocol, m.seq_id), (Protocol::Old, 7));
        for n in 0..bytes.len() {
            assert!(matches!(decode(&bytes[..n]), Err(Error::Incomplete(k)) if k > n));
        }
        assert!(matches!(decode(b"\x90\x00"), Err(Error::Invalid(_))));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut bytes = b"\x80\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        for _ in 0..100 {
            bytes.extend_from_slice(&[0x0c, 0x00, 0x01]);
        }
        assert_eq!(
            decode(&bytes).unwrap_err(),
            Error::Invalid("nested too deep")
        );
    }
}
