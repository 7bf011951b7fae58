//! Section 5 of the study: the DeFi book run as an Aave v3 lending pool (creditlab-defi)
//! over one year of simulated crypto markets with crash days, and through the 96-hour
//! March-2020 crash as a separate stress (with normal and with congested liquidations).
//! The positions are the DeFi book's loans, generated against the same collateral assets
//! with the same LTV limits, so sections 1 to 4 and this one describe the same borrowers.
//!
//! The scenario's `[defi_pool]` holds creditlab-defi's own config parts (`pool`, `assets`,
//! `market`, `liquidation`, `runs`: docs/schemas/defi-toml.md) and the library validates
//! them; the study adds the number of paths, each asset's share of the book, and the
//! stress.

use crate::error::Result;
use crate::progress::{Progress, counted};
use creditlab_defi::config::{
    AssetConfig, BookConfig, DefiSimConfig, LiquidationConfig, MarketConfig, PoolConfig,
    PositionSpec, RunModel, ShockKind, positions_from_book_by,
};
use creditlab_defi::simulation::{DefiSim, DefiSimResult, StepSeries};
use creditlab_loan::Book;
use creditlab_loan::synthetic::DefiAsset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Slack on the asset shares' sum of one.
const SHARE_SUM_SLACK: f64 = 1e-9;

/// The 96-hour March-2020 stress (`[defi_pool.stress]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressSpec {
    /// Paths of each stress run.
    pub paths: u64,
    /// Length of the stress in hours, from the shock's start.
    pub horizon_hours: f64,
    /// Hours per step in the stress.
    pub step_hours: f64,
    /// Debt liquidators can repay per hour in the congested stress, per unit of the debt.
    pub congested_capacity_per_hour: f64,
    /// Oracle delay in the congested stress, hours.
    pub congested_oracle_delay_hours: f64,
}

/// Scenario keys of the DeFi pool (`[defi_pool]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefiPoolSpec {
    /// Paths of the one-year simulation.
    pub paths: u64,
    /// Share of the DeFi book's loans secured by each asset, by name; the shares sum to 1.
    pub asset_shares: BTreeMap<String, f64>,
    /// The pool: utilization, first-loss reserve, bad-debt accounting, rate model.
    pub pool: PoolConfig,
    /// The collateral assets: Aave risk parameters, dynamics, fire-sale markets.
    pub assets: Vec<AssetConfig>,
    /// The year's market: step, horizon, correlation, oracle, crash days, random shock.
    pub market: MarketConfig,
    /// The liquidators.
    pub liquidation: LiquidationConfig,
    /// Depositor runs.
    pub runs: RunModel,
    /// The March-2020 stress.
    pub stress: StressSpec,
}

/// A key of `[defi_pool]` that cannot be used: its dotted path below `defi_pool` and why.
pub type SpecError = (String, String);

impl DefiPoolSpec {
    /// The DeFi book's collateral assets as creditlab-loan's generator takes them: each of
    /// the pool's assets with its share of the book, the same LTV limit, liquidation
    /// threshold and bonus, its diffusion volatility, and the year's crash days (their
    /// frequency, the asset's own move on one), so the book's realised defaults and the
    /// pool see the same market.
    pub fn book_assets(&self) -> Vec<DefiAsset> {
        creditlab_defi::config::book_assets(&self.assets, &self.market, Some(&self.asset_shares))
    }

    /// The one-year simulation of `positions` with `seed`.
    pub fn year(&self, positions: Vec<PositionSpec>, seed: u64) -> DefiSimConfig {
        DefiSimConfig {
            seed,
            paths: self.paths,
            pool: self.pool.clone(),
            assets: self.assets.clone(),
            market: self.market.clone(),
            liquidation: self.liquidation.clone(),
            book: BookConfig::positions(positions),
            runs: self.runs,
        }
    }

    /// The March-2020 stress of `positions` with `seed`: the year's pool and assets, the
    /// shock from hour 0 without crash days or random shocks, for the stress's hours;
    /// `congested` with the congested capacity and oracle delay.
    pub fn stress(
        &self,
        positions: Vec<PositionSpec>,
        seed: u64,
        congested: bool,
    ) -> DefiSimConfig {
        let s = &self.stress;
        let mut market = MarketConfig {
            step_hours: s.step_hours,
            horizon_hours: s.horizon_hours,
            shock: ShockKind::March2020,
            shock_knots: None,
            crash_days: None,
            random_shock: None,
            ..self.market.clone()
        };
        let mut liquidation = self.liquidation.clone();
        if congested {
            market.oracle_delay_hours = s.congested_oracle_delay_hours;
            liquidation.capacity_per_hour = Some(s.congested_capacity_per_hour);
        }
        DefiSimConfig {
            seed,
            paths: s.paths,
            market,
            liquidation,
            ..self.year(positions, seed)
        }
    }

    /// A book of one position per asset at half its LTV limit: what validation runs the
    /// configs on before the study's book exists.
    fn placeholder(&self) -> Vec<PositionSpec> {
        let n = self.assets.len();
        (0..n)
            .map(|k| {
                let mut collateral = vec![0.0; n];
                let a = &self.assets[k];
                let price = if a.price.is_finite() && a.price > 0.0 {
                    a.price
                } else {
                    1.0
                };
                collateral[k] = 1.0;
                PositionSpec {
                    collateral,
                    debt: (0.5 * a.ltv * price).max(f64::MIN_POSITIVE),
                }
            })
            .collect()
    }

    /// Checks every key: the asset shares here, the rest by creditlab-defi's own validator
    /// (on the year and on both stresses); the error names the key below `defi_pool`.
    pub fn validate(&self) -> std::result::Result<(), SpecError> {
        let fail = |key: &str, reason: String| Err((key.to_string(), reason));
        for (name, &share) in &self.asset_shares {
            if !self.assets.iter().any(|a| &a.name == name) {
                return fail(
                    &format!("asset_shares.{name}"),
                    format!("`{name}` is not one of the [[defi_pool.assets]]"),
                );
            }
            if !(share.is_finite() && (0.0..=1.0).contains(&share)) {
                return fail(
                    &format!("asset_shares.{name}"),
                    format!("{share} must be in [0, 1]"),
                );
            }
        }
        // The DeFi book is drawn at LTVs between creditlab-loan's floor and each asset's
        // limit, so a limit below the floor cannot generate a book (found by the soak).
        let floor = creditlab_loan::synthetic::DEFI_MIN_LTV;
        if let Some((i, a)) = self
            .assets
            .iter()
            .enumerate()
            .find(|(_, a)| a.ltv.is_nan() || a.ltv < floor)
        {
            return fail(
                &format!("assets[{i}].ltv"),
                format!(
                    "{} is below {floor}, the lowest LTV the DeFi book is drawn at",
                    a.ltv
                ),
            );
        }
        let total: f64 = self.asset_shares.values().sum();
        if (total - 1.0).abs() > SHARE_SUM_SLACK {
            return fail("asset_shares", format!("the shares sum to {total}, not 1"));
        }
        let s = &self.stress;
        for (key, v, positive) in [
            (
                "stress.congested_capacity_per_hour",
                s.congested_capacity_per_hour,
                true,
            ),
            (
                "stress.congested_oracle_delay_hours",
                s.congested_oracle_delay_hours,
                false,
            ),
        ] {
            let ok = v.is_finite() && if positive { v > 0.0 } else { v >= 0.0 };
            if !ok {
                let what = if positive { "> 0" } else { ">= 0" };
                return fail(key, format!("{v} must be finite and {what}"));
            }
        }
        let library = |config: DefiSimConfig, prefix: &str| {
            config.validate().map(|_| ()).map_err(|e| {
                let field = e.field().unwrap_or("");
                // The stress shares the year's pool, assets and runs; its market and
                // paths are the stress's own keys.
                let key = match (prefix, field.split_once('.').map_or(field, |(h, _)| h)) {
                    ("stress", "market") => field
                        .replace("market.step_hours", "stress.step_hours")
                        .replace("market.horizon_hours", "stress.horizon_hours")
                        .replace(
                            "market.oracle_delay_hours",
                            "stress.congested_oracle_delay_hours",
                        ),
                    ("stress", "paths") => "stress.paths".to_string(),
                    ("stress", "liquidation") => "stress.congested_capacity_per_hour".to_string(),
                    _ => field.to_string(),
                };
                (key, e.reason().to_string())
            })
        };
        library(self.year(self.placeholder(), 0), "")?;
        library(self.stress(self.placeholder(), 0, false), "stress")?;
        library(self.stress(self.placeholder(), 0, true), "stress")?;
        Ok(())
    }

    /// The shrunk setting of `--quick`: 200 paths of the year and of each stress.
    pub fn quicken(&mut self) {
        self.paths = self.paths.min(200);
        self.stress.paths = self.stress.paths.min(200);
    }
}

/// The DeFi pool over the year and through the stresses.
#[derive(Debug, Clone, Serialize)]
pub struct DefiPoolStudy {
    /// One year with crash days and the random March-2020 (its step series is left out of
    /// the report: it is a year long).
    pub year: DefiSimResult,
    /// The 96-hour March-2020 crash, with the step series of its median path.
    pub crash: DefiSimResult,
    /// The same crash with congested liquidations (lower capacity, staler oracle), as on
    /// 12 March 2020 when gas prices spiked and liquidation auctions cleared at zero bids.
    pub congested: DefiSimResult,
}

/// The DeFi book's loans as positions of the pool: each on the asset the book names.
pub fn positions(spec: &DefiPoolSpec, book: &Book) -> Result<Vec<PositionSpec>> {
    Ok(positions_from_book_by(book, &spec.assets, |r| {
        r.collateral.asset()
    })?)
}

/// The three simulations of the study's DeFi pool, of the study's `seed`: the year, March
/// 2020 and March 2020 congested. The year and the stresses draw from different streams
/// of `seed`, the two stresses from the same (common random numbers).
pub fn configs(spec: &DefiPoolSpec, positions: Vec<PositionSpec>, seed: u64) -> [DefiSimConfig; 3] {
    [
        spec.year(positions.clone(), seed.wrapping_add(2)),
        spec.stress(positions.clone(), seed.wrapping_add(3), false),
        spec.stress(positions, seed.wrapping_add(3), true),
    ]
}

/// Runs the year and the two stresses on `book`, each with a progress bar over its paths;
/// the year and the stresses draw from different streams of `seed`, the two stresses from
/// the same (common random numbers: they differ by the liquidation conditions only).
pub fn study(
    spec: &DefiPoolSpec,
    book: &Book,
    seed: u64,
    progress: &dyn Progress,
) -> Result<DefiPoolStudy> {
    let run = |name: &str, config: DefiSimConfig| {
        let paths = config.paths;
        counted(progress, name, paths, |tick| {
            DefiSim::new(&config)?.run_with_progress(paths, creditlab_defi::Seed(config.seed), tick)
        })
    };
    let [year, crash, congested] = configs(spec, positions(spec, book)?, seed);
    let mut year = run("defi pool: one year", year)?;
    year.series = StepSeries::default();
    let crash = run("defi pool: March 2020", crash)?;
    let congested = run("defi pool: March 2020, congested", congested)?;
    Ok(DefiPoolStudy {
        year,
        crash,
        congested,
    })
}
