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
mod deframe;
mod deposit;
mod detect;
mod draining;
mod dubbo;
mod dummy;
mod event_kinds;
mod exec;
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
        let mut v: Vec<&'static FilterDescriptor> = Vec::new();
        v.extend_from_slice(handle::FILTERS);
        v.extend_from_slice(replace::FILTERS);
        v.extend_from_slice(link::FILTERS);
        v.extend_from_slice(use_chain::FILTERS);
        v.extend_from_slice(fork::FILTERS);
        v.extend_from_slice(debug::FILTERS);
        v.extend_from_slice(connect::FILTERS);
        v.extend_from_slice(dummy::FILTERS);
        v.extend_from_slice(insert::FILTERS);
        v.extend_from_slice(files::FILTERS);
        v.extend_from_slice(detect::FILTERS);
        v.extend_from_slice(http::server::FILTERS);
        v.extend_from_slice(http::client::FILTERS);
        v.extend_from_slice(http_codec::FILTERS);
        v.extend_from_slice(http_compress::FILTERS);
        v.extend_from_slice(grpc_web::FILTERS);
        v.extend_from_slice(tls::FILTERS);
        v.extend_from_slice(http_tunnel::FILTERS);
        v.extend_from_slice(socks::FILTERS);
        v.extend_from_slice(throttle::FILTERS);
        v.extend(mux::filters());
        v.extend_from_slice(fastcgi::FILTERS);
        v.extend_from_slice(netlink::FILTERS);
        v.extend_from_slice(replay::FILTERS);
        v.extend_from_slice(pipe::FILTERS);
        v.extend_from_slice(wait::FILTERS);
        v.extend_from_slice(loop_back::FILTERS);
        v.extend_from_slice(link_async::FILTERS);
        v.extend_from_slice(swap::FILTERS);
        v.extend_from_slice(produce::FILTERS);
        v.extend_from_slice(deposit::FILTERS);
        v.extend_from_slice(compress::FILTERS);
        v.extend_from_slice(split::FILTERS);
        v.extend_from_slice(deframe::FILTERS);
        v.extend_from_slice(pack::FILTERS);
        v.extend_from_slice(exec::FILTERS);
        v.extend_from_slice(client_hello::FILTERS);
        v.extend_from_slice(proxy_protocol::FILTERS);
        v.extend_from_slice(mqtt::FILTERS);
        v.extend_from_slice(multipart::FILTERS);
        v.extend_from_slice(resp::FILTERS);
        v.extend_from_slice(websocket::FILTERS);
        v.extend_from_slice(thrift::FILTERS);
        v.extend_from_slice(dubbo::FILTERS);
        v.extend_from_slice(bgp::FILTERS);
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
