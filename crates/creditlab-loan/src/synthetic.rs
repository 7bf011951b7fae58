//! Synthetic books, deterministic from a seed: an underwritten bank mortgage book and an
//! anonymous, over-collateralised DeFi book, optionally at the same total principal.
//!
//! Every distribution and parameter is stated in `docs/methodology/books.md`. Each record
//! carries a realised default flag simulated from a documented "true" model, so grading can
//! be validated against known ground truth.

use crate::book::{Book, LoanRecord};
use crate::borrower::Borrower;
use crate::collateral::{Collateral, CollateralKind};
use crate::error::{Error, Result};
use crate::loan::{Amortization, Channel, Loan, LoanId, Rate, Recourse, level_payment};
use rand::RngExt;
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal, Normal, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Largest book the generator accepts.
pub const MAX_LOANS: usize = 10_000_000;

/// Size, optional total principal and seed of a synthetic book.
///
/// ```
/// use creditlab_loan::synthetic::{BookSpec, bank_book, defi_book};
/// let spec = BookSpec { loans: 200, total_principal: None, seed: 9 };
/// // Deterministic in the seed.
/// assert_eq!(bank_book(&spec)?, bank_book(&spec)?);
/// // The DeFi book's borrowers reveal nothing.
/// assert!(defi_book(&spec)?.iter().all(|r| r.borrower.is_anonymous()));
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookSpec {
    /// Number of loans (1..=10,000,000).
    pub loans: usize,
    /// If set, principals (and every other amount of each record, so ratios are unchanged)
    /// are rescaled so the book's total principal equals this.
    pub total_principal: Option<f64>,
    /// Seed of the xoshiro256++ stream; the same spec always gives the same book.
    pub seed: u64,
}

impl BookSpec {
    fn validate(&self) -> Result<()> {
        if self.loans == 0 || self.loans > MAX_LOANS {
            return Err(Error::invalid(
                "loans",
                format!("{} is outside 1..={MAX_LOANS}", self.loans),
            ));
        }
        if let Some(t) = self.total_principal
            && !(t.is_finite() && t > 0.0)
        {
            return Err(Error::invalid(
                "total_principal",
                format!("{t} is not a positive finite amount"),
            ));
        }
        Ok(())
    }
}

/// Bank underwriting cut-offs: an applicant failing any of them is declined and redrawn.
pub mod underwriting {
    /// Minimum credit score.
    pub const MIN_SCORE: u16 = 620;
    /// Maximum back-end debt-to-income ratio (all debt service, this loan included).
    pub const MAX_DTI: f64 = 0.43;
    /// Maximum loan-to-value at origination.
    pub const MAX_LTV: f64 = 0.95;
}

/// One-year probability of default of a bank borrower under the book's "true" model:
/// `logit(PD) = −3.9 − 1.2 (score − 700)/100 + 4 (DTI − 0.35) + 3 (LTV − 0.8)`.
pub fn bank_true_pd(score: u16, dti: f64, ltv: f64) -> f64 {
    let x =
        -3.9 - 1.2 * (f64::from(score) - 700.0) / 100.0 + 4.0 * (dti - 0.35) + 3.0 * (ltv - 0.8);
    1.0 / (1.0 + (-x).exp())
}

/// Index rate of the DeFi book's floating loans (a protocol's borrow index).
pub const DEFI_INDEX_RATE: f64 = 0.04;
/// Term of a DeFi position: open-ended positions are modelled as one-year interest-only
/// loans that roll (see the methodology).
pub const DEFI_TERM_MONTHS: u32 = 12;
/// Buffer between a DeFi asset's maximum origination LTV and its liquidation threshold.
pub const DEFI_LIQUIDATION_BUFFER: f64 = 0.05;

/// Number of daily observations of the collateral price over the one-year horizon: keepers
/// liquidate at the first daily close beyond the threshold.
pub const DEFI_MONITORING_DAYS: u32 = 365;

/// Expected number of crash days a year in the DeFi collateral model.
pub const DEFI_JUMPS_PER_YEAR: f64 = 1.0;
/// Mean of a crash day's log-return (−0.25 is a fall of about 22%).
pub const DEFI_JUMP_MEAN: f64 = -0.25;
/// Standard deviation of a crash day's log-return.
pub const DEFI_JUMP_SD: f64 = 0.10;

/// Maximum origination LTV of a DeFi collateral asset with annual volatility `vol`:
/// `0.80 − 0.25 (vol − 0.6)`, i.e. 80% at 60% volatility down to 70% at 100%.
pub fn defi_max_ltv(vol: f64) -> f64 {
    0.80 - 0.25 * (vol - 0.6)
}

/// Raw amounts before rescaling; `build` turns them into validated records.
struct Draft {
    principal: f64,
    rate: Rate,
    term: u32,
    amortization: Amortization,
    channel: Channel,
    recourse: Recourse,
    score: Option<u16>,
    income: Option<f64>,
    debt_service: Option<f64>,
    kind: CollateralKind,
    value: f64,
    vol: f64,
    haircut: f64,
    defaulted: bool,
}

fn normal(mean: f64, sd: f64) -> Result<Normal<f64>> {
    Normal::new(mean, sd).map_err(|e| Error::invalid("distribution", e.to_string()))
}

fn lognormal(median: f64, sigma: f64) -> Result<LogNormal<f64>> {
    LogNormal::new(median.ln(), sigma).map_err(|e| Error::invalid("distribution", e.to_string()))
}

/// A bank book: FICO-like scores, incomes and DTIs of underwritten borrowers, fixed-rate
/// level-payment mortgages (80% 30-year, 20% 15-year) on residential property at LTVs up
/// to 95%, full recourse. Default flags are Bernoulli draws of [`bank_true_pd`].
pub fn bank_book(spec: &BookSpec) -> Result<Book> {
    spec.validate()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let score_d = normal(700.0, 70.0)?;
    let income_d = lognormal(80_000.0, 0.45)?;
    let price_to_income = lognormal(4.0, 0.30)?;
    let mut drafts = Vec::with_capacity(spec.loans);
    while drafts.len() < spec.loans {
        let score = score_d.sample(&mut rng).round().clamp(300.0, 850.0) as u16;
        let income = income_d.sample(&mut rng);
        let other_debt = rng.random_range(0.0..0.20) * income;
        let term = if rng.random_bool(0.8) { 360 } else { 180 };
        let ltv = if rng.random_bool(0.6) {
            rng.random_range(0.50..0.80)
        } else {
            rng.random_range(0.80..=0.95)
        };
        let value = income * price_to_income.sample(&mut rng);
        let principal = ltv * value;
        let annual = 0.055
            + 0.015 * (760.0 - f64::from(score)).max(0.0) / 100.0
            + if ltv > 0.8 { 0.0025 } else { 0.0 };
        let debt_service = other_debt + 12.0 * level_payment(principal, annual / 12.0, term);
        let dti = debt_service / income;
        // The default flag is drawn for every applicant, declined or not, so every
        // applicant consumes the same number of draws.
        let defaulted = rng.random::<f64>() < bank_true_pd(score, dti, ltv);
        if score < underwriting::MIN_SCORE
            || dti > underwriting::MAX_DTI
            || ltv > underwriting::MAX_LTV
        {
            continue;
        }
        drafts.push(Draft {
            principal,
            rate: Rate::Fixed { annual },
            term,
            amortization: Amortization::LevelPayment,
            channel: Channel::BankUnderwritten,
            recourse: Recourse::Full,
            score: Some(score),
            income: Some(income),
            debt_service: Some(debt_service),
            kind: CollateralKind::ResidentialProperty,
            value,
            vol: 0.10,
            haircut: 0.25,
            defaulted,
        });
    }
    build(drafts, spec.total_principal)
}

/// A DeFi book: anonymous borrowers (no score, income or debt service), crypto collateral
/// with 60–100% annual volatility posted at LTVs up to [`defi_max_ltv`], no recourse,
/// floating-rate interest-only one-year positions. A position defaults when its daily
/// collateral path (a martingale jump-diffusion: Brownian volatility plus rare crash
/// days) first breaches the liquidation
/// threshold and the liquidation proceeds `value × (1 − haircut)` no longer cover the
/// debt: the gap is lost because there is no recourse.
pub fn defi_book(spec: &BookSpec) -> Result<Book> {
    spec.validate()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let principal_d = lognormal(5_000.0, 1.5)?;
    let jump = normal(DEFI_JUMP_MEAN, DEFI_JUMP_SD)?;
    let mut drafts = Vec::with_capacity(spec.loans);
    for _ in 0..spec.loans {
        let principal = principal_d.sample(&mut rng).max(100.0);
        let vol = rng.random_range(0.60..=1.00);
        let max_ltv = defi_max_ltv(vol);
        let ltv = rng.random_range(0.30..=max_ltv);
        let value = principal / ltv;
        let haircut = rng.random_range(0.03..=0.10);
        let spread = rng.random_range(0.0..=0.04);
        let annual = DEFI_INDEX_RATE + spread;
        let threshold = max_ltv + DEFI_LIQUIDATION_BUFFER;
        let dt = 1.0 / f64::from(DEFI_MONITORING_DAYS);
        let mut v = value;
        let mut debt = principal;
        let mut defaulted = false;
        // Compensator so the collateral value is a martingale despite the jumps.
        let kappa = (DEFI_JUMP_MEAN + 0.5 * DEFI_JUMP_SD * DEFI_JUMP_SD).exp() - 1.0;
        let drift = (-0.5 * vol * vol - DEFI_JUMPS_PER_YEAR * kappa) * dt;
        for _ in 0..DEFI_MONITORING_DAYS {
            let z: f64 = StandardNormal.sample(&mut rng);
            let mut log_return = drift + vol * dt.sqrt() * z;
            if rng.random_bool(DEFI_JUMPS_PER_YEAR * dt) {
                log_return += jump.sample(&mut rng);
            }
            v *= log_return.exp();
            debt *= 1.0 + annual * dt;
            if debt / v >= threshold {
                defaulted = v * (1.0 - haircut) < debt;
                break;
            }
        }
        drafts.push(Draft {
            principal,
            rate: Rate::Floating {
                index: DEFI_INDEX_RATE,
                spread,
            },
            term: DEFI_TERM_MONTHS,
            amortization: Amortization::InterestOnly,
            channel: Channel::DefiAnonymous,
            recourse: Recourse::None,
            score: None,
            income: None,
            debt_service: None,
            kind: CollateralKind::CryptoAsset,
            value,
            vol,
            haircut,
            defaulted,
        });
    }
    build(drafts, spec.total_principal)
}

/// Rescales (if asked) and validates the drafts. Each record's amounts are multiplied by
/// the same factor, so LTV and DTI are unchanged; the last principal absorbs the rounding
/// so the total is the target.
fn build(drafts: Vec<Draft>, total: Option<f64>) -> Result<Book> {
    let raw_total: f64 = drafts.iter().map(|d| d.principal).sum();
    let k = total.map_or(1.0, |t| t / raw_total);
    let n = drafts.len();
    let mut running = 0.0;
    let mut records = Vec::with_capacity(n);
    for (i, d) in drafts.into_iter().enumerate() {
        let mut principal = d.principal * k;
        if let (Some(t), true) = (total, i + 1 == n) {
            principal = t - running;
        }
        running += principal;
        let f = principal / d.principal;
        let loan = Loan::new(
            LoanId(i as u64 + 1),
            principal,
            d.rate,
            d.term,
            d.amortization,
            d.channel,
            d.recourse,
        )?;
        let borrower = Borrower::new(
            d.score,
            d.income.map(|x| x * f),
            d.debt_service.map(|x| x * f),
        )?;
        let collateral = Collateral::new(d.kind, d.value * f, d.vol, d.haircut)?;
        records.push(LoanRecord {
            loan,
            borrower,
            collateral,
            defaulted: Some(d.defaulted),
        });
    }
    Book::new(records)
}
