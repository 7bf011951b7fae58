//! `cargo xtask pipeline`: the study (creditlab-study), bank book against DeFi book, from a
//! scenario file, written to the output folder atomically.

use crate::cli::TaskResult;
use crate::cli::{out, outln};
use crate::progress::Bars;
use creditlab_study::shard::{StudyShard, refuse_existing};
use creditlab_study::{Overwrite, Scenario, Study, check_output};
use std::path::PathBuf;

/// Flags of `cargo xtask pipeline`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file (TOML); default: the built-in scenarios/default.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output folder (default target/creditlab-report); with --shard, the partial's file.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run only shard K of N of every Monte Carlo stage and write its partial result to
    /// --out (an existing file is refused without --force); `cargo xtask merge` writes the
    /// report from the partials.
    #[arg(long, requires = "out")]
    shard: Option<creditlab_contagion::shard::ShardSpec>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the scenario's Monte Carlo scenario count.
    #[arg(long)]
    scenarios: Option<u64>,
    #[command(flatten)]
    run: RunFlags,
}

/// How a study runs, shared by `pipeline` and `sweep`.
#[derive(Debug, clap::Args)]
pub struct RunFlags {
    /// A small, fast study for tests and demos (500 loans per book, at most 20,000
    /// scenarios, 200 DeFi paths, no flip-point search).
    #[arg(long)]
    pub quick: bool,
    #[command(flatten)]
    pub threads: crate::cli::Threads,
    /// Write into an output folder creditlab did not write: replace only the files of the
    /// names creditlab writes, delete nothing, add no marker. Without it such a folder is
    /// refused. A path that is not a folder is always refused.
    #[arg(long)]
    pub force: bool,
}

impl RunFlags {
    /// What may happen to an existing output folder.
    pub fn overwrite(&self) -> Overwrite {
        if self.force {
            Overwrite::Force
        } else {
            Overwrite::Own
        }
    }
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    if let (Some(_), Some(path)) = (args.shard, &args.out) {
        refuse_existing(path, args.run.force)?;
    }
    let mut scenario = match &args.config {
        Some(path) => Scenario::from_file(path)?,
        None => Scenario::builtin()?,
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(n) = args.scenarios {
        scenario.loss.scenarios = n;
        scenario.check()?;
    }
    if args.run.quick {
        scenario.quicken();
    }
    let pool = args.run.threads.pool()?;
    let bars = Bars::new(crate::cli::settings().quiet);
    if let (Some(shard), Some(path)) = (args.shard, &args.out) {
        let part = pool.install(|| StudyShard::run(&scenario, shard, &bars))?;
        return Ok(part.write(path, args.run.force)?);
    }
    let out = args.out.unwrap_or_else(|| PathBuf::from(DEFAULT_OUT));
    // Refused before the study runs: a minutes-long run must not end in "cannot write".
    check_output(&out, args.run.overwrite())?;
    let (bytes, seconds) = scenario.estimated_cost();
    crate::guard::check_quietly(&crate::guard::Cost {
        what: format!(
            "pipeline on {} loans per book, {} DeFi paths",
            scenario.books.loans, scenario.defi_pool.paths
        ),
        bytes,
        seconds,
    })?;
    let study = pool.install(|| Study::run(&scenario, &bars))?;
    write(&study, &out, args.run.overwrite())
}

/// The default output folder.
pub const DEFAULT_OUT: &str = "target/creditlab-report";

/// Writes `study`'s report into `out` and prints its summary: the end of `pipeline` and
/// of `merge` of study partials.
pub fn write(study: &Study, out: &std::path::Path, overwrite: Overwrite) -> TaskResult {
    study.write_with(out, overwrite)?;
    if !crate::cli::settings().quiet {
        out!("{}", study.terminal_summary()?);
        outln!("\nreport: {}", out.join("report.html").display());
    }
    Ok(())
}
