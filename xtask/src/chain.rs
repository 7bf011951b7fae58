//! `cargo xtask chain`: claim 2 over time, the chain reaction with fire sales, funding runs
//! and default costs on both sides (docs/methodology/chain-reaction.md).

use crate::cli::{Table, TaskResult, outln, print_json};

use creditlab_study::chain::{self, ChainSpec, POOL, institutions_failed};
use std::path::PathBuf;

/// Flags of `cargo xtask chain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A chain TOML (docs/schemas/chain-toml.md); the built-in scenarios/chain.toml
    /// without it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The bank book's 99.9% loss (a fraction); without it, the default study's, computed.
    #[arg(long, requires = "defi_loss")]
    bank_loss: Option<f64>,
    /// The DeFi pool's 99.9% depositor loss (a fraction); without it, the default study's.
    #[arg(long, requires = "bank_loss")]
    defi_loss: Option<f64>,
    /// The first tranche's detachment, kept by the originator (default: the default
    /// study's first tranche).
    #[arg(long)]
    retained: Option<f64>,
    /// Seed of the default study the losses are computed from (default: its scenario's).
    #[arg(long, conflicts_with = "bank_loss")]
    seed: Option<u64>,
    #[command(flatten)]
    threads: crate::cli::Threads,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let spec = match &args.config {
        Some(path) => {
            let text = creditlab_study::config::read(path)?;
            ChainSpec::parse(&text, &path.display().to_string())?
        }
        None => ChainSpec::default(),
    };
    let mut scenario = creditlab_study::Scenario::builtin()?;
    scenario.seed = args.seed.unwrap_or(scenario.seed);
    let (bank_loss, retained, defi_loss) = match (args.bank_loss, args.defi_loss) {
        (Some(b), Some(d)) => {
            let r = scenario.loss.tranches.first().map_or(0.0, |t| t[1]);
            (b, r, d)
        }
        _ => {
            let bar = crate::progress::Bars::new(args.json);
            let shocks = || creditlab_study::chain_shocks(&scenario, &bar);
            args.threads.pool()?.install(shocks)?
        }
    };
    let retained = args.retained.unwrap_or(retained);
    for (flag, v) in [
        ("--bank-loss", bank_loss),
        ("--defi-loss", defi_loss),
        ("--retained", retained),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(crate::cli::TaskError::msg(format!(
                "{flag} {v}: must be in [0, 1]"
            )));
        }
    }
    let study = chain::study(&spec, bank_loss, retained, defi_loss)?;
    if args.json {
        return print_json(&chain::json(&study));
    }
    for side in [&study.bank, &study.defi] {
        let vehicle = (side.side == "defi").then_some(POOL);
        outln!(
            "{} side: the book's 99.9% loss {:.4}",
            side.side,
            side.book_loss
        );
        let mut t = Table::new([
            "run",
            "failed",
            "rounds",
            "final price",
            "amplification",
            "DebtRank",
        ]);
        for r in &side.runs {
            let o = &r.outcome;
            t.row([
                r.label.clone(),
                institutions_failed(o, vehicle).to_string(),
                o.rounds.to_string(),
                format!(
                    "{:.4}",
                    o.path.last().map_or(1.0 - r.note_loss, |p| p.price)
                ),
                o.amplification.map_or("-".into(), |a| format!("{a:.3}")),
                format!("{:.4}", o.debtrank),
            ]);
        }
        outln!("{t}");
        for f in &side.central().outcome.failures {
            outln!(
                "  round {}: {} fails ({:?})",
                f.round,
                f.institution,
                f.cause
            );
        }
        let (k, n) = side.plausible_second_failures;
        outln!("  map: a second failure in {k} of {n} plausible points\n");
    }
    Ok(())
}
