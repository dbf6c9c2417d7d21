//! Arbitrary bytes, in chunks of 1 to 64 bytes (the first input byte picks the size), through
//! `decodeDubbo`, a Hessian decode of each body, and `encodeDubbo` then `decodeDubbo` again, in a real pipeline: it must end the stream or go on, never crash or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::fuzzing::FilterHarness;

const SCRIPT: &str = "pipy().pipeline('fuzz').decodeDubbo().handleMessage(m => { try { Hessian.decode(m.body) } catch (e) {} }).encodeDubbo().decodeDubbo()";

thread_local! {
    static HARNESS: FilterHarness = FilterHarness::new(SCRIPT).expect("the fuzz script loads");
}

fuzz_target!(init: engine_fuzz::cover_script_branches(), |data: &[u8]| {
    HARNESS.with(|h| h.feed_fuzz_input(data));
});
