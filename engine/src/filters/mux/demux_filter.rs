//! The generic `demux` and `demuxQueue` filters: the demux core with the script's
//! `outputCount` / `isOneWay` options.

use std::rc::Rc;

use super::demux_queue::DemuxQueue;
use super::hooks::DemuxProtocol;
use super::options::ReplyCount;
use crate::event::Event;
use crate::filters::builder::is_options;
use crate::filters::family::family_members;
use crate::filters::{Builder, Family, FilterKind};
use crate::pipeline::{Context, Filter, FilterProto};
use crate::script::ScriptError;

/// What `demux` and `demuxQueue` share.
const DEMUXES: Family = Family {
    kind: FilterKind::Joint,
    signature: "(target[, options])",
    params: &[
        (
            "target",
            "sub-pipeline name (or use .to(...)), started once per input message in a cloned context",
        ),
        (
            "options",
            "{outputCount: replies per message (1; 0 = none; negative = also wait for them before reading on), or function(messageStart); isOneWay: function(messageStart) returning true for no reply}",
        ),
    ],
};

family_members! {
    DEMUXES;
    /// `demux`, `demuxQueue`.
    DEMUX "demux": "Gives each input message its own sub-pipeline and outputs their replies in order",
        build;
    DEMUX_QUEUE "demuxQueue": "Like demux: one sub-pipeline per message, replies queued out in message order",
        build;
}

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let desc = b.descriptor;
    let layout = b.required_layout()?;
    let replies = match b.arg(0) {
        None => ReplyCount::default(),
        Some(v) if is_options(&v) => ReplyCount::from_options(b.ctx, &v)?,
        Some(_) => return Err("options must be an object".into()),
    };
    b.joint_prototype(layout, move |init, layout| {
        let protocol = ScriptReplies {
            replies: replies.clone(),
            context: init.context.clone(),
        };
        Box::new(Demux(DemuxQueue::new(
            desc.name,
            layout.clone(),
            init.context,
            init.output,
            Box::new(protocol),
        )))
    })
}

/// Replies per request as the script's options say; replies leave in request order.
struct ScriptReplies {
    replies: ReplyCount,
    context: Rc<Context>,
}

impl DemuxProtocol for ScriptReplies {
    fn replies(&mut self, start: &Event) -> Result<i32, ScriptError> {
        self.replies.of(&self.context, start)
    }
}

struct Demux(Rc<DemuxQueue>);

impl Filter for Demux {
    fn process(&mut self, evt: Event) {
        self.0.input(evt);
    }
}
