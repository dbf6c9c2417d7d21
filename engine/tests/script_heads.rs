//! Message heads as scripts see them, through the real engine proxying to a real origin: a
//! head a script only reads goes out exactly as one no script saw, and every way a script can
//! read, change, copy or keep a head behaves as it does on a plain object.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::*;

/// An origin that answers every request with the request head it received, byte for byte, as
/// its body, and with two `Set-Cookie` fields and a mixed-case header in its own head.
fn echo_origin() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            std::thread::spawn(move || loop {
                let Some((head, len)) = read_head(&mut s) else {
                    return;
                };
                let mut body = vec![0u8; len];
                if s.read_exact(&mut body).is_err() {
                    return;
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nX-Origin: Yes\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\
                     Content-Length: {}\r\n\r\n{head}",
                    head.len()
                );
                if s.write_all(reply.as_bytes()).is_err() {
                    return;
                }
            });
        }
    });
    port
}

/// Reads a head (up to the blank line) and its `content-length`.
fn read_head(s: &mut TcpStream) -> Option<(String, usize)> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8(head).unwrap();
    let len = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .map_or(0, |v| v.parse().unwrap());
    Some((head, len))
}

/// Sends one raw request to `port` and returns the response head and body.
fn ask(port: u16, request: &str) -> (String, String) {
    let mut s = connect(port);
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let (head, len) = read_head(&mut s).expect("a response head");
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

/// The value of the first `name:` line of a head (name matched exactly as spelled).
fn field(head: &str, name: &str) -> Option<String> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::to_string)
}

const REQUEST: &str = "GET /a?b=c HTTP/1.1\r\nHost: example.test\r\nUser-Agent: probe/1\r\n\
                       X-A: one\r\nx-lower: two\r\nX-Gone: three\r\nAccept: */*\r\n\r\n";

/// One engine, one listener per scenario, all proxying to `origin`.
fn start(origin: u16, scenarios: &[(&str, u16)]) -> (Codebase, Engine) {
    let mut js = String::from(
        "pipy({ _t: '127.0.0.1:ORIGIN', _h: null, _ua: '', _keys: '', _forin: '', _json: '', \
         _in: '', _spread: '', _isArray: '' })\n",
    )
    .replace("ORIGIN", &origin.to_string());
    for (body, port) in scenarios {
        js.push_str(&format!(".listen({port}).demuxHTTP().to($ => ${body})\n"));
    }
    let cb = Codebase::new("script-heads");
    let path = cb.file("main.js", &js);
    let ports: Vec<u16> = scenarios.iter().map(|(_, p)| *p).collect();
    let e = Engine::start(&path, &ports);
    (cb, e)
}

const PROXY: &str = ".muxHTTP(() => _t).to($ => $.connect(() => _t))";

#[test]
fn a_head_a_script_only_reads_goes_out_as_one_no_script_saw() {
    let origin = echo_origin();
    let (plain, read) = (free_port(), free_port());
    let reader = format!(
        ".handleMessageStart(m => {{ _ua = m.head.headers['user-agent'] + m.head.path + \
         m.head.method + m.head.protocol + Object.keys(m.head.headers).length }}){PROXY}\
         .handleMessageStart(r => {{ r.head.headers['x-ua'] = _ua }})"
    );
    let (_c, _e) = start(origin, &[(PROXY, plain), (&reader, read)]);
    let (_, untouched) = ask(plain, REQUEST);
    let (head, seen) = ask(read, REQUEST);
    assert_eq!(seen, untouched, "the origin got the same head bytes");
    assert!(untouched.starts_with("GET /a?b=c HTTP/1.1\r\nHost: example.test\r\n"));
    assert!(untouched.contains("X-A: one\r\nx-lower: two\r\nX-Gone: three\r\n"));
    assert_eq!(
        field(&head, "x-ua").as_deref(),
        Some("probe/1/a?b=cGETHTTP/1.16")
    );
    // A response read on its way back keeps its own spelling and its two cookies.
    assert_eq!(field(&head, "X-Origin").as_deref(), Some("Yes"));
    assert_eq!(head.matches("Set-Cookie: ").count(), 2, "{head}");
}

#[test]
fn a_script_changes_adds_and_deletes_headers_and_the_start_line() {
    let origin = echo_origin();
    let (edit, same) = (free_port(), free_port());
    let editor = format!(
        ".handleMessageStart(m => {{ const h = m.head.headers; h['x-a'] = 'changed'; \
         delete h['x-gone']; h['X-New'] = 'added'; h['x-num'] = 42; m.head.path = '/edited'; \
         m.head.method = 'PUT' }}){PROXY}\
         .handleMessageStart(r => {{ r.head.status = 201; r.head.statusText = 'Made'; \
         r.head.headers['x-origin'] = 'rewritten'; delete r.head.headers['set-cookie'] }})"
    );
    // Writing back the very same values (or re-adding a header at the end) is a change of
    // order only where the object's order changed.
    let rewriter = format!(
        ".handleMessageStart(m => {{ const h = m.head.headers; h['x-a'] = 'one'; \
         const v = h['x-lower']; delete h['x-lower']; h['x-lower'] = v }}){PROXY}"
    );
    let (_c, _e) = start(origin, &[(&editor, edit), (&rewriter, same)]);

    let (head, seen) = ask(edit, REQUEST);
    assert!(seen.starts_with("PUT /edited HTTP/1.1\r\n"), "{seen}");
    assert!(seen.contains("X-A: changed\r\n"), "spelling kept: {seen}");
    assert!(!seen.to_ascii_lowercase().contains("x-gone"), "{seen}");
    assert!(seen.contains("X-New: added\r\n"), "{seen}");
    assert!(seen.contains("x-num: 42\r\n"), "{seen}");
    assert!(
        seen.contains("content-length: 0\r\n"),
        "an empty PUT: {seen}"
    );
    assert!(head.starts_with("HTTP/1.1 201 Made\r\n"), "{head}");
    assert_eq!(field(&head, "X-Origin").as_deref(), Some("rewritten"));
    assert!(!head.to_ascii_lowercase().contains("set-cookie"), "{head}");

    let (_, seen) = ask(same, REQUEST);
    let order: Vec<&str> = seen
        .lines()
        .skip(1)
        .filter_map(|l| l.split(':').next())
        .filter(|n| !n.is_empty())
        .collect();
    let lower_at = order.iter().position(|n| *n == "x-lower").unwrap();
    let accept_at = order.iter().position(|n| *n == "Accept").unwrap();
    assert!(accept_at < lower_at, "a re-added header goes last: {seen}");
    assert!(seen.contains("X-A: one\r\n"), "{seen}");
}

#[test]
fn a_head_enumerates_serialises_and_copies_like_a_plain_object() {
    let origin = echo_origin();
    let port = free_port();
    let inspect = format!(
        ".handleMessageStart(m => {{ const h = m.head.headers; _h = m.head; \
         _keys = Object.keys(h).join(','); \
         for (const k in h) _forin += k + ';'; \
         _json = JSON.stringify(m.head); \
         _in = ['x-a' in h, 'X-A' in h, 'nope' in h, 'headers' in m.head].join(','); \
         const copy = {{ ...h }}; copy['x-a'] = 'copy'; delete copy.accept; \
         _spread = Object.keys(copy).length + ':' + h['x-a'] + ':' + h.accept; \
         }}){PROXY}\
         .handleMessageStart(r => {{ const o = r.head.headers; o['x-keys'] = _keys; \
         o['x-forin'] = _forin; o['x-json'] = _json; o['x-in'] = _in; o['x-spread'] = _spread; \
         o['x-later'] = _h.path + ' ' + _h.headers['x-a'] + ' ' + _h.headerNames['x-a']; \
         _h.headers['x-a'] = 'late'; o['x-late'] = _h.headers['x-a']; \
         o['x-status'] = typeof r.head.status + r.head.status + r.head.statusText; \
         o['x-cookies'] = Array.isArray(o['set-cookie']) + ':' + o['set-cookie'].join('|'); \
         o['x-response-json'] = JSON.stringify(r.head.headers) }})"
    );
    let (_c, _e) = start(origin, &[(&inspect, port)]);
    let (head, seen) = ask(port, REQUEST);
    assert_eq!(
        field(&head, "x-keys").as_deref(),
        Some("host,user-agent,x-a,x-lower,x-gone,accept")
    );
    assert_eq!(
        field(&head, "x-forin").as_deref(),
        Some("host;user-agent;x-a;x-lower;x-gone;accept;")
    );
    assert_eq!(
        field(&head, "x-json").as_deref(),
        Some(
            "{\"method\":\"GET\",\"path\":\"/a?b=c\",\"protocol\":\"HTTP/1.1\",\"headers\":\
             {\"host\":\"example.test\",\"user-agent\":\"probe/1\",\"x-a\":\"one\",\
             \"x-lower\":\"two\",\"x-gone\":\"three\",\"accept\":\"*/*\"},\"headerNames\":\
             {\"host\":\"Host\",\"user-agent\":\"User-Agent\",\"x-a\":\"X-A\",\
             \"x-gone\":\"X-Gone\",\"accept\":\"Accept\"}}"
        )
    );
    assert_eq!(
        field(&head, "x-in").as_deref(),
        Some("true,false,false,true")
    );
    assert_eq!(field(&head, "x-spread").as_deref(), Some("5:one:*/*"));
    assert_eq!(field(&head, "x-later").as_deref(), Some("/a?b=c one X-A"));
    assert_eq!(field(&head, "x-late").as_deref(), Some("late"));
    assert_eq!(field(&head, "x-status").as_deref(), Some("number200OK"));
    assert_eq!(field(&head, "x-cookies").as_deref(), Some("true:a=1|b=2"));
    let json = field(&head, "x-response-json").unwrap();
    assert!(
        json.starts_with("{\"x-origin\":\"Yes\",\"set-cookie\":[\"a=1\",\"b=2\"],"),
        "{json}"
    );
    // Reading, copying and keeping the head changed nothing the origin got.
    assert!(seen.contains("X-A: one\r\nx-lower: two\r\nX-Gone: three\r\nAccept: */*\r\n"));
}

#[test]
fn a_head_given_to_a_new_message_or_event_goes_out_with_its_changes() {
    let origin = echo_origin();
    let (message, start_event, protocol) = (free_port(), free_port(), free_port());
    let remake = format!(
        ".replaceMessage(m => new Message(m.head, 'new body')){PROXY}\
         .replaceMessage(r => new Message({{ ...r.head, status: 202 }}, r.body))"
    );
    let restart = format!(
        ".replaceMessageStart(s => {{ s.head.headers['x-a'] = 'again'; \
         return new MessageStart(s.head) }}){PROXY}"
    );
    let downgrade = format!(".handleMessageStart(m => {{ m.head.protocol = 'HTTP/1.0' }}){PROXY}");
    let (_c, _e) = start(
        origin,
        &[
            (&remake, message),
            (&restart, start_event),
            (&downgrade, protocol),
        ],
    );

    let (head, seen) = ask(message, REQUEST);
    assert!(
        seen.starts_with("GET /a?b=c HTTP/1.1\r\nHost: example.test\r\n"),
        "{seen}"
    );
    assert!(seen.contains("X-A: one\r\n"), "{seen}");
    assert!(seen.contains("content-length: 8\r\n"), "{seen}");
    assert!(head.starts_with("HTTP/1.1 202 OK\r\n"), "{head}");
    assert_eq!(field(&head, "X-Origin").as_deref(), Some("Yes"));

    let (_, seen) = ask(start_event, REQUEST);
    assert!(seen.contains("X-A: again\r\n"), "{seen}");

    let (_, seen) = ask(protocol, REQUEST);
    assert!(seen.starts_with("GET /a?b=c HTTP/1.0\r\n"), "{seen}");
}

#[test]
fn repeated_and_cookie_headers_read_as_before() {
    let origin = echo_origin();
    let (plain, read) = (free_port(), free_port());
    let reader = format!(
        ".handleMessageStart(m => {{ _isArray = [Array.isArray(m.head.headers.cookie), \
         m.head.headers.cookie.join('|'), m.head.headers['x-dup']].join(' ') }}){PROXY}\
         .handleMessageStart(r => {{ r.head.headers['x-seen'] = _isArray }})"
    );
    let (_c, _e) = start(origin, &[(PROXY, plain), (&reader, read)]);
    let request = "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nX-Dup: 1\r\nCookie: b=2\r\n\
                   X-Dup: 2\r\n\r\n";
    let (_, untouched) = ask(plain, request);
    assert!(untouched.contains("Cookie: a=1\r\nX-Dup: 1\r\nCookie: b=2\r\nX-Dup: 2\r\n"));
    let (head, seen) = ask(read, request);
    assert_eq!(
        field(&head, "x-seen").as_deref(),
        Some("true a=1|b=2 2"),
        "cookies are a list, a repeated header its last value"
    );
    // A head a script looked at goes out as its object reads: cookies together, a repeated
    // header once.
    assert!(
        seen.contains("Cookie: a=1\r\nCookie: b=2\r\nX-Dup: 2\r\n"),
        "{seen}"
    );
    assert!(!seen.contains("X-Dup: 1"), "{seen}");
}

#[test]
fn header_objects_behave_as_plain_objects_and_leave_nothing_behind() {
    let port = free_port();
    let cb = Codebase::new("script-heads-objects");
    let script = "pipy().listen(PORT).serveHTTP(m => {\n\
        const h = m.head.headers, out = [];\n\
        out.push([Object.getPrototypeOf(h) === Object.prototype, h instanceof Object,\n\
          h.constructor === Object, String(h), typeof h, Array.isArray(h)].join());\n\
        out.push([h.hasOwnProperty('x-a'), h.hasOwnProperty('toString'), 'toString' in h,\n\
          h['X-A'] === undefined, h[Symbol.iterator] === undefined].join());\n\
        out.push(JSON.stringify(Object.getOwnPropertyDescriptor(h, 'x-a')));\n\
        out.push(JSON.stringify(Object.entries(h)));\n\
        Object.assign(h, { 'x-b': 'b' + m.head.path });\n\
        h['x-c'] = { n: 1 };\n\
        delete h.accept;\n\
        out.push([Object.keys(h).join(), h['x-b'], JSON.stringify(h['x-c'])].join());\n\
        out.push(JSON.stringify(m.head.headerNames));\n\
        return new Message(out.join('\\n'))\n\
      })\n";
    let path = cb.file("main.js", &script.replace("PORT", &port.to_string()));
    let mut e = Engine::start(&path, &[port]);
    let (_, body) = ask(
        port,
        "GET /p HTTP/1.1\r\nHost: h\r\nX-A: one\r\nAccept: */*\r\n\r\n",
    );
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "true,true,true,[object Object],object,false");
    assert_eq!(lines[1], "true,false,true,true,true");
    assert_eq!(
        lines[2],
        "{\"value\":\"one\",\"writable\":true,\"enumerable\":true,\"configurable\":true}"
    );
    assert_eq!(
        lines[3],
        "[[\"host\",\"h\"],[\"x-a\",\"one\"],[\"accept\",\"*/*\"]]"
    );
    assert_eq!(lines[4], "host,x-a,x-b,x-c,b/p,{\"n\":1}");
    assert_eq!(
        lines[5],
        "{\"host\":\"Host\",\"x-a\":\"X-A\",\"accept\":\"Accept\"}"
    );
    // The values a script set are the engine's to free when the program stops: it exits
    // cleanly, with no leak or double free for the script runtime to trip over.
    let term = std::process::Command::new("kill")
        .args(["-TERM", &e.pid().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let mut code = None;
    for _ in 0..150 {
        code = e.try_wait();
        if code.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(code, Some(0), "{}", e.log());
}

#[test]
fn headers_a_script_only_adds_go_out_as_the_script_object_would_send_them() {
    // The same additions, once alone (the head goes out from its decoded form plus the added
    // fields) and once followed by an enumeration (the head goes out from the script object):
    // the origin must see the same bytes, and the script must read back what it added.
    let origin = echo_origin();
    let (added, listed, mixed) = (free_port(), free_port(), free_port());
    let add = "const h = m.head.headers; h['x-gateway'] = 'sluice'; h['X-Mixed'] = 'Case'; \
               h['x-gateway'] = 'sluice2'; _ua = h['x-gateway'] + ('X-Mixed' in h) + \
               h.hasOwnProperty('x-gateway') + (h['x-absent'] === undefined)";
    let alone = format!(
        ".handleMessageStart(m => {{ {add} }}){PROXY}\
         .handleMessageStart(r => {{ r.head.headers['x-served-by'] = _ua }})"
    );
    let then_listed = format!(
        ".handleMessageStart(m => {{ {add}; _keys = Object.keys(h).join() }}){PROXY}\
         .handleMessageStart(r => {{ r.head.headers['x-served-by'] = _ua; \
         r.head.headers['x-keys'] = _keys }})"
    );
    // Not additions: a number, and a name the head already has in another case.
    let other = format!(
        ".handleMessageStart(m => {{ const h = m.head.headers; h['x-num'] = 7; \
         h['User-Agent'] = 'other/2' }}){PROXY}"
    );
    let (_c, _e) = start(
        origin,
        &[(&alone, added), (&then_listed, listed), (&other, mixed)],
    );
    // A request whose fields are one per name (no repeats, no cookies).
    let request = "GET /p HTTP/1.1\r\nHost: example.test\r\nUser-Agent: probe/1\r\n\
                   X-A: one\r\n\r\n";
    let (head_a, seen_a) = ask(added, request);
    let (head_l, seen_l) = ask(listed, request);
    assert_eq!(seen_a, seen_l, "the same bytes either way");
    assert!(
        seen_a.starts_with(
            "GET /p HTTP/1.1\r\nHost: example.test\r\nUser-Agent: probe/1\r\nX-A: one\r\n\
             x-gateway: sluice2\r\nX-Mixed: Case\r\n"
        ),
        "the head's fields, then the added ones in the order first added: {seen_a}"
    );
    assert_eq!(
        field(&head_a, "x-served-by").as_deref(),
        Some("sluice2truetruetrue")
    );
    assert_eq!(field(&head_l, "x-served-by"), field(&head_a, "x-served-by"));
    assert_eq!(
        field(&head_l, "x-keys").as_deref(),
        Some("host,user-agent,x-a,x-gateway,X-Mixed")
    );
    let (_, seen_o) = ask(mixed, request);
    assert!(seen_o.contains("x-num: 7\r\n"), "{seen_o}");
    assert!(seen_o.contains("User-Agent: other/2\r\n"), "{seen_o}");
}
