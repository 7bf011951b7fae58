//! Section 5 of the study: the DeFi book run as an Aave-style lending pool on simulated
//! markets (creditlab-defi's `simulation`), once in a calm year and once through the
//! March-2020 crash. The positions are the DeFi book's loans, so sections 1 to 4 and this
//! one describe the same borrowers.

use crate::error::Result;
use crate::progress::{Progress, counted};
use creditlab_defi::config::{
    AssetConfig, BookConfig, DefiSimConfig, ImpactConfig, LiquidationConfig, Liquidators,
    MarketConfig, OracleSource, PoolConfig, RunModel, RunSignal, ShockKind, ThresholdDistribution,
    positions_from_book,
};
use creditlab_defi::lending::BadDebtAccounting;
use creditlab_defi::market::AssetDynamics;
use creditlab_defi::{
    lending::{CollateralAsset, RateModel},
    simulation::{DefiSim, DefiSimResult, StepSeries},
};
use creditlab_loan::Book;
use serde::{Deserialize, Serialize};

/// One collateral asset of the pool (`[[defi_pool.assets]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetSpec {
    /// Name, for the report.
    pub name: String,
    /// Annual volatility of the diffusion; each loan goes to the asset whose volatility is
    /// nearest its collateral's.
    pub volatility: f64,
    /// Jumps per year.
    pub jump_intensity: f64,
    /// Mean log size of a jump.
    pub jump_mean: f64,
    /// Standard deviation of a jump's log size.
    pub jump_sd: f64,
}

/// Scenario keys of the DeFi pool study (`[defi_pool]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefiPoolSpec {
    /// Monte Carlo paths per setting.
    pub paths: u64,
    /// Length of the calm setting, in days.
    pub calm_days: u32,
    /// Length of the crash setting, in hours.
    pub crash_hours: u32,
    /// Hours per step in the calm year.
    pub calm_step_hours: f64,
    /// Hours per step in the crashes.
    pub crash_step_hours: f64,
    /// Oracle delay in steps.
    pub oracle_delay_steps: usize,
    /// Utilization at hour 0.
    pub initial_utilization: f64,
    /// Reserve at hour 0, per unit of debt.
    pub initial_reserve: f64,
    /// Debt liquidators can repay per hour, per unit of the pool's debt.
    pub liquidation_capacity_per_hour: f64,
    /// The same in the congested crash: the chain clogged and liquidators short of capital.
    pub congested_capacity_per_hour: f64,
    /// Oracle delay in steps in the congested crash.
    pub congested_oracle_delay_steps: usize,
    /// Cash side of each asset's constant-product fire-sale market, per unit of the pool's
    /// debt.
    pub market_depth: f64,
    /// Swap fee of those markets.
    pub market_fee: f64,
    /// Half-life of the fire-sale impact, in hours.
    pub impact_half_life_hours: f64,
    /// Pairwise correlation of the assets' diffusions.
    pub correlation: f64,
    /// Depositor cohorts that may run.
    pub run_cohorts: usize,
    /// Share of the deposits held by them.
    pub run_prone_share: f64,
    /// Their thresholds on the share-price drop are uniform on `[0, run_threshold_max]`.
    pub run_threshold_max: f64,
    /// The collateral assets.
    pub assets: Vec<AssetSpec>,
}

impl DefiPoolSpec {
    /// Checks the keys the simulation does not check itself; the error names the key.
    pub fn check(&self) -> std::result::Result<(), (&'static str, String)> {
        if !(1..=10_000_000).contains(&self.paths) {
            return Err(("paths", format!("{} is outside 1..=10000000", self.paths)));
        }
        if !(1..=3650).contains(&self.calm_days) {
            return Err((
                "calm_days",
                format!("{} is outside 1..=3650", self.calm_days),
            ));
        }
        if !(1..=8760).contains(&self.crash_hours) {
            return Err((
                "crash_hours",
                format!("{} is outside 1..=8760", self.crash_hours),
            ));
        }
        for (key, h) in [
            ("calm_step_hours", self.calm_step_hours),
            ("crash_step_hours", self.crash_step_hours),
        ] {
            if !(h.is_finite() && h > 0.0 && h <= 24.0) {
                return Err((key, format!("{h} must be in (0, 24]")));
            }
        }
        for (key, v, low, high) in [
            ("initial_utilization", self.initial_utilization, 1e-9, 1.0),
            ("initial_reserve", self.initial_reserve, 0.0, 1.0),
            (
                "liquidation_capacity_per_hour",
                self.liquidation_capacity_per_hour,
                1e-9,
                1e6,
            ),
            (
                "congested_capacity_per_hour",
                self.congested_capacity_per_hour,
                1e-9,
                1e6,
            ),
            ("market_depth", self.market_depth, 1e-9, 1e9),
            ("market_fee", self.market_fee, 0.0, 0.999),
            (
                "impact_half_life_hours",
                self.impact_half_life_hours,
                0.0,
                1e6,
            ),
            ("correlation", self.correlation, -1.0, 1.0),
            ("run_prone_share", self.run_prone_share, 0.0, 1.0),
            ("run_threshold_max", self.run_threshold_max, 0.0, 1.0),
        ] {
            if !(v.is_finite() && (low..=high).contains(&v)) {
                return Err((key, format!("{v} is outside [{low}, {high}]")));
            }
        }
        if self.assets.is_empty() {
            return Err(("assets", "at least one collateral asset is needed".into()));
        }
        if self.assets.len() > 1 && self.correlation < -1.0 / (self.assets.len() - 1) as f64 {
            return Err((
                "correlation",
                format!(
                    "{} is below -1/(n-1): not a correlation of {} assets",
                    self.correlation,
                    self.assets.len()
                ),
            ));
        }
        Ok(())
    }

    /// The shrunk setting of `--quick`: 200 paths, 90 calm days.
    pub fn quicken(&mut self) {
        self.paths = self.paths.min(200);
        self.calm_days = self.calm_days.min(90);
    }

    /// The simulation config of `book` under this spec, `hours` long, with or without the
    /// March-2020 shock.
    fn config(&self, book: &Book, hours: f64, crash: bool) -> Result<DefiSimConfig> {
        self.config_with(
            book,
            hours,
            crash,
            self.liquidation_capacity_per_hour,
            self.oracle_delay_steps,
        )
    }

    fn config_with(
        &self,
        book: &Book,
        hours: f64,
        crash: bool,
        capacity: f64,
        oracle_delay_steps: usize,
    ) -> Result<DefiSimConfig> {
        let assets = self
            .assets
            .iter()
            .map(|a| {
                Ok(AssetConfig::new(
                    // Aave v3's WETH parameters for every asset: the book is underwritten at
                    // LTVs of 80% at most.
                    CollateralAsset {
                        name: a.name.clone(),
                        ..CollateralAsset::weth_like()
                    },
                    1.0,
                    AssetDynamics::new(
                        0.0,
                        a.volatility,
                        a.jump_intensity,
                        a.jump_mean,
                        a.jump_sd,
                    )?,
                    // Depth per unit of the pool's debt, as the config takes it.
                    ImpactConfig::ConstantProduct {
                        depth: self.market_depth,
                        fee: self.market_fee,
                    },
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let step_hours = if crash {
            self.crash_step_hours
        } else {
            self.calm_step_hours
        };
        let n = assets.len();
        let correlation = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| if i == j { 1.0 } else { self.correlation })
                    .collect()
            })
            .collect();
        let positions = positions_from_book(book, &assets)?;
        let base = DefiSimConfig {
            // The study passes its own paths and seed to each run.
            seed: 0,
            paths: self.paths,
            pool: PoolConfig {
                initial_utilization: self.initial_utilization,
                initial_reserve: self.initial_reserve,
                // The study's behaviour so far: bad debt through the share price (its
                // runs watch the share price).
                bad_debt_accounting: BadDebtAccounting::SharePrice,
                rates: RateModel::usdc_like(),
            },
            assets,
            market: MarketConfig {
                step_hours,
                horizon_hours: (hours / step_hours).round().max(1.0) * step_hours,
                correlation,
                oracle_delay_hours: oracle_delay_steps as f64 * step_hours,
                // The study's behaviour so far: the oracle reads the on-chain market.
                oracle_source: OracleSource::Amm,
                impact_half_life_hours: self.impact_half_life_hours,
                shock: ShockKind::None,
                shock_knots: None,
                crash_days: None,
                random_shock: None,
            },
            liquidation: LiquidationConfig {
                capacity_per_hour: Some(capacity),
                liquidators: Liquidators::Capacity,
                gas: None,
            },
            book: BookConfig::positions(positions),
            runs: if self.run_cohorts == 0 {
                RunModel::none()
            } else {
                RunModel {
                    cohorts: self.run_cohorts,
                    run_prone_share: self.run_prone_share,
                    signal: RunSignal::SharePriceDrop,
                    thresholds: ThresholdDistribution::Uniform {
                        low: 0.0,
                        high: self.run_threshold_max,
                    },
                }
            },
        };
        Ok(if crash { base.march_2020() } else { base })
    }
}

/// The DeFi pool in both settings.
#[derive(Debug, Clone, Serialize)]
pub struct DefiPoolStudy {
    /// The calm year (its step series is left out of the report: it is a year long).
    pub calm: DefiSimResult,
    /// The March-2020 crash, with the step series of its median path.
    pub crash: DefiSimResult,
    /// The same crash with congested liquidations (lower capacity, staler oracle), as on
    /// 12 March 2020 when gas prices spiked and liquidation auctions cleared at zero bids.
    pub congested: DefiSimResult,
}

/// Runs the three settings on `book`, each with a progress bar over its paths; calm and
/// crash draw from different streams of `seed`, the two crashes from the same (common
/// random numbers: they differ by the liquidation conditions only).
pub fn study(
    spec: &DefiPoolSpec,
    book: &Book,
    seed: u64,
    progress: &dyn Progress,
) -> Result<DefiPoolStudy> {
    let run = |name: &str, config: &DefiSimConfig, stream: u64| {
        counted(progress, name, spec.paths, |tick| {
            DefiSim::new(config)?.run_with_progress(spec.paths, seed.wrapping_add(stream), tick)
        })
    };
    let calm_config = spec.config(book, f64::from(spec.calm_days) * 24.0, false)?;
    let crash_config = spec.config(book, f64::from(spec.crash_hours), true)?;
    let mut calm = run("defi pool: calm year", &calm_config, 2)?;
    calm.series = StepSeries::default();
    let crash = run("defi pool: March 2020", &crash_config, 3)?;
    let congested_config = spec.config_with(
        book,
        f64::from(spec.crash_hours),
        true,
        spec.congested_capacity_per_hour,
        spec.congested_oracle_delay_steps,
    )?;
    let congested = run("defi pool: March 2020, congested", &congested_config, 3)?;
    Ok(DefiPoolStudy {
        calm,
        crash,
        congested,
    })
}
