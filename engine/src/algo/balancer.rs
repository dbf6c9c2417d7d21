//! The load balancers of `algo` (docs/reference/api.md): `RoundRobinLoadBalancer` (weighted
//! round robin), `LeastWorkLoadBalancer` (the target with the least work selected and not yet
//! deselected, relative to its weight), `HashingLoadBalancer` (a target by a hash of the key)
//! and `algo.hash`, the hash it uses.
//!
//! Targets in an `unhealthy` cache (anything with a `find` or `get` method that returns a
//! truthy value for a target) are skipped. No borrow of a balancer is held while such a method
//! runs, so it may use the balancer again.

use std::collections::HashMap;
use std::marker::PhantomData;

use rquickjs::class::{JsClass, Trace, Tracer, Writable};
use rquickjs::function::{Opt, This};
use rquickjs::{
    Class, Coerced, Constructor, Ctx, Exception, Function, JsLifetime, Object, Result, Value,
};

use super::key::Key;

/// Puts the balancer classes and `algo.hash` on `algo`.
pub(super) fn install<'js>(ctx: &Ctx<'js>, algo: &Object<'js>) -> Result<()> {
    Class::<Rotation<RoundRobin>>::define(algo)?;
    Class::<Rotation<LeastWork>>::define(algo)?;
    Class::<Hashing>::define(algo)?;
    algo.set(
        "hash",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Opt<Value<'js>>| {
            hash(
                &ctx,
                &v.0.unwrap_or_else(|| Value::new_undefined(ctx.clone())),
            )
        })?
        .with_name("hash")?,
    )
}

/// FNV-1a over the value's string form (a string itself, else its JSON, else `String(v)`), two
/// 32-bit lanes folded into a 53-bit integer.
pub(crate) fn hash<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> Result<f64> {
    let s = match v.as_string() {
        Some(s) => s.to_string()?,
        None => match ctx.json_stringify(v.clone())? {
            Some(json) => json.to_string()?,
            None => v.get::<Coerced<String>>()?.0,
        },
    };
    let (mut h1, mut h2) = (0x811c_9dc5_u32, 0x0100_0193_u32);
    for c in s.encode_utf16() {
        h1 = (h1 ^ u32::from(c)).wrapping_mul(16_777_619);
        h2 = (h2 ^ u32::from(c)).wrapping_mul(2_246_822_507);
    }
    Ok(f64::from(h2 & 0x1f_ffff) * 4_294_967_296.0 + f64::from(h1))
}

/// The targets given to a constructor: an array of names (weight 1 each) or an object of
/// names and weights.
fn targets_of<'js>(ctx: &Ctx<'js>, targets: &Value<'js>) -> Result<Vec<(Value<'js>, f64)>> {
    if let Some(a) = targets.as_array() {
        let mut out = Vec::with_capacity(a.len());
        for t in a.iter::<Value<'js>>() {
            let name = t?.get::<Coerced<rquickjs::String<'js>>>()?.0;
            out.push((name.into_value(), 1.0));
        }
        return Ok(out);
    }
    if let Some(o) = targets.as_object().filter(|_| !targets.is_function()) {
        let mut out = Vec::new();
        for k in o.keys::<String>() {
            let k = k?;
            let w: Value<'js> = o.get(k.as_str())?;
            let name = rquickjs::String::from_str(ctx.clone(), &k)?;
            out.push((name.into_value(), w.get::<Coerced<f64>>()?.0));
        }
        return Ok(out);
    }
    Err(Exception::throw_type(
        ctx,
        "load balancer: targets must be an array or an object of weights",
    ))
}

/// A balancer class's constructor, `new C(targets, unhealthy)`: `make` gets the targets (as
/// [`targets_of`] reads them) and the unhealthy set when it is truthy.
fn constructor<'js, C, F>(ctx: &Ctx<'js>, make: F) -> Result<Option<Constructor<'js>>>
where
    C: JsClass<'js> + 'js,
    F: Fn(Vec<(Value<'js>, f64)>, Option<Value<'js>>) -> C + 'js,
{
    let construct = move |ctx: Ctx<'js>, targets: Opt<Value<'js>>, bad: Opt<Value<'js>>| {
        let targets = targets
            .0
            .unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        let lb = make(targets_of(&ctx, &targets)?, bad.0.filter(super::truthy));
        Class::instance(ctx, lb)
    };
    Constructor::new_class::<C, _, _>(ctx.clone(), construct).map(Some)
}

/// Whether a weight counts: above zero (and so not NaN).
fn positive(weight: f64) -> bool {
    weight > 0.0
}

/// The unhealthy set a call uses: its own argument when truthy, else the balancer's.
fn unhealthy_of<'js>(given: Value<'js>, own: &Option<Value<'js>>) -> Option<Value<'js>> {
    Some(given).filter(super::truthy).or_else(|| own.clone())
}

/// Whether a target is not in the unhealthy set.
fn healthy<'js>(bad: &Option<Value<'js>>, id: &Value<'js>) -> Result<bool> {
    let Some(bad) = bad.as_ref().and_then(|b| b.as_object()) else {
        return Ok(true);
    };
    for name in ["find", "get"] {
        let f: Value<'js> = bad.get(name)?;
        if let Some(f) = f.as_function() {
            let r: Value<'js> = f.call((This(bad.clone()), id.clone()))?;
            return Ok(!super::truthy(&r));
        }
    }
    Ok(true)
}

/// `{ id }`, what `next()` and `borrow()` hand out.
fn picked<'js>(ctx: &Ctx<'js>, id: Value<'js>) -> Result<Value<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("id", id)?;
    Ok(o.into_value())
}

/// Which of the two rotating balancers a [`Rotation`] is.
pub trait Mode: 'static {
    /// The class name under `algo`.
    const NAME: &'static str;
    /// Least work (picks are given back by `deselect`) rather than round robin.
    const LEAST_WORK: bool;
}

/// `algo.RoundRobinLoadBalancer`.
pub struct RoundRobin;
impl Mode for RoundRobin {
    const NAME: &'static str = "RoundRobinLoadBalancer";
    const LEAST_WORK: bool = false;
}

/// `algo.LeastWorkLoadBalancer`.
pub struct LeastWork;
impl Mode for LeastWork {
    const NAME: &'static str = "LeastWorkLoadBalancer";
    const LEAST_WORK: bool = true;
}

struct Target<'js> {
    id: Value<'js>,
    key: Key,
    weight: f64,
    hits: f64,
}

/// A weighted round-robin or least-work balancer.
pub struct Rotation<'js, M: Mode> {
    targets: Vec<Target<'js>>,
    unhealthy: Option<Value<'js>>,
    /// `next()` with a key: the key and the `{ id }` it got.
    sticky: HashMap<Key, (Value<'js>, Value<'js>)>,
    /// `next()` with a borrower object: a WeakMap from borrower to its `{ id }`.
    borrowers: Option<Value<'js>>,
    mode: PhantomData<M>,
}

// SAFETY: the type's only lifetime is 'js, and `Changed` swaps exactly that.
unsafe impl<'js, M: Mode> JsLifetime<'js> for Rotation<'js, M> {
    type Changed<'to> = Rotation<'to, M>;
}

impl<'js, M: Mode> Trace<'js> for Rotation<'js, M> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        for t in &self.targets {
            tracer.mark(&t.id);
        }
        for (k, r) in self.sticky.values() {
            tracer.mark(k);
            tracer.mark(r);
        }
        for v in self.unhealthy.iter().chain(self.borrowers.iter()) {
            tracer.mark(v);
        }
    }
}

impl<'js, M: Mode> Rotation<'js, M> {
    fn set(&mut self, id: Value<'js>, weight: f64) {
        let key = Key::of(&id);
        match self.targets.iter_mut().find(|t| t.key == key) {
            Some(t) => t.weight = weight,
            None => self.targets.push(Target {
                id,
                key,
                weight,
                hits: 0.0,
            }),
        }
    }

    /// Picks among the targets `usable` allows (by index; `None` allows all).
    fn pick(&mut self, usable: Option<&[bool]>) -> Option<Value<'js>> {
        let (mut best, mut total, mut hits) = (None::<usize>, 0.0, 0.0);
        for (i, t) in self.targets.iter().enumerate() {
            if !positive(t.weight) || usable.is_some_and(|u| !u.get(i).copied().unwrap_or(false)) {
                continue;
            }
            total += t.weight;
            hits += t.hits;
            let better = match best {
                None => true,
                Some(b) => {
                    let b = &self.targets[b];
                    t.hits / t.weight < b.hits / b.weight
                }
            };
            if better {
                best = Some(i);
            }
        }
        let best = best?;
        self.targets[best].hits += 1.0;
        if !M::LEAST_WORK && hits + 1.0 >= total {
            for t in &mut self.targets {
                t.hits = 0.0;
            }
        }
        Some(self.targets[best].id.clone())
    }
}

type This_<'js, M> = Class<'js, Rotation<'js, M>>;

/// `select(key, unhealthy)`: the next target's id, or undefined when none is usable.
fn select<'js, M: Mode>(me: &This_<'js, M>, unhealthy: Value<'js>) -> Result<Option<Value<'js>>> {
    let bad = unhealthy_of(unhealthy, &me.borrow().unhealthy);
    if bad.is_none() {
        return Ok(me.borrow_mut().pick(None));
    }
    let ids: Vec<Option<Value<'js>>> = me
        .borrow()
        .targets
        .iter()
        .map(|t| (t.weight > 0.0).then(|| t.id.clone()))
        .collect();
    let mut usable = Vec::with_capacity(ids.len());
    for id in &ids {
        usable.push(match id {
            Some(id) => healthy(&bad, id)?,
            None => false,
        });
    }
    Ok(me.borrow_mut().pick(Some(&usable)))
}

/// `next(borrower, key, unhealthy)`.
fn next<'js, M: Mode>(
    ctx: &Ctx<'js>,
    me: &This_<'js, M>,
    borrower: Value<'js>,
    key: Value<'js>,
    unhealthy: Value<'js>,
) -> Result<Value<'js>> {
    let undefined = || Value::new_undefined(ctx.clone());
    if !key.is_undefined() && !key.is_null() {
        let k = Key::of(&key);
        if let Some((_, r)) = me.borrow().sticky.get(&k) {
            return Ok(r.clone());
        }
        let Some(id) = select(me, unhealthy)? else {
            return Ok(undefined());
        };
        let r = picked(ctx, id)?;
        me.borrow_mut().sticky.insert(k, (key, r.clone()));
        return Ok(r);
    }
    let b = match Some(borrower).filter(|b| !b.is_undefined()) {
        Some(b) => b,
        None => {
            let current: Value<'js> = ctx
                .globals()
                .get::<_, Object>("__sluice")?
                .get::<_, Object>("current")?
                .get::<_, Object>(0)?
                .get(0)?;
            current
        }
    };
    if b.is_object() && !b.is_function() {
        let map = me.borrow().borrowers.clone();
        let map = match map {
            Some(m) => m,
            None => {
                let ctor: Constructor<'js> = ctx.globals().get("WeakMap")?;
                let m: Value<'js> = ctor.construct(())?;
                me.borrow_mut().borrowers = Some(m.clone());
                m
            }
        };
        let map = map.into_object().expect("a WeakMap");
        let get: Function<'js> = map.get("get")?;
        let r: Value<'js> = get.call((This(map.clone()), b.clone()))?;
        if super::truthy(&r) {
            return Ok(r);
        }
        let Some(id) = select(me, unhealthy)? else {
            return Ok(undefined());
        };
        let r = picked(ctx, id)?;
        let set: Function<'js> = map.get("set")?;
        set.call::<_, Value>((This(map), b, r.clone()))?;
        return Ok(r);
    }
    match select(me, unhealthy)? {
        Some(id) => picked(ctx, id),
        None => Ok(undefined()),
    }
}

impl<'js, M: Mode> JsClass<'js> for Rotation<'js, M> {
    const NAME: &'static str = M::NAME;
    type Mutable = Writable;

    fn prototype(ctx: &Ctx<'js>) -> Result<Option<Object<'js>>> {
        let proto = Object::new(ctx.clone())?;
        super::method_of(&proto, "set", |_, me: &Class<Self>, [id, weight, _]| {
            let weight = weight.get::<Coerced<f64>>()?.0;
            me.borrow_mut().set(id, weight);
            Ok(me.clone())
        })?;
        super::method_of(&proto, "select", |ctx, me: &Class<Self>, [_key, bad, _]| {
            Ok(select(me, bad)?.unwrap_or_else(|| Value::new_undefined(ctx.clone())))
        })?;
        super::method_of(&proto, "deselect", |_, me: &Class<Self>, [id, _, _]| {
            if M::LEAST_WORK {
                let key = Key::of(&id);
                let mut b = me.borrow_mut();
                if let Some(t) = b.targets.iter_mut().find(|t| t.key == key) {
                    if t.hits > 0.0 {
                        t.hits -= 1.0;
                    }
                }
            }
            Ok(())
        })?;
        for name in ["next", "borrow"] {
            super::method_of(
                &proto,
                name,
                |ctx, me: &Class<Self>, [borrower, key, bad]| next(ctx, me, borrower, key, bad),
            )?;
        }
        Ok(Some(proto))
    }

    fn constructor(ctx: &Ctx<'js>) -> Result<Option<Constructor<'js>>> {
        constructor(ctx, |targets, unhealthy| {
            let mut lb = Rotation::<M> {
                targets: Vec::new(),
                unhealthy,
                sticky: HashMap::new(),
                borrowers: None,
                mode: PhantomData,
            };
            for (id, w) in targets {
                lb.set(id, w);
            }
            lb
        })
    }
}

/// `algo.HashingLoadBalancer`.
pub struct Hashing<'js> {
    targets: Vec<Value<'js>>,
    unhealthy: Option<Value<'js>>,
}

// SAFETY: the type's only lifetime is 'js, and `Changed` swaps exactly that.
unsafe impl<'js> JsLifetime<'js> for Hashing<'js> {
    type Changed<'to> = Hashing<'to>;
}

impl<'js> Trace<'js> for Hashing<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        for v in self.targets.iter().chain(self.unhealthy.iter()) {
            tracer.mark(v);
        }
    }
}

fn select_hashed<'js>(
    ctx: &Ctx<'js>,
    me: &Class<'js, Hashing<'js>>,
    key: Value<'js>,
    unhealthy: Value<'js>,
) -> Result<Option<Value<'js>>> {
    let (targets, bad) = {
        let b = me.borrow();
        (b.targets.clone(), unhealthy_of(unhealthy, &b.unhealthy))
    };
    let mut ok = Vec::with_capacity(targets.len());
    for t in targets {
        if healthy(&bad, &t)? {
            ok.push(t);
        }
    }
    if ok.is_empty() {
        return Ok(None);
    }
    let i = hash(ctx, &key)? % ok.len() as f64;
    Ok(ok.into_iter().nth(i as usize))
}

native_class! {
    Hashing<'js> = "HashingLoadBalancer",
    constructor: |ctx| {
        constructor(ctx, |targets, unhealthy| Hashing {
            targets: targets.into_iter().map(|(id, _)| id).collect(),
            unhealthy,
        })
    },
    prototype: |proto| {
        super::method_of(&proto, "add", |_, me: &Class<Self>, [id, _, _]| {
            let id = id.get::<Coerced<rquickjs::String<'js>>>()?.0.into_value();
            me.borrow_mut().targets.push(id);
            Ok(me.clone())
        })?;
        super::method_of(&proto, "select", |ctx, me: &Class<Self>, [key, bad, _]| {
            let id = select_hashed(ctx, me, key, bad)?;
            Ok(id.unwrap_or_else(|| Value::new_undefined(ctx.clone())))
        })?;
        super::method(&proto, "deselect", || {})?;
        for name in ["next", "borrow"] {
            super::method_of(
                &proto,
                name,
                |ctx, me: &Class<Self>, [_borrower, key, bad]| match select_hashed(
                    ctx, me, key, bad,
                )? {
                    Some(id) => picked(ctx, id),
                    None => Ok(Value::new_undefined(ctx.clone())),
                },
            )?;
        }
    }
}
