//! `cargo xtask sweep`: the study's headline figures over a grid of scenario parameters
//! (creditlab-study's `sweep`), written as a table and one chart per figure.

use crate::cli::TaskResult;
use crate::cli::{out, outln};
use crate::progress::Bars;
use creditlab_study::check_output;
use creditlab_study::config::read;
use creditlab_study::scenario::DEFAULT_SCENARIO;
use creditlab_study::sweep::{Sweep, parse_param};
use std::path::PathBuf;

/// Flags of `cargo xtask sweep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file (TOML); default: the built-in scenarios/default.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A parameter and its values: `section.key=lo:hi:step` or `section.key=v1,v2,...`.
    /// Repeat for a grid over several parameters.
    #[arg(long = "param", value_name = "KEY=GRID", required = true)]
    params: Vec<String>,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "target/creditlab-sweep")]
    out: PathBuf,
    /// Seed of every grid point's study (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    run: crate::pipeline::RunFlags,
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let (text, origin) = match &args.config {
        Some(path) => (read(path)?, path.display().to_string()),
        None => (
            DEFAULT_SCENARIO.to_string(),
            "scenarios/default.toml (built in)".to_string(),
        ),
    };
    let params = args
        .params
        .iter()
        .map(|p| parse_param(p))
        .collect::<Result<Vec<_>, _>>()?;
    check_output(&args.out, args.run.overwrite())?;
    let mut sweep = Sweep::new(&text, &origin, params, args.run.quick)?;
    if let Some(seed) = args.seed {
        sweep = sweep.with_seed(seed)?;
    }
    let (bytes, seconds) = sweep
        .scenarios()
        .iter()
        .map(|s| s.estimated_cost())
        .fold((0.0, 0.0), |(b, t), (x, y)| (f64::max(b, x), t + y));
    crate::guard::check_quietly(&crate::guard::Cost {
        what: format!("sweep of {} studies", sweep.scenarios().len()),
        bytes,
        seconds,
    })?;
    let pool = args.run.threads.pool()?;
    let result = pool.install(|| sweep.run(&Bars::new(crate::cli::settings().quiet)))?;
    result.write_with(&args.out, args.run.overwrite())?;
    if !crate::cli::settings().quiet {
        out!("{}", result.terminal_table()?.to_text());
        outln!(
            "every figure: {}\nsweep: {}",
            args.out.join("sweep.csv").display(),
            args.out.join("sweep.html").display()
        );
    }
    Ok(())
}
