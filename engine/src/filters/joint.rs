//! The prototype of a joint filter: each instance runs the one sub-pipeline the filter was
//! given.

use std::rc::Rc;

use super::FilterDescriptor;
use crate::pipeline::{Filter, FilterInit, FilterProto, FnProto, PipelineLayout};

/// The prototype of the joint filter `desc`, whose instances `make` creates with the
/// sub-pipeline `layout`; the graph shows `layout` as the filter's sub-pipeline.
pub(super) fn joint_proto<F>(
    desc: &'static FilterDescriptor,
    layout: Rc<PipelineLayout>,
    make: F,
) -> Box<dyn FilterProto>
where
    F: Fn(FilterInit, &Rc<PipelineLayout>) -> Box<dyn Filter> + 'static,
{
    let subs = vec![Some(layout.clone())];
    Box::new(FnProto::new(desc, move |init| make(init, &layout)).with_subs(subs))
}
