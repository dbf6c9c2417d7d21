//! Choosing a pipeline per stream at run time: `pipe` and `pipeNext`.
//!
//! `pipe(target, map?, initArgs?)` sends the stream through a pipeline chosen on its first
//! event: a `pipeline($=>$...)` object, a name (looked up in `map`, then among the module's
//! named pipelines), an array of them (a chain: each one's `pipeNext()` continues with the
//! next), or a function of the first event returning one of those. A function returning
//! `null`/`undefined` holds the event and is asked again on the next one. `pipeNext(args?)`
//! continues the chain the pipeline it is in belongs to, or passes events on at its end.
//! Both share the context; `initArgs` (an array, or a function of the first event) are what
//! the chosen pipeline's `onStart` is called with.

use std::collections::HashMap;
use std::rc::Rc;

use rquickjs::{Ctx, Value};

use super::callback::fail;
use super::route::Route;
use super::{Builder, FilterDescriptor, FilterKind, Sub};
use crate::event::Event;
use crate::pipeline::{
    ChainRest, Context, Filter, FilterProto, FnProto, Output, Pipeline, PipelineLayout,
};
use crate::script::{self, JsValue, ScriptError};

static PIPE: FilterDescriptor = FilterDescriptor {
    name: "pipe",
    kind: FilterKind::Pipe,
    signature: "(target[, map][, initArgs])",
    help: "Sends the stream through a pipeline chosen at run time, by object, by name, or as a chain",
    params: &[
        (
            "target",
            "a pipeline($=>$...) object, a name, an array of them (a chain), or a function(firstEvent) returning one",
        ),
        (
            "map",
            "object of name: pipeline (or builder $=>$...) to look names up in",
        ),
        (
            "initArgs",
            "array of arguments for the pipeline's onStart, or a function(firstEvent) returning them",
        ),
    ],
    build: build_pipe,
};

static PIPE_NEXT: FilterDescriptor = FilterDescriptor {
    name: "pipeNext",
    kind: FilterKind::Plain,
    signature: "([args])",
    help: "Continues with the next pipeline of the chain given to pipe(); passes events on at its end",
    params: &[(
        "args",
        "arguments for the next pipeline's onStart (an array or a value), or a function returning them",
    )],
    build: |b| {
        let args = b.saved(0);
        b.prototype(move |init| {
            Box::new(PipeNext {
                args: args.clone(),
                context: init.context,
                output: init.output,
                chain: init.chain,
                next: None,
                started: false,
                failed: false,
            })
        })
    },
};

/// `pipe` and `pipeNext`.
pub static FILTERS: &[&FilterDescriptor] = &[&PIPE, &PIPE_NEXT];

/// Where `pipe` looks names and pipeline objects up.
struct Table {
    map: HashMap<String, Rc<PipelineLayout>>,
    named: HashMap<String, Rc<PipelineLayout>>,
    /// Every layout by id, for `pipeline($=>$...)` objects.
    all: Vec<Rc<PipelineLayout>>,
}

/// What a target value stands for.
enum Target {
    One(Rc<PipelineLayout>),
    Chain(Rc<[Rc<PipelineLayout>]>),
}

impl Table {
    fn one(&self, v: &Value<'_>) -> Result<Rc<PipelineLayout>, String> {
        if let Some(s) = v.as_string() {
            let name = s.to_string().unwrap_or_default();
            return self
                .map
                .get(&name)
                .or_else(|| self.named.get(&name))
                .cloned()
                .ok_or_else(|| format!("pipeline '{name}' not found"));
        }
        if let Some(o) = v.as_object() {
            if let Ok(id) = o.get::<_, usize>("__layout") {
                return self
                    .all
                    .get(id)
                    .cloned()
                    .ok_or_else(|| "the pipeline was made after start-up".into());
            }
        }
        Err("not a pipeline: expected a pipeline($=>$...) object or a name".into())
    }

    /// `None` for `null`/`undefined`.
    fn target(&self, v: &Value<'_>) -> Result<Option<Target>, String> {
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        if let Some(a) = v.as_array() {
            let mut chain = Vec::new();
            for (i, x) in a.iter::<Value>().enumerate() {
                let x = x.map_err(|e| e.to_string())?;
                chain.push(self.one(&x).map_err(|e| format!("at index {i}: {e}"))?);
            }
            if chain.is_empty() {
                return Err("the pipeline array is empty".into());
            }
            return Ok(Some(Target::Chain(chain.into())));
        }
        self.one(v).map(|l| Some(Target::One(l)))
    }
}

enum Choice {
    Fixed(Rc<[Rc<PipelineLayout>]>, bool),
    Selector(JsValue),
}

fn build_pipe(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let target = b
        .arg(0)
        .ok_or("expects a target: a pipeline, a name, an array or a function")?;
    let (map_arg, init_at) = match b.arg(1) {
        Some(v) if v.is_array() || v.is_function() => (None, 1),
        Some(v) if v.is_object() => (Some(v), 2),
        Some(_) => {
            return Err("the second argument must be a map object, an array or a function".into())
        }
        None => (None, 2),
    };
    let init_args = match b.arg(init_at) {
        None => None,
        Some(v) if v.is_array() || v.is_function() => Some(JsValue::save(b.ctx, v)),
        Some(_) => return Err("initArgs must be an array or a function".into()),
    };
    let mut map = HashMap::new();
    if let Some(m) = map_arg.as_ref().and_then(|v| v.as_object()) {
        for k in m.keys::<String>() {
            let k = k.map_err(|e| e.to_string())?;
            let v: Value = m.get(&k).map_err(|e| e.to_string())?;
            match b.sub_of(&v) {
                Ok(Sub::Layout(l)) => {
                    map.insert(k, l);
                }
                _ => return Err(format!("map entry '{k}' is not a pipeline")),
            }
        }
    }
    let mut all = Vec::new();
    while let Some(l) = b.resolver.by_id(all.len()) {
        all.push(l);
    }
    let table = Rc::new(Table {
        map,
        named: b.resolver.all_named(b.module).into_iter().collect(),
        all,
    });
    let choice = if target.is_function() {
        Choice::Selector(JsValue::save(b.ctx, target))
    } else {
        match table.target(&target)? {
            Some(Target::One(l)) => Choice::Fixed(vec![l].into(), false),
            Some(Target::Chain(c)) => Choice::Fixed(c, true),
            None => return Err("expects a target".into()),
        }
    };
    let mut subs: Vec<_> = match &choice {
        Choice::Fixed(c, _) => c.iter().map(|l| Some(l.clone())).collect(),
        Choice::Selector(_) => Vec::new(),
    };
    subs.extend(table.map.values().map(|l| Some(l.clone())));
    let choice = Rc::new(choice);
    Ok(Box::new(
        FnProto::new(b.descriptor, move |init| {
            Box::new(Pipe {
                route: Route::new("pipe", init.output.clone()),
                starter: Starter {
                    table: table.clone(),
                    choice: choice.clone(),
                    init_args: init_args.clone(),
                    context: init.context,
                    output: init.output,
                    chain: init.chain,
                },
            })
        })
        .with_subs(subs),
    ))
}

struct Pipe {
    route: Route<Rc<Pipeline>>,
    starter: Starter,
}

/// What a `pipe` needs to choose and start its pipeline.
struct Starter {
    table: Rc<Table>,
    choice: Rc<Choice>,
    init_args: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    chain: Option<ChainRest>,
}

/// Start arguments from a value: an array is spread, anything else is the one argument.
fn spread<'js>(ctx: &Ctx<'js>, v: Option<&JsValue>) -> Vec<Value<'js>> {
    let Some(v) = v else {
        return Vec::new();
    };
    let v = v.get(ctx);
    match v.as_array() {
        Some(a) => a.iter::<Value>().filter_map(Result::ok).collect(),
        None if v.is_undefined() => Vec::new(),
        None => vec![v],
    }
}

impl Starter {
    /// Chooses and starts the pipeline; `Ok(None)` when the selector gave nothing yet.
    fn start(&self, first: &Event) -> Result<Option<Rc<Pipeline>>, ScriptError> {
        let (layouts, is_chain) = match &*self.choice {
            Choice::Fixed(c, is_chain) => (c.clone(), *is_chain),
            Choice::Selector(f) => {
                let table = self.table.clone();
                let r = script::call_in(&self.context, |ctx| {
                    let arg = script::to_js_event(ctx, first)?;
                    let v: Value = match f.get(ctx).as_function() {
                        Some(f) => f.call((arg,))?,
                        None => Value::new_undefined(ctx.clone()),
                    };
                    table
                        .target(&v)
                        .map_err(|m| rquickjs::Exception::throw_type(ctx, &m))
                })?;
                match r {
                    None => return Ok(None),
                    Some(Target::One(l)) => (vec![l].into(), false),
                    Some(Target::Chain(c)) => (c, true),
                }
            }
        };
        let args = match &self.init_args {
            None => None,
            Some(a) => Some(script::call_in(&self.context, |ctx| {
                let v = a.get(ctx);
                let v = match v.as_function() {
                    Some(f) => f.call((script::to_js_event(ctx, first)?,))?,
                    None => v,
                };
                Ok(JsValue::save(ctx, v))
            })?),
        };
        // A chain of its own, or (one pipeline) the chain of the pipeline pipe() is in.
        let chain = if is_chain {
            Some(ChainRest {
                layouts: layouts.clone(),
                next: 1,
            })
        } else {
            self.chain.clone()
        };
        let p = Pipeline::with_chain(
            &layouts[0],
            self.context.clone(),
            self.output.clone(),
            chain,
        );
        p.start(move |ctx| spread(ctx, args.as_ref()));
        Ok(Some(p))
    }
}

impl Filter for Pipe {
    fn process(&mut self, evt: Event) {
        let starter = &self.starter;
        self.route
            .take(evt, |first| starter.start(first), |p, e| p.input(e));
    }
}

struct PipeNext {
    args: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    chain: Option<ChainRest>,
    next: Option<Rc<Pipeline>>,
    started: bool,
    failed: bool,
}

impl PipeNext {
    fn start(&mut self) -> Result<(), ScriptError> {
        let Some(rest) = self.chain.clone() else {
            return Ok(());
        };
        let Some(layout) = rest.layouts.get(rest.next).cloned() else {
            return Ok(());
        };
        let args = match &self.args {
            None => None,
            Some(a) => Some(script::call_in(&self.context, |ctx| {
                let v = a.get(ctx);
                let v = match v.as_function() {
                    Some(f) => f.call(())?,
                    None => v,
                };
                Ok(JsValue::save(ctx, v))
            })?),
        };
        let next = ChainRest {
            layouts: rest.layouts.clone(),
            next: rest.next + 1,
        };
        let p = Pipeline::with_chain(
            &layout,
            self.context.clone(),
            self.output.clone(),
            Some(next),
        );
        p.start(move |ctx| spread(ctx, args.as_ref()));
        self.next = Some(p);
        Ok(())
    }
}

impl Filter for PipeNext {
    fn process(&mut self, evt: Event) {
        if self.failed {
            return;
        }
        if !self.started {
            self.started = true;
            if let Err(e) = self.start() {
                self.failed = true;
                return fail(&self.output, "pipeNext", &e);
            }
        }
        match &self.next {
            Some(p) => p.clone().input(evt),
            None => self.output.emit(evt),
        }
    }
}
