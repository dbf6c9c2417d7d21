//! `filters.md`: a section per filter of the registry.

use std::path::Path;

use super::flow;
use crate::filters::registry;

/// The filters page: an index, then per filter its signature, kind, purpose, parameters,
/// events in and out, TypeScript overloads, and its example from `examples`
/// (`docs/examples/filters/NAME/main.js`, tested by `engine/tests/docs_examples.rs`).
pub fn page(examples: Option<&Path>) -> String {
    let mut out = String::from(super::generated_note());
    out.push_str("\n# Filters\n\n");
    out.push_str(
        "A pipeline layout is a chain of filters, each added by a method of the builder \
         `pipy()` returns (`pipy().listen(8080).demuxHTTP().to(...)`). *Joint* filters run \
         sub-pipelines, given by `.to(layout)` or as arguments.\n\n",
    );
    for d in registry() {
        out.push_str(&format!("[`{}`](#{}) ", d.name, anchor(d.name)));
    }
    out.push_str("\n\n");
    let example = |name: &str| examples.and_then(|dir| flow::example(dir, name));
    let total = registry().len();
    let with_events = registry()
        .iter()
        .filter(|d| flow::events(d.name).is_some())
        .count();
    let with_example = registry()
        .iter()
        .filter(|d| example(d.name).is_some())
        .count();
    out.push_str(&format!(
        "Events in and out are given for {with_events} of the {total} filters, and a tested \
         example for {with_example}; the examples are codebases in \
         [`docs/examples/filters/`](../examples/filters/), run by the test suite.\n\n"
    ));
    for d in registry() {
        out.push_str(&format!("## {}\n\n", d.name));
        out.push_str(&format!(
            "`{}{}` ({} filter)\n\n",
            d.name,
            d.signature,
            d.kind.as_str()
        ));
        out.push_str(&format!("{}.\n\n", d.help.trim_end_matches('.')));
        if !d.params.is_empty() {
            out.push_str("| Parameter | What it is |\n|---|---|\n");
            for (p, h) in d.params {
                out.push_str(&format!("| `{p}` | {} |\n", cell(h)));
            }
            out.push('\n');
        }
        if let Some((input, output)) = flow::events(d.name) {
            out.push_str(&format!("Events in: {input}. Out: {output}.\n\n"));
        }
        let overloads = crate::typings::filter_overloads(d.name);
        if !overloads.is_empty() {
            out.push_str("```ts\n");
            for o in overloads {
                out.push_str(&o);
                out.push_str(";\n");
            }
            out.push_str("```\n\n");
        }
        if let Some(code) = example(d.name) {
            out.push_str(&format!(
                "Example (tested by [`check.json`](../examples/filters/{0}/check.json)):\n\n\
                 <!-- example: ../examples/filters/{0}/main.js -->\n```js\n{code}```\n\n",
                d.name
            ));
        }
    }
    out
}

/// The GitHub-style anchor of a heading that is one identifier.
fn anchor(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
