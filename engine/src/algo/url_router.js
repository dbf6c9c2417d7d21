// algo.URLRouter (docs/reference/api.md): host + path routing with prefix ('/x/*') and exact rules.
'use strict';
(function (algo) {
  function splitPath(p) { return p.split('/').filter(s => s.length > 0); }

  class URLRouter {
    constructor(rules) {
      this._hosts = new Map(); // host ('' for host-less, '*.x' wildcard) -> { exact: Map, tree }
      if (rules) for (const k of Object.keys(rules)) this.add(k, rules[k]);
    }
    _table(host) {
      let t = this._hosts.get(host);
      if (!t) { t = { exact: new Map(), tree: { children: new Map(), value: undefined, has: false } }; this._hosts.set(host, t); }
      return t;
    }
    add(pattern, value) {
      if (typeof pattern !== 'string') throw new TypeError('URLRouter: pattern must be a string');
      const slash = pattern.indexOf('/');
      if (slash < 0) throw new Error(`URLRouter: invalid pattern ${pattern}`);
      const host = pattern.slice(0, slash).toLowerCase();
      if (host.includes(':')) throw new Error(`URLRouter: host may not have a port: ${pattern}`);
      let path = pattern.slice(slash);
      const t = this._table(host);
      if (path.endsWith('/*') || path === '*') {
        let node = t.tree;
        for (const seg of splitPath(path.slice(0, -1))) {
          let n = node.children.get(seg);
          if (!n) { n = { children: new Map(), value: undefined, has: false }; node.children.set(seg, n); }
          node = n;
        }
        node.value = value; node.has = true;
      } else {
        t.exact.set(path, value);
      }
      return this;
    }
    _lookup(t, path) {
      if (t.exact.has(path)) return { found: true, value: t.exact.get(path) };
      let node = t.tree, best = node.has ? node : null;
      for (const seg of splitPath(path)) {
        node = node.children.get(seg);
        if (!node) break;
        if (node.has) best = node;
      }
      return best ? { found: true, value: best.value } : { found: false };
    }
    find(...parts) {
      const segs = parts.filter(p => p !== undefined && p !== null).map(String);
      if (segs.length === 0) return undefined;
      let host = '', path;
      if (segs.length === 1) path = segs[0];
      else { host = segs[0]; path = '/' + segs.slice(1).map(s => s.replace(/^\/+/, '')).join('/'); }
      const q = path.indexOf('?');
      if (q >= 0) path = path.slice(0, q);
      if (!path.startsWith('/')) path = '/' + path;
      const colon = host.lastIndexOf(':');
      if (colon >= 0 && !host.endsWith(']')) host = host.slice(0, colon);
      host = host.toLowerCase();
      const candidates = [];
      if (host) {
        candidates.push(host);
        const dot = host.indexOf('.');
        if (dot >= 0) candidates.push('*' + host.slice(dot));
      }
      candidates.push('');
      for (const h of candidates) {
        const t = this._hosts.get(h);
        if (!t) continue;
        const r = this._lookup(t, path);
        if (r.found) return r.value;
      }
      return undefined;
    }
  }
  algo.URLRouter = URLRouter;
})(globalThis.algo);
