//! Pipy's custom administration paths (`admin('/admin/...')` layouts answering on the admin
//! port), a codebase a script changes while it runs (`pipy.mount`, `pipy.unmount`,
//! `pipy.patch`), and `pipy.restart()`.

mod common;

use common::*;

#[test]
fn admin_layouts_answer_on_the_admin_port_from_every_worker() {
    let (port, admin) = (free_port(), free_port());
    let cb = Codebase::new("admin-layouts");
    let script = cb.file(
        "main.js",
        &format!(
            "var hits = 0;
pipy()
.listen({port}).serveHTTP(() => new Message(`hits ${{hits}}`))
.admin('/admin/count').replaceMessage(req => (hits++, new Message(`${{req.head.method}} ${{req.head.path}} [${{req.body.toString()}}] ${{hits}}\\n`)))
.admin('/admin/broken').replaceMessage(() => new StreamEnd('ConnectionReset'))"
        ),
    );
    let admin_arg = format!("--admin-port=127.0.0.1:{admin}");
    let engine = Engine::start_with(&script, &[port, admin], &[&admin_arg, "--threads", "2"]);
    let base = format!("http://127.0.0.1:{admin}");

    // Every worker answers (two threads: two lines), each with its own state.
    let out = curl(&["-s", "-d", "abc", &format!("{base}/admin/count/x")]);
    assert_eq!(
        out,
        "POST /admin/count/x [abc] 1\nPOST /admin/count/x [abc] 1\n",
        "log:\n{}",
        engine.log()
    );
    let out = curl(&["-s", &format!("{base}/admin/count")]);
    assert_eq!(out, "GET /admin/count [] 2\nGET /admin/count [] 2\n");

    // A path no layout takes is 404; a layout that ends without an answer is 500, in words.
    let out = curl(&["-s", "-w", " %{http_code}", &format!("{base}/admin/other")]);
    assert!(
        out.ends_with(" 404") && out.contains("/admin/other"),
        "{out}"
    );
    let out = curl(&["-s", "-w", " %{http_code}", &format!("{base}/admin/broken")]);
    assert!(
        out.ends_with(" 500") && out.contains("ConnectionReset"),
        "{out}"
    );

    // The program goes on serving.
    let out = curl(&["-s", &format!("http://127.0.0.1:{port}/")]);
    assert!(out.starts_with("hits "), "{out}");
}

#[test]
fn admin_paths_need_the_admin_token_when_one_is_set() {
    let (port, admin) = (free_port(), free_port());
    let cb = Codebase::new("admin-token");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()
.listen({port}).serveHTTP(new Message('x'))
.admin('/admin/secret').replaceMessage(new Message('inside'))"
        ),
    );
    let admin_arg = format!("--admin-port=127.0.0.1:{admin}");
    let _engine = Engine::start_with(&script, &[port, admin], &[&admin_arg, "--admin-token=t0k"]);
    let url = format!("http://127.0.0.1:{admin}/admin/secret");
    assert_eq!(
        curl(&["-s", "-o", "/dev/null", "-w", "%{http_code}", &url]),
        "401"
    );
    assert_eq!(
        curl(&["-s", "-H", "Authorization: Bearer t0k", &url]),
        "inside"
    );
}

#[test]
fn admin_paths_must_start_with_admin() {
    let cb = Codebase::new("admin-bad-path");
    let script = cb.file(
        "main.js",
        "pipy().admin('/status').replaceMessage(new Message('x'))",
    );
    let (code, _, err) = run_to_end(&[script.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("/main.js:1:") && err.contains("must start with /admin/"),
        "{err}"
    );
}

#[test]
fn mount_unmount_and_patch_change_what_the_codebase_holds() {
    let port = free_port();
    let cb = Codebase::new("mount");
    let outside = Codebase::new("mount-outside");
    outside.file("lib/greet.js", "export default 'from the mounted folder'");
    outside.file("page.html", "<p>mounted</p>");
    cb.file("a.txt", "on disk");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy.mount('ext', '{dir}');
var listed = pipy.list('/').filter(f => f.startsWith('ext/')).sort().join(',');
var greet = pipy.import('/ext/lib/greet.js').default;
var page = new http.File('/ext/page.html');
var errors = [];
try {{ pipy.mount('ext', '{dir}'); }} catch (e) {{ errors.push(e.message); }}
try {{ pipy.mount('a.txt', '{dir}'); }} catch (e) {{ errors.push(e.message); }}
try {{ pipy.mount('x/y', '{dir}'); }} catch (e) {{ errors.push(e.message); }}
try {{ pipy.patch('/a.txt', 42); }} catch (e) {{ errors.push(e.message); }}
pipy()
.listen({port}).serveHTTP(req => {{
  switch (req.head.path) {{
    case '/info': return new Message(`${{listed}}|${{greet}}|${{errors.join('|')}}`);
    case '/page': return page.toMessage('gzip');
    case '/patch': pipy.patch('/a.txt', req.body); return new Message('ok');
    case '/unmount': pipy.unmount('ext'); return new Message('ok');
    default: {{
      var d = pipy.load(req.head.path);
      return d ? new Message(d) : new Message({{ status: 404 }}, 'none');
    }}
  }}
}})",
            dir = outside.dir.display()
        ),
    );
    let _engine = Engine::start(&script, &[port]);
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let info = curl(&["-s", &url("/info")]);
    assert_eq!(
        info,
        "ext/lib/greet.js,ext/page.html|from the mounted folder|\
         pipy.mount(): cannot mount /ext: it is mounted already|\
         pipy.mount(): cannot mount /a.txt: the codebase already has it|\
         pipy.mount(): invalid mount name \"x/y\": it must be one path segment|\
         pipy.patch(): the content must be a string or a Data"
    );
    assert_eq!(curl(&["-s", &url("/page")]), "<p>mounted</p>");
    assert_eq!(curl(&["-s", &url("/ext/page.html")]), "<p>mounted</p>");

    // A patch replaces what the codebase answers; the file on disk stays as it was.
    assert_eq!(curl(&["-s", &url("/a.txt")]), "on disk");
    assert_eq!(curl(&["-s", "-d", "patched", &url("/patch")]), "ok");
    assert_eq!(curl(&["-s", &url("/a.txt")]), "patched");
    assert_eq!(
        std::fs::read_to_string(cb.dir.join("a.txt")).unwrap(),
        "on disk"
    );

    // Unmounted, the folder's files are gone from the codebase.
    assert_eq!(curl(&["-s", &url("/unmount")]), "ok");
    assert_eq!(curl(&["-s", &url("/ext/page.html")]), "none");
}

#[test]
fn pipy_restart_loads_the_program_again() {
    let port = free_port();
    let cb = Codebase::new("restart");
    let text = |v: &str| {
        format!(
            "pipy().listen({port}).serveHTTP(req => req.head.path === '/restart'
  ? (pipy.restart(), new Message('restarting'))
  : new Message('{v}'))"
        )
    };
    let script = cb.file("main.js", &text("v1"));
    let engine = Engine::start(&script, &[port]);
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
    assert_eq!(curl(&["-s", &url("/")]), "v1");
    cb.file("main.js", &text("v2"));
    // Without a restart the running version stays.
    assert_eq!(curl(&["-s", &url("/")]), "v1");
    assert_eq!(curl(&["-s", &url("/restart")]), "restarting");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let out = curl(&["-s", &url("/")]);
        if out == "v2" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {out}; log:\n{}",
            engine.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
