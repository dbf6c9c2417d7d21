//! Bytes through the HTTP/2 codec's two parsers. As frames: the frames (and whether it failed)
//! must not depend on where the input was cut. As a run of HPACK header blocks (each prefixed
//! by a length byte) into one decoder: nothing panics, and the fields of every block that
//! decodes, encoded again by a fresh encoder, decode to the same fields. As what a client
//! sends after its preface, into a server connection that answers every request: nothing
//! panics.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use sluice::http::v2::frame::{self, Frame, FrameError, DEFAULT_MAX_FRAME_SIZE};
use sluice::http::v2::hpack::{Decoder, Encoder, Field};
use sluice::http::v2::server::{Event, Limits, ServerConnection};

fn frames(pieces: &[&[u8]]) -> (Vec<Frame>, Option<FrameError>) {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for p in pieces {
        buf.extend_from_slice(p);
        loop {
            match frame::next(&mut buf, DEFAULT_MAX_FRAME_SIZE) {
                Ok(Some(f)) => out.push(f),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fn fields(d: &mut Decoder, block: &Bytes) -> Option<Vec<Field>> {
    let mut out = Vec::new();
    d.decode(block, |f| out.push(f)).ok()?;
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let wire = &data[2..];
    let (a, b) = (data[0] as usize % (wire.len() + 1), data[1] as usize % (wire.len() + 1));
    let (a, b) = (a.min(b), a.max(b));
    assert_eq!(frames(&[wire]), frames(&[&wire[..a], &wire[a..b], &wire[b..]]), "split at {a} and {b}");

    let mut conn = ServerConnection::new(Limits::default());
    let mut input = BytesMut::from(frame::PREFACE);
    frame::write_settings(&mut input, &[]);
    input.extend_from_slice(wire);
    let _ = conn.receive(&mut input);
    while let Some(e) = conn.next_event() {
        if let Event::Request { stream, .. } = e {
            conn.send_head(stream, 200, [(&b"content-type"[..], &b"text/plain"[..])], false);
            conn.send_data(stream, Bytes::from_static(b"hello world"), true);
        }
    }
    let _ = conn.output();

    let mut d = Decoder::new(4096);
    let mut rest = wire;
    while let Some((&len, tail)) = rest.split_first() {
        let len = (len as usize).min(tail.len());
        let block = Bytes::copy_from_slice(&tail[..len]);
        rest = &tail[len..];
        let Some(got) = fields(&mut d, &block) else { break };
        let mut again = Vec::new();
        Encoder::default().encode(got.iter().map(|f| (&f.name[..], &f.value[..], f.sensitive)), &mut again);
        let back = fields(&mut Decoder::new(4096), &Bytes::from(again)).expect("our own block decodes");
        let names = |v: &[Field]| v.iter().map(|f| (f.name.clone(), f.value.clone())).collect::<Vec<_>>();
        assert_eq!(names(&got), names(&back));
    }
});
