// algo.Cache, algo.Quota, algo.ResourcePool (docs/reference/api.md).
'use strict';
(function (algo) {
  function seconds(v) { return globalThis.__sluice.seconds(v); }

  class Cache {
    constructor(a, b, c) {
      let options = {};
      if (typeof a === 'number' || typeof a === 'string') { options.size = a; a = b; b = c; c = undefined; }
      this._alloc = typeof a === 'function' ? a : null;
      this._free = typeof b === 'function' ? b : null;
      if (c && typeof c === 'object') options = Object.assign(options, c);
      this._size = options.size ? Number(options.size) : 0;
      this._ttl = options.ttl ? seconds(options.ttl) * 1000 : 0;
      this._map = new Map(); // key -> { v, t }
    }
    _expired(e) { return this._ttl > 0 && Date.now() - e.t > this._ttl; }
    find(k) {
      const e = this._map.get(k);
      if (!e) return undefined;
      if (this._expired(e)) { this.remove(k); return undefined; }
      this._map.delete(k); this._map.set(k, e);
      return e.v;
    }
    has(k) { return this.find(k) !== undefined || this._map.has(k); }
    get(k) {
      const e = this._map.get(k);
      if (e && !this._expired(e)) { this._map.delete(k); this._map.set(k, e); return e.v; }
      if (e) this.remove(k);
      if (!this._alloc) return undefined;
      const v = this._alloc(k);
      this.set(k, v);
      return v;
    }
    set(k, v) {
      if (this._map.has(k)) this._map.delete(k);
      this._map.set(k, { v, t: Date.now() });
      while (this._size > 0 && this._map.size > this._size) {
        const [ok, oe] = this._map.entries().next().value;
        this._map.delete(ok);
        if (this._free) this._free(ok, oe.v);
      }
      return this;
    }
    remove(k) {
      const e = this._map.get(k);
      if (!e) return false;
      this._map.delete(k);
      if (this._free) this._free(k, e.v);
      return true;
    }
    clear() {
      const entries = [...this._map.entries()];
      this._map.clear();
      if (this._free) for (const [k, e] of entries) this._free(k, e.v);
    }
  }

  class Quota {
    constructor(initial, options) {
      options = options || {};
      this.initial = Number(initial);
      this.current = this.initial;
      this._per = options.per ? seconds(options.per) * 1000 : 0;
      this._produce = options.produce !== undefined ? Number(options.produce) : this.initial;
      this._max = options.max !== undefined ? Number(options.max) : this.initial;
      this._last = Date.now();
    }
    _refill() {
      if (!this._per) return;
      const now = Date.now();
      const steps = Math.floor((now - this._last) / this._per);
      if (steps > 0) {
        this.current = Math.min(this._max, this.current + steps * this._produce);
        this._last += steps * this._per;
      }
    }
    consume(n) { this._refill(); const take = Math.max(0, Math.min(n, this.current)); this.current -= take; return take; }
    produce(n) { this.current = Math.min(this._max, this.current + n); }
    reset() { this.current = this.initial; this._last = Date.now(); }
  }

  class ResourcePool {
    constructor(allocator) { this._alloc = allocator; this._free = new Map(); }
    allocate(tag) {
      const list = this._free.get(tag);
      if (list && list.length) return list.pop();
      const r = this._alloc(tag);
      if (r && typeof r === 'object') r.__poolTag = tag;
      return r;
    }
    free(r) {
      const tag = r && typeof r === 'object' ? r.__poolTag : undefined;
      if (!this._free.has(tag)) this._free.set(tag, []);
      this._free.get(tag).push(r);
    }
  }

  algo.Cache = Cache;
  algo.Quota = Quota;
  algo.ResourcePool = ResourcePool;
})(globalThis.algo);
