//! Bytes through the WebSocket decoder. The first two bytes pick two split points: the
//! messages (payload bytes joined) and whether it failed must not depend on where the input
//! was cut; every whole message must frame again into bytes that decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::codec::websocket::{frame, Decoder, Part};

#[derive(Debug, PartialEq)]
enum Seen {
    Start(u8, bool),
    Body(Vec<u8>),
    End,
}

fn decode(pieces: &[&[u8]]) -> (Vec<Seen>, bool) {
    let mut d = Decoder::new(4096);
    let mut out = Vec::new();
    let mut failed = false;
    for p in pieces {
        if d.feed(p, &mut out).is_err() {
            failed = true;
            break;
        }
    }
    let mut seen: Vec<Seen> = Vec::new();
    for part in out {
        match part {
            Part::Start { opcode, masked } => seen.push(Seen::Start(opcode, masked)),
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
    let mut i = 0;
    while i < whole.0.len() {
        if let Seen::Start(opcode, masked) = whole.0[i] {
            let (body, end) = match whole.0.get(i + 1) {
                Some(Seen::Body(v)) => (v.clone(), i + 2),
                _ => (Vec::new(), i + 1),
            };
            if whole.0.get(end) == Some(&Seen::End) {
                let mut bytes = Vec::new();
                frame(&mut bytes, opcode, true, masked.then_some([1, 2, 3, 4]), &body);
                let mut expected = vec![Seen::Start(opcode, masked)];
                if !body.is_empty() {
                    expected.push(Seen::Body(body));
                }
                expected.push(Seen::End);
                assert_eq!(decode(&[&bytes]), (expected, false));
            }
        }
        i += 1;
    }
});
