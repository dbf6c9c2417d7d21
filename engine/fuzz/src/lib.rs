//! What the fuzz targets share: coverage of the prelude's script branches, handed to libFuzzer
//! as extra counters, so that the fuzzers of decoders written in script (DNS, BGP bodies,
//! Hessian, protobuf) are guided by the script's branches, not only the interpreter's.

use std::sync::atomic::{AtomicU8, Ordering};

/// Room for the prelude's probes (`sluice::script::coverage::probe_count`, some 3,000).
const COUNTERS: usize = 16384;

/// libFuzzer reads the bytes of this section as 8-bit counters after each input and clears
/// them before the next (its "extra counters", found by the linker's `__start_`/`__stop_`
/// symbols for the section).
#[link_section = "__libfuzzer_extra_counters"]
static SCRIPT_BRANCHES: [AtomicU8; COUNTERS] = [const { AtomicU8::new(0) }; COUNTERS];

fn hit(probe: u32) {
    let counter = &SCRIPT_BRANCHES[probe as usize % COUNTERS];
    counter.store(counter.load(Ordering::Relaxed).saturating_add(1), Ordering::Relaxed);
}

/// Rewrites the prelude with probes that count into libFuzzer's extra counters. Call it first
/// thing in a target (before its harness loads a script).
pub fn cover_script_branches() {
    let probes = sluice::script::coverage::probe_count() as usize;
    assert!(probes <= COUNTERS, "{probes} probes, room for {COUNTERS}");
    sluice::script::coverage::cover_prelude(hit);
}
