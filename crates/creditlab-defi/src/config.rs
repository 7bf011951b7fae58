//! The simulation's config: the documented TOML (docs/schemas/defi-toml.md) as serde types,
//! and its one validator.
//!
//! [`DefiSimConfig`] deserializes a file strictly (`deny_unknown_fields` at every level) and
//! [`DefiSimConfig::validate`] checks it, resolving it into what [`DefiSim`] runs (the
//! positions of a generated book, the fire-sale depths in money, the shock path, the market
//! model). Every error carries the key's path as data ([`DefiError::field`]:
//! `assets[0].volatility`, `market.steps`, `book.positions[3].debt`,
//! `runs.thresholds.median`), relative to the config's root, so a caller that holds the
//! file's text can point at the line; a caller that embeds the config as a table of a larger
//! file prefixes the path with the table's name.
//!
//! ```
//! use creditlab_defi::config::DefiSimConfig;
//! let mut config = DefiSimConfig::example(50);
//! config.validate()?;
//! config.assets[0].volatility = -0.8;
//! let e = config.validate().unwrap_err();
//! assert_eq!(e.field(), Some("assets[0].volatility"));
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```
//!
//! [`DefiSim`]: crate::simulation::DefiSim
//! [`DefiError::field`]: crate::DefiError::field

use crate::error::{Result, check_at_least, check_positive, check_range, invalid, out_of_range};
use crate::impact::ImpactModel;
use crate::lending::{BadDebtAccounting, CollateralAsset, RateModel};
use crate::market::{AssetDynamics, CrashDays, HOURS_PER_YEAR, MarketModel, ShockPath};
use creditlab_numerics::special::norm_ppf;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most paths one call simulates.
pub const MAX_PATHS: u64 = 10_000_000;
/// Most steps of one path.
pub const MAX_STEPS: usize = 1_000_000;
/// Most depositor cohorts.
pub const MAX_COHORTS: usize = 100_000;
/// Relative slack on a position's LTV limit at hour 0, so that a position opened exactly
/// at the limit (in another unit, or by [`positions_from_book`]) is not refused for a
/// rounding.
const LTV_SLACK: f64 = 1e-9;
/// Relative slack on "a multiple of the step": `hours / step_hours` may miss a whole
/// number by this much (`0.25 x 3` is not `0.75` to the last bit) and still count as one.
const STEP_SLACK: f64 = 1e-9;
/// The window of the gas-price congestion signal, in hours: the fall of the reference
/// price over the last day, as the 12-March-2020 gas figures are daily.
pub const GAS_WINDOW_HOURS: f64 = 24.0;

/// `hours` in whole steps of `step_hours`, for the key `field`: an error unless `hours`
/// is a multiple of the step (to a relative `1e-9`) and within `0..=max` steps.
pub fn hours_to_steps(field: &str, hours: f64, step_hours: f64, max: usize) -> Result<usize> {
    check_at_least(field, hours, 0.0)?;
    let steps = (hours / step_hours).round();
    if (steps * step_hours - hours).abs() > STEP_SLACK * hours.max(step_hours) {
        return Err(out_of_range(
            field,
            hours,
            format!("must be a multiple of market.step_hours ({step_hours} h)"),
        ));
    }
    if steps > max as f64 {
        return Err(out_of_range(
            field,
            hours,
            format!("must be at most {max} steps of {step_hours} h"),
        ));
    }
    Ok(steps as usize)
}

/// A DeFi lending-pool simulation: the pool, its collateral assets and their markets, the
/// liquidators, the positions, the depositors' runs, and how many paths of which seed.
/// The file format of `cargo xtask defi` (docs/schemas/defi-toml.md).
///
/// ```
/// use creditlab_defi::config::{DefiSimConfig, ShockKind};
/// let text = include_str!("../../../scenarios/defi.toml");
/// let config: DefiSimConfig = toml::from_str(text).expect("the default config parses");
/// assert_eq!(config.market.shock, ShockKind::None); // a year with random shocks instead
/// let valid = config.validate()?;
/// assert_eq!((valid.positions().len(), valid.steps()), (5000, 8760));
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefiSimConfig {
    /// Seed of the price paths.
    pub seed: u64,
    /// Number of price paths, 1..=[`MAX_PATHS`].
    pub paths: u64,
    /// The pool: utilization, reserve, rate model.
    pub pool: PoolConfig,
    /// Collateral assets (at least one): risk parameters, price, dynamics, fire-sale market.
    pub assets: Vec<AssetConfig>,
    /// Time grid, correlation, oracle, shock.
    pub market: MarketConfig,
    /// Liquidators.
    pub liquidation: LiquidationConfig,
    /// The positions at hour 0: generated or listed.
    pub book: BookConfig,
    /// Depositor runs.
    pub runs: RunModel,
}

/// `[pool]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// Utilization at hour 0, in (0, 1]: deposits = total debt / utilization.
    pub initial_utilization: f64,
    /// The protocol's reserve at hour 0, as a fraction of the total debt (held in cash on
    /// top of the deposits), in [0, 1]: the first-loss cover of bad debt (an Umbrella-like
    /// stake), growing by the reserve factor's share of interest.
    pub initial_reserve: f64,
    /// Where bad debt the reserve cannot absorb goes: `deficit` (Aave v3.3, the default)
    /// or `share_price`.
    #[serde(default)]
    pub bad_debt_accounting: BadDebtAccounting,
    /// The utilization-kink rate model of the borrowed asset.
    pub rates: RateModel,
}

/// One `[[assets]]` entry: a collateral asset's risk parameters in the pool, its price at
/// hour 0, its dynamics and the market its seized collateral is sold into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetConfig {
    /// Name, e.g. `WETH`; unique.
    pub name: String,
    /// Maximum LTV at origination.
    pub ltv: f64,
    /// Liquidation threshold.
    pub liquidation_threshold: f64,
    /// Liquidation bonus.
    pub liquidation_bonus: f64,
    /// Share of the bonus paid to the protocol.
    pub protocol_fee_share: f64,
    /// Price at hour 0, in units of the borrowed asset.
    pub price: f64,
    /// Annualized drift.
    pub drift: f64,
    /// Annualized volatility.
    pub volatility: f64,
    /// Jumps per year.
    pub jump_intensity: f64,
    /// Mean log jump size.
    pub jump_mean: f64,
    /// Standard deviation of the log jump size.
    pub jump_sd: f64,
    /// Mean log move on a crash day common to all assets (`[market.crash_days]`); 0 when
    /// absent.
    #[serde(default)]
    pub crash_jump_mean: f64,
    /// Standard deviation of the log move on a crash day; 0 when absent.
    #[serde(default)]
    pub crash_jump_sd: f64,
    /// The market liquidators sell seized collateral into.
    pub impact: ImpactConfig,
}

impl AssetConfig {
    /// An asset of these risk parameters, price at hour 0, dynamics and fire-sale market.
    pub fn new(
        risk: CollateralAsset,
        price: f64,
        dynamics: AssetDynamics,
        impact: ImpactConfig,
    ) -> Self {
        Self {
            name: risk.name,
            ltv: risk.ltv,
            liquidation_threshold: risk.liquidation_threshold,
            liquidation_bonus: risk.liquidation_bonus,
            protocol_fee_share: risk.protocol_fee_share,
            price,
            drift: dynamics.drift,
            volatility: dynamics.volatility,
            jump_intensity: dynamics.jump_intensity,
            jump_mean: dynamics.jump_mean,
            jump_sd: dynamics.jump_sd,
            crash_jump_mean: 0.0,
            crash_jump_sd: 0.0,
            impact,
        }
    }

    /// The risk parameters, checked by [`CollateralAsset::new`].
    pub fn risk(&self) -> Result<CollateralAsset> {
        CollateralAsset::new(
            self.name.clone(),
            self.ltv,
            self.liquidation_threshold,
            self.liquidation_bonus,
            self.protocol_fee_share,
        )
    }

    /// The dynamics, checked by [`AssetDynamics::new`].
    pub fn dynamics(&self) -> Result<AssetDynamics> {
        AssetDynamics::new(
            self.drift,
            self.volatility,
            self.jump_intensity,
            self.jump_mean,
            self.jump_sd,
        )
    }
}

/// `impact = { model = ... }`: how liquidators' sales move an asset's price, with the depth
/// given as a multiple of the pool's total debt at hour 0 (so a config is independent of
/// the book's size). [`ImpactConfig::at_debt`] gives the [`ImpactModel`] in money.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum ImpactConfig {
    /// Sales do not move the price.
    None,
    /// A constant-product pool holding `depth x total debt` of cash at hour 0.
    ConstantProduct {
        /// Cash side, as a multiple of the total debt, > 0.
        depth: f64,
        /// Swap fee, in [0, 1).
        fee: f64,
    },
    /// `p' = p exp(-beta sold / (depth x total debt))`.
    Exponential {
        /// Impact coefficient, >= 0.
        beta: f64,
        /// Depth, as a multiple of the total debt, > 0.
        depth: f64,
    },
}

impl ImpactConfig {
    /// The model in money for a pool of `total_debt` at hour 0 (depths as given when the
    /// total is not a positive finite number).
    pub fn at_debt(&self, total_debt: f64) -> ImpactModel {
        let scale = if total_debt.is_finite() && total_debt > 0.0 {
            Some(total_debt)
        } else {
            None
        };
        let depth_of = |depth: f64| scale.map_or(depth, |t| depth * t);
        match *self {
            ImpactConfig::None => ImpactModel::None,
            ImpactConfig::ConstantProduct { depth, fee } => ImpactModel::ConstantProduct {
                depth: depth_of(depth),
                fee,
            },
            ImpactConfig::Exponential { beta, depth } => ImpactModel::Exponential {
                beta,
                depth: depth_of(depth),
            },
        }
    }

    /// Checks the parameters ([`ImpactModel::validate`] on the relative depth); errors name
    /// the field (`depth`, `fee`, `beta`).
    pub fn validate(&self) -> Result<()> {
        self.at_debt(f64::NAN).validate()
    }
}

/// `[market]`. Times are in hours whatever the step; each must be a multiple of
/// `step_hours`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    /// Hours per step, in (0, 8760].
    pub step_hours: f64,
    /// Length of a path in hours, a multiple of `step_hours`, 1..=[`MAX_STEPS`] steps.
    pub horizon_hours: f64,
    /// Correlation matrix of the assets' diffusions (n x n).
    pub correlation: Vec<Vec<f64>>,
    /// Oracle delay in hours (0: the oracle reports the current price), a multiple of
    /// `step_hours`, at most `horizon_hours`.
    pub oracle_delay_hours: f64,
    /// What the oracle reads: the `reference` price (off-chain, without the fire-sale
    /// impact; the default) or the on-chain `amm` price.
    #[serde(default)]
    pub oracle_source: OracleSource,
    /// Half-life of the fire-sale impact, in hours (0: gone by the next step).
    pub impact_half_life_hours: f64,
    /// A scripted shock from hour 0: `none`, `march_2020` or `custom` (then
    /// `shock_knots`).
    pub shock: ShockKind,
    /// `[[hour, multiplier], ...]` of a custom shock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shock_knots: Option<Vec<[f64; 2]>>,
    /// Crash days common to all assets (each asset's move on one: its `crash_jump_mean`,
    /// `crash_jump_sd`); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash_days: Option<CrashDaysConfig>,
    /// A shock shape placed at uniformly random hours of each path at a given frequency;
    /// none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_shock: Option<RandomShockConfig>,
}

/// What the oracle reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OracleSource {
    /// The reference price, fundamental x shock, `oracle_delay_hours` late: an aggregator
    /// of off-chain venues (Chainlink) that the pool's own fire sales do not move.
    #[default]
    Reference,
    /// The reference price `oracle_delay_hours` late times the current fire-sale impact:
    /// an oracle that reads the on-chain market the liquidators sell into.
    Amm,
}

/// `crash_days = { per_year, correlation }`: crash days common to all assets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashDaysConfig {
    /// Crash days per year, in [0, 10000].
    pub per_year: f64,
    /// Correlation of the assets' log moves on a crash day (n x n).
    pub correlation: Vec<Vec<f64>>,
}

/// `random_shock = { shape, per_year }`: a shock shape (`march_2020`, or `custom` with
/// `knots`) starting at uniformly random hours of the horizon, their number Poisson with
/// mean `per_year x horizon in years`, drawn per path from the path's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomShockConfig {
    /// The shape: `march_2020` or `custom` (then `knots`); `none` is refused.
    pub shape: ShockKind,
    /// `[[hour, multiplier], ...]` of a custom shape, hours from its start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knots: Option<Vec<[f64; 2]>>,
    /// Events per year, in [0, 1000].
    pub per_year: f64,
}

/// The scripted shock multiplying every asset's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShockKind {
    /// A calm market: no shock.
    None,
    /// ETH/USD on 12-13 March 2020 ([`ShockPath::march_2020`]).
    #[serde(rename = "march_2020")]
    March2020,
    /// The knots of `shock_knots` ([`ShockPath::new`]).
    Custom,
}

/// `[liquidation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidationConfig {
    /// Debt liquidators can repay per hour, as a fraction of the total debt at hour 0;
    /// absent for unlimited capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_per_hour: Option<f64>,
    /// When liquidators act: `capacity` (always, up to the capacity; the default) or
    /// `profit` (only when the bonus net of the protocol fee covers the slippage of
    /// selling the seized collateral and the gas, still up to the capacity).
    #[serde(default)]
    pub liquidators: Liquidators,
    /// The gas cost of a liquidation (needed by `profit` liquidators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas: Option<GasConfig>,
}

/// When liquidators act.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liquidators {
    /// Every liquidatable position is liquidated, worst health first, up to the
    /// capacity.
    #[default]
    Capacity,
    /// A liquidation happens only when it pays: the liquidator's bonus net of the
    /// protocol fee covers the slippage of selling the seized collateral into the
    /// fire-sale market plus the gas; the repayment is the profit-maximizing one, capped
    /// by the close factor and the capacity.
    Profit,
}

/// `gas = { units, gwei, peak_multiplier, reference_fall, eth_price }`: the cost of one
/// liquidation, `units x gas price x 1e-9 x ETH price`, with a gas price that rises with
/// congestion: `gwei x peak_multiplier ^ min(1, fall / reference_fall)`, `fall` the largest
/// fall of an asset's reference price over the last [`GAS_WINDOW_HOURS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasConfig {
    /// Gas used by one liquidation (the pool call and the liquidator's swap), > 0.
    pub units: f64,
    /// Gas price in calm markets, in gwei, > 0.
    pub gwei: f64,
    /// Gas price at the congestion of `reference_fall`, as a multiple of `gwei`, >= 1.
    pub peak_multiplier: f64,
    /// The 24-hour fall of the reference price at which the gas price reaches its peak,
    /// in (0, 1].
    pub reference_fall: f64,
    /// ETH's price at hour 0 in units of the borrowed asset, > 0; it moves with the
    /// reference price of the asset named `WETH` when there is one.
    pub eth_price: f64,
}

impl GasConfig {
    /// The gas price in gwei when the reference price has fallen by `fall` over the last
    /// day: `gwei x peak_multiplier ^ min(1, max(fall, 0) / reference_fall)`.
    ///
    /// ```
    /// use creditlab_defi::config::GasConfig;
    /// let gas = GasConfig { units: 6e5, gwei: 13.0, peak_multiplier: 6.0, reference_fall: 0.4235, eth_price: 2000.0 };
    /// assert_eq!(gas.gwei_at(0.0), 13.0);
    /// assert_eq!(gas.gwei_at(0.4235), 13.0 * 6.0); // the 12-March-2020 anchor
    /// assert_eq!(gas.gwei_at(0.9), 78.0);
    /// ```
    pub fn gwei_at(&self, fall: f64) -> f64 {
        let x = (fall.max(0.0) / self.reference_fall).min(1.0);
        if x >= 1.0 {
            self.gwei * self.peak_multiplier
        } else {
            self.gwei * self.peak_multiplier.powf(x)
        }
    }

    /// The cost of one liquidation in units of the borrowed asset at a gas price of
    /// `gwei` and an ETH price of `eth_price`: `units x gwei x 1e-9 x eth_price`.
    pub fn cost(&self, gwei: f64, eth_price: f64) -> f64 {
        self.units * gwei * 1e-9 * eth_price
    }

    /// Checks the parameters; errors name the field.
    pub fn validate(&self) -> Result<()> {
        check_positive("units", self.units)?;
        check_positive("gwei", self.gwei)?;
        check_at_least("peak_multiplier", self.peak_multiplier, 1.0)?;
        if !(self.reference_fall > 0.0 && self.reference_fall <= 1.0) {
            return Err(out_of_range(
                "reference_fall",
                self.reference_fall,
                "must be in (0, 1]",
            ));
        }
        check_positive("eth_price", self.eth_price)?;
        Ok(())
    }
}

/// `[book]`: exactly one of `generated` and `positions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookConfig {
    /// A synthetic DeFi book (creditlab-loan's `defi_book`), placed by
    /// [`positions_from_book`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<GeneratedBook>,
    /// Explicit positions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positions: Option<Vec<PositionSpec>>,
}

impl BookConfig {
    /// Explicit positions.
    pub fn positions(positions: Vec<PositionSpec>) -> Self {
        Self {
            generated: None,
            positions: Some(positions),
        }
    }
}

/// `generated = { loans, total_principal, seed, shares }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedBook {
    /// Number of positions.
    pub loans: usize,
    /// Total debt.
    pub total_principal: f64,
    /// Seed of the book.
    pub seed: u64,
    /// Share of the loans secured by each asset, by name; equal shares when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<std::collections::BTreeMap<String, f64>>,
}

/// The assets a generated book draws its loans against: each asset's share (from `shares`
/// by name, or equal shares when `None`), its LTV, liquidation threshold, bonus and
/// volatility, and the market's crash days with the asset's crash move. So the book and
/// the pool carry the same parameters.
pub fn book_assets(
    assets: &[AssetConfig],
    market: &MarketConfig,
    shares: Option<&std::collections::BTreeMap<String, f64>>,
) -> Vec<creditlab_loan::synthetic::DefiAsset> {
    use creditlab_loan::synthetic::{CrashJumps, DefiAsset};
    let per_year = market.crash_days.as_ref().map_or(0.0, |c| c.per_year);
    let equal = 1.0 / assets.len().max(1) as f64;
    assets
        .iter()
        .map(|a| DefiAsset {
            name: a.name.clone(),
            share: shares.map_or(equal, |s| s.get(&a.name).copied().unwrap_or(0.0)),
            volatility: a.volatility,
            ltv: a.ltv,
            liquidation_threshold: a.liquidation_threshold,
            liquidation_bonus: a.liquidation_bonus,
            jumps: CrashJumps {
                per_year,
                mean: a.crash_jump_mean,
                sd: a.crash_jump_sd,
            },
        })
        .collect()
}

/// A position to open at hour 0: collateral per asset (asset units) and debt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// The reserve's deficit (bad debt the reserve did not absorb, read on chain with
    /// `getReserveDeficit`) per unit of initial deposits: under deficit accounting the
    /// first depositors out are paid at par, so a deficit is a reason to leave first.
    Deficit,
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

    /// Checks the parameters; errors name the field (`low`, `high`, `median`, `sigma`).
    pub fn validate(&self) -> Result<()> {
        match *self {
            ThresholdDistribution::Uniform { low, high } => {
                check_at_least("low", low, 0.0)?;
                check_at_least("high", high, low)?;
            }
            ThresholdDistribution::LogNormal { median, sigma } => {
                check_positive("median", median)?;
                check_range("sigma", sigma, 0.0, 10.0)?;
            }
        }
        Ok(())
    }
}

/// `[runs]`: depositor runs. `run_prone_share` of the deposits is split into `cohorts`
/// equal cohorts; cohort `j` (of `n`) has the threshold quantile `(j + 0.5) / n` of
/// `thresholds` (a stratified draw: the thresholds are the same on every path), and asks to
/// withdraw all its shares once the signal reaches it. The other deposits never run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunModel {
    /// Number of depositor cohorts, 0..=[`MAX_COHORTS`] (0: no runs).
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

    /// Checks the parameters; errors name the field (`cohorts`, `thresholds.median`).
    pub fn validate(&self) -> Result<()> {
        if self.cohorts > MAX_COHORTS {
            return Err(out_of_range(
                "cohorts",
                self.cohorts as f64,
                format!("must be at most {MAX_COHORTS}"),
            ));
        }
        check_range("run_prone_share", self.run_prone_share, 0.0, 1.0)?;
        self.thresholds
            .validate()
            .map_err(|e| e.within("thresholds"))
    }
}

/// A config that passed [`DefiSimConfig::validate`], resolved into the models the
/// simulation runs. [`DefiSim::prepare`](crate::simulation::DefiSim::prepare) takes it.
#[derive(Debug, Clone)]
pub struct ValidConfig {
    pub(crate) config: DefiSimConfig,
    pub(crate) risk: Vec<CollateralAsset>,
    pub(crate) market: MarketModel,
    pub(crate) impacts: Vec<ImpactModel>,
    pub(crate) shock: Option<ShockPath>,
    pub(crate) random_shock: Option<(ShockPath, f64)>,
    pub(crate) steps: usize,
    pub(crate) oracle_delay_steps: usize,
    pub(crate) positions: Vec<PositionSpec>,
}

impl ValidConfig {
    /// The config as given.
    pub fn config(&self) -> &DefiSimConfig {
        &self.config
    }
    /// The positions at hour 0 (a generated book's, placed on the assets).
    pub fn positions(&self) -> &[PositionSpec] {
        &self.positions
    }
    /// The fire-sale models per asset, depths in money.
    pub fn impacts(&self) -> &[ImpactModel] {
        &self.impacts
    }
    /// The scripted shock, if any.
    pub fn shock(&self) -> Option<&ShockPath> {
        self.shock.as_ref()
    }
    /// The shock placed at random hours and its frequency per year, if any.
    pub fn random_shock(&self) -> Option<(&ShockPath, f64)> {
        self.random_shock.as_ref().map(|(s, f)| (s, *f))
    }
    /// Steps per path: `horizon_hours / step_hours`.
    pub fn steps(&self) -> usize {
        self.steps
    }
    /// The oracle delay in steps: `oracle_delay_hours / step_hours`.
    pub fn oracle_delay_steps(&self) -> usize {
        self.oracle_delay_steps
    }
    /// The market model (with its crash days, if any).
    pub fn market(&self) -> &MarketModel {
        &self.market
    }
}

/// A scripted shock of `kind` with these knots, for the keys `kind_key` and `knots_key`.
fn shock_path(
    kind: ShockKind,
    knots: Option<&Vec<[f64; 2]>>,
    kind_key: &str,
    knots_key: &str,
) -> Result<Option<ShockPath>> {
    Ok(match (kind, knots) {
        (ShockKind::None, None) => None,
        (ShockKind::March2020, None) => Some(ShockPath::march_2020()),
        (ShockKind::Custom, Some(knots)) => Some(
            ShockPath::new(knots.iter().map(|k| (k[0], k[1])).collect())
                .map_err(|e| e.within(knots_key))?,
        ),
        (ShockKind::Custom, None) => {
            return Err(invalid(
                kind_key,
                format!("`custom` needs `{knots_key} = [[hour, multiplier], ...]`"),
            ));
        }
        (_, Some(_)) => {
            return Err(invalid(knots_key, "only a `custom` shock takes knots"));
        }
    })
}

impl DefiSimConfig {
    /// The one check of a config: every key in its domain, the parts consistent with each
    /// other (a correlation matrix for the assets, positions within their LTV limit at the
    /// initial prices, a book given one way), each part checked by its own constructor
    /// ([`CollateralAsset::new`], [`AssetDynamics::new`], [`RateModel::new`],
    /// [`MarketModel::new`], [`ShockPath::new`]). Errors name the key by its path from the
    /// config's root ([`DefiError::field`](crate::DefiError::field)). Returns the config resolved: a generated book
    /// drawn and placed, depths in money, the shock path and the market model.
    pub fn validate(&self) -> Result<ValidConfig> {
        if !(1..=MAX_PATHS).contains(&self.paths) {
            return Err(out_of_range(
                "paths",
                self.paths as f64,
                format!("must be in 1..={MAX_PATHS}"),
            ));
        }
        let p = &self.pool;
        p.rates.validate().map_err(|e| e.within("pool.rates"))?;
        if !(p.initial_utilization > 0.0 && p.initial_utilization <= 1.0) {
            return Err(out_of_range(
                "pool.initial_utilization",
                p.initial_utilization,
                "must be in (0, 1]",
            ));
        }
        check_range("pool.initial_reserve", p.initial_reserve, 0.0, 1.0)?;
        if self.assets.is_empty() {
            return Err(invalid(
                "assets",
                "at least one collateral asset ([[assets]] table) is needed",
            ));
        }
        let mut names = HashMap::new();
        let mut risk = Vec::with_capacity(self.assets.len());
        let mut dynamics = Vec::with_capacity(self.assets.len());
        for (i, a) in self.assets.iter().enumerate() {
            let at = format!("assets[{i}]");
            if let Some(j) = names.insert(a.name.as_str(), i) {
                return Err(invalid(
                    format!("{at}.name"),
                    format!("`{}` is also the name of assets[{j}]", a.name),
                ));
            }
            risk.push(a.risk().map_err(|e| e.within(&at))?);
            check_positive(format!("{at}.price"), a.price)?;
            dynamics.push(a.dynamics().map_err(|e| e.within(&at))?);
            // Checked here, under the asset's own keys, before `CrashDays::new` sees them.
            check_range(
                format!("{at}.crash_jump_mean"),
                a.crash_jump_mean,
                -5.0,
                5.0,
            )?;
            check_range(format!("{at}.crash_jump_sd"), a.crash_jump_sd, 0.0, 5.0)?;
            a.impact
                .validate()
                .map_err(|e| e.within(&format!("{at}.impact")))?;
        }
        let m = &self.market;
        if !(m.step_hours.is_finite() && m.step_hours > 0.0 && m.step_hours <= HOURS_PER_YEAR) {
            return Err(out_of_range(
                "market.step_hours",
                m.step_hours,
                format!("must be in (0, {HOURS_PER_YEAR}]"),
            ));
        }
        let steps = hours_to_steps(
            "market.horizon_hours",
            m.horizon_hours,
            m.step_hours,
            MAX_STEPS,
        )?;
        if steps == 0 {
            return Err(out_of_range(
                "market.horizon_hours",
                m.horizon_hours,
                "must be at least one step",
            ));
        }
        let mut market = MarketModel::new(dynamics, &m.correlation, m.step_hours / HOURS_PER_YEAR)
            .map_err(|e| e.within("market"))?;
        let oracle_delay_steps = hours_to_steps(
            "market.oracle_delay_hours",
            m.oracle_delay_hours,
            m.step_hours,
            steps,
        )?;
        check_at_least(
            "market.impact_half_life_hours",
            m.impact_half_life_hours,
            0.0,
        )?;
        let shock = shock_path(
            m.shock,
            m.shock_knots.as_ref(),
            "market.shock",
            "market.shock_knots",
        )?;
        if let Some(c) = &m.crash_days {
            let crash = CrashDays::new(
                c.per_year,
                self.assets.iter().map(|a| a.crash_jump_mean).collect(),
                self.assets.iter().map(|a| a.crash_jump_sd).collect(),
                &c.correlation,
            )
            .map_err(|e| e.within("market.crash_days"))?;
            market = market
                .with_crash_days(crash)
                .map_err(|e| e.within("market.crash_days"))?;
        }
        let random_shock = match &m.random_shock {
            None => None,
            Some(r) => {
                if r.shape == ShockKind::None {
                    return Err(invalid(
                        "market.random_shock.shape",
                        "must be `march_2020` or `custom` (leave random_shock out for none)",
                    ));
                }
                check_range("market.random_shock.per_year", r.per_year, 0.0, 1000.0)?;
                let path = shock_path(
                    r.shape,
                    r.knots.as_ref(),
                    "market.random_shock.shape",
                    "market.random_shock.knots",
                )?
                .expect("a shape other than none");
                Some((path, r.per_year))
            }
        };
        let l = &self.liquidation;
        if let Some(c) = l.capacity_per_hour
            && !(c.is_finite() && c > 0.0)
        {
            return Err(out_of_range(
                "liquidation.capacity_per_hour",
                c,
                "must be finite and > 0 (leave the key out for unlimited capacity)",
            ));
        }
        match (&l.liquidators, &l.gas) {
            (_, Some(g)) => g.validate().map_err(|e| e.within("liquidation.gas"))?,
            (Liquidators::Profit, None) => {
                return Err(invalid(
                    "liquidation.liquidators",
                    "`profit` liquidators need `gas = { units, gwei, peak_multiplier, \
                     reference_fall, eth_price }`",
                ));
            }
            (Liquidators::Capacity, None) => {}
        }
        let positions = match (&self.book.generated, &self.book.positions) {
            (Some(g), None) => {
                use creditlab_loan::synthetic::{BookSpec, defi_book_with};
                let spec = BookSpec {
                    loans: g.loans,
                    total_principal: Some(g.total_principal),
                    seed: g.seed,
                };
                for name in g.shares.iter().flat_map(|m| m.keys()) {
                    if !self.assets.iter().any(|a| a.name == *name) {
                        return Err(invalid(
                            format!("book.generated.shares.{name}"),
                            format!("`{name}` is not one of the assets"),
                        ));
                    }
                }
                let drawn_on = book_assets(&self.assets, &self.market, g.shares.as_ref());
                let book = defi_book_with(&spec, &drawn_on)
                    .map_err(|e| invalid("book.generated", e.to_string()))?;
                // Each loan on the asset it was drawn on.
                let positions =
                    positions_from_book_by(&book, &self.assets, |r| r.collateral.asset())
                        .map_err(|e| e.within("book.generated"))?;
                check_positions(&positions, &self.assets)
                    .map_err(|e| e.within("book.generated"))?;
                positions
            }
            (None, Some(list)) => {
                check_positions(list, &self.assets).map_err(|e| e.within("book.positions"))?;
                list.clone()
            }
            _ => {
                return Err(invalid(
                    "book",
                    "give exactly one of `generated = { ... }` and `positions = [ ... ]`",
                ));
            }
        };
        self.runs.validate().map_err(|e| e.within("runs"))?;
        let total: f64 = positions.iter().map(|p| p.debt).sum();
        Ok(ValidConfig {
            config: self.clone(),
            risk,
            market,
            impacts: self
                .assets
                .iter()
                .map(|a| a.impact.at_debt(total))
                .collect(),
            shock,
            random_shock,
            steps,
            oracle_delay_steps,
            positions,
        })
    }

    /// The same pool and market without the scripted shock (crash days and random shocks,
    /// if any, stay): the calm setting.
    pub fn calm(&self) -> Self {
        let mut c = self.clone();
        c.market.shock = ShockKind::None;
        c.market.shock_knots = None;
        c
    }

    /// The same pool and market under the March-2020 crash ([`ShockPath::march_2020`]).
    pub fn march_2020(&self) -> Self {
        let mut c = self.clone();
        c.market.shock = ShockKind::March2020;
        c.market.shock_knots = None;
        c
    }

    /// A small, complete example: `n` positions on one WETH-like asset (Aave v3 risk
    /// parameters, 2,000 per ETH, 80% volatility, jumps), LTVs spread evenly from 50% to
    /// 80%, 80% utilization, a USDC-like rate curve, deficit accounting, a
    /// constant-product fire-sale market holding ten times the debt in cash, 96 hourly
    /// steps under the March-2020 crash with a one-hour oracle delay on the reference
    /// price, capacity 5% of the debt per hour, and runs on a share-price drop; 100 paths
    /// of seed 42.
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
        Self {
            seed: 42,
            paths: 100,
            pool: PoolConfig {
                initial_utilization: 0.8,
                initial_reserve: 0.0,
                bad_debt_accounting: BadDebtAccounting::Deficit,
                rates: RateModel::usdc_like(),
            },
            assets: vec![AssetConfig::new(
                CollateralAsset::weth_like(),
                price,
                AssetDynamics {
                    drift: 0.0,
                    volatility: 0.8,
                    jump_intensity: 10.0,
                    jump_mean: -0.05,
                    jump_sd: 0.05,
                },
                ImpactConfig::ConstantProduct {
                    depth: 10.0,
                    fee: 0.003,
                },
            )],
            market: MarketConfig {
                step_hours: 1.0,
                horizon_hours: 96.0,
                correlation: vec![vec![1.0]],
                oracle_delay_hours: 1.0,
                oracle_source: OracleSource::Reference,
                impact_half_life_hours: 2.0,
                shock: ShockKind::March2020,
                shock_knots: None,
                crash_days: None,
                random_shock: None,
            },
            liquidation: LiquidationConfig {
                capacity_per_hour: Some(0.05),
                liquidators: Liquidators::Capacity,
                gas: None,
            },
            book: BookConfig::positions(positions),
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

/// Checks positions against the assets: one collateral amount >= 0 per asset, a debt > 0
/// within the LTV limit at the initial prices. Fields are relative to the list
/// (`[3].debt`).
fn check_positions(positions: &[PositionSpec], assets: &[AssetConfig]) -> Result<()> {
    if positions.is_empty() {
        return Err(invalid("", "at least one position is needed"));
    }
    if positions.len() > u32::MAX as usize {
        return Err(invalid(
            "",
            format!("{} positions, more than {}", positions.len(), u32::MAX),
        ));
    }
    let n = assets.len();
    for (i, p) in positions.iter().enumerate() {
        if p.collateral.len() != n {
            return Err(invalid(
                format!("[{i}].collateral"),
                format!("{} amounts for {n} assets", p.collateral.len()),
            ));
        }
        let mut limit = 0.0;
        for (k, &amount) in p.collateral.iter().enumerate() {
            check_at_least(format!("[{i}].collateral[{k}]"), amount, 0.0)?;
            limit += amount * assets[k].price * assets[k].ltv;
        }
        check_positive(format!("[{i}].debt"), p.debt)?;
        if p.debt > limit * (1.0 + LTV_SLACK) {
            return Err(out_of_range(
                format!("[{i}].debt"),
                p.debt,
                format!("must be within the LTV limit {limit} at the initial prices"),
            ));
        }
    }
    Ok(())
}

/// Positions from a generated book (e.g. `creditlab_loan::synthetic::defi_book`), each
/// loan on the asset [`positions_from_book_by`] picks without names: the asset of nearest
/// volatility among those whose LTV limit admits the loan.
pub fn positions_from_book(
    book: &creditlab_loan::Book,
    assets: &[AssetConfig],
) -> Result<Vec<PositionSpec>> {
    positions_from_book_by(book, assets, |_| None)
}

/// Positions from a generated book: each loan becomes a position on one asset, holding
/// `collateral value / price` units, with the principal as debt. The asset is the one
/// named `asset_of(loan)` when it names one (the book says which asset the loan is
/// against); otherwise the asset whose volatility is nearest the loan's collateral
/// volatility among those whose LTV limit admits the loan (the first such asset on a tie;
/// with one asset, or when no limit admits it, the nearest of all). A loan without
/// collateral, naming an asset the config does not have, or above its asset's LTV limit,
/// is an error naming it.
///
/// ```
/// use creditlab_defi::config::{DefiSimConfig, positions_from_book_by};
/// use creditlab_loan::synthetic::{BookSpec, defi_book};
/// let book = defi_book(&BookSpec { loans: 10, total_principal: Some(1e6), seed: 1 })?;
/// let assets = DefiSimConfig::example(1).assets; // WETH alone
/// let positions = positions_from_book_by(&book, &assets, |_| Some("WETH"))?;
/// assert_eq!(positions.len(), 10);
/// let e = positions_from_book_by(&book, &assets, |_| Some("WBTC")).unwrap_err();
/// assert!(e.to_string().contains("WBTC"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn positions_from_book_by<'b>(
    book: &'b creditlab_loan::Book,
    assets: &[AssetConfig],
    asset_of: impl Fn(&'b creditlab_loan::LoanRecord) -> Option<&'b str>,
) -> Result<Vec<PositionSpec>> {
    if assets.is_empty() {
        return Err(invalid(
            "assets",
            "a pool needs at least one collateral asset",
        ));
    }
    book.iter()
        .map(|r| {
            let value = r.collateral.value();
            let vol = r.collateral.volatility();
            let id = r.loan.id();
            if value.is_nan() || value <= 0.0 {
                return Err(invalid(
                    "",
                    format!(
                        "loan {id} has no collateral; a lending pool lends against collateral only"
                    ),
                ));
            }
            let debt = r.loan.principal();
            let admits = |k: usize| debt <= value * assets[k].ltv * (1.0 + LTV_SLACK);
            let nearest = |candidates: &mut dyn Iterator<Item = usize>| {
                candidates.min_by(|&a, &b| {
                    let da = (assets[a].volatility - vol).abs();
                    let db = (assets[b].volatility - vol).abs();
                    da.total_cmp(&db).then(a.cmp(&b))
                })
            };
            let k = match asset_of(r) {
                Some(name) => assets.iter().position(|a| a.name == name).ok_or_else(|| {
                    invalid(
                        "",
                        format!("loan {id} is against `{name}`, which is not one of the assets"),
                    )
                })?,
                None => nearest(&mut (0..assets.len()).filter(|&k| admits(k)))
                    .or_else(|| nearest(&mut (0..assets.len())))
                    .unwrap_or(0),
            };
            let a = &assets[k];
            if !admits(k) {
                return Err(invalid(
                    "",
                    format!(
                        "loan {id}: LTV {:.4} exceeds {}'s limit {}",
                        debt / value,
                        a.name,
                        a.ltv
                    ),
                ));
            }
            let mut collateral = vec![0.0; assets.len()];
            collateral[k] = value / a.price;
            Ok(PositionSpec { collateral, debt })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    const DEFAULT: &str = include_str!("../../../scenarios/defi.toml");

    fn parse(text: &str) -> std::result::Result<DefiSimConfig, toml::de::Error> {
        toml::from_str(text)
    }

    /// The default file with WBTC removed: WETH alone, a 1 x 1 correlation, no crash days
    /// or random shock.
    fn one_asset(text: &str) -> String {
        let start = text
            .find("[[assets]]\n# Aave v3 Ethereum WBTC")
            .expect("WBTC's table");
        let end = text.find("[market]").expect("the market table");
        let mut out = format!("{}{}", &text[..start], &text[end..]);
        for (from, to) in [
            (
                "shares = { WETH = 0.8, WBTC = 0.2 }",
                "shares = { WETH = 1.0 }",
            ),
            (
                "correlation = [[1.0, 0.727], [0.727, 1.0]]",
                "correlation = [[1.0]]",
            ),
            (
                "crash_days = { per_year = 8.86, correlation = [[1.0, 0.375], [0.375, 1.0]] }\n",
                "",
            ),
            (
                "random_shock = { shape = \"march_2020\", per_year = 0.1528 }\n",
                "",
            ),
        ] {
            assert!(out.contains(from), "{from}");
            out = out.replace(from, to);
        }
        out
    }

    /// The path of the error `validate` reports for `text`.
    fn field_of(text: &str) -> String {
        let e = parse(text).expect("parses").validate().unwrap_err();
        e.field().expect("names a field").to_string()
    }

    #[test]
    fn the_default_file_parses_validates_and_round_trips() {
        let c = parse(DEFAULT).unwrap();
        assert_eq!((c.seed, c.paths), (20261123, 1000));
        assert_eq!(c.market.shock, ShockKind::None);
        let valid = c.validate().unwrap();
        assert_eq!(valid.positions().len(), 5000);
        assert_eq!(valid.config(), &c);
        // A year of hourly steps, the oracle on the step's reference price.
        assert_eq!((valid.steps(), valid.oracle_delay_steps()), (8760, 0));
        assert_eq!(c.market.oracle_source, OracleSource::Reference);
        assert_eq!(c.pool.bad_debt_accounting, BadDebtAccounting::Deficit);
        assert_eq!(c.liquidation.liquidators, Liquidators::Capacity);
        assert!(c.liquidation.gas.is_some());
        // Depth 1.0 per unit of debt: the total debt in money, for both assets.
        let total: f64 = valid.positions().iter().map(|p| p.debt).sum();
        let cp = ImpactModel::ConstantProduct {
            depth: total,
            fee: 0.003,
        };
        assert_eq!(valid.impacts(), &[cp, cp]);
        assert_eq!(valid.shock(), None);
        let (shape, per_year) = valid.random_shock().unwrap();
        assert_eq!((shape, per_year), (&ShockPath::march_2020(), 0.1528));
        let crash = valid.market().crash_days().unwrap();
        assert_eq!(crash.per_year, 8.86);
        assert_eq!(
            (crash.mean.clone(), crash.sd.clone()),
            (vec![-0.1403, -0.1014], vec![0.0413, 0.0354])
        );
        // The assets' risk parameters are Aave's table's, and so is the rate curve.
        for a in &c.assets {
            assert_eq!(a.risk().unwrap(), crate::aave::collateral(&a.name).unwrap());
        }
        assert_eq!(c.pool.rates, crate::aave::rates("USDC").unwrap());
        // Both assets take loans: by nearest volatility among those whose LTV admits them.
        let on_wbtc = valid
            .positions()
            .iter()
            .filter(|p| p.collateral[1] > 0.0)
            .count();
        assert!(on_wbtc > 0 && on_wbtc < 5000, "{on_wbtc}");
        let again = parse(&toml::to_string(&c).unwrap()).unwrap();
        assert_eq!(again, c);
        let example = DefiSimConfig::example(20);
        assert_eq!(parse(&toml::to_string(&example).unwrap()).unwrap(), example);
    }

    #[test]
    fn unknown_keys_are_refused_at_every_level() {
        for (from, to) in [
            ("\npaths = 1000", "\npaths = 1000\npathz = 3"),
            (
                "initial_reserve = 0.005",
                "initial_reserve = 0.005\nreserve = 1",
            ),
            (
                "reserve_factor = 0.10 }",
                "reserve_factor = 0.10, kink = 1 }",
            ),
            (
                "jump_sd = 0.0\ncrash",
                "jump_sd = 0.0\njump_sdd = 0.1\ncrash",
            ),
            ("fee = 0.003 }", "fee = 0.003, beta = 1 }"),
            ("shock = \"none\"", "shock = \"march_2021\""),
            (
                "capacity_per_hour = 0.05",
                "capacity_per_hour = 0.05\nspeed = 1",
            ),
            ("seed = 20261123,", "seed = 20261123, vol = 1,"),
            ("sigma = 1.0 }", "sigma = 1.0, low = 0 }"),
            ("signal = \"deficit\"", "signal = \"price\""),
            // The new keys: unknown values and keys inside their tables.
            (
                "bad_debt_accounting = \"deficit\"",
                "bad_debt_accounting = \"socialized\"",
            ),
            (
                "oracle_source = \"reference\"",
                "oracle_source = \"chainlink\"",
            ),
            ("liquidators = \"capacity\"", "liquidators = \"bots\""),
            ("per_year = 8.86,", "per_year = 8.86, size = 1,"),
            ("per_year = 0.1528 }", "per_year = 0.1528, hour = 3 }"),
            ("eth_price = 2000.0 }", "eth_price = 2000.0, tip = 1 }"),
            // Old keys are gone.
            ("horizon_hours = 8760.0", "steps = 8760"),
            ("oracle_delay_hours = 0.0", "oracle_delay_steps = 0"),
            // Wrong types.
            ("horizon_hours = 8760.0", "horizon_hours = \"a year\""),
            ("crash_jump_sd = 0.0413", "crash_jump_sd = [0.0413]"),
        ] {
            assert!(DEFAULT.contains(from), "{from}");
            let text = DEFAULT.replace(from, to);
            assert!(parse(&text).is_err(), "{to} should be refused");
        }
    }

    #[test]
    fn errors_name_the_key_of_the_file() {
        let cases = [
            (
                "volatility = 0.7644",
                "volatility = -0.8",
                "assets[0].volatility",
            ),
            (
                "ltv = 0.805",
                "ltv = 0.90",
                "assets[0].liquidation_threshold",
            ),
            (
                "crash_jump_mean = -0.1014",
                "crash_jump_mean = -6.0",
                "assets[1].crash_jump_mean",
            ),
            (
                "crash_jump_sd = 0.0413",
                "crash_jump_sd = -0.1",
                "assets[0].crash_jump_sd",
            ),
            ("price = 2000.0", "price = 0.0", "assets[0].price"),
            ("fee = 0.003 }", "fee = 1.0 }", "assets[0].impact.fee"),
            ("depth = 1.0,", "depth = -1.0,", "assets[0].impact.depth"),
            ("slope1 = 0.035", "slope1 = -0.04", "pool.rates.slope1"),
            (
                "optimal_utilization = 0.90",
                "optimal_utilization = 1.0",
                "pool.rates.optimal_utilization",
            ),
            (
                "initial_utilization = 0.8",
                "initial_utilization = 1.5",
                "pool.initial_utilization",
            ),
            (
                "initial_reserve = 0.005",
                "initial_reserve = -0.1",
                "pool.initial_reserve",
            ),
            (
                "horizon_hours = 8760.0",
                "horizon_hours = 0.0",
                "market.horizon_hours",
            ),
            (
                "horizon_hours = 8760.0",
                "horizon_hours = 8760.5",
                "market.horizon_hours",
            ),
            (
                "step_hours = 1.0",
                "step_hours = 9000.0",
                "market.step_hours",
            ),
            (
                "correlation = [[1.0, 0.727], [0.727, 1.0]]",
                "correlation = [[1.0]]",
                "market.correlation",
            ),
            (
                "correlation = [[1.0, 0.727], [0.727, 1.0]]",
                "correlation = [[0.5, 0.727], [0.727, 1.0]]",
                "market.correlation",
            ),
            (
                "oracle_delay_hours = 0.0",
                "oracle_delay_hours = 8761.0",
                "market.oracle_delay_hours",
            ),
            (
                "oracle_delay_hours = 0.0",
                "oracle_delay_hours = 0.25",
                "market.oracle_delay_hours",
            ),
            (
                "per_year = 8.86",
                "per_year = -1.0",
                "market.crash_days.per_year",
            ),
            (
                "correlation = [[1.0, 0.375], [0.375, 1.0]]",
                "correlation = [[1.0, 1.5], [1.5, 1.0]]",
                "market.crash_days.correlation",
            ),
            (
                "per_year = 0.1528",
                "per_year = 2000.0",
                "market.random_shock.per_year",
            ),
            (
                "shape = \"march_2020\"",
                "shape = \"none\"",
                "market.random_shock.shape",
            ),
            (
                "shape = \"march_2020\"",
                "shape = \"custom\"",
                "market.random_shock.shape",
            ),
            (
                "shape = \"march_2020\"",
                "shape = \"custom\", knots = [[5.0, 0.5], [2.0, 0.4]]",
                "market.random_shock.knots[1]",
            ),
            ("units = 600000.0", "units = 0.0", "liquidation.gas.units"),
            (
                "peak_multiplier = 6.0",
                "peak_multiplier = 0.5",
                "liquidation.gas.peak_multiplier",
            ),
            (
                "reference_fall = 0.4235",
                "reference_fall = 1.5",
                "liquidation.gas.reference_fall",
            ),
            (
                "eth_price = 2000.0 }",
                "eth_price = 0.0 }",
                "liquidation.gas.eth_price",
            ),
            (
                "impact_half_life_hours = 1.0",
                "impact_half_life_hours = -1.0",
                "market.impact_half_life_hours",
            ),
            ("shock = \"none\"", "shock = \"custom\"", "market.shock"),
            (
                "shock = \"none\"",
                "shock = \"march_2020\"\nshock_knots = [[0.0, 1.0]]",
                "market.shock_knots",
            ),
            (
                "shock = \"none\"",
                "shock = \"custom\"\nshock_knots = [[0.0, 1.0], [0.0, 0.5]]",
                "market.shock_knots[1]",
            ),
            (
                "capacity_per_hour = 0.05",
                "capacity_per_hour = 0.0",
                "liquidation.capacity_per_hour",
            ),
            ("loans = 5000", "loans = 0", "book.generated"),
            ("cohorts = 100", "cohorts = 100001", "runs.cohorts"),
            (
                "run_prone_share = 0.5",
                "run_prone_share = 2.0",
                "runs.run_prone_share",
            ),
            ("median = 0.001", "median = 0.0", "runs.thresholds.median"),
            ("sigma = 1.0", "sigma = 11.0", "runs.thresholds.sigma"),
            ("\npaths = 1000", "\npaths = 0", "paths"),
        ];
        for (from, to, field) in cases {
            assert!(DEFAULT.contains(from), "{from}");
            assert_eq!(field_of(&DEFAULT.replace(from, to)), field, "{to}");
        }
        // Profit-driven liquidators without gas: the key that needs it.
        let no_gas = DEFAULT
            .replace("liquidators = \"capacity\"", "liquidators = \"profit\"")
            .replace(
                "gas = { units = 600000.0, gwei = 13.0, peak_multiplier = 6.0, reference_fall = 0.4235, eth_price = 2000.0 }",
                "",
            );
        assert_eq!(field_of(&no_gas), "liquidation.liquidators");
        let uniform = DEFAULT.replace(
            "{ distribution = \"log_normal\", median = 0.001, sigma = 1.0 }",
            "{ distribution = \"uniform\", low = 0.2, high = 0.1 }",
        );
        assert_eq!(field_of(&uniform), "runs.thresholds.high");
    }

    #[test]
    fn listed_positions_and_two_assets() {
        let listed = one_asset(DEFAULT).replace(
            "generated = { loans = 5000, total_principal = 1_000_000_000.0, seed = 20261123, shares = { WETH = 1.0 } }",
            "positions = [{ collateral = [1.0], debt = 1000.0 }, { collateral = [2.0], debt = 3000.0 }]",
        );
        let c = parse(&listed).unwrap();
        let valid = c.validate().unwrap();
        assert_eq!(valid.positions().len(), 2);
        // Depth 1.0 x the total debt of 4,000.
        assert_eq!(
            valid.impacts()[0],
            ImpactModel::ConstantProduct {
                depth: 4000.0,
                fee: 0.003
            }
        );
        // 3,000 on 2 ETH at 2,000 is within 80.5%; 3,300 is not.
        let over = listed.replace("debt = 3000.0", "debt = 3300.0");
        assert_eq!(field_of(&over), "book.positions[1].debt");
        let short = listed.replace("collateral = [2.0]", "collateral = [2.0, 1.0]");
        assert_eq!(field_of(&short), "book.positions[1].collateral");
        let negative = listed.replace("collateral = [2.0]", "collateral = [-2.0]");
        assert_eq!(field_of(&negative), "book.positions[1].collateral[0]");
        let both = listed.replace(
            "[book]\n",
            "[book]\ngenerated = { loans = 10, total_principal = 1e4, seed = 1 }\n",
        );
        assert_eq!(field_of(&both), "book");
        let none = listed.replace(
            "positions = [{ collateral = [1.0], debt = 1000.0 }, { collateral = [2.0], debt = 3000.0 }]",
            "",
        );
        assert_eq!(field_of(&none), "book");
        let empty = DefiSimConfig {
            book: BookConfig::positions(Vec::new()),
            ..c.clone()
        };
        assert_eq!(
            empty.validate().unwrap_err().field(),
            Some("book.positions")
        );

        // A second asset: the generated book's loans go to the asset each was drawn on.
        let second = "[[assets]]\nname = \"WBTC\"\nltv = 0.80\nliquidation_threshold = 0.825\n\
            liquidation_bonus = 0.05\nprotocol_fee_share = 0.10\nprice = 30000.0\ndrift = 0.0\n\
            volatility = 0.6\njump_intensity = 0.0\njump_mean = 0.0\njump_sd = 0.0\n\
            impact = { model = \"exponential\", beta = 1.0, depth = 2.0 }\n\n[market]";
        let two = one_asset(DEFAULT)
            .replace("[market]", second)
            .replace(
                "correlation = [[1.0]]",
                "correlation = [[1.0, 0.7], [0.7, 1.0]]",
            )
            .replace(
                "shares = { WETH = 1.0 }",
                "shares = { WETH = 0.5, WBTC = 0.5 }",
            );
        let c = parse(&two).unwrap();
        // A share for an asset the pool does not have is an error naming it.
        let typo = two.replace("WBTC = 0.5 }", "WBTX = 0.5 }");
        assert_eq!(field_of(&typo), "book.generated.shares.WBTX");
        let valid = c.validate().unwrap();
        let on_btc = valid
            .positions()
            .iter()
            .filter(|p| p.collateral[1] > 0.0)
            .count();
        assert!(on_btc > 0 && on_btc < 5000, "{on_btc}");
        assert!(matches!(
            valid.impacts()[1],
            ImpactModel::Exponential { beta: 1.0, .. }
        ));
        let same_name = two.replace("name = \"WBTC\"", "name = \"WETH\"");
        assert_eq!(field_of(&same_name), "assets[1].name");
        let one_row = two.replace(
            "correlation = [[1.0, 0.7], [0.7, 1.0]]",
            "correlation = [[1.0]]",
        );
        assert_eq!(field_of(&one_row), "market.correlation");
        let bad_btc = two.replace("volatility = 0.6", "volatility = 11.0");
        assert_eq!(field_of(&bad_btc), "assets[1].volatility");
        let no_assets = DefiSimConfig {
            assets: Vec::new(),
            ..c
        };
        assert_eq!(no_assets.validate().unwrap_err().field(), Some("assets"));
    }

    #[test]
    fn a_custom_shock_and_the_settings() {
        let custom = DEFAULT.replace(
            "shock = \"none\"",
            "shock = \"custom\"\nshock_knots = [[12.0, 0.7], [24.0, 0.5]]",
        );
        let c = parse(&custom).unwrap();
        let shock = c.validate().unwrap().shock().cloned().unwrap();
        assert_eq!(shock.knots(), &[(0.0, 1.0), (12.0, 0.7), (24.0, 0.5)]);
        let calm = c.calm();
        assert_eq!(
            (calm.market.shock, &calm.market.shock_knots),
            (ShockKind::None, &None)
        );
        assert!(calm.validate().unwrap().shock().is_none());
        assert_eq!(
            c.march_2020().validate().unwrap().shock(),
            Some(&ShockPath::march_2020())
        );
    }

    #[test]
    fn hours_are_whole_steps() {
        // 0.75 h of 15-minute steps is 3 steps although 0.25 x 3 is not 0.75 to the bit.
        assert_eq!(hours_to_steps("k", 0.75, 0.25, 10).unwrap(), 3);
        assert_eq!(hours_to_steps("k", 24.0, 5.0 / 60.0, 1000).unwrap(), 288);
        assert_eq!(hours_to_steps("k", 0.0, 1.0, 10).unwrap(), 0);
        let e = hours_to_steps("market.oracle_delay_hours", 0.3, 0.25, 10).unwrap_err();
        assert_eq!(e.field(), Some("market.oracle_delay_hours"));
        assert!(
            e.to_string()
                .contains("multiple of market.step_hours (0.25 h)"),
            "{e}"
        );
        assert!(hours_to_steps("k", 3.0, 0.25, 11).is_err());
        assert!(hours_to_steps("k", -1.0, 1.0, 10).is_err());
        assert!(hours_to_steps("k", f64::NAN, 1.0, 10).is_err());
        // The same oracle delay in hours is the same number of steps in any unit.
        let c = parse(DEFAULT).unwrap();
        for (step, delay, steps) in [(1.0, 1.0, 1), (0.25, 1.0, 4), (0.5, 0.0, 0)] {
            let mut c = c.clone();
            c.market.step_hours = step;
            c.market.oracle_delay_hours = delay;
            assert_eq!(c.validate().unwrap().oracle_delay_steps(), steps);
        }
    }

    #[test]
    fn gas_by_hand() {
        let g = GasConfig {
            units: 600_000.0,
            gwei: 13.0,
            peak_multiplier: 6.0,
            reference_fall: 0.4235,
            eth_price: 2000.0,
        };
        // 600,000 x 13 gwei x 1e-9 ETH/gwei x 2,000 = 15.6; at the peak 93.6.
        assert!((g.cost(13.0, 2000.0) - 15.6).abs() <= prec::IDENTITY * 16.0);
        assert!((g.cost(g.gwei_at(1.0), 2000.0) - 93.6).abs() <= prec::IDENTITY * 100.0);
        // Log-linear in the fall: halfway, sqrt(6) x 13.
        let half = g.gwei_at(0.4235 / 2.0);
        assert!((half - 13.0 * 6f64.sqrt()).abs() <= prec::COMPOSED * half);
        assert_eq!(g.gwei_at(-0.2), 13.0);
        g.validate().unwrap();
        for (bad, field) in [
            (GasConfig { units: -1.0, ..g }, "units"),
            (GasConfig { gwei: 0.0, ..g }, "gwei"),
            (
                GasConfig {
                    peak_multiplier: 0.9,
                    ..g
                },
                "peak_multiplier",
            ),
            (
                GasConfig {
                    reference_fall: 0.0,
                    ..g
                },
                "reference_fall",
            ),
            (
                GasConfig {
                    eth_price: f64::NAN,
                    ..g
                },
                "eth_price",
            ),
        ] {
            assert_eq!(bad.validate().unwrap_err().field(), Some(field));
        }
    }

    #[test]
    fn the_stress_file_is_the_96_hour_march_2020() {
        let c = parse(include_str!("../../../scenarios/defi-march-2020.toml")).unwrap();
        let valid = c.validate().unwrap();
        assert_eq!(valid.shock(), Some(&ShockPath::march_2020()));
        assert_eq!((valid.steps(), c.market.step_hours), (384, 0.25));
        assert!(valid.random_shock().is_none() && valid.market().crash_days().is_none());
        // Same pool and assets as the default year.
        let year = parse(DEFAULT).unwrap();
        assert_eq!(
            (c.pool, c.assets, c.book),
            (year.pool, year.assets, year.book)
        );
    }
}
