//! The script side: contexts, modules, import/export, plugins with `use`, timers.

mod common;

use std::io::{Read, Write};

use common::*;

fn read_n(s: &mut std::net::TcpStream, n: usize) -> String {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn a_context_variable_is_fresh_per_connection_and_persists_within_one() {
    let cb = Codebase::new("ctx");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            "pipy({{ _count: 0, _shared: {{ total: 0 }} }})\n.listen({port})\n  .replaceData(d => (_count += d.size, _shared.total += d.size, new Data(`${{_count}}/${{_shared.total}};`)))\n"
        ),
    );
    let _e = Engine::start(&script, &[port]);
    let mut c1 = connect(port);
    let mut c2 = connect(port);
    c1.write_all(b"aa").unwrap();
    assert_eq!(read_n(&mut c1, 4), "2/2;");
    c2.write_all(b"a").unwrap();
    // Fresh counter for the new connection; the object value is shared by reference.
    assert_eq!(read_n(&mut c2, 4), "1/3;");
    c1.write_all(b"aaa").unwrap();
    assert_eq!(read_n(&mut c1, 4), "5/6;");
}

#[test]
fn exported_variables_are_shared_between_modules_of_one_context() {
    let cb = Codebase::new("export");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.export('main', {{ __who: 'nobody' }})
.listen({port})
  .use('lib/plugin.js', 'set')
  .replaceData(() => new Data(`hello ${{__who}}`))
"#
        ),
    );
    cb.file(
        "lib/plugin.js",
        r#"pipy()
.import({ __who: 'main' })
.pipeline('set')
  .handleData(d => __who = d.toString().trim())
"#,
    );
    let _e = Engine::start(&main, &[port]);
    assert_eq!(roundtrip(port, b"alice\n"), b"hello alice");
}

#[test]
fn use_runs_plugins_up_and_down_and_turn_down_skips_the_rest() {
    let cb = Codebase::new("use");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            r#"(config =>
pipy()
.export('main', {{ __done: false }})
.listen({port})
  .use(config.plugins, 'up', 'down', () => __done)
)(JSON.decode(pipy.load('config.json')))
"#
        ),
    );
    cb.file("config.json", r#"{ "plugins": ["plugins/one.js", "plugins/two.js", "plugins/three.js", "plugins/none.js"] }"#);
    cb.file(
        "plugins/one.js",
        "pipy()\n.pipeline('up')\n  .replaceData(d => new Data(d.toString() + '>1'))\n.pipeline('down')\n  .replaceData(d => new Data(d.toString() + '<1'))\n",
    );
    cb.file(
        "plugins/two.js",
        "pipy()\n.import({ __done: 'main' })\n.pipeline('up')\n  .handleData(() => __done = true)\n  .replaceData(d => new Data(d.toString() + '>2'))\n",
    );
    cb.file(
        "plugins/three.js",
        "pipy()\n.pipeline('up')\n  .replaceData(d => new Data(d.toString() + '>3'))\n",
    );
    cb.file(
        "plugins/none.js",
        "pipy()\n.pipeline('other')\n  .dummy()\n",
    );
    let _e = Engine::start(&main, &[port]);
    assert_eq!(roundtrip(port, b"x"), b"x>1>2<1");
}

#[test]
fn chain_runs_module_entrances_in_order() {
    let cb = Codebase::new("chain");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!("pipy()\n.listen({port})\n  .chain(['a.js', 'b.js'])\n"),
    );
    cb.file(
        "a.js",
        "pipy()\n.pipeline()\n  .replaceData(d => new Data(d.toString() + 'A'))\n  .chain()\n",
    );
    cb.file(
        "b.js",
        "pipy()\n.pipeline()\n  .replaceData(d => new Data(d.toString() + 'B'))\n  .chain()\n",
    );
    let _e = Engine::start(&main, &[port]);
    assert_eq!(roundtrip(port, b"x"), b"xAB");
}

#[test]
fn solve_evaluates_a_file_once_and_load_reads_codebase_files() {
    let cb = Codebase::new("solve");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            r#"var config = pipy.solve('config.js');
var text = pipy.load('data/greeting.txt').toString().trim();
pipy()
.listen({port})
  .replaceData(() => new Data(`${{text}} ${{config.name}} ${{pipy.solve('config.js') === config}} ${{os.env.SLUICE_TEST_ENV}}`))
"#
        ),
    );
    cb.file("config.js", "({ name: 'solved' })");
    cb.file("data/greeting.txt", "hi\n");
    std::env::set_var("SLUICE_TEST_ENV", "env-ok");
    let _e = Engine::start(&main, &[port]);
    assert_eq!(roundtrip(port, b"x"), b"hi solved true env-ok");
}

#[test]
fn a_timer_task_runs_its_callback_periodically() {
    let cb = Codebase::new("task");
    let script = cb.file(
        "main.js",
        "pipy({ _n: 0, _g: { runs: 0 } })\n.task('0.2s')\n  .handleStreamStart(() => console.log(`tick ${++_g.runs}`))\n",
    );
    let e = Engine::start(&script, &[]);
    e.wait_log("tick 4", 15);
}

#[test]
fn a_current_api_task_with_on_start_gets_its_events() {
    let cb = Codebase::new("onstart");
    let script = cb.file(
        "main.js",
        "pipy()\n.task()\n  .onStart(() => new Message('started'))\n  .handleMessage(m => console.log(`got ${m.body.toString()}`))\n",
    );
    let e = Engine::start(&script, &[]);
    e.wait_log("got started", 10);
}

#[test]
fn data_and_message_classes_behave_as_the_spec_says() {
    let cb = Codebase::new("classes");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy()
.listen({port})
  .replaceData(() => {{
    var d = new Data('hello world');
    var first = d.shift(5).toString();
    var hex = new Data('4142', 'hex').toString();
    var b64 = new Data('hi').toString('base64');
    var m = new Message({{ status: 404 }}, 'x');
    var e = new StreamEnd('ConnectionReset');
    return new Data([first, d.size, hex, b64, m.head.status, m.body.size, e.error, new Data([72, 105]).toString(), JSON.encode({{a:1}}).toString()].join(','));
  }})
"#
        ),
    );
    let _e = Engine::start(&script, &[port]);
    assert_eq!(
        String::from_utf8(roundtrip(port, b"x")).unwrap(),
        "hello,6,AB,aGk=,404,1,ConnectionReset,Hi,{\"a\":1}"
    );
}

#[test]
fn a_variable_set_in_a_mux_http_session_is_shared_in_the_current_api_and_copied_in_the_early_one() {
    let cb = Codebase::new("muxctx");
    let backend = origin(|_, _| b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec());
    let (current, early) = (free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy({{ _seen: 'unset' }})
.listen({current}).demuxHTTP().to($=>$
  .muxHTTP().to($=>$.handleData(() => {{ _seen = 'session' }}).connect('127.0.0.1:{backend}'))
  .handleMessageStart(msg => {{ msg.head.headers['x-seen'] = _seen }}))
.listen({early}).demuxHTTP('request')
.pipeline('request')
  .muxHTTP('connection')
  .handleMessageStart(msg => {{ msg.head.headers['x-seen'] = _seen }})
.pipeline('connection')
  .handleData(() => {{ _seen = 'session' }})
  .connect('127.0.0.1:{backend}')
"#
        ),
    );
    let _e = Engine::start(&script, &[current, early]);
    // The session pipeline sees the encoded request (Data), hence `handleData` there.
    // The current API: the session pipeline shares the variables of the filter that made it
    // (as Pipy 1.5's mux does), so the response sees what the session set.
    let out = curl(&["-si", &format!("http://127.0.0.1:{current}/")]);
    assert!(out.contains("x-seen: session"), "{out}");
    // The early API cloned them: the session's write stays there.
    let out = curl(&["-si", &format!("http://127.0.0.1:{early}/")]);
    assert!(out.contains("x-seen: unset"), "{out}");
}
