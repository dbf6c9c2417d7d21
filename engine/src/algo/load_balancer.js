// Load balancers (docs/reference/api.md): weighted round robin, least work, hashing.
'use strict';
(function (algo) {
  function targetsOf(targets) {
    if (Array.isArray(targets)) return targets.map(t => [String(t), 1]);
    if (targets && typeof targets === 'object') return Object.entries(targets).map(([k, w]) => [k, Number(w)]);
    throw new TypeError('load balancer: targets must be an array or an object of weights');
  }
  function healthy(unhealthy, id) {
    if (!unhealthy) return true;
    if (typeof unhealthy.find === 'function') return !unhealthy.find(id);
    if (typeof unhealthy.get === 'function') return !unhealthy.get(id);
    return true;
  }

  class RoundRobinLoadBalancer {
    constructor(targets, unhealthy) {
      this._t = [];
      this._unhealthy = unhealthy || null;
      this._sticky = new Map();
      for (const [id, w] of targetsOf(targets)) this.set(id, w);
    }
    set(id, weight) {
      const t = this._t.find(x => x.id === id);
      if (t) t.weight = weight; else this._t.push({ id, weight, hits: 0 });
      return this;
    }
    select(key, unhealthy) {
      void key;
      const bad = unhealthy || this._unhealthy;
      let best = null, total = 0, hits = 0;
      for (const t of this._t) {
        if (!(t.weight > 0) || !healthy(bad, t.id)) continue;
        total += t.weight; hits += t.hits;
        if (!best || t.hits / t.weight < best.hits / best.weight) best = t;
      }
      if (!best) return undefined;
      best.hits++; hits++;
      if (hits >= total) for (const t of this._t) t.hits = 0;
      return best.id;
    }
    deselect() {}
    next(borrower, key, unhealthy) {
      if (key !== undefined && key !== null) {
        let r = this._sticky.get(key);
        if (!r) { const id = this.select(key, unhealthy); if (id === undefined) return undefined; r = { id }; this._sticky.set(key, r); }
        return r;
      }
      const b = borrower === undefined ? globalThis.__sluice.current[0][0] : borrower;
      if (b && typeof b === 'object') {
        const cache = this._borrowers || (this._borrowers = new WeakMap());
        let r = cache.get(b);
        if (!r) { const id = this.select(undefined, unhealthy); if (id === undefined) return undefined; r = { id }; cache.set(b, r); }
        return r;
      }
      const id = this.select(undefined, unhealthy);
      return id === undefined ? undefined : { id };
    }
    borrow(borrower, key, unhealthy) { return this.next(borrower, key, unhealthy); }
  }

  class LeastWorkLoadBalancer extends RoundRobinLoadBalancer {
    select(key, unhealthy) {
      void key;
      const bad = unhealthy || this._unhealthy;
      let best = null;
      for (const t of this._t) {
        if (!(t.weight > 0) || !healthy(bad, t.id)) continue;
        if (!best || t.hits / t.weight < best.hits / best.weight) best = t;
      }
      if (!best) return undefined;
      best.hits++;
      return best.id;
    }
    deselect(id) { const t = this._t.find(x => x.id === id); if (t && t.hits > 0) t.hits--; }
  }

  class HashingLoadBalancer {
    constructor(targets, unhealthy) { this._t = targetsOf(targets).map(([id]) => id); this._unhealthy = unhealthy || null; }
    add(id) { this._t.push(String(id)); return this; }
    select(key, unhealthy) {
      const bad = unhealthy || this._unhealthy;
      const ok = this._t.filter(id => healthy(bad, id));
      if (!ok.length) return undefined;
      return ok[algo.hash(key) % ok.length];
    }
    deselect() {}
    next(borrower, key, unhealthy) { const id = this.select(key, unhealthy); return id === undefined ? undefined : { id }; }
    borrow(borrower, key, unhealthy) { return this.next(borrower, key, unhealthy); }
  }

  // FNV-1a over the value's string form, folded to 53 bits.
  algo.hash = v => {
    const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
    let h1 = 0x811c9dc5, h2 = 0x01000193;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 16777619) >>> 0;
      h2 = Math.imul(h2 ^ c, 2246822507) >>> 0;
    }
    return (h2 & 0x1fffff) * 4294967296 + h1;
  };
  algo.RoundRobinLoadBalancer = RoundRobinLoadBalancer;
  algo.LeastWorkLoadBalancer = LeastWorkLoadBalancer;
  algo.HashingLoadBalancer = HashingLoadBalancer;
})(globalThis.algo);
