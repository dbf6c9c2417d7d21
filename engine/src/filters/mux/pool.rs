//! Session pools: the sessions of one key, and the map of pools of one filter.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::key::PoolKey;
use super::options::MuxOptions;
use super::session::Session;
use crate::script::ScriptError;

/// The pools of one filter (in one worker), by key. Streams with the same key share sessions.
#[derive(Default)]
pub struct SessionMap {
    pools: RefCell<HashMap<String, Rc<Pool>>>,
}

impl SessionMap {
    /// An empty map.
    pub fn new() -> Rc<SessionMap> {
        Rc::new(SessionMap::default())
    }

    /// The pool of `key`, made with the options `options()` gives when there is none.
    pub fn pool(
        self: &Rc<Self>,
        key: &PoolKey,
        options: impl FnOnce() -> Result<MuxOptions, ScriptError>,
    ) -> Result<Rc<Pool>, ScriptError> {
        if let Some(p) = self.pools.borrow().get(&key.text) {
            return Ok(p.clone());
        }
        let options = options()?;
        let pool = Rc::new_cyclic(|me| Pool {
            me: me.clone(),
            map: Rc::downgrade(self),
            key: key.clone(),
            options,
            sessions: RefCell::new(Vec::new()),
        });
        self.pools
            .borrow_mut()
            .insert(key.text.clone(), pool.clone());
        Ok(pool)
    }

    /// Number of pools (keys with at least one session or being set up).
    pub fn len(&self) -> usize {
        self.pools.borrow().len()
    }

    /// True when there is no pool.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn forget(&self, pool: &Pool) {
        let mut pools = self.pools.borrow_mut();
        if pools
            .get(&pool.key.text)
            .is_some_and(|p| std::ptr::eq(p.as_ref(), pool))
        {
            pools.remove(&pool.key.text);
        }
    }
}

/// The sessions of one key.
pub struct Pool {
    me: Weak<Pool>,
    map: Weak<SessionMap>,
    key: PoolKey,
    options: MuxOptions,
    sessions: RefCell<Vec<Rc<Session>>>,
}

impl Pool {
    /// The options the pool was made with.
    pub fn options(&self) -> &MuxOptions {
        &self.options
    }

    /// The pool's key.
    pub fn key(&self) -> &PoolKey {
        &self.key
    }

    /// A session a new stream may join: the least shared one with room, else a new one from
    /// `make`. The flag is true for a new session, which the caller must open.
    pub fn session(&self, make: impl FnOnce(&Rc<Pool>) -> Rc<Session>) -> (Rc<Session>, bool) {
        let found = self
            .sessions
            .borrow()
            .iter()
            .filter(|s| s.can_take())
            .min_by_key(|s| s.stream_count())
            .cloned();
        if let Some(s) = found {
            return (s, false);
        }
        let me = self.me.upgrade().expect("a pool in use is alive");
        let s = make(&me);
        self.sessions.borrow_mut().push(s.clone());
        (s, true)
    }

    /// Forgets a closed session; a pool left without sessions leaves the map.
    pub fn remove(&self, session: &Session) {
        let empty = {
            let mut list = self.sessions.borrow_mut();
            list.retain(|s| !std::ptr::eq(s.as_ref(), session));
            list.is_empty()
        };
        if empty {
            if let Some(map) = self.map.upgrade() {
                map.forget(self);
            }
        }
    }
}
