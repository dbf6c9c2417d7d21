// CString, CStruct and CUnion (Pipy 1.5's C layouts), and print/println.
//
// A layout is declared as `{ name: 'uint16', list: 'int32[4]', text: 'char[8]', inner:
// new CStruct({...}) }`; a key starting with a digit declares an anonymous CUnion whose
// fields sit at the struct's level. Fields are aligned on their element size (1, 2, 4 or 8),
// nested layouts on theirs; numbers are in the machine's (little-endian) byte order; a char
// array holds a string, cut at the first NUL when decoded.
'use strict';

const __N = globalThis.__native;
const S = globalThis.__sluice;

class CString {
  constructor(x) {
    let d;
    if (x === undefined) d = new Data();
    else if (typeof x === 'string') d = new Data(x);
    else if (x instanceof Data) d = new Data(x);
    else throw new TypeError('CString: argument #1 expects a string or a Data object');
    Object.defineProperty(this, '_d', { value: d });
  }
  get size() { return this._d.size; }
  get data() { return this._d; }
  toString() { return this._d.toString(); }
}

const TYPES = {
  int8: [1, true, false], uint8: [1, true, true], int16: [2, true, false], uint16: [2, true, true],
  int32: [4, true, false], uint32: [4, true, true], int64: [8, true, false], uint64: [8, true, true],
  float: [4, false, false], double: [8, false, false], char: [1, false, false],
};
const alignOf = n => (n <= 1 ? 1 : n <= 2 ? 2 : n <= 4 ? 4 : 8);
const align = (off, a) => Math.ceil(off / a) * a;

class CStructBase {
  constructor(fields, isUnion) {
    Object.defineProperty(this, '_l', { value: { fields: [], size: 0, isUnion } });
    if (fields === null || fields === undefined) return;
    if (typeof fields !== 'object') throw new TypeError('argument #1 expects an object');
    for (const k of Object.keys(fields)) {
      const v = fields[k];
      let name = k;
      if (/^[0-9]/.test(k)) {
        if (!(v instanceof CUnion)) throw new Error('anonymous field of non-union type is not allowed: ' + k);
        name = null;
      }
      if (v instanceof CStructBase) this._addLayout(name, v);
      else if (typeof v === 'string') this._addField(name, v);
      else throw new Error('invalid field type: ' + k);
    }
  }
  _place(size, alignment) {
    const l = this._l;
    if (l.isUnion) { l.size = Math.max(l.size, size); return 0; }
    const off = align(l.size, alignment);
    l.size = off + size;
    return off;
  }
  _addField(name, type) {
    let base = type, count = 1, isArray = false;
    const b = type.indexOf('[');
    if (b >= 0) {
      base = type.substring(0, b);
      const m = /^\[(-?\d+)\](.*)$/.exec(type.substring(b));
      if (!m) throw new Error('closing bracket expected');
      if (m[2]) throw new Error('redundant characters after bracket');
      count = +m[1];
      if (count < 0) throw new Error('negative array length');
      isArray = true;
    }
    const t = TYPES[base];
    if (!t) throw new Error('unknown type name: ' + type);
    const [size, isIntegral, isUnsigned] = t;
    const offset = this._place(size * count, alignOf(size));
    this._l.fields.push({ name, offset, size, count, isArray, isIntegral, isUnsigned, isChar: base === 'char', isFloat: !isIntegral && base !== 'char' });
  }
  _addLayout(name, layout) {
    const inner = layout._l;
    if (name === null) {
      if (!inner.isUnion) throw new Error('struct field name expected');
      const offset = this._place(inner.size, alignOf(inner.size));
      for (const f of inner.fields) this._l.fields.push(Object.assign({}, f, { offset: offset + f.offset }));
      return;
    }
    const l = this._l;
    let offset;
    if (l.isUnion) { offset = 0; l.size = Math.max(l.size, inner.size); }
    else { offset = align(l.size, alignOf(inner.size)); l.size = offset + align(inner.size, 4); }
    l.fields.push({ name, offset, size: inner.size, count: 1, isArray: false, isIntegral: false, isUnsigned: false, layout });
  }
  get size() { return this._l.size; }
  reflect() {
    const o = {};
    for (const f of this._l.fields) {
      o[f.name] = { offset: f.offset, size: f.size, count: f.count, isArray: f.isArray, isIntegral: f.isIntegral, isUnsigned: f.isUnsigned };
    }
    return o;
  }
  encode(values) {
    if (values === null || values === undefined) return null;
    const buf = new Uint8Array(this._l.size);
    encodeInto(new DataView(buf.buffer), 0, this, values);
    return S.dataOf(buf);
  }
  decode(data) {
    if (data === null || data === undefined) return null;
    if (!(data instanceof Data)) throw new TypeError('argument #1 expects an instance of Data');
    const bytes = new Uint8Array(this._l.size);
    const src = data._flat();
    bytes.set(src.subarray(0, Math.min(src.length, bytes.length)));
    return decodeFrom(new DataView(bytes.buffer), 0, this);
  }
}

function putNumber(view, at, f, v) {
  if (f.isFloat) {
    if (f.size === 4) view.setFloat32(at, Number(v) || 0, true); else view.setFloat64(at, Number(v) || 0, true);
  } else if (f.size === 8) {
    let n;
    try { n = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v) || 0)); } catch (e) { n = 0n; }
    view.setBigUint64(at, BigInt.asUintN(64, n), true);
  } else {
    const n = Number(v) | 0;
    if (f.size === 1) view.setUint8(at, n & 0xff);
    else if (f.size === 2) view.setUint16(at, n & 0xffff, true);
    else view.setUint32(at, n >>> 0, true);
  }
}
function getNumber(view, at, f) {
  if (f.isFloat) return f.size === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
  switch (f.size) {
    case 1: return f.isUnsigned ? view.getUint8(at) : view.getInt8(at);
    case 2: return f.isUnsigned ? view.getUint16(at, true) : view.getInt16(at, true);
    case 4: return f.isUnsigned ? view.getUint32(at, true) : view.getInt32(at, true);
    default: return Number(f.isUnsigned ? view.getBigUint64(at, true) : view.getBigInt64(at, true));
  }
}

function encodeInto(view, base, layout, values) {
  const l = layout._l;
  for (const f of l.fields) {
    const v = values[f.name];
    if (v === undefined && l.isUnion) continue;
    const at = base + f.offset;
    if (f.layout) {
      if (v && typeof v === 'object') encodeInto(view, at, f.layout, v);
    } else if (f.isChar) {
      if (typeof v === 'string') {
        const b = __N.utf8Encode(v);
        const n = Math.min(b.length, f.count);
        for (let i = 0; i < n; i++) view.setUint8(at + i, b[i]);
      }
    } else if (f.isArray) {
      if (Array.isArray(v)) for (let i = 0; i < f.count; i++) putNumber(view, at + i * f.size, f, v[i]);
    } else {
      putNumber(view, at, f, v);
    }
  }
}

function decodeFrom(view, base, layout) {
  const out = {};
  for (const f of layout._l.fields) {
    const at = base + f.offset;
    if (f.layout) {
      out[f.name] = decodeFrom(view, at, f.layout);
    } else if (f.isChar) {
      const b = new Uint8Array(view.buffer, at, f.count);
      const z = b.indexOf(0);
      out[f.name] = __N.utf8Decode(z < 0 ? b : b.subarray(0, z));
    } else if (f.isArray) {
      const a = new Array(f.count);
      for (let i = 0; i < f.count; i++) a[i] = getNumber(view, at + i * f.size, f);
      out[f.name] = a;
    } else {
      out[f.name] = getNumber(view, at, f);
    }
  }
  return out;
}

class CStruct extends CStructBase { constructor(fields) { super(fields, false); } }
class CUnion extends CStructBase { constructor(fields) { super(fields, true); } }

globalThis.CString = CString;
globalThis.CStruct = CStruct;
globalThis.CUnion = CUnion;

// print/println: the values on standard output, strings as they are and other values in the
// dump format console uses, separated by spaces; no log prefix.
const line = args => args.map(a => (typeof a === 'string' ? a : S.dump(a))).join(' ');
globalThis.print = (...args) => __N.writeStdout(line(args));
globalThis.println = (...args) => __N.writeStdout(line(args) + '\n');
