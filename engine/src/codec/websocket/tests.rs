//! The examples of RFC 6455 section 5.7, and the framing rules.

use super::*;

fn decode(bytes: &[u8]) -> Result<Vec<Part>, DecodeError> {
    let mut out = Vec::new();
    Decoder::new(1 << 20).feed(bytes, &mut out)?;
    Ok(out)
}

fn text(opcode: u8, masked: bool, body: &'static str) -> Vec<Part> {
    vec![
        Part::Start { opcode, masked },
        Part::Data(Bytes::from_static(body.as_bytes())),
        Part::End,
    ]
}

/// The payload bytes of the Data parts, joined.
fn payload(parts: &[Part]) -> Vec<u8> {
    let data = parts.iter().filter_map(|p| match p {
        Part::Data(d) => Some(&d[..]),
        _ => None,
    });
    data.flatten().copied().collect()
}

#[test]
fn rfc_examples_decode() {
    let hello = b"\x81\x05Hello";
    assert_eq!(decode(hello).unwrap(), text(1, false, "Hello"));
    let masked = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    assert_eq!(decode(masked).unwrap(), text(1, true, "Hello"));
    let ping = b"\x89\x05Hello";
    assert_eq!(decode(ping).unwrap(), text(9, false, "Hello"));
    let pong = b"\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    assert_eq!(decode(pong).unwrap(), text(10, true, "Hello"));
    let fragmented = b"\x01\x03Hel\x80\x02lo";
    let parts = decode(fragmented).unwrap();
    assert_eq!(
        parts.first(),
        Some(&Part::Start {
            opcode: 1,
            masked: false
        })
    );
    assert_eq!(payload(&parts), b"Hello");
    assert_eq!(parts.last(), Some(&Part::End));
}

#[test]
fn frames_encode_as_the_rfc_examples() {
    let mut out = Vec::new();
    frame(&mut out, 1, true, None, b"Hello");
    assert_eq!(out, b"\x81\x05Hello");
    out.clear();
    frame(&mut out, 1, true, Some([0x37, 0xfa, 0x21, 0x3d]), b"Hello");
    assert_eq!(out, b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    out.clear();
    frame(&mut out, 2, true, None, &[0u8; 256]);
    assert_eq!(&out[..4], b"\x82\x7e\x01\x00");
    out.clear();
    frame(&mut out, 2, true, None, &[0u8; 65536]);
    assert_eq!(&out[..10], b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00");
    assert_eq!(
        decode(&out).unwrap().first(),
        Some(&Part::Start {
            opcode: 2,
            masked: false
        })
    );
}

#[test]
fn a_ping_between_fragments_comes_after_the_message() {
    let parts = decode(b"\x01\x03Hel\x89\x01!\x80\x02lo").unwrap();
    let ends: Vec<usize> = parts
        .iter()
        .enumerate()
        .filter(|(_, p)| **p == Part::End)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(ends.len(), 2);
    assert_eq!(
        parts[ends[0] + 1],
        Part::Start {
            opcode: 9,
            masked: false
        }
    );
}

#[test]
fn masked_payload_split_anywhere() {
    let mut wire = Vec::new();
    let body: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    frame(&mut wire, 2, true, Some([1, 2, 3, 4]), &body);
    for cut in 0..wire.len() {
        let mut d = Decoder::new(1024);
        let mut out = Vec::new();
        d.feed(&wire[..cut], &mut out).unwrap();
        d.feed(&wire[cut..], &mut out).unwrap();
        assert_eq!(payload(&out), body, "cut at {cut}");
        assert_eq!(out.last(), Some(&Part::End));
    }
}

#[test]
fn framing_rules_and_the_limit() {
    assert!(decode(b"\xc1\x00").is_err(), "RSV1 without an extension");
    assert!(decode(b"\x83\x00").is_err(), "opcode 3");
    assert!(decode(b"\x80\x00").is_err(), "a lone continuation");
    assert!(
        decode(b"\x01\x00\x01\x00").is_err(),
        "a message inside a message"
    );
    assert!(decode(b"\x09\x00").is_err(), "a fragmented ping");
    assert!(decode(b"\x89\x7e\x00\x80").is_err(), "a 128-byte ping");
    assert!(decode(b"\x88\x01\x03").is_err(), "a one-byte close payload");
    let mut out = Vec::new();
    let r = Decoder::new(100).feed(b"\x82\x7e\x10\x00", &mut out);
    assert!(matches!(r, Err(DecodeError::TooLarge { .. })));
    assert!(out.is_empty(), "no message starts: {out:?}");
    // Two fragments of 60 bytes: the second takes the message over 100.
    let mut d = Decoder::new(100);
    let mut wire = b"\x02\x3c".to_vec();
    wire.extend_from_slice(&[0u8; 60]);
    assert!(d.feed(&wire, &mut out).is_ok());
    let r = d.feed(b"\x80\x3c", &mut out);
    assert!(matches!(r, Err(DecodeError::TooLarge { size: 120, .. })));
}

#[test]
fn a_server_decoder_refuses_unmasked_frames() {
    let mut out = Vec::new();
    let mut d = Decoder::new(100).require_mask(true);
    assert!(d.feed(b"\x81\x82\x00\x00\x00\x00hi", &mut out).is_ok());
    assert_eq!(out, text(1, true, "hi"));
    let r = d.feed(b"\x81\x02hi", &mut out);
    assert!(matches!(r, Err(DecodeError::Malformed(_))), "{r:?}");
    // A control frame too.
    let r = Decoder::new(100)
        .require_mask(true)
        .feed(b"\x89\x00", &mut out);
    assert!(r.is_err());
}

#[test]
fn handshake_accept_key() {
    assert_eq!(
        accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}
