//! `handleTLSClientHello`: tells a callback the server names (SNI) and application protocols
//! (ALPN) a TLS client asks for, without terminating TLS — for routing by SNI.
//!
//! The filter reads the handshake records at the start of the stream until the ClientHello is
//! whole, calls `callback({serverNames, protocolNames})`, and then lets the bytes go on
//! unchanged. Unlike Pipy, which passes bytes while it reads, the bytes are held until the
//! callback has run, so a filter after it (`link`, `pipe`, a `connect` target) can already use
//! what the callback saw even when the ClientHello spans several TCP segments. A stream that
//! does not start with a handshake record, a malformed ClientHello, or one larger than
//! [`MAX_HELLO`], is passed on without a callback.

use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use rquickjs::{Array, Object};

use super::callback::fail;
use super::{FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, Output};
use crate::script::{self, JsValue};

/// The largest ClientHello read (handshake body bytes).
pub const MAX_HELLO: usize = 64 << 10;

/// `handleTLSClientHello`.
pub static HANDLE_CLIENT_HELLO: FilterDescriptor = FilterDescriptor {
    name: "handleTLSClientHello",
    kind: FilterKind::Plain,
    signature: "(callback)",
    help: "Calls a function with the SNI and ALPN names of a TLS ClientHello, passing the stream on untouched",
    params: &[(
        "callback",
        "function({serverNames, protocolNames}) called once when the ClientHello has arrived",
    )],
    build: |b| {
        let callback = b
            .function(0)
            .ok_or("expects a callback function({serverNames, protocolNames})")?;
        b.prototype(move |init| {
            Box::new(HandleClientHello {
                callback: callback.clone(),
                context: init.context,
                output: init.output,
                held: BytesMut::new(),
                watching: true,
            })
        })
    },
};

struct HandleClientHello {
    callback: JsValue,
    context: Rc<Context>,
    output: Output,
    /// Bytes held while the ClientHello is incomplete.
    held: BytesMut,
    watching: bool,
}

/// What the bytes so far say.
#[derive(Debug, PartialEq, Eq)]
enum Hello {
    More,
    NotOne,
    Names(Names),
}

/// The names a ClientHello asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Names {
    server_names: Option<Vec<String>>,
    protocol_names: Option<Vec<String>>,
}

/// Joins handshake records from the start of `buf` and reads the ClientHello in them.
fn scan(buf: &[u8]) -> Hello {
    let mut handshake = Vec::new();
    let mut pos = 0;
    loop {
        if let Some(need) = hello_length(&handshake) {
            if need > MAX_HELLO {
                return Hello::NotOne;
            }
            if handshake.len() >= 4 + need {
                return match parse_hello(&handshake[4..4 + need]) {
                    Some(n) => Hello::Names(n),
                    None => Hello::NotOne,
                };
            }
        } else if handshake.len() >= 4 {
            return Hello::NotOne;
        }
        let header = &buf[pos..];
        if header.is_empty() {
            return Hello::More;
        }
        if header[0] != 22 || header.get(1).is_some_and(|&v| v != 3) {
            return Hello::NotOne;
        }
        if header.len() < 5 {
            return Hello::More;
        }
        let len = u16::from_be_bytes([header[3], header[4]]) as usize;
        if len == 0 {
            return Hello::NotOne;
        }
        let Some(body) = header.get(5..5 + len) else {
            // A partial record: what it has so far may already finish the hello.
            handshake.extend_from_slice(&header[5..]);
            return match hello_length(&handshake) {
                Some(need) if handshake.len() >= 4 + need && need <= MAX_HELLO => {
                    match parse_hello(&handshake[4..4 + need]) {
                        Some(n) => Hello::Names(n),
                        None => Hello::NotOne,
                    }
                }
                Some(need) if need > MAX_HELLO => Hello::NotOne,
                None if handshake.len() >= 4 => Hello::NotOne,
                _ => Hello::More,
            };
        };
        handshake.extend_from_slice(body);
        pos += 5 + len;
    }
}

/// The ClientHello's body length, once the handshake header is there (`None` if it is not a
/// ClientHello or too short to say).
fn hello_length(h: &[u8]) -> Option<usize> {
    if h.len() < 4 || h[0] != 1 {
        return None;
    }
    Some(((h[1] as usize) << 16) | ((h[2] as usize) << 8) | h[3] as usize)
}

/// A bounds-checked reader over a byte slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<usize> {
        self.take(1).map(|b| b[0] as usize)
    }
    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
    }
    /// A block with a one- or two-byte length.
    fn block(&mut self, two: bool) -> Option<Reader<'a>> {
        let n = if two { self.u16()? } else { self.u8()? };
        self.take(n).map(Reader)
    }
}

fn parse_hello(body: &[u8]) -> Option<Names> {
    let mut r = Reader(body);
    r.take(2 + 32)?; // version, random
    r.block(false)?; // session id
    r.block(true)?; // cipher suites
    r.block(false)?; // compression methods
    let mut names = Names::default();
    if r.0.is_empty() {
        return Some(names);
    }
    let mut exts = r.block(true)?;
    while !exts.0.is_empty() {
        let kind = exts.u16()?;
        let mut data = exts.block(true)?;
        match kind {
            0 => {
                let mut list = data.block(true)?;
                let mut v = Vec::new();
                while !list.0.is_empty() {
                    let name_type = list.u8()?;
                    let name = list.block(true)?;
                    if name_type == 0 {
                        v.push(String::from_utf8_lossy(name.0).into_owned());
                    }
                }
                names.server_names = Some(v);
            }
            16 => {
                let mut list = data.block(true)?;
                let mut v = Vec::new();
                while !list.0.is_empty() {
                    v.push(String::from_utf8_lossy(list.block(false)?.0).into_owned());
                }
                names.protocol_names = Some(v);
            }
            _ => {}
        }
    }
    Some(names)
}

impl HandleClientHello {
    fn release(&mut self) {
        self.watching = false;
        let held = self.held.split().freeze();
        if !held.is_empty() {
            self.output.emit(Event::Data(held));
        }
    }

    fn report(&mut self, names: Names) -> bool {
        let callback = self.callback.clone();
        let r = script::call_in(&self.context, |ctx| {
            let o = Object::new(ctx.clone())?;
            for (key, list) in [
                ("serverNames", &names.server_names),
                ("protocolNames", &names.protocol_names),
            ] {
                if let Some(list) = list {
                    let a = Array::new(ctx.clone())?;
                    for (i, n) in list.iter().enumerate() {
                        a.set(i, n.as_str())?;
                    }
                    o.set(key, a)?;
                }
            }
            if let Some(f) = callback.get(ctx).as_function() {
                f.call::<_, rquickjs::Value>((o,))?;
            }
            Ok(())
        });
        match r {
            Ok(()) => true,
            Err(e) => {
                self.watching = false;
                self.held.clear();
                fail(&self.output, "handleTLSClientHello", &e);
                false
            }
        }
    }

    fn on_data(&mut self, b: Bytes) {
        self.held.extend_from_slice(&b);
        match scan(&self.held) {
            Hello::More => {}
            Hello::NotOne => self.release(),
            Hello::Names(n) => {
                if self.report(n) {
                    self.release();
                }
            }
        }
    }
}

impl Filter for HandleClientHello {
    fn process(&mut self, evt: Event) {
        if !self.watching {
            return self.output.emit(evt);
        }
        match evt {
            Event::Data(b) if !b.is_empty() => self.on_data(b),
            Event::Data(_) => {}
            evt => {
                // The stream ends (or turns into messages) before a whole ClientHello.
                self.release();
                self.output.emit(evt);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello record asking for `sni` and `alpn`.
    fn hello(sni: &str, alpn: &[&str]) -> Vec<u8> {
        let mut ext = Vec::new();
        let mut sni_list = vec![0u8];
        sni_list.extend_from_slice(&(sni.len() as u16).to_be_bytes());
        sni_list.extend_from_slice(sni.as_bytes());
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&((sni_list.len() + 2) as u16).to_be_bytes());
        ext.extend_from_slice(&(sni_list.len() as u16).to_be_bytes());
        ext.extend_from_slice(&sni_list);
        let mut alpn_list = Vec::new();
        for p in alpn {
            alpn_list.push(p.len() as u8);
            alpn_list.extend_from_slice(p.as_bytes());
        }
        ext.extend_from_slice(&[0, 16]);
        ext.extend_from_slice(&((alpn_list.len() + 2) as u16).to_be_bytes());
        ext.extend_from_slice(&(alpn_list.len() as u16).to_be_bytes());
        ext.extend_from_slice(&alpn_list);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![22, 3, 1];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn names_come_from_whole_hellos_only() {
        let h = hello("example.com", &["h2", "http/1.1"]);
        let want = Names {
            server_names: Some(vec!["example.com".into()]),
            protocol_names: Some(vec!["h2".into(), "http/1.1".into()]),
        };
        assert_eq!(scan(&h), Hello::Names(want));
        for i in 0..h.len() {
            assert_eq!(scan(&h[..i]), Hello::More, "prefix {i}");
        }
        assert_eq!(scan(b"GET / HTTP/1.1\r\n"), Hello::NotOne);
        let mut broken = h.clone();
        broken[9 + 34] = 200; // a session id longer than the hello
        assert_eq!(scan(&broken), Hello::NotOne);
    }

    #[test]
    fn a_hello_split_over_two_records_is_joined() {
        let h = hello("a.test", &[]);
        let hs = &h[5..];
        let (a, b) = hs.split_at(10);
        let mut two = Vec::new();
        for part in [a, b] {
            two.extend_from_slice(&[22, 3, 3]);
            two.extend_from_slice(&(part.len() as u16).to_be_bytes());
            two.extend_from_slice(part);
        }
        assert!(
            matches!(scan(&two), Hello::Names(n) if n.server_names == Some(vec!["a.test".into()]))
        );
    }
}
