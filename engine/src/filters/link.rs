//! Choosing a sub-pipeline: `link` ([A] target/condition pairs, [C] static or dynamic) and
//! the `branch` family ([C]). The chosen sub-pipeline shares the context; events that arrive
//! before the choice are held and replayed into it.

use std::collections::HashMap;
use std::rc::Rc;

use super::callback::MessageReader;
use super::route::Route;
use super::{Builder, FilterDescriptor, FilterKind, Sub};
use crate::event::{Event, MessageTail};
use crate::pipeline::{
    ChainRest, Context, Filter, FilterProto, FnProto, Output, Pipeline, PipelineLayout,
};
use crate::script::{self, JsValue, ScriptError};

static LINK: FilterDescriptor = FilterDescriptor {
    name: "link",
    kind: FilterKind::Link,
    signature: "(target[, when[, target2[, when2...]]])",
    help: "Sends events to the first sub-pipeline whose condition holds ('' = bypass)",
    params: &[
        (
            "target",
            "name of a sub-pipeline, '' to bypass, or (current API) a function returning a name",
        ),
        (
            "when",
            "function() deciding whether to use the target before it; missing means always",
        ),
    ],
    build: build_link,
};

/// Declares the `branch*` filters, a row each: `STATIC "name": "help line",` then
/// `condition "help on its conditions", Mode;`. They take the same arguments and differ in
/// when they ask the conditions.
macro_rules! branch_filters {
    ($($id:ident $name:literal: $help:literal, condition $condition:literal, $mode:expr;)+) => {
        $(
            static $id: FilterDescriptor = FilterDescriptor {
                name: $name,
                kind: FilterKind::Branch,
                signature: "(condition, layout[, condition2, layout2...][, default])",
                help: $help,
                params: &[
                    ("condition", $condition),
                    ("layout", "sub-pipeline name or builder $=>$..."),
                    ("default", "layout used when no condition holds"),
                ],
                build: |b| build_branch(b, $mode),
            };
        )+
    };
}

branch_filters! {
    BRANCH "branch": "Sends events to the layout of the first condition that holds",
        condition "function() or value, checked on each event until one holds", Mode::Every;
    BRANCH_MESSAGE_START "branchMessageStart": "Chooses a sub-pipeline on the first MessageStart",
        condition "function(messageStart) or value", Mode::MessageStart;
    BRANCH_MESSAGE "branchMessage": "Chooses a sub-pipeline once the first message is complete",
        condition "function(message) or value", Mode::Message;
}

/// The choosing filters.
pub static FILTERS: &[&FilterDescriptor] =
    &[&LINK, &BRANCH, &BRANCH_MESSAGE_START, &BRANCH_MESSAGE];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// [A] link: conditions on each non-empty event until one holds.
    Link,
    /// branch: conditions (no arguments) on each event.
    Every,
    /// branchMessageStart: on the first MessageStart, with it.
    MessageStart,
    /// branchMessage: on the first whole message, with it.
    Message,
}

enum Cond {
    Always,
    Value(JsValue),
}

enum Targets {
    Fixed(Vec<(Cond, Sub)>),
    /// [C] `link(() => name)`: names of this module.
    Dynamic(JsValue, Rc<HashMap<String, Rc<PipelineLayout>>>),
}

fn build_link(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    if b.dynamic {
        let f = b.function(0).ok_or("expects a function")?;
        let names = b.resolver.all_named(b.module).into_iter().collect();
        return Ok(choose_proto(
            &LINK,
            Mode::Link,
            Targets::Dynamic(f, Rc::new(names)),
        ));
    }
    if b.args.is_empty() {
        return Err("expects a target".into());
    }
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < b.args.len() {
        let sub = b.sub_of(&b.args[i].clone())?;
        let cond = match b.args.get(i + 1) {
            Some(v) if v.is_function() => Cond::Value(JsValue::save(b.ctx, v.clone())),
            Some(v) if !v.is_undefined() && !v.is_null() => {
                return Err(format!(
                    "condition after target {} must be a function",
                    i / 2 + 1
                ));
            }
            _ => Cond::Always,
        };
        pairs.push((cond, sub));
        i += 2;
    }
    Ok(choose_proto(&LINK, Mode::Link, Targets::Fixed(pairs)))
}

fn build_branch(b: &mut Builder<'_, '_>, mode: Mode) -> Result<Box<dyn FilterProto>, String> {
    let n = b.args.len();
    if n < 2 && n != 1 {
        return Err("expects condition/layout pairs".into());
    }
    let mut pairs = Vec::new();
    let mut i = 0;
    while i + 1 < n {
        let cond = Cond::Value(JsValue::save(b.ctx, b.args[i].clone()));
        pairs.push((cond, b.sub_of(&b.args[i + 1].clone())?));
        i += 2;
    }
    if n % 2 == 1 {
        pairs.push((Cond::Always, b.sub_of(&b.args[n - 1].clone())?));
    }
    Ok(choose_proto(b.descriptor, mode, Targets::Fixed(pairs)))
}

/// The prototype of `desc` (`link`, `branch` and the like) choosing among `targets`.
fn choose_proto(
    desc: &'static FilterDescriptor,
    mode: Mode,
    targets: Targets,
) -> Box<dyn FilterProto> {
    let subs = match &targets {
        Targets::Fixed(pairs) => pairs.iter().map(|(_, s)| s.layout()).collect(),
        Targets::Dynamic(..) => Vec::new(),
    };
    let targets = Rc::new(targets);
    Box::new(
        FnProto::new(desc, move |init| {
            Box::new(Choose {
                route: Route::new(desc.name, init.output.clone()),
                picker: Picker {
                    mode,
                    targets: targets.clone(),
                    context: init.context,
                    output: init.output,
                    reader: MessageReader::new(None),
                    chain: init.chain,
                    hub: Default::default(),
                },
            })
        })
        .with_subs(subs),
    )
}

/// Where a choosing filter's events go once it has chosen.
enum Chosen {
    /// Straight to the filter's output.
    Bypass(Output),
    Sub(Rc<Pipeline>),
    /// [C] `link(() => swap)`: a member of a `Swap` (or `pipeline.Hub`).
    Hub(super::swap::Member),
}

impl Chosen {
    fn input(&self, evt: Event) {
        match self {
            Chosen::Sub(p) => p.input(evt),
            Chosen::Bypass(output) => output.emit(evt),
            Chosen::Hub(m) => m.broadcast(evt),
        }
    }
}

struct Choose {
    route: Route<Chosen>,
    picker: Picker,
}

/// What a choosing filter chooses with, on the stream's first events.
struct Picker {
    mode: Mode,
    targets: Rc<Targets>,
    context: Rc<Context>,
    output: Output,
    reader: MessageReader,
    /// The module chain this pipeline is part of: a chosen sub-pipeline continues it.
    chain: Option<ChainRest>,
    /// The hub object a dynamic link's function gave, to join in place of a sub-pipeline.
    hub: std::cell::RefCell<Option<JsValue>>,
}

/// What a condition is given.
enum Arg<'a> {
    None,
    Event(&'a Event),
    Message(&'a script::JsMessage),
}

impl Picker {
    fn pick(&self, arg: Arg<'_>) -> Result<Option<Option<Sub>>, ScriptError> {
        match &*self.targets {
            Targets::Dynamic(f, names) => {
                let name = script::call_in(&self.context, |ctx| {
                    let v: rquickjs::Value = match f.get(ctx).as_function() {
                        Some(func) => func.call(())?,
                        None => rquickjs::Value::new_undefined(ctx.clone()),
                    };
                    if super::swap::is_hub(&v) {
                        *self.hub.borrow_mut() = Some(JsValue::save(ctx, v));
                        return Ok(Some(String::new()));
                    }
                    Ok(if v.is_undefined() || v.is_null() {
                        None
                    } else {
                        Some(v.get::<String>()?)
                    })
                })?;
                match name {
                    None => Ok(None),
                    Some(_) if self.hub.borrow().is_some() => Ok(Some(None)),
                    Some(n) => match names.get(&n) {
                        Some(l) => Ok(Some(Some(Sub::Layout(l.clone())))),
                        None => Err(ScriptError::plain(format!("pipeline not found: {n}"))),
                    },
                }
            }
            Targets::Fixed(pairs) => {
                for (cond, sub) in pairs {
                    let holds = match cond {
                        Cond::Always => true,
                        Cond::Value(v) => script::call_in(&self.context, |ctx| {
                            let c = v.get(ctx);
                            let r: rquickjs::Value = match c.as_function() {
                                Some(func) => match &arg {
                                    Arg::None => func.call(())?,
                                    Arg::Event(e) => func.call((script::to_js_event(ctx, e)?,))?,
                                    Arg::Message(m) => {
                                        func.call((script::to_js_message(ctx, m)?,))?
                                    }
                                },
                                None => c,
                            };
                            Ok(script::truthy(&r))
                        })?,
                    };
                    if holds {
                        return Ok(Some(Some(sub.clone())));
                    }
                }
                Ok(None)
            }
        }
    }

    /// Starts what `sub` names, or joins the hub a dynamic link's function gave.
    fn start(&self, sub: Option<Sub>) -> Result<Chosen, ScriptError> {
        let hub = self.hub.borrow_mut().take();
        let chosen = match (hub, sub) {
            (Some(hub), _) => {
                let output = self.output.clone();
                let member = script::js(|ctx| super::swap::Member::join(&hub.get(ctx), output))
                    .map_err(ScriptError::plain)?;
                Chosen::Hub(member)
            }
            (None, Some(Sub::Layout(l))) => {
                let p = Pipeline::with_chain(
                    &l,
                    self.context.clone(),
                    self.output.clone(),
                    self.chain.clone(),
                );
                // Its onStart runs (with no arguments) before the events held so far.
                p.start(|_| Vec::new());
                Chosen::Sub(p)
            }
            _ => Chosen::Bypass(self.output.clone()),
        };
        Ok(chosen)
    }

    /// Chooses on `evt` if this filter's mode chooses on it; `Ok(None)`: not yet.
    fn try_choose(&mut self, evt: &Event) -> Result<Option<Chosen>, ScriptError> {
        let picked = match self.mode {
            Mode::Link if evt.is_empty_data() => None,
            Mode::Link | Mode::Every => self.pick(Arg::None)?,
            Mode::MessageStart => match evt {
                Event::MessageStart(_) => Some(self.pick(Arg::Event(evt))?.unwrap_or(None)),
                _ => None,
            },
            Mode::Message => match evt {
                Event::MessageStart(h) => {
                    self.reader.start(h.clone());
                    None
                }
                Event::Data(b) => {
                    self.reader.data(b);
                    None
                }
                Event::MessageEnd(t) if self.reader.is_open() => {
                    let m = self.reader.finish(t.clone());
                    Some(self.pick(Arg::Message(&m))?.unwrap_or(None))
                }
                Event::StreamEnd(_) if self.reader.is_open() => {
                    let m = self.reader.finish(MessageTail::default());
                    Some(self.pick(Arg::Message(&m))?.unwrap_or(None))
                }
                _ => None,
            },
        };
        if let Some(sub) = picked {
            // branchMessageStart/branchMessage with no match and no default: keep holding.
            if sub.is_some() || self.mode == Mode::Link || self.mode == Mode::Every {
                return self.start(sub).map(Some);
            }
        }
        Ok(None)
    }
}

impl Filter for Choose {
    fn process(&mut self, evt: Event) {
        let picker = &mut self.picker;
        self.route
            .take(evt, |first| picker.try_choose(first), Chosen::input);
    }
}
