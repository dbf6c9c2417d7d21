//! `dummy`: swallows every event except StreamEnd.

use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Filter, FilterInit, FilterProto, FilterType, Output};

static DUMMY: FilterDescriptor = FilterDescriptor {
    name: "dummy",
    kind: FilterKind::Plain,
    signature: "()",
    help: "Swallows every event except StreamEnd",
    params: &[],
    build: |_b: &mut Builder<'_, '_>| Ok(Box::new(DummyProto)),
};

/// `dummy`.
pub static FILTERS: &[&FilterDescriptor] = &[&DUMMY];

struct DummyProto;

impl FilterProto for DummyProto {
    fn descriptor(&self) -> &'static dyn FilterType {
        &DUMMY
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Dummy {
            output: init.output,
        })
    }
}

struct Dummy {
    output: Output,
}

impl Filter for Dummy {
    fn process(&mut self, evt: Event) {
        if evt.is_stream_end() {
            self.output.emit(evt);
        }
    }
}
