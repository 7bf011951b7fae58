//! Synthetic books, deterministic from a seed: an underwritten bank mortgage book and an
//! anonymous, over-collateralised DeFi book, optionally at the same total principal.
//!
//! Every distribution and parameter is stated in [docs/methodology/books.md](crate::methodology::books). Each record
//! carries a realised default flag simulated from a documented "true" model, so grading can
//! be validated against known ground truth.

use crate::book::{Book, LoanRecord};
use crate::borrower::Borrower;
use crate::collateral::{AssetSymbol, Collateral, CollateralKind};
use crate::error::{Error, Result};
use crate::loan::{Amortization, Channel, Loan, LoanId, Rate, Recourse, level_payment};
use rand::RngExt;
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal, Normal, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

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

/// The fixed annual rate of a bank loan: 5.5%, plus 1.5% per 100 points of score below
/// 760, plus 0.25% above 80% LTV. The book's highest rate is at the underwriting floor,
/// `bank_rate(underwriting::MIN_SCORE, underwriting::MAX_LTV)`.
pub fn bank_rate(score: u16, ltv: f64) -> f64 {
    0.055
        + 0.015 * (760.0 - f64::from(score)).max(0.0) / 100.0
        + if ltv > 0.8 { 0.0025 } else { 0.0 }
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
/// Buffer between a collateral's maximum origination LTV and its liquidation threshold in
/// the book before per-asset parameters ([`defi_max_ltv`]); [`defi_book`] no longer uses
/// it (each [`DefiAsset`] has its own threshold).
pub const DEFI_LIQUIDATION_BUFFER: f64 = 0.05;

/// Number of daily observations of the collateral price over the one-year horizon: keepers
/// liquidate at the first daily close beyond the threshold.
pub const DEFI_MONITORING_DAYS: u32 = 365;

/// Expected number of crash days a year of the generic crash model (one crash a year of
/// about 22%), which grading's LGD assumptions still use for crypto collateral; the book
/// draws each asset's own crashes ([`DefiAsset::jumps`]).
pub const DEFI_JUMPS_PER_YEAR: f64 = 1.0;
/// Mean of a crash day's log-return in the generic crash model (−0.25 is a fall of about
/// 22%).
pub const DEFI_JUMP_MEAN: f64 = -0.25;
/// Standard deviation of a crash day's log-return in the generic crash model.
pub const DEFI_JUMP_SD: f64 = 0.10;

/// Lowest origination LTV of a DeFi position: LTVs are drawn uniformly between this and
/// the asset's LTV limit.
pub const DEFI_MIN_LTV: f64 = 0.30;

/// Maximum origination LTV of a DeFi collateral asset with annual volatility `vol` in the
/// book before per-asset parameters: `0.80 − 0.25 (vol − 0.6)`, i.e. 80% at 60%
/// volatility down to 70% at 100%. [`defi_book`] no longer uses it: each asset's LTV limit
/// is its Aave v3 parameter ([`DefiAsset::ltv`]).
pub fn defi_max_ltv(vol: f64) -> f64 {
    0.80 - 0.25 * (vol - 0.6)
}

/// Crash days of a collateral asset: a compound Poisson of daily jumps with normal
/// log-returns, on top of the diffusion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashJumps {
    /// Expected crash days a year, λ >= 0.
    pub per_year: f64,
    /// Mean log-return of a crash day, μ_J (<= 0 for a crash).
    pub mean: f64,
    /// Standard deviation of a crash day's log-return, δ >= 0.
    pub sd: f64,
}

impl CrashJumps {
    /// `κ = E[e^J] − 1`, the compensator that keeps the price a martingale.
    pub fn kappa(&self) -> f64 {
        (self.mean + 0.5 * self.sd * self.sd).exp() - 1.0
    }
    /// Annual variance the jumps add, `λ (μ_J² + δ²)`.
    pub fn annual_variance(&self) -> f64 {
        self.per_year * (self.mean * self.mean + self.sd * self.sd)
    }
}

/// One collateral asset of a DeFi book: its share of the loans, its price dynamics and the
/// lending protocol's risk parameters for it.
///
/// ```
/// use creditlab_loan::synthetic::{BookSpec, DefiAsset, defi_book_with};
/// let assets = DefiAsset::aave_v3_ethereum();
/// assert_eq!((assets[0].name.as_str(), assets[0].ltv), ("WETH", 0.805));
/// let book = defi_book_with(&BookSpec { loans: 300, total_principal: None, seed: 5 }, &assets)?;
/// for r in &book {
///     let asset = assets.iter().find(|a| Some(a.name.as_str()) == r.collateral.asset()).unwrap();
///     assert!(r.ltv().unwrap() <= asset.ltv);
///     assert_eq!(r.collateral.liquidation_threshold(), Some(asset.liquidation_threshold));
/// }
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefiAsset {
    /// Token symbol, written on each loan's collateral (e.g. `WETH`).
    pub name: String,
    /// Share of the book's loans secured by this asset; the shares of a book sum to 1.
    pub share: f64,
    /// Annual volatility of the price's diffusion (the crash days excluded), σ.
    pub volatility: f64,
    /// Largest LTV at origination (Aave's `ltv`).
    pub ltv: f64,
    /// LTV at which the position is liquidated (Aave's `liquidationThreshold`).
    pub liquidation_threshold: f64,
    /// Liquidation bonus: the liquidator receives collateral worth `1 + bonus` per unit of
    /// debt repaid (Aave's `liquidationBonus − 1`; 0.05 for `10500`).
    pub liquidation_bonus: f64,
    /// The asset's crash days.
    pub jumps: CrashJumps,
}

impl DefiAsset {
    /// The default collateral of [`defi_book`]: WETH (80% of the loans) and WBTC (20%) with
    /// the Aave v3 Ethereum core pool's parameters of 31 October 2023 (WETH: LTV 80.5%,
    /// liquidation threshold 83%, bonus 5%; WBTC: 73%, 78%, 5%; BGD Labs' on-chain snapshot
    /// in `bgd-labs/aave-proposals-v3`, `reports/AaveV3Ethereum_UpgradeAaveV3ETHPooolWETH
    /// Parameters_20231031_after.json`, commit b681de42) and the price dynamics of ETH and
    /// BTC from Yahoo Finance daily closes, 10 November 2017 to 27 May 2024: the
    /// volatility without the days that fell 10% or more (ETH 77.2%, BTC 64.5%), and
    /// those days as the crashes (ETH 7.94 a year, log-return mean −0.1559, sd 0.0669;
    /// BTC 4.12, −0.1421, 0.0686). Sources and the split by share in
    /// [docs/methodology/books.md](crate::methodology::books).
    pub fn aave_v3_ethereum() -> Vec<Self> {
        vec![
            Self {
                name: "WETH".into(),
                share: 0.8,
                volatility: 0.772,
                ltv: 0.805,
                liquidation_threshold: 0.83,
                liquidation_bonus: 0.05,
                jumps: CrashJumps {
                    per_year: 7.94,
                    mean: -0.1559,
                    sd: 0.0669,
                },
            },
            Self {
                name: "WBTC".into(),
                share: 0.2,
                volatility: 0.645,
                ltv: 0.73,
                liquidation_threshold: 0.78,
                liquidation_bonus: 0.05,
                jumps: CrashJumps {
                    per_year: 4.12,
                    mean: -0.1421,
                    sd: 0.0686,
                },
            },
        ]
    }

    /// Total annual volatility of the price, `sqrt(σ² + λ (μ_J² + δ²))`: the diffusion and
    /// the crash days together, what the loan records carry as the collateral's volatility.
    pub fn total_volatility(&self) -> f64 {
        (self.volatility * self.volatility + self.jumps.annual_variance()).sqrt()
    }

    /// The haircut of a liquidation: the liquidator takes collateral worth `1 + bonus` per
    /// unit of debt, so the debt covered by collateral worth `V` is `V / (1 + bonus)`, a
    /// haircut of `bonus / (1 + bonus)` on the collateral's value.
    pub fn haircut(&self) -> f64 {
        self.liquidation_bonus / (1.0 + self.liquidation_bonus)
    }

    /// Checks the asset's fields; errors name `assets[i].field`.
    fn validate(&self, i: usize) -> Result<()> {
        let bad =
            |field: &str, reason: String| Error::invalid_at(format!("assets[{i}].{field}"), reason);
        AssetSymbol::new(&self.name)
            .map_err(|_| bad("name", format!("`{}` is not a token symbol", self.name)))?;
        let checks: [(&str, f64, f64, f64); 7] = [
            ("share", self.share, 0.0, 1.0),
            (
                "volatility",
                self.volatility,
                0.0,
                MAX_COLLATERAL_VOLATILITY,
            ),
            ("ltv", self.ltv, DEFI_MIN_LTV, 1.0),
            ("liquidation_bonus", self.liquidation_bonus, 0.0, 1.0),
            (
                "jumps.per_year",
                self.jumps.per_year,
                0.0,
                f64::from(DEFI_MONITORING_DAYS),
            ),
            ("jumps.mean", self.jumps.mean, -5.0, 5.0),
            ("jumps.sd", self.jumps.sd, 0.0, 5.0),
        ];
        for (field, v, lo, hi) in checks {
            if !(v.is_finite() && (lo..=hi).contains(&v)) {
                return Err(bad(field, format!("{v} is outside [{lo}, {hi}]")));
            }
        }
        let total = self.total_volatility();
        if total > MAX_COLLATERAL_VOLATILITY {
            return Err(bad(
                "jumps",
                format!(
                    "the total volatility {total} (diffusion and crash days) is above \
                     {MAX_COLLATERAL_VOLATILITY}"
                ),
            ));
        }
        if !(self.liquidation_threshold > self.ltv && self.liquidation_threshold <= 1.0) {
            return Err(bad(
                "liquidation_threshold",
                format!(
                    "{} must be above the LTV limit {} and at most 1",
                    self.liquidation_threshold, self.ltv
                ),
            ));
        }
        Ok(())
    }
}

/// Checks a book's collateral assets: at least one, each valid, shares summing to 1.
fn validate_assets(assets: &[DefiAsset]) -> Result<()> {
    if assets.is_empty() {
        return Err(Error::invalid_at(
            "assets",
            "a DeFi book needs at least one collateral asset",
        ));
    }
    for (i, a) in assets.iter().enumerate() {
        a.validate(i)?;
    }
    let total: f64 = assets.iter().map(|a| a.share).sum();
    if (total - 1.0).abs() > SHARE_SUM_SLACK {
        return Err(Error::invalid_at(
            "assets",
            format!("the shares sum to {total}, not 1"),
        ));
    }
    Ok(())
}

/// Largest annual volatility a loan record's collateral accepts ([`Collateral::new`]).
const MAX_COLLATERAL_VOLATILITY: f64 = 5.0;

/// How far the assets' shares may sum from 1: decimal shares such as 0.1 do not add up
/// exactly in binary.
const SHARE_SUM_SLACK: f64 = 1e-9;

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
    asset: Option<AssetSymbol>,
    liquidation_threshold: Option<f64>,
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
        let annual = bank_rate(score, ltv);
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
            asset: None,
            liquidation_threshold: None,
            defaulted,
        });
    }
    build(drafts, spec.total_principal)
}

/// A DeFi book on the default collateral, [`DefiAsset::aave_v3_ethereum`] (WETH and WBTC
/// with Aave v3's parameters): [`defi_book_with`] those assets.
pub fn defi_book(spec: &BookSpec) -> Result<Book> {
    defi_book_with(spec, &DefiAsset::aave_v3_ethereum())
}

/// A DeFi book: anonymous borrowers (no score, income or debt service), no recourse,
/// floating-rate interest-only one-year positions, each secured by one of `assets` drawn
/// by share, at an LTV drawn uniformly between [`DEFI_MIN_LTV`] and the asset's LTV limit.
/// The record carries the asset's name, total volatility, liquidation threshold and the
/// haircut of its bonus. A position is liquidated on the first day its debt reaches the
/// asset's liquidation threshold on the daily collateral path (a martingale
/// jump-diffusion with the asset's volatility and crash days), and it **defaults** when the
/// liquidation does not cover the debt: collateral worth `V` repays `V / (1 + bonus)`, and
/// without recourse the rest is lost. Errors name `assets[i].field`.
pub fn defi_book_with(spec: &BookSpec, assets: &[DefiAsset]) -> Result<Book> {
    spec.validate()?;
    validate_assets(assets)?;
    let symbols = assets
        .iter()
        .map(|a| AssetSymbol::new(&a.name))
        .collect::<Result<Vec<_>>>()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let principal_d = lognormal(5_000.0, 1.5)?;
    let jump_d = assets
        .iter()
        .map(|a| normal(a.jumps.mean, a.jumps.sd))
        .collect::<Result<Vec<_>>>()?;
    let dt = 1.0 / f64::from(DEFI_MONITORING_DAYS);
    let mut drafts = Vec::with_capacity(spec.loans);
    for _ in 0..spec.loans {
        let principal = principal_d.sample(&mut rng).max(100.0);
        // The asset, by share: the first whose cumulative share exceeds the draw (the last
        // takes what rounding leaves).
        let u: f64 = rng.random();
        let mut k = assets.len() - 1;
        let mut cumulative = 0.0;
        for (i, a) in assets.iter().enumerate() {
            cumulative += a.share;
            if u < cumulative {
                k = i;
                break;
            }
        }
        let a = &assets[k];
        let ltv = rng.random_range(DEFI_MIN_LTV..=a.ltv);
        let value = principal / ltv;
        let spread = rng.random_range(0.0..=0.04);
        let annual = DEFI_INDEX_RATE + spread;
        let haircut = a.haircut();
        let (vol, jumps) = (a.volatility, a.jumps);
        let mut v = value;
        let mut debt = principal;
        let mut defaulted = false;
        // Compensator so the collateral value is a martingale despite the jumps.
        let drift = (-0.5 * vol * vol - jumps.per_year * jumps.kappa()) * dt;
        let jump_probability = (jumps.per_year * dt).min(1.0);
        for _ in 0..DEFI_MONITORING_DAYS {
            let z: f64 = StandardNormal.sample(&mut rng);
            let mut log_return = drift + vol * dt.sqrt() * z;
            if rng.random_bool(jump_probability) {
                log_return += jump_d[k].sample(&mut rng);
            }
            v *= log_return.exp();
            debt *= 1.0 + annual * dt;
            if debt / v >= a.liquidation_threshold {
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
            vol: a.total_volatility(),
            haircut,
            asset: Some(symbols[k]),
            liquidation_threshold: Some(a.liquidation_threshold),
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
        let mut collateral = Collateral::new(d.kind, d.value * f, d.vol, d.haircut)?;
        if let Some(a) = d.asset {
            collateral = collateral.with_asset(a)?;
        }
        if let Some(t) = d.liquidation_threshold {
            collateral = collateral.with_liquidation_threshold(t)?;
        }
        records.push(LoanRecord {
            loan,
            borrower,
            collateral,
            defaulted: Some(d.defaulted),
        });
    }
    Book::new(records)
}
