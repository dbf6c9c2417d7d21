//! What the client sends: bytes decoded into requests, the head timer, bad input.

use bytes::Bytes;

use super::exchange::{ReplyState, Tunnel};
use super::sniff::Mode;
use super::{Action, ServerCore};
use crate::event::{ErrorCode, Event, MessageTail};
use crate::filters::http::{answer, scratch};
use crate::http::decoder::Part;
use crate::http::head::Exchange as HeadInfo;
use crate::http::tail::message_end;

impl ServerCore {
    pub(super) fn on_input(&self, evt: Event) {
        if self.closed.get() || self.input_ended.get() {
            return;
        }
        let evt = match (self.mode.get(), evt) {
            (Mode::Http2, Event::Data(b)) => {
                if let Some(io) = self.h2.borrow().as_ref() {
                    io.push(b);
                } else if let Some(h2) = self.h2_native.borrow().as_ref() {
                    h2.push(b);
                }
                return;
            }
            (Mode::Http2, Event::StreamEnd(_)) => {
                self.input_ended.set(true);
                if let Some(io) = self.h2.borrow().as_ref() {
                    io.end();
                } else if let Some(h2) = self.h2_native.borrow().as_ref() {
                    h2.end();
                }
                return;
            }
            (Mode::Sniffing, Event::Data(b)) if !b.is_empty() => match self.sniff(b, false) {
                Some(b) => Event::Data(b),
                None => return,
            },
            (Mode::Sniffing, Event::StreamEnd(se)) if !self.sniffed.borrow().is_empty() => {
                if let Some(b) = self.sniff(Bytes::new(), true) {
                    self.on_input(Event::Data(b));
                }
                Event::StreamEnd(se)
            }
            (_, e) => e,
        };
        match evt {
            Event::Data(b) => {
                let mut parts = scratch::parts();
                self.decoder.borrow_mut().feed(&b, &mut parts);
                for p in parts.drain(..) {
                    self.on_part(p);
                }
                scratch::give_parts(parts);
                self.watch_head();
            }
            Event::StreamEnd(_) => {
                self.input_ended.set(true);
                let open = self.tunnel.borrow().clone();
                if let Some(x) = open {
                    if let Some(p) = x.sub.borrow().clone() {
                        p.input(crate::event::StreamEnd::ok());
                    }
                    return;
                }
                let mut parts = Vec::new();
                let cut = self.decoder.borrow_mut().finish(&mut parts);
                for p in parts {
                    self.on_part(p);
                }
                if cut {
                    self.abandon_receiving(ErrorCode::ConnectionReset);
                }
                self.maybe_close();
            }
            _ => {}
        }
    }

    pub(super) fn on_part(&self, part: Part) {
        match part {
            Part::Head(h) => self.start_exchange(h),
            Part::Data(b) => {
                let x = self.receiving.borrow().clone();
                if let Some(x) = x {
                    let sub = x.sub.borrow().clone();
                    match sub {
                        Some(p) => p.input(Event::Data(b)),
                        None => {
                            x.reader.borrow_mut().data(&b);
                            if x.reader.borrow().dropped() > 0 {
                                // serveHTTP holds whole requests: refuse one too big to hold.
                                self.decoder_failed(
                                    413,
                                    format!(
                                        "request body is over the {} MiB limit",
                                        crate::filters::callback::DEFAULT_BUFFER_LIMIT >> 20
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            Part::End {
                head_size,
                body_size,
                trailers,
            } => {
                let Some(x) = self.receiving.borrow_mut().take() else {
                    return;
                };
                let end = message_end(head_size, body_size, trailers);
                let sub = x.sub.borrow().clone();
                match sub {
                    Some(p) => {
                        p.input(Event::MessageEnd(end));
                        // A tunnel's sub-pipeline goes on with the tunnel's bytes.
                        if x.tunnel.get() == Tunnel::None {
                            p.input(crate::event::StreamEnd::ok());
                        }
                    }
                    None => self.run_handler(&x, end),
                }
            }
            Part::Error(e) => {
                tracing::debug!(target: "http", "bad request: {}", e.message());
                self.decoder_failed(e.status(), e.message());
            }
            Part::Tunnel(b) if self.h2c.borrow().is_some() => self.h2c_input(&b),
            Part::Tunnel(b) => {
                let open = self.tunnel.borrow().clone();
                match open {
                    Some(x) => {
                        if let Some(p) = x.sub.borrow().clone() {
                            p.input(Event::Data(b));
                        }
                    }
                    None => self.tunnel_pending.borrow_mut().push(b),
                }
            }
        }
    }

    /// Starts a timer while a request head is partly received; a client that does not
    /// finish its head in time gets 408 and the connection closes.
    pub(super) fn watch_head(&self) {
        let partial = self.receiving.borrow().is_none()
            && !self.decoder.borrow().is_idle()
            && !self.switched_to_h2();
        if !partial {
            self.head_timer.set(0);
            return;
        }
        if self.head_timer.get() != 0 {
            return;
        }
        let gen = self.next_id.get() + 1;
        self.head_timer.set(gen);
        let me = self.me.clone();
        let wait = self.settings.header_timeout;
        tokio::task::spawn_local(async move {
            tokio::time::sleep(wait).await;
            if let Some(core) = me.upgrade() {
                if core.head_timer.get() == gen && !core.closed.get() {
                    core.head_timer.set(0);
                    core.act(Action::Timeout);
                }
            }
        });
    }

    /// Answers input that is not valid HTTP with `status`, then closes the connection.
    /// The request being received will never be complete: its sub-pipeline ends, and it
    /// gets no reply (whatever came before it still does).
    pub(super) fn abandon_receiving(&self, code: ErrorCode) {
        let Some(x) = self.receiving.borrow_mut().take() else {
            return;
        };
        self.exchanges.borrow_mut().retain(|e| e.id != x.id);
        let sub = x.sub.borrow_mut().take();
        if let Some(sub) = sub {
            sub.input(crate::event::StreamEnd::code(code));
        }
        self.flush_front();
    }

    pub(super) fn decoder_failed(&self, status: u16, message: String) {
        self.abandon_receiving(ErrorCode::ProtocolError);
        let x = self.new_exchange(false, HeadInfo::default());

        self.input_ended.set(true);
        x.raw.set(true);
        x.reply.set(ReplyState::Started);
        x.pending
            .borrow_mut()
            .push_back(Event::Data(answer::refusal(status, message)));
        x.pending
            .borrow_mut()
            .push_back(Event::MessageEnd(MessageTail::default()));
        self.flush_front();
    }
}
