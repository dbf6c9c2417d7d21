//! PROXY protocol headers (v1 text, v2 binary) through the decoder. Whatever the bytes, it must
//! not panic, must decide within its bounds (107 bytes for a v1 line, 16 + 4096 for v2), must
//! give the same verdict for every prefix that already holds the header, and a header it
//! decodes must encode and decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::net::proxy_protocol::{decode, encode, Decoded, V1_MAX, V2_MAX_BODY};

fuzz_target!(|data: &[u8]| {
    let verdict = decode(data);
    if matches!(verdict, Decoded::Incomplete) {
        assert!(data.len() < (16 + V2_MAX_BODY).max(V1_MAX), "undecided after {} bytes", data.len());
    }
    if let Decoded::Header(h, used) = &verdict {
        assert!(*used <= data.len());
        assert_eq!(decode(&data[..*used]), verdict);
        if h.protocol.name() != "UNKNOWN" || h.version == 2 {
            if let Ok(bytes) = encode(h) {
                match decode(&bytes) {
                    Decoded::Header(again, n) => {
                        assert_eq!(n, bytes.len());
                        assert_eq!(again.addresses, h.addresses);
                        assert_eq!(again.protocol, h.protocol);
                    }
                    other => panic!("{h:?} encoded to {bytes:?}, which decodes to {other:?}"),
                }
            }
        }
    }
});
