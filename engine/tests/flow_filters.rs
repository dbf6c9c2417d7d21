//! The flow filters (fork family, replay, repeat, pipe, wait, loop, linkAsync, swap,
//! produce, depositMessage, handle, replace) through the real engine on loopback.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;

fn serve(name: &str, body: &str) -> (Codebase, Engine, u16) {
    let cb = Codebase::new(name);
    let port = free_port();
    let script = cb.file("main.js", &body.replace("PORT", &port.to_string()));
    let e = Engine::start(&script, &[port]);
    (cb, e, port)
}

fn text(port: u16, input: &str) -> String {
    String::from_utf8(roundtrip(port, input.as_bytes())).unwrap()
}

/// Like [`serve`], but waits for the listener in the log rather than by connecting: a probe
/// connection would be a member of a hub too.
fn serve_unprobed(name: &str, body: &str) -> (Codebase, Engine, u16) {
    let cb = Codebase::new(name);
    let port = free_port();
    let script = cb.file("main.js", &body.replace("PORT", &port.to_string()));
    let e = Engine::start(&script, &[]);
    e.wait_log(&format!("Listening on TCP port {port}"), 10);
    (cb, e, port)
}

/// Loads a script that must be refused; returns the engine's log.
fn refused(name: &str, body: &str) -> String {
    let cb = Codebase::new(name);
    let port = free_port();
    let script = cb.file("main.js", &body.replace("PORT", &port.to_string()));
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0, "the script should be refused; log:\n{err}");
    err
}

/// Waits until one log line names `filter` and says `message` (a location may come between).
fn wait_error(e: &Engine, filter: &str, message: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let prefix = format!("{filter}(): ");
    while Instant::now() < deadline {
        let log = e.log();
        if log
            .lines()
            .any(|l| l.contains(&prefix) && l.contains(message))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no {prefix}...{message} in the log:\n{}", e.log());
}

/// Reads from `s` until `want` bytes have come (or 10 s pass).
fn read_n(s: &mut std::net::TcpStream, want: usize) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < want {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8(out).unwrap()
}

// ---- fork, forkJoin, forkRace --------------------------------------------------------------

#[test]
fn fork_starts_each_branch_with_its_element_and_index_and_passes_the_original_on() {
    let (_c, e, port) = serve(
        "fork-c",
        r#"pipy({ _seen: 'no' })
.listen(PORT)
  .fork(['a', 'b']).to($=>$
    .onStart((x, i) => void console.log(`branch ${i} got ${x}`))
    .handleData(d => console.log(`branch data ${d}`))
  )
  .fork({ one: 1 }).to($=>$.handleStreamStart(() => { _seen = 'shared' }))
  .fork(['two']).to($=>$.handleStreamStart(() => { _seen = 'cloned' }))
  .replaceData(d => new Data(`${d}:${_seen}`))
"#,
    );
    // A non-array initializer shares the context; array branches get copies.
    assert_eq!(text(port, "x"), "x:shared");
    e.wait_log("branch 0 got a", 5);
    e.wait_log("branch 1 got b", 5);
    e.wait_log("branch data x", 5);
}

#[test]
fn fork_in_the_early_form_sets_only_declared_context_variables() {
    let (_c, e, port) = serve(
        "fork-a",
        r#"pipy({ _tag: 'main' })
.listen(PORT)
  .fork('log', [{ _tag: 'one', stray: 1 }, { _tag: 'two' }])
  .replaceData(d => new Data(`${_tag}:${d}:${typeof stray}`))
.pipeline('log')
  .onStart((init, i) => void console.log(`start ${i} ${init._tag}`))
  .handleData(d => console.log(`forked ${_tag} ${d}`))
"#,
    );
    assert_eq!(text(port, "x"), "main:x:undefined");
    e.wait_log("forked one x", 5);
    e.wait_log("forked two x", 5);
    e.wait_log("start 1 two", 5);
}

#[test]
fn fork_join_holds_the_input_until_every_branch_has_ended() {
    let (_c, _e, port) = serve(
        "fork-join",
        r#"pipy({ _results: null, _me: '' })
.listen(PORT)
  .handleStreamStart(() => { _results = [] })
  .forkJoin(() => ['a', 'b', 'c']).to($=>$
    .onStart(x => void (_me = x))
    .replaceStreamEnd(() => new Timeout(_me === 'b' ? 0.3 : 0.1).wait().then(() => {
      _results.push(_me);
      return new StreamEnd;
    }))
  )
  .replaceStreamEnd(() => [new Data('|' + _results.sort().join(',')), new StreamEnd])
"#,
    );
    let t = Instant::now();
    assert_eq!(text(port, "hello"), "hello|a,b,c");
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[test]
fn fork_race_outputs_the_first_branch_to_answer() {
    let (_c, _e, port) = serve(
        "fork-race",
        r#"pipy({ _delay: 0 })
.listen(PORT)
  .forkRace([0.4, 0.1, 0.25]).to($=>$
    .onStart(t => void (_delay = t))
    .replaceData(d => new Timeout(_delay).wait().then(() => new Data(`${d} after ${_delay}`)))
  )
"#,
    );
    assert_eq!(text(port, "hi"), "hi after 0.1");
}

#[test]
fn fork_family_reports_a_throwing_initializer_and_a_missing_sub_pipeline() {
    let (_c, e, port) = serve(
        "fork-bad",
        r#"pipy()
.listen(PORT)
  .forkJoin(() => { throw new Error('no branches today') }).to($=>$)
"#,
    );
    assert_eq!(text(port, "x"), "");
    wait_error(&e, "forkJoin", "Error: no branches today");
    let log = refused("fork-missing", "pipy().listen(PORT).forkRace([1, 2])\n");
    assert!(log.contains("forkRace(): needs a sub-pipeline"), "{log}");
    let log = refused("fork-name", "pipy().listen(PORT).fork('nowhere')\n");
    assert!(log.contains("fork(): pipeline not found: nowhere"), "{log}");
}

// ---- replay, repeat ------------------------------------------------------------------------

#[test]
fn replay_runs_the_sub_pipeline_again_after_a_replay_end_with_back_off() {
    let (_c, e, port) = serve(
        "replay",
        r#"pipy({ _tries: 0, _body: '' })
.listen(PORT)
  .replay({ delay: () => _tries * 0.1 }).to($=>$
    .handleData(d => { _body = d.toString() })
    .handleStreamStart(() => console.log(`attempt ${_tries + 1}`))
    .replaceData()
    .replaceStreamEnd(() => ++_tries < 3
      ? new StreamEnd('Replay')
      : [new Data(`${_body} after ${_tries} tries`), new StreamEnd]
    )
  )
"#,
    );
    let t = Instant::now();
    assert_eq!(text(port, "hello"), "hello after 3 tries");
    // Back-off: 0.1 s then 0.2 s.
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    e.wait_log("attempt 3", 5);
}

#[test]
fn replay_passes_other_ends_and_rejects_bad_options() {
    let (_c, _e, port) = serve(
        "replay-end",
        r#"pipy()
.listen(PORT)
  .replay({ delay: '10ms' }).to($=>$.replaceData(d => new Data(`[${d}]`)))
"#,
    );
    assert_eq!(text(port, "once"), "[once]");
    let log = refused("replay-bad", "pipy().listen(PORT).replay(5).to($=>$)\n");
    assert!(log.contains("replay(): expects an options object"), "{log}");
    let log = refused(
        "replay-delay",
        "pipy().listen(PORT).replay({ delay: true }).to($=>$)\n",
    );
    assert!(log.contains("replay(): option delay"), "{log}");
}

#[test]
fn replay_reports_a_throwing_delay_function() {
    let (_c, e, port) = serve(
        "replay-throw",
        r#"pipy()
.listen(PORT)
  .replay({ delay: () => { throw new Error('no delay') } }).to($=>$
    .replaceStreamEnd(() => new StreamEnd('Replay'))
  )
"#,
    );
    assert_eq!(text(port, "x"), "x");
    wait_error(&e, "replay", "Error: no delay");
}

#[test]
fn repeat_runs_again_while_the_condition_holds() {
    let (_c, _e, port) = serve(
        "repeat",
        r#"pipy({ _n: 0, _m: 0 })
.listen(PORT)
  .repeat(() => ++_n < 3).to($=>$.replaceData(d => new Data(`${d}${_n} `)))
  .repeat(() => new Timeout(0.05).wait().then(() => ++_m < 2)).to($=>$
    .replaceData(d => new Data(`<${d}>`))
  )
"#,
    );
    // The first repeat outputs three runs; the second outputs what it got, twice.
    assert_eq!(text(port, "x"), "<x0 ><x1 ><x2 ><x0 ><x1 ><x2 >");
}

#[test]
fn repeat_reports_a_throwing_condition_and_a_missing_condition() {
    let (_c, e, port) = serve(
        "repeat-throw",
        r#"pipy()
.listen(PORT)
  .repeat(() => { throw new Error('cannot decide') }).to($=>$)
"#,
    );
    assert_eq!(text(port, "x"), "x");
    wait_error(&e, "repeat", "Error: cannot decide");
    let log = refused(
        "repeat-missing",
        "pipy().listen(PORT).repeat('sub', 42)\n.pipeline('sub')\n",
    );
    assert!(
        log.contains("repeat(): expects a condition function"),
        "{log}"
    );
}

// ---- pipe, pipeNext ------------------------------------------------------------------------

#[test]
fn pipe_chooses_by_object_by_name_in_a_map_and_by_module_name() {
    let (_c, _e, port) = serve(
        "pipe",
        r#"var upper = pipeline($=>$.replaceData(d => new Data(d.toString().toUpperCase())));
pipy({ _arg: '' })
.listen(PORT)
  .pipe(
    evt => {
      const c = evt.toString()[0];
      return c === 'u' ? upper : c === 'm' ? 'fromMap' : c === 'n' ? 'named' : 'nothing';
    },
    { fromMap: $=>$.onStart(a => void (_arg = a)).replaceData(d => new Data(`map(${d},${_arg})`)) },
    evt => ['arg-' + evt.toString()]
  )
.pipeline('named')
  .replaceData(d => new Data(`named(${d})`))
"#,
    );
    assert_eq!(text(port, "up"), "UP");
    assert_eq!(text(port, "me"), "map(me,arg-me)");
    assert_eq!(text(port, "no"), "named(no)");
}

#[test]
fn pipe_runs_an_array_as_a_chain_continued_by_pipe_next() {
    let (_c, _e, port) = serve(
        "pipe-chain",
        r#"var a = pipeline($=>$.replaceData(d => new Data(d + 'a')).pipeNext());
var b = pipeline($=>$.replaceData(d => new Data(d + 'b')).pipeNext(['x']));
var c = pipeline($=>$.onStart(x => void (_c = x)).replaceData(d => new Data(d + 'c' + _c)).pipeNext());
pipy({ _c: '' })
.listen(PORT)
  .pipe([a, b, c])
"#,
    );
    assert_eq!(text(port, "-"), "-abcx");
}

#[test]
fn pipe_next_reports_a_throwing_argument_function() {
    let (_c, e, port) = serve(
        "pipe-next-bad",
        r#"var a = pipeline($=>$.pipeNext(() => { throw new Error('no arguments') }));
var b = pipeline($=>$.replaceData(d => new Data('never')));
pipy()
.listen(PORT)
  .pipeNext()
  .replaceData(d => new Data(`(${d})`))
  .pipe([a, b])
"#,
    );
    assert_eq!(text(port, "x"), "");
    wait_error(&e, "pipeNext", "Error: no arguments");
}

#[test]
fn pipe_holds_events_until_the_selector_gives_a_target_and_reports_bad_targets() {
    let (_c, e, port) = serve(
        "pipe-bad",
        r#"pipy({ _n: 0 })
.listen(PORT)
  .handleData(() => _n++)
  .pipe(() => _n < 2 ? null : _n === 2 ? 'echo' : 'zzz')
.pipeline('echo')
  .replaceData(d => new Data(`<${d}>`))
"#,
    );
    let mut s = connect(port);
    s.write_all(b"a").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    s.write_all(b"b").unwrap();
    assert_eq!(read_n(&mut s, 6), "<a><b>");
    drop(s);
    let (_c2, e2, port2) = serve("pipe-unknown", "pipy().listen(PORT).pipe(() => 'zzz')\n");
    assert_eq!(text(port2, "x"), "");
    wait_error(&e2, "pipe", "TypeError: pipeline 'zzz' not found");
    let log = refused("pipe-type", "pipy().listen(PORT).pipe(42)\n");
    assert!(log.contains("pipe(): not a pipeline"), "{log}");
    let log = refused("pipe-map", "pipy().listen(PORT).pipe('a', { a: 7 })\n");
    assert!(
        log.contains("pipe(): map entry 'a' is not a pipeline"),
        "{log}"
    );
    drop(e);
}

// ---- wait ----------------------------------------------------------------------------------

#[test]
fn wait_holds_events_until_the_condition_holds() {
    let (_c, _e, port) = serve(
        "wait",
        r#"pipy({ _done: false })
.listen(PORT)
  .handleStreamEnd(() => { _done = true })
  .wait(() => _done)
  .replaceData(d => new Data(`${d}@${_done}`))
"#,
    );
    assert_eq!(text(port, "x"), "x@true");
}

#[test]
fn wait_follows_a_promise_or_gives_up_at_the_timeout() {
    let (_c, _e, port) = serve(
        "wait-promise",
        r#"pipy()
.listen(PORT)
  .wait(() => new Timeout(0.2).wait())
  .wait(() => false, { timeout: 0.2 })
"#,
    );
    let t = Instant::now();
    assert_eq!(text(port, "slow"), "slow");
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn wait_reports_a_throwing_condition_a_rejection_and_a_bad_condition() {
    let (_c, e, port) = serve(
        "wait-bad",
        r#"pipy()
.listen(PORT)
  .wait(() => { throw new Error('not ready') })
"#,
    );
    assert_eq!(text(port, "x"), "");
    wait_error(&e, "wait", "Error: not ready");
    let (_c2, e2, port2) = serve(
        "wait-reject",
        "pipy().listen(PORT).wait(() => Promise.reject(new Error('refused')))\n",
    );
    assert_eq!(text(port2, "x"), "");
    wait_error(&e2, "wait", "Error: refused");
    let log = refused("wait-type", "pipy().listen(PORT).wait(true)\n");
    assert!(
        log.contains("wait(): expects a condition function"),
        "{log}"
    );
}

// ---- loop ----------------------------------------------------------------------------------

#[test]
fn loop_feeds_the_sub_pipeline_output_back_into_it() {
    let (_c, _e, port) = serve(
        "loop",
        r#"pipy()
.listen(PORT)
  .loop($=>$.replaceData(d => {
    const n = +d.toString();
    return n > 0 ? new Data(String(n - 1)) : undefined;
  }))
"#,
    );
    let mut s = connect(port);
    s.write_all(b"5").unwrap();
    assert_eq!(read_n(&mut s, 5), "43210");
    let log = refused("loop-bad", "pipy().listen(PORT).loop(42)\n");
    assert!(log.contains("loop(): a sub-pipeline must be"), "{log}");
}

// ---- linkAsync -----------------------------------------------------------------------------

#[test]
fn link_async_links_by_name_or_by_function_later() {
    let (_c, e, port) = serve(
        "link-async",
        r#"pipy({ _order: null })
.listen(PORT)
  .handleStreamStart(() => { _order = [] })
  .linkAsync(() => 'tag')
  .replaceStreamEnd(() => [new Data(_order.join(',')), new StreamEnd])
.pipeline('tag')
  .handleData(() => _order.push('sub'))
  .linkAsync('wrap')
.pipeline('wrap')
  .replaceData(d => new Data(`[${d}]`))
"#,
    );
    assert_eq!(text(port, "x"), "[x]sub");
    let (_c2, e2, port2) = serve(
        "link-async-bad",
        "pipy().listen(PORT).linkAsync(() => 'nowhere')\n",
    );
    assert_eq!(text(port2, "x"), "");
    wait_error(&e2, "linkAsync", "unknown pipeline layout name: nowhere");
    drop(e);
}

#[test]
fn link_async_takes_a_builder_or_to_like_link() {
    // [C] linkAsync($=>$...), linkAsync().to($=>$...) and linkAsync().to('name').
    let (_c, e, port) = serve(
        "link-async-to",
        r#"pipy()
.listen(PORT)
  .linkAsync($=>$.replaceData(d => new Data(`<${d}>`)))
  .linkAsync().to($=>$
    .replaceData(d => new Data(`(${d})`))
    .linkAsync().to('wrap')
  )
.pipeline('wrap')
  .replaceData(d => new Data(`[${d}]`))
"#,
    );
    assert_eq!(text(port, "x"), "[(<x>)]");
    drop(e);
    // A linkAsync() that is never given its .to() is a load error naming it.
    let cb = Codebase::new("link-async-no-to");
    let script = cb.file("main.js", "pipeline($=>$.linkAsync())\n");
    let (code, _out, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("missing .to(...) for the last filter linkAsync()"),
        "{err}"
    );
}

#[test]
fn link_and_branch_run_the_on_start_of_the_chosen_pipeline() {
    let (_c, _e, port) = serve(
        "link-on-start",
        r#"pipy()
.listen(PORT)
  .link('greet')
.pipeline('greet')
  .onStart(() => new Data('hello '))
  .branch(() => true, $=>$.onStart(() => new Data('and ')))
"#,
    );
    // 'hello ' (greet's onStart) is the first event the branch sees: the branch's pipeline
    // starts then, and its own onStart comes before it.
    assert_eq!(text(port, "x"), "and hello x");
}

// ---- swap ----------------------------------------------------------------------------------

#[test]
fn swap_joins_two_streams_back_to_back_through_a_hub() {
    let (_c, _e, port) = serve_unprobed(
        "swap",
        r#"var hub = new pipeline.Hub();
pipy()
.listen(PORT)
  .swap(() => hub)
"#,
    );
    // A joins alone (what it sends meets nobody), then B joins: each one's input comes out
    // of the other.
    let mut a = connect(port);
    a.write_all(b"lost").unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let mut b = connect(port);
    b.write_all(b"from b").unwrap();
    assert_eq!(read_n(&mut a, 6), "from b");
    a.write_all(b"from a").unwrap();
    assert_eq!(read_n(&mut b, 6), "from a");
    let log = refused("swap-bad", "pipy().listen(PORT).swap({})\n");
    assert!(log.contains("swap(): expects a pipeline.Hub"), "{log}");
}

#[test]
fn link_to_a_swap_joins_two_streams_and_refuses_a_third() {
    let (_c, e, port) = serve_unprobed(
        "link-swap",
        r#"var swap = new Swap();
pipy()
.listen(PORT)
  .link(() => swap)
"#,
    );
    let mut a = connect(port);
    a.write_all(b"a joins").unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let mut b = connect(port);
    b.write_all(b"hello a").unwrap();
    assert_eq!(read_n(&mut a, 7), "hello a");
    a.write_all(b"hello b").unwrap();
    assert_eq!(read_n(&mut b, 7), "hello b");
    // A third party finds the swap full: its stream ends with an error.
    assert_eq!(text(port, "me too"), "");
    wait_error(&e, "link", "cannot join a hub of 2 that is full");
}

// ---- produce -------------------------------------------------------------------------------

#[test]
fn produce_outputs_what_its_producer_gives_until_a_stream_end() {
    let (_c, _e, port) = serve(
        "produce",
        r#"pipy({ _n: 0 })
.listen(PORT)
  .produce(() => _n < 3
    ? new Timeout(0.02).wait().then(() => new Data(`tick${_n++} `))
    : new StreamEnd
  )
"#,
    );
    assert_eq!(text(port, "ignored"), "tick0 tick1 tick2 ");
}

#[test]
fn produce_reports_bad_productions() {
    let (_c, e, port) = serve("produce-bad", "pipy().listen(PORT).produce(() => 42)\n");
    assert_eq!(text(port, "x"), "");
    wait_error(&e, "produce", "Error: the production is not events");
    let log = refused("produce-type", "pipy().listen(PORT).produce(42)\n");
    assert!(
        log.contains("produce(): expects events or a function"),
        "{log}"
    );
}

// ---- depositMessage ------------------------------------------------------------------------

#[test]
fn deposit_message_spools_the_body_past_the_threshold_to_a_file() {
    let cb = Codebase::new("deposit");
    let port = free_port();
    let kept = cb.dir.join("kept.tmp");
    let dropped = cb.dir.join("dropped.tmp");
    let script = cb.file(
        "main.js",
        &r#"pipy()
.listen(PORT)
  .replaceData(d => [new MessageStart, ...d.toString().split('').map(c => new Data(c)), new MessageEnd])
  .depositMessage('KEPT', { threshold: 4, keep: true })
  .depositMessage(() => 'DROPPED', { threshold: '2' })
  .handleMessage(m => console.log(`deposited ${m.body.size} bytes`))
  .replaceMessage(m => m.body)
"#
        .replace("PORT", &port.to_string())
        .replace("KEPT", kept.to_str().unwrap())
        .replace("DROPPED", dropped.to_str().unwrap()),
    );
    let e = Engine::start(&script, &[port]);
    assert_eq!(text(port, "0123456789"), "0123456789");
    e.wait_log("deposited 10 bytes", 5);
    // Pipy writes the whole body to the spool file once it spools.
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "0123456789");
    assert!(!dropped.exists(), "the spool file without keep is removed");
    let log = refused("deposit-bad", "pipy().listen(PORT).depositMessage(42)\n");
    assert!(
        log.contains("depositMessage(): expects a file name"),
        "{log}"
    );
}

#[test]
fn deposit_message_reports_a_spool_file_it_cannot_create() {
    let (_c, e, port) = serve(
        "deposit-fail",
        r#"pipy()
.listen(PORT)
  .replaceData(d => [new MessageStart, new Data('a'), new Data('b'), new MessageEnd])
  .depositMessage('/nonexistent-dir/spool.tmp')
"#,
    );
    assert_eq!(text(port, "x"), "");
    wait_error(
        &e,
        "depositMessage",
        "Error: cannot create spool file /nonexistent-dir/spool.tmp",
    );
}

// ---- handle, replace -----------------------------------------------------------------------

#[test]
fn handle_and_replace_see_every_event_type() {
    let (_c, e, port) = serve(
        "handle-any",
        r#"pipy({ _types: null })
.listen(PORT)
  .handleStreamStart(() => { _types = [] })
  .replaceData(d => new Message(d))
  .handle((evt, i) => _types.push(`${i}:${evt.type || evt.constructor.name}`))
  .replace(evt => evt instanceof StreamEnd
    ? [new Data(_types.join(' ')), new StreamEnd]
    : evt instanceof Data ? new Data(`(${evt})`) : evt
  )
  .replace(evt => { if (evt instanceof Data && evt.size > 100) throw new Error('too big'); return evt })
"#,
    );
    assert_eq!(
        text(port, "x"),
        "(x)0:MessageStart 1:Data 2:MessageEnd 3:StreamEnd"
    );
    assert_eq!(text(port, &"y".repeat(200)), "");
    wait_error(&e, "replace", "Error: too big");
    let log = refused("handle-bad", "pipy().listen(PORT).handle('x')\n");
    assert!(
        log.contains("handle(): expects a callback function"),
        "{log}"
    );
}
