//! The start-up graph, drawn exactly as the seed article's log shows it.

mod common;

use common::*;

fn graph_of(files: &[(&str, &str)], main: &str) -> String {
    let cb = Codebase::new("graph");
    for (p, t) in files {
        cb.file(p, t);
    }
    let (code, _, err) = run_to_end(&["--check", cb.dir.join(main).to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    // Strip the timestamp and level, keep what follows "[config] ".
    err.lines()
        .filter_map(|l| l.split_once("[config] ").map(|(_, r)| r.to_string()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_link_with_a_bypass_and_nested_joints_is_drawn_as_in_the_spec() {
    let g = graph_of(
        &[(
            "balancer.js",
            r#"pipy({ _target: '' })
.pipeline('request')
  .handleMessageStart(() => null)
  .link('forward', () => Boolean(_target), '')
.pipeline('forward')
  .link('connection')
.pipeline('connection')
  .connect(() => _target)
.pipeline('session')
  .handleStreamStart(() => null)
  .handleStreamEnd(() => null)
"#,
        )],
        "balancer.js",
    );
    let expected = r#"
Module /balancer.js
===================

 [request]
 ----->|
       |
      handleMessageStart
      link
       |
       |--> [forward]
       |     link
       |      |
       |      |--> [connection]
       |            connect -->|
       |                       |
       |--> [[empty]] -------->|
                               |
 <-----------------------------|
 
 [session]
 ----->|
       |
      handleStreamStart
      handleStreamEnd
       |
 <-----|
 "#;
    assert_eq!(g.trim_end(), expected.trim_end(), "got:\n{g}");
}

#[test]
fn a_plugin_use_under_a_listen_is_drawn_with_its_label() {
    let g = graph_of(
        &[
            (
                "proxy.js",
                "pipy()\n.listen(8000)\n  .use(['plugins/a.js', 'plugins/b.js', 'plugins/c.js'], 'session')\n  .link('request')\n.pipeline('request')\n  .use(['plugins/a.js', 'plugins/b.js', 'plugins/c.js'], 'request', 'response')\n",
            ),
            ("plugins/a.js", "pipy()\n.pipeline('request')\n  .dummy()\n"),
            ("plugins/b.js", "pipy()\n.pipeline('session')\n  .dummy()\n"),
            ("plugins/c.js", "pipy()\n.pipeline('request')\n  .dummy()\n"),
        ],
        "proxy.js",
    );
    let expected = r#"
Module /proxy.js
================

 [Listen on :::8000]
 ----->|
       |
      use /plugins/a.js (plus 2 more) [session]
      link
       |
       |--> [request]
             use /plugins/a.js (plus 2 more) [request] -->|
                                                          |
 <--------------------------------------------------------|
 "#;
    assert!(g.starts_with(expected.trim_end()), "got:\n{g}");
}

#[test]
fn the_articles_mock_services_and_proxy_graphs_match_its_log() {
    let g = graph_of(
        &[(
            "mock-proxy.js",
            "pipy()\n\n.listen(8080)\n  .serveHTTP(\n    new Message('Hi, there!\\n')\n  )\n\n.listen(8081)\n  .serveHTTP(\n    msg => new Message(msg.body)\n  )\n",
        )],
        "mock-proxy.js",
    );
    let expected = "
Module /mock-proxy.js
=====================

 [Listen on :::8080]
 ----->|
       |
      serveHTTP
       |
 <-----|
 
 [Listen on :::8081]
 ----->|
       |
      serveHTTP
       |
 <-----|
 ";
    assert_eq!(g.trim_end(), expected.trim_end(), "got:\n{g}");

    let g = graph_of(
        &[
            (
                "proxy.js",
                "pipy()\n.export('proxy', { __turnDown: false })\n.listen(8000)\n  .use(['plugins/router.js', 'plugins/balancer.js', 'plugins/default.js'], 'session')\n  .demuxHTTP('request')\n.pipeline('request')\n  .use(['plugins/router.js', 'plugins/balancer.js', 'plugins/default.js'], 'request', 'response', () => __turnDown)\n",
            ),
            ("plugins/router.js", "pipy()\n.pipeline('request')\n  .handleMessageStart(() => null)\n"),
            ("plugins/balancer.js", "pipy()\n.pipeline('session')\n  .handleStreamStart(() => null)\n"),
            ("plugins/default.js", "pipy()\n.pipeline('request')\n  .replaceMessage(new Message({ status: 404 }, 'No handler found'))\n"),
        ],
        "proxy.js",
    );
    let expected = "
Module /proxy.js
================

 [Listen on :::8000]
 ----->|
       |
      use /plugins/router.js (plus 2 more) [session]
      demuxHTTP
       |
       |--> [request]
             use /plugins/router.js (plus 2 more) [request] -->|
                                                               |
 <-------------------------------------------------------------|
 ";
    assert!(g.starts_with(expected.trim_end()), "got:\n{g}");
}
