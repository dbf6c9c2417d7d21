// IP, IPMask (alias Netmask) and IPEndpoint (docs/reference/api.md), with Pipy 1.5's shapes. An
// address is held as 4 bytes (IPv4) or 8 16-bit groups (IPv6); masks and ranges are worked out with
// BigInt so that both versions share one code path.
'use strict';

const DATA = Symbol('ip');

function parseV4(s) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const a = m.slice(1).map(Number);
  return a.every(n => n <= 255) ? a : null;
}

// Eight groups, or null. A zone ('%eth0') is ignored; a dotted IPv4 tail is accepted.
function parseV6(s) {
  const z = s.indexOf('%');
  if (z >= 0) s = s.substring(0, z);
  if (!s || /[^0-9a-fA-F:.]/.test(s)) return null;
  const groups = part => {
    if (part === '') return [];
    const out = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const x = items[i];
      if (i === items.length - 1 && x.includes('.')) {
        const v4 = parseV4(x);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(x)) return null;
        out.push(parseInt(x, 16));
      }
    }
    return out;
  };
  const d = s.indexOf('::');
  if (d >= 0) {
    if (s.indexOf('::', d + 1) >= 0) return null;
    const head = groups(s.substring(0, d)), tail = groups(s.substring(d + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    return head.concat(new Array(8 - head.length - tail.length).fill(0), tail);
  }
  const all = groups(s);
  return all && all.length === 8 ? all : null;
}

// The shortest form: the longest run (first of equals) of two or more zero groups becomes '::'.
function v6String(g) {
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = a => a.map(x => x.toString(16)).join(':');
  if (bestLen < 2) return hex(g);
  return hex(g.slice(0, best)) + '::' + hex(g.slice(best + bestLen));
}

// Address data: { v6, bytes } as a BigInt plus the version.
const bitsOf = v6 => (v6 ? 128 : 32);
function toBig(v6, parts) {
  let n = 0n;
  for (const p of parts) n = (n << (v6 ? 16n : 8n)) | BigInt(p);
  return n;
}
function fromBig(v6, n) {
  const out = [];
  const w = v6 ? 16n : 8n, m = v6 ? 0xffffn : 0xffn;
  for (let i = 0; i < (v6 ? 8 : 4); i++) { out.unshift(Number(n & m)); n >>= w; }
  return out;
}
const strOf = (v6, n) => (v6 ? v6String(fromBig(true, n)) : fromBig(false, n).join('.'));

function addressFromString(s) {
  const v4 = parseV4(s);
  if (v4) return { v6: false, n: toBig(false, v4) };
  const v6 = parseV6(s);
  if (v6) return { v6: true, n: toBig(true, v6) };
  return null;
}
function addressFromBytes(bytes) {
  const v6 = !!bytes && bytes.length > 4;
  const a = [];
  for (let i = 0; i < (v6 ? 16 : 4); i++) a.push((bytes ? Number(bytes[i]) | 0 : 0) & 255);
  if (!v6) return { v6, n: toBig(false, a) };
  const g = [];
  for (let i = 0; i < 8; i++) g.push((a[i * 2] << 8) | a[i * 2 + 1]);
  return { v6, n: toBig(true, g) };
}
const decompose = d => fromBig(d.v6, d.n);
function toBytes(d) {
  if (!d.v6) return fromBig(false, d.n);
  const out = [];
  for (const g of fromBig(true, d.n)) out.push(g >> 8, g & 255);
  return out;
}

class IP {
  constructor(x) {
    let d;
    if (typeof x === 'string') {
      d = addressFromString(x);
      if (!d) throw new Error('invalid IP address notation');
    } else if (Array.isArray(x)) {
      d = addressFromBytes(x);
    } else {
      throw new TypeError('IP: argument #1 expects a string or an array');
    }
    Object.defineProperty(this, DATA, { value: d });
  }
  get version() { return this[DATA].v6 ? 6 : 4; }
  decompose() { return decompose(this[DATA]); }
  toBytes() { return toBytes(this[DATA]); }
  toString() { return strOf(this[DATA].v6, this[DATA].n); }
  toJSON() { return this.toString(); }
  static isV4(s) { return parseV4(String(s)) !== null; }
  static isV6(s) { return parseV6(String(s)) !== null; }
}

class IPMask {
  constructor(a, b) {
    let d, bits, cidr;
    if (typeof a === 'string') {
      cidr = a;
      const i = a.indexOf('/');
      const addr = i >= 0 ? a.substring(0, i) : a;
      bits = i >= 0 ? (parseInt(a.substring(i + 1), 10) || 0) : 0;
      d = addressFromString(addr);
      if (!d) throw new Error('invalid CIDR notation');
      if (bits < 0 || bits > bitsOf(d.v6)) throw new Error(`IPv${d.v6 ? 6 : 4} CIDR mask out of range`);
    } else if (typeof a === 'number') {
      if (!Array.isArray(b)) throw new TypeError('IPMask: argument #2 expects an array');
      d = addressFromBytes(b);
      bits = a | 0;
      cidr = strOf(d.v6, d.n) + '/' + bits;
    } else {
      throw new TypeError('IPMask: argument #1 expects a number or a string');
    }
    const width = BigInt(bitsOf(d.v6));
    const all = (1n << width) - 1n;
    const host = (1n << (width - BigInt(bits))) - 1n;
    const mask = all ^ host;
    Object.defineProperty(this, DATA, {
      value: { d, bits, cidr, mask, host, base: d.n & mask, next: 1n },
    });
  }
  get version() { return this[DATA].d.v6 ? 6 : 4; }
  get ip() { return strOf(this[DATA].d.v6, this[DATA].d.n); }
  get bitmask() { return this[DATA].bits; }
  get base() { return strOf(this[DATA].d.v6, this[DATA].base); }
  get mask() { return strOf(this[DATA].d.v6, this[DATA].mask); }
  get hostmask() { return strOf(this[DATA].d.v6, this[DATA].host); }
  get broadcast() { return strOf(this[DATA].d.v6, this[DATA].base | this[DATA].host); }
  get size() { return Number(this[DATA].host + 1n); }
  // The first and last host addresses: base + 1 and broadcast - 1 (the base itself for /32,
  // /31 and /128, /127, as Pipy computes them).
  get first() { const t = this[DATA]; return strOf(t.d.v6, t.base | (t.host & 1n)); }
  get last() { const t = this[DATA]; return strOf(t.d.v6, t.base | (t.host & (t.host - 1n))); }
  contains(addr) {
    const t = this[DATA];
    const s = String(addr);
    const a = t.d.v6 ? parseV6(s) : parseV4(s);
    if (!a) return false;
    return (toBig(t.d.v6, a) & t.mask) === t.base;
  }
  // Host addresses in order, from base + 1; '' once the range is used up.
  next() {
    const t = this[DATA];
    if (t.next >= t.host) return '';
    const n = t.next++;
    return strOf(t.d.v6, t.base | n);
  }
  decompose() { return decompose(this[DATA].d); }
  toBytes() { return toBytes(this[DATA].d); }
  toString() { return this[DATA].cidr; }
  toJSON() { return this.toString(); }
}

class IPEndpoint {
  constructor(addr, port, protocol) {
    if (typeof port === 'string' && protocol === undefined) { protocol = port; port = undefined; }
    protocol = protocol === undefined ? 'tcp' : String(protocol);
    if (protocol !== 'tcp' && protocol !== 'udp') throw new TypeError(`IPEndpoint: invalid protocol '${protocol}'`);
    if (port !== undefined && port !== null) {
      port = Number(port) | 0;
      if (port < 0 || port > 65535) throw new RangeError('port number out of range');
    } else {
      port = 0;
    }
    let ip;
    if (addr instanceof IP) ip = addr;
    else if (typeof addr === 'string') {
      let host = addr;
      if (port === 0) {
        const m = /^\[(.*)\]:(\d+)$/.exec(addr) || /^([^[\]]*):(\d+)$/.exec(addr);
        if (m && +m[2] > 0 && +m[2] <= 65535) { host = m[1]; port = +m[2]; }
      }
      ip = new IP(host);
    } else {
      throw new TypeError('IPEndpoint: argument #1 expects a string or an IP instance');
    }
    this.protocol = protocol;
    this.ip = ip;
    this.port = port;
  }
  toString() {
    const h = this.ip.version === 6 ? `[${this.ip}]` : String(this.ip);
    return `${h}:${this.port}`;
  }
}

globalThis.IP = IP;
globalThis.IPMask = IPMask;
globalThis.Netmask = IPMask;
globalThis.IPEndpoint = IPEndpoint;
