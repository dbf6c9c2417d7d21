//! The HTTP/1 filters: `demuxHTTP`/`serveHTTP` ([`server`]) and `muxHTTP` ([`client`]), the
//! answers they make themselves ([`answer`]) and their scratch vectors ([`scratch`]).
//! (HTTP/2 is served by `filters/http2_server.rs` and `filters/http2_client.rs`.)

pub(super) mod answer;
pub(super) mod client;
pub(super) mod scratch;
pub(super) mod server;
