// Event classes, Data and Message as scripts see them (docs/concepts.md, "Events").
// Rust hands events to scripts through __sluice.toJs* helpers and reads them back with
// __sluice.kindOf(); see script/convert.rs.
'use strict';

const __N = globalThis.__native;

class Data {
  constructor(x, enc) {
    this._c = []; // Uint8Array chunks
    this._n = 0;
    if (x === undefined || x === null) return;
    if (typeof x === 'string') this._add(Data._encode(x, enc));
    else if (x instanceof Data) { for (const c of x._c) this._add(c); }
    else if (x instanceof Uint8Array) this._add(new Uint8Array(x));
    else if (Array.isArray(x)) this._add(Uint8Array.from(x, b => b & 255));
    else if (x instanceof ArrayBuffer) this._add(new Uint8Array(x.slice(0)));
    else throw new TypeError('Data: cannot make bytes from ' + typeof x);
  }
  static from(x, enc) { try { return new Data(x, enc); } catch (e) { return null; } }
  static _encode(s, enc) {
    switch (enc || 'utf8') {
      case 'utf8': case 'utf-8': return __N.utf8Encode(s);
      case 'hex': {
        if (s.length % 2) throw new TypeError('Data: odd hex length');
        const a = new Uint8Array(s.length / 2);
        for (let i = 0; i < a.length; i++) {
          const v = parseInt(s.substr(i * 2, 2), 16);
          if (Number.isNaN(v)) throw new TypeError('Data: bad hex');
          a[i] = v;
        }
        return a;
      }
      case 'base64': case 'base64url': return __N.base64Decode(s);
      case 'utf16le': case 'utf16be': {
        const a = new Uint8Array(s.length * 2);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (enc === 'utf16le') { a[i * 2] = c & 255; a[i * 2 + 1] = c >> 8; }
          else { a[i * 2] = c >> 8; a[i * 2 + 1] = c & 255; }
        }
        return a;
      }
      default: throw new TypeError('Data: unknown encoding ' + enc);
    }
  }
  _add(u8) { if (u8.length) { this._c.push(u8); this._n += u8.length; } }
  _flat() {
    if (this._c.length === 1) return this._c[0];
    const a = new Uint8Array(this._n);
    let p = 0;
    for (const c of this._c) { a.set(c, p); p += c.length; }
    if (this._c.length > 1) this._c = [a];
    return a;
  }
  get type() { return 'Data'; }
  get size() { return this._n; }
  push(x) {
    if (x instanceof Data) { for (const c of x._c) this._add(c); }
    else if (typeof x === 'string') this._add(__N.utf8Encode(x));
    else if (x !== undefined && x !== null) this.push(new Data(x));
    return this;
  }
  shift(n) {
    const out = new Data();
    n = Math.max(0, Math.min(n | 0, this._n));
    while (n > 0) {
      const c = this._c[0];
      if (c.length <= n) { this._c.shift(); out._add(c); this._n -= c.length; n -= c.length; }
      else { out._add(c.subarray(0, n)); this._c[0] = c.subarray(n); this._n -= n; n = 0; }
    }
    return out;
  }
  pop(n) {
    n = Math.max(0, Math.min(n | 0, this._n));
    const all = this._flat();
    const out = new Data(); out._add(all.subarray(all.length - n));
    this._c = []; this._n = 0; this._add(all.subarray(0, all.length - n));
    return out;
  }
  shiftTo(f) {
    const all = this._flat();
    let i = 0;
    while (i < all.length && !f(all[i])) i++;
    return this.shift(i < all.length ? i + 1 : all.length);
  }
  shiftWhile(f) {
    const all = this._flat();
    let i = 0;
    while (i < all.length && f(all[i])) i++;
    return this.shift(i);
  }
  toArray() { return Array.from(this._flat()); }
  toString(enc) {
    const a = this._flat();
    switch (enc || 'utf8') {
      case 'utf8': case 'utf-8': return __N.utf8Decode(a);
      case 'hex': return Array.from(a, b => (b < 16 ? '0' : '') + b.toString(16)).join('');
      case 'base64': return __N.base64Encode(a, false);
      case 'base64url': return __N.base64Encode(a, true);
      default: return undefined;
    }
  }
}

class MessageStart {
  constructor(head) { this.head = head === undefined ? null : head; }
  get type() { return 'MessageStart'; }
}

class MessageEnd {
  constructor(tail, payload) {
    this.tail = tail === undefined ? null : tail;
    this.payload = payload;
  }
  get type() { return 'MessageEnd'; }
}

const STREAM_END_CODES = [
  'Replay', 'RuntimeError', 'ReadError', 'WriteError', 'CannotResolve', 'ConnectionAborted',
  'ConnectionReset', 'ConnectionRefused', 'ConnectionTimeout', 'ReadTimeout', 'WriteTimeout',
  'IdleTimeout', 'BufferOverflow', 'ProtocolError', 'Unauthorized',
];

class StreamEnd {
  constructor(error) { this.error = error === null ? undefined : error; }
  get type() { return 'StreamEnd'; }
}

class Message {
  constructor(a, b, c) {
    this.head = null; this.body = null; this.tail = null; this.payload = undefined;
    if (arguments.length === 0) return;
    if (arguments.length === 1) {
      if (typeof a === 'string' || a instanceof Data) this.body = Message._body(a);
      else if (a !== undefined && a !== null) this.head = a;
      return;
    }
    this.head = a === undefined ? null : a;
    if (typeof b === 'string' || b instanceof Data || b === null || b === undefined) this.body = Message._body(b);
    else this.payload = b;
    if (arguments.length > 2) this.tail = c === undefined ? null : c;
  }
  static _body(b) {
    if (b === null || b === undefined) return null;
    return b instanceof Data ? b : new Data(b);
  }
}

globalThis.Data = Data;
globalThis.Message = Message;
globalThis.MessageStart = MessageStart;
globalThis.MessageEnd = MessageEnd;
globalThis.StreamEnd = StreamEnd;

// Helpers used by the Rust side.
const S = globalThis.__sluice = globalThis.__sluice || {};
S.STREAM_END_CODES = STREAM_END_CODES;
S.dataOf = u8 => { const d = new Data(); d._add(u8); return d; };
S.messageStartOf = head => new MessageStart(head);
S.messageEndOf = (tail, payload) => new MessageEnd(tail, payload);
S.streamEndOf = err => new StreamEnd(err);
S.messageOf = (head, body, tail, payload) => {
  const m = new Message();
  m.head = head === undefined ? null : head; m.body = body || new Data();
  m.tail = tail === undefined ? null : tail; m.payload = payload;
  return m;
};
// Kinds: 1 Data, 2 MessageStart, 3 MessageEnd, 4 StreamEnd, 5 Message, 6 Array, 0 nothing, -1 invalid.
S.kindOf = v => {
  if (v === undefined || v === null) return 0;
  if (v instanceof Data) return 1;
  if (v instanceof MessageStart) return 2;
  if (v instanceof MessageEnd) return 3;
  if (v instanceof StreamEnd) return 4;
  if (v instanceof Message) return 5;
  if (Array.isArray(v)) return 6;
  return -1;
};
