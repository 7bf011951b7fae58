//! `cargo xtask <task>`: creditlab's harness and command line.
//!
//! One module per task, each with its `Args` (clap) and a `run` function. A bare
//! `cargo xtask` prints the list of tasks. Every error is printed as one message naming
//! what was wrong (file, line, field, flag) and the process exits with code 2.

mod bench;
mod cashflows;
mod cdo2;
mod chain;
mod clearing;
mod cli;
mod defi;
mod grade;
mod guard;
mod irb;
mod loss;
mod merge;
mod originate;
mod pipeline;
mod pricing;
mod progress;
mod reliability;
mod scorecard;
mod ssfa;
mod sweep;
mod tranche;
mod waterfall;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// creditlab: is DeFi lending subprime securitization again? Tasks that measure it.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    task: Option<Task>,
    /// Print nothing on standard error but errors: no progress, no estimate (every task;
    /// pipeline and sweep also skip their summary, the report being in --out).
    #[arg(long, global = true)]
    quiet: bool,
    /// Run even when the memory or time estimated from the sizes exceeds the machine's
    /// limits (every task; see docs/RELIABILITY.md).
    #[arg(long, global = true)]
    no_limits: bool,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// The study: a bank book against a DeFi book, written to target/creditlab-report/.
    Pipeline(pipeline::Args),
    /// Project the monthly cash flows of a pool (flags) or a loan tape (BMA conventions).
    Cashflows(cashflows::Args),
    /// Grade every loan of a tape or synthetic book: PD and its interval, grade, LGD, EL, capital.
    Grade(grade::Args),
    /// Basel IRB capital K and risk weight of one exposure (corporate, SME, retail classes).
    Irb(irb::Args),
    /// Loss distribution of a portfolio under a copula: lhp, exact, bet, mc or mc-is.
    Loss(loss::Args),
    /// Measure the hot paths (Monte Carlo, importance sampling); write docs/PERFORMANCE.md.
    Bench(bench::Args),
    /// Basel securitization risk weight of a tranche: SEC-SA (SSFA) or SEC-IRBA.
    Ssfa(ssfa::Args),
    /// Fair running spreads of synthetic CDO tranches (one-factor copula, exact finite pool).
    TrancheSpread(pricing::SpreadArgs),
    /// Fair spreads of the first- to nth-to-default swaps of a homogeneous basket.
    Ntd(pricing::NtdArgs),
    /// Tranche expected loss, default probability, rating and capital of a TOML deal.
    Tranche(tranche::Args),
    /// Month-by-month cash-flow waterfall of a TOML deal for one scenario.
    Waterfall(waterfall::Args),
    /// Eisenberg-Noe clearing of an interbank network (JSON file): payments, defaults, equity.
    Clearing(clearing::Args),
    /// The study's headline figures over a grid of scenario parameters: a table and charts.
    Sweep(sweep::Args),
    /// A CDO squared against the same mezzanine exposures held directly, at several correlations.
    Cdo2(cdo2::Args),
    /// The scorecard workflow on any tape (CSV + TOML mapping): bins, WoE, IV, card, validation.
    Scorecard(scorecard::Args),
    /// DeFi lending pool Monte Carlo (TOML config): bad debt, cascades, runs, per path.
    Defi(defi::Args),
    /// Merge the partial results of `loss`, `defi` or `pipeline --shard` runs into the run.
    Merge(merge::Args),
    /// Claim 1 over time: a bank selling its loans as notes against the same bank holding them.
    Originate(originate::Args),
    /// Claim 2 over time: the chain reaction with fire sales, repo haircuts and default costs.
    Chain(chain::Args),
    /// Fuzz every parser of user input (AFL++): `--minutes N` per target, `--target NAME`.
    Fuzz {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        flags: Vec<String>,
    },
    /// Quick studies on random valid changes of the default scenario, checked (RELIABILITY.md).
    Soak {
        #[arg(long, default_value_t = 100)]
        runs: usize,
        /// Seed of the perturbations and of each study's seed.
        #[arg(long, default_value_t = creditlab_study::soak::DEFAULT_SEED)]
        seed: u64,
        #[command(flatten)]
        threads: cli::Threads,
    },
    // New tasks: add one variant here and one arm in `main` below.
}

fn main() -> ExitCode {
    // `--pd -0.1` is a negative value, not an unknown flag `-0` (the range check then
    // names the flag); no task has a flag that starts with a digit.
    let command = Cli::command().mut_subcommands(|task| task.allow_negative_numbers(true));
    let parsed = command
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        // --help and --version: clap prints them on standard output.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // A flag's value echoed whole could be megabytes: cut like every other error.
            use std::io::Write as _;
            let text = cli::cut_long(&e.render().to_string());
            let _ = write!(std::io::stderr(), "{text}");
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    cli::set_settings(cli::Settings {
        quiet: cli.quiet,
        no_limits: cli.no_limits,
    });
    let Some(task) = cli.task else {
        // A bare `cargo xtask` lists the tasks and succeeds.
        let mut cmd = Cli::command();
        let help = cmd.render_long_help();
        return finish(cli::write_stdout(format_args!("{help}\n")));
    };
    let result = match task {
        Task::Pipeline(args) => pipeline::run(args),
        Task::Sweep(args) => sweep::run(args),
        Task::Cashflows(args) => cashflows::run(args),
        Task::Grade(args) => grade::run(args),
        Task::Irb(args) => irb::run(args),
        Task::Loss(args) => loss::run(args),
        Task::Bench(args) => bench::run(args),
        Task::Ssfa(args) => ssfa::run(args),
        Task::TrancheSpread(args) => pricing::run_spread(args),
        Task::Ntd(args) => pricing::run_ntd(args),
        Task::Tranche(args) => tranche::run(args),
        Task::Waterfall(args) => waterfall::run(args),
        Task::Clearing(args) => clearing::run(args),
        Task::Cdo2(args) => cdo2::run(args),
        Task::Defi(args) => defi::run(args),
        Task::Merge(args) => merge::run(args),
        Task::Originate(args) => originate::run(args),
        Task::Chain(args) => chain::run(args),
        Task::Scorecard(args) => scorecard::run(args),
        Task::Fuzz { flags } => reliability::fuzz(flags),
        Task::Soak {
            runs,
            seed,
            threads,
        } => reliability::soak(runs, seed, threads),
    };
    finish(result)
}

/// The exit of a run: standard output flushed (a full device is an error, not a loss), the
/// error printed on standard error, nothing printed when the reader of standard output left.
fn finish(result: cli::TaskResult) -> ExitCode {
    use std::io::Write as _;
    match result.and_then(|()| cli::flush_stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_silent() => ExitCode::from(e.exit_code()),
        Err(e) => {
            // A closed standard error must not panic either.
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
