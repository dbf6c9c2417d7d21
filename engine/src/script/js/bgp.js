// BGP-4 messages (RFC 4271) as Pipy 1.5's `BGP` global has them; decodeBGP and encodeBGP
// (filters/bgp.rs) cut the stream into messages and call these.
//
// A message is {type, body}: type 'OPEN', 'UPDATE', 'NOTIFICATION', 'KEEPALIVE' or
// 'ROUTE_REFRESH' (a number for others), body
//   OPEN:          {version, myAS, holdTime, identifier, parameters: [{name, code, value}]}
//                  (Capabilities' value: [{code, value: Data}])
//   UPDATE:        {withdrawnRoutes, pathAttributes: [{name, code, value, optional,
//                  transitive, partial}], destinations} with prefixes as IPMask
//   NOTIFICATION:  {errorCode, errorSubcode, data}
//   ROUTE_REFRESH: {afi, safi}
//   others:        the body bytes as Data; KEEPALIVE: null.
'use strict';

(function () {
  const S = globalThis.__sluice;
  const TYPES = ['', 'OPEN', 'UPDATE', 'NOTIFICATION', 'KEEPALIVE', 'ROUTE_REFRESH'];
  const ATTRS = ['', 'ORIGIN', 'AS_PATH', 'NEXT_HOP', 'MULTI_EXIT_DISC', 'LOCAL_PREF', 'ATOMIC_AGGREGATE', 'AGGREGATOR'];
  const HEADER = 19;

  const ip4 = (b, i) => `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;
  const ip4Bytes = (s) => {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(String(s || ''));
    return m ? m.slice(1).map((x) => Number(x) & 0xff) : [0, 0, 0, 0];
  };
  const dataOf = (b) => S.dataOf(b.slice());

  class Reader {
    constructor(b, from, to) { this.b = b; this.p = from; this.end = to; }
    get eof() { return this.p >= this.end; }
    u8() { if (this.p + 1 > this.end) throw new RangeError('BGP: short'); return this.b[this.p++]; }
    u16() { return (this.u8() << 8) | this.u8(); }
    u32() { return ((this.u16() << 16) >>> 0) + this.u16(); }
    take(n) { if (this.p + n > this.end) throw new RangeError('BGP: short'); this.p += n; return this.b.subarray(this.p - n, this.p); }
    sub(n) { const r = new Reader(this.b, this.p, this.p + n); if (r.end > this.end) throw new RangeError('BGP: short'); this.p += n; return r; }
  }

  function prefix(r) {
    const mask = r.u8();
    if (mask > 32) throw new RangeError('BGP: bad prefix');
    const ip = [0, 0, 0, 0];
    for (let i = 0; i < (mask + 7) >> 3; i++) ip[i] = r.u8();
    return new IPMask(mask, ip);
  }

  function attribute(r, as4) {
    const flags = r.u8(), code = r.u8();
    const v = r.sub(flags & 0x10 ? r.u16() : r.u8());
    let value = null;
    if (!v.eof) {
      switch (code) {
        case 1: value = v.u8(); break;
        case 2:
          value = [];
          while (!v.eof) {
            const t = v.u8(), n = v.u8();
            const list = [];
            for (let i = 0; i < n; i++) list.push(as4 ? v.u32() : v.u16());
            if (t === 1) value.push(Object.fromEntries(list.map((a) => [String(a), a])));
            else if (t === 2) value.push(list);
            else throw new RangeError('BGP: bad AS_PATH segment');
          }
          break;
        case 3: value = ip4(v.take(4), 0); break;
        case 4: case 5: value = v.u32(); break;
        case 6: break;
        case 7: { const a = as4 ? v.u32() : v.u16(); value = [a, ip4(v.take(4), 0)]; break; }
        default: value = dataOf(v.take(v.end - v.p));
      }
    }
    const pa = { name: ATTRS[code] || undefined, value, code, optional: !!(flags & 0x80), transitive: !!(flags & 0x40), partial: !!(flags & 0x20) };
    if (!pa.name) delete pa.name;
    return pa;
  }

  function body(type, r, as4) {
    switch (type) {
      case 1: {
        const o = { version: r.u8(), myAS: r.u16(), holdTime: r.u16(), identifier: ip4(r.take(4), 0) };
        const pr = r.sub(r.u8());
        if (!pr.eof) {
          o.parameters = [];
          while (!pr.eof) {
            const code = pr.u8(), v = pr.sub(pr.u8());
            let value = null;
            if (!v.eof && code === 2) {
              value = [];
              while (!v.eof) { const c = v.u8(); value.push({ code: c, value: dataOf(v.take(v.u8())) }); }
            } else if (!v.eof) value = dataOf(v.take(v.end - v.p));
            o.parameters.push(code === 2 ? { name: 'Capabilities', value, code } : { value, code });
          }
        }
        return o;
      }
      case 2: {
        const o = {};
        const w = r.sub(r.u16());
        while (!w.eof) (o.withdrawnRoutes = o.withdrawnRoutes || []).push(prefix(w));
        const a = r.sub(r.u16());
        while (!a.eof) (o.pathAttributes = o.pathAttributes || []).push(attribute(a, as4));
        while (!r.eof) (o.destinations = o.destinations || []).push(prefix(r));
        return o;
      }
      case 3: {
        const o = { errorCode: r.u8(), errorSubcode: r.u8() };
        if (!r.eof) o.data = dataOf(r.take(r.end - r.p));
        return o;
      }
      case 4: return null;
      case 5: { const afi = r.u16(); r.u8(); return { afi, safi: r.u8() }; }
      default: return dataOf(r.take(r.end - r.p));
    }
  }

  // Decodes the messages in bytes b; stops at the first malformed or incomplete one.
  function decodeBytes(b, as4) {
    const out = [];
    let p = 0;
    while (p + HEADER <= b.length) {
      const size = (b[p + 16] << 8) | b[p + 17];
      if (size < HEADER || p + size > b.length) break;
      const type = b[p + 18];
      try {
        out.push({ type: TYPES[type] || type, body: body(type, new Reader(b, p + HEADER, p + size), as4) });
      } catch (e) {
        break;
      }
      p += size;
    }
    return out;
  }

  function writePrefix(out, v) {
    let ip = [0, 0, 0, 0], mask = 0;
    try {
      const m = v instanceof IPMask ? v : new IPMask(String(v));
      if (m.version === 4) { ip = m.ip.split('.').map(Number); mask = m.bitmask; }
    } catch (e) { /* written as 0.0.0.0/0 */ }
    const n = (mask + 7) >> 3;
    if (n * 8 > mask && n > 0) ip[n - 1] &= (0xff << (n * 8 - mask)) & 0xff;
    out.push(mask, ...ip.slice(0, n));
  }
  const u16 = (out, n) => out.push((n >> 8) & 0xff, n & 0xff);
  const u32 = (out, n) => out.push((n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  const bytesOf = (d) => (d instanceof Data ? Array.from(d._flat()) : null);
  const codeOf = (o, names) => { const i = o.name ? names.indexOf(String(o.name)) : -1; return i > 0 ? i : (o.code | 0); };

  function attributeValue(code, v, as4) {
    const out = [];
    switch (code) {
      case 1: out.push(Number(v) & 0xff); break;
      case 2:
        for (const seg of Array.isArray(v) ? v : []) {
          const list = Array.isArray(seg) ? seg : seg && typeof seg === 'object' ? Object.keys(seg) : null;
          out.push(Array.isArray(seg) ? 2 : 1);
          if (!list) continue;
          const n = Math.min(list.length, 0xff);
          out.push(n);
          for (let i = 0; i < n; i++) { const a = Number(list[i]) >>> 0; if (as4) u32(out, a); else u16(out, a & 0xffff); }
        }
        break;
      case 3: out.push(...ip4Bytes(v)); break;
      case 4: case 5: u32(out, Number(v) >>> 0); break;
      case 6: break;
      case 7: {
        const a = Array.isArray(v) && v.length > 0 ? Number(v[0]) >>> 0 : 0;
        if (as4) u32(out, a); else u16(out, a & 0xffff);
        out.push(...ip4Bytes(Array.isArray(v) ? v[1] : null));
        break;
      }
    }
    return out;
  }

  function encodeOne(msg, as4) {
    const t = typeof msg.type === 'string' ? TYPES.indexOf(msg.type) : Number(msg.type) | 0;
    const type = t < 0 ? 0 : t;
    const b = msg.body;
    const out = [];
    if (b !== null && b !== undefined) {
      switch (type) {
        case 1: {
          out.push(b.version === undefined ? 4 : b.version & 0xff);
          u16(out, b.myAS | 0);
          u16(out, b.holdTime | 0);
          out.push(...ip4Bytes(b.identifier));
          const params = [];
          for (const p of b.parameters || []) {
            if (!p) continue;
            const code = p.name === 'Capabilities' ? 2 : p.code | 0;
            let v = bytesOf(p.value);
            if (!v) {
              v = [];
              if (code === 2) {
                for (const c of Array.isArray(p.value) ? p.value : []) {
                  if (!c) continue;
                  const d = (bytesOf(c.value) || []).slice(0, 0xff);
                  v.push(c.code & 0xff, d.length, ...d);
                }
              }
            }
            v = v.slice(0, 0xff);
            params.push(code & 0xff, v.length, ...v);
          }
          const ps = params.slice(0, 0xff);
          out.push(ps.length, ...ps);
          break;
        }
        case 2: {
          const w = [], a = [];
          for (const r of b.withdrawnRoutes || []) writePrefix(w, r);
          for (const pa of b.pathAttributes || []) {
            if (!pa) continue;
            const code = codeOf(pa, ATTRS);
            const v = (bytesOf(pa.value) || attributeValue(code, pa.value, as4)).slice(0, 0xffff);
            const flags = (pa.optional ? 0x80 : 0) | (pa.transitive ? 0x40 : 0) | (pa.partial ? 0x20 : 0);
            if (v.length > 0xff) { a.push(flags | 0x10, code & 0xff); u16(a, v.length); } else a.push(flags, code & 0xff, v.length);
            for (const x of v) a.push(x);
          }
          u16(out, w.length); out.push(...w);
          u16(out, a.length); for (const x of a) out.push(x);
          for (const d of b.destinations || []) writePrefix(out, d);
          break;
        }
        case 3:
          out.push(b.errorCode & 0xff, b.errorSubcode & 0xff, ...(bytesOf(b.data) || []));
          break;
        case 5:
          u16(out, b.afi | 0); out.push(0, b.safi & 0xff);
          break;
        default:
          out.push(...(bytesOf(b) || []));
      }
    }
    const body = out.slice(0, 4096 - HEADER);
    const head = new Array(16).fill(0xff);
    u16(head, body.length + HEADER);
    head.push(type & 0xff);
    return head.concat(body);
  }

  globalThis.BGP = {
    decode(data, enableAS4) {
      if (!(data instanceof Data)) throw new TypeError('BGP.decode: argument #1 expects an instance of Data');
      return decodeBytes(data._flat(), !!enableAS4);
    },
    encode(msg, enableAS4) {
      const all = Array.isArray(msg) ? msg : [msg];
      const bytes = [];
      for (const m of all) if (m && typeof m === 'object') for (const x of encodeOne(m, !!enableAS4)) bytes.push(x);
      return S.dataOf(new Uint8Array(bytes));
    },
  };
})();
