//! Cross-module pipelines: `use` (a plugin chain with up and down layouts and turn-down) and
//! `chain` ([C]); see docs/reference/filters.md. Stages share the context.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::callback::fail;
use super::mailbox::Mailbox;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{
    ChainRest, Context, Filter, FilterProto, FnProto, Output, Pipeline, PipelineLayout,
};
use crate::script::{self, JsValue};

static USE: FilterDescriptor = FilterDescriptor {
    name: "use",
    kind: FilterKind::Use,
    signature: "(modules, pipeline[, pipelineDown[, turnDown]])",
    help: "Sends events through pipelines of other modules, in order",
    params: &[
        ("modules", "a module file, or an array of them"),
        (
            "pipeline",
            "name of the layout to use in each module, going up",
        ),
        (
            "pipelineDown",
            "name of the layout each module's output goes through on its way back",
        ),
        (
            "turnDown",
            "function() checked when a module is reached; true skips the rest",
        ),
    ],
    build: build_use,
};

static CHAIN: FilterDescriptor = FilterDescriptor {
    name: "chain",
    kind: FilterKind::Chain,
    signature: "([modules])",
    help: "Starts a chain of module entrances, or continues with the next one",
    params: &[(
        "modules",
        "array of module files; without it, continue with the next module of the chain",
    )],
    build: build_chain,
};

/// `use` and `chain`.
pub static FILTERS: &[&FilterDescriptor] = &[&USE, &CHAIN];

struct Stage {
    up: Option<Rc<PipelineLayout>>,
    down: Option<Rc<PipelineLayout>>,
}

fn build_use(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let up = b.string(1);
    let down = b.string(2);
    let turn_down = b.function(3);
    let first = b.modules.first().copied().ok_or("expects a module")?;
    let mut label = format!("use {}", b.resolver.module_path(first));
    if b.modules.len() > 1 {
        label.push_str(&format!(" (plus {} more)", b.modules.len() - 1));
    }
    let mut stages = Vec::new();
    for &m in &b.modules {
        let (u, d) = match &up {
            Some(name) => (
                b.resolver.named(m, name),
                down.as_ref().and_then(|n| b.resolver.named(m, n)),
            ),
            None => (b.resolver.entrance(m), None),
        };
        if u.is_none() && d.is_none() {
            if b.modules.len() == 1 {
                return Err(match &up {
                    Some(n) => format!("pipeline not found: {n} in {}", b.resolver.module_path(m)),
                    None => format!("no entrance pipeline in {}", b.resolver.module_path(m)),
                });
            }
            continue;
        }
        stages.push(Stage { up: u, down: d });
    }
    label.push_str(&format!(" [{}]", up.as_deref().unwrap_or("")));
    let stages: Rc<[Stage]> = stages.into();
    let has_down = down.is_some();
    let proto = FnProto::new(b.descriptor, move |init| {
        let n = stages.len();
        let core = Rc::new_cyclic(|weak| UseCore {
            me: weak.clone(),
            stages: stages.clone(),
            has_down,
            turn_down: turn_down.clone(),
            context: init.context,
            output: init.output,
            state: RefCell::new((0..n).map(|_| StageState::default()).collect()),
            mailbox: Mailbox::new(),
            ended: Cell::new(false),
        });
        Box::new(Use(core))
    });
    Ok(Box::new(proto.with_label(label)))
}

#[derive(Default)]
struct StageState {
    decided: bool,
    turned_down: bool,
    up: Option<Rc<Pipeline>>,
    down: Option<Rc<Pipeline>>,
}

/// Where an event goes next inside `use`.
#[derive(Clone, Copy)]
enum Dest {
    /// The up input of stage i (i == n: the last stage's down input).
    Up(usize),
    /// The down input of stage i (-1: the filter's output).
    Down(isize),
}

struct UseCore {
    me: Weak<UseCore>,
    stages: Rc<[Stage]>,
    has_down: bool,
    turn_down: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    state: RefCell<Vec<StageState>>,
    mailbox: Mailbox<(Dest, Event)>,
    ended: Cell<bool>,
}

struct Use(Rc<UseCore>);

impl Filter for Use {
    fn process(&mut self, evt: Event) {
        self.0.route(Dest::Up(0), evt);
    }
}

impl UseCore {
    fn route(&self, dest: Dest, evt: Event) {
        self.mailbox.run((dest, evt), |(d, e)| self.step(d, e));
    }

    fn sub_output(&self, dest: Dest) -> Output {
        let me = self.me.clone();
        Output::from_fn(move |e| {
            if let Some(core) = me.upgrade() {
                core.route(dest, e);
            }
        })
    }

    fn step(&self, dest: Dest, evt: Event) {
        if self.ended.get() {
            return;
        }
        let n = self.stages.len();
        match dest {
            Dest::Up(i) if i >= n => self.step(Dest::Down(n as isize - 1), evt),
            Dest::Up(i) => {
                let decided = self.state.borrow()[i].decided;
                if !decided {
                    let turned = match &self.turn_down {
                        None => false,
                        Some(f) => match script::call_in(&self.context, |ctx| {
                            let v = match f.get(ctx).as_function() {
                                Some(func) => func.call::<_, rquickjs::Value>(())?,
                                None => rquickjs::Value::new_undefined(ctx.clone()),
                            };
                            Ok(crate::script::truthy(&v))
                        }) {
                            Ok(t) => t,
                            Err(e) => {
                                self.ended.set(true);
                                fail(&self.output, "use", &e);
                                return;
                            }
                        },
                    };
                    let up = if !turned {
                        self.stages[i].up.as_ref().map(|l| {
                            Pipeline::new(l, self.context.clone(), self.sub_output(Dest::Up(i + 1)))
                        })
                    } else {
                        None
                    };
                    let mut st = self.state.borrow_mut();
                    st[i].decided = true;
                    st[i].turned_down = turned;
                    st[i].up = up;
                }
                let (turned, up) = {
                    let st = self.state.borrow();
                    (st[i].turned_down, st[i].up.clone())
                };
                if turned {
                    self.step(Dest::Down(i as isize - 1), evt);
                } else if let Some(p) = up {
                    p.input(evt);
                } else {
                    self.step(Dest::Up(i + 1), evt);
                }
            }
            Dest::Down(i) if i < 0 || !self.has_down => self.output.emit(evt),
            Dest::Down(i) => {
                let i = i as usize;
                let existing = self.state.borrow()[i].down.clone();
                let down = match existing {
                    Some(p) => Some(p),
                    None => match &self.stages[i].down {
                        Some(l) => {
                            let p = Pipeline::new(
                                l,
                                self.context.clone(),
                                self.sub_output(Dest::Down(i as isize - 1)),
                            );
                            self.state.borrow_mut()[i].down = Some(p.clone());
                            Some(p)
                        }
                        None => None,
                    },
                };
                match down {
                    Some(p) => p.input(evt),
                    None => self.step(Dest::Down(i as isize - 1), evt),
                }
            }
        }
    }
}

// ---- chain ------------------------------------------------------------------------------

fn build_chain(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let mut layouts = Vec::new();
    for &m in &b.modules {
        let l = b
            .resolver
            .entrance(m)
            .ok_or_else(|| format!("no entrance pipeline in {}", b.resolver.module_path(m)))?;
        layouts.push(l);
    }
    let label = match b.modules.first() {
        Some(&m) => format!("chain [{}]", b.resolver.module_path(m)),
        None => "chain".to_string(),
    };
    // Entrances of the chain's modules; empty for `chain()` (continue).
    let layouts: Rc<[Rc<PipelineLayout>]> = layouts.into();
    let subs = layouts
        .first()
        .map(|l| vec![Some(l.clone())])
        .unwrap_or_default();
    let proto = FnProto::new(b.descriptor, move |init| {
        let rest = if layouts.is_empty() {
            init.chain.clone()
        } else {
            Some(ChainRest {
                layouts: layouts.clone(),
                next: 0,
            })
        };
        let sub = match rest {
            Some(r) if r.next < r.layouts.len() => {
                let layout = r.layouts[r.next].clone();
                let next = ChainRest {
                    layouts: r.layouts.clone(),
                    next: r.next + 1,
                };
                Some(Pipeline::with_chain(
                    &layout,
                    init.context.clone(),
                    init.output.clone(),
                    Some(next),
                ))
            }
            _ => None,
        };
        Box::new(Chain {
            sub,
            output: init.output,
        })
    });
    Ok(Box::new(proto.with_subs(subs).with_label(label)))
}

struct Chain {
    sub: Option<Rc<Pipeline>>,
    output: Output,
}

impl Filter for Chain {
    fn process(&mut self, evt: Event) {
        match &self.sub {
            Some(p) => p.clone().input(evt),
            None => self.output.emit(evt),
        }
    }
}
