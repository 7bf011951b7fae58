//! The DeFi lending pool under a moving market: liquidations, fire-sale cascades, runs,
//! and the Monte Carlo over price paths. Methodology: [docs/methodology/lending-pool.md](crate::methodology::lending_pool),
//! [docs/methodology/market.md](crate::methodology::market), [docs/methodology/fire-sales.md](crate::methodology::fire_sales).
//!
//! Each path runs one [`LendingPool`], the pool's one balance sheet, through the same
//! operations a user calls on it (interest by the borrow index, liquidation up to a
//! repayment cap, write-off reserve first, withdrawals limited by the cash); this module adds
//! time, the market and the order of events. At the start of a path the hours of its random
//! shocks are drawn (if the config has any); then each step:
//!
//! 1. the fire-sale impact of earlier steps relaxes toward the fundamental price;
//! 2. the market moves: correlated jump-diffusion with crash days common to all assets
//!    ([`MarketModel`]) x the scripted and random shock multipliers give the *reference*
//!    price; x the impact multiplier gives the on-chain market price;
//! 3. the oracle reports the reference price of `oracle_delay_hours` ago (times the
//!    current impact when it reads the on-chain market, `oracle_source = "amm"`);
//! 4. interest accrues at the borrow rate of the current utilization (the pool's borrow
//!    index, as Aave's variable-debt index, so accrual costs O(1) and does not reorder
//!    positions);
//! 5. liquidations, worst health factor first, up to the step's liquidation capacity (debt
//!    repaid per step), by every liquidatable position or only those that pay the
//!    liquidator (`liquidators = "profit"`); the liquidators sell the seized collateral
//!    through the impact model; with an oracle on the market price the lower price feeds
//!    back into every other position's health factor at once, and the next round
//!    liquidates what that pushed under 1 (a cascade), until no new position is
//!    liquidatable or the capacity is exhausted;
//! 6. runs: depositor cohorts whose threshold the run signal has crossed ask to withdraw
//!    everything; requests are served first come, first served against the cash.
//!
//! At the horizon every open position is marked at the reference price: its shortfall
//! (debt minus collateral value, where positive) is the loss it will leave, so the loss of
//! a path is the bad debt booked plus the open shortfall.
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
//! steps x paths; the time series is of one path (the path with the median loss),
//! simulated again once the summaries are known.
//!
//! ```
//! use creditlab_defi::config::DefiSimConfig;
//! use creditlab_defi::simulation::simulate;
//! let mut config = DefiSimConfig::example(200); // 200 WETH positions, March-2020 crash
//! config.paths = 8;
//! let result = simulate(&config)?;
//! assert!(result.bad_debt.mean >= 0.0);
//! assert!(result.loss.mean >= result.bad_debt.mean);
//! assert_eq!(result.series.hour.len(), 96 + 1);
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```

use crate::config::{
    DefiSimConfig, GAS_WINDOW_HOURS, GasConfig, Liquidators, MAX_PATHS, OracleSource, RunSignal,
    ValidConfig,
};
use crate::error::{Result, out_of_range};
use crate::impact::{ImpactModel, relaxation_per_step};
use crate::lending::{BadDebtAccounting, FULL_CLOSE_HEALTH_FACTOR, LendingPool};
use crate::market::{HOURS_PER_YEAR, MarketModel, Oracle, ShockPath, poisson_by_inversion};
use creditlab_numerics::rng::{Seed, StreamRng, open01, stream};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BinaryHeap;

pub use crate::stats::{Distribution, StandardErrors};

/// Version of the JSON of [`DefiSimResult`] (docs/schemas/defi-json.md): it changes
/// whenever a field is renamed, removed or changes meaning.
pub const SCHEMA_VERSION: u32 = 2;

/// Smallest and largest price the simulation carries: prices are clamped to them so that
/// an absurd drift or volatility over a long horizon cannot produce 0, infinity or NaN.
const MIN_PRICE: f64 = 1e-200;
/// See [`MIN_PRICE`].
const MAX_PRICE: f64 = 1e200;
/// Most cascade rounds in one step (a guard; a cascade that long is reported as such).
pub const MAX_CASCADE_ROUNDS: u32 = 1_000;

/// One path step by step (index 0 is hour 0, before the first step). Amounts are per unit
/// of the initial total debt (liquidations, bad debt) or of the initial deposits
/// (withdrawals, deficit); prices are per asset, `[asset][step]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StepSeries {
    /// Which path (its index in the stream of the seed).
    pub path: u64,
    /// Hours since the start.
    pub hour: Vec<f64>,
    /// Reference price per asset (fundamental x shocks: what an off-chain oracle reads).
    pub reference_price: Vec<Vec<f64>>,
    /// Market price per asset (reference x fire-sale impact).
    pub market_price: Vec<Vec<f64>>,
    /// Oracle price per asset.
    pub oracle_price: Vec<Vec<f64>>,
    /// Debt repaid by liquidators in the step, per unit of initial debt.
    pub liquidations: Vec<f64>,
    /// Cascade rounds in the step.
    pub cascade_rounds: Vec<u32>,
    /// Cumulative bad debt, per unit of initial debt.
    pub cumulative_bad_debt: Vec<f64>,
    /// The reserve's deficit (deficit accounting), per unit of initial deposits.
    pub deficit: Vec<f64>,
    /// Share price (1 at hour 0).
    pub share_price: Vec<f64>,
    /// Utilization after the step.
    pub utilization: Vec<f64>,
    /// Annual supply rate paid in the step: depositors' share of the interest per unit of
    /// their claims, annualized (0 at hour 0).
    pub supply_rate: Vec<f64>,
    /// Gas price in gwei (profit-driven liquidators; 0 otherwise).
    pub gas_gwei: Vec<f64>,
    /// Value of the withdrawal requests outstanding in the step, per unit of initial
    /// deposits.
    pub withdrawals_wanted: Vec<f64>,
    /// Cash paid out to them in the step, per unit of initial deposits.
    pub withdrawals_met: Vec<f64>,
}

/// The Monte Carlo result: distributions over paths of per-path figures, each with its
/// standard error, and the time series of the path with the median loss. Serialized, it
/// is the JSON of `cargo xtask defi --json` (docs/schemas/defi-json.md).
///
/// ```
/// use creditlab_defi::config::DefiSimConfig;
/// use creditlab_defi::simulation::simulate;
/// let mut config = DefiSimConfig::example(100).calm();
/// config.paths = 4;
/// let r = simulate(&config)?;
/// assert_eq!((r.paths, r.positions, r.shock_start_hour), (4, 100, None));
/// assert!(r.share_of_paths_without_bad_debt <= 1.0);
/// // The loss counted is the bad debt booked plus the open positions' shortfall.
/// assert!((r.loss.mean - r.bad_debt.mean - r.open_shortfall.mean).abs() < 1e-12);
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefiSimResult {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Paths simulated.
    pub paths: u64,
    /// Seed.
    pub seed: u64,
    /// Steps per path.
    pub steps: usize,
    /// Hours per step.
    pub step_hours: f64,
    /// Length of a path in hours.
    pub horizon_hours: f64,
    /// Oracle delay in hours.
    pub oracle_delay_hours: f64,
    /// What the oracle reads.
    pub oracle_source: OracleSource,
    /// How bad debt is accounted for.
    pub bad_debt_accounting: BadDebtAccounting,
    /// When liquidators act.
    pub liquidators: Liquidators,
    /// Positions at hour 0.
    pub positions: usize,
    /// Total debt at hour 0 (units of the borrowed asset).
    pub total_debt: f64,
    /// Deposits at hour 0.
    pub deposits: f64,
    /// Hour the scripted shock starts (`None` without a scripted shock).
    pub shock_start_hour: Option<f64>,
    /// The loss the verdict counts: bad debt booked plus the open positions' shortfall at
    /// the horizon, per unit of initial debt.
    pub loss: Distribution,
    /// Bad debt written off over the path (booked), per unit of initial debt.
    pub bad_debt: Distribution,
    /// Shortfall of the positions still open at the horizon, `sum of max(debt -
    /// collateral value at the reference price, 0)`, per unit of initial debt.
    pub open_shortfall: Distribution,
    /// Depositors' loss as booked: bad debt the reserve could not absorb (deficit or
    /// share-price write-off), per unit of initial deposits.
    pub depositor_loss: Distribution,
    /// Depositors' loss with the open positions marked: the booked part plus the open
    /// shortfall the reserve left at the horizon cannot cover, per unit of initial
    /// deposits: the loss of the depositors as a group.
    pub depositor_loss_marked: Distribution,
    /// The marked loss of the depositors still in the pool at the horizon, per unit of
    /// their deposits (per share; shares are worth 1 at hour 0): the unbacked claims
    /// (deficit accounting) or the write-offs per share (share-price accounting) plus
    /// the uncovered open shortfall, over the shares left (0 when none are).
    pub remaining_depositor_loss: Distribution,
    /// Interest credited to depositors over the path, per unit of initial deposits.
    pub depositor_interest: Distribution,
    /// Depositors' return over the path: interest minus the marked loss, per unit of
    /// initial deposits.
    pub depositor_return: Distribution,
    /// Time average over the path's steps of the annual supply rate.
    pub mean_supply_rate: Distribution,
    /// Debt repaid by liquidators over the path, per unit of initial debt.
    pub liquidation_volume: Distribution,
    /// Liquidatable positions a profit-driven liquidator declined (summed over steps and
    /// rounds; 0 with capacity liquidators).
    pub declined_liquidations: Distribution,
    /// The longest cascade of the path: most liquidation rounds in one step.
    pub cascade_rounds: Distribution,
    /// Crash days common to all assets on the path.
    pub crash_days: Distribution,
    /// Random shocks (e.g. the March-2020 shape) starting on the path.
    pub random_shocks: Distribution,
    /// Hours from the shock's start (or hour 0) to the first bad debt, over the paths with
    /// bad debt (`None` when no path had any).
    pub hours_to_first_bad_debt: Option<Distribution>,
    /// Hours from the path's first shock (scripted or random shock, or crash day) to its
    /// first loss to lenders (bad debt booked or an open position under water at the
    /// reference price), over the paths with a loss after a shock (`None` when none).
    pub hours_from_first_shock_to_loss: Option<Distribution>,
    /// Paths with a loss (booked or open) at some step.
    pub paths_with_loss: u64,
    /// Of those, the paths whose first loss came before any shock (from the diffusion).
    pub paths_with_loss_before_any_shock: u64,
    /// Share of paths without bad debt.
    pub share_of_paths_without_bad_debt: f64,
    /// Share of the shares depositors asked to withdraw that had not been paid by the end
    /// (0 on paths where nobody asked).
    pub unmet_withdrawals: Distribution,
    /// Share of paths on which some depositor asked to withdraw.
    pub share_of_paths_with_withdrawals: f64,
    /// The path with the median loss, step by step.
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

/// Validates `config` and simulates its `paths` paths from its `seed`, in parallel on the
/// current rayon pool; the result depends only on the config.
pub fn simulate(config: &DefiSimConfig) -> Result<DefiSimResult> {
    DefiSim::new(config)?.run(config.paths, Seed(config.seed))
}

/// Both settings of the report from one config: [`DefiSimConfig::calm`] and
/// [`DefiSimConfig::march_2020`], same paths and seed.
pub fn simulate_calm_and_crash(config: &DefiSimConfig) -> Result<CalmAndCrash> {
    Ok(CalmAndCrash {
        calm: simulate(&config.calm())?,
        march_2020: simulate(&config.march_2020())?,
    })
}

/// What one path leaves behind (the accumulator a shard's partial result carries).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PathSummary {
    bad_debt: f64,
    open_shortfall: f64,
    borne_by_depositors: f64,
    /// Booked plus the uncovered open shortfall.
    depositors_marked: f64,
    /// Per share left at the horizon.
    remaining_loss: f64,
    depositor_interest: f64,
    mean_supply_rate: f64,
    repaid: f64,
    declined: u64,
    max_rounds: u32,
    crash_days: u32,
    random_shocks: u32,
    first_bad_debt_hour: Option<f64>,
    first_shock_hour: Option<f64>,
    first_loss_hour: Option<f64>,
    wanted_shares: f64,
    unmet_shares: f64,
}

/// Gas of profit-driven liquidators: the config and where the ETH price comes from.
#[derive(Debug, Clone)]
struct Gas {
    config: GasConfig,
    /// The asset named `WETH`, whose reference price moves the ETH price.
    weth: Option<usize>,
    /// Steps in [`GAS_WINDOW_HOURS`], at least one.
    window_steps: usize,
}

/// A validated, prepared simulation: the pool at hour 0, positions ordered by liquidation
/// price, run thresholds drawn. Run it for any number of paths and seeds.
///
/// ```
/// use creditlab_defi::config::DefiSimConfig;
/// use creditlab_defi::simulation::DefiSim;
/// use creditlab_defi::Seed;
/// let sim = DefiSim::new(&DefiSimConfig::example(100))?;
/// let (a, b) = (sim.run(4, Seed(1))?, sim.run(4, Seed(1))?);
/// assert_eq!(a, b); // same seed, same result
/// assert!(sim.total_debt() > 0.0 && sim.deposits() > sim.total_debt());
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DefiSim {
    market: MarketModel,
    impacts: Vec<ImpactModel>,
    p0: Vec<f64>,
    n_assets: usize,
    /// The pool at hour 0: every path starts from a copy.
    pool0: LendingPool,
    /// Per asset: single-asset positions `(key bits, id)`, key descending.
    order: Vec<Vec<(u64, u32)>>,
    /// Positions with several collateral assets (checked every round).
    mixed: Vec<u32>,
    /// Per position: whether it is in `mixed`.
    is_mixed: Vec<bool>,
    total_debt: f64,
    deposits: f64,
    /// Run thresholds, ascending, one per cohort.
    thresholds: Vec<f64>,
    cohort_shares: f64,
    signal: RunSignal,
    relax: f64,
    capacity_per_step: f64,
    dt: f64,
    steps: usize,
    step_hours: f64,
    oracle_delay_steps: usize,
    oracle_source: OracleSource,
    liquidators: Liquidators,
    gas: Option<Gas>,
    /// Per asset: the liquidator's share of the bonus, `bonus x (1 - protocol fee)`.
    net_bonus: Vec<f64>,
    /// Scripted shock multiplier at the end of each step (index 0: hour 0).
    shock: Vec<f64>,
    shock_start_hour: Option<f64>,
    /// A shape placed at random hours and its frequency per year.
    random_shock: Option<(ShockPath, f64)>,
}

/// `key = debt / (collateral x LT)` as sortable bits (positive floats order as their bits).
#[inline]
fn key_bits(debt: f64, collateral: f64, lt: f64) -> u64 {
    (debt / (collateral * lt)).to_bits()
}

impl DefiSim {
    /// Validates the config ([`DefiSimConfig::validate`]) and prepares the simulation.
    pub fn new(config: &DefiSimConfig) -> Result<Self> {
        Ok(Self::prepare(config.validate()?))
    }

    /// Prepares a validated config: opens the pool at hour 0 and orders the positions.
    pub fn prepare(valid: ValidConfig) -> Self {
        let ValidConfig {
            config: c,
            risk,
            market,
            impacts,
            shock,
            random_shock,
            steps,
            oracle_delay_steps,
            positions,
        } = valid;
        let n = risk.len();
        let mut collateral0 = Vec::with_capacity(positions.len() * n);
        let mut debt0 = Vec::with_capacity(positions.len());
        let mut order: Vec<Vec<(u64, u32)>> = vec![Vec::new(); n];
        let mut mixed = Vec::new();
        let mut is_mixed = vec![false; positions.len()];
        for (i, p) in positions.iter().enumerate() {
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
        let deposits = total_debt / c.pool.initial_utilization;
        let reserve0 = c.pool.initial_reserve * total_debt;
        let r = &c.runs;
        let thresholds = (0..r.cohorts)
            .map(|j| r.thresholds.quantile((j as f64 + 0.5) / r.cohorts as f64))
            .collect();
        let cohort_shares = if r.cohorts > 0 {
            deposits * r.run_prone_share / r.cohorts as f64
        } else {
            0.0
        };
        let m = &c.market;
        let shock_multipliers = (0..=steps)
            .map(|s| {
                shock
                    .as_ref()
                    .map_or(1.0, |sh| sh.multiplier(s as f64 * m.step_hours))
            })
            .collect();
        let net_bonus = risk
            .iter()
            .map(|a| a.liquidation_bonus * (1.0 - a.protocol_fee_share))
            .collect();
        let gas = c.liquidation.gas.map(|config| Gas {
            config,
            weth: c.assets.iter().position(|a| a.name == "WETH"),
            window_steps: ((GAS_WINDOW_HOURS / m.step_hours).round() as usize).max(1),
        });
        let pool0 = LendingPool::from_balance_sheet(
            risk,
            c.pool.rates,
            deposits + reserve0 - total_debt,
            reserve0,
            deposits,
            collateral0,
            debt0,
            c.pool.bad_debt_accounting,
        );
        Self {
            market,
            impacts,
            p0: c.assets.iter().map(|a| a.price).collect(),
            n_assets: n,
            pool0,
            order,
            mixed,
            is_mixed,
            total_debt,
            deposits,
            thresholds,
            cohort_shares,
            signal: r.signal,
            relax: relaxation_per_step(m.impact_half_life_hours / m.step_hours),
            capacity_per_step: c
                .liquidation
                .capacity_per_hour
                .map_or(f64::INFINITY, |f| f * m.step_hours * total_debt),
            dt: m.step_hours / HOURS_PER_YEAR,
            steps,
            step_hours: m.step_hours,
            oracle_delay_steps,
            oracle_source: m.oracle_source,
            liquidators: c.liquidation.liquidators,
            gas,
            net_bonus,
            shock: shock_multipliers,
            shock_start_hour: shock.as_ref().map(ShockPath::start_hour),
            random_shock,
        }
    }

    /// Total debt at hour 0.
    pub fn total_debt(&self) -> f64 {
        self.total_debt
    }

    /// Deposits at hour 0.
    pub fn deposits(&self) -> f64 {
        self.deposits
    }

    /// Steps per path.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The pool at hour 0, from which every path starts.
    pub fn initial_pool(&self) -> &LendingPool {
        &self.pool0
    }

    /// Simulates paths `0..paths` of `seed` in parallel and summarizes them.
    pub fn run(&self, paths: u64, seed: Seed) -> Result<DefiSimResult> {
        self.run_with_progress(paths, seed, &|| {})
    }

    /// [`DefiSim::run`], calling `on_path` once as each path finishes (from the worker
    /// threads, in no particular order): for progress bars. The result does not depend on
    /// it.
    pub fn run_with_progress(
        &self,
        paths: u64,
        seed: Seed,
        on_path: &(dyn Fn() + Sync),
    ) -> Result<DefiSimResult> {
        let Seed(seed) = seed;
        if !(1..=MAX_PATHS).contains(&paths) {
            return Err(out_of_range(
                "paths",
                paths as f64,
                format!("must be in 1..={MAX_PATHS}"),
            ));
        }
        let summaries = self.simulate_paths(seed, 0..paths, on_path);
        Ok(self.summarize(seed, &summaries))
    }

    /// The summaries of paths `range` of `seed`, in path order, simulated in parallel: a
    /// pure function of the seed and the indices, so shards of a run concatenate into it
    /// ([`crate::shard`]).
    pub(crate) fn simulate_paths(
        &self,
        seed: u64,
        range: std::ops::Range<u64>,
        on_path: &(dyn Fn() + Sync),
    ) -> Vec<PathSummary> {
        range
            .into_par_iter()
            .map_init(
                || PathState::new(self),
                |state, i| {
                    let summary = state.run(seed, i, None);
                    on_path();
                    summary
                },
            )
            .collect()
    }

    /// The result of the run of `seed` whose paths `0..n` left `summaries` (n >= 1):
    /// distributions over paths, and the median-loss path simulated again step by step.
    pub(crate) fn summarize(&self, seed: u64, summaries: &[PathSummary]) -> DefiSimResult {
        let paths = summaries.len() as u64;
        let of = |f: &dyn Fn(&PathSummary) -> f64| -> Distribution {
            let mut v: Vec<f64> = summaries.iter().map(f).collect();
            Distribution::of(&mut v).expect("paths >= 1")
        };
        let (debt, deposits) = (self.total_debt, self.deposits);
        let start = self.shock_start_hour;
        let mut times: Vec<f64> = summaries
            .iter()
            .filter_map(|s| s.first_bad_debt_hour.map(|h| h - start.unwrap_or(0.0)))
            .collect();
        let with_bad = times.len();
        let mut after_shock = Vec::new();
        let (mut with_loss, mut before_shock) = (0u64, 0u64);
        for s in summaries {
            if let Some(loss) = s.first_loss_hour {
                with_loss += 1;
                match s.first_shock_hour {
                    Some(shock) if shock <= loss => after_shock.push(loss - shock),
                    _ => before_shock += 1,
                }
            }
        }
        let asked = summaries.iter().filter(|s| s.wanted_shares > 0.0).count();
        // The path with the median loss (ties broken by index), simulated again.
        let mut by_loss: Vec<(f64, u64)> = summaries
            .iter()
            .enumerate()
            .map(|(i, s)| (s.bad_debt + s.open_shortfall, i as u64))
            .collect();
        by_loss.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let median_path = by_loss[(by_loss.len() - 1) / 2].1;
        let mut series = StepSeries::default();
        PathState::new(self).run(seed, median_path, Some(&mut series));
        let n = paths as f64;
        DefiSimResult {
            schema_version: SCHEMA_VERSION,
            paths,
            seed,
            steps: self.steps,
            step_hours: self.step_hours,
            horizon_hours: self.steps as f64 * self.step_hours,
            oracle_delay_hours: self.oracle_delay_steps as f64 * self.step_hours,
            oracle_source: self.oracle_source,
            bad_debt_accounting: self.pool0.accounting(),
            liquidators: self.liquidators,
            positions: self.pool0.len(),
            total_debt: debt,
            deposits,
            shock_start_hour: start,
            loss: of(&|s| (s.bad_debt + s.open_shortfall) / debt),
            bad_debt: of(&|s| s.bad_debt / debt),
            open_shortfall: of(&|s| s.open_shortfall / debt),
            depositor_loss: of(&|s| s.borne_by_depositors / deposits),
            depositor_loss_marked: of(&|s| s.depositors_marked / deposits),
            remaining_depositor_loss: of(&|s| s.remaining_loss),
            depositor_interest: of(&|s| s.depositor_interest / deposits),
            depositor_return: of(&|s| (s.depositor_interest - s.depositors_marked) / deposits),
            mean_supply_rate: of(&|s| s.mean_supply_rate),
            liquidation_volume: of(&|s| s.repaid / debt),
            declined_liquidations: of(&|s| s.declined as f64),
            cascade_rounds: of(&|s| f64::from(s.max_rounds)),
            crash_days: of(&|s| f64::from(s.crash_days)),
            random_shocks: of(&|s| f64::from(s.random_shocks)),
            hours_to_first_bad_debt: Distribution::of(&mut times),
            hours_from_first_shock_to_loss: Distribution::of(&mut after_shock),
            paths_with_loss: with_loss,
            paths_with_loss_before_any_shock: before_shock,
            share_of_paths_without_bad_debt: (paths as usize - with_bad) as f64 / n,
            unmet_withdrawals: of(&|s| {
                if s.wanted_shares > 0.0 {
                    s.unmet_shares / s.wanted_shares
                } else {
                    0.0
                }
            }),
            share_of_paths_with_withdrawals: asked as f64 / n,
            series,
        }
    }
}

/// Single-asset positions a profit-driven liquidator set aside because no repayment of
/// them can pay the gas in the step ([`PathState::unpark`] has the bound), so that a step
/// does not pop them from the order again and again. Per asset, three max-heaps of
/// `(value bits, id, generation)`: by debt x close factor (returned when the threshold
/// falls to it), and by liquidation key, one for each close factor (the highest key is
/// the first under water; a position parked at 50% returns when its health factor
/// reaches 0.95). An entry is live while its position is parked with that generation;
/// stale entries are dropped when they reach the top.
#[derive(Debug, Clone)]
struct Parked {
    by_debt: Vec<BinaryHeap<(u64, u32, u32)>>,
    by_key_full: Vec<BinaryHeap<(u64, u32, u32)>>,
    by_key_half: Vec<BinaryHeap<(u64, u32, u32)>>,
    /// Per position: whether parked now, and the generation of its parking.
    now: Vec<bool>,
    generation: Vec<u32>,
    /// Per asset: the debt x close factor below which a position cannot pay in this step.
    below: Vec<f64>,
}

impl Parked {
    fn new(n_assets: usize, positions: usize) -> Self {
        Self {
            by_debt: vec![BinaryHeap::new(); n_assets],
            by_key_full: vec![BinaryHeap::new(); n_assets],
            by_key_half: vec![BinaryHeap::new(); n_assets],
            now: vec![false; positions],
            generation: vec![0; positions],
            below: vec![0.0; n_assets],
        }
    }

    fn clear(&mut self) {
        for h in [
            &mut self.by_debt,
            &mut self.by_key_full,
            &mut self.by_key_half,
        ] {
            h.iter_mut().for_each(BinaryHeap::clear);
        }
        self.now.iter_mut().for_each(|x| *x = false);
    }

    fn park(&mut self, k: usize, id: u32, debt_cf: f64, key: u64, half: bool) {
        let i = id as usize;
        self.now[i] = true;
        self.generation[i] = self.generation[i].wrapping_add(1);
        let g = self.generation[i];
        self.by_debt[k].push((debt_cf.to_bits(), id, g));
        let by_key = if half {
            &mut self.by_key_half[k]
        } else {
            &mut self.by_key_full[k]
        };
        by_key.push((key, id, g));
    }

    /// Drops the stale entries at the top of `heap`.
    fn clean(heap: &mut BinaryHeap<(u64, u32, u32)>, now: &[bool], generation: &[u32]) {
        while let Some(&(_, id, g)) = heap.peek() {
            let i = id as usize;
            if now[i] && generation[i] == g {
                break;
            }
            heap.pop();
        }
    }

    /// Pops the live top of `heap` if `take(value)` and unparks it.
    fn pop_if(
        heap: &mut BinaryHeap<(u64, u32, u32)>,
        now: &mut [bool],
        generation: &[u32],
        take: impl Fn(u64) -> bool,
    ) -> Option<u32> {
        Self::clean(heap, now, generation);
        let &(value, id, _) = heap.peek()?;
        if !take(value) {
            return None;
        }
        heap.pop();
        now[id as usize] = false;
        Some(id)
    }

    /// The parked position of asset `k` with the largest debt x close factor, unparked, if
    /// `take` accepts that value.
    fn pop_at_least(&mut self, k: usize, take: impl Fn(u64) -> bool) -> Option<u32> {
        Self::pop_if(&mut self.by_debt[k], &mut self.now, &self.generation, take)
    }

    /// The position of asset `k` parked at a 50% close factor with the highest key,
    /// unparked, if `take` accepts that key.
    fn pop_half_at_least(&mut self, k: usize, take: impl Fn(u64) -> bool) -> Option<u32> {
        Self::pop_if(
            &mut self.by_key_half[k],
            &mut self.now,
            &self.generation,
            take,
        )
    }

    /// Drops the stale entries at the tops of asset `k`'s heaps: after every unparking,
    /// so that every top is live.
    fn clean_tops(&mut self, k: usize) {
        for heap in [
            &mut self.by_debt[k],
            &mut self.by_key_full[k],
            &mut self.by_key_half[k],
        ] {
            Self::clean(heap, &self.now, &self.generation);
        }
    }

    /// The highest liquidation key among the parked positions of asset `k` (the tops are
    /// live: [`Parked::clean_tops`] runs after every unparking, and parking adds live
    /// entries only).
    fn top_key(&self, k: usize) -> Option<u64> {
        let top = |heap: &BinaryHeap<(u64, u32, u32)>| heap.peek().map(|&(key, _, _)| key);
        top(&self.by_key_full[k]).max(top(&self.by_key_half[k]))
    }
}

/// The mutable state of one path: its pool (a copy of the hour-0 pool), its market, the
/// order of its positions and its runs; reused from path to path by one worker.
#[derive(Debug, Clone)]
struct PathState<'a> {
    sim: &'a DefiSim,
    pool: LendingPool,
    cursor: Vec<usize>,
    heap: Vec<BinaryHeap<(u64, u32)>>,
    log_fund: Vec<f64>,
    impact: Vec<f64>,
    /// Reference price: fundamental x shocks.
    exo: Vec<f64>,
    market: Vec<f64>,
    oracle_price: Vec<f64>,
    oracle: Oracle,
    /// The reference price [`GAS_WINDOW_HOURS`] ago (profit-driven liquidators).
    window: Oracle,
    dlog: Vec<f64>,
    seized: Vec<f64>,
    fee: Vec<f64>,
    sold: Vec<f64>,
    /// Per asset: no liquidation of it pays any more in this round.
    blocked: Vec<bool>,
    /// Positions set aside because no liquidation of them can pay the gas
    /// ([`Parked`]).
    parked: Parked,
    /// Whether positions that cannot pay the gas are set aside (always, but for the test
    /// that checks it changes nothing).
    parking: bool,
    /// Scratch collateral of a quoted liquidation.
    quote: Vec<f64>,
    mixed_candidates: Vec<(f64, u32)>,
    deferred: Vec<u32>,
    /// Start hours of this path's random shocks.
    events: Vec<f64>,
    // Runs.
    max_signal: f64,
    peak_share_price: f64,
    next_cohort: usize,
    served: usize,
    front_left: f64,
    // Totals the pool does not keep (for the summary and conservation checks).
    repaid_total: f64,
    interest_total: f64,
    depositor_interest: f64,
    supply_rate_sum: f64,
    paid_total: f64,
    seized_total: Vec<f64>,
    declined: u64,
    max_rounds: u32,
    crash_days: u32,
    first_bad: Option<f64>,
    first_shock: Option<f64>,
    first_loss: Option<f64>,
    hour: f64,
    gas_gwei: f64,
    gas_cost: f64,
    step_repaid: f64,
    step_rounds: u32,
    step_wanted: f64,
    step_paid: f64,
    step_supply_rate: f64,
}

impl<'a> PathState<'a> {
    fn new(sim: &'a DefiSim) -> Self {
        let n = sim.n_assets;
        let window = sim.gas.as_ref().map_or(0, |g| g.window_steps);
        let mut s = Self {
            sim,
            pool: sim.pool0.clone(),
            cursor: vec![0; n],
            heap: vec![BinaryHeap::new(); n],
            log_fund: vec![0.0; n],
            impact: vec![1.0; n],
            exo: vec![0.0; n],
            market: vec![0.0; n],
            oracle_price: vec![0.0; n],
            oracle: Oracle::new(sim.oracle_delay_steps, &sim.p0),
            window: Oracle::new(window, &sim.p0),
            dlog: vec![0.0; n],
            seized: vec![0.0; n],
            fee: vec![0.0; n],
            sold: vec![0.0; n],
            blocked: vec![false; n],
            parked: Parked::new(n, sim.pool0.len()),
            parking: true,
            quote: vec![0.0; n],
            mixed_candidates: Vec::new(),
            deferred: Vec::new(),
            events: Vec::new(),
            max_signal: 0.0,
            peak_share_price: 1.0,
            next_cohort: 0,
            served: 0,
            front_left: 0.0,
            repaid_total: 0.0,
            interest_total: 0.0,
            depositor_interest: 0.0,
            supply_rate_sum: 0.0,
            paid_total: 0.0,
            seized_total: vec![0.0; n],
            declined: 0,
            max_rounds: 0,
            crash_days: 0,
            first_bad: None,
            first_shock: None,
            first_loss: None,
            hour: 0.0,
            gas_gwei: 0.0,
            gas_cost: 0.0,
            step_repaid: 0.0,
            step_rounds: 0,
            step_wanted: 0.0,
            step_paid: 0.0,
            step_supply_rate: 0.0,
        };
        s.reset();
        s
    }

    /// Back to hour 0.
    fn reset(&mut self) {
        let sim = self.sim;
        self.pool.clone_from(&sim.pool0);
        self.cursor.iter_mut().for_each(|c| *c = 0);
        self.heap.iter_mut().for_each(BinaryHeap::clear);
        self.parked.clear();
        self.log_fund.iter_mut().for_each(|x| *x = 0.0);
        self.impact.iter_mut().for_each(|x| *x = 1.0);
        for k in 0..sim.n_assets {
            self.exo[k] = sim.p0[k] * sim.shock[0];
        }
        self.market.copy_from_slice(&self.exo);
        self.oracle_price.copy_from_slice(&self.exo);
        self.oracle.reset(&self.exo);
        self.window.reset(&self.exo);
        self.events.clear();
        self.max_signal = 0.0;
        self.peak_share_price = 1.0;
        self.next_cohort = 0;
        self.served = 0;
        self.front_left = sim.cohort_shares;
        self.repaid_total = 0.0;
        self.interest_total = 0.0;
        self.depositor_interest = 0.0;
        self.supply_rate_sum = 0.0;
        self.paid_total = 0.0;
        self.seized_total.iter_mut().for_each(|x| *x = 0.0);
        self.declined = 0;
        self.max_rounds = 0;
        self.crash_days = 0;
        self.first_bad = None;
        self.first_shock = sim.shock_start_hour;
        self.first_loss = None;
        self.hour = 0.0;
        self.gas_gwei = 0.0;
        self.gas_cost = 0.0;
    }

    /// Draws the start hours of this path's random shocks: a Poisson count of mean
    /// `per_year x horizon in years` by inversion from one uniform, then one uniform hour
    /// in `[0, horizon)` each. Nothing is drawn without random shocks.
    fn draw_events(&mut self, rng: &mut StreamRng) {
        let sim = self.sim;
        let Some((shape, per_year)) = &sim.random_shock else {
            return;
        };
        let horizon = sim.steps as f64 * sim.step_hours;
        let mean = per_year * horizon / HOURS_PER_YEAR;
        let count = poisson_by_inversion((-mean).exp(), mean, rng);
        for _ in 0..count {
            let hour = open01(rng.next_u64()) * horizon;
            self.events.push(hour);
            let start = hour + shape.start_hour();
            self.first_shock = Some(self.first_shock.map_or(start, |f| f.min(start)));
        }
    }

    /// Simulates path `i` of `seed` from hour 0, recording the series if asked.
    fn run(&mut self, seed: u64, i: u64, mut series: Option<&mut StepSeries>) -> PathSummary {
        self.reset();
        let mut rng = stream(seed, i);
        self.draw_events(&mut rng);
        if let Some(s) = series.as_deref_mut() {
            let n = self.sim.n_assets;
            *s = StepSeries {
                path: i,
                reference_price: vec![Vec::new(); n],
                market_price: vec![Vec::new(); n],
                oracle_price: vec![Vec::new(); n],
                ..StepSeries::default()
            };
            self.step_repaid = 0.0;
            self.step_rounds = 0;
            self.step_wanted = 0.0;
            self.step_paid = 0.0;
            self.step_supply_rate = 0.0;
            self.record(s);
        }
        for s in 0..self.sim.steps {
            self.step(s, &mut rng);
            if let Some(out) = series.as_deref_mut() {
                self.record(out);
            }
        }
        self.summary()
    }

    /// The shortfall of the open positions at the reference prices:
    /// `sum of max(debt - collateral value, 0)`.
    fn open_shortfall(&self) -> f64 {
        let pool = &self.pool;
        let mut total = 0.0;
        for i in 0..pool.len() {
            let debt = pool.scaled_debt_of(i) * pool.borrow_index();
            if debt <= 0.0 {
                continue;
            }
            let value: f64 = pool
                .collateral_of(i)
                .iter()
                .zip(&self.exo)
                .map(|(c, p)| c * p)
                .sum();
            total += (debt - value).max(0.0);
        }
        total
    }

    /// Whether an open position is under water at the reference price (its debt above its
    /// collateral's value), from the tops of the orders: the open single-asset positions
    /// of asset `k` are those left in its order from the cursor, those in its heap and
    /// those parked, and the highest key among them is the first under water. Mixed positions are
    /// checked one by one.
    fn any_under_water(&self) -> bool {
        let sim = self.sim;
        let index = self.pool.borrow_index();
        for k in 0..sim.n_assets {
            let lt = self.pool.assets()[k].liquidation_threshold;
            let top = sim.order[k]
                .get(self.cursor[k])
                .map(|&(key, _)| key)
                .into_iter()
                .chain(self.heap[k].peek().map(|&(key, _)| key))
                .chain(self.parked.top_key(k))
                .max();
            // debt > collateral x price  <=>  price < key x LT x index.
            if let Some(key) = top
                && self.exo[k] < f64::from_bits(key) * lt * index
            {
                return true;
            }
        }
        sim.mixed.iter().any(|&id| {
            let i = id as usize;
            let debt = self.pool.scaled_debt_of(i) * index;
            let value: f64 = self
                .pool
                .collateral_of(i)
                .iter()
                .zip(&self.exo)
                .map(|(c, p)| c * p)
                .sum();
            debt > value
        })
    }

    fn summary(&self) -> PathSummary {
        let sim = self.sim;
        let wanted = sim.cohort_shares * self.next_cohort as f64;
        let paid_shares = if self.next_cohort == 0 {
            0.0
        } else {
            sim.cohort_shares * self.served as f64
                + if self.served < self.next_cohort {
                    sim.cohort_shares - self.front_left
                } else {
                    0.0
                }
        };
        let pool = &self.pool;
        let shortfall = self.open_shortfall();
        // The open shortfall, marked at the horizon, falls on the reserve left first.
        let uncovered = (shortfall - pool.reserve().max(0.0)).max(0.0);
        let shares = pool.shares();
        let remaining_loss = if shares > 0.0 {
            let per_share = match pool.accounting() {
                BadDebtAccounting::Deficit => (pool.deficit() + uncovered) / shares,
                BadDebtAccounting::SharePrice => pool.written_off_per_share() + uncovered / shares,
            };
            // A share cannot lose more than it was worth: its claim now plus what was
            // written off it.
            per_share.min(pool.share_price().max(0.0) + pool.written_off_per_share())
        } else {
            0.0
        };
        PathSummary {
            bad_debt: pool.bad_debt(),
            open_shortfall: shortfall,
            borne_by_depositors: pool.borne_by_depositors(),
            depositors_marked: pool.borne_by_depositors() + uncovered,
            remaining_loss,
            depositor_interest: self.depositor_interest,
            mean_supply_rate: self.supply_rate_sum / sim.steps as f64,
            repaid: self.repaid_total,
            declined: self.declined,
            max_rounds: self.max_rounds,
            crash_days: self.crash_days,
            random_shocks: self.events.len() as u32,
            first_bad_debt_hour: self.first_bad,
            first_shock_hour: self.first_shock,
            first_loss_hour: self.first_loss,
            wanted_shares: wanted,
            unmet_shares: (wanted - paid_shares).max(0.0),
        }
    }

    fn record(&self, out: &mut StepSeries) {
        let sim = self.sim;
        out.hour.push(self.hour);
        for k in 0..sim.n_assets {
            out.reference_price[k].push(self.exo[k]);
            out.market_price[k].push(self.market[k]);
            out.oracle_price[k].push(self.oracle_price[k]);
        }
        out.liquidations.push(self.step_repaid / sim.total_debt);
        out.cascade_rounds.push(self.step_rounds);
        out.cumulative_bad_debt
            .push(self.pool.bad_debt() / sim.total_debt);
        out.deficit.push(self.pool.deficit() / sim.deposits);
        out.share_price.push(self.pool.share_price());
        out.utilization.push(self.pool.utilization());
        out.supply_rate.push(self.step_supply_rate);
        out.gas_gwei.push(self.gas_gwei);
        out.withdrawals_wanted.push(self.step_wanted / sim.deposits);
        out.withdrawals_met.push(self.step_paid / sim.deposits);
    }

    /// The product of the random shocks' multipliers at `hour`.
    fn random_multiplier(&self, hour: f64) -> f64 {
        match &self.sim.random_shock {
            Some((shape, _)) => self
                .events
                .iter()
                .map(|&start| shape.multiplier(hour - start))
                .product(),
            None => 1.0,
        }
    }

    /// One step (`s` from 0): market, oracle, interest, liquidation cascade, runs.
    fn step(&mut self, s: usize, rng: &mut StreamRng) {
        let sim = self.sim;
        let n = sim.n_assets;
        self.hour = (s + 1) as f64 * sim.step_hours;
        self.step_repaid = 0.0;
        self.step_rounds = 0;
        self.step_wanted = 0.0;
        self.step_paid = 0.0;
        // 1-2. Impact relaxes; the market moves.
        if sim.market.is_random() {
            let crashes = sim.market.step(rng, &mut self.dlog);
            if crashes > 0 {
                self.crash_days += crashes;
                if self.first_shock.is_none_or(|f| f > self.hour) {
                    self.first_shock = Some(self.hour);
                }
            }
        }
        let shock = sim.shock[s + 1] * self.random_multiplier(self.hour);
        for k in 0..n {
            self.impact[k] = ImpactModel::relax(self.impact[k], sim.relax);
            self.log_fund[k] += self.dlog[k];
            self.exo[k] = (sim.p0[k] * self.log_fund[k].exp() * shock).clamp(MIN_PRICE, MAX_PRICE);
            self.market[k] = self.exo[k] * self.impact[k];
        }
        // 3. Oracle: the reference price `delay` steps ago (times today's impact when it
        // reads the on-chain market).
        let lagged = self.oracle.update(&self.exo);
        match sim.oracle_source {
            OracleSource::Reference => self.oracle_price.copy_from_slice(lagged),
            OracleSource::Amm => {
                for ((o, l), i) in self.oracle_price.iter_mut().zip(lagged).zip(&self.impact) {
                    *o = l * i;
                }
            }
        }
        // Gas: the price rises with the largest fall of a reference price over the day.
        if let Some(gas) = &sim.gas {
            let before = self.window.update(&self.exo);
            let fall = self
                .exo
                .iter()
                .zip(before)
                .map(|(now, then)| 1.0 - now / then)
                .fold(0.0, f64::max);
            self.gas_gwei = gas.config.gwei_at(fall);
            let eth = gas.weth.map_or(gas.config.eth_price, |k| {
                gas.config.eth_price * self.exo[k] / sim.p0[k]
            });
            self.gas_cost = gas.config.cost(self.gas_gwei, eth);
        }
        // 4. Interest, by the pool's borrow index; depositors get all but the reserve
        // factor's share, on their claims.
        let claims = self.pool.depositor_equity();
        let interest = self.pool.accrue_unchecked(sim.dt);
        self.interest_total += interest;
        let to_depositors = interest * (1.0 - self.pool.rates().reserve_factor);
        self.depositor_interest += to_depositors;
        self.step_supply_rate = if claims > 0.0 {
            to_depositors / (claims * sim.dt)
        } else {
            0.0
        };
        self.supply_rate_sum += self.step_supply_rate;
        // 5. Liquidations.
        self.liquidate();
        // 6. Runs.
        self.runs();
        // The first loss to lenders: bad debt booked or a position under water.
        if self.first_loss.is_none() && (self.pool.bad_debt() > 0.0 || self.any_under_water()) {
            self.first_loss = Some(self.hour);
        }
    }

    /// Pushes a single-asset position back into its asset's heap with its current key.
    fn requeue(&mut self, id: u32) {
        let sim = self.sim;
        let i = id as usize;
        let scaled = self.pool.scaled_debt_of(i);
        if scaled <= 0.0 || sim.is_mixed[i] {
            return;
        }
        let collateral = self.pool.collateral_of(i);
        if let Some(k) = (0..sim.n_assets).find(|&k| collateral[k] > 0.0) {
            let lt = self.pool.assets()[k].liquidation_threshold;
            self.heap[k].push((key_bits(scaled, collateral[k], lt), id));
        }
    }

    /// The most urgent liquidatable position at the current prices: the lowest health
    /// factor below 1 among the tops of each asset's order and heap (assets not blocked)
    /// and the round's mixed candidates (ties by id). Removes it from its source.
    fn next_candidate(&mut self, mixed_at: &mut usize) -> Option<(f64, u32)> {
        let sim = self.sim;
        // (hf, id, source): source k * 2 = order of asset k, k * 2 + 1 = its heap,
        // usize::MAX = mixed.
        let mut best: Option<(f64, u32, usize)> = None;
        let better = |best: &Option<(f64, u32, usize)>, hf: f64, id: u32| {
            hf < 1.0 && best.is_none_or(|(bh, bid, _)| hf.total_cmp(&bh).then(id.cmp(&bid)).is_lt())
        };
        for k in 0..sim.n_assets {
            if self.blocked[k] {
                continue;
            }
            let scale = self.pool.borrow_index() / self.oracle_price[k];
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

    /// What a profit-driven liquidator repays of position `id` at health factor `hf`,
    /// within `cap` (close factor and capacity left), or `None` when no repayment pays.
    ///
    /// The liquidator repays `r` and receives collateral worth `r (1 + bonus (1 - fee))`
    /// at the oracle price, which it sells into the fire-sale market after the round's
    /// earlier sales: its profit is the proceeds minus `r` minus the gas. For a
    /// single-asset position the repayment is the profit-maximizing one (the marginal
    /// unit sold fetches what it cost, [`ImpactModel::units_to_marginal`]), capped; a
    /// market where even the first unit does not pay blocks the asset for the round.
    fn profitable_repay(&mut self, id: u32, hf: f64, cap: f64) -> Option<f64> {
        let sim = self.sim;
        let i = id as usize;
        if self.parking && !sim.is_mixed[i] {
            // Worth nothing to a liquidator in this step, whatever it repays within the
            // close factor: set aside until the gas, the margin or the close factor changes.
            let k = (0..sim.n_assets).find(|&k| self.pool.collateral_of(i)[k] > 0.0)?;
            let scaled = self.pool.scaled_debt_of(i);
            let cf = crate::lending::close_factor(hf);
            if scaled * cf * self.pool.borrow_index() < self.parked.below[k] {
                let lt = self.pool.assets()[k].liquidation_threshold;
                let key = key_bits(scaled, self.pool.collateral_of(i)[k], lt);
                self.parked.park(k, id, scaled * cf, key, cf < 1.0);
                // Not back into the order after the round.
                let last = self.deferred.pop();
                debug_assert_eq!(last, Some(id));
                return None;
            }
        }
        self.quote_repay(id, hf, cap)
    }

    /// Sets the step's parking thresholds and returns to their heaps the parked positions
    /// that could pay again. A position of asset `k` repaying at most `cf D` (close factor
    /// times debt) earns at most `cf D ((1 + bonus') m / p_oracle - 1)` before the gas `G`,
    /// `m` the marginal proceeds of the first unit sold at the step's market price (the
    /// proceeds are concave; within a step the margin only falls: sales lower the market,
    /// and an oracle on the market falls with it); so `cf D < G / margin` cannot pay.
    /// Positions come back when the threshold falls to their `cf D`, or, parked at a close
    /// factor of 50%, when their health factor reaches 0.95 (the close factor doubles).
    fn unpark(&mut self) {
        let sim = self.sim;
        if sim.gas.is_none() || !self.parking {
            return;
        }
        self.set_park_thresholds();
        let index = self.pool.borrow_index();
        for k in 0..sim.n_assets {
            let below = self.parked.below[k];
            while let Some(id) = self
                .parked
                .pop_at_least(k, |bits| f64::from_bits(bits) * index >= below)
            {
                self.requeue(id);
            }
            self.unpark_full_close(k);
        }
    }

    /// The parking thresholds at the current prices, `G / margin` per asset (see
    /// [`PathState::unpark`]): at the start of each step, and again at the start of each
    /// round, where the margin can only have fallen.
    fn set_park_thresholds(&mut self) {
        let sim = self.sim;
        for k in 0..sim.n_assets {
            let m = sim.impacts[k].marginal_proceeds(0.0, self.market[k], sim.p0[k]);
            let margin = ((1.0 + sim.net_bonus[k]) * m / self.oracle_price[k] - 1.0).max(0.0);
            self.parked.below[k] = if margin > 0.0 {
                self.gas_cost / margin
            } else {
                f64::INFINITY
            };
        }
    }

    /// Returns the positions of asset `k` parked at a 50% close factor whose health factor
    /// has reached 0.95: `HF = price / (key x index) <= 0.95`.
    fn unpark_full_close(&mut self, k: usize) {
        let key_min = self.oracle_price[k] / (FULL_CLOSE_HEALTH_FACTOR * self.pool.borrow_index());
        while let Some(id) = self
            .parked
            .pop_half_at_least(k, |key| f64::from_bits(key) >= key_min)
        {
            self.requeue(id);
        }
        self.parked.clean_tops(k);
    }

    /// [`PathState::profitable_repay`] for a position not parked: the quote.
    fn quote_repay(&mut self, id: u32, hf: f64, cap: f64) -> Option<f64> {
        let sim = self.sim;
        let i = id as usize;
        let n = sim.n_assets;
        let debt = self.pool.scaled_debt_of(i) * self.pool.borrow_index();
        let mut repay = (debt * crate::lending::close_factor(hf)).min(cap);
        let held: Option<usize> = if sim.is_mixed[i] {
            None
        } else {
            (0..n).find(|&k| self.pool.collateral_of(i)[k] > 0.0)
        };
        if let Some(k) = held {
            // Debt repaid per unit the liquidator receives.
            let c = self.oracle_price[k] / (1.0 + sim.net_bonus[k]);
            let model = &sim.impacts[k];
            let marginal = model.marginal_proceeds(self.sold[k], self.market[k], sim.p0[k]);
            let units = model.units_to_marginal(c, self.market[k], sim.p0[k]) - self.sold[k];
            // The most any liquidation of asset k can still earn in this round: the units
            // until the marginal one stops paying, each earning at most what the next one
            // does (the proceeds are concave). Below the gas, nothing of k pays.
            if marginal <= c || units.max(0.0) * (marginal - c) < self.gas_cost {
                self.blocked[k] = true;
                return None;
            }
            repay = repay.min(units * c);
        }
        if repay <= 0.0 {
            return None;
        }
        // Quote the seizure on a copy of the collateral.
        self.quote.copy_from_slice(self.pool.collateral_of(i));
        let repaid = crate::lending::seize(
            self.pool.assets(),
            &mut self.quote,
            repay,
            &self.oracle_price,
            &mut self.seized,
            &mut self.fee,
        );
        let proceeds: f64 = (0..n)
            .map(|k| {
                sim.impacts[k].proceeds(self.sold[k], self.seized[k], self.market[k], sim.p0[k])
            })
            .sum();
        (proceeds - repaid - self.gas_cost >= 0.0 && repaid > 0.0).then_some(repay)
    }

    /// The step's liquidation cascade: rounds at fixed prices, each liquidating worst
    /// health first until nothing is below 1 or the capacity is spent, then the fire sale.
    fn liquidate(&mut self) {
        let sim = self.sim;
        let n = sim.n_assets;
        let profit = sim.liquidators == Liquidators::Profit;
        if profit {
            self.unpark();
        }
        let mut capacity = sim.capacity_per_step;
        let mut rounds = 0u32;
        while rounds < MAX_CASCADE_ROUNDS && capacity > 0.0 {
            if profit && self.parking && rounds > 0 {
                self.set_park_thresholds();
            }
            self.mixed_candidates.clear();
            for &id in &sim.mixed {
                let hf = self.pool.health_at(id as usize, &self.oracle_price);
                if hf < 1.0 {
                    self.mixed_candidates.push((hf, id));
                }
            }
            self.mixed_candidates
                .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut mixed_at = 0;
            self.sold.iter_mut().for_each(|x| *x = 0.0);
            self.blocked.iter_mut().for_each(|x| *x = false);
            self.deferred.clear();
            let mut liquidated = false;
            while capacity > 0.0 {
                let Some((_, id)) = self.next_candidate(&mut mixed_at) else {
                    break;
                };
                // Back into the order after the round, whatever happens below.
                self.deferred.push(id);
                let hf = self.pool.health_at(id as usize, &self.oracle_price);
                if hf >= 1.0 {
                    // Rounding put it at exactly 1: not liquidatable.
                    continue;
                }
                let max_repay = if profit {
                    match self.profitable_repay(id, hf, capacity) {
                        Some(r) => r,
                        None => {
                            self.declined += 1;
                            continue;
                        }
                    }
                } else {
                    capacity
                };
                liquidated = true;
                let done = self.pool.liquidate_at(
                    id as usize,
                    hf,
                    &self.oracle_price,
                    max_repay,
                    &mut self.seized,
                    &mut self.fee,
                );
                capacity -= done.repaid;
                self.repaid_total += done.repaid;
                self.step_repaid += done.repaid;
                for k in 0..n {
                    self.sold[k] += self.seized[k];
                    self.seized_total[k] += self.seized[k];
                }
                if done.bad_debt > 0.0 && self.first_bad.is_none() {
                    self.first_bad = Some(self.hour);
                }
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
            // Fire sale: the seized collateral is sold; the market price falls, and with
            // it the oracle's when it reads the market.
            for k in 0..n {
                if self.sold[k] > 0.0 {
                    let model = &sim.impacts[k];
                    let ratio = model.price_ratio(self.sold[k], self.market[k], sim.p0[k]);
                    // Floors keep prices positive (no 0 / 0) under absurd parameters.
                    self.impact[k] = (self.impact[k] * ratio).max(MIN_PRICE);
                    self.market[k] = (self.exo[k] * self.impact[k]).max(MIN_PRICE);
                    if sim.oracle_source == OracleSource::Amm {
                        self.oracle_price[k] = (self.oracle_price[k] * ratio).max(MIN_PRICE);
                        // The oracle fell: parked health factors may have reached 0.95.
                        if profit && self.parking {
                            self.unpark_full_close(k);
                        }
                    }
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
        let price = self.pool.share_price();
        self.peak_share_price = self.peak_share_price.max(price);
        let signal = match sim.signal {
            RunSignal::SharePriceDrop => 1.0 - price / self.peak_share_price,
            RunSignal::BadDebt => self.pool.bad_debt() / sim.deposits,
            RunSignal::Deficit => self.pool.deficit() / sim.deposits,
            RunSignal::Utilization => self.pool.utilization(),
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
        while self.served < self.next_cohort && self.pool.cash() > 0.0 {
            let want = self.front_left * price;
            let w = self.pool.redeem(self.front_left, price);
            self.paid_total += w.paid;
            self.step_paid += w.paid;
            if w.paid >= want {
                self.served += 1;
                self.front_left = sim.cohort_shares;
            } else {
                self.front_left -= w.shares_redeemed;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{
        AssetConfig, BookConfig, CrashDaysConfig, ImpactConfig, PositionSpec, RandomShockConfig,
        RunModel, ShockKind, ThresholdDistribution, positions_from_book,
    };
    use crate::lending::CollateralAsset;
    use crate::market::AssetDynamics;
    use creditlab_numerics::prec;

    /// Simulates `paths` paths of `seed` (not the config's own).
    fn simulate(c: &DefiSimConfig, paths: u64, seed: u64) -> Result<DefiSimResult> {
        DefiSim::new(c)?.run(paths, Seed(seed))
    }

    /// `asset` with these dynamics.
    fn set_dynamics(asset: &mut AssetConfig, d: AssetDynamics) {
        asset.drift = d.drift;
        asset.volatility = d.volatility;
        asset.jump_intensity = d.jump_intensity;
        asset.jump_mean = d.jump_mean;
        asset.jump_sd = d.jump_sd;
    }

    use approx::assert_abs_diff_eq;

    /// Crash days common to all assets, `per_year` a year, log move N(-0.14, 0.04^2).
    fn with_crash_days(c: &mut DefiSimConfig, per_year: f64) {
        for a in &mut c.assets {
            (a.crash_jump_mean, a.crash_jump_sd) = (-0.14, 0.04);
        }
        let n = c.assets.len();
        c.market.crash_days = Some(CrashDaysConfig {
            per_year,
            correlation: (0..n)
                .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.4 }).collect())
                .collect(),
        });
    }

    /// The default scenario's gas: 600,000 units at 13 gwei, six times that at a 42.35%
    /// daily fall, ETH at 2,000.
    fn gas() -> GasConfig {
        GasConfig {
            units: 600_000.0,
            gwei: 13.0,
            peak_multiplier: 6.0,
            reference_fall: 0.4235,
            eth_price: 2000.0,
        }
    }

    /// Profit-driven liquidators with [`gas`].
    fn with_profit(c: &mut DefiSimConfig) {
        c.liquidation.liquidators = Liquidators::Profit;
        c.liquidation.gas = Some(gas());
    }

    /// No noise: only the scripted shock moves the price.
    fn scripted(n: usize, capacity: Option<f64>) -> DefiSimConfig {
        let mut c = DefiSimConfig::example(n);
        set_dynamics(&mut c.assets[0], AssetDynamics::constant());
        c.liquidation.capacity_per_hour = capacity;
        c
    }

    impl PathState<'_> {
        /// Checks conservation: collateral and debt at hour 0 = now + seized + bad debt.
        /// The balance sheet after many steps of sums over the positions: rounding relative
        /// to the amounts.
        fn check_conservation(&self) {
            let sim = self.sim;
            let (pool, pool0) = (&self.pool, &sim.pool0);
            let n = sim.n_assets;
            let positions = pool.len();
            let total = sim.total_debt;
            for k in 0..n {
                let now: f64 = (0..positions).map(|i| pool.collateral_of(i)[k]).sum();
                let start: f64 = (0..positions).map(|i| pool0.collateral_of(i)[k]).sum();
                assert_abs_diff_eq!(
                    start,
                    now + self.seized_total[k] + pool.protocol_collateral()[k],
                    epsilon = prec::ACCUMULATED * start.max(1.0)
                );
            }
            let debt_now: f64 = (0..positions)
                .map(|i| pool.scaled_debt_of(i) * pool.borrow_index())
                .sum();
            assert_abs_diff_eq!(
                total + self.interest_total,
                debt_now + self.repaid_total + pool.bad_debt(),
                epsilon = prec::ACCUMULATED * total
            );
            assert_abs_diff_eq!(
                debt_now,
                pool.total_debt(),
                epsilon = prec::ACCUMULATED * total
            );
            assert_abs_diff_eq!(
                pool.cash(),
                pool0.cash() + self.repaid_total - self.paid_total,
                epsilon = prec::ACCUMULATED * total
            );
            assert!(pool.cash() >= -prec::ACCUMULATED * total);
            assert!((0..positions).all(|i| pool.collateral_of(i).iter().all(|&c| c >= 0.0)));
            // The reserve: its start + its share of interest - what it absorbed.
            let rf = pool.rates().reserve_factor;
            let absorbed = pool.bad_debt() - pool.borne_by_depositors();
            assert_abs_diff_eq!(
                pool.reserve(),
                pool0.reserve() + rf * self.interest_total - absorbed,
                epsilon = prec::ACCUMULATED * total
            );
            assert_abs_diff_eq!(
                self.depositor_interest,
                (1.0 - rf) * self.interest_total,
                epsilon = prec::ACCUMULATED * total
            );
            // The depositors' claims: the start + their interest - withdrawals, less the
            // write-offs with share-price accounting; with deficit accounting the write-offs
            // leave the claims and are the deficit. Claims = backing + deficit.
            let written_off = match pool.accounting() {
                BadDebtAccounting::Deficit => {
                    assert_abs_diff_eq!(
                        pool.deficit(),
                        pool.borne_by_depositors(),
                        epsilon = prec::ACCUMULATED * total
                    );
                    0.0
                }
                BadDebtAccounting::SharePrice => {
                    assert_eq!(pool.deficit(), 0.0);
                    pool.borne_by_depositors()
                }
            };
            assert_abs_diff_eq!(
                pool.depositor_equity(),
                pool0.depositor_equity() + self.depositor_interest - self.paid_total - written_off,
                epsilon = prec::ACCUMULATED * total
            );
            assert_abs_diff_eq!(
                pool.depositor_equity(),
                pool.backing() + pool.deficit(),
                epsilon = prec::ACCUMULATED * total
            );
            // Marking: settling every open position under water now, its collateral to its
            // debt at the reference price (no bonus), writes off exactly the open shortfall,
            // the reserve first; the marked depositor loss is what that leaves them.
            let summary = self.summary();
            let mut settled = pool.without_bonus();
            for i in 0..positions {
                let hf = settled.health_at(i, &self.exo);
                let debt = settled.scaled_debt_of(i) * settled.borrow_index();
                let value: f64 = settled
                    .collateral_of(i)
                    .iter()
                    .zip(&self.exo)
                    .map(|(c, p)| c * p)
                    .sum();
                if debt > value {
                    let (mut seized, mut fee) = (vec![0.0; n], vec![0.0; n]);
                    settled.liquidate_at(i, hf, &self.exo, f64::INFINITY, &mut seized, &mut fee);
                }
            }
            assert_abs_diff_eq!(
                settled.bad_debt(),
                pool.bad_debt() + summary.open_shortfall,
                epsilon = prec::ACCUMULATED * total
            );
            assert_abs_diff_eq!(
                settled.borne_by_depositors(),
                summary.depositors_marked,
                epsilon = prec::ACCUMULATED * total
            );
            assert!(summary.open_shortfall >= 0.0);
        }
    }

    #[test]
    fn conservation_every_step_through_a_crash() {
        // Every combination of capacity, accounting, oracle and liquidators, through the
        // March-2020 crash with crash days and runs: conservation and the marking hold at
        // every step.
        for capacity in [None, Some(0.01)] {
            for accounting in [BadDebtAccounting::Deficit, BadDebtAccounting::SharePrice] {
                let mut c = DefiSimConfig::example(300);
                c.liquidation.capacity_per_hour = capacity;
                c.pool.initial_reserve = 0.002;
                c.pool.bad_debt_accounting = accounting;
                c.runs.signal = RunSignal::BadDebt;
                with_crash_days(&mut c, 300.0);
                let (amm, profit) = (capacity.is_some(), accounting == BadDebtAccounting::Deficit);
                if amm {
                    c.market.oracle_source = OracleSource::Amm;
                }
                if profit {
                    with_profit(&mut c);
                }
                let sim = DefiSim::new(&c).unwrap();
                let mut written_off = false;
                for path in 0..3 {
                    let mut st = PathState::new(&sim);
                    let mut rng = stream(9, path);
                    st.draw_events(&mut rng);
                    for s in 0..sim.steps() {
                        st.step(s, &mut rng);
                        st.check_conservation();
                    }
                    assert!(st.repaid_total > 0.0);
                    written_off |= st.pool.bad_debt() > 0.0;
                }
                assert!(
                    written_off,
                    "{capacity:?} {accounting:?}: some bad debt to account"
                );
            }
        }
    }

    #[test]
    fn a_path_is_the_lending_pool_operated_step_by_step() {
        // No fire-sale impact and no runs: a step is interest, then rounds of liquidations
        // at the step's oracle prices, worst health factor first, each up to the capacity
        // left. The same operations through the public API of a copy of the hour-0 pool give
        // the same balance sheet (cash, debts, collateral, reserve, shares, bad debt) to the
        // last bit, step after step.
        let mut written_off = false;
        for capacity in [Some(0.05), Some(0.002), None] {
            let mut c = DefiSimConfig::example(7);
            c.assets[0].impact = ImpactConfig::None;
            c.runs = RunModel::none();
            c.pool.initial_reserve = 0.001;
            c.liquidation.capacity_per_hour = capacity;
            let sim = DefiSim::new(&c).unwrap();
            let dt = c.market.step_hours / HOURS_PER_YEAR;
            let per_step = capacity.map_or(f64::INFINITY, |f| {
                f * c.market.step_hours * sim.total_debt()
            });
            for path in 0..4 {
                let mut st = PathState::new(&sim);
                let mut pool = sim.initial_pool().clone();
                let mut rng = stream(5, path);
                let mut repaid = 0.0;
                for s in 0..sim.steps() {
                    st.step(s, &mut rng);
                    let prices = st.oracle_price.clone();
                    pool.accrue(dt).unwrap();
                    let mut left = per_step;
                    for _ in 0..MAX_CASCADE_ROUNDS {
                        let mut round: Vec<(f64, usize)> = (0..pool.len())
                            .map(|i| (pool.health_factor(i, &prices).unwrap(), i))
                            .filter(|&(hf, _)| hf < 1.0)
                            .collect();
                        round.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                        if round.is_empty() || left <= 0.0 {
                            break;
                        }
                        for (_, i) in round {
                            if left <= 0.0 {
                                break;
                            }
                            let l = pool.liquidate_up_to(i, &prices, left).unwrap().unwrap();
                            left -= l.repaid;
                            repaid += l.repaid;
                        }
                    }
                    assert_eq!(
                        st.pool, pool,
                        "capacity {capacity:?}, path {path}, step {s}"
                    );
                }
                assert!(repaid > 0.0);
                assert_eq!(repaid.to_bits(), st.repaid_total.to_bits());
                written_off |= pool.bad_debt() > 0.0;
            }
        }
        assert!(
            written_off,
            "some path of the limited capacity wrote debt off"
        );
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
        c.market.shock = ShockKind::Custom;
        c.market.shock_knots = Some(vec![[1.0, 1.0], [2.0, 0.85]]);
        c.market.oracle_delay_hours = 0.0;
        c.market.horizon_hours = 3.0;
        // The oracle reads the market the liquidators sell into: the feedback of a cascade.
        c.market.oracle_source = OracleSource::Amm;
        // A market holding 5% of the debt in cash.
        c.assets[0].impact = ImpactConfig::ConstantProduct {
            depth: 0.05,
            fee: 0.003,
        };
        let thin = simulate(&c, 1, 0).unwrap();
        c.assets[0].impact = ImpactConfig::None;
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
            epsilon = prec::IDENTITY * highest
        );
    }

    #[test]
    fn runs_hit_the_cash_limit() {
        // Everyone is run-prone at a tiny threshold; a crash with bad debt: withdrawals
        // beyond the cash are unmet.
        let mut c = scripted(300, Some(0.002));
        c.pool.initial_utilization = 0.95;
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
        assert_abs_diff_eq!(d.quantile(0.5), 0.9, epsilon = prec::SPECIAL);
    }

    #[test]
    fn deterministic_whatever_the_thread_count() {
        // Every random draw of the model: diffusion, crash days, random shocks (drawn per
        // path), profit-driven liquidators.
        let mut c = DefiSimConfig::example(200);
        with_crash_days(&mut c, 20.0);
        with_profit(&mut c);
        c.market.random_shock = Some(RandomShockConfig {
            shape: ShockKind::March2020,
            knots: None,
            per_year: 30.0,
        });
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
        set_dynamics(
            &mut c.assets[0],
            AssetDynamics::new(10.0, 10.0, 8760.0, -5.0, 5.0).unwrap(),
        );
        c.market.horizon_hours = 1000.0;
        c.assets[0].impact = ImpactConfig::Exponential {
            beta: 1e6,
            depth: 1e-5,
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
        for s in 0..sim.steps() {
            st.step(s, &mut rng);
            st.check_conservation();
        }
    }

    #[test]
    fn rejects_bad_configs_naming_the_field() {
        // The field is data, a path from the config's root.
        let field = |c: &DefiSimConfig| {
            let e = DefiSim::new(c).unwrap_err();
            assert!(e.to_string().contains(e.field().unwrap()), "{e}");
            e.field().unwrap().to_string()
        };
        let mut c = DefiSimConfig::example(10);
        if let Some(p) = c.book.positions.as_mut() {
            p[3].debt = 1e9;
        }
        assert_eq!(field(&c), "book.positions[3].debt");
        let mut c = DefiSimConfig::example(10);
        c.assets[0].volatility = -1.0;
        assert_eq!(field(&c), "assets[0].volatility");
        let mut c = DefiSimConfig::example(10);
        c.market.correlation = vec![vec![1.0, 0.5], vec![0.5, 1.0]];
        assert_eq!(field(&c), "market.correlation");
        let mut c = DefiSimConfig::example(10);
        c.liquidation.capacity_per_hour = Some(0.0);
        assert_eq!(field(&c), "liquidation.capacity_per_hour");
        assert!(simulate(&DefiSimConfig::example(10), 0, 0).is_err());
        let mut c = DefiSimConfig::example(10);
        c.paths = 0;
        assert_eq!(field(&c), "paths");
        let mut c = DefiSimConfig::example(10);
        c.market.step_hours = f64::NAN;
        assert_eq!(field(&c), "market.step_hours");
        let mut c = DefiSimConfig::example(10);
        c.market.horizon_hours = 0.0;
        assert_eq!(field(&c), "market.horizon_hours");
        let mut c = DefiSimConfig::example(10);
        c.market.horizon_hours = 95.5;
        assert_eq!(field(&c), "market.horizon_hours");
        let mut c = DefiSimConfig::example(10);
        c.market.oracle_delay_hours = 97.0;
        assert_eq!(field(&c), "market.oracle_delay_hours");
        let mut c = DefiSimConfig::example(10);
        c.market.oracle_delay_hours = 0.5;
        assert_eq!(field(&c), "market.oracle_delay_hours");
        let mut c = DefiSimConfig::example(10);
        c.pool.rates.slope1 = -0.04;
        assert_eq!(field(&c), "pool.rates.slope1");
        let mut c = DefiSimConfig::example(10);
        c.pool.initial_utilization = 0.0;
        assert_eq!(field(&c), "pool.initial_utilization");
        let mut c = DefiSimConfig::example(10);
        c.runs.thresholds = ThresholdDistribution::LogNormal {
            median: 0.0,
            sigma: 1.0,
        };
        assert_eq!(field(&c), "runs.thresholds.median");
        let mut c = DefiSimConfig::example(10);
        c.runs.cohorts = 1_000_000;
        assert_eq!(field(&c), "runs.cohorts");
        let mut c = DefiSimConfig::example(10);
        c.assets[0].liquidation_threshold = 0.7;
        assert_eq!(field(&c), "assets[0].liquidation_threshold");
        let mut c = DefiSimConfig::example(10);
        c.assets[0].impact = ImpactConfig::ConstantProduct {
            depth: 1.0,
            fee: 1.0,
        };
        assert_eq!(field(&c), "assets[0].impact.fee");
        let mut c = DefiSimConfig::example(10);
        c.assets[0].price = 0.0;
        assert_eq!(field(&c), "assets[0].price");
        let mut c = DefiSimConfig::example(10);
        c.assets.push(c.assets[0].clone());
        c.market.correlation = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        assert_eq!(field(&c), "assets[1].name");
        let mut c = DefiSimConfig::example(10);
        c.market.shock = ShockKind::Custom;
        assert_eq!(field(&c), "market.shock");
        c.market.shock_knots = Some(vec![[0.0, 1.0], [5.0, -0.5]]);
        assert_eq!(field(&c), "market.shock_knots[1]");
        let mut c = DefiSimConfig::example(10);
        c.market.shock_knots = Some(vec![[0.0, 1.0]]);
        assert_eq!(field(&c), "market.shock_knots");
        let mut c = DefiSimConfig::example(10);
        if let Some(p) = c.book.positions.as_mut() {
            p[2].collateral.push(1.0);
        }
        assert_eq!(field(&c), "book.positions[2].collateral");
        let mut c = DefiSimConfig::example(10);
        c.book.positions = None;
        assert_eq!(field(&c), "book");
    }

    #[test]
    fn positions_from_the_defi_book() {
        use creditlab_loan::synthetic::{BookSpec, defi_book_with};
        let example = DefiSimConfig::example(1);
        let mut assets = example.assets.clone();
        let weth = &assets[0];
        let mut wbtc = AssetConfig::new(
            CollateralAsset::new("WBTC", 0.8, 0.825, 0.05, 0.1).unwrap(),
            30_000.0,
            weth.dynamics().unwrap(),
            weth.impact,
        );
        wbtc.volatility = 0.6;
        assets.push(wbtc);
        // The book drawn on these assets' own limits, as a generated config draws it.
        let book = defi_book_with(
            &BookSpec {
                loans: 300,
                total_principal: Some(1.0e6),
                seed: 3,
            },
            &crate::config::book_assets(&assets, &example.market, None),
        )
        .unwrap();
        let positions = positions_from_book(&book, &assets).unwrap();
        assert_eq!(positions.len(), 300);
        let debt: f64 = positions.iter().map(|p| p.debt).sum();
        assert_abs_diff_eq!(debt, 1.0e6, epsilon = prec::ACCUMULATED * 1.0e6);
        for (p, r) in positions.iter().zip(book.iter()) {
            let k = if r.collateral.volatility() >= 0.7 {
                0
            } else {
                1
            };
            assert_abs_diff_eq!(
                p.collateral[k] * assets[k].price,
                r.collateral.value(),
                epsilon = prec::IDENTITY * r.collateral.value()
            );
        }
        let mut c = DefiSimConfig::example(1);
        c.assets = assets;
        c.market.correlation = vec![vec![1.0, 0.8], vec![0.8, 1.0]];
        c.book = BookConfig::positions(positions);
        let r = simulate(&c, 4, 1).unwrap();
        assert_eq!(r.positions, 300);
        assert_eq!(r.series.market_price.len(), 2);
    }

    /// One WETH position of 1 ETH at 2,000 owing 1,500, 80% utilization, no interest, no
    /// fire-sale impact, no runs, `hours` hourly steps: the hand-computed cases below.
    fn one_position(hours: f64) -> DefiSimConfig {
        let mut c = DefiSimConfig::example(1);
        set_dynamics(&mut c.assets[0], AssetDynamics::constant());
        c.assets[0].impact = ImpactConfig::None;
        c.book = BookConfig::positions(vec![PositionSpec {
            collateral: vec![1.0],
            debt: 1500.0,
        }]);
        c.pool.rates = crate::lending::RateModel {
            base: 0.0,
            slope1: 0.0,
            slope2: 0.0,
            optimal_utilization: 0.9,
            reserve_factor: 0.1,
        };
        c.market.horizon_hours = hours;
        c.market.oracle_delay_hours = 0.0;
        c.liquidation.capacity_per_hour = None;
        c.runs = RunModel::none();
        c
    }

    #[test]
    fn open_positions_are_marked_at_the_horizon_by_hand() {
        // The price halves within the first hour; the oracle is as late as the horizon, so
        // it reports 2,000 throughout and nothing is liquidated. At the horizon the position is open
        // and under water: shortfall 1,500 - 1,000 = 500, loss 500 / 1,500 = 1/3, no bad
        // debt booked. The reserve (1% of the debt, 15) covers the first 15; depositors
        // (1,875) lose 485, all of them still in the pool.
        let mut c = one_position(4.0);
        c.market.shock = ShockKind::Custom;
        c.market.shock_knots = Some(vec![[0.0, 1.0], [1.0, 0.5]]);
        c.market.oracle_delay_hours = 4.0;
        c.pool.initial_reserve = 0.01;
        let r = simulate(&c, 1, 0).unwrap();
        assert_eq!(r.bad_debt.mean, 0.0);
        assert_eq!(r.liquidation_volume.mean, 0.0);
        assert_abs_diff_eq!(
            r.open_shortfall.mean,
            500.0 / 1500.0,
            epsilon = prec::IDENTITY
        );
        assert_abs_diff_eq!(r.loss.mean, 1.0 / 3.0, epsilon = prec::IDENTITY);
        assert_eq!(r.depositor_loss.mean, 0.0);
        assert_abs_diff_eq!(
            r.depositor_loss_marked.mean,
            485.0 / 1875.0,
            epsilon = prec::IDENTITY
        );
        assert_abs_diff_eq!(
            r.remaining_depositor_loss.mean,
            485.0 / 1875.0,
            epsilon = prec::IDENTITY
        );
        // The first loss to lenders is the first step, one hour after the shock at hour 0.
        assert_eq!(r.paths_with_loss, 1);
        assert_eq!(r.paths_with_loss_before_any_shock, 0);
        assert_eq!(r.hours_from_first_shock_to_loss.unwrap().p50, 1.0);
        assert!(r.hours_to_first_bad_debt.is_none());
    }

    #[test]
    fn the_last_depositors_out_bear_the_deficit_by_hand() {
        // The price halves at hour 2; the position (HF 0.55) is liquidated in full: all of
        // its 1 ETH (1,000) for 1000 / 1.05 = 952.38 repaid; bad debt 1500 - 952.38 =
        // 547.62, no reserve. Half the deposits (937.5 of 1,875) run once the signal moves.
        let mut c = one_position(4.0);
        c.market.shock = ShockKind::Custom;
        c.market.shock_knots = Some(vec![[1.0, 1.0], [2.0, 0.5]]);
        let bad = 1500.0 - 1000.0 / 1.05;
        let run = |signal| RunModel {
            cohorts: 1,
            run_prone_share: 0.5,
            signal,
            thresholds: ThresholdDistribution::Uniform {
                low: 0.0,
                high: 1e-9,
            },
        };
        // Deficit accounting: the claims keep their value; the runners are paid 937.5 at
        // par; the 937.5 of claims left hold the whole deficit.
        c.runs = run(RunSignal::Deficit);
        let deficit = simulate(&c, 1, 0).unwrap();
        assert_abs_diff_eq!(
            deficit.bad_debt.mean,
            bad / 1500.0,
            epsilon = prec::IDENTITY
        );
        assert_abs_diff_eq!(
            deficit.depositor_loss.mean,
            bad / 1875.0,
            epsilon = prec::IDENTITY
        );
        assert_abs_diff_eq!(
            deficit.remaining_depositor_loss.mean,
            bad / 937.5,
            epsilon = prec::IDENTITY
        );
        let paid: f64 = deficit.series.withdrawals_met.iter().sum();
        assert_abs_diff_eq!(paid, 0.5, epsilon = prec::IDENTITY);
        assert_abs_diff_eq!(
            *deficit.series.deficit.last().unwrap(),
            bad / 1875.0,
            epsilon = prec::IDENTITY
        );
        assert!(deficit.series.share_price.iter().all(|&p| p == 1.0));
        // Share-price accounting: the write-off is shared at once (547.62 / 1,875 per
        // share); the runners leave at the lower price and those left lose the same.
        c.pool.bad_debt_accounting = BadDebtAccounting::SharePrice;
        c.runs = run(RunSignal::BadDebt);
        let shared = simulate(&c, 1, 0).unwrap();
        assert_abs_diff_eq!(
            shared.depositor_loss.mean,
            bad / 1875.0,
            epsilon = prec::IDENTITY
        );
        assert_abs_diff_eq!(
            shared.remaining_depositor_loss.mean,
            bad / 1875.0,
            epsilon = prec::IDENTITY
        );
        let paid: f64 = shared.series.withdrawals_met.iter().sum();
        assert_abs_diff_eq!(paid, 0.5 * (1.0 - bad / 1875.0), epsilon = prec::IDENTITY);
        // Under deficit accounting a share-price signal never moves: nobody runs.
        c.pool.bad_debt_accounting = BadDebtAccounting::Deficit;
        c.runs = run(RunSignal::SharePriceDrop);
        assert_eq!(
            simulate(&c, 1, 0).unwrap().share_of_paths_with_withdrawals,
            0.0
        );
    }

    #[test]
    fn depositors_earn_the_supply_rate_of_the_path() {
        // No noise, no liquidation: each step pays depositors the supply rate of the
        // utilization, borrow rate x U x (1 - reserve factor); U starts at 80%.
        let mut c = scripted(50, None).calm();
        c.pool.initial_reserve = 0.0;
        let rates = c.pool.rates;
        let r = simulate(&c, 1, 0).unwrap();
        let s = &r.series;
        assert_eq!(s.supply_rate[0], 0.0);
        assert_abs_diff_eq!(
            s.supply_rate[1],
            rates.supply_rate(0.8),
            epsilon = prec::SPECIAL
        );
        let mean: f64 = s.supply_rate[1..].iter().sum::<f64>() / 96.0;
        assert_abs_diff_eq!(r.mean_supply_rate.mean, mean, epsilon = prec::SPECIAL);
        // Interest credited = the rise of the share price (no loss, no withdrawal).
        let last = *s.share_price.last().unwrap();
        assert_abs_diff_eq!(
            r.depositor_interest.mean,
            last - 1.0,
            epsilon = prec::SPECIAL
        );
        assert_abs_diff_eq!(r.depositor_return.mean, last - 1.0, epsilon = prec::SPECIAL);
        assert_eq!(r.loss.mean, 0.0);
    }

    #[test]
    fn profit_driven_liquidation_by_hand() {
        // 10 ETH at 2,000 owing 16,000 (HF 1.03125); the price gaps to 1,920 at hour 1
        // (HF 0.99, close factor 50%: up to 8,000). The liquidator gets 1 + 0.05 x 0.9 =
        // 1.045 of collateral value per unit repaid and sells it into a constant-product
        // pool holding 100,000 of cash at 2,000: it repays until the marginal unit sold
        // fetches what it cost, c = 1920 / 1.045 (ImpactModel::units_to_marginal).
        let mut c = one_position(2.0);
        c.book = BookConfig::positions(vec![PositionSpec {
            collateral: vec![10.0],
            debt: 16_000.0,
        }]);
        let depth = 100_000.0 / 16_000.0;
        c.assets[0].impact = ImpactConfig::ConstantProduct { depth, fee: 0.003 };
        c.market.shock = ShockKind::Custom;
        c.market.shock_knots = Some(vec![[0.0, 1.0], [1.0, 0.96]]);
        c.liquidation.capacity_per_hour = None;
        with_profit(&mut c);
        let sim = DefiSim::new(&c).unwrap();
        let model = ImpactModel::ConstantProduct {
            depth: 100_000.0,
            fee: 0.003,
        };
        let cost = 1920.0 / 1.045;
        let want = model.units_to_marginal(cost, 1920.0, 2000.0) * cost;
        assert!(want > 0.0 && want < 8000.0, "{want}");
        let mut st = PathState::new(&sim);
        let mut rng = stream(0, 0);
        st.step(0, &mut rng);
        // One round only: after it the pool's marginal unit no longer pays.
        assert_abs_diff_eq!(st.step_repaid, want, epsilon = prec::ACCUMULATED * want);
        assert_eq!(st.step_rounds, 1);
        // The gas at a 4% fall: 13 x 6^(0.04 / 0.4235) gwei, 600,000 units, ETH at 1,920.
        let gwei = 13.0 * 6f64.powf(0.04 / 0.4235);
        assert_abs_diff_eq!(st.gas_gwei, gwei, epsilon = prec::SPECIAL * gwei);
        assert_abs_diff_eq!(
            st.gas_cost,
            600_000.0 * gwei * 1e-9 * 1920.0,
            epsilon = prec::SPECIAL
        );
        // The liquidator's profit at that repayment, by hand, is positive.
        let units = want * 1.045 / 1920.0;
        let profit = model.proceeds(0.0, units, 1920.0, 2000.0) - want - st.gas_cost;
        assert!(profit > 0.0, "{profit}");
        // A gas price that eats the profit: no liquidation, a declined one, the position
        // left open.
        let mut dear = c.clone();
        dear.liquidation.gas = Some(GasConfig { gwei: 1e6, ..gas() });
        let r = simulate(&dear, 1, 0).unwrap();
        assert_eq!(r.liquidation_volume.mean, 0.0);
        assert!(r.declined_liquidations.mean >= 1.0);
        // Capacity liquidators repay the whole 8,000 at once.
        let mut capacity = c.clone();
        capacity.liquidation.liquidators = Liquidators::Capacity;
        let sim = DefiSim::new(&capacity).unwrap();
        let mut st = PathState::new(&sim);
        st.step(0, &mut rng);
        assert_abs_diff_eq!(st.step_repaid, 8000.0, epsilon = prec::ACCUMULATED * 8000.0);
    }

    #[test]
    fn a_depressed_market_blocks_liquidation_until_it_recovers() {
        // The reference oracle does not see the fire sale, so a market more than
        // 1 - 1 / ((1 - fee) (1 + bonus')) = 4% below it makes every liquidation lose:
        // liquidators stop, and resume as arbitrage closes the gap.
        let mut c = scripted(400, None);
        c.market.shock = ShockKind::Custom;
        c.market.shock_knots = Some(vec![[1.0, 1.0], [2.0, 0.80]]);
        c.market.horizon_hours = 12.0;
        c.market.oracle_delay_hours = 0.0;
        c.assets[0].impact = ImpactConfig::ConstantProduct {
            depth: 0.05,
            fee: 0.003,
        };
        c.market.impact_half_life_hours = 2.0;
        with_profit(&mut c);
        // Gas too cheap to matter for these 1-ETH positions: the market alone decides.
        c.liquidation.gas = Some(GasConfig {
            gwei: 1e-3,
            ..gas()
        });
        let r = simulate(&c, 1, 0).unwrap();
        let s = &r.series;
        assert!(r.declined_liquidations.mean > 0.0);
        // Liquidations spread over the hours after the gap instead of all at hour 2.
        let active = s.liquidations.iter().filter(|&&x| x > 0.0).count();
        assert!(active > 1, "{:?}", s.liquidations);
        // Every round stops where the marginal unit stops paying, c = oracle / 1.045: the
        // price after the sale is then at least c (the constant-product price after
        // selling u is c / (1 - fee) x (x + u (1 - fee)) / (x + u) >= c), so the market
        // never ends a step's liquidations more than 1 - 1 / 1.045 below the oracle.
        for k in 1..s.hour.len() {
            if s.liquidations[k] > 0.0 {
                let ratio = s.market_price[0][k] / s.oracle_price[0][k];
                assert!(ratio >= 1.0 / 1.045 - prec::IDENTITY, "hour {k}: {ratio}");
            }
        }
    }

    #[test]
    fn the_reference_oracle_does_not_cascade() {
        // The gap of fire_sales_cascade_in_one_step in the same thin market: an oracle on
        // the reference price does not see the fire sale, so one round liquidates all.
        let mut c = scripted(400, None);
        c.market.shock = ShockKind::Custom;
        c.market.shock_knots = Some(vec![[1.0, 1.0], [2.0, 0.85]]);
        c.market.oracle_delay_hours = 0.0;
        c.market.horizon_hours = 3.0;
        c.assets[0].impact = ImpactConfig::ConstantProduct {
            depth: 0.05,
            fee: 0.003,
        };
        c.market.oracle_source = OracleSource::Reference;
        let reference = simulate(&c, 1, 0).unwrap();
        c.market.oracle_source = OracleSource::Amm;
        let amm = simulate(&c, 1, 0).unwrap();
        assert_eq!(reference.cascade_rounds.p50, 1.0);
        assert!(amm.cascade_rounds.p50 > 1.0);
        assert!(amm.liquidation_volume.mean > reference.liquidation_volume.mean);
        // The reference price is the oracle's; the market is below it after the sales.
        let s = &reference.series;
        assert_eq!(s.oracle_price, s.reference_price);
        assert!(s.market_price[0][2] < s.reference_price[0][2]);
    }

    #[test]
    fn random_shocks_arrive_at_their_frequency_and_start_the_clock() {
        // Daily steps over a year, 2 shocks a year: the count per path is Poisson(2), and
        // with March 2020's shape and a small capacity every path with a shock has a loss
        // after it, none without.
        let mut c = scripted(50, Some(0.001));
        c.market.shock = ShockKind::None;
        c.market.step_hours = 24.0;
        c.market.horizon_hours = 8760.0;
        c.market.oracle_delay_hours = 0.0;
        c.market.random_shock = Some(RandomShockConfig {
            shape: ShockKind::March2020,
            knots: None,
            per_year: 2.0,
        });
        let paths = 4000;
        let r = simulate(&c, paths, 3).unwrap();
        let n = paths as f64;
        assert!(
            prec::within_sigmas(r.random_shocks.mean, 2.0, (2.0 / n).sqrt(), prec::MC_SIGMAS),
            "{}",
            r.random_shocks.mean
        );
        // P(no shock) = e^-2.
        let none = 1.0 - r.random_shocks.prob_positive;
        let se = ((-2f64).exp() * (1.0 - (-2f64).exp()) / n).sqrt();
        assert!(
            prec::within_sigmas(none, (-2f64).exp(), se, prec::MC_SIGMAS),
            "{none}"
        );
        assert_eq!(r.paths_with_loss_before_any_shock, 0);
        // A shock that starts in the last hours may not reach any position in time.
        let with_shock = (r.random_shocks.prob_positive * n).round();
        let with_loss = r.paths_with_loss as f64;
        assert!(
            with_loss <= with_shock && with_loss >= 0.99 * with_shock,
            "{with_loss}"
        );
        let t = r.hours_from_first_shock_to_loss.unwrap();
        assert!(t.p50 >= 0.0 && t.p50 <= 96.0, "{t:?}");
        assert!(r.crash_days.mean == 0.0);
    }

    #[test]
    fn standard_errors_match_repeated_runs() {
        // 20 runs of 200 paths with different seeds: the spread of the 20 estimates of the
        // mean loss and of the share of paths with bad debt against the standard errors the
        // runs report (factor as in stats.rs: the spread of 20 values estimates a standard
        // error to about 16%).
        const SE_FACTOR: f64 = 2.0;
        let mut c = DefiSimConfig::example(100);
        c.liquidation.capacity_per_hour = Some(0.01);
        with_crash_days(&mut c, 50.0);
        let sim = DefiSim::new(&c).unwrap();
        let runs: Vec<DefiSimResult> = (0..20)
            .map(|seed| sim.run(200, Seed(seed)).unwrap())
            .collect();
        let sd = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
        };
        type Pick = fn(&DefiSimResult) -> (f64, f64);
        let figures: [(&str, Pick); 3] = [
            ("loss mean", |r| (r.loss.mean, r.loss.se.mean)),
            ("liquidations p95", |r| {
                (r.liquidation_volume.p95, r.liquidation_volume.se.p95)
            }),
            ("P(bad debt)", |r| {
                (r.bad_debt.prob_positive, r.bad_debt.se.prob_positive)
            }),
        ];
        for (name, pick) in figures {
            let (est, se): (Vec<f64>, Vec<f64>) = runs.iter().map(pick).unzip();
            let spread = sd(&est);
            let se = se.iter().sum::<f64>() / se.len() as f64;
            assert!(
                spread <= SE_FACTOR * se && se <= SE_FACTOR * spread,
                "{name}: spread {spread} vs reported {se}"
            );
        }
    }

    #[test]
    fn positions_go_to_their_named_asset_or_the_nearest_admissible() {
        use creditlab_loan::synthetic::{BookSpec, defi_book_with};
        let example = DefiSimConfig::example(1);
        let weth = example.assets[0].clone();
        let mut wbtc = AssetConfig::new(
            crate::aave::collateral("WBTC").unwrap(),
            30_000.0,
            AssetDynamics::new(0.0, 0.6, 0.0, 0.0, 0.0).unwrap(),
            weth.impact,
        );
        wbtc.volatility = 0.6;
        let assets = vec![weth, wbtc];
        // The book drawn on these assets' own limits, as a generated config draws it.
        let book = defi_book_with(
            &BookSpec {
                loans: 300,
                total_principal: Some(1.0e6),
                seed: 3,
            },
            &crate::config::book_assets(&assets, &example.market, None),
        )
        .unwrap();
        // Every loan named: all on WBTC would break its 73% limit for some, an error
        // naming the loan; all on WETH is fine.
        let all_weth =
            crate::config::positions_from_book_by(&book, &assets, |_| Some("WETH")).unwrap();
        assert!(all_weth.iter().all(|p| p.collateral[1] == 0.0));
        let e =
            crate::config::positions_from_book_by(&book, &assets, |_| Some("WBTC")).unwrap_err();
        assert!(e.to_string().contains("WBTC's limit 0.73"), "{e}");
        // Unnamed: the nearest volatility among the assets whose LTV admits the loan.
        let placed = positions_from_book(&book, &assets).unwrap();
        for (p, r) in placed.iter().zip(book.iter()) {
            let ltv = r.loan.principal() / r.collateral.value();
            let k = if r.collateral.volatility() < 0.7 && ltv <= 0.73 {
                1
            } else {
                0
            };
            assert!(p.collateral[k] > 0.0, "loan {}: {p:?}", r.loan.id());
        }
        assert!(placed.iter().any(|p| p.collateral[1] > 0.0));
    }

    #[test]
    fn parking_what_cannot_pay_changes_nothing() {
        // Profit-driven liquidators with dear gas, crash days and a thin market, on the
        // reference and on the AMM oracle: setting aside the positions that cannot pay
        // gives the same pool, step after step, as examining every one of them.
        for source in [OracleSource::Reference, OracleSource::Amm] {
            let mut c = DefiSimConfig::example(400);
            with_crash_days(&mut c, 200.0);
            with_profit(&mut c);
            c.liquidation.gas = Some(GasConfig {
                gwei: 300.0,
                ..gas()
            });
            c.market.oracle_source = source;
            c.assets[0].impact = ImpactConfig::ConstantProduct {
                depth: 0.2,
                fee: 0.003,
            };
            let sim = DefiSim::new(&c).unwrap();
            let mut parked_some = false;
            for path in 0..4 {
                let mut on = PathState::new(&sim);
                let mut off = PathState::new(&sim);
                off.parking = false;
                let (mut a, mut b) = (stream(31, path), stream(31, path));
                for s in 0..sim.steps() {
                    on.step(s, &mut a);
                    off.step(s, &mut b);
                    assert_eq!(on.pool, off.pool, "{source:?}, path {path}, step {s}");
                    parked_some |= on.parked.now.iter().any(|&p| p);
                }
                let (x, y) = (on.summary(), off.summary());
                assert_eq!(
                    (x.bad_debt, x.open_shortfall, x.repaid, x.first_loss_hour),
                    (y.bad_debt, y.open_shortfall, y.repaid, y.first_loss_hour)
                );
            }
            assert!(parked_some, "{source:?}: the test parks something");
        }
    }
}
