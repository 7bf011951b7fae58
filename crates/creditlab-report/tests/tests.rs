//! The integration tests of creditlab-report, one binary (as ripgrep does): each module is
//! a former test file. They compare rendered text and exact bounds, never floating-point
//! values within a tolerance, so unlike the model crates they need no tolerance policy (and
//! report depends on no other creditlab crate, not even for its tests).

mod report;
