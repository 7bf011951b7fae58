//! Command-line behaviour of `cargo xtask defi`: bad configs rejected with exit code 2 and
//! a message naming the file, the line and the key (unknown keys, wrong types, values out
//! of range, the new keys included), the documented `--json` keys and their standard
//! errors, a scripted crash that leaves bad debt only when liquidation capacity is limited,
//! the default year and the March-2020 stress file, and results that are bit-identical
//! whatever the number of threads.

use crate::common::{fails_naming, json, xtask};

use std::process::Command;

/// A small config: `loans` generated positions on one WETH-like asset, 48 hourly steps.
/// `noise` switches the price's randomness on; `capacity` is the `[liquidation]` table's
/// body.
fn config(loans: usize, noise: bool, capacity: &str) -> String {
    let (vol, jumps) = if noise { (0.8, 1.0) } else { (0.0, 0.0) };
    format!(
        r#"seed = 7
paths = 16

[pool]
initial_utilization = 0.8
initial_reserve = 0.0
rates = {{ base = 0.0, slope1 = 0.04, slope2 = 0.60, optimal_utilization = 0.90, reserve_factor = 0.10 }}

[[assets]]
name = "WETH"
ltv = 0.80
liquidation_threshold = 0.825
liquidation_bonus = 0.05
protocol_fee_share = 0.10
price = 2000.0
drift = 0.0
volatility = {vol}
jump_intensity = {jumps}
jump_mean = -0.25
jump_sd = 0.10
impact = {{ model = "constant_product", depth = 10.0, fee = 0.003 }}

[market]
step_hours = 1.0
horizon_hours = 48.0
correlation = [[1.0]]
oracle_delay_hours = 1.0
impact_half_life_hours = 1.0
shock = "march_2020"

[liquidation]
{capacity}

[book]
generated = {{ loans = {loans}, total_principal = 1000000.0, seed = 3 }}

[runs]
cohorts = 10
run_prone_share = 0.5
signal = "bad_debt"
thresholds = {{ distribution = "uniform", low = 0.0, high = 0.001 }}
"#
    )
}

fn tmp_file(name: &str, text: &str) -> String {
    crate::common::tmp_file("defi", name, text)
        .display()
        .to_string()
}

/// 1-based line of the first line of `text` starting with `prefix`.
fn line(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .expect("the line exists")
        + 1
}

#[test]
fn bad_configs_exit_2_naming_line_and_key() {
    let good = config(50, true, "capacity_per_hour = 0.05");
    let text = good.replace("volatility = 0.8", "volatility = -0.8");
    let path = tmp_file("vol.toml", &text);
    let at = format!("line {}", line(&text, "volatility"));
    fails_naming(
        &xtask(&["defi", "--config", &path]),
        &["vol.toml", &at, "assets[0].volatility"],
    );

    let text = good.replace("horizon_hours = 48.0", "horizon_hours = 48.0\nsped = 3");
    let path = tmp_file("unknown.toml", &text);
    let at = format!("line {}", line(&text, "sped"));
    fails_naming(&xtask(&["defi", "--config", &path]), &[&at, "sped"]);

    let text = good.replace("capacity_per_hour = 0.05", "capacity_per_hour = 0.0");
    let path = tmp_file("capacity.toml", &text);
    let at = format!("line {}", line(&text, "capacity_per_hour"));
    fails_naming(
        &xtask(&["defi", "--config", &path]),
        &[&at, "liquidation.capacity_per_hour"],
    );

    let text = good.replace(
        "correlation = [[1.0]]",
        "correlation = [[1.0, 0.5], [0.5, 1.0]]",
    );
    let path = tmp_file("corr.toml", &text);
    let at = format!("line {}", line(&text, "correlation"));
    fails_naming(
        &xtask(&["defi", "--config", &path]),
        &[&at, "market.correlation"],
    );

    let text = good.replace("ltv = 0.80", "ltv = 0.90");
    let path = tmp_file("ltv.toml", &text);
    let at = format!("line {}", line(&text, "liquidation_threshold"));
    fails_naming(
        &xtask(&["defi", "--config", &path]),
        &[&at, "assets[0].liquidation_threshold"],
    );

    fails_naming(
        &xtask(&["defi", "--config", "/nonexistent/defi.toml"]),
        &["cannot read"],
    );
}

#[test]
fn json_has_the_documented_keys() {
    let path = tmp_file("json.toml", &config(80, true, "capacity_per_hour = 0.05"));
    let v = json(&xtask(&[
        "defi", "--config", &path, "--json", "--paths", "8",
    ]));
    for key in [
        "schema_version",
        "paths",
        "seed",
        "steps",
        "step_hours",
        "horizon_hours",
        "oracle_delay_hours",
        "oracle_source",
        "bad_debt_accounting",
        "liquidators",
        "positions",
        "total_debt",
        "deposits",
        "shock_start_hour",
        "loss",
        "bad_debt",
        "open_shortfall",
        "depositor_loss",
        "depositor_loss_marked",
        "remaining_depositor_loss",
        "depositor_interest",
        "depositor_return",
        "mean_supply_rate",
        "liquidation_volume",
        "declined_liquidations",
        "cascade_rounds",
        "crash_days",
        "random_shocks",
        "hours_to_first_bad_debt",
        "hours_from_first_shock_to_loss",
        "paths_with_loss",
        "paths_with_loss_before_any_shock",
        "share_of_paths_without_bad_debt",
        "unmet_withdrawals",
        "share_of_paths_with_withdrawals",
        "series",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["paths"], 8);
    assert_eq!(v["positions"], 80);
    for key in [
        "n",
        "mean",
        "p50",
        "p95",
        "p99",
        "p999",
        "es999",
        "prob_positive",
        "tail_paths",
    ] {
        assert!(v["bad_debt"][key].is_number(), "bad_debt.{key}");
    }
    // Standard errors: numbers, but the expected shortfall's with fewer than two tail
    // paths (8 paths: one), which is null.
    for key in ["mean", "p50", "p95", "p99", "p999", "prob_positive"] {
        assert!(v["loss"]["se"][key].is_number(), "loss.se.{key}");
    }
    assert!(v["loss"]["se"]["es999"].is_null());
    assert_eq!(v["loss"]["tail_paths"], 1);
    let s = &v["series"];
    for key in [
        "path",
        "hour",
        "reference_price",
        "market_price",
        "oracle_price",
        "liquidations",
        "cascade_rounds",
        "cumulative_bad_debt",
        "deficit",
        "share_price",
        "utilization",
        "supply_rate",
        "gas_gwei",
        "withdrawals_wanted",
        "withdrawals_met",
    ] {
        assert!(s.get(key).is_some(), "missing series.{key}");
    }
    assert_eq!(s["hour"].as_array().unwrap().len(), 49);
    assert_eq!(s["market_price"][0].as_array().unwrap().len(), 49);
}

#[test]
fn scripted_crash_bad_debt_only_when_capacity_is_limited() {
    // No noise: the March-2020 shape alone, hourly steps.
    let unlimited = tmp_file("unlimited.toml", &config(300, false, ""));
    let v = json(&xtask(&[
        "defi", "--config", &unlimited, "--json", "--paths", "2",
    ]));
    assert_eq!(v["bad_debt"]["mean"], 0.0, "{}", v["bad_debt"]);
    assert!(v["liquidation_volume"]["mean"].as_f64().unwrap() > 0.0);
    assert!(v["hours_to_first_bad_debt"].is_null());
    assert_eq!(v["share_of_paths_without_bad_debt"], 1.0);
    let limited = tmp_file(
        "limited.toml",
        &config(300, false, "capacity_per_hour = 0.002"),
    );
    let v = json(&xtask(&[
        "defi", "--config", &limited, "--json", "--paths", "2",
    ]));
    assert!(
        v["bad_debt"]["mean"].as_f64().unwrap() > 0.0,
        "{}",
        v["bad_debt"]
    );
    assert_eq!(v["bad_debt"]["prob_positive"], 1.0);
    assert!(v["hours_to_first_bad_debt"]["p50"].as_f64().unwrap() > 0.0);
}

#[test]
fn identical_results_on_one_and_four_threads() {
    // Every random draw of the model: diffusion, own jumps, crash days, random shocks.
    let path = tmp_file(
        "threads.toml",
        &config_with_new_keys().replace("loans = 80", "loans = 200"),
    );
    let run = |threads: &str| {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["defi", "--config", &path, "--json", "--paths", "40"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("xtask runs")
    };
    let one = run("1");
    let four = run("4");
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(one.stdout, four.stdout);
    // And the table output runs too.
    let out = xtask(&["defi", "--config", &path, "--paths", "4"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("bad debt / debt"));
}

#[test]
fn the_threads_flag_changes_nothing_but_the_pool() {
    let path = tmp_file(
        "threads-flag.toml",
        &config(60, true, "capacity_per_hour = 0.05"),
    );
    let run = |threads: &str| {
        xtask(&[
            "defi",
            "--config",
            &path,
            "--json",
            "--paths",
            "12",
            "--threads",
            threads,
        ])
    };
    let (one, three) = (run("1"), run("3"));
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(one.stdout, three.stdout);
    // No thread at all is refused by the flag's parser, naming it.
    let zero = run("0");
    assert!(!zero.status.success());
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--threads"));
}

/// The small config with every new key: deficit accounting, the reference oracle, crash
/// days, a random shock, profit-driven liquidators with gas, runs on the deficit.
fn config_with_new_keys() -> String {
    config(80, true, "capacity_per_hour = 0.05")
        .replace(
            "initial_reserve = 0.0\n",
            "initial_reserve = 0.0\nbad_debt_accounting = \"deficit\"\n",
        )
        .replace(
            "jump_sd = 0.10\n",
            "jump_sd = 0.10\ncrash_jump_mean = -0.14\ncrash_jump_sd = 0.04\n",
        )
        .replace(
            "shock = \"march_2020\"\n",
            "shock = \"march_2020\"\noracle_source = \"reference\"\n\
             crash_days = { per_year = 50.0, correlation = [[1.0]] }\n\
             random_shock = { shape = \"march_2020\", per_year = 20.0 }\n",
        )
        .replace(
            "capacity_per_hour = 0.05\n",
            "capacity_per_hour = 0.05\nliquidators = \"profit\"\n\
             gas = { units = 600000.0, gwei = 13.0, peak_multiplier = 6.0, reference_fall = 0.4235, eth_price = 2000.0 }\n",
        )
        .replace("signal = \"bad_debt\"", "signal = \"deficit\"")
}

#[test]
fn the_new_keys_run_and_their_bad_values_name_file_line_and_key() {
    let good = config_with_new_keys();
    let path = tmp_file("new.toml", &good);
    let v = json(&xtask(&[
        "defi", "--config", &path, "--json", "--paths", "8",
    ]));
    assert_eq!(v["bad_debt_accounting"], "deficit");
    assert_eq!(v["oracle_source"], "reference");
    assert_eq!(v["liquidators"], "profit");
    assert!(v["crash_days"]["mean"].as_f64().unwrap() > 0.0);
    // Unknown keys, wrong types and values out of range, each at its line.
    for (name, from, to, line_of, key) in [
        (
            "unknown-crash.toml",
            "per_year = 50.0,",
            "per_year = 50.0, size = 2,",
            "crash_days",
            "size",
        ),
        (
            "unknown-gas.toml",
            "eth_price = 2000.0 }",
            "eth_price = 2000.0, tip = 1 }",
            "gas",
            "tip",
        ),
        (
            "type-horizon.toml",
            "horizon_hours = 48.0",
            "horizon_hours = \"two days\"",
            "horizon_hours",
            "horizon_hours",
        ),
        (
            "type-accounting.toml",
            "bad_debt_accounting = \"deficit\"",
            "bad_debt_accounting = \"haircut\"",
            "bad_debt_accounting",
            "haircut",
        ),
        (
            "type-oracle.toml",
            "oracle_source = \"reference\"",
            "oracle_source = 3",
            "oracle_source",
            "oracle_source",
        ),
        (
            "range-delay.toml",
            "oracle_delay_hours = 1.0",
            "oracle_delay_hours = 0.5",
            "oracle_delay_hours",
            "market.oracle_delay_hours",
        ),
        (
            "range-crash.toml",
            "per_year = 50.0,",
            "per_year = -5.0,",
            "crash_days",
            "market.crash_days.per_year",
        ),
        (
            "range-crash-sd.toml",
            "crash_jump_sd = 0.04",
            "crash_jump_sd = -0.04",
            "crash_jump_sd",
            "assets[0].crash_jump_sd",
        ),
        (
            "range-random.toml",
            "per_year = 20.0 }",
            "per_year = 5000.0 }",
            "random_shock",
            "market.random_shock.per_year",
        ),
        (
            "range-gas.toml",
            "reference_fall = 0.4235",
            "reference_fall = 2.0",
            "gas",
            "liquidation.gas.reference_fall",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        let text = good.replace(from, to);
        let path = tmp_file(name, &text);
        let at = format!("line {}", line(&text, line_of));
        fails_naming(&xtask(&["defi", "--config", &path]), &[name, &at, key]);
    }
    // Profit-driven liquidators without gas: the key that needs it is named.
    let text = good.replace(
        "gas = { units = 600000.0, gwei = 13.0, peak_multiplier = 6.0, reference_fall = 0.4235, eth_price = 2000.0 }\n",
        "",
    );
    let path = tmp_file("no-gas.toml", &text);
    let at = format!("line {}", line(&text, "liquidators"));
    fails_naming(
        &xtask(&["defi", "--config", &path]),
        &[&at, "liquidation.liquidators"],
    );
    // The old step counts are gone: unknown keys.
    let text = good.replace("horizon_hours = 48.0", "steps = 48");
    let path = tmp_file("old-steps.toml", &text);
    fails_naming(&xtask(&["defi", "--config", &path]), &["steps"]);
}

#[test]
fn the_default_year_and_the_march_2020_stress() {
    // The built-in default: a year of hourly steps, two assets; a few paths.
    let v = json(&xtask(&["defi", "--json", "--paths", "3"]));
    assert_eq!(v["schema_version"], 2);
    assert_eq!(
        (v["steps"].as_u64(), v["horizon_hours"].as_f64()),
        (Some(8760), Some(8760.0))
    );
    assert_eq!(v["series"]["reference_price"].as_array().unwrap().len(), 2);
    assert_eq!(v["series"]["hour"].as_array().unwrap().len(), 8761);
    // The stress file: 96 hours of 15-minute steps from the March-2020 shape.
    let stress = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/defi-march-2020.toml"
    );
    let v = json(&xtask(&[
        "defi", "--config", stress, "--json", "--paths", "3",
    ]));
    assert_eq!(
        (v["steps"].as_u64(), v["shock_start_hour"].as_f64()),
        (Some(384), Some(0.0))
    );
    assert_eq!(v["oracle_delay_hours"], 1.0);
    // The table names the new figures.
    let out = xtask(&["defi", "--config", stress, "--paths", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "loss / debt (booked + open)",
        "open shortfall",
        "loss of depositors left",
        "mean supply rate",
        "+-se",
        "rest on the worst",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}
