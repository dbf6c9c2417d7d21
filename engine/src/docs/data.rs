//! The reference as data, for the IDE's Reference tab (`GET /api/v1/reference`): the same
//! sources as the generated pages ([`super::pages`]), as JSON.
//!
//! Every filter comes from the filter registry, with its events from [`super::flow`], its
//! TypeScript overloads from the typings, and its tested example (`docs/examples/filters`,
//! compiled into the binary so the reference works offline, in the desktop app too). Every
//! global, namespace, class and type comes from the typings' top-level declarations.

use include_dir::{include_dir, Dir};
use serde_json::{json, Value};

use super::{api, flow};
use crate::filters::registry;

/// The tested filter examples (`docs/examples/filters/NAME/main.js`).
static EXAMPLES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../docs/examples/filters");

/// The whole reference: `{"filters": [Filter], "api": [Declaration]}`.
///
/// `Filter` = `{"name", "signature", "kind" ("plain", "joint", ...), "help", "params":
/// [{"name", "help"}], "events": {"in", "out"} or null, "overloads": [TypeScript], "example":
/// script or null}`. `Declaration` = `{"name", "kind" (namespace, class, interface, function,
/// const, type, ...), "summary", "code"}`.
pub fn reference() -> Value {
    let filters: Vec<Value> = registry()
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "signature": format!("{}{}", d.name, d.signature),
                "kind": d.kind.as_str(),
                "help": d.help,
                "params": d.params.iter().map(|(p, h)| json!({"name": p, "help": h})).collect::<Vec<_>>(),
                "events": flow::events(d.name).map(|(i, o)| json!({"in": i, "out": o})),
                "overloads": crate::typings::filter_overloads(d.name),
                "example": example(d.name),
            })
        })
        .collect();
    let api: Vec<Value> = api::declarations(&crate::typings::typings())
        .into_iter()
        .map(|d| {
            json!({
                "name": d.name,
                "kind": declaration_kind(&d.code),
                "summary": d.summary,
                "code": d.code,
            })
        })
        .collect();
    json!({ "filters": filters, "api": api })
}

/// The example script of filter `name`, if it has one.
fn example(name: &str) -> Option<&'static str> {
    EXAMPLES
        .get_file(format!("{name}/main.js"))
        .and_then(|f| f.contents_utf8())
}

/// The keywords a TypeScript declaration starts with, after any modifier, naming what it declares.
pub(super) const DECLARATION_KINDS: &[&str] = &[
    "namespace",
    "class",
    "interface",
    "function",
    "const",
    "let",
    "var",
    "type",
    "enum",
];

/// What a declaration declares, from its first keyword: `namespace`, `class`, ...
fn declaration_kind(code: &str) -> &'static str {
    let first = code.lines().next().unwrap_or_default();
    first
        .split_whitespace()
        .find_map(|w| DECLARATION_KINDS.iter().find(|k| **k == w).copied())
        .unwrap_or("declaration")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_and_the_api_are_there() {
        let r = reference();
        let filters = r["filters"].as_array().unwrap();
        assert_eq!(filters.len(), registry().len());
        let demux = filters.iter().find(|f| f["name"] == "demuxHTTP").unwrap();
        assert!(demux["example"].as_str().unwrap().contains("demuxHTTP"));
        assert!(demux["events"]["in"].is_string());
        let api = r["api"].as_array().unwrap();
        let pipy = api.iter().find(|d| d["name"] == "pipy").unwrap();
        assert_eq!(pipy["kind"], "function");
        assert_eq!(declaration_kind("declare namespace os {"), "namespace");
    }
}
