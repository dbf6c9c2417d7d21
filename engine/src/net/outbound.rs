//! Outbound connections (`connect()`), tracked per worker for `pipy.outbound`.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::{Rc, Weak};

use rquickjs::{Ctx, Object, Value};

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    static OPEN: RefCell<Vec<Weak<Outbound>>> = const { RefCell::new(Vec::new()) };
}

/// A connection this worker made: the target asked for and both ends' addresses.
#[derive(Debug)]
pub struct Outbound {
    /// Unique per worker, from 1.
    pub id: u64,
    /// The `host:port` given to `connect()`.
    pub target: String,
    /// The peer.
    pub remote: SocketAddr,
    /// Our end.
    pub local: SocketAddr,
}

impl Outbound {
    /// Records a new connection; it counts as open until the returned value is dropped.
    pub fn open(target: &str, remote: SocketAddr, local: SocketAddr) -> Rc<Outbound> {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        let o = Rc::new(Outbound {
            id,
            target: target.to_string(),
            remote: SocketAddr::new(remote.ip().to_canonical(), remote.port()),
            local: SocketAddr::new(local.ip().to_canonical(), local.port()),
        });
        OPEN.with(|v| {
            let mut v = v.borrow_mut();
            v.retain(|w| w.strong_count() > 0);
            v.push(Rc::downgrade(&o));
        });
        o
    }

    /// The object scripts see in `pipy.outbound.forEach()`.
    pub fn to_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let o = Object::new(ctx.clone())?;
        o.set("id", self.id as f64)?;
        o.set("address", self.target.as_str())?;
        o.set("remoteAddress", self.remote.ip().to_string())?;
        o.set("remotePort", self.remote.port())?;
        o.set("localAddress", self.local.ip().to_string())?;
        o.set("localPort", self.local.port())?;
        Ok(o.into_value())
    }
}

/// This worker's open outbound connections, oldest first.
pub fn open() -> Vec<Rc<Outbound>> {
    OPEN.with(|v| {
        let mut v = v.borrow_mut();
        v.retain(|w| w.strong_count() > 0);
        v.iter().filter_map(|w| w.upgrade()).collect()
    })
}
