//! The `algo` toolkit, run inside the real engine.

mod common;

use common::*;

fn run_task(name: &str, body: &str) -> String {
    let cb = Codebase::new(name);
    let script = cb.file(
        "main.js",
        &format!("pipy()\n.task()\n  .handleStreamStart(() => {{\n{body}\n  }})\n"),
    );
    let e = Engine::start(&script, &[]);
    let log = e.wait_log("RESULT ", 10);
    log.lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r.to_string()))
        .unwrap()
}

#[test]
fn url_router_matches_hosts_prefixes_and_exact_paths() {
    let r = run_task(
        "router",
        r#"var r = new algo.URLRouter({
      '/hi/*': 'hi', '/echo': 'echo', '/': 'root',
      'a.com/api/*': 'a-api', '*.b.com/*': 'any-b', 'x.com/api/v1/*': 'v1', 'x.com/api/*': 'api',
    });
    console.log('RESULT ' + [
      r.find('/hi'), r.find('/hi/'), r.find('/hi/x/y'), r.find('/hiya'), r.find('/echo?x=1'),
      r.find('/echo/more'), r.find('a.com:8080', '/api/z'), r.find('www.b.com', '/q'),
      r.find('x.com', '/api/v1/z'), r.find('x.com', '/api/v2'), r.find('c.com', '/hi/1'), r.find('/nothing'),
    ].join(','))"#,
    );
    assert_eq!(r, "hi,hi,hi,,echo,,a-api,any-b,v1,api,hi,");
}

#[test]
fn load_balancers_rotate_weigh_and_hash() {
    let r = run_task(
        "lb",
        r#"var rr = new algo.RoundRobinLoadBalancer(['a', 'b', 'c']);
    var w = new algo.RoundRobinLoadBalancer({ a: 2, b: 1, c: 1 });
    var lw = new algo.LeastWorkLoadBalancer(['a', 'b']);
    var h = new algo.HashingLoadBalancer(['a', 'b', 'c']);
    var seq = n => Array.from({ length: n }, () => rr.select()).join('');
    var wseq = Array.from({ length: 8 }, () => w.select()).join('');
    var l1 = lw.select(), l2 = lw.select(); lw.deselect(l1); var l3 = lw.select();
    var same = h.select('user-1') === h.select('user-1');
    var borrowed = rr.next({}).id;
    console.log('RESULT ' + [seq(6), wseq, l1 + l2 + l3, same, borrowed].join(','))"#,
    );
    // `borrowed` takes the first pick ("a") before `seq` runs.
    assert_eq!(r, "bcabca,abcaabca,aba,true,a");
}

#[test]
fn cache_allocates_evicts_and_frees() {
    let r = run_task(
        "cache",
        r#"var freed = [];
    var c = new algo.Cache(k => k.toUpperCase(), (k, v) => freed.push(k + '=' + v), { size: 2 });
    var a = c.get('a'), b = c.get('b');
    c.get('a');
    c.get('c');
    var found = [c.find('a'), c.find('b'), c.find('c')].join('|');
    var removed = c.remove('a');
    c.clear();
    var q = new algo.Quota(10, { per: '100s' });
    var took = [q.consume(4), q.consume(10), q.current].join('|');
    console.log('RESULT ' + [a + b, found, removed, freed.join(' '), took].join(','))"#,
    );
    assert_eq!(r, "AB,A||C,true,b=B a=A c=C,4|6|0");
}
