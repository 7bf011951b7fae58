//! `cargo xtask loss`: the loss distribution of a portfolio under a copula, by one method
//! (lhp, exact, bet, mc or mc-is).
//!
//! The figures (expected loss, VaR and ES at 99%, 99.9%, 99.97%, tail probabilities,
//! tranches) and the report are `creditlab-contagion`'s (`LossRequest`, `LossReport`,
//! `io::read_portfolio`); this module parses flags and prints. JSON schema:
//! `docs/schemas/loss-json.md`.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use crate::cli::{out, outln};
use crate::guard::Cost;
use creditlab_contagion::io::read_portfolio;
use creditlab_contagion::parse_tranches;
use creditlab_contagion::report::DEFAULT_SCENARIOS;
use creditlab_contagion::shard::{LossShard, ShardSpec, refuse_existing};
use creditlab_contagion::spec::{built_in_book, built_in_book_size, standard_book_size};
use creditlab_contagion::{
    CopulaSpec, CreditRiskPlusSpec, Error, LossMethod, LossReport, LossRequest, Portfolio,
    Tolerance,
};
use std::path::PathBuf;

/// Flags of `cargo xtask loss`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Portfolio CSV with a header: ead, pd, lgd, and optionally lgd_sd (a Beta LGD with
    /// mean lgd), sector, and loadings f1..fk. Conflicts with --book.
    #[arg(long, conflicts_with = "book")]
    portfolio: Option<PathBuf>,
    /// A built-in book: standard:N (N loans, PD 0.5%..10%, EAD 1..7, LGD 45%),
    /// benchmark:N, benchmark:N:SECTORS or benchmark:N:SECTORS:SEED (issue 12's loan tape:
    /// lognormal EAD, a PD per loan from 0.005% to 35%, Beta(4, 5) LGDs; with SECTORS > 1
    /// each loan carries its sector's loadings of the benchmark sector model, use --copula
    /// multi) or glasserman-li (1,000 obligors on 10 factors; use --copula multi).
    #[arg(long, default_value = "standard:1000")]
    book: String,
    /// Method: lhp (Vasicek large pool, pool-average PD and LGD), exact (Andersen-Sidenius-
    /// Basu recursion), bet (binomial expansion), mc (Monte Carlo) or mc-is (importance
    /// sampling for the tail probabilities, Monte Carlo for the rest).
    #[arg(long, default_value = "mc")]
    method: LossMethod,
    /// Copula: gaussian, t:NU, double-t:NU_M,NU_Z, multi (explicit loadings f1..fk from the
    /// portfolio) or multi:FILE (a sector correlation matrix, one CSV row per sector, no
    /// header; sector rho from --rho).
    #[arg(long, default_value = "gaussian")]
    copula: CopulaSpec,
    /// Asset correlation in [0, 1]; for multi:FILE one value for every sector or a
    /// comma-separated value per sector.
    #[arg(long, default_value = "0.2")]
    rho: String,
    /// Tranches as attach-detach fractions of total exposure, comma-separated.
    #[arg(
        long,
        default_value = "0-0.03,0.03-0.07,0.07-0.1,0.1-0.15,0.15-0.3,0.3-1"
    )]
    tranches: String,
    /// Loss levels x (fractions of total exposure) for the tail probabilities P(L > x).
    #[arg(long, default_value = "0.05,0.1,0.2")]
    tail: String,
    /// Monte Carlo scenarios (mc, mc-is).
    #[arg(long, default_value_t = DEFAULT_SCENARIOS)]
    scenarios: u64,
    /// Seed of the random streams (mc, mc-is).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    threads: crate::cli::Threads,
    /// exact: relative accuracy of every reported probability and expectation (a VaR's
    /// distribution function against its level).
    #[arg(long, default_value_t = Tolerance::default().relative)]
    tolerance: f64,
    /// exact: absolute accuracy, for figures too small for the relative one.
    #[arg(long, default_value_t = Tolerance::default().absolute)]
    abs_tolerance: f64,
    /// exact: when the accuracy cannot be reached within the memory and work budget,
    /// return the finest result with its convergence evidence (accuracy.met = false)
    /// instead of refusing.
    #[arg(long)]
    accept_coarser: bool,
    /// exact: work budget, in cell updates of the recursion (a few nanoseconds each).
    #[arg(long, default_value_t = creditlab_contagion::ExactConfig::default().max_work)]
    max_work: f64,
    /// creditrisk+: relative default variance of each sector's gamma factor, one value for
    /// every sector or one per sector (V0,V1,...), sectors from the portfolio's `sector`
    /// column.
    #[arg(long, default_value = "0.5625")]
    sector_variance: String,
    /// creditrisk+: correlation between every pair of sector factors (Burgisser et al.).
    #[arg(long, default_value_t = 0.0)]
    sector_correlation: f64,
    /// creditrisk+: the loss unit, money (default: the largest loss exposure EAD x LGD over
    /// 100).
    #[arg(long)]
    loss_unit: Option<f64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// mc, mc-is: one shard of the scenarios into a partial result (see `merge`).
    #[command(flatten)]
    part: crate::cli::ShardFlags,
}

/// Parses a comma-separated list of numbers for `flag`.
fn parse_list(flag: &str, s: &str) -> Result<Vec<f64>, TaskError> {
    s.split(',')
        .map(|v| {
            let v = v.trim();
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| TaskError::msg(format!("{flag}: {v:?} is not a finite number")))
        })
        .collect()
}

/// The portfolio from `--portfolio` or `--book` (a built-in book, named in the library).
fn portfolio(args: &Args) -> Result<Portfolio, TaskError> {
    if let Some(path) = &args.portfolio {
        return Ok(read_portfolio(path)?);
    }
    built_in_book(&args.book).map_err(|e| match e {
        Error::Spec {
            what: "book",
            text,
            reason,
        } => TaskError::msg(format!("--book: {text:?}: {reason}")),
        e => e.into(),
    })
}

/// Above this many loans, `lhp` on a standard book uses its aggregated form
/// ([`Portfolio::standard_book_aggregated`]); below, the loans themselves (the same figures
/// up to rounding, and the published outputs stay bit-identical).
const AGGREGATE_ABOVE: usize = 1_000_000;

/// The number of loans `--book` asks for, known before any is built (`None` for a file,
/// counted after reading).
fn book_size(args: &Args) -> Option<usize> {
    args.portfolio
        .is_none()
        .then(|| built_in_book_size(&args.book))?
}

/// Memory and time of a run on `n` loans (see crate::guard), calibrated on two cores:
/// about 256 bytes a loan held; Monte Carlo 5 ns per loan and scenario and 16 bytes per
/// scenario (24 with importance sampling); the exact recursion [`exact_seconds`];
/// CreditRisk+ a lattice of up to 100 points a loan; the saddlepoint ten microseconds a loan.
fn cost(args: &Args, request: &LossRequest, n: usize, aggregate: bool) -> Cost {
    let held = if aggregate { 35.0 } else { n as f64 };
    let loans = n as f64;
    let ours = |s: ShardSpec| s.size(request.scenarios);
    let scenarios = args.part.shard.map_or(request.scenarios, ours) as f64;
    let tails = request.tail.len() as f64;
    let (bytes, seconds) = match args.method {
        LossMethod::MonteCarlo => (scenarios * 16.0, scenarios * loans * 5e-9),
        LossMethod::ImportanceSampling => (
            scenarios * 24.0,
            scenarios * loans * 5e-9 * (1.0 + 2.0 * tails),
        ),
        LossMethod::Exact => (0.0, exact_seconds(loans, request.max_work)),
        LossMethod::BinomialExpansion | LossMethod::LargePool => (0.0, held * 1e-7),
        // The lattice (8 bytes a point, at most 100 units a loan with the default unit and
        // 5e7 points), Panjer's sum over up to 100 bands a point.
        LossMethod::CreditRiskPlus => {
            let points = (100.0 * loans).min(5e7);
            (points * 8.0, points * 1e-7)
        }
        // About ten microseconds a loan (cells of nearby thresholds; a second for 100,000
        // loans with its convergence check, docs/methodology/saddlepoint.md).
        LossMethod::Saddlepoint => (0.0, held * 1e-5),
    };
    Cost {
        what: format!(
            "loss --method {} on {n} loans{}",
            args.method,
            match args.method {
                LossMethod::MonteCarlo | LossMethod::ImportanceSampling =>
                    format!(" x {} scenarios", request.scenarios),
                _ => String::new(),
            }
        ),
        bytes: held * 256.0 + bytes,
        seconds: held * 1e-6 + seconds,
    }
}

/// Seconds of the exact recursion on `loans` under the budget `max_work`: a nanosecond an
/// update, 2e10 on the 100,000-loan benchmark tape, 9e8 (0.8 s) on 10,000: `n^1.34`.
pub fn exact_seconds(loans: f64, max_work: f64) -> f64 {
    (2e10 * (loans / 1e5).powf(1.34)).min(max_work) * 1e-9
}

/// Names the flag behind a request field (`tail[1]` is `--tail`).
fn flag_error(e: Error) -> TaskError {
    let flag = match e.field().and_then(|f| f.split('[').next()) {
        Some("scenarios") => "--scenarios",
        Some("tail") => "--tail",
        Some("accuracy.relative") => "--tolerance",
        Some("accuracy.absolute") => "--abs-tolerance",
        Some("accept_coarser") => "--accept-coarser",
        Some("max_work") => "--max-work",
        Some("shard") => "--shard",
        _ => return e.into(),
    };
    TaskError::msg(format!("{flag}: {e}"))
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    if let Some(out) = &args.part.out {
        refuse_existing(out, args.part.force)?;
    }
    let rho = parse_list("--rho", &args.rho)?;
    let tranches =
        parse_tranches(&args.tranches).map_err(|e| TaskError::msg(format!("--tranches: {e}")))?;
    let mut request = LossRequest::new(args.method, args.copula.clone(), rho);
    request.tranches = tranches;
    request.tail = parse_list("--tail", &args.tail)?;
    request.scenarios = args.scenarios;
    request.seed = args.seed;
    request.accuracy = Tolerance {
        relative: args.tolerance,
        absolute: args.abs_tolerance,
    };
    request.accept_coarser = args.accept_coarser;
    request.max_work = args.max_work;
    request.validate().map_err(flag_error)?;
    // A standard book too large to hold is, for the large-pool limit, its 35 distinct
    // loans weighted by their copies: the formula needs only the pool's averages.
    let standard_n = standard_book_size(&args.book).filter(|_| args.portfolio.is_none());
    let aggregate =
        args.method == LossMethod::LargePool && standard_n.is_some_and(|n| n > AGGREGATE_ABOVE);
    let named = book_size(&args);
    if let Some(n) = named {
        crate::guard::check(&cost(&args, &request, n, aggregate))?;
    }
    let portfolio = match standard_n {
        Some(n) if aggregate => Portfolio::standard_book_aggregated(n)?,
        _ => portfolio(&args)?,
    };
    if named.is_none() {
        crate::guard::check(&cost(&args, &request, portfolio.len(), false))?;
    }
    if args.method == LossMethod::CreditRiskPlus {
        let variances = parse_list("--sector-variance", &args.sector_variance)?;
        request.creditrisk = Some(
            CreditRiskPlusSpec::for_portfolio(
                &portfolio,
                &variances,
                args.sector_correlation,
                args.loss_unit,
            )
            .map_err(|e| TaskError::msg(format!("--sector-variance: {e}")))?,
        );
    }
    // The copula is built from two flags; its errors name both.
    let copula = args
        .copula
        .build(&request.rho, &portfolio)
        .map_err(|e| TaskError::msg(format!("--copula {} --rho {}: {e}", args.copula, args.rho)))?;
    let pool = args.threads.pool()?;
    if let (Some(shard), Some(path)) = (args.part.shard, &args.part.out) {
        let part = pool.install(|| LossShard::simulate(&request, &portfolio, &copula, shard));
        return Ok(part.map_err(flag_error)?.write(path, args.part.force)?);
    }
    let mut out = pool
        .install(|| request.run_with(&portfolio, &copula))
        .map_err(flag_error)?;
    if let Some(n) = standard_n.filter(|_| aggregate) {
        out.exposures = n;
    }
    print(&out, args.json)
}

/// Prints a report as `cargo xtask loss` does (a table, or JSON with `json`); `merge`
/// prints a merged run through it too.
pub fn print(out: &LossReport, json: bool) -> TaskResult {
    if json {
        return print_json(out);
    }
    print_table(out)
}

/// `value` or `value ± se`, in percent (scientific notation below 0.01%).
fn pct(value: f64, se: Option<f64>) -> String {
    let one = |v: f64| {
        if v != 0.0 && v.abs() < 1e-4 {
            format!("{:.3e}%", 100.0 * v)
        } else {
            format!("{:.4}%", 100.0 * v)
        }
    };
    match se {
        Some(s) => format!("{} ± {}", one(value), one(s)),
        None => one(value),
    }
}

fn print_table(out: &LossReport) -> TaskResult {
    outln!(
        "{} exposures, total {}, method {}, copula {}",
        out.exposures,
        out.total_exposure,
        out.method,
        out.copula
    );
    let mut t = Table::new(["measure", "value (fraction of total exposure)"]);
    t.row([
        "expected loss".to_string(),
        pct(out.expected_loss, out.expected_loss_std_error),
    ]);
    t.row([
        "unexpected loss".to_string(),
        pct(out.unexpected_loss, out.unexpected_loss_std_error),
    ]);
    for (level, v) in &out.var {
        let s = out
            .var_std_error
            .as_ref()
            .and_then(|m| m.get(level).copied());
        t.row([format!("VaR {level}"), pct(*v, s)]);
    }
    for (level, v) in &out.es {
        let s = out
            .es_std_error
            .as_ref()
            .and_then(|m| m.get(level).copied());
        t.row([format!("ES {level}"), pct(*v, s)]);
    }
    for p in &out.tail {
        let vr = match (p.variance_reduction, out.method) {
            (Some(v), _) => format!(" (variance reduction {v:.0})"),
            (None, LossMethod::ImportanceSampling) => {
                " (variance reduction not defined: zero variance)".to_string()
            }
            (None, _) => String::new(),
        };
        t.row([
            format!("P(L > {})", p.x),
            format!("{}{vr}", pct(p.probability, p.std_error)),
        ]);
    }
    out!("{t}");
    let mut t = Table::new(["tranche", "expected loss", "P(any loss)"]);
    for tr in &out.tranches {
        t.row([
            format!("{}-{}", tr.attach, tr.detach),
            pct(tr.expected_loss, tr.std_error),
            pct(tr.default_probability, tr.default_probability_std_error),
        ]);
    }
    out!("{t}");
    let a = &out.accuracy;
    outln!("accuracy: {}", a.method);
    if let (Some(tol), Some(met)) = (a.requested, a.met) {
        outln!(
            "  requested {:e} relative or {:e} absolute: {}",
            tol.relative,
            tol.absolute,
            if met {
                "met"
            } else {
                "NOT met (coarser result accepted)"
            }
        );
    }
    for line in [&a.grid, &a.quadrature].into_iter().flatten() {
        outln!("  {line}");
    }
    for r in &a.refinements {
        let worst = r
            .figures
            .iter()
            .map(|f| f.error / f.tolerance)
            .fold(0.0, f64::max);
        outln!(
            "  {} refined ({} -> {}): largest change {:.2} of its tolerance",
            r.refined,
            r.from,
            r.to,
            worst
        );
    }
    Ok(())
}
