//! Thrift messages on the wire, sans I/O: the binary protocol (strict and old encodings) and
//! the compact protocol, unframed, as Pipy 1.5 reads and writes them.
//!
//! A message is `{protocol, type, seqID, name, fields}` where `fields` is a struct: a list of
//! `{id, type, value}`. Lists and sets are `{elementType, elements}`, maps
//! `{keyType, valueType, pairs}` (pairs are `[key, value]`), binaries are text when they are
//! valid UTF-8 and bytes otherwise. Type names are Pipy's (`BOOL`, `I8` ... `UUID`).

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

mod read;
mod write;

pub use read::{decode, Error};
pub use write::encode;

#[cfg(test)]
mod tests;
