//! Command-line behaviour of `cargo xtask scorecard`.

use crate::common::{fails_naming, json, tmp_file, xtask};

const TAPE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/german_credit.csv");
const MAPPING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scenarios/german-credit.toml"
);

#[test]
fn scorecard_json_has_the_documented_keys() {
    let v = json(&xtask(&[
        "scorecard",
        "--tape",
        TAPE,
        "--mapping",
        MAPPING,
        "--json",
        "--seed",
        "1",
        "--folds",
        "5",
    ]));
    for key in [
        "variables",
        "coefficients",
        "auc_train",
        "auc_test",
        "ks_test",
        "factor_sets",
    ] {
        assert!(v.get(key).is_some(), "missing `{key}`");
    }
    let vars = v["variables"].as_array().unwrap();
    assert_eq!(vars.len(), 20);
    for var in vars {
        assert!(var["name"].is_string() && var["iv"].is_number() && var["bins"].is_array());
    }
    assert_eq!(v["coefficients"][0]["name"], "intercept");
    let sets = v["factor_sets"]["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 3);
    assert_eq!(v["factor_sets"]["differences"].as_array().unwrap().len(), 3);
    let auc = v["auc_test"].as_f64().unwrap();
    assert!(auc > 0.7 && auc < 0.9, "{auc}");
}

#[test]
fn scorecard_prints_tables() {
    let out = xtask(&["scorecard", "--tape", TAPE, "--mapping", MAPPING]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "IV",
        "WoE",
        "std error",
        "points",
        "DeLong",
        "anonymous_lender",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
}

#[test]
fn scorecard_errors_name_file_line_and_column() {
    let mapping = tmp_file(
        "scorecard",
        "m.toml",
        "[outcome]\ncolumn = \"y\"\nbad = \"1\"\n[columns]\nx = { kind = \"numeric\", group = \"cash_flow\" }\n",
    );
    let tape = tmp_file("scorecard", "t.csv", "x,y\n1,0\nabc,1\n");
    let out = xtask(&[
        "scorecard",
        "--tape",
        tape.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
    ]);
    fails_naming(
        &out,
        &["t.csv", "line 3", "column `x`", "not a finite number"],
    );
    let bad_mapping = tmp_file(
        "scorecard",
        "bad.toml",
        "[outcome]\ncolumn = \"y\"\nbad = \"1\"\n[columns]\nx = { kind = \"nums\" }\n",
    );
    let out = xtask(&[
        "scorecard",
        "--tape",
        tape.to_str().unwrap(),
        "--mapping",
        bad_mapping.to_str().unwrap(),
    ]);
    fails_naming(&out, &["bad.toml", "line 5", "columns.x.kind"]);
    let out = xtask(&[
        "scorecard",
        "--tape",
        TAPE,
        "--mapping",
        MAPPING,
        "--folds",
        "1",
    ]);
    fails_naming(&out, &["--folds"]);
}
