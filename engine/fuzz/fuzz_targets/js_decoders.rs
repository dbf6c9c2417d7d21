//! Arbitrary bytes through the decoders written in the script prelude (Hessian, protobuf,
//! BGP, DNS) by way of a module that calls each: loading must end, never crash. A decoder may
//! throw (DNS does on malformed input); the module catches it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: engine_fuzz::cover_script_branches(), |data: &[u8]| {
    std::env::set_var("SLUICE_LOAD_TIMEOUT", "0.5");
    let dir = std::env::temp_dir().join(format!("sluice-fuzz-js-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let script = format!(
        "const d = new Data('{hex}', 'hex')\n\
         for (const f of [\n\
           () => Hessian.encode(Hessian.decode(d)),\n\
           () => {{ const m = protobuf.decode(d); if (m) protobuf.encode(m) }},\n\
           () => BGP.encode(BGP.decode(d, true), true),\n\
           () => DNS.encode(DNS.decode(d)),\n\
         ]) {{ try {{ f() }} catch (e) {{}} }}\n"
    );
    let _ = sluice::fuzzing::check_source(&dir, script.as_bytes());
});
