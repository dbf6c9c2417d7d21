//! A filter prototype made of a closure, for filters whose prototype only keeps its
//! configuration and copies it into each instance.

use std::rc::Rc;

use super::{Filter, FilterInit, FilterProto, FilterType, PipelineLayout};

/// A [`FilterProto`] whose instances are made by a closure that owns the filter's configuration.
///
/// Its label is the filter's name unless given, and it never offers a [`super::Relay`]; a
/// filter that needs otherwise keeps a prototype type of its own.
pub struct FnProto<F> {
    descriptor: &'static dyn FilterType,
    make: F,
    subs: Vec<Option<Rc<PipelineLayout>>>,
    label: Option<String>,
}

impl<F: Fn(FilterInit) -> Box<dyn Filter>> FnProto<F> {
    /// A prototype of the filter type `descriptor` whose instances `make` creates, one a call,
    /// with no sub-pipelines.
    pub fn new(descriptor: &'static dyn FilterType, make: F) -> Self {
        FnProto {
            descriptor,
            make,
            subs: Vec::new(),
            label: None,
        }
    }

    /// The same prototype, showing `subs` as the sub-pipeline layouts it joins (for the graph;
    /// `None` stands for a bypass).
    pub fn with_subs(self, subs: Vec<Option<Rc<PipelineLayout>>>) -> Self {
        FnProto { subs, ..self }
    }

    /// The same prototype, drawn in the graph as `label` instead of the filter's name.
    pub fn with_label(self, label: String) -> Self {
        FnProto {
            label: Some(label),
            ..self
        }
    }
}

impl<F: Fn(FilterInit) -> Box<dyn Filter>> FilterProto for FnProto<F> {
    fn descriptor(&self) -> &'static dyn FilterType {
        self.descriptor
    }

    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        (self.make)(init)
    }

    fn label(&self) -> String {
        match &self.label {
            Some(l) => l.clone(),
            None => self.descriptor.name().to_string(),
        }
    }

    fn subs(&self) -> Vec<Option<Rc<PipelineLayout>>> {
        self.subs.clone()
    }
}
