//! Command-line behaviour of `cargo xtask loss`: JSON fields present and consistent, bad
//! flags and files rejected with exit code 2 and a message naming the flag, line or column.

use crate::common::{fails_naming, json, xtask};

use std::path::PathBuf;

fn tmp_file(name: &str, text: &str) -> PathBuf {
    crate::common::tmp_file("loss", name, text)
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Expected loss of the standard book, from its definition.
fn standard_book_el(n: usize) -> f64 {
    const PD: [f64; 5] = [0.005, 0.01, 0.02, 0.05, 0.10];
    let (mut el, mut total) = (0.0, 0.0);
    for i in 0..n {
        let ead = 1.0 + (i % 7) as f64;
        el += ead * PD[i % 5] * 0.45;
        total += ead;
    }
    el / total
}

#[test]
fn mc_json_has_every_field_and_is_consistent() {
    let v = json(&xtask(&[
        "loss",
        "--book",
        "standard:500",
        "--method",
        "mc",
        "--rho",
        "0.2",
        "--scenarios",
        "50000",
        "--seed",
        "3",
        "--json",
    ]));
    let el = f(&v["expected_loss"]);
    let se = f(&v["expected_loss_std_error"]);
    let exact = standard_book_el(500);
    assert!((el - exact).abs() <= 4.0 * se, "EL {el} ± {se} vs {exact}");
    for level in ["0.99", "0.999", "0.9997"] {
        let var = f(&v["var"][level]);
        let es = f(&v["es"][level]);
        assert!(es >= var && var > el, "{level}: VaR {var}, ES {es}");
        assert!(f(&v["var_std_error"][level]) >= 0.0);
        assert!(f(&v["es_std_error"][level]) >= 0.0);
    }
    assert!(f(&v["var"]["0.999"]) >= f(&v["var"]["0.99"]));
    let tail = v["tail"].as_array().expect("tail is a list");
    assert_eq!(tail.len(), 3);
    assert!(f(&tail[0]["probability"]) >= f(&tail[1]["probability"]));
    let tranches = v["tranches"].as_array().expect("tranches is a list");
    assert_eq!(tranches.len(), 6);
    // Tranche notionals add up to the pool: sum of (D - A) EL_tranche = EL.
    let mut sum = 0.0;
    for t in tranches {
        let (a, d) = (f(&t["attach"]), f(&t["detach"]));
        sum += (d - a) * f(&t["expected_loss"]);
        assert!(f(&t["std_error"]) >= 0.0);
        assert!((0.0..=1.0).contains(&f(&t["default_probability"])));
    }
    assert!((sum - el).abs() < 1e-9, "{sum} vs {el}");
    assert_eq!(f(&tranches[0]["attach"]), 0.0);
}

#[test]
fn mc_agrees_with_the_exact_recursion() {
    let run = |method: &str| {
        json(&xtask(&[
            "loss",
            "--book",
            "standard:400",
            "--method",
            method,
            "--copula",
            "t:6",
            "--rho",
            "0.25",
            "--scenarios",
            "100000",
            "--seed",
            "9",
            "--json",
        ]))
    };
    let (exact, mc) = (run("exact"), run("mc"));
    assert!(exact.get("scenarios").is_none() && exact["tranches"][0].get("std_error").is_none());
    let close = |what: &str, a: f64, b: f64, se: f64| {
        assert!(
            (a - b).abs() <= 4.0 * se + 1e-9,
            "{what}: exact {a} vs mc {b} ± {se}"
        );
    };
    close(
        "EL",
        f(&exact["expected_loss"]),
        f(&mc["expected_loss"]),
        f(&mc["expected_loss_std_error"]),
    );
    for (a, b) in exact["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .zip(mc["tranches"].as_array().unwrap())
    {
        close(
            "tranche EL",
            f(&a["expected_loss"]),
            f(&b["expected_loss"]),
            f(&b["std_error"]),
        );
    }
}

#[test]
fn creditrisk_plus_takes_its_sectors_from_the_flags() {
    let csv = tmp_file(
        "sectors.csv",
        "ead,pd,lgd,sector\n1,0.04,1,0\n1,0.04,1,0\n2,0.02,1,1\n2,0.02,1,1\n",
    );
    let path = csv.to_str().unwrap();
    let v = json(&xtask(&[
        "loss",
        "--portfolio",
        path,
        "--method",
        "creditrisk+",
        "--sector-variance",
        "0.5625,0.5625",
        "--sector-correlation",
        "0.5",
        "--loss-unit",
        "0.1",
        "--json",
    ]));
    assert_eq!(v["method"], "creditrisk+");
    // Four obligors: the Poisson mass above the most they can lose (6.0) sits on that loss,
    // which moves the mean by about that mass (reported as the trimmed mass).
    let trimmed = f(&v["accuracy"]["trimmed_mass"]);
    assert!(trimmed > 0.0 && trimmed < 1e-3, "{trimmed}");
    assert!((f(&v["expected_loss"]) - 0.16 / 6.0).abs() < 2.0 * trimmed + 1e-12);
    assert!(v["accuracy"]["method"].as_str().unwrap().contains("Panjer"));
    let o = xtask(&[
        "loss",
        "--portfolio",
        path,
        "--method",
        "creditrisk+",
        "--sector-variance",
        "0.5,0.5,0.5",
        "--sector-correlation",
        "1.5",
    ]);
    fails_naming(&o, &["sector_correlation", "[-1, 1]"]);
}

#[test]
fn every_method_reports_the_same_expected_loss() {
    // lhp, exact, bet and creditrisk+ (banding keeps each loan's expected loss) preserve the
    // expected loss exactly; mc within 4 SE.
    let el = standard_book_el(300);
    for method in ["lhp", "exact", "bet", "mc", "creditrisk+"] {
        let v = json(&xtask(&[
            "loss",
            "--book",
            "standard:300",
            "--method",
            method,
            "--scenarios",
            "50000",
            "--json",
        ]));
        let tol = v
            .get("expected_loss_std_error")
            .map_or(1e-9, |se| 4.0 * f(se));
        assert!(
            (f(&v["expected_loss"]) - el).abs() <= tol,
            "{method}: {} vs {el}",
            v["expected_loss"]
        );
        assert_eq!(v["method"], method);
        assert_eq!(v["tranches"].as_array().unwrap().len(), 6);
        for level in ["0.99", "0.999", "0.9997"] {
            assert!(
                f(&v["var"][level]) <= f(&v["es"][level]) + 1e-12,
                "{method} {level}"
            );
        }
    }
}

#[test]
fn same_seed_same_json_whatever_the_threads() {
    let run = |threads: &str| {
        xtask(&[
            "loss",
            "--book",
            "standard:200",
            "--copula",
            "t:5",
            "--scenarios",
            "20000",
            "--threads",
            threads,
            "--json",
        ])
        .stdout
    };
    assert_eq!(run("1"), run("3"));
}

#[test]
fn mc_is_agrees_with_mc_on_the_tail() {
    let args = |method: &'static str| {
        vec![
            "loss",
            "--book",
            "standard:300",
            "--method",
            method,
            "--tail",
            "0.08",
            "--scenarios",
            "100000",
            "--json",
        ]
    };
    let mc = json(&xtask(&args("mc")));
    let is = json(&xtask(&args("mc-is")));
    let (a, b) = (&mc["tail"][0], &is["tail"][0]);
    let se = (f(&a["std_error"]).powi(2) + f(&b["std_error"]).powi(2)).sqrt();
    assert!(
        (f(&a["probability"]) - f(&b["probability"])).abs() <= 4.0 * se,
        "mc {a} vs mc-is {b}"
    );
    assert!(f(&b["variance_reduction"]) > 1.0, "{b}");
    assert!(a.get("variance_reduction").is_none());
}

#[test]
fn portfolio_csv_with_loadings_and_beta_lgd() {
    let mut text = String::from("ead,pd,lgd,lgd_sd,f1,f2\n");
    for i in 0..50 {
        text.push_str(&format!(
            "{},0.02,0.4,0.1,0.3,{}\n",
            1 + i % 3,
            0.1 * (i % 4) as f64
        ));
    }
    let path = tmp_file("book.csv", &text);
    let v = json(&xtask(&[
        "loss",
        "--portfolio",
        path.to_str().unwrap(),
        "--copula",
        "multi",
        "--scenarios",
        "20000",
        "--json",
    ]));
    let (el, se) = (f(&v["expected_loss"]), f(&v["expected_loss_std_error"]));
    assert!((el - 0.02 * 0.4).abs() <= 4.0 * se, "{el} ± {se}");
    assert_eq!(v["exposures"], 50);
}

#[test]
fn sector_correlation_matrix_file() {
    let mut text = String::from("ead,pd,lgd,sector\n");
    for i in 0..40 {
        text.push_str(&format!("1,0.03,0.5,{}\n", i % 2));
    }
    let book = tmp_file("sectors.csv", &text);
    let corr = tmp_file("corr.csv", "1,0.3\n0.3,1\n");
    let copula = format!("multi:{}", corr.display());
    let v = json(&xtask(&[
        "loss",
        "--portfolio",
        book.to_str().unwrap(),
        "--copula",
        &copula,
        "--rho",
        "0.2,0.3",
        "--scenarios",
        "20000",
        "--json",
    ]));
    let (el, se) = (f(&v["expected_loss"]), f(&v["expected_loss_std_error"]));
    assert!((el - 0.015).abs() <= 4.0 * se, "{el} ± {se}");
    // A sector absent from the matrix is refused.
    let bad = tmp_file("sector5.csv", "ead,pd,lgd,sector\n1,0.03,0.5,5\n");
    fails_naming(
        &xtask(&[
            "loss",
            "--portfolio",
            bad.to_str().unwrap(),
            "--copula",
            &copula,
        ]),
        &["sector 5"],
    );
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    fails_naming(&xtask(&["loss", "--rho", "1.5"]), &["--rho", "1.5"]);
    fails_naming(
        &xtask(&["loss", "--tranches", "0.03-0.01"]),
        &["--tranches", "0.03-0.01"],
    );
    fails_naming(&xtask(&["loss", "--tranches", "0-x"]), &["--tranches"]);
    fails_naming(&xtask(&["loss", "--tranches", "0.5"]), &["--tranches"]);
    fails_naming(&xtask(&["loss", "--copula", "frank:2"]), &["--copula"]);
    fails_naming(&xtask(&["loss", "--copula", "t:abc"]), &["--copula", "nu"]);
    fails_naming(&xtask(&["loss", "--copula", "double-t:1,5"]), &["nu_m"]);
    fails_naming(&xtask(&["loss", "--book", "standard:x"]), &["--book"]);
    fails_naming(&xtask(&["loss", "--method", "magic"]), &["--method"]);
    fails_naming(&xtask(&["loss", "--scenarios", "0"]), &["--scenarios"]);
    fails_naming(&xtask(&["loss", "--tail", "1.2"]), &["--tail"]);
    fails_naming(
        &xtask(&["loss", "--method", "mc-is", "--copula", "t:4"]),
        &["mc-is"],
    );
}

#[test]
fn bad_csv_rows_exit_2_naming_line_and_column() {
    let path = tmp_file("bad.csv", "ead,pd,lgd\n1,0.01,0.4\n2,abc,0.4\n");
    fails_naming(
        &xtask(&["loss", "--portfolio", path.to_str().unwrap()]),
        &["line 3", "column pd", "abc"],
    );
    let path = tmp_file("range.csv", "ead,pd,lgd\n1,0.01,1.4\n");
    fails_naming(
        &xtask(&["loss", "--portfolio", path.to_str().unwrap()]),
        &["line 2", "column lgd"],
    );
    let path = tmp_file("neg.csv", "ead,pd,lgd\n1,0.01,0.4\n-3,0.01,0.4\n");
    fails_naming(
        &xtask(&["loss", "--portfolio", path.to_str().unwrap()]),
        &["line 3", "column ead"],
    );
    let path = tmp_file("nolgd.csv", "ead,pd\n1,0.01\n");
    fails_naming(
        &xtask(&["loss", "--portfolio", path.to_str().unwrap()]),
        &["lgd"],
    );
    fails_naming(
        &xtask(&["loss", "--portfolio", "/nonexistent/book.csv"]),
        &["/nonexistent/book.csv"],
    );
}

#[test]
fn glasserman_li_book_with_importance_sampling() {
    let v = json(&xtask(&[
        "loss",
        "--book",
        "glasserman-li",
        "--copula",
        "multi",
        "--method",
        "mc-is",
        "--tail",
        "0.27",
        "--scenarios",
        "4000",
        "--json",
    ]));
    let t = &v["tail"][0];
    let (p, se) = (f(&t["probability"]), f(&t["std_error"]));
    assert!((3e-5..3e-4).contains(&p), "{t}");
    assert!(se / p < 0.05, "{t}");
    assert!(f(&t["variance_reduction"]) > 300.0, "{t}");
    assert_eq!(v["exposures"], 1000);
    assert_eq!(f(&v["total_exposure"]), 11_000.0);
}

#[test]
fn lhp_agrees_with_mc_on_a_large_homogeneous_pool() {
    let mut text = String::from("ead,pd,lgd\n");
    for _ in 0..20_000 {
        text.push_str("1,0.02,0.5\n");
    }
    let path = tmp_file("large.csv", &text);
    let run = |method: &str| {
        json(&xtask(&[
            "loss",
            "--portfolio",
            path.to_str().unwrap(),
            "--method",
            method,
            "--rho",
            "0.15",
            "--scenarios",
            "100000",
            "--json",
        ]))
    };
    let (lhp, mc) = (run("lhp"), run("mc"));
    assert!(lhp.get("expected_loss_std_error").is_none());
    assert!((f(&lhp["expected_loss"]) - 0.01).abs() < 1e-12);
    for (a, b) in lhp["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .zip(mc["tranches"].as_array().unwrap())
    {
        let se = f(&b["std_error"]);
        assert!(
            (f(&a["expected_loss"]) - f(&b["expected_loss"])).abs() <= 4.0 * se + 1e-4,
            "lhp {a} vs mc {b}"
        );
    }
}

#[test]
fn mc_is_never_prints_nan_variance_reduction() {
    let zero_pd = tmp_file("zero-pd.csv", "ead,pd,lgd\n1,0,0.5\n2,0,0.5\n3,0,0.5\n");
    let zero_lgd = tmp_file("zero-lgd.csv", "ead,pd,lgd\n1,0.05,0\n2,0.05,0\n3,0.05,0\n");
    for args in [
        vec![
            "--portfolio",
            zero_pd.to_str().unwrap(),
            "--scenarios",
            "2000",
        ],
        vec![
            "--portfolio",
            zero_lgd.to_str().unwrap(),
            "--scenarios",
            "2000",
        ],
        vec!["--book", "standard:100", "--scenarios", "1"],
    ] {
        let mut all = vec!["loss", "--method", "mc-is"];
        all.extend(&args);
        let out = xtask(&all);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !text.contains("NaN") && !text.contains("inf"),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("variance reduction not defined: zero variance"),
            "{text}"
        );
        all.push("--json");
        let v = json(&xtask(&all));
        for t in v["tail"].as_array().unwrap() {
            assert!(t.get("variance_reduction").is_none(), "{t}");
            assert!(t["probability"].is_number(), "{t}");
        }
    }
    fails_naming(&xtask(&["loss", "--scenarios", "0"]), &["scenarios"]);
}
