//! `loop`: a sub-pipeline whose output is both the filter's output and fed back into it.
//!
//! Output that comes back is fed in again on a later turn of the event loop (as Pipy does when
//! the output arrives while the sub-pipeline is busy), so a sub-pipeline that keeps answering
//! itself cannot hold the worker.

use std::rc::Rc;

use super::deferred_input::DeferredInput;
use super::{Builder, FilterDescriptor, FilterKind, Sub};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterProto, Output, Pipeline, PipelineLayout};

/// `loop`.
pub static LOOP: FilterDescriptor = FilterDescriptor {
    name: "loop",
    kind: FilterKind::Inline,
    signature: "(layout)",
    help: "Outputs what the sub-pipeline outputs and feeds it back into the sub-pipeline",
    params: &[(
        "layout",
        "the sub-pipeline: a builder $=>$..., a pipeline($=>$...) object or a name",
    )],
    build,
};

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    match b.sub.clone() {
        Some(Sub::Layout(layout)) => b.joint_prototype(layout, move |init, layout| {
            Box::new(Loop {
                layout: layout.clone(),
                context: init.context,
                output: init.output,
                sub: None,
            })
        }),
        _ => Err("expects a sub-pipeline: a builder like $=>$..., a pipeline or a name".into()),
    }
}

struct Loop {
    layout: Rc<PipelineLayout>,
    context: Rc<Context>,
    output: Output,
    sub: Option<Rc<Pipeline>>,
}

impl Loop {
    fn start(&mut self) -> Rc<Pipeline> {
        // The sub-pipeline's output, on its way back into it.
        let back = DeferredInput::shared();
        let out = self.output.clone();
        let b = back.clone();
        let output = Output::from_fn(move |evt| {
            out.emit(evt.clone());
            DeferredInput::push(&b, evt);
        });
        let p = Pipeline::new(&self.layout, self.context.clone(), output);
        back.borrow_mut().feed_into(&p);
        p.start(|_| Vec::new());
        p
    }
}

impl Filter for Loop {
    fn process(&mut self, evt: Event) {
        let p = match &self.sub {
            Some(p) => p.clone(),
            None => {
                let p = self.start();
                self.sub = Some(p.clone());
                p
            }
        };
        p.input(evt);
    }
}
