//! Natives for the format globals (`YAML`, `XML`, `zlib`): parsing and compression in Rust,
//! the objects scripts see in `js/formats.js`.
//!
//! - YAML is read event by event (yaml-rust2) so that, as in Pipy, every scalar stays the
//!   text it was written as (`a: 1` gives `{a: '1'}`) and an alias is the anchored value
//!   itself (the same object). Writing goes through yaml-rust2's emitter.
//! - XML is read with quick-xml into nested arrays `[name, attributes|null, children]` that
//!   the prelude turns into `XML.Node`s. Text is split where Pipy's parser (expat) splits it:
//!   at each line break and each entity or character reference.

use std::collections::HashMap;
use std::io::{Read, Write};

use rquickjs::function::Func;
use rquickjs::{Array, Coerced, Ctx, Exception, FromJs, Object, TypedArray, Value};

use super::convert::typed_bytes;

pub(super) fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    n.set("yamlDecode", Func::from(yaml_decode))?;
    n.set("yamlEncode", Func::from(yaml_encode))?;
    n.set("xmlDecode", Func::from(xml_decode))?;
    n.set("zlib", Func::from(zlib))?;
    Ok(())
}

// ---- YAML ----

/// Collects the parser's events; the JS values are made after the whole text parsed.
struct Events(Vec<yaml_rust2::Event>);

impl yaml_rust2::parser::EventReceiver for Events {
    fn on_event(&mut self, ev: yaml_rust2::Event) {
        self.0.push(ev);
    }
}

fn yaml_decode<'js>(ctx: Ctx<'js>, text: String) -> rquickjs::Result<Value<'js>> {
    use yaml_rust2::Event as E;
    let mut events = Events(Vec::new());
    let mut parser = yaml_rust2::parser::Parser::new_from_str(&text);
    if let Err(e) = parser.load(&mut events, true) {
        return Err(Exception::throw_message(&ctx, &format!("YAML: {e}")));
    }
    // Each open collection, and for a mapping the key waiting for its value.
    let mut stack: Vec<(Value<'js>, Option<String>)> = Vec::new();
    let mut anchors: HashMap<usize, Value<'js>> = HashMap::new();
    let mut root = Value::new_undefined(ctx.clone());
    for ev in events.0 {
        let (v, anchor, open) = match ev {
            E::Scalar(s, _, anchor, _) => (
                rquickjs::String::from_str(ctx.clone(), &s)?.into_value(),
                anchor,
                false,
            ),
            E::Alias(id) => (
                anchors
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| Value::new_undefined(ctx.clone())),
                0,
                false,
            ),
            E::SequenceStart(anchor, _) => (Array::new(ctx.clone())?.into_value(), anchor, true),
            E::MappingStart(anchor, _) => (Object::new(ctx.clone())?.into_value(), anchor, true),
            E::SequenceEnd | E::MappingEnd => {
                stack.pop();
                continue;
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => root = v.clone(),
            Some((parent, key)) => {
                if let Some(a) = parent.as_array() {
                    a.set(a.len(), v.clone())?;
                } else if let Some(k) = key.take() {
                    parent.as_object().expect("mapping").set(k, v.clone())?;
                } else {
                    *key = Some(Coerced::<String>::from_js(&ctx, v.clone())?.0);
                }
            }
        }
        if anchor != 0 {
            anchors.insert(anchor, v.clone());
        }
        if open {
            stack.push((v, None));
        }
    }
    Ok(root)
}

fn yaml_encode<'js>(ctx: Ctx<'js>, v: Value<'js>) -> rquickjs::Result<String> {
    let doc = yaml_of(&ctx, &v, 0)?;
    let mut out = String::new();
    let mut emitter = yaml_rust2::YamlEmitter::new(&mut out);
    emitter.multiline_strings(true);
    emitter
        .dump(&doc)
        .map_err(|e| Exception::throw_message(&ctx, &format!("YAML: {e}")))?;
    let body = out.strip_prefix("---").unwrap_or(&out);
    let body = body
        .strip_prefix('\n')
        .or(body.strip_prefix(' '))
        .unwrap_or(body);
    Ok(format!("{body}\n"))
}

fn yaml_of<'js>(
    ctx: &Ctx<'js>,
    v: &Value<'js>,
    depth: usize,
) -> rquickjs::Result<yaml_rust2::Yaml> {
    use yaml_rust2::Yaml;
    if depth > 256 {
        return Err(Exception::throw_type(
            ctx,
            "YAML: value nested too deep (a cycle?)",
        ));
    }
    if let Some(b) = v.as_bool() {
        return Ok(Yaml::Boolean(b));
    }
    if let Some(i) = v.as_int() {
        return Ok(Yaml::Integer(i as i64));
    }
    if let Some(f) = v.as_float() {
        return Ok(if f.is_nan() {
            Yaml::Real(".nan".into())
        } else if f.is_infinite() {
            Yaml::Real(if f > 0.0 { ".inf" } else { "-.inf" }.into())
        } else if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
            Yaml::Integer(f as i64)
        } else {
            Yaml::Real(Coerced::<String>::from_js(ctx, v.clone())?.0)
        });
    }
    if let Some(s) = v.as_string() {
        return Ok(Yaml::String(s.to_string()?));
    }
    if let Some(a) = v.as_array() {
        let mut out = Vec::with_capacity(a.len());
        for x in a.iter::<Value>() {
            out.push(yaml_of(ctx, &x?, depth + 1)?);
        }
        return Ok(Yaml::Array(out));
    }
    if v.is_function() || v.is_symbol() {
        return Ok(Yaml::Null);
    }
    if let Some(o) = v.as_object() {
        let mut h = yaml_rust2::yaml::Hash::new();
        for k in o.keys::<String>() {
            let k = k?;
            let x: Value = o.get(k.as_str())?;
            if x.is_undefined() || x.is_function() {
                continue;
            }
            h.insert(Yaml::String(k), yaml_of(ctx, &x, depth + 1)?);
        }
        return Ok(Yaml::Hash(h));
    }
    Ok(Yaml::Null)
}

// ---- XML ----

/// One element being read: its name, attributes (or none) and children so far.
struct Element<'js> {
    node: Array<'js>,
    children: Array<'js>,
}

fn xml_decode<'js>(ctx: Ctx<'js>, bytes: TypedArray<'js, u8>) -> rquickjs::Result<Value<'js>> {
    let text = String::from_utf8_lossy(typed_bytes(&bytes)).into_owned();
    match xml_parse(&ctx, &text) {
        Ok(Some(doc)) => Ok(doc.into_value()),
        Ok(None) => Ok(Value::new_null(ctx)),
        Err(e) => Err(e),
    }
}

/// The document as `['', {}, [root]]`, or `None` when the text is not well-formed XML.
fn xml_parse<'js>(ctx: &Ctx<'js>, text: &str) -> rquickjs::Result<Option<Array<'js>>> {
    use quick_xml::events::Event as X;
    let new_node = |name: &str, attrs: Value<'js>| -> rquickjs::Result<Element<'js>> {
        let node = Array::new(ctx.clone())?;
        let children = Array::new(ctx.clone())?;
        node.set(0, name)?;
        node.set(1, attrs)?;
        node.set(2, children.clone())?;
        Ok(Element { node, children })
    };
    let doc = new_node("", Object::new(ctx.clone())?.into_value())?;
    let mut stack = vec![doc];
    let mut seen_root = false;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let push_text = |stack: &[Element<'js>], s: &str| -> rquickjs::Result<bool> {
        if stack.len() < 2 {
            // Outside the root element only white space may appear.
            return Ok(s.chars().all(|c| c.is_ascii_whitespace()));
        }
        let children = &stack.last().expect("element").children;
        // Line breaks come as their own pieces, as expat reports them.
        for piece in s.split_inclusive('\n') {
            match piece.strip_suffix('\n') {
                Some(head) => {
                    if !head.is_empty() {
                        children.set(children.len(), head)?;
                    }
                    children.set(children.len(), "\n")?;
                }
                None => children.set(children.len(), piece)?,
            }
        }
        Ok(true)
    };
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(_) => return Ok(None),
        };
        match ev {
            // A second root element.
            X::Start(_) | X::Empty(_) if stack.len() == 1 && seen_root => return Ok(None),
            X::Start(e) => {
                let el = element_of(ctx, &new_node, &e)?;
                let parent = &stack.last().expect("parent").children;
                parent.set(parent.len(), el.node.clone())?;
                stack.push(el);
                seen_root = true;
            }
            X::Empty(e) => {
                let el = element_of(ctx, &new_node, &e)?;
                let parent = &stack.last().expect("parent").children;
                parent.set(parent.len(), el.node)?;
                seen_root = true;
            }
            X::End(_) => {
                if stack.len() < 2 {
                    return Ok(None);
                }
                stack.pop();
            }
            X::Text(t) => {
                let s = t.xml10_content();
                if !push_text(&stack, &s)? {
                    return Ok(None);
                }
            }
            X::CData(t) => {
                let s = t.xml10_content();
                if stack.len() < 2 {
                    return Ok(None);
                }
                push_text(&stack, &s)?;
            }
            X::GeneralRef(r) => {
                if stack.len() < 2 {
                    return Ok(None);
                }
                let s = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Ok(None),
                    }
                } else {
                    let name = r.xml10_content();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => s.to_string(),
                        None => return Ok(None),
                    }
                };
                let children = &stack.last().expect("element").children;
                children.set(children.len(), s)?;
            }
            X::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 || !seen_root {
        return Ok(None);
    }
    Ok(Some(stack.pop().expect("document").node))
}

fn element_of<'js>(
    ctx: &Ctx<'js>,
    new_node: &dyn Fn(&str, Value<'js>) -> rquickjs::Result<Element<'js>>,
    e: &quick_xml::events::BytesStart<'_>,
) -> rquickjs::Result<Element<'js>> {
    let name = e.name().as_ref().to_string();
    let mut attrs: Option<Object<'js>> = None;
    for a in e.attributes() {
        let a = a.map_err(|err| Exception::throw_message(ctx, &format!("XML: {err}")))?;
        let k = a.key.as_ref().to_string();
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| Exception::throw_message(ctx, &format!("XML: {err}")))?;
        let o = match &attrs {
            Some(o) => o.clone(),
            None => {
                let o = Object::new(ctx.clone())?;
                attrs = Some(o.clone());
                o
            }
        };
        o.set(k, v.as_ref())?;
    }
    let attrs = match attrs {
        Some(o) => o.into_value(),
        None => Value::new_null(ctx.clone()),
    };
    new_node(&name, attrs)
}

// ---- zlib ----

/// `op`: 0 deflate, 1 inflate, 2 gzip, 3 gunzip (zlib format for deflate/inflate, as Pipy).
fn zlib<'js>(
    ctx: Ctx<'js>,
    op: i32,
    input: TypedArray<'js, u8>,
) -> rquickjs::Result<TypedArray<'js, u8>> {
    let input = typed_bytes(&input).to_vec();
    let level = flate2::Compression::default();
    let r: std::io::Result<Vec<u8>> = match op {
        0 => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
            e.write_all(&input).and_then(|_| e.finish())
        }
        1 => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(&input[..])
                .read_to_end(&mut out)
                .map(|_| out)
        }
        2 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
            e.write_all(&input).and_then(|_| e.finish())
        }
        _ => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&input[..])
                .read_to_end(&mut out)
                .map(|_| out)
        }
    };
    let name = ["deflate", "inflate", "gzip", "gunzip"][op.clamp(0, 3) as usize];
    match r {
        Ok(out) => TypedArray::new(ctx, out),
        Err(_) => Err(Exception::throw_message(&ctx, &format!("{name}() failed"))),
    }
}
