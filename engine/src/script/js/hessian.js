// Hessian 2 (the serialization Dubbo uses) as Pipy 1.5's `Hessian` global has it, and the
// `Int` class Pipy decodes Hessian's int and long into (so that they encode back the same).
//
// Hessian.decode(data) gives the array of top-level values in `data`. Collections are
// {kind, type, elements}: kind 'list' (elements an array), 'map' (an array of [key, value])
// or 'object' (an object whose keys are the class's fields, in order). A reference decodes
// to the collection it names (the same object). Hessian.encode(value) writes one value, or
// each value of an array; a JS number is written as a double, an Int by its width, a BigInt
// as a long.
'use strict';

(function () {
  const __N = globalThis.__native;
  const S = globalThis.__sluice;
  const MAX_DEPTH = 256;

  const WIDTHS = { i8: 8, u8: 8, i16: 16, u16: 16, i32: 32, u32: 32, i64: 64, u64: 64 };

  // A fixed-width integer: `new Int(type, value)` with type 'i8' ... 'u64'.
  class Int {
    constructor(type, value) {
      if (!(type in WIDTHS)) { value = type; type = 'i32'; }
      const w = WIDTHS[type];
      let n;
      try { n = typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value) || 0)); } catch (e) { n = 0n; }
      n = type[0] === 'u' ? BigInt.asUintN(w, n) : BigInt.asIntN(w, n);
      Object.defineProperty(this, '_v', { value: n });
      Object.defineProperty(this, '_t', { value: type });
    }
    get type() { return this._t; }
    get width() { return WIDTHS[this._t]; }
    get isUnsigned() { return this._t[0] === 'u'; }
    get low() { return Number(BigInt.asIntN(32, this._v)); }
    get high() { return Number(BigInt.asIntN(32, this._v >> 32n)); }
    valueOf() { return Number(this._v); }
    toString() { return this._v.toString(); }
    toJSON() { return Number(this._v); }
  }
  if (!globalThis.Int) globalThis.Int = Int;
  const IntClass = globalThis.Int;
  const bigOf = (i) => (i._v !== undefined ? i._v : BigInt(Math.trunc(Number(i))));

  const bytesOf = (d) => {
    if (d instanceof Data) return d._flat();
    if (typeof d === 'string') return __N.utf8Encode(d);
    throw new TypeError('Hessian.decode: argument #1 expects an instance of Data');
  };

  function decode(data, options) {
    const b = bytesOf(data);
    const maxString = options && options.maxStringSize >= 0 ? options.maxStringSize : -1;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out = [], refs = [], defs = [], types = [];
    let p = 0;

    const need = (k) => { if (p + k > b.length) throw new RangeError('truncated'); };
    const u8 = () => { need(1); return b[p++]; };
    const uint = (k) => { need(k); let v = 0; for (let i = 0; i < k; i++) v = v * 256 + b[p++]; return v; };
    const long = (k, init) => {
      need(k);
      let v = BigInt(init);
      for (let i = 0; i < k; i++) v = (v << 8n) | BigInt(b[p++]);
      return new IntClass('i64', BigInt.asIntN(64, v));
    };
    const int = (k, init) => new IntClass('i32', (init << (8 * k)) + uint(k));
    const utf8 = (chars) => {
      const start = p;
      for (let i = 0; i < chars; i++) {
        const c = u8();
        p += c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
      }
      need(0);
      if (p > b.length) throw new RangeError('truncated');
      return b.subarray(start, p);
    };
    const chunks = (first, isText) => {
      // 'R'/'A' chunks until a final one; `first` is the tag already read.
      const parts = [];
      let tag = first;
      for (;;) {
        const n = uint(2);
        if (isText) parts.push(utf8(n)); else { need(n); parts.push(b.subarray(p, p + n)); p += n; }
        if (tag === 0x53 || tag === 0x42) break;
        tag = u8();
        if (isText) {
          if (tag < 0x20) { parts.push(utf8(tag)); break; }
          if (tag >= 0x30 && tag < 0x34) { parts.push(utf8(((tag - 0x30) << 8) + u8())); break; }
          if (tag !== 0x52 && tag !== 0x53) throw new SyntaxError('bad string chunk');
        } else {
          if (tag >= 0x20 && tag < 0x30) { need(tag - 0x20); parts.push(b.subarray(p, p + tag - 0x20)); p += tag - 0x20; break; }
          if (tag !== 0x41 && tag !== 0x42) throw new SyntaxError('bad binary chunk');
        }
      }
      const len = parts.reduce((n, x) => n + x.length, 0);
      const all = new Uint8Array(len);
      let at = 0;
      for (const x of parts) { all.set(x, at); at += x.length; }
      return all;
    };
    const text = (u) => (maxString >= 0 && u.length > maxString && globalThis.CString ? new CString(S.dataOf(u)) : __N.utf8Decode(u));
    const typeName = (depth, list) => {
      const t = value(depth);
      if (typeof t === 'string') { types.push(t); return t; }
      if (t instanceof IntClass || typeof t === 'number') {
        const s = types[Number(t)];
        if (s === undefined) throw new SyntaxError('bad type reference');
        return s;
      }
      throw new SyntaxError('bad type');
    };
    const collection = (kind, type) => {
      const c = { kind, type: type === undefined ? null : type, elements: kind === 'object' ? {} : [] };
      refs.push(c);
      return c;
    };
    const items = (c, n, depth) => {
      // n < 0: until 'Z'.
      for (let i = 0; n < 0 || i < n; i++) {
        if (n < 0) { need(1); if (b[p] === 0x5a) { p++; break; } }
        if (c.kind === 'map') {
          const k = value(depth + 1);
          c.elements.push([k, value(depth + 1)]);
        } else {
          c.elements.push(value(depth + 1));
        }
      }
      return c;
    };
    const object = (def, depth) => {
      const o = collection('object', def.type);
      for (const f of def.elements) o.elements[String(f)] = value(depth + 1);
      return o;
    };

    function value(depth) {
      if (depth > MAX_DEPTH) throw new RangeError('nested too deep');
      for (;;) {
        const c = u8();
        if (c < 0x20) return __N.utf8Decode(utf8(c));
        if (c < 0x30) { const n = c - 0x20; need(n); p += n; return S.dataOf(b.slice(p - n, p)); }
        if (c < 0x34) return text(utf8(((c - 0x30) << 8) + u8()));
        if (c < 0x38) { const n = ((c - 0x34) << 8) + u8(); need(n); p += n; return S.dataOf(b.slice(p - n, p)); }
        if (c < 0x40) return long(2, c - 0x3c);
        if (c >= 0x60 && c < 0x70) {
          const def = defs[c - 0x60];
          if (!def) throw new SyntaxError('bad class reference');
          return object(def, depth);
        }
        if (c >= 0x70 && c < 0x78) { const t = typeName(depth); return items(collection('list', t), c - 0x70, depth); }
        if (c >= 0x78 && c < 0x80) return items(collection('list'), c - 0x78, depth);
        if (c >= 0x80 && c < 0xc0) return new IntClass('i32', c - 0x90);
        if (c >= 0xc0 && c < 0xd0) return int(1, c - 0xc8);
        if (c >= 0xd0 && c < 0xd8) return int(2, c - 0xd4);
        if (c >= 0xd8 && c < 0xf0) return new IntClass('i64', c - 0xe0);
        if (c >= 0xf0) return long(1, c - 0xf8);
        switch (c) {
          case 0x41: case 0x42: return S.dataOf(chunks(c, false));
          case 0x43: {
            const type = value(depth + 1);
            const n = Number(value(depth + 1));
            const def = { kind: 'class_def', type: String(type), elements: [] };
            for (let i = 0; i < n; i++) def.elements.push(String(value(depth + 1)));
            defs.push(def);
            continue; // a definition comes before the value that uses it
          }
          case 0x44: need(8); p += 8; return view.getFloat64(p - 8);
          case 0x46: return false;
          case 0x48: return items(collection('map'), -1, depth);
          case 0x49: return int(4, 0);
          case 0x4a: return new Date(Number(long(8, 0)));
          case 0x4b: return new Date(uint(4) * 60000);
          case 0x4c: return long(8, 0);
          case 0x4d: { const t = typeName(depth); return items(collection('map', t), -1, depth); }
          case 0x4e: return null;
          case 0x4f: {
            const def = defs[Number(value(depth + 1))];
            if (!def) throw new SyntaxError('bad class reference');
            return object(def, depth);
          }
          case 0x51: {
            const r = refs[Number(value(depth + 1))];
            if (!r) throw new SyntaxError('bad reference');
            return r;
          }
          case 0x52: case 0x53: return text(chunks(c, true));
          case 0x54: return true;
          case 0x55: { const t = typeName(depth); return items(collection('list', t), -1, depth); }
          case 0x56: { const t = typeName(depth); const n = Number(value(depth + 1)); return items(collection('list', t), n, depth); }
          case 0x57: return items(collection('list'), -1, depth);
          case 0x58: { const n = Number(value(depth + 1)); return items(collection('list'), n, depth); }
          case 0x59: return int(4, 0);
          case 0x5b: return 0;
          case 0x5c: return 1;
          case 0x5d: { const x = u8(); return x > 127 ? x - 256 : x; }
          case 0x5e: { need(2); p += 2; return view.getInt16(p - 2); }
          case 0x5f: { need(4); p += 4; return view.getFloat32(p - 4); }
          default: throw new SyntaxError(`bad code 0x${c.toString(16)}`);
        }
      }
    }

    while (p < b.length) {
      const at = p;
      try {
        out.push(value(0));
      } catch (e) {
        p = at;
        break; // as Pipy: the values decoded before a malformed or truncated one
      }
    }
    return out;
  }

  function encode(value) {
    const bytes = [];
    const objs = new Map(), defs = new Map(), types = new Map();
    const push = (...x) => { for (const c of x) bytes.push(c & 0xff); };
    const pushAll = (u) => { for (let i = 0; i < u.length; i++) bytes.push(u[i]); };
    const be = (n, k) => { for (let i = k - 1; i >= 0; i--) bytes.push(Number((BigInt(n) >> BigInt(8 * i)) & 0xffn)); };

    const writeInt = (i) => {
      i |= 0;
      if (-0x10 <= i && i <= 0x2f) push(i + 0x90);
      else if (-0x800 <= i && i <= 0x7ff) push((i >> 8) + 0xc8, i);
      else if (-0x40000 <= i && i <= 0x3ffff) push((i >> 16) + 0xd4, i >> 8, i);
      else { push(0x49); be(i, 4); }
    };
    const writeLong = (n) => {
      n = BigInt.asIntN(64, n);
      if (-8n <= n && n <= 0xfn) push(Number(n) + 0xe0);
      else if (-0x800n <= n && n <= 0x7ffn) push(Number(n >> 8n) + 0xf8, Number(n & 0xffn));
      else if (-0x40000n <= n && n <= 0x3ffffn) push(Number(n >> 16n) + 0x3c, Number((n >> 8n) & 0xffn), Number(n & 0xffn));
      else if (-0x80000000n <= n && n <= 0x7fffffffn) { push(0x59); be(n, 4); }
      else { push(0x4c); be(n, 8); }
    };
    const writeString = (s) => {
      const chars = Array.from(s);
      const n = chars.length;
      if (n < 32) { push(n); pushAll(__N.utf8Encode(s)); }
      else if (n < 1024) { push(0x30 + (n >> 8), n); pushAll(__N.utf8Encode(s)); }
      else {
        for (let i = 0; i < n; i += 0xffff) {
          const l = Math.min(n - i, 0xffff);
          push(i + l === n ? 0x53 : 0x52, l >> 8, l);
          pushAll(__N.utf8Encode(chars.slice(i, i + l).join('')));
        }
      }
    };
    const writeType = (t) => {
      if (types.has(t)) writeInt(types.get(t));
      else { writeString(t); types.set(t, types.size); }
    };

    function write(v, depth) {
      if (depth > MAX_DEPTH) throw new RangeError('Hessian.encode: nested too deep (a cycle?)');
      if (v === null || v === undefined) return push(0x4e);
      if (typeof v === 'boolean') return push(v ? 0x54 : 0x46);
      if (v instanceof IntClass) return v.width === 64 ? writeLong(bigOf(v)) : writeInt(Number(v));
      if (typeof v === 'bigint') return writeLong(v);
      if (typeof v === 'number') {
        if (Number.isInteger(v) && v >= -32768 && v <= 32767) {
          if (v === 0) return push(0x5b);
          if (v === 1) return push(0x5c);
          if (v >= -128 && v <= 127) return push(0x5d, v);
          return push(0x5e, v >> 8, v);
        }
        push(0x44);
        const dv = new DataView(new ArrayBuffer(8));
        dv.setFloat64(0, v);
        return pushAll(new Uint8Array(dv.buffer));
      }
      if (typeof v === 'string') return writeString(v);
      if (globalThis.CString && v instanceof CString) return writeString(v.toString());
      if (v instanceof Date) { push(0x4a); return be(BigInt(v.getTime()), 8); }
      if (v instanceof Data) {
        const d = v._flat();
        if (d.length < 16) { push(0x20 + d.length); return pushAll(d); }
        if (d.length < 1024) { push(0x34 + (d.length >> 8), d.length); return pushAll(d); }
        for (let i = 0; i < d.length; i += 0xffff) {
          const c = d.subarray(i, i + 0xffff);
          push(i + c.length === d.length ? 0x42 : 0x41, c.length >> 8, c.length);
          pushAll(c);
        }
        return;
      }
      if (typeof v !== 'object') return push(0x4e);
      if (objs.has(v)) { push(0x51); return writeInt(objs.get(v)); }
      const c = Array.isArray(v) ? { kind: 'list', elements: v } : v;
      const t = c.type ? String(c.type) : '';
      const e = c.elements;
      switch (c.kind || 'list') {
        case 'list': {
          const a = Array.isArray(e) ? e : [];
          if (t) { push(0x56); writeType(t); } else push(0x58);
          writeInt(a.length);
          for (const x of a) write(x, depth + 1);
          break;
        }
        case 'map': {
          if (t) { push(0x4d); writeType(t); } else push(0x48);
          for (const kv of Array.isArray(e) ? e : []) {
            if (!Array.isArray(kv)) throw new TypeError('Hessian.encode: map elements are [key, value] pairs');
            write(kv[0], depth + 1);
            write(kv[1], depth + 1);
          }
          push(0x5a);
          break;
        }
        case 'object': {
          if (!t) throw new TypeError('Hessian.encode: an object needs a type');
          const keys = e && typeof e === 'object' ? Object.keys(e) : [];
          let i = defs.get(t);
          if (i === undefined) {
            i = defs.size;
            defs.set(t, i);
            push(0x43);
            writeString(t);
            writeInt(keys.length);
            for (const k of keys) writeString(k);
          }
          if (i < 16) push(0x60 + i); else { push(0x4f); writeInt(i); }
          for (const k of keys) write(e[k], depth + 1);
          break;
        }
        default: throw new TypeError(`Hessian.encode: unknown kind ${c.kind}`);
      }
      objs.set(v, objs.size);
    }

    if (Array.isArray(value)) for (const v of value) write(v, 0);
    else write(value, 0);
    return S.dataOf(new Uint8Array(bytes));
  }

  globalThis.Hessian = { decode, encode };
})();
