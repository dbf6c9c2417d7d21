//! The server connection against clients that break the rules or abuse them: protocol
//! errors, reset floods, clients that do not read, self-dependent streams, short bodies.

use bytes::{Bytes, BytesMut};

use super::*;

#[test]
fn protocol_errors_end_the_stream_or_the_connection() {
    // Not a preface.
    let mut conn = ServerConnection::new(Limits::default());
    let mut input = BytesMut::from(&b"GET / HTTP/1.1\r\n\r\n"[..]);
    assert_eq!(
        conn.receive(&mut input).unwrap_err().code,
        ErrorCode::PROTOCOL
    );

    // A frame other than CONTINUATION inside a header block.
    let (mut conn, mut c) = started();
    let mut input = BytesMut::new();
    frame::Head {
        len: 1,
        kind: frame::Kind::Headers,
        flags: 0,
        stream: 1,
    }
    .write(&mut input);
    input.extend_from_slice(&[0x82]);
    frame::write_ping(&mut input, [0; 8], false);
    assert_eq!(
        conn.receive(&mut input).unwrap_err().code,
        ErrorCode::PROTOCOL
    );
    let seen = c.read(&mut conn);
    assert!(matches!(
        seen.last(),
        Some(Seen::Other(Frame::GoAway {
            code: ErrorCode::PROTOCOL,
            ..
        }))
    ));

    // A malformed request (no :path) resets its stream only; the next request works.
    let (mut conn, mut c) = started();
    let mut input = BytesMut::new();
    let mut block = Vec::new();
    c.enc.encode(
        [
            (&b":method"[..], &b"GET"[..], false),
            (b":scheme", b"http", false),
        ],
        &mut block,
    );
    frame::write_headers(&mut input, 1, &block, true, frame::DEFAULT_MAX_FRAME_SIZE);
    c.request(&mut input, 3, "/ok", true);
    conn.receive(&mut input).unwrap();
    assert!(matches!(
        conn.next_event(),
        Some(Event::Request { stream: 3, .. })
    ));
    assert_eq!(
        c.read(&mut conn),
        vec![Seen::Other(Frame::RstStream {
            stream: 1,
            code: ErrorCode::PROTOCOL
        })]
    );

    // A stream id going down, and DATA beyond the connection window.
    let (mut conn, mut c) = started();
    let mut input = BytesMut::new();
    c.request(&mut input, 5, "/", true);
    c.request(&mut input, 3, "/", true);
    assert_eq!(
        conn.receive(&mut input).unwrap_err().code,
        ErrorCode::PROTOCOL
    );
    let (mut conn, mut c) = started();
    let mut input = BytesMut::new();
    c.request(&mut input, 1, "/", false);
    let chunk = vec![0u8; 16_384];
    for _ in 0..70 {
        frame::write_data(&mut input, 1, &chunk, false);
    }
    // The server credits what it receives, so a client within its windows never errs...
    conn.receive(&mut input).unwrap();
    // ...but one that ignores them does: 2 MiB more in one go is past any window.
    let mut input = BytesMut::new();
    for _ in 0..130 {
        frame::write_data(&mut input, 1, &chunk, false);
    }
    let r = conn.receive(&mut input);
    assert!(r.is_ok() || r.unwrap_err().code == ErrorCode::FLOW_CONTROL);
}

#[test]
fn pings_are_answered_and_goaway_refuses_new_streams() {
    let (mut conn, mut c) = started();
    receive(&mut conn, |b| frame::write_ping(b, *b"pingpong", false));
    assert_eq!(
        c.read(&mut conn),
        vec![Seen::Other(Frame::Ping {
            ack: true,
            data: *b"pingpong"
        })]
    );
    // A graceful shutdown in two steps (RFC 9113 §6.8): GOAWAY(2^31-1) and a PING...
    conn.go_away();
    let seen = c.read(&mut conn);
    assert!(
        matches!(
            seen[..],
            [
                Seen::Other(Frame::GoAway {
                    last_stream: frame::MAX_WINDOW,
                    code: ErrorCode::NO_ERROR,
                    ..
                }),
                Seen::Other(Frame::Ping { ack: false, .. })
            ]
        ),
        "{seen:?}"
    );
    let Seen::Other(Frame::Ping { data, .. }) = seen[1] else {
        unreachable!()
    };
    // ...a request the client sent meanwhile is served...
    receive(&mut conn, |b| c.request(b, 1, "/", true));
    assert!(matches!(
        conn.next_event(),
        Some(Event::Request { stream: 1, .. })
    ));
    assert!(!conn.shut());
    // ...and when the PING comes back, the final GOAWAY names it; later ones are refused.
    receive(&mut conn, |b| {
        frame::write_ping(b, data, true);
        c.request(b, 3, "/", true);
    });
    assert!(conn.shut());
    assert_eq!(conn.next_event(), None);
    let seen = c.read(&mut conn);
    assert!(matches!(
        seen[0],
        Seen::Other(Frame::GoAway {
            last_stream: 1,
            code: ErrorCode::NO_ERROR,
            ..
        })
    ));
    assert_eq!(
        seen[1],
        Seen::Other(Frame::RstStream {
            stream: 3,
            code: ErrorCode::REFUSED_STREAM
        })
    );
    let _ = flags::END_STREAM;
}

#[test]
fn trailers_are_encoded_when_written_so_the_tables_stay_in_step() {
    let (mut conn, mut c) = started_with(&[(setting::INITIAL_WINDOW_SIZE, 4)]);
    receive(&mut conn, |b| {
        c.request(b, 1, "/slow", true);
        c.request(b, 3, "/fast", true);
    });
    c.read(&mut conn);
    // Stream 1's body waits for window, its trailers behind it; stream 3 answers meanwhile
    // with the same field. Encoded when queued, the trailers would have put the field in the
    // table before the client could see it, and stream 3's head would refer to it.
    conn.send_head(1, 200, [], false);
    conn.send_data(1, Bytes::from_static(b"0123456789"), false);
    conn.send_trailers(1, [(&b"x-checksum"[..], &b"abc"[..])]);
    conn.send_head(3, 200, [(&b"x-checksum"[..], &b"abc"[..])], true);
    let seen = c.read(&mut conn);
    assert!(seen.contains(&Seen::Headers(
        3,
        vec![":status: 200".into(), "x-checksum: abc".into()],
        true
    )));
    receive(&mut conn, |b| frame::write_window_update(b, 1, 100));
    let seen = c.read(&mut conn);
    assert_eq!(
        seen.last(),
        Some(&Seen::Headers(1, vec!["x-checksum: abc".into()], true))
    );
    assert_eq!(conn.open_streams(), 0);
}

#[test]
fn an_answer_before_the_request_ends_drops_the_rest_of_it() {
    let (mut conn, mut c) = started();
    receive(&mut conn, |b| {
        c.request(b, 1, "/upload", false);
        frame::write_data(b, 1, b"part", false);
    });
    while conn.next_event().is_some() {}
    c.read(&mut conn);
    conn.send_head(1, 413, [], true);
    assert_eq!(
        c.read(&mut conn),
        vec![Seen::Headers(1, vec![":status: 413".into()], true)]
    );
    // The rest of the request is read (its window credited) but not reported; trailers end
    // it, and the connection goes on.
    let mut input = BytesMut::new();
    let chunk = vec![0u8; 16_384];
    for _ in 0..100 {
        frame::write_data(&mut input, 1, &chunk, false);
    }
    c.trailers(&mut input, 1);
    c.request(&mut input, 3, "/next", true);
    conn.receive(&mut input).unwrap();
    assert!(matches!(
        conn.next_event(),
        Some(Event::Request { stream: 3, .. })
    ));
    assert_eq!(conn.next_event(), None);
    assert!(c
        .read(&mut conn)
        .iter()
        .all(|f| matches!(f, Seen::Other(Frame::WindowUpdate { .. }))));
    assert_eq!(conn.open_streams(), 1);
}

#[test]
fn frames_in_flight_on_a_stream_the_server_reset_are_ignored() {
    let (mut conn, mut c) = started();
    c.open(&mut conn, 1, "/upload", false);
    conn.reset(1, ErrorCode::CANCEL);
    c.read(&mut conn);
    receive(&mut conn, |b| {
        frame::write_data(b, 1, b"more", false);
        c.trailers(b, 1);
        c.request(b, 3, "/next", true);
    });
    assert!(matches!(
        conn.next_event(),
        Some(Event::Request { stream: 3, .. })
    ));
    assert!(c.read(&mut conn).is_empty());
}

#[test]
fn a_flood_of_resets_ends_the_connection_but_cancels_among_answers_do_not() {
    // Rapid reset (CVE-2023-44487): open, reset, open, reset...
    let (mut conn, mut c) = started();
    let mut input = BytesMut::new();
    for i in 0..=MAX_RESET_DEBT {
        let stream = 2 * i + 1;
        c.request(&mut input, stream, "/", false);
        frame::write_rst_stream(&mut input, stream, ErrorCode::CANCEL);
    }
    assert_eq!(
        conn.receive(&mut input).unwrap_err().code,
        ErrorCode::ENHANCE_YOUR_CALM
    );
    // A client that cancels one stream in two, the others answered, goes on for ever.
    let (mut conn, mut c) = started();
    for i in 0..2 * MAX_RESET_DEBT {
        let stream = 2 * i + 1;
        let mut input = BytesMut::new();
        c.request(&mut input, stream, "/", i % 2 == 1);
        if i % 2 == 0 {
            frame::write_rst_stream(&mut input, stream, ErrorCode::CANCEL);
        }
        conn.receive(&mut input).unwrap();
        while conn.next_event().is_some() {}
        if i % 2 == 1 {
            conn.send_head(stream, 204, [], true);
            // (The engine credits a request its application answered.)
            conn.credit();
        }
    }
    // Nor does one that stops downloads it began to receive (the server had answered them).
    let (mut conn, mut c) = started();
    for i in 0..2 * MAX_RESET_DEBT {
        let stream = 2 * i + 1;
        c.open(&mut conn, stream, "/", true);
        conn.send_head(stream, 200, [], false);
        receive(&mut conn, |b| {
            frame::write_rst_stream(b, stream, ErrorCode::CANCEL)
        });
    }
    // Answers the codec makes alone (431 for a head over the limit) make up for nothing.
    let (mut conn, mut c) = limited_to_300_bytes();
    let mut input = c.preface(&[]);
    let mut result = Ok(());
    for i in 0..=MAX_RESET_DEBT {
        let stream = 4 * i + 1;
        c.request(&mut input, stream, "/", false);
        frame::write_rst_stream(&mut input, stream, ErrorCode::CANCEL);
        c.oversized_request(&mut input, stream + 2);
        result = conn.receive(&mut input);
        while let Some(e) = conn.next_event() {
            if let Event::HeadTooLarge { stream } = e {
                conn.send_head(stream, 431, [], true);
            }
        }
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result.unwrap_err().code, ErrorCode::ENHANCE_YOUR_CALM);
}

#[test]
fn a_client_that_does_not_read_its_answers_gets_no_new_streams() {
    let (mut conn, mut c) = started_with(&[(setting::INITIAL_WINDOW_SIZE, 0)]);
    receive(&mut conn, |b| {
        c.request(b, 1, "/big", true);
    });
    while conn.next_event().is_some() {}
    conn.send_head(1, 200, [], false);
    conn.send_data(1, Bytes::from(vec![b'x'; MAX_PENDING + 1]), false);
    c.read(&mut conn);
    receive(&mut conn, |b| c.request(b, 3, "/more", true));
    assert_eq!(conn.next_event(), None);
    assert_eq!(
        c.read(&mut conn),
        vec![Seen::Other(Frame::RstStream {
            stream: 3,
            code: ErrorCode::REFUSED_STREAM
        })]
    );
    // Once it reads (its window opens), new streams are taken again.
    receive(&mut conn, |b| {
        frame::write_window_update(b, 0, 1 << 30);
        frame::write_window_update(b, 1, 1 << 30);
        c.request(b, 5, "/more", true);
    });
    assert!(matches!(
        conn.next_event(),
        Some(Event::Request { stream: 5, .. })
    ));
}

#[test]
fn a_stream_depending_on_itself_is_reset_but_its_block_is_decoded() {
    let (mut conn, mut c) = started();
    let block = c.head(b"GET", b"x-remembered", b"yes");
    let mut input = BytesMut::new();
    frame::Head {
        len: (5 + block.len()) as u32,
        kind: frame::Kind::Headers,
        flags: flags::END_HEADERS | flags::END_STREAM | flags::PRIORITY,
        stream: 1,
    }
    .write(&mut input);
    input.extend_from_slice(&[0, 0, 0, 1, 15]);
    input.extend_from_slice(&block);
    // The next request's block refers to the field the first one added to the table.
    let block = c.head(b"GET", b"x-remembered", b"yes");
    frame::write_headers(&mut input, 3, &block, true, frame::DEFAULT_MAX_FRAME_SIZE);
    conn.receive(&mut input).unwrap();
    assert_eq!(
        conn.next_event().map(|e| match e {
            Event::Request { stream, head, .. } => (stream, head.headers),
            e => panic!("{e:?}"),
        }),
        Some((
            3,
            vec![(
                Bytes::from_static(b"x-remembered"),
                Bytes::from_static(b"yes")
            )]
        ))
    );
    assert_eq!(
        c.read(&mut conn),
        vec![Seen::Other(Frame::RstStream {
            stream: 1,
            code: ErrorCode::PROTOCOL
        })]
    );
}

#[test]
fn trailers_must_complete_the_announced_content_length() {
    let (mut conn, mut c) = started();
    let block = c.head(b"POST", b"content-length", b"10");
    receive(&mut conn, |b| {
        frame::write_headers(b, 1, &block, false, frame::DEFAULT_MAX_FRAME_SIZE);
        frame::write_data(b, 1, b"short", false);
        c.trailers(b, 1);
    });
    let mut events = Vec::new();
    while let Some(e) = conn.next_event() {
        events.push(e);
    }
    assert!(
        matches!(
            events.last(),
            Some(Event::Reset {
                stream: 1,
                code: ErrorCode::PROTOCOL
            })
        ),
        "{events:?}"
    );
}
