//! What the integration tests share, in one place: the environment (root, installed tools,
//! running commands, scratch directories), the example objects and their skeletons, objects
//! a test compiles from its own source, the snapshot settings, and each language's and the
//! loader's own helpers.
//!
//! Every test crate declares `mod support;` and uses the parts it needs.
// Each test crate uses a different part of these modules.
#![allow(dead_code)]

pub mod bpf;
pub mod c;
pub mod cmd;
pub mod env;
pub mod examples;
pub mod faults;
pub mod go;
pub mod loader;
pub mod rust;
pub mod signed;
pub mod tcpca;

// Not every crate uses every re-export.
#[allow(unused_imports)]
pub use env::{have, root, run, run_ok, ROOT};
#[allow(unused_imports)]
pub use examples::{example_names, example_objects, minimal};

/// The insta settings of every snapshot test: snapshots live in `snapshots/` under their
/// own names, without the test's expression.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}
