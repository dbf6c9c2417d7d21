//! The `fork` family: copies every input event into sub-pipelines (branches).
//!
//! - `fork` passes the original events on and discards what the branches output.
//! - `forkJoin` holds the original events until every branch has ended, then passes them on.
//! - `forkRace` outputs what the first branch to output anything outputs, and nothing else.
//!
//! The branches are made on the first event from the initializer: an array makes one branch
//! per element, each in a copy of the context and started with `(element, index)`; anything
//! else makes one branch started with `(value)`, in the same context for `fork` and in a copy
//! for `forkJoin`/`forkRace`. The early API `fork('target', initializers)` also assigns the
//! properties of each initializer object to the module's context variables of the same names
//! in its branch (other properties are left alone rather than becoming module globals).

use std::cell::RefCell;
use std::rc::Rc;

use super::callback::fail;
use super::family::family_members;
use super::{Builder, Family, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterProto, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue, ScriptError};

const INIT_DOC: &str = "an array (one branch per element, each in a copy of the context, started with (element, index)), another value (one branch started with it), or a function returning either";

/// What `fork`, `forkJoin` and `forkRace` share.
const FORKS: Family = Family {
    kind: FilterKind::Joint,
    signature: "(target[, initializers])",
    params: &[
        ("target", "sub-pipeline name (or use .to(...))"),
        ("initializers", INIT_DOC),
    ],
};

family_members! {
    FORKS;
    /// `fork`, `forkJoin` and `forkRace`.
    FORK "fork": "Copies the stream into sub-pipelines and passes the original on; their output is discarded",
        |b| build(b, Mode::Fork);
    FORK_JOIN "forkJoin": "Copies the stream into sub-pipelines and passes the original on once all of them have ended",
        |b| build(b, Mode::Join);
    FORK_RACE "forkRace": "Copies the stream into sub-pipelines and outputs what the first one to answer outputs",
        |b| build(b, Mode::Race);
}

/// What becomes of the original events and of the branches' output.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Fork,
    Join,
    Race,
}

impl Mode {
    fn descriptor(self) -> &'static FilterDescriptor {
        match self {
            Mode::Fork => &FORK,
            Mode::Join => &FORK_JOIN,
            Mode::Race => &FORK_RACE,
        }
    }
}

fn build(b: &mut Builder<'_, '_>, mode: Mode) -> Result<Box<dyn FilterProto>, String> {
    let layout = b.required_layout()?;
    let init_value = b.saved(0);
    // The early form: initializer properties become context variables of the branch.
    let assign = b.named_sub && mode == Mode::Fork;
    let module = b.module;
    b.joint_prototype(layout, move |init, layout| {
        Box::new(Fork {
            mode,
            layout: layout.clone(),
            init: init_value.clone(),
            assign,
            module,
            context: init.context,
            branches: None,
            ended: false,
            join: Rc::new(RefCell::new(Join {
                output: init.output,
                total: 0,
                ended: 0,
                waiting: false,
                held: Vec::new(),
                winner: None,
            })),
        })
    })
}

/// What the branches' outputs share with the filter.
struct Join {
    output: Output,
    /// Branches made.
    total: usize,
    /// Branches that have output their StreamEnd (`forkJoin`).
    ended: usize,
    /// `forkJoin`: the original events are held.
    waiting: bool,
    held: Vec<Event>,
    /// `forkRace`: the branch whose output is the filter's.
    winner: Option<usize>,
}

struct Fork {
    mode: Mode,
    layout: Rc<PipelineLayout>,
    init: Option<JsValue>,
    assign: bool,
    module: usize,
    context: Rc<Context>,
    branches: Option<Vec<Rc<Pipeline>>>,
    ended: bool,
    join: Rc<RefCell<Join>>,
}

/// A branch output of `forkJoin`: counts StreamEnds and releases the held events after the
/// last one.
fn join_output(join: &Rc<RefCell<Join>>) -> Output {
    let join = join.clone();
    Output::from_fn(move |evt| {
        if !evt.is_stream_end() {
            return;
        }
        let (held, out) = {
            let mut j = join.borrow_mut();
            j.ended += 1;
            if !j.waiting || j.ended < j.total {
                return;
            }
            j.waiting = false;
            (std::mem::take(&mut j.held), j.output.clone())
        };
        out.emit_all(held);
    })
}

/// A branch output of `forkRace`: the first branch to output anything wins.
fn race_output(join: &Rc<RefCell<Join>>, index: usize) -> Output {
    let join = join.clone();
    Output::from_fn(move |evt| {
        let out = {
            let mut j = join.borrow_mut();
            if *j.winner.get_or_insert(index) != index {
                return;
            }
            j.output.clone()
        };
        out.emit(evt);
    })
}

impl Fork {
    fn branch_output(&self, index: usize) -> Output {
        match self.mode {
            Mode::Fork => Output::Discard,
            Mode::Join => join_output(&self.join),
            Mode::Race => race_output(&self.join, index),
        }
    }

    /// Evaluates the initializer and makes the branches.
    fn start(&mut self) -> Result<Vec<Rc<Pipeline>>, ScriptError> {
        let init = match &self.init {
            None => None,
            Some(init) => Some(script::call_in(&self.context, |ctx| {
                let mut v = init.get(ctx);
                if let Some(f) = v.as_function() {
                    v = f.call(())?;
                }
                Ok(JsValue::save(ctx, v))
            })?),
        };
        let count = match &init {
            Some(v) => script::js(|ctx| v.get(ctx).as_array().map(|a| a.len())),
            None => None,
        };
        let mut out = Vec::new();
        match (count, init) {
            (Some(n), Some(all)) => {
                for i in 0..n {
                    let context = self.context.fork();
                    let item = script::js(|ctx| {
                        let a = all.get(ctx);
                        let v: rquickjs::Value = a
                            .as_array()
                            .and_then(|a| a.get(i).ok())
                            .unwrap_or_else(|| rquickjs::Value::new_undefined(ctx.clone()));
                        JsValue::save(ctx, v)
                    });
                    if self.assign {
                        assign(&context, self.module, &item)?;
                    }
                    let p = Pipeline::new(&self.layout, context, self.branch_output(i));
                    p.start(move |ctx| {
                        vec![
                            item.get(ctx),
                            rquickjs::Value::new_number(ctx.clone(), i as f64),
                        ]
                    });
                    out.push(p);
                }
            }
            (_, init) => {
                let is_object = init
                    .as_ref()
                    .map(|v| script::js(|ctx| v.get(ctx).is_object()))
                    .unwrap_or(false);
                let context = if self.mode != Mode::Fork || (self.assign && is_object) {
                    self.context.fork()
                } else {
                    self.context.clone()
                };
                if let (true, Some(v)) = (self.assign, &init) {
                    assign(&context, self.module, v)?;
                }
                let p = Pipeline::new(&self.layout, context, self.branch_output(0));
                if let Some(v) = init {
                    p.start(move |ctx| vec![v.get(ctx)]);
                } else {
                    p.start(|_| Vec::new());
                }
                out.push(p);
            }
        }
        Ok(out)
    }
}

/// The early API: copies an initializer object's properties into the module's context
/// variables of the same names, in a branch's context.
fn assign(context: &Rc<Context>, module: usize, item: &JsValue) -> Result<(), ScriptError> {
    script::call_in(context, |ctx| {
        let v = item.get(ctx);
        if v.is_object() {
            script::call_helper::<_, rquickjs::Value>(ctx, "assignVars", (module, v))?;
        }
        Ok(())
    })
}

impl Filter for Fork {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        if self.branches.is_none() {
            {
                let mut j = self.join.borrow_mut();
                j.waiting = self.mode == Mode::Join;
                // Not known yet: a branch that ends while starting must not release the input.
                j.total = usize::MAX;
            }
            match self.start() {
                Ok(b) => {
                    let mut j = self.join.borrow_mut();
                    j.total = b.len();
                    // Nothing left to wait for: no branches, or all ended while starting.
                    let held = if j.waiting && j.ended >= j.total {
                        j.waiting = false;
                        std::mem::take(&mut j.held)
                    } else {
                        Vec::new()
                    };
                    let out = j.output.clone();
                    drop(j);
                    out.emit_all(held);
                    self.branches = Some(b);
                }
                Err(e) => {
                    self.ended = true;
                    let out = self.join.borrow().output.clone();
                    fail(&out, self.mode.descriptor().name, &e);
                    return;
                }
            }
        }
        if let Some(branches) = &self.branches {
            for p in branches.clone() {
                p.input(evt.clone());
            }
        }
        let out = {
            let mut j = self.join.borrow_mut();
            match self.mode {
                Mode::Race => return,
                Mode::Join if j.waiting => {
                    j.held.push(evt);
                    return;
                }
                _ => j.output.clone(),
            }
        };
        out.emit(evt);
    }
}
