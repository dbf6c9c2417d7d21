//! SOCKS through the real engine: curl as a SOCKS 4, 4a and 5 client of `acceptSOCKS` (both
//! API generations), refusals, and `connectSOCKS` reaching a service through it.

mod common;

use std::process::Command;

use common::*;

fn curl_via(proxy_flag: &str, proxy: u16, url: &str) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "-m", "10", proxy_flag])
        .arg(format!("127.0.0.1:{proxy}"))
        .arg(url)
        .output()
        .unwrap();
    let text = if out.status.success() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    (out.status.success(), text)
}

#[test]
fn socks_4_4a_and_5_clients_reach_what_the_handler_allows() {
    let cb = Codebase::new("socks");
    let (socks, early, web, client) = (free_port(), free_port(), free_port(), free_port());
    let script = cb.file(
        "main.js",
        &format!(
            r#"pipy({{ _target: '' }})
.listen({socks})
  .acceptSOCKS(({{ id, ip, domain, port }}) => {{
    _target = `${{domain === 'localhost' ? '127.0.0.1' : ip}}:${{port}}`;
    return port === {web};
  }}).to($=>$.connect(() => _target))
.pipeline('tunnel')
  .connect(() => _target)
.listen({early})
  .acceptSOCKS('tunnel', (host, port, id) => {{
    _target = `${{host === 'localhost' ? '127.0.0.1' : host}}:${{port}}`;
    return true;
  }})
.listen({client})
  .connectSOCKS('127.0.0.1:{web}').to($=>$.connect('127.0.0.1:{socks}'))
.listen({web})
  .serveHTTP(req => new Message(`web ${{req.head.path}}`))
"#
        ),
    );
    let _e = Engine::start(&script, &[socks, early, web, client]);
    let by_ip = format!("http://127.0.0.1:{web}/ip");
    let by_name = format!("http://localhost:{web}/name");
    for (flag, url, want) in [
        ("--socks4", &by_ip, "web /ip"),
        ("--socks4a", &by_name, "web /name"),
        ("--socks5", &by_ip, "web /ip"),
        ("--socks5-hostname", &by_name, "web /name"),
    ] {
        let (ok, out) = curl_via(flag, socks, url);
        assert!(ok, "{flag}: {out}");
        assert_eq!(out, want, "{flag}");
        let (ok, out) = curl_via(flag, early, url);
        assert!(ok, "[A] {flag}: {out}");
        assert_eq!(out, want, "[A] {flag}");
    }
    // The handler refuses other ports: curl is told so, the engine goes on.
    let (ok, out) = curl_via("--socks5", socks, &format!("http://127.0.0.1:{early}/"));
    assert!(!ok, "{out}");
    assert!(out.contains("SOCKS"), "{out}");
    let (ok, out) = curl_via("--socks4", socks, &format!("http://127.0.0.1:{early}/"));
    assert!(!ok, "{out}");
    // connectSOCKS: plain HTTP to `client` travels through the SOCKS proxy to the web service.
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{client}/via")]),
        "web /via"
    );
    let (ok, out) = curl_via("--socks5", socks, &by_ip);
    assert!(ok && out == "web /ip", "{out}");
}
