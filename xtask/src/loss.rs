//! `cargo xtask loss`: the loss distribution of a portfolio under a copula, by one method
//! (lhp, exact, bet, mc or mc-is).
//!
//! The figures (expected loss, VaR and ES at 99%, 99.9%, 99.97%, tail probabilities,
//! tranches) are computed by `creditlab-contagion`; this module parses flags and files and
//! prints. JSON schema: `docs/schemas/loss-json.md`.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_contagion::bet::BinomialExpansion;
use creditlab_contagion::copula::MultiFactor;
use creditlab_contagion::distribution::STANDARD_LEVELS;
use creditlab_contagion::importance::ImportanceSampler;
use creditlab_contagion::lhp::LargePool;
use creditlab_contagion::mc::MonteCarlo;
use creditlab_contagion::{Copula, Estimate, Exposure, Lgd, LossSummary, Portfolio, Tranche};
use creditlab_contagion::{ExactConfig, ExactLoss};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Flags of `cargo xtask loss`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Portfolio CSV with a header: ead, pd, lgd, and optionally lgd_sd (a Beta LGD with
    /// mean lgd), sector, and loadings f1..fk. Conflicts with --book.
    #[arg(long, conflicts_with = "book")]
    portfolio: Option<PathBuf>,
    /// A built-in book: standard:N (N loans, PD 0.5%..10%, EAD 1..7, LGD 45%) or
    /// glasserman-li (1,000 obligors on 10 factors; use --copula multi).
    #[arg(long, default_value = "standard:1000")]
    book: String,
    /// Method: lhp (Vasicek large pool, pool-average PD and LGD), exact (Andersen-Sidenius-
    /// Basu recursion), bet (binomial expansion), mc (Monte Carlo) or mc-is (importance
    /// sampling for the tail probabilities, Monte Carlo for the rest).
    #[arg(long, default_value = "mc")]
    method: String,
    /// Copula: gaussian, t:NU, double-t:NU_M,NU_Z, multi (explicit loadings f1..fk from the
    /// portfolio) or multi:FILE (a sector correlation matrix, one CSV row per sector, no
    /// header; sector rho from --rho).
    #[arg(long, default_value = "gaussian")]
    copula: String,
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
    #[arg(long, default_value_t = 100_000)]
    scenarios: u64,
    /// Seed of the random streams (mc, mc-is).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// One tail probability in the output.
#[derive(Debug, Serialize)]
struct TailOut {
    x: f64,
    probability: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    std_error: Option<f64>,
    /// Importance sampling only: plain MC variance / IS variance per scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    variance_reduction: Option<f64>,
}

/// One tranche in the output.
#[derive(Debug, Serialize)]
struct TrancheOut {
    attach: f64,
    detach: f64,
    expected_loss: f64,
    default_probability: f64,
    /// Standard error of `expected_loss` (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    std_error: Option<f64>,
    /// Standard error of `default_probability` (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    default_probability_std_error: Option<f64>,
}

/// What `--json` prints (schema in docs/schemas/loss-json.md).
#[derive(Debug, Serialize)]
struct Output {
    method: String,
    copula: String,
    exposures: usize,
    total_exposure: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenarios: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    expected_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_loss_std_error: Option<f64>,
    unexpected_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    unexpected_loss_std_error: Option<f64>,
    var: BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    var_std_error: Option<BTreeMap<String, f64>>,
    es: BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    es_std_error: Option<BTreeMap<String, f64>>,
    tail: Vec<TailOut>,
    tranches: Vec<TrancheOut>,
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

/// Parses `--tranches`.
fn parse_tranches(s: &str) -> Result<Vec<Tranche>, TaskError> {
    s.split(',')
        .map(|item| {
            let item = item.trim();
            let bad = |why: String| TaskError::msg(format!("--tranches: {item:?}: {why}"));
            let (a, d) = item
                .split_once('-')
                .ok_or_else(|| bad("expected ATTACH-DETACH, e.g. 0.03-0.07".into()))?;
            let num = |v: &str| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| bad(format!("{v:?} is not a number")))
            };
            Tranche::new(num(a)?, num(d)?).map_err(|e| bad(e.to_string()))
        })
        .collect()
}

/// Parses `--rho` (one value, or one per sector for multi:FILE).
fn parse_rho(s: &str) -> Result<Vec<f64>, TaskError> {
    let rho = parse_list("--rho", s)?;
    if let Some(r) = rho.iter().find(|r| !(0.0..=1.0).contains(*r)) {
        return Err(TaskError::msg(format!("--rho: {r} is outside [0, 1]")));
    }
    Ok(rho)
}

/// The one-factor rho, refusing a per-sector list.
fn single_rho(rho: &[f64]) -> Result<f64, TaskError> {
    match rho {
        [r] => Ok(*r),
        _ => Err(TaskError::msg(
            "--rho: a list of values is only meaningful with --copula multi:FILE",
        )),
    }
}

/// Parses a `--copula` value into the copula (validated against the portfolio later).
fn parse_copula(s: &str, rho: &[f64], portfolio: &Portfolio) -> Result<Copula, TaskError> {
    let num = |v: &str, what: &str| {
        v.trim()
            .parse::<f64>()
            .map_err(|_| TaskError::msg(format!("--copula: {what} {v:?} is not a number")))
    };
    let copula = if s == "gaussian" {
        Copula::gaussian(single_rho(rho)?)
    } else if let Some(nu) = s.strip_prefix("t:") {
        Copula::student_t(single_rho(rho)?, num(nu, "nu")?)
    } else if let Some(rest) = s.strip_prefix("double-t:") {
        let (m, z) = rest
            .split_once(',')
            .ok_or_else(|| TaskError::msg("--copula: expected double-t:NU_M,NU_Z"))?;
        Copula::double_t(single_rho(rho)?, num(m, "nu_m")?, num(z, "nu_z")?)
    } else if s == "multi" {
        if portfolio.n_factors() == 0 {
            return Err(TaskError::msg(
                "--copula multi needs loadings columns f1..fk in the portfolio \
                 (or use multi:FILE with a sector correlation matrix)",
            ));
        }
        Ok(Copula::MultiFactor(MultiFactor::explicit(
            portfolio.n_factors(),
        )))
        .map_err(|e: creditlab_contagion::Error| e)
    } else if let Some(file) = s.strip_prefix("multi:") {
        let corr = read_matrix(Path::new(file))?;
        let k = corr.nrows();
        let rho = match rho {
            [r] => vec![*r; k],
            _ => rho.to_vec(),
        };
        MultiFactor::from_sectors(&rho, &corr).map(Copula::MultiFactor)
    } else {
        return Err(TaskError::msg(format!(
            "--copula: unknown {s:?}: expected gaussian, t:NU, double-t:NU_M,NU_Z, multi or \
             multi:FILE"
        )));
    };
    copula.map_err(|e| TaskError::msg(format!("--copula {s}: {e}")))
}

/// Reads a square correlation matrix: one CSV row per sector, no header.
fn read_matrix(path: &Path) -> Result<nalgebra::DMatrix<f64>, TaskError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| TaskError::msg(format!("{}: {e}", path.display())))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| TaskError::msg(format!("{}: {e}", path.display())))?;
        let row = rec
            .iter()
            .enumerate()
            .map(|(j, v)| {
                v.parse::<f64>().map_err(|_| {
                    TaskError::msg(format!(
                        "{}: row {}, column {}: {v:?} is not a number",
                        path.display(),
                        i + 1,
                        j + 1
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    let k = rows.len();
    if k == 0 || rows.iter().any(|r| r.len() != k) {
        return Err(TaskError::msg(format!(
            "{}: the correlation matrix must be square ({k} rows)",
            path.display()
        )));
    }
    Ok(nalgebra::DMatrix::from_fn(k, k, |i, j| rows[i][j]))
}

/// Reads a portfolio CSV; errors name the line (the header is line 1) and column.
fn read_portfolio(path: &Path) -> Result<Portfolio, TaskError> {
    let shown = path.display();
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| TaskError::msg(format!("{shown}: {e}")))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| TaskError::msg(format!("{shown}: {e}")))?
        .iter()
        .map(str::to_lowercase)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        col(name)
            .ok_or_else(|| TaskError::msg(format!("{shown}: no column {name:?} in the header")))
    };
    let (ead_c, pd_c, lgd_c) = (need("ead")?, need("pd")?, need("lgd")?);
    let (sd_c, sector_c) = (col("lgd_sd"), col("sector"));
    let mut factors = Vec::new();
    while let Some(c) = col(&format!("f{}", factors.len() + 1)) {
        factors.push(c);
    }
    let mut exposures = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| TaskError::msg(format!("{shown}: line {line}: {e}")))?;
        let cell = |c: usize| -> Result<f64, TaskError> {
            let v = rec.get(c).unwrap_or("");
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    TaskError::msg(format!(
                        "{shown}: line {line}, column {}: {v:?} is not a finite number",
                        header[c]
                    ))
                })
        };
        let in_unit = |c: usize| -> Result<f64, TaskError> {
            let v = cell(c)?;
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(TaskError::msg(format!(
                    "{shown}: line {line}, column {}: {v} is outside [0, 1]",
                    header[c]
                )))
            }
        };
        let ead = cell(ead_c)?;
        if ead < 0.0 {
            return Err(TaskError::msg(format!(
                "{shown}: line {line}, column ead: {ead} is negative"
            )));
        }
        let pd = in_unit(pd_c)?;
        let lgd_mean = in_unit(lgd_c)?;
        let lgd = match sd_c {
            Some(c) if cell(c)? > 0.0 => Lgd::Beta {
                mean: lgd_mean,
                std_dev: cell(c)?,
            },
            _ => Lgd::Constant(lgd_mean),
        };
        let mut e = Exposure::new(ead, pd, lgd);
        if let Some(c) = sector_c {
            let v = rec.get(c).unwrap_or("");
            e.sector = v.parse().map_err(|_| {
                TaskError::msg(format!(
                    "{shown}: line {line}, column sector: {v:?} is not a sector index (0, 1, ...)"
                ))
            })?;
        }
        if !factors.is_empty() {
            e.loadings = Some(factors.iter().map(|&c| cell(c)).collect::<Result<_, _>>()?);
        }
        // Validate this row alone so the error names its line (the book is checked again
        // as a whole below).
        if ead > 0.0
            && let Err(err) = Portfolio::new([e.clone()])
        {
            let msg = err.to_string().replace("exposure 0: ", "");
            return Err(TaskError::msg(format!("{shown}: line {line}: {msg}")));
        }
        exposures.push(e);
    }
    Portfolio::new(exposures).map_err(|e| TaskError::msg(format!("{shown}: {e}")))
}

/// The portfolio from `--portfolio` or `--book`.
fn portfolio(args: &Args) -> Result<Portfolio, TaskError> {
    if let Some(path) = &args.portfolio {
        return read_portfolio(path);
    }
    if args.book == "glasserman-li" {
        return Ok(creditlab_contagion::importance::glasserman_li_portfolio()?.0);
    }
    let n = args
        .book
        .strip_prefix("standard:")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            TaskError::msg(format!(
                "--book: {:?}: expected standard:N with N >= 1, or glasserman-li",
                args.book
            ))
        })?;
    Ok(Portfolio::standard_book(n)?)
}

fn se(e: Estimate) -> Option<f64> {
    e.std_error
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let rho = parse_rho(&args.rho)?;
    let tranches = parse_tranches(&args.tranches)?;
    let tail = parse_list("--tail", &args.tail)?;
    if let Some(x) = tail.iter().find(|x| !(0.0..1.0).contains(*x)) {
        return Err(TaskError::msg(format!("--tail: {x} is outside [0, 1)")));
    }
    if args.scenarios == 0 {
        return Err(TaskError::msg("--scenarios must be at least 1"));
    }
    if args.threads == Some(0) {
        return Err(TaskError::msg("--threads must be at least 1"));
    }
    let portfolio = portfolio(&args)?;
    let copula = parse_copula(&args.copula, &rho, &portfolio)?;
    copula.check_portfolio(&portfolio)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|e| TaskError::msg(format!("--threads: {e}")))?;
    let out = pool.install(|| compute(&args, &portfolio, &copula, &tranches, &tail))?;
    if args.json {
        return print_json(&out);
    }
    print_table(&out);
    Ok(())
}

/// Runs the method and assembles the output.
fn compute(
    args: &Args,
    portfolio: &Portfolio,
    copula: &Copula,
    tranches: &[Tranche],
    tail: &[f64],
) -> Result<Output, TaskError> {
    let simulated = matches!(args.method.as_str(), "mc" | "mc-is");
    let (summary, is_tail) = match args.method.as_str() {
        "mc" | "mc-is" => {
            let dist = MonteCarlo::new(portfolio, copula)?.run(args.seed, args.scenarios);
            let summary = LossSummary::of(&dist, &STANDARD_LEVELS, tail, tranches);
            let is_tail = if args.method == "mc-is" {
                let mut v = Vec::new();
                for &x in tail {
                    let is = ImportanceSampler::new(portfolio, copula, x)?;
                    v.push(is.run(args.seed, args.scenarios));
                }
                Some(v)
            } else {
                None
            };
            (summary, is_tail)
        }
        "lhp" => {
            // Vasicek's large pool with the portfolio's loss-weighted PD and EAD-weighted
            // LGD (exact parameters for a homogeneous pool).
            let dist = LargePool::pool_average(portfolio, copula)?;
            (
                LossSummary::of(&dist, &STANDARD_LEVELS, tail, tranches),
                None,
            )
        }
        "exact" => {
            // Andersen-Sidenius-Basu recursion with the default settings (64 Gauss-Hermite
            // nodes; see docs/methodology/exact-recursion.md).
            let dist = ExactLoss::new(portfolio, copula, &ExactConfig::default())?;
            (
                LossSummary::of(&dist, &STANDARD_LEVELS, tail, tranches),
                None,
            )
        }
        "bet" => {
            // Moody's binomial expansion with the copula-implied diversity score.
            let dist = BinomialExpansion::new(portfolio, copula)?;
            (
                LossSummary::of(&dist, &STANDARD_LEVELS, tail, tranches),
                None,
            )
        }
        other => {
            return Err(TaskError::msg(format!(
                "--method: unknown {other:?}: expected lhp, exact, bet, mc or mc-is"
            )));
        }
    };
    let by_level = |v: &[creditlab_contagion::distribution::AtLevel], err: bool| {
        v.iter()
            .filter_map(|a| {
                let value = if err {
                    a.estimate.std_error?
                } else {
                    a.estimate.value
                };
                Some((format!("{}", a.level), value))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let tail_out = match &is_tail {
        Some(is) => is
            .iter()
            .map(|t| TailOut {
                x: t.x,
                probability: t.probability.value,
                std_error: se(t.probability),
                variance_reduction: Some(t.variance_reduction),
            })
            .collect(),
        None => summary
            .tail
            .iter()
            .map(|t| TailOut {
                x: t.x,
                probability: t.probability.value,
                std_error: se(t.probability),
                variance_reduction: None,
            })
            .collect(),
    };
    Ok(Output {
        method: args.method.clone(),
        copula: args.copula.clone(),
        exposures: portfolio.len(),
        total_exposure: portfolio.total_ead(),
        scenarios: simulated.then_some(args.scenarios),
        seed: simulated.then_some(args.seed),
        expected_loss: summary.expected_loss.value,
        expected_loss_std_error: se(summary.expected_loss),
        unexpected_loss: summary.unexpected_loss.value,
        unexpected_loss_std_error: se(summary.unexpected_loss),
        var: by_level(&summary.var, false),
        var_std_error: simulated.then(|| by_level(&summary.var, true)),
        es: by_level(&summary.es, false),
        es_std_error: simulated.then(|| by_level(&summary.es, true)),
        tail: tail_out,
        tranches: summary
            .tranches
            .iter()
            .map(|t| TrancheOut {
                attach: t.tranche.attach(),
                detach: t.tranche.detach(),
                expected_loss: t.expected_loss.value,
                default_probability: t.default_probability.value,
                std_error: se(t.expected_loss),
                default_probability_std_error: se(t.default_probability),
            })
            .collect(),
    })
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

fn print_table(out: &Output) {
    println!(
        "{} exposures, total {}, method {}, copula {}",
        out.exposures, out.total_exposure, out.method, out.copula
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
        let vr = p
            .variance_reduction
            .map(|v| format!(" (variance reduction {v:.0})"))
            .unwrap_or_default();
        t.row([
            format!("P(L > {})", p.x),
            format!("{}{vr}", pct(p.probability, p.std_error)),
        ]);
    }
    print!("{t}");
    let mut t = Table::new(["tranche", "expected loss", "P(any loss)"]);
    for tr in &out.tranches {
        t.row([
            format!("{}-{}", tr.attach, tr.detach),
            pct(tr.expected_loss, tr.std_error),
            pct(tr.default_probability, tr.default_probability_std_error),
        ]);
    }
    print!("{t}");
}
