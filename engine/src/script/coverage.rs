//! Branch coverage of the prelude's JavaScript, for the fuzzers.
//!
//! libFuzzer is guided by the branches of the native code it instruments, but the decoders
//! written in script (DNS, BGP bodies, Hessian, protobuf, the `Netmask` and `URL` parsers...)
//! run inside the QuickJS interpreter, whose own branches do not tell one script branch from
//! another: a fuzzer of `DNS.decode` was blind. With [`cover_prelude`], the prelude's source
//! is rewritten before it is compiled, with a probe at every script branch: the entry of each
//! block and switch case, both arms of every `if` (an `else` is added where there is none),
//! both arms of `?:`, and the right operand of `&&`, `||` and `??`. Each probe calls a global
//! function with its number, which hands it to the fuzzer (its counters). Probes go inside
//! lines, so line numbers in stack traces stay those of the files.
//!
//! The rewriting works on tokens, for the prelude's own style (statements end with `;`); a
//! test compiles every rewritten file, and one runs rewritten code against the original.

use std::sync::OnceLock;

/// The global function every probe calls with its number.
const PROBE: &str = "__sluice_cov";

/// The probe callback, once a fuzzer has asked for coverage.
static HOOK: OnceLock<fn(u32)> = OnceLock::new();

/// Has every prelude this process evaluates from now on call `probe` with a probe's number
/// (0 up to [`probe_count`]) each time the script branch it marks runs. Call it before any
/// script loads: the prelude is compiled once per process. Returns false if a hook was
/// already set.
pub fn cover_prelude(probe: fn(u32)) -> bool {
    HOOK.set(probe).is_ok()
}

/// The prelude's files rewritten with probes, when [`cover_prelude`] was called.
pub(crate) fn covered_sources(files: &[(&str, &str)]) -> Option<&'static [String]> {
    static SOURCES: OnceLock<Vec<String>> = OnceLock::new();
    HOOK.get()?;
    Some(SOURCES.get_or_init(|| {
        let mut next = 0;
        files
            .iter()
            .map(|(_, src)| {
                let (text, n) = instrument(src, next);
                next += n;
                text
            })
            .collect()
    }))
}

/// How many probes the prelude has once rewritten (probe numbers are below it).
pub fn probe_count() -> u32 {
    super::prelude::files()
        .iter()
        .map(|(_, src)| instrument(src, 0).1)
        .sum()
}

/// Defines the probes' global function in `ctx`, when [`cover_prelude`] was called.
pub(crate) fn install(ctx: &rquickjs::Ctx<'_>) -> rquickjs::Result<()> {
    let Some(&probe) = HOOK.get() else {
        return Ok(());
    };
    let f = rquickjs::Function::new(ctx.clone(), move |n: u32| probe(n))?;
    ctx.globals().set(PROBE, f)
}

/// What a token is, as far as the rewriting needs to know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Word,
    Number,
    /// A string, template or regular expression literal: opaque.
    Literal,
    Punct,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Punctuators, longest first.
const PUNCTS: &[&str] = &[
    ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=", "=>", "==", "!=",
    "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
    "**", "<<", ">>",
];

/// Splits `src` into tokens from `at`; with `in_template`, stops after the `}` that closes a
/// template's `${` (returning the offset after it).
fn lex(src: &[u8], mut at: usize, in_template: bool, out: &mut Vec<Token>) -> usize {
    let mut depth = 0usize;
    while at < src.len() {
        let c = src[at];
        let start = at;
        if c.is_ascii_whitespace() {
            at += 1;
            continue;
        }
        if src[at..].starts_with(b"//") {
            while at < src.len() && src[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        if src[at..].starts_with(b"/*") {
            at = find(src, at + 2, b"*/").map_or(src.len(), |e| e + 2);
            continue;
        }
        let kind = match c {
            b'\'' | b'"' => {
                at = quoted(src, at + 1, c);
                Kind::Literal
            }
            b'`' => {
                at = template(src, at + 1);
                Kind::Literal
            }
            b'0'..=b'9' => {
                at = number(src, at);
                Kind::Number
            }
            b'.' if src.get(at + 1).is_some_and(u8::is_ascii_digit) => {
                at = number(src, at);
                Kind::Number
            }
            b'/' if regex_may_start(src, out.last()) => {
                at = regex(src, at + 1);
                Kind::Literal
            }
            _ if c == b'_' || c == b'$' || c.is_ascii_alphabetic() || c >= 0x80 => {
                while at < src.len() && is_word_byte(src[at]) {
                    at += 1;
                }
                Kind::Word
            }
            _ => {
                let rest = &src[at..];
                let len = PUNCTS
                    .iter()
                    .find(|p| {
                        rest.starts_with(p.as_bytes())
                            && !(**p == "?." && rest.get(2).is_some_and(u8::is_ascii_digit))
                    })
                    .map_or(1, |p| p.len());
                at += len;
                if in_template && len == 1 {
                    match c {
                        b'{' => depth += 1,
                        b'}' if depth == 0 => return at,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                }
                Kind::Punct
            }
        };
        out.push(Token {
            kind,
            start,
            end: at,
        });
    }
    at
}

fn is_word_byte(b: u8) -> bool {
    b == b'_' || b == b'$' || b.is_ascii_alphanumeric() || b >= 0x80
}

fn find(src: &[u8], from: usize, what: &[u8]) -> Option<usize> {
    src.get(from..)?
        .windows(what.len())
        .position(|w| w == what)
        .map(|p| from + p)
}

fn quoted(src: &[u8], mut at: usize, quote: u8) -> usize {
    while at < src.len() {
        match src[at] {
            b'\\' => at += 2,
            c if c == quote => return at + 1,
            _ => at += 1,
        }
    }
    src.len()
}

fn template(src: &[u8], mut at: usize) -> usize {
    while at < src.len() {
        match src[at] {
            b'\\' => at += 2,
            b'`' => return at + 1,
            b'$' if src.get(at + 1) == Some(&b'{') => {
                at = lex(src, at + 2, true, &mut Vec::new());
            }
            _ => at += 1,
        }
    }
    src.len()
}

fn number(src: &[u8], mut at: usize) -> usize {
    while at < src.len() {
        let c = src[at];
        let exponent_sign = (c == b'+' || c == b'-')
            && matches!(src[at - 1], b'e' | b'E')
            && !src[..at]
                .iter()
                .rev()
                .take_while(|b| is_word_byte(**b))
                .any(|b| *b == b'x' || *b == b'X');
        if is_word_byte(c) || c == b'.' || exponent_sign {
            at += 1;
        } else {
            break;
        }
    }
    at
}

fn regex_may_start(src: &[u8], prev: Option<&Token>) -> bool {
    let Some(t) = prev else { return true };
    let text = &src[t.start..t.end];
    match t.kind {
        Kind::Number | Kind::Literal => false,
        Kind::Word => super::esm::KEYWORDS_BEFORE_EXPR
            .iter()
            .any(|w| w.as_bytes() == text),
        Kind::Punct => !matches!(text, b")" | b"]" | b"}" | b"++" | b"--"),
    }
}

fn regex(src: &[u8], mut at: usize) -> usize {
    let mut class = false;
    while at < src.len() {
        match src[at] {
            b'\\' => at += 2,
            b'[' => {
                class = true;
                at += 1;
            }
            b']' => {
                class = false;
                at += 1;
            }
            b'/' if !class => {
                at += 1;
                while at < src.len() && src[at].is_ascii_alphabetic() {
                    at += 1;
                }
                return at;
            }
            b'\n' => return at,
            _ => at += 1,
        }
    }
    src.len()
}

/// Rewrites `src` with probes numbered from `first`; returns the text and how many probes it
/// holds.
pub(crate) fn instrument(src: &str, first: u32) -> (String, u32) {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    lex(bytes, 0, false, &mut tokens);
    let code = Code::new(bytes, tokens);
    let mut edits = Edits {
        at: Vec::new(),
        next: first,
    };
    for i in 0..code.tokens.len() {
        code.probe_block(i, &mut edits);
        code.probe_case(i, &mut edits);
        code.probe_if(i, &mut edits);
        code.probe_conditional(i, &mut edits);
        code.probe_logical(i, &mut edits);
    }
    edits.at.sort_by_key(|(at, _)| *at);
    let mut out = String::with_capacity(src.len() + edits.at.len() * 24);
    let mut from = 0;
    for (at, text) in &edits.at {
        out.push_str(&src[from..*at]);
        out.push_str(text);
        from = *at;
    }
    out.push_str(&src[from..]);
    (out, edits.next - first)
}

/// Text to insert, by offset, in the order it was planned.
struct Edits {
    at: Vec<(usize, String)>,
    next: u32,
}

impl Edits {
    fn probe(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        format!("{PROBE}({n});")
    }

    /// A probe statement at `at`.
    fn statement(&mut self, at: usize) {
        let p = self.probe();
        self.at.push((at, p));
    }

    /// `(probe, ` before `start` and `)` after `end`, around an expression.
    fn wrap(&mut self, start: usize, end: usize) {
        let p = self.probe();
        self.at
            .push((start, format!("({}, ", p.trim_end_matches(';'))));
        self.at.push((end, ")".to_string()));
    }
}

/// The tokens of one file, with the bracket each bracket closes or opens.
struct Code<'a> {
    src: &'a [u8],
    tokens: Vec<Token>,
    mate: Vec<Option<usize>>,
}

impl<'a> Code<'a> {
    fn new(src: &'a [u8], tokens: Vec<Token>) -> Code<'a> {
        let mut mate = vec![None; tokens.len()];
        let mut open = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            match &src[t.start..t.end] {
                b"(" | b"[" | b"{" => open.push(i),
                b")" | b"]" | b"}" => {
                    if let Some(o) = open.pop() {
                        mate[o] = Some(i);
                        mate[i] = Some(o);
                    }
                }
                _ => {}
            }
        }
        Code { src, tokens, mate }
    }

    fn text(&self, i: usize) -> &[u8] {
        self.tokens
            .get(i)
            .map_or(b"", |t| &self.src[t.start..t.end])
    }

    fn is(&self, i: usize, s: &str) -> bool {
        self.text(i) == s.as_bytes()
    }

    /// Whether token `i` is the keyword `w` (not a property named so).
    fn keyword(&self, i: usize, w: &str) -> bool {
        self.is(i, w) && !(i > 0 && (self.is(i - 1, ".") || self.is(i - 1, "?.")))
    }

    /// The index of the first token from `i` at this nesting depth that `stop` accepts (a
    /// closing bracket of an enclosing group always stops); brackets are skipped whole and
    /// `?`/`:` pairs of nested conditionals are passed over.
    fn scan(&self, mut i: usize, stop: impl Fn(&[u8]) -> bool) -> Option<usize> {
        let mut pending = 0;
        while i < self.tokens.len() {
            let t = self.text(i);
            match t {
                b"(" | b"[" | b"{" => i = self.mate[i]?,
                b")" | b"]" | b"}" => return Some(i),
                b":" if pending > 0 => pending -= 1,
                _ if stop(t) => return Some(i),
                b"?" => pending += 1,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Whether the `{` at `i` opens a block or a function body.
    fn opens_block(&self, i: usize) -> bool {
        if !self.is(i, "{") || i == 0 {
            return false;
        }
        let prev = self.text(i - 1);
        match prev {
            b"=>" => true,
            b")" => {
                let open = self.mate[i - 1];
                !open.is_some_and(|o| o > 0 && self.keyword(o - 1, "switch"))
            }
            _ => ["else", "try", "finally", "do", "catch"]
                .iter()
                .any(|w| self.keyword(i - 1, w)),
        }
    }

    fn probe_block(&self, i: usize, edits: &mut Edits) {
        if self.opens_block(i) {
            edits.statement(self.tokens[i].end);
        }
    }

    fn probe_case(&self, i: usize, edits: &mut Edits) {
        let label_end = if self.keyword(i, "case") && !self.is(i + 1, ":") {
            self.scan(i + 1, |t| t == b":")
        } else if self.keyword(i, "default") && self.is(i + 1, ":") && self.in_switch(i) {
            Some(i + 1)
        } else {
            None
        };
        if let Some(colon) = label_end.filter(|&c| self.is(c, ":")) {
            edits.statement(self.tokens[colon].end);
        }
    }

    /// Whether the innermost bracket around token `i` is a switch's body.
    fn in_switch(&self, i: usize) -> bool {
        let mut j = i;
        while j > 0 {
            j -= 1;
            match self.text(j) {
                b")" | b"]" | b"}" => match self.mate[j] {
                    Some(o) => j = o,
                    None => return false,
                },
                b"{" => {
                    return j > 0
                        && self.is(j - 1, ")")
                        && self.mate[j - 1].is_some_and(|o| o > 0 && self.keyword(o - 1, "switch"))
                }
                b"(" | b"[" => return false,
                _ => {}
            }
        }
        false
    }

    /// The last token of the statement that starts at `i`, wrapping it in a block with a probe
    /// when it is not one; `None` for statements it cannot delimit (those that start with a
    /// keyword of a compound statement).
    fn arm(&self, i: usize, edits: &mut Edits) -> Option<usize> {
        if self.is(i, "{") {
            // Its probe comes from `probe_block`.
            return self.mate[i];
        }
        const COMPOUND: &[&str] = &[
            "if", "for", "while", "do", "switch", "try", "function", "class", "let", "const",
            "var", "else",
        ];
        if self.tokens.get(i)?.kind == Kind::Word && COMPOUND.iter().any(|w| self.is(i, w)) {
            return None;
        }
        let end = self.scan(i, |t| t == b";")?;
        if !self.is(end, ";") {
            return None;
        }
        let probe = edits.probe();
        edits.at.push((self.tokens[i].start, format!("{{{probe} ")));
        edits.at.push((self.tokens[end].end, " }".to_string()));
        Some(end)
    }

    fn probe_if(&self, i: usize, edits: &mut Edits) {
        if !self.keyword(i, "if") || !self.is(i + 1, "(") {
            return;
        }
        let Some(close) = self.mate[i + 1] else {
            return;
        };
        let Some(end) = self.arm(close + 1, edits) else {
            return;
        };
        if self.keyword(end + 1, "else") {
            if !self.keyword(end + 2, "if") {
                self.arm(end + 2, edits);
            }
        } else {
            let probe = edits.probe();
            edits
                .at
                .push((self.tokens[end].end, format!(" else {{{probe}}}")));
        }
    }

    fn probe_conditional(&self, i: usize, edits: &mut Edits) {
        if !self.is(i, "?") {
            return;
        }
        let Some(colon) = self.scan(i + 1, |t| t == b":").filter(|&c| self.is(c, ":")) else {
            return;
        };
        let Some(end) = self.scan(colon + 1, |t| matches!(t, b"," | b";" | b":")) else {
            return;
        };
        if colon > i + 1 && end > colon + 1 {
            edits.wrap(self.tokens[i + 1].start, self.tokens[colon - 1].end);
            edits.wrap(self.tokens[colon + 1].start, self.tokens[end - 1].end);
        }
    }

    fn probe_logical(&self, i: usize, edits: &mut Edits) {
        if !matches!(self.text(i), b"&&" | b"||" | b"??") {
            return;
        }
        let stop = |t: &[u8]| {
            matches!(t, b"&&" | b"||" | b"??" | b"?" | b":" | b"," | b";" | b"=>")
                || (t.len() <= 4
                    && t.ends_with(b"=")
                    && !matches!(t, b"==" | b"===" | b"!=" | b"!==" | b"<=" | b">="))
        };
        let Some(end) = self.scan(i + 1, stop) else {
            return;
        };
        if end > i + 1 {
            edits.wrap(self.tokens[i + 1].start, self.tokens[end - 1].end);
        }
    }
}

#[cfg(test)]
#[path = "coverage_tests.rs"]
mod tests;
