//! Loads a codebase: evaluates the entry module (and every module it uses), binds exports
//! and imports, then builds pipeline layouts from what the configuration API recorded.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use rquickjs::{Array, Object, Value};

use crate::filters::{self, builder::Resolver, Builder, Sub};
use crate::pipeline::{LayoutKind, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

/// A loaded program: every layout, grouped by module.
pub struct Program {
    /// Every layout, indexed by id.
    pub layouts: Vec<Rc<PipelineLayout>>,
    /// Module paths with the layouts each declared, in load order.
    pub modules: Vec<(Rc<str>, Vec<Rc<PipelineLayout>>)>,
}

impl Program {
    /// Layouts that accept connections.
    pub fn listens(&self) -> impl Iterator<Item = &Rc<PipelineLayout>> {
        self.layouts
            .iter()
            .filter(|l| matches!(l.kind, LayoutKind::Listen { .. }))
    }

    /// `admin('/admin/...')` layouts.
    pub fn admins(&self) -> impl Iterator<Item = &Rc<PipelineLayout>> {
        self.layouts
            .iter()
            .filter(|l| matches!(l.kind, LayoutKind::Admin { .. }))
    }

    /// Timer and signal layouts.
    pub fn tasks(&self) -> impl Iterator<Item = &Rc<PipelineLayout>> {
        self.layouts
            .iter()
            .filter(|l| matches!(l.kind, LayoutKind::Task { .. }))
    }

    /// The start-up graph of every module, as log lines.
    pub fn graph_lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (path, layouts) in &self.modules {
            v.extend(crate::graph::module_graph(path, layouts));
        }
        v
    }
}

struct Table {
    layouts: Vec<Rc<PipelineLayout>>,
    named: HashMap<(usize, String), Rc<PipelineLayout>>,
    entrances: HashMap<usize, Rc<PipelineLayout>>,
    module_paths: Vec<Rc<str>>,
    module_of: Vec<usize>,
    /// How many `task()` layouts each module has declared so far.
    task_numbers: HashMap<usize, usize>,
}

impl Resolver for Table {
    fn by_id(&self, id: usize) -> Option<Rc<PipelineLayout>> {
        self.layouts.get(id).cloned()
    }
    fn named(&self, module: usize, name: &str) -> Option<Rc<PipelineLayout>> {
        self.named.get(&(module, name.to_string())).cloned()
    }
    fn entrance(&self, module: usize) -> Option<Rc<PipelineLayout>> {
        self.entrances.get(&module).cloned()
    }
    fn all_named(&self, module: usize) -> Vec<(String, Rc<PipelineLayout>)> {
        self.named
            .iter()
            .filter(|((m, _), _)| *m == module)
            .map(|((_, n), l)| (n.clone(), l.clone()))
            .collect()
    }
    fn module_path(&self, module: usize) -> Rc<str> {
        self.module_paths
            .get(module)
            .cloned()
            .unwrap_or_else(|| "".into())
    }
}

/// How long module code may run while loading before it is stopped.
pub fn load_time_limit() -> std::time::Duration {
    std::env::var("SLUICE_LOAD_TIMEOUT")
        .ok()
        .and_then(|v| crate::units::parse_duration(&v).ok())
        .unwrap_or(std::time::Duration::from_secs(10))
}

/// Loads the program whose entry module is `main` (a codebase path), then the `services`
/// entry modules beside it (their listeners join the program's).
pub fn load(main: &str, services: &[String]) -> Result<Program, String> {
    script::with_deadline(load_time_limit(), || load_now(main, services)).map_err(|e| {
        if e.contains("interrupted") {
            format!(
                "{e} (module code ran longer than {:?} while loading)",
                load_time_limit()
            )
        } else {
            e
        }
    })
}

/// Loads script text as the entry module of a throw-away codebase in `dir`, returning its
/// graph, then drops the script runtime. For fuzzing and tests (through
/// `fuzzing::check_source`, which passes the worker's natives); runs on the calling thread.
pub fn check_source(
    dir: &std::path::Path,
    src: &[u8],
    natives: script::EngineNatives,
) -> Result<Vec<String>, String> {
    let file = dir.join("main.js");
    std::fs::write(&file, src).map_err(|e| e.to_string())?;
    let codebase = Rc::new(crate::codebase::Codebase::open(&file)?);
    script::Script::install(codebase, natives).map_err(|e| e.to_string())?;
    let r = load("/main.js", &[]).map(|p| p.graph_lines());
    LOADED.with(|t| t.borrow_mut().take());
    script::uninstall();
    r
}

fn load_now(main: &str, services: &[String]) -> Result<Program, String> {
    script::js(|ctx| {
        let prefix = crate::script::module_prefix_len();
        let fix = |e: ScriptError| -> String {
            let file = e
                .location
                .as_deref()
                .and_then(|l| l.rsplitn(3, ':').nth(2))
                .unwrap_or("")
                .to_string();
            e.unshift_column(&file, prefix).to_string()
        };
        script::call_helper::<_, Value>(ctx, "module", (main,))
            .map_err(|e| fix(ScriptError::from_js(ctx, e)))?;
        for s in services {
            script::call_helper::<_, Value>(ctx, "module", (s.as_str(),))
                .map_err(|e| fix(ScriptError::from_js(ctx, e)))?;
        }
        script::call_helper::<_, Value>(ctx, "finalize", ())
            .map_err(|e| fix(ScriptError::from_js(ctx, e)))?;

        let s = script::helpers(ctx);
        let js_err = |e: rquickjs::Error| ScriptError::from_js(ctx, e).to_string();
        let modules: Array = s.get("modules").map_err(js_err)?;
        let mut module_paths = Vec::new();
        let mut templates = Vec::new();
        for (i, m) in modules.iter::<Object>().enumerate() {
            let m = m.map_err(js_err)?;
            let p: String = m.get("path").map_err(js_err)?;
            module_paths.push(Rc::<str>::from(p));
            if let Some(id) = m.get::<_, Option<usize>>("template").map_err(js_err)? {
                templates.push((i, id));
            }
        }
        let mut table = Table {
            layouts: Vec::new(),
            named: HashMap::new(),
            entrances: HashMap::new(),
            module_paths: module_paths.clone(),
            module_of: Vec::new(),
            task_numbers: HashMap::new(),
        };
        let filter_records = read_layouts(ctx, &mut table)?;

        // A module without a `.pipeline()` entrance whose value is a pipeline template
        // enters through that template (Pipy 1.5 would say it has no entrance).
        for (module, id) in templates {
            if let (false, Some(layout)) = (
                table.entrances.contains_key(&module),
                table.layouts.get(id).cloned(),
            ) {
                table.entrances.insert(module, layout);
            }
        }
        build_filters(ctx, &table, 0, filter_records)?;

        let mut modules: Vec<(Rc<str>, Vec<Rc<PipelineLayout>>)> = module_paths
            .iter()
            .map(|p| (p.clone(), Vec::new()))
            .collect();
        for (i, l) in table.layouts.iter().enumerate() {
            modules[table.module_of[i]].1.push(l.clone());
        }
        let layouts = table.layouts.clone();
        LOADED.with(|t| *t.borrow_mut() = Some(table));
        Ok(Program { layouts, modules })
    })
}

thread_local! {
    /// The layouts of the program this thread loaded last, for layouts made while it runs.
    static LOADED: std::cell::RefCell<Option<Table>> = const { std::cell::RefCell::new(None) };
}

/// Builds the layouts scripts declared since the program loaded (a `pipeline($=>$...)` or an
/// `http.Agent` made in a callback) and returns them; they join the program's layouts.
pub fn build_runtime_layouts(ctx: &rquickjs::Ctx<'_>) -> Result<Vec<Rc<PipelineLayout>>, String> {
    LOADED.with(|t| {
        let mut t = t.borrow_mut();
        let table = t.as_mut().ok_or("the program has not loaded")?;
        let first = table.layouts.len();
        let filter_records = read_layouts(ctx, table)?;
        build_filters(ctx, table, first, filter_records)?;
        Ok(table.layouts[first..].to_vec())
    })
}

/// Reads the layout records the configuration API made after those already in `table`,
/// adds their layouts and returns each one's filter records.
fn read_layouts<'js>(
    ctx: &rquickjs::Ctx<'js>,
    table: &mut Table,
) -> Result<Vec<Array<'js>>, String> {
    let s = script::helpers(ctx);
    let js_err = |e: rquickjs::Error| ScriptError::from_js(ctx, e).to_string();
    let records: Array = s.get("layouts").map_err(js_err)?;
    let mut filter_records = Vec::new();
    for r in records.iter::<Object>().skip(table.layouts.len()) {
        let r = r.map_err(js_err)?;
        let id: usize = r.get("id").map_err(js_err)?;
        let module: usize = r.get("module").map_err(js_err)?;
        let kind: String = r.get("kind").map_err(js_err)?;
        let name: String = r.get("name").map_err(js_err)?;
        let anonymous: bool = r
            .get::<_, Option<bool>>("anonymous")
            .map_err(js_err)?
            .unwrap_or(false);
        let line: u32 = r.get("line").map_err(js_err)?;
        let save = |k: &str| -> Result<Option<JsValue>, String> {
            let v: Value = r.get(k).map_err(js_err)?;
            Ok((!v.is_undefined() && !v.is_null()).then(|| JsValue::save(ctx, v)))
        };
        let layout_kind = match kind.as_str() {
            "listen" => LayoutKind::Listen {
                host: r.get("host").map_err(js_err)?,
                port: r.get("port").map_err(js_err)?,
            },
            "task" => {
                let n = table.task_numbers.entry(module).or_insert(0);
                *n += 1;
                LayoutKind::Task {
                    when: r.get("when").map_err(js_err)?,
                    number: *n,
                }
            }
            "admin" => LayoutKind::Admin {
                path: r.get("path").map_err(js_err)?,
            },
            "entrance" => LayoutKind::Entrance,
            _ if anonymous => LayoutKind::Anonymous,
            _ => LayoutKind::Named,
        };
        let label: String = r
            .get::<_, Option<String>>("label")
            .map_err(js_err)?
            .unwrap_or_else(|| name.clone());
        let layout = Rc::new(PipelineLayout {
            id,
            kind: layout_kind.clone(),
            name: if anonymous {
                String::new()
            } else {
                name.clone()
            },
            label,
            module: table.module_paths[module].clone(),
            line,
            on_start: save("onStart")?,
            on_end: save("onEnd")?,
            options: save("options")?,
            filters: OnceCell::new(),
        });
        match layout_kind {
            LayoutKind::Named => {
                table.named.insert((module, name), layout.clone());
            }
            LayoutKind::Entrance => {
                table.entrances.insert(module, layout.clone());
            }
            _ => {}
        }
        table.layouts.push(layout);
        table.module_of.push(module);
        let filters: Array = r.get("filters").map_err(js_err)?;
        filter_records.push(filters);
    }
    Ok(filter_records)
}

/// Builds the filters of the layouts from index `first` on, one record list each.
fn build_filters<'js>(
    ctx: &rquickjs::Ctx<'js>,
    table: &Table,
    first: usize,
    filter_records: Vec<Array<'js>>,
) -> Result<(), String> {
    let js_err = |e: rquickjs::Error| ScriptError::from_js(ctx, e).to_string();
    for (i, filters) in filter_records.into_iter().enumerate() {
        let i = first + i;
        let module = table.module_of[i];
        let mut protos = Vec::new();
        for f in filters.iter::<Object>() {
            let f = f.map_err(js_err)?;
            let name: String = f.get("name").map_err(js_err)?;
            let line: u32 = f.get("line").map_err(js_err)?;
            let column: u32 = f.get("column").map_err(js_err)?;
            let file = table.module_paths[module].clone();
            let at = |msg: String| format!("{file}:{line}:{column}: {name}(): {msg}");
            let desc = filters::find(&name).ok_or_else(|| at("unknown filter".into()))?;
            let args: Array = f.get("args").map_err(js_err)?;
            let args: Vec<Value> = args
                .iter()
                .collect::<rquickjs::Result<_>>()
                .map_err(js_err)?;
            let sub: Value = f.get("sub").map_err(js_err)?;
            let dynamic = f
                .get::<_, Option<bool>>("dynamic")
                .map_err(js_err)?
                .unwrap_or(false);
            let mods: Option<Array> = f.get("modules").map_err(js_err)?;
            let modules = match mods {
                Some(a) => a
                    .iter::<usize>()
                    .collect::<rquickjs::Result<_>>()
                    .map_err(js_err)?,
                None => Vec::new(),
            };
            let named_sub = f
                .get::<_, Option<bool>>("named")
                .map_err(js_err)?
                .unwrap_or(false);
            let mut b = Builder {
                descriptor: desc,
                named_sub,
                ctx,
                args,
                sub: None,
                modules,
                dynamic,
                module,
                resolver: table,
            };
            if !sub.is_undefined() && !sub.is_null() {
                let resolved: Sub = b.sub_of(&sub).map_err(at)?;
                b.sub = Some(resolved);
            }
            let proto = (desc.build)(&mut b).map_err(at)?;
            protos.push(proto);
        }
        let _ = table.layouts[i].filters.set(protos);
    }
    Ok(())
}
