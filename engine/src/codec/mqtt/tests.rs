//! Byte vectors through the decoder and back through the encoder.

use super::*;
use crate::codec::{DecodeError, Value};

fn decode_all(bytes: &[u8], level: Option<u8>) -> Vec<Packet> {
    let mut d = Decoder::new(1 << 20);
    if let Some(l) = level {
        d.set_level(l);
    }
    let mut out = Vec::new();
    d.feed(bytes, &mut out).expect("decodes");
    out
}

fn round_trip(bytes: &[u8], level: Option<u8>) -> Packet {
    let mut packets = decode_all(bytes, level);
    assert_eq!(packets.len(), 1);
    let p = packets.remove(0);
    let again = encode(&p.head, &p.body, p.payload.as_ref()).expect("encodes");
    assert_eq!(again, bytes, "round trip of {:?}", p.head);
    p
}

#[test]
fn connect_3_1_1_with_will_username_and_password() {
    let mut v = vec![0x10, 0];
    v.extend_from_slice(b"\x00\x04MQTT\x04\xee\x00\x3c");
    v.extend_from_slice(b"\x00\x03cid\x00\x01t\x00\x02hi\x00\x02me\x00\x02pw");
    v[1] = (v.len() - 2) as u8;
    let p = round_trip(&v, None);
    assert_eq!(p.head.get("type"), Some(&Value::from("CONNECT")));
    assert_eq!(p.head.get("protocolLevel"), Some(&Value::Int(4)));
    assert_eq!(p.head.get("keepAlive"), Some(&Value::Int(60)));
    let payload = p.payload.unwrap();
    assert_eq!(payload.get("clientID"), Some(&Value::from("cid")));
    assert_eq!(payload.get("username"), Some(&Value::from("me")));
    assert_eq!(payload.get("password"), Some(&Value::Bytes("pw".into())));
    let will = payload.get("will").unwrap();
    assert_eq!(will.get("qos"), Some(&Value::Int(1)));
    assert_eq!(will.get("retain"), Some(&Value::Bool(true)));
    assert_eq!(will.get("topic"), Some(&Value::from("t")));
}

#[test]
fn a_3_1_1_session_reads_later_packets_at_its_level() {
    let mut v = b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04test".to_vec();
    // PUBLISH QoS 1 "a/b" id 7 "hello" (no properties at level 4), then DISCONNECT.
    v.extend_from_slice(b"\x32\x0c\x00\x03a/b\x00\x07hello\xe0\x00");
    let packets = decode_all(&v, None);
    assert_eq!(packets.len(), 3);
    let publish = &packets[1];
    assert_eq!(publish.head.get("topicName"), Some(&Value::from("a/b")));
    assert_eq!(publish.head.get("packetIdentifier"), Some(&Value::Int(7)));
    assert_eq!(publish.body, "hello");
    let mut again = Vec::new();
    for p in &packets {
        again.extend(encode(&p.head, &p.body, p.payload.as_ref()).unwrap());
    }
    assert_eq!(again, v);
}

#[test]
fn publish_5_with_properties() {
    // topic "t", id 1, properties: contentType "x", user property k=v, then "data".
    let v = b"\x33\x15\x00\x01t\x00\x01\x0b\x03\x00\x01x\x26\x00\x01k\x00\x01vdata";
    let p = round_trip(v, Some(5));
    assert_eq!(p.head.get("retain"), Some(&Value::Bool(true)));
    let props = p.head.get("properties").unwrap();
    assert_eq!(props.get("contentType"), Some(&Value::from("x")));
    assert_eq!(props.get("k"), Some(&Value::from("v")));
    assert_eq!(p.body, "data");
}

#[test]
fn subscribe_and_suback_5() {
    let v = b"\x82\x09\x00\x02\x00\x00\x03a/#\x2d";
    let p = round_trip(v, Some(5));
    let f = &p.payload.unwrap();
    let Some(Value::Array(filters)) = f.get("topicFilters") else {
        panic!("filters")
    };
    assert_eq!(filters[0].get("filter"), Some(&Value::from("a/#")));
    assert_eq!(filters[0].get("qos"), Some(&Value::Int(1)));
    assert_eq!(filters[0].get("noLocal"), Some(&Value::Bool(true)));
    assert_eq!(
        filters[0].get("retainAsPublished"),
        Some(&Value::Bool(true))
    );
    assert_eq!(filters[0].get("retainHandling"), Some(&Value::Int(2)));
    let p = round_trip(b"\x90\x04\x00\x02\x00\x01", Some(5));
    assert_eq!(p.payload, Some(Value::Array(vec![Value::Int(1)])));
}

#[test]
fn acknowledgements_and_pings() {
    round_trip(b"\x40\x02\x00\x09", Some(4));
    round_trip(b"\x62\x02\x00\x09", Some(4));
    round_trip(b"\x50\x04\x00\x09\x00\x00", Some(5));
    round_trip(b"\xc0\x00", None);
    round_trip(b"\xd0\x00", None);
    round_trip(b"\x20\x02\x01\x00", Some(4));
    round_trip(b"\xb0\x02\x00\x05", Some(4));
    round_trip(b"\xa2\x05\x00\x05\x00\x01a", Some(4));
}

#[test]
fn packets_split_anywhere_come_out_whole() {
    let v = b"\x30\x0a\x00\x03a/bhello\xc0\x00";
    for cut in 0..v.len() {
        let mut d = Decoder::new(1024);
        d.set_level(4);
        let mut out = Vec::new();
        d.feed(&v[..cut], &mut out).unwrap();
        d.feed(&v[cut..], &mut out).unwrap();
        assert_eq!(out.len(), 2, "cut at {cut}");
        assert_eq!(out[0].body, "hello");
    }
}

#[test]
fn over_the_limit_is_an_error_before_buffering() {
    let mut d = Decoder::new(100);
    let mut out = Vec::new();
    // A PUBLISH announcing 200 MB.
    let r = d.feed(b"\x30\x80\x80\x80\x60", &mut out);
    assert!(matches!(r, Err(DecodeError::TooLarge { .. })));
}

#[test]
fn malformed_packets_are_errors() {
    let mut out = Vec::new();
    assert!(Decoder::new(100).feed(b"\x00\x00", &mut out).is_err());
    assert!(Decoder::new(100)
        .feed(b"\x10\x02\x00\x09", &mut out)
        .is_err());
    assert!(Decoder::new(100)
        .feed(b"\x30\xff\xff\xff\xff\x01", &mut out)
        .is_err());
    assert!(encode(&Value::object().with("type", "NOPE"), b"", None).is_err());
}
