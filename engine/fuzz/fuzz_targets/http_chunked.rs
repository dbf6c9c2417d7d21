//! Chunked bodies (and whatever follows them) through the HTTP/1 decoder, as a request a server
//! reads and as a response a proxy reads. The first two bytes pick two split points: the
//! decoder must give the same messages, body bytes, ends and errors however its input was cut,
//! and never more body bytes than it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::http::decoder::{Decoder, Part, RequestInfo};
use sluice::http::Role;

const REQUEST: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// What decoding yielded, with body bytes joined so that split points do not show.
#[derive(Debug, PartialEq)]
enum Seen {
    Head(String),
    Body(Vec<u8>),
    End(usize),
    Tunnel(Vec<u8>),
    Error(u16),
}

fn decode(role: Role, pieces: &[&[u8]]) -> (Vec<Seen>, bool) {
    let mut d = Decoder::new(role, 4096);
    if role == Role::Response {
        d.expect_response(RequestInfo::default());
        d.expect_response(RequestInfo::default());
    }
    let mut out = Vec::new();
    for p in pieces {
        d.feed(p, &mut out);
    }
    let cut = d.finish(&mut out);
    let mut seen: Vec<Seen> = Vec::new();
    for part in out {
        match part {
            Part::Head(h) => seen.push(Seen::Head(format!("{h:?}"))),
            Part::Data(b) => match seen.last_mut() {
                Some(Seen::Body(v)) => v.extend_from_slice(&b),
                _ => seen.push(Seen::Body(b.to_vec())),
            },
            Part::End { body_size, .. } => seen.push(Seen::End(body_size)),
            Part::Tunnel(b) => match seen.last_mut() {
                Some(Seen::Tunnel(v)) => v.extend_from_slice(&b),
                _ => seen.push(Seen::Tunnel(b.to_vec())),
            },
            Part::Error(e) => seen.push(Seen::Error(e.status())),
        }
    }
    (seen, cut)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let body = &data[2..];
    for (role, head) in [(Role::Request, REQUEST), (Role::Response, RESPONSE)] {
        let wire = [head, body].concat();
        let (a, b) = (data[0] as usize % (wire.len() + 1), data[1] as usize % (wire.len() + 1));
        let (a, b) = (a.min(b), a.max(b));
        let whole = decode(role, &[&wire]);
        let split = decode(role, &[&wire[..a], &wire[a..b], &wire[b..]]);
        assert_eq!(whole, split, "split at {a} and {b}");
        let mut body_bytes = 0;
        for s in &whole.0 {
            match s {
                Seen::Body(v) => body_bytes += v.len(),
                Seen::End(n) => assert!(*n <= body_bytes),
                _ => {}
            }
        }
        assert!(body_bytes <= body.len());
    }
});
