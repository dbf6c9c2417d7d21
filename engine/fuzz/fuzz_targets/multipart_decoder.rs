//! Bytes through the multipart decoder, with the boundary "b" followed by the first byte's
//! digit. The next two bytes pick two split points: the parts (body bytes joined) and whether
//! it failed must not depend on where the input was cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::codec::multipart::{Decoder, Part};
use sluice::codec::Value;

#[derive(Debug, PartialEq)]
enum Seen {
    Start(Value),
    Body(Vec<u8>),
    End,
}

fn decode(boundary: &str, pieces: &[&[u8]]) -> (Vec<Seen>, bool) {
    let mut d = Decoder::new(boundary, 512, 0);
    let mut out = Vec::new();
    let mut failed = false;
    for p in pieces {
        if d.feed(p, &mut out).is_err() {
            failed = true;
            break;
        }
    }
    if !failed && d.finish(&mut out).is_err() {
        failed = true;
    }
    let mut seen: Vec<Seen> = Vec::new();
    for part in out {
        match part {
            Part::Start(h) => seen.push(Seen::Start(h)),
            Part::Data(b) => match seen.last_mut() {
                Some(Seen::Body(v)) => v.extend_from_slice(&b),
                _ => seen.push(Seen::Body(b.to_vec())),
            },
            Part::End => seen.push(Seen::End),
        }
    }
    (seen, failed)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let boundary = format!("b{}", data[0] % 10);
    let wire = &data[3..];
    let (a, b) = (data[1] as usize % (wire.len() + 1), data[2] as usize % (wire.len() + 1));
    let (a, b) = (a.min(b), a.max(b));
    let whole = decode(&boundary, &[wire]);
    let split = decode(&boundary, &[&wire[..a], &wire[a..b], &wire[b..]]);
    assert_eq!(whole.1, split.1, "split at {a} and {b}");
    if !whole.1 {
        assert_eq!(whole.0, split.0, "split at {a} and {b}");
    }
});
