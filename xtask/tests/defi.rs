//! Command-line behaviour of `cargo xtask defi`: bad configs rejected with exit code 2 and
//! a message naming the line and the key, the documented `--json` keys, a scripted crash
//! that leaves bad debt only when liquidation capacity is limited, and results that are
//! bit-identical whatever the number of threads.

mod common;

use common::{fails_naming, json, xtask};

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
    common::tmp_file("defi", name, text).display().to_string()
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
        "paths",
        "seed",
        "steps",
        "step_hours",
        "positions",
        "total_debt",
        "deposits",
        "shock_start_hour",
        "bad_debt",
        "depositor_loss",
        "liquidation_volume",
        "cascade_rounds",
        "hours_to_first_bad_debt",
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
        "mean",
        "p50",
        "p95",
        "p99",
        "p999",
        "es999",
        "prob_positive",
    ] {
        assert!(v["bad_debt"][key].is_number(), "bad_debt.{key}");
    }
    let s = &v["series"];
    for key in [
        "path",
        "hour",
        "market_price",
        "oracle_price",
        "liquidations",
        "cascade_rounds",
        "cumulative_bad_debt",
        "share_price",
        "utilization",
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
    let path = tmp_file(
        "threads.toml",
        &config(200, true, "capacity_per_hour = 0.01"),
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
