//! TypeScript declarations of the script API for the IDE's editor. The filter methods are
//! generated from the filter registry, the same one `--help-filters` prints.

use crate::filters;

/// The declarations, as one `.d.ts` text.
pub fn typings() -> String {
    let mut methods = String::new();
    for d in filters::registry() {
        methods.push_str("  /**\n   * ");
        methods.push_str(d.help);
        methods.push('\n');
        for (p, h) in d.params {
            methods.push_str(&format!("   * @param {p} {h}\n"));
        }
        methods.push_str("   */\n");
        let params: Vec<String> = d
            .params
            .iter()
            .map(|(p, _)| format!("{}?: any", ident(p)))
            .collect();
        methods.push_str(&format!(
            "  {}({}): Configuration;\n",
            d.name,
            params.join(", ")
        ));
    }
    include_str!("typings.d.ts").replace("/*FILTERS*/\n", &methods)
}

fn ident(p: &str) -> String {
    p.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_registered_filter_is_declared() {
        let t = super::typings();
        for d in crate::filters::registry() {
            assert!(t.contains(&format!("  {}(", d.name)), "{} missing", d.name);
        }
        assert!(!t.contains("/*FILTERS*/"));
    }
}
