//! Replies, encoded in request order: a reply that is ahead of its turn waits.

use std::rc::Rc;

use bytes::Bytes;

use super::exchange::{Exch, ReplyState, Tunnel};
use super::ServerCore;
use crate::event::Event;
use crate::filters::http::{answer, scratch};
use crate::http::head::out_head;
use crate::http::tail::trailers_of;
use crate::http::Role;

impl ServerCore {
    pub(super) fn on_reply(&self, id: u64, evt: Event) {
        let front = self.exchanges.borrow().front().map(|x| x.id);
        let x = self.exchanges.borrow().iter().find(|x| x.id == id).cloned();
        let Some(x) = x else { return };
        if x.reply.get() == ReplyState::Done {
            return;
        }
        if front == Some(id) {
            self.write_reply(&x, evt);
            self.flush_front();
        } else {
            x.pending.borrow_mut().push_back(evt);
        }
    }

    /// Writes pending replies of the front exchanges, in order, as far as they go.
    pub(super) fn flush_front(&self) {
        loop {
            let Some(x) = self.exchanges.borrow().front().cloned() else {
                break;
            };
            if x.reply.get() == ReplyState::Done {
                self.finish_front(&x);
                continue;
            }
            let next = x.pending.borrow_mut().pop_front();
            match next {
                Some(e) => self.write_reply(&x, e),
                None => break,
            }
        }
    }

    pub(super) fn finish_front(&self, x: &Rc<Exch>) {
        self.exchanges.borrow_mut().pop_front();
        if x.last.get() {
            self.close();
        } else {
            self.maybe_close();
        }
    }

    pub(super) fn write_reply(&self, x: &Rc<Exch>, evt: Event) {
        if self.closed.get() {
            return;
        }
        if x.raw.get() {
            match evt {
                Event::Data(b) => self.output.emit(Event::Data(b)),
                Event::MessageEnd(_) => x.reply.set(ReplyState::Done),
                _ => {}
            }
            return;
        }
        let mut out = scratch::chunks();
        match evt {
            Event::MessageStart(head) => {
                if x.reply.get() != ReplyState::NotStarted {
                    return;
                }
                x.reply.set(ReplyState::Started);
                let oh = out_head(head.as_ref(), Role::Response, x.info);
                let mut oh = oh;
                if let Some(t) = x.observer.echoed_trace() {
                    oh.headers.push(("x-sluice-trace".into(), t.to_string()));
                }
                x.observer
                    .note_head(self.settings.name, self.context.id(), &oh.start_line);
                let status = oh
                    .start_line
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(200);
                x.observer.answered(status);
                match x.tunnel.get() {
                    t if t.accepted_by(status) => {
                        oh.no_length = true;
                        oh.bodiless = true;
                        if status == 101 {
                            oh.connection = Some("upgrade".into());
                        }
                        x.tunnel.set(Tunnel::Open);
                        *self.tunnel.borrow_mut() = Some(x.clone());
                    }
                    t if t.asked() => x.last.set(true),
                    _ => {}
                }
                // An accepted tunnel (101, a CONNECT's 2xx) keeps its `connection: upgrade`
                // even while the worker drains: the connection ends when the tunnel does.
                let last = x.tunnel.get() != Tunnel::Open
                    && (x.last.get()
                        || self.draining.get()
                        || oh
                            .connection
                            .as_deref()
                            .is_some_and(|c| c.eq_ignore_ascii_case("close")));
                x.last.set(last);
                if self.encoder.borrow_mut().start(oh, last, &mut out) {
                    x.last.set(true);
                }
                if x.tunnel.get() == Tunnel::Open {
                    // The tunnel is open: what the client sent ahead goes through it now.
                    let _ = self.encoder.borrow_mut().end(&mut out);
                    self.emit_bytes(std::mem::take(&mut out));
                    let pending = std::mem::take(&mut *self.tunnel_pending.borrow_mut());
                    if let Some(p) = x.sub.borrow().clone() {
                        for b in pending {
                            p.input(Event::Data(b));
                        }
                    }
                }
            }
            Event::Data(b) if x.tunnel.get() == Tunnel::Open => out.push(b),
            Event::MessageEnd(_) if x.tunnel.get() == Tunnel::Open => {}
            Event::StreamEnd(_) if x.tunnel.get() == Tunnel::Open => {
                self.emit_bytes(out);
                return self.close();
            }
            Event::Data(b) => {
                if x.reply.get() == ReplyState::NotStarted {
                    return;
                }
                x.observer.body(b.len());
                if let Err(e) = self.encoder.borrow_mut().data(b, &mut out) {
                    tracing::warn!(target: "http", "{}(): {e}", self.settings.name);
                    self.emit_bytes(out);
                    return self.close();
                }
            }
            Event::MessageEnd(end) => {
                if x.reply.get() == ReplyState::NotStarted {
                    return;
                }
                let trailers = trailers_of(&end);
                match self.encoder.borrow_mut().end_with(&trailers, &mut out) {
                    Ok(close) => {
                        if close {
                            x.last.set(true);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(target: "http", "{}(): {e}", self.settings.name);
                        self.emit_bytes(out);
                        return self.close();
                    }
                }
                x.reply.set(ReplyState::Done);
                self.log_access(x);
            }
            Event::StreamEnd(se) => {
                if x.reply.get() != ReplyState::NotStarted {
                    // The reply broke off: the client cannot be told, so the connection ends.
                    self.emit_bytes(out);
                    return self.close();
                }
                let (status, text) = se.http_status();
                x.observer.answered_for_error(status);
                let head = answer::error_head(status, text, x.info.peer_http10);
                x.reply.set(ReplyState::Started);
                self.encoder
                    .borrow_mut()
                    .start(head, x.last.get(), &mut out);
                let _ = self.encoder.borrow_mut().end(&mut out);
                x.reply.set(ReplyState::Done);
                self.log_access(x);
            }
        }
        self.emit_bytes(out);
    }

    /// The exchange is over: its access log line names the upstream its request reached.
    pub(super) fn log_access(&self, x: &Exch) {
        let sub = x.sub.borrow();
        x.observer.finish(sub.as_ref().map(|p| &**p.context()));
    }

    pub(super) fn emit_bytes(&self, mut out: Vec<Bytes>) {
        for b in out.drain(..) {
            self.output.emit(Event::Data(b));
        }
        scratch::give_chunks(out);
    }

    pub(super) fn maybe_close(&self) {
        if self.input_ended.get() && self.exchanges.borrow().is_empty() {
            self.close();
        }
    }

    pub(super) fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.exchanges.borrow_mut().clear();
        *self.receiving.borrow_mut() = None;
        self.output.emit(crate::event::StreamEnd::ok());
    }
}
