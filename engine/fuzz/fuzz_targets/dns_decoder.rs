//! Arbitrary bytes as one DNS message through the `DNS` global in a real pipeline:
//! `DNS.decode`, `DNS.encode` of what it gave, and `DNS.decode` again. A malformed message
//! may throw (the script catches it); nothing may crash or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::fuzzing::FilterHarness;

const SCRIPT: &str = "pipy().pipeline('fuzz').replaceData(d => {\n\
    try { DNS.decode(DNS.encode(DNS.decode(d))) } catch (e) {}\n\
    return new Data\n\
  })";

thread_local! {
    static HARNESS: FilterHarness = FilterHarness::new(SCRIPT).expect("the fuzz script loads");
}

fuzz_target!(init: engine_fuzz::cover_script_branches(), |data: &[u8]| {
    HARNESS.with(|h| h.feed(data, data.len()));
});
