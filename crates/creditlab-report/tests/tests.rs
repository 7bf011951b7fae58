//! The integration tests of creditlab-report, one binary (as ripgrep does): each module is
//! a former test file. They compare rendered text and exact bounds, never floating-point
//! values within a tolerance, so unlike the model crates they need no tolerance policy (and
//! report depends on no other creditlab crate, not even for its tests).

mod report;

/// The crate's examples/ program, run by `cargo test` (and so by CI): it uses only the
/// public API, as a user's program would.
#[path = "../examples/report_quickstart.rs"]
mod quickstart;

#[test]
fn quickstart_example_runs() {
    quickstart::main().expect("the quickstart example runs");
}
