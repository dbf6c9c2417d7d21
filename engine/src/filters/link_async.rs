//! `linkAsync`: like `link`, but input reaches the sub-pipeline on a later turn of the event
//! loop, so the filter's caller never waits for the sub-pipeline's work.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::callback::fail;
use super::deferred_input::DeferredInput;
use super::{Builder, FilterDescriptor, FilterKind, Sub};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterProto, FnProto, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

/// `linkAsync`.
pub static LINK_ASYNC: FilterDescriptor = FilterDescriptor {
    name: "linkAsync",
    kind: FilterKind::Link,
    signature: "([target])",
    help: "Sends events to a sub-pipeline on a later turn of the event loop; its output is the filter's",
    params: &[(
        "target",
        "name of a sub-pipeline, a builder $=>$..., a pipeline($=>$...) object, or a function() \
         returning a name (asked until it gives one); none when .to(name or $=>$...) follows",
    )],
    build,
};

enum Target {
    Fixed(Rc<PipelineLayout>),
    Named(JsValue, Rc<HashMap<String, Rc<PipelineLayout>>>),
}

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let target = if let Some(sub) = b.sub.take() {
        // linkAsync().to(...)
        match sub {
            Sub::Layout(l) => Target::Fixed(l),
            Sub::Bypass => return Err("needs a sub-pipeline, not ''".into()),
        }
    } else if b.dynamic {
        let f = b.function(0).ok_or("expects a function returning a name")?;
        let names = b.resolver.all_named(b.module).into_iter().collect();
        Target::Named(f, Rc::new(names))
    } else {
        if b.args.len() != 1 {
            return Err("expects one target: a name, a pipeline or a function".into());
        }
        match b.sub_of(&b.args[0].clone())? {
            Sub::Layout(l) => Target::Fixed(l),
            Sub::Bypass => return Err("needs a sub-pipeline, not ''".into()),
        }
    };
    let subs = match &target {
        Target::Fixed(l) => vec![Some(l.clone())],
        Target::Named(..) => Vec::new(),
    };
    let target = Rc::new(target);
    Ok(Box::new(
        FnProto::new(&LINK_ASYNC, move |init| {
            Box::new(LinkAsync {
                target: target.clone(),
                context: init.context,
                output: init.output,
                sub: None,
                queue: DeferredInput::shared(),
                ended: false,
            })
        })
        .with_subs(subs),
    ))
}

struct LinkAsync {
    target: Rc<Target>,
    context: Rc<Context>,
    output: Output,
    /// The chosen sub-pipeline.
    sub: Option<Rc<Pipeline>>,
    /// Input on its way to it.
    queue: Rc<RefCell<DeferredInput>>,
    ended: bool,
}

impl LinkAsync {
    /// The layout to link to; `None` while the function gives nothing.
    fn choose(&self) -> Result<Option<Rc<PipelineLayout>>, ScriptError> {
        match &*self.target {
            Target::Fixed(l) => Ok(Some(l.clone())),
            Target::Named(f, names) => {
                let name = script::call_in(&self.context, |ctx| {
                    let v: rquickjs::Value = match f.get(ctx).as_function() {
                        Some(f) => f.call(())?,
                        None => rquickjs::Value::new_undefined(ctx.clone()),
                    };
                    if v.is_undefined() || v.is_null() {
                        return Ok(None);
                    }
                    match v.as_string() {
                        Some(s) => Ok(Some(s.to_string()?)),
                        None => Err(rquickjs::Exception::throw_type(
                            ctx,
                            "the callback did not return a string",
                        )),
                    }
                })?;
                match name {
                    None => Ok(None),
                    Some(n) => names.get(&n).cloned().map(Some).ok_or_else(|| {
                        ScriptError::plain(format!("unknown pipeline layout name: {n}"))
                    }),
                }
            }
        }
    }
}

impl Filter for LinkAsync {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        if self.sub.is_none() {
            match self.choose() {
                Ok(Some(l)) => {
                    let p = Pipeline::new(&l, self.context.clone(), self.output.clone());
                    p.start(|_| Vec::new());
                    self.queue.borrow_mut().feed_into(&p);
                    self.sub = Some(p);
                }
                Ok(None) => {}
                Err(e) => {
                    self.ended = true;
                    self.queue.borrow_mut().clear();
                    return fail(&self.output, "linkAsync", &e);
                }
            }
        }
        DeferredInput::push(&self.queue, evt);
    }
}
