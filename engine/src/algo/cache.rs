//! `algo.Cache` (docs/reference/api.md): a map with an optional size limit (the least recently
//! used entry goes first), an optional time to live, a function that makes the value of a
//! missing key on `get()` and one told of every entry that leaves (`remove()`, eviction,
//! expiry, `clear()`). Keys compare as in a JS `Map`.
//!
//! The callbacks may use the cache again: no borrow of it is held while they run.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rquickjs::class::{Trace, Tracer};
use rquickjs::function::Opt;
use rquickjs::{Class, Coerced, Ctx, Function, JsLifetime, Object, Result, Value};
use tokio::time::Instant;

use super::key::Key;

struct Entry<'js> {
    key: Value<'js>,
    value: Value<'js>,
    /// When the value was set (the engine's clock, which a test may drive).
    at: Instant,
    /// Its place in the use order.
    seq: u64,
}

/// A cache.
pub struct Cache<'js> {
    allocate: Option<Function<'js>>,
    free: Option<Function<'js>>,
    /// The most entries kept; 0 (or not a positive number) for no limit.
    size: f64,
    ttl: Option<Duration>,
    entries: HashMap<Key, Entry<'js>>,
    /// The keys by last use, oldest first.
    order: BTreeMap<u64, Key>,
    next_seq: u64,
}

// SAFETY: the type's only lifetime is 'js, and `Changed` swaps exactly that.
unsafe impl<'js> JsLifetime<'js> for Cache<'js> {
    type Changed<'to> = Cache<'to>;
}

impl<'js> Trace<'js> for Cache<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        if let Some(f) = &self.allocate {
            tracer.mark(f.as_value());
        }
        if let Some(f) = &self.free {
            tracer.mark(f.as_value());
        }
        for e in self.entries.values() {
            tracer.mark(&e.key);
            tracer.mark(&e.value);
        }
    }
}

/// What a lookup found.
enum Lookup<'js> {
    Missing,
    Fresh(Value<'js>),
    /// The entry had expired and was taken out: its key and value are to be freed.
    Expired(Value<'js>, Value<'js>),
}

impl<'js> Cache<'js> {
    fn expired(&self, e: &Entry<'js>) -> bool {
        self.ttl.is_some_and(|ttl| e.at.elapsed() > ttl)
    }

    /// Looks a key up; a fresh entry becomes the most recently used.
    fn lookup(&mut self, key: &Key) -> Lookup<'js> {
        let Some(e) = self.entries.get(key) else {
            return Lookup::Missing;
        };
        if self.expired(e) {
            let e = self.take(key).expect("entry just seen");
            return Lookup::Expired(e.key, e.value);
        }
        let old = e.seq;
        let seq = self.next_seq;
        self.next_seq += 1;
        let e = self.entries.get_mut(key).expect("entry just seen");
        e.seq = seq;
        let value = e.value.clone();
        if let Some(k) = self.order.remove(&old) {
            self.order.insert(seq, k);
        }
        Lookup::Fresh(value)
    }

    fn take(&mut self, key: &Key) -> Option<Entry<'js>> {
        let e = self.entries.remove(key)?;
        self.order.remove(&e.seq);
        Some(e)
    }

    /// Stores a value as the most recently used; returns the entries evicted to make room.
    fn store(&mut self, key: Value<'js>, value: Value<'js>) -> Vec<(Value<'js>, Value<'js>)> {
        let k = Key::of(&key);
        self.take(&k);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, k.clone());
        let at = Instant::now();
        self.entries.insert(
            k,
            Entry {
                key,
                value,
                at,
                seq,
            },
        );
        let mut evicted = Vec::new();
        while self.size > 0.0 && self.entries.len() as f64 > self.size {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                evicted.push((e.key, e.value));
            }
        }
        evicted
    }
}

/// Calls the cache's free callback for each entry that left it.
fn free_all<'js>(me: &Class<'js, Cache<'js>>, gone: Vec<(Value<'js>, Value<'js>)>) -> Result<()> {
    if gone.is_empty() {
        return Ok(());
    }
    let Some(free) = me.borrow().free.clone() else {
        return Ok(());
    };
    for (k, v) in gone {
        free.call::<_, ()>((k, v))?;
    }
    Ok(())
}

/// `find(key)`: the value of a fresh entry (freeing an expired one).
fn find<'js>(ctx: &Ctx<'js>, me: &Class<'js, Cache<'js>>, key: &Value<'js>) -> Result<Value<'js>> {
    let found = me.borrow_mut().lookup(&Key::of(key));
    match found {
        Lookup::Fresh(v) => Ok(v),
        Lookup::Missing => Ok(Value::new_undefined(ctx.clone())),
        Lookup::Expired(k, v) => {
            free_all(me, vec![(k, v)])?;
            Ok(Value::new_undefined(ctx.clone()))
        }
    }
}

fn set<'js>(me: &Class<'js, Cache<'js>>, key: Value<'js>, value: Value<'js>) -> Result<()> {
    let evicted = me.borrow_mut().store(key, value);
    free_all(me, evicted)
}

/// `new Cache([size,] [allocate[, free[, options]]])`.
fn construct<'js>(
    ctx: Ctx<'js>,
    a: Opt<Value<'js>>,
    b: Opt<Value<'js>>,
    c: Opt<Value<'js>>,
) -> Result<Class<'js, Cache<'js>>> {
    let undefined = || Value::new_undefined(ctx.clone());
    let (mut a, mut b, mut c) = (
        a.0.unwrap_or_else(undefined),
        b.0.unwrap_or_else(undefined),
        c.0.unwrap_or_else(undefined),
    );
    let mut size = undefined();
    let mut ttl = undefined();
    if a.is_number() || a.is_string() {
        size = a;
        a = b;
        b = c;
        c = undefined();
    }
    if let Some(options) = c.as_object().filter(|_| !c.is_function()) {
        if options.contains_key("size")? {
            size = options.get("size")?;
        }
        if options.contains_key("ttl")? {
            ttl = options.get("ttl")?;
        }
    }
    let size = if super::truthy(&size) {
        size.get::<Coerced<f64>>()?.0
    } else {
        0.0
    };
    let ttl = if super::truthy(&ttl) {
        let seconds: Function = ctx.globals().get::<_, Object>("__sluice")?.get("seconds")?;
        let s: f64 = seconds.call((ttl,))?;
        (s > 0.0).then(|| Duration::from_secs_f64(s.min(1e12)))
    } else {
        None
    };
    let cache = Cache {
        allocate: a.into_function(),
        free: b.into_function(),
        size,
        ttl,
        entries: HashMap::new(),
        order: BTreeMap::new(),
        next_seq: 0,
    };
    Class::instance(ctx, cache)
}

native_class! {
    Cache<'js> = "Cache",
    construct: construct,
    prototype: |proto| {
        super::method_of(&proto, "find", |ctx, me: &Class<Self>, [key, _, _]| {
            find(ctx, me, &key)
        })?;
        super::method_of(&proto, "has", |ctx, me: &Class<Self>, [key, _, _]| {
            if !find(ctx, me, &key)?.is_undefined() {
                return Ok(true);
            }
            let present = me.borrow().entries.contains_key(&Key::of(&key));
            Ok(present)
        })?;
        super::method_of(&proto, "get", |ctx, me: &Class<Self>, [key, _, _]| {
            let found = me.borrow_mut().lookup(&Key::of(&key));
            match found {
                Lookup::Fresh(v) => return Ok(v),
                Lookup::Expired(k, v) => free_all(me, vec![(k, v)])?,
                Lookup::Missing => {}
            }
            let Some(allocate) = me.borrow().allocate.clone() else {
                return Ok(Value::new_undefined(ctx.clone()));
            };
            let v: Value<'js> = allocate.call((key.clone(),))?;
            set(me, key, v.clone())?;
            Ok(v)
        })?;
        super::method_of(&proto, "set", |_, me: &Class<Self>, [key, value, _]| {
            set(me, key, value)?;
            Ok(me.clone())
        })?;
        super::method_of(&proto, "remove", |_, me: &Class<Self>, [key, _, _]| {
            let taken = me.borrow_mut().take(&Key::of(&key));
            match taken {
                Some(e) => {
                    free_all(me, vec![(e.key, e.value)])?;
                    Ok(true)
                }
                None => Ok(false),
            }
        })?;
        super::method_of(&proto, "clear", |_, me: &Class<Self>, _| {
            let gone = {
                let mut c = me.borrow_mut();
                let order = std::mem::take(&mut c.order);
                let mut entries = std::mem::take(&mut c.entries);
                order
                    .into_values()
                    .filter_map(|k| entries.remove(&k))
                    .map(|e| (e.key, e.value))
                    .collect::<Vec<_>>()
            };
            free_all(me, gone)
        })?;
    }
}
