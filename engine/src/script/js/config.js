// The configuration API (docs/reference/api.md): pipy(), Configuration, modules, context variables,
// export/import. The Rust side reads what is recorded here (S.modules, S.layouts) and builds
// pipeline layouts from it; see script/module.rs.
'use strict';

const __N = globalThis.__native;
const S = globalThis.__sluice;

// ---- context variables ----------------------------------------------------------------------
// A context is a JS array of slot values. Slot 0 holds the Inbound object of the connection.
// Every module's scope object has an accessor per variable that reads the current context.
// CUR[0] is the current context's values (set by index from Rust: no property-name lookup).
const CUR = S.current = [[null]];
S.initial = [null];
S.newSlot = value => S.initial.push(value) - 1;
S.defineVar = (scope, name, slot) => {
  Object.defineProperty(scope, name, {
    get() { return CUR[0][slot]; },
    set(x) { CUR[0][slot] = x; },
    enumerable: true, configurable: true,
  });
};

// ---- modules -------------------------------------------------------------------------------
S.modules = [];
S.byPath = Object.create(null);
S.exports = Object.create(null);
S.pendingImports = [];
S.layouts = [];
S.solved = Object.create(null);

S.normalize = (path) => {
  if (typeof path !== 'string') throw new TypeError('module path must be a string');
  return __N.resolvePath(path);
};

function location(depth) {
  const stack = new Error().stack || '';
  const lines = stack.split('\n');
  for (let i = depth; i < lines.length; i++) {
    const m = /\(?([^\s()]+):(\d+):(\d+)\)?\s*$/.exec(lines[i]);
    if (m && !m[1].startsWith('<sluice:')) return { file: m[1], line: +m[2], column: +m[3] };
  }
  return { file: '', line: 0, column: 0 };
}
S.location = location;

function newScope(m) {
  const scope = Object.create(null);
  scope.pipy = makePipy(m);
  Object.defineProperty(scope, '__inbound', { get() { return CUR[0][0]; }, enumerable: false });
  scope.__filename = m.path;
  return scope;
}

// Loads (once) and evaluates a module; returns the module record.
S.module = (path) => {
  path = S.normalize(path);
  let m = S.byPath[path];
  if (m) return m;
  m = { id: S.modules.length, path, vars: Object.create(null), config: null, value: undefined, loading: true,
    exports: Object.create(null) };
  m.scope = newScope(m);
  S.byPath[path] = m;
  S.modules.push(m);
  // While a module loads, context variables are their initial values: `var $x = 1` at the
  // top of a module sets what every new context starts with.
  const saved = CUR[0];
  CUR[0] = S.initial;
  try { m.value = __N.evalModule(path, m.id); }
  finally { CUR[0] = saved; m.loading = false; }
  if (m.value === undefined && 'default' in m.exports) m.value = m.exports.default;
  if (m.value instanceof Configuration) m.config = m.value;
  // A module whose value is a pipeline template (`export default pipeline($=>$...)`) offers it
  // as its entrance to chain() and use().
  if (m.value instanceof PipelineTemplate) m.template = m.value.__layout;
  return m;
};

// ---- ES module syntax (script/esm.rs rewrites it into these calls) --------------------------
S.esmResolve = (m, p) => {
  if (typeof p !== 'string') throw new TypeError('module path must be a string');
  if (p.startsWith('./') || p.startsWith('../')) return m.path.slice(0, m.path.lastIndexOf('/') + 1) + p;
  return p;
};
const view = (dep, name) => (name === '*' ? () => dep.exports : () => dep.exports[name]);
S.esmImport = (id, from, bindings) => {
  const m = S.modules[id];
  const dep = S.module(S.esmResolve(m, from));
  for (const [local, name] of bindings) {
    if (name !== '*' && name !== 'default' && !dep.loading && !(name in dep.exports)) {
      throw new SyntaxError(`${dep.path} does not export ${name}`);
    }
    Object.defineProperty(m.scope, local, {
      get: view(dep, name),
      set() { throw new TypeError(`${local} is imported from ${dep.path} and cannot be assigned`); },
      enumerable: false, configurable: true,
    });
  }
};
S.esmExports = id => S.modules[id].exports;
S.esmExport = (id, getters) => {
  const e = S.modules[id].exports;
  for (const k of Object.keys(getters)) Object.defineProperty(e, k, { get: getters[k], enumerable: true, configurable: true });
};
S.esmForward = (id, from, names) => {
  const m = S.modules[id];
  const dep = S.module(S.esmResolve(m, from));
  const list = names === '*' ? Object.keys(dep.exports).filter(k => k !== 'default').map(k => [k, k]) : names;
  for (const [exported, name] of list) {
    Object.defineProperty(m.exports, exported, { get: view(dep, name), enumerable: true, configurable: true });
  }
};
S.esmFiber = (id, names) => {
  const m = S.modules[id];
  for (const k of names) {
    if (k in m.vars) continue;
    const slot = S.newSlot(undefined);
    m.vars[k] = slot;
    S.defineVar(m.scope, k, slot);
  }
};

// The module whose code is running (from the call stack).
S.callerModule = depth => {
  const loc = location(depth || 3);
  return S.byPath[loc.file] || S.modules[S.modules.length - 1];
};

// `pipeline($=>$...)` ([C]): a standalone layout, usable wherever a sub-pipeline is. Runs asked
// for while the program loads (a module calling .spawn() at its top level, as Pipy allows) start
// once it runs.
S.afterStart = [];
S.programStarted = () => { for (const f of S.afterStart.splice(0)) f(); };
const runPipeline = (id, args, events, mode) => new Promise((resolve, reject) => {
  const go = () => mode ? __N.spawnPipeline(id, args, events, resolve, reject, mode)
    : __N.spawnPipeline(id, args, events, resolve, reject);
  if (S.running) go(); else S.afterStart.push(() => { try { go(); } catch (e) { reject(e); } });
});
class PipelineTemplate {
  constructor(id) { this.__layout = id; }
  toString() { return `[Pipeline ${this.__layout}]`; }
  // Runs an instance with `args` for its onStart; settles with what its onEnd returns.
  spawn(...args) { return runPipeline(this.__layout, args, undefined); }
  // Runs an instance fed with `events` (a Message, events, or an array of them).
  process(events) { return runPipeline(this.__layout, [], events); }
  // Feeds `events` and settles with the first Message the instance outputs (http.Agent).
  request(events) { return runPipeline(this.__layout, [], events, 'message'); }
}
S.PipelineTemplate = PipelineTemplate;

// new pipeline.Hub(): where the streams of swap(hub) meet. The members live in the engine,
// found by this id.
let lastHubId = 0;
class Hub {
  constructor() { Object.defineProperty(this, '__hub', { value: ++lastHubId }); }
  toString() { return `[Hub ${this.__hub}]`; }
}
globalThis.pipeline = builder => {
  if (typeof builder !== 'function') throw new TypeError('pipeline() expects a function like $=>$...');
  const m = S.callerModule(3);
  const c = new Configuration(m, null);
  return new PipelineTemplate(c._ref(builder, 3).__layout);
};
globalThis.pipeline.Hub = Hub;
// new Swap() (Pipy 1.5's global): a hub for two streams, joined by link(() => swap).
class Swap extends Hub {
  constructor() { super(); Object.defineProperty(this, '__parties', { value: 2 }); }
}
globalThis.Swap = Swap;

S.scopeOf = id => S.modules[+id].scope;
// fork('name', initializers) (the early API): an initializer's properties set the module's
// context variables of the same names in the branch's context; other properties are ignored.
S.assignVars = (id, obj) => {
  const m = S.modules[+id];
  for (const k of Object.keys(obj)) if (k in m.vars) m.scope[k] = obj[k];
};

// Binds imports once every module is loaded (docs/concepts.md, "Modules").
S.finalize = () => {
  for (const { m, name, ns } of S.pendingImports) {
    const slot = S.exports[ns] && S.exports[ns][name];
    if (slot === undefined) throw new Error(`cannot import variable ${name} in ${m.path}`);
    S.defineVar(m.scope, name, slot);
    m.vars[name] = slot;
  }
  S.pendingImports = [];
};

function makePipy(m) {
  const pipy = proto => {
    if (typeof proto === 'function') proto = proto();
    const c = new Configuration(m, null);
    if (proto !== undefined && proto !== null) {
      if (typeof proto !== 'object') throw new TypeError('pipy(): context prototype must be an object');
      for (const k of Object.keys(proto)) {
        if (k in m.vars) throw new Error(`duplicated variable name ${k}`);
        const slot = S.newSlot(proto[k]);
        m.vars[k] = slot;
        S.defineVar(m.scope, k, slot);
      }
    }
    return c;
  };
  pipy.load = path => {
    const u8 = __N.loadFile(S.normalize(path));
    return u8 === null ? null : S.dataOf(u8);
  };
  pipy.solve = path => {
    const p = S.normalize(path);
    if (p in S.solved) {
      if (S.solved[p] === S.solving) throw new Error(`recursive pipy.solve() of ${p}`);
      return S.solved[p];
    }
    S.solved[p] = S.solving;
    const sm = { id: S.modules.length, path: p, vars: Object.create(null), config: null, solve: true };
    sm.scope = newScope(sm);
    S.modules.push(sm);
    try { return (S.solved[p] = __N.evalModule(p, sm.id)); }
    catch (e) { delete S.solved[p]; throw e; }
  };
  pipy.import = path => S.module(S.esmResolve(m, path)).exports;
  pipy.listen = (port, ...rest) => {
    const target = rest.pop();
    let options = {};
    for (const a of rest) {
      if (typeof a === 'string') options = Object.assign({}, options, { protocol: a });
      else if (a && typeof a === 'object') options = Object.assign({}, a, options.protocol ? { protocol: options.protocol } : {});
    }
    const c = new Configuration(m, null).listen(port, options);
    if (c._cur && c._cur.skipped) return;
    if (typeof target === 'function') {
      target(c);
      c._checkTo();
    } else if (target instanceof PipelineTemplate) {
      c.link(target);
    } else {
      throw new TypeError('pipy.listen(): the last argument must be a pipeline or a function like $=>$...');
    }
  };
  // pipy.read(file, $=>$... | pipeline): the file ('-' = standard input) as Data then
  // StreamEnd through a new pipeline; the Promise settles when the pipeline ends.
  pipy.read = (file, target, arg) => {
    if (typeof file !== 'string') throw new TypeError('pipy.read(): the file name must be a string');
    let layout;
    if (target instanceof PipelineTemplate) layout = target.__layout;
    else if (typeof target === 'function') {
      if (S.running) throw new Error('pipy.read(): after start-up, give a pipeline(...) made while loading');
      layout = new Configuration(m, null)._ref(target, 3).__layout;
    } else throw new TypeError('pipy.read(): the second argument must be a pipeline or a function like $=>$...');
    return new Promise((resolve, reject) => __N.startRead(file, layout, resolve, reject, arg));
  };
  pipy.exit = x => {
    if (typeof x === 'function') { S.exitCallbacks.push(x); return; }
    if (x !== undefined && typeof x !== 'number') throw new TypeError('pipy.exit(): expects a number or a function');
    S.exit(x === undefined ? 0 : x | 0);
  };
  pipy.exec = (cmd, options) => {
    let argv;
    if (typeof cmd === 'string') argv = S.splitArgv(cmd);
    else if (Array.isArray(cmd)) argv = cmd.map(String);
    else throw new TypeError('pipy.exec(): expects a command line or an array of arguments');
    const o = options || {};
    const env = o.env ? Object.keys(o.env).filter(k => k).map(k => `${k}=${o.env[k]}`) : undefined;
    const stdin = o.stdin === undefined || o.stdin === null ? undefined
      : (o.stdin instanceof Data ? o.stdin._flat() : __N.utf8Encode(String(o.stdin)));
    const r = __N.process.exec(argv, env, stdin, !!o.stderr);
    if (typeof o.onExit === 'function') {
      if (o.stderr) o.onExit(r.code); else o.onExit(r.code, S.dataOf(r.err));
    }
    return S.dataOf(r.out);
  };
  // Calls fn in a new context: context variables start from their initial values.
  pipy.fork = fn => {
    if (typeof fn !== 'function') throw new TypeError('pipy.fork(): expects a function');
    const saved = CUR[0];
    CUR[0] = S.initial.slice();
    try { return fn(); } finally { CUR[0] = saved; }
  };
  pipy.list = dir => __N.process.list(String(dir));
  pipy.watch = path => new Promise(resolve => __N.process.watch(String(path), resolve));
  // This worker's open connections: count and forEach(fn) over their Inbound objects.
  pipy.inbound = {
    get count() { return __N.process.inbounds().length; },
    forEach(fn) { for (const ib of __N.process.inbounds()) fn(ib); },
  };
  // This worker's open connect() connections, likewise.
  pipy.outbound = {
    get count() { return __N.process.outbounds().length; },
    forEach(fn) { for (const ob of __N.process.outbounds()) fn(ob); },
  };
  pipy.performance = { timeOrigin: __N.since, now: () => __N.process.now() };
  // pipy.mount(name, dir) shows the folder dir as /name/ in the codebase; pipy.patch(path,
  // content) replaces a file's content in memory (both for the whole process, as in Pipy).
  pipy.mount = (name, dir) => __N.process.mount(String(name), String(dir));
  pipy.unmount = name => __N.process.unmount(String(name));
  pipy.patch = (path, content) => {
    if (content instanceof Data) return __N.process.patch(String(path), content._flat());
    if (typeof content === 'string') return __N.process.patch(String(path), __N.utf8Encode(content));
    throw new TypeError('pipy.patch(): the content must be a string or a Data');
  };
  // Loads the program again without dropping a connection, as SIGHUP does.
  pipy.restart = () => __N.restart();
  pipy.now = () => Date.now();
  pipy.pid = __N.pid;
  pipy.since = __N.since;
  pipy.source = m.path;
  pipy.argv = __N.argv;
  pipy.uuid = __N.uuid;
  Object.defineProperty(pipy, 'name', { value: __N.name, enumerable: true });
  pipy.version = __N.version;
  pipy.thread = __N.thread;
  return pipy;
}
S.solving = {};

// pipy.exit(code): runs the exit callbacks (pipy.exit(fn)), waits for the Promises they
// return, then ends the process with `code`.
S.exitCallbacks = [];
S.exit = code => {
  if (S.exiting) return;
  S.exiting = true;
  const waits = [];
  for (const f of S.exitCallbacks.splice(0)) {
    try {
      const r = f(code);
      if (r && typeof r.then === 'function') waits.push(r);
    } catch (e) { __N.log(3, `pipy.exit() callback: ${e}`); }
  }
  if (waits.length === 0) __N.exit(code);
  else Promise.allSettled(waits).then(() => __N.exit(code));
};

// A command line split into arguments as Pipy does (no shell): blanks separate, a backslash
// escapes the next character, double quotes group.
S.splitArgv = line => {
  const args = [];
  let arg = '', escaped = false, quoted = false;
  for (const c of String(line)) {
    if (escaped) { arg += c; escaped = false; }
    else if (c === ' ' || c === '\t') {
      if (quoted) arg += c;
      else if (arg) { args.push(arg); arg = ''; }
    } else if (c === '\\') escaped = true;
    else if (c === '"') {
      if (quoted) { args.push(arg); arg = ''; quoted = false; } else quoted = true;
    } else arg += c;
  }
  if (arg) args.push(arg);
  return args;
};

// A copy of a message head with header `name` set (value undefined = removed) and the
// headers in `drop` removed; the original object is left alone.
S.headWith = (head, name, value, drop) => {
  const h = Object.assign({}, head || {});
  const headers = Object.assign({}, (head && head.headers) || {});
  for (const k of drop || []) delete headers[k];
  if (value === undefined) delete headers[name]; else headers[name] = value;
  h.headers = headers;
  return h;
};

// Pool keys: strings and numbers by value, objects by identity (held weakly).
const objectIds = new WeakMap();
let nextObjectId = 0;
S.keyOf = v => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' || typeof v === 'function') {
    let id = objectIds.get(v);
    if (id === undefined) objectIds.set(v, id = ++nextObjectId);
    return 'o:' + id;
  }
  return typeof v + ':' + String(v);
};


// ---- Configuration ------------------------------------------------------------------------
// Filter kinds come from the Rust filter registry: 'plain', 'joint' (one sub-pipeline, given
// as a leading name or with .to()), 'link' ([A] target/condition pairs or [C] dynamic link),
// 'branch' (condition/layout pairs), 'use', 'chain'.
const KINDS = __N.filterKinds;

// A name asked of a Configuration that it does not have: a filter Sluice lacks.
const NOT_FILTERS = new Set(['then', 'toJSON', 'constructor', 'inspect', 'valueOf', 'toString']);
const CONFIG_GUARD = {
  get(target, prop, receiver) {
    if (typeof prop === 'string' && !(prop in target) && !NOT_FILTERS.has(prop) && !prop.startsWith('_')) {
      throw new TypeError(`${prop} is not a Sluice filter (see engine --list-filters)`);
    }
    return Reflect.get(target, prop, receiver);
  },
};

class Configuration {
  constructor(m, shared) {
    this._m = m;
    this._layouts = shared ? shared._layouts : [];
    this._cur = null;
    this._joint = null; // last joint filter still waiting for .to()
    return new Proxy(this, CONFIG_GUARD);
  }
  _open(kind, fields, depth) {
    this._checkTo();
    const loc = location(depth || 3);
    const l = Object.assign({ id: S.layouts.length, kind, name: '', module: m_id(this._m), filters: [],
      line: loc.line, onStart: undefined, onEnd: undefined }, fields);
    S.layouts.push(l);
    this._layouts.push(l.id);
    this._cur = l;
    return this;
  }
  _checkTo() {
    if (this._joint) {
      const f = this._joint; this._joint = null;
      throw new Error(`missing .to(...) for the last filter ${f.name}() at line ${f.line}`);
    }
  }
  listen(port, options) {
    if (!port) { this._cur = { filters: [], skipped: true }; return this; }
    let host = '::', p = port;
    if (typeof port === 'string') {
      const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(port);
      if (!m) { if (/^\d+$/.test(port)) p = +port; else throw new Error(`invalid listen address: ${port}`); }
      else { host = m[1]; p = +m[2]; }
    }
    if (typeof p !== 'number' || !(p > 0 && p < 65536)) throw new Error(`invalid port: ${port}`);
    return this._open('listen', { host, port: p, options: options || {} });
  }
  task(when) {
    if (when !== undefined && when !== null && typeof when !== 'string' && typeof when !== 'number')
      throw new TypeError('task(): interval must be a string like "5s" or a signal name');
    return this._open('task', { when: when === undefined || when === null ? '' : String(when) });
  }
  // A layout answering the admin port's requests under `path` (which starts with /admin/).
  admin(path) {
    if (typeof path !== 'string' || !path.startsWith('/admin/'))
      throw new Error('admin(): the path must start with /admin/');
    return this._open('admin', { path });
  }
  // A layout run once when the program shuts down (a signal, pipy.exit() or nothing left to do).
  exit() { return this._open('task', { when: 'exit' }); }
  // A layout run each time the codebase file (or a file under the folder) changes.
  watch(filename) {
    if (typeof filename !== 'string') throw new TypeError('watch(): the file name must be a string');
    return this._open('task', { when: 'watch:' + S.normalize(filename) });
  }
  pipeline(name) {
    if (name === undefined) return this._open('entrance', { name: '' });
    if (typeof name !== 'string') throw new TypeError('pipeline(): name must be a string');
    for (const id of this._layouts) {
      const l = S.layouts[id];
      if (l.kind === 'pipeline' && l.name === name) throw new Error(`duplicated pipeline name ${name}`);
    }
    return this._open('pipeline', { name });
  }
  export(ns, vars) {
    const m = this._m;
    if (typeof ns !== 'string') throw new TypeError('export(): namespace must be a string');
    const table = S.exports[ns] || (S.exports[ns] = Object.create(null));
    for (const k of Object.keys(vars || {})) {
      if (k in table) throw new Error(`duplicated variable exporting name ${k} from ${m.path}`);
      if (k in m.vars) throw new Error(`duplicated variable name ${k}`);
      const slot = S.newSlot(vars[k]);
      table[k] = slot; m.vars[k] = slot;
      S.defineVar(m.scope, k, slot);
    }
    return this;
  }
  import(map) {
    for (const k of Object.keys(map || {})) {
      if (k in this._m.vars) throw new Error(`duplicated variable name ${k}`);
      S.pendingImports.push({ m: this._m, name: k, ns: String(map[k]) });
    }
    return this;
  }
  onStart(x) { this._layoutOnly('onStart').onStart = x; return this; }
  onEnd(f) { this._layoutOnly('onEnd').onEnd = f; return this; }
  _layoutOnly(what) {
    const l = this._cur;
    if (!l) throw new Error(`${what}() needs a pipeline layout first`);
    // Pipy 1.x takes onStart/onEnd anywhere in the layout ($=>$.connect(...).onEnd(...)).
    if (l[what] !== undefined) throw new Error(`${what}() given twice`);
    return l;
  }
  to(x) {
    const f = this._joint;
    if (!f) throw new Error('calling to() without a joint-filter');
    this._joint = null;
    f.sub = this._ref(x, 3);
    return this;
  }
  // repeat(count | array, fn) builds at load time; repeat(condition) (or repeat('name',
  // condition)) is the filter that runs its sub-pipeline again.
  repeat(x, fn) {
    if (typeof x === 'function' && fn === undefined) return this._filter('repeat', [x]);
    if (typeof x === 'string') return this._filter('repeat', [x, fn]);
    if (typeof x === 'number') { for (let i = 0; i < x; i++) fn(this, i); }
    else if (Array.isArray(x)) { x.forEach((v, i) => fn(this, v, i)); }
    else throw new TypeError('repeat(): expects a count or an array');
    return this;
  }
  _ref(x, depth) {
    if (typeof x === 'string') return { __ref: x };
    if (x instanceof PipelineTemplate) return { __layout: x.__layout };
    if (typeof x === 'function') {
      const loc = location(depth + 1);
      const sub = new Configuration(this._m, this);
      sub._open('pipeline', { name: '', label: `Pipeline at line ${loc.line}`, anonymous: true }, depth + 1);
      const r = x(sub);
      sub._checkTo();
      void r;
      return { __layout: sub._cur.id };
    }
    throw new TypeError('a sub-pipeline must be a name or a function like $=>$...');
  }
  _filter(name, args) {
    this._checkTo();
    const l = this._cur;
    if (!l) throw new Error(`${name}() needs a pipeline layout first: call listen(), task() or pipeline()`);
    const loc = location(3);
    const f = { name, args, sub: null, line: loc.line, column: loc.column, file: loc.file };
    const kind = KINDS[name];
    if (kind === 'joint') {
      if (typeof args[0] === 'string' && !(name === 'connectSOCKS' && args.length < 2)) {
        // [A] names the sub-pipeline first; [C] connectSOCKS('host:port') gives only its address.
        f.sub = { __ref: args[0] }; f.args = args.slice(1); f.named = true;
      }
      else this._joint = f;
    } else if (name === 'linkAsync' && args.length === 0) {
      this._joint = f; // [C] linkAsync().to(name or $=>$...)
    } else if (name === 'linkAsync' && typeof args[0] === 'function' && args[0].length > 0) {
      f.args = [this._ref(args[0], 3)]; // linkAsync($=>$...): a builder takes its $
    } else if (kind === 'link') {
      if (args.length === 1 && typeof args[0] === 'function') {
        f.dynamic = true; // [C] link(() => name)
      } else {
        f.args = args.map((a, i) => (i % 2 === 0 ? (a === '' ? { __bypass: true } : this._ref(a, 3)) : a));
      }
    } else if (kind === 'inline') {
      // loop($=>$...): the sub-pipeline is the first argument.
      if (args.length > 0) {
        try { f.sub = this._ref(args[0], 3); } catch (e) { throw new TypeError(`${name}(): ${e.message}`); }
        f.args = args.slice(1);
      }
      else this._joint = f;
    } else if (kind === 'pipe') {
      // pipe(target, map, ...): builders in the map become layouts now.
      const m = args[1];
      if (m && typeof m === 'object' && !Array.isArray(m) && !(m instanceof PipelineTemplate)) {
        const map = {};
        for (const k of Object.keys(m)) map[k] = typeof m[k] === 'function' ? this._ref(m[k], 3) : m[k];
        f.args = [args[0], map, ...args.slice(2)];
      }
    } else if (kind === 'branch') {
      const n = args.length;
      if (name === 'branch' && !args.some((a, i) => i % 2 === 0 && i < n - (n % 2) && typeof a === 'function')) {
        // [C] config-time branch: pick the first truthy condition and apply its builder inline.
        for (let i = 0; i + 1 < n; i += 2) if (args[i]) { apply(this, args[i + 1]); return this; }
        if (n % 2) apply(this, args[n - 1]);
        return this;
      }
      f.args = args.map((a, i) => ((i % 2 === 1 || (i === n - 1 && n % 2 === 1)) ? this._ref(a, 3) : a));
    } else if (kind === 'use') {
      const files = Array.isArray(args[0]) ? args[0] : [args[0]];
      f.modules = files.map(p => S.module(p).id);
    } else if (kind === 'chain') {
      if (args.length > 0) {
        f.modules = (args[0] || []).map(p => S.module(p).id);
      }
    } else if (kind === undefined) {
      throw new Error(`unknown filter: ${name}`);
    }
    l.filters.push(f);
    return this;
  }
}

function apply(c, b) {
  if (typeof b === 'function') b(c);
  else if (typeof b === 'string') c.link(b);
}

function m_id(m) { return m.id; }

for (const name of Object.keys(KINDS)) {
  // A method of its own (repeat) decides itself when it is the filter.
  if (Object.prototype.hasOwnProperty.call(Configuration.prototype, name)) continue;
  Configuration.prototype[name] = function (...args) { return this._filter(name, args); };
}

S.Configuration = Configuration;
