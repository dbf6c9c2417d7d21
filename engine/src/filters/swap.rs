//! `swap` and the hubs it joins (`new pipeline.Hub()` in scripts).
//!
//! A hub is a meeting point of streams: every stream that passes through `swap(hub)` joins
//! it, and each event that enters one member's `swap` is output by every other member's
//! `swap`. Two streams on one hub are thus joined back to back. A stream leaves the hub when
//! its pipeline goes away.
//!
//! The script's Hub object only carries an id (`__hub`); the members live here, per worker,
//! for as long as any member does.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::callback::fail;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

static SWAP: FilterDescriptor = FilterDescriptor {
    name: "swap",
    kind: FilterKind::Plain,
    signature: "(hub)",
    help: "Joins a pipeline.Hub: input goes out of every other member's swap, theirs comes out of this one",
    params: &[(
        "hub",
        "a new pipeline.Hub(), or a function() returning one (asked until it gives one)",
    )],
    build,
};

/// `swap`.
pub static FILTERS: &[&FilterDescriptor] = &[&SWAP];

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let hub = b.arg(0).ok_or("expects a pipeline.Hub or a function")?;
    if !hub.is_function() && hub_id(&hub).is_none() {
        return Err(
            "expects a pipeline.Hub (new pipeline.Hub()) or a function returning one".into(),
        );
    }
    Ok(Box::new(SwapProto {
        hub: JsValue::save(b.ctx, hub),
    }))
}

fn hub_id(v: &rquickjs::Value<'_>) -> Option<u64> {
    v.as_object()?.get::<_, f64>("__hub").ok().map(|n| n as u64)
}

/// The members of one hub.
#[derive(Default)]
struct Hub {
    members: RefCell<Vec<(u64, Output)>>,
}

thread_local! {
    static HUBS: RefCell<HashMap<u64, Weak<Hub>>> = RefCell::new(HashMap::new());
    static NEXT_MEMBER: Cell<u64> = const { Cell::new(1) };
}

/// The hub with script id `id`, made on first use.
fn hub(id: u64) -> Rc<Hub> {
    HUBS.with(|h| {
        let mut hubs = h.borrow_mut();
        if let Some(hub) = hubs.get(&id).and_then(Weak::upgrade) {
            return hub;
        }
        hubs.retain(|_, w| w.strong_count() > 0);
        let hub = Rc::new(Hub::default());
        hubs.insert(id, Rc::downgrade(&hub));
        hub
    })
}

struct SwapProto {
    hub: JsValue,
}

impl FilterProto for SwapProto {
    fn descriptor(&self) -> &'static FilterDescriptor {
        &SWAP
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Swap {
            hub_value: self.hub.clone(),
            context: init.context,
            output: init.output,
            member: NEXT_MEMBER.with(|n| {
                let id = n.get();
                n.set(id + 1);
                id
            }),
            joined: None,
            held: Vec::new(),
            ended: false,
        })
    }
}

struct Swap {
    hub_value: JsValue,
    context: Rc<Context>,
    output: Output,
    member: u64,
    joined: Option<Rc<Hub>>,
    held: Vec<Event>,
    ended: bool,
}

impl Swap {
    fn find_hub(&self) -> Result<Option<u64>, ScriptError> {
        script::call_in(&self.context, |ctx| {
            let mut v = self.hub_value.get(ctx);
            if let Some(f) = v.as_function() {
                v = f.call(())?;
            }
            if v.is_undefined() || v.is_null() {
                return Ok(None);
            }
            hub_id(&v).map(Some).ok_or_else(|| {
                rquickjs::Exception::throw_type(ctx, "the callback did not return a pipeline.Hub")
            })
        })
    }

    fn broadcast(&self, hub: &Hub, evt: Event) {
        let others: Vec<Output> = hub
            .members
            .borrow()
            .iter()
            .filter(|(m, _)| *m != self.member)
            .map(|(_, o)| o.clone())
            .collect();
        for o in others {
            o.emit(evt.clone());
        }
    }
}

impl Filter for Swap {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        if self.joined.is_none() {
            match self.find_hub() {
                Ok(Some(id)) => {
                    let h = hub(id);
                    h.members
                        .borrow_mut()
                        .push((self.member, self.output.clone()));
                    self.joined = Some(h);
                }
                Ok(None) => return self.held.push(evt),
                Err(e) => {
                    self.ended = true;
                    self.held.clear();
                    return fail(&self.output, "swap", &e);
                }
            }
        }
        if let Some(h) = self.joined.clone() {
            for e in std::mem::take(&mut self.held) {
                self.broadcast(&h, e);
            }
            self.broadcast(&h, evt);
        }
    }
}

impl Drop for Swap {
    fn drop(&mut self) {
        if let Some(h) = &self.joined {
            h.members.borrow_mut().retain(|(m, _)| *m != self.member);
        }
    }
}
