//! `handle*` filters: call a callback on events of one kind and pass everything through.
//! The filter itself is [`super::on_event`]'s, in [`Mode::Handle`].

use super::event_kinds::On;
use super::on_event::{build, Mode};
use super::{FilterDescriptor, FilterKind};

macro_rules! handler {
    ($id:ident, $name:literal, $on:expr, $sig:literal, $help:literal, $param:literal) => {
        static $id: FilterDescriptor = FilterDescriptor {
            name: $name,
            kind: FilterKind::Plain,
            signature: $sig,
            help: $help,
            params: &[("callback", $param)],
            build: |b| build(b, $on, Mode::Handle),
        };
    };
}

handler!(
    ANY,
    "handle",
    On::Any,
    "(callback)",
    "Calls a function on every event",
    "function(event, counter) called with each event of any type"
);
handler!(
    STREAM_START,
    "handleStreamStart",
    On::StreamStart,
    "(callback)",
    "Calls a function on the first event of the stream",
    "function(event) called with the first event"
);
handler!(
    DATA,
    "handleData",
    On::Data,
    "(callback)",
    "Calls a function on every Data event",
    "function(data, counter) called with each Data"
);
handler!(
    MESSAGE_START,
    "handleMessageStart",
    On::MessageStart,
    "(callback)",
    "Calls a function on every MessageStart event",
    "function(messageStart, counter)"
);
handler!(
    MESSAGE_END,
    "handleMessageEnd",
    On::MessageEnd,
    "(callback)",
    "Calls a function on every MessageEnd event",
    "function(messageEnd, counter)"
);
handler!(
    STREAM_END,
    "handleStreamEnd",
    On::StreamEnd,
    "(callback)",
    "Calls a function on the StreamEnd event",
    "function(streamEnd)"
);
handler!(
    MESSAGE,
    "handleMessage",
    On::Message,
    "([sizeLimit, ]callback[, {bufferLimit}])",
    "Calls a function on every complete message",
    "function(message, counter) called at the end of each message"
);
handler!(
    MESSAGE_BODY,
    "handleMessageBody",
    On::MessageBody,
    "([sizeLimit, ]callback[, {bufferLimit}])",
    "Calls a function on the body of every complete message",
    "function(data, counter) called with each body"
);

/// The `handle*` filters.
pub static FILTERS: &[&FilterDescriptor] = super::on_event::family!();
