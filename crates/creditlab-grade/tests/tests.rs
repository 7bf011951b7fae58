//! The integration tests of creditlab-grade, one binary (as ripgrep does): each module is a
//! former test file.

mod properties;
