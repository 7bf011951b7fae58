//! `cargo xtask tranche-spread` and `cargo xtask ntd`: fair running spreads of synthetic
//! tranches and nth-to-default baskets of a homogeneous pool in a one-factor copula.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_contagion::{Copula, CopulaSpec, Tranche};
use creditlab_pool::pricing::{self, HomogeneousBasket, Schedule};
use serde::Serialize;

/// The basket and market flags both tasks share.
#[derive(Debug, clap::Args)]
pub struct Market {
    /// Number of names in the basket (equal notional).
    #[arg(long)]
    names: usize,
    /// Flat hazard rate per year of every name (default by t with probability 1 - e^(-h t)).
    #[arg(long, allow_negative_numbers = true)]
    hazard: f64,
    /// Recovery rate, in [0, 1).
    #[arg(long)]
    recovery: f64,
    /// Maturity in years.
    #[arg(long)]
    maturity: f64,
    /// Flat continuously compounded discount rate.
    #[arg(long, allow_negative_numbers = true)]
    rate: f64,
    /// Asset correlation, in [0, 1].
    #[arg(long)]
    rho: f64,
    /// Copula: gaussian, t:NU or double-t:NU_M,NU_Z.
    #[arg(long, default_value = "gaussian")]
    copula: String,
    /// Premium payments per year.
    #[arg(long, default_value_t = 4)]
    frequency: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

impl Market {
    fn basket(&self) -> Result<(HomogeneousBasket, Schedule), TaskError> {
        let copula = parse_copula(&self.copula, self.rho)?;
        let basket = HomogeneousBasket::new(self.names, self.hazard, self.recovery, copula)
            .map_err(|e| flagged(e, &["names", "hazard", "recovery"]))?;
        let schedule = Schedule::new(self.maturity, self.frequency, self.rate)
            .map_err(|e| flagged(e, &["maturity", "rate"]))?;
        Ok((basket, schedule))
    }
}

/// Rewrites `invalid FIELD` as `invalid --FIELD` for the fields that are flags.
fn flagged(e: creditlab_pool::PoolError, fields: &[&str]) -> TaskError {
    let mut text = e.to_string();
    for f in fields {
        text = text.replace(&format!("invalid {f}:"), &format!("invalid --{f}:"));
    }
    if text.contains("payments_per_year") {
        text = text.replace("payments_per_year", "--frequency");
    }
    TaskError::msg(text)
}

/// The one-factor copula of `--copula` at `--rho`; the error names the flag at fault.
pub(crate) fn one_factor_copula(spec: &CopulaSpec, rho: f64) -> Result<Copula, TaskError> {
    spec.one_factor(rho).map_err(|e| {
        let flag = match &e {
            creditlab_contagion::Error::InvalidParameter { field, .. } if field == "rho" => "--rho",
            _ => "--copula",
        };
        TaskError::msg(format!("{flag}: {e}"))
    })
}

/// Parses `--copula` with correlation `rho`.
fn parse_copula(s: &str, rho: f64) -> Result<Copula, TaskError> {
    let bad = |why: &str| TaskError::msg(format!("--copula {s:?}: {why}"));
    let num = |v: &str| -> Result<f64, TaskError> {
        v.trim()
            .parse::<f64>()
            .map_err(|_| bad(&format!("{v:?} is not a number")))
    };
    if !(rho.is_finite() && (0.0..=1.0).contains(&rho)) {
        return Err(TaskError::msg(format!(
            "--rho must be in [0, 1], got {rho}"
        )));
    }
    let copula = if s == "gaussian" {
        Copula::gaussian(rho)
    } else if let Some(nu) = s.strip_prefix("t:") {
        Copula::student_t(rho, num(nu)?)
    } else if let Some(nus) = s.strip_prefix("double-t:") {
        let (m, z) = nus
            .split_once(',')
            .ok_or_else(|| bad("expected double-t:NU_M,NU_Z"))?;
        Copula::double_t(rho, num(m)?, num(z)?)
    } else {
        return Err(bad("expected gaussian, t:NU or double-t:NU_M,NU_Z"));
    };
    copula.map_err(|e| bad(&e.to_string()))
}

/// Parses `--tranches 0-0.03,0.03-0.06`.
fn parse_tranches(s: &str) -> Result<Vec<Tranche>, TaskError> {
    s.split(',')
        .map(|part| {
            let bad = |why: String| TaskError::msg(format!("--tranches {part:?}: {why}"));
            let (a, d) = part
                .trim()
                .split_once('-')
                .ok_or_else(|| bad("expected ATTACH-DETACH, e.g. 0.03-0.06".into()))?;
            let a: f64 = a
                .parse()
                .map_err(|_| bad(format!("attachment {a:?} is not a number")))?;
            let d: f64 = d
                .parse()
                .map_err(|_| bad(format!("detachment {d:?} is not a number")))?;
            Tranche::new(a, d).map_err(|e| bad(e.to_string()))
        })
        .collect()
}

/// Flags of `cargo xtask tranche-spread`.
#[derive(Debug, clap::Args)]
pub struct SpreadArgs {
    #[command(flatten)]
    market: Market,
    /// Tranches as ATTACH-DETACH fractions of the pool, comma separated.
    #[arg(long, default_value = "0-0.03,0.03-0.06,0.06-0.1,0.1-1")]
    tranches: String,
}

#[derive(Debug, Serialize)]
struct TrancheOut {
    attach: f64,
    detach: f64,
    fair_spread_bp: f64,
    protection_leg: f64,
    premium_leg_per_unit_spread: f64,
}

#[derive(Debug, Serialize)]
struct SpreadOutput {
    names: usize,
    hazard: f64,
    recovery: f64,
    maturity: f64,
    rate: f64,
    rho: f64,
    copula: String,
    tranches: Vec<TrancheOut>,
}

/// Runs `tranche-spread`.
pub fn run_spread(args: SpreadArgs) -> TaskResult {
    let tranches = parse_tranches(&args.tranches)?;
    let m = &args.market;
    let (basket, schedule) = m.basket()?;
    let tranches: Vec<TrancheOut> = tranches
        .into_iter()
        .map(|t| {
            let legs = pricing::tranche_legs(&basket, t, &schedule);
            TrancheOut {
                attach: t.attach(),
                detach: t.detach(),
                fair_spread_bp: legs.fair_spread * 1e4,
                protection_leg: legs.protection,
                premium_leg_per_unit_spread: legs.premium_per_unit_spread,
            }
        })
        .collect();
    let out = SpreadOutput {
        names: m.names,
        hazard: m.hazard,
        recovery: m.recovery,
        maturity: m.maturity,
        rate: m.rate,
        rho: m.rho,
        copula: m.copula.clone(),
        tranches,
    };
    if m.json {
        return print_json(&out);
    }
    let mut t = Table::new(["tranche", "fair spread (bp)", "protection", "RPV01"]);
    for tr in &out.tranches {
        t.row([
            format!("{}-{}", tr.attach, tr.detach),
            format!("{:.1}", tr.fair_spread_bp),
            format!("{:.6}", tr.protection_leg),
            format!("{:.4}", tr.premium_leg_per_unit_spread),
        ]);
    }
    print!("{t}");
    Ok(())
}

/// Flags of `cargo xtask ntd`.
#[derive(Debug, clap::Args)]
pub struct NtdArgs {
    #[command(flatten)]
    market: Market,
}

#[derive(Debug, Serialize)]
struct NtdOutput {
    names: usize,
    hazard: f64,
    recovery: f64,
    maturity: f64,
    rate: f64,
    rho: f64,
    copula: String,
    /// Fair spread of the n-th-to-default swap, n = 1 ... names.
    spreads_bp: Vec<f64>,
}

/// Runs `ntd`.
pub fn run_ntd(args: NtdArgs) -> TaskResult {
    let m = &args.market;
    if m.names > 1000 {
        return Err(TaskError::msg(format!(
            "--names {}: an nth-to-default basket has at most 1000 names",
            m.names
        )));
    }
    let (basket, schedule) = m.basket()?;
    let spreads_bp: Vec<f64> = pricing::nth_to_default_legs(&basket, &schedule)
        .iter()
        .map(|l| l.fair_spread * 1e4)
        .collect();
    let out = NtdOutput {
        names: m.names,
        hazard: m.hazard,
        recovery: m.recovery,
        maturity: m.maturity,
        rate: m.rate,
        rho: m.rho,
        copula: m.copula.clone(),
        spreads_bp,
    };
    if m.json {
        return print_json(&out);
    }
    let mut t = Table::new(["n", "fair spread (bp)"]);
    for (k, s) in out.spreads_bp.iter().enumerate() {
        t.row([format!("{}", k + 1), format!("{s:.2}")]);
    }
    print!("{t}");
    Ok(())
}
