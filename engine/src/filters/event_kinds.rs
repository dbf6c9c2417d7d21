//! Which events a `handle*` or `replace*` filter acts on: the part of their name after
//! `handle`/`replace` (`handleData`, `replaceMessageBody` ...).

use super::callback::size_limit_and_callback;
use super::Builder;

/// The events a `handle*` or `replace*` filter acts on. The order is the order of each
/// family's `FILTERS` list.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum On {
    /// Every event (`handle`, `replace`).
    Any,
    StreamStart,
    Data,
    MessageStart,
    MessageEnd,
    StreamEnd,
    Message,
    MessageBody,
}

impl On {
    /// The filter's size limit (`Message` and `MessageBody` take one before the callback) and
    /// the index of its callback argument.
    pub(super) fn callback_arg(
        self,
        b: &Builder<'_, '_>,
    ) -> Result<(Option<usize>, usize), String> {
        if matches!(self, On::Message | On::MessageBody) {
            size_limit_and_callback(b)
        } else {
            Ok((None, 0))
        }
    }
}
