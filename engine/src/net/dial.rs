//! Opening a TCP connection to a `host:port` target, with retries and a timeout per attempt:
//! what `connect` and the listener's relay share.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::event::ErrorCode;

/// How to dial.
#[derive(Clone, Debug)]
pub struct DialOptions {
    /// The longest wait for one attempt.
    pub connect_timeout: Option<Duration>,
    /// Attempts after the first (negative: no limit).
    pub retry_count: i64,
    /// The wait between attempts.
    pub retry_delay: Duration,
}

/// Connects to `target`; the error code says why the last attempt failed.
pub async fn dial(target: &str, opts: &DialOptions) -> Result<TcpStream, ErrorCode> {
    let mut attempt = 0i64;
    loop {
        match attempt_once(target, opts.connect_timeout).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(code) => {
                if opts.retry_count >= 0 && attempt >= opts.retry_count {
                    return Err(code);
                }
                attempt += 1;
                tokio::time::sleep(opts.retry_delay).await;
            }
        }
    }
}

async fn attempt_once(target: &str, timeout: Option<Duration>) -> Result<TcpStream, ErrorCode> {
    let addrs: Vec<SocketAddr> = match tokio::net::lookup_host(target).await {
        Ok(a) => a.collect(),
        Err(_) => return Err(ErrorCode::CannotResolve),
    };
    let addr = *addrs.first().ok_or(ErrorCode::CannotResolve)?;
    let connect = TcpStream::connect(addr);
    let s = match timeout {
        Some(t) => tokio::time::timeout(t, connect)
            .await
            .map_err(|_| ErrorCode::ConnectionTimeout)?,
        None => connect.await,
    };
    s.map_err(|e| ErrorCode::from_io(&e, false))
}
