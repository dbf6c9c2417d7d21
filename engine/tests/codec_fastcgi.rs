//! `muxFastCGI` in front of a real FastCGI application: Debian's PHP-FPM (installed by
//! `scripts/setup.sh fastcgi`), started by the test on a loopback port, serving a PHP page
//! through a Sluice web server written the way Pipy's FastCGI sample is.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A PHP-FPM master with its pool on `port`, stopped when dropped.
struct PhpFpm(Child);

impl Drop for PhpFpm {
    fn drop(&mut self) {
        stop(&mut self.0);
    }
}

/// Stops a server's master process with SIGTERM, so it stops its workers too (SIGKILL would
/// leave them running, holding the port); SIGKILL only if it has not ended in 5 s.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn php_fpm_binary() -> PathBuf {
    let found = std::fs::read_dir("/usr/sbin")
        .expect("/usr/sbin")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("php-fpm"))
        });
    found.expect("php-fpm is installed (scripts/setup.sh fastcgi)")
}

fn start_php_fpm(dir: &Path, port: u16) -> PhpFpm {
    let conf = dir.join("fpm.conf");
    std::fs::write(
        &conf,
        format!(
            "[global]\nerror_log = {log}\ndaemonize = no\npid = {pid}\n\
             [www]\nlisten = 127.0.0.1:{port}\npm = static\npm.max_children = 4\n\
             clear_env = no\ncatch_workers_output = yes\n",
            log = dir.join("fpm.log").display(),
            pid = dir.join("fpm.pid").display(),
        ),
    )
    .unwrap();
    let mut cmd = Command::new(php_fpm_binary());
    cmd.arg("-F").arg("-y").arg(&conf).arg("-p").arg(dir);
    // As root, PHP-FPM wants to be told that running its workers as root is meant.
    if std::env::var("USER").as_deref() == Ok("root") || unsafe_is_root() {
        cmd.arg("-R");
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("php-fpm starts");
    let fpm = PhpFpm(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "php-fpm did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    fpm
}

/// True when the test runs as root (uid 0), read from /proc without a libc call.
fn unsafe_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn php_pages_are_served_through_mux_fastcgi() {
    let (fpm_port, web) = (free_port(), free_port());
    let cb = Codebase::new("fastcgi");
    let docs = cb.file(
        "www/index.php",
        "<?php\nheader('X-Php: yes');\n$in = file_get_contents('php://input');\n\
         echo $_SERVER['REQUEST_METHOD'], ' ', $_SERVER['SCRIPT_NAME'], ' q=', $_SERVER['QUERY_STRING'],\n\
         ' body=', strlen($in), ' ua=', $_SERVER['HTTP_USER_AGENT'] ?? '', \"\\n\";\n",
    );
    cb.file(
        "www/fail.php",
        "<?php\nhttp_response_code(500);\necho \"failed\\n\";\n",
    );
    let root = docs.parent().unwrap().to_path_buf();
    let _fpm = start_php_fpm(&root, fpm_port);
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()
.listen({web})
.demuxHTTP().to($=>$
  .replaceMessage(msg => {{
    var url = new URL(msg.head.path);
    var path = url.pathname === '/' ? '/index.php' : url.pathname;
    return new Message({{
      keepAlive: true,
      params: Object.assign({{
        REQUEST_METHOD: msg.head.method,
        REQUEST_URI: url.pathname,
        QUERY_STRING: url.query,
        SCRIPT_FILENAME: '{root}' + path,
        SCRIPT_NAME: path,
        CONTENT_LENGTH: String(msg.body ? msg.body.size : 0),
      }}, Object.fromEntries(Object.entries(msg.head.headers).map(
        ([k, v]) => ['HTTP_' + k.toUpperCase().replaceAll('-', '_'), v]))),
    }}, msg.body);
  }})
  .muxFastCGI(() => 'php').to($=>$.connect('127.0.0.1:{fpm_port}'))
  .handleMessageEnd(e => console.log(`fastcgi end: app status ${{e.tail.appStatus}}, protocol status ${{e.tail.protocolStatus}}, stderr ${{e.tail.stderr.size}} bytes`))
  .replaceMessageStart(() => new Data('HTTP/1.1 200 OK\\r\\n'))
  .replaceMessageEnd(new StreamEnd)
  .decodeHTTPResponse()
)",
            root = root.display()
        ),
    );
    let engine = Engine::start(&script, &[web]);
    let url = format!("http://127.0.0.1:{web}");
    let out = curl(&["-A", "t/1", "-i", &format!("{url}/?a=1")]);
    assert!(out.contains("X-Php: yes"), "{out}\nlog:\n{}", engine.log());
    assert!(
        out.ends_with("GET /index.php q=a=1 body=0 ua=t/1\n"),
        "{out}"
    );
    // A body goes to the page's standard input, 200 KB of it in several STDIN records.
    let body = cb.file("body.bin", &"x".repeat(200_000));
    let out = curl(&[
        "--data-binary",
        &format!("@{}", body.display()),
        &format!("{url}/index.php"),
    ]);
    assert_eq!(
        out,
        "POST /index.php q= body=200000 ua=curl/7.88.1\n".replace("curl/7.88.1", &curl_agent())
    );
    // Many requests at once, over the pool's connections: with `keepAlive`, each PHP-FPM worker
    // stays with its connection, so no more run at once than there are workers.
    let urls: Vec<String> = (0..20).map(|i| format!("{url}/?n={i}")).collect();
    let mut args = vec!["--parallel", "--parallel-max", "4"];
    args.extend(urls.iter().map(String::as_str));
    let out = curl(&args);
    assert_eq!(out.lines().count(), 20, "{out}");
    for i in 0..20 {
        assert!(out.contains(&format!("q=n={i} ")), "{out}");
    }
    // The page's CGI headers come through (this script puts its own status line first), and
    // each answer's tail tells how the application ended.
    let out = curl(&["-i", &format!("{url}/fail.php")]);
    assert!(out.contains("Status: 500"), "{out}");
    assert!(out.ends_with("failed\n"), "{out}");
    engine.wait_log(
        "fastcgi end: app status 0, protocol status 0, stderr 0 bytes",
        5,
    );
}

#[test]
fn a_dead_fastcgi_application_ends_the_request_and_the_server_goes_on() {
    let (dead, web) = (free_port(), free_port());
    let cb = Codebase::new("fastcgi-dead");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()
.listen({web})
.demuxHTTP().to($=>$
  .replaceMessage(msg => new Message({{ params: {{ SCRIPT_FILENAME: '/x.php' }} }}))
  .muxFastCGI().to($=>$.connect('127.0.0.1:{dead}'))
  .replaceMessage(() => new Message('unexpected'))
)"
        ),
    );
    let engine = Engine::start(&script, &[web]);
    let url = format!("http://127.0.0.1:{web}/");
    for _ in 0..3 {
        let code = curl(&["-o", "/dev/null", "-w", "%{http_code}", &url]);
        assert_eq!(code, "502", "log:\n{}", engine.log());
    }
}

/// The User-Agent this machine's curl sends.
fn curl_agent() -> String {
    let out = Command::new("curl")
        .arg("--version")
        .output()
        .expect("curl");
    let v = String::from_utf8_lossy(&out.stdout);
    let version = v.split_whitespace().nth(1).unwrap_or("");
    format!("curl/{version}")
}

/// NGINX with `fastcgi_pass` to `app`, on `port`, stopped when dropped.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        stop(&mut self.0);
    }
}

fn start_nginx(dir: &Path, port: u16, app: u16) -> Nginx {
    let conf = dir.join("nginx.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "daemon off; pid {d}/nginx.pid; error_log {d}/nginx.err;
events {{}}
http {{
  access_log off;
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  upstream app {{ server 127.0.0.1:{app}; keepalive 4; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      fastcgi_pass app;
      fastcgi_keep_conn on;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param HTTP_X_NAME $http_x_name;
    }}
  }}
}}
"
        ),
    )
    .unwrap();
    let child = Command::new("/usr/sbin/nginx")
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts (scripts/setup.sh fastcgi installs it)");
    let nginx = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    nginx
}

#[test]
fn nginx_passes_requests_to_demux_fastcgi() {
    let (app, web) = (free_port(), free_port());
    let cb = Codebase::new("fastcgi-app");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()
.listen({app})
.demuxFastCGI().to($=>$
  .replaceMessage(req => new Message(
    'Content-Type: text/plain\\r\\nX-App: sluice\\r\\n\\r\\n' +
    `${{req.head.params.REQUEST_METHOD}} ${{req.head.params.REQUEST_URI}} name=${{req.head.params.HTTP_X_NAME}} ` +
    `body=${{req.body ? req.body.size : 0}} keep=${{req.head.keepAlive}} role=${{req.head.role}}\\n`))
)"
        ),
    );
    let engine = Engine::start(&script, &[app]);
    let dir = script.parent().unwrap().to_path_buf();
    let _nginx = start_nginx(&dir, web, app);
    let url = format!("http://127.0.0.1:{web}");
    let out = curl(&["-i", "-H", "x-name: ann", &format!("{url}/a?b=1")]);
    assert!(
        out.contains("X-App: sluice"),
        "{out}\nlog:\n{}",
        engine.log()
    );
    assert!(
        out.ends_with("GET /a?b=1 name=ann body=0 keep=true role=1\n"),
        "{out}"
    );
    // A body of 300 KB reaches the application as standard input, in several records.
    let body = cb.file("body.bin", &"y".repeat(300_000));
    let out = curl(&[
        "--data-binary",
        &format!("@{}", body.display()),
        &format!("{url}/up"),
    ]);
    assert_eq!(out, "POST /up name= body=300000 keep=true role=1\n");
    // Requests one after another reuse NGINX's kept connections.
    for i in 0..10 {
        assert_eq!(
            curl(&[&format!("{url}/{i}")]),
            format!("GET /{i} name= body=0 keep=true role=1\n")
        );
    }
}

#[test]
fn demux_fastcgi_refuses_garbage_and_goes_on() {
    let app = free_port();
    let cb = Codebase::new("fastcgi-garbage");
    let script = cb.file(
        "main.js",
        &format!("pipy().listen({app}).demuxFastCGI().to($=>$.replaceMessage(new Message('x')))"),
    );
    let engine = Engine::start(&script, &[app]);
    let (reply, closed) = raw_exchange(app, b"GET / HTTP/1.1\r\n\r\n", 5);
    assert!(reply.is_empty() && closed, "{reply:?}");
    // The error is logged as the connection closes: wait for the line to be read.
    engine.wait_log("demuxFastCGI(): unknown FastCGI version 71", 5);
}
