//! `cargo xtask defi`: the DeFi lending pool under a moving market, a Monte Carlo over
//! price paths (liquidation cascades, fire sales, runs), from a strict TOML config
//! (docs/schemas/defi-toml.md; output: docs/schemas/defi-json.md).
//!
//! The config types are public and serde-(de)serializable with `deny_unknown_fields`, so
//! another file (the study's scenario) can embed [`DefiToml`] as a `[defi]` table and call
//! [`DefiToml::build`] to get the library's `DefiSimConfig`.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_defi::impact::ImpactModel;
use creditlab_defi::lending::{CollateralAsset, RateModel};
use creditlab_defi::market::{AssetDynamics, ShockPath, cholesky_factor};
use creditlab_defi::simulation::{
    DefiSimConfig, Distribution, MarketAsset, PositionSpec, RunModel, RunSignal,
    ThresholdDistribution, positions_from_book, simulate,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The default config, compiled into the harness.
pub const DEFAULT_DEFI: &str = include_str!("../../scenarios/defi.toml");

/// Flags of `cargo xtask defi`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TOML config (docs/schemas/defi-toml.md); the built-in scenarios/defi.toml without it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print JSON (docs/schemas/defi-json.md) instead of tables.
    #[arg(long)]
    json: bool,
    /// Number of price paths (overrides `paths` of the config).
    #[arg(long)]
    paths: Option<u64>,
    /// Seed (overrides `seed` of the config).
    #[arg(long)]
    seed: Option<u64>,
}

/// A DeFi simulation config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefiToml {
    /// Seed of the price paths.
    pub seed: u64,
    /// Number of price paths.
    pub paths: u64,
    /// The pool: utilization, reserve, rate model.
    pub pool: PoolToml,
    /// Collateral assets: risk parameters, price, dynamics, fire-sale market.
    pub assets: Vec<AssetToml>,
    /// Time grid, correlation, oracle, shock.
    pub market: MarketToml,
    /// Liquidators.
    pub liquidation: LiquidationToml,
    /// The positions: generated or listed.
    pub book: BookToml,
    /// Depositor runs.
    pub runs: RunsToml,
}

/// `[pool]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolToml {
    /// Utilization at hour 0, in (0, 1]: deposits = total debt / utilization.
    pub initial_utilization: f64,
    /// Reserve at hour 0 as a fraction of the total debt.
    pub initial_reserve: f64,
    /// The utilization-kink rate model.
    pub rates: RatesToml,
}

/// `[pool.rates]`: the utilization-kink interest model (annual rates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatesToml {
    /// Borrow rate at zero utilization.
    pub base: f64,
    /// Slope up to the kink.
    pub slope1: f64,
    /// Slope above the kink.
    pub slope2: f64,
    /// The kink.
    pub optimal_utilization: f64,
    /// Share of interest kept by the reserve.
    pub reserve_factor: f64,
}

/// One `[[assets]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetToml {
    /// Name, e.g. `WETH`.
    pub name: String,
    /// Maximum LTV at origination.
    pub ltv: f64,
    /// Liquidation threshold.
    pub liquidation_threshold: f64,
    /// Liquidation bonus.
    pub liquidation_bonus: f64,
    /// Share of the bonus paid to the protocol.
    pub protocol_fee_share: f64,
    /// Price at hour 0 in units of the borrowed asset.
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
    /// The market liquidators sell seized collateral into.
    pub impact: ImpactToml,
}

/// `impact = { model = ... }`: depths are multiples of the pool's total debt at hour 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum ImpactToml {
    /// Sales do not move the price.
    None,
    /// A constant-product pool holding `depth x total debt` of cash at hour 0.
    ConstantProduct {
        /// Cash side, as a multiple of the total debt.
        depth: f64,
        /// Swap fee.
        fee: f64,
    },
    /// `p' = p exp(-beta sold / (depth x total debt))`.
    Exponential {
        /// Impact coefficient.
        beta: f64,
        /// Depth, as a multiple of the total debt.
        depth: f64,
    },
}

/// `[market]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketToml {
    /// Hours per step.
    pub step_hours: f64,
    /// Steps per path.
    pub steps: usize,
    /// Correlation matrix of the assets' diffusions.
    pub correlation: Vec<Vec<f64>>,
    /// Oracle delay in steps.
    pub oracle_delay_steps: usize,
    /// Half-life of fire-sale impact, in hours.
    pub impact_half_life_hours: f64,
    /// `none`, `march_2020` or `custom` (then `shock_knots`).
    pub shock: ShockKind,
    /// `[[hour, multiplier], ...]` of a custom shock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shock_knots: Option<Vec<[f64; 2]>>,
}

/// The scripted shock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShockKind {
    /// A calm market: no shock.
    None,
    /// ETH/USD on 12-13 March 2020.
    #[serde(rename = "march_2020")]
    March2020,
    /// The knots of `shock_knots`.
    Custom,
}

/// `[liquidation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidationToml {
    /// Debt liquidators can repay per hour, as a fraction of the total debt at hour 0;
    /// absent for unlimited capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_per_hour: Option<f64>,
}

/// `[book]`: exactly one of `generated` and `positions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookToml {
    /// A synthetic DeFi book (creditlab-loan's `defi_book`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<GeneratedToml>,
    /// Explicit positions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positions: Option<Vec<PositionToml>>,
}

/// `generated = { loans, total_principal, seed }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedToml {
    /// Number of positions.
    pub loans: usize,
    /// Total debt.
    pub total_principal: f64,
    /// Seed of the book.
    pub seed: u64,
}

/// One explicit position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionToml {
    /// Collateral per asset, in asset units.
    pub collateral: Vec<f64>,
    /// Debt.
    pub debt: f64,
}

/// `[runs]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsToml {
    /// Number of depositor cohorts (0: no runs).
    pub cohorts: usize,
    /// Share of deposits held by run-prone cohorts.
    pub run_prone_share: f64,
    /// `share_price_drop`, `bad_debt` or `utilization`.
    pub signal: RunSignal,
    /// Distribution of thresholds.
    pub thresholds: ThresholdDistribution,
}

/// A config that cannot be used: the dotted key (`assets[0].volatility`) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// Dotted path of the key, e.g. `market.steps` or `assets[1].impact`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

fn bad(key: impl Into<String>, message: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.to_string(),
    }
}

/// Maps a library error that names a field (`invalid NAME: field: ...` or
/// `invalid field: ...`) to `section.field`; `section` alone when no field is named.
fn field_error(section: &str, e: impl std::fmt::Display, fields: &[&str]) -> ConfigError {
    let text = e.to_string();
    let key = fields
        .iter()
        .find(|f| text.contains(&format!(": {f}:")) || text.starts_with(&format!("invalid {f}:")))
        .map_or(section.to_string(), |f| format!("{section}.{f}"));
    bad(key, text)
}

impl DefiToml {
    /// Parses `text` strictly; `origin` names the file in errors, which give the line and
    /// the key.
    pub fn parse(text: &str, origin: &str) -> Result<Self, TaskError> {
        let config: DefiToml = creditlab_study::config::parse_toml(text, origin)?;
        config.build().map_err(|e| located(text, origin, "", &e))?;
        Ok(config)
    }

    /// Reads and validates a config file.
    pub fn from_file(path: &Path) -> Result<Self, TaskError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TaskError::msg(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The library config; errors name the key.
    pub fn build(&self) -> Result<DefiSimConfig, ConfigError> {
        if !(1..=creditlab_defi::simulation::MAX_PATHS).contains(&self.paths) {
            return Err(bad(
                "paths",
                format!("{} is outside 1..=10000000", self.paths),
            ));
        }
        let p = &self.pool;
        let rates = RateModel::new(
            p.rates.base,
            p.rates.slope1,
            p.rates.slope2,
            p.rates.optimal_utilization,
            p.rates.reserve_factor,
        )
        .map_err(|e| {
            field_error(
                "pool.rates",
                e,
                &[
                    "base",
                    "slope1",
                    "slope2",
                    "optimal_utilization",
                    "reserve_factor",
                ],
            )
        })?;
        if !(p.initial_utilization > 0.0 && p.initial_utilization <= 1.0) {
            return Err(bad(
                "pool.initial_utilization",
                format!("{} must be in (0, 1]", p.initial_utilization),
            ));
        }
        if !(0.0..=1.0).contains(&p.initial_reserve) {
            return Err(bad(
                "pool.initial_reserve",
                format!("{} must be in [0, 1]", p.initial_reserve),
            ));
        }
        if self.assets.is_empty() {
            return Err(bad("assets", "at least one [[assets]] table is needed"));
        }
        let mut names = HashMap::new();
        let mut assets = Vec::new();
        for (i, a) in self.assets.iter().enumerate() {
            let section = format!("assets[{i}]");
            if let Some(j) = names.insert(a.name.clone(), i) {
                return Err(bad(
                    format!("{section}.name"),
                    format!("`{}` is also the name of assets[{j}]", a.name),
                ));
            }
            let risk = CollateralAsset::new(
                a.name.clone(),
                a.ltv,
                a.liquidation_threshold,
                a.liquidation_bonus,
                a.protocol_fee_share,
            )
            .map_err(|e| {
                field_error(
                    &section,
                    e,
                    &[
                        "ltv",
                        "liquidation_threshold",
                        "liquidation_bonus",
                        "protocol_fee_share",
                    ],
                )
            })?;
            if !(a.price.is_finite() && a.price > 0.0) {
                return Err(bad(
                    format!("{section}.price"),
                    format!("{} must be a positive price", a.price),
                ));
            }
            let dynamics = AssetDynamics::new(
                a.drift,
                a.volatility,
                a.jump_intensity,
                a.jump_mean,
                a.jump_sd,
            )
            .map_err(|e| {
                field_error(
                    &section,
                    e,
                    &[
                        "drift",
                        "volatility",
                        "jump_intensity",
                        "jump_mean",
                        "jump_sd",
                    ],
                )
            })?;
            let impact = match a.impact {
                ImpactToml::None => ImpactModel::None,
                ImpactToml::ConstantProduct { depth, fee } => {
                    ImpactModel::ConstantProduct { depth, fee }
                }
                ImpactToml::Exponential { beta, depth } => ImpactModel::Exponential { beta, depth },
            };
            impact
                .validate()
                .map_err(|e| bad(format!("{section}.impact"), e))?;
            assets.push(MarketAsset {
                risk,
                initial_price: a.price,
                dynamics,
                impact,
            });
        }
        let m = &self.market;
        if !(m.step_hours.is_finite() && m.step_hours > 0.0 && m.step_hours <= 8760.0) {
            return Err(bad(
                "market.step_hours",
                format!("{} must be in (0, 8760]", m.step_hours),
            ));
        }
        if !(1..=creditlab_defi::simulation::MAX_STEPS).contains(&m.steps) {
            return Err(bad(
                "market.steps",
                format!("{} is outside 1..=1000000", m.steps),
            ));
        }
        if m.correlation.len() != assets.len() {
            return Err(bad(
                "market.correlation",
                format!("{} rows for {} assets", m.correlation.len(), assets.len()),
            ));
        }
        cholesky_factor(&m.correlation).map_err(|e| bad("market.correlation", e))?;
        if m.oracle_delay_steps > m.steps {
            return Err(bad(
                "market.oracle_delay_steps",
                format!(
                    "{} is more than the {} steps",
                    m.oracle_delay_steps, m.steps
                ),
            ));
        }
        if !(m.impact_half_life_hours.is_finite() && m.impact_half_life_hours >= 0.0) {
            return Err(bad(
                "market.impact_half_life_hours",
                format!("{} must be >= 0", m.impact_half_life_hours),
            ));
        }
        let shock = match (m.shock, &m.shock_knots) {
            (ShockKind::None, None) => None,
            (ShockKind::March2020, None) => Some(ShockPath::march_2020()),
            (ShockKind::Custom, Some(knots)) => Some(
                ShockPath::new(knots.iter().map(|k| (k[0], k[1])).collect())
                    .map_err(|e| bad("market.shock_knots", e))?,
            ),
            (ShockKind::Custom, None) => {
                return Err(bad(
                    "market.shock",
                    "`custom` needs `shock_knots = [[hour, multiplier], ...]`",
                ));
            }
            (_, Some(_)) => {
                return Err(bad(
                    "market.shock_knots",
                    "only a `custom` shock takes knots",
                ));
            }
        };
        let capacity = self.liquidation.capacity_per_hour;
        if let Some(c) = capacity
            && !(c.is_finite() && c > 0.0)
        {
            return Err(bad(
                "liquidation.capacity_per_hour",
                format!("{c} must be > 0 (leave it out for unlimited capacity)"),
            ));
        }
        let positions = match (&self.book.generated, &self.book.positions) {
            (Some(g), None) => {
                use creditlab_loan::synthetic::{BookSpec, defi_book};
                let book = defi_book(&BookSpec {
                    loans: g.loans,
                    total_principal: Some(g.total_principal),
                    seed: g.seed,
                })
                .map_err(|e| bad("book.generated", e))?;
                positions_from_book(&book, &assets).map_err(|e| bad("book.generated", e))?
            }
            (None, Some(list)) => {
                if list.is_empty() {
                    return Err(bad("book.positions", "at least one position is needed"));
                }
                list.iter()
                    .map(|p| PositionSpec {
                        collateral: p.collateral.clone(),
                        debt: p.debt,
                    })
                    .collect()
            }
            _ => {
                return Err(bad(
                    "book",
                    "give exactly one of `generated = { ... }` and `positions = [ ... ]`",
                ));
            }
        };
        let total: f64 = positions.iter().map(|p| p.debt).sum();
        // Depths are given per unit of total debt.
        if total.is_finite() && total > 0.0 {
            for a in &mut assets {
                a.impact = match a.impact {
                    ImpactModel::ConstantProduct { depth, fee } => ImpactModel::ConstantProduct {
                        depth: depth * total,
                        fee,
                    },
                    ImpactModel::Exponential { beta, depth } => ImpactModel::Exponential {
                        beta,
                        depth: depth * total,
                    },
                    ImpactModel::None => ImpactModel::None,
                };
            }
        }
        let r = &self.runs;
        let runs = RunModel {
            cohorts: r.cohorts,
            run_prone_share: r.run_prone_share,
            signal: r.signal,
            thresholds: r.thresholds,
        };
        let config = DefiSimConfig {
            assets,
            correlation: m.correlation.clone(),
            rates,
            initial_utilization: p.initial_utilization,
            initial_reserve: p.initial_reserve,
            positions,
            step_hours: m.step_hours,
            steps: m.steps,
            oracle_delay_steps: m.oracle_delay_steps,
            shock,
            impact_half_life_hours: m.impact_half_life_hours,
            liquidation_capacity_per_hour: capacity,
            runs,
        };
        // The rest (positions within the LTV limit, run parameters) is checked by the
        // library; its messages name the field.
        creditlab_defi::simulation::DefiSim::new(&config).map_err(|e| {
            let text = e.to_string();
            let key = if text.contains("position") {
                "book.positions"
            } else if text.contains("runs:") {
                "runs"
            } else {
                ""
            };
            bad(key, text)
        })?;
        Ok(config)
    }
}

/// `origin, line N: key: message` for an error of [`DefiToml::build`] (the line when the
/// key is found in `text`). `table` is the dotted name of the table the config sits in when
/// another file embeds it (`"defi"` for a `[defi]` table), `""` for a file of its own.
pub fn located(text: &str, origin: &str, table: &str, e: &ConfigError) -> TaskError {
    let key = match (table.is_empty(), e.key.is_empty()) {
        (true, _) => e.key.clone(),
        (false, true) => table.to_string(),
        (false, false) => format!("{table}.{}", e.key),
    };
    let at = line_of(text, &key).map_or(String::new(), |l| format!(", line {l}"));
    let key = if key.is_empty() {
        String::new()
    } else {
        format!("{key}: ")
    };
    TaskError::msg(format!("{origin}{at}: {key}{}", e.message))
}

/// Splits `assets[2]` into (`assets`, Some(2)).
fn indexed(part: &str) -> (&str, Option<usize>) {
    match part.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
        None => (part, None),
    }
}

/// The 1-based line of the dotted `path` (`market.steps`, `assets[1].impact.depth`): the
/// deepest key found, inside its `[section]` or the n-th `[[section]]`.
fn line_of(text: &str, path: &str) -> Option<usize> {
    if path.is_empty() {
        return None;
    }
    let parts: Vec<&str> = path.split('.').collect();
    (0..parts.len())
        .rev()
        .find_map(|j| find_key(text, &parts[..j], indexed(parts[j]).0))
        .or_else(|| {
            // A whole table: its `[header]` line.
            let header = format!("[{path}]");
            text.lines().position(|l| l.trim() == header).map(|i| i + 1)
        })
}

fn find_key(text: &str, section: &[&str], key: &str) -> Option<usize> {
    let want: Vec<&str> = section.iter().map(|p| indexed(p).0).collect();
    let want = want.join(".");
    let want_index = section.last().and_then(|p| indexed(p).1);
    let mut current = String::new();
    let mut current_index = 0usize;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            current = name.trim().to_string();
            let count = seen.entry(current.clone()).or_insert(0);
            current_index = *count;
            *count += 1;
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            current = name.trim().to_string();
            current_index = 0;
        } else if current == want
            && want_index.is_none_or(|w| w == current_index)
            && t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(i + 1);
        }
    }
    None
}

fn row(table: &mut Table, name: &str, d: &Distribution, digits: usize) {
    let f = |v: f64| format!("{v:.digits$}");
    table.row([
        name.to_string(),
        f(d.mean),
        f(d.p50),
        f(d.p95),
        f(d.p99),
        f(d.p999),
        format!("{:.3}", d.prob_positive),
    ]);
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let (config, origin) = match &args.config {
        Some(path) => (DefiToml::from_file(path)?, path.display().to_string()),
        None => (
            DefiToml::parse(DEFAULT_DEFI, "scenarios/defi.toml (built in)")?,
            "scenarios/defi.toml (built in)".to_string(),
        ),
    };
    let paths = args.paths.unwrap_or(config.paths);
    let seed = args.seed.unwrap_or(config.seed);
    if !(1..=creditlab_defi::simulation::MAX_PATHS).contains(&paths) {
        return Err(TaskError::msg(format!(
            "--paths {paths} is outside 1..=10000000"
        )));
    }
    let sim = config
        .build()
        .map_err(|e| TaskError::msg(format!("{origin}: {}: {}", e.key, e.message)))?;
    let result = simulate(&sim, paths, seed)?;
    if args.json {
        return print_json(&result);
    }
    println!(
        "{} positions, total debt {:.0}, deposits {:.0}; {} paths of {} steps of {} h, seed {}; shock: {}",
        result.positions,
        result.total_debt,
        result.deposits,
        result.paths,
        result.steps,
        result.step_hours,
        result.seed,
        match config.market.shock {
            ShockKind::None => "none",
            ShockKind::March2020 => "march_2020",
            ShockKind::Custom => "custom",
        }
    );
    let mut table = Table::new(["per path", "mean", "p50", "p95", "p99", "p99.9", "P(>0)"]);
    row(&mut table, "bad debt / debt", &result.bad_debt, 6);
    row(
        &mut table,
        "depositor loss / deposits",
        &result.depositor_loss,
        6,
    );
    row(
        &mut table,
        "liquidations / debt",
        &result.liquidation_volume,
        4,
    );
    row(
        &mut table,
        "cascade rounds (max/step)",
        &result.cascade_rounds,
        1,
    );
    if let Some(t) = &result.hours_to_first_bad_debt {
        row(&mut table, "hours to first bad debt", t, 2);
    }
    row(
        &mut table,
        "unmet withdrawals (share)",
        &result.unmet_withdrawals,
        4,
    );
    print!("{table}");
    println!(
        "paths without bad debt: {:.2}%; paths with withdrawal requests: {:.2}%",
        100.0 * result.share_of_paths_without_bad_debt,
        100.0 * result.share_of_paths_with_withdrawals
    );
    let s = &result.series;
    let last = s.hour.len() - 1;
    println!(
        "median-bad-debt path {}: price {:.2} -> {:.2} (low {:.2}), bad debt {:.6}, share price {:.6}, utilization {:.4}",
        s.path,
        s.market_price[0][0],
        s.market_price[0][last],
        s.market_price[0]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min),
        s.cumulative_bad_debt[last],
        s.share_price[last],
        s.utilization[last]
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_config_is_valid_and_round_trips() {
        let c = DefiToml::parse(DEFAULT_DEFI, "defi.toml").unwrap();
        let text = toml::to_string(&c).unwrap();
        assert_eq!(DefiToml::parse(&text, "again").unwrap(), c);
    }

    #[test]
    fn errors_name_line_and_key() {
        let bad_vol = DEFAULT_DEFI.replace("volatility = 0.8", "volatility = -0.8");
        let e = DefiToml::parse(&bad_vol, "x.toml").unwrap_err().to_string();
        let line = line_of(&bad_vol, "assets[0].volatility").unwrap();
        assert!(
            e.contains(&format!("x.toml, line {line}: assets[0].volatility")),
            "{e}"
        );
        let unknown = DEFAULT_DEFI.replace("\nsteps = 384", "\nstepz = 3\nsteps = 384");
        let e = DefiToml::parse(&unknown, "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml, line") && e.contains("stepz"), "{e}");
        // Embedded as a [defi] table of another file: keys and lines still found.
        let embedded = format!(
            "title = \"x\"\n{}",
            bad_vol
                .replace("[[assets]]", "[[defi.assets]]")
                .replace("[pool]", "[defi.pool]")
                .replace("[market]", "[defi.market]")
        );
        let c: DefiToml = toml::from_str(&bad_vol).unwrap();
        let e = located(&embedded, "s.toml", "defi", &c.build().unwrap_err()).to_string();
        let line = embedded
            .lines()
            .position(|l| l.starts_with("volatility"))
            .unwrap()
            + 1;
        assert!(
            e.contains(&format!("s.toml, line {line}: defi.assets[0].volatility")),
            "{e}"
        );
        let steps = DEFAULT_DEFI.replace("oracle_delay_steps = 1", "oracle_delay_steps = 100000");
        let e = DefiToml::parse(&steps, "x.toml").unwrap_err().to_string();
        assert!(e.contains("market.oracle_delay_steps"), "{e}");
    }
}
