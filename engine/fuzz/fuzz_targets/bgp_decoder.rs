//! Arbitrary bytes, in chunks of 1 to 64 bytes (the first input byte picks the size), through
//! `decodeBGP` (AS4 on), `encodeBGP`, then `decodeBGP` again, in a real pipeline: it must end the stream or go on, never crash or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::fuzzing::FilterHarness;

const SCRIPT: &str = "pipy().pipeline('fuzz').decodeBGP({ enableAS4: true }).encodeBGP({ enableAS4: true }).decodeBGP({ enableAS4: true })";

thread_local! {
    static HARNESS: FilterHarness = FilterHarness::new(SCRIPT).expect("the fuzz script loads");
}

fuzz_target!(init: engine_fuzz::cover_script_branches(), |data: &[u8]| {
    HARNESS.with(|h| h.feed_fuzz_input(data));
});
