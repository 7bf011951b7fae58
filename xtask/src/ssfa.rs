//! `cargo xtask ssfa`: Basel securitization risk weight of one tranche (SEC-SA, or
//! SEC-IRBA with `--approach sec-irba`).

use crate::cli::out;
use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_pool::capital::{self, IrbaPool, SecIrba};
use serde::Serialize;

/// Flags of `cargo xtask ssfa`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capital charge of the underlying pool: K_A for SEC-SA, K_IRB for SEC-IRBA, in [0, 1].
    #[arg(long)]
    ka: f64,
    /// Attachment point of the tranche, in [0, 1).
    #[arg(long)]
    attach: f64,
    /// Detachment point of the tranche, in (attach, 1].
    #[arg(long)]
    detach: f64,
    /// A re-securitization exposure (SEC-SA: p = 1.5, floor 100%).
    #[arg(long)]
    resec: bool,
    /// sec-sa (default) or sec-irba.
    #[arg(long, default_value = "sec-sa", value_parser = ["sec-sa", "sec-irba"])]
    approach: String,
    /// SEC-IRBA: effective number of underlying exposures N (>= 1).
    #[arg(long, default_value_t = 100.0)]
    n: f64,
    /// SEC-IRBA: exposure-weighted average LGD of the pool, in [0, 1].
    #[arg(long, default_value_t = 0.45)]
    lgd: f64,
    /// SEC-IRBA: tranche maturity M_T in years (clamped to [1, 5]).
    #[arg(long, default_value_t = 5.0)]
    maturity: f64,
    /// SEC-IRBA: wholesale or retail pool.
    #[arg(long, default_value = "wholesale", value_parser = ["wholesale", "retail"])]
    pool: String,
    /// SEC-IRBA: the tranche is senior.
    #[arg(long)]
    senior: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Output {
    approach: String,
    ka: f64,
    attach: f64,
    detach: f64,
    resecuritization: bool,
    /// SEC-IRBA's supervisory parameter p (1 or 1.5 under SEC-SA).
    p: f64,
    /// Risk weight as a multiple (1.0 = 100%).
    risk_weight: f64,
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let (p, risk_weight) = if args.approach == "sec-irba" {
        if args.resec {
            return Err(TaskError::msg(
                "--resec: re-securitizations are not eligible for SEC-IRBA (use --approach sec-sa)",
            ));
        }
        let t = SecIrba {
            kirb: args.ka,
            attach: args.attach,
            detach: args.detach,
            n: args.n,
            lgd: args.lgd,
            maturity: args.maturity,
            pool: if args.pool == "retail" {
                IrbaPool::Retail
            } else {
                IrbaPool::Wholesale
            },
            senior: args.senior,
        };
        (
            t.p().map_err(flag_error)?,
            t.risk_weight().map_err(flag_error)?,
        )
    } else {
        let rw = capital::sec_sa_risk_weight(args.ka, args.attach, args.detach, args.resec)
            .map_err(flag_error)?;
        (capital::sec_sa_p(args.resec), rw)
    };
    let out = Output {
        approach: args.approach,
        ka: args.ka,
        attach: args.attach,
        detach: args.detach,
        resecuritization: args.resec,
        p,
        risk_weight,
    };
    if args.json {
        return print_json(&out);
    }
    let mut t = Table::new(["approach", "K", "attach", "detach", "p", "risk weight"]);
    t.row([
        out.approach.clone(),
        format!("{:.4}", out.ka),
        format!("{:.4}", out.attach),
        format!("{:.4}", out.detach),
        format!("{:.4}", out.p),
        format!("{:.2}%", 100.0 * out.risk_weight),
    ]);
    out!("{t}");
    Ok(())
}

/// The flag behind each field a SEC-SA or SEC-IRBA error can name.
const FLAGS: [(&str, &str); 8] = [
    ("ka", "--ka"),
    ("kirb", "--ka"),
    ("k", "--ka"),
    ("attach", "--attach"),
    ("detach", "--detach"),
    ("lgd", "--lgd"),
    ("maturity", "--maturity"),
    ("n", "--n"),
];

fn flag_error(e: creditlab_pool::PoolError) -> TaskError {
    crate::pricing::flag_error(e, &FLAGS)
}
