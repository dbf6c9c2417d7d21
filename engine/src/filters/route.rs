//! Where a filter's input goes when the stream's first events choose it (`pipe`'s pipeline,
//! `swap`'s hub, the sub-pipeline of `link` and `branch*`): events wait, in order, until the
//! choice is made, and a failed choice ends the stream.

use super::callback::fail;
use crate::event::Event;
use crate::pipeline::Output;
use crate::script::ScriptError;

/// The destination a filter chooses on its stream's first events, and the events that wait
/// for it.
pub(super) struct Route<D> {
    /// The filter's name, for the log line of a failed choice.
    filter: &'static str,
    /// What a failed choice ends.
    output: Output,
    /// The destination, once chosen.
    to: Option<D>,
    /// The events that came before it was.
    waiting: Vec<Event>,
    /// The choice failed: the stream has ended and events are dropped.
    failed: bool,
}

impl<D> Route<D> {
    /// A route not chosen yet, for the filter named `filter`, whose failure ends `output`.
    pub fn new(filter: &'static str, output: Output) -> Self {
        Route {
            filter,
            output,
            to: None,
            waiting: Vec::new(),
            failed: false,
        }
    }

    /// Takes `evt`. Until there is a destination, `choose` is asked for one with `evt`:
    /// `Ok(None)` is not yet (the event waits and the next one asks again); an error drops
    /// the waiting events and ends the stream, and later events are dropped. Once there is
    /// one, the waiting events and then `evt` go to it through `send`, in order.
    pub fn take(
        &mut self,
        evt: Event,
        choose: impl FnOnce(&Event) -> Result<Option<D>, ScriptError>,
        mut send: impl FnMut(&D, Event),
    ) {
        if self.failed {
            return;
        }
        if self.to.is_none() {
            match choose(&evt) {
                Ok(Some(to)) => self.to = Some(to),
                Ok(None) => return self.waiting.push(evt),
                Err(e) => {
                    self.failed = true;
                    self.waiting.clear();
                    return fail(&self.output, self.filter, &e);
                }
            }
        }
        if let Some(to) = &self.to {
            for e in std::mem::take(&mut self.waiting) {
                send(to, e);
            }
            send(to, evt);
        }
    }
}
