//! Pipy 1.x module syntax, rewritten into the form the loader evaluates.
//!
//! QuickJS's own modules are strict and cannot run inside the `with` scope that gives a module
//! its context variables, so a module is evaluated as a script and its module syntax is
//! rewritten first, statement by statement, at the top level only:
//!
//! - a `#!` first line is blanked;
//! - `import d, { a, b as c } from './m.js'`, `import * as ns from ...` and `import '...'` become
//!   one call that loads the module (once) and binds the names as live, read-only views of its
//!   exports;
//! - `export default X` stores `X`; `export var|let|const|function|class` keeps the
//!   declaration and publishes its names; `export { a, b as c }`, `export { a } from ...` and
//!   `export * from ...` publish or forward names;
//! - `var $x` (Pipy's fiber variables) declares per-context variables instead of locals.
//!
//! A module that uses any of these, or a top-level `return`, runs inside a function (its
//! locals stay its own); other scripts run as before, their last expression being their value.
//! Line breaks are kept, so every line number the engine reports is the file's own.

/// A module's source, rewritten.
pub struct Rewritten {
    /// The text to evaluate (same number of lines as the source).
    pub text: String,
    /// True when the source used module syntax: evaluate it inside a function.
    pub module: bool,
}

/// Rewrites module syntax in `src` for the module numbered `id`.
pub fn rewrite(src: &str, id: u32) -> Rewritten {
    let mut src = src.to_string();
    if src.starts_with("#!") {
        let end = src.find('\n').unwrap_or(src.len());
        src.replace_range(..end, "");
    }
    let mut s = Scanner::new(&src);
    let mut out = String::with_capacity(src.len() + 64);
    let mut copied = 0;
    let mut module = false;
    while let Some(tok) = s.next_token() {
        if s.depth_before != 0 || s.after_dot {
            continue;
        }
        let edit = match tok.text(&src) {
            "import" => import(&mut s, &src, id),
            "export" => export(&mut s, &src, id),
            "var" => fiber_vars(&mut s, &src, id),
            "return" => {
                module = true;
                None
            }
            _ => None,
        };
        if let Some((end, replacement)) = edit {
            module = true;
            out.push_str(&src[copied..tok.start]);
            out.push_str(&replacement);
            // Keep the line breaks of what was replaced.
            for _ in src[tok.start..end].matches('\n') {
                out.push('\n');
            }
            copied = end;
        }
    }
    out.push_str(&src[copied..]);
    Rewritten { text: out, module }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `import ...`: returns the end of the statement and its replacement.
fn import(s: &mut Scanner<'_>, src: &str, id: u32) -> Option<(usize, String)> {
    let save = s.mark();
    let mut bindings: Vec<(String, String)> = Vec::new();
    let mut t = s.next_token()?;
    if t.is_string(src) {
        let end = s.skip_semicolon(t.end);
        return Some((end, format!("__sluice.esmImport({id},{},[]);", t.text(src))));
    }
    if t.is_ident(src) {
        bindings.push((t.text(src).into(), "default".into()));
        t = s.next_token()?;
        if t.text(src) == "," {
            t = s.next_token()?;
        }
    }
    match t.text(src) {
        "*" => {
            if s.next_token()?.text(src) != "as" {
                s.reset(&save);
                return None;
            }
            bindings.push((s.next_token()?.text(src).into(), "*".into()));
            t = s.next_token()?;
        }
        "{" => {
            list(s, src, &mut bindings)?;
            t = s.next_token()?;
        }
        _ => {}
    }
    if t.text(src) != "from" || bindings.is_empty() {
        s.reset(&save);
        return None;
    }
    let from = s.next_token()?;
    if !from.is_string(src) {
        s.reset(&save);
        return None;
    }
    let end = s.skip_semicolon(from.end);
    Some((
        end,
        format!(
            "__sluice.esmImport({id},{},{});",
            from.text(src),
            pairs(&bindings)
        ),
    ))
}

/// Reads `a, b as c }` (after `{`) into (alias, name) pairs: (local, imported) for an
/// import, (exported, local) for an export.
fn list(s: &mut Scanner<'_>, src: &str, out: &mut Vec<(String, String)>) -> Option<()> {
    loop {
        let t = s.next_token()?;
        match t.text(src) {
            "}" => return Some(()),
            "," => continue,
            name => {
                let name = name.trim_matches(|c| c == '"' || c == '\'').to_string();
                let save = s.mark();
                let mut alias = name.clone();
                if s.next_token()?.text(src) == "as" {
                    alias = s.next_token()?.text(src).to_string();
                } else {
                    s.reset(&save);
                }
                out.push((alias, name));
            }
        }
    }
}

fn pairs(p: &[(String, String)]) -> String {
    let items: Vec<String> = p
        .iter()
        .map(|(a, b)| format!("[{},{}]", quote(a), quote(b)))
        .collect();
    format!("[{}]", items.join(","))
}

/// `export ...`: returns the end of what is replaced and its replacement.
fn export(s: &mut Scanner<'_>, src: &str, id: u32) -> Option<(usize, String)> {
    let save = s.mark();
    let t = s.next_token()?;
    match t.text(src) {
        "default" => Some((t.end, format!("__sluice.esmExports({id}).default="))),
        "var" | "let" | "const" => {
            let names = declarators(s, src)?;
            s.reset(&save);
            Some((
                t.start,
                format!("__sluice.esmExport({id},{});", getters(&names)),
            ))
        }
        "function" | "class" | "async" => {
            let mut n = s.next_token()?;
            while matches!(n.text(src), "function" | "*") {
                n = s.next_token()?;
            }
            s.reset(&save);
            let name = n.text(src).to_string();
            Some((
                t.start,
                format!("__sluice.esmExport({id},{});", getters(&[name])),
            ))
        }
        "{" => {
            let mut names = Vec::new();
            list(s, src, &mut names)?;
            let close = s.pos;
            let save2 = s.mark();
            if let Some(f) = s.next_token() {
                if f.text(src) == "from" {
                    let from = s.next_token()?;
                    let end = s.skip_semicolon(from.end);
                    return Some((
                        end,
                        format!(
                            "__sluice.esmForward({id},{},{});",
                            from.text(src),
                            pairs(&names)
                        ),
                    ));
                }
            }
            s.reset(&save2);
            let end = s.skip_semicolon(close);
            let g: Vec<String> = names
                .iter()
                .map(|(exported, local)| format!("{}:()=>{local}", quote(exported)))
                .collect();
            Some((
                end,
                format!("__sluice.esmExport({id},{{{}}});", g.join(",")),
            ))
        }
        "*" => {
            let mut n = s.next_token()?;
            let mut alias = None;
            if n.text(src) == "as" {
                alias = Some(s.next_token()?.text(src).to_string());
                n = s.next_token()?;
            }
            if n.text(src) != "from" {
                s.reset(&save);
                return None;
            }
            let from = s.next_token()?;
            let end = s.skip_semicolon(from.end);
            let what = match alias {
                Some(a) => pairs(&[(a, "*".into())]),
                None => "'*'".into(),
            };
            Some((
                end,
                format!("__sluice.esmForward({id},{},{what});", from.text(src)),
            ))
        }
        _ => {
            s.reset(&save);
            None
        }
    }
}

fn getters(names: &[String]) -> String {
    let g: Vec<String> = names
        .iter()
        .map(|n| format!("{}:()=>{n}", quote(n)))
        .collect();
    format!("{{{}}}", g.join(","))
}

/// `var $a = 1, $b`: every name starting with `$` becomes a context (fiber) variable. The
/// initialisers still run, at load time, and so set the variables' initial values.
fn fiber_vars(s: &mut Scanner<'_>, src: &str, id: u32) -> Option<(usize, String)> {
    let save = s.mark();
    let names = declarators(s, src);
    s.reset(&save);
    let names = names?;
    if names.is_empty() || !names.iter().all(|n| n.starts_with('$')) {
        return None;
    }
    let list: Vec<String> = names.iter().map(|n| quote(n)).collect();
    // Replace the `var` keyword only: what follows (`$a = 1, $b`) is a valid expression.
    let var_end = s.pos;
    Some((
        var_end,
        format!("__sluice.esmFiber({id},[{}]);", list.join(",")),
    ))
}

/// The names a `var|let|const` declaration declares (simple names only; `None` for patterns).
fn declarators(s: &mut Scanner<'_>, src: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    loop {
        let n = s.next_token()?;
        if !n.is_ident(src) {
            return None;
        }
        names.push(n.text(src).to_string());
        // Skip the initialiser up to a comma at this level or the end of the statement.
        let base = s.depth;
        loop {
            let mark = s.mark();
            let before = s.pos;
            let Some(t) = s.next_token() else {
                return Some(names);
            };
            if s.depth_before == base {
                match t.text(src) {
                    "," => break,
                    ";" => return Some(names),
                    _ if t.text(src) != "="
                        && s.newline_between(before, t.start)
                        && s.ends_statement(before, t, src) =>
                    {
                        s.reset(&mark);
                        return Some(names);
                    }
                    _ => {}
                }
            }
            if s.depth < base {
                s.reset(&mark);
                return Some(names);
            }
        }
    }
}

/// A token: a byte range of the source.
#[derive(Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
}

impl Token {
    fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }
    fn is_string(&self, src: &str) -> bool {
        matches!(src.as_bytes().get(self.start), Some(b'"' | b'\''))
    }
    fn is_ident(&self, src: &str) -> bool {
        src[self.start..]
            .chars()
            .next()
            .is_some_and(|c| c == '$' || c == '_' || c.is_alphabetic())
    }
}

/// A scanner position to come back to after looking ahead.
#[derive(Clone)]
struct Mark {
    pos: usize,
    last_end: usize,
    depth: i32,
    regex_ok: bool,
    templates: usize,
}

/// A JavaScript tokenizer just good enough to find top-level statements: it knows strings,
/// template literals, comments, regular expressions and bracket depth.
struct Scanner<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: i32,
    /// Depth before the last token (a closing bracket is at the outer depth).
    depth_before: i32,
    /// The last token was preceded by `.` (a property name, not a keyword).
    after_dot: bool,
    /// Where the last token ended (comments after it do not count).
    last_end: usize,
    /// A `/` here starts a regular expression.
    regex_ok: bool,
    /// Depths at which template literals continue after a `}`.
    templates: Vec<i32>,
}

/// Words after which a `/` starts a regular expression rather than a division.
pub(super) const KEYWORDS_BEFORE_EXPR: &[&str] = &[
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "instanceof",
    "yield",
    "await",
];

impl<'a> Scanner<'a> {
    fn new(src: &'a str) -> Self {
        Scanner {
            src,
            b: src.as_bytes(),
            pos: 0,
            depth: 0,
            depth_before: 0,
            after_dot: false,
            last_end: 0,
            regex_ok: true,
            templates: Vec::new(),
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            last_end: self.last_end,
            depth: self.depth,
            regex_ok: self.regex_ok,
            templates: self.templates.len(),
        }
    }

    fn reset(&mut self, m: &Mark) {
        self.pos = m.pos;
        self.last_end = m.last_end;
        self.depth = m.depth;
        self.regex_ok = m.regex_ok;
        self.templates.truncate(m.templates);
    }

    fn newline_between(&self, a: usize, b: usize) -> bool {
        self.src[a..b].contains('\n')
    }

    /// At a line break before `next`: does the statement end there (automatic semicolon)?
    fn ends_statement(&self, before: usize, next: Token, src: &str) -> bool {
        let prev = self.src[..before].trim_end();
        let last = prev.chars().last().unwrap_or(';');
        if "=,+-*/%&|^!~?:<>([{.".contains(last) {
            return false;
        }
        let first = next.text(src).chars().next().unwrap_or(';');
        !".,?:+-*/%&|^=<>)]}([`".contains(first)
            && !matches!(next.text(src), "in" | "of" | "instanceof")
    }

    fn skip_semicolon(&mut self, from: usize) -> usize {
        let rest = &self.src[from..];
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let at = from + (rest.len() - trimmed.len());
        if trimmed.starts_with(';') {
            self.pos = at + 1;
            self.regex_ok = true;
            return at + 1;
        }
        self.pos = from;
        from
    }

    fn skip_space(&mut self) {
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'/' if self.b.get(self.pos + 1) == Some(&b'/') => {
                    while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'/' if self.b.get(self.pos + 1) == Some(&b'*') => {
                    self.pos = self.src[self.pos + 2..]
                        .find("*/")
                        .map(|i| self.pos + 2 + i + 2)
                        .unwrap_or(self.b.len());
                }
                c if c >= 0x80 => {
                    let ch = self.src[self.pos..].chars().next().unwrap_or(' ');
                    if ch.is_whitespace() {
                        self.pos += ch.len_utf8();
                    } else {
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    fn next_token(&mut self) -> Option<Token> {
        self.skip_space();
        if self.pos >= self.b.len() {
            return None;
        }
        // A `.` token just before (not one ending a comment in between).
        let prev = &self.src[..self.last_end];
        let prev_dot = prev.ends_with('.') && !prev.ends_with("...");
        self.after_dot = prev_dot;
        self.depth_before = self.depth;
        let start = self.pos;
        let c = self.b[self.pos];
        match c {
            b'"' | b'\'' => {
                self.pos += 1;
                while self.pos < self.b.len() && self.b[self.pos] != c {
                    if self.b[self.pos] == b'\\' {
                        self.pos += 1;
                    }
                    self.pos += 1;
                }
                self.pos = (self.pos + 1).min(self.b.len());
                self.regex_ok = false;
            }
            b'`' => {
                self.pos += 1;
                self.template_rest();
            }
            b'(' | b'[' | b'{' => {
                self.depth += 1;
                self.pos += 1;
                self.regex_ok = true;
            }
            b'}' if self.templates.last() == Some(&self.depth) => {
                self.templates.pop();
                self.depth -= 1;
                self.pos += 1;
                self.template_rest();
            }
            b')' | b']' | b'}' => {
                self.depth -= 1;
                self.depth_before = self.depth;
                self.pos += 1;
                self.regex_ok = c == b'}';
            }
            b'/' if self.regex_ok => {
                self.pos += 1;
                let mut class = false;
                while self.pos < self.b.len() {
                    match self.b[self.pos] {
                        b'\\' => self.pos += 1,
                        b'[' => class = true,
                        b']' => class = false,
                        b'/' if !class => break,
                        b'\n' => break,
                        _ => {}
                    }
                    self.pos += 1;
                }
                self.pos = (self.pos + 1).min(self.b.len());
                while self.pos < self.b.len() && self.b[self.pos].is_ascii_alphabetic() {
                    self.pos += 1;
                }
                self.regex_ok = false;
            }
            _ if c == b'$' || c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80 => {
                while self.pos < self.b.len() {
                    let ch = self.src[self.pos..].chars().next().unwrap_or(' ');
                    if ch == '$' || ch == '_' || ch.is_alphanumeric() {
                        self.pos += ch.len_utf8();
                    } else {
                        break;
                    }
                }
                let word = &self.src[start..self.pos];
                self.regex_ok = !prev_dot && KEYWORDS_BEFORE_EXPR.contains(&word);
            }
            _ => {
                // Punctuators: one character each is enough to find statement boundaries.
                self.pos += 1;
                self.regex_ok =
                    !(c == b'.' && self.b.get(self.pos).is_some_and(u8::is_ascii_digit));
                if c == b'+' || c == b'-' {
                    // `a++ / b`: after ++/-- a slash divides.
                    if self.b.get(self.pos) == Some(&c) {
                        self.pos += 1;
                        self.regex_ok = false;
                    }
                }
            }
        }
        self.last_end = self.pos;
        Some(Token {
            start,
            end: self.pos,
        })
    }

    /// Skips a template literal's text up to its end or the next `${`.
    fn template_rest(&mut self) {
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b'\\' => self.pos += 2,
                b'`' => {
                    self.pos += 1;
                    self.regex_ok = false;
                    return;
                }
                b'$' if self.b.get(self.pos + 1) == Some(&b'{') => {
                    self.pos += 2;
                    self.depth += 1;
                    self.templates.push(self.depth);
                    self.regex_ok = true;
                    return;
                }
                _ => self.pos += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(src: &str) -> (String, bool) {
        let r = rewrite(src, 7);
        assert_eq!(r.text.lines().count(), src.lines().count(), "{}", r.text);
        (r.text, r.module)
    }

    #[test]
    fn plain_scripts_are_left_alone() {
        let src = "pipy({ _a: 1 })\n.listen(8080)\n.serveHTTP(m => new Message(`${_a} / 2`))\n";
        assert_eq!(rw(src), (src.to_string(), false));
        let src = "var x = a.import(1); var y = /export/.test(s) ? 'import' : `export ${x}`\n";
        assert_eq!(rw(src), (src.to_string(), false));
    }

    #[test]
    fn shebang_is_blanked() {
        let (t, _) = rw("#!/usr/bin/env pipy\nvar x = 1\n");
        assert_eq!(t, "\nvar x = 1\n");
    }

    /// The lines of `src` rewritten, which must have been read as a module.
    fn module_lines(src: &str) -> Vec<String> {
        let (text, module) = rw(src);
        assert!(module, "{text}");
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn imports() {
        assert_eq!(
            module_lines("import config from './config.js'\nimport { a, b as c } from \"/m.js\";\nimport * as ns from './n.js'\nimport './side.js'\nx()\n"),
            [
                "__sluice.esmImport(7,'./config.js',[[\"config\",\"default\"]]);",
                "__sluice.esmImport(7,\"/m.js\",[[\"a\",\"a\"],[\"c\",\"b\"]]);",
                "__sluice.esmImport(7,'./n.js',[[\"ns\",\"*\"]]);",
                "__sluice.esmImport(7,'./side.js',[]);",
                "x()",
            ]
        );
    }

    #[test]
    fn a_comment_ending_in_a_dot_does_not_hide_the_next_import() {
        let (out, module) = rw("// goes on.\nimport { g } from './g.js'\ng()\n");
        assert!(module);
        assert!(!out.contains("import {"), "{out}");
        let (out, _) = rw("/* a. */\nimport x from './x.js'\n");
        assert!(!out.contains("import x"), "{out}");
        // A real property access stays one: `a.\nimport` is not a statement.
        let (out, module) = rw("var a = {}\na.\nimport\n");
        assert!(!module, "{out}");
    }

    #[test]
    fn exports() {
        assert_eq!(
            module_lines("export default pipeline($=>$\n  .dummy())\nexport var a = 1, b = f(1, 2)\nexport function g() {}\nexport { a as x, g }\nexport * from './o.js'\nexport { y } from './p.js'\n"),
            [
                "__sluice.esmExports(7).default= pipeline($=>$",
                "  .dummy())",
                "__sluice.esmExport(7,{\"a\":()=>a,\"b\":()=>b});var a = 1, b = f(1, 2)",
                "__sluice.esmExport(7,{\"g\":()=>g});function g() {}",
                "__sluice.esmExport(7,{\"x\":()=>a,\"g\":()=>g});",
                "__sluice.esmForward(7,'./o.js','*');",
                "__sluice.esmForward(7,'./p.js',[[\"y\",\"y\"]]);",
            ]
        );
    }

    #[test]
    fn fiber_variables() {
        assert_eq!(
            module_lines("var $ctx\nvar $a = 1, $b = { x: [1, 2] }\nvar c = 2\nfunction f() { var $local = 1 }\n"),
            [
                "__sluice.esmFiber(7,[\"$ctx\"]); $ctx",
                "__sluice.esmFiber(7,[\"$a\",\"$b\"]); $a = 1, $b = { x: [1, 2] }",
                "var c = 2",
                "function f() { var $local = 1 }",
            ]
        );
    }

    #[test]
    fn top_level_return_makes_a_module() {
        assert!(rw("if (!x) return\nfoo()\n").1);
        assert!(!rw("function f() { return 1 }\n").1);
    }
}
