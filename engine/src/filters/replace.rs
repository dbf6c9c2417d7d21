//! `replace*` filters: swap events of one kind (or whole messages) for what a callback or a
//! static value gives. The filter itself is [`super::on_event`]'s, in [`Mode::Replace`].

use super::event_kinds::On;
use super::on_event::{build, Mode};
use super::{FilterDescriptor, FilterKind};

macro_rules! replacer {
    ($id:ident, $name:literal, $on:expr, $sig:literal, $help:literal) => {
        static $id: FilterDescriptor = FilterDescriptor {
            name: $name,
            kind: FilterKind::Plain,
            signature: $sig,
            help: $help,
            params: &[(
                "replacement",
                "events, a Message, an array of them, or a function(input, counter) returning them; undefined drops the input",
            )],
            build: |b| build(b, $on, Mode::Replace),
        };
    };
}

replacer!(
    ANY,
    "replace",
    On::Any,
    "([replacement])",
    "Replaces every event"
);
replacer!(
    STREAM_START,
    "replaceStreamStart",
    On::StreamStart,
    "(replacement)",
    "Replaces the first event of the stream"
);
replacer!(
    DATA,
    "replaceData",
    On::Data,
    "([replacement])",
    "Replaces every Data event"
);
replacer!(
    MESSAGE_START,
    "replaceMessageStart",
    On::MessageStart,
    "([replacement])",
    "Replaces every MessageStart event"
);
replacer!(
    MESSAGE_END,
    "replaceMessageEnd",
    On::MessageEnd,
    "([replacement])",
    "Replaces every MessageEnd event"
);
replacer!(
    STREAM_END,
    "replaceStreamEnd",
    On::StreamEnd,
    "([replacement])",
    "Replaces the StreamEnd event"
);
replacer!(
    MESSAGE,
    "replaceMessage",
    On::Message,
    "([sizeLimit, ]replacement[, {bufferLimit}])",
    "Replaces every complete message"
);
replacer!(
    MESSAGE_BODY,
    "replaceMessageBody",
    On::MessageBody,
    "([sizeLimit, ]replacement[, {bufferLimit}])",
    "Replaces the body of every message"
);

/// The `replace*` filters.
pub static FILTERS: &[&FilterDescriptor] = super::on_event::family!();
