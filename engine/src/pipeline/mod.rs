//! The pipeline runtime: layouts, instances, and how events move between filters.
//!
//! A [`Pipeline`] is a chain of filter instances made from a [`PipelineLayout`] for one
//! stream. Input enters filter 0; each filter's output is the next filter's input; the last
//! filter's output is the pipeline's [`Output`], which its creator chose (a socket writer, or
//! the joint filter that owns it).
//!
//! Delivery is a loop over a queue per pipeline: an event that arrives while the pipeline is
//! already busy (a filter's output, or a re-entrant call from a sub-pipeline) is queued and
//! handled by the frame already running. So filters never see re-entrant calls, and events on
//! each edge keep their order.

mod context;
pub mod debugger;
pub mod inbound;
mod layout;
mod proto_fn;

pub use context::Context;
pub use inbound::Inbound;
pub use layout::{Filter, FilterInit, FilterProto, FilterType, LayoutKind, PipelineLayout, Relay};
pub use proto_fn::FnProto;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use crate::event::Event;
use crate::script;

/// Something that receives a pipeline's output.
pub trait EventTarget {
    /// Takes one event.
    fn on_event(&self, evt: Event);
}

impl<F: Fn(Event)> EventTarget for F {
    fn on_event(&self, evt: Event) {
        self(evt)
    }
}

/// Where a filter or a pipeline sends its output.
#[derive(Clone)]
pub enum Output {
    /// Into filter `index` of a pipeline (or its output when `index` is past the end).
    Pipeline(Weak<Pipeline>, usize),
    /// Into a target the creator supplied.
    Target(Rc<dyn EventTarget>),
    /// Nowhere.
    Discard,
}

impl Output {
    /// Sends one event.
    pub fn emit(&self, evt: Event) {
        match self {
            Output::Pipeline(p, i) => {
                if let Some(p) = p.upgrade() {
                    p.deliver(*i, evt);
                }
            }
            Output::Target(t) => t.on_event(evt),
            Output::Discard => {}
        }
    }

    /// Sends events in order.
    pub fn emit_all(&self, evts: impl IntoIterator<Item = Event>) {
        for e in evts {
            self.emit(e);
        }
    }

    /// An output that calls `f`.
    pub fn from_fn(f: impl Fn(Event) + 'static) -> Output {
        Output::Target(Rc::new(f))
    }
}

/// A live pipeline: filter instances for one stream, bound to one context.
pub struct Pipeline {
    id: u64,
    layout: Rc<PipelineLayout>,
    context: Rc<Context>,
    filters: RefCell<Vec<Box<dyn Filter>>>,
    queue: RefCell<VecDeque<(usize, Event)>>,
    /// Paused by the debugger: events wait in `queue` until it releases the pipeline.
    held: Cell<bool>,
    output: Output,
    /// Remaining modules of a `chain()` this pipeline is a stage of.
    chain: Option<ChainRest>,
    /// Who wants the pipeline's result (what `onEnd` returns) when it is over.
    on_result: RefCell<Option<ResultFn>>,
}

/// Takes a pipeline's result: the value its layout's `onEnd` returned (undefined without one).
pub type ResultFn = Box<dyn for<'js> FnOnce(&rquickjs::Ctx<'js>, rquickjs::Value<'js>)>;

/// Modules still ahead in a `chain([...])`.
#[derive(Clone)]
pub struct ChainRest {
    /// Entrance layouts of the remaining modules, in order.
    pub layouts: Rc<[Rc<PipelineLayout>]>,
    /// Position of the next one.
    pub next: usize,
}

impl Pipeline {
    /// Makes an instance of `layout` in `context`, whose output goes to `output`.
    pub fn new(layout: &Rc<PipelineLayout>, context: Rc<Context>, output: Output) -> Rc<Pipeline> {
        Self::with_chain(layout, context, output, None)
    }

    /// Like [`Pipeline::new`], for a stage of a module chain.
    pub fn with_chain(
        layout: &Rc<PipelineLayout>,
        context: Rc<Context>,
        output: Output,
        chain: Option<ChainRest>,
    ) -> Rc<Pipeline> {
        Rc::new_cyclic(|weak: &Weak<Pipeline>| {
            let protos = layout.filters();
            let n = protos.len();
            let filters = protos
                .iter()
                .enumerate()
                .map(|(i, proto)| {
                    proto.instantiate(FilterInit {
                        output: if i + 1 < n {
                            Output::Pipeline(weak.clone(), i + 1)
                        } else {
                            Output::Pipeline(weak.clone(), n)
                        },
                        context: context.clone(),
                        pipeline: weak.clone(),
                        index: i,
                        chain: chain.clone(),
                    })
                })
                .collect();
            Pipeline {
                id: next_pipeline_id(),
                layout: layout.clone(),
                context,
                filters: RefCell::new(filters),
                queue: RefCell::new(VecDeque::new()),
                held: Cell::new(false),
                output,
                chain,
                on_result: RefCell::new(None),
            }
        })
    }

    /// Asks for the pipeline's result (what `onEnd` returns) when it is dropped.
    pub fn on_result(
        &self,
        f: impl for<'js> FnOnce(&rquickjs::Ctx<'js>, rquickjs::Value<'js>) + 'static,
    ) {
        *self.on_result.borrow_mut() = Some(Box::new(f));
    }

    /// Feeds one event into the first filter.
    pub fn input(self: &Rc<Self>, evt: Event) {
        self.deliver(0, evt);
    }

    /// Runs the layout's `onStart` ([C]) with `args` and feeds what it returns.
    pub fn start(
        self: &Rc<Self>,
        args: impl for<'js> FnOnce(&rquickjs::Ctx<'js>) -> Vec<rquickjs::Value<'js>>,
    ) {
        let Some(on_start) = self.layout.on_start.clone() else {
            return;
        };
        let result = script::call_in(&self.context, |ctx| {
            let v = on_start.get(ctx);
            let v = match v.as_function() {
                Some(f) => {
                    let mut a = rquickjs::function::Args::new(ctx.clone(), 4);
                    for x in args(ctx) {
                        a.push_arg(x)?;
                    }
                    f.call_arg(a)?
                }
                None => v,
            };
            let mut evts = Vec::new();
            script::events_from_js(ctx, v, &mut evts).map_err(|m| {
                rquickjs::Exception::throw_type(
                    ctx,
                    &format!("onStart() must return events: {m}; use void(...) to return nothing"),
                )
            })?;
            Ok(evts)
        });
        match result {
            Ok(evts) => {
                for e in evts {
                    self.input(e);
                }
            }
            Err(e) => {
                tracing::error!("onStart() in {}: {e}", self.layout.module);
                self.input(crate::event::StreamEnd::runtime(e.to_string()));
            }
        }
    }

    /// Delivers `evt` to filter `index`, or to the pipeline output past the last filter.
    pub fn deliver(self: &Rc<Self>, index: usize, evt: Event) {
        if self.held.get() {
            self.queue.borrow_mut().push_back((index, evt));
            return;
        }
        self.pump(index, evt, true);
    }

    /// The delivery loop; `fresh` is false for an event the debugger held and lets go (it was
    /// recorded and checked against breakpoints when it first arrived).
    fn pump(self: &Rc<Self>, index: usize, evt: Event, mut fresh: bool) {
        let Ok(mut filters) = self.filters.try_borrow_mut() else {
            self.queue.borrow_mut().push_back((index, evt));
            return;
        };
        let mut next = Some((index, evt));
        while let Some((i, mut e)) = next {
            if let (Some(t), true) = (self.context.trace(), fresh) {
                self.trace(t, i, &e);
                match debugger::arrive(self, t, i, e) {
                    Some(back) => e = back,
                    None => return, // paused: the debugger holds the event
                }
            }
            fresh = true;
            if i < filters.len() {
                filters[i].process(e);
            } else {
                self.output.emit(e);
            }
            next = self.queue.borrow_mut().pop_front();
        }
        // An idle pipeline keeps no queue (a new one costs a small allocation).
        let mut q = self.queue.borrow_mut();
        if q.capacity() != 0 {
            *q = VecDeque::new();
        }
    }

    /// Pauses delivery (the debugger): events queue up until [`Pipeline::release`].
    pub(crate) fn hold(&self) {
        self.held.set(true);
    }

    /// Resumes delivery with the held event `evt` into filter `index`, then the queued ones.
    pub(crate) fn release(self: &Rc<Self>, index: usize, evt: Event) {
        self.held.set(false);
        self.pump(index, evt, false);
    }

    /// The events waiting while the pipeline is held (filter index, event).
    pub(crate) fn queued(&self) -> Vec<(usize, Event)> {
        self.queue.borrow().iter().cloned().collect()
    }

    /// Forgets the waiting events (the debugger drops the stream).
    pub(crate) fn clear_queue(&self) {
        self.queue.borrow_mut().clear();
    }

    fn trace(&self, trace: u64, i: usize, e: &Event) {
        let protos = self.layout.filters();
        let filter = protos
            .get(i)
            .map(|f| f.label())
            .unwrap_or_else(|| "output".into());
        let (size, detail) = match e {
            Event::Data(b) => (
                b.len(),
                String::from_utf8_lossy(&b[..b.len().min(crate::trace::PREVIEW)]).into_owned(),
            ),
            Event::MessageStart(h) => (0, dump(h.as_ref())),
            Event::MessageEnd(t) => (0, dump(t.tail.as_ref())),
            Event::StreamEnd(se) => (
                0,
                se.error_code()
                    .map(|c| c.name().to_string())
                    .unwrap_or_default(),
            ),
        };
        crate::trace::record(crate::trace::Record {
            trace,
            seq: 0,
            time_us: 0,
            pipeline: self.id,
            layout: self.layout.title(),
            module: self.layout.module.to_string(),
            index: (i < protos.len()).then_some(i),
            filter,
            context: self.context.id(),
            kind: e.type_name(),
            size,
            detail,
        });
    }

    /// This instance's id (unique in the process).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The context this pipeline runs in.
    pub fn context(&self) -> &Rc<Context> {
        &self.context
    }

    /// The layout it was made from.
    pub fn layout(&self) -> &Rc<PipelineLayout> {
        &self.layout
    }

    /// The rest of the module chain, if this pipeline is a chain stage.
    pub fn chain(&self) -> Option<&ChainRest> {
        self.chain.as_ref()
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        let wants = self.on_result.borrow_mut().take();
        if self.layout.on_end.is_none() && wants.is_none() {
            return;
        }
        let on_end = self.layout.on_end.clone();
        let r = script::call_in(&self.context, |ctx| {
            let mut v = rquickjs::Value::new_undefined(ctx.clone());
            if let Some(f) = on_end.as_ref().and_then(|f| f.get(ctx).into_function()) {
                v = f.call::<_, rquickjs::Value>(())?;
            }
            if let Some(w) = wants {
                w(ctx, v);
            }
            Ok(())
        });
        if let Err(e) = r {
            tracing::error!("onEnd() in {}: {e}", self.layout.module);
        }
    }
}

fn next_pipeline_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A head or tail in the console's dump format, for traces.
fn dump(v: Option<&script::JsValue>) -> String {
    match v {
        None => String::new(),
        Some(v) => script::js(|ctx| {
            script::call_helper::<_, String>(ctx, "dump", (v.get(ctx),)).unwrap_or_default()
        }),
    }
}
