//! `cargo xtask cdo2`: a CDO squared against the same exposures held directly, at several
//! correlations (creditlab-pool's `compare_cdo_squared`; docs/schemas/cdo2-json.md).
//!
//! `pools` homogeneous pools of `names` loans share one factor (`--copula`, Gaussian by
//! default); the same
//! mezzanine tranche is cut from each and their average loss is tranched again. For each
//! correlation the task prints the expected loss, default probability and master-scale
//! rating of one mezzanine tranche, of all of them held directly, and of every note of the
//! CDO squared; then how much each note's default probability grows from the first
//! correlation to the last.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use crate::cli::{out, outln};
use crate::guard::Cost;
use creditlab_contagion::{CopulaSpec, Tranche, parse_tranches};
use creditlab_grade::MasterScale;
use creditlab_pool::resec::{CdoSquaredAtRho, RatedNote};
use creditlab_pool::{CdoSquaredParams, compare_cdo_squared};

/// Flags of `cargo xtask cdo2`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of underlying pools.
    #[arg(long, default_value_t = 10)]
    pools: usize,
    /// Loans per underlying pool.
    #[arg(long, default_value_t = 100)]
    names: usize,
    /// Default probability of each loan over the horizon.
    #[arg(long, default_value_t = 0.05)]
    pd: f64,
    /// Loss given default.
    #[arg(long, default_value_t = 0.5)]
    lgd: f64,
    /// Horizon in years (of the PD and of the ratings).
    #[arg(long, default_value_t = 5.0)]
    horizon: f64,
    /// The mezzanine tranche cut from every pool, ATTACH-DETACH.
    #[arg(long, default_value = "0.04-0.08")]
    mezzanine: String,
    /// The CDO squared's notes, ATTACH-DETACH of its collateral, junior first, comma
    /// separated, tiling 0 to 1.
    #[arg(long, default_value = "0-0.3,0.3-1")]
    tranches: String,
    /// Asset correlations to compare, comma separated (two or more show the effect).
    #[arg(long, default_value = "0.05,0.3")]
    rho: String,
    /// Monte Carlo scenarios per correlation.
    #[arg(long, default_value_t = 40_000)]
    scenarios: u64,
    /// One-factor copula of the common factor, taken at every correlation: gaussian, t:NU
    /// or double-t:NU_M,NU_Z.
    #[arg(long, default_value = "gaussian")]
    copula: CopulaSpec,
    /// Seed (the same factor draws at every correlation).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[command(flatten)]
    threads: crate::cli::Threads,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let mezzanine: Tranche = args
        .mezzanine
        .parse()
        .map_err(|e| TaskError::msg(format!("--mezzanine: {e}")))?;
    let tranches =
        parse_tranches(&args.tranches).map_err(|e| TaskError::msg(format!("--tranches: {e}")))?;
    // Each note is named by its text, e.g. "0.3-1".
    let outer = args
        .tranches
        .split(',')
        .zip(tranches)
        .map(|(text, t)| (text.trim().to_string(), t.attach(), t.detach()))
        .collect();
    let rhos = args
        .rho
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| TaskError::msg(format!("--rho {v:?} is not a number")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let params = CdoSquaredParams {
        pools: args.pools,
        names: args.names,
        pd: args.pd,
        lgd: args.lgd,
        horizon: args.horizon,
        mezzanine_attach: mezzanine.attach(),
        mezzanine_detach: mezzanine.detach(),
        outer,
        copula: args.copula,
        rhos,
        scenarios: args.scenarios,
        seed: args.seed,
    };
    // Every scenario draws every pool's loans: about 1.5 ns per loan and scenario on two
    // cores; the pools' losses per scenario are held (8 bytes each).
    let draws = (args.pools * args.names) as f64 * args.scenarios as f64 * params.rhos.len() as f64;
    crate::guard::check(&Cost {
        what: format!(
            "cdo2 --pools {} --names {} --scenarios {}",
            args.pools, args.names, args.scenarios
        ),
        bytes: args.pools as f64 * args.scenarios as f64 * 8.0,
        seconds: draws * 1.5e-9,
    })?;
    let pool = args.threads.pool()?;
    let c = pool.install(|| compare_cdo_squared(&params, &MasterScale::standard()))?;
    if args.json {
        return print_json(&c);
    }
    outln!(
        "CDO squared: {} pools x {} loans (PD {} over {} years, LGD {}), mezzanine {}-{} of \
         each, {} copula, {} scenarios per correlation",
        params.pools,
        params.names,
        params.pd,
        params.horizon,
        params.lgd,
        params.mezzanine_attach,
        params.mezzanine_detach,
        params.copula,
        params.scenarios
    );
    let notes = |r: &CdoSquaredAtRho| -> Vec<RatedNote> {
        let mut v = vec![
            r.single_mezzanine.clone(),
            r.mezzanine_held_directly.clone(),
        ];
        v.extend(r.outer.iter().cloned().map(|mut n| {
            n.name = format!("CDO^2 note {}", n.name);
            n
        }));
        v
    };
    for r in &c.by_rho {
        outln!("\nrho {}", r.rho);
        let mut t = Table::new(["note", "expected loss", "P(any loss)", "rating"]);
        for n in notes(r) {
            t.row([
                n.name,
                format!("{:.6}", n.expected_loss),
                format!("{:.6}", n.default_probability),
                n.rating.to_string(),
            ]);
        }
        out!("{t}");
    }
    if let (Some(first), Some(last)) = (c.by_rho.first(), c.by_rho.last())
        && c.by_rho.len() > 1
    {
        outln!(
            "\nfrom rho {} to rho {} (re-tranching concentrates correlation risk in the senior \
             notes)",
            first.rho,
            last.rho
        );
        let mut t = Table::new(["note", "P(any loss) x", "expected loss x", "rating"]);
        let ratio = |a: f64, b: f64| {
            if a > 0.0 {
                format!("{:.2}", b / a)
            } else {
                "- (zero at the first rho)".into()
            }
        };
        for (a, b) in notes(first).into_iter().zip(notes(last)) {
            t.row([
                a.name,
                ratio(a.default_probability, b.default_probability),
                ratio(a.expected_loss, b.expected_loss),
                format!("{} -> {}", a.rating, b.rating),
            ]);
        }
        out!("{t}");
    }
    Ok(())
}
