//! `swap` and the hubs it joins (`new pipeline.Hub()` in scripts).
//!
//! A hub is a meeting point of streams: every stream that passes through `swap(hub)` joins
//! it, and each event that enters one member's `swap` is output by every other member's
//! `swap`. Two streams on one hub are thus joined back to back. A stream leaves the hub when
//! its pipeline goes away.
//!
//! The script's Hub object only carries an id (`__hub`); the members live here, per worker,
//! for as long as any member does. The global `Swap` of Pipy 1.5 (`link(() => swap)`) is a
//! hub for two: a third stream that tries to join is refused.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::route::Route;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// `swap`.
pub static SWAP: FilterDescriptor = FilterDescriptor {
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

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let hub = b.arg(0).ok_or("expects a pipeline.Hub or a function")?;
    if !hub.is_function() && !is_hub(&hub) {
        return Err(
            "expects a pipeline.Hub (new pipeline.Hub()) or a function returning one".into(),
        );
    }
    let hub = JsValue::save(b.ctx, hub);
    b.prototype(move |init| {
        Box::new(Swap {
            route: Route::new("swap", init.output.clone()),
            hub: HubChoice {
                hub_value: hub.clone(),
                context: init.context,
                output: init.output,
            },
        })
    })
}

fn hub_id(v: &rquickjs::Value<'_>) -> Option<u64> {
    v.as_object()?.get::<_, f64>("__hub").ok().map(|n| n as u64)
}

/// True if `v` is a script hub object (`pipeline.Hub` or `Swap`).
pub fn is_hub(v: &rquickjs::Value<'_>) -> bool {
    hub_id(v).is_some()
}

/// The members of one hub.
#[derive(Default)]
struct Hub {
    members: RefCell<Vec<(u64, Output)>>,
    /// Most members at once (`Swap`: 2), if limited.
    capacity: Option<usize>,
}

thread_local! {
    static HUBS: RefCell<HashMap<u64, Weak<Hub>>> = RefCell::new(HashMap::new());
    static NEXT_MEMBER: Cell<u64> = const { Cell::new(1) };
}

/// The hub with script id `id`, made on first use.
fn hub(id: u64, capacity: Option<usize>) -> Rc<Hub> {
    HUBS.with(|h| {
        let mut hubs = h.borrow_mut();
        if let Some(hub) = hubs.get(&id).and_then(Weak::upgrade) {
            return hub;
        }
        hubs.retain(|_, w| w.strong_count() > 0);
        let hub = Rc::new(Hub {
            members: RefCell::default(),
            capacity,
        });
        hubs.insert(id, Rc::downgrade(&hub));
        hub
    })
}

/// A stream's place in a hub: what it sends goes out of the other members' outputs, and
/// what they send comes out of its output. It leaves the hub when dropped.
pub struct Member {
    hub: Rc<Hub>,
    id: u64,
}

impl Member {
    /// Joins the hub that the script object `v` stands for; `output` gets what the other
    /// members send.
    pub fn join(v: &rquickjs::Value<'_>, output: Output) -> Result<Member, String> {
        let id = hub_id(v).ok_or("not a pipeline.Hub")?;
        let capacity = v
            .as_object()
            .and_then(|o| o.get::<_, f64>("__parties").ok())
            .map(|n| n as usize);
        let hub = hub(id, capacity);
        if let Some(c) = hub.capacity {
            if hub.members.borrow().len() >= c {
                return Err(format!("cannot join a hub of {c} that is full"));
            }
        }
        let member = NEXT_MEMBER.with(|n| {
            let m = n.get();
            n.set(m + 1);
            m
        });
        hub.members.borrow_mut().push((member, output));
        Ok(Member { hub, id: member })
    }

    /// Sends `evt` out of every other member's output.
    pub fn broadcast(&self, evt: Event) {
        let others: Vec<Output> = self
            .hub
            .members
            .borrow()
            .iter()
            .filter(|(m, _)| *m != self.id)
            .map(|(_, o)| o.clone())
            .collect();
        for o in others {
            o.emit(evt.clone());
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.hub.members.borrow_mut().retain(|(m, _)| *m != self.id);
    }
}

struct Swap {
    route: Route<Member>,
    hub: HubChoice,
}

/// The hub a `swap` joins, as the script gives it.
struct HubChoice {
    hub_value: JsValue,
    context: Rc<Context>,
    output: Output,
}

impl HubChoice {
    /// Joins the hub the script gives; `Ok(None)` while a function gives nothing.
    fn join(&self) -> Result<Option<Member>, ScriptError> {
        let output = self.output.clone();
        script::call_in(&self.context, |ctx| {
            let mut v = self.hub_value.get(ctx);
            if let Some(f) = v.as_function() {
                v = f.call(())?;
            }
            if v.is_undefined() || v.is_null() {
                return Ok(None);
            }
            if !is_hub(&v) {
                return Err(rquickjs::Exception::throw_type(
                    ctx,
                    "the callback did not return a pipeline.Hub",
                ));
            }
            Member::join(&v, output)
                .map(Some)
                .map_err(|m| rquickjs::Exception::throw_type(ctx, &m))
        })
    }
}

impl Filter for Swap {
    fn process(&mut self, evt: Event) {
        let hub = &self.hub;
        self.route.take(evt, |_| hub.join(), |m, e| m.broadcast(e));
    }
}
