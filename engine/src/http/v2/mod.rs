//! HTTP/2 as a sans-I/O codec of our own (RFC 9113): frames and HPACK on bytes, driven by
//! the filters and by tests alike, as [`super::decoder`] and [`super::encoder`] are for
//! HTTP/1.
//!
//! Why not the `h2` crate (which hyper's HTTP/2 client, used by `muxHTTP`, still runs on):
//! profiled under `h2load -c10 -m100` (bench/README.md, "HTTP/2"), the crate's connection
//! machinery alone cost more instructions per request than Sluice's whole HTTP/1 request,
//! and a request through hyper spawned tasks of its own. On this codec the server side
//! (`filters/http/server/h2_native/`, the default; `SLUICE_HTTP2=hyper` runs hyper's server
//! instead) costs 13,700 instructions per request against hyper's 36,100.
//!
//! Files: [`frame`] (frame heads and payloads, parsed and written), [`hpack`], [`request`]
//! (a request's fields checked and sorted into a head) and [`server`] (the server side of a
//! connection: streams, settings, flow control; its receiving half in `server_recv.rs`, its
//! sending half in `server_send.rs`).

pub mod frame;
pub mod hpack;
pub mod request;
pub mod server;
