//! The frame layer's tests: frames written and parsed back, and frames that break §6.
use super::*;

fn one(bytes: &[u8]) -> Result<Option<Frame>, FrameError> {
    next(&mut BytesMut::from(bytes), DEFAULT_MAX_FRAME_SIZE)
}

#[test]
fn written_frames_parse_back() {
    let mut out = BytesMut::new();
    write_data(&mut out, 1, b"hello", true);
    write_settings(&mut out, &[(setting::MAX_CONCURRENT_STREAMS, 100)]);
    write_settings_ack(&mut out);
    write_ping(&mut out, *b"12345678", true);
    write_window_update(&mut out, 0, 1000);
    write_rst_stream(&mut out, 3, ErrorCode::CANCEL);
    write_goaway(&mut out, 7, ErrorCode::NO_ERROR, b"bye");
    let mut frames = Vec::new();
    while let Some(f) = next(&mut out, DEFAULT_MAX_FRAME_SIZE).unwrap() {
        frames.push(f);
    }
    assert!(out.is_empty());
    assert_eq!(
        frames,
        vec![
            Frame::Data {
                stream: 1,
                end_stream: true,
                data: Bytes::from_static(b"hello"),
                flow_len: 5
            },
            Frame::Settings {
                ack: false,
                params: vec![(3, 100)]
            },
            Frame::Settings {
                ack: true,
                params: vec![]
            },
            Frame::Ping {
                ack: true,
                data: *b"12345678"
            },
            Frame::WindowUpdate {
                stream: 0,
                increment: 1000
            },
            Frame::RstStream {
                stream: 3,
                code: ErrorCode::CANCEL
            },
            Frame::GoAway {
                last_stream: 7,
                code: ErrorCode::NO_ERROR,
                debug: Bytes::from_static(b"bye")
            },
        ]
    );
}

#[test]
fn a_large_block_is_split_into_continuations() {
    let mut out = BytesMut::new();
    let block = vec![7u8; 40_000];
    write_headers(&mut out, 5, &block, false, DEFAULT_MAX_FRAME_SIZE);
    let mut got = Vec::new();
    let mut kinds = Vec::new();
    while let Some(f) = next(&mut out, DEFAULT_MAX_FRAME_SIZE).unwrap() {
        match f {
            Frame::Headers {
                block, end_headers, ..
            } => {
                kinds.push(("h", end_headers));
                got.extend_from_slice(&block);
            }
            Frame::Continuation {
                block, end_headers, ..
            } => {
                kinds.push(("c", end_headers));
                got.extend_from_slice(&block);
            }
            f => panic!("{f:?}"),
        }
    }
    assert_eq!(kinds, [("h", false), ("c", false), ("c", true)]);
    assert_eq!(got, block);
}

#[test]
fn partial_frames_wait_for_more() {
    let mut out = BytesMut::new();
    write_data(&mut out, 1, b"hello", false);
    let mut part = BytesMut::from(&out[..10]);
    assert_eq!(next(&mut part, DEFAULT_MAX_FRAME_SIZE), Ok(None));
    part.extend_from_slice(&out[10..]);
    assert!(matches!(
        next(&mut part, DEFAULT_MAX_FRAME_SIZE),
        Ok(Some(Frame::Data { .. }))
    ));
}

#[test]
fn padding_and_priority_are_removed() {
    // HEADERS, PADDED|PRIORITY|END_HEADERS, stream 3: pad 2, dep 1 exclusive, weight 15,
    // block "ab", padding.
    let bytes = [
        0, 0, 10, 1, 0x2c, 0, 0, 0, 3, 2, 0x80, 0, 0, 1, 15, b'a', b'b', 0, 0,
    ];
    let f = one(&bytes).unwrap().unwrap();
    assert_eq!(
        f,
        Frame::Headers {
            stream: 3,
            end_stream: false,
            end_headers: true,
            priority: Some(Priority {
                dependency: 1,
                exclusive: true,
                weight: 15
            }),
            block: Bytes::from_static(b"ab"),
        }
    );
}

#[test]
fn frames_that_break_the_rules_are_errors() {
    let err = |b: &[u8]| one(b).unwrap_err();
    // DATA on stream 0.
    assert!(matches!(
        err(&[0, 0, 0, 0, 0, 0, 0, 0, 0]),
        FrameError::Connection(ErrorCode::PROTOCOL, _)
    ));
    // Padding longer than the frame.
    assert!(matches!(
        err(&[0, 0, 1, 0, 0x8, 0, 0, 0, 1, 5]),
        FrameError::Connection(ErrorCode::PROTOCOL, _)
    ));
    // SETTINGS of 5 bytes; an ACK with a payload; on a stream.
    assert!(matches!(
        err(&[0, 0, 5, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        FrameError::Connection(ErrorCode::FRAME_SIZE, _)
    ));
    assert!(matches!(
        err(&[0, 0, 6, 4, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
        FrameError::Connection(ErrorCode::FRAME_SIZE, _)
    ));
    assert!(matches!(
        err(&[0, 0, 0, 4, 0, 0, 0, 0, 1]),
        FrameError::Connection(ErrorCode::PROTOCOL, _)
    ));
    // ENABLE_PUSH = 2; INITIAL_WINDOW_SIZE = 2^31; MAX_FRAME_SIZE = 100.
    assert!(matches!(
        err(&[0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2]),
        FrameError::Connection(ErrorCode::PROTOCOL, _)
    ));
    assert!(matches!(
        err(&[0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 4, 0x80, 0, 0, 0]),
        FrameError::Connection(ErrorCode::FLOW_CONTROL, _)
    ));
    assert!(matches!(
        err(&[0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 100]),
        FrameError::Connection(ErrorCode::PROTOCOL, _)
    ));
    // PING of 7 bytes.
    assert!(matches!(
        err(&[0, 0, 7, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7]),
        FrameError::Connection(ErrorCode::FRAME_SIZE, _)
    ));
    // WINDOW_UPDATE of 0 on a stream: a stream error; on the connection: a connection one.
    assert!(matches!(
        err(&[0, 0, 4, 8, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
        FrameError::Stream(1, ErrorCode::PROTOCOL, _)
    ));
    assert!(matches!(
        err(&[0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        FrameError::Connection(ErrorCode::PROTOCOL, _)
    ));
    // PRIORITY on itself.
    assert!(matches!(
        err(&[0, 0, 5, 2, 0, 0, 0, 0, 3, 0, 0, 0, 3, 0]),
        FrameError::Stream(3, ErrorCode::PROTOCOL, _)
    ));
    // A frame above the frame size.
    assert!(matches!(
        err(&[0, 0x40, 1, 0, 0, 0, 0, 0, 1]),
        FrameError::Connection(ErrorCode::FRAME_SIZE, _)
    ));
    // Unknown types are passed over.
    assert_eq!(
        one(&[0, 0, 1, 0xfa, 0, 0, 0, 0, 1, 9]),
        Ok(Some(Frame::Unknown {
            kind: 0xfa,
            stream: 1
        }))
    );
}
