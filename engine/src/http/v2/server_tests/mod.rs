//! The server connection driven by a scripted client: frames written with [`frame`]'s writers
//! and an HPACK encoder, the server's output read back frame by frame.

use bytes::{Bytes, BytesMut};

use super::*;
use crate::http::v2::frame::{flags, Frame};

/// A client: its encoder and decoder, and the server's output read so far.
struct Client {
    enc: hpack::Encoder,
    dec: hpack::Decoder,
}

impl Client {
    fn new() -> Client {
        Client {
            enc: hpack::Encoder::default(),
            dec: hpack::Decoder::new(4096),
        }
    }

    fn preface(&self, settings: &[(u16, u32)]) -> BytesMut {
        let mut b = BytesMut::from(frame::PREFACE);
        frame::write_settings(&mut b, settings);
        b
    }

    fn request(&mut self, out: &mut BytesMut, stream: u32, path: &str, end_stream: bool) {
        let mut block = Vec::new();
        self.enc.encode(
            [
                (&b":method"[..], &b"GET"[..], false),
                (b":scheme", b"http", false),
                (b":authority", b"example.com", false),
                (b":path", path.as_bytes(), false),
                (b"user-agent", b"test", false),
            ],
            &mut block,
        );
        frame::write_headers(
            out,
            stream,
            &block,
            end_stream,
            frame::DEFAULT_MAX_FRAME_SIZE,
        );
    }

    /// Opens `stream` with a request the server reads, its events taken.
    fn open(&mut self, conn: &mut ServerConnection, stream: u32, path: &str, end_stream: bool) {
        receive(conn, |b| self.request(b, stream, path, end_stream));
        while conn.next_event().is_some() {}
    }

    /// Trailers (`x-sum: 1`) ending `stream`.
    fn trailers(&mut self, out: &mut BytesMut, stream: u32) {
        let mut block = Vec::new();
        self.enc
            .encode([(&b"x-sum"[..], &b"1"[..], false)], &mut block);
        frame::write_headers(out, stream, &block, true, frame::DEFAULT_MAX_FRAME_SIZE);
    }

    /// A request head's block: `method`, `http`, path `/`, and one more field.
    fn head(&mut self, method: &[u8], name: &[u8], value: &[u8]) -> Vec<u8> {
        let mut block = Vec::new();
        self.enc.encode(
            [
                (&b":method"[..], method, false),
                (b":scheme", b"http", false),
                (b":path", b"/", false),
                (name, value, false),
            ],
            &mut block,
        );
        block
    }

    /// A request head of more than 300 bytes (a 400-byte `x-big` field) on `stream`.
    fn oversized_request(&mut self, out: &mut BytesMut, stream: u32) {
        let block = self.head(b"GET", b"x-big", "v".repeat(400).as_bytes());
        frame::write_headers(out, stream, &block, true, frame::DEFAULT_MAX_FRAME_SIZE);
    }

    /// The frames in the server's output, header blocks decoded.
    fn read(&mut self, conn: &mut ServerConnection) -> Vec<Seen> {
        let mut out = conn.output();
        let mut seen = Vec::new();
        while let Some(f) = frame::next(&mut out, frame::MAX_MAX_FRAME_SIZE).unwrap() {
            seen.push(match f {
                Frame::Headers {
                    stream,
                    end_stream,
                    block,
                    ..
                } => {
                    let mut fields = Vec::new();
                    self.dec
                        .decode(&block, |f| {
                            fields.push(format!(
                                "{}: {}",
                                String::from_utf8_lossy(&f.name),
                                String::from_utf8_lossy(&f.value)
                            ))
                        })
                        .unwrap();
                    Seen::Headers(stream, fields, end_stream)
                }
                Frame::Data {
                    stream,
                    data,
                    end_stream,
                    ..
                } => Seen::Data(stream, data, end_stream),
                other => Seen::Other(other),
            });
        }
        seen
    }
}

#[derive(Debug, PartialEq)]
enum Seen {
    Headers(u32, Vec<String>, bool),
    Data(u32, Bytes, bool),
    Other(Frame),
}

/// Receives, in one read, the frames that `write` puts in one buffer.
fn receive(conn: &mut ServerConnection, write: impl FnOnce(&mut BytesMut)) {
    let mut input = BytesMut::new();
    write(&mut input);
    conn.receive(&mut input).unwrap();
}

/// A connection that takes request heads of at most 300 bytes, before its preface, and a client.
fn limited_to_300_bytes() -> (ServerConnection, Client) {
    let conn = ServerConnection::new(Limits {
        max_header_list_size: 300,
        ..Limits::default()
    });
    (conn, Client::new())
}

fn started() -> (ServerConnection, Client) {
    started_with(&[])
}

/// A connection past its preface, whose client sent `settings` in it, and that client.
fn started_with(settings: &[(u16, u32)]) -> (ServerConnection, Client) {
    let mut conn = ServerConnection::new(Limits::default());
    let mut c = Client::new();
    let seen = c.read(&mut conn);
    assert!(
        matches!(&seen[0], Seen::Other(Frame::Settings { ack: false, .. })),
        "{seen:?}"
    );
    let mut input = c.preface(settings);
    conn.receive(&mut input).unwrap();
    assert!(input.is_empty());
    let seen = c.read(&mut conn);
    assert_eq!(
        seen,
        vec![Seen::Other(Frame::Settings {
            ack: true,
            params: vec![]
        })]
    );
    (conn, c)
}

#[test]
fn a_request_and_its_response() {
    let (mut conn, mut c) = started();
    receive(&mut conn, |b| c.request(b, 1, "/hello", true));
    match conn.next_event() {
        Some(Event::Request {
            stream: 1,
            head,
            end_stream: true,
        }) => {
            assert_eq!(head.path, "/hello");
            assert_eq!(
                head.headers,
                vec![(
                    Bytes::from_static(b"user-agent"),
                    Bytes::from_static(b"test")
                )]
            );
        }
        e => panic!("{e:?}"),
    }
    conn.send_head(1, 200, [(&b"content-type"[..], &b"text/plain"[..])], false);
    conn.send_data(1, Bytes::from_static(b"hello world"), true);
    assert_eq!(
        c.read(&mut conn),
        vec![
            Seen::Headers(
                1,
                vec![":status: 200".into(), "content-type: text/plain".into()],
                false
            ),
            Seen::Data(1, Bytes::from_static(b"hello world"), true),
        ]
    );
    assert_eq!(conn.open_streams(), 0);
}

#[test]
fn bodies_split_across_frames_and_wait_for_window() {
    // The client allows 10 bytes per stream at first.
    let (mut conn, mut c) = started_with(&[(setting::INITIAL_WINDOW_SIZE, 10)]);
    receive(&mut conn, |b| {
        c.request(b, 1, "/", false);
        frame::write_data(b, 1, b"abc", false);
        frame::write_data(b, 1, b"def", true);
    });
    assert!(matches!(
        conn.next_event(),
        Some(Event::Request {
            stream: 1,
            end_stream: false,
            ..
        })
    ));
    assert_eq!(
        conn.next_event(),
        Some(Event::Data {
            stream: 1,
            data: Bytes::from_static(b"abc"),
            end_stream: false
        })
    );
    assert_eq!(
        conn.next_event(),
        Some(Event::Data {
            stream: 1,
            data: Bytes::from_static(b"def"),
            end_stream: true
        })
    );
    c.read(&mut conn);
    conn.send_head(1, 200, [], false);
    conn.send_data(1, Bytes::from(vec![b'x'; 25]), true);
    let seen = c.read(&mut conn);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1], Seen::Data(1, Bytes::from(vec![b'x'; 10]), false));
    receive(&mut conn, |b| frame::write_window_update(b, 1, 100));
    assert_eq!(
        c.read(&mut conn),
        vec![Seen::Data(1, Bytes::from(vec![b'x'; 15]), true)]
    );
    assert_eq!(conn.open_streams(), 0);
}

#[test]
fn trailers_end_a_response_after_its_data() {
    let (mut conn, mut c) = started();
    receive(&mut conn, |b| c.request(b, 3, "/grpc", true));
    conn.next_event();
    conn.send_head(3, 200, [], false);
    conn.send_data(3, Bytes::from_static(b"msg"), false);
    conn.send_trailers(3, [(&b"grpc-status"[..], &b"0"[..])]);
    let seen = c.read(&mut conn);
    assert_eq!(
        seen[2],
        Seen::Headers(3, vec!["grpc-status: 0".into()], true)
    );
}

#[test]
fn continuation_frames_carry_a_long_head() {
    let (mut conn, mut c) = started();
    let long = "v".repeat(40_000);
    let block = c.head(b"GET", b"x-long", long.as_bytes());
    receive(&mut conn, |b| {
        frame::write_headers(b, 1, &block, true, frame::DEFAULT_MAX_FRAME_SIZE)
    });
    match conn.next_event() {
        Some(Event::Request { head, .. }) => assert_eq!(head.headers[0].1.len(), 40_000),
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_head_above_the_limit_is_reported_for_a_431() {
    let (mut conn, mut c) = limited_to_300_bytes();
    let mut input = c.preface(&[]);
    c.oversized_request(&mut input, 1);
    // The connection stays usable: the tables are still in step.
    c.request(&mut input, 3, "/next", true);
    conn.receive(&mut input).unwrap();
    assert_eq!(conn.next_event(), Some(Event::HeadTooLarge { stream: 1 }));
    assert!(matches!(
        conn.next_event(),
        Some(Event::Request { stream: 3, .. })
    ));
}

#[path = "hostile.rs"]
mod hostile;
