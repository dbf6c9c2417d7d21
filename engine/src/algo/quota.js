// algo.Quota, algo.ResourcePool (docs/reference/api.md). algo.Cache is native (algo/cache.rs).
'use strict';
(function (algo) {
  function seconds(v) { return globalThis.__sluice.seconds(v); }

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

  algo.Quota = Quota;
  algo.ResourcePool = ResourcePool;
})(globalThis.algo);
