//! The integration tests of creditlab-grade, one binary (as ripgrep does): each module is a
//! former test file; shared fixtures are in `common`.

mod common;

mod binning;
mod german_credit;
mod properties;
mod woe_card;
