//! `algo.LoadBalancer` (docs/reference/api.md), Pipy 1.5's unified balancer.
//!
//! Each target has a *pool* with a load and a step (total weight / its weight). The queue holds
//! the pools ordered by load, least first. Round robin adds a step to a pool per pick, so picks
//! follow the weights; least load also takes the step back when a resource is freed.
//! `allocate()` hands out a *resource* (`{target, free()}`) from the picked target's pool: a
//! new one per allocation, or with a `capacity` of N, at most N shared by load.
//!
//! Ownership of JS values (what QuickJS's collector is told): every pool and resource is a
//! class instance of its own, so each JS reference is held by exactly one Rust owner that
//! reports it in its [`Trace`]: the balancer its functions and pools, a pool its key, target,
//! resources and balancer, a resource its pool. The cycles between them are ordinary JS cycles.
//! No borrow of a balancer or pool is held while a script function (`key`, `weight`,
//! `capacity`, a validator) runs, so such a function may use the balancer again.

use std::collections::HashMap;

use rquickjs::class::{JsClass, Trace, Tracer};
use rquickjs::function::Opt;
use rquickjs::{
    Array, Class, Coerced, Ctx, Exception, Function, JsLifetime, Object, Result, Value,
};

use super::key::Key;

/// `algo.LoadBalancer`.
pub struct LoadBalancer<'js> {
    least_load: bool,
    key_f: Option<Function<'js>>,
    weight_f: Option<Function<'js>>,
    capacity_f: Option<Function<'js>>,
    /// The `capacity` option when it is a number.
    capacity: Option<Value<'js>>,
    /// The pools by key (compared as in a JS `Map`; each pool keeps its key alive).
    by_key: HashMap<Key, Class<'js, Pool<'js>>>,
    /// The pools in the order of the targets given.
    pools: Vec<Class<'js, Pool<'js>>>,
    /// The pools by load, least first.
    queue: Vec<Class<'js, Pool<'js>>>,
}

/// The state of one target.
pub struct Pool<'js> {
    /// The balancer, while the target is one of its targets.
    lb: Option<Class<'js, LoadBalancer<'js>>>,
    key: Value<'js>,
    target: Value<'js>,
    /// The most resources shared; 0 = a new resource per allocation.
    capacity: i32,
    weight: f64,
    step: f64,
    load: f64,
    /// The resources by load, least first.
    resources: Vec<Class<'js, Resource<'js>>>,
}

/// What `allocate()` hands out.
pub struct Resource<'js> {
    pool: Class<'js, Pool<'js>>,
    load: i32,
}

// SAFETY: each type's only lifetime is 'js, and `Changed` swaps exactly that.
unsafe impl<'js> JsLifetime<'js> for LoadBalancer<'js> {
    type Changed<'to> = LoadBalancer<'to>;
}
// SAFETY: as above.
unsafe impl<'js> JsLifetime<'js> for Pool<'js> {
    type Changed<'to> = Pool<'to>;
}
// SAFETY: as above.
unsafe impl<'js> JsLifetime<'js> for Resource<'js> {
    type Changed<'to> = Resource<'to>;
}

impl<'js> Trace<'js> for LoadBalancer<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        let functions = [&self.key_f, &self.weight_f, &self.capacity_f];
        for f in functions.into_iter().flatten() {
            tracer.mark(f.as_value());
        }
        if let Some(c) = &self.capacity {
            tracer.mark(c);
        }
        let pools = self.by_key.values().chain(&self.pools).chain(&self.queue);
        for p in pools {
            tracer.mark(p.as_inner().as_value());
        }
    }
}

impl<'js> Trace<'js> for Pool<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        if let Some(lb) = &self.lb {
            tracer.mark(lb.as_inner().as_value());
        }
        tracer.mark(&self.key);
        tracer.mark(&self.target);
        for r in &self.resources {
            tracer.mark(r.as_inner().as_value());
        }
    }
}

impl<'js> Trace<'js> for Resource<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        tracer.mark(self.pool.as_inner().as_value());
    }
}

/// The same instance.
fn same<'js, C: JsClass<'js>>(a: &Class<'js, C>, b: &Class<'js, C>) -> bool {
    a.as_inner() == b.as_inner()
}

/// Moves `item`, whose load changed, to its place in `list` (least loaded first): a grown one
/// past the items not more loaded than it, a shrunk one before the items more loaded than it.
fn reposition<'js, C: JsClass<'js>>(
    list: &mut Vec<Class<'js, C>>,
    item: &Class<'js, C>,
    load: impl Fn(&Class<'js, C>) -> f64,
) {
    let Some(i) = list.iter().position(|x| same(x, item)) else {
        return;
    };
    let own = load(item);
    let mut to = i + 1;
    while to < list.len() && load(&list[to]) <= own {
        to += 1;
    }
    let mut to = to - 1;
    if to == i {
        while to > 0 && load(&list[to - 1]) > own {
            to -= 1;
        }
    }
    if to != i {
        let x = list.remove(i);
        list.insert(to, x);
    }
}

fn pool_load<'js>(p: &Class<'js, Pool<'js>>) -> f64 {
    p.borrow().load
}

fn resource_load<'js>(r: &Class<'js, Resource<'js>>) -> f64 {
    f64::from(r.borrow().load)
}

type Lb<'js> = Class<'js, LoadBalancer<'js>>;

/// A function option, when it is one.
fn function<'js>(options: &Option<Object<'js>>, name: &str) -> Result<Option<Function<'js>>> {
    let Some(o) = options else { return Ok(None) };
    let v: Value<'js> = o.get(name)?;
    Ok(v.into_function())
}

fn construct<'js>(
    ctx: Ctx<'js>,
    targets: Opt<Value<'js>>,
    options: Opt<Value<'js>>,
) -> Result<Lb<'js>> {
    let options = options.0.and_then(Value::into_object);
    let algorithm: Value<'js> = match &options {
        Some(o) => o.get("algorithm")?,
        None => Value::new_undefined(ctx.clone()),
    };
    let least_load = if algorithm.is_undefined() || algorithm.is_null() {
        false
    } else {
        match algorithm.get::<Coerced<String>>()?.0.as_str() {
            "round-robin" => false,
            "least-load" => true,
            other => {
                return Err(Exception::throw_type(
                    &ctx,
                    &format!("LoadBalancer: unknown algorithm '{other}'"),
                ))
            }
        }
    };
    let capacity = match &options {
        Some(o) => Some(o.get::<_, Value<'js>>("capacity")?).filter(Value::is_number),
        None => None,
    };
    let lb = Class::instance(
        ctx.clone(),
        LoadBalancer {
            least_load,
            key_f: function(&options, "key")?,
            weight_f: function(&options, "weight")?,
            capacity_f: function(&options, "capacity")?,
            capacity,
            by_key: HashMap::new(),
            pools: Vec::new(),
            queue: Vec::new(),
        },
    )?;
    provision(&ctx, &lb, targets.0)?;
    Ok(lb)
}

/// The targets of an iterable (an array, a Set, ...).
fn targets_of<'js>(ctx: &Ctx<'js>, targets: Value<'js>) -> Result<Vec<Value<'js>>> {
    let array = match targets.as_array().cloned() {
        Some(a) => a,
        None => {
            let from: Function<'js> = ctx.globals().get::<_, Object>("Array")?.get("from")?;
            from.call::<_, Array>((targets,))?
        }
    };
    array.iter().collect()
}

/// `provision(targets)`: the balancer's targets become these; a target kept keeps its pool
/// (and its resources). No targets (or a falsy value) empties it.
fn provision<'js>(ctx: &Ctx<'js>, lb: &Lb<'js>, targets: Option<Value<'js>>) -> Result<()> {
    let targets = match targets.filter(super::truthy) {
        Some(t) => targets_of(ctx, t)?,
        None => Vec::new(),
    };
    let (key_f, weight_f, capacity_f, capacity, least_load) = {
        let me = lb.borrow();
        let c = me.capacity.clone();
        let f = (me.key_f.clone(), me.weight_f.clone(), me.capacity_f.clone());
        (f.0, f.1, f.2, c, me.least_load)
    };
    // The script's functions run first, with no borrow held.
    let mut given = Vec::with_capacity(targets.len());
    for target in targets {
        let key = match &key_f {
            Some(f) => f.call::<_, Value>((target.clone(),))?,
            None => target.clone(),
        };
        let weight = match &weight_f {
            Some(f) => f.call::<_, Value>((target.clone(),))?,
            None => Value::new_undefined(ctx.clone()),
        };
        let cap = match (&capacity_f, &capacity) {
            (Some(f), _) => f.call::<_, Value>((target.clone(),))?,
            (None, Some(c)) => c.clone(),
            (None, None) => Value::new_undefined(ctx.clone()),
        };
        let weight = if weight.is_undefined() {
            1.0
        } else {
            let w = weight.get::<Coerced<f64>>()?.0;
            if w.is_nan() {
                w
            } else {
                w.max(0.0)
            }
        };
        let cap = if cap.is_undefined() {
            0
        } else {
            cap.get::<Coerced<i32>>()?.0
        };
        given.push((key, target, weight, cap));
    }
    let old_pools = std::mem::take(&mut lb.borrow_mut().pools);
    let old_by_key = std::mem::take(&mut lb.borrow_mut().by_key);
    let mut by_key: HashMap<Key, Class<'js, Pool<'js>>> = HashMap::new();
    let mut pools = Vec::new();
    let mut queue: Vec<Class<'js, Pool<'js>>> = Vec::new();
    for (key, target, weight, cap) in given {
        let k = Key::of(&key);
        if let Some(p) = by_key.get(&k) {
            // A target given twice counts once, with what it was given last.
            let mut pool = p.borrow_mut();
            pool.weight = weight;
            pool.capacity = cap;
            continue;
        }
        let p = match old_by_key.get(&k) {
            Some(p) => p.clone(),
            None => Class::instance(
                ctx.clone(),
                Pool {
                    lb: Some(lb.clone()),
                    key,
                    target,
                    capacity: 0,
                    weight: 1.0,
                    step: 0.0,
                    load: 0.0,
                    resources: Vec::new(),
                },
            )?,
        };
        by_key.insert(k, p.clone());
        pools.push(p.clone());
        queue.insert(0, p.clone());
        reposition(&mut queue, &p, pool_load);
        let mut pool = p.borrow_mut();
        pool.weight = weight;
        pool.capacity = cap;
    }
    for p in &old_pools {
        if !by_key.contains_key(&Key::of(&p.borrow().key)) {
            p.borrow_mut().lb = None;
        }
    }
    let total: f64 = pools.iter().map(|p| p.borrow().weight).sum();
    for p in &pools {
        let mut pool = p.borrow_mut();
        pool.step = total / pool.weight;
    }
    if !least_load {
        for p in &pools {
            p.borrow_mut().load = 0.0;
        }
        for p in &pools {
            let step = p.borrow().step;
            p.borrow_mut().load = step;
            reposition(&mut queue, p, pool_load);
        }
    }
    let mut me = lb.borrow_mut();
    me.by_key = by_key;
    me.pools = pools;
    me.queue = queue;
    Ok(())
}

/// The next pool by load that has weight and passes `validator`, charged one step.
fn next<'js>(
    lb: &Lb<'js>,
    validator: &Option<Function<'js>>,
) -> Result<Option<Class<'js, Pool<'js>>>> {
    let found = match validator {
        None => lb
            .borrow()
            .queue
            .iter()
            .find(|p| p.borrow().weight > 0.0)
            .cloned(),
        Some(f) => {
            let queue = lb.borrow().queue.clone();
            let mut found = None;
            for p in queue {
                let weighted = p.borrow().weight > 0.0;
                if !weighted {
                    continue;
                }
                let target = p.borrow().target.clone();
                if super::truthy(&f.call::<_, Value>((target,))?) {
                    found = Some(p);
                    break;
                }
            }
            found
        }
    };
    if let Some(p) = &found {
        {
            let mut pool = p.borrow_mut();
            pool.load += pool.step;
        }
        reposition(&mut lb.borrow_mut().queue, p, pool_load);
    }
    Ok(found)
}

/// A resource of `pool`: its least loaded one when that is free or the pool is at capacity,
/// else a new one.
fn allocate_from<'js>(
    ctx: &Ctx<'js>,
    pool: &Class<'js, Pool<'js>>,
) -> Result<Class<'js, Resource<'js>>> {
    let reuse = {
        let p = pool.borrow();
        p.resources.first().cloned().filter(|r| {
            let full = p.capacity > 0 && p.capacity as usize <= p.resources.len();
            r.borrow().load == 0 || full
        })
    };
    let r = match reuse {
        Some(r) => r,
        None => {
            let r = Class::instance(
                ctx.clone(),
                Resource {
                    pool: pool.clone(),
                    load: 0,
                },
            )?;
            pool.borrow_mut().resources.insert(0, r.clone());
            r
        }
    };
    r.borrow_mut().load += 1;
    reposition(&mut pool.borrow_mut().resources, &r, resource_load);
    Ok(r)
}

/// `resource.free()`.
fn free<'js>(resource: &Class<'js, Resource<'js>>) {
    let pool = resource.borrow().pool.clone();
    let lb = pool.borrow().lb.clone();
    if let Some(lb) = lb.filter(|lb| lb.borrow().least_load) {
        {
            let mut p = pool.borrow_mut();
            p.load -= p.step;
        }
        reposition(&mut lb.borrow_mut().queue, &pool, pool_load);
    }
    if resource.borrow().load > 0 {
        resource.borrow_mut().load -= 1;
        reposition(&mut pool.borrow_mut().resources, resource, resource_load);
    }
}

native_class! {
    LoadBalancer<'js> = "LoadBalancer",
    construct: construct,
    prototype: |proto| {
        super::method_of(
            &proto,
            "provision",
            |ctx, me: &Class<Self>, [targets, _, _]| provision(ctx, me, Some(targets)),
        )?;
        super::method_of(&proto, "schedule", |ctx, me: &Class<Self>, [size, f, _]| {
            let size = match size.is_undefined() {
                true => 0,
                false => size.get::<Coerced<i32>>()?.0,
            };
            if size < 0 {
                return Ok(Value::new_null(ctx.clone()));
            }
            let f = f.into_function();
            let out = Array::new(ctx.clone())?;
            out.as_object().set("length", size)?;
            for i in 0..size as usize {
                if let Some(p) = next(me, &f)? {
                    let target = p.borrow().target.clone();
                    out.set(i, target)?;
                }
            }
            Ok(out.into_value())
        })?;
        super::method_of(&proto, "allocate", |ctx, me: &Class<Self>, [tag, f, _]| {
            let f = f.into_function();
            if !tag.is_undefined() && !tag.is_null() {
                let p = me.borrow().by_key.get(&Key::of(&tag)).cloned();
                if let Some(p) = p {
                    let ok = match &f {
                        None => true,
                        Some(f) => {
                            let target = p.borrow().target.clone();
                            super::truthy(&f.call::<_, Value>((target,))?)
                        }
                    };
                    if ok {
                        return Ok(allocate_from(ctx, &p)?.into_value());
                    }
                }
            }
            Ok(match next(me, &f)? {
                Some(p) => allocate_from(ctx, &p)?.into_value(),
                None => Value::new_null(ctx.clone()),
            })
        })?;
    }
}

native_class! {
    Pool<'js> = "LoadBalancerTarget",
    prototype: |_proto| {}
}

native_class! {
    Resource<'js> = "Resource",
    prototype: |proto| {
        super::getter_of(&proto, "target", |me: &Class<Self>| {
            let pool = me.borrow().pool.clone();
            let target = pool.borrow().target.clone();
            target
        })?;
        super::getter_of(&proto, "load", |me: &Class<Self>| me.borrow().load)?;
        super::method_of(&proto, "free", |_, me: &Class<Self>, _| {
            free(me);
            Ok(())
        })?;
    }
}
