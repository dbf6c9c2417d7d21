// Global helpers for scripts: console, os, JSON extras (docs/reference/api.md).
'use strict';

const __N = globalThis.__native;
const S = globalThis.__sluice;

// Dump format used by console.* and dump() (docs/reference/api.md).
function dump(v, seen) {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number': case 'boolean': return String(v);
    case 'string': return JSON.stringify(v);
    case 'function': return `Function{ ${v.name || ''} }`;
    case 'bigint': return String(v) + 'n';
    case 'symbol': return v.toString();
  }
  if (v instanceof Data) {
    const a = v._flat();
    const hex = Array.from(a.subarray(0, 16), b => (b < 16 ? '0' : '') + b.toString(16)).join(' ');
    return a.length > 16 ? `Data[ ${hex} and ${a.length - 16} more bytes ]` : `Data[ ${hex} ]`;
  }
  seen = seen || [];
  if (seen.includes(v)) return Array.isArray(v) ? '[ ...recursive ]' : '{ ...recursive }';
  seen.push(v);
  let s;
  if (Array.isArray(v)) {
    s = v.length ? `[ ${v.map(x => dump(x, seen)).join(', ')} ]` : '[]';
  } else {
    const keys = Object.keys(v);
    const name = v.constructor && v.constructor !== Object ? v.constructor.name : '';
    const body = keys.map(k => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${dump(v[k], seen)}`).join(', ');
    s = (name ? name : '') + (keys.length ? `{ ${body} }` : '{}');
  }
  seen.pop();
  return s;
}
S.dump = dump;

const fmt = args => args.map(a => (typeof a === 'string' ? a : dump(a))).join(' ');
globalThis.console = {
  log: (...a) => __N.log(1, fmt(a)),
  info: (...a) => __N.log(1, fmt(a)),
  debug: (...a) => __N.log(0, fmt(a)),
  warn: (...a) => __N.log(2, fmt(a)),
  error: (...a) => __N.log(3, fmt(a)),
};

// The `os` global is made in os.js.

JSON.decode = (data, reviver) => JSON.parse(data instanceof Data ? data.toString() : String(data), reviver);
JSON.encode = (v, replacer, space) => new Data(JSON.stringify(v, replacer, space));

// Units (docs/reference/api.md, Duration and Size): durations in seconds, sizes in bytes.
S.seconds = v => (typeof v === 'number' ? v : __N.seconds(String(v)));
globalThis.algo = {};

// crypto (docs/reference/api.md): certificates and keys, kept as PEM text for the TLS filters.
(function () {
  const pemOf = x => (x instanceof Data ? x.toString() : String(x));
  class Certificate {
    constructor(pem) {
      this._pem = pemOf(pem);
      const i = __N.certInfo(this._pem);
      this.subject = i.subject;
      this.issuer = i.issuer;
      this.subjectAltNames = i.subjectAltNames;
    }
  }
  class CertificateChain {
    constructor(pem) {
      this._pem = pemOf(pem);
      __N.certInfo(this._pem);
    }
  }
  class PrivateKey {
    constructor(pem) {
      this._pem = pemOf(pem);
      __N.checkKey(this._pem);
    }
  }
  class PublicKey {
    constructor(pem) { this._pem = pemOf(pem); }
  }
  globalThis.crypto = Object.assign(globalThis.crypto || {}, { Certificate, CertificateChain, PrivateKey, PublicKey });
})();

/** The worker this runtime belongs to: { id, concurrency } ([C]). */
globalThis.__thread = __N.thread;

// stats (docs/reference/api.md): metrics scripts define, exposed with the engine's at /metrics.
(function () {
  function make(proto, kind, name, labels, buckets) {
    if (typeof name !== 'string') throw new TypeError('a metric needs a name');
    const m = Object.create(proto);
    m._id = buckets ? __N.statsNew(kind, name, labels || [], buckets) : __N.statsNew(kind, name, labels || []);
    m._labels = [];
    m.name = name;
    return m;
  }
  function sub(m, values) {
    const s = Object.create(Object.getPrototypeOf(m));
    s._id = m._id; s._labels = m._labels.concat(values.map(String)); s.name = m.name;
    return s;
  }
  class Counter {
    constructor(name, labels) { return make(Counter.prototype, 'counter', name, labels); }
    withLabels(...v) { return sub(this, v); }
    increase(n) { __N.statsOp(this._id, this._labels, 0, n === undefined ? 1 : n); }
    decrease(n) { __N.statsOp(this._id, this._labels, 1, n === undefined ? 1 : n); }
    zero() { __N.statsOp(this._id, this._labels, 2, 0); }
  }
  class Gauge {
    constructor(name, labels) { return make(Gauge.prototype, 'gauge', name, labels); }
    withLabels(...v) { return sub(this, v); }
    set(n) { __N.statsOp(this._id, this._labels, 3, n); }
    increase(n) { __N.statsOp(this._id, this._labels, 0, n === undefined ? 1 : n); }
    decrease(n) { __N.statsOp(this._id, this._labels, 1, n === undefined ? 1 : n); }
    zero() { __N.statsOp(this._id, this._labels, 2, 0); }
  }
  class Histogram {
    constructor(name, buckets, labels) { return make(Histogram.prototype, 'histogram', name, labels, buckets); }
    withLabels(...v) { return sub(this, v); }
    observe(n) { __N.statsOp(this._id, this._labels, 4, n); }
    zero() {}
  }
  globalThis.stats = { Counter, Gauge, Histogram };
})();

// logging (docs/reference/api.md): loggers writing text or JSON lines to stdout, stderr or files.
(function () {
  class Logger {
    constructor(name, json) {
      if (typeof name !== 'string' || !name) throw new TypeError('a logger needs a name');
      this.name = name; this._json = json; this._targets = [];
    }
    toStdout() { this._targets.push(['stdout', '']); return this; }
    toStderr() { this._targets.push(['stderr', '']); return this; }
    toFile(path) { this._targets.push(['file', String(path)]); return this; }
    toHTTP(url) { this._targets.push(['http', String(url)]); return this; }
    toSyslog() { throw new Error('logging to syslog is not supported yet: log to a file or stdout'); }
    log(...values) {
      const line = this._json
        ? JSON.stringify(values.length === 1 ? values[0] : values)
        : values.map(v => (typeof v === 'string' ? v : S.dump(v))).join(' ');
      for (const [dest, path] of this._targets) __N.logWrite(dest, path, line);
    }
  }
  class TextLogger extends Logger { constructor(name) { super(name, false); } }
  class JSONLogger extends Logger { constructor(name) { super(name, true); } }
  globalThis.logging = { TextLogger, JSONLogger };
})();

// Timeout: `new Timeout(seconds).wait()` is a Promise fulfilled after that time, in the
// context it was made in; `cancel()` stops it (the Promise then never settles).
(function () {
  class Timeout {
    constructor(seconds) {
      this._s = S.seconds(seconds === undefined ? 0 : seconds);
      this._cancelled = false;
    }
    wait() {
      const saved = S.current[0];
      return new Promise(resolve => __N.setTimer(this._s, () => {
        if (this._cancelled) return;
        S.current[0] = saved;
        resolve();
      }));
    }
    cancel() { this._cancelled = true; }
  }
  globalThis.Timeout = Timeout;
})();

// Pipy's control-flow helpers, global functions of its script engine.
(() => {
  const value = v => (typeof v === 'function' ? v() : v);
  // invoke(f, catcher): f(), or catcher(message) (or the value catcher) when f throws.
  globalThis.invoke = (f, catcher) => {
    if (typeof f !== 'function') throw new TypeError('invoke(): expects a function');
    try { return f(); } catch (e) {
      return typeof catcher === 'function' ? catcher(e && e.message !== undefined ? e.message : String(e)) : catcher;
    }
  };
  // repeat(f): calls f(0), f(1), ... until one returns something other than undefined, and
  // returns that; repeat(count, f) and repeat(array, f(item, i)) stop there at the latest.
  globalThis.repeat = (a, f) => {
    if (typeof a === 'function') {
      for (let i = 0; ; i++) { const r = a(i); if (r !== undefined) return r; }
    }
    if (typeof f !== 'function') throw new TypeError('repeat(): expects a function');
    if (typeof a === 'number') {
      for (let i = 0; i < a; i++) { const r = f(i); if (r !== undefined) return r; }
      return undefined;
    }
    if (Array.isArray(a)) {
      for (let i = 0; i < a.length; i++) { const r = f(a[i], i); if (r !== undefined) return r; }
      return undefined;
    }
    throw new TypeError('repeat(): expects a function, a count or an array');
  };
  // branch(cond1, result1, cond2, result2, ..., [otherwise]): the result of the first true
  // condition (conditions and results may be functions, called when reached).
  globalThis.branch = (...args) => {
    if (args.length < 2) throw new TypeError('branch(): expects at least 2 arguments');
    let i = 0;
    for (; i + 1 < args.length; i += 2) {
      if (value(args[i])) return value(args[i + 1]);
    }
    return i < args.length ? value(args[i]) : undefined;
  };
})();
