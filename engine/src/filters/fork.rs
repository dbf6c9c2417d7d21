//! `fork`: copies every input event into sub-pipelines and passes the original on.

use std::rc::Rc;

use super::callback::fail;
use super::{Builder, FilterDescriptor, FilterKind, Sub};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

static FORK: FilterDescriptor = FilterDescriptor {
    name: "fork",
    kind: FilterKind::Joint,
    signature: "(target[, initializers])",
    help: "Copies the stream into sub-pipelines; their output is discarded",
    params: &[
        ("target", "sub-pipeline name (or use .to(...))"),
        (
            "initializers",
            "array of objects (one cloned sub-pipeline each, its properties assigned to context variables), one object, or a function returning either",
        ),
    ],
    build,
};

/// `fork`.
pub static FILTERS: &[&FilterDescriptor] = &[&FORK];

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = match b.required_sub()? {
        Sub::Layout(l) => l,
        Sub::Bypass => return Err("fork needs a sub-pipeline".into()),
    };
    Ok(Box::new(ForkProto {
        layout,
        init: b.saved(0),
        module: b.module,
    }))
}

struct ForkProto {
    layout: Rc<PipelineLayout>,
    init: Option<JsValue>,
    module: usize,
}

impl FilterProto for ForkProto {
    fn descriptor(&self) -> &'static FilterDescriptor {
        &FORK
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Fork {
            layout: self.layout.clone(),
            init: self.init.clone(),
            module: self.module,
            context: init.context,
            output: init.output,
            branches: None,
        })
    }
    fn subs(&self) -> Vec<Option<Rc<PipelineLayout>>> {
        vec![Some(self.layout.clone())]
    }
}

struct Fork {
    layout: Rc<PipelineLayout>,
    init: Option<JsValue>,
    module: usize,
    context: Rc<Context>,
    output: Output,
    branches: Option<Vec<Rc<Pipeline>>>,
}

impl Fork {
    fn start(&mut self) -> Result<Vec<Rc<Pipeline>>, ScriptError> {
        let Some(init) = self.init.clone() else {
            return Ok(vec![Pipeline::new(
                &self.layout,
                self.context.clone(),
                Output::Discard,
            )]);
        };
        // Evaluate the initializers, then make one cloned context per object.
        let (count, is_array) = script::call_in(&self.context, |ctx| {
            let mut v = init.get(ctx);
            if let Some(f) = v.as_function() {
                v = f.call(())?;
            }
            let s = script::helpers(ctx);
            s.set("_forkInit", v.clone())?;
            Ok(match v.as_array() {
                Some(a) => (a.len(), true),
                None => (
                    if v.is_undefined() || v.is_null() {
                        0
                    } else {
                        1
                    },
                    false,
                ),
            })
        })?;
        if !is_array && count == 0 {
            return Ok(vec![Pipeline::new(
                &self.layout,
                self.context.clone(),
                Output::Discard,
            )]);
        }
        let module = self.module;
        let mut out = Vec::new();
        for i in 0..count {
            let ctx_clone = self.context.fork();
            script::call_in(&ctx_clone, |ctx| {
                let s = script::helpers(ctx);
                let all: rquickjs::Value = s.get("_forkInit")?;
                let item: rquickjs::Value = match all.as_array() {
                    Some(a) => a.get(i)?,
                    None => all.clone(),
                };
                if let Some(o) = item.as_object() {
                    let f: rquickjs::Function = s.get("scopeOf")?;
                    let scope: rquickjs::Object = f.call((module,))?;
                    for k in o.keys::<String>() {
                        let k = k?;
                        let v: rquickjs::Value = o.get(&k)?;
                        scope.set(&k, v)?;
                    }
                }
                Ok(())
            })?;
            out.push(Pipeline::new(&self.layout, ctx_clone, Output::Discard));
        }
        Ok(out)
    }
}

impl Filter for Fork {
    fn process(&mut self, evt: Event) {
        if self.branches.is_none() {
            match self.start() {
                Ok(b) => self.branches = Some(b),
                Err(e) => {
                    self.branches = Some(Vec::new());
                    fail(&self.output, "fork", &e);
                    return;
                }
            }
        }
        if let Some(branches) = &self.branches {
            for p in branches.clone() {
                p.input(evt.clone());
            }
        }
        self.output.emit(evt);
    }
}
