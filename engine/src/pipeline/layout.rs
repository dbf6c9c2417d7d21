//! Pipeline layouts and the filter traits.

use std::cell::OnceCell;
use std::rc::{Rc, Weak};

use super::{Context, Output, Pipeline};
use crate::event::Event;
use crate::script::JsValue;

/// A live filter in one pipeline instance.
pub trait Filter {
    /// Handles one input event; output goes through the `Output` given at creation.
    fn process(&mut self, evt: Event);
}

/// What a filter instance is created with.
pub struct FilterInit {
    /// Where this filter's output goes (the next filter, or the pipeline's output).
    pub output: Output,
    /// The context of the pipeline the filter is in.
    pub context: Rc<Context>,
    /// The pipeline the filter is in.
    pub pipeline: Weak<Pipeline>,
    /// The filter's position in that pipeline (its input is `Output::Pipeline(pipeline, index)`).
    pub index: usize,
    /// Modules still ahead when the pipeline is a stage of `chain()`.
    pub chain: Option<super::ChainRest>,
}

/// What a pipeline knows of a filter's type: its name. The full description (help, parameters,
/// how the configuration API builds it) lives with the filters, above this layer.
pub trait FilterType {
    /// The method name scripts call, e.g. `demuxHTTP`.
    fn name(&self) -> &'static str;
}

/// A configured filter: the prototype every instance is made from.
pub trait FilterProto {
    /// The static description of the filter type.
    fn descriptor(&self) -> &'static dyn FilterType;
    /// Makes an instance for one pipeline.
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter>;
    /// The name drawn in the pipeline graph.
    fn label(&self) -> String {
        self.descriptor().name().to_string()
    }
    /// Sub-pipeline layouts this filter joins, for the graph (`None` = bypass/empty).
    fn subs(&self) -> Vec<Option<Rc<PipelineLayout>>> {
        Vec::new()
    }
    /// When this filter alone makes up a listening layout, whether the listener may move the
    /// bytes itself (see [`Relay`]): only a TCP `connect` to a fixed target says yes.
    fn relay(&self) -> Option<Relay> {
        None
    }
}

/// A layout that only connects each accepted connection to one fixed TCP target
/// (`listen(P).connect('host:port')`): no filter reads the bytes, so the listener relays them
/// inside the kernel instead of running a pipeline (`net/relay.rs`).
#[derive(Clone, Debug)]
pub struct Relay {
    /// `host:port`.
    pub target: String,
    /// `connectTimeout`, per attempt.
    pub connect_timeout: Option<std::time::Duration>,
    /// `retryCount` (negative: no limit).
    pub retry_count: i64,
    /// `retryDelay`.
    pub retry_delay: std::time::Duration,
    /// The longest wait for bytes from the target (`readTimeout`, else `idleTimeout`).
    pub read_timeout: std::time::Duration,
    /// `idleTimeout`.
    pub idle_timeout: std::time::Duration,
}

/// What starts a layout's pipelines.
#[derive(Clone, Debug)]
pub enum LayoutKind {
    /// One pipeline per accepted connection.
    Listen {
        /// Address to bind (`::` = all, dual stack).
        host: String,
        /// Port.
        port: u16,
    },
    /// A timer (`when` empty = once at start) or a signal.
    Task {
        /// `"5s"`, `"SIGHUP"`, `"watch:/file"`, `"exit"` or empty.
        when: String,
        /// Task number within its module, from 1.
        number: usize,
    },
    /// Requests to the admin port under `path` (Pipy's `admin('/admin/...')`).
    Admin {
        /// Path prefix, starting with `/admin/`.
        path: String,
    },
    /// A named sub-pipeline.
    Named,
    /// A module entrance (`.pipeline()` with no name).
    Entrance,
    /// An anonymous `.to($=>$...)` layout.
    Anonymous,
}

/// A chain of filter prototypes; pipelines are made from it, one per stream.
pub struct PipelineLayout {
    /// Index in the worker's layout table.
    pub id: usize,
    /// What starts it.
    pub kind: LayoutKind,
    /// Name (named layouts) or empty.
    pub name: String,
    /// Title for logs and the graph.
    pub label: String,
    /// Module path, e.g. `/proxy.js`.
    pub module: Rc<str>,
    /// Line of the layout starter in the module.
    pub line: u32,
    /// `onStart` value or function ([C]).
    pub on_start: Option<JsValue>,
    /// `onEnd` function ([C]).
    pub on_end: Option<JsValue>,
    /// Listen options object, if any.
    pub options: Option<JsValue>,
    /// The filters, set once every layout exists (they may refer to each other).
    pub filters: OnceCell<Vec<Box<dyn FilterProto>>>,
}

impl PipelineLayout {
    /// The title of a root layout, e.g. `Listen on :::8080` (a named layout's name).
    pub fn title(&self) -> String {
        match &self.kind {
            LayoutKind::Listen { host, port } => format!("Listen on {host}:{port}"),
            LayoutKind::Task { when, number } => format!("Task #{number} ({when})"),
            LayoutKind::Admin { path } => format!("Admin {path}"),
            LayoutKind::Entrance => "Module Entrance".into(),
            _ => self.name.clone(),
        }
    }

    /// The filter prototypes.
    pub fn filters(&self) -> &[Box<dyn FilterProto>] {
        self.filters.get().map(|v| v.as_slice()).unwrap_or(&[])
    }

    /// The [`Relay`] this layout is, if it is one: a single filter that can relay, and no
    /// `onStart`/`onEnd` callback.
    pub fn relay(&self) -> Option<Relay> {
        match self.filters() {
            [only] if self.on_start.is_none() && self.on_end.is_none() => only.relay(),
            _ => None,
        }
    }
}
