use super::instrument;

/// Runs `src` (a script whose value is the result) in a fresh context, with a global
/// `__sluice_cov` that records the probes hit; returns the result as JSON and the probes.
fn run(src: &str) -> (String, Vec<u32>) {
    let rt = rquickjs::Runtime::new().expect("runtime");
    let ctx = rquickjs::Context::full(&rt).expect("context");
    ctx.with(|ctx| {
        ctx.eval::<(), _>("var hits = []; var __sluice_cov = (n) => { hits.push(n); };")
            .expect("probe function");
        let out: String = ctx
            .eval(format!("JSON.stringify((function(){{{src}\n}})())"))
            .unwrap_or_else(|e| panic!("{e}: {src}"));
        let hits: Vec<u32> = ctx.eval("hits").expect("hits");
        (out, hits)
    })
}

#[test]
fn every_prelude_file_compiles_with_its_probes_on_the_same_lines() {
    let rt = rquickjs::Runtime::new().expect("runtime");
    let ctx = rquickjs::Context::full(&rt).expect("context");
    let mut total = 0;
    for (name, src) in crate::script::prelude::files() {
        let (text, n) = instrument(src, total);
        ctx.with(|ctx| {
            // A function expression is compiled, not run.
            ctx.eval::<(), _>(format!("(function(){{{text}\n}});"))
                .unwrap_or_else(|e| panic!("{name} does not compile once rewritten: {e}"));
        });
        assert_eq!(
            text.lines().count(),
            src.lines().count(),
            "{name}: lines moved"
        );
        assert!(n > 0, "{name} has no probe");
        total += n;
    }
    assert_eq!(total, super::probe_count());
    // The decoders written in script are where the probes matter.
    let dns = crate::script::prelude::files()
        .iter()
        .find(|(n, _)| *n == "<sluice:dns>")
        .expect("dns.js");
    assert!(instrument(dns.1, 0).1 > 60, "{}", instrument(dns.1, 0).0);
}

const BRANCHES: &str = "
  function f(a, b) {
    let r = 0;
    if (a > 1) r += 1;
    if (b) { r += 2; } else { r += 4; }
    r += a > 5 ? 10 : 20;
    const s = b && 'x' || 'y';
    switch (a) { case 1: r += 100; break; default: r += 200; }
    return [r, s, /[}'\"]/.test(s), `${a}}`];
  }
  return [[0, false], [1, true], [2, false], [6, true]].map(([a, b]) => f(a, b));";

#[test]
fn rewritten_code_computes_the_same_and_its_probes_tell_the_paths_apart() {
    let (text, n) = instrument(BRANCHES, 0);
    // Blocks: f's body, the if's and the else's; arms: the braceless if and its added else; two of ?:, one each for && and ||; two cases.
    assert_eq!(n, 11, "{text}");
    let (plain, none) = run(BRANCHES);
    assert!(none.is_empty());
    let (covered, hits) = run(&text);
    assert_eq!(plain, covered, "{text}");
    // Each call's probes, split at f's entry probe.
    let entry = hits[0];
    let mut paths: Vec<Vec<u32>> = Vec::new();
    for h in &hits {
        if *h == entry {
            paths.push(Vec::new());
        }
        if let Some(p) = paths.last_mut() {
            p.push(*h);
        }
    }
    assert_eq!(paths.len(), 4, "{hits:?}");
    for i in 0..paths.len() {
        for j in i + 1..paths.len() {
            assert_ne!(paths[i], paths[j], "calls {i} and {j} took the same probes");
        }
    }
    for p in &paths {
        assert!(p.iter().all(|&h| h < n));
    }
}

#[test]
fn statements_it_cannot_delimit_are_left_as_they_are() {
    // A braceless `if` whose body is another compound statement, or ends without `;`.
    for src in [
        "if (a) for (;;) break; return 1;",
        "if (a) if (b) x(); return 1;",
        "if (!a) return 2\nreturn 3",
    ] {
        let (text, _) = instrument(src, 0);
        let (plain, _) = run(&format!("const x = () => 0, b = 1, a = 1; {src}"));
        let (covered, _) = run(&format!("const x = () => 0, b = 1, a = 1; {text}"));
        assert_eq!(plain, covered, "{text}");
    }
}
