//! creditlab-study's integration tests: one binary, one module per subject.

mod browser;
mod chain;
mod fuzz;
mod originate;
mod real_borrowers;
mod shard;
mod soak;
mod verdict;

/// The crate's examples/ program, run by `cargo test` (and so by CI): it uses only the
/// public API, as a user's program would.
#[path = "../examples/study_quickstart.rs"]
mod quickstart;

#[test]
fn quickstart_example_runs() {
    quickstart::main().expect("the quickstart example runs");
}
