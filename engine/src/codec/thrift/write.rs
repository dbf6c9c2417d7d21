//! Writing a Thrift message.

use super::{Field, Message, Protocol, Type, Value};

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
