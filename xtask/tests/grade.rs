//! Command-line behaviour of `cargo xtask irb` and `cargo xtask grade`.

use crate::common::{json, xtask};

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

fn grade_summary(book: &str) -> serde_json::Value {
    let v = json(&xtask(&[
        "grade", "--book", book, "--loans", "3000", "--seed", "7", "--json",
    ]));
    assert_eq!(v["loans"].as_array().unwrap().len(), 3000);
    v
}

#[test]
fn grade_defi_book_grades_below_the_bank_book() {
    let bank = grade_summary("bank");
    let defi = grade_summary("defi");
    let rank = |v: &serde_json::Value| v["summary"]["mean_grade_rank"].as_f64().unwrap();
    assert!(
        rank(&defi) > rank(&bank),
        "{} vs {}",
        rank(&defi),
        rank(&bank)
    );
    // Every DeFi loan misses the three borrower-side factors; no bank loan misses any.
    let missing = |v: &serde_json::Value| {
        v["loans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["missing_factors"].as_array().unwrap().len())
            .collect::<Vec<_>>()
    };
    assert!(missing(&defi).iter().all(|&m| m == 3));
    assert!(missing(&bank).iter().all(|&m| m == 0));
    // The bank book's outcomes are observed: withholding the borrower side loses
    // discriminatory power.
    let v = &bank["validation"];
    let auc = |k: &str| v[k]["auc"].as_f64().unwrap();
    assert!(auc("full_information") > auc("borrower_side_withheld") + 0.03);
    // Per-loan identities: EL = PD × LGD × EAD, grade from the conservative PD.
    for l in bank["loans"].as_array().unwrap().iter().take(50) {
        let f = |k: &str| l[k].as_f64().unwrap();
        assert!((f("el_one_year") - f("pd") * f("lgd") * f("ead")).abs() < 1e-6 * f("ead"));
        assert!(f("pd_lower") <= f("pd") && f("pd") <= f("pd_conservative") + 1e-15);
    }
}

#[test]
fn grade_text_output_has_a_grade_table_and_validation() {
    let out = xtask(&["grade", "--book", "bank", "--loans", "500", "--seed", "3"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["grade", "IRB capital", "AUC", "borrower side withheld"] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn grade_bad_input_exits_2_with_a_message() {
    for (args, needle) in [
        (vec!["grade", "--book", "bank", "--loans", "0"], "--loans"),
        (vec!["grade", "--book", "savings"], "--book"),
        (
            vec!["grade", "--book", "bank", "--quantile", "1.5"],
            "--quantile",
        ),
        (vec!["grade"], "--tape"),
        (vec!["grade", "--tape", "/nonexistent/tape.csv"], "tape.csv"),
        (
            vec!["grade", "--book", "defi", "--loans", "200", "--fit"],
            "--fit",
        ),
        (
            vec!["grade", "--book", "bank", "--total-principal", "0"],
            "--total-principal",
        ),
    ] {
        let out = xtask(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn grade_fit_on_a_bank_tape_round_trip() {
    let dir = std::env::temp_dir().join(format!("creditlab-grade-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tape = dir.join("bank.csv");
    let book = creditlab_loan::synthetic::bank_book(&creditlab_loan::synthetic::BookSpec {
        loans: 4000,
        total_principal: None,
        seed: 11,
    })
    .unwrap();
    creditlab_loan::save_tape(&tape, book.records()).unwrap();
    let v = json(&xtask(&[
        "grade",
        "--tape",
        tape.to_str().unwrap(),
        "--fit",
        "--json",
    ]));
    let fit = v["fit"].as_array().unwrap();
    assert_eq!(fit[0]["column"], "intercept");
    assert!(
        fit.iter()
            .all(|c| c["standard_error"].as_f64().unwrap() > 0.0)
    );
    assert_eq!(v["loans"].as_array().unwrap().len(), 4000);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn grade_tape_without_outcomes_validates_only_on_request() {
    let dir = std::env::temp_dir().join(format!("creditlab-grade-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tape = dir.join("bank.jsonl");
    let book = creditlab_loan::synthetic::bank_book(&creditlab_loan::synthetic::BookSpec {
        loans: 2000,
        total_principal: None,
        seed: 5,
    })
    .unwrap();
    let unlabelled: Vec<creditlab_loan::LoanRecord> = book
        .records()
        .iter()
        .map(|r| creditlab_loan::LoanRecord {
            defaulted: None,
            ..r.clone()
        })
        .collect();
    creditlab_loan::save_tape(&tape, &unlabelled).unwrap();
    let path = tape.to_str().unwrap();
    let plain = json(&xtask(&["grade", "--tape", path, "--json"]));
    assert!(plain["validation"].is_null());
    let sim = json(&xtask(&[
        "grade",
        "--tape",
        path,
        "--simulate-outcomes",
        "--seed",
        "9",
        "--json",
    ]));
    let v = &sim["validation"];
    assert!(v["outcomes"].as_str().unwrap().contains("simulated"));
    assert!(
        v["full_information"]["auc"].as_f64().unwrap()
            > v["borrower_side_withheld"]["auc"].as_f64().unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn grade_defi_book_fits_the_collateral_only_model_out_of_sample() {
    let v = grade_summary("defi");
    let c = &v["collateral_model"];
    assert!(v["collateral_model_skipped"].is_null());
    let n = |k: &str| c[k].as_u64().unwrap();
    assert_eq!(n("fit_loans") + n("test_loans"), 3000);
    assert_eq!(c["split_seed"], 7);
    assert_eq!(c["fit"][0]["column"], "intercept");
    let own = &c["collateral_model"];
    let bank = &c["bank_scorecard"];
    let f = |m: &serde_json::Value, k: &str| m[k].as_f64().unwrap();
    // The estimation-uncertainty bound is above the point PD and labelled apart from the
    // population spread of the bank scorecard's posterior.
    assert!(f(own, "mean_pd_conservative") > f(own, "mean_pd"));
    assert!(own["conservative"].as_str().unwrap().contains("estimation"));
    assert!(
        bank["conservative"]
            .as_str()
            .unwrap()
            .contains("population")
    );
    for m in [own, bank] {
        let t = &m["calibration"];
        assert_eq!(t["loans"].as_u64().unwrap(), n("test_loans"));
        assert_eq!(t["method"], "exact-poisson-binomial");
        let p = t["p_value"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert!(f(m, "auc") > 0.0 && f(m, "auc") < 1.0);
    }
    // Each book's graded PD against its realised default rate, with the count test.
    let cal = &v["validation"]["full_information"]["calibration"];
    assert_eq!(cal["loans"], 3000);
    assert!(cal["p_value"].as_f64().is_some());
    // The bank book has no liquidation thresholds: no collateral-only model, and it says
    // why.
    let bank_book = grade_summary("bank");
    assert!(bank_book["collateral_model"].is_null());
    assert!(
        bank_book["collateral_model_skipped"]
            .as_str()
            .unwrap()
            .contains("liquidation threshold")
    );
    // Its mortgages report the collateral LGD, the recourse recovery and the net LGD.
    let s = &bank_book["summary"];
    let g = |k: &str| s[k].as_f64().unwrap();
    assert!(g("mean_recourse_recovery") > 0.0);
    assert!(
        (g("mean_lgd") - (g("mean_collateral_lgd") - g("mean_recourse_recovery"))).abs() < 1e-12
    );
}

#[test]
fn grade_defi_text_output_shows_the_collateral_only_model() {
    let out = xtask(&["grade", "--book", "defi", "--loans", "3000", "--seed", "5"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "collateral-only model: fitted on",
        "bank scorecard",
        "count test p",
        "estimation uncertainty",
        "population spread",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}
