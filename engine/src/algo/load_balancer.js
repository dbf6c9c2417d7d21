// algo.LoadBalancer (Pipy 1.5's unified balancer; docs/reference/api.md). Targets sit in a queue
// ordered by load; each has a step of (total weight / its weight). Round robin adds a step per
// pick, so picks follow the weights; least load also takes the step back when a resource is freed.
// allocate() hands out a Resource ({target, free()}) from the target's pool of resources: a new one
// per allocation, or with `capacity` N at most N, shared by load.
'use strict';
(function (algo) {
  // Moves item i of `list` (whose load grew) past the items not more loaded than it.
  function forward(list, item) {
    const i = list.indexOf(item);
    let j = i + 1;
    while (j < list.length && list[j].load <= item.load) j++;
    if (j !== i + 1) { list.splice(i, 1); list.splice(j - 1, 0, item); }
  }
  // Moves item i of `list` (whose load shrank) before the items more loaded than it.
  function backward(list, item) {
    const i = list.indexOf(item);
    let j = i - 1;
    while (j >= 0 && list[j].load > item.load) j--;
    if (j !== i - 1) { list.splice(i, 1); list.splice(j + 1, 0, item); }
  }

  class Resource {
    constructor(pool) { this._pool = pool; this.load = 0; }
    get target() { return this._pool.target; }
    free() {
      const pool = this._pool, lb = pool.lb;
      if (lb && lb._leastLoad) {
        pool.load -= pool.step;
        backward(lb._queue, pool);
      }
      if (this.load > 0) {
        this.load--;
        backward(pool.resources, this);
      }
    }
  }

  function allocateFrom(pool) {
    let r = pool.resources[0];
    if (!r || (r.load > 0 && (pool.capacity <= 0 || pool.capacity > pool.resources.length))) {
      r = new Resource(pool);
      pool.resources.unshift(r);
    }
    r.load++;
    forward(pool.resources, r);
    return r;
  }

  class LoadBalancer {
    constructor(targets, options) {
      const o = options || {};
      const alg = o.algorithm === undefined || o.algorithm === null ? 'round-robin' : String(o.algorithm);
      if (alg !== 'round-robin' && alg !== 'least-load') throw new TypeError(`LoadBalancer: unknown algorithm '${alg}'`);
      this._leastLoad = alg === 'least-load';
      this._keyF = typeof o.key === 'function' ? o.key : null;
      this._weightF = typeof o.weight === 'function' ? o.weight : null;
      this._capacityF = typeof o.capacity === 'function' ? o.capacity : null;
      this._capacity = typeof o.capacity === 'number' ? o.capacity : undefined;
      this._targets = new Map();
      this._pools = [];
      this._queue = [];
      this.provision(targets);
    }
    provision(targets) {
      if (targets) {
        const byKey = new Map(), pools = [], queue = [];
        for (const target of targets) {
          const key = this._keyF ? this._keyF(target) : target;
          let p = this._targets.get(key);
          if (!p) p = { lb: this, key, target, capacity: 0, weight: 1, step: 0, load: 0, resources: [] };
          byKey.set(key, p);
          pools.push(p);
          queue.unshift(p);
          forward(queue, p);
          const w = this._weightF ? this._weightF(target) : undefined;
          const c = this._capacityF ? this._capacityF(target) : this._capacity;
          p.weight = Math.max(0, w === undefined ? 1 : Number(w));
          p.capacity = c === undefined ? 0 : Number(c) | 0;
        }
        for (const p of this._pools) if (!byKey.has(p.key)) p.lb = null;
        this._targets = byKey; this._pools = pools; this._queue = queue;
      } else {
        for (const p of this._pools) p.lb = null;
        this._targets = new Map(); this._pools = []; this._queue = [];
      }
      const total = this._pools.reduce((n, p) => n + p.weight, 0);
      for (const p of this._pools) p.step = total / p.weight;
      if (!this._leastLoad) {
        for (const p of this._pools) p.load = 0;
        for (const p of this._pools) { p.load = p.step; forward(this._queue, p); }
      }
    }
    _next(validator) {
      for (const p of this._queue) {
        if (p.weight > 0 && (!validator || validator(p.target))) {
          p.load += p.step;
          forward(this._queue, p);
          return p;
        }
      }
      return null;
    }
    // The next `size` targets in order, without allocating.
    schedule(size, validator) {
      size = Number(size) | 0;
      if (size < 0) return null;
      const f = typeof validator === 'function' ? validator : null;
      const out = new Array(size);
      for (let i = 0; i < size; i++) { const p = this._next(f); if (p) out[i] = p.target; }
      return out;
    }
    // A resource of the target with key `tag` when there is one (and it passes the
    // validator), else of the next target; null when no target is usable.
    allocate(tag, validator) {
      const f = typeof validator === 'function' ? validator : null;
      if (tag !== undefined && tag !== null) {
        const p = this._targets.get(tag);
        if (p && (!f || f(p.target))) return allocateFrom(p);
      }
      const p = this._next(f);
      return p ? allocateFrom(p) : null;
    }
  }
  algo.LoadBalancer = LoadBalancer;
})(globalThis.algo);
