//! The integration tests of creditlab-loan, one binary (as ripgrep does): each module is a
//! former test file, `common` holds the fixtures they share.

mod common;

mod bma;
mod conservation;
mod model;
mod synthetic;
mod tape;

/// The crate's examples/ programs, run by `cargo test` (and so by CI): they use only the
/// public API, as a user's program would.
#[path = "../examples/loan_quickstart.rs"]
mod quickstart;

#[test]
fn quickstart_example_runs() {
    quickstart::main().expect("the quickstart example runs");
}
