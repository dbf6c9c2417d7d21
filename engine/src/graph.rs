//! The ASCII pipeline graph logged at start-up, drawn as Pipy draws it. The IDE's graph view and
//! `--check` reuse it.

use std::rc::Rc;

use crate::pipeline::{LayoutKind, PipelineLayout};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Root,
    Pipeline,
    Filter,
    /// A joint whose sub-pipeline output becomes its output.
    Link,
    /// A joint whose sub-pipeline output is discarded (fork).
    Fork,
}

struct Node {
    kind: Kind,
    name: String,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// A drawing tree for one root layout.
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn add(&mut self, kind: Kind, name: String, parent: Option<usize>) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node {
            kind,
            name,
            parent,
            children: Vec::new(),
        });
        if let Some(p) = parent {
            self.nodes[p].children.push(id);
        }
        id
    }

    fn add_filters(&mut self, layout: &PipelineLayout, parent: usize, ancestry: &mut Vec<usize>) {
        for f in layout.filters() {
            let subs = f.subs();
            if subs.is_empty() {
                self.add(Kind::Filter, f.label(), Some(parent));
                continue;
            }
            let kind = if f.descriptor().name() == "fork" {
                Kind::Fork
            } else {
                Kind::Link
            };
            let joint = self.add(kind, f.label(), Some(parent));
            for sub in subs {
                match sub {
                    None => {
                        self.add(Kind::Pipeline, "[empty]".into(), Some(joint));
                    }
                    Some(l) => {
                        if ancestry.contains(&l.id) {
                            self.add(
                                Kind::Filter,
                                format!("recursive pipeline: {}", l.name),
                                Some(joint),
                            );
                            continue;
                        }
                        let p = self.add(Kind::Pipeline, l.name.clone(), Some(joint));
                        ancestry.push(l.id);
                        self.add_filters(&l, p, ancestry);
                        ancestry.pop();
                    }
                }
            }
        }
    }

    fn parent(&self, n: usize) -> usize {
        self.nodes[n].parent.expect("node has a parent")
    }

    fn is_last_child(&self, n: usize) -> bool {
        match self.nodes[n].parent {
            Some(p) => self.nodes[p].children.last() == Some(&n),
            None => true,
        }
    }

    fn indent(&self, n: usize) -> String {
        let mut s = String::new();
        let mut p = if self.nodes[n].kind == Kind::Pipeline {
            s.push_str("  |--> ");
            self.parent(self.parent(n))
        } else {
            self.parent(n)
        };
        while self.nodes[p].kind == Kind::Pipeline {
            let joint = self.parent(p);
            let pre = if self.is_last_child(p) && self.nodes[joint].kind != Kind::Fork {
                "       "
            } else {
                "  |    "
            };
            s.insert_str(0, pre);
            p = self.parent(joint);
        }
        s.insert_str(0, "    ");
        s
    }

    /// The LINK node whose output line this node's line continues to, if any.
    fn exit_owner(&self, pipe: usize) -> Option<usize> {
        let mut owner = self.parent(pipe);
        while self.nodes[owner].kind == Kind::Link {
            let parent = self.parent(owner);
            if self.nodes[parent].kind == Kind::Root || !self.is_last_child(owner) {
                break;
            }
            owner = self.parent(parent);
        }
        (self.nodes[owner].kind == Kind::Link).then_some(owner)
    }
}

struct Lines {
    text: Vec<String>,
    owner: Vec<Option<usize>>,
}

impl Lines {
    fn push(&mut self, s: String, owner: Option<usize>) {
        self.text.push(s);
        self.owner.push(owner);
    }
}

fn draw(t: &Tree, n: usize, out: &mut Lines) {
    let node = &t.nodes[n];
    match node.kind {
        Kind::Root => {
            out.push("----->|".into(), None);
            out.push("      |".into(), None);
            for &c in &node.children {
                draw(t, c, out);
            }
            let last_is_link = node
                .children
                .last()
                .map(|&c| t.nodes[c].kind == Kind::Link)
                .unwrap_or(false);
            if !last_is_link {
                out.push("      |".into(), None);
                out.push("<-----|".into(), None);
            }
        }
        Kind::Pipeline => {
            let owner = if node.children.is_empty() {
                t.exit_owner(n)
            } else {
                None
            };
            out.push(format!("{}[{}]", t.indent(n), node.name), owner);
            for &c in &node.children {
                draw(t, c, out);
            }
        }
        Kind::Filter => {
            let parent = t.parent(n);
            let owner = if t.nodes[parent].kind == Kind::Pipeline && t.is_last_child(n) {
                t.exit_owner(parent)
            } else {
                None
            };
            out.push(format!("{} {}", t.indent(n), node.name), owner);
        }
        Kind::Link | Kind::Fork => {
            let indent = t.indent(n);
            out.push(format!("{indent} {}", node.name), None);
            for &c in &node.children {
                out.push(format!("{indent}  |"), None);
                draw(t, c, out);
            }
            if node.kind == Kind::Fork {
                out.push(format!("{indent}  |"), None);
                return;
            }
            let parent = t.parent(n);
            let direct = t.nodes[parent].kind == Kind::Root;
            if !direct && t.is_last_child(n) {
                return;
            }
            let Some(first) = out.owner.iter().position(|o| *o == Some(n)) else {
                return;
            };
            let w = out.text[first..].iter().map(|l| l.len()).max().unwrap_or(0);
            for i in first..out.text.len() {
                let len = out.text[i].len();
                if out.owner[i] == Some(n) {
                    out.text[i].push_str(&format!(" {}-->|", "-".repeat(w - len)));
                } else {
                    out.text[i].push_str(&format!("{}|", " ".repeat(w - len + 4)));
                }
            }
            let pad = w + 4 - indent.len();
            out.push(format!("{indent}{}|", " ".repeat(pad)), None);
            if direct && t.is_last_child(n) {
                out.push(format!("<{}|", "-".repeat(w + 3)), None);
            } else {
                out.push(format!("{indent}{}v", " ".repeat(pad)), None);
                out.push(
                    format!("{indent}  |<{}", "-".repeat(w + 1 - indent.len())),
                    None,
                );
                out.push(format!("{indent}  |"), None);
                out.push(format!("{indent}  v"), None);
            }
        }
    }
}

/// Draws one root layout: title line, drawing, blank line.
pub fn draw_root(layout: &PipelineLayout) -> Vec<String> {
    let mut t = Tree { nodes: Vec::new() };
    let root = t.add(Kind::Root, layout.title(), None);
    t.add_filters(layout, root, &mut vec![layout.id]);
    let mut lines = Lines {
        text: Vec::new(),
        owner: Vec::new(),
    };
    draw(&t, root, &mut lines);
    let mut v = vec![format!("[{}]", layout.title())];
    v.extend(lines.text);
    v.push(String::new());
    v
}

/// The roots of one module's graph in [A] order: listens and tasks by title, then named
/// layouts no filter of the module refers to, by name.
pub fn roots(module_layouts: &[Rc<PipelineLayout>]) -> Vec<Rc<PipelineLayout>> {
    let mut referenced = std::collections::HashSet::new();
    for l in module_layouts {
        for f in l.filters() {
            for s in f.subs().into_iter().flatten() {
                referenced.insert(s.id);
            }
        }
    }
    let mut starters: Vec<_> = module_layouts
        .iter()
        .filter(|l| {
            matches!(
                l.kind,
                LayoutKind::Listen { .. } | LayoutKind::Task { .. } | LayoutKind::Admin { .. }
            )
        })
        .cloned()
        .collect();
    starters.sort_by_key(|l| l.title());
    let mut named: Vec<_> = module_layouts
        .iter()
        .filter(|l| {
            matches!(l.kind, LayoutKind::Named | LayoutKind::Entrance)
                && !referenced.contains(&l.id)
        })
        .cloned()
        .collect();
    named.sort_by_key(|l| l.name.clone());
    starters.extend(named);
    starters
}

/// The whole graph of a module as log lines, headed as in the article.
pub fn module_graph(path: &str, module_layouts: &[Rc<PipelineLayout>]) -> Vec<String> {
    let head = format!("Module {path}");
    let mut v = vec![
        String::new(),
        head.clone(),
        "=".repeat(head.len()),
        String::new(),
    ];
    for r in roots(module_layouts) {
        for line in draw_root(&r) {
            v.push(format!(" {line}"));
        }
    }
    v
}

/// A program's layouts as JSON for the IDE: `{"roots": [...], "layouts": [...]}` (see
/// `admin/README.md`). `layouts` are all its layouts by id, `modules` the layouts each module
/// declared, `lines` the script line of each filter by layout id (the debugger's
/// `filter_lines`).
pub fn program_json(
    layouts: &[Rc<PipelineLayout>],
    modules: &[(Rc<str>, Vec<Rc<PipelineLayout>>)],
    lines: &[Vec<u32>],
) -> serde_json::Value {
    use serde_json::json;
    let kind = |l: &PipelineLayout| match &l.kind {
        LayoutKind::Listen { .. } => "listen",
        LayoutKind::Task { .. } => "task",
        LayoutKind::Admin { .. } => "admin",
        LayoutKind::Named => "pipeline",
        LayoutKind::Entrance => "entrance",
        LayoutKind::Anonymous => "anonymous",
    };
    let layouts: Vec<serde_json::Value> = layouts
        .iter()
        .map(|l| {
            let filters: Vec<serde_json::Value> = l
                .filters()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let subs: Vec<Option<usize>> =
                        f.subs().iter().map(|s| s.as_ref().map(|l| l.id)).collect();
                    let line = lines.get(l.id).and_then(|v| v.get(i)).copied();
                    json!({ "name": f.descriptor().name(), "label": f.label(), "subs": subs, "line": line })
                })
                .collect();
            json!({
                "id": l.id, "name": l.name, "label": l.title(), "kind": kind(l),
                "module": &*l.module, "line": l.line, "filters": filters,
            })
        })
        .collect();
    let mut roots = Vec::new();
    for (_, ls) in modules {
        for r in self::roots(ls) {
            roots.push(json!({ "title": r.title(), "layout": r.id }));
        }
    }
    json!({ "roots": roots, "layouts": layouts })
}
