// DNS messages (RFC 1035) as Pipy 1.5's `DNS` global has them.
//
// DNS.decode(data) gives {id, qr, opcode, aa, tc, rd, ra, zero, rcode, question, answer,
// authority, additional}; header bits that are 0 and empty sections are left out. A question
// is {name, type, class}, a record {name, type, class, ttl, rdata}; class is left out when it
// is IN (1); type is a name ('A', 'AAAA', 'CNAME', 'NS', 'PTR', 'MX', 'SOA', 'SRV', 'TXT',
// 'OPT') or a number. rdata is an address for A and AAAA, a name for CNAME, NS and PTR, text
// for TXT, {preference, exchange} for MX, {priority, weight, port, target} for SRV,
// {mname, rname, serial, refresh, retry, expire, minimum} for SOA, and hex otherwise.
// DNS.encode(message) writes one (names uncompressed); both throw on malformed input.
'use strict';

(function () {
  const S = globalThis.__sluice;
  const TYPES = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT' };
  const CODES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, Number(k)]));
  const fail = (what) => { throw new Error(`DNS: ${what}`); };
  const hex = (b) => Array.from(b, (x) => (x < 16 ? '0' : '') + x.toString(16)).join('');

  function decodeBytes(b) {
    if (b.length < 12) fail('message shorter than its header');
    let p = 0;
    const need = (n) => { if (p + n > b.length) fail('truncated message'); };
    const u8 = () => { need(1); return b[p++]; };
    const u16 = () => (u8() << 8) | u8();
    const u32 = () => ((u16() << 16) >>> 0) + u16();
    const name = () => {
      const labels = [];
      let at = p, jumped = false, hops = 0, total = 0;
      for (;;) {
        if (at >= b.length) fail('truncated name');
        const n = b[at];
        if (n === 0) { at++; break; }
        if ((n & 0xc0) === 0xc0) {
          if (at + 1 >= b.length || ++hops > 64) fail('bad name pointer');
          if (!jumped) p = at + 2;
          jumped = true;
          at = ((n & 0x3f) << 8) | b[at + 1];
          continue;
        }
        if (n > 63) fail('bad label');
        if (at + 1 + n > b.length) fail('truncated name');
        total += n + 1;
        if (total > 255) fail('name too long');
        labels.push(String.fromCharCode(...b.subarray(at + 1, at + 1 + n)));
        at += n + 1;
      }
      if (!jumped) p = at;
      return labels.join('.');
    };
    const typeOf = (t) => TYPES[t] || t;

    const msg = { id: u16() };
    const f1 = u8(), f2 = u8();
    const flags = [['qr', f1 >> 7], ['opcode', (f1 >> 3) & 15], ['aa', (f1 >> 2) & 1], ['tc', (f1 >> 1) & 1], ['rd', f1 & 1],
      ['ra', f2 >> 7], ['zero', (f2 >> 4) & 7], ['rcode', f2 & 15]];
    for (const [k, v] of flags) if (v) msg[k] = v;
    const counts = [u16(), u16(), u16(), u16()];
    const sections = ['question', 'answer', 'authority', 'additional'];
    sections.forEach((s, i) => { if (counts[i]) msg[s] = []; });
    for (let i = 0; i < counts[0]; i++) {
      const q = { name: name() };
      q.type = typeOf(u16());
      const c = u16();
      if (c !== 1) q.class = c;
      msg.question.push(q);
    }
    for (let s = 1; s < 4; s++) {
      for (let i = 0; i < counts[s]; i++) {
        const r = { name: name() };
        const t = u16();
        r.type = typeOf(t);
        const c = u16();
        if (c !== 1) r.class = c;
        r.ttl = u32();
        const len = u16();
        need(len);
        const end = p + len;
        switch (t) {
          case 1:
            if (len !== 4) fail('bad A record');
            r.rdata = Array.from(b.subarray(p, end)).join('.');
            break;
          case 28:
            if (len !== 16) fail('bad AAAA record');
            r.rdata = new IP(Array.from(b.subarray(p, end))).toString();
            break;
          case 2: case 5: case 12: r.rdata = name(); break;
          case 15: r.rdata = { preference: u16(), exchange: name() }; break;
          case 33: r.rdata = { priority: u16(), weight: u16(), port: u16(), target: name() }; break;
          case 6: r.rdata = { mname: name(), rname: name(), serial: u32(), refresh: u32(), retry: u32(), expire: u32(), minimum: u32() }; break;
          case 16:
            if (b[p] + 1 === len) r.rdata = String.fromCharCode(...b.subarray(p + 1, end));
            break;
          default: r.rdata = hex(b.subarray(p, end));
        }
        p = end;
        msg[sections[s]].push(r);
      }
    }
    return msg;
  }

  function encodeMessage(m) {
    if (!m || typeof m !== 'object') fail('message is not an object');
    const out = [];
    const u8 = (n) => out.push(n & 0xff);
    const u16 = (n) => out.push((n >> 8) & 0xff, n & 0xff);
    const u32 = (n) => out.push((n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    const num = (o, k, d) => (typeof o[k] === 'number' ? o[k] : d);
    const name = (s) => {
      if (typeof s !== 'string') fail('a name is not a string');
      let total = 0;
      for (const l of s.split('.')) {
        if (!l) continue;
        if (l.length > 63 || (total += l.length + 1) > 255) fail(`bad name ${s}`);
        u8(l.length);
        for (let i = 0; i < l.length; i++) u8(l.charCodeAt(i));
      }
      u8(0);
    };
    const typeOf = (t) => (typeof t === 'number' ? t : CODES[t] || fail(`unknown type ${t}`));
    const id = num(m, 'id', -1);
    if (id < 0) fail('no id');
    u16(id);
    u8(num(m, 'qr', 0) << 7 | num(m, 'opcode', 0) << 3 | num(m, 'aa', 0) << 2 | num(m, 'tc', 0) << 1 | num(m, 'rd', 0));
    u8(num(m, 'ra', 0) << 7 | num(m, 'zero', 0) << 4 | num(m, 'rcode', 0));
    const sections = ['question', 'answer', 'authority', 'additional'].map((k) => (Array.isArray(m[k]) ? m[k] : []));
    for (const s of sections) u16(s.length);
    for (const q of sections[0]) {
      name(q.name);
      u16(typeOf(q.type));
      u16(num(q, 'class', 1));
    }
    for (const s of sections.slice(1)) {
      for (const r of s) {
        name(r.name);
        const t = typeOf(r.type);
        u16(t);
        u16(num(r, 'class', 1));
        const ttl = num(r, 'ttl', -1);
        if (ttl < 0) fail('record without ttl');
        u32(ttl);
        const at = out.length;
        u16(0);
        const d = r.rdata;
        switch (t) {
          case 1: {
            const a = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(String(d));
            if (!a) fail('invalid IPv4 notation');
            a.slice(1).forEach((x) => u8(Number(x)));
            break;
          }
          case 28: {
            if (!IP.isV6(String(d))) fail('invalid IPv6 notation');
            for (const x of new IP(String(d)).toBytes()) u8(x);
            break;
          }
          case 2: case 5: case 12: name(d); break;
          case 15: u16(d.preference | 0); name(d.exchange); break;
          case 33: u16(d.priority | 0); u16(d.weight | 0); u16(d.port | 0); name(d.target); break;
          case 6: name(d.mname); name(d.rname); for (const k of ['serial', 'refresh', 'retry', 'expire', 'minimum']) u32(num(d, k, 0)); break;
          case 16: {
            const s = String(d === undefined ? '' : d).slice(0, 255);
            u8(s.length);
            for (let i = 0; i < s.length; i++) u8(s.charCodeAt(i));
            break;
          }
          default: {
            const h = String(d === undefined ? '' : d);
            if (h.length % 2 || /[^0-9a-fA-F]/.test(h)) fail('bad hex rdata');
            for (let i = 0; i < h.length; i += 2) u8(parseInt(h.substring(i, i + 2), 16));
          }
        }
        const len = out.length - at - 2;
        out[at] = len >> 8;
        out[at + 1] = len & 0xff;
      }
    }
    return new Uint8Array(out);
  }

  globalThis.DNS = {
    decode(data) {
      if (!(data instanceof Data)) throw new TypeError('DNS.decode: argument #1 expects an instance of Data');
      return decodeBytes(data._flat());
    },
    encode(msg) { return S.dataOf(encodeMessage(msg)); },
  };
})();
