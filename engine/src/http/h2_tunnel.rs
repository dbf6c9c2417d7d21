//! HTTP/2 CONNECT tunnels (RFC 9113 §8.5): once a CONNECT stream is answered 2xx, its DATA
//! frames carry the tunnel's bytes both ways. hyper hands the stream over as an upgraded
//! connection, on either side; [`pump`] joins it to the events of the pipeline that owns the
//! tunnel.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::h2::EventBody;
use crate::event::ErrorCode;

/// The read size for bytes coming out of a tunnel.
const CHUNK: usize = 16 * 1024;

/// True for a CONNECT request head (`method` as it is written in the start line or head).
pub fn is_connect(method: &str) -> bool {
    method.eq_ignore_ascii_case("CONNECT")
}

/// Carries a tunnel until both directions are over: `outgoing`'s data frames are written into
/// the stream (its end half-closes the stream), and what the peer sends goes to `on_data`,
/// then `on_end` (with an error code if the stream broke off).
pub async fn pump(
    up: Upgraded,
    mut outgoing: EventBody,
    on_data: impl Fn(Bytes),
    on_end: impl FnOnce(Option<ErrorCode>),
) {
    let (mut rd, mut wr) = tokio::io::split(TokioIo::new(up));
    let write = async move {
        while let Some(frame) = outgoing.frame().await {
            let Ok(frame) = frame else { break };
            if let Ok(d) = frame.into_data() {
                if wr.write_all(&d).await.is_err() {
                    return;
                }
            }
        }
        let _ = wr.shutdown().await;
    };
    let read = async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) => return on_end(None),
                Ok(n) => on_data(Bytes::copy_from_slice(&buf[..n])),
                Err(e) => {
                    tracing::debug!(target: "http2", "tunnel stream broke off: {e}");
                    return on_end(Some(ErrorCode::ConnectionReset));
                }
            }
        }
    };
    tokio::join!(write, read);
}
