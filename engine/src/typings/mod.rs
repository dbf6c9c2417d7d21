//! TypeScript declarations of the script API for the IDE's editor.
//!
//! The filter methods of `Configuration` are generated: names, purposes and parameter docs from
//! the filter registry (the one `--help-filters` prints), parameter types and option objects
//! from [`filters`]. The rest of the API is declared in `events.d.ts`, `configuration.d.ts` and
//! `globals.d.ts`, joined in that order.

mod filters;

use crate::filters::registry;

/// The declarations, as one `.d.ts` text.
pub fn typings() -> String {
    let configuration = include_str!("configuration.d.ts")
        .replace("/*FILTERS*/\n", &filter_methods())
        .replace("/*OPTIONS*/\n", &option_interfaces());
    [
        include_str!("events.d.ts"),
        &configuration,
        include_str!("globals.d.ts"),
    ]
    .join("\n")
}

/// The TypeScript declarations of the filter method `name`, one per overload, as the IDE's
/// typings have them (`branch(condition: Condition, layout: Layout, ...): Configuration`).
pub fn filter_overloads(name: &str) -> Vec<String> {
    filters::SIGNATURES
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(n, params)| format!("{n}({}): Configuration", params.join(", ")))
        .collect()
}

/// The doc of parameter `name` of the filter `filter`.
fn param_doc(filter: &crate::filters::FilterDescriptor, name: &str) -> Option<&'static str> {
    filter
        .params
        .iter()
        .find(|(p, _)| *p == name)
        .or_else(|| filters::EXTRA_PARAM_DOCS.iter().find(|(p, _)| *p == name))
        .map(|(_, d)| *d)
}

/// The name in a TypeScript parameter like `...more?: T[]`.
fn param_name(param: &str) -> &str {
    let p = param.trim_start_matches("...");
    let end = p.find([':', '?']).unwrap_or(p.len());
    p[..end].trim()
}

/// Text safe inside a `/** ... */` comment.
fn doc_text(s: &str) -> String {
    s.replace("*/", "* /")
}

/// A parameter doc for JSDoc: a `{...}` list of option fields is set as code, because a `{`
/// right after the parameter name would be read as its type and cut from the text.
fn param_doc_text(s: &str) -> String {
    let s = doc_text(s);
    match (s.starts_with('{'), s.find('}')) {
        (true, Some(end)) => format!("`{}`{}", &s[..=end], &s[end + 1..]),
        _ => s,
    }
}

fn filter_methods() -> String {
    let mut out = String::new();
    for d in registry() {
        for (_, params) in filters::SIGNATURES.iter().filter(|(n, _)| *n == d.name) {
            out.push_str("  /**\n   * ");
            out.push_str(&doc_text(d.help));
            out.push_str(".\n");
            for p in params.iter() {
                let name = param_name(p);
                let doc = param_doc(d, name).unwrap_or("");
                out.push_str(&format!("   * @param {name} {}\n", param_doc_text(doc)));
            }
            out.push_str("   */\n");
            out.push_str(&format!(
                "  {}({}): Configuration;\n",
                d.name,
                params.join(", ")
            ));
        }
    }
    out
}

fn option_interfaces() -> String {
    let mut out = String::new();
    for (name, purpose, fields) in filters::OPTIONS {
        out.push_str(&format!(
            "/** {} */\ninterface {name} {{\n",
            doc_text(purpose)
        ));
        for (field, ty, doc) in fields.iter() {
            out.push_str(&format!(
                "  /** {}. */\n  {field}?: {ty};\n",
                capitalized(&doc_text(doc))
            ));
        }
        out.push_str("}\n\n");
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_filter_is_declared() {
        let t = typings();
        for d in registry() {
            assert!(t.contains(&format!("  {}(", d.name)), "{} missing", d.name);
        }
        assert!(!t.contains("/*FILTERS*/") && !t.contains("/*OPTIONS*/"));
    }

    #[test]
    fn every_signature_names_a_registered_filter_and_documents_its_parameters() {
        for (name, params) in filters::SIGNATURES {
            let d = crate::filters::find(name)
                .unwrap_or_else(|| panic!("{name} has a signature but is no filter"));
            for p in params.iter() {
                let n = param_name(p);
                assert!(
                    !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{name}: unnamed parameter {p:?}"
                );
                assert!(p.contains(':'), "{name}: parameter {n} has no type");
                assert!(
                    param_doc(d, n).is_some(),
                    "{name}: parameter {n} has no doc"
                );
            }
        }
    }

    #[test]
    fn every_documented_parameter_appears_in_a_signature() {
        for d in registry() {
            for (p, _) in d.params {
                if filters::TAKEN_BY_REST.contains(p) {
                    continue;
                }
                let used = filters::SIGNATURES
                    .iter()
                    .filter(|(n, _)| *n == d.name)
                    .any(|(_, ps)| ps.iter().any(|x| param_name(x) == *p));
                assert!(used, "{}: parameter {p} is in no signature", d.name);
            }
        }
    }

    #[test]
    fn option_lists_in_parameter_docs_are_set_as_code() {
        assert_eq!(param_doc_text("{a, b}; more"), "`{a, b}`; more");
        assert_eq!(param_doc_text("a function"), "a function");
    }

    #[test]
    fn parameter_names_are_read_from_typescript() {
        assert_eq!(param_name("...more: (A | B)[]"), "more");
        assert_eq!(param_name("options?: X"), "options");
        assert_eq!(param_name("target: Layout"), "target");
    }
}
