//! Sluice: a programmable network stream processor that runs Pipy scripts.
//!
//! Data path:
//!
//! ```text
//!  socket ──read──▶ [Pipeline: filter ▶ filter ▶ joint ▶ filter] ──write──▶ socket
//!                                         │  ▲
//!                                         ▼  │
//!                                  [sub-pipeline ...]
//! ```
//!
//! Bytes become [`event::Event`]s; a [`pipeline::Pipeline`] of filters transforms them; joint
//! filters run sub-pipelines. Scripts (JavaScript, run by QuickJS through [`script`]) describe
//! the pipelines and supply callbacks. Each worker thread owns its script runtime and pipelines.

pub mod admin;
pub mod algo;
pub mod check;
pub mod cli;
pub mod clock;
pub mod codebase;
pub mod codec;
pub mod debug;
pub mod docs;
pub mod event;
pub mod filters;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod host;
pub mod http;
pub mod liveness;
pub mod loader;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod net;
pub mod pipeline;
pub mod repo;
pub mod script;
pub mod settings;
pub mod test_run;
pub mod tls;
pub mod trace;
pub mod typings;
pub mod units;
pub mod web;
pub mod worker;
