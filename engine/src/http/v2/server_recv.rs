//! The receiving side of [`super::ServerConnection`]: header blocks (new requests and
//! trailers), with §8's request rules, and DATA within this side's flow-control windows.

use std::collections::VecDeque;

use bytes::Bytes;

use super::super::frame::{self, ErrorCode};
use super::super::hpack::Field;
use super::super::request::{request_head, RequestHead};
use super::{ConnectionError, Event, Phase, ServerConnection, Stream, MAX_PENDING};

impl ServerConnection {
    /// A complete header block: a new request, or a request's trailers.
    pub(super) fn header_block(
        &mut self,
        stream: u32,
        end_stream: bool,
        self_dependent: bool,
        block: Bytes,
    ) -> Result<(), ConnectionError> {
        let mut fields = Vec::new();
        let mut size = 0usize;
        let limit = self.limits.max_header_list_size as usize;
        let decoded = self.decoder.decode(&block, |f: Field| {
            size += f.name.len() + f.value.len() + 32;
            if size <= limit {
                fields.push(f);
            }
        });
        if let Err(e) = decoded {
            return Err(self.fail(ErrorCode::COMPRESSION, e.to_string()));
        }
        // The block is decoded (the tables are in step): now what it is for.
        if let Some(s) = self.streams.get(&stream) {
            if self_dependent {
                self.reset_stream(stream, ErrorCode::PROTOCOL, "stream depends on itself");
                return Ok(());
            }
            let (phase, expected, received) = (s.phase, s.expected_len, s.received_len);
            // Trailers: they must end the stream.
            if phase == Phase::HalfClosedRemote {
                self.reset_stream(
                    stream,
                    ErrorCode::STREAM_CLOSED,
                    "HEADERS after the end of the stream",
                );
                return Ok(());
            }
            if !end_stream {
                self.reset_stream(stream, ErrorCode::PROTOCOL, "trailers without END_STREAM");
                return Ok(());
            }
            if fields.iter().any(|f| f.name.starts_with(b":")) {
                self.reset_stream(
                    stream,
                    ErrorCode::PROTOCOL,
                    "pseudo-header field in trailers",
                );
                return Ok(());
            }
            if phase == Phase::Answered {
                self.completed(stream);
                return Ok(());
            }
            if expected.is_some_and(|n| n != received) {
                self.reset_stream(
                    stream,
                    ErrorCode::PROTOCOL,
                    "DATA does not add up to content-length",
                );
                return Ok(());
            }
            self.remote_end(stream);
            let fields = fields.into_iter().map(|f| (f.name, f.value)).collect();
            self.events.push_back(Event::Trailers { stream, fields });
            return Ok(());
        }
        if stream.is_multiple_of(2) {
            return Err(self.fail(
                ErrorCode::PROTOCOL,
                "a client stream with an even id".into(),
            ));
        }
        if stream <= self.last_stream {
            if self.was_reset(stream) {
                // Trailers (or a body's end) sent before the client saw our RST_STREAM.
                return Ok(());
            }
            return Err(self.fail(
                ErrorCode::PROTOCOL,
                "HEADERS on a stream id already passed".into(),
            ));
        }
        self.last_stream = stream;
        if self_dependent {
            self.reset_stream(stream, ErrorCode::PROTOCOL, "stream depends on itself");
            return Ok(());
        }
        // A client that does not read its answers: no new stream until it has taken some.
        let backlog = self.pending_total > MAX_PENDING;
        if self.going_away
            || backlog
            || self.streams.len() >= self.limits.max_concurrent_streams as usize
        {
            self.write_reset(stream, ErrorCode::REFUSED_STREAM);
            return Ok(());
        }
        self.streams.insert(
            stream,
            Stream {
                phase: if end_stream {
                    Phase::HalfClosedRemote
                } else {
                    Phase::Open
                },
                send_window: i64::from(self.peer_initial_window),
                recv_window: i64::from(self.limits.initial_window),
                pending: VecDeque::new(),
                pending_end: None,
                expected_len: None,
                received_len: 0,
                pending_len: 0,
                waiting: false,
                paused: false,
                head_sent: false,
            },
        );
        if size > limit {
            self.events.push_back(Event::HeadTooLarge { stream });
            return Ok(());
        }
        match request_head(fields) {
            Ok(head) => {
                if let Err(why) = self.expect_length(stream, &head, end_stream) {
                    self.reset_stream(stream, ErrorCode::PROTOCOL, why);
                    return Ok(());
                }
                self.events.push_back(Event::Request {
                    stream,
                    head,
                    end_stream,
                })
            }
            Err(why) => {
                self.reset_debt += 1;
                self.write_reset(stream, ErrorCode::PROTOCOL);
                self.streams.remove(&stream);
                tracing::debug!(target: "http", "HTTP/2 stream {stream}: malformed request: {why}");
            }
        }
        Ok(())
    }

    /// Notes a request's `content-length`, which its DATA must add up to (§8.1.1).
    fn expect_length(
        &mut self,
        stream: u32,
        head: &RequestHead,
        end_stream: bool,
    ) -> Result<(), &'static str> {
        let Some((_, v)) = head
            .headers
            .iter()
            .find(|(n, _)| &n[..] == b"content-length")
        else {
            return Ok(());
        };
        let n = std::str::from_utf8(v)
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
            .ok_or("content-length is not a number")?;
        if end_stream && n > 0 {
            return Err("content-length without DATA");
        }
        if let Some(s) = self.streams.get_mut(&stream) {
            s.expected_len = Some(n);
        }
        Ok(())
    }

    pub(super) fn data(
        &mut self,
        stream: u32,
        end_stream: bool,
        data: Bytes,
        flow_len: u32,
    ) -> Result<(), ConnectionError> {
        let flow = i64::from(flow_len);
        if flow > self.recv_window {
            return Err(self.fail(
                ErrorCode::FLOW_CONTROL,
                "DATA beyond the connection window".into(),
            ));
        }
        self.recv_window -= flow;
        let full = i64::from(self.limits.initial_window.max(frame::DEFAULT_WINDOW));
        if self.recv_window < full / 2 {
            frame::write_window_update(&mut self.out, 0, (full - self.recv_window) as u32);
            self.recv_window = full;
        }
        let Some(s) = self.streams.get_mut(&stream) else {
            if stream > self.last_stream {
                return Err(self.fail(ErrorCode::PROTOCOL, "DATA on an idle stream".into()));
            }
            if !self.was_reset(stream) {
                frame::write_rst_stream(&mut self.out, stream, ErrorCode::STREAM_CLOSED);
            }
            return Ok(());
        };
        if s.phase == Phase::HalfClosedRemote {
            self.reset_stream(
                stream,
                ErrorCode::STREAM_CLOSED,
                "DATA after the end of the stream",
            );
            return Ok(());
        }
        if flow > s.recv_window {
            self.reset_stream(
                stream,
                ErrorCode::FLOW_CONTROL,
                "DATA beyond the stream window",
            );
            return Ok(());
        }
        s.recv_window -= flow;
        s.received_len += data.len() as u64;
        if s.phase == Phase::Answered {
            // Dropped; a client told its answer may stop short of its content-length.
            if end_stream {
                self.completed(stream);
            } else if s.recv_window < i64::from(self.limits.initial_window) / 2 {
                let window = i64::from(self.limits.initial_window);
                frame::write_window_update(&mut self.out, stream, (window - s.recv_window) as u32);
                s.recv_window = window;
            }
            return Ok(());
        }
        if let Some(n) = s.expected_len {
            if s.received_len > n || (end_stream && s.received_len != n) {
                self.reset_stream(
                    stream,
                    ErrorCode::PROTOCOL,
                    "DATA does not add up to content-length",
                );
                return Ok(());
            }
        }
        let window = i64::from(self.limits.initial_window);
        if !end_stream && !s.paused && s.recv_window < window / 2 {
            frame::write_window_update(&mut self.out, stream, (window - s.recv_window) as u32);
            s.recv_window = window;
        }
        if end_stream {
            self.remote_end(stream);
        }
        self.events.push_back(Event::Data {
            stream,
            data,
            end_stream,
        });
        Ok(())
    }
}
