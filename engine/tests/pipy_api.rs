//! The `pipy` object and the `os` global as Pipy 1.5 has them, run inside the real engine:
//! `pipy.read()`, the `read` and `tee` filters, and the process ending by itself once a
//! program has nothing left to do.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// What a run of the engine gave: exit code, standard output, standard error.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `engine --no-graph main.js` in `dir` with `stdin`, and fails if it has not exited
/// by itself within `secs`.
fn run_in(dir: &Path, stdin: &[u8], secs: u64) -> Run {
    let mut child = Command::new(engine_bin())
        .arg("--no-graph")
        .arg("main.js")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("engine starts");
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the engine was still running after {secs}s; log:\n{}",
                err_reader.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

#[test]
fn pipy_read_through_tee_prints_the_file_and_the_engine_exits_by_itself() {
    let cb = Codebase::new("read-tee");
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(cb.dir.join("input"), &content).unwrap();
    cb.file(
        "main.js",
        "pipy.read('input', $=>$.tee('-')).then(() => console.log('read ended'))\n",
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(r.stdout, content);
    assert!(r.stderr.contains("read ended"), "log:\n{}", r.stderr);
}

#[test]
fn pipy_read_of_dash_reads_standard_input() {
    let cb = Codebase::new("read-stdin");
    cb.file(
        "main.js",
        "pipy.read('-', $=>$.replaceData(d => new Data(d.toString().toUpperCase())).tee('-'))\n",
    );
    let r = run_in(&cb.dir, b"from stdin\n", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(r.out(), "FROM STDIN\n");
}

#[test]
fn pipy_read_of_a_missing_file_rejects_its_promise() {
    let cb = Codebase::new("read-missing");
    cb.file(
        "main.js",
        "pipy.read('no-such-file', $=>$.tee('-')).then(() => println('resolved'), e => println('rejected: ' + e.message))\n",
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(r.out(), "rejected: cannot open file: no-such-file\n");
}

#[test]
fn pipy_read_takes_a_pipeline_template() {
    let cb = Codebase::new("read-template");
    std::fs::write(cb.dir.join("input"), "abc").unwrap();
    cb.file(
        "main.js",
        "var p = pipeline($=>$.onStart(a => { println('start ' + a); return [] }).handleData(d => println('got ' + d.toString())))\npipy.read('input', p, 42).then(() => println('end'))\n",
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(r.out(), "start 42\ngot abc\nend\n");
}

#[test]
fn tee_writes_a_file_and_appends_with_the_option() {
    let cb = Codebase::new("tee-file");
    std::fs::write(cb.dir.join("input"), "line\n").unwrap();
    std::fs::write(cb.dir.join("log.txt"), "old\n").unwrap();
    std::fs::write(cb.dir.join("new.txt"), "to be replaced\n").unwrap();
    cb.file(
        "main.js",
        "pipy.read('input', $=>$.tee('new.txt').tee('log.txt', { append: true }).tee(() => 'fn.txt'))\n",
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(r.out(), "");
    let read = |f: &str| std::fs::read_to_string(cb.dir.join(f)).unwrap();
    assert_eq!(read("new.txt"), "line\n");
    assert_eq!(read("log.txt"), "old\nline\n");
    assert_eq!(read("fn.txt"), "line\n");
}

#[test]
fn the_read_filter_outputs_a_file_and_ends_the_stream() {
    let cb = Codebase::new("read-filter");
    std::fs::write(cb.dir.join("data.bin"), "file content").unwrap();
    cb.file(
        "main.js",
        r#"pipy().task()
  .onStart(() => new Message('ignored'))
  .read('data.bin')
  .handleData(d => println('data ' + d.toString()))
  .handleStreamEnd(e => println('end ' + (e.error || 'ok')))
pipy().task()
  .onStart(() => new Message('ignored'))
  .read('missing.bin')
  .handleStreamEnd(e => println('missing ' + (e.error ? 'failed' : 'ok')))
"#,
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    let out = r.out();
    assert!(out.contains("data file content\nend ok\n"), "{out}");
    assert!(out.contains("missing failed\n"), "{out}");
}

#[test]
fn a_pending_timer_keeps_the_program_running_until_it_fires() {
    let cb = Codebase::new("idle-timer");
    cb.file(
        "main.js",
        "new Timeout(0.5).wait().then(() => println('fired'))\n",
    );
    let start = Instant::now();
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(r.out(), "fired\n");
    assert!(start.elapsed() >= Duration::from_millis(500));
}

#[test]
fn a_program_with_a_listener_keeps_running() {
    let cb = Codebase::new("idle-listen");
    let port = free_port();
    let script = cb.file("main.js", &format!("pipy.listen({port}, $=>$.dummy())\n"));
    let mut e = Engine::start(&script, &[port]);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(e.try_wait(), None, "log:\n{}", e.log());
}

#[test]
fn pipy_exit_gives_its_code() {
    let cb = Codebase::new("exit-code");
    let port = free_port();
    cb.file(
        "main.js",
        &format!(
            "pipy.listen({port}, $=>$.dummy())\nnew Timeout(0.2).wait().then(() => pipy.exit(3))\n"
        ),
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 3, "log:\n{}", r.stderr);
}

#[test]
fn os_reads_writes_lists_and_removes_files() {
    let cb = Codebase::new("os-files");
    cb.file(
        "main.js",
        r#"os.mkdir('work/a/b', { recursive: true })
os.write('work/a/f.txt', 'hi there')
os.writeFile('work/a/g.bin', new Data([1, 2, 3]))
var s = os.stat('work/a/f.txt')
println([s.size, s.isFile(), s.isDirectory(), os.stat('work/a').isDirectory(), os.stat('nope'), s.mtime > 1e9, s.nlink, s.ino > 0].join(','))
println(os.list('work/a').join(','), os.readDir('work').join(','))
println(os.read('work/a/f.txt').toString(), os.readFile('work/a/g.bin').size, os.readFile('missing'))
os.rename('work/a/f.txt', 'work/a/h.txt')
println(os.unlink('work/a/h.txt'), os.unlink('work/a/h.txt'))
try { os.read('missing') } catch (e) { println('error: ' + e.message.split(':').slice(0, 2).join(':')) }
try { os.mkdir('work/x/y') } catch (e) { println('error: ' + e.message.split(':')[0]) }
println(os.rm('work/zz', { force: true }), os.rm('work', { recursive: true }), os.stat('work'))
"#,
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(
        r.out(),
        "8,true,false,true,,true,1,true\n\
         b/,f.txt,g.bin a/\n\
         hi there 3 null\n\
         true false\n\
         error: cannot open file: missing\n\
         error: cannot create directory\n\
         false true null\n"
    );
    assert!(!cb.dir.join("work").exists());
}

#[test]
fn os_paths_platform_environment_and_processes() {
    let cb = Codebase::new("os-paths");
    cb.file(
        "main.js",
        r#"println(os.path.basename('/a/b.js', '.js'), os.path.dirname('/a/b.js'), os.path.join('a', '/b', 'c/'),
  os.path.normalize('a/./b/../c'), os.path.resolve('/x', 'y', '../z'), os.path.join())
println(os.platform, os.env.SLUICE_TEST_VALUE, os.home() === os.env.HOME, os.abspath('q') === os.path.join(os.path.resolve('.'), 'q'))
println(os.kill(pipy.pid, 0), os.kill(999999999, 0))
os.chdir('sub'); println(os.list('.').join(','))
"#,
    );
    cb.file("sub/inside.txt", "x");
    let out = Command::new(engine_bin())
        .args(["--no-graph", "main.js"])
        .current_dir(&cb.dir)
        .env("SLUICE_TEST_VALUE", "from-env")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "log:\n{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "b /a a/b/c/ /a/c /x/z .\nlinux from-env true true\ntrue false\ninside.txt\n"
    );
}

#[test]
fn pipy_exec_runs_a_program_without_a_shell() {
    let cb = Codebase::new("exec");
    cb.file(
        "main.js",
        r#"println(pipy.exec('echo hello   "a b" c\\ d;').toString().trim())
println(pipy.exec(['sh', '-c', 'echo out; echo err 1>&2; exit 4'], { onExit: (c, e) => println('exit ' + c + ' err ' + e.toString().trim()) }).toString().trim())
println(JSON.stringify(pipy.exec(['sh', '-c', 'echo out; echo err 1>&2'], { stderr: true, onExit: (...a) => println('onExit arguments ' + a.length) }).toString()))
println(pipy.exec(['cat'], { stdin: new Data('from stdin') }).toString())
println(pipy.exec(['/usr/bin/env'], { env: { ONLY: 'this' } }).toString().trim())
println(pipy.exec('no-such-program-sluice', { onExit: (c, e) => println('missing ' + c + ' ' + e.toString().split(':')[0]) }).size)
"#,
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(
        r.out(),
        "hello a b c d;\n\
         exit 4 err err\nout\n\
         onExit arguments 1\n\"out\\nerr\\n\"\n\
         from stdin\n\
         ONLY=this\n\
         missing 127 cannot run no-such-program-sluice\n0\n"
    );
}

#[test]
fn pipy_exit_runs_its_callbacks_and_waits_for_their_promises() {
    let cb = Codebase::new("exit-callbacks");
    cb.file(
        "main.js",
        r#"pipy.exit(code => new Timeout(0.3).wait().then(() => println('first, code ' + code)))
pipy.exit(() => println('second'))
pipy.exit(3)
"#,
    );
    let start = Instant::now();
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 3, "log:\n{}", r.stderr);
    assert_eq!(r.out(), "second\nfirst, code 3\n");
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn pipy_list_fork_performance_and_a_bad_mount() {
    let cb = Codebase::new("pipy-misc");
    cb.file("sub/x.txt", "a");
    cb.file("sub/deep/y.txt", "b");
    cb.file(
        "main.js",
        r#"println(pipy.list('sub').join(','), pipy.list('/nothing').length)
println(typeof pipy.performance.now(), pipy.performance.now() >= 0, Math.abs(pipy.performance.timeOrigin - Date.now()) < 60000)
println(pipy.fork(() => 'forked'), pipy.source)
try { pipy.mount('/x', '.') } catch (e) { println(e.message) }
"#,
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(
        r.out(),
        "deep/y.txt,x.txt 0\nnumber true true\nforked /main.js\npipy.mount(): invalid mount name \"/x\": it must be one path segment\n"
    );
}

#[test]
fn pipy_watch_resolves_when_the_file_changes_and_keeps_the_program_up_until_then() {
    let cb = Codebase::new("watch");
    cb.file("config.json", "{}");
    cb.file(
        "main.js",
        "println('watching')\npipy.watch('config.json').then(names => println('changed ' + names.join(',')))\n",
    );
    let mut child = Command::new(engine_bin())
        .args(["--no-graph", "main.js"])
        .current_dir(&cb.dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited before the change"
    );
    cb.file("config.json", "{\"changed\": true}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running after the change");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(out, "watching\nchanged /config.json\n");
}

#[test]
fn pipy_inbound_counts_and_lists_open_connections() {
    let cb = Codebase::new("inbound");
    let port = free_port();
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy.listen({port}, $=>$.replaceData(() => {{
  var ports = []
  pipy.inbound.forEach(ib => ports.push(ib.remoteAddress + ':' + ib.remotePort))
  return new Data(pipy.inbound.count + ' ' + ports.join(',') + '\n')
}}))
"#
        ),
    );
    let _e = Engine::start(&script, &[port]);
    let ask = |s: &mut std::net::TcpStream| {
        s.write_all(b"?").unwrap();
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let mut a = connect(port);
    let first = ask(&mut a);
    let pa = a.local_addr().unwrap().port();
    let mut b = connect(port);
    let pb = b.local_addr().unwrap().port();
    let second = ask(&mut b);
    drop(a);
    std::thread::sleep(Duration::from_millis(300));
    let third = ask(&mut b);
    // The readiness probe of Engine::start may still be counted in the first answer.
    assert!(first.ends_with(&format!("127.0.0.1:{pa}\n")), "{first}");
    assert_eq!(second, format!("2 127.0.0.1:{pa},127.0.0.1:{pb}\n"));
    assert_eq!(third, format!("1 127.0.0.1:{pb}\n"));
}

#[test]
fn pipy_outbound_lists_open_connect_connections() {
    let cb = Codebase::new("outbound");
    let (front, origin, query) = (free_port(), free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy.listen({origin}, $=>$.replaceData(() => new Data('pong')))
pipy.listen({front}, $=>$.connect('127.0.0.1:{origin}'))
pipy.listen({query}, $=>$.replaceData(() => {{
  var list = []
  pipy.outbound.forEach(ob => list.push(ob.address + '>' + ob.remoteAddress + ':' + ob.remotePort))
  return new Data(pipy.outbound.count + ' ' + list.join(',') + '\n')
}}))
"#
        ),
    );
    let _e = Engine::start(&script, &[origin, front, query]);
    let ask = |s: &mut std::net::TcpStream| {
        s.write_all(b"?").unwrap();
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let mut q = connect(query);
    assert_eq!(ask(&mut q), "0 \n");
    let mut f = connect(front);
    assert_eq!(ask(&mut f), "pong");
    assert_eq!(
        ask(&mut q),
        format!("1 127.0.0.1:{origin}>127.0.0.1:{origin}\n")
    );
    drop(f);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(ask(&mut q), "0 \n");
}

#[test]
fn a_watch_layout_runs_each_time_the_file_changes() {
    let cb = Codebase::new("watch-layout");
    cb.file("conf.txt", "1");
    let script = cb.file(
        "main.js",
        "pipy()\n.watch('conf.txt')\n  .onStart(() => new Message(pipy.load('conf.txt')))\n  .handleMessage(m => console.log('conf is ' + m.body.toString()))\n",
    );
    let e = Engine::start(&script, &[]);
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        !e.log().contains("conf is"),
        "ran before a change:\n{}",
        e.log()
    );
    cb.file("conf.txt", "22");
    e.wait_log("conf is 22", 5);
    cb.file("conf.txt", "333");
    e.wait_log("conf is 333", 5);
}

#[test]
fn exit_layouts_run_when_the_program_shuts_down() {
    let cb = Codebase::new("exit-layout");
    cb.file(
        "main.js",
        "println('working')\npipy()\n.exit()\n  .onStart(() => new Message('bye'))\n  .handleMessage(m => println('exit layout ' + m.body.toString()))\n",
    );
    let r = run_in(&cb.dir, b"", 5);
    assert_eq!(r.code, 0, "log:\n{}", r.stderr);
    assert_eq!(r.out(), "working\nexit layout bye\n");
}
