//! Sockets: listeners, the per-connection reader/writer, and back-pressure taps.

mod datagram;
mod dial;
mod listener;
pub mod netlink;
pub mod outbound;
pub mod port_holder;
pub mod proxy_protocol;
pub mod registry;
#[cfg(target_os = "linux")]
mod relay;
mod socket;
mod tap;
mod udp;
pub mod upstream_warnings;

pub use dial::{dial, DialOptions};
pub use listener::{bind, serve_listener, ListenOptions, Tracker};
pub use socket::{at_scope_end, pump_reader, SocketWriter};
pub use tap::{Backlog, Tap};
pub use udp::{bind_udp, serve_udp, UdpLink};
