//! The client side of the core, and the generic `mux` / `muxQueue` filters on it.
//!
//! [`MuxCore`] is what a filter prototype keeps: the session sub-pipeline, the key selector,
//! the options and the pool map. Each stream through the filter buffers one request message
//! at a time and hands it, whole, to its session; replies come back through the session's
//! [`super::hooks::MuxProtocol`].

use std::rc::Rc;

use bytes::Bytes;

use super::hooks::{ProtocolFactory, QueueProtocol, Request};
use super::key::{KeySelector, PoolKey};
use super::options::{MuxOptions, OptionsSource};
use super::pool::SessionMap;
use super::session::Session;
use super::stream::MuxStream;
use crate::event::{Event, StreamEnd};
use crate::filters::builder::is_options;
use crate::filters::callback::fail;
use crate::filters::family::family_members;
use crate::filters::{Builder, Family, FilterKind};
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, Output, PipelineLayout};
use crate::script::{JsValue, ScriptError};

/// What `mux` and `muxQueue` share.
const MUXES: Family = Family {
    kind: FilterKind::Joint,
    signature: "(target[, key[, options]])",
    params: &[
        (
            "target",
            "sub-pipeline name (or use .to(...)): the shared session, e.g. $=>$.connect(...)",
        ),
        (
            "key",
            "value or function() choosing the session pool; streams with the same key share sessions; default: one pool per client connection",
        ),
        (
            "options",
            "{maxIdle (60s), maxQueue (1; 0 = no limit), maxMessages (0 = no limit), outputCount (1, or function(messageStart)), isOneWay (function(messageStart))}, or a function returning them",
        ),
    ],
};

family_members! {
    MUXES;
    /// `mux`, `muxQueue`.
    MUX "mux": "Merges the messages of many streams into shared session sub-pipelines; replies go back in order",
        build;
    MUX_QUEUE "muxQueue": "Like mux: messages queue into a shared session, replies are matched to them in order",
        build;
}

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let desc = b.descriptor;
    let layout = b.required_layout()?;
    let (key, options) = key_and_options(b)?;
    let protocol: ProtocolFactory = Rc::new(|| Box::new(QueueProtocol));
    let core = MuxCore::new(desc.name, layout.clone(), key, options, protocol);
    b.joint_prototype(layout, move |init, _| core.instantiate(init))
}

/// Reads the arguments every mux-style filter takes: `(key?, options?)` ([A] and [C]; a
/// lone plain object is the options).
pub fn key_and_options(b: &Builder<'_, '_>) -> Result<(KeySelector, OptionsSource), String> {
    let (key, at) = match b.arg(0) {
        Some(v) if is_options(&v) => (None, 0),
        Some(_) => (b.saved(0), 1),
        None => (None, 1),
    };
    let key = key.map(KeySelector::Script).unwrap_or(KeySelector::Inbound);
    let options = match b.arg(at) {
        None => OptionsSource::Fixed(MuxOptions::default()),
        Some(v) if v.is_function() => OptionsSource::PerPool(JsValue::save(b.ctx, v)),
        Some(v) => OptionsSource::Fixed(MuxOptions::from_js(b.ctx, &v)?),
    };
    Ok((key, options))
}

/// What a mux-style filter prototype shares between its instances: the session layout, how
/// keys and options are found, the pools, and the protocol of new sessions.
pub struct MuxCore {
    name: &'static str,
    layout: Rc<PipelineLayout>,
    key: KeySelector,
    options: OptionsSource,
    map: Rc<SessionMap>,
    protocol: ProtocolFactory,
}

impl MuxCore {
    /// A core for the filter `name` whose sessions run `layout` and speak `protocol`.
    pub fn new(
        name: &'static str,
        layout: Rc<PipelineLayout>,
        key: KeySelector,
        options: OptionsSource,
        protocol: ProtocolFactory,
    ) -> Rc<MuxCore> {
        Rc::new(MuxCore {
            name,
            layout,
            key,
            options,
            map: SessionMap::new(),
            protocol,
        })
    }

    /// The session sub-pipeline's layout (for the graph).
    pub fn layout(&self) -> &Rc<PipelineLayout> {
        &self.layout
    }

    /// The pools, by key.
    pub fn sessions(&self) -> &Rc<SessionMap> {
        &self.map
    }

    /// A filter instance for one stream.
    pub fn instantiate(self: &Rc<Self>, init: FilterInit) -> Box<dyn Filter> {
        Box::new(MuxFilter {
            core: self.clone(),
            stream: MuxStream::new(init.output.clone()),
            context: init.context,
            output: init.output,
            key: None,
            message: None,
            failed: false,
        })
    }
}

/// A request message being collected.
struct Collecting {
    head: Option<JsValue>,
    body: Vec<Bytes>,
}

struct MuxFilter {
    core: Rc<MuxCore>,
    context: Rc<Context>,
    output: Output,
    stream: Rc<MuxStream>,
    key: Option<PoolKey>,
    message: Option<Collecting>,
    failed: bool,
}

impl MuxFilter {
    /// The stream's open session, joining one (the key is evaluated on first use). `None`
    /// when the new session ended at once: the stream has then been given its end.
    fn session(&mut self) -> Result<Option<Rc<Session>>, ScriptError> {
        if let Some(s) = self.stream.session() {
            if !s.is_closed() {
                return Ok(Some(s));
            }
        }
        let key = match &self.key {
            Some(k) => k.clone(),
            None => {
                let k = self.core.key.evaluate(&self.context)?;
                self.key = Some(k.clone());
                k
            }
        };
        let pool = self
            .core
            .map
            .pool(&key, || self.core.options.resolve(&self.context))?;
        let protocol = self.core.protocol.clone();
        let (session, new) = pool.session(|p| Session::new(p, protocol()));
        session.join();
        self.stream.attach(session.clone());
        if new {
            session.open(&self.core.layout, self.context.clone(), key.value.clone());
        }
        if session.is_closed() {
            let end = session.end_event().unwrap_or_else(StreamEnd::ok);
            self.stream.deliver(end);
            return Ok(None);
        }
        Ok(Some(session))
    }

    fn send(&mut self, m: Collecting, end: crate::event::MessageTail) -> Result<(), ScriptError> {
        let Some(session) = self.session()? else {
            return Ok(());
        };
        let start = Event::MessageStart(m.head.clone());
        let replies = session.reply_count().of(&self.context, &start)?;
        // A negative count drops the message, as Pipy's mux does.
        if replies < 0 {
            return Ok(());
        }
        let request = Request {
            head: m.head,
            body: m.body,
            tail: end,
        };
        session.send(&self.stream, request, replies as usize);
        Ok(())
    }

    fn handle(&mut self, evt: Event) -> Result<(), ScriptError> {
        match evt {
            Event::MessageStart(head) => {
                if self.message.is_none() {
                    // The session opens early, so a connection is under way while the
                    // message arrives.
                    self.session()?;
                    self.message = Some(Collecting {
                        head,
                        body: Vec::new(),
                    });
                }
            }
            Event::Data(b) => {
                if let Some(m) = &mut self.message {
                    if !b.is_empty() {
                        m.body.push(b);
                    }
                }
            }
            Event::MessageEnd(end) => {
                if let Some(m) = self.message.take() {
                    self.send(m, end)?;
                }
            }
            Event::StreamEnd(_) => {
                self.message = None;
                self.stream.input_ended(evt);
            }
        }
        Ok(())
    }
}

impl Filter for MuxFilter {
    fn process(&mut self, evt: Event) {
        if self.failed || self.stream.is_ended() {
            return;
        }
        if let Err(e) = self.handle(evt) {
            self.failed = true;
            self.message = None;
            self.stream.abandon();
            fail(&self.output, self.core.name, &e);
        }
    }
}

impl Drop for MuxFilter {
    fn drop(&mut self) {
        self.stream.abandon();
    }
}
