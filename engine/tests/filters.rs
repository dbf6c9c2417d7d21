//! Each built-in filter exercised through the real engine.

mod common;

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

#[test]
fn link_picks_the_first_target_whose_condition_holds() {
    let (_c, _e, port) = serve(
        "link",
        r#"pipy({ _mode: '' })
.listen(PORT)
  .handleData(d => _mode = _mode || d.toString()[0])
  .link('upper', () => _mode === 'u', 'reverse', () => _mode === 'r', '')
.pipeline('upper')
  .replaceData(d => new Data(d.toString().toUpperCase()))
.pipeline('reverse')
  .replaceData(d => new Data(d.toString().split('').reverse().join('')))
"#,
    );
    assert_eq!(text(port, "uabc"), "UABC");
    assert_eq!(text(port, "rabc"), "cbar");
    assert_eq!(text(port, "xabc"), "xabc"); // '' = bypass
}

#[test]
fn link_in_the_current_api_takes_a_name_or_a_function() {
    let (_c, _e, port) = serve(
        "link-c",
        r#"pipy()
.listen(PORT)
  .link(() => 'tagged')
.pipeline('tagged')
  .link('tag')
.pipeline('tag')
  .replaceData(d => new Data('[' + d.toString() + ']'))
"#,
    );
    assert_eq!(text(port, "x"), "[x]");
}

#[test]
fn branch_family_chooses_by_condition_message_start_and_message() {
    let (_c, _e, port) = serve(
        "branch",
        r#"pipy({ _kind: '' })
.listen(PORT)
  .replaceData(d => new Message({ kind: d.toString()[0] }, d))
  .branchMessageStart(
    evt => evt.head.kind === 'a', $=>$.replaceMessage(m => new Message('A:' + m.body.toString())),
    $=>$.branchMessage(
      m => m.body.toString().endsWith('!'), $=>$.replaceMessage(new Message('loud')),
      $=>$.handleMessageStart(e => _kind = e.head.kind).branch(
        () => _kind === 'b', $=>$.replaceMessage(m => new Message('B:' + m.body.toString())),
        $=>$.replaceMessage(new Message('other'))
      )
    )
  )
  .replaceMessage(m => m.body)
"#,
    );
    assert_eq!(text(port, "abc"), "A:abc");
    assert_eq!(text(port, "xyz!"), "loud");
    assert_eq!(text(port, "bcd"), "B:bcd");
    assert_eq!(text(port, "zzz"), "other");
}

#[test]
fn handlers_see_every_kind_of_event_and_pass_it_on() {
    let (_c, _e, port) = serve(
        "handlers",
        r#"pipy({ _log: [] })
.listen(PORT)
  .handleStreamStart(e => (_log = [], _log.push('start:' + e.type)))
  .handleData(d => _log.push('data:' + d.size))
  .replaceData(d => new Message({ n: d.size }, d))
  .handleMessageStart(e => _log.push('ms:' + e.head.n))
  .handleMessageEnd(e => _log.push('me'))
  .handleMessage(m => _log.push('msg:' + m.body.toString()))
  .handleMessageBody(b => _log.push('body:' + b.size))
  .handleStreamEnd(e => _log.push('end:' + e.error))
  .replaceStreamEnd(() => [new Data(_log.join(' ')), new StreamEnd()])
  .replaceMessage(() => null)
"#,
    );
    assert_eq!(
        text(port, "hey"),
        "start:Data data:3 ms:3 me msg:hey body:3 end:undefined"
    );
}

#[test]
fn replacers_swap_each_kind_of_event() {
    let (_c, _e, port) = serve(
        "replacers",
        r#"pipy()
.listen(PORT)
  .replaceStreamStart(evt => [new Data('<'), evt])
  .replaceData(d => new Message({ v: d.toString() }, d))
  .replaceMessageStart(e => new MessageStart({ v: e.head.v.toUpperCase() }))
  .replaceMessageBody(b => new Data('[' + b.toString() + ']'))
  .replaceMessageEnd(() => new MessageEnd({ done: true }))
  .replaceMessage(m => new Data(`${m.head.v}${m.body.toString()}${m.tail.done}`))
  .replaceStreamEnd(() => [new Data('>'), new StreamEnd()])
"#,
    );
    // The first Data '<' itself becomes a message too.
    assert_eq!(text(port, "ab"), "<[<]trueAB[ab]true>");
}

#[test]
fn fork_copies_the_stream_and_passes_the_original_on() {
    let (_c, e, port) = serve(
        "fork",
        r#"pipy({ _tag: 'main' })
.listen(PORT)
  .fork('log', [{ _tag: 'one' }, { _tag: 'two' }])
  .replaceData(d => new Data(_tag + ':' + d.toString()))
.pipeline('log')
  .handleData(d => console.log(`forked ${_tag} ${d.toString()}`))
  .replaceData(() => new Data('discarded'))
"#,
    );
    assert_eq!(text(port, "x"), "main:x");
    e.wait_log("forked one x", 5);
    e.wait_log("forked two x", 5);
}

#[test]
fn dump_logs_events_and_print_writes_bytes() {
    let (_c, e, port) = serve(
        "dump",
        r#"pipy()
.listen(PORT)
  .dump('seen')
  .print()
"#,
    );
    assert_eq!(text(port, "printed-bytes"), "printed-bytes");
    // (The start-up probe connection shows up in the log too, with no Data.)
    e.wait_log("[seen] Data [13] [ 70 72 69 6e", 5);
    e.wait_log("printed-bytes", 5);
}

#[test]
fn insert_puts_events_first_and_dummy_swallows_all_but_the_end() {
    let (_c, _e, port) = serve(
        "insert",
        r#"pipy()
.listen(PORT)
  .link('dropped', () => false, 'kept')
.pipeline('kept')
  .insert(() => new Data('first;'))
.pipeline('dropped')
  .dummy()
"#,
    );
    assert_eq!(text(port, "x"), "first;x");
    let (_c2, _e2, p2) = serve("dummy", "pipy()\n.listen(PORT)\n  .dummy()\n");
    assert_eq!(text(p2, "anything"), "");
}

/// Every filter that `--list-filters` prints is used in some test script.
#[test]
fn every_listed_filter_is_exercised_by_a_test() {
    let (code, out, _) = run_to_end(&["--list-filters"], &[]);
    assert_eq!(code, 0);
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.len() > 20, "{out}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut all = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().map(|e| e == "rs").unwrap_or(false) {
            all.push_str(&std::fs::read_to_string(p).unwrap());
        }
    }
    for n in names {
        assert!(
            all.contains(&format!(".{n}(")),
            "filter {n} is not used by any test"
        );
    }
}
