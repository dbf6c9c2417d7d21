//! Netlink sockets (Linux), as Pipy's `connect(address, {protocol: 'netlink'})` opens them: a
//! raw `AF_NETLINK` socket of the given family, bound to the `bind` address (`pid=N;groups=M`,
//! the multicast groups to hear). Each Data written is one datagram to the kernel; each
//! datagram received is one Data. Scripts frame the messages with `encodeNetlink` and
//! `decodeNetlink`.
//!
//! A netlink socket has no peer that hangs up: it stays open after its input ends (replies
//! and multicast events keep arriving) until its idle timeout, when one is given, or until its
//! pipeline goes.

use std::os::fd::{AsRawFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::unix::AsyncFd;

use super::datagram::{DatagramLink, DatagramSocket};
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::pipeline::Output;

/// A netlink address: the port id and the multicast group mask.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NetlinkAddr {
    /// `nl_pid` (0 lets the kernel pick, for a bind).
    pub pid: u32,
    /// `nl_groups`.
    pub groups: u32,
}

impl NetlinkAddr {
    /// Parses Pipy's `pid=N;groups=M` form (either field may be left out).
    pub fn parse(s: &str) -> Result<NetlinkAddr, String> {
        let mut a = NetlinkAddr::default();
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let n: u32 = v
                .trim()
                .parse()
                .map_err(|_| format!("invalid netlink address {s:?}: {k} must be a number"))?;
            match k.trim() {
                "pid" => a.pid = n,
                "groups" => a.groups = n,
                other => {
                    return Err(format!(
                        "invalid netlink address {s:?}: unknown field {other} (use pid and groups)"
                    ))
                }
            }
        }
        Ok(a)
    }
}

/// One netlink socket; Data written before it is open waits in order.
pub type NetlinkLink = DatagramLink<Rc<AsyncFd<OwnedFd>>>;

impl DatagramSocket for Rc<AsyncFd<OwnedFd>> {
    const TARGET: &'static str = "netlink";

    fn send_datagram(&self, b: &[u8]) -> std::io::Result<()> {
        // SAFETY: the descriptor is open for the life of `self`; the buffer is valid for its
        // length.
        let n = unsafe {
            libc::send(
                self.as_raw_fd(),
                b.as_ptr().cast(),
                b.len(),
                libc::MSG_DONTWAIT,
            )
        };
        match n < 0 {
            true => Err(std::io::Error::last_os_error()),
            false => Ok(()),
        }
    }
}

impl NetlinkLink {
    /// Opens a socket of `family` bound to `bind`, sends what waits, then emits each datagram
    /// received as Data until `idle` (if any) passes without one.
    pub async fn run(
        self: Rc<Self>,
        family: i32,
        bind: NetlinkAddr,
        idle: Option<Duration>,
        output: Output,
    ) {
        let fd = match open(family, bind) {
            Ok(fd) => Rc::new(fd),
            Err(e) => {
                tracing::warn!(target: "netlink", "cannot open a netlink socket (family {family}): {e}");
                return output.emit(StreamEnd::code(ErrorCode::from_io(&e, false)));
            }
        };
        self.open(fd.clone());
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let read = recv(&fd, &mut buf);
            let r = match idle {
                Some(t) => match tokio::time::timeout(t, read).await {
                    Ok(r) => r,
                    Err(_) => return output.emit(StreamEnd::code(ErrorCode::IdleTimeout)),
                },
                None => read.await,
            };
            match r {
                Ok(n) => output.emit(Event::Data(Bytes::copy_from_slice(&buf[..n]))),
                Err(e) => {
                    tracing::debug!(target: "netlink", "receive failed: {e}");
                    return output.emit(StreamEnd::code(ErrorCode::from_io(&e, true)));
                }
            }
        }
    }
}

/// A non-blocking raw netlink socket bound to `bind`.
fn open(family: i32, bind: NetlinkAddr) -> std::io::Result<AsyncFd<OwnedFd>> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain system calls; the descriptor is owned at once and closed on error.
    unsafe {
        let raw = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            family,
        );
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let fd = OwnedFd::from_raw_fd(raw);
        let mut addr: libc::sockaddr_nl = std::mem::zeroed();
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_pid = bind.pid;
        addr.nl_groups = bind.groups;
        let r = libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        );
        if r < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // `fd` is an OwnedFd that the AsyncFd owns from here until it is dropped.
        AsyncFd::register(fd).map_err(|e| e.into_parts().1)
    }
}

/// Receives one datagram.
async fn recv(fd: &AsyncFd<OwnedFd>, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        let mut guard = fd.readable().await?;
        let r = guard.try_io(|inner| {
            // SAFETY: the buffer is valid for its length; the descriptor is open.
            let n = unsafe { libc::recv(inner.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        });
        match r {
            Ok(r) => return r,
            Err(_would_block) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NetlinkAddr;

    #[test]
    fn addresses_parse_as_pipy_writes_them() {
        assert_eq!(NetlinkAddr::parse("").unwrap(), NetlinkAddr::default());
        assert_eq!(
            NetlinkAddr::parse("pid=0;groups=1093").unwrap(),
            NetlinkAddr {
                pid: 0,
                groups: 1093
            }
        );
        assert!(NetlinkAddr::parse("pid=x")
            .unwrap_err()
            .contains("pid must be a number"));
        assert!(NetlinkAddr::parse("port=1")
            .unwrap_err()
            .contains("unknown field port"));
    }
}
