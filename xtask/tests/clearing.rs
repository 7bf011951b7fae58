//! Command-line behaviour of `cargo xtask clearing`: the reference network of
//! scenarios/clearing-example.json reproduced, bad files rejected with exit code 2 and a
//! message naming the field or entry.

use crate::common::{fails_naming, xtask};

use std::path::PathBuf;

fn example() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/clearing-example.json")
        .display()
        .to_string()
}

fn tmp_file(name: &str, text: &str) -> String {
    crate::common::tmp_file("clearing", name, text)
        .display()
        .to_string()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

#[test]
fn reference_network_json() {
    let out = xtask(&["clearing", "--network", &example(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    for (got, want) in floats(&v["payments"]).iter().zip([20.0, 21.0, 10.0]) {
        assert!((got - want).abs() < 5e-5, "payments: {got} vs {want}");
    }
    for (got, want) in floats(&v["equity"]).iter().zip([-1.0, 0.8095, 2.0]) {
        assert!((got - want).abs() < 5e-5, "equity: {got} vs {want}");
    }
    assert_eq!(v["defaulted"], serde_json::json!([0]));
    assert_eq!(v["rounds"], serde_json::json!(1));
    assert_eq!(v["defaults_by_round"], serde_json::json!([[0]]));
    assert_eq!(floats(&v["total_obligations"]), vec![21.0, 21.0, 10.0]);
}

#[test]
fn reference_network_table() {
    let out = xtask(&["clearing", "--network", &example()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("20.0000"), "{text}");
    assert!(text.contains("0.8095"), "{text}");
    assert!(text.contains("1 of 3 institutions in default"), "{text}");
}

#[test]
fn bad_files_exit_2_naming_the_field() {
    let missing = tmp_file(
        "missing.json",
        r#"{"liabilities": [[0, 1], [0, 0]], "external_assets": [1, 1]}"#,
    );
    fails_naming(
        &xtask(&["clearing", "--network", &missing]),
        &["external_liabilities"],
    );
    let negative = tmp_file(
        "negative.json",
        r#"{"liabilities": [[0, -1], [0, 0]], "external_assets": [1, 1], "external_liabilities": [0, 0]}"#,
    );
    fails_naming(
        &xtask(&["clearing", "--network", &negative]),
        &["liabilities[0][1]"],
    );
    let text = tmp_file(
        "text.json",
        r#"{"liabilities": [[0, 1], [0, 0]], "external_assets": [1, "x"], "external_liabilities": [0, 0]}"#,
    );
    fails_naming(
        &xtask(&["clearing", "--network", &text]),
        &["external_assets[1]"],
    );
    let short = tmp_file(
        "short.json",
        r#"{"liabilities": [[0, 1], [0, 0]], "external_assets": [1], "external_liabilities": [0, 0]}"#,
    );
    fails_naming(
        &xtask(&["clearing", "--network", &short]),
        &["external_assets"],
    );
    let broken = tmp_file("broken.json", "{");
    fails_naming(
        &xtask(&["clearing", "--network", &broken]),
        &["not valid JSON"],
    );
    fails_naming(
        &xtask(&["clearing", "--network", "/nonexistent/net.json"]),
        &["--network", "cannot read"],
    );
}
