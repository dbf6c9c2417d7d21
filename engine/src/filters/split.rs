//! `split`: cuts a Data stream into pieces.
//!
//! Two forms, as Pipy has had them:
//!
//! * `split(separator)` (Pipy 1.x): the separator is a string or Data of at most 1 KiB, or a
//!   function with no parameters returning one (asked once per stream). Every occurrence ends a
//!   piece; each piece is output as a message (MessageStart, its Data, MessageEnd) and the
//!   separator itself is dropped. A separator split across Data chunks is still found. A
//!   MessageEnd or StreamEnd in the input closes the piece in progress.
//! * `split(callback)` (Pipy 0.x): a function of one parameter is called with each byte; when it
//!   returns an event (or Message), the Data so far, up to and including that byte, is output
//!   and the returned event follows it.
//!
//! The two functions are told apart by their declared parameter count.

use std::rc::Rc;

use bytes::Bytes;

use super::callback::{events_of, fail};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// The longest separator, as Pipy.
const MAX_SEPARATOR: usize = 1024;

/// `split`.
pub static SPLIT: FilterDescriptor = FilterDescriptor {
    name: "split",
    kind: FilterKind::Plain,
    signature: "(separator | callback)",
    help: "Cuts the Data stream into messages at every separator, or where a byte callback says",
    params: &[
        (
            "separator",
            "string or Data (at most 1 KiB), or a function () returning one, asked once per stream",
        ),
        (
            "callback",
            "function(byte) returning an event to insert after that byte (the Pipy 0.x form)",
        ),
    ],
    build,
};

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let arg = b
        .arg(0)
        .ok_or("expects a separator (string or Data) or a function")?;
    let mode = if let Some(f) = arg.as_function() {
        let arity: usize = f.get("length").unwrap_or(0);
        if arity >= 1 {
            Mode::ByteCallback(JsValue::save(b.ctx, arg))
        } else {
            Mode::Dynamic(JsValue::save(b.ctx, arg))
        }
    } else {
        Mode::Fixed(Rc::new(Kmp::new(separator_of(&arg)?)?))
    };
    b.prototype(move |init| {
        Box::new(Split {
            mode: mode.clone(),
            kmp: match &mode {
                Mode::Fixed(k) => Some(k.clone()),
                _ => None,
            },
            matched: 0,
            in_piece: false,
            failed: false,
            context: init.context,
            output: init.output,
        })
    })
}

/// A separator value's bytes: a Data object's content, or any other value as a string.
fn separator_of(v: &rquickjs::Value<'_>) -> Result<Vec<u8>, String> {
    if let Some(o) = v.as_object() {
        let kind: i32 = script::call_helper(v.ctx(), "kindOf", (v.clone(),)).unwrap_or(-1);
        if kind == 1 {
            return script::data_from_js(o)
                .map(|b| b.to_vec())
                .map_err(|e| e.to_string());
        }
    }
    v.get::<rquickjs::Coerced<String>>()
        .map(|s| s.0.into_bytes())
        .map_err(|e| e.to_string())
}

#[derive(Clone)]
enum Mode {
    Fixed(Rc<Kmp>),
    Dynamic(JsValue),
    ByteCallback(JsValue),
}

/// A separator with its Knuth-Morris-Pratt fall-back table, so a match can be followed across
/// chunk boundaries with one integer of state (how much of the separator is matched).
pub struct Kmp {
    pattern: Vec<u8>,
    fallback: Vec<usize>,
}

impl Kmp {
    /// Prepares `pattern` (1 to 1024 bytes).
    pub fn new(pattern: Vec<u8>) -> Result<Kmp, String> {
        if pattern.is_empty() {
            return Err("the separator is empty".into());
        }
        if pattern.len() > MAX_SEPARATOR {
            return Err("separator over 1KB is not supported".into());
        }
        let mut fallback = vec![0; pattern.len()];
        let mut k = 0;
        for i in 1..pattern.len() {
            while k > 0 && pattern[i] != pattern[k] {
                k = fallback[k - 1];
            }
            if pattern[i] == pattern[k] {
                k += 1;
            }
            fallback[i] = k;
        }
        Ok(Kmp { pattern, fallback })
    }

    /// Advances the match state by one byte; true when the separator completes.
    fn step(&self, matched: &mut usize, c: u8) -> bool {
        let mut k = *matched;
        while k > 0 && self.pattern[k] != c {
            k = self.fallback[k - 1];
        }
        if self.pattern[k] == c {
            k += 1;
        }
        if k == self.pattern.len() {
            *matched = 0;
            true
        } else {
            *matched = k;
            false
        }
    }
}

struct Split {
    mode: Mode,
    kmp: Option<Rc<Kmp>>,
    /// Bytes of the separator matched so far, held back: they may turn out to be content.
    matched: usize,
    in_piece: bool,
    failed: bool,
    context: Rc<Context>,
    output: Output,
}

impl Split {
    fn piece_data(&mut self, b: Bytes) {
        if !self.in_piece {
            self.in_piece = true;
            self.output.emit(Event::MessageStart(None));
        }
        if !b.is_empty() {
            self.output.emit(Event::Data(b));
        }
    }

    fn end_piece(&mut self) {
        if !self.in_piece {
            self.output.emit(Event::MessageStart(None));
        }
        self.in_piece = false;
        self.output.emit(Event::MessageEnd(MessageTail::default()));
    }

    /// Outputs bytes `a..b` of the held separator prefix followed by `data`.
    fn emit_span(&mut self, kmp: &Kmp, held: usize, data: &Bytes, a: usize, b: usize) {
        if a >= b {
            return;
        }
        if a < held {
            self.piece_data(Bytes::copy_from_slice(&kmp.pattern[a..b.min(held)]));
        }
        if b > held {
            self.piece_data(data.slice(a.max(held) - held..b - held));
        }
    }

    /// Cuts one chunk by the separator. Positions count from the start of the held bytes.
    fn cut(&mut self, kmp: &Kmp, data: &Bytes) {
        let held = self.matched;
        let mut emitted = 0;
        for (i, &c) in data.iter().enumerate() {
            if kmp.step(&mut self.matched, c) {
                let end = held + i + 1;
                self.emit_span(kmp, held, data, emitted, end - kmp.pattern.len());
                self.end_piece();
                emitted = end;
            }
        }
        let end = held + data.len() - self.matched;
        self.emit_span(kmp, held, data, emitted, end);
    }

    /// The end of the input (or of an input message): held bytes are content after all.
    fn close(&mut self) {
        if let Some(kmp) = self.kmp.clone() {
            if self.matched > 0 {
                let held = Bytes::copy_from_slice(&kmp.pattern[..self.matched]);
                self.matched = 0;
                self.piece_data(held);
            }
        }
        if self.in_piece {
            self.end_piece();
        }
        if matches!(self.mode, Mode::Dynamic(_)) {
            self.kmp = None;
        }
    }

    /// The separator of a `split(() => separator)` stream.
    fn dynamic_separator(&self, f: &JsValue) -> Result<Kmp, ScriptError> {
        script::call_in(&self.context, |ctx| {
            let f = f.get(ctx);
            let v: rquickjs::Value = match f.as_function() {
                Some(f) => f.call(())?,
                None => f,
            };
            let bytes = separator_of(&v).map_err(|m| rquickjs::Exception::throw_type(ctx, &m))?;
            Kmp::new(bytes).map_err(|m| rquickjs::Exception::throw_type(ctx, &m))
        })
    }

    /// The Pipy 0.x form: asks the callback about every byte.
    fn by_callback(&mut self, f: &JsValue, data: &Bytes) -> Result<(), ScriptError> {
        let cuts = script::call_in(&self.context, |ctx| {
            let Some(f) = f.get(ctx).into_function() else {
                return Ok(Vec::new());
            };
            let mut cuts = Vec::new();
            for (i, &c) in data.iter().enumerate() {
                let v: rquickjs::Value = f.call((c as i32,))?;
                if !v.is_object() {
                    continue;
                }
                let evts = events_of(ctx, v, "the callback must return an event or nothing")?;
                cuts.push((i + 1, evts));
            }
            Ok(cuts)
        })?;
        let mut start = 0;
        for (end, evts) in cuts {
            self.output.emit(Event::Data(data.slice(start..end)));
            self.output.emit_all(evts);
            start = end;
        }
        if start < data.len() {
            self.output.emit(Event::Data(data.slice(start..)));
        }
        Ok(())
    }
}

impl Filter for Split {
    fn process(&mut self, evt: Event) {
        if self.failed {
            return;
        }
        match evt {
            Event::Data(b) if b.is_empty() => {}
            Event::Data(b) => {
                if let Mode::ByteCallback(f) = self.mode.clone() {
                    if let Err(e) = self.by_callback(&f, &b) {
                        self.failed = true;
                        fail(&self.output, "split", &e);
                    }
                    return;
                }
                if self.kmp.is_none() {
                    if let Mode::Dynamic(f) = self.mode.clone() {
                        match self.dynamic_separator(&f) {
                            Ok(k) => self.kmp = Some(Rc::new(k)),
                            Err(e) => {
                                self.failed = true;
                                return fail(&self.output, "split", &e);
                            }
                        }
                    }
                }
                if let Some(kmp) = self.kmp.clone() {
                    self.cut(&kmp, &b);
                }
            }
            Event::MessageEnd(_) => {
                if !matches!(self.mode, Mode::ByteCallback(_)) {
                    self.close();
                }
            }
            Event::StreamEnd(_) => {
                if !matches!(self.mode, Mode::ByteCallback(_)) {
                    self.close();
                }
                self.output.emit(evt);
            }
            Event::MessageStart(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of `chunks` cut at `sep` by the filter: one string per message.
    fn pieces(sep: &str, chunks: &[&str]) -> Vec<String> {
        let out = Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
        let o = out.clone();
        let mut f = Split {
            mode: Mode::Fixed(Rc::new(Kmp::new(sep.as_bytes().to_vec()).unwrap())),
            kmp: Some(Rc::new(Kmp::new(sep.as_bytes().to_vec()).unwrap())),
            matched: 0,
            in_piece: false,
            failed: false,
            context: Context::root(None),
            output: Output::from_fn(move |e| match e {
                Event::MessageStart(_) => o.borrow_mut().push(String::new()),
                Event::Data(b) => o
                    .borrow_mut()
                    .last_mut()
                    .unwrap()
                    .push_str(std::str::from_utf8(&b).unwrap()),
                _ => {}
            }),
        };
        for c in chunks {
            f.process(Event::data(c.to_string()));
        }
        f.process(crate::event::StreamEnd::ok());
        let v = out.borrow().clone();
        v
    }

    #[test]
    fn separators_are_found_across_chunks_and_overlaps() {
        assert_eq!(pieces(",", &["a,b", ",c"]), ["a", "b", "c"]);
        assert_eq!(pieces(",", &[",,x,"]), ["", "", "x"]);
        assert_eq!(pieces("\r\n", &["ab\r", "\ncd\r"]), ["ab", "cd\r"]);
        assert_eq!(pieces("aab", &["aaa", "ab", "x"]), ["aa", "x"]);
        assert_eq!(pieces("abab", &["ababab", "c"]), ["", "abc"]);
    }

    #[test]
    fn separator_size_is_bounded() {
        assert!(Kmp::new(vec![b'x'; 1024]).is_ok());
        assert!(Kmp::new(vec![b'x'; 1025]).is_err());
        assert!(Kmp::new(Vec::new()).is_err());
    }
}
