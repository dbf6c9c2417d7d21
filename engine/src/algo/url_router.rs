//! `algo.URLRouter` (docs/reference/api.md): routes a host and path to a value. A rule is
//! `[host]/path`; a path ending in `/*` matches that path and everything under it (the longest
//! such prefix wins), any other path matches exactly, and an exact rule wins over prefixes.
//! The host may be a name, `*.domain` (a name exactly one label deeper than `domain`) or empty
//! (any host); rules of the request's own host are tried first, then its wildcard, then the
//! host-less ones. A query string, the host's port and its case are ignored.

use std::collections::HashMap;

use rquickjs::class::{Trace, Tracer};
use rquickjs::function::{Rest, This};
use rquickjs::{Class, Coerced, Ctx, Exception, JsLifetime, Result, Value};

/// The rules of one host.
#[derive(Default)]
struct Table<'js> {
    exact: HashMap<String, Value<'js>>,
    prefixes: Node<'js>,
}

/// A node of the prefix tree: one path segment.
#[derive(Default)]
struct Node<'js> {
    children: HashMap<String, Node<'js>>,
    value: Option<Value<'js>>,
}

impl<'js> Node<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        if let Some(v) = &self.value {
            tracer.mark(v);
        }
        for n in self.children.values() {
            n.trace(tracer);
        }
    }
}

impl<'js> Table<'js> {
    fn lookup(&self, path: &str) -> Option<&Value<'js>> {
        if let Some(v) = self.exact.get(path) {
            return Some(v);
        }
        let mut node = &self.prefixes;
        let mut best = node.value.as_ref();
        for seg in segments(path) {
            match node.children.get(seg) {
                Some(n) => node = n,
                None => break,
            }
            if node.value.is_some() {
                best = node.value.as_ref();
            }
        }
        best
    }
}

/// The non-empty segments of a path.
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// A router: the rules of each host (`""` for rules without a host).
#[derive(Default)]
pub struct UrlRouter<'js> {
    hosts: HashMap<String, Table<'js>>,
}

// SAFETY: the type's only lifetime is 'js, and `Changed` swaps exactly that.
unsafe impl<'js> JsLifetime<'js> for UrlRouter<'js> {
    type Changed<'to> = UrlRouter<'to>;
}

impl<'js> Trace<'js> for UrlRouter<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        for t in self.hosts.values() {
            for v in t.exact.values() {
                tracer.mark(v);
            }
            t.prefixes.trace(tracer);
        }
    }
}

impl<'js> UrlRouter<'js> {
    fn add(&mut self, ctx: &Ctx<'js>, pattern: &Value<'js>, value: Value<'js>) -> Result<()> {
        let Some(pattern) = pattern.as_string() else {
            return Err(Exception::throw_type(
                ctx,
                "URLRouter: pattern must be a string",
            ));
        };
        self.add_rule(ctx, &pattern.to_string()?, value)
    }

    fn add_rule(&mut self, ctx: &Ctx<'js>, pattern: &str, value: Value<'js>) -> Result<()> {
        let Some(slash) = pattern.find('/') else {
            return Err(Exception::throw_message(
                ctx,
                &format!("URLRouter: invalid pattern {pattern}"),
            ));
        };
        let host = pattern[..slash].to_lowercase();
        if host.contains(':') {
            return Err(Exception::throw_message(
                ctx,
                &format!("URLRouter: host may not have a port: {pattern}"),
            ));
        }
        let path = &pattern[slash..];
        let table = self.hosts.entry(host).or_default();
        if let Some(prefix) = path.strip_suffix('*').filter(|_| path.ends_with("/*")) {
            let mut node = &mut table.prefixes;
            for seg in segments(prefix) {
                node = node.children.entry(seg.to_string()).or_default();
            }
            node.value = Some(value);
        } else {
            table.exact.insert(path.to_string(), value);
        }
        Ok(())
    }

    /// The value for a host (`""` for none) and a path, both already normalised.
    fn find(&self, host: &str, path: &str) -> Option<&Value<'js>> {
        if !host.is_empty() {
            if let Some(v) = self.hosts.get(host).and_then(|t| t.lookup(path)) {
                return Some(v);
            }
            if let Some(dot) = host.find('.') {
                let wild = format!("*{}", &host[dot..]);
                if let Some(v) = self.hosts.get(&wild).and_then(|t| t.lookup(path)) {
                    return Some(v);
                }
            }
        }
        self.hosts.get("").and_then(|t| t.lookup(path))
    }
}

/// A value as a string, the way `String(v)` makes one.
fn text(v: &Value<'_>) -> Result<String> {
    match v.as_string() {
        Some(s) => s.to_string(),
        None => Ok(v.get::<Coerced<String>>()?.0),
    }
}

/// `find(...parts)`: the host (when two or more parts are given) and the path, normalised.
fn request_of(parts: &[Value<'_>]) -> Result<Option<(String, String)>> {
    let mut given = parts.iter().filter(|v| !v.is_undefined() && !v.is_null());
    let Some(first) = given.next() else {
        return Ok(None);
    };
    let first = text(first)?;
    let (mut host, mut path) = (String::new(), String::new());
    let mut rest = given.peekable();
    if rest.peek().is_none() {
        path = first;
    } else {
        host = first;
        for p in rest {
            path.push('/');
            path.push_str(text(p)?.trim_start_matches('/'));
        }
    }
    if let Some(q) = path.find('?') {
        path.truncate(q);
    }
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if let Some(colon) = host.rfind(':') {
        if !host.ends_with(']') {
            host.truncate(colon);
        }
    }
    if host.bytes().any(|b| b.is_ascii_uppercase()) || !host.is_ascii() {
        host = host.to_lowercase();
    }
    Ok(Some((host, path)))
}

native_class! {
    UrlRouter<'js> = "URLRouter",
    construct: |ctx: Ctx<'js>, rules: rquickjs::function::Opt<Value<'js>>| {
        let mut router = UrlRouter::default();
        if let Some(rules) = rules.0.as_ref().and_then(|r| r.as_object()) {
            for key in rules.keys::<String>() {
                let key = key?;
                let value: Value<'js> = rules.get(key.as_str())?;
                router.add_rule(&ctx, &key, value)?;
            }
        }
        Class::instance(ctx, router)
    },
    prototype: |proto| {
        super::method_of(
            &proto,
            "add",
            |ctx, me: &Class<Self>, [pattern, value, _]| {
                me.borrow_mut().add(ctx, &pattern, value)?;
                Ok(me.clone())
            },
        )?;
        super::method(
            &proto,
            "find",
            |ctx: Ctx<'js>, this: This<Value<'js>>, parts: Rest<Value<'js>>| {
                let me = super::this_of::<Self>(&ctx, &this.0)?;
                let found = match request_of(&parts.0)? {
                    Some((host, path)) => me.borrow().find(&host, &path).cloned(),
                    None => None,
                };
                Ok::<_, rquickjs::Error>(found.unwrap_or_else(|| Value::new_undefined(ctx)))
            },
        )?;
    }
}
