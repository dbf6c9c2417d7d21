// URL and URLSearchParams (docs/reference/api.md) with Pipy 1.5's shapes: every part is a string,
// the port defaults from the protocol, `auth`, `path` (pathname + search) and `query` (search
// without '?') are there, and a URL is read as written (no normalisation).
'use strict';

const __N = globalThis.__native;

// Percent-decoding over bytes, read back as UTF-8; '+' stays '+'.
function decodeURI_(s) {
  if (s.indexOf('%') < 0) return s;
  const bytes = __N.utf8Encode(s);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  const hex = c => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 37) {
      if (i + 2 >= bytes.length) break;
      const h = hex(bytes[i + 1]), l = hex(bytes[i + 2]);
      if (h < 0 || l < 0) { out[n++] = c; continue; }
      out[n++] = (h << 4) | l;
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return __N.utf8Decode(out.subarray(0, n));
}

// Everything but ALPHA / DIGIT / '-' '_' '.' '~' is percent-encoded (UTF-8 bytes, upper hex).
function encodeURI_(s) {
  const bytes = __N.utf8Encode(String(s));
  let out = '';
  for (const c of bytes) {
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95 || c === 46 || c === 126) {
      out += String.fromCharCode(c);
    } else {
      out += '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
    }
  }
  return out;
}

// URL.encode/decode keep the URL's own punctuation; the Component forms escape it too.
const GENERAL = "-_.!~*'()";
const SPECIAL = ';/?:@&=+$,#';
const isAlnum = c => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
function encodeWith(s, keep) {
  let out = '';
  for (const c of __N.utf8Encode(String(s))) {
    const ch = String.fromCharCode(c);
    if (c < 128 && (isAlnum(c) || keep.includes(ch))) out += ch;
    else out += '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  }
  return out;
}
function decodeWith(s, keep) {
  const bytes = __N.utf8Encode(String(s));
  const out = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c !== 37) { out.push(c); continue; }
    const h = String.fromCharCode(bytes[i + 1] || 0, bytes[i + 2] || 0);
    if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error('malformed URL');
    const v = parseInt(h, 16);
    if (v < 128 && (isAlnum(v) || keep.includes(String.fromCharCode(v)))) {
      for (const x of __N.utf8Encode('%' + h.toUpperCase())) out.push(x);
    } else {
      out.push(v);
    }
    i += 2;
  }
  return __N.utf8Decode(Uint8Array.from(out));
}

const PARAMS = Symbol('params');

class URLSearchParams {
  constructor(init) {
    // name -> string, or an array of strings once the name repeats; insertion order kept.
    this[PARAMS] = new Map();
    if (init === undefined || init === null) return;
    if (typeof init === 'string') {
      const str = init;
      let i = str[0] === '?' ? 1 : 0;
      while (i < str.length) {
        let j = str.indexOf('&', i);
        if (j < 0) j = str.length;
        if (j > i) {
          const k = str.indexOf('=', i);
          if (k >= 0 && k < j) this.append(decodeURI_(str.substring(i, k)), decodeURI_(str.substring(k + 1, j)));
          else this.append(decodeURI_(str.substring(i, j)), '');
        }
        i = j + 1;
      }
    } else if (typeof init === 'object') {
      for (const k of Object.keys(init)) this.set(k, init[k]);
    } else {
      throw new TypeError('URLSearchParams: argument #1 expects a string or an object');
    }
  }
  get(name) {
    const v = this[PARAMS].get(String(name));
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
    return null;
  }
  getAll(name) {
    const v = this[PARAMS].get(String(name));
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.slice();
    return [];
  }
  has(name) { return this[PARAMS].has(String(name)); }
  set(name, value) {
    name = String(name);
    if (value === undefined || value === null) this[PARAMS].delete(name);
    else if (Array.isArray(value)) this[PARAMS].set(name, value.map(String));
    else this[PARAMS].set(name, String(value));
  }
  append(name, value) {
    name = String(name); value = String(value);
    const old = this[PARAMS].get(name);
    if (Array.isArray(old)) old.push(value);
    else if (typeof old === 'string') this[PARAMS].set(name, [old, value]);
    else this[PARAMS].set(name, value);
  }
  delete(name) { this[PARAMS].delete(String(name)); }
  toObject() {
    const o = {};
    for (const [k, v] of this[PARAMS]) o[k] = Array.isArray(v) ? v.slice() : v;
    return o;
  }
  toString() {
    const out = [];
    for (const [k, v] of this[PARAMS]) {
      for (const x of Array.isArray(v) ? v : [v]) out.push(encodeURI_(k) + '=' + encodeURI_(x));
    }
    return out.join('&');
  }
}

const DEFAULT_PORTS = { 'ftp:': '21', 'gopher:': '70', 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

function protocolOf(url) {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url);
  return m ? m[0] : '';
}
// '//host' up to the next '/', slashes included; '' when the text does not start with '//'.
function hostOf(rest) {
  if (!rest.startsWith('//')) return '';
  let i = 0;
  while (i < rest.length && rest[i] === '/') i++;
  if (i >= rest.length) return '';
  const j = rest.indexOf('/', i);
  return j < 0 ? rest : rest.substring(0, j);
}
const trimHost = h => h.replace(/^\/+/, '');

class URL {
  constructor(url, base) {
    if (url === undefined) throw new TypeError('URL: argument #1 expects a string');
    url = String(url);
    let protocol = protocolOf(url);
    let rest = url.substring(protocol.length);
    let host = hostOf(rest);
    let path = rest.substring(host.length);
    host = trimHost(host);
    if (!host && base !== undefined && base !== null && String(base)) {
      base = String(base);
      protocol = protocolOf(base);
      rest = base.substring(protocol.length);
      host = hostOf(rest);
      const basePath = rest.substring(host.length);
      if (!path) path = basePath;
      else if (path[0] !== '/') {
        const i = basePath.lastIndexOf('/');
        path = (i >= 0 ? basePath.substring(0, i) : basePath) + '/' + path;
      }
      host = trimHost(host);
    }
    let auth = '', username = '', password = '';
    let i = host.indexOf('@');
    if (i >= 0) {
      auth = host.substring(0, i);
      host = host.substring(i + 1);
      const j = auth.indexOf(':');
      if (j < 0) username = auth;
      else { username = auth.substring(0, j); password = auth.substring(j + 1); }
    }
    let hostname = host, port = '';
    if (host[0] === '[') {
      i = host.indexOf(']');
      if (i >= 0 && host[i + 1] === ':') { hostname = host.substring(0, i + 1); port = host.substring(i + 2); }
    } else {
      i = host.indexOf(':');
      if (i >= 0) { hostname = host.substring(0, i); port = host.substring(i + 1); }
    }
    let hash = '';
    i = path.lastIndexOf('#');
    if (i >= 0) { hash = path.substring(i); path = path.substring(0, i); }
    let pathname = path, search = '', query = '';
    i = path.indexOf('?');
    if (i >= 0) { pathname = path.substring(0, i); search = path.substring(i); query = path.substring(i + 1); }
    if (!protocol) protocol = 'http:';
    if (!path) path = pathname = '/';
    if (!port) port = DEFAULT_PORTS[protocol] || '';
    const origin = protocol + '//' + host;
    const href = protocol + '//' + (auth ? auth + '@' : '') + host + path + hash;
    Object.defineProperty(this, PARAMS, {
      value: { auth, hash, host, hostname, href, origin, password, path, pathname, port, protocol, query, search, username, searchParams: new URLSearchParams(search) },
    });
  }
  get auth() { return this[PARAMS].auth; }
  get hash() { return this[PARAMS].hash; }
  get host() { return this[PARAMS].host; }
  get hostname() { return this[PARAMS].hostname; }
  get href() { return this[PARAMS].href; }
  get origin() { return this[PARAMS].origin; }
  get password() { return this[PARAMS].password; }
  get path() { return this[PARAMS].path; }
  get pathname() { return this[PARAMS].pathname; }
  get port() { return this[PARAMS].port; }
  get protocol() { return this[PARAMS].protocol; }
  get query() { return this[PARAMS].query; }
  get search() { return this[PARAMS].search; }
  get searchParams() { return this[PARAMS].searchParams; }
  get username() { return this[PARAMS].username; }
  toString() { return this.href; }
  toJSON() { return this.href; }
  static encode(s) { return encodeWith(s, GENERAL + SPECIAL); }
  static decode(s) { return decodeWith(s, GENERAL + SPECIAL); }
  static encodeComponent(s) { return encodeWith(s, GENERAL); }
  static decodeComponent(s) { return decodeWith(s, GENERAL); }
}

globalThis.URL = URL;
globalThis.URLSearchParams = URLSearchParams;
