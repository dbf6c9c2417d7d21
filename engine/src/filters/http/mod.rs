//! The HTTP filters: `demuxHTTP`/`serveHTTP` ([`server`]) and `muxHTTP` ([`client`]), each
//! speaking HTTP/1 itself and HTTP/2 through hyper (`server/h2.rs`, `client/h2.rs`); the
//! answers they make themselves ([`answer`]), what is recorded of each exchange
//! ([`observer`]) and their scratch vectors ([`scratch`]).

pub(super) mod answer;
pub(super) mod client;
pub(super) mod observer;
pub(super) mod scratch;
pub(super) mod server;
