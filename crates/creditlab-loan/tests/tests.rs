//! The integration tests of creditlab-loan, one binary (as ripgrep does): each module is a
//! former test file, `common` holds the fixtures they share.

mod common;

mod bma;
mod conservation;
mod model;
mod synthetic;
mod tape;
