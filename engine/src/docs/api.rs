//! `api.md`: every top-level declaration of the script API's TypeScript typings (the text
//! `GET /api/v1/typings` serves the IDE), each with its doc comment and its declaration.

/// One top-level declaration: its name, the summary of its doc comment, and its text.
pub(super) struct Declaration {
    pub name: String,
    pub summary: String,
    pub code: String,
}

/// The API page from the typings text `dts`.
pub fn page(dts: &str) -> String {
    let decls = declarations(dts);
    let mut out = String::from(super::generated_note());
    out.push_str("\n# Script API\n\n");
    out.push_str(
        "The globals, namespaces, classes and types a script sees, as the IDE's editor \
         declares them (its hovers and completions come from the same text). The filter \
         methods of `Configuration` are described one by one in [Filters](filters.md).\n\n",
    );
    for d in &decls {
        out.push_str(&format!(
            "- [`{}`](#{}): {}\n",
            d.name,
            anchor(&d.name),
            d.summary
        ));
    }
    out.push('\n');
    for d in &decls {
        out.push_str(&format!("## {}\n\n", d.name));
        if !d.summary.is_empty() {
            out.push_str(&format!("{}\n\n", d.summary));
        }
        out.push_str(&format!("```ts\n{}\n```\n\n", d.code.trim_end()));
    }
    out
}

/// The top-level declarations of `dts`, in order: a declaration starts at column 0 (after its
/// `/** ... */`) and, when its first line opens a block, ends at the `}` back at column 0.
pub(super) fn declarations(dts: &str) -> Vec<Declaration> {
    let mut out = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    let mut in_doc = false;
    let mut lines = dts.lines().peekable();
    while let Some(line) = lines.next() {
        if in_doc {
            doc.push(line);
            in_doc = !line.contains("*/");
            continue;
        }
        if line.starts_with("/**") {
            doc = vec![line];
            in_doc = !line.contains("*/");
            continue;
        }
        if line.is_empty()
            || line.starts_with("//")
            || line.starts_with(' ')
            || line.starts_with('}')
        {
            if line.is_empty() {
                doc.clear();
            }
            continue;
        }
        let mut code = vec![line];
        if line.trim_end().ends_with('{') {
            for l in lines.by_ref() {
                code.push(l);
                if l.starts_with('}') {
                    break;
                }
            }
        }
        let name = decl_name(line);
        // Overloads and a const beside its class share one section.
        if let Some(last) = out.last_mut().filter(|d: &&mut Declaration| d.name == name) {
            last.code = format!("{}\n{}", last.code, code.join("\n"));
            if last.summary.is_empty() {
                last.summary = summary(&doc);
            }
        } else if !name.is_empty() {
            out.push(Declaration {
                name,
                summary: summary(&doc),
                code: code.join("\n"),
            });
        }
        doc.clear();
    }
    out
}

/// The declared name of a line like `declare namespace algo {` or `interface Data<T> {`.
fn decl_name(line: &str) -> String {
    const MODIFIERS: &[&str] = &["declare", "export", "abstract"];
    let keyword = |w: &&str| MODIFIERS.contains(w) || super::data::DECLARATION_KINDS.contains(w);
    line.split(|c: char| c.is_whitespace())
        .find(|w| !w.is_empty() && !keyword(w))
        .map(|w| {
            w.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$' || c == '.'))
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}

/// The text of a `/** ... */` comment up to its first `@tag`, on one line.
fn summary(doc: &[&str]) -> String {
    let mut words = Vec::new();
    for l in doc {
        let t = l
            .trim()
            .trim_start_matches("/**")
            .trim_end_matches("*/")
            .trim_start_matches('*')
            .trim();
        if t.starts_with('@') {
            break;
        }
        if !t.is_empty() {
            words.push(t.to_string());
        }
    }
    words.join(" ")
}

/// The GitHub-style anchor of a heading that is one identifier.
fn anchor(name: &str) -> String {
    name.to_ascii_lowercase().replace('.', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_keep_their_doc_summary_and_whole_block() {
        let dts = "// a file comment\n\n/** Makes things.\n * @param x what */\ndeclare function make(x: number): void;\n\n/** The os. */\ndeclare namespace os {\n  /** Env. */\n  const env: {};\n}\ndeclare function os(): void;\ntype Size = number | string;\n";
        let d = declarations(dts);
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["make", "os", "Size"]);
        assert_eq!(d[0].summary, "Makes things.");
        assert_eq!(
            d[1].code,
            "declare namespace os {\n  /** Env. */\n  const env: {};\n}\ndeclare function os(): void;"
        );
        assert_eq!(d[2].summary, "");
    }
}
