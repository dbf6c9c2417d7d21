//! HTTP/2 as a sans-I/O codec of our own (RFC 9113): frames and HPACK on bytes, driven by
//! the filters and by tests alike, as [`super::decoder`] and [`super::encoder`] are for
//! HTTP/1.
//!
//! Why not only the `h2` crate (which the hyper-based HTTP/2 path uses today): profiled
//! under `h2load -c10 -m100` (bench/README.md, "HTTP/2"), the crate's connection machinery
//! alone costs more instructions per request than Sluice's whole HTTP/1 request, and a
//! request through hyper spawns tasks of its own. A codec that works on the engine's own
//! buffers and events is the way to the per-request cost HTTP/1 has.
//!
//! Files: [`frame`] (frame heads and payloads, parsed and written), [`hpack`], [`request`]
//! (a request's fields checked and sorted into a head) and [`server`] (the server side of a
//! connection: streams, settings, flow control).

pub mod frame;
pub mod hpack;
pub mod request;
pub mod server;
