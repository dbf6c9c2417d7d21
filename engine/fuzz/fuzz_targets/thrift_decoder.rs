//! Arbitrary bytes through the Thrift message decoder: it must give a message, ask for more,
//! or refuse, never crash; a message it gives must encode to bytes it decodes again, to the
//! same length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::codec::thrift;

fuzz_target!(|data: &[u8]| {
    if let Ok((msg, n)) = thrift::decode(data) {
        assert!(n <= data.len());
        let mut out = Vec::new();
        thrift::encode(&msg, &mut out);
        let (again, m) = thrift::decode(&out).expect("an encoded message decodes");
        assert_eq!(m, out.len());
        assert_eq!(again.name, msg.name);
        assert_eq!(again.fields.len(), msg.fields.len());
    }
});
