//! `cargo xtask defi`: the DeFi lending pool under a moving market, a Monte Carlo over
//! price paths (liquidation cascades, fire sales, runs), from a strict TOML config
//! (docs/schemas/defi-toml.md; output: docs/schemas/defi-json.md). The config, its
//! validation and the simulation are creditlab-defi's; this file reads, locates errors in
//! the file, runs and prints.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use crate::cli::{out, outln};
use crate::guard::Cost;
use creditlab_defi::DefiError;
use creditlab_defi::config::{DefiSimConfig, ShockKind, ValidConfig};
use creditlab_defi::shard::{DefiShard, refuse_existing};
use creditlab_defi::simulation::{DefiSim, DefiSimResult, Distribution};
use creditlab_study::config::{config_error, parse_toml, read};
use std::path::PathBuf;

/// The default config, compiled into the harness.
pub const DEFAULT_DEFI: &str = include_str!("../../scenarios/defi.toml");
/// How the built-in config is named in messages.
const DEFAULT_ORIGIN: &str = "scenarios/defi.toml (built in)";

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
    #[command(flatten)]
    threads: crate::cli::Threads,
    #[command(flatten)]
    part: crate::cli::ShardFlags,
}

/// `origin, line N: key: reason` for a validation error of the config read from `text`.
fn located(text: &str, origin: &str, e: &DefiError) -> TaskError {
    match e.field() {
        Some(field) => config_error(text, origin, field, e.reason()).into(),
        None => TaskError::msg(format!("{origin}: {e}")),
    }
}

/// Parses and validates a config; errors name the file, the line and the key.
fn load(text: &str, origin: &str) -> Result<(DefiSimConfig, ValidConfig), TaskError> {
    let config: DefiSimConfig = parse_toml(text, origin)?;
    let valid = config.validate().map_err(|e| located(text, origin, &e))?;
    Ok((config, valid))
}

/// Formats `v` with `digits` decimals, in scientific notation when it is too small for
/// them to show it.
fn num(v: f64, digits: usize) -> String {
    let a = v.abs();
    if a > 0.0 && a < 0.5 * 10f64.powi(-(digits as i32)) {
        format!("{v:.1e}")
    } else {
        format!("{v:.digits$}")
    }
}

fn row(table: &mut Table, name: &str, d: &Distribution, digits: usize) {
    let f = |v: f64| num(v, digits);
    table.row([
        name.to_string(),
        f(d.mean),
        f(d.se.mean),
        f(d.p50),
        f(d.p95),
        f(d.p99),
        f(d.p999),
        f(d.se.p999),
        f(d.es999),
        d.se.es999.map_or_else(|| "n/a".to_string(), f),
        format!("{:.3}", d.prob_positive),
    ]);
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    if let Some(out) = &args.part.out {
        refuse_existing(out, args.part.force)?;
    }
    let (text, origin) = match &args.config {
        Some(path) => (read(path)?, path.display().to_string()),
        None => (DEFAULT_DEFI.to_string(), DEFAULT_ORIGIN.to_string()),
    };
    let (config, valid) = load(&text, &origin)?;
    let paths = args.paths.unwrap_or(config.paths);
    let seed = args.seed.unwrap_or(config.seed);
    let ours = args.part.shard.map_or(paths, |s| s.size(paths));
    // About 4 ms a path for the built-in pool (5,000 loans, a year of steps) on two cores,
    // and a few hundred bytes a path held for the statistics.
    crate::guard::check(&Cost {
        what: format!("defi --paths {paths}"),
        bytes: ours as f64 * 512.0,
        seconds: ours as f64 * 4.2e-3,
    })?;
    let flag = |e: DefiError| match e.field() {
        Some(field @ ("paths" | "shard")) => TaskError::msg(format!("--{field}: {}", e.reason())),
        _ => e.into(),
    };
    let pool = args.threads.pool()?;
    if let (Some(shard), Some(out)) = (args.part.shard, &args.part.out) {
        let mut whole = config.clone();
        (whole.paths, whole.seed) = (paths, seed);
        let part = pool
            .install(|| DefiShard::simulate(&whole, shard))
            .map_err(flag)?;
        return Ok(part.write(out, args.part.force)?);
    }
    let result = pool
        .install(|| DefiSim::prepare(valid).run(paths, creditlab_defi::Seed(seed)))
        .map_err(flag)?;
    print(&config, &result, args.json)
}

/// Prints a run's result as `cargo xtask defi` does (tables, or JSON with `json`); `merge`
/// prints a merged run through it too.
pub fn print(config: &DefiSimConfig, result: &DefiSimResult, json: bool) -> TaskResult {
    if json {
        return print_json(result);
    }
    let m = &config.market;
    outln!(
        "{} positions, total debt {:.0}, deposits {:.0}; {} paths of {} steps of {} h ({} h), seed {}",
        result.positions,
        result.total_debt,
        result.deposits,
        result.paths,
        result.steps,
        result.step_hours,
        result.horizon_hours,
        result.seed,
    );
    outln!(
        "shock at hour 0: {}; random shock: {}; crash days: {}; oracle: {} {} h late; bad debt: {}; liquidators: {}",
        match m.shock {
            ShockKind::None => "none",
            ShockKind::March2020 => "march_2020",
            ShockKind::Custom => "custom",
        },
        m.random_shock
            .as_ref()
            .map_or_else(|| "none".to_string(), |r| format!("{} a year", r.per_year)),
        m.crash_days
            .as_ref()
            .map_or_else(|| "none".to_string(), |c| format!("{} a year", c.per_year)),
        name_of(&result.oracle_source),
        result.oracle_delay_hours,
        name_of(&result.bad_debt_accounting),
        name_of(&result.liquidators),
    );
    let mut table = Table::new([
        "per path", "mean", "+-se", "p50", "p95", "p99", "p99.9", "+-se", "ES99.9", "+-se", "P(>0)",
    ]);
    let r = result;
    let rows: [(&str, Option<&Distribution>, usize); 17] = [
        ("loss / debt (booked + open)", Some(&r.loss), 6),
        ("bad debt / debt (booked)", Some(&r.bad_debt), 6),
        ("open shortfall / debt", Some(&r.open_shortfall), 6),
        (
            "depositor loss, booked / deposits",
            Some(&r.depositor_loss),
            6,
        ),
        (
            "depositor loss, marked / deposits",
            Some(&r.depositor_loss_marked),
            6,
        ),
        (
            "loss of depositors left / theirs",
            Some(&r.remaining_depositor_loss),
            6,
        ),
        (
            "depositor interest / deposits",
            Some(&r.depositor_interest),
            6,
        ),
        ("depositor return / deposits", Some(&r.depositor_return), 6),
        ("mean supply rate (annual)", Some(&r.mean_supply_rate), 6),
        ("liquidations / debt", Some(&r.liquidation_volume), 4),
        ("declined liquidations", Some(&r.declined_liquidations), 1),
        ("cascade rounds (max/step)", Some(&r.cascade_rounds), 1),
        ("crash days", Some(&r.crash_days), 2),
        ("random shocks", Some(&r.random_shocks), 3),
        (
            "hours, first shock to loss",
            r.hours_from_first_shock_to_loss.as_ref(),
            1,
        ),
        (
            "hours to first bad debt",
            r.hours_to_first_bad_debt.as_ref(),
            1,
        ),
        ("unmet withdrawals (share)", Some(&r.unmet_withdrawals), 4),
    ];
    for (name, d, digits) in rows {
        if let Some(d) = d {
            row(&mut table, name, d, digits);
        }
    }
    out!("{table}");
    outln!(
        "the 99.9% figures rest on the worst {} of {} paths (ES standard error: n/a below 2)",
        r.loss.tail_paths,
        r.paths
    );
    outln!(
        "paths with a loss to lenders: {} ({} before any shock); without bad debt: {:.2}%; with withdrawal requests: {:.2}%",
        r.paths_with_loss,
        r.paths_with_loss_before_any_shock,
        100.0 * r.share_of_paths_without_bad_debt,
        100.0 * r.share_of_paths_with_withdrawals
    );
    let s = &r.series;
    let last = s.hour.len() - 1;
    let low = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let high = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    outln!(
        "median-loss path {}: {} {:.2} -> {:.2} (low {:.2}); bad debt {:.6}, deficit {:.6}, share price {:.6}, utilization {:.4}, supply rate {:.4} to {:.4}",
        s.path,
        config.assets.first().map_or("", |a| a.name.as_str()),
        s.reference_price[0][0],
        s.reference_price[0][last],
        low(&s.reference_price[0]),
        s.cumulative_bad_debt[last],
        s.deficit[last],
        s.share_price[last],
        s.utilization[last],
        low(&s.supply_rate[1..]),
        high(&s.supply_rate[1..]),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_study::config::line_of;

    #[test]
    fn builtin_config_is_valid_and_round_trips() {
        let (c, valid) = load(DEFAULT_DEFI, "defi.toml").unwrap();
        assert_eq!(valid.config(), &c);
        let text = toml::to_string(&c).unwrap();
        assert_eq!(load(&text, "again").unwrap().0, c);
    }

    #[test]
    fn errors_name_line_and_key() {
        let bad_vol = DEFAULT_DEFI.replace("volatility = 0.7644", "volatility = -0.8");
        let e = load(&bad_vol, "x.toml").unwrap_err().to_string();
        let line = line_of(&bad_vol, "assets[0].volatility").unwrap();
        assert!(
            e.contains(&format!("x.toml, line {line}: assets[0].volatility")),
            "{e}"
        );
        let unknown = DEFAULT_DEFI.replace(
            "\nhorizon_hours = 8760.0",
            "\nstepz = 3\nhorizon_hours = 8760.0",
        );
        let e = load(&unknown, "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml, line") && e.contains("stepz"), "{e}");
        // Embedded as a [defi] table of another file: the field's path under the table's
        // name finds the line.
        let embedded = format!(
            "title = \"x\"\n{}",
            bad_vol
                .replace("[[assets]]", "[[defi.assets]]")
                .replace("[pool]", "[defi.pool]")
                .replace("[market]", "[defi.market]")
        );
        let c: DefiSimConfig = toml::from_str(&bad_vol).unwrap();
        let field = c.validate().unwrap_err().field().unwrap().to_string();
        let e = config_error(&embedded, "s.toml", &format!("defi.{field}"), "x").to_string();
        let line = embedded
            .lines()
            .position(|l| l.starts_with("volatility"))
            .unwrap()
            + 1;
        assert!(
            e.contains(&format!("s.toml, line {line}: defi.assets[0].volatility")),
            "{e}"
        );
        let steps = DEFAULT_DEFI.replace("oracle_delay_hours = 0.0", "oracle_delay_hours = 1e5");
        let e = load(&steps, "x.toml").unwrap_err().to_string();
        assert!(e.contains("market.oracle_delay_hours"), "{e}");
    }
}
