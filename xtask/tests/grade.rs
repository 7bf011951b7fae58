//! Command-line behaviour of `cargo xtask irb` and `cargo xtask grade`.

use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON on stdout")
}

/// Basel II Annex 5, corporate, LGD 45%, M = 2.5: risk weights in percent.
#[test]
fn irb_corporate_reproduces_basel_annex5() {
    for (pd, rw) in [
        ("0.0003", 14.44),
        ("0.001", 29.65),
        ("0.01", 92.32),
        ("0.03", 128.44),
    ] {
        let v = json(&xtask(&[
            "irb",
            "--class",
            "corporate",
            "--pd",
            pd,
            "--lgd",
            "0.45",
            "--maturity",
            "2.5",
            "--json",
        ]));
        let got = 100.0 * v["risk_weight"].as_f64().unwrap();
        assert!((got - rw).abs() <= 0.01, "PD {pd}: {got} vs {rw}");
        let k = v["k"].as_f64().unwrap();
        assert!((12.5 * k * 100.0 - got).abs() < 1e-9);
    }
}

#[test]
fn irb_retail_and_sme_reproduce_basel_annex5_at_one_percent() {
    for (class, rw) in [
        ("sme:5", 72.40),
        ("mortgage", 56.40),
        ("qrre", 17.22),
        ("other-retail", 45.77),
    ] {
        let v = json(&xtask(&[
            "irb", "--class", class, "--pd", "0.01", "--lgd", "0.45", "--json",
        ]));
        let got = 100.0 * v["risk_weight"].as_f64().unwrap();
        assert!((got - rw).abs() <= 0.01, "{class}: {got} vs {rw}");
    }
}

#[test]
fn irb_bad_input_exits_2_naming_the_flag() {
    for (args, flag) in [
        (vec!["--pd", "1.5", "--lgd", "0.45"], "--pd"),
        (vec!["--pd", "abc", "--lgd", "0.45"], "--pd"),
        (vec!["--pd", "0.01", "--lgd", "-0.1"], "--lgd"),
        (
            vec!["--pd", "0.01", "--lgd", "0.45", "--maturity", "0"],
            "--maturity",
        ),
    ] {
        let mut all = vec!["irb", "--class", "corporate"];
        all.extend(args);
        let out = xtask(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{all:?}: {err}");
    }
    let out = xtask(&["irb", "--class", "junk", "--pd", "0.01", "--lgd", "0.45"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--class"));
}
