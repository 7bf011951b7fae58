//! The integration tests of creditlab-contagion, one binary (as ripgrep does): this file
//! indexes the modules, shared fixtures live in `fixtures.rs`.

mod analytic;
mod collateral;
mod edges;
mod fixtures;
mod inputs;
mod simulation;
mod tape;
