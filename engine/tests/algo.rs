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

/// The native `algo.Quota`: what `produce`, `max` and `reset` do, a refill every `per` (by the
/// engine's clock) that stops at the maximum, a negative or missing amount taking nothing, and
/// no members of its own (they are the class's: a throttle filter reads it without JavaScript).
#[test]
fn quota_refills_every_period_up_to_its_maximum() {
    let r = run_task(
        "quota",
        r#"var q = new algo.Quota(3, { per: '100ms', produce: 1, max: 2 });
    var took = [q.consume(5), q.consume(1), q.consume(-1), q.consume()];
    q.produce(10);
    var full = q.current;
    q.reset();
    var reset = [q.initial, q.current];
    var native = q instanceof algo.Quota && Object.keys(q).length === 0;
    q.consume(3);
    new Timeout(0.35).wait().then(() => {
      var refilled = q.current === 0 ? q.consume(10) : 'early:' + q.current;
      console.log('RESULT ' + [took.join('/'), full, reset.join('/'), native, refilled].join(','));
    });"#,
    );
    // Three periods or more passed, each bringing back 1, up to the maximum of 2.
    assert_eq!(r, "3/0/0/0,2,3/3,true,2");
}

/// Exact rules win over prefixes, the longest prefix wins, a query string and the host's port and
/// case are ignored, `*.domain` matches one label deeper, stored values come back as they are.
/// (The same figures as the JavaScript versions these native classes replaced.)
#[test]
fn url_router_prefers_exact_rules_then_longest_prefixes_and_normalises_requests() {
    let r = run_task(
        "router2",
        r#"    var obj = { name: 'obj' };
    var r = new algo.URLRouter({ '/api/*': 'api-prefix', '/api': 'api-exact', '/api/v1/*': 'v1', '/*': 'root',
      'Shop.Example.com/*': 'shop', '*.example.com/cart/*': 'cart', '/obj': obj });
    var same = r.find('/obj') === obj;
    var chained = r.add('/undef', undefined) === r;
    console.log('RESULT ' + [
      r.find('/api'), r.find('/api/'), r.find('/api?x=1'), r.find('/api/users?id=7'), r.find('/api/v1'), r.find('/api/v1/x/y?z'),
      r.find('/apix'), r.find('/other'), r.find('SHOP.example.COM:8443', '/x'), r.find('eu.example.com', '/cart/1'),
      r.find('eu.example.com', '/x'), r.find('a.eu.example.com', '/cart/1'), r.find('[::1]:80', '/a'), r.find('[::1]', '/a'), r.find('a.com', 'api', 'v1', 'z'),
      r.find('a.com', '/api', '/v1/'), r.find(undefined, '/api'), r.find(null, 'api'), r.find(), same, chained, r.find('/undef') === undefined,
      r.find('api/v1/q'),
    ].join(','));
"#,
    );
    assert_eq!(
        r,
        "api-exact,api-prefix,api-exact,api-prefix,v1,v1,root,root,shop,cart,root,root,root,root,v1,v1,api-exact,api-exact,,true,true,true,v1"
    );
}

/// LRU order (find/get touch an entry, replacing a value frees nothing), keys compared like a JS
/// Map (objects by identity, NaN, -0), a free callback that uses the cache again, and expiry.
/// (The same figures as the JavaScript versions these native classes replaced.)
#[test]
fn cache_evicts_the_least_recently_used_expires_and_compares_keys_like_a_map() {
    let r = run_task(
        "cache2",
        r#"    var log = [];
    var c = new algo.Cache(null, (k, v) => log.push('free:' + String(k) + '=' + v), { size: 3 });
    c.set('a', 1).set('b', 2).set('c', 3);
    c.find('a');            // a is now the most recent: b goes first
    c.set('d', 4);
    c.set('c', 33);         // replacing a value frees nothing
    c.get('a');
    c.set('e', 5);          // evicts c (oldest after a, d touched)
    var k1 = {}, k2 = {};
    var o = new algo.Cache();
    o.set(k1, 'one').set(k2, 'two').set(NaN, 'nan').set(-0, 'zero').set('1', 'str').set(1, 'num');
    var keys = [o.get(k1), o.get(k2), o.get({}), o.get(NaN), o.get(0), o.get('1'), o.get(1), o.has('missing'), o.remove('missing')];
    var u = new algo.Cache(); u.set('u', undefined);
    var hasUndef = u.has('u');
    // A free callback that uses the cache again.
    var re = new algo.Cache(k => k + '!', (k, v) => { if (k !== 'x') re.set('x', 'from-free'); }, { size: 1 });
    re.get('p'); re.get('q');
    var reentrant = [re.find('x'), re.find('q')].join('|');
    var sized = new algo.Cache(2);
    sized.set(1, 1).set(2, 2).set(3, 3);
    var t = new algo.Cache(k => 'v' + k, (k, v) => log.push('expired:' + k), { ttl: 0.05 });
    t.get('t1');
    var before = t.find('t1');
    new Timeout(0.2).wait().then(() => {
      var after = t.find('t1');
      var again = t.get('t1');
      console.log('RESULT ' + [log.join(' '), keys.join('|'), hasUndef, reentrant, [sized.find(1), sized.find(2), sized.find(3)].join('|'), before, after, again].join(','));
    });
"#,
    );
    assert_eq!(
        r,
        "free:b=2 free:d=4 expired:t1,one|two||nan|zero|str|num|false|false,true,from-free|,|2|3,vt1,,vt1"
    );
}

/// Weights (0 never picked), an unhealthy cache given to the constructor or to a call, least work
/// with deselect, sticky keys and borrowers, hashing that moves off an unhealthy target, algo.hash.
/// (The same figures as the JavaScript versions these native classes replaced.)
#[test]
fn balancers_skip_unhealthy_targets_follow_weights_and_keep_keys_and_borrowers() {
    let r = run_task(
        "lb2",
        r#"    var unhealthy = new algo.Cache();
    var rr = new algo.RoundRobinLoadBalancer({ a: 3, b: 1, c: 0 }, unhealthy);
    var pick = (lb, n, ...args) => Array.from({ length: n }, () => lb.select(...args)).join('');
    var w = pick(rr, 8);
    unhealthy.set('a', true);
    var noA = pick(rr, 3);
    unhealthy.set('b', true);
    var none = String(rr.select());
    unhealthy.clear();
    rr.set('c', 2);
    var withC = pick(rr, 6);
    var other = { find: id => id === 'b' };
    var override = pick(rr, 4, undefined, other);
    var lw = new algo.LeastWorkLoadBalancer({ x: 2, y: 1 });
    var l = [lw.select(), lw.select(), lw.select(), lw.select()];
    lw.deselect('x'); lw.deselect('x');
    l.push(lw.select());
    var sticky = new algo.RoundRobinLoadBalancer(['p', 'q']);
    var s1 = sticky.next(undefined, 'client-1').id, s2 = sticky.next(undefined, 'client-2').id, s3 = sticky.next(undefined, 'client-1').id;
    var b = {};
    var b1 = sticky.borrow(b).id, b2 = sticky.borrow(b).id, b3 = sticky.borrow({}).id;
    var h = new algo.HashingLoadBalancer(['h1', 'h2', 'h3']);
    var hk = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'].map(k => h.select(k)).join('');
    var bad = new algo.Cache(); bad.set(h.select('k1'), 1);
    var moved = h.select('k1', bad) !== h.select('k1');
    h.add('h4');
    var hn = h.next(null, 'k2').id;
    var hashes = [algo.hash('abc'), algo.hash(42), algo.hash({ a: [1, 'x'] }), algo.hash('héllo✓')];
    console.log('RESULT ' + [w, noA, none, withC, override, l.join(''), s1 + s2 + s3, b1 + b2 + b3, hk, moved, hn, hashes.join('|')].join(','));
"#,
    );
    assert_eq!(
        r,
        "abaaabaa,bbb,undefined,abcaca,acac,xyxxx,pqp,ppq,h1h3h1h2h3h3,true,h1,7437393443940619|5896223578097027|2238568889794545|8159175551307172"
    );
}

/// Values kept by the native classes are seen by the collector: a router, cache, balancer or
/// unified balancer (through its key function or a resource) whose value refers back to it is
/// freed with it, so making 100,000 such cycles does not grow memory
/// (it would by some 100 MB if the classes held their values from outside the collector's view).
#[test]
fn native_classes_free_values_that_refer_back_to_them() {
    let r = run_task(
        "cycles",
        r#"    var rss = () => Number(/VmRSS:\s+(\d+)/.exec(os.readFile('/proc/self/status').toString())[1]) / 1024;
    var round = () => {
      for (var i = 0; i < 5000; i++) {
        var big = new Array(50).fill('x' + i);
        var r = new algo.URLRouter(); r.add('/x', { r, big });
        var c = new algo.Cache(); c.set(c, { c, big });
        var lb = new algo.RoundRobinLoadBalancer(['a']); lb.next({ lb, big });
        var lb2 = new algo.LoadBalancer([{ big }], { key: t => t.big, capacity: 1 });
        lb2.allocate().owner = lb2;
      }
    };
    round(); round();
    var start = rss();
    for (var n = 0; n < 20; n++) round();
    var grown = rss() - start;
    console.log('RESULT ' + (grown < 40 ? 'bounded' : 'grew ' + grown.toFixed(1) + ' MB'));
"#,
    );
    assert_eq!(r, "bounded");
}
