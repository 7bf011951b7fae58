//! `cargo xtask cashflows` end to end: the BMA Cash Flow A figures through the JSON
//! output, tapes, and exit code 2 with a message naming the flag, row or column.

use creditlab_loan::tape::{TapeFormat, write_tape};
use creditlab_loan::{
    Amortization, Borrower, Channel, Collateral, CollateralKind, Loan, LoanId, LoanRecord, Rate,
    Recourse,
};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("cashflows")
        .args(args)
        .output()
        .expect("run xtask")
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = xtask(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn at(v: &Value, key: &str, month: usize) -> f64 {
    v[key][month - 1]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}[{month}]"))
}

fn close(a: f64, b: f64, eps: f64) {
    assert!((a - b).abs() <= eps, "{a} != {b} (±{eps})");
}

const BMA: [&str; 9] = [
    "--balance",
    "100000000",
    "--coupon",
    "0.08",
    "--term",
    "360",
    "--smm",
    "0.01",
    "--advancing",
];

#[test]
fn bma_cash_flow_a_through_json() {
    let mut args = BMA.to_vec();
    args.extend(["--mdr", "0.01", "--recovery-lag", "12", "--severity", "0.2"]);
    let v = json(&args);
    close(
        v["source"]["pool"]["level_payment"].as_f64().unwrap(),
        733_764.57,
        0.005,
    );
    assert_eq!(v["months"], 360);
    close(at(&v, "defaults", 1), 1_000_000.0, 0.5);
    close(at(&v, "prepayments", 1), 999_329.0, 0.5);
    close(at(&v, "scheduled_principal", 1), 66_427.0, 0.5);
    close(at(&v, "interest", 1), 660_000.0, 0.5);
    close(at(&v, "balance", 1), 97_934_244.0, 0.5);
    close(at(&v, "recoveries", 13), 791_646.0, 0.5);
    close(at(&v, "losses", 13), 200_000.0, 0.5);
    let t = &v["totals"];
    let f = |k: &str| t[k].as_f64().unwrap();
    close(
        f("scheduled_principal") + f("prepayments") + f("defaults"),
        1.0e8,
        0.005,
    );
    close(
        f("defaults"),
        f("advanced_principal") + f("recoveries") + f("losses"),
        0.005,
    );
}

#[test]
fn months_limits_the_vectors_but_not_the_totals() {
    let mut args = BMA.to_vec();
    args.extend(["--months", "3"]);
    let v = json(&args);
    assert_eq!(v["balance"].as_array().unwrap().len(), 3);
    assert_eq!(v["months"], 360);
    let t = &v["totals"];
    close(
        t["scheduled_principal"].as_f64().unwrap() + t["prepayments"].as_f64().unwrap(),
        1.0e8,
        0.005,
    );
}

#[test]
fn table_output_lists_months() {
    let out = xtask(&["--psa", "150", "--sda", "100", "--months", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("sched principal"));
    assert!(text.lines().any(|l| l.trim_start().starts_with("2 ")));
    assert!(text.contains("total"));
}

#[test]
fn bad_value_exits_2_naming_the_flag() {
    for (args, flag) in [
        (vec!["--smm", "1.5"], "--smm"),
        (vec!["--cdr", "-0.1"], "--cdr"),
        (vec!["--severity", "2"], "--severity"),
        (vec!["--balance", "-5"], "--balance"),
        (vec!["--term", "0"], "--term"),
    ] {
        let out = xtask(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn exclusive_flags_are_rejected() {
    for args in [
        vec!["--smm", "0.01", "--cpr", "0.1"],
        vec!["--mdr", "0.01", "--sda", "100"],
        vec!["--tape", "x.csv", "--balance", "5"],
        vec!["--smm", "abc"],
    ] {
        let out = xtask(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn loan_record(id: u64) -> LoanRecord {
    LoanRecord::new(
        Loan::new(
            LoanId(id),
            10_000_000.0,
            Rate::Fixed { annual: 0.08 },
            360,
            Amortization::LevelPayment,
            Channel::BankUnderwritten,
            Recourse::Full,
        )
        .unwrap(),
        Borrower::new(Some(700), Some(1.0e6), Some(3.0e5)).unwrap(),
        Collateral::new(CollateralKind::ResidentialProperty, 1.25e7, 0.1, 0.25).unwrap(),
    )
}

#[test]
fn tape_of_ten_identical_loans_matches_the_pool() {
    let records: Vec<_> = (1..=10).map(loan_record).collect();
    let assumptions = ["--psa", "150", "--sda", "100", "--advancing"];
    let pool = json(&assumptions);
    for (name, format) in [
        ("ten.csv", TapeFormat::Csv),
        ("ten.jsonl", TapeFormat::JsonLines),
    ] {
        let path = tmp(name);
        let bytes = write_tape(Vec::new(), format, &records).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let mut args = assumptions.to_vec();
        args.extend(["--tape", path.to_str().unwrap()]);
        let tape = json(&args);
        assert_eq!(tape["source"]["tape"]["loans"], 10);
        for key in [
            "scheduled_principal",
            "prepayments",
            "defaults",
            "recoveries",
            "losses",
            "interest",
        ] {
            close(
                tape["totals"][key].as_f64().unwrap(),
                pool["totals"][key].as_f64().unwrap(),
                1e-3,
            );
        }
    }
}

#[test]
fn malformed_tape_exits_2_naming_row_and_column() {
    let path = tmp("bad.csv");
    let mut bytes = write_tape(Vec::new(), TapeFormat::Csv, &[loan_record(1)]).unwrap();
    bytes.extend_from_slice(
        // 21 fields: the tape's columns since collateral_asset and liquidation_threshold.
        b"2,lots,fixed,0.08,,,360,level_payment,,bank_underwritten,full,,,,unsecured,0,0,0,,,\n",
    );
    std::fs::write(&path, bytes).unwrap();
    let out = xtask(&["--tape", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("principal"), "{err}");
    assert!(err.contains("bad.csv"), "{err}");
}

#[test]
fn unknown_tape_extension_exits_2() {
    let out = xtask(&["--tape", "loans.xlsx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("extension"));
}
