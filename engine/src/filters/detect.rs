//! `detectProtocol`: names the protocol a stream speaks from its first bytes, without
//! holding them back.
//!
//! Three detectors watch the stream side by side: HTTP/1 (a known method, a target, then
//! `HTTP/1.0` or `HTTP/1.1` and CRLF), HTTP/2 (the connection preface) and TLS (a handshake
//! record carrying a ClientHello). The first to recognise the stream wins; when all three
//! rule it out, the answer is the empty string. The callback gets `'HTTP'`, `'HTTP2'`, `'TLS'`
//! or `''` once, as soon as the answer is known (or `''` when `{timeout}` passes first); what
//! it returns, if anything, is output before the byte that decided.

use std::rc::Rc;

use super::callback::fail;
use super::local_task::LocalTask;
use super::{FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, Output};
use crate::script::{self, JsValue};

/// `detectProtocol`.
pub static DETECT: FilterDescriptor = FilterDescriptor {
    name: "detectProtocol",
    kind: FilterKind::Plain,
    signature: "(callback[, {timeout}])",
    help: "Tells a callback which protocol the stream speaks: HTTP, HTTP2, TLS or ''",
    params: &[
        (
            "callback",
            "function(protocol) called once with 'HTTP', 'HTTP2', 'TLS' or '' (unknown)",
        ),
        (
            "timeout",
            "seconds (or '5s') to wait for an answer before giving ''",
        ),
    ],
    build: |b| {
        let callback = b
            .function(0)
            .ok_or("expects a callback function(protocol)")?;
        let timeout = b.duration_option(1, "timeout")?;
        b.prototype(move |init| {
            let timed_out = Rc::new(std::cell::Cell::new(false));
            let timer = timeout.map(|t| {
                let input = Output::Pipeline(init.pipeline.clone(), init.index);
                let flag = timed_out.clone();
                LocalTask::spawn(async move {
                    tokio::time::sleep(t).await;
                    // An empty Data event wakes the filter to give up waiting.
                    flag.set(true);
                    input.emit(Event::Data(bytes::Bytes::new()));
                })
            });
            Box::new(Detect {
                callback: callback.clone(),
                context: init.context,
                output: init.output,
                sniffer: Sniffer::default(),
                answered: false,
                deadline: timer,
                timed_out,
            })
        })
    },
};

struct Detect {
    callback: JsValue,
    context: Rc<Context>,
    output: Output,
    sniffer: Sniffer,
    answered: bool,
    /// Ends the wait for an answer after the timeout.
    deadline: Option<LocalTask>,
    timed_out: Rc<std::cell::Cell<bool>>,
}

impl Detect {
    fn answer(&mut self, protocol: &'static str) -> bool {
        self.answered = true;
        self.deadline = None;
        let callback = self.callback.clone();
        let r = script::call_in(&self.context, |ctx| {
            let Some(f) = callback.get(ctx).into_function() else {
                return Ok(Vec::new());
            };
            let v: rquickjs::Value = f.call((protocol,))?;
            // Events it returns are output; any other value (often the assignment that
            // recorded the answer) is ignored, as in Pipy.
            let mut out = Vec::new();
            if script::events_from_js(ctx, v, &mut out).is_err() {
                out.clear();
            }
            Ok(out)
        });
        match r {
            Ok(events) => {
                self.output.emit_all(events);
                true
            }
            Err(e) => {
                fail(&self.output, "detectProtocol", &e);
                false
            }
        }
    }
}

impl Filter for Detect {
    fn process(&mut self, evt: Event) {
        if !self.answered {
            let verdict = match &evt {
                // The deadline's empty Data: no answer in time.
                Event::Data(b) if b.is_empty() => self.timed_out.get().then_some(""),
                Event::Data(b) => self.sniffer.feed(b),
                Event::StreamEnd(_) => Some(""),
                _ => None,
            };
            if let Some(p) = verdict {
                if !self.answer(p) {
                    self.answered = true;
                    return;
                }
            }
        }
        if matches!(&evt, Event::Data(b) if b.is_empty()) {
            return;
        }
        self.output.emit(evt);
    }
}

const METHODS: &[&[u8]] = &[
    b"GET ",
    b"HEAD ",
    b"POST ",
    b"PUT ",
    b"PATCH ",
    b"DELETE ",
    b"CONNECT ",
    b"OPTIONS ",
    b"TRACE ",
];
const VERSIONS: &[&[u8]] = &[b"HTTP/1.0\r\n", b"HTTP/1.1\r\n"];
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The three detectors' state over the bytes seen so far.
#[derive(Default)]
struct Sniffer {
    seen: Vec<u8>,
    http_out: bool,
    h2_out: bool,
    tls_out: bool,
}

impl Sniffer {
    /// Feeds bytes; the protocol once it is known (`""` when none can match).
    fn feed(&mut self, data: &[u8]) -> Option<&'static str> {
        for &c in data {
            self.seen.push(c);
            if let Some(p) = self.step() {
                return Some(p);
            }
        }
        None
    }

    fn step(&mut self) -> Option<&'static str> {
        let s = &self.seen;
        if !self.h2_out {
            let n = s.len().min(H2_PREFACE.len());
            if s[..n] != H2_PREFACE[..n] {
                self.h2_out = true;
            } else if n == H2_PREFACE.len() {
                return Some("HTTP2");
            }
        }
        if !self.http_out {
            match http_verdict(s) {
                Some(true) => return Some("HTTP"),
                Some(false) => self.http_out = true,
                None => {}
            }
        }
        if !self.tls_out {
            match tls_verdict(s) {
                Some(true) => return Some("TLS"),
                Some(false) => self.tls_out = true,
                None => {}
            }
        }
        (self.http_out && self.h2_out && self.tls_out).then_some("")
    }
}

/// HTTP/1: a method, a target without spaces, and a version ending the line.
fn http_verdict(s: &[u8]) -> Option<bool> {
    let method = METHODS.iter().find(|m| s.starts_with(m));
    let Some(m) = method else {
        let prefix = METHODS.iter().any(|m| m.starts_with(s));
        return if prefix { None } else { Some(false) };
    };
    let rest = &s[m.len()..];
    let sp = rest.iter().position(|&c| c == b' ')?;
    let version = &rest[sp + 1..];
    if VERSIONS.contains(&version) {
        Some(true)
    } else if VERSIONS.iter().any(|v| v.starts_with(version)) {
        None
    } else {
        Some(false)
    }
}

/// TLS: a handshake record (22), major version 3, a sane minor, and a ClientHello (1)
/// whose own version is 3.x.
fn tls_verdict(s: &[u8]) -> Option<bool> {
    type Check = (usize, fn(u8) -> bool);
    let checks: [Check; 5] = [
        (0, |b| b == 22),
        (1, |b| b == 3),
        (2, |b| b <= 4),
        (5, |b| b == 1),
        (9, |b| b == 3),
    ];
    for (i, ok) in checks {
        match s.get(i) {
            Some(&b) if !ok(b) => return Some(false),
            Some(_) => {}
            None => return None,
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(chunks: &[&[u8]]) -> Option<&'static str> {
        let mut s = Sniffer::default();
        chunks.iter().find_map(|c| s.feed(c))
    }

    #[test]
    fn protocols_from_their_first_bytes() {
        assert_eq!(detect(&[b"GET / HTTP/1.1\r\nHost: x\r\n"]), Some("HTTP"));
        assert_eq!(detect(&[b"OPTI", b"ONS * HT", b"TP/1.0\r\n"]), Some("HTTP"));
        assert_eq!(detect(&[H2_PREFACE]), Some("HTTP2"));
        let hello = [22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3, 0];
        assert_eq!(detect(&[&hello]), Some("TLS"));
        assert_eq!(detect(&[b"SSH-2.0-OpenSSH\r\n"]), Some(""));
        assert_eq!(detect(&[b"GET /x HTTP/2\r\n"]), Some(""));
        // Not decided yet: a prefix of several.
        assert_eq!(detect(&[b"P"]), None);
        assert_eq!(detect(&[b"GET /long/path"]), None);
    }
}
