//! Draining: when the worker drains (`filters/draining.rs`), an HTTP/1 server connection
//! closes after its next response (which says `connection: close`); with `close_idle`, an
//! idle keep-alive connection closes now.

use super::{Action, ServerCore};
use crate::filters::draining::Drain;

impl Drain for ServerCore {
    fn drain(&self, close_idle: bool) {
        self.act(Action::Drain(close_idle));
    }
}
