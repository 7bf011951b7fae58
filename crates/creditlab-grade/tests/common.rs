//! Fixtures shared by the test modules: the vendored German Credit tape and its mapping.

use creditlab_grade::woe_card::{Mapping, Tape};
use std::path::PathBuf;

/// A file of the repository, from the crate's folder.
pub fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// `scenarios/german-credit.toml` and `data/german_credit.csv`, read.
pub fn german_credit() -> (Mapping, Tape) {
    let mapping = Mapping::open(&repo_file("scenarios/german-credit.toml")).expect("mapping");
    let tape = Tape::open(&repo_file("data/german_credit.csv"), &mapping).expect("tape");
    (mapping, tape)
}
