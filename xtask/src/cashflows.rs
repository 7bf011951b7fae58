//! `cargo xtask cashflows`: project a pool or a tape month by month.

use crate::cli::TaskResult;

/// Flags of `cargo xtask cashflows`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the task.
pub fn run(_args: Args) -> TaskResult {
    Ok(())
}
