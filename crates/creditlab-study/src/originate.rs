//! Claim 1 over time (docs/methodology/originate.md): a bank that holds its loans against a
//! bank that sells them as notes, quarter by quarter, on the same credit cycle.
//!
//! Each bank starts from the same balance sheet (deposits, equity, a seasoned book) and
//! originates every quarter as much as its capital (Basel IRB for loans held, SEC-IRBA for
//! retained tranches, at a target ratio), its funding (cash above a liquidity floor) and the
//! applications it receives allow. The securitizing bank pools each vintage, sells the notes
//! at the coupons investors demand (the risk-free rate, the tranche's fair spread at the
//! investors' PD belief and a premium), keeps the retention and the servicing, and lends the
//! proceeds again; when the notes would cost more than the loans pay, it holds the vintage.
//! Underwriting answers distribution: a vintage's true PD rises with the share sold (Keys,
//! Mukherjee, Seru and Vig 2010 measure the size; the form is an assumption) and with volume
//! beyond the base standard, while the bank's capital model and the investors see only the
//! volume effect, as the paper's loans looked the same on paper. Investors learn from the
//! defaults they observe, so spreads widen after losses. Both banks see the same systematic
//! factor path (common random numbers), so their ratio's standard error is the paired one.

use crate::rules::Measured;
use creditlab_contagion::copula::gaussian_conditional_pd;
use creditlab_contagion::{LargePool, LossDistribution, Tranche};
use creditlab_grade::irb::{self, AssetClass};
use creditlab_numerics::rng::{open01, stream};
use creditlab_numerics::special::norm_ppf;
use creditlab_pool::capital::{IrbaPool, SecIrba};
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Points of the PD grid on which capital and fair spreads are tabulated.
const GRID: usize = 1025;
/// Highest PD the tables reach (a belief above it is clamped, and the output says so).
const PD_CAP: f64 = 0.95;
/// Bisection steps for the largest volume the capital allows (2^-50 of the demand).
const BISECTIONS: usize = 50;
/// Effective number of exposures given to SEC-IRBA: a granular retail pool (the retail
/// parameters do not depend on it).
const GRANULAR_N: f64 = 1000.0;
/// Tranche maturity given to SEC-IRBA: the cap of five years (EU CRR Art. 257(2)), the
/// conservative end for mortgages that run longer.
const TRANCHE_MATURITY: f64 = 5.0;

/// The built-in model (scenarios/originate.toml): the default of `cargo xtask originate`
/// and of a scenario without an `[originate]` table.
pub const DEFAULT_ORIGINATE: &str = include_str!("../../../scenarios/originate.toml");

impl Default for OriginateSpec {
    fn default() -> Self {
        toml::from_str(DEFAULT_ORIGINATE).expect("scenarios/originate.toml parses (tested)")
    }
}

impl OriginateSpec {
    /// Parses and checks an originate TOML (`origin` names it in errors, with the line).
    pub fn parse(text: &str, origin: &str) -> crate::Result<Self> {
        let spec: Self = crate::config::parse_toml(text, origin)?;
        spec.validate()
            .map_err(|(key, reason)| crate::config::config_error(text, origin, &key, reason))?;
        Ok(spec)
    }
}

/// `[originate]`: the balance-sheet model of claim 1 (docs/schemas/originate-toml.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginateSpec {
    /// Quarters simulated.
    pub quarters: usize,
    /// Paths of the systematic factor.
    pub paths: u64,
    /// The bank's starting balance sheet and its constraints.
    pub bank: BankSheet,
    /// The loans it makes.
    pub loans: LoanTerms,
    /// How underwriting answers distribution.
    pub underwriting: Underwriting,
    /// The market for the notes.
    pub market: NoteMarket,
    /// What the bank sells and keeps.
    pub securitization: Distribution,
    /// The DeFi counterpart: a pool whose deposits follow its rate and its losses.
    pub defi: DefiDeposits,
}

/// The bank's starting balance sheet (money in any unit) and its constraints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankSheet {
    /// Equity at the start.
    pub equity: f64,
    /// Deposits at the start.
    pub deposits: f64,
    /// The seasoned loan book at the start (the rest of deposits and equity is cash).
    pub loans: f64,
    /// Annual rate paid on deposits.
    pub deposit_rate: f64,
    /// Annual growth of deposits.
    pub deposit_growth: f64,
    /// Equity the bank keeps per unit of risk-weighted assets.
    pub capital_target: f64,
    /// Cash the bank keeps per unit of deposits.
    pub liquidity_floor: f64,
    /// Share of a quarter's profit paid out.
    pub payout: f64,
}

/// The loans.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoanTerms {
    /// Annual rate.
    pub rate: f64,
    /// One-year PD of a vintage made to the base standard and fully screened.
    pub pd: f64,
    /// Loss given default.
    pub lgd: f64,
    /// One-factor asset correlation of defaults within a quarter.
    pub rho: f64,
    /// First-order autocorrelation of the quarterly systematic factor (credit cycles).
    pub factor_persistence: f64,
    /// Share of the performing balance repaid in a year (amortization and prepayment).
    pub runoff: f64,
    /// Applications a quarter (money): the most either bank can lend in a quarter.
    pub demand: f64,
}

/// How underwriting answers distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Underwriting {
    /// Relative rise of the true PD of a vintage fully sold over one fully held.
    pub laxity: f64,
    /// How the rise grows with the share sold.
    pub form: LaxityForm,
    /// Elasticity of the vintage's PD to volume beyond `base_volume`.
    pub volume_elasticity: f64,
    /// Volume a quarter (money) lent at the base standard.
    pub base_volume: f64,
}

/// The form of the PD's rise with the share sold `s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaxityForm {
    /// `1 + laxity * s`.
    Linear,
    /// `1 + laxity * sqrt(s)`: most of the slackening comes with the first loans sold.
    Concave,
}

impl LaxityForm {
    fn factor(self, laxity: f64, share: f64) -> f64 {
        match self {
            LaxityForm::Linear => 1.0 + laxity * share,
            LaxityForm::Concave => 1.0 + laxity * share.max(0.0).sqrt(),
        }
    }
}

/// The notes' market.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteMarket {
    /// Annual risk-free rate the notes' coupons float over.
    pub risk_free: f64,
    /// Annual premium over the fair spread, on every note.
    pub premium: f64,
    /// Asset correlation at which investors price the notes.
    pub stressed_rho: f64,
    /// Annual servicing fee, on the performing balance, kept by the bank.
    pub servicing_fee: f64,
    /// Quarters of defaults investors look back on.
    pub learning_quarters: usize,
    /// Investors' PD belief, as a multiple of the disclosed PD, before they have seen the
    /// bank's loans for `learning_quarters` (1: they believe the disclosure).
    pub initial_belief: f64,
}

/// What the bank sells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// Vertical retention: the share of every sold tranche the bank keeps.
    pub retention: f64,
    /// Which tranches it sells.
    pub sell: Sold,
    /// The capital structure, bottom up, tiling [0, 1].
    pub tranches: Vec<[f64; 2]>,
}

/// Which tranches the bank sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sold {
    /// Every tranche, the retention kept.
    All,
    /// The senior tranche only; the junior tranches stay with the bank.
    Senior,
}

/// The DeFi counterpart's pool.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefiDeposits {
    /// Annual volatility of the collateral's price.
    pub volatility: f64,
    /// Elasticity of borrowing demand to the collateral's price.
    pub demand_elasticity: f64,
    /// Utilization at the start.
    pub initial_utilization: f64,
    /// Highest utilization the pool lends to.
    pub max_utilization: f64,
    /// Annual yield depositors get elsewhere.
    pub outside_rate: f64,
    /// Growth of deposits a quarter per unit of annual supply rate above `outside_rate`.
    pub rate_sensitivity: f64,
    /// Quarterly price fall beyond which liquidations leave bad debt.
    pub crash_drop: f64,
    /// Bad debt per unit lent in such a quarter.
    pub crash_loss: f64,
    /// Deposits that leave per unit of bad debt (as a share of deposits).
    pub loss_flight: f64,
    /// The rate curve (Aave's two slopes).
    pub rates: creditlab_defi::lending::RateModel,
}

/// A key of `[originate]` that cannot be used: its dotted path below `originate`, and why.
pub type SpecError = (String, String);

fn check(ok: bool, key: &str, reason: &str) -> Result<(), SpecError> {
    if ok {
        Ok(())
    } else {
        Err((key.to_string(), reason.to_string()))
    }
}

fn unit(x: f64) -> bool {
    x.is_finite() && (0.0..=1.0).contains(&x)
}

fn nonneg(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

impl OriginateSpec {
    /// Checks every key; the error names the key (below `originate`) and what it must be.
    pub fn validate(&self) -> Result<(), SpecError> {
        check(
            (1..=400).contains(&self.quarters),
            "quarters",
            "must be 1 to 400",
        )?;
        check(
            (1..=10_000_000).contains(&self.paths),
            "paths",
            "must be 1 to 10,000,000",
        )?;
        let b = &self.bank;
        check(
            b.equity.is_finite() && b.equity > 0.0,
            "bank.equity",
            "must be > 0",
        )?;
        check(nonneg(b.deposits), "bank.deposits", "must be >= 0")?;
        check(
            nonneg(b.loans) && b.loans <= b.deposits + b.equity,
            "bank.loans",
            "must be >= 0 and at most deposits + equity (the rest is cash)",
        )?;
        check(
            unit(b.deposit_rate),
            "bank.deposit_rate",
            "must be in [0, 1]",
        )?;
        check(
            b.deposit_growth.is_finite() && b.deposit_growth > -1.0 && b.deposit_growth <= 1.0,
            "bank.deposit_growth",
            "must be in (-1, 1]",
        )?;
        check(
            b.capital_target.is_finite() && b.capital_target > 0.0 && b.capital_target <= 1.0,
            "bank.capital_target",
            "must be in (0, 1]",
        )?;
        check(
            unit(b.liquidity_floor),
            "bank.liquidity_floor",
            "must be in [0, 1]",
        )?;
        check(unit(b.payout), "bank.payout", "must be in [0, 1]")?;
        let l = &self.loans;
        check(unit(l.rate), "loans.rate", "must be in [0, 1]")?;
        check(
            l.pd.is_finite() && l.pd > 0.0 && l.pd < PD_CAP,
            "loans.pd",
            "must be in (0, 0.95)",
        )?;
        check(unit(l.lgd), "loans.lgd", "must be in [0, 1]")?;
        check(
            l.rho.is_finite() && l.rho > 0.0 && l.rho < 1.0,
            "loans.rho",
            "must be in (0, 1)",
        )?;
        check(
            l.factor_persistence.is_finite() && l.factor_persistence.abs() < 1.0,
            "loans.factor_persistence",
            "must be in (-1, 1)",
        )?;
        check(unit(l.runoff), "loans.runoff", "must be in [0, 1]")?;
        check(
            l.demand.is_finite() && l.demand > 0.0,
            "loans.demand",
            "must be > 0",
        )?;
        let u = &self.underwriting;
        check(nonneg(u.laxity), "underwriting.laxity", "must be >= 0")?;
        check(
            nonneg(u.volume_elasticity),
            "underwriting.volume_elasticity",
            "must be >= 0",
        )?;
        check(
            u.base_volume.is_finite() && u.base_volume > 0.0,
            "underwriting.base_volume",
            "must be > 0",
        )?;
        check(
            l.pd * u.form.factor(u.laxity, 1.0) * self.volume_factor(l.demand) < PD_CAP,
            "underwriting",
            "the worst vintage's PD (at full demand, fully sold) must stay below 0.95: \
             lower laxity, volume_elasticity or loans.demand",
        )?;
        let m = &self.market;
        check(unit(m.risk_free), "market.risk_free", "must be in [0, 1]")?;
        check(
            nonneg(m.premium) && m.premium <= 1.0,
            "market.premium",
            "must be in [0, 1]",
        )?;
        check(
            m.stressed_rho.is_finite() && m.stressed_rho > 0.0 && m.stressed_rho < 1.0,
            "market.stressed_rho",
            "must be in (0, 1)",
        )?;
        check(
            unit(m.servicing_fee),
            "market.servicing_fee",
            "must be in [0, 1]",
        )?;
        check(
            (1..=40).contains(&m.learning_quarters),
            "market.learning_quarters",
            "must be 1 to 40",
        )?;
        check(
            m.initial_belief.is_finite() && m.initial_belief >= 1.0,
            "market.initial_belief",
            "must be >= 1",
        )?;
        let s = &self.securitization;
        check(
            unit(s.retention),
            "securitization.retention",
            "must be in [0, 1]",
        )?;
        check(
            !s.tranches.is_empty(),
            "securitization.tranches",
            "must list at least one tranche",
        )?;
        let mut at = 0.0;
        for (i, t) in s.tranches.iter().enumerate() {
            check(
                t[0] == at && t[1] > t[0] && t[1] <= 1.0,
                &format!("securitization.tranches[{i}]"),
                "tranches must tile [0, 1] bottom up: each starts where the last ended and \
                 detaches above its attachment",
            )?;
            at = t[1];
        }
        check(
            at == 1.0,
            "securitization.tranches",
            "the last tranche must detach at 1",
        )?;
        let d = &self.defi;
        check(
            d.volatility.is_finite() && d.volatility > 0.0 && d.volatility < 5.0,
            "defi.volatility",
            "must be in (0, 5)",
        )?;
        check(
            nonneg(d.demand_elasticity),
            "defi.demand_elasticity",
            "must be >= 0",
        )?;
        check(
            d.initial_utilization > 0.0 && d.initial_utilization <= d.max_utilization,
            "defi.initial_utilization",
            "must be in (0, max_utilization]",
        )?;
        check(
            d.max_utilization > 0.0 && d.max_utilization <= 1.0,
            "defi.max_utilization",
            "must be in (0, 1]",
        )?;
        check(
            unit(d.outside_rate),
            "defi.outside_rate",
            "must be in [0, 1]",
        )?;
        check(
            nonneg(d.rate_sensitivity),
            "defi.rate_sensitivity",
            "must be >= 0",
        )?;
        check(
            d.crash_drop > 0.0 && d.crash_drop < 1.0,
            "defi.crash_drop",
            "must be in (0, 1)",
        )?;
        check(unit(d.crash_loss), "defi.crash_loss", "must be in [0, 1]")?;
        check(nonneg(d.loss_flight), "defi.loss_flight", "must be >= 0")?;
        d.rates
            .validate()
            .map_err(|e| ("defi.rates".to_string(), e.to_string()))?;
        Ok(())
    }

    /// `max(1, volume / base_volume)^volume_elasticity`: how much worse than the base
    /// standard a vintage of `volume` is.
    fn volume_factor(&self, volume: f64) -> f64 {
        (volume / self.underwriting.base_volume)
            .max(1.0)
            .powf(self.underwriting.volume_elasticity)
    }

    /// Memory (bytes) and time (seconds on two cores) of a run, estimated from the sizes:
    /// every path's two banks keep about 16 series of `quarters` numbers until the means are
    /// taken; about 3 microseconds a bank-quarter, for twelve pairs (the scenario and its
    /// variants).
    pub fn estimated_cost(&self) -> (f64, f64) {
        let bank_quarters = self.paths as f64 * self.quarters as f64 * 2.0;
        (bank_quarters * 16.0 * 8.0, bank_quarters * 12.0 * 3e-6)
    }

    /// The share of a securitized vintage's principal sold to investors.
    pub fn share_sold(&self) -> f64 {
        let s = &self.securitization;
        let n = s.tranches.len();
        s.tranches
            .iter()
            .enumerate()
            .filter(|(i, _)| s.sell == Sold::All || *i + 1 == n)
            .map(|(_, t)| (1.0 - s.retention) * (t[1] - t[0]))
            .sum()
    }
}

/// Annual expected loss per unit of the tranche `[a, d]` of a large pool with one-year PD
/// `p`, LGD `lgd` and asset correlation `rho`: the tranche's fair spread, from
/// creditlab-contagion's large-pool limit (closed form with the bivariate normal).
pub fn fair_spread(p: f64, rho: f64, lgd: f64, a: f64, d: f64) -> Result<f64, crate::StudyError> {
    let pool = LargePool::from_parameters(p, rho, lgd)?;
    Ok(pool.tranche(Tranche::new(a, d)?).expected_loss.value)
}

/// Capital and prices of one vintage as functions of its disclosed PD, tabulated on a log
/// grid once per run (the bank evaluates them every quarter on every path).
struct Tables {
    log_lo: f64,
    step: f64,
    /// Risk weight of a loan held, per PD.
    held_rw: Vec<f64>,
    /// Risk weight of each tranche retained, per PD.
    tranche_rw: Vec<Vec<f64>>,
    /// Fair spread of each tranche, per PD (investors' belief).
    spread: Vec<Vec<f64>>,
}

impl Tables {
    fn new(spec: &OriginateSpec) -> Result<Self, crate::StudyError> {
        let lo = (spec.loans.pd * 0.5).min(1e-4);
        let (log_lo, log_hi) = (lo.ln(), PD_CAP.ln());
        let step = (log_hi - log_lo) / (GRID - 1) as f64;
        let tranches = &spec.securitization.tranches;
        let lgd = spec.loans.lgd;
        let mut t = Tables {
            log_lo,
            step,
            held_rw: Vec::with_capacity(GRID),
            tranche_rw: vec![Vec::with_capacity(GRID); tranches.len()],
            spread: vec![Vec::with_capacity(GRID); tranches.len()],
        };
        for i in 0..GRID {
            let pd = (log_lo + step * i as f64).exp();
            let k = irb::capital(AssetClass::ResidentialMortgage, pd, lgd, 1.0)?;
            t.held_rw.push(k.risk_weight);
            for (j, tr) in tranches.iter().enumerate() {
                let rw = retained_tranche(k.k, tr, lgd, j + 1 == tranches.len()).risk_weight()?;
                t.tranche_rw[j].push(rw);
                t.spread[j].push(fair_spread(
                    pd,
                    spec.market.stressed_rho,
                    lgd,
                    tr[0],
                    tr[1],
                )?);
            }
        }
        Ok(t)
    }

    /// The exact risk weights at `pd`: a loan held, and each tranche retained (the table's
    /// value if the formulas refuse, which validated inputs never make them do).
    fn exact(&self, spec: &OriginateSpec, pd: f64) -> (f64, Vec<f64>) {
        let lgd = spec.loans.lgd;
        let tranches = &spec.securitization.tranches;
        let Ok(k) = irb::capital(AssetClass::ResidentialMortgage, pd, lgd, 1.0) else {
            let held = self.at(&self.held_rw, pd);
            return (
                held,
                self.tranche_rw.iter().map(|c| self.at(c, pd)).collect(),
            );
        };
        let rws = tranches
            .iter()
            .enumerate()
            .map(|(j, tr)| {
                retained_tranche(k.k, tr, lgd, j + 1 == tranches.len())
                    .risk_weight()
                    .unwrap_or_else(|_| self.at(&self.tranche_rw[j], pd))
            })
            .collect();
        (k.risk_weight, rws)
    }

    /// Linear interpolation of `column` at `pd` on the log grid.
    fn at(&self, column: &[f64], pd: f64) -> f64 {
        let x = ((pd.clamp(1e-12, PD_CAP).ln() - self.log_lo) / self.step).max(0.0);
        let i = (x.floor() as usize).min(GRID - 2);
        let w = (x - i as f64).min(1.0);
        column[i] * (1.0 - w) + column[i + 1] * w
    }
}

/// SEC-IRBA's inputs for a retained tranche `tr` of a pool with IRB capital `kirb`: a
/// granular retail pool, five-year tranche.
fn retained_tranche(kirb: f64, tr: &[f64; 2], lgd: f64, senior: bool) -> SecIrba {
    SecIrba {
        kirb: kirb.clamp(0.0, 1.0),
        attach: tr[0],
        detach: tr[1],
        n: GRANULAR_N,
        lgd,
        maturity: TRANCHE_MATURITY,
        pool: IrbaPool::Retail,
        senior,
    }
}

/// One note of a securitized vintage.
#[derive(Debug, Clone, Copy)]
struct Note {
    notional: f64,
    /// Annual coupon (the bottom note takes the residual instead).
    coupon: f64,
    /// The bank's share of it.
    bank: f64,
    risk_weight: f64,
}

/// One vintage on a bank's books.
#[derive(Debug, Clone)]
struct Vintage {
    balance: f64,
    /// `Phi^-1` of the true quarterly PD.
    threshold: f64,
    /// The disclosed (model) quarterly PD.
    model_quarterly: f64,
    /// Risk weight while held.
    held_rw: f64,
    /// Empty while held.
    notes: Vec<Note>,
}

/// One bank on one path of the factor, quarter by quarter ([`trace`]).
#[derive(Debug, Clone, Default)]
pub struct BankPath {
    /// Money lent over the path.
    pub originated: f64,
    /// Money lent in each quarter.
    pub originated_by_quarter: Vec<f64>,
    /// Per vintage year: the sum of true PD x volume, and the volume.
    pub pd_volume: Vec<(f64, f64)>,
    /// Money lent and sold to investors.
    pub securitized: f64,
    /// Cash at the end of each quarter.
    pub cash: Vec<f64>,
    /// Deposits at the end of each quarter.
    pub deposits: Vec<f64>,
    /// Equity at the end of each quarter.
    pub equity: Vec<f64>,
    /// Assets over equity at the end of each quarter.
    pub leverage: Vec<f64>,
    /// The senior note's spread asked each quarter (NaN for the bank that holds: internal,
    /// never reported).
    senior_spread: Vec<f64>,
    /// Profit over the path.
    pub net_income: f64,
    equity_quarters: f64,
    /// Credit losses the bank bore.
    pub losses_bank: f64,
    /// Credit losses the note investors bore.
    pub losses_investors: f64,
    /// What the bank holds at the end.
    pub exposure_bank: f64,
    /// What investors hold at the end.
    pub exposure_investors: f64,
    /// Equity over risk-weighted assets at the end.
    pub capital_ratio_end: f64,
    /// Largest |assets - (deposits + equity)| over the quarters, relative to assets.
    pub imbalance: f64,
    /// Whether investors' belief ran beyond the tables' PD cap.
    pub clamped: bool,
}

/// One bank (`sells`: the one that securitizes) on a given path of the quarterly factor
/// (one value per quarter; negative values raise defaults): every quarter's balance sheet.
pub fn trace(
    spec: &OriginateSpec,
    factor: &[f64],
    sells: bool,
) -> Result<BankPath, crate::StudyError> {
    validated(spec)?;
    if factor.len() != spec.quarters || factor.iter().any(|z| !z.is_finite()) {
        return Err(crate::StudyError::Config {
            origin: "originate".into(),
            line: None,
            key: "factor".into(),
            reason: format!(
                "needs {} finite values, one per quarter, got {}",
                spec.quarters,
                factor.len()
            ),
        });
    }
    Ok(run_bank(spec, &Tables::new(spec)?, factor, sells))
}

/// A forced stretch of the systematic factor: `quarters` quarters from `start` at `z`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Downturn {
    /// First quarter (0-based).
    pub start: usize,
    /// Its length.
    pub quarters: usize,
    /// The factor's value in it (negative: defaults rise).
    pub z: f64,
}

fn factor_path(spec: &OriginateSpec, seed: u64, path: u64, downturn: Option<Downturn>) -> Vec<f64> {
    let phi = spec.loans.factor_persistence;
    let mut rng = stream(seed, path);
    let mut z = norm_ppf(open01(rng.next_u64()));
    let mut out = Vec::with_capacity(spec.quarters);
    for t in 0..spec.quarters {
        if t > 0 {
            z = phi * z + (1.0 - phi * phi).sqrt() * norm_ppf(open01(rng.next_u64()));
        }
        match downturn {
            Some(d) if t >= d.start && t < d.start + d.quarters => out.push(d.z),
            _ => out.push(z),
        }
    }
    out
}

fn quarterly(annual: f64) -> f64 {
    1.0 - (1.0 - annual).powf(0.25)
}

/// One bank on one factor path; `sells` says whether it may securitize.
fn run_bank(spec: &OriginateSpec, tables: &Tables, factor: &[f64], sells: bool) -> BankPath {
    let (b, l, m, s) = (&spec.bank, &spec.loans, &spec.market, &spec.securitization);
    let runoff_q = quarterly(l.runoff);
    let growth_q = (1.0 + b.deposit_growth).powf(0.25) - 1.0;
    let share_sold = spec.share_sold();
    let n_tr = s.tranches.len();
    let mut out = BankPath {
        pd_volume: vec![(0.0, 0.0); spec.quarters.div_ceil(4)],
        ..Default::default()
    };
    let seasoned = |volume: f64| {
        let q = quarterly(l.pd);
        Vintage {
            balance: volume,
            threshold: norm_ppf(q),
            model_quarterly: q,
            held_rw: tables.exact(spec, l.pd).0,
            notes: Vec::new(),
        }
    };
    let mut book = vec![seasoned(b.loans)];
    let (mut cash, mut deposits, mut equity) =
        (b.deposits + b.equity - b.loans, b.deposits, b.equity);
    // Trailing observed and expected defaults, for the investors' belief.
    let mut seen: Vec<(f64, f64)> = Vec::with_capacity(spec.quarters);
    for (t, &z) in factor.iter().enumerate() {
        let mut income = 0.0;
        let (mut observed, mut expected) = (0.0, 0.0);
        for v in book.iter_mut().filter(|v| v.balance > 0.0) {
            let dr = gaussian_conditional_pd(v.threshold, l.rho, z);
            let defaulted = dr * v.balance;
            let loss = l.lgd * defaulted;
            let recovered = defaulted - loss;
            let performing = v.balance - defaulted;
            let repaid = runoff_q * performing;
            let interest = l.rate / 4.0 * performing;
            observed += defaulted;
            expected += v.model_quarterly * v.balance;
            if v.notes.is_empty() {
                cash += interest + repaid + recovered;
                income += interest - loss;
                out.losses_bank += loss;
            } else {
                let fee = m.servicing_fee / 4.0 * performing;
                cash += fee;
                income += fee;
                // Interest top down; the bottom note takes what is left.
                let mut left = interest - fee;
                for j in (0..n_tr).rev() {
                    let n = &v.notes[j];
                    let pay = if j == 0 {
                        left.max(0.0)
                    } else {
                        left.min(n.coupon / 4.0 * n.notional).max(0.0)
                    };
                    left -= pay;
                    cash += n.bank * pay;
                    income += n.bank * pay;
                }
                // Losses bottom up.
                let mut rest = loss;
                for n in v.notes.iter_mut() {
                    let w = rest.min(n.notional);
                    n.notional -= w;
                    rest -= w;
                    income -= n.bank * w;
                    out.losses_bank += n.bank * w;
                    out.losses_investors += (1.0 - n.bank) * w;
                }
                // Principal top down (sequential pay).
                let mut principal = repaid + recovered;
                for n in v.notes.iter_mut().rev() {
                    let p = principal.min(n.notional);
                    n.notional -= p;
                    principal -= p;
                    cash += n.bank * p;
                }
            }
            v.balance -= defaulted + repaid;
        }
        seen.push((observed, expected));
        let interest_paid = b.deposit_rate / 4.0 * deposits;
        cash -= interest_paid;
        income -= interest_paid;
        let grown = deposits * (1.0 + growth_q);
        cash += grown - deposits;
        deposits = grown;
        let dividend = b.payout * income.max(0.0);
        cash -= dividend;
        equity += income - dividend;
        out.net_income += income;
        out.equity_quarters += equity.max(0.0);

        // Investors' belief: the observed over the expected defaults of the last quarters.
        let window = m.learning_quarters;
        let belief = if seen.len() < window {
            m.initial_belief
        } else {
            let (o, e) = seen[seen.len() - window..]
                .iter()
                .fold((0.0, 0.0), |(o, e), &(a, b)| (o + a, e + b));
            if e > 0.0 { (o / e).max(1.0) } else { 1.0 }
        };

        // Origination: the most capital, funding and demand allow.
        let rwa: f64 = book.iter().map(exposure_rwa).sum();
        let free_cash = (cash - b.liquidity_floor * deposits).max(0.0);
        let capital_room = equity / b.capital_target - rwa;
        let disclosed = |x: f64| l.pd * spec.volume_factor(x);
        // The most the capital allows: exact when the PD does not move with the volume up
        // to the cap (`per_unit` is then one number), else a bisection on the tables.
        let volume = |per_unit: &dyn Fn(f64) -> f64, exact: f64, net_cash: f64| -> f64 {
            let cap = if net_cash > 0.0 {
                l.demand.min(free_cash / net_cash)
            } else {
                l.demand
            };
            if capital_room <= 0.0 || cap <= 0.0 {
                return 0.0;
            }
            if spec.volume_factor(cap) == 1.0 {
                return if exact > 0.0 {
                    cap.min(capital_room / exact)
                } else {
                    cap
                };
            }
            if per_unit(cap) * cap <= capital_room {
                return cap;
            }
            let (mut lo, mut hi) = (0.0, cap);
            for _ in 0..BISECTIONS {
                let mid = 0.5 * (lo + hi);
                if per_unit(mid) * mid <= capital_room {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let held_per_unit = |x: f64| tables.at(&tables.held_rw, disclosed(x));
        let retained = |j: usize| {
            if s.sell == Sold::All || j + 1 == n_tr {
                s.retention
            } else {
                1.0
            }
        };
        let sec_per_unit = |x: f64| {
            let pd = disclosed(x);
            s.tranches
                .iter()
                .enumerate()
                .map(|(j, tr)| retained(j) * (tr[1] - tr[0]) * tables.at(&tables.tranche_rw[j], pd))
                .sum::<f64>()
        };
        let base = tables.exact(spec, l.pd);
        let exact_sec: f64 = s
            .tranches
            .iter()
            .enumerate()
            .map(|(j, tr)| retained(j) * (tr[1] - tr[0]) * base.1[j])
            .sum();
        let mut made = None;
        if sells {
            let x = volume(&sec_per_unit, exact_sec, 1.0 - share_sold);
            let pd = disclosed(x);
            let rws = tables.exact(spec, pd).1;
            let believed = pd * belief;
            out.clamped |= believed > PD_CAP;
            let coupons: Vec<f64> = (0..n_tr)
                .map(|j| m.risk_free + tables.at(&tables.spread[j], believed) + m.premium)
                .collect();
            // The notes pay if the loans' rate covers servicing, the coupons of every note
            // above the bottom one, and the pool's expected loss at the investors' belief.
            let paid: f64 = (1..n_tr)
                .map(|j| (s.tranches[j][1] - s.tranches[j][0]) * coupons[j])
                .sum();
            let excess = l.rate - m.servicing_fee - paid - believed.min(1.0) * l.lgd;
            out.senior_spread.push(coupons[n_tr - 1] - m.risk_free);
            if excess >= 0.0 && x > 0.0 {
                let notes = s
                    .tranches
                    .iter()
                    .enumerate()
                    .map(|(j, tr)| Note {
                        notional: x * (tr[1] - tr[0]),
                        coupon: coupons[j],
                        bank: retained(j),
                        risk_weight: rws[j],
                    })
                    .collect::<Vec<_>>();
                made = Some((x, pd, share_sold, notes));
            }
        } else {
            out.senior_spread.push(f64::NAN);
        }
        let (x, pd, sold, notes) = match made {
            Some(m) => m,
            None => {
                let x = volume(&held_per_unit, base.0, 1.0);
                (x, disclosed(x), 0.0, Vec::new())
            }
        };
        if x > 0.0 {
            let u = &spec.underwriting;
            let true_pd = (pd * u.form.factor(u.laxity, sold)).min(PD_CAP);
            let proceeds: f64 = notes.iter().map(|n| (1.0 - n.bank) * n.notional).sum();
            cash += proceeds - x;
            out.originated += x;
            out.securitized += x * sold;
            let year = &mut out.pd_volume[t / 4];
            year.0 += true_pd * x;
            year.1 += x;
            book.push(Vintage {
                balance: x,
                threshold: norm_ppf(quarterly(true_pd)),
                model_quarterly: quarterly(pd),
                held_rw: tables.exact(spec, pd).0,
                notes,
            });
        }
        out.originated_by_quarter.push(x);
        out.cash.push(cash);
        out.deposits.push(deposits);
        let assets = cash + book.iter().map(bank_holding).sum::<f64>();
        let imbalance = (assets - deposits - equity).abs() / assets.abs().max(1.0);
        out.imbalance = out.imbalance.max(imbalance);
        out.equity.push(equity);
        out.leverage.push(if equity > 0.0 {
            assets / equity
        } else {
            f64::INFINITY
        });
        if t + 1 == spec.quarters {
            let rwa: f64 = book.iter().map(exposure_rwa).sum();
            out.capital_ratio_end = if rwa > 0.0 {
                equity / rwa
            } else {
                f64::INFINITY
            };
            out.exposure_bank = book.iter().map(bank_holding).sum();
            out.exposure_investors = book
                .iter()
                .flat_map(|v| v.notes.iter())
                .map(|n| (1.0 - n.bank) * n.notional)
                .sum();
        }
    }
    out
}

/// What the bank holds of a vintage.
fn bank_holding(v: &Vintage) -> f64 {
    if v.notes.is_empty() {
        v.balance
    } else {
        v.notes.iter().map(|n| n.bank * n.notional).sum()
    }
}

/// Risk-weighted assets of what the bank holds of a vintage.
fn exposure_rwa(v: &Vintage) -> f64 {
    if v.notes.is_empty() {
        v.balance * v.held_rw
    } else {
        v.notes
            .iter()
            .map(|n| n.bank * n.notional * n.risk_weight)
            .sum()
    }
}

/// A sample's mean and its standard error.
fn mean_se(xs: impl Iterator<Item = f64> + Clone) -> Measured {
    let n = xs.clone().count().max(1) as f64;
    let mean = xs.clone().sum::<f64>() / n;
    let var = if n > 1.0 {
        xs.map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Measured::new(mean, (var / n).sqrt())
}

/// One bank's outcome over the paths.
#[derive(Debug, Clone, Serialize)]
pub struct BankOutcome {
    /// Money lent over the horizon (mean over paths, with its standard error).
    pub originated: Measured,
    /// Mean origination in each quarter.
    pub originated_by_quarter: Vec<f64>,
    /// The true one-year PD of each vintage year (volume weighted; mean over paths).
    pub pd_by_vintage: Vec<Measured>,
    /// Its expected loss per unit lent (`PD x LGD`).
    pub el_by_vintage: Vec<f64>,
    /// Share of the lending sold to investors.
    pub share_sold: Measured,
    /// Assets over equity at the end.
    pub leverage_end: Measured,
    /// Mean assets over equity in each quarter.
    pub leverage_by_quarter: Vec<f64>,
    /// Mean equity in each quarter.
    pub equity_by_quarter: Vec<f64>,
    /// Annual return on equity over the horizon (profit over mean equity).
    pub return_on_equity: Measured,
    /// Equity over risk-weighted assets at the end.
    pub capital_ratio_end: Measured,
    /// Credit losses the bank bore over the horizon.
    pub losses_bank: Measured,
    /// Credit losses the note investors bore.
    pub losses_investors: Measured,
    /// Exposure the bank holds at the end.
    pub exposure_bank: Measured,
    /// Exposure the investors hold at the end.
    pub exposure_investors: Measured,
    /// The senior note's spread over the risk-free rate the market asked each quarter
    /// (mean over paths; empty for the bank that holds).
    pub senior_spread_by_quarter: Vec<f64>,
}

/// What [`outcome`] and the ratios read of one bank's path, computed on the path (so a
/// study shard carries numbers, not balance sheets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathFigures {
    originated: f64,
    originated_by_quarter: Vec<f64>,
    /// True PD of each vintage year (volume weighted; 0 without lending).
    pd_by_vintage: Vec<f64>,
    /// True PD over the horizon (volume weighted; 0 without lending).
    pd: f64,
    share_sold: f64,
    /// Assets over equity each quarter, capped at 1e6.
    leverage: Vec<f64>,
    equity: Vec<f64>,
    return_on_equity: f64,
    /// Capped at 1e6.
    capital_ratio_end: f64,
    losses_bank: f64,
    losses_investors: f64,
    exposure_bank: f64,
    exposure_investors: f64,
    /// Empty for the bank that holds.
    senior_spread: Vec<f64>,
    imbalance: f64,
    clamped: bool,
}

impl PathFigures {
    fn of(spec: &OriginateSpec, p: &BankPath, sells: bool) -> Self {
        let years = spec.quarters as f64 / 4.0;
        let q = spec.quarters;
        let rate = |(pv, v): (f64, f64)| if v > 0.0 { pv / v } else { 0.0 };
        let total = p
            .pd_volume
            .iter()
            .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x, b + y));
        let mean_equity = p.equity_quarters / q as f64;
        Self {
            originated: p.originated,
            originated_by_quarter: p.originated_by_quarter.clone(),
            pd_by_vintage: p.pd_volume.iter().map(|&x| rate(x)).collect(),
            pd: rate(total),
            share_sold: if p.originated > 0.0 {
                p.securitized / p.originated
            } else {
                0.0
            },
            leverage: p.leverage.iter().map(|l| l.min(1e6)).collect(),
            equity: p.equity.clone(),
            return_on_equity: if mean_equity > 0.0 {
                p.net_income / years / mean_equity
            } else {
                -1.0
            },
            capital_ratio_end: p.capital_ratio_end.min(1e6),
            losses_bank: p.losses_bank,
            losses_investors: p.losses_investors,
            exposure_bank: p.exposure_bank,
            exposure_investors: p.exposure_investors,
            senior_spread: if sells {
                p.senior_spread.clone()
            } else {
                Vec::new()
            },
            imbalance: p.imbalance,
            clamped: p.clamped,
        }
    }
}

fn outcome(spec: &OriginateSpec, paths: &[&PathFigures]) -> BankOutcome {
    let q = spec.quarters;
    let mean_at = |f: &dyn Fn(&PathFigures) -> f64| {
        paths.iter().map(|p| f(p)).sum::<f64>() / paths.len() as f64
    };
    let lgd = spec.loans.lgd;
    let pd_by_vintage: Vec<Measured> = (0..q.div_ceil(4))
        .map(|y| mean_se(paths.iter().map(move |p| p.pd_by_vintage[y])))
        .collect();
    let spreads = if paths
        .iter()
        .all(|p| p.senior_spread.iter().all(|s| s.is_nan()))
    {
        Vec::new()
    } else {
        (0..q).map(|t| mean_at(&|p| p.senior_spread[t])).collect()
    };
    BankOutcome {
        originated: mean_se(paths.iter().map(|p| p.originated)),
        originated_by_quarter: (0..q)
            .map(|t| mean_at(&|p| p.originated_by_quarter[t]))
            .collect(),
        el_by_vintage: pd_by_vintage.iter().map(|m| m.value * lgd).collect(),
        pd_by_vintage,
        share_sold: mean_se(paths.iter().map(|p| p.share_sold)),
        leverage_end: mean_se(paths.iter().map(|p| p.leverage[q - 1])),
        leverage_by_quarter: (0..q).map(|t| mean_at(&|p| p.leverage[t])).collect(),
        equity_by_quarter: (0..q).map(|t| mean_at(&|p| p.equity[t])).collect(),
        return_on_equity: mean_se(paths.iter().map(|p| p.return_on_equity)),
        capital_ratio_end: mean_se(paths.iter().map(|p| p.capital_ratio_end)),
        losses_bank: mean_se(paths.iter().map(|p| p.losses_bank)),
        losses_investors: mean_se(paths.iter().map(|p| p.losses_investors)),
        exposure_bank: mean_se(paths.iter().map(|p| p.exposure_bank)),
        exposure_investors: mean_se(paths.iter().map(|p| p.exposure_investors)),
        senior_spread_by_quarter: spreads,
    }
}

/// One variant of the scenario and what securitization does in it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// What the variant changes.
    pub name: String,
    /// Lending with securitization over lending without (mean of the paired path ratios).
    pub ratio: Measured,
    /// The true PD of the securitizing bank's loans over the holding bank's (volume
    /// weighted over the horizon).
    pub pd_ratio: Measured,
    /// Share of the securitizing bank's lending sold.
    pub share_sold: Measured,
}

/// The DeFi counterpart's outcome: lending that follows deposits, deposits that follow the
/// rate and losses.
#[derive(Debug, Clone, Serialize)]
pub struct DefiOutcome {
    /// Mean lending in each quarter, per unit of the lending at the start.
    pub lending_by_quarter: Vec<f64>,
    /// Its 5% and 95% quantiles across paths in each quarter.
    pub lending_p05: Vec<f64>,
    /// See `lending_p05`.
    pub lending_p95: Vec<f64>,
    /// Mean supply rate in each quarter.
    pub supply_rate_by_quarter: Vec<f64>,
    /// Lending at the end over lending at the start.
    pub growth: Measured,
    /// Share of the variance of the log lending at the end explained by the log price at
    /// the end across paths (the squared correlation): lending that moves with sentiment.
    pub price_r2: f64,
    /// Share of quarters in which deposits shrank.
    pub shrinking_quarters: Measured,
}

/// The study of claim 1 over time.
#[derive(Debug, Clone, Serialize)]
pub struct OriginateStudy {
    /// Quarters simulated.
    pub quarters: usize,
    /// Paths.
    pub paths: u64,
    /// The bank that sells its notes.
    pub with_securitization: BankOutcome,
    /// The bank that holds its loans.
    pub without: BankOutcome,
    /// Lending with over lending without (mean of the paired path ratios).
    pub ratio: Measured,
    /// True PD of the securitizer's loans over the holder's (volume weighted).
    pub pd_ratio: Measured,
    /// The same in each variant of the scenario.
    pub cases: Vec<Case>,
    /// The DeFi pool's lending over the same horizon.
    pub defi: DefiOutcome,
    /// Largest balance-sheet imbalance `|assets - deposits - equity| / assets` seen in any
    /// quarter of any path (rounding only: the model conserves cash and capital).
    pub max_imbalance: f64,
    /// Largest error of the tabulated fair spreads against the closed form, at the grid's
    /// midpoints (annual rate).
    pub spread_table_error: f64,
    /// Whether investors' belief ever ran past the tables' PD cap (0.95).
    pub belief_clamped: bool,
}

/// The headline of `cargo xtask originate --json` (docs/schemas/originate-toml.md), then
/// the whole study as `detail`.
#[derive(Debug, Serialize)]
pub struct Json<'a> {
    /// The headline figures.
    pub originate_to_distribute: Headline,
    /// Everything.
    pub detail: &'a OriginateStudy,
}

/// The headline figures, each a plain number (its standard error beside it).
#[derive(Debug, Serialize)]
pub struct Headline {
    /// Money lent by the bank that sells its notes, mean over paths.
    pub originated_with_securitization: f64,
    /// Its standard error.
    pub originated_with_securitization_se: f64,
    /// Money lent by the bank that holds its loans.
    pub originated_without: f64,
    /// Its standard error.
    pub originated_without_se: f64,
    /// Lending with over without (mean of the paired path ratios).
    pub ratio: f64,
    /// Its standard error.
    pub ratio_se: f64,
    /// True PD with over without.
    pub pd_ratio: f64,
    /// Its standard error.
    pub pd_ratio_se: f64,
    /// True PD of each vintage year, securitizing.
    pub pd_by_vintage_with: Vec<f64>,
    /// The same, holding.
    pub pd_by_vintage_without: Vec<f64>,
    /// Assets over equity at the end, securitizing.
    pub leverage_with: f64,
    /// The same, holding.
    pub leverage_without: f64,
    /// Each variant's name and ratios.
    pub cases: Vec<CaseHeadline>,
}

/// A variant in the headline.
#[derive(Debug, Serialize)]
pub struct CaseHeadline {
    /// What it changes.
    pub name: String,
    /// Lending ratio.
    pub ratio: f64,
    /// Its standard error.
    pub ratio_se: f64,
    /// PD ratio.
    pub pd_ratio: f64,
}

impl OriginateStudy {
    /// The JSON of `cargo xtask originate --json`.
    pub fn json(&self) -> Json<'_> {
        let (w, h) = (&self.with_securitization, &self.without);
        let values = |v: &[Measured]| v.iter().map(|m| m.value).collect();
        Json {
            originate_to_distribute: Headline {
                originated_with_securitization: w.originated.value,
                originated_with_securitization_se: w.originated.se,
                originated_without: h.originated.value,
                originated_without_se: h.originated.se,
                ratio: self.ratio.value,
                ratio_se: self.ratio.se,
                pd_ratio: self.pd_ratio.value,
                pd_ratio_se: self.pd_ratio.se,
                pd_by_vintage_with: values(&w.pd_by_vintage),
                pd_by_vintage_without: values(&h.pd_by_vintage),
                leverage_with: w.leverage_end.value,
                leverage_without: h.leverage_end.value,
                cases: self
                    .cases
                    .iter()
                    .map(|c| CaseHeadline {
                        name: c.name.clone(),
                        ratio: c.ratio.value,
                        ratio_se: c.ratio.se,
                        pd_ratio: c.pd_ratio.value,
                    })
                    .collect(),
            },
            detail: self,
        }
    }
}

/// A named variant: a change to the spec and an optional forced downturn.
pub struct Variant {
    /// Its name.
    pub name: String,
    /// The changed spec.
    pub spec: OriginateSpec,
    /// A forced downturn of the factor.
    pub downturn: Option<Downturn>,
}

/// The variants every run reports beside the scenario itself: risk retention, what is
/// sold, the size of the lax-screening effect and its form, and the market after losses.
pub fn variants(spec: &OriginateSpec) -> Vec<Variant> {
    let with = |name: &str, f: &dyn Fn(&mut OriginateSpec)| {
        let mut s = spec.clone();
        f(&mut s);
        Variant {
            name: name.to_string(),
            spec: s,
            downturn: None,
        }
    };
    let mut v = vec![
        with("no risk retention", &|s| s.securitization.retention = 0.0),
        with("20% retention", &|s| s.securitization.retention = 0.20),
        with("junior tranches kept (senior sold)", &|s| {
            s.securitization.sell = Sold::Senior
        }),
        with("no lax screening (laxity 0, volume elasticity 0)", &|s| {
            s.underwriting.laxity = 0.0;
            s.underwriting.volume_elasticity = 0.0;
        }),
        with("laxity 0.10 (KMSV low)", &|s| s.underwriting.laxity = 0.10),
        with("laxity 0.25 (KMSV high)", &|s| s.underwriting.laxity = 0.25),
        with("laxity concave in the share sold", &|s| {
            s.underwriting.form = LaxityForm::Concave
        }),
        with("half the applications", &|s| s.loans.demand *= 0.5),
        with(
            "investors price 3x the disclosed PD throughout (after losses)",
            &|s| {
                s.market.initial_belief = 3.0;
                s.market.learning_quarters = 40;
            },
        ),
    ];
    let mut after = with(
        "a downturn in year 2 (factor -2 for four quarters)",
        &|_| {},
    );
    after.downturn = Some(Downturn {
        start: 4,
        quarters: 4,
        z: -2.0,
    });
    v.push(after);
    v.push(with(
        "junior kept, 20% retention, investors price 3x",
        &|s| {
            s.securitization.sell = Sold::Senior;
            s.securitization.retention = 0.20;
            s.market.initial_belief = 3.0;
            s.market.learning_quarters = 40;
        },
    ));
    v
}

/// A variant's paired path, reduced to what its case reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CasePath {
    ratio: f64,
    pd_ratio: f64,
    share_sold: f64,
    imbalance: f64,
    clamped: bool,
}

/// The paired path ratios: lending with over without, true PD with over without.
fn path_ratios(a: &PathFigures, b: &PathFigures) -> (f64, f64) {
    (
        if b.originated > 0.0 {
            a.originated / b.originated
        } else {
            1.0
        },
        if b.pd > 0.0 { a.pd / b.pd } else { 1.0 },
    )
}

/// One DeFi path: lending and supply rate each quarter, the final log price, the quarters
/// in which deposits shrank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefiPath {
    lending: Vec<f64>,
    rates: Vec<f64>,
    log_price: f64,
    shrank: u32,
}

/// One path of the originate-to-distribute Monte Carlo: both banks on the scenario's
/// factor path, each variant's pair, and the DeFi pool. Path `p` draws from
/// `stream(seed, p)` (the banks) and `stream(seed ^ 0xdef1_0000, p)` (the pool) alone, so
/// it is the same wherever it runs: what a study shard carries ([`paths`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginatePath {
    with: PathFigures,
    without: PathFigures,
    cases: Vec<CasePath>,
    defi: DefiPath,
}

fn defi_path(spec: &OriginateSpec, seed: u64, p: u64) -> DefiPath {
    let d = &spec.defi;
    let q = spec.quarters;
    let sigma = d.volatility * 0.5; // a quarter's volatility
    let mut rng = stream(seed ^ 0xdef1_0000, p);
    let (mut log_price, mut deposits) = (0.0f64, 1.0 / d.initial_utilization);
    let (mut lending, mut rates) = (Vec::with_capacity(q), Vec::with_capacity(q));
    let mut shrank = 0;
    for _ in 0..q {
        let step = -0.5 * sigma * sigma + sigma * norm_ppf(open01(rng.next_u64()));
        log_price += step;
        let demand = (d.demand_elasticity * log_price).exp();
        let lent = demand.min(d.max_utilization * deposits);
        let u = if deposits > 0.0 { lent / deposits } else { 0.0 };
        let rate = d.rates.supply_rate(u);
        let bad = if step.exp() < 1.0 - d.crash_drop {
            d.crash_loss * lent
        } else {
            0.0
        };
        let flow = d.rate_sensitivity * (rate - d.outside_rate)
            - d.loss_flight * bad / deposits.max(f64::MIN_POSITIVE);
        let next = (deposits - bad).max(0.0) * flow.exp();
        if next < deposits {
            shrank += 1;
        }
        deposits = next;
        lending.push(lent);
        rates.push(rate);
    }
    DefiPath {
        lending,
        rates,
        log_price,
        shrank,
    }
}

/// Paths `range` of `spec` under `seed` (each variant's too when `with_cases`), in order.
fn run_paths(
    spec: &OriginateSpec,
    tables: &Tables,
    seed: u64,
    range: std::ops::Range<u64>,
    with_cases: bool,
) -> Vec<OriginatePath> {
    let variants: Vec<Variant> = variants(spec).into_iter().filter(|_| with_cases).collect();
    range
        .into_par_iter()
        .map(|p| {
            let factor = factor_path(spec, seed, p, None);
            let cases = variants
                .iter()
                .map(|v| {
                    let factor = factor_path(&v.spec, seed, p, v.downturn);
                    let a = run_bank(&v.spec, tables, &factor, true);
                    let b = run_bank(&v.spec, tables, &factor, false);
                    let (fa, fb) = (
                        PathFigures::of(&v.spec, &a, true),
                        PathFigures::of(&v.spec, &b, false),
                    );
                    let (ratio, pd_ratio) = path_ratios(&fa, &fb);
                    CasePath {
                        ratio,
                        pd_ratio,
                        share_sold: fa.share_sold,
                        imbalance: fa.imbalance.max(fb.imbalance),
                        clamped: fa.clamped,
                    }
                })
                .collect();
            OriginatePath {
                with: PathFigures::of(spec, &run_bank(spec, tables, &factor, true), true),
                without: PathFigures::of(spec, &run_bank(spec, tables, &factor, false), false),
                cases,
                defi: defi_path(spec, seed, p),
            }
        })
        .collect()
}

/// The DeFi pool over the horizon: borrowing follows the collateral's price, deposits the
/// supply rate against the outside rate and the bad debt of crash quarters.
fn defi_outcome(spec: &OriginateSpec, paths: &[&DefiPath]) -> DefiOutcome {
    let d = &spec.defi;
    let q = spec.quarters;
    let n = paths.len() as f64;
    let quantile = |t: usize, level: f64| {
        let mut xs: Vec<f64> = paths.iter().map(|p| p.lending[t]).collect();
        xs.sort_by(f64::total_cmp);
        xs[((level * (xs.len() - 1) as f64).round() as usize).min(xs.len() - 1)]
    };
    let ends: Vec<(f64, f64)> = paths
        .iter()
        .map(|p| (p.lending[q - 1].max(f64::MIN_POSITIVE).ln(), p.log_price))
        .collect();
    let (mx, my) = ends
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / n, b + y / n));
    let (sxy, sxx, syy) = ends.iter().fold((0.0, 0.0, 0.0), |(a, b, c), &(x, y)| {
        (
            a + (x - mx) * (y - my),
            b + (x - mx).powi(2),
            c + (y - my).powi(2),
        )
    });
    let start = 1.0f64.min(d.max_utilization / d.initial_utilization);
    DefiOutcome {
        lending_by_quarter: (0..q)
            .map(|t| paths.iter().map(|p| p.lending[t]).sum::<f64>() / n / start)
            .collect(),
        lending_p05: (0..q).map(|t| quantile(t, 0.05) / start).collect(),
        lending_p95: (0..q).map(|t| quantile(t, 0.95) / start).collect(),
        supply_rate_by_quarter: (0..q)
            .map(|t| paths.iter().map(|p| p.rates[t]).sum::<f64>() / n)
            .collect(),
        growth: mean_se(paths.iter().map(|p| p.lending[q - 1] / start)),
        price_r2: if sxx > 0.0 && syy > 0.0 {
            sxy * sxy / (sxx * syy)
        } else {
            0.0
        },
        shrinking_quarters: mean_se(paths.iter().map(|p| p.shrank as f64 / q as f64)),
    }
}

/// Runs the scenario, its variants and the DeFi counterpart under `seed`.
pub fn study(spec: &OriginateSpec, seed: u64) -> Result<OriginateStudy, crate::StudyError> {
    study_with(spec, seed, true)
}

/// `spec` checked, its first error as a [`crate::StudyError::Config`] of origin
/// "originate" (a spec built in code has no line to name).
fn validated(spec: &OriginateSpec) -> Result<(), crate::StudyError> {
    spec.validate()
        .map_err(|(key, reason)| crate::StudyError::Config {
            origin: "originate".into(),
            line: None,
            key,
            reason,
        })
}

/// [`study`], the variants only when `with_cases` (the flip search judges the scenario
/// alone).
pub fn study_with(
    spec: &OriginateSpec,
    seed: u64,
    with_cases: bool,
) -> Result<OriginateStudy, crate::StudyError> {
    validated(spec)?;
    // The tables depend on the PD, LGD, stressed correlation and tranches only, which no
    // variant changes.
    let tables = Tables::new(spec)?;
    let paths = run_paths(spec, &tables, seed, 0..spec.paths, with_cases);
    finish(spec, &tables, &paths, with_cases)
}

/// The paths `range` of [`study`] (variants included), for a shard of a study.
pub fn paths(
    spec: &OriginateSpec,
    seed: u64,
    range: std::ops::Range<u64>,
) -> Result<Vec<OriginatePath>, crate::StudyError> {
    validated(spec)?;
    Ok(run_paths(spec, &Tables::new(spec)?, seed, range, true))
}

/// [`study`] from all of its paths in order ([`paths`] of every shard, concatenated):
/// exactly the single run's study.
pub fn study_from(
    spec: &OriginateSpec,
    paths: Vec<OriginatePath>,
) -> Result<OriginateStudy, crate::StudyError> {
    validated(spec)?;
    let cases = variants(spec).len();
    if paths.len() as u64 != spec.paths || paths.iter().any(|p| p.cases.len() != cases) {
        return Err(crate::StudyError::Config {
            origin: "originate".into(),
            line: None,
            key: "paths".into(),
            reason: format!(
                "needs all {} paths with {cases} variants each, got {}",
                spec.paths,
                paths.len()
            ),
        });
    }
    finish(spec, &Tables::new(spec)?, &paths, true)
}

/// The study from its paths.
fn finish(
    spec: &OriginateSpec,
    tables: &Tables,
    paths: &[OriginatePath],
    with_cases: bool,
) -> Result<OriginateStudy, crate::StudyError> {
    let with: Vec<&PathFigures> = paths.iter().map(|p| &p.with).collect();
    let without: Vec<&PathFigures> = paths.iter().map(|p| &p.without).collect();
    let pairs = || with.iter().zip(&without).map(|(a, b)| path_ratios(a, b));
    let (ratio, pd_ratio) = (mean_se(pairs().map(|r| r.0)), mean_se(pairs().map(|r| r.1)));
    let mut imbalance = with
        .iter()
        .chain(&without)
        .map(|p| p.imbalance)
        .fold(0.0, f64::max);
    let mut clamped = with.iter().any(|p| p.clamped);
    let mut cases = Vec::new();
    for (i, v) in variants(spec)
        .into_iter()
        .filter(|_| with_cases)
        .enumerate()
    {
        let case = || paths.iter().map(move |p| &p.cases[i]);
        imbalance = case().map(|c| c.imbalance).fold(imbalance, f64::max);
        clamped |= case().any(|c| c.clamped);
        cases.push(Case {
            name: v.name,
            ratio: mean_se(case().map(|c| c.ratio)),
            pd_ratio: mean_se(case().map(|c| c.pd_ratio)),
            share_sold: mean_se(case().map(|c| c.share_sold)),
        });
    }
    let defi: Vec<&DefiPath> = paths.iter().map(|p| &p.defi).collect();
    Ok(OriginateStudy {
        quarters: spec.quarters,
        paths: spec.paths,
        with_securitization: outcome(spec, &with),
        without: outcome(spec, &without),
        ratio,
        pd_ratio,
        cases,
        defi: defi_outcome(spec, &defi),
        max_imbalance: imbalance,
        spread_table_error: spread_table_error(spec, tables)?,
        belief_clamped: clamped,
    })
}

/// The tabulated fair spreads against the closed form at every midpoint of the grid.
fn spread_table_error(spec: &OriginateSpec, tables: &Tables) -> Result<f64, crate::StudyError> {
    let (m, l) = (&spec.market, &spec.loans);
    let mut worst = 0.0f64;
    for i in 0..GRID - 1 {
        let pd = (tables.log_lo + tables.step * (i as f64 + 0.5)).exp();
        for (j, tr) in spec.securitization.tranches.iter().enumerate() {
            let exact = fair_spread(pd, m.stressed_rho, l.lgd, tr[0], tr[1])?;
            worst = worst.max((tables.at(&tables.spread[j], pd) - exact).abs());
        }
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fair_spread_of_the_whole_pool_is_its_expected_loss() {
        // [0, 1] carries the pool's whole loss: lgd x p, whatever the correlation.
        for rho in [0.05, 0.15, 0.3, 0.6] {
            let s = fair_spread(0.02, rho, 0.4, 0.0, 1.0).unwrap();
            assert!((s - 0.008).abs() < 1e-12, "{s}");
        }
    }

    #[test]
    fn fair_spreads_of_a_tiling_add_up_to_the_pool() {
        let t = [0.0, 0.03, 0.07, 0.15, 1.0];
        let total: f64 = t
            .windows(2)
            .map(|w| (w[1] - w[0]) * fair_spread(0.05, 0.3, 0.45, w[0], w[1]).unwrap())
            .sum();
        assert!((total - 0.05 * 0.45).abs() < 1e-10, "{total}");
    }
}
