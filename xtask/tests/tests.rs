//! xtask's one integration-test binary: the command line's behaviour task by task (each
//! module runs the built `xtask` binary), and the repository's invariants (`tidy`).
//! Shared helpers are in `common`.

mod common;

mod cashflows;
mod clearing;
mod defi;
mod edges;
mod grade;
mod loss;
mod originate;
mod pipeline;
mod pool;
mod scorecard;
mod shards;
mod stdout;
mod sweep;
mod tidy;
