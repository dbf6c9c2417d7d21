// The `os` global as Pipy 1.5 has it (docs/reference/api.md): environment, platform, files,
// folders, processes and path helpers. Paths are the file system's, relative to the working
// directory; the natives are in script/os.rs.
'use strict';

const __N = globalThis.__native;
const S = globalThis.__sluice;
const N = __N.os;

const str = (v, what) => {
  if (typeof v !== 'string') throw new TypeError(`${what}: the path must be a string`);
  return v;
};
const bytesOf = (v, what) => {
  if (v instanceof Data) return v._flat();
  if (typeof v === 'string') return __N.utf8Encode(v);
  throw new TypeError(`${what}: the content must be a Data or a string`);
};

// A file's details from os.stat() (times in seconds since the epoch).
class Stats {
  constructor(s) {
    for (const k of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks']) this[k] = s[k];
    this.atime = s.atime; this.mtime = s.mtime; this.ctime = s.ctime;
    Object.defineProperty(this, '_type', { value: s.type });
  }
  isFile() { return this._type === 'file'; }
  isDirectory() { return this._type === 'directory'; }
  isCharacterDevice() { return this._type === 'char'; }
  isBlockDevice() { return this._type === 'block'; }
  isFIFO() { return this._type === 'fifo'; }
  isSymbolicLink() { return this._type === 'symlink'; }
  isSocket() { return this._type === 'socket'; }
}

// Resolves '.' and '..' and repeated slashes; the result always starts with '/', as Pipy's.
const normalize = p => {
  const out = [];
  for (const part of String(p).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop(); else out.push(part);
  }
  return '/' + out.join('/');
};
const join2 = (base, p) => {
  if (base.endsWith('/')) return p.startsWith('/') ? base + p.slice(1) : base + p;
  return p.startsWith('/') ? base + p : base + '/' + p;
};
const abspath = p => {
  p = String(p);
  if (p === '') return p;
  return normalize(p.startsWith('/') ? p : N.cwd() + '/' + p);
};

const path = {
  basename(p, suffix) {
    const s = String(p);
    const name = s.slice(s.lastIndexOf('/') + 1);
    return typeof suffix === 'string' && suffix && name.endsWith(suffix) ? name.slice(0, name.length - suffix.length) : name;
  },
  dirname(p) {
    const s = String(p);
    const i = s.lastIndexOf('/');
    return i < 0 ? '' : s.slice(0, i);
  },
  join(...parts) {
    if (parts.length === 0) return '.';
    let p = '';
    for (const x of parts.map(String)) if (x) p = p ? join2(p, x) : x;
    return p;
  },
  resolve(...parts) {
    let p = '';
    for (const x of parts.map(String)) if (x) p = (!p || x.startsWith('/')) ? x : join2(p, x);
    return abspath(p || '.');
  },
  normalize: p => normalize(p),
};

const platform = __N.platform === 'macos' ? 'darwin' : __N.platform;

const opt = (o, k) => !!(o && o[k]);

globalThis.os = {
  env: __N.env,
  platform,
  path,
  home: () => N.home(),
  chdir: p => N.chdir(str(p, 'os.chdir()')),
  abspath: p => abspath(str(p, 'os.abspath()')),
  stat: p => { const s = N.stat(str(p, 'os.stat()')); return s ? new Stats(s) : null; },
  list: p => N.list(str(p, 'os.list()')),
  readDir: p => N.list(str(p, 'os.readDir()')),
  read: p => S.dataOf(N.read(str(p, 'os.read()'))),
  write: (p, d) => N.write(str(p, 'os.write()'), bytesOf(d, 'os.write()')),
  readFile: p => {
    try { return S.dataOf(N.read(str(p, 'os.readFile()'))); }
    catch (e) { __N.log(3, e.message); return null; }
  },
  writeFile: (p, d) => {
    const b = bytesOf(d, 'os.writeFile()');
    try { N.write(str(p, 'os.writeFile()'), b); } catch (e) { __N.log(3, e.message); }
  },
  rename: (a, b) => N.rename(str(a, 'os.rename()'), str(b, 'os.rename()')),
  unlink: p => N.unlink(str(p, 'os.unlink()')),
  mkdir: (p, o) => N.mkdir(str(p, 'os.mkdir()'), opt(o, 'recursive')),
  rmdir: (p, o) => N.rmdir(str(p, 'os.rmdir()'), opt(o, 'recursive'), opt(o, 'force')),
  rm: (p, o) => N.rm(str(p, 'os.rm()'), opt(o, 'recursive'), opt(o, 'force')),
  kill: (pid, sig) => N.kill(pid | 0, sig === undefined ? 0 : sig | 0),
};
os.Stats = Stats;
