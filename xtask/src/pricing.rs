//! `cargo xtask tranche-spread` and `cargo xtask ntd`: fair running spreads of synthetic
//! tranches and nth-to-default baskets of a homogeneous pool in a one-factor copula.

use crate::cli::out;
use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_contagion::{Copula, CopulaSpec, parse_tranches};
use creditlab_pool::PoolError;
use creditlab_pool::pricing::{self, HomogeneousBasket, Schedule, TrancheQuote};
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
    /// One-factor copula: gaussian, t:NU or double-t:NU_M,NU_Z.
    #[arg(long, default_value = "gaussian")]
    copula: CopulaSpec,
    /// Premium payments per year.
    #[arg(long, default_value_t = 4)]
    frequency: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

impl Market {
    /// What pricing the basket costs (crate::guard): the loss recursion is quadratic in the
    /// names, once per payment date and factor node; about 2e-8 s per name squared and
    /// date on two cores (500 names over 20 dates: 0.1 s), `tranches` legs each.
    fn check_cost(&self, task: &str, legs: usize) -> TaskResult {
        let dates = (self.maturity.max(0.0) * f64::from(self.frequency))
            .ceil()
            .max(1.0);
        let names = self.names as f64;
        crate::guard::check(&crate::guard::Cost {
            what: format!("{task} --names {} over {dates} dates", self.names),
            bytes: names * dates * 8.0 * 4.0,
            seconds: 2e-8 * names * names * dates * (legs as f64 / 3.0).max(1.0),
        })
    }

    fn basket(&self) -> Result<(HomogeneousBasket, Schedule), TaskError> {
        let copula = one_factor_copula(&self.copula, self.rho)?;
        let basket = HomogeneousBasket::new(self.names, self.hazard, self.recovery, copula)
            .map_err(|e| {
                flag_error(
                    e,
                    &[
                        ("names", "--names"),
                        ("hazard", "--hazard"),
                        ("recovery", "--recovery"),
                    ],
                )
            })?;
        let schedule = Schedule::new(self.maturity, self.frequency, self.rate).map_err(|e| {
            flag_error(
                e,
                &[
                    ("maturity", "--maturity"),
                    ("rate", "--rate"),
                    ("payments_per_year", "--frequency"),
                ],
            )
        })?;
        Ok((basket, schedule))
    }
}

/// A library error prefixed with the flag behind its field (`flags` maps a field to its
/// flag), read from the error's data.
pub(crate) fn flag_error(e: PoolError, flags: &[(&str, &str)]) -> TaskError {
    match e
        .field()
        .and_then(|f| flags.iter().find(|(field, _)| *field == f))
    {
        Some((_, flag)) => TaskError::msg(format!("{flag}: {e}")),
        None => e.into(),
    }
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
struct SpreadOutput {
    names: usize,
    hazard: f64,
    recovery: f64,
    maturity: f64,
    rate: f64,
    rho: f64,
    copula: CopulaSpec,
    tranches: Vec<TrancheQuote>,
}

/// Runs `tranche-spread`.
pub fn run_spread(args: SpreadArgs) -> TaskResult {
    let tranches =
        parse_tranches(&args.tranches).map_err(|e| TaskError::msg(format!("--tranches: {e}")))?;
    let m = &args.market;
    m.check_cost("tranche-spread", tranches.len())?;
    let (basket, schedule) = m.basket()?;
    let tranches: Vec<TrancheQuote> = tranches
        .into_iter()
        .map(|t| TrancheQuote::of(&basket, t, &schedule))
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
    out!("{t}");
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
    copula: CopulaSpec,
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
    m.check_cost("ntd", 3)?;
    let (basket, schedule) = m.basket()?;
    let spreads_bp: Vec<f64> = pricing::nth_to_default_legs(&basket, &schedule)
        .iter()
        .map(|l| l.fair_spread_bp())
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
    out!("{t}");
    Ok(())
}
