//! Filters, one file per family, and the registry that describes them.
//!
//! The registry is the only list of filters: the script builder (`pipy().listen()...`),
//! `--list-filters`, `--help-filters` and the graph all read it.

mod acceptor;
mod bgp;
pub mod builder;
mod callback;
mod client_hello;
mod codec_glue;
mod coder;
mod compress;
mod connect;
mod debug;
mod deferred_input;
mod deframe;
mod deposit;
mod detect;
mod draining;
mod dubbo;
mod dummy;
mod event_kinds;
mod exec;
mod family;
mod fastcgi;
mod files;
mod fork;
mod framed;
mod grpc_web;
mod handle;
mod http;
mod http_codec;
mod http_compress;
mod http_tunnel;
mod http_version;
mod insert;
mod link;
mod link_async;
mod local_task;
mod loop_back;
mod mailbox;
mod mqtt;
mod multipart;
pub mod mux;
mod netlink;
mod on_event;
mod pack;
mod pipe;
mod produce;
mod promise;
mod proxy_protocol;
mod replace;
mod replay;
mod resp;
mod route;
mod schedule;
mod socks;
mod split;
mod swap;
mod thrift;
mod throttle;
mod tls;
mod upstream_metrics;
mod use_chain;
mod wait;
mod websocket;

pub use builder::{Builder, Sub};
pub use callback::MessageReader;
pub use family::Family;

/// Tells this worker's connections that it drains (a reload or a shutdown): each closes at its
/// protocol's next clean boundary (see `draining.rs`); with `close_idle`, idle HTTP/1
/// keep-alive connections close at once.
pub fn drain_servers(close_idle: bool) {
    draining::drain_all(close_idle);
}

use crate::pipeline::FilterProto;

/// How the configuration API passes a filter its sub-pipelines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKind {
    /// No sub-pipelines.
    Plain,
    /// One sub-pipeline, as a leading name ([A]) or with `.to()` ([C]).
    Joint,
    /// `link`: [A] target/condition pairs, or [C] `link(() => name)`.
    Link,
    /// Condition/layout pairs (`branch*`).
    Branch,
    /// `use`: layouts of other modules.
    Use,
    /// `chain`: entrance layouts of other modules.
    Chain,
    /// One sub-pipeline given as the first argument: a builder, a pipeline object or a name
    /// (`loop`).
    Inline,
    /// `pipe`: targets chosen at run time; builders in its map argument become layouts.
    Pipe,
}

impl FilterKind {
    /// The name the JS prelude uses.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterKind::Plain => "plain",
            FilterKind::Joint => "joint",
            FilterKind::Link => "link",
            FilterKind::Branch => "branch",
            FilterKind::Use => "use",
            FilterKind::Chain => "chain",
            FilterKind::Inline => "inline",
            FilterKind::Pipe => "pipe",
        }
    }
}

/// Builds a filter prototype from its configuration-time arguments.
pub type BuildFn = fn(&mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String>;

/// The static description of a filter type.
pub struct FilterDescriptor {
    /// Method name in scripts.
    pub name: &'static str,
    /// How it takes sub-pipelines.
    pub kind: FilterKind,
    /// Argument list as shown in help, e.g. `(target[, when[, target2 ...]])`.
    pub signature: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// `(parameter, description)` pairs.
    pub params: &'static [(&'static str, &'static str)],
    /// Makes the prototype.
    pub build: BuildFn,
}

impl crate::pipeline::FilterType for FilterDescriptor {
    fn name(&self) -> &'static str {
        self.name
    }
}

/// Every filter, in alphabetical order.
pub fn registry() -> &'static [&'static FilterDescriptor] {
    static ALL: std::sync::OnceLock<Vec<&'static FilterDescriptor>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        // Modules with one filter, then the families.
        let mut v: Vec<&'static FilterDescriptor> = vec![
            &connect::CONNECT,
            &dummy::DUMMY,
            &insert::INSERT,
            &detect::DETECT,
            &http::client::MUX_HTTP,
            &grpc_web::ACCEPT_GRPC_WEB,
            &wait::WAIT,
            &loop_back::LOOP,
            &link_async::LINK_ASYNC,
            &swap::SWAP,
            &produce::PRODUCE,
            &deposit::DEPOSIT_MESSAGE,
            &split::SPLIT,
            &deframe::DEFRAME,
            &pack::PACK,
            &exec::EXEC,
            &client_hello::HANDLE_CLIENT_HELLO,
            &multipart::DECODE,
        ];
        for family in [
            handle::FILTERS,
            replace::FILTERS,
            link::FILTERS,
            use_chain::FILTERS,
            fork::FILTERS,
            debug::FILTERS,
            files::FILTERS,
            http::server::FILTERS,
            http_codec::FILTERS,
            http_compress::FILTERS,
            tls::FILTERS,
            http_tunnel::FILTERS,
            socks::FILTERS,
            throttle::FILTERS,
            fastcgi::FILTERS,
            netlink::FILTERS,
            replay::FILTERS,
            pipe::FILTERS,
            compress::FILTERS,
            proxy_protocol::FILTERS,
            mqtt::FILTERS,
            resp::FILTERS,
            websocket::FILTERS,
            thrift::FILTERS,
            dubbo::FILTERS,
            bgp::FILTERS,
        ] {
            v.extend_from_slice(family);
        }
        v.extend(mux::filters());
        v.sort_by_key(|d| d.name);
        v
    })
}

/// Looks a filter up by name.
pub fn find(name: &str) -> Option<&'static FilterDescriptor> {
    registry().iter().copied().find(|d| d.name == name)
}

/// `--list-filters`: one line per filter, name and arguments aligned, then the help line.
pub fn list_text() -> String {
    let reg = registry();
    let w1 = reg.iter().map(|d| d.name.len()).max().unwrap_or(0) + 1;
    let w2 = reg.iter().map(|d| d.signature.len()).max().unwrap_or(0) + 3;
    let mut s = String::from("\n");
    for d in reg {
        s.push_str(&format!("{:w1$}{:w2$}{}\n", d.name, d.signature, d.help));
    }
    s.push('\n');
    s
}

/// `--help-filters`: a section per filter with its parameters.
pub fn help_text() -> String {
    let mut s = String::new();
    for d in registry() {
        let title = format!("{}{}", d.name, d.signature);
        s.push_str(&format!(
            "{title}\n{}\n\n  {}\n\n",
            "=".repeat(title.len()),
            d.help
        ));
        if !d.params.is_empty() {
            let w = d.params.iter().map(|p| p.0.len()).max().unwrap_or(0);
            for (p, h) in d.params {
                s.push_str(&format!("  {p:w$} - {h}\n"));
            }
            s.push('\n');
        }
    }
    s
}
