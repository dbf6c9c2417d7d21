// YAML, XML and zlib (docs/reference/api.md), as Pipy 1.5 has them. Parsing and compression are
// natives (script/formats.rs); this file shapes what scripts see.
'use strict';

const __N = globalThis.__native;
const S = globalThis.__sluice;

const textOf = (x, who) => {
  if (x instanceof Data) return x.toString();
  if (typeof x === 'string') return x;
  throw new TypeError(`${who}: argument #1 expects an instance of Data or a string`);
};
const bytesOf = (x, who) => {
  if (x instanceof Data) return x._flat();
  if (typeof x === 'string') return __N.utf8Encode(x);
  throw new TypeError(`${who}: argument #1 expects an instance of Data`);
};

// Reviver/replacer walk, as JSON's: fn(key, value, container) bottom-up.
function revive(holder, key, fn) {
  const v = holder[key];
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      const r = revive(v, k, fn);
      if (r === undefined) delete v[k]; else v[k] = r;
    }
  }
  return fn(key, v, holder);
}
const withReviver = (v, fn) => (typeof fn === 'function' ? revive({ '': v }, '', fn) : v);
const replaced = (v, fn) => (typeof fn === 'function' ? JSON.parse(JSON.stringify(v, function (k, x) { return fn(k, x, this); })) : v);

// YAML: every scalar is the string it was written as (Pipy does not resolve types); an
// alias is the anchored value itself. encode/stringify write block-style YAML.
globalThis.YAML = {
  parse(text, reviver) { return withReviver(__N.yamlDecode(String(text)), reviver); },
  decode(data, reviver) {
    if (data === null || data === undefined) return null;
    return withReviver(__N.yamlDecode(textOf(data, 'YAML.decode')), reviver);
  },
  stringify(v, replacer) {
    if (v === undefined) return undefined;
    const plain = JSON.parse(JSON.stringify(replaced(v, replacer)) ?? 'null');
    return __N.yamlEncode(plain);
  },
  encode(v, replacer) {
    if (v === undefined) return undefined;
    return new Data(YAML.stringify(v, replacer));
  },
};

// XML: a document is a nameless node whose only child is the root element; an element has
// `name`, `attributes` (null when it has none) and `children` (nodes and text strings).
(function () {
  class Node {
    constructor(name, attributes, children) {
      if (name === undefined) throw new TypeError('XML.Node: argument #1 expects a string');
      this._name = name === null ? null : String(name);
      this._attributes = attributes === undefined ? null : attributes;
      this._children = children === undefined ? null : children;
    }
    get name() { return this._name; }
    get attributes() { return this._attributes; }
    get children() { return this._children; }
    toJSON() { return { name: this._name, attributes: this._attributes, children: this._children }; }
  }
  const nodeOf = a => new Node(a[0], a[1], a[2].map(c => (typeof c === 'string' ? c : nodeOf(c))));

  const escaped = /[<>&]/;
  const ATTR_ESCAPES = { '&': '&amp;', '<': '&lt;', '"': '&quot;' };
  function text(v, out) {
    const s = String(v);
    if (!escaped.test(s)) { out.push(s); return; }
    // Pipy writes such text as CDATA, split where the text itself holds ']]>'.
    let i = 0;
    while (i < s.length) {
      let j = s.indexOf(']]>', i);
      j = j < 0 ? s.length : j + 2;
      out.push('<![CDATA[', s.substring(i, j), ']]>');
      i = j;
    }
  }
  function write(node, level, space, out) {
    if (node.name === null || node.name === undefined) return;
    const pad = ' '.repeat(space * level);
    if (space) out.push(pad);
    out.push('<', node.name);
    const attrs = node.attributes;
    // Pipy writes attribute values raw; '&', '<' and '"' are escaped here so the output
    // stays well-formed (and reads back the same).
    if (attrs) for (const k of Object.keys(attrs)) out.push(' ', k, '="', String(attrs[k]).replace(/[&<"]/g, c => ATTR_ESCAPES[c]), '"');
    const children = node.children;
    let closed = false, isText = false;
    if (children) {
      if (children.length === 1 && !(children[0] instanceof Node)) {
        out.push('>'); text(children[0], out); closed = isText = true;
      } else if (children.length > 0) {
        out.push('>'); if (space) out.push('\n');
        closed = true;
        const inner = ' '.repeat(space * level + space);
        for (const c of children) {
          if (c instanceof Node) write(c, level + 1, space, out);
          else { if (space) out.push(inner); text(c, out); if (space) out.push('\n'); }
        }
      }
    }
    if (closed) {
      if (space && !isText) out.push(pad);
      out.push('</', node.name, '>');
    } else {
      out.push('/>');
    }
    if (space) out.push('\n');
  }
  function stringify(doc, space) {
    if (!(doc instanceof Node)) throw new TypeError('XML: argument #1 expects an instance of XML.Node');
    const c = doc.children;
    if (!c || c.length !== 1 || !(c[0] instanceof Node)) return '';
    space = Math.max(0, Math.min(10, space | 0));
    const out = [];
    write(c[0], 0, space, out);
    return out.join('');
  }
  globalThis.XML = {
    Node,
    parse(text) { const a = __N.xmlDecode(__N.utf8Encode(String(text))); return a ? nodeOf(a) : null; },
    decode(data) {
      if (data === null || data === undefined) return null;
      const a = __N.xmlDecode(bytesOf(data, 'XML.decode'));
      return a ? nodeOf(a) : null;
    },
    stringify,
    encode(doc, space) {
      if (doc === null || doc === undefined) return null;
      return new Data(stringify(doc, space));
    },
  };
})();

// zlib: Data in, Data out; deflate/inflate use the zlib format, gzip/gunzip the gzip one.
(function () {
  const op = (n, name) => data => {
    if (data === null || data === undefined) return null;
    return S.dataOf(__N.zlib(n, bytesOf(data, 'zlib.' + name)));
  };
  globalThis.zlib = {
    deflate: op(0, 'deflate'),
    inflate: op(1, 'inflate'),
    gzip: op(2, 'gzip'),
    gunzip: op(3, 'gunzip'),
  };
})();

// RESP (Redis): RESP.encode(value) gives the bytes of one value; RESP.decode(data) gives an
// array of every whole value in the bytes (script/codecs.rs, codec/resp.rs).
globalThis.RESP = {
  encode: v => S.dataOf(__N.respEncode(v)),
  decode: data => {
    if (data === null || data === undefined) return null;
    return __N.respDecode(bytesOf(data, 'RESP.decode'));
  },
};
