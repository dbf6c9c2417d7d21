//! Bytes through the MQTT decoder. The first two bytes pick two split points and the third a
//! protocol level: the packets (or the error) must not depend on where the input was cut, and
//! every packet must encode again into one packet of the same type that decodes the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::codec::mqtt::{encode, Decoder, Packet};
use sluice::codec::Value;

fn decode(level: u8, pieces: &[&[u8]]) -> (Vec<Packet>, bool) {
    let mut d = Decoder::new(4096);
    d.set_level(level);
    let mut out = Vec::new();
    for p in pieces {
        if d.feed(p, &mut out).is_err() {
            return (out, true);
        }
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let level = 3 + data[2] % 3;
    let wire = &data[3..];
    let (a, b) = (data[0] as usize % (wire.len() + 1), data[1] as usize % (wire.len() + 1));
    let (a, b) = (a.min(b), a.max(b));
    let whole = decode(level, &[wire]);
    let split = decode(level, &[&wire[..a], &wire[a..b], &wire[b..]]);
    assert_eq!(whole, split, "split at {a} and {b}");
    for p in &whole.0 {
        let Ok(bytes) = encode(&p.head, &p.body, p.payload.as_ref()) else {
            continue;
        };
        let p_level = p.head.get("protocolLevel").map_or(5, Value::to_i64) as u8;
        let (again, failed) = decode(p_level, &[&bytes]);
        assert!(!failed || bytes.len() > 4096, "re-encoded packet fails: {p:?}");
        if !failed {
            assert_eq!(again.len(), 1);
            assert_eq!(again[0].head.get("type"), p.head.get("type"));
            if p.head.get("type") == Some(&Value::from("PUBLISH")) {
                assert_eq!(again[0], *p);
            }
        }
    }
});
