//! Bytes through the RESP decoder. The first two bytes pick two split points: the values (and
//! whether it failed) must not depend on where the input was cut, and every value must encode
//! into bytes that decode to that same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::codec::resp::{encode, Decoder};
use sluice::codec::Value;

fn decode(pieces: &[&[u8]]) -> (Vec<Value>, bool) {
    let mut d = Decoder::new(4096);
    let mut out = Vec::new();
    for p in pieces {
        if d.feed(p, &mut out).is_err() {
            return (out, true);
        }
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let wire = &data[2..];
    let (a, b) = (data[0] as usize % (wire.len() + 1), data[1] as usize % (wire.len() + 1));
    let (a, b) = (a.min(b), a.max(b));
    let whole = decode(&[wire]);
    let split = decode(&[&wire[..a], &wire[a..b], &wire[b..]]);
    assert_eq!(whole.1, split.1, "split at {a} and {b}");
    if !whole.1 {
        assert_eq!(whole.0, split.0, "split at {a} and {b}");
    }
    for v in &whole.0 {
        let mut bytes = Vec::new();
        encode(v, &mut bytes);
        let (again, failed) = decode(&[&bytes]);
        assert!(!failed);
        assert_eq!(again, vec![v.clone()]);
    }
});
