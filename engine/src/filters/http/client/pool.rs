//! The connection pool of one `muxHTTP` filter: idle HTTP/1 sessions by key, the HTTP/2
//! session of each key, and the connections whose protocol a version Promise will decide.
//!
//! A key made from the client connection (`muxHTTP()` without a key, as in Pipy) can never be
//! asked for again once that connection has closed: its sessions are closed then, not left
//! idle for `maxIdle` (see [`Pool::watch`]).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::h2::H2Session;
use super::Session;
use crate::filters::http_version::Probe;
use crate::pipeline::Inbound;

/// Idle HTTP/1 sessions by key, and the HTTP/2 session of each key.
#[derive(Default)]
pub(in crate::filters) struct Pool {
    idle: RefCell<HashMap<String, Vec<Rc<Session>>>>,
    h2: RefCell<HashMap<String, Rc<H2Session>>>,
    /// Connections whose protocol a version Promise will decide, by key.
    probes: RefCell<HashMap<String, Rc<Probe>>>,
    /// Keys of client connections this pool waits to see close.
    watched: RefCell<HashSet<String>>,
}

impl Pool {
    /// Closes the sessions of `key` when `inbound`, the client connection the key stands for,
    /// closes. Asked once per stream; the connection is told once per pool.
    pub(in crate::filters) fn watch(self: &Rc<Pool>, inbound: &Inbound, key: &str) {
        if self.watched.borrow().contains(key) {
            return;
        }
        let pool = Rc::downgrade(self);
        let k = key.to_string();
        let hook = move || {
            if let Some(pool) = pool.upgrade() {
                pool.retire(&k);
            }
        };
        // A connection already closed has no session to wait for: the stream asking will
        // not leave its session idle either (see `MuxStream::serves_closed_client`).
        if inbound.on_close(hook) {
            self.watched.borrow_mut().insert(key.to_string());
        }
    }

    /// `key` will never be asked for again: its idle sessions close now, and its HTTP/2
    /// session once its calls in flight are over.
    fn retire(&self, key: &str) {
        self.watched.borrow_mut().remove(key);
        let idle = self.idle.borrow_mut().remove(key);
        for s in idle.into_iter().flatten() {
            s.close();
        }
        let h2 = self.h2.borrow_mut().remove(key);
        if let Some(s) = h2 {
            s.retire();
        }
        tracing::debug!(target: "http", "muxHTTP(): client connection of {key} closed: its upstream sessions close");
    }

    /// The HTTP/2 session of `key`, made with `make` when there is none that works.
    pub(super) fn h2_session(
        &self,
        key: &str,
        make: impl FnOnce() -> Rc<H2Session>,
    ) -> Rc<H2Session> {
        if let Some(s) = self.h2.borrow().get(key) {
            if s.usable() {
                return s.clone();
            }
        }
        let s = make();
        self.h2.borrow_mut().insert(key.to_string(), s.clone());
        s
    }

    /// True when `key` has a working HTTP/2 session.
    pub(in crate::filters) fn has_h2(&self, key: &str) -> bool {
        self.h2.borrow().get(key).is_some_and(|s| s.usable())
    }

    /// Makes `s` the HTTP/2 session of `key`.
    pub(super) fn set_h2(&self, key: &str, s: &Rc<H2Session>) {
        self.h2.borrow_mut().insert(key.to_string(), s.clone());
    }

    /// The connection of `key` waiting for its version Promise, if any.
    pub(in crate::filters) fn probe(&self, key: &str) -> Option<Rc<Probe>> {
        self.probes.borrow().get(key).cloned()
    }

    /// Notes the connection of `key` that waits for its version Promise.
    pub(in crate::filters) fn add_probe(&self, key: &str, p: &Rc<Probe>) {
        self.probes.borrow_mut().insert(key.to_string(), p.clone());
    }

    /// Forgets `p` once its Promise settled.
    pub(in crate::filters) fn remove_probe(&self, key: &str, p: &Probe) {
        let mut map = self.probes.borrow_mut();
        if map.get(key).is_some_and(|x| std::ptr::eq(x.as_ref(), p)) {
            map.remove(key);
        }
    }

    /// Forgets a closed HTTP/2 session.
    pub(super) fn forget_h2(&self, key: &str, s: &H2Session) {
        let mut map = self.h2.borrow_mut();
        if map.get(key).is_some_and(|x| std::ptr::eq(x.as_ref(), s)) {
            map.remove(key);
        }
    }

    /// An idle HTTP/1 session of `key`, if one is still open.
    pub(in crate::filters) fn take(&self, key: &str) -> Option<Rc<Session>> {
        let mut idle = self.idle.borrow_mut();
        let list = idle.get_mut(key)?;
        let found = std::iter::from_fn(|| list.pop()).find(|s| !s.is_closed());
        if list.is_empty() {
            idle.remove(key);
        }
        found
    }

    /// Keeps `s` for the next request of its key.
    pub(in crate::filters) fn put(&self, s: &Rc<Session>) {
        self.idle
            .borrow_mut()
            .entry(s.key.clone())
            .or_default()
            .push(s.clone());
    }

    /// Forgets a closed HTTP/1 session.
    pub(in crate::filters) fn remove(&self, s: &Session) {
        let mut idle = self.idle.borrow_mut();
        if let Some(list) = idle.get_mut(&s.key) {
            list.retain(|x| !std::ptr::eq(x.as_ref(), s));
            if list.is_empty() {
                idle.remove(&s.key);
            }
        }
    }
}
