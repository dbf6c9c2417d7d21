// algo.SharedMap (docs/reference/api.md): a named map every worker thread of the process shares.
// Values cross threads as JSON (script/shared.rs), so a value read back is a copy.
'use strict';
(function (algo) {
  const __N = globalThis.__native;
  class SharedMap {
    constructor(name) {
      if (name === undefined) throw new TypeError('SharedMap: argument #1 expects a string');
      Object.defineProperty(this, '_name', { value: String(name) });
    }
    get size() { return __N.sharedSize(this._name); }
    clear() { __N.sharedClear(this._name); }
    delete(key) { return __N.sharedDelete(this._name, String(key)); }
    has(key) { return __N.sharedHas(this._name, String(key)); }
    get(key) {
      const s = __N.sharedGet(this._name, String(key));
      return s === undefined || s === null || s === '' ? undefined : JSON.parse(s);
    }
    set(key, value) {
      const s = value === undefined ? '' : JSON.stringify(value);
      __N.sharedSet(this._name, String(key), s === undefined ? '' : s);
    }
    add(key, n) { return __N.sharedAdd(this._name, String(key), Number(n)); }
    sub(key, n) { return __N.sharedAdd(this._name, String(key), -Number(n)); }
  }
  algo.SharedMap = SharedMap;
})(globalThis.algo);
