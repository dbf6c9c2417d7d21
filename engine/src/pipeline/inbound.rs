//! The Inbound object: the accepted connection a root context belongs to (docs/reference/api.md,
//! Inbound).

use std::cell::Cell;
use std::net::SocketAddr;

use rquickjs::{Ctx, Object, Value};

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    /// This worker's open connections (`pipy.inbound`).
    static OPEN: std::cell::RefCell<Vec<std::rc::Weak<Inbound>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Counts `inbound` among this worker's open connections until it is dropped.
pub fn track(inbound: &std::rc::Rc<Inbound>) {
    OPEN.with(|o| {
        let mut o = o.borrow_mut();
        o.retain(|w| w.strong_count() > 0);
        o.push(std::rc::Rc::downgrade(inbound));
    });
}

/// This worker's open connections, oldest first.
pub fn open() -> Vec<std::rc::Rc<Inbound>> {
    OPEN.with(|o| {
        let mut o = o.borrow_mut();
        o.retain(|w| w.upgrade().is_some_and(|i| !i.is_closed()));
        o.iter().filter_map(|w| w.upgrade()).collect()
    })
}

/// What to do once a connection has closed.
type CloseHook = Box<dyn FnOnce()>;

/// An accepted connection's addresses, and what waits for it to close.
pub struct Inbound {
    /// Unique per worker, from 1.
    pub id: u64,
    /// The peer.
    pub remote: SocketAddr,
    /// Our end.
    pub local: SocketAddr,
    /// The original client and destination, as a PROXY protocol header told them (boxed: most
    /// connections have none, and every open connection holds this field).
    proxied: std::cell::Cell<Option<Box<(SocketAddr, SocketAddr)>>>,
    /// The script object, made on first use and shared by every context of the connection.
    js: std::cell::OnceCell<crate::script::JsValue>,
    /// Set by [`Inbound::close`].
    closed: Cell<bool>,
    /// Run once by [`Inbound::close`].
    on_close: std::cell::RefCell<Vec<CloseHook>>,
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbound")
            .field("id", &self.id)
            .field("remote", &self.remote)
            .field("local", &self.local)
            .field("closed", &self.closed.get())
            .finish()
    }
}

impl Inbound {
    /// Describes a new connection. IPv4 peers on a dual-stack socket are shown as IPv4.
    pub fn new(remote: SocketAddr, local: SocketAddr) -> Inbound {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        Inbound {
            id,
            remote: canonical(remote),
            local: canonical(local),
            proxied: std::cell::Cell::new(None),
            js: std::cell::OnceCell::new(),
            closed: Cell::new(false),
            on_close: Default::default(),
        }
    }

    /// Runs `hook` once the connection has closed (see [`Inbound::close`]). Returns false,
    /// and drops `hook`, when it already has.
    ///
    /// Whatever outlives a client connection but serves only it (an upstream pool keyed by
    /// this connection, say) is let go here. The connection may stay referenced (contexts
    /// keep it) long after it closed, so its drop is no such signal.
    pub fn on_close(&self, hook: impl FnOnce() + 'static) -> bool {
        if self.closed.get() {
            return false;
        }
        self.on_close.borrow_mut().push(Box::new(hook));
        true
    }

    /// True once the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Notes that the connection has closed (both ways, its pipeline done) and runs the
    /// [`Inbound::on_close`] hooks, in the order they came. Later calls do nothing.
    pub fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        let hooks = std::mem::take(&mut *self.on_close.borrow_mut());
        for hook in hooks {
            hook();
        }
    }

    /// The client: the peer, or the original client a PROXY protocol header named.
    pub fn client(&self) -> SocketAddr {
        self.proxied().map(|(c, _)| c).unwrap_or(self.remote)
    }

    /// Records the original client and destination from a PROXY protocol header: from now on
    /// `__inbound.remoteAddress`/`remotePort` and `destinationAddress`/`destinationPort` (and
    /// [`Inbound::client`]) report them.
    pub fn set_proxied(&self, client: SocketAddr, destination: SocketAddr) {
        let (client, destination) = (canonical(client), canonical(destination));
        self.proxied.set(Some(Box::new((client, destination))));
        if let Some(v) = self.js.get() {
            crate::script::js(|ctx| {
                if let Some(o) = v.get(ctx).as_object() {
                    let _ = Self::set_addresses(o, client, destination);
                }
            });
        }
    }

    /// The client and destination a PROXY protocol header gave, if one did.
    fn proxied(&self) -> Option<(SocketAddr, SocketAddr)> {
        let p = self.proxied.take();
        let addresses = p.as_deref().copied();
        self.proxied.set(p);
        addresses
    }

    fn set_addresses(
        o: &Object<'_>,
        remote: SocketAddr,
        destination: SocketAddr,
    ) -> rquickjs::Result<()> {
        o.set("remoteAddress", remote.ip().to_string())?;
        o.set("remotePort", remote.port())?;
        o.set("destinationAddress", destination.ip().to_string())?;
        o.set("destinationPort", destination.port())
    }

    /// The object scripts see as `__inbound`.
    pub fn to_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        if let Some(v) = self.js.get() {
            return Ok(v.get(ctx));
        }
        let o = self.make_js(ctx)?;
        let _ = self.js.set(crate::script::JsValue::save(ctx, o.clone()));
        Ok(o)
    }

    fn make_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let o = Object::new(ctx.clone())?;
        o.set("id", self.id as f64)?;
        o.set("localAddress", self.local.ip().to_string())?;
        o.set("localPort", self.local.port())?;
        let (remote, destination) = self.proxied().unwrap_or((self.remote, self.local));
        Self::set_addresses(&o, remote, destination)?;
        Ok(o.into_value())
    }
}

fn canonical(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip().to_canonical(), a.port())
}
