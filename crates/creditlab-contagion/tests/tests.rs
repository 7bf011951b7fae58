//! The integration tests of creditlab-contagion, one binary (as ripgrep does): this file
//! indexes the modules, shared fixtures live in `fixtures.rs`.

mod analytic;
mod collateral;
mod creditrisk;
mod edges;
mod fixtures;
mod inputs;
mod saddlepoint;
mod shards;
mod simulation;
mod tape;

/// The crate's examples/ programs, run by `cargo test` (and so by CI): they use only the
/// public API, as a user's program would.
#[path = "../examples/contagion_quickstart.rs"]
mod quickstart;

#[test]
fn quickstart_example_runs() {
    quickstart::main().expect("the quickstart example runs");
}
