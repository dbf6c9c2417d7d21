//! Arbitrary bytes after the HTTP/2 preface, in chunks of 1 to 64 bytes (the first input byte
//! picks the size), through `demuxHTTP` serving HTTP/2 (hyper's framing, Sluice's glue: each
//! stream a request message through a sub-pipeline that answers it, trailers, bodies, resets)
//! in a real pipeline: the connection must end or go on, never crash or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::fuzzing::FilterHarness;

const SCRIPT: &str = "pipy().pipeline('fuzz').demuxHTTP().to($=>$\
    .handleMessageStart(m => m.head.headers)\
    .replaceMessage(m => new Message({ status: 200, headers: { 'x-n': String(m.body.size) } }, m.body)))";

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

thread_local! {
    static HARNESS: FilterHarness =
        FilterHarness::new(SCRIPT).expect("the fuzz script loads").settle(64);
}

fuzz_target!(|data: &[u8]| {
    let Some((chunk, frames)) = data.split_first() else {
        return;
    };
    let mut input = Vec::with_capacity(1 + PREFACE.len() + frames.len());
    input.push(*chunk);
    input.extend_from_slice(PREFACE);
    input.extend_from_slice(frames);
    HARNESS.with(|h| h.feed_fuzz_input(&input));
});
