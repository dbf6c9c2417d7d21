//! `insert`: outputs events once, before the first input event.

use std::rc::Rc;

use super::callback::{call_replacer, fail};
use super::{FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, Output};
use crate::script::JsValue;

/// `insert`.
pub static INSERT: FilterDescriptor = FilterDescriptor {
    name: "insert",
    kind: FilterKind::Plain,
    signature: "(events)",
    help: "Outputs events once, before the first input event",
    params: &[(
        "events",
        "events, a Message, an array of them, or a function() returning them",
    )],
    build: |b| {
        let events = b.saved(0).ok_or("expects events")?;
        b.prototype(move |init| {
            Box::new(Insert {
                events: Some(events.clone()),
                context: init.context,
                output: init.output,
            })
        })
    },
};

struct Insert {
    events: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
}

impl Filter for Insert {
    fn process(&mut self, evt: Event) {
        if let Some(r) = self.events.take() {
            match call_replacer(&self.context, &r, 0, |ctx| {
                Ok(rquickjs::Value::new_undefined(ctx.clone()))
            })
            .and_then(|r| r.now("insert"))
            {
                Ok(Some(evts)) => self.output.emit_all(evts),
                Ok(None) => {}
                Err(e) => return fail(&self.output, "insert", &e),
            }
        }
        self.output.emit(evt);
    }
}
