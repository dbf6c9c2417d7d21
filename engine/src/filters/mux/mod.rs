//! The generic multiplexing core, and Pipy's `mux`, `muxQueue`, `demux` and `demuxQueue` on
//! it.
//!
//! Client side (`mux`): many streams share a few *sessions*. A session is one sub-pipeline
//! (usually ending in `connect`), taken from a *pool* chosen by the script's key; the
//! [`pool::SessionMap`] of a filter holds one pool per key. Each stream's request messages are
//! framed into its session by a [`hooks::MuxProtocol`], and the session's output is matched
//! back to the waiting requests by the [`replies::ReplyQueue`] (in order, or by id).
//!
//! ```text
//!  stream ─┐                    ┌─ pool(key) ─ session ─▶ sub-pipeline ─▶ upstream
//!  stream ─┼─▶ mux ─ key ─▶ map ┤              session ─▶ sub-pipeline ─▶ upstream
//!  stream ─┘                    └─ pool(key2) ─ ...
//! ```
//!
//! Server side (`demux`): the [`demux_queue::DemuxQueue`] gives every input message its own
//! sub-pipeline and puts the replies back in request order.
//!
//! Protocols plug in through [`hooks`]; read that module to write a `muxDubbo`-style filter.
//! Files: [`options`] (option parsing), [`key`] (the session key), [`pool`] (pools and their
//! map), [`session`] (one shared sub-pipeline), [`stream`] (one user of a session),
//! [`replies`] (matching replies), [`mux_filter`] ([`MuxCore`] and `mux`/`muxQueue`),
//! [`demux_queue`] and [`demux_filter`] (`demux`/`demuxQueue`).

pub mod demux_filter;
pub mod demux_queue;
pub mod hooks;
pub mod key;
pub mod mux_filter;
pub mod options;
pub mod pool;
pub mod replies;
pub mod session;
pub mod stream;

pub use demux_queue::DemuxQueue;
pub use hooks::{DemuxProtocol, Expect, MuxProtocol, ProtocolFactory, Request, Route};
pub use key::KeySelector;
pub use mux_filter::MuxCore;
pub use options::{MuxOptions, OptionsSource, ReplyCount, SessionOptions};

use super::FilterDescriptor;

/// The filters of this module.
pub fn filters() -> Vec<&'static FilterDescriptor> {
    let mut v = Vec::new();
    v.extend_from_slice(mux_filter::FILTERS);
    v.extend_from_slice(demux_filter::FILTERS);
    v
}
