//! The DeFi lending pool under a moving market: liquidations, fire-sale cascades, runs,
//! and the Monte Carlo over price paths. Methodology: docs/methodology/lending-pool.md,
//! docs/methodology/market.md, docs/methodology/fire-sales.md.
//!
//! The mechanics are those of [`crate::lending`] (same collateral parameters, rate model,
//! close factor and seizure arithmetic); this module adds time. Each step:
//!
//! 1. the fire-sale impact of earlier steps relaxes toward the fundamental price;
//! 2. the market moves: correlated jump-diffusion ([`MarketModel`]) x the scripted shock
//!    multiplier x the impact multiplier;
//! 3. the oracle reports the exogenous price of `oracle_delay_steps` steps ago times the
//!    current impact (fire sales happen on-chain, in the venues the oracle reads);
//! 4. interest accrues at the borrow rate of the current utilization (a borrow index, as
//!    Aave's variable-debt index, so accrual costs O(1) and does not reorder positions);
//! 5. liquidations, worst health factor first, up to the step's liquidation capacity (debt
//!    repaid per step); the liquidators sell the seized collateral through the impact
//!    model, the lower price feeds back into every other position's health factor at once,
//!    and the next round liquidates what that pushed under 1 (a cascade), until no new
//!    position is liquidatable or the capacity is exhausted;
//! 6. runs: depositor cohorts whose threshold the run signal has crossed ask to withdraw
//!    everything; requests are served first come, first served against the cash.
//!
//! **Ordering.** Positions with one collateral asset (all positions of a generated book)
//! are kept sorted per asset by their *scaled liquidation price*
//! `scaled_debt / (collateral x LT)`: a position is liquidatable when the oracle price is
//! below that key times the borrow index. A step pops positions from the top of the order
//! only while the price is below their key, so it touches only positions whose liquidation
//! price the price crossed; positions liquidated partially go back into a heap with their
//! new key. Positions with several collateral assets are few in practice and are checked
//! every round.
//!
//! **Determinism.** Path `i` draws from [`stream`]`(seed, i)`; per-path summaries are
//! collected in path order and reduced sequentially, so a seed gives bit-identical results
//! on any number of threads. Memory is one summary per path, never positions x paths or
//! steps x paths; the time series is of one path (the path with the median bad debt),
//! simulated again once the summaries are known.
//!
//! ```
//! use creditlab_defi::simulation::{DefiSimConfig, simulate};
//! let config = DefiSimConfig::example(200); // 200 WETH positions, March-2020 crash
//! let result = simulate(&config, 8, 42)?;
//! assert!(result.bad_debt.mean >= 0.0);
//! assert_eq!(result.series.hour.len(), config.steps + 1);
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```

use crate::error::{DefiError, Result, check_positive, check_range};
use crate::impact::{ImpactModel, relaxation_per_step};
use crate::lending::{CollateralAsset, RateModel, close_factor, seize};
use crate::market::{AssetDynamics, HOURS_PER_YEAR, MarketModel, Oracle, ShockPath};
use creditlab_numerics::rng::stream;
use creditlab_numerics::special::norm_ppf;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BinaryHeap;

/// Most paths one call simulates.
pub const MAX_PATHS: u64 = 10_000_000;
/// Most steps of one path.
pub const MAX_STEPS: usize = 1_000_000;
/// Smallest and largest price the simulation carries: prices are clamped to them so that
/// an absurd drift or volatility over a long horizon cannot produce 0, infinity or NaN.
const MIN_PRICE: f64 = 1e-200;
/// See [`MIN_PRICE`].
const MAX_PRICE: f64 = 1e200;
/// Most cascade rounds in one step (a guard; a cascade that long is reported as such).
pub const MAX_CASCADE_ROUNDS: u32 = 1_000;

/// One collateral asset in the market: its risk parameters in the pool, its price now, its
/// dynamics and how fire sales move it.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketAsset {
    /// LTV, liquidation threshold, bonus, protocol fee.
    pub risk: CollateralAsset,
    /// Price at hour 0, in units of the borrowed asset.
    pub initial_price: f64,
    /// Drift, volatility and jumps.
    pub dynamics: AssetDynamics,
    /// Price impact of liquidators' sales.
    pub impact: ImpactModel,
}

/// A position to open at hour 0: collateral per asset (asset units) and debt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionSpec {
    /// Collateral in units of each asset, in the order of the config's assets.
    pub collateral: Vec<f64>,
    /// Debt in units of the borrowed asset.
    pub debt: f64,
}

/// What depositors watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunSignal {
    /// Fall of the share price from its running peak, `1 - price / peak`.
    SharePriceDrop,
    /// Cumulative bad debt per unit of initial deposits.
    BadDebt,
    /// Utilization of the pool.
    Utilization,
}

/// The distribution of depositors' thresholds on the run signal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "distribution", deny_unknown_fields)]
pub enum ThresholdDistribution {
    /// Uniform on `[low, high]`.
    Uniform {
        /// Lowest threshold.
        low: f64,
        /// Highest threshold.
        high: f64,
    },
    /// Log-normal with this median and log standard deviation.
    LogNormal {
        /// Median threshold.
        median: f64,
        /// Standard deviation of the threshold's logarithm.
        sigma: f64,
    },
}

impl ThresholdDistribution {
    /// The quantile at `q` in (0, 1).
    pub fn quantile(&self, q: f64) -> f64 {
        match *self {
            ThresholdDistribution::Uniform { low, high } => low + (high - low) * q,
            ThresholdDistribution::LogNormal { median, sigma } => {
                median * (sigma * norm_ppf(q)).exp()
            }
        }
    }
}

/// Depositor runs: `run_prone_share` of the deposits is split into `cohorts` equal cohorts;
/// cohort `j` (of `n`) has the threshold quantile `(j + 0.5) / n` of `thresholds` (a
/// stratified draw: the thresholds are the same on every path), and asks to withdraw all
/// its shares once the signal reaches it. The other deposits never run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunModel {
    /// Number of depositor cohorts (0: no runs).
    pub cohorts: usize,
    /// Share of the initial deposits held by run-prone cohorts, in [0, 1].
    pub run_prone_share: f64,
    /// The signal depositors watch.
    pub signal: RunSignal,
    /// Distribution of their thresholds.
    pub thresholds: ThresholdDistribution,
}

impl RunModel {
    /// Nobody runs.
    pub fn none() -> Self {
        Self {
            cohorts: 0,
            run_prone_share: 0.0,
            signal: RunSignal::SharePriceDrop,
            thresholds: ThresholdDistribution::Uniform {
                low: 0.0,
                high: 0.0,
            },
        }
    }
}

/// Everything one simulation needs. Validated by [`DefiSim::new`] (and so by
/// [`simulate`]); errors name the field.
#[derive(Debug, Clone, PartialEq)]
pub struct DefiSimConfig {
    /// Collateral assets, at least one.
    pub assets: Vec<MarketAsset>,
    /// Correlation matrix of the assets' diffusions (n x n).
    pub correlation: Vec<Vec<f64>>,
    /// Interest rate model of the borrowed asset.
    pub rates: RateModel,
    /// Utilization at hour 0: deposits are `total debt / initial_utilization`, in (0, 1].
    pub initial_utilization: f64,
    /// The protocol's reserve at hour 0, as a fraction of the total debt (held in cash on
    /// top of the deposits).
    pub initial_reserve: f64,
    /// The positions at hour 0 (see [`positions_from_book`]).
    pub positions: Vec<PositionSpec>,
    /// Length of a step in hours.
    pub step_hours: f64,
    /// Steps per path.
    pub steps: usize,
    /// Oracle delay in steps (0: the oracle reports the current price).
    pub oracle_delay_steps: usize,
    /// Scripted shock multiplying every asset's price, or none (calm market).
    pub shock: Option<ShockPath>,
    /// Half-life of the fire-sale impact, in hours (0: gone by the next step).
    pub impact_half_life_hours: f64,
    /// Liquidation capacity: debt liquidators can repay per hour, as a fraction of the
    /// total debt at hour 0; `None` for unlimited.
    pub liquidation_capacity_per_hour: Option<f64>,
    /// Depositor runs.
    pub runs: RunModel,
}

impl DefiSimConfig {
    /// The same pool and market without a shock: the calm setting.
    pub fn calm(&self) -> Self {
        Self {
            shock: None,
            ..self.clone()
        }
    }

    /// The same pool and market under the March-2020 crash ([`ShockPath::march_2020`]).
    pub fn march_2020(&self) -> Self {
        Self {
            shock: Some(ShockPath::march_2020()),
            ..self.clone()
        }
    }

    /// A small, complete example: `n` positions on one WETH-like asset (Aave v3 risk
    /// parameters, 2,000 per ETH, 80% volatility, jumps), LTVs spread evenly from 50% to
    /// 80%, 80% utilization, a USDC-like rate curve, a constant-product fire-sale market
    /// holding ten times the debt in cash,
    /// 96 hourly steps under the March-2020 crash with a one-hour oracle delay, capacity
    /// 5% of the debt per hour, and runs on a share-price drop.
    pub fn example(n: usize) -> Self {
        let price = 2000.0;
        let positions = (0..n)
            .map(|i| {
                let ltv = 0.5 + 0.3 * (i as f64 + 0.5) / n.max(1) as f64;
                PositionSpec {
                    collateral: vec![1.0],
                    debt: ltv * price,
                }
            })
            .collect::<Vec<_>>();
        let total: f64 = positions.iter().map(|p| p.debt).sum();
        Self {
            assets: vec![MarketAsset {
                risk: CollateralAsset::weth_like(),
                initial_price: price,
                dynamics: AssetDynamics {
                    drift: 0.0,
                    volatility: 0.8,
                    jump_intensity: 10.0,
                    jump_mean: -0.05,
                    jump_sd: 0.05,
                },
                impact: ImpactModel::ConstantProduct {
                    depth: 10.0 * total,
                    fee: 0.003,
                },
            }],
            correlation: vec![vec![1.0]],
            rates: RateModel::usdc_like(),
            initial_utilization: 0.8,
            initial_reserve: 0.0,
            positions,
            step_hours: 1.0,
            steps: 96,
            oracle_delay_steps: 1,
            shock: Some(ShockPath::march_2020()),
            impact_half_life_hours: 2.0,
            liquidation_capacity_per_hour: Some(0.05),
            runs: RunModel {
                cohorts: 20,
                run_prone_share: 0.5,
                signal: RunSignal::SharePriceDrop,
                thresholds: ThresholdDistribution::Uniform {
                    low: 0.0,
                    high: 0.02,
                },
            },
        }
    }
}

/// Positions from a generated book (e.g. `creditlab_loan::synthetic::defi_book`): each loan
/// becomes a position on the asset whose volatility is nearest the loan's collateral
/// volatility (the first such asset on a tie), holding `collateral value / initial price`
/// units, with the principal as debt. A loan without collateral, or above the asset's LTV
/// limit, is an error naming it.
pub fn positions_from_book(
    book: &creditlab_loan::Book,
    assets: &[MarketAsset],
) -> Result<Vec<PositionSpec>> {
    if assets.is_empty() {
        return Err(DefiError::Lending {
            what: "assets".into(),
            reason: "a pool needs at least one collateral asset".into(),
        });
    }
    book.iter()
        .map(|r| {
            let value = r.collateral.value();
            let vol = r.collateral.volatility();
            let id = r.loan.id();
            if value.is_nan() || value <= 0.0 {
                return Err(DefiError::Lending {
                    what: format!("loan {id}"),
                    reason: "has no collateral; a lending pool lends against collateral only"
                        .into(),
                });
            }
            let k = (0..assets.len())
                .min_by(|&a, &b| {
                    let da = (assets[a].dynamics.volatility - vol).abs();
                    let db = (assets[b].dynamics.volatility - vol).abs();
                    da.total_cmp(&db).then(a.cmp(&b))
                })
                .unwrap_or(0);
            let a = &assets[k];
            let debt = r.loan.principal();
            if debt > value * a.risk.ltv * (1.0 + 1e-9) {
                return Err(DefiError::Lending {
                    what: format!("loan {id}"),
                    reason: format!(
                        "LTV {:.4} exceeds {}'s limit {}",
                        debt / value,
                        a.risk.name,
                        a.risk.ltv
                    ),
                });
            }
            let mut collateral = vec![0.0; assets.len()];
            collateral[k] = value / a.initial_price;
            Ok(PositionSpec { collateral, debt })
        })
        .collect()
}

/// Mean, quantiles and probability of a positive value of a per-path figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distribution {
    /// Mean over paths.
    pub mean: f64,
    /// Median (empirical quantile: the `ceil(q n)`-th smallest value).
    pub p50: f64,
    /// 95% quantile.
    pub p95: f64,
    /// 99% quantile.
    pub p99: f64,
    /// 99.9% quantile.
    pub p999: f64,
    /// 99.9% expected shortfall: the mean of the worst `ceil(0.001 n)` values (at least
    /// one), the tail that the 99.9% quantile only bounds.
    pub es999: f64,
    /// Share of paths with a value > 0.
    pub prob_positive: f64,
}

impl Distribution {
    /// The distribution of `values` (sorted in place); `None` when empty.
    pub fn of(values: &mut [f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let q = |p: f64| values[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        Some(Self {
            mean: values.iter().sum::<f64>() / n as f64,
            p50: q(0.5),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            es999: {
                let tail = ((0.001 * n as f64).ceil() as usize).clamp(1, n);
                values[n - tail..].iter().sum::<f64>() / tail as f64
            },
            prob_positive: values.iter().filter(|&&v| v > 0.0).count() as f64 / n as f64,
        })
    }
}

/// One path step by step (index 0 is hour 0, before the first step). Amounts are per unit
/// of the initial total debt (liquidations, bad debt) or of the initial deposits
/// (withdrawals); prices are per asset, `[asset][step]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StepSeries {
    /// Which path (its index in the stream of the seed).
    pub path: u64,
    /// Hours since the start.
    pub hour: Vec<f64>,
    /// Market price per asset (fundamental x shock x impact).
    pub market_price: Vec<Vec<f64>>,
    /// Oracle price per asset.
    pub oracle_price: Vec<Vec<f64>>,
    /// Debt repaid by liquidators in the step, per unit of initial debt.
    pub liquidations: Vec<f64>,
    /// Cascade rounds in the step.
    pub cascade_rounds: Vec<u32>,
    /// Cumulative bad debt, per unit of initial debt.
    pub cumulative_bad_debt: Vec<f64>,
    /// Share price (1 at hour 0).
    pub share_price: Vec<f64>,
    /// Utilization after the step.
    pub utilization: Vec<f64>,
    /// Value of the withdrawal requests outstanding in the step, per unit of initial
    /// deposits.
    pub withdrawals_wanted: Vec<f64>,
    /// Cash paid out to them in the step, per unit of initial deposits.
    pub withdrawals_met: Vec<f64>,
}

/// The Monte Carlo result: distributions over paths of per-path figures, and the time
/// series of the path with the median bad debt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefiSimResult {
    /// Paths simulated.
    pub paths: u64,
    /// Seed.
    pub seed: u64,
    /// Steps per path.
    pub steps: usize,
    /// Hours per step.
    pub step_hours: f64,
    /// Positions at hour 0.
    pub positions: usize,
    /// Total debt at hour 0 (units of the borrowed asset).
    pub total_debt: f64,
    /// Deposits at hour 0.
    pub deposits: f64,
    /// Hour the scripted shock starts (`None` without a shock: times are then from hour 0).
    pub shock_start_hour: Option<f64>,
    /// Bad debt written off over the path, per unit of initial debt.
    pub bad_debt: Distribution,
    /// Depositors' loss (bad debt the reserve could not absorb), per unit of deposits.
    pub depositor_loss: Distribution,
    /// Debt repaid by liquidators over the path, per unit of initial debt.
    pub liquidation_volume: Distribution,
    /// The longest cascade of the path: most liquidation rounds in one step.
    pub cascade_rounds: Distribution,
    /// Hours from the shock's start (or hour 0) to the first bad debt, over the paths with
    /// bad debt (`None` when no path had any).
    pub hours_to_first_bad_debt: Option<Distribution>,
    /// Share of paths without bad debt.
    pub share_of_paths_without_bad_debt: f64,
    /// Share of the shares depositors asked to withdraw that had not been paid by the end
    /// (0 on paths where nobody asked).
    pub unmet_withdrawals: Distribution,
    /// Share of paths on which some depositor asked to withdraw.
    pub share_of_paths_with_withdrawals: f64,
    /// The path with the median bad debt, step by step.
    pub series: StepSeries,
}

/// The two settings the report compares: the same pool in a calm market and in the
/// March-2020 crash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalmAndCrash {
    /// No scripted shock.
    pub calm: DefiSimResult,
    /// The March-2020 shock.
    pub march_2020: DefiSimResult,
}

/// Validates `config` and simulates `paths` paths from `seed`, in parallel on the current
/// rayon pool; the result depends only on the config, `paths` and `seed`.
pub fn simulate(config: &DefiSimConfig, paths: u64, seed: u64) -> Result<DefiSimResult> {
    DefiSim::new(config)?.run(paths, seed)
}

/// Both settings of the report from one config: [`DefiSimConfig::calm`] and
/// [`DefiSimConfig::march_2020`], same paths and seed.
pub fn simulate_calm_and_crash(
    config: &DefiSimConfig,
    paths: u64,
    seed: u64,
) -> Result<CalmAndCrash> {
    Ok(CalmAndCrash {
        calm: simulate(&config.calm(), paths, seed)?,
        march_2020: simulate(&config.march_2020(), paths, seed)?,
    })
}

/// What one path leaves behind.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PathSummary {
    bad_debt: f64,
    borne_by_depositors: f64,
    repaid: f64,
    max_rounds: u32,
    first_bad_debt_hour: Option<f64>,
    wanted_shares: f64,
    unmet_shares: f64,
}

/// A validated, prepared simulation: positions ordered, thresholds drawn.
#[derive(Debug, Clone)]
pub struct DefiSim {
    config: DefiSimConfig,
    market: MarketModel,
    risk: Vec<CollateralAsset>,
    p0: Vec<f64>,
    n_assets: usize,
    /// Collateral at hour 0, `n_pos x n_assets` row-major.
    collateral0: Vec<f64>,
    /// Debt at hour 0 (= scaled debt at index 1).
    debt0: Vec<f64>,
    /// Per asset: single-asset positions `(key bits, id)`, key descending.
    order: Vec<Vec<(u64, u32)>>,
    /// Positions with several collateral assets (checked every round).
    mixed: Vec<u32>,
    /// Per position: whether it is in `mixed`.
    is_mixed: Vec<bool>,
    total_debt: f64,
    deposits: f64,
    reserve0: f64,
    /// Run thresholds, ascending, one per cohort.
    thresholds: Vec<f64>,
    cohort_shares: f64,
    relax: f64,
    capacity_per_step: f64,
    dt: f64,
    /// Shock multiplier at the end of each step (index 0: hour 0).
    shock: Vec<f64>,
}

fn invalid(field: impl Into<String>, value: f64, reason: &'static str) -> DefiError {
    DefiError::InvalidParameter {
        field: field.into(),
        value,
        reason,
    }
}

/// `key = debt / (collateral x LT)` as sortable bits (positive floats order as their bits).
#[inline]
fn key_bits(debt: f64, collateral: f64, lt: f64) -> u64 {
    (debt / (collateral * lt)).to_bits()
}

impl DefiSim {
    /// Validates the config and prepares the simulation (orders the positions).
    pub fn new(config: &DefiSimConfig) -> Result<Self> {
        let c = config;
        let n = c.assets.len();
        if n == 0 {
            return Err(DefiError::Lending {
                what: "assets".into(),
                reason: "a pool needs at least one collateral asset".into(),
            });
        }
        let mut risk = Vec::with_capacity(n);
        for a in &c.assets {
            let r = &a.risk;
            risk.push(CollateralAsset::new(
                r.name.clone(),
                r.ltv,
                r.liquidation_threshold,
                r.liquidation_bonus,
                r.protocol_fee_share,
            )?);
            check_positive(&format!("{}: initial_price", r.name), a.initial_price)?;
            a.impact.validate().map_err(|e| match e {
                DefiError::InvalidParameter {
                    field,
                    value,
                    reason,
                } => invalid(format!("{}: impact {field}", r.name), value, reason),
                other => other,
            })?;
        }
        check_positive("step_hours", c.step_hours)?;
        if c.step_hours > HOURS_PER_YEAR {
            return Err(invalid("step_hours", c.step_hours, "at most a year"));
        }
        if c.steps == 0 || c.steps > MAX_STEPS {
            return Err(invalid("steps", c.steps as f64, "must be in 1..=1000000"));
        }
        if c.oracle_delay_steps > c.steps {
            return Err(invalid(
                "oracle_delay_steps",
                c.oracle_delay_steps as f64,
                "must be at most the number of steps",
            ));
        }
        let dt = c.step_hours / HOURS_PER_YEAR;
        let market = MarketModel::new(
            c.assets.iter().map(|a| a.dynamics).collect(),
            &c.correlation,
            dt,
        )
        .map_err(|e| match e {
            DefiError::InvalidParameter {
                field,
                value,
                reason,
            } => {
                // "asset k: field" -> "NAME: field".
                let named = field
                    .strip_prefix("asset ")
                    .and_then(|rest| rest.split_once(": "))
                    .and_then(|(k, f)| {
                        k.parse::<usize>()
                            .ok()
                            .map(|k| format!("{}: {f}", c.assets[k].risk.name))
                    })
                    .unwrap_or(field);
                invalid(named, value, reason)
            }
            other => other,
        })?;
        RateModel::new(
            c.rates.base,
            c.rates.slope1,
            c.rates.slope2,
            c.rates.optimal_utilization,
            c.rates.reserve_factor,
        )?;
        check_range("initial_utilization", c.initial_utilization, 0.0, 1.0)?;
        if c.initial_utilization <= 0.0 {
            return Err(invalid(
                "initial_utilization",
                c.initial_utilization,
                "must be in (0, 1]",
            ));
        }
        check_range("initial_reserve", c.initial_reserve, 0.0, 1.0)?;
        check_range(
            "impact_half_life_hours",
            c.impact_half_life_hours,
            0.0,
            f64::MAX,
        )?;
        if let Some(cap) = c.liquidation_capacity_per_hour {
            check_positive("liquidation_capacity_per_hour", cap)?;
        }
        let r = &c.runs;
        check_range("runs: run_prone_share", r.run_prone_share, 0.0, 1.0)?;
        if r.cohorts > 100_000 {
            return Err(invalid("runs: cohorts", r.cohorts as f64, "at most 100000"));
        }
        match r.thresholds {
            ThresholdDistribution::Uniform { low, high } => {
                check_range("runs: thresholds low", low, 0.0, f64::MAX)?;
                check_range("runs: thresholds high", high, low, f64::MAX)?;
            }
            ThresholdDistribution::LogNormal { median, sigma } => {
                check_positive("runs: thresholds median", median)?;
                check_range("runs: thresholds sigma", sigma, 0.0, 10.0)?;
            }
        }
        if c.positions.is_empty() {
            return Err(DefiError::Lending {
                what: "positions".into(),
                reason: "at least one position is needed".into(),
            });
        }
        if c.positions.len() > u32::MAX as usize {
            return Err(invalid(
                "positions",
                c.positions.len() as f64,
                "too many positions",
            ));
        }
        let mut collateral0 = Vec::with_capacity(c.positions.len() * n);
        let mut debt0 = Vec::with_capacity(c.positions.len());
        let mut order: Vec<Vec<(u64, u32)>> = vec![Vec::new(); n];
        let mut mixed = Vec::new();
        let mut is_mixed = vec![false; c.positions.len()];
        for (i, p) in c.positions.iter().enumerate() {
            if p.collateral.len() != n {
                return Err(DefiError::Lending {
                    what: format!("position {i}"),
                    reason: format!("{} collateral amounts for {n} assets", p.collateral.len()),
                });
            }
            let mut limit = 0.0;
            for (k, &amount) in p.collateral.iter().enumerate() {
                check_range(
                    format!("position {i}: collateral {}", risk[k].name),
                    amount,
                    0.0,
                    f64::MAX,
                )?;
                limit += amount * c.assets[k].initial_price * risk[k].ltv;
            }
            check_positive(&format!("position {i}: debt"), p.debt)?;
            if p.debt > limit * (1.0 + 1e-9) {
                return Err(DefiError::Lending {
                    what: format!("position {i}: debt"),
                    reason: format!("{} exceeds the LTV limit {limit}", p.debt),
                });
            }
            collateral0.extend_from_slice(&p.collateral);
            debt0.push(p.debt);
            let held: Vec<usize> = (0..n).filter(|&k| p.collateral[k] > 0.0).collect();
            if held.len() == 1 {
                let k = held[0];
                order[k].push((
                    key_bits(p.debt, p.collateral[k], risk[k].liquidation_threshold),
                    i as u32,
                ));
            } else {
                mixed.push(i as u32);
                is_mixed[i] = true;
            }
        }
        for o in &mut order {
            o.sort_unstable_by(|a, b| b.cmp(a));
        }
        let total_debt: f64 = debt0.iter().sum();
        let deposits = total_debt / c.initial_utilization;
        let thresholds = (0..r.cohorts)
            .map(|j| r.thresholds.quantile((j as f64 + 0.5) / r.cohorts as f64))
            .collect();
        let cohort_shares = if r.cohorts > 0 {
            deposits * r.run_prone_share / r.cohorts as f64
        } else {
            0.0
        };
        let shock = (0..=c.steps)
            .map(|s| {
                c.shock
                    .as_ref()
                    .map_or(1.0, |sh| sh.multiplier(s as f64 * c.step_hours))
            })
            .collect();
        Ok(Self {
            config: c.clone(),
            market,
            risk,
            p0: c.assets.iter().map(|a| a.initial_price).collect(),
            n_assets: n,
            collateral0,
            debt0,
            order,
            mixed,
            is_mixed,
            total_debt,
            deposits,
            reserve0: c.initial_reserve * total_debt,
            thresholds,
            cohort_shares,
            relax: relaxation_per_step(c.impact_half_life_hours / c.step_hours),
            capacity_per_step: c
                .liquidation_capacity_per_hour
                .map_or(f64::INFINITY, |f| f * c.step_hours * total_debt),
            dt,
            shock,
        })
    }

    /// Total debt at hour 0.
    pub fn total_debt(&self) -> f64 {
        self.total_debt
    }

    /// Deposits at hour 0.
    pub fn deposits(&self) -> f64 {
        self.deposits
    }

    /// Simulates paths `0..paths` of `seed` in parallel and summarizes them.
    pub fn run(&self, paths: u64, seed: u64) -> Result<DefiSimResult> {
        self.run_with_progress(paths, seed, &|| {})
    }

    /// [`DefiSim::run`], calling `on_path` once as each path finishes (from the worker
    /// threads, in no particular order): for progress bars. The result does not depend on
    /// it.
    pub fn run_with_progress(
        &self,
        paths: u64,
        seed: u64,
        on_path: &(dyn Fn() + Sync),
    ) -> Result<DefiSimResult> {
        if paths == 0 || paths > MAX_PATHS {
            return Err(invalid("paths", paths as f64, "must be in 1..=10000000"));
        }
        let summaries: Vec<PathSummary> = (0..paths)
            .into_par_iter()
            .map_init(
                || PathState::new(self),
                |state, i| {
                    let summary = state.run(seed, i, None);
                    on_path();
                    summary
                },
            )
            .collect();
        let per_debt = |f: fn(&PathSummary) -> f64| -> Distribution {
            let mut v: Vec<f64> = summaries.iter().map(|s| f(s) / self.total_debt).collect();
            Distribution::of(&mut v).expect("paths >= 1")
        };
        let bad_debt = per_debt(|s| s.bad_debt);
        let liquidation_volume = per_debt(|s| s.repaid);
        let mut loss: Vec<f64> = summaries
            .iter()
            .map(|s| s.borne_by_depositors / self.deposits)
            .collect();
        let mut rounds: Vec<f64> = summaries.iter().map(|s| f64::from(s.max_rounds)).collect();
        let start = self.config.shock.as_ref().map(ShockPath::start_hour);
        let mut times: Vec<f64> = summaries
            .iter()
            .filter_map(|s| s.first_bad_debt_hour.map(|h| h - start.unwrap_or(0.0)))
            .collect();
        let with_bad = times.len();
        let mut unmet: Vec<f64> = summaries
            .iter()
            .map(|s| {
                if s.wanted_shares > 0.0 {
                    s.unmet_shares / s.wanted_shares
                } else {
                    0.0
                }
            })
            .collect();
        let asked = summaries.iter().filter(|s| s.wanted_shares > 0.0).count();
        // The path with the median bad debt (ties broken by index), simulated again.
        let mut by_bad: Vec<(f64, u64)> = summaries
            .iter()
            .enumerate()
            .map(|(i, s)| (s.bad_debt, i as u64))
            .collect();
        by_bad.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let median_path = by_bad[(by_bad.len() - 1) / 2].1;
        let mut series = StepSeries::default();
        PathState::new(self).run(seed, median_path, Some(&mut series));
        let n = paths as f64;
        Ok(DefiSimResult {
            paths,
            seed,
            steps: self.config.steps,
            step_hours: self.config.step_hours,
            positions: self.debt0.len(),
            total_debt: self.total_debt,
            deposits: self.deposits,
            shock_start_hour: start,
            bad_debt,
            depositor_loss: Distribution::of(&mut loss).expect("paths >= 1"),
            liquidation_volume,
            cascade_rounds: Distribution::of(&mut rounds).expect("paths >= 1"),
            hours_to_first_bad_debt: Distribution::of(&mut times),
            share_of_paths_without_bad_debt: (paths as usize - with_bad) as f64 / n,
            unmet_withdrawals: Distribution::of(&mut unmet).expect("paths >= 1"),
            share_of_paths_with_withdrawals: asked as f64 / n,
            series,
        })
    }
}

/// The mutable state of one path; reused from path to path by one worker.
#[derive(Debug, Clone)]
struct PathState<'a> {
    sim: &'a DefiSim,
    collateral: Vec<f64>,
    scaled: Vec<f64>,
    cursor: Vec<usize>,
    heap: Vec<BinaryHeap<(u64, u32)>>,
    index: f64,
    total_scaled: f64,
    cash: f64,
    reserve: f64,
    shares: f64,
    log_fund: Vec<f64>,
    impact: Vec<f64>,
    exo: Vec<f64>,
    market: Vec<f64>,
    oracle_price: Vec<f64>,
    oracle: Oracle,
    dlog: Vec<f64>,
    seized: Vec<f64>,
    fee: Vec<f64>,
    sold: Vec<f64>,
    mixed_candidates: Vec<(f64, u32)>,
    deferred: Vec<u32>,
    // Runs.
    max_signal: f64,
    peak_share_price: f64,
    next_cohort: usize,
    served: usize,
    front_left: f64,
    // Totals (for the summary and conservation checks).
    repaid_total: f64,
    bad_total: f64,
    borne_total: f64,
    interest_total: f64,
    paid_total: f64,
    seized_total: Vec<f64>,
    fee_total: Vec<f64>,
    max_rounds: u32,
    first_bad: Option<f64>,
    hour: f64,
    step_repaid: f64,
    step_rounds: u32,
    step_wanted: f64,
    step_paid: f64,
}

impl<'a> PathState<'a> {
    fn new(sim: &'a DefiSim) -> Self {
        let n = sim.n_assets;
        let mut s = Self {
            sim,
            collateral: Vec::new(),
            scaled: Vec::new(),
            cursor: vec![0; n],
            heap: vec![BinaryHeap::new(); n],
            index: 1.0,
            total_scaled: 0.0,
            cash: 0.0,
            reserve: 0.0,
            shares: 0.0,
            log_fund: vec![0.0; n],
            impact: vec![1.0; n],
            exo: vec![0.0; n],
            market: vec![0.0; n],
            oracle_price: vec![0.0; n],
            oracle: Oracle::new(sim.config.oracle_delay_steps, &sim.p0),
            dlog: vec![0.0; n],
            seized: vec![0.0; n],
            fee: vec![0.0; n],
            sold: vec![0.0; n],
            mixed_candidates: Vec::new(),
            deferred: Vec::new(),
            max_signal: 0.0,
            peak_share_price: 1.0,
            next_cohort: 0,
            served: 0,
            front_left: 0.0,
            repaid_total: 0.0,
            bad_total: 0.0,
            borne_total: 0.0,
            interest_total: 0.0,
            paid_total: 0.0,
            seized_total: vec![0.0; n],
            fee_total: vec![0.0; n],
            max_rounds: 0,
            first_bad: None,
            hour: 0.0,
            step_repaid: 0.0,
            step_rounds: 0,
            step_wanted: 0.0,
            step_paid: 0.0,
        };
        s.reset();
        s
    }

    /// Back to hour 0.
    fn reset(&mut self) {
        let sim = self.sim;
        self.collateral.clear();
        self.collateral.extend_from_slice(&sim.collateral0);
        self.scaled.clear();
        self.scaled.extend_from_slice(&sim.debt0);
        self.cursor.iter_mut().for_each(|c| *c = 0);
        self.heap.iter_mut().for_each(BinaryHeap::clear);
        self.index = 1.0;
        self.total_scaled = sim.total_debt;
        self.reserve = sim.reserve0;
        self.cash = sim.deposits + sim.reserve0 - sim.total_debt;
        self.shares = sim.deposits;
        self.log_fund.iter_mut().for_each(|x| *x = 0.0);
        self.impact.iter_mut().for_each(|x| *x = 1.0);
        for k in 0..sim.n_assets {
            self.exo[k] = sim.p0[k] * sim.shock[0];
        }
        self.market.copy_from_slice(&self.exo);
        self.oracle_price.copy_from_slice(&self.exo);
        self.oracle.reset(&self.exo);
        self.max_signal = 0.0;
        self.peak_share_price = 1.0;
        self.next_cohort = 0;
        self.served = 0;
        self.front_left = sim.cohort_shares;
        self.repaid_total = 0.0;
        self.bad_total = 0.0;
        self.borne_total = 0.0;
        self.interest_total = 0.0;
        self.paid_total = 0.0;
        self.seized_total.iter_mut().for_each(|x| *x = 0.0);
        self.fee_total.iter_mut().for_each(|x| *x = 0.0);
        self.max_rounds = 0;
        self.first_bad = None;
        self.hour = 0.0;
    }

    fn total_debt(&self) -> f64 {
        self.total_scaled * self.index
    }

    fn utilization(&self) -> f64 {
        RateModel::utilization(self.cash.max(0.0), self.total_debt())
    }

    fn share_price(&self) -> f64 {
        if self.shares > 0.0 {
            (self.cash + self.total_debt() - self.reserve) / self.shares
        } else {
            1.0
        }
    }

    /// Simulates path `i` of `seed` from hour 0, recording the series if asked.
    fn run(&mut self, seed: u64, i: u64, mut series: Option<&mut StepSeries>) -> PathSummary {
        self.reset();
        let mut rng = stream(seed, i);
        if let Some(s) = series.as_deref_mut() {
            *s = StepSeries {
                path: i,
                market_price: vec![Vec::new(); self.sim.n_assets],
                oracle_price: vec![Vec::new(); self.sim.n_assets],
                ..StepSeries::default()
            };
            self.step_repaid = 0.0;
            self.step_rounds = 0;
            self.step_wanted = 0.0;
            self.step_paid = 0.0;
            self.record(s);
        }
        for s in 0..self.sim.config.steps {
            self.step(s, &mut rng);
            if let Some(out) = series.as_deref_mut() {
                self.record(out);
            }
        }
        self.summary()
    }

    fn summary(&self) -> PathSummary {
        let wanted = self.sim.cohort_shares * self.next_cohort as f64;
        let paid_shares = if self.next_cohort == 0 {
            0.0
        } else {
            self.sim.cohort_shares * self.served as f64
                + if self.served < self.next_cohort {
                    self.sim.cohort_shares - self.front_left
                } else {
                    0.0
                }
        };
        PathSummary {
            bad_debt: self.bad_total,
            borne_by_depositors: self.borne_total,
            repaid: self.repaid_total,
            max_rounds: self.max_rounds,
            first_bad_debt_hour: self.first_bad,
            wanted_shares: wanted,
            unmet_shares: (wanted - paid_shares).max(0.0),
        }
    }

    fn record(&self, out: &mut StepSeries) {
        out.hour.push(self.hour);
        for k in 0..self.sim.n_assets {
            out.market_price[k].push(self.market[k]);
            out.oracle_price[k].push(self.oracle_price[k]);
        }
        out.liquidations
            .push(self.step_repaid / self.sim.total_debt);
        out.cascade_rounds.push(self.step_rounds);
        out.cumulative_bad_debt
            .push(self.bad_total / self.sim.total_debt);
        out.share_price.push(self.share_price());
        out.utilization.push(self.utilization());
        out.withdrawals_wanted
            .push(self.step_wanted / self.sim.deposits);
        out.withdrawals_met.push(self.step_paid / self.sim.deposits);
    }

    /// One step (`s` from 0): market, oracle, interest, liquidation cascade, runs.
    fn step(&mut self, s: usize, rng: &mut creditlab_numerics::rng::StreamRng) {
        let sim = self.sim;
        let n = sim.n_assets;
        self.hour = (s + 1) as f64 * sim.config.step_hours;
        self.step_repaid = 0.0;
        self.step_rounds = 0;
        self.step_wanted = 0.0;
        self.step_paid = 0.0;
        // 1-2. Impact relaxes; the market moves.
        if sim.market.is_random() {
            sim.market.step(rng, &mut self.dlog);
        }
        let shock = sim.shock[s + 1];
        for k in 0..n {
            self.impact[k] = ImpactModel::relax(self.impact[k], sim.relax);
            self.log_fund[k] += self.dlog[k];
            self.exo[k] = (sim.p0[k] * self.log_fund[k].exp() * shock).clamp(MIN_PRICE, MAX_PRICE);
            self.market[k] = self.exo[k] * self.impact[k];
        }
        // 3. Oracle: the exogenous price `delay` steps ago, times today's impact.
        let lagged = self.oracle.update(&self.exo);
        for ((o, l), i) in self.oracle_price.iter_mut().zip(lagged).zip(&self.impact) {
            *o = l * i;
        }
        // 4. Interest.
        let debt = self.total_debt();
        let rate = sim
            .config
            .rates
            .borrow_rate(RateModel::utilization(self.cash.max(0.0), debt));
        let interest = debt * rate * sim.dt;
        self.index *= 1.0 + rate * sim.dt;
        self.reserve += interest * sim.config.rates.reserve_factor;
        self.interest_total += interest;
        // 5. Liquidations.
        self.liquidate();
        // 6. Runs.
        self.runs();
    }

    /// Pushes a single-asset position back into its asset's heap with its current key.
    fn requeue(&mut self, id: u32) {
        let sim = self.sim;
        let n = sim.n_assets;
        let row = id as usize * n;
        if self.scaled[id as usize] <= 0.0 || sim.is_mixed[id as usize] {
            return;
        }
        if let Some(k) = (0..n).find(|&k| self.collateral[row + k] > 0.0) {
            self.heap[k].push((
                key_bits(
                    self.scaled[id as usize],
                    self.collateral[row + k],
                    sim.risk[k].liquidation_threshold,
                ),
                id,
            ));
        }
    }

    fn health(&self, id: u32) -> f64 {
        let sim = self.sim;
        let n = sim.n_assets;
        let row = id as usize * n;
        let debt = self.scaled[id as usize] * self.index;
        if debt <= 0.0 {
            return f64::INFINITY;
        }
        let mut w = 0.0;
        for k in 0..n {
            w +=
                self.collateral[row + k] * self.oracle_price[k] * sim.risk[k].liquidation_threshold;
        }
        w / debt
    }

    /// The most urgent liquidatable position at the current prices: the lowest health
    /// factor below 1 among the tops of each asset's order and heap and the round's mixed
    /// candidates (ties by id). Removes it from its source.
    fn next_candidate(&mut self, mixed_at: &mut usize) -> Option<(f64, u32)> {
        let sim = self.sim;
        // (hf, id, source): source k * 2 = order of asset k, k * 2 + 1 = its heap,
        // usize::MAX = mixed.
        let mut best: Option<(f64, u32, usize)> = None;
        let better = |best: &Option<(f64, u32, usize)>, hf: f64, id: u32| {
            hf < 1.0 && best.is_none_or(|(bh, bid, _)| hf.total_cmp(&bh).then(id.cmp(&bid)).is_lt())
        };
        for k in 0..sim.n_assets {
            let scale = self.index / self.oracle_price[k];
            if let Some(&(key, id)) = sim.order[k].get(self.cursor[k]) {
                let hf = 1.0 / (f64::from_bits(key) * scale);
                if better(&best, hf, id) {
                    best = Some((hf, id, 2 * k));
                }
            }
            if let Some(&(key, id)) = self.heap[k].peek() {
                let hf = 1.0 / (f64::from_bits(key) * scale);
                if better(&best, hf, id) {
                    best = Some((hf, id, 2 * k + 1));
                }
            }
        }
        if let Some(&(hf, id)) = self.mixed_candidates.get(*mixed_at)
            && better(&best, hf, id)
        {
            best = Some((hf, id, usize::MAX));
        }
        let (hf, id, source) = best?;
        if source == usize::MAX {
            *mixed_at += 1;
        } else if source % 2 == 0 {
            self.cursor[source / 2] += 1;
        } else {
            self.heap[source / 2].pop();
        }
        Some((hf, id))
    }

    /// The step's liquidation cascade: rounds at fixed prices, each liquidating worst
    /// health first until nothing is below 1 or the capacity is spent, then the fire sale.
    fn liquidate(&mut self) {
        let sim = self.sim;
        let n = sim.n_assets;
        let mut capacity = sim.capacity_per_step;
        let mut rounds = 0u32;
        while rounds < MAX_CASCADE_ROUNDS && capacity > 0.0 {
            self.mixed_candidates.clear();
            for &id in &sim.mixed {
                let hf = self.health(id);
                if hf < 1.0 {
                    self.mixed_candidates.push((hf, id));
                }
            }
            self.mixed_candidates
                .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut mixed_at = 0;
            self.sold.iter_mut().for_each(|x| *x = 0.0);
            self.deferred.clear();
            let mut liquidated = false;
            while capacity > 0.0 {
                let Some((_, id)) = self.next_candidate(&mut mixed_at) else {
                    break;
                };
                // Back into the order after the round, whatever happens below.
                self.deferred.push(id);
                let hf = self.health(id);
                if hf >= 1.0 {
                    // Rounding put it at exactly 1: not liquidatable.
                    continue;
                }
                liquidated = true;
                let i = id as usize;
                let row = i * n;
                let debt = self.scaled[i] * self.index;
                let max_repay = (debt * close_factor(hf)).min(capacity);
                let repaid = seize(
                    &sim.risk,
                    &mut self.collateral[row..row + n],
                    max_repay,
                    &self.oracle_price,
                    &mut self.seized,
                    &mut self.fee,
                );
                capacity -= repaid;
                self.cash += repaid;
                self.repaid_total += repaid;
                self.step_repaid += repaid;
                let mut left = debt - repaid;
                // Collateral worth nothing at this price (nothing could be repaid) is as good
                // as none: the debt is written off and the worthless collateral stays.
                let worthless = repaid <= 0.0;
                for k in 0..n {
                    self.sold[k] += self.seized[k];
                    self.seized_total[k] += self.seized[k];
                    self.fee_total[k] += self.fee[k];
                }
                if left > 0.0
                    && (worthless || self.collateral[row..row + n].iter().all(|&c| c <= 0.0))
                {
                    // No collateral left: the rest is bad debt, reserve first.
                    let absorbed = left.min(self.reserve.max(0.0));
                    self.reserve -= absorbed;
                    self.bad_total += left;
                    self.borne_total += left - absorbed;
                    if self.first_bad.is_none() {
                        self.first_bad = Some(self.hour);
                    }
                    left = 0.0;
                }
                let new_scaled = left / self.index;
                self.total_scaled += new_scaled - self.scaled[i];
                self.scaled[i] = new_scaled;
            }
            let deferred = std::mem::take(&mut self.deferred);
            for &id in &deferred {
                self.requeue(id);
            }
            self.deferred = deferred;
            if !liquidated {
                break;
            }
            rounds += 1;
            // Fire sale: the seized collateral is sold; the price falls for everyone.
            for k in 0..n {
                if self.sold[k] > 0.0 {
                    let model = &sim.config.assets[k].impact;
                    let ratio =
                        model.price_ratio(self.sold[k], self.exo[k] * self.impact[k], sim.p0[k]);
                    // Floors keep prices positive (no 0 / 0) under absurd parameters.
                    self.impact[k] = (self.impact[k] * ratio).max(MIN_PRICE);
                    self.market[k] = (self.exo[k] * self.impact[k]).max(MIN_PRICE);
                    self.oracle_price[k] = (self.oracle_price[k] * ratio).max(MIN_PRICE);
                }
            }
        }
        self.step_rounds = rounds;
        self.max_rounds = self.max_rounds.max(rounds);
    }

    fn runs(&mut self) {
        let sim = self.sim;
        let cohorts = sim.thresholds.len();
        if cohorts == 0 {
            return;
        }
        let price = self.share_price();
        self.peak_share_price = self.peak_share_price.max(price);
        let signal = match sim.config.runs.signal {
            RunSignal::SharePriceDrop => 1.0 - price / self.peak_share_price,
            RunSignal::BadDebt => self.bad_total / sim.deposits,
            RunSignal::Utilization => self.utilization(),
        };
        self.max_signal = self.max_signal.max(signal);
        while self.next_cohort < cohorts && sim.thresholds[self.next_cohort] <= self.max_signal {
            self.next_cohort += 1;
        }
        if self.served >= self.next_cohort || price <= 0.0 {
            return;
        }
        // Outstanding requests, first come first served against the cash.
        let outstanding =
            self.front_left + sim.cohort_shares * (self.next_cohort - self.served - 1) as f64;
        self.step_wanted = outstanding * price;
        while self.served < self.next_cohort && self.cash > 0.0 {
            let want = self.front_left * price;
            let paid = want.min(self.cash);
            self.cash -= paid;
            self.paid_total += paid;
            self.step_paid += paid;
            let redeemed = paid / price;
            self.shares -= redeemed;
            if paid >= want {
                self.served += 1;
                self.front_left = sim.cohort_shares;
            } else {
                self.front_left -= redeemed;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_quantiles_and_expected_shortfall_by_hand() {
        let mut v: Vec<f64> = (1..=2000).rev().map(f64::from).collect();
        let d = Distribution::of(&mut v).unwrap();
        assert_eq!(d.mean, 1000.5);
        assert_eq!(d.p50, 1000.0);
        assert_eq!(d.p999, 1998.0);
        // The worst ceil(0.001 x 2000) = 2 values.
        assert_eq!(d.es999, 1999.5);
        assert_eq!(d.prob_positive, 1.0);
        let mut one = vec![-3.0];
        let d = Distribution::of(&mut one).unwrap();
        assert_eq!((d.p999, d.es999, d.prob_positive), (-3.0, -3.0, 0.0));
        assert!(Distribution::of(&mut []).is_none());
    }
    use approx::assert_abs_diff_eq;

    /// No noise: only the scripted shock moves the price.
    fn scripted(n: usize, capacity: Option<f64>) -> DefiSimConfig {
        let mut c = DefiSimConfig::example(n);
        c.assets[0].dynamics = AssetDynamics::constant();
        c.liquidation_capacity_per_hour = capacity;
        c
    }

    impl PathState<'_> {
        /// Checks conservation: collateral and debt at hour 0 = now + seized + bad debt.
        fn check_conservation(&self) {
            let sim = self.sim;
            let n = sim.n_assets;
            for k in 0..n {
                let now: f64 = self.collateral.iter().skip(k).step_by(n).sum();
                let start: f64 = sim.collateral0.iter().skip(k).step_by(n).sum();
                assert_abs_diff_eq!(
                    start,
                    now + self.seized_total[k] + self.fee_total[k],
                    epsilon = 1e-9 * start.max(1.0)
                );
            }
            let debt_now: f64 = self.scaled.iter().map(|s| s * self.index).sum();
            assert_abs_diff_eq!(
                sim.total_debt + self.interest_total,
                debt_now + self.repaid_total + self.bad_total,
                epsilon = 1e-9 * sim.total_debt
            );
            assert_abs_diff_eq!(debt_now, self.total_debt(), epsilon = 1e-9 * sim.total_debt);
            assert_abs_diff_eq!(
                self.cash,
                sim.deposits + sim.reserve0 - sim.total_debt + self.repaid_total - self.paid_total,
                epsilon = 1e-9 * sim.total_debt
            );
            assert!(self.cash >= -1e-9 * sim.total_debt);
            assert!(self.collateral.iter().all(|&c| c >= 0.0));
        }
    }

    #[test]
    fn conservation_every_step_through_a_crash() {
        for capacity in [None, Some(0.01)] {
            let mut c = DefiSimConfig::example(300);
            c.liquidation_capacity_per_hour = capacity;
            c.initial_reserve = 0.002;
            let sim = DefiSim::new(&c).unwrap();
            for path in 0..3 {
                let mut st = PathState::new(&sim);
                let mut rng = stream(9, path);
                for s in 0..c.steps {
                    st.step(s, &mut rng);
                    st.check_conservation();
                }
                assert!(st.repaid_total > 0.0);
            }
        }
    }

    #[test]
    fn scripted_crash_bad_debt_only_with_limited_capacity() {
        let unlimited = simulate(&scripted(500, None), 2, 1).unwrap();
        assert_eq!(unlimited.bad_debt.mean, 0.0, "{:?}", unlimited.bad_debt);
        assert!(unlimited.liquidation_volume.mean > 0.0);
        assert_eq!(unlimited.share_of_paths_without_bad_debt, 1.0);
        assert!(unlimited.hours_to_first_bad_debt.is_none());
        let limited = simulate(&scripted(500, Some(0.002)), 2, 1).unwrap();
        assert!(limited.bad_debt.mean > 0.0, "{:?}", limited.bad_debt);
        assert_eq!(limited.bad_debt.prob_positive, 1.0);
        let t = limited.hours_to_first_bad_debt.unwrap();
        assert!(t.p50 > 0.0 && t.p50 <= 96.0);
        // Same shock, no noise: both paths are identical.
        assert_eq!(limited.bad_debt.p50, limited.bad_debt.p999);
    }

    #[test]
    fn calm_market_without_noise_liquidates_nothing() {
        let r = simulate(&scripted(100, Some(0.01)).calm(), 3, 5).unwrap();
        assert_eq!(r.liquidation_volume.mean, 0.0);
        assert_eq!(r.bad_debt.mean, 0.0);
        assert_eq!(r.cascade_rounds.mean, 0.0);
        // Interest only: the share price rises.
        let sp = &r.series.share_price;
        assert!(sp[sp.len() - 1] > 1.0);
        assert_eq!(r.series.hour.len(), 97);
    }

    #[test]
    fn fire_sales_cascade_in_one_step() {
        // A sudden 15% gap with a thin market: the first liquidations' sales push more
        // positions under 1 within the same step.
        let mut c = scripted(400, None);
        c.shock = Some(ShockPath::new(vec![(1.0, 1.0), (2.0, 0.85)]).unwrap());
        c.oracle_delay_steps = 0;
        c.steps = 3;
        c.assets[0].impact = ImpactModel::ConstantProduct {
            depth: 0.05 * 400.0 * 1300.0,
            fee: 0.003,
        };
        let thin = simulate(&c, 1, 0).unwrap();
        c.assets[0].impact = ImpactModel::None;
        let deep = simulate(&c, 1, 0).unwrap();
        assert!(thin.cascade_rounds.p50 > 1.0, "{:?}", thin.cascade_rounds);
        assert_eq!(deep.cascade_rounds.p50, 1.0);
        assert!(thin.liquidation_volume.mean > deep.liquidation_volume.mean);
    }

    #[test]
    fn ordering_touches_only_crossed_positions() {
        // Prices barely move: no candidate is popped, the cursor stays at the top.
        let c = scripted(1000, None).calm();
        let sim = DefiSim::new(&c).unwrap();
        let mut st = PathState::new(&sim);
        let mut rng = stream(1, 0);
        for s in 0..10 {
            st.step(s, &mut rng);
        }
        assert_eq!(st.cursor[0], 0);
        // Sorted by liquidation price, highest first.
        let o = &sim.order[0];
        assert!(o.windows(2).all(|w| w[0].0 >= w[1].0));
        let highest = f64::from_bits(o[0].0);
        assert_abs_diff_eq!(
            highest,
            (0.5 + 0.3 * 999.5 / 1000.0) * 2000.0 / 0.825,
            epsilon = 1e-9
        );
    }

    #[test]
    fn runs_hit_the_cash_limit() {
        // Everyone is run-prone at a tiny threshold; a crash with bad debt: withdrawals
        // beyond the cash are unmet.
        let mut c = scripted(300, Some(0.002));
        c.initial_utilization = 0.95;
        c.runs = RunModel {
            cohorts: 10,
            run_prone_share: 1.0,
            signal: RunSignal::BadDebt,
            thresholds: ThresholdDistribution::Uniform {
                low: 0.0,
                high: 1e-6,
            },
        };
        let r = simulate(&c, 1, 0).unwrap();
        assert_eq!(r.share_of_paths_with_withdrawals, 1.0);
        assert!(r.unmet_withdrawals.mean > 0.0 && r.unmet_withdrawals.mean <= 1.0);
        let met: f64 = r.series.withdrawals_met.iter().sum();
        assert!(met > 0.0);
        // Utilization signal with log-normal thresholds: quantiles are increasing.
        let d = ThresholdDistribution::LogNormal {
            median: 0.9,
            sigma: 0.05,
        };
        assert!(d.quantile(0.1) < d.quantile(0.5));
        assert_abs_diff_eq!(d.quantile(0.5), 0.9, epsilon = 1e-12);
    }

    #[test]
    fn deterministic_whatever_the_thread_count() {
        let c = DefiSimConfig::example(200);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| simulate(&c, 24, 77).unwrap());
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| simulate(&c, 24, 77).unwrap());
        assert_eq!(one, four);
        assert!(one.bad_debt.mean.to_bits() == four.bad_debt.mean.to_bits());
        let other = simulate(&c, 24, 78).unwrap();
        assert_ne!(one.liquidation_volume, other.liquidation_volume);
    }

    #[test]
    fn absurd_markets_give_finite_results() {
        // Volatility 10, a jump a step of mean log size -5, a thousand hourly steps: prices
        // hit the floor, everything is written off, and nothing is NaN.
        let mut c = DefiSimConfig::example(50);
        c.assets[0].dynamics = AssetDynamics::new(10.0, 10.0, 8760.0, -5.0, 5.0).unwrap();
        c.steps = 1000;
        c.assets[0].impact = ImpactModel::Exponential {
            beta: 1e6,
            depth: 1.0,
        };
        let r = simulate(&c, 4, 1).unwrap();
        for d in [
            r.bad_debt,
            r.depositor_loss,
            r.liquidation_volume,
            r.unmet_withdrawals,
        ] {
            assert!(d.mean.is_finite() && d.p999.is_finite(), "{d:?}");
        }
        assert!(r.bad_debt.mean > 0.0);
        assert!(
            r.series.market_price[0]
                .iter()
                .all(|p| p.is_finite() && *p > 0.0)
        );
        assert!(r.series.share_price.iter().all(|p| p.is_finite()));
        let sim = DefiSim::new(&c).unwrap();
        let mut st = PathState::new(&sim);
        let mut rng = stream(1, 2);
        for s in 0..c.steps {
            st.step(s, &mut rng);
            st.check_conservation();
        }
    }

    #[test]
    fn rejects_bad_configs_naming_the_field() {
        let mut c = DefiSimConfig::example(10);
        c.positions[3].debt = 1e9;
        let e = simulate(&c, 1, 0).unwrap_err().to_string();
        assert!(e.contains("position 3: debt"), "{e}");
        let mut c = DefiSimConfig::example(10);
        c.assets[0].dynamics.volatility = -1.0;
        let e = simulate(&c, 1, 0).unwrap_err().to_string();
        assert!(e.contains("WETH: volatility"), "{e}");
        let mut c = DefiSimConfig::example(10);
        c.correlation = vec![vec![1.0, 0.5], vec![0.5, 1.0]];
        assert!(simulate(&c, 1, 0).is_err());
        let mut c = DefiSimConfig::example(10);
        c.liquidation_capacity_per_hour = Some(0.0);
        let e = simulate(&c, 1, 0).unwrap_err().to_string();
        assert!(e.contains("liquidation_capacity_per_hour"), "{e}");
        assert!(simulate(&DefiSimConfig::example(10), 0, 0).is_err());
        let mut c = DefiSimConfig::example(10);
        c.step_hours = f64::NAN;
        assert!(simulate(&c, 1, 0).is_err());
    }

    #[test]
    fn positions_from_the_defi_book() {
        use creditlab_loan::synthetic::{BookSpec, defi_book};
        let book = defi_book(&BookSpec {
            loans: 300,
            total_principal: Some(1.0e6),
            seed: 3,
        })
        .unwrap();
        let mut assets = DefiSimConfig::example(1).assets;
        let mut wbtc = assets[0].clone();
        wbtc.risk = CollateralAsset::new("WBTC", 0.8, 0.825, 0.05, 0.1).unwrap();
        wbtc.dynamics.volatility = 0.6;
        wbtc.initial_price = 30_000.0;
        assets.push(wbtc);
        let positions = positions_from_book(&book, &assets).unwrap();
        assert_eq!(positions.len(), 300);
        let debt: f64 = positions.iter().map(|p| p.debt).sum();
        assert_abs_diff_eq!(debt, 1.0e6, epsilon = 1e-6);
        for (p, r) in positions.iter().zip(book.iter()) {
            let k = if r.collateral.volatility() >= 0.7 {
                0
            } else {
                1
            };
            assert_abs_diff_eq!(
                p.collateral[k] * assets[k].initial_price,
                r.collateral.value(),
                epsilon = 1e-6
            );
        }
        let mut c = DefiSimConfig::example(1);
        c.assets = assets;
        c.correlation = vec![vec![1.0, 0.8], vec![0.8, 1.0]];
        c.positions = positions;
        let r = simulate(&c, 4, 1).unwrap();
        assert_eq!(r.positions, 300);
        assert_eq!(r.series.market_price.len(), 2);
    }
}
