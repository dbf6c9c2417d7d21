//! Arbitrary bytes, in chunks of 1 to 64 bytes (the first input byte picks the size), through
//! `decodeNetlink`, `encodeNetlink`, then `decodeNetlink` again, in a real pipeline: it must end the stream or go on, never crash or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::fuzzing::FilterHarness;

const SCRIPT: &str = "pipy().pipeline('fuzz').decodeNetlink().encodeNetlink().decodeNetlink()";

thread_local! {
    static HARNESS: FilterHarness = FilterHarness::new(SCRIPT).expect("the fuzz script loads");
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with(|h| h.feed_fuzz_input(data));
});
