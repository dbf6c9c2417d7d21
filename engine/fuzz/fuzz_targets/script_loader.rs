//! Arbitrary script text as a codebase's entry module: loading must end with a program or
//! an error, never a crash. Module code is stopped after 200 ms.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: engine_fuzz::cover_script_branches(), |data: &[u8]| {
    std::env::set_var("SLUICE_LOAD_TIMEOUT", "0.2");
    let dir = std::env::temp_dir().join(format!("sluice-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let _ = sluice::fuzzing::check_source(&dir, data);
});
