//! The HTTP access log: one line per response, with NGINX-like fields.

use std::time::Instant;

/// What is known about one request by the time its response is sent.
#[derive(Debug)]
pub struct AccessRecord {
    /// Client address.
    pub remote: String,
    /// Request method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Request protocol.
    pub protocol: &'static str,
    /// When the request head arrived.
    pub start: Instant,
    /// Response status.
    pub status: u16,
    /// Response body bytes.
    pub bytes: u64,
    /// The `grpc-status` a gRPC call ended with.
    pub grpc_status: Option<u32>,
}

impl AccessRecord {
    /// Writes the log line (topic `access`): `remote "METHOD path proto" status bytes
    /// seconds upstream`, and `grpc-status=N` for a gRPC call; with `--log-format json` the
    /// fields are separate.
    pub fn log(&self, upstream: Option<&str>) {
        let secs = self.start.elapsed().as_secs_f64();
        let upstream = upstream.unwrap_or("-");
        tracing::info!(
            target: "access",
            remote = %self.remote,
            method = %self.method,
            path = %self.path,
            protocol = self.protocol,
            status = self.status,
            bytes = self.bytes,
            duration = secs,
            upstream = %upstream,
            grpc_status = self.grpc_status,
            "{} \"{} {} {}\" {} {} {:.6} {}{}",
            self.remote,
            self.method,
            self.path,
            self.protocol,
            self.status,
            self.bytes,
            secs,
            upstream,
            GrpcStatus(self.grpc_status)
        );
    }
}

/// ` grpc-status=N` at the end of a gRPC call's line; nothing for other requests.
struct GrpcStatus(Option<u32>);

impl std::fmt::Display for GrpcStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(g) => write!(f, " grpc-status={g}"),
            None => Ok(()),
        }
    }
}
