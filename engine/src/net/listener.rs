//! TCP listeners: one root pipeline per accepted connection.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpStream};

use super::{pump_reader, SocketWriter, Tap};
use crate::event::{ErrorCode, Event};
use crate::metrics::ListenerMetrics;
use crate::pipeline::Inbound;
use crate::pipeline::{Context, Output, Pipeline, PipelineLayout};

/// Listen options (docs/reference/api.md, ListenOptions).
#[derive(Clone, Debug)]
pub struct ListenOptions {
    /// Close a connection that sends nothing for this long.
    pub idle_timeout: Duration,
    /// Close a connection that sends nothing for this long (takes precedence when shorter).
    pub read_timeout: Option<Duration>,
    /// Close a connection whose peer takes no bytes for this long.
    pub write_timeout: Option<Duration>,
    /// Most connections at once; further ones wait in the backlog.
    pub max_connections: Option<usize>,
    /// Set SO_REUSEPORT (for several workers on one port).
    pub reuse_port: bool,
    /// UDP instead of TCP (`{protocol: 'udp'}`).
    pub udp: bool,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            idle_timeout: Duration::from_secs(60),
            read_timeout: None,
            write_timeout: None,
            max_connections: None,
            reuse_port: false,
            udp: false,
        }
    }
}

/// The `listen` label of a listener's metrics: the port, with the address when it is not
/// the wildcard.
fn listen_label(layout: &PipelineLayout) -> String {
    match &layout.kind {
        crate::pipeline::LayoutKind::Listen { host, port } if host == "::" || host == "0.0.0.0" => {
            port.to_string()
        }
        crate::pipeline::LayoutKind::Listen { host, port } => format!("{host}:{port}"),
        _ => layout.label.clone(),
    }
}

/// The address to listen on: `host` as an IP address, or else the first address it resolves to.
pub(super) fn listen_address(host: &str, port: u16) -> Result<SocketAddr, String> {
    match host.parse::<IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, port)),
        Err(_) => (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve listen address {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("cannot resolve listen address {host}")),
    }
}

/// Binds a listening socket. `host` `::` means every address, IPv4 and IPv6.
pub fn bind(host: &str, port: u16, opts: &ListenOptions) -> Result<std::net::TcpListener, String> {
    let addr = listen_address(host, port)?;
    let shown = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(|e| format!("cannot listen on {shown}: {e}"))?;
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        let _ = socket.set_only_v6(false);
    }
    let _ = socket.set_reuse_address(true);
    if opts.reuse_port {
        let _ = socket.set_reuse_port(true);
    }
    socket.bind(&addr.into()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            match super::port_holder::holder(port) {
                Some(who) => {
                    format!("cannot listen on {shown}: port {port} is already in use by {who}")
                }
                None => format!("cannot listen on {shown}: port {port} is already in use"),
            }
        } else {
            format!("cannot listen on {shown}: {e}")
        }
    })?;
    socket
        .listen(1024)
        .map_err(|e| format!("cannot listen on {shown}: {e}"))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {shown}: {e}"))?;
    Ok(socket.into())
}

/// Counts a worker's open connections so it can drain before it stops.
#[derive(Default)]
pub struct Tracker {
    open: std::cell::Cell<usize>,
    idle: tokio::sync::Notify,
}

impl Tracker {
    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.get()
    }

    /// Waits until no connection is open.
    pub async fn all_closed(&self) {
        while self.open.get() > 0 {
            self.idle.notified().await;
        }
    }

    pub(super) fn enter(&self) {
        self.open.set(self.open.get() + 1);
    }

    pub(super) fn leave(&self) {
        self.open.set(self.open.get() - 1);
        if self.open.get() == 0 {
            self.idle.notify_waiters();
        }
    }
}

/// Accepts connections forever, each into a new pipeline of `layout`.
pub async fn serve_listener(
    listener: TcpListener,
    layout: Rc<PipelineLayout>,
    opts: ListenOptions,
    tracker: Rc<Tracker>,
) {
    let active = Rc::new(std::cell::Cell::new(0usize));
    let slot_freed = Rc::new(tokio::sync::Notify::new());
    // Whether the layout is a lone `connect` the kernel can relay: known once, for every
    // connection (the filters are set before the listener starts).
    let relay = layout.relay().map(Rc::new);
    let metrics = ListenerMetrics::new(&listen_label(&layout));
    loop {
        if let Some(max) = opts.max_connections {
            while active.get() >= max {
                slot_freed.notified().await;
            }
        }
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(target: "listener", "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        active.set(active.get() + 1);
        tracker.enter();
        let slot = Slot {
            active: active.clone(),
            freed: slot_freed.clone(),
            tracker: tracker.clone(),
        };
        let local = stream.local_addr().unwrap_or(peer);
        let trace = crate::trace::for_connection(local.port());
        let timeout = match opts.read_timeout {
            Some(r) if r < opts.idle_timeout => (r, ErrorCode::ReadTimeout),
            _ => (opts.idle_timeout, ErrorCode::IdleTimeout),
        };
        // Nothing reads the bytes (a lone `connect` to a fixed target, not traced): the kernel
        // moves them.
        #[cfg(target_os = "linux")]
        if let (Some(relay), None) = (&relay, trace) {
            let counters = metrics.open();
            let (relay, write_timeout) = (relay.clone(), opts.write_timeout);
            tokio::task::spawn_local(async move {
                let inbound = accepted(peer, local);
                super::relay::relay(stream, &relay, timeout.0, write_timeout, &counters).await;
                tracing::debug!(target: "inbound", "connection {} closed", inbound.id);
                inbound.close();
                drop(slot);
            });
            continue;
        }
        tokio::task::spawn_local(serve_connection(
            stream,
            (peer, local),
            (layout.clone(), metrics.clone()),
            (trace, timeout),
            &opts,
            slot,
        ));
    }
}

/// A connection's place among the listener's open ones, given back when its task ends (or is
/// dropped).
struct Slot {
    active: Rc<std::cell::Cell<usize>>,
    freed: Rc<tokio::sync::Notify>,
    tracker: Rc<Tracker>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.active.set(self.active.get() - 1);
        self.tracker.leave();
        self.freed.notify_one();
    }
}

/// The accepted connection from `peer` to `local`, known to the inspector from now on.
fn accepted(peer: SocketAddr, local: SocketAddr) -> Rc<Inbound> {
    let inbound = Rc::new(Inbound::new(peer, local));
    crate::pipeline::inbound::track(&inbound);
    tracing::debug!(target: "inbound", "connection {} from {}", inbound.id, inbound.remote);
    inbound
}

/// A connection's task: its pipeline of `layout`, fed by the socket until it ends.
///
/// The future is an `async` block over what it needs, not an `async fn`: the arguments of an
/// `async fn` are stored twice in its state, and every idle connection holds this state.
fn serve_connection(
    stream: TcpStream,
    (peer, local): (SocketAddr, SocketAddr),
    (layout, metrics): (Rc<PipelineLayout>, Rc<ListenerMetrics>),
    (trace, timeout): (Option<u64>, (Duration, ErrorCode)),
    opts: &ListenOptions,
    slot: Slot,
) -> impl std::future::Future<Output = ()> + 'static {
    let inbound = accepted(peer, local);
    let (rd, wr) = stream.into_split();
    let writer = SocketWriter::new();
    writer.set_write_timeout(opts.write_timeout);
    writer.attach(wr);
    let idle_timeout = opts.idle_timeout;
    async move {
        let w = writer.clone();
        let counters = metrics.open();
        let c = metrics.clone();
        let context = Context::root(Some(inbound.clone()));
        context.set_trace(trace);
        let output = Output::from_fn(move |e| {
            if let Event::Data(b) = &e {
                c.bytes_out.inc_by(b.len() as u64);
            }
            w.on_event(e)
        });
        let pipeline = Pipeline::new(&layout, context, output);
        let ib = inbound.clone();
        pipeline.start(move |ctx| {
            vec![ib
                .to_js(ctx)
                .unwrap_or_else(|_| rquickjs::Value::new_null(ctx.clone()))]
        });
        let (p, w) = (pipeline.clone(), writer.clone());
        pump_reader(
            rd,
            Tap::new(),
            Some(timeout),
            move |e| {
                if let Event::Data(b) = &e {
                    metrics.bytes_in.inc_by(b.len() as u64);
                }
                p.input(e)
            },
            move |cx| w.poll_finished(cx),
        )
        .await;
        // The peer is done sending; let the pipeline finish its output, within the idle limit.
        let _ = tokio::time::timeout(idle_timeout, writer.finished()).await;
        tracing::debug!(target: "inbound", "connection {} closed", inbound.id);
        drop(pipeline);
        drop(counters);
        inbound.close();
        drop(slot);
    }
}
