//! The listener's relay: a layout that only connects each accepted connection to one fixed TCP
//! target (`listen(P).connect('host:port')`, see [`Relay`]) has no filter that reads the
//! bytes, so they need not cross user space. Each direction moves them with `splice(2)`: from
//! the socket into a pipe and from the pipe into the other socket, in the kernel. What the
//! pipeline would have recorded is recorded here too: the listener's byte counters, the
//! upstream's connect time and errors, `pipy.inbound`/`pipy.outbound`.
//!
//! The target is dialled when the client's first bytes arrive, as `connect` does. Either side's
//! half-close is passed on (a FIN becomes a shutdown of the other socket's
//! writing side); a reset or another error ends both. A direction that moves nothing for its
//! read timeout (the listener's for the client, `connect`'s for the target) ends as a FIN,
//! as the pipeline's timeouts do.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use tokio::io::Interest;
use tokio::net::TcpStream;

use super::{dial, upstream_warnings, DialOptions};
use crate::metrics::ConnectionMetrics;
use crate::pipeline::Relay;

/// Bytes asked of one `splice` call; the pipe is made this large where the system allows.
const CHUNK: usize = 256 * 1024;

/// Relays `client` to the relay's target until both directions are done.
pub async fn relay(
    client: TcpStream,
    relay: &Relay,
    client_read_timeout: Duration,
    client_write_timeout: Option<Duration>,
    counters: &ConnectionMetrics,
) {
    // As `connect` does, dial only once the client sent something: a connection that closes
    // (or times out) without a byte never reaches the target.
    let mut first = [0u8; 1];
    match tokio::time::timeout(client_read_timeout, client.peek(&mut first)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return,
    }
    let target = relay.target.as_str();
    let opts = DialOptions {
        connect_timeout: relay.connect_timeout,
        retry_count: relay.retry_count,
        retry_delay: relay.retry_delay,
    };
    let started = std::time::Instant::now();
    let server = match dial(target, &opts).await {
        Ok(s) => s,
        Err(code) => {
            crate::metrics::builtin()
                .stream_errors
                .with_label_values(&[code.name()])
                .inc();
            upstream_warnings::report(target, code, true);
            close_gently(&client);
            return;
        }
    };
    crate::metrics::connect_timer(target).observe(started.elapsed().as_secs_f64());
    tracing::debug!(target: "outbound", "connected to {target} (relayed in the kernel)");
    let _outbound = match (server.peer_addr(), server.local_addr()) {
        (Ok(r), Ok(l)) => Some(super::outbound::Outbound::open(target, r, l)),
        _ => None,
    };
    let (up_pipe, down_pipe) = match (Pipe::new(), Pipe::new()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(target: "inbound", "relay to {target}: no pipe: {e}");
            return;
        }
    };
    let up = pump(
        &client,
        &server,
        &up_pipe,
        Limits {
            read: client_read_timeout,
            write: None,
        },
        |n| counters.bytes_in.inc_by(n),
    );
    let down = pump(
        &server,
        &client,
        &down_pipe,
        Limits {
            read: relay.read_timeout,
            write: client_write_timeout,
        },
        |n| counters.bytes_out.inc_by(n),
    );
    tokio::pin!(up, down);
    let (mut up_done, mut down_done) = (false, false);
    while !(up_done && down_done) {
        let (r, to, target_reads) = tokio::select! {
            r = &mut up, if !up_done => {
                up_done = true;
                (r, &server, false)
            }
            r = &mut down, if !down_done => {
                down_done = true;
                (r, &client, true)
            }
        };
        match r {
            // This side is done sending: so is the relay, towards the other one.
            Ok(()) => {
                let _ = socket2::SockRef::from(to).shutdown(std::net::Shutdown::Write);
            }
            Err(Failed { reading, error }) => {
                tracing::debug!(target: "inbound", "relay to {target} ends: {error}");
                // The target failed when reading from it (down) or writing to it (up) did.
                if reading == target_reads {
                    report_upstream_error(target, &error, reading);
                }
                return;
            }
        }
    }
}

/// Closes the client with a FIN, not a reset: what it sent is read (and dropped) first, as the
/// pipeline would have read it.
fn close_gently(client: &TcpStream) {
    let mut scratch = [0u8; 4096];
    while matches!(client.try_read(&mut scratch), Ok(n) if n > 0) {}
    let _ = socket2::SockRef::from(client).shutdown(std::net::Shutdown::Write);
}

/// The target's side failed (a reset, say): counted and reported as `connect` does.
fn report_upstream_error(target: &str, e: &io::Error, reading: bool) {
    let code = crate::event::ErrorCode::from_io(e, reading);
    if upstream_warnings::is_failure(code) {
        crate::metrics::builtin()
            .stream_errors
            .with_label_values(&[code.name()])
            .inc();
    }
    upstream_warnings::report(target, code, false);
}

/// How long one direction waits for its socket.
#[derive(Clone, Copy)]
struct Limits {
    /// For bytes to read: nothing for this long ends the direction (as a FIN).
    read: Duration,
    /// For room to write: none for this long ends the relay.
    write: Option<Duration>,
}

/// Why a direction stopped early.
struct Failed {
    /// Reading from its source failed (else writing to its destination).
    reading: bool,
    error: io::Error,
}

impl Failed {
    fn reading(error: io::Error) -> Failed {
        Failed {
            reading: true,
            error,
        }
    }
    fn writing(error: io::Error) -> Failed {
        Failed {
            reading: false,
            error,
        }
    }
}

/// Moves what `from` sends to `to` until `from` is done sending (`Ok`) or something fails.
async fn pump(
    from: &TcpStream,
    to: &TcpStream,
    pipe: &Pipe,
    limits: Limits,
    count: impl Fn(u64),
) -> Result<(), Failed> {
    loop {
        let read = async {
            loop {
                from.readable().await?;
                match from.try_io(Interest::READABLE, || {
                    splice(from.as_raw_fd(), pipe.write.as_raw_fd(), CHUNK)
                }) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    r => return r,
                }
            }
        };
        let mut held = match tokio::time::timeout(limits.read, read).await {
            Err(_) => return Ok(()), // nothing for the read timeout: end as a FIN
            Ok(Ok(0)) => return Ok(()),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(Failed::reading(e)),
        };
        count(held as u64);
        while held > 0 {
            let write = async {
                loop {
                    to.writable().await?;
                    match to.try_io(Interest::WRITABLE, || {
                        splice(pipe.read.as_raw_fd(), to.as_raw_fd(), held)
                    }) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        r => return r,
                    }
                }
            };
            let n = match limits.write {
                Some(t) => tokio::time::timeout(t, write)
                    .await
                    .unwrap_or_else(|_| Err(io::Error::from(io::ErrorKind::TimedOut))),
                None => write.await,
            }
            .map_err(Failed::writing)?;
            if n == 0 {
                return Err(Failed::writing(io::ErrorKind::WriteZero.into()));
            }
            held -= n;
        }
    }
}

/// `splice(2)` without offsets, non-blocking.
fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: both descriptors are open for the duration of the call (owned by the caller's
    // sockets and pipe); null offsets are allowed for sockets and pipes.
    let n = unsafe {
        libc::splice(
            from,
            std::ptr::null_mut(),
            to,
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// A non-blocking pipe, the kernel buffer between the two sockets.
struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl Pipe {
    fn new() -> io::Result<Pipe> {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded: both descriptors are new and ours alone.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // A larger pipe moves more per call; the default (64 KiB) still works.
        // SAFETY: F_SETPIPE_SZ on our own pipe descriptor.
        unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, CHUNK as libc::c_int) };
        Ok(Pipe { read, write })
    }
}
