//! The sending side of [`super::ServerConnection`]: response heads, bodies within the
//! peer's flow-control windows, trailers, resets and GOAWAY.

use bytes::Bytes;

use super::super::frame::{self, ErrorCode};
use super::{End, ServerConnection};

impl ServerConnection {
    /// Sends a response (or informational) head; `end_stream` when no body follows.
    /// Fields are (name, value) with lower-case names; `:status` is added first.
    pub fn send_head<'a>(
        &mut self,
        stream: u32,
        status: u16,
        fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
        end_stream: bool,
    ) {
        match self.streams.get_mut(&stream) {
            Some(s) => s.head_sent = true,
            None => return,
        }
        let code = status.to_string();
        let mut block = Vec::with_capacity(64);
        self.encoder.encode(
            std::iter::once((&b":status"[..], code.as_bytes(), false))
                .chain(fields.into_iter().map(|(n, v)| (n, v, false))),
            &mut block,
        );
        frame::write_headers(
            &mut self.out,
            stream,
            &block,
            end_stream,
            self.peer_max_frame_size,
        );
        if end_stream {
            self.local_end(stream);
        }
    }

    /// Sends response body bytes; what the windows do not allow yet waits in the stream.
    pub fn send_data(&mut self, stream: u32, data: Bytes, end_stream: bool) {
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        if !data.is_empty() {
            s.pending_len += data.len();
            self.pending_total += data.len();
            s.pending.push_back(data);
        }
        if end_stream {
            s.pending_end = Some(End::Data);
        }
        self.flush(stream);
    }

    /// Ends the response with trailers (after any data still waiting for window).
    pub fn send_trailers<'a>(
        &mut self,
        stream: u32,
        fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) {
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        let fields = fields
            .into_iter()
            .map(|(n, v)| (Bytes::copy_from_slice(n), Bytes::copy_from_slice(v)))
            .collect();
        s.pending_end = Some(End::Trailers(fields));
        self.flush(stream);
    }

    /// Abandons a stream (RST_STREAM with `code`).
    pub fn reset(&mut self, stream: u32, code: ErrorCode) {
        if let Some(s) = self.streams.remove(&stream) {
            self.pending_total -= s.pending_len;
            self.write_reset(stream, code);
        }
    }

    /// Starts a graceful shutdown: GOAWAY(2^31-1) and a PING now, GOAWAY with the last stream
    /// taken when the PING comes back; streams in flight go on.
    pub fn go_away(&mut self) {
        if !self.going_away && !self.shutdown_announced {
            // Two steps (RFC 9113 §6.8): a request the client sends while this GOAWAY is on
            // its way is still served, not refused.
            self.shutdown_announced = true;
            frame::write_goaway(&mut self.out, frame::MAX_WINDOW, ErrorCode::NO_ERROR, b"");
            frame::write_ping(&mut self.out, super::SHUTDOWN_PING, false);
        }
    }

    /// True once the final GOAWAY is out: no new stream will come.
    pub fn shut(&self) -> bool {
        self.going_away
    }

    /// Sends what the windows allow of `stream`'s waiting data (and its end).
    pub(super) fn flush(&mut self, stream: u32) {
        let max_frame = i64::from(self.peer_max_frame_size);
        let (mut ended, mut wait) = (false, false);
        {
            let Some(s) = self.streams.get_mut(&stream) else {
                return;
            };
            while let Some(chunk) = s.pending.front_mut() {
                let room = s.send_window.min(self.send_window).min(max_frame);
                if room <= 0 {
                    break;
                }
                let n = chunk.len().min(room as usize);
                let piece = chunk.split_to(n);
                s.pending_len -= n;
                self.pending_total -= n;
                if chunk.is_empty() {
                    s.pending.pop_front();
                }
                s.send_window -= n as i64;
                self.send_window -= n as i64;
                let last = s.pending.is_empty() && s.pending_end == Some(End::Data);
                frame::write_data(&mut self.out, stream, &piece, last);
                if last {
                    s.pending_end = None;
                    ended = true;
                    break;
                }
            }
            if !ended {
                if !s.pending.is_empty() {
                    wait = true;
                } else {
                    match s.pending_end.take() {
                        Some(End::Data) => {
                            frame::write_data(&mut self.out, stream, &[], true);
                            ended = true;
                        }
                        Some(End::Trailers(fields)) => {
                            let mut block = Vec::with_capacity(64);
                            let fields = fields.iter().map(|(n, v)| (&n[..], &v[..], false));
                            self.encoder.encode(fields, &mut block);
                            let max = self.peer_max_frame_size;
                            frame::write_headers(&mut self.out, stream, &block, true, max);
                            ended = true;
                        }
                        None => {}
                    }
                }
            }
        }
        let listed = self
            .streams
            .get_mut(&stream)
            .map(|s| std::mem::replace(&mut s.waiting, wait));
        if wait && listed == Some(false) {
            // Ids of streams gone since (reset, say) are dropped once they pile up.
            if self.waiting.len() > 2 * self.streams.len() + 16 {
                let streams = &self.streams;
                self.waiting
                    .retain(|id| streams.get(id).is_some_and(|s| s.waiting));
            }
            self.waiting.push_back(stream);
        }
        if ended {
            self.local_end(stream);
        }
    }

    /// Windows opened: streams waiting send, in the order they began to wait.
    pub(super) fn flush_waiting(&mut self) {
        for _ in 0..self.waiting.len() {
            if self.send_window <= 0 {
                break;
            }
            let Some(stream) = self.waiting.pop_front() else {
                break;
            };
            if let Some(s) = self.streams.get_mut(&stream) {
                s.waiting = false;
            }
            self.flush(stream);
        }
    }
}
