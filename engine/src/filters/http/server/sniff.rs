//! Protocol sniffing: HTTP/1 or HTTP/2 from the first bytes, and the switch after an
//! `Upgrade: h2c`.

use bytes::Bytes;

use super::ServerCore;
use crate::http::h2::PREFACE;
use crate::http::h2c::Spliced;

/// The connection's protocol: not known until its first bytes arrive.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Nothing decided yet (the first bytes may still become the HTTP/2 preface).
    Sniffing,
    Http1,
    Http2,
}

impl ServerCore {
    /// Decides HTTP/1 or HTTP/2 from the first bytes. Returns the bytes for the HTTP/1
    /// decoder, or nothing when they are held or went to HTTP/2.
    pub(super) fn sniff(&self, b: Bytes, end: bool) -> Option<Bytes> {
        let mut held = self.sniffed.borrow_mut();
        let all = if held.is_empty() {
            b
        } else {
            held.extend_from_slice(&b);
            Bytes::from(std::mem::take(&mut *held))
        };
        let n = all.len().min(PREFACE.len());
        if all[..n] != PREFACE[..n] {
            self.mode.set(Mode::Http1);
            return Some(all);
        }
        if n < PREFACE.len() {
            if end {
                self.mode.set(Mode::Http1);
                return Some(all);
            }
            held.extend_from_slice(&all);
            return None;
        }
        drop(held);
        self.start_h2(all);
        None
    }

    /// True once the connection speaks HTTP/2, or is about to after an `Upgrade: h2c`.
    pub(super) fn switched_to_h2(&self) -> bool {
        self.mode.get() == Mode::Http2 || self.h2c.borrow().is_some()
    }

    /// Hands the connection to the HTTP/2 server, `first` being its first bytes.
    pub(super) fn start_h2(&self, first: Bytes) {
        self.mode.set(Mode::Http2);
        let svc = super::H2Service {
            name: self.settings.name,
            access_log: self.settings.access_log,
            responder: self.settings.responder.clone(),
            constant: self.settings.constant.clone(),
            context: self.context.clone(),
            output: self.output.clone(),
        };
        if super::h2_native::chosen() {
            *self.h2_native.borrow_mut() = Some(super::h2_native::NativeH2::start(svc, first));
            return;
        }
        let io = super::h2::start(svc, first);
        *self.h2.borrow_mut() = Some(io);
    }

    /// The client's bytes after the 101 of an `Upgrade: h2c`.
    pub(super) fn h2c_input(&self, b: &[u8]) {
        let done = match self.h2c.borrow_mut().as_mut() {
            Some(splice) => splice.push(b),
            None => return,
        };
        match done {
            Spliced::Waiting => {}
            Spliced::Ready(first) => {
                self.h2c.borrow_mut().take();
                self.start_h2(first);
            }
            Spliced::NotHttp2 => {
                tracing::debug!(target: "http", "no HTTP/2 preface after an h2c upgrade");
                self.h2c.borrow_mut().take();
                self.close();
            }
        }
    }
}
