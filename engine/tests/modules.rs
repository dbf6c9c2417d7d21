//! Pipy 1.x programs: ES module syntax, fiber variables (`var $x`), `pipeline()`,
//! `pipy.listen()`, `pipy.import()`, Promises from callbacks and `Timeout`.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;

fn get(port: u16, path: &str) -> String {
    curl(&[&format!("http://127.0.0.1:{port}{path}")])
}

#[test]
fn default_named_and_namespace_imports_with_cycles_and_one_evaluation() {
    let cb = Codebase::new("esm");
    let port = free_port();
    cb.file(
        "lib/counter.js",
        "// evaluated once however often it is imported\n\
         export var loads = (globalThis.__loads = (globalThis.__loads || 0) + 1)\n\
         export function twice(x) { return x * 2 }\n\
         export const name = 'counter'\n\
         export default { kind: 'default' }\n",
    );
    cb.file(
        "lib/a.js",
        "import { fromB } from './b.js'\n\
         export function fromA() { return 'a+' + fromB() }\n\
         export function leaf() { return 'A' }\n",
    );
    cb.file(
        "lib/b.js",
        "import { leaf } from './a.js' // a cycle: a imports b, b imports a\n\
         export function fromB() { return 'b:' + leaf() }\n",
    );
    cb.file(
        "lib/all.js",
        "export * from './counter.js'\nexport { fromA as viaA } from './a.js'\n",
    );
    let main = cb.file(
        "main.js",
        &format!(
            "#!/usr/bin/env pipy\n\
             import counter, {{ twice, name as n }} from './lib/counter.js'\n\
             import * as ns from '/lib/counter.js';\n\
             import {{ fromA }} from './lib/a.js'\n\
             import * as all from './lib/all.js'\n\
             var local = 'kept private'\n\
             pipy.listen({port}, $=>$.serveHTTP(() => new Message(\n\
               [counter.kind, twice(21), n, ns.name, ns.default.kind, globalThis.__loads,\n\
                fromA(), all.twice(2), all.viaA(), pipy.import('./lib/counter.js').name].join(' ') + '\\n'\n\
             )))\n"
        ),
    );
    let _e = Engine::start(&main, &[port]);
    assert_eq!(
        get(port, "/"),
        "default 42 counter counter default 1 a+b:A 4 a+b:A counter\n"
    );
}

#[test]
fn an_import_of_a_name_that_is_not_exported_is_an_error_naming_it() {
    let cb = Codebase::new("esm-missing");
    cb.file("m.js", "export var a = 1\n");
    let main = cb.file("main.js", "import { b } from './m.js'\n");
    let (code, _, err) = run_to_end(&["--check", main.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("/m.js does not export b"), "{err}");
}

#[test]
fn fiber_variables_are_per_connection_with_their_initial_values() {
    let cb = Codebase::new("fiber");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            "var $count = 10\n\
             var $seen\n\
             var total = 0\n\
             var echo = pipeline($=>$\n\
               .replaceData(d => ($count += d.size, total += d.size, $seen = $seen || 'first', new Data(`${{$count}}/${{total}}/${{$seen}};`)))\n\
             )\n\
             pipy.listen({port}, echo)\n"
        ),
    );
    let _e = Engine::start(&main, &[port]);
    let read = |s: &mut std::net::TcpStream| {
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let mut c1 = connect(port);
    let mut c2 = connect(port);
    c1.write_all(b"aa").unwrap();
    assert_eq!(read(&mut c1), "12/2/first;");
    c2.write_all(b"a").unwrap();
    assert_eq!(read(&mut c2), "11/3/first;");
    c1.write_all(b"a").unwrap();
    assert_eq!(read(&mut c1), "13/4/first;");
}

#[test]
fn a_top_level_return_ends_the_module() {
    let cb = Codebase::new("return");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            "var enabled = false\n\
             pipy.listen({port}, $=>$.serveHTTP(new Message('up\\n')))\n\
             if (!enabled) {{\n  return\n}}\n\
             throw new Error('not reached')\n"
        ),
    );
    let _e = Engine::start(&main, &[port]);
    assert_eq!(get(port, "/"), "up\n");
}

#[test]
fn a_module_whose_default_export_is_a_pipeline_is_a_chain_stage() {
    let cb = Codebase::new("chain-template");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!("pipy.listen({port}, $=>$.demuxHTTP().to($=>$.chain(['a.js', 'b.js'])))\n"),
    );
    cb.file(
        "a.js",
        "export default pipeline($=>$\n  .handleMessageStart(msg => {{ msg.head.headers['x-a'] = 'set by a' }})\n  .chain())\n",
    );
    cb.file(
        "b.js",
        "export default pipeline($=>$.replaceMessage(msg => new Message(`b sees: ${msg.head.headers['x-a']}`)))\n",
    );
    let _e = Engine::start(&main, &[port]);
    assert_eq!(get(port, "/"), "b sees: set by a");
    // A module with neither an entrance nor a pipeline value is still an error naming it.
    cb.file("c.js", "export default 42\n");
    let bad = cb.file(
        "bad.js",
        &format!("pipy.listen({}, $=>$.chain(['c.js']))\n", free_port()),
    );
    let (code, _, err) = run_to_end(&["--check", bad.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("no entrance pipeline in /c.js"), "{err}");
}

#[test]
fn module_errors_name_the_file_line_and_column() {
    let cb = Codebase::new("esm-error");
    cb.file(
        "m.js",
        "export var a = 1\nexport function f() {\n  return a +\n}\n",
    );
    let main = cb.file("main.js", "import { a } from './m.js'\n");
    let (code, _, err) = run_to_end(&["--check", main.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("/m.js:4:1"), "{err}");
}

#[test]
fn callbacks_may_answer_with_promises_and_timeouts() {
    let cb = Codebase::new("promise");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            "var $n = 0\n\
             pipy.listen({port}, $=>$\n\
               .replaceStreamStart(() => new Timeout(0.3).wait().then(() => ($n++, new Data(`late ${{$n}};`))))\n\
               .handleData(() => new Timeout(0.2).wait())\n\
               .replaceData(d => d.toString() === 'no' ? Promise.reject(new Error('refused')) : d)\n\
             )\n"
        ),
    );
    let e = Engine::start(&main, &[port]);
    let mut s = connect(port);
    let t = Instant::now();
    s.write_all(b"x").unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    // The replaced first event, after 0.3 s, then held 0.2 s more by the handler.
    assert_eq!(&buf[..n], b"late 1;");
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "{:?}",
        t.elapsed()
    );
    s.write_all(b"y").unwrap();
    let n = s.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"y");
    // A rejected Promise ends that stream, and says why.
    s.write_all(b"no").unwrap();
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the connection closes");
    e.wait_log("refused", 5);
    // Other connections are unaffected.
    let mut s2 = connect(port);
    s2.write_all(b"z").unwrap();
    let n = s2.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"late 1;");
}

#[test]
fn a_filter_sluice_lacks_is_named() {
    let cb = Codebase::new("nofilter");
    let main = cb.file("main.js", "pipy().listen(18999).decodeFoo()\n");
    let (code, _, err) = run_to_end(&["--check", main.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("/main.js:1:") && err.contains("TypeError: decodeFoo is not a Sluice filter"),
        "{err}"
    );
}

#[test]
fn pipy_command_line_options_are_accepted() {
    let cb = Codebase::new("cli");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!("pipy.listen({port}, $=>$.serveHTTP(new Message(pipy.uuid + ' ' + pipy.name)))\n"),
    );
    let e = Engine::start_with(
        &main,
        &[port],
        &[
            "--log-level=debug:thread",
            "--no-graph",
            "--instance-uuid=0000-1111",
            "--instance-name=edge",
            "--log-local-only",
            "--no-such-option=1",
        ],
    );
    assert_eq!(get(port, "/"), "0000-1111 edge");
    let log = e.wait_log("Thread 0 started", 5);
    assert!(log.contains("[thread] Thread 0 started"), "{log}");
    assert!(
        log.contains(&format!("Listening on TCP port {port} at")),
        "{log}"
    );
    assert!(
        log.contains("unknown option --no-such-option; ignored"),
        "{log}"
    );
    assert!(
        log.contains("--log-local-only is a Pipy option Sluice does not use"),
        "{log}"
    );
    assert!(!log.contains("[config] Module"), "--no-graph: {log}");
    let (code, out, _) = run_to_end(&["-v"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("engine"), "{out}");
    let (code, _, err) = run_to_end(&["/no/such/file.js"], &[]);
    assert_eq!(code, 255, "{err}");
}

#[test]
fn a_bodiless_message_has_an_empty_data_body() {
    let cb = Codebase::new("empty-body");
    let port = free_port();
    let main = cb.file(
        "main.js",
        &format!(
            "var $seen\n\
             pipy.listen({port}, $=>$.demuxHTTP().to($=>$\n\
               .handleMessage(m => void ($seen = `${{m.body instanceof Data}}/${{m.body.size}}`))\n\
               .replaceMessage(m => new Message(`${{$seen}} ${{m.body instanceof Data}}/${{m.body.size}}`))\n\
             ))\n"
        ),
    );
    let _e = Engine::start(&main, &[port]);
    assert_eq!(get(port, "/"), "true/0 true/0");
}
