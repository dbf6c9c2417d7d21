//! HTTP/1 framing as RFC 9112 requires, told through raw sockets: every request the RFC says a
//! server must reject gets its exact status line and the connection closes; a proxy never
//! forwards a response whose framing could be read two ways. `docs/http1-conformance.md` lists
//! each rule with the test that checks it.

mod common;

use common::*;

/// A server answering every good request with 200 "ok".
fn server(name: &str) -> (Codebase, Engine, u16) {
    let port = free_port();
    let cb = Codebase::new(name);
    let script = cb.file(
        "main.js",
        &format!("pipy()\n.listen({port})\n  .serveHTTP(new Message('ok'))\n"),
    );
    let e = Engine::start(&script, &[port]);
    (cb, e, port)
}

/// Sends `req` raw and returns the first line of the answer and whether the server closed.
fn answer(port: u16, req: &[u8]) -> (String, bool) {
    let (out, closed) = raw_exchange(port, req, 5);
    let text = String::from_utf8_lossy(&out).into_owned();
    (text.lines().next().unwrap_or("").to_string(), closed)
}

/// Asserts that every request in `reqs` gets `status` and a closed connection.
fn assert_refused(port: u16, status: &str, reqs: &[&[u8]]) {
    for req in reqs {
        assert_eq!(
            answer(port, req),
            (status.to_string(), true),
            "request {:?}",
            String::from_utf8_lossy(&req[..req.len().min(120)])
        );
    }
}

const BAD: &str = "HTTP/1.1 400 Bad Request";

#[test]
fn an_http11_request_without_host_is_served_as_pipy_serves_it() {
    let (_c, _e, port) = server("nohost");
    for req in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi",
    ] {
        let (out, _) = raw_exchange(port, req, 2);
        let out = String::from_utf8_lossy(&out);
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    }
}

#[test]
fn two_host_headers_are_400_in_any_version() {
    let (_c, _e, port) = server("twohosts");
    assert_refused(
        port,
        BAD,
        &[
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
            b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
        ],
    );
}

#[test]
fn an_invalid_host_value_is_400() {
    let (_c, _e, port) = server("badhost");
    assert_refused(
        port,
        BAD,
        &[
            b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n",
        ],
    );
}

#[test]
fn good_requests_of_real_clients_are_still_served() {
    let (_c, _e, port) = server("good");
    let ok = |req: &[u8]| {
        let (out, _) = raw_exchange(port, req, 5);
        let text = String::from_utf8_lossy(&out).into_owned();
        assert!(
            text.starts_with("HTTP/1.") && text.contains(" 200 OK\r\n"),
            "{req:?}: {text}"
        );
        assert!(text.ends_with("ok"), "{text}");
    };
    // HTTP/1.0 needs no Host.
    ok(b"GET / HTTP/1.0\r\n\r\n");
    ok(b"GET / HTTP/1.1\r\nHost: a.example:8080\r\nConnection: close\r\n\r\n");
    ok(b"GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n");
    ok(b"GET http://a.example/x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
    ok(b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    // An empty line before the request line is skipped (RFC 9112 §2.2).
    ok(b"\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    ok(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2;name=value;q=\"x y\"\r\nhi\r\n0\r\nX-Trailer: t\r\n\r\n");
    // curl sends Host over HTTP/1.1, and nothing in its request is refused.
    let url = format!("http://127.0.0.1:{port}/");
    assert_eq!(curl(&[&url]), "ok");
    assert_eq!(curl(&["-0", &url]), "ok");
    assert_eq!(curl(&["-d", "body", &url]), "ok");
}

#[test]
fn invalid_chunk_sizes_and_extensions_are_400() {
    let (_c, _e, port) = server("chunkext");
    let mut reqs = Vec::new();
    for line in [
        "5;x\0=y",
        "5;x=y\0",
        "5;",
        "5;=y",
        "5;x=",
        "5;x=\"open",
        " 5",
        "+5",
        "0x5",
        "5 ",
        "-1",
        "ffffffffffffffffff",
    ] {
        reqs.push(format!(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{line}\r\nhello\r\n0\r\n\r\n"
        ));
    }
    let reqs: Vec<&[u8]> = reqs.iter().map(|r| r.as_bytes()).collect();
    assert_refused(port, BAD, &reqs);
}

#[test]
fn chunk_data_without_crlf_and_bad_trailers_are_400() {
    let (_c, _e, port) = server("chunkcrlf");
    assert_refused(
        port,
        BAD,
        &[
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\0b\r\n\r\n",
        ],
    );
}

#[test]
fn bare_cr_and_bare_lf_line_endings_are_400() {
    let (_c, _e, port) = server("crlf");
    assert_refused(
        port,
        BAD,
        &[
            b"GET / HTTP/1.1\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\rHost: a\r\n\r\n",
        ],
    );
}

#[test]
fn malformed_header_fields_are_400() {
    let (_c, _e, port) = server("fields");
    assert_refused(
        port,
        BAD,
        &[
            // White space between the field name and the colon (§5.1).
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 0\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
            // Obsolete line folding (§5.2) and white space before the first field (§2.2).
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  b\r\n\r\n",
            b"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
            // NUL or a control character in a value (RFC 9110 §5.5), a name that is no token.
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n: z\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n",
        ],
    );
}

#[test]
fn malformed_request_lines_are_400() {
    let (_c, _e, port) = server("reqline");
    assert_refused(
        port,
        BAD,
        &[
            b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
            b"GET /\tHTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET / http/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
            b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
            b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET\r\nHost: a\r\n\r\n",
        ],
    );
}

#[test]
fn a_request_target_in_the_wrong_form_is_400() {
    let (_c, _e, port) = server("target");
    assert_refused(
        port,
        BAD,
        &[
            b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET x HTTP/1.1\r\nHost: a\r\n\r\n",
            b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"CONNECT a.example HTTP/1.1\r\nHost: a.example\r\n\r\n",
        ],
    );
}

#[test]
fn a_request_line_longer_than_the_head_limit_is_414() {
    let (_c, _e, port) = server("longuri");
    let mut req = b"GET /".to_vec();
    req.extend(std::iter::repeat_n(b'a', 70 * 1024));
    req.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_refused(port, "HTTP/1.1 414 URI Too Long", &[&req]);
}

#[test]
fn content_length_that_is_repeated_or_not_a_number_is_400() {
    let (_c, _e, port) = server("cl");
    assert_refused(
        port,
        BAD,
        &[
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nhi",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi!",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\nhi",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x2\r\n\r\nhi",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2 2\r\n\r\nhi",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\nhi",
        ],
    );
}

#[test]
fn transfer_encoding_that_could_be_read_two_ways_is_400() {
    let (_c, _e, port) = server("te");
    assert_refused(
        port,
        BAD,
        &[
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ],
    );
    assert_refused(
        port,
        "HTTP/1.1 501 Not Implemented",
        &[b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"],
    );
}

#[test]
fn a_proxy_answers_502_to_an_upstream_response_with_ambiguous_framing() {
    let upstream = origin_with(true, |path, _| {
        let head: &[u8] = match path {
            "/two-lengths" => b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 5\r\n\r\n",
            "/same-lengths" => b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 6\r\n\r\n",
            "/length-list" => b"HTTP/1.1 200 OK\r\nContent-Length: 6, 6\r\n\r\n",
            "/length-and-chunked" => {
                b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
            }
            "/chunked-twice" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            "/http10-chunked" => b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "/bad-length" => b"HTTP/1.1 200 OK\r\nContent-Length: +6\r\n\r\n",
            "/bare-lf" => b"HTTP/1.1 200 OK\nContent-Length: 6\n\n",
            "/space-before-colon" => b"HTTP/1.1 200 OK\r\nContent-Length : 6\r\n\r\n",
            _ => b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n",
        };
        [head, b"smugly"].concat()
    });
    let port = free_port();
    let cb = Codebase::new("proxy-502");
    let script = cb.file(
        "main.js",
        &format!(
            "pipy()\n.listen({port})\n  .demuxHTTP().to($=>$.muxHTTP(() => 't').to($=>$.connect('127.0.0.1:{upstream}')))\n"
        ),
    );
    let _e = Engine::start(&script, &[port]);
    let get = |path: &str| {
        let req = format!("GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        let (out, closed) = raw_exchange(port, req.as_bytes(), 5);
        (String::from_utf8_lossy(&out).into_owned(), closed)
    };
    let (good, _) = get("/good");
    assert!(
        good.starts_with("HTTP/1.1 200 OK\r\n") && good.ends_with("smugly"),
        "{good}"
    );
    for path in [
        "/two-lengths",
        "/same-lengths",
        "/length-list",
        "/length-and-chunked",
        "/chunked-twice",
        "/http10-chunked",
        "/bad-length",
        "/bare-lf",
        "/space-before-colon",
    ] {
        let (text, closed) = get(path);
        assert!(
            text.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
            "{path}: {text}"
        );
        assert!(!text.contains("smug"), "{path} forwarded the body: {text}");
        assert!(closed, "{path}");
    }
}
