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

/// Declares the members of a family, one a line (`STATIC "name": "help line", build;`), and
/// the module's `FILTERS`, which lists them in that order, then any filters named after
/// `also`:
///
/// ```ignore
/// family_members! {
///     FORKS;
///     /// `fork` and `forkJoin`.
///     FORK "fork": "Copies the stream into sub-pipelines", |b| build(b, Mode::Fork);
///     FORK_JOIN "forkJoin": "Copies the stream and waits", |b| build(b, Mode::Join);
/// }
/// ```
macro_rules! family_members {
    (
        $family:ident $(, also $other:ident)*;
        $(#[$doc:meta])*
        $($member:ident $name:literal: $help:literal, $build:expr;)+
    ) => {
        $(
            static $member: $crate::filters::FilterDescriptor =
                $family.member($name, $help, $build);
        )+

        $(#[$doc])*
        pub static FILTERS: &[&$crate::filters::FilterDescriptor] =
            &[$(&$member,)+ $(&$other,)*];
    };
}

pub(super) use family_members;
