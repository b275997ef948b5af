//! skelgen's Rust runtime, built as a crate so that it is compiled, linted, unit-tested and
//! fuzzed as source.
//!
//! `src/runtime/` is what skelgen splices into every Rust skeleton as the skeleton's
//! `runtime` module: `mod.rs` with each `include!` replaced by the file it names (those of
//! parts the object does not need left out, as the crate's features do here), and without
//! its tests. This crate root stands where the skeleton's module would: the runtime's
//! `pub(super)` items are what the skeleton uses.

// As in a skeleton, which uses only the part of its runtime that its object needs.
#[allow(dead_code)]
mod runtime;

#[cfg(feature = "uprobe")]
pub use runtime::{find_binary, UprobeOpts};
pub use runtime::{
    possible_cpus, Error, Keys, Link, Map, MapKnobs, Plain, Prog, ProgKnobs,
};
#[cfg(feature = "buffers")]
pub use runtime::{PerfBuf, RingBuf};
#[cfg(feature = "struct_ops")]
pub use runtime::{StructOps, StructOpsKnobs};

#[cfg(feature = "fuzzing")]
pub use runtime::fuzzing;
