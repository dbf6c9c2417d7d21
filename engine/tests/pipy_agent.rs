//! Scripts that make requests and run pipelines themselves, as Pipy programs do:
//! `http.Agent`, `pipeline($=>$...).spawn()` / `.process()`, and `serveHTTP` answering with a
//! Promise.

mod common;

use common::*;

#[test]
fn an_agent_calls_a_server_and_serve_http_waits_for_the_promise() {
    let (up, front) = (free_port(), free_port());
    let cb = Codebase::new("agent");
    let script = cb.file(
        "main.js",
        &format!(
            "var agent = new http.Agent('127.0.0.1:{up}');
var nowhere = new http.Agent('127.0.0.1:1');
pipy()
.listen({up}).serveHTTP(req => new Message(
  {{ status: 201, headers: {{ 'x-host': req.head.headers.host, 'x-a': req.head.headers['x-a'] }} }},
  `${{req.head.method}} ${{req.head.path}} ${{req.body.toString()}}`))
.listen({front}).serveHTTP(req => req.head.path === '/down'
  ? nowhere.request('GET', '/').then(
      () => new Message('resolved'),
      err => new Message({{ status: 503 }}, `rejected ${{err.head.status}}\\n`))
  : agent.request('POST', '/up', {{ 'x-a': 'A' }}, req.body).then(
      res => new Message(`${{res.head.status}} ${{res.head.headers['x-host']}} ${{res.head.headers['x-a']}} ${{res.body.toString()}}\\n`))
)"
        ),
    );
    let engine = Engine::start(&script, &[up, front]);
    let url = format!("http://127.0.0.1:{front}");
    for args in [vec![], vec!["--http2-prior-knowledge"]] {
        let mut a = args.clone();
        a.extend(["-d", "hello", &url]);
        let out = curl(&a);
        assert_eq!(
            out,
            format!("201 127.0.0.1:{up} A POST /up hello\n"),
            "log:\n{}",
            engine.log()
        );
    }
    // A server that cannot be reached rejects the Promise with the error answer.
    let down = format!("{url}/down");
    let out = curl(&["-w", "%{http_code}", &down]);
    assert_eq!(out, "rejected 502\n503");
    // Several calls at once share the agent's connections and each gets its own answer.
    let urls: Vec<String> = (0..8).map(|i| format!("{url}/{i}")).collect();
    let mut args = vec!["--parallel", "-d", "x"];
    args.extend(urls.iter().map(String::as_str));
    let out = curl(&args);
    assert_eq!(out.lines().count(), 8, "{out}");
}

#[test]
fn a_serve_http_promise_that_rejects_answers_500_and_the_server_goes_on() {
    let port = free_port();
    let cb = Codebase::new("serve-promise");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy().listen({port}).serveHTTP(req => req.head.path === '/bad'
  ? Promise.reject(new Error('no luck'))
  : new Timeout(0.05).wait().then(() => new Message(`late ${{req.head.path}}\\n`)))"
        ),
    );
    let engine = Engine::start(&script, &[port]);
    let url = format!("http://127.0.0.1:{port}");
    assert_eq!(curl(&["-w", "%{http_code}", &format!("{url}/bad")]), "500");
    // Pipelined requests keep their order although each answer comes later.
    let out = curl(&[
        &format!("{url}/a"),
        &format!("{url}/b"),
        &format!("{url}/c"),
    ]);
    assert_eq!(out, "late /a\nlate /b\nlate /c\n", "log:\n{}", engine.log());
    let log = engine.log();
    assert!(
        log.contains("serveHTTP(): /main.js:2:") && log.contains("Error: no luck"),
        "{log}"
    );
}

#[test]
fn pipeline_templates_spawn_and_process() {
    let port = free_port();
    let cb = Codebase::new("spawn");
    let script = cb.file(
        "main.js",
        &format!(
            "var _n, _size = 0, _total = 0;
var counter = pipeline($=>$
  .onStart(n => {{ _n = n; return new Data('abc'); }})
  .handleData(d => _size += d.size)
  .onEnd(() => `${{_n}}:${{_size}}`)
);
var summer = pipeline($=>$
  .handleMessage(m => _total += m.body.size)
  .onEnd(() => _total)
);
pipy().listen({port}).serveHTTP(req =>
  counter.spawn(7).then(a =>
    summer.process([new Message('12345'), new Message('67')]).then(b =>
      new Message(`${{a}} ${{b}}\\n`))))"
        ),
    );
    let engine = Engine::start(&script, &[port]);
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{port}/")]),
        "7:3 7\n",
        "log:\n{}",
        engine.log()
    );
}

#[test]
fn pipelines_spawned_while_the_program_loads_run_once_it_starts() {
    let cb = Codebase::new("spawn-at-load");
    // A module spawning at its top level, as Pipy's netlink sample does: the runs start once
    // the program runs, in order, and keep it alive until they are done.
    cb.file(
        "main.js",
        "var p = pipeline($=>$
  .onStart(n => new Message(`run ${n}`))
  .handleMessage(m => println(m.body.toString()))
  .replaceMessage(m => new StreamEnd())
  .onEnd(() => 'ended')
)
p.spawn(1).then(r => println(`1 ${r}`))
p.process(new Message('processed')).then(r => println(`2 ${r}`))
println('loaded')
",
    );
    let (code, out, err) = run_to_end(
        &[cb.dir.join("main.js").to_str().unwrap(), "--no-graph"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    // process() runs onStart too (with no argument), before the events given.
    assert_eq!(
        out, "loaded\nrun 1\nrun undefined\nprocessed\n1 ended\n2 ended\n",
        "{err}"
    );
}

#[test]
fn an_agent_made_inside_a_request_callback_runs() {
    // http.Agent (and so a pipeline layout) made while the program runs: in a
    // handleMessageStart that returns the request's Promise, and in a wait() condition.
    let (up, front, waiting) = (free_port(), free_port(), free_port());
    let cb = Codebase::new("agent-late");
    let script = cb.file(
        "main.js",
        &format!(
            "var got = {{}}
pipy()
.listen({up}).serveHTTP(req => new Message(`origin ${{req.head.path}}`))
.listen({front})
  .demuxHTTP().to($=>$
    .handleMessageStart(req => new http.Agent('127.0.0.1:{up}').request('GET', req.head.path)
      .then(res => {{ got[req.head.path] = res.body.toString() }}))
    .replaceMessage(req => new Message(`via agent: ${{got[req.head.path]}}`))
  )
.listen({waiting})
  .demuxHTTP().to($=>$
    .wait(() => new http.Agent('127.0.0.1:{up}').request('GET', '/w')
      .then(res => {{ got.w = res.body.toString() }}))
    .replaceMessage(() => new Message(`waited: ${{got.w}}`))
  )
"
        ),
    );
    let engine = Engine::start(&script, &[up, front, waiting]);
    for i in 0..3 {
        let out = curl(&[&format!("http://127.0.0.1:{front}/r{i}")]);
        assert_eq!(
            out,
            format!("via agent: origin /r{i}"),
            "log:\n{}",
            engine.log()
        );
    }
    let out = curl(&[&format!("http://127.0.0.1:{waiting}/")]);
    assert_eq!(out, "waited: origin /w", "log:\n{}", engine.log());
    assert!(!engine.log().contains("only once the program has started"));
}
