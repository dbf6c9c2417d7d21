//! UDP, as Pipy treats it: a listener makes one pipeline per peer address (a UDP "session")
//! fed one Data event per datagram, and sends each Data its pipeline outputs back to that
//! peer as one datagram; a session that hears nothing for the idle timeout ends. The client
//! side (`connect(target, {protocol: 'udp'})`) is a [`UdpLink`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::datagram::{DatagramLink, DatagramSocket};
use super::{ListenOptions, Tracker};
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::pipeline::Inbound;
use crate::pipeline::{Context, Output, Pipeline, PipelineLayout};

/// The largest datagram read.
const MAX_DATAGRAM: usize = 65536;

/// Binds a UDP socket; `host` `::` means every address, IPv4 and IPv6.
pub fn bind_udp(host: &str, port: u16, reuse_port: bool) -> Result<std::net::UdpSocket, String> {
    let addr = super::listener::listen_address(host, port)?;
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| format!("cannot listen on UDP port {port}: {e}"))?;
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        let _ = socket.set_only_v6(false);
    }
    let _ = socket.set_reuse_address(true);
    if reuse_port {
        let _ = socket.set_reuse_port(true);
    }
    socket.bind(&addr.into()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!("cannot listen on UDP port {port}: it is already in use")
        } else {
            format!("cannot listen on UDP port {port}: {e}")
        }
    })?;
    socket
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on UDP port {port}: {e}"))?;
    Ok(socket.into())
}

struct Session {
    pipeline: Rc<Pipeline>,
    last: std::cell::Cell<Instant>,
}

type Sessions = Rc<RefCell<HashMap<SocketAddr, Rc<Session>>>>;

/// Receives datagrams forever, each peer address into its own pipeline of `layout`.
pub async fn serve_udp(
    socket: UdpSocket,
    layout: Rc<PipelineLayout>,
    opts: ListenOptions,
    tracker: Rc<Tracker>,
) {
    // Sends go straight to a std handle of the same socket: a UDP send does not wait, and
    // tokio's readiness-based `try_send_to` refuses until the socket has been polled.
    let sender = match socket_sender(&socket) {
        Ok(s) => Rc::new(s),
        Err(e) => {
            tracing::error!(target: "udp", "cannot send on the UDP socket: {e}");
            return;
        }
    };
    let socket = Rc::new(socket);
    let local = socket
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let sessions: Sessions = Rc::default();
    let idle = opts.idle_timeout.max(Duration::from_millis(100));
    let mut sweep =
        tokio::time::interval((idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(1)));
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                let (n, peer) = match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!(target: "udp", "receive failed: {e}");
                        continue;
                    }
                };
                let existing = sessions.borrow().get(&peer).cloned();
                let session = match existing {
                    Some(s) => s,
                    None => {
                        if opts.max_connections.is_some_and(|m| sessions.borrow().len() >= m) {
                            continue; // over the limit: the datagram is dropped
                        }
                        let s = open_session(&sender, &sessions, &layout, peer, local, &tracker);
                        sessions.borrow_mut().insert(peer, s.clone());
                        s
                    }
                };
                session.last.set(Instant::now());
                session
                    .pipeline
                    .input(Event::Data(Bytes::copy_from_slice(&buf[..n])));
            }
            _ = sweep.tick() => {
                let now = Instant::now();
                let stale: Vec<(SocketAddr, Rc<Session>)> = sessions
                    .borrow()
                    .iter()
                    .filter(|(_, s)| now.duration_since(s.last.get()) >= idle)
                    .map(|(a, s)| (*a, s.clone()))
                    .collect();
                for (peer, s) in stale {
                    sessions.borrow_mut().remove(&peer);
                    tracing::debug!(target: "udp", "session with {peer} idle: ended");
                    s.pipeline.input(StreamEnd::code(ErrorCode::IdleTimeout));
                }
            }
        }
    }
}

/// A std handle on a tokio UDP socket, for sending without waiting for readiness.
fn socket_sender(socket: &UdpSocket) -> std::io::Result<std::net::UdpSocket> {
    use std::os::fd::{AsFd, OwnedFd};
    let fd: OwnedFd = socket.as_fd().try_clone_to_owned()?;
    Ok(std::net::UdpSocket::from(fd))
}

fn open_session(
    socket: &Rc<std::net::UdpSocket>,
    sessions: &Sessions,
    layout: &Rc<PipelineLayout>,
    peer: SocketAddr,
    local: SocketAddr,
    tracker: &Rc<Tracker>,
) -> Rc<Session> {
    let inbound = Rc::new(Inbound::new(peer, local));
    tracing::debug!(target: "udp", "session {} from {peer}", inbound.id);
    let context = Context::root(Some(inbound.clone()));
    let (sock, weak, t) = (socket.clone(), Rc::downgrade(sessions), tracker.clone());
    t.enter();
    let ended = std::cell::Cell::new(false);
    let output = Output::from_fn(move |e| match e {
        Event::Data(b) if !b.is_empty() => {
            // UDP may drop: a full socket buffer drops the datagram rather than queue it.
            if let Err(e) = sock.send_to(&b, peer) {
                tracing::debug!(target: "udp", "send to {peer} failed: {e}");
            }
        }
        Event::StreamEnd(_) if !ended.replace(true) => {
            if let Some(s) = weak.upgrade() {
                if let Ok(mut m) = s.try_borrow_mut() {
                    m.remove(&peer);
                }
            }
            t.leave();
        }
        _ => {}
    });
    let pipeline = Pipeline::new(layout, context, output);
    let ib = inbound.clone();
    pipeline.start(move |ctx| {
        vec![ib
            .to_js(ctx)
            .unwrap_or_else(|_| rquickjs::Value::new_null(ctx.clone()))]
    });
    Rc::new(Session {
        pipeline,
        last: std::cell::Cell::new(Instant::now()),
    })
}

/// The client side of UDP: datagrams to one peer. Data written before the socket is ready
/// waits in order.
pub type UdpLink = DatagramLink<std::net::UdpSocket>;

impl DatagramSocket for std::net::UdpSocket {
    const TARGET: &'static str = "UDP";

    fn send_datagram(&self, b: &[u8]) -> std::io::Result<()> {
        self.send(b).map(|_| ())
    }
}

impl UdpLink {
    /// Connects to `target` and emits each datagram received as Data until `idle` passes
    /// without one; then the stream ends with `IdleTimeout`.
    pub async fn run(self: Rc<Self>, target: String, idle: Duration, output: Output) {
        let socket = match dial(&target).await {
            Ok(s) => Rc::new(s),
            Err(code) => {
                tracing::debug!(target: "outbound", "UDP to {target} failed: {code}");
                return output.emit(StreamEnd::code(code));
            }
        };
        match socket_sender(&socket) {
            Ok(s) => self.open(s),
            Err(e) => return output.emit(StreamEnd::code(ErrorCode::from_io(&e, false))),
        }
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            match tokio::time::timeout(idle, socket.recv(&mut buf)).await {
                Ok(Ok(n)) => output.emit(Event::Data(Bytes::copy_from_slice(&buf[..n]))),
                Ok(Err(e)) => {
                    tracing::debug!(target: "udp", "receive from {target} failed: {e}");
                    return output.emit(StreamEnd::code(ErrorCode::from_io(&e, true)));
                }
                Err(_) => return output.emit(StreamEnd::code(ErrorCode::IdleTimeout)),
            }
        }
    }
}

async fn dial(target: &str) -> Result<UdpSocket, ErrorCode> {
    let addr = tokio::net::lookup_host(target)
        .await
        .map_err(|_| ErrorCode::CannotResolve)?
        .next()
        .ok_or(ErrorCode::CannotResolve)?;
    let any: SocketAddr = if addr.is_ipv6() {
        "[::]:0".parse().expect("address")
    } else {
        "0.0.0.0:0".parse().expect("address")
    };
    let s = UdpSocket::bind(any)
        .await
        .map_err(|e| ErrorCode::from_io(&e, false))?;
    s.connect(addr)
        .await
        .map_err(|e| ErrorCode::from_io(&e, false))?;
    Ok(s)
}
