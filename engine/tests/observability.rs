//! Metrics and access logs, scraped from the real engine.

mod common;

use common::*;

fn scrape(admin: u16) -> prometheus_parse::Scrape {
    let text = curl(&[&format!("http://127.0.0.1:{admin}/metrics")]);
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("valid Prometheus text")
}

fn value(s: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.samples
        .iter()
        .filter(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(v)))
        .map(|x| match x.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(ref h) => {
                h.iter().map(|b| b.count).fold(0.0, f64::max)
            }
            _ => 0.0,
        })
        .sum()
}

#[test]
fn counters_move_by_exactly_the_requests_sent() {
    let (proxy, backend, admin) = (free_port(), free_port(), free_port());
    let cb = Codebase::new("metrics");
    let script = cb.file(
        "main.js",
        &format!(
            r#"var hits = new stats.Counter('demo_hits_total', ['path']);
var sizes = new stats.Histogram('demo_body_bytes', [10, 100, 1000]);
pipy()
.listen({proxy})
  .demuxHTTP({{ accessLog: true }}).to($=>$
    .handleMessageStart(msg => hits.withLabels(msg.head.path).increase())
    .handleMessageBody(b => sizes.observe(b.size))
    .muxHTTP(() => 'backend').to($=>$.connect('127.0.0.1:{backend}'))
  )
.listen({backend})
  .serveHTTP(msg => msg.head.path === '/missing' ? new Message({{ status: 404 }}, 'no') : new Message('hello'))
"#
        ),
    );
    let e = Engine::start_with(
        &script,
        &[proxy, backend],
        &[&format!("--admin-port={admin}")],
    );
    e.wait_port(admin);
    let before = scrape(admin);
    const N: usize = 25;
    for _ in 0..N {
        assert_eq!(curl(&[&format!("http://127.0.0.1:{proxy}/x")]), "hello");
    }
    curl(&[&format!("http://127.0.0.1:{proxy}/missing")]);
    let after = scrape(admin);
    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    let p = proxy.to_string();
    assert_eq!(
        delta("sluice_inbound_connections_total", &[("listen", &p)]),
        (N + 1) as f64
    );
    assert_eq!(delta("demo_hits_total", &[("path", "/x")]), N as f64);
    assert_eq!(delta("demo_hits_total", &[("path", "/missing")]), 1.0);
    // Each request is answered twice (backend, then proxy): 2xx moves by 2N, 4xx by 2.
    assert_eq!(
        delta("sluice_http_responses_total", &[("class", "2xx")]),
        (2 * N) as f64
    );
    assert_eq!(
        delta("sluice_http_responses_total", &[("class", "4xx")]),
        2.0
    );
    // Upstream figures are labelled by the address reached, not by the pool key.
    let reached = format!("127.0.0.1:{backend}");
    assert_eq!(
        delta(
            "sluice_upstream_response_seconds_count",
            &[("upstream", &reached)]
        ),
        (N + 1) as f64
    );
    assert!(value(&after, "sluice_js_heap_bytes", &[("worker", "0")]) > 0.0);
    let text = curl(&[&format!("http://127.0.0.1:{admin}/metrics")]);
    assert!(
        text.contains("# TYPE demo_hits_total counter")
            && text.contains("# HELP sluice_inbound_connections_total"),
        "{text}"
    );
    assert!(text.contains("demo_body_bytes_bucket{le=\"10\"}"), "{text}");
    // The access log has one line per response with NGINX-like fields.
    let log = e.wait_log("\"GET /missing HTTP/1.1\" 404 2", 5);
    assert_eq!(
        log.matches("[access] 127.0.0.1 \"GET /x HTTP/1.1\" 200 5 ")
            .count(),
        N,
        "{log}"
    );
    assert!(log.contains(&format!(" 127.0.0.1:{backend}\n")), "{log}");
}

#[test]
fn json_logs_carry_the_access_fields() {
    let port = free_port();
    let cb = Codebase::new("jsonlog");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({port})\n  .serveHTTP(new Message('ok'), {{ accessLog: true }})\n"
        ),
    );
    let e = Engine::start_with(&script, &[port], &["--log-format", "json"]);
    curl(&[&format!("http://127.0.0.1:{port}/j")]);
    let log = e.wait_log("\"path\":\"/j\"", 5);
    let line = log
        .lines()
        .find(|l| l.contains("\"topic\":\"access\""))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["method"], "GET");
    assert_eq!(v["bytes"], 2);
    assert_eq!(v["level"], "info");
}

#[test]
fn script_loggers_write_text_and_json_lines() {
    let port = free_port();
    let cb = Codebase::new("loggers");
    let file = cb.dir.join("out.log");
    let script = cb.file(
        "main.js",
        &format!(
            r#"var text = new logging.TextLogger('t').toFile('{f}');
var json = new logging.JSONLogger('j').toFile('{f}').toStdout();
pipy()
.listen({port})
  .serveHTTP(msg => (text.log('hit', msg.head.path, {{ n: 1 }}), json.log({{ path: msg.head.path }}), new Message('ok')))
"#,
            f = file.display()
        ),
    );
    let _e = Engine::start(&script, &[port]);
    assert_eq!(curl(&[&format!("http://127.0.0.1:{port}/a")]), "ok");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, "hit /a { n: 1 }\n{\"path\":\"/a\"}\n");
}

#[test]
fn a_logger_can_send_its_lines_to_an_http_collector() {
    use std::io::{BufRead, BufReader, Read};
    let collector = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cport = collector.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for c in collector.incoming().flatten() {
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut head = String::new();
            let mut len = 0;
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
                if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                head.push_str(&l);
            }
            let mut body = vec![0u8; len];
            r.read_exact(&mut body).unwrap();
            let _ = std::io::Write::write_all(&mut &c, b"HTTP/1.1 204 No Content\r\n\r\n");
            let _ = tx.send(format!(
                "{}{}",
                head.lines().next().unwrap_or(""),
                String::from_utf8_lossy(&body)
            ));
        }
    });
    let port = free_port();
    let cb = Codebase::new("httplog");
    let script = cb.file(
        "main.js",
        &format!(
            "var log = new logging.JSONLogger('collector').toHTTP('http://127.0.0.1:{cport}/logs');\npipy()\n.listen({port})\n  .serveHTTP(msg => (log.log({{ path: msg.head.path }}), new Message('ok')))\n"
        ),
    );
    let _e = Engine::start(&script, &[port]);
    curl(&[&format!("http://127.0.0.1:{port}/one")]);
    curl(&[&format!("http://127.0.0.1:{port}/two")]);
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("the collector got a batch");
    assert_eq!(
        got,
        "POST /logs HTTP/1.1{\"path\":\"/one\"}\n{\"path\":\"/two\"}\n"
    );
}
