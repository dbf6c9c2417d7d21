// Protocol Buffers at the wire level, as Pipy 1.5's `protobuf` global has it: no schema, a
// message is a set of records by field number, read and written with typed getters and
// setters (getInt32(field), setString(field, s), getMessageArray(field) ...).
//
// protobuf.decode(data) gives a protobuf.Message, or null when data is not a well-formed
// message; protobuf.encode(message) gives its bytes, fields in ascending number order and
// repeated records in the order they were read or set.
'use strict';

(function () {
  const __N = globalThis.__native;
  const S = globalThis.__sluice;
  const WIRE = ['VARINT', 'I64', 'LEN', '', '', 'I32'];
  const U64 = (n) => BigInt.asUintN(64, typeof n === 'bigint' ? n : BigInt(Math.trunc(Number(n) || 0)));

  function readVarint(b, at) {
    let n = 0n;
    for (let i = 0; i < 10; i++) {
      if (at.p >= b.length) return null;
      const c = b[at.p++];
      n |= BigInt(c & 0x7f) << BigInt(7 * i);
      if (!(c & 0x80)) return n;
    }
    return null;
  }
  function readLE(b, at, k) {
    if (at.p + k > b.length) return null;
    let n = 0n;
    for (let i = k - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[at.p + i]);
    at.p += k;
    return n;
  }
  function writeVarint(out, n) {
    n = U64(n);
    do {
      let c = Number(n & 0x7fn);
      n >>= 7n;
      if (n) c |= 0x80;
      out.push(c);
    } while (n);
  }
  function writeLE(out, n, k) {
    n = U64(n);
    for (let i = 0; i < k; i++) { out.push(Number(n & 0xffn)); n >>= 8n; }
  }

  // How each scalar type reads from and writes to bits.
  const f32 = new DataView(new ArrayBuffer(8));
  const SCALARS = {
    Float: { wire: 'I32', get: (b) => (f32.setUint32(0, Number(b & 0xffffffffn), true), f32.getFloat32(0, true)), set: (v) => (f32.setFloat32(0, Number(v), true), BigInt(f32.getUint32(0, true))) },
    Double: { wire: 'I64', get: (b) => (f32.setBigUint64(0, b, true), f32.getFloat64(0, true)), set: (v) => (f32.setFloat64(0, Number(v), true), f32.getBigUint64(0, true)) },
    Int32: { wire: 'VARINT', get: (b) => Number(BigInt.asIntN(32, b)), set: (v) => U64(BigInt.asIntN(32, U64(v))) },
    Int64: { wire: 'VARINT', get: (b) => Number(BigInt.asIntN(64, b)), set: U64 },
    Uint32: { wire: 'VARINT', get: (b) => Number(BigInt.asUintN(32, b)), set: (v) => BigInt.asUintN(32, U64(v)) },
    Uint64: { wire: 'VARINT', get: (b) => Number(b), set: U64 },
    Sint32: { wire: 'VARINT', get: (b) => Number(BigInt.asIntN(32, (b >> 1n) ^ -(b & 1n))), set: (v) => { const n = BigInt.asIntN(32, U64(v)); return BigInt.asUintN(32, (n << 1n) ^ (n >> 31n)); } },
    Sint64: { wire: 'VARINT', get: (b) => Number(BigInt.asIntN(64, (b >> 1n) ^ -(b & 1n))), set: (v) => { const n = BigInt.asIntN(64, U64(v)); return U64((n << 1n) ^ (n >> 63n)); } },
    Fixed32: { wire: 'I32', get: (b) => Number(BigInt.asUintN(32, b)), set: (v) => BigInt.asUintN(32, U64(v)) },
    Fixed64: { wire: 'I64', get: (b) => Number(b), set: U64 },
    Sfixed32: { wire: 'I32', get: (b) => Number(BigInt.asIntN(32, b)), set: (v) => BigInt.asUintN(32, U64(v)) },
    Sfixed64: { wire: 'I64', get: (b) => Number(BigInt.asIntN(64, b)), set: U64 },
    Bool: { wire: 'VARINT', get: (b) => b !== 0n, set: (v) => (v ? 1n : 0n) },
  };

  class Message {
    constructor() { Object.defineProperty(this, '_r', { value: new Map() }); }

    _tail(field) { const l = this._r.get(Number(field)); return l && l.length ? l[l.length - 1] : null; }
    _set(field, records) { this._r.set(Number(field), records); }

    getWireType(field) { const r = this._tail(field); return r ? r.wire : ''; }
    getString(field) { const r = this._tail(field); return r && r.wire === 'LEN' ? __N.utf8Decode(r.data) : null; }
    getBytes(field) { const r = this._tail(field); return r && r.wire === 'LEN' ? S.dataOf(r.data.slice()) : null; }
    getMessage(field) { const r = this._tail(field); return r && r.wire === 'LEN' ? parse(r.data) : null; }
    getStringArray(field) { return (this._r.get(Number(field)) || []).map((r) => __N.utf8Decode(r.data || new Uint8Array(0))); }
    getBytesArray(field) { return (this._r.get(Number(field)) || []).map((r) => S.dataOf((r.data || new Uint8Array(0)).slice())); }
    getMessageArray(field) {
      const a = [];
      for (const r of this._r.get(Number(field)) || []) {
        const m = parse(r.data || new Uint8Array(0));
        if (!m) return null;
        a.push(m);
      }
      return a;
    }
    setString(field, s) { this._set(field, [{ wire: 'LEN', data: __N.utf8Encode(String(s)) }]); }
    setBytes(field, d) { this._set(field, [{ wire: 'LEN', data: bytesOf(d) }]); }
    setMessage(field, m) { this._set(field, [{ wire: 'LEN', data: m instanceof Message ? serialize(m) : new Uint8Array(0) }]); }
    setStringArray(field, a) { this._set(field, Array.from(a || [], (s) => ({ wire: 'LEN', data: __N.utf8Encode(String(s)) }))); }
    setBytesArray(field, a) { this._set(field, Array.from(a || [], (d) => ({ wire: 'LEN', data: d instanceof Data ? d._flat() : new Uint8Array(0) }))); }
    setMessageArray(field, a) { this._set(field, Array.from(a || [], (m) => ({ wire: 'LEN', data: m instanceof Message ? serialize(m) : new Uint8Array(0) }))); }
  }

  for (const [name, t] of Object.entries(SCALARS)) {
    const width = t.wire === 'I32' ? 4 : t.wire === 'I64' ? 8 : 0;
    Message.prototype['get' + name] = function (field) {
      const r = this._tail(field);
      return r && r.wire !== 'LEN' ? t.get(r.bits) : t.get(0n);
    };
    Message.prototype['set' + name] = function (field, v) {
      this._set(field, [{ wire: t.wire, bits: t.set(v) }]);
    };
    // Arrays read packed records (LEN) and single ones; they are written packed.
    Message.prototype['get' + name + 'Array'] = function (field) {
      const a = [];
      for (const r of this._r.get(Number(field)) || []) {
        if (r.wire !== 'LEN') { a.push(t.get(r.bits)); continue; }
        const at = { p: 0 };
        while (at.p < r.data.length) {
          const bits = width ? readLE(r.data, at, width) : readVarint(r.data, at);
          if (bits === null) return null;
          a.push(t.get(bits));
        }
      }
      return a;
    };
    Message.prototype['set' + name + 'Array'] = function (field, values) {
      const out = [];
      for (const v of values || []) {
        const bits = t.set(typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? v : 0);
        if (width) writeLE(out, bits, width); else writeVarint(out, bits);
      }
      this._set(field, [{ wire: 'LEN', data: new Uint8Array(out) }]);
    };
  }

  const bytesOf = (d) => (d instanceof Data ? d._flat() : typeof d === 'string' ? __N.utf8Encode(d) : new Uint8Array(0));

  function parse(b) {
    const m = new Message();
    const at = { p: 0 };
    while (at.p < b.length) {
      const tag = readVarint(b, at);
      if (tag === null) return null;
      const field = Number(tag >> 3n);
      const wire = WIRE[Number(tag & 7n)];
      let rec;
      switch (wire) {
        case 'VARINT': { const n = readVarint(b, at); if (n === null) return null; rec = { wire, bits: n }; break; }
        case 'I64': { const n = readLE(b, at, 8); if (n === null) return null; rec = { wire, bits: n }; break; }
        case 'I32': { const n = readLE(b, at, 4); if (n === null) return null; rec = { wire, bits: n }; break; }
        case 'LEN': {
          const n = readVarint(b, at);
          if (n === null || BigInt(at.p) + n > BigInt(b.length)) return null;
          rec = { wire, data: b.slice(at.p, at.p + Number(n)) };
          at.p += Number(n);
          break;
        }
        default: return null;
      }
      let list = m._r.get(field);
      if (!list) m._r.set(field, (list = []));
      if (list.length && list[0].wire !== rec.wire) return null;
      list.push(rec);
    }
    return m;
  }

  function serialize(m) {
    const out = [];
    for (const field of [...m._r.keys()].sort((a, b) => a - b)) {
      const tag = BigInt(field) << 3n;
      for (const r of m._r.get(field)) {
        switch (r.wire) {
          case 'VARINT': writeVarint(out, tag); writeVarint(out, r.bits); break;
          case 'I64': writeVarint(out, tag | 1n); writeLE(out, r.bits, 8); break;
          case 'I32': writeVarint(out, tag | 5n); writeLE(out, r.bits, 4); break;
          case 'LEN':
            writeVarint(out, tag | 2n);
            writeVarint(out, r.data.length);
            for (let i = 0; i < r.data.length; i++) out.push(r.data[i]);
            break;
        }
      }
    }
    return new Uint8Array(out);
  }

  globalThis.protobuf = {
    Message,
    decode(data) {
      if (data === null || data === undefined) return null;
      if (!(data instanceof Data)) throw new TypeError('protobuf.decode: argument #1 expects an instance of Data');
      return parse(data._flat());
    },
    encode(msg) {
      if (msg === null || msg === undefined) return null;
      if (!(msg instanceof Message)) throw new TypeError('protobuf.encode: argument #1 expects a protobuf.Message');
      return S.dataOf(serialize(msg));
    },
  };
})();
