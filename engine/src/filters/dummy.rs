//! `dummy`: swallows every event except StreamEnd.

use super::{FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Filter, Output};

/// `dummy`.
pub static DUMMY: FilterDescriptor = FilterDescriptor {
    name: "dummy",
    kind: FilterKind::Plain,
    signature: "()",
    help: "Swallows every event except StreamEnd",
    params: &[],
    build: |b| {
        b.prototype(|init| {
            Box::new(Dummy {
                output: init.output,
            })
        })
    },
};

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
