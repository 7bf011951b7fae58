//! `cargo xtask sweep`: a grid of quick studies, its table and charts, and bad parameters.

use crate::common::xtask;
use std::path::Path;

#[test]
fn a_correlation_sweep_raises_the_tail_and_writes_table_and_charts() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-rho");
    let _ = std::fs::remove_dir_all(&out);
    let o = xtask(&[
        "sweep",
        "--quick",
        "--quiet",
        "--param",
        "loss.bank_rho=0.05:0.25:0.1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "loss.bank_rho");
    let col = header.iter().position(|h| *h == "bank.var_999").unwrap();
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows.iter().map(|r| r[0]).collect::<Vec<_>>(),
        [0.05, 0.15, 0.25]
    );
    // More correlation, a fatter tail (same book, same PDs).
    assert!(rows[0][col] < rows[1][col] && rows[1][col] < rows[2][col]);
    assert!(out.join("charts/sweep-bank-var_999.svg").exists());
    let html = std::fs::read_to_string(out.join("sweep.html")).unwrap();
    assert!(html.contains("chart-sweep-bank-var_999"));
}

#[test]
fn bad_parameters_exit_2_naming_the_key() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-bad");
    for (param, wanted) in [
        ("loss.no_such_key=0:1:0.5", "loss.no_such_key"),
        ("loss.method=0:1:0.5", "not a number"),
        ("loss.bank_rho=0.5:1.5:0.5", "loss.bank_rho"),
        ("books.loans=10.5,20", "integer"),
        ("loss.bank_rho=1:0:0.1", "below"),
    ] {
        let o = xtask(&[
            "sweep",
            "--quick",
            "--quiet",
            "--param",
            param,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{param}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(wanted), "{param}: {err}");
        assert!(!out.exists(), "{param}: nothing is written");
    }
}
