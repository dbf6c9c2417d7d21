//! Round trips of byte vectors through the Thrift codec.

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
