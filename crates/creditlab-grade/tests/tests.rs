//! The integration tests of creditlab-grade, one binary (as ripgrep does): each module is a
//! former test file; shared fixtures are in `common`.

mod common;

mod binning;
mod german_credit;
mod properties;
mod woe_card;

/// The crate's examples/ programs, run by `cargo test` (and so by CI): they use only the
/// public API, as a user's program would.
#[path = "../examples/grade_quickstart.rs"]
mod quickstart;

#[test]
fn quickstart_example_runs() {
    quickstart::main().expect("the quickstart example runs");
}
