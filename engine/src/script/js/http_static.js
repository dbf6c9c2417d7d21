// http.File and http.Directory (docs/reference/api.md): static files from the codebase (or the file
// system, or a tar archive in either), with Pipy 1.5's names, options and content types. Beyond Pipy, responses carry
// `etag` and `last-modified`, and Directory.serve answers 304 to a request whose
// If-None-Match or If-Modified-Since shows it has the file already.
'use strict';

const __N = globalThis.__native;
const S = globalThis.__sluice;

const DEFAULT_CONTENT_TYPES = {
  html: 'text/html', css: 'text/css', xml: 'text/xml', txt: 'text/plain', gif: 'image/gif',
  png: 'image/png', jpg: 'image/jpeg', svg: 'image/svg+xml', woff: 'font/woff',
  woff2: 'font/woff2', ico: 'image/x-icon', js: 'application/javascript', json: 'application/json',
};
const OCTET_STREAM = 'application/octet-stream';

// Which of gzip and br an Accept-Encoding value names (q-values are not weighed, as in Pipy).
function encodingsOf(s) {
  const r = { gzip: false, br: false };
  for (const item of String(s || '').split(',')) {
    const m = /^\s*([A-Za-z]+)/.exec(item);
    if (!m) continue;
    const name = m[1].toLowerCase();
    if (name === 'gzip') r.gzip = true;
    else if (name === 'br') r.br = true;
  }
  return r;
}

// Codebase paths may not climb above the folder served: '..' stops at its root.
function normalizePath(p) {
  const out = [];
  for (const seg of String(p).split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop(); else out.push(seg);
  }
  return '/' + out.join('/') + (String(p).endsWith('/') && out.length ? '/' : '');
}
const joinPath = (root, p) => (root.endsWith('/') ? root.slice(0, -1) : root) + normalizePath(p);

const httpDate = secs => new Date(secs * 1000).toUTCString();

function headerOf(head, name) {
  const h = head && head.headers;
  if (!h) return undefined;
  if (name in h) return h[name];
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) return h[k];
  return undefined;
}

function load(path, fs) {
  const f = __N.staticFile(path, !!fs);
  return f && { data: S.dataOf(f.data), etag: f.etag, mtime: f.mtime };
}

// Files in a tar archive (ustar, with pax and GNU long names), by normalised path; each
// takes the archive's modification time.
function untar(archive) {
  const files = new Map();
  const bytes = archive.data._flat();
  const str = (at, n) => { let e = at; while (e < at + n && bytes[e]) e++; return __N.utf8Decode(bytes.subarray(at, e)); };
  const oct = (at, n) => { let x = 0; for (let i = at; i < at + n && bytes[i] >= 48 && bytes[i] <= 55; i++) x = x * 8 + bytes[i] - 48; return x; };
  let longName = null;
  for (let i = 0; i + 512 <= bytes.length;) {
    const type = String.fromCharCode(bytes[i + 156]);
    let name = str(i, 100);
    const size = oct(i + 124, 12);
    const body = bytes.subarray(i + 512, i + 512 + size);
    if (!name && type === '\0' && size === 0) { i += 512; continue; }
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(__N.utf8Decode(body));
      if (m) longName = m[1];
    } else if (type === 'L') {
      longName = str(i + 512, size);
    } else if (type === 'g') {
      // A global pax header: nothing here needs it.
    } else if (type === '0' || type === '\0' || type === '5') {
      if (longName !== null) { name = longName; longName = null; }
      else if (str(i + 257, 5) === 'ustar') {
        const prefix = str(i + 345, 155);
        if (prefix) name = (prefix.endsWith('/') ? prefix : prefix + '/') + name;
      }
      if (type === '0' || type === '\0') {
        const data = S.dataOf(body.slice());
        files.set(normalizePath(name).replace(/\/$/, '') || '/', { data, etag: __N.etag(body), mtime: archive.mtime });
      }
    } else {
      throw new Error('unsupported file type in tarball');
    }
    i += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

// A variant's etag: the raw file's with the encoding added, for bodies made here.
const etagWith = (etag, enc) => etag.slice(0, -1) + '-' + enc + '"';

class File {
  constructor(path) {
    path = String(path);
    let p = path;
    let raw = load(p), gz = load(p + '.gz'), br = load(p + '.br');
    if (!raw && !gz && !br) {
      if (!p.endsWith('/')) p += '/';
      p += 'index.html';
      raw = load(p); gz = load(p + '.gz'); br = load(p + '.br');
      if (!raw && !gz && !br) throw new Error('file not found: ' + path);
    }
    const name = p.substring(p.lastIndexOf('/') + 1);
    const dot = name.lastIndexOf('.');
    const ext = dot >= 0 ? name.substring(dot + 1) : '';
    Object.defineProperty(this, '_f', { value: { raw, gz, br } });
    this.path = path;
    this.name = name;
    this.extension = ext;
    this.contentType = DEFAULT_CONTENT_TYPES[ext.toLowerCase()] || OCTET_STREAM;
  }
  static from(path) { try { return new File(path); } catch (e) { return null; } }
  toMessage(acceptEncoding) {
    const enc = encodingsOf(acceptEncoding);
    const f = this._f;
    const head = enc => {
      const headers = { 'content-type': this.contentType };
      if (enc) headers['content-encoding'] = enc;
      return { status: 200, headers };
    };
    if (enc.br && f.br) return new Message(head('br'), f.br.data);
    if (enc.gzip && f.gz) return new Message(head('gzip'), f.gz.data);
    // Only compressed variants: the gzip one is unpacked (there is no brotli decoder here).
    if (!f.raw && f.gz) f.raw = { data: zlib.gunzip(f.gz.data) };
    if (!f.raw) return new Message({ status: 400 }, null);
    return new Message(head(null), f.raw.data);
  }
}

class Directory {
  constructor(path, options) {
    const o = options || {};
    this._root = String(path);
    this._tar = null;
    if (o.tarball) {
      const archive = load(this._root, o.fs);
      this._tar = archive ? untar(archive) : new Map();
    }
    this._fs = !!o.fs;
    this._index = Array.isArray(o.index) ? o.index.map(String) : (o.index ? [String(o.index)] : ['index', 'index.html']);
    this._typesFn = typeof o.contentTypes === 'function' ? o.contentTypes : null;
    this._types = o.contentTypes && typeof o.contentTypes === 'object' ? Object.assign({}, o.contentTypes) : DEFAULT_CONTENT_TYPES;
    this._defaultType = o.defaultContentType ? String(o.defaultContentType) : OCTET_STREAM;
    this._compression = typeof o.compression === 'function' ? o.compression : null;
    this._cache = new Map();
  }
  static get defaultContentTypes() { return Object.assign({}, DEFAULT_CONTENT_TYPES); }
  _load(p) {
    if (this._tar) return this._tar.get(normalizePath(p).replace(/\/$/, '') || '/') || null;
    return load(joinPath(this._root, p), this._fs);
  }
  serve(request) {
    const head = (request && request.head) || {};
    let path = head.path ? String(head.path) : '';
    const q = path.indexOf('?');
    if (q >= 0) path = path.substring(0, q);
    path = normalizePath(path);
    let f = this._cache.get(path);
    if (!f) {
      let p = path;
      let raw = this._load(p);
      if (!raw) {
        if (!p.endsWith('/')) p += '/';
        for (const name of this._index) {
          raw = this._load(p + name);
          if (raw) { p += name; break; }
        }
        if (!raw) return null;
      }
      f = { pathname: p, raw, gz: this._load(p + '.gz'), br: this._load(p + '.br'), contentType: null };
      const base = p.substring(p.lastIndexOf('/'));
      const dot = base.indexOf('.');
      const ext = dot >= 0 ? base.substring(dot + 1).toLowerCase() : '';
      if (this._typesFn) {
        const r = this._typesFn(request, p);
        if (r && typeof r === 'object') f.contentType = String(r[ext]);
        else if (r !== null && r !== undefined) f.contentType = String(r);
      }
      if (!f.contentType) f.contentType = this._types[ext] || this._defaultType;
      this._cache.set(path, f);
    }
    return this._respond(f, head);
  }
  _respond(f, head) {
    const enc = encodingsOf(headerOf(head, 'accept-encoding'));
    const headers = { 'content-type': f.contentType };
    let body = f.raw.data, etag = f.raw.etag;
    if (enc.br && f.br) {
      headers['content-encoding'] = 'br'; body = f.br.data; etag = f.br.etag;
    } else if (enc.gzip && f.gz) {
      headers['content-encoding'] = 'gzip'; body = f.gz.data; etag = f.gz.etag;
    } else if ((enc.gzip || enc.br) && this._compression) {
      const accepted = {};
      if (enc.gzip) accepted.gzip = true;
      if (enc.br) accepted.br = true;
      const r = this._compression(head, accepted, f.pathname, f.raw.data.size);
      if (r) {
        if (typeof r !== 'string') throw new TypeError('callback expected to return a string');
        if (r !== 'gzip') throw new Error('callback returned an unsupported compression algorithm');
        if (!f.made) f.made = zlib.gzip(f.raw.data);
        headers['content-encoding'] = 'gzip'; body = f.made; etag = etagWith(f.raw.etag, 'gzip');
      }
    }
    if (f.gz || f.br || this._compression) headers.vary = 'accept-encoding';
    headers.etag = etag;
    headers['last-modified'] = httpDate(f.raw.mtime);
    const inm = headerOf(head, 'if-none-match');
    const ims = headerOf(head, 'if-modified-since');
    let fresh = false;
    if (inm !== undefined) {
      fresh = String(inm).split(',').some(t => { t = t.trim(); return t === '*' || t === etag || t === 'W/' + etag; });
    } else if (ims !== undefined) {
      const since = Date.parse(String(ims));
      fresh = !Number.isNaN(since) && Math.floor(f.raw.mtime) <= since / 1000;
    }
    if (fresh) {
      delete headers['content-type'];
      delete headers['content-encoding'];
      return new Message({ status: 304, headers }, null);
    }
    return new Message({ status: 200, headers }, body);
  }
}

globalThis.http = globalThis.http || {};
globalThis.http.File = File;
globalThis.http.Directory = Directory;
