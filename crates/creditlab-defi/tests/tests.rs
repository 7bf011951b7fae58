//! The integration tests of creditlab-defi, one binary (as ripgrep does).

/// The crate's examples/ program, run by `cargo test` (and so by CI): it uses only the
/// public API, as a user's program would.
#[path = "../examples/defi_quickstart.rs"]
mod quickstart;

#[test]
fn quickstart_example_runs() {
    quickstart::main().expect("the quickstart example runs");
}

mod shards;
