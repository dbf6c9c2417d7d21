// algo.ResourcePool (docs/reference/api.md). algo.Quota and algo.Cache are native (algo/quota.rs,
// algo/cache.rs).
'use strict';
(function (algo) {
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

  algo.ResourcePool = ResourcePool;
})(globalThis.algo);
