//! Throttles: `throttleMessageRate`, `throttleDataRate`, `throttleConcurrency`
//! (docs/reference/filters.md). Events wait in order while the quota (an `algo.Quota`, or in the
//! early API a number per second with an optional shared account) has nothing left, and go on as it
//! refills.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use std::time::Duration;

use bytes::Bytes;
use rquickjs::{Class, Ctx, Function, Object, Value};

use super::callback::fail;
use super::family::family_members;
use super::{Builder, Family, FilterDescriptor, FilterKind};
use crate::algo::Quota;
use crate::event::Event;
use crate::net::Tap;
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// What `throttleMessageRate` and `throttleDataRate` share.
const RATES: Family = Family {
    kind: FilterKind::Plain,
    signature: "(quota[, options])",
    params: &[
        ("quota", "an algo.Quota, or a function returning one (once per stream); early API: a number per second"),
        ("account", "early API: value or function naming a bucket shared by the streams that give the same name"),
        ("options", "{blockInput: true} also stops reading the input while events wait"),
    ],
};

family_members! {
    RATES, also CONCURRENCY;
    /// The throttles.
    MESSAGE_RATE "throttleMessageRate": "Lets messages through as fast as a quota allows",
        |b| build(b, Kind::Messages);
    DATA_RATE "throttleDataRate": "Lets bytes through as fast as a quota allows",
        |b| build(b, Kind::Bytes);
}

static CONCURRENCY: FilterDescriptor = FilterDescriptor {
    name: "throttleConcurrency",
    kind: FilterKind::Plain,
    signature: "(quota[, options])",
    help: "Lets at most a quota of streams through at once; the others wait",
    params: &[
        (
            "quota",
            "an algo.Quota (its amount is the number of streams), or a function returning one",
        ),
        (
            "options",
            "{blockInput: true} also stops reading the input while the stream waits",
        ),
    ],
    build: |b| build(b, Kind::Streams),
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Messages,
    Bytes,
    Streams,
}

fn build(b: &mut Builder<'_, '_>, kind: Kind) -> Result<Box<dyn FilterProto>, String> {
    let quota = b.saved(0).ok_or("expects a quota")?;
    // The second argument is options ({blockInput}) or, in the early API, an account.
    let (account, opts_at) = match b.arg(1) {
        Some(v) if v.is_object() && !v.is_function() => (None, 1),
        Some(_) => (b.saved(1), 2),
        None => (None, 1),
    };
    let block_input = b
        .option(opts_at, "blockInput")
        .map(|v| crate::script::truthy(&v))
        .unwrap_or(false);
    // Early-API buckets by account name, shared by every stream of this filter.
    let buckets: Rc<RefCell<HashMap<String, JsValue>>> = Rc::default();
    let name = b.descriptor.name;
    b.prototype(move |init| {
        Box::new(Throttle(Rc::new_cyclic(|me| Core {
            me: me.clone(),
            name,
            kind,
            quota_arg: quota.clone(),
            account: account.clone(),
            buckets: buckets.clone(),
            block_input,
            context: init.context,
            output: init.output,
            quota: RefCell::new(None),
            held: RefCell::new(VecDeque::new()),
            admitted: Cell::new(false),
            holding_slot: Cell::new(false),
            waiting: Cell::new(false),
            paused: RefCell::new(None),
            failed: Cell::new(false),
        })))
    })
}

struct Core {
    me: Weak<Core>,
    name: &'static str,
    kind: Kind,
    quota_arg: JsValue,
    account: Option<JsValue>,
    buckets: Rc<RefCell<HashMap<String, JsValue>>>,
    block_input: bool,
    context: Rc<Context>,
    output: Output,
    quota: RefCell<Option<JsValue>>,
    held: RefCell<VecDeque<Event>>,
    /// The current message (Messages) or the stream (Streams) may pass.
    admitted: Cell<bool>,
    /// A concurrency slot is taken and must be given back.
    holding_slot: Cell<bool>,
    /// A retry timer is pending.
    waiting: Cell<bool>,
    paused: RefCell<Option<Rc<Tap>>>,
    failed: Cell<bool>,
}

struct Throttle(Rc<Core>);

impl Filter for Throttle {
    fn process(&mut self, evt: Event) {
        if self.0.failed.get() || evt.is_empty_data() {
            return;
        }
        self.0.held.borrow_mut().push_back(evt);
        self.0.pump();
    }
}

impl Drop for Throttle {
    fn drop(&mut self) {
        let core = &self.0;
        if core.holding_slot.replace(false) {
            if let Some(q) = core.quota.borrow().clone() {
                let _ = script::call_in(&core.context, |ctx| {
                    call_method(ctx, &q, "produce", 1.0)?;
                    Ok(())
                });
            }
        }
        if let Some(t) = core.paused.borrow_mut().take() {
            t.resume();
        }
    }
}

fn call_method<'js>(ctx: &Ctx<'js>, q: &JsValue, name: &str, n: f64) -> rquickjs::Result<f64> {
    let o: Object = q.get(ctx).into_object().ok_or(rquickjs::Error::Unknown)?;
    let f: Function = o.get(name)?;
    let v: Value = f.call((rquickjs::function::This(o), n))?;
    Ok(v.as_number().unwrap_or(0.0))
}

impl Core {
    /// The quota for this stream: evaluated once.
    fn quota(&self) -> Result<JsValue, ScriptError> {
        if let Some(q) = self.quota.borrow().clone() {
            return Ok(q);
        }
        let buckets = self.buckets.clone();
        let q = script::call_in(&self.context, |ctx| {
            let mut v = self.quota_arg.get(ctx);
            if let Some(f) = v.as_function() {
                v = f.call(())?;
            }
            if let Some(n) = v.as_number().or_else(|| v.as_int().map(f64::from)) {
                // Early API: n per second, in a bucket shared by the account's name.
                let name = match &self.account {
                    Some(a) => {
                        let a = a.get(ctx);
                        let a = match a.as_function() {
                            Some(f) => f.call::<_, Value>(())?,
                            None => a,
                        };
                        a.get::<rquickjs::Coerced<String>>()?.0
                    }
                    None => String::new(),
                };
                let key = format!("{n}|{name}");
                if let Some(q) = buckets.borrow().get(&key) {
                    return Ok(q.clone());
                }
                let algo: Object = ctx.globals().get("algo")?;
                let class: rquickjs::Constructor = algo.get("Quota")?;
                let opts = Object::new(ctx.clone())?;
                opts.set("per", 1)?;
                let q: Value = class.construct((n, opts))?;
                let q = JsValue::save(ctx, q);
                buckets.borrow_mut().insert(key, q.clone());
                return Ok(q);
            }
            if !v.is_object() {
                return Err(rquickjs::Exception::throw_type(
                    ctx,
                    "quota must be an algo.Quota or a number",
                ));
            }
            Ok(JsValue::save(ctx, v))
        })?;
        *self.quota.borrow_mut() = Some(q.clone());
        Ok(q)
    }

    fn consume(&self, n: f64) -> Result<f64, ScriptError> {
        let q = self.quota()?;
        // The native algo.Quota is asked directly; another object through its method.
        let native = script::js(|ctx| {
            let v = q.get(ctx);
            let quota = v.as_object().and_then(Class::<Quota>::from_object)?;
            let took = quota.borrow_mut().consume(n);
            Some(took)
        });
        match native {
            Some(took) => Ok(took),
            None => script::call_in(&self.context, |ctx| call_method(ctx, &q, "consume", n)),
        }
    }

    /// Lets through what the quota allows now; schedules a retry for the rest.
    fn pump(&self) {
        loop {
            let Some(front) = self.held.borrow_mut().pop_front() else {
                break;
            };
            match self.admit(front) {
                Ok(None) => continue,
                Ok(Some(rest)) => {
                    self.held.borrow_mut().push_front(rest);
                    self.wait();
                    return;
                }
                Err(e) => {
                    self.failed.set(true);
                    self.held.borrow_mut().clear();
                    return fail(&self.output, self.name, &e);
                }
            }
        }
        if let Some(t) = self.paused.borrow_mut().take() {
            t.resume();
        }
    }

    /// Passes `evt` on if allowed; returns what must wait.
    fn admit(&self, evt: Event) -> Result<Option<Event>, ScriptError> {
        match (self.kind, &evt) {
            (Kind::Messages, Event::MessageStart(_)) => {
                if self.consume(1.0)? >= 1.0 {
                    self.output.emit(evt);
                    Ok(None)
                } else {
                    Ok(Some(evt))
                }
            }
            (Kind::Bytes, Event::Data(b)) => {
                let got = self.consume(b.len() as f64)?.max(0.0) as usize;
                if got >= b.len() {
                    self.output.emit(evt);
                    return Ok(None);
                }
                if got > 0 {
                    let head: Bytes = b.slice(..got);
                    let rest = b.slice(got..);
                    self.output.emit(Event::Data(head));
                    return Ok(Some(Event::Data(rest)));
                }
                Ok(Some(evt))
            }
            (Kind::Streams, _) if !self.admitted.get() => {
                if self.consume(1.0)? >= 1.0 {
                    self.admitted.set(true);
                    self.holding_slot.set(true);
                    self.output.emit(evt);
                    Ok(None)
                } else {
                    Ok(Some(evt))
                }
            }
            _ => {
                self.output.emit(evt);
                Ok(None)
            }
        }
    }

    fn wait(&self) {
        if self.block_input && self.paused.borrow().is_none() {
            if let Some(t) = Tap::current() {
                t.pause();
                *self.paused.borrow_mut() = Some(t);
            }
        }
        if self.waiting.replace(true) {
            return;
        }
        let me = self.me.clone();
        tokio::task::spawn_local(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Some(c) = me.upgrade() {
                c.waiting.set(false);
                c.pump();
            }
        });
    }
}
