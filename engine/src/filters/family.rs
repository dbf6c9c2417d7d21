//! Filters that come in families, such as `fork`, `forkJoin` and `forkRace`: members take the
//! same arguments and differ in name, help line and what they build.

use super::{BuildFn, FilterDescriptor, FilterKind};

/// What the filters of one family have in common: how they take sub-pipelines, their
/// arguments and the help on them.
pub struct Family {
    /// How the members take sub-pipelines.
    pub kind: FilterKind,
    /// The members' argument list as shown in help.
    pub signature: &'static str,
    /// The members' `(parameter, description)` pairs.
    pub params: &'static [(&'static str, &'static str)],
}

impl Family {
    /// The member `name` of this family, with its help line and build function.
    pub const fn member(
        &self,
        name: &'static str,
        help: &'static str,
        build: BuildFn,
    ) -> FilterDescriptor {
        FilterDescriptor {
            name,
            kind: self.kind,
            signature: self.signature,
            help,
            params: self.params,
            build,
        }
    }
}
