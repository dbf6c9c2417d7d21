//! Pipy's built-in globals beyond events: YAML, XML, URL, zlib, IP/Netmask, and friends.
//!
//! Each group starts one engine whose `serveHTTP` evaluates the request body as a script
//! expression and answers with the result (strings as they are, Data as bytes, anything else
//! as JSON), so every assertion is a real script computing on the real engine.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::*;

const EVALUATOR: &str = r#"
pipy().listen(PORT).serveHTTP(req => {
  try {
    const v = (0, eval)(req.body.toString());
    if (v instanceof Data) return new Message(v);
    return new Message(typeof v === 'string' ? v : JSON.stringify(v));
  } catch (e) {
    return new Message({ status: 500 }, 'ERR ' + e.message);
  }
})
"#;

/// An engine answering script expressions, with its codebase (for files the tests add).
struct Evaluator {
    port: u16,
    cb: Codebase,
    _engine: Engine,
}

impl Evaluator {
    fn start(name: &str) -> Evaluator {
        Self::start_with(name, |_| {}, &[])
    }

    fn start_with(name: &str, files: impl FnOnce(&Codebase), args: &[&str]) -> Evaluator {
        let cb = Codebase::new(name);
        let port = free_port();
        files(&cb);
        let main = cb.file("main.js", &EVALUATOR.replace("PORT", &port.to_string()));
        let engine = Engine::start_with(&main, &[port], args);
        Evaluator {
            port,
            cb,
            _engine: engine,
        }
    }

    /// The raw bytes the expression evaluated to.
    fn bytes(&self, expr: &str) -> Vec<u8> {
        let mut s = connect(self.port);
        let req = format!(
            "POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{expr}",
            expr.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let head_end = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head")
            + 4;
        out.split_off(head_end)
    }

    fn eval(&self, expr: &str) -> String {
        String::from_utf8(self.bytes(expr)).unwrap()
    }
}

#[test]
fn yaml_decodes_as_pipy_does_and_encodes() {
    let e = Evaluator::start("yaml");
    // Scalars stay the text they were written as; empty values are empty strings.
    assert_eq!(
        e.eval(r#"YAML.decode(new Data('a: 1\nb: [x, "y z"]\nc: true\nd:\n'))"#),
        r#"{"a":"1","b":["x","y z"],"c":"true","d":""}"#
    );
    // A string argument is taken too (Pipy wants Data).
    assert_eq!(e.eval(r#"YAML.decode('- 1\n- two')"#), r#"["1","two"]"#);
    // Anchors and aliases: the alias is the same object.
    assert_eq!(
        e.eval(
            r#"var y = YAML.decode('base: &b {host: h, port: 80}\nsvc:\n  - *b\n  - name: x\n'); [y.svc[0] === y.base, y]"#
        ),
        r#"[true,{"base":{"host":"h","port":"80"},"svc":[{"host":"h","port":"80"},{"name":"x"}]}]"#
    );
    // Block scalars: literal keeps line breaks, folded joins lines, strip/keep chomping.
    assert_eq!(
        e.eval(
            r#"YAML.decode('lit: |\n  one\n  two\nfold: >\n  one\n  two\nstrip: |-\n  x\nkeep: |+\n  y\n\nq: "a\\tb"\n')"#
        ),
        r#"{"lit":"one\ntwo\n","fold":"one two\n","strip":"x","keep":"y\n\n","q":"a\tb"}"#
    );
    // Several documents: the last one is the value, as in Pipy.
    assert_eq!(
        e.eval(r#"YAML.decode('a: 1\n---\nb: 2\n')"#),
        r#"{"b":"2"}"#
    );
    // A reviver sees (key, value, container).
    assert_eq!(
        e.eval(r#"YAML.parse('n: 42\ns: x', (k, v) => k === 'n' ? +v : v)"#),
        r#"{"n":42,"s":"x"}"#
    );
    // Syntax errors throw.
    assert!(e.eval(r#"YAML.decode('a: [')"#).starts_with("ERR YAML: "));
    assert_eq!(e.eval("YAML.decode(null)"), "null");
    // Encoding: block style, strings that read as other types are quoted, multi-line
    // strings as literal blocks.
    assert_eq!(
        e.eval(
            r#"YAML.encode({a: 1, b: '2', c: [1.5, 'x y', true, null], d: {e: 'one\ntwo'}, f: {}, g: []})"#
        ),
        "a: 1\nb: \"2\"\nc:\n  - 1.5\n  - x y\n  - true\n  - ~\nd:\n  e: |-\n    one\n    two\nf: {}\ng: []\n"
    );
    // What encode writes, decode reads back (as strings).
    assert_eq!(
        e.eval(r#"YAML.decode(YAML.encode({k: ['a: b', '#c', ' lead'], 'x y': 'ok'}))"#),
        r##"{"k":["a: b","#c"," lead"],"x y":"ok"}"##
    );
    assert_eq!(e.eval("typeof YAML.stringify(undefined)"), "undefined");
}

#[test]
fn url_and_search_params_have_pipys_shapes() {
    let e = Evaluator::start("url");
    let parts = "[u.href, u.protocol, u.auth, u.username, u.password, u.host, u.hostname, u.port, u.origin, u.pathname, u.search, u.query, u.path, u.hash]";
    assert_eq!(
        e.eval(&format!(
            "var u = new URL('https://user:pw@example.com:8443/p/a/t/h?q=1&x=a%20b&x=2#frag'); {parts}"
        )),
        r##"["https://user:pw@example.com:8443/p/a/t/h?q=1&x=a%20b&x=2#frag","https:","user:pw","user","pw","example.com:8443","example.com","8443","https://example.com:8443","/p/a/t/h","?q=1&x=a%20b&x=2","q=1&x=a%20b&x=2","/p/a/t/h?q=1&x=a%20b&x=2","#frag"]"##
    );
    // The port defaults from the protocol; a bare host gets the path '/'.
    assert_eq!(
        e.eval(&format!("var u = new URL('http://example.com'); {parts}")),
        r#"["http://example.com/","http:","","","","example.com","example.com","80","http://example.com","/","","","/",""]"#
    );
    // IPv6 hosts keep their brackets in hostname.
    assert_eq!(
        e.eval("var u = new URL('ws://[::1]:9000/chat'); [u.hostname, u.port, u.host, new URL('wss://[fe80::2]/').port, new URL('wss://[fe80::2]/').hostname]"),
        r#"["[::1]","9000","[::1]:9000","443","[fe80::2]"]"#
    );
    // Relative to a base.
    assert_eq!(
        e.eval("[new URL('c?d=1', 'http://h/a/b').href, new URL('/x', 'https://h:1/a/b').href, new URL('', 'http://h/a').href]"),
        r#"["http://h/a/c?d=1","https://h:1/x","http://h/a"]"#
    );
    // Search params: repeated keys, decoding (UTF-8, '+' kept), a key without '='.
    assert_eq!(
        e.eval("var p = new URL('http://h/?a=1&b=%E4%BD%A0&a=2&c&e=x+y').searchParams; [p.get('a'), p.getAll('a'), p.get('b'), p.get('c'), p.get('e'), p.get('none'), p.getAll('none'), p.toObject()]"),
        r#"["1",["1","2"],"你","","x+y",null,[],{"a":["1","2"],"b":"你","c":"","e":"x+y"}]"#
    );
    // set, append, delete, has, and toString's encoding.
    assert_eq!(
        e.eval("var p = new URLSearchParams('a=1&a=2'); p.append('b', 'x y&z/ü'); p.set('c', 3); p.set('l', ['1', 2]); p.set('a', null); [p.has('a'), p.has('b'), p.toString(), String(p)]"),
        r#"[false,true,"b=x%20y%26z%2F%C3%BC&c=3&l=1&l=2","b=x%20y%26z%2F%C3%BC&c=3&l=1&l=2"]"#
    );
    assert_eq!(
        e.eval("new URLSearchParams({k: 'v', n: 1, arr: ['x', 'y']}).toString()"),
        "k=v&n=1&arr=x&arr=y"
    );
    // URL.encode keeps the URL's punctuation; encodeComponent escapes it.
    assert_eq!(
        e.eval("[URL.encode('/a b?c=d&e=ü'), URL.encodeComponent('/a b?c=d'), URL.decode('%2Fa%20b'), URL.decodeComponent('%2Fa%20b')]"),
        r#"["/a%20b?c=d&e=%C3%BC","%2Fa%20b%3Fc%3Dd","%2Fa b","/a b"]"#
    );
}

#[test]
fn zlib_round_trips_and_reads_the_system_gzip() {
    let plain = "hello, hello, hello, sluice!\n".repeat(20);
    let gz = {
        let mut child = Command::new("gzip")
            .arg("-c")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("gzip runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(plain.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap().stdout
    };
    let e = Evaluator::start_with("zlib", |_| {}, &[]);
    let path = e.cb.dir.join("plain.gz");
    std::fs::write(&path, &gz).unwrap();
    // A gzip made by the system's gzip command.
    assert_eq!(
        e.eval(&format!(
            "zlib.gunzip(os.readFile('{}')).toString()",
            path.display()
        )),
        plain
    );
    // Round trips, and the deflate output is the zlib format (0x78 header).
    assert_eq!(
        e.eval("var d = new Data('abc'.repeat(100)); [zlib.gunzip(zlib.gzip(d)).toString() === d.toString(), zlib.inflate(zlib.deflate(d)).size, zlib.deflate(d).toArray()[0], zlib.gzip(d).toArray().slice(0, 2)]"),
        "[true,300,120,[31,139]]"
    );
    assert_eq!(
        e.eval("zlib.gzip(new Data()).size > 0 && zlib.gunzip(zlib.gzip(new Data())).size"),
        "0"
    );
    assert_eq!(
        e.eval("zlib.inflate(new Data('not zlib'))"),
        "ERR inflate() failed"
    );
    assert_eq!(e.eval("zlib.deflate(null)"), "null");
    // What zlib.gzip makes, the system's gzip reads.
    let ours = e.bytes("zlib.gzip(new Data('made by sluice\\n'))");
    let mut child = Command::new("gzip")
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip runs");
    child.stdin.take().unwrap().write_all(&ours).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"made by sluice\n");
}

#[test]
fn netmask_ip_and_endpoints() {
    let e = Evaluator::start("netaddr");
    let all = "[n.ip, n.version, n.bitmask, n.base, n.mask, n.hostmask, n.broadcast, n.size, n.first, n.last, String(n)]";
    assert_eq!(
        e.eval(&format!("var n = new Netmask('10.1.2.3/8'); {all}")),
        r#"["10.1.2.3",4,8,"10.0.0.0","255.0.0.0","0.255.255.255","10.255.255.255",16777216,"10.0.0.1","10.255.255.254","10.1.2.3/8"]"#
    );
    // Edge addresses of a range belong to it; the ones next to it do not.
    assert_eq!(
        e.eval("var n = new Netmask('192.168.1.0/24'); ['192.168.1.0', '192.168.1.255', '192.168.0.255', '192.168.2.0', 'fe80::1', 'junk'].map(a => n.contains(a))"),
        "[true,true,false,false,false,false]"
    );
    // /32 and /0.
    assert_eq!(
        e.eval(&format!("var n = new IPMask('1.2.3.4/32'); {all}")),
        r#"["1.2.3.4",4,32,"1.2.3.4","255.255.255.255","0.0.0.0","1.2.3.4",1,"1.2.3.4","1.2.3.4","1.2.3.4/32"]"#
    );
    assert_eq!(
        e.eval("var n = new Netmask('0.0.0.0/0'); [n.mask, n.size, n.contains('255.255.255.255')]"),
        r#"["0.0.0.0",4294967296,true]"#
    );
    // next() walks the hosts, then answers ''.
    assert_eq!(
        e.eval("var n = new Netmask('10.0.0.0/30'); [n.next(), n.next(), n.next(), n.next()]"),
        r#"["10.0.0.1","10.0.0.2","",""]"#
    );
    // IPv6.
    assert_eq!(
        e.eval(&format!("var n = new IPMask('2001:db8:abcd::1/48'); {all}.concat([n.contains('2001:db8:abcd:ffff::'), n.contains('2001:db8:abce::'), n.next()])")),
        r#"["2001:db8:abcd::1",6,48,"2001:db8:abcd::","ffff:ffff:ffff::","::ffff:ffff:ffff:ffff:ffff","2001:db8:abcd:ffff:ffff:ffff:ffff:ffff",1.2089258196146292e+24,"2001:db8:abcd::1","2001:db8:abcd:ffff:ffff:ffff:ffff:fffe","2001:db8:abcd::1/48",true,false,"2001:db8:abcd::1"]"#
    );
    // Bad notation throws.
    assert_eq!(
        e.eval("new Netmask('10.0.0.0/33')"),
        "ERR IPv4 CIDR mask out of range"
    );
    assert_eq!(
        e.eval("new Netmask('10.0.0/8')"),
        "ERR invalid CIDR notation"
    );
    // IP: text forms, bytes, decompose; the shortest IPv6 text.
    assert_eq!(
        e.eval("[String(new IP('2001:db8:0:0:1:0:0:1')), String(new IP('0:0:0:0:0:0:0:1')), String(new IP('fe80:0:0:0:0:0:0:0')), String(new IP('1:0:2:3:4:5:6:7')), new IP('::ffff:1.2.3.4').toString(), new IP('10.0.0.1').decompose(), new IP([192, 168, 0, 1]).toString(), new IP('::1').toBytes().length, new IP('1.2.3.4').version, IP.isV4('1.2.3.4'), IP.isV4('1.2.3'), IP.isV6('::'), IP.isV6('1.2.3.4')]"),
        r#"["2001:db8::1:0:0:1","::1","fe80::","1:0:2:3:4:5:6:7","::ffff:102:304",[10,0,0,1],"192.168.0.1",16,4,true,false,true,false]"#
    );
    assert_eq!(
        e.eval("new IP('1.2.3.256')"),
        "ERR invalid IP address notation"
    );
    // IPEndpoint: from 'host:port', from an IP and a port, and IPv6 in brackets.
    assert_eq!(
        e.eval("var a = new IPEndpoint('1.2.3.4:80'), b = new IPEndpoint(new IP('::1'), 53, 'udp'), c = new IPEndpoint('[fe80::1]:8080'); [String(a.ip), a.port, a.protocol, String(b), b.protocol, String(c.ip), c.port]"),
        r#"["1.2.3.4",80,"tcp","[::1]:53","udp","fe80::1",8080]"#
    );
}

#[test]
fn xml_decodes_to_pipys_nodes_and_encodes() {
    let e = Evaluator::start("xml");
    // The document node is nameless; elements without attributes have null attributes;
    // text is split at line breaks and entity references, as Pipy's parser splits it.
    assert_eq!(
        e.eval(r#"XML.decode(new Data('<?xml version="1.0"?>\n<!-- c -->\n<root a="1" b="x &amp; y">\n  <item/>\n  <t>a &lt; b&#65;</t>\n<![CDATA[<raw>]]></root>\n'))"#),
        r#"{"name":"","attributes":{},"children":[{"name":"root","attributes":{"a":"1","b":"x & y"},"children":["\n","  ",{"name":"item","attributes":null,"children":[]},"\n","  ",{"name":"t","attributes":null,"children":["a ","<"," b","A"]},"\n","<raw>"]}]}"#
    );
    // Nodes are XML.Node instances with read-only fields.
    assert_eq!(
        e.eval("var d = XML.parse('<a x=\"1\"><b>t</b></a>'); [d instanceof XML.Node, d.children[0].name, d.children[0].attributes.x, d.children[0].children[0].children[0]]"),
        r#"[true,"a","1","t"]"#
    );
    // Malformed documents give null.
    assert_eq!(
        e.eval("[XML.parse('<a><b></a>'), XML.parse('<a/><b/>'), XML.parse('text'), XML.parse('<a>&bogus;</a>')]"),
        "[null,null,null,null]"
    );
    // Encoding: self-closing empty elements, text with <>& as CDATA, indentation.
    let doc = "new XML.Node('', {}, [new XML.Node('a', {x: 1, y: 'z'}, [new XML.Node('b', null, ['t']), new XML.Node('c'), new XML.Node('d', null, ['x<y]]>z']), 'tail'])])";
    assert_eq!(
        e.eval(&format!("XML.stringify({doc})")),
        r#"<a x="1" y="z"><b>t</b><c/><d><![CDATA[x<y]]]]><![CDATA[>z]]></d>tail</a>"#
    );
    assert_eq!(
        e.eval(&format!("XML.encode({doc}, 2)")),
        "<a x=\"1\" y=\"z\">\n  <b>t</b>\n  <c/>\n  <d><![CDATA[x<y]]]]><![CDATA[>z]]></d>\n  tail\n</a>\n"
    );
    // Decode, then encode gives the same document back.
    assert_eq!(
        e.eval(r#"XML.stringify(XML.parse('<r k="v" q="a &amp; &quot;b&quot; &lt; c"><i>1</i><i>2</i><e/></r>'))"#),
        r#"<r k="v" q="a &amp; &quot;b&quot; &lt; c"><i>1</i><i>2</i><e/></r>"#
    );
    // A document node must hold exactly one element.
    assert_eq!(e.eval("XML.stringify(new XML.Node('', {}, []))"), "");
}

/// Sends one request with `connection: close` and returns the whole response.
fn get(port: u16, path: &str, headers: &str) -> String {
    let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\n{headers}connection: close\r\n\r\n");
    String::from_utf8_lossy(&roundtrip(port, req.as_bytes())).into_owned()
}

#[test]
fn http_directory_and_file_serve_static_files() {
    let cb = Codebase::new("static");
    let port = free_port();
    let file_port = free_port();
    cb.file("www/index.html", "<h1>hi</h1>\n");
    cb.file("www/style.css", "body{}\n");
    cb.file("www/docs/index.html", "docs\n");
    cb.file("www/data.bin", "\x01\x02");
    let js = "console.log('a long enough script');\n".repeat(4);
    cb.file("www/app.js", &js);
    let gz = Command::new("gzip")
        .args(["-k", "-n"])
        .arg(cb.dir.join("www/app.js"))
        .status()
        .expect("gzip runs");
    assert!(gz.success());
    // Only a compressed variant of this one.
    std::fs::copy(cb.dir.join("www/app.js.gz"), cb.dir.join("www/only.js.gz")).unwrap();
    // A fixed modification time makes last-modified exact: 2024-01-02 03:04:05 UTC.
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_164_645);
    for f in [
        "index.html",
        "style.css",
        "docs/index.html",
        "data.bin",
        "app.js",
        "app.js.gz",
    ] {
        std::fs::File::options()
            .write(true)
            .open(cb.dir.join("www").join(f))
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
    // The same folder as a tar archive (ustar: a long name goes into the prefix field).
    cb.file(
        "www/a-folder-with-a-rather-long-name/and-another-one-inside-it/and-a-file-whose-name-is-long.txt",
        "deep\n",
    );
    let tar = Command::new("tar")
        .args(["--format=ustar", "-cf"])
        .arg(cb.dir.join("site.tar"))
        .arg("-C")
        .arg(cb.dir.join("www"))
        .arg(".")
        .status()
        .expect("tar runs");
    assert!(tar.success());
    let main = cb.file(
        "main.js",
        &format!(
            r#"var dir = new http.Directory('/www');
var tar = new http.Directory('/site.tar', {{ tarball: true }});
var packed = new http.Directory('/www', {{ compression: (head, accepted, path, size) => accepted.gzip && size > 3 ? 'gzip' : null }});
var typed = new http.Directory('/www', {{ index: ['none.html', 'index.html'], contentTypes: {{ css: 'text/x-css' }}, defaultContentType: 'text/plain' }});
pipy()
.listen({port}).serveHTTP(req => (req.head.path.startsWith('/packed/') ? packed.serve(new Message({{ path: req.head.path.substring(7), headers: req.head.headers }})) : req.head.path.startsWith('/tar/') ? tar.serve(new Message({{ path: req.head.path.substring(4), headers: req.head.headers }})) : req.head.path.startsWith('/typed/') ? typed.serve(new Message({{ path: req.head.path.substring(6), headers: req.head.headers }})) : dir.serve(req)) || new Message({{ status: 404 }}, 'not found'))
.listen({file_port}).serveHTTP(req => {{ const f = http.File.from(req.head.path); return f ? f.toMessage(req.head.headers['accept-encoding'] || '') : new Message({{ status: 404 }}, 'no file'); }})
"#
        ),
    );
    let _e = Engine::start(&main, &[port, file_port]);
    let lm = "last-modified: Tue, 02 Jan 2024 03:04:05 GMT\r\n";

    // The index of the root, with its validators.
    let r = get(port, "/", "");
    let etag = r
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("an etag")
        .to_string();
    assert_eq!(
        r,
        format!("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\netag: {etag}\r\n{lm}content-length: 12\r\nconnection: close\r\n\r\n<h1>hi</h1>\n")
    );
    // The same file under its name, a folder's index, a query ignored.
    assert!(get(port, "/index.html?x=1", "").ends_with("\r\n\r\n<h1>hi</h1>\n"));
    assert!(get(port, "/docs", "").ends_with("\r\n\r\ndocs\n"));
    assert!(get(port, "/docs/", "").contains("content-type: text/html\r\n"));
    // Revalidation: 304 without a body for a matching If-None-Match or a recent enough
    // If-Modified-Since; 200 otherwise.
    assert_eq!(
        get(port, "/", &format!("if-none-match: \"x\", {etag}\r\n")),
        format!("HTTP/1.1 304 Not Modified\r\netag: {etag}\r\n{lm}connection: close\r\n\r\n")
    );
    assert!(get(port, "/", "if-none-match: \"other\"\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(get(
        port,
        "/",
        "if-modified-since: Tue, 02 Jan 2024 03:04:05 GMT\r\n"
    )
    .starts_with("HTTP/1.1 304 Not Modified\r\n"));
    assert!(get(
        port,
        "/",
        "if-modified-since: Tue, 02 Jan 2024 03:04:04 GMT\r\n"
    )
    .starts_with("HTTP/1.1 200 OK\r\n"));
    // The precompressed variant goes to a client that takes gzip, the plain file to others.
    let gz_bytes = std::fs::read(cb.dir.join("www/app.js.gz")).unwrap();
    let r = get(port, "/app.js", "accept-encoding: br;q=0, gzip\r\n");
    assert!(r.starts_with("HTTP/1.1 200 OK\r\ncontent-type: application/javascript\r\ncontent-encoding: gzip\r\nvary: accept-encoding\r\n"), "{r}");
    assert!(r.contains(&format!("content-length: {}\r\n", gz_bytes.len())));
    let r = get(port, "/app.js", "");
    assert!(r.ends_with(&format!("\r\n\r\n{js}")));
    assert!(!r.contains("content-encoding"));
    // Content types: defaults, unknown, and a Directory's own table and fallback.
    assert!(get(port, "/style.css", "").contains("content-type: text/css\r\n"));
    assert!(get(port, "/data.bin", "").contains("content-type: application/octet-stream\r\n"));
    assert!(get(port, "/typed/style.css", "").contains("content-type: text/x-css\r\n"));
    assert!(get(port, "/typed/app.js", "").contains("content-type: text/plain\r\n"));
    assert!(get(port, "/typed/", "").ends_with("\r\n\r\n<h1>hi</h1>\n"));
    // Nothing outside the folder, nothing missing.
    assert!(get(port, "/../main.js", "").starts_with("HTTP/1.1 404 Not Found\r\n"));
    assert!(get(port, "/nope.html", "").starts_with("HTTP/1.1 404 Not Found\r\n"));

    // From the tar archive: the index, a precompressed variant, a long path, 304.
    let r = get(port, "/tar/", "");
    assert!(
        r.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n"),
        "{r}"
    );
    // Same bytes, same etag; the archive's modification time.
    assert!(r.contains(&format!("etag: {etag}\r\nlast-modified: ")));
    assert!(r.ends_with("content-length: 12\r\nconnection: close\r\n\r\n<h1>hi</h1>\n"));
    assert!(get(port, "/tar/app.js", "accept-encoding: gzip\r\n")
        .contains("content-encoding: gzip\r\n"));
    assert!(get(port, "/tar/a-folder-with-a-rather-long-name/and-another-one-inside-it/and-a-file-whose-name-is-long.txt", "").ends_with("\r\n\r\ndeep\n"));
    assert!(get(port, "/tar/", &format!("if-none-match: {etag}\r\n"))
        .starts_with("HTTP/1.1 304 Not Modified\r\n"));
    assert!(get(port, "/tar/missing", "").starts_with("HTTP/1.1 404 Not Found\r\n"));

    // The compression callback: gzip made on the fly for a client that takes it.
    let r = raw_exchange(
        port,
        b"GET /packed/style.css HTTP/1.1\r\nhost: x\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n",
        10,
    )
    .0;
    let head_end = r.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&r[..head_end]).into_owned();
    assert!(
        head.contains("content-encoding: gzip\r\nvary: accept-encoding\r\n"),
        "{head}"
    );
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&r[head_end..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, "body{}\n");
    assert!(!get(port, "/packed/style.css", "").contains("content-encoding"));

    // http.File: the file, its .gz for gzip clients, index.html for a folder, and a
    // decompressed body when only the .gz exists.
    assert_eq!(
        get(file_port, "/www/style.css", ""),
        "HTTP/1.1 200 OK\r\ncontent-type: text/css\r\ncontent-length: 7\r\nconnection: close\r\n\r\nbody{}\n"
    );
    assert!(get(file_port, "/www/app.js", "accept-encoding: gzip\r\n")
        .contains("content-encoding: gzip\r\n"));
    assert!(get(file_port, "/www/docs", "").ends_with("\r\n\r\ndocs\n"));
    assert!(get(file_port, "/www/only.js", "").ends_with(&format!("\r\n\r\n{js}")));
    assert!(get(file_port, "/www/missing", "").ends_with("no file"));
}

#[test]
fn c_structs_encode_and_decode_with_c_layouts() {
    let e = Evaluator::start("cstruct");
    let decl = "var s = new CStruct({a: 'uint8', b: 'uint32', c: 'int16[2]', d: 'char[5]', e: new CStruct({x: 'uint8', y: 'uint16'}), f: 'double', g: 'int64'});";
    // Each field aligned on its element size; a nested struct on its own size, taking a
    // multiple of 4; little-endian numbers; a char array zero-padded.
    assert_eq!(
        e.eval(&format!("{decl} var r = s.reflect(); [s.size, Object.keys(r).map(k => [k, r[k].offset, r[k].size, r[k].count])]")),
        r#"[40,[["a",0,1,1],["b",4,4,1],["c",8,2,2],["d",12,1,5],["e",20,4,1],["f",24,8,1],["g",32,8,1]]]"#
    );
    assert_eq!(
        e.eval(&format!("{decl} s.encode({{a: 1, b: 0x01020304, c: [-1, 2], d: 'hi', e: {{x: 9, y: 258}}, f: 1.5, g: -2}}).toString('hex')")),
        "0100000004030201ffff0200686900000000000009000201000000000000f83ffeffffffffffffff"
    );
    // Decoding reads numbers back with their signedness, cuts strings at the field's length.
    assert_eq!(
        e.eval(&format!("{decl} s.decode(s.encode({{a: 255, b: 4294967295, c: [-1, 2], d: 'hello world', e: {{x: 9, y: 258}}, f: 1.5, g: -2}}))")),
        r#"{"a":255,"b":4294967295,"c":[-1,2],"d":"hello","e":{"x":9,"y":258},"f":1.5,"g":-2}"#
    );
    // Short input decodes as if zero-filled; missing values encode as zeros.
    assert_eq!(
        e.eval("var t = new CStruct({a: 'int8', b: 'uint16', n: 'char[3]'}); [t.size, t.decode(new Data([255, 0, 1, 0, 0x61])), t.encode({}).toString('hex')]"),
        r#"[7,{"a":-1,"b":1,"n":"a"},"00000000000000"]"#
    );
    // A union overlays its fields; an anonymous union's fields sit in the struct.
    assert_eq!(
        e.eval("var u = new CUnion({i: 'uint32', b: 'uint8[4]', f: 'float'}); [u.size, u.encode({i: 0x3f800000}).toString('hex'), u.decode(new Data([0, 0, 128, 63]))]"),
        r#"[4,"0000803f",{"i":1065353216,"b":[0,0,128,63],"f":1}]"#
    );
    assert_eq!(
        e.eval("var s2 = new CStruct({'0': new CUnion({i: 'int32', s: 'char[6]'}), tag: 'uint8'}); [s2.size, s2.encode({s: 'abc', tag: 7}).toString('hex'), s2.decode(new Data([1, 0, 0, 0, 0, 0, 9])).i]"),
        r#"[7,"61626300000007",1]"#
    );
    // Declaration errors.
    assert_eq!(
        e.eval("new CStruct({a: 'int128'})"),
        "ERR unknown type name: int128"
    );
    assert_eq!(
        e.eval("new CStruct({a: 'int8[2'})"),
        "ERR closing bracket expected"
    );
    assert_eq!(
        e.eval("new CStruct({'1': 'int8'})"),
        "ERR anonymous field of non-union type is not allowed: 1"
    );
    // CString holds bytes.
    assert_eq!(
        e.eval("var c = new CString('héllo'); [c.size, c.data.toString(), new CString(new Data([104, 105])).size]"),
        r#"[6,"héllo",2]"#
    );
}

#[test]
fn percentile_and_the_unified_load_balancer() {
    let e = Evaluator::start("algo");
    // Buckets [1, 2, 5, 10, 100] with samples 1..100: interpolated inside the bucket.
    assert_eq!(
        e.eval("var p = new algo.Percentile([1, 2, 5, 10, 100]); for (var i = 1; i <= 100; i++) p.observe(i); p.observe(1000); var r = [p.calculate(50), p.calculate(90), p.calculate(95), p.calculate(100), p.calculate(0)]; p.reset(); p.observe(3); r.concat([p.calculate(100)])"),
        "[50,90,95,100,0,5]"
    );
    // Round robin follows the weights; a key picks its target; a validator skips targets.
    assert_eq!(
        e.eval("new algo.LoadBalancer(['a', 'b', 'c']).schedule(7)"),
        r#"["a","b","c","a","b","c","a"]"#
    );
    assert_eq!(
        e.eval("new algo.LoadBalancer(['a', 'b'], {weight: t => t === 'a' ? 2 : 1}).schedule(6)"),
        r#"["a","b","a","a","b","a"]"#
    );
    assert_eq!(
        e.eval("var lb = new algo.LoadBalancer([{host: 'x'}, {host: 'y'}], {key: t => t.host}); [lb.allocate('y').target.host, lb.allocate(undefined, t => t.host === 'y').target.host, lb.allocate(null, () => false)]"),
        r#"["y","y",null]"#
    );
    // Least load: a freed resource gives its target's load back.
    assert_eq!(
        e.eval("var lb = new algo.LoadBalancer(['a', 'b'], {algorithm: 'least-load'}); var r1 = lb.allocate(), r2 = lb.allocate(), r3 = lb.allocate(); r1.free(); r3.free(); [r1.target, r2.target, r3.target, lb.allocate().target]"),
        r#"["a","b","a","a"]"#
    );
    // Capacity: at most that many resources per target, shared by load.
    assert_eq!(
        e.eval("var lb = new algo.LoadBalancer(['a'], {capacity: 2}); var r1 = lb.allocate(), r2 = lb.allocate(), r3 = lb.allocate(); [r1 === r2, r1 === r3 || r2 === r3]"),
        "[false,true]"
    );
    // provision replaces the targets.
    assert_eq!(
        e.eval("var lb = new algo.LoadBalancer(['a']); lb.provision(['b', 'c']); lb.schedule(3)"),
        r#"["b","c","b"]"#
    );
    // The older balancers are still there.
    assert_eq!(
        e.eval("new algo.RoundRobinLoadBalancer(['a', 'b']).select()"),
        "a"
    );
}

#[test]
fn shared_map_is_shared_by_worker_threads() {
    let e = Evaluator::start_with("shared", |_| {}, &["--threads", "2"]);
    let expr = "var m = new algo.SharedMap('hits'); m.has('n') || m.set('n', 0); [__thread.id, m.add('n', 1)]";
    let mut threads = std::collections::BTreeSet::new();
    let mut counts = Vec::new();
    // Connections spread over the workers by the kernel: ask until both have answered.
    for i in 0..400 {
        if i >= 50 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let r = e.eval(expr);
        let v: Vec<f64> = r
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|x| x.parse().unwrap())
            .collect();
        threads.insert(v[0] as i64);
        counts.push(v[1] as i64);
        if threads.len() == 2 && counts.len() >= 4 {
            break;
        }
    }
    assert_eq!(threads.len(), 2, "both workers answered");
    // One counter for both threads: 1, 2, 3, ... whichever thread answered.
    assert_eq!(counts, (1..=counts.len() as i64).collect::<Vec<_>>());
    assert_eq!(
        e.eval("var m = new algo.SharedMap('x'); m.set('o', {a: [1, 'b']}); m.set('s', 'str'); [m.get('o'), m.get('s'), m.get('none'), m.add('s', 1), m.sub('n', 0), m.size, m.delete('s'), m.has('s'), m.size]"),
        r#"[{"a":[1,"b"]},"str",null,null,null,2,true,false,1]"#
    );
}

#[test]
fn print_and_println_write_to_standard_output() {
    let cb = Codebase::new("print");
    let main = cb.file(
        "main.js",
        "print('a', 1, {x: 'y'}, [1, 'z'], new Data('hi'));\nprintln(' then', null, undefined, true);\nprintln();\nprintln('end');\npipy.exit(0);\n",
    );
    let (code, out, _) = run_to_end(&[main.to_str().unwrap()], &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "a 1 { x: \"y\" } [ 1, \"z\" ] Data[ 68 69 ] then null undefined true\n\nend\n"
    );
}

#[test]
fn invoke_repeat_and_branch_work_as_pipys_global_functions() {
    let e = Evaluator::start("control-flow");
    assert_eq!(
        e.eval(
            "[invoke(() => 1, 'x'), invoke(() => { throw new Error('boom') }, m => 'caught ' + m),
              invoke(() => { throw new Error('boom') }, 'fallback')]"
        ),
        r#"[1,"caught boom","fallback"]"#
    );
    assert_eq!(
        e.eval(
            "var seen = [];
             [repeat(i => i === 3 ? 'stop at ' + i : undefined),
              repeat(5, i => { seen.push(i) }),
              repeat(['a', 'b', 'c'], (v, i) => v === 'b' ? v + i : undefined), seen]"
        ),
        r#"["stop at 3",null,"b1",[0,1,2,3,4]]"#
    );
    assert_eq!(
        e.eval(
            "[branch(false, 1, () => true, () => 'second'), branch(0, 'a', 'otherwise'),
              branch(false, 'a', false, 'b')]"
        ),
        r#"["second","otherwise",null]"#
    );
    assert!(e
        .eval("repeat('x', () => 1)")
        .starts_with("ERR repeat(): expects"));
}

#[test]
fn sqlite_databases_as_pipy_scripts_use_them() {
    let e = Evaluator::start("sqlite");
    let db = e.cb.dir.join("todo.db");
    let open = format!("var db = sqlite('{}');", db.display());
    // The webapp sample's calls: exec() for schema and text rows, sql().bind().exec() for
    // typed rows, step()/row()/column() to walk them.
    assert_eq!(
        e.eval(&format!(
            "{open}
             db.exec('CREATE TABLE todos (id INTEGER PRIMARY KEY, content TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0, blob BLOB)');
             db.sql('INSERT INTO todos (content, blob) VALUES (?, ?)').bind(1, 'milk').bind(2, new Data('ab')).exec();
             db.sql('INSERT INTO todos (content, done) VALUES (?, ?)').bind(1, 'bread').bind(2, true).exec();
             var typed = db.sql('SELECT id, content, done FROM todos WHERE id = ?').bind(1, 2).exec();
             var text = db.exec('SELECT id, content, done FROM todos ORDER BY id');
             var s = db.sql('SELECT content, blob FROM todos ORDER BY id'), walked = [];
             while (!s.step()) walked.push(s.column(0) + ':' + (s.row().blob ? s.row().blob.toString() : null));
             db.close();
             [typed, text, walked]"
        )),
        r#"[[{"id":2,"content":"bread","done":1}],[{"id":"1","content":"milk","done":"0"},{"id":"2","content":"bread","done":"1"}],["milk:ab","bread:null"]]"#
    );
    // Errors are SQLite's words; a closed database says so; the file stays for the next open.
    assert_eq!(
        e.eval(&format!(
            "{open} var out = [];
             try {{ db.exec('SELEC 1') }} catch (err) {{ out.push(err.message.startsWith('SQLite error: near \"SELEC\"')) }}
             out.push(db.exec('SELECT count(*) AS n FROM todos')[0].n);
             db.close();
             try {{ db.sql('SELECT 1') }} catch (err) {{ out.push(err.message) }}
             out"
        )),
        r#"[true,"2","Database is closed"]"#
    );
}
