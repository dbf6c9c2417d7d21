//! Arbitrary bytes, split at arbitrary points, through the HTTP/1 decoder in both roles:
//! it must never panic, and never hand out more body bytes than it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::http::decoder::{Decoder, Part, RequestInfo};
use sluice::http::Role;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let split = data[0] as usize;
    let input = &data[1..];
    for role in [Role::Request, Role::Response] {
        let mut d = Decoder::new(role, 4096);
        if role == Role::Response {
            d.expect_response(RequestInfo { head: split % 3 == 0, connect: split % 5 == 0, upgrade: split % 7 == 0 });
        }
        let mut out = Vec::new();
        let cut = split.min(input.len());
        d.feed(&input[..cut], &mut out);
        d.feed(&input[cut..], &mut out);
        d.finish(&mut out);
        let body: usize = out
            .iter()
            .map(|p| match p {
                Part::Data(b) | Part::Tunnel(b) => b.len(),
                _ => 0,
            })
            .sum();
        assert!(body <= input.len());
    }
});
