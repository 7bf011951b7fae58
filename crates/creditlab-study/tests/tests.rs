//! creditlab-study's integration tests: one binary, one module per subject.

mod originate;
mod real_borrowers;
mod verdict;
