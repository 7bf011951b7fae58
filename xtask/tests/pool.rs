//! Command-line behaviour of the securitization tasks: `tranche`, `tranche-spread`, `ntd`,
//! `ssfa`.

use crate::common::{json, xtask};

/// Fails with exit code 2 and a message containing `needle`.
fn fails_naming(args: &[&str], needle: &str) {
    let out = xtask(args);
    assert_eq!(out.status.code(), Some(2), "{args:?} should exit 2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(needle),
        "{args:?}: {err:?} should name {needle:?}"
    );
}

/// QuantLib's tolerance for the Hull-White references: 1 bp or 4% relative.
fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1.0 || (got - want).abs() <= 0.04 * want
}

const HW: [&str; 12] = [
    "--hazard",
    "0.01",
    "--recovery",
    "0.4",
    "--maturity",
    "5",
    "--rate",
    "0.05",
    "--rho",
    "0.3",
    "--copula",
    "gaussian",
];

/// Hull and White (2004), QuantLib test-suite/cdo.cpp: 100 names, Gaussian copula 0.3.
#[test]
fn tranche_spread_reproduces_hull_white() {
    let mut args = vec!["tranche-spread", "--names", "100"];
    args.extend(HW);
    args.extend(["--tranches", "0-0.03,0.03-0.06,0.06-0.1,0.1-1", "--json"]);
    let v = json(&xtask(&args));
    let tranches = v["tranches"].as_array().expect("tranches");
    let want = [1487.0, 472.0, 203.0, 7.0];
    assert_eq!(tranches.len(), want.len());
    for (t, w) in tranches.iter().zip(want) {
        let got = t["fair_spread_bp"].as_f64().expect("fair_spread_bp");
        assert!(close(got, w), "{t}: {got} bp vs {w}");
    }
}

/// Hull and White (2004), QuantLib test-suite/nthtodefault.cpp: 10 names, Gaussian 0.3.
#[test]
fn ntd_reproduces_hull_white() {
    let mut args = vec!["ntd", "--names", "10"];
    args.extend(HW);
    args.push("--json");
    let v = json(&xtask(&args));
    let spreads = v["spreads_bp"].as_array().expect("spreads_bp");
    let want = [440.0, 139.0, 53.0, 21.0, 8.0, 3.0, 1.0, 0.0, 0.0, 0.0];
    assert_eq!(spreads.len(), want.len());
    for (k, (s, w)) in spreads.iter().zip(want).enumerate() {
        let got = s.as_f64().expect("number");
        assert!(close(got, w), "{}-th to default: {got} bp vs {w}", k + 1);
    }
}

/// Fatter-tailed copulas move spread from the equity to the senior tranche.
#[test]
fn tranche_spread_accepts_t_and_double_t() {
    let senior = |copula: &str| {
        let v = json(&xtask(&[
            "tranche-spread",
            "--names",
            "100",
            "--hazard",
            "0.01",
            "--recovery",
            "0.4",
            "--maturity",
            "5",
            "--rate",
            "0.05",
            "--rho",
            "0.3",
            "--copula",
            copula,
            "--tranches",
            "0.1-1",
            "--json",
        ]));
        v["tranches"][0]["fair_spread_bp"].as_f64().expect("spread")
    };
    let g = senior("gaussian");
    assert!(senior("t:5") > g);
    assert!(senior("double-t:4,4") > g);
}

/// SSFA by hand: KA 8%, tranche 10-20%, p = 1: RW = 12.5 (e^-1.5 - e^-0.25) / -1.25.
#[test]
fn ssfa_risk_weight_by_hand() {
    let v = json(&xtask(&[
        "ssfa", "--ka", "0.08", "--attach", "0.1", "--detach", "0.2", "--json",
    ]));
    let want = 12.5 * ((-1.5f64).exp() - (-0.25f64).exp()) / -1.25;
    let got = v["risk_weight"].as_f64().expect("risk_weight");
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    // A senior re-securitization tranche sits on the 100% floor.
    let v = json(&xtask(&[
        "ssfa", "--ka", "0.08", "--attach", "0.5", "--detach", "1", "--resec", "--json",
    ]));
    assert_eq!(v["risk_weight"].as_f64(), Some(1.0));
    // Below KA: 1250%.
    let v = json(&xtask(&[
        "ssfa", "--ka", "0.08", "--attach", "0", "--detach", "0.05", "--json",
    ]));
    assert_eq!(v["risk_weight"].as_f64(), Some(12.5));
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    fails_naming(
        &["ssfa", "--ka", "1.5", "--attach", "0.1", "--detach", "0.2"],
        "--ka",
    );
    fails_naming(
        &["ssfa", "--ka", "0.08", "--attach", "0.3", "--detach", "0.2"],
        "--attach",
    );
    fails_naming(&["ssfa", "--attach", "0.1", "--detach", "0.2"], "--ka");
    let mut args = vec!["ntd", "--names", "10"];
    args.extend(&HW[..10]);
    args.extend(["--copula", "clayton"]);
    fails_naming(&args, "--copula");
    let mut args = vec!["tranche-spread", "--names", "100"];
    args.extend(HW);
    args.extend(["--tranches", "0.1-0.05"]);
    fails_naming(&args, "--tranches");
    let mut args = vec!["tranche-spread", "--names", "100"];
    args.extend(["--hazard", "-0.01"]);
    args.extend(&HW[2..]);
    fails_naming(&args, "--hazard");
    let mut args = vec!["ntd", "--names", "10"];
    args.extend(&HW[..8]);
    args.extend(["--rho", "1.5"]);
    fails_naming(&args, "--rho");
}

fn deal_path() -> String {
    format!("{}/../scenarios/deal.toml", env!("CARGO_MANIFEST_DIR"))
}

/// The example deal: tranche figures are ordered by seniority and consistent.
#[test]
fn tranche_reads_the_example_deal() {
    let v = json(&xtask(&["tranche", "--deal", &deal_path(), "--json"]));
    let t = v["tranches"].as_array().expect("tranches");
    assert_eq!(t.len(), 3);
    for w in t.windows(2) {
        assert!(w[0]["expected_loss"].as_f64() > w[1]["expected_loss"].as_f64());
        assert!(w[0]["default_probability"].as_f64() >= w[1]["default_probability"].as_f64());
        assert!(w[0]["risk_weight"].as_f64() >= w[1]["risk_weight"].as_f64());
    }
    // Thickness-weighted tranche losses add up to the pool's expected loss, PD * LGD.
    let pool_el: f64 = t
        .iter()
        .map(|x| {
            x["expected_loss"].as_f64().unwrap()
                * (x["detach"].as_f64().unwrap() - x["attach"].as_f64().unwrap())
        })
        .sum();
    assert!((pool_el - 0.05 * 0.45).abs() < 1e-9, "{pool_el}");
    assert_eq!(t[0]["attach"].as_f64(), Some(0.0));
    assert!(t[2]["rating"].is_string());
    // Model risk: the senior tranche, AAA at the assumed PD and low correlation, falls
    // below investment grade under the deal's stresses.
    let senior = &v["stress"][2];
    assert_eq!(senior["base"]["rating"].as_str(), Some("AAA"));
    let stressed = senior["stressed"].as_array().expect("stressed");
    assert_eq!(stressed.len(), 2);
    for s in stressed {
        let r = s["rating"].as_str().expect("rating");
        assert!(matches!(r, "BB" | "B" | "CCC" | "D"), "{r}");
    }
}

/// Expected-loss ratings (Moody's style): on the built-in scale (LGD_ref = 1) no tranche is
/// rated worse by expected loss than by default probability; `--el-scale` loads a table.
#[test]
fn tranche_rates_by_expected_loss() {
    let v = json(&xtask(&["tranche", "--deal", &deal_path(), "--json"]));
    assert!(
        v["el_scale"].as_str().unwrap().contains("not Moody's"),
        "{}",
        v["el_scale"]
    );
    let rank = |g: &str| {
        ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D"]
            .iter()
            .position(|&x| x == g)
    };
    for t in v["tranches"].as_array().expect("tranches") {
        let by_el = rank(t["el_rating"].as_str().expect("el_rating")).expect("a grade");
        let by_pd = rank(t["rating"].as_str().unwrap()).unwrap();
        assert!(by_el <= by_pd, "{t}");
    }
    // The mezzanine, 5-15%, loses 12% of its notional when it loses: BB by P(loss) 0.041,
    // BBB by EL 0.005 over 5 years (BBB's bound there is 1 - 0.997^5 = 0.0149).
    assert_eq!(v["tranches"][1]["rating"].as_str(), Some("BB"));
    assert_eq!(v["tranches"][1]["el_rating"].as_str(), Some("BBB"));

    let dir = std::env::temp_dir().join(format!("creditlab-el-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let table = dir.join("el.toml");
    let text = "source = \"a test table\"\nhorizons = [1, 10]\n\
         [[grade]]\nname = \"AAA\"\nel = [0.000001, 0.00001]\n\
         [[grade]]\nname = \"AA\"\nel = [0.00001, 0.0001]\n\
         [[grade]]\nname = \"A\"\nel = [0.004, 0.008]\n\
         [[grade]]\nname = \"BBB\"\nel = [0.01, 0.03]\n\
         [[grade]]\nname = \"BB\"\nel = [0.05, 0.1]\n\
         [[grade]]\nname = \"B\"\nel = [0.2, 0.3]\n\
         [[grade]]\nname = \"CCC\"\nel = [0.5, 0.6]\n";
    std::fs::write(&table, text).unwrap();
    let path = table.to_str().unwrap();
    let v = json(&xtask(&[
        "tranche",
        "--deal",
        &deal_path(),
        "--el-scale",
        path,
        "--json",
    ]));
    assert_eq!(v["el_scale"].as_str(), Some("a test table"));
    // At 5 years (w = 4/9 between 1 and 10): A's bound 0.004^(5/9) 0.008^(4/9) = 0.00544 is
    // not exceeded by the mezzanine's 0.00505; the equity's 0.44 is under CCC's 0.54.
    let el = |i: usize| v["tranches"][i]["el_rating"].as_str().unwrap().to_string();
    assert_eq!([el(0), el(1), el(2)], ["CCC", "A", "AAA"]);
    // The same table as CSV gives the same ratings.
    let csv = dir.join("el.csv");
    std::fs::write(
        &csv,
        "# source: a test table\ngrade,1,10\nAAA,0.000001,0.00001\nAA,0.00001,0.0001\n\
         A,0.004,0.008\nBBB,0.01,0.03\nBB,0.05,0.1\nB,0.2,0.3\nCCC,0.5,0.6\n",
    )
    .unwrap();
    let c = json(&xtask(&[
        "tranche",
        "--deal",
        &deal_path(),
        "--el-scale",
        csv.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(c["el_scale"], v["el_scale"]);
    for i in 0..3 {
        assert_eq!(c["tranches"][i]["el_rating"], v["tranches"][i]["el_rating"]);
    }
    // A bound that falls with the horizon: the file, the line and the key.
    std::fs::write(&table, text.replace("[0.05, 0.1]", "[0.05, 0.04]")).unwrap();
    fails_naming(
        &["tranche", "--deal", &deal_path(), "--el-scale", path],
        &format!("{path}:17: grade \"BB\" el[1]: 0.04"),
    );
    fails_naming(
        &[
            "tranche",
            "--deal",
            &deal_path(),
            "--el-scale",
            "/nonexistent/el.toml",
        ],
        "/nonexistent/el.toml: cannot read",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The example waterfall conserves cash in every month and repays at most the balances.
#[test]
fn waterfall_runs_the_example_deal() {
    let v = json(&xtask(&["waterfall", "--deal", &deal_path(), "--json"]));
    let periods = v["periods"].as_array().expect("periods");
    assert!(!periods.is_empty());
    let sum = |x: &serde_json::Value| -> i64 {
        x.as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_i64().unwrap())
            .sum()
    };
    for p in periods {
        let paid = p["fees_paid"].as_i64().unwrap()
            + sum(&p["interest_paid"])
            + sum(&p["principal_paid"])
            + p["residual"].as_i64().unwrap();
        assert_eq!(
            p["collected"].as_i64().unwrap(),
            paid + p["reserve_change"].as_i64().unwrap()
        );
    }
    assert_eq!(v["notes"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_deals_exit_2_naming_the_problem() {
    let dir = std::env::temp_dir().join(format!("creditlab-pool-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gap = dir.join("gap.toml");
    std::fs::write(
        &gap,
        "[pool]\nnames = 10\npd = 0.1\nlgd = 0.5\nhorizon = 5\n[model]\nrho = 0.2\n\
         [[tranches]]\nname = \"E\"\nattach = 0.0\ndetach = 0.1\n\
         [[tranches]]\nname = \"S\"\nattach = 0.2\ndetach = 1.0\n",
    )
    .unwrap();
    fails_naming(&["tranche", "--deal", gap.to_str().unwrap()], "tranche S");
    let typo = dir.join("typo.toml");
    std::fs::write(&typo, "[pool]\nnamez = 10\n").unwrap();
    fails_naming(&["tranche", "--deal", typo.to_str().unwrap()], "namez");
    fails_naming(
        &["waterfall", "--deal", gap.to_str().unwrap()],
        "[waterfall]",
    );
    fails_naming(
        &["tranche", "--deal", "/nonexistent/deal.toml"],
        "cannot read",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Many scenarios: the junior note loses more, more often.
#[test]
fn waterfall_simulates_scenarios() {
    let v = json(&xtask(&[
        "waterfall",
        "--deal",
        &deal_path(),
        "--scenarios",
        "200",
        "--rho",
        "0.2",
        "--json",
    ]));
    let notes = v.as_array().expect("one entry per note");
    assert_eq!(notes.len(), 2);
    let el = |i: usize| notes[i]["expected_loss"].as_f64().unwrap();
    let pl = |i: usize| notes[i]["probability_of_loss"].as_f64().unwrap();
    assert!(el(1) > el(0) && pl(1) >= pl(0));
    fails_naming(
        &[
            "waterfall",
            "--deal",
            &deal_path(),
            "--scenarios",
            "10",
            "--rho",
            "2",
        ],
        "--rho",
    );
}

/// The example deal under SEC-IRBA (K_IRB = 8%, wholesale, N = 100, LGD 45%, M_T = 5).
#[test]
fn tranche_capital_under_sec_irba() {
    let text = std::fs::read_to_string(deal_path()).unwrap().replace(
        "resecuritization = false",
        "resecuritization = false\napproach = \"sec-irba\"",
    );
    let path = std::env::temp_dir().join(format!("creditlab-irba-{}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let irba = json(&xtask(&[
        "tranche",
        "--deal",
        path.to_str().unwrap(),
        "--json",
    ]));
    let sa = json(&xtask(&["tranche", "--deal", &deal_path(), "--json"]));
    let _ = std::fs::remove_file(&path);
    let rw = |v: &serde_json::Value, i: usize| v["tranches"][i]["risk_weight"].as_f64().unwrap();
    assert_eq!(rw(&irba, 0), 12.5);
    assert_eq!(rw(&irba, 2), 0.15);
    // Mezzanine 5-15% over K = 8%, non-senior granular wholesale:
    // p = 0.16 + 2.87/100 - 1.03*0.08 + 0.21*0.45 + 0.07*5 = 0.5508 < 1 (SEC-SA's p),
    // so SEC-IRBA charges the tranche less.
    assert!(rw(&irba, 1) < rw(&sa, 1));
}

/// `cdo2`: the CDO squared's senior note against the mezzanine tranches it is made of.
#[test]
fn cdo2_concentrates_correlation_risk_in_the_senior_note() {
    let v = json(&xtask(&[
        "cdo2",
        "--scenarios",
        "20000",
        "--rho",
        "0.05,0.3",
        "--json",
    ]));
    assert_eq!(v["params"]["pools"], 10);
    let by_rho = v["by_rho"].as_array().expect("by_rho");
    assert_eq!(by_rho.len(), 2);
    let pd = |r: &serde_json::Value, key: &str| {
        let note = if key == "senior" {
            &r["outer"][1]
        } else {
            &r[key]
        };
        note["default_probability"]
            .as_f64()
            .expect("default_probability")
    };
    let senior = pd(&by_rho[1], "senior") / pd(&by_rho[0], "senior");
    let mezz = pd(&by_rho[1], "single_mezzanine") / pd(&by_rho[0], "single_mezzanine");
    assert!(
        senior > 2.0 * mezz,
        "senior x{senior}, one mezzanine x{mezz}"
    );
    for r in by_rho {
        for key in ["single_mezzanine", "mezzanine_held_directly"] {
            for field in [
                "name",
                "attach",
                "detach",
                "expected_loss",
                "default_probability",
            ] {
                assert!(!r[key][field].is_null(), "{key}.{field}");
            }
            assert!(r[key]["rating"].is_string());
        }
        assert_eq!(r["outer"][1]["name"], "0.3-1");
    }
    fails_naming(&["cdo2", "--rho", "0.1,x"], "--rho");
    fails_naming(&["cdo2", "--rho", "0.1,1.5"], "rhos[1]");
    fails_naming(&["cdo2", "--tranches", "0-0.3,0.4-1"], "gap");
    fails_naming(&["cdo2", "--mezzanine", "0.08"], "--mezzanine");
    fails_naming(&["cdo2", "--pools", "0"], "pools");
}

fn segments_deal_path() -> String {
    format!(
        "{}/../scenarios/deal-segments.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A heterogeneous pool: the pool's expected loss is the EAD-weighted sum over the
/// segments, exactly, and the tranche losses add up to it.
#[test]
fn tranche_reads_a_pool_of_segments() {
    let v = json(&xtask(&[
        "tranche",
        "--deal",
        &segments_deal_path(),
        "--json",
    ]));
    // (60 * 1.0 * 0.03 * 0.40 + 40 * 2.5 * 0.08 * 0.50) / (60 * 1.0 + 40 * 2.5) = 0.0295
    let pool_el = v["pool_expected_loss"]
        .as_f64()
        .expect("pool_expected_loss");
    assert!((pool_el - 0.0295).abs() < 1e-9, "{pool_el}");
    let t = v["tranches"].as_array().expect("tranches");
    let sum: f64 = t
        .iter()
        .map(|x| {
            x["expected_loss"].as_f64().unwrap()
                * (x["detach"].as_f64().unwrap() - x["attach"].as_f64().unwrap())
        })
        .sum();
    assert!((sum - 0.0295).abs() < 1e-9, "{sum}");
    for x in t {
        assert!(x["risk_weight"].as_f64().unwrap() >= 0.15);
    }
    // The same deal by Monte Carlo agrees within a few standard errors.
    let dir = std::env::temp_dir().join(format!("creditlab-seg-mc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mc = dir.join("mc.toml");
    let text = std::fs::read_to_string(segments_deal_path()).unwrap();
    std::fs::write(&mc, text.replace("method = \"exact\"", "method = \"mc\"")).unwrap();
    let m = json(&xtask(&[
        "tranche",
        "--deal",
        mc.to_str().unwrap(),
        "--json",
    ]));
    let (e, s) = (
        m["tranches"][1]["expected_loss"].as_f64().unwrap(),
        m["tranches"][1]["expected_loss_std_error"]
            .as_f64()
            .unwrap(),
    );
    let exact = t[1]["expected_loss"].as_f64().unwrap();
    assert!(
        (e - exact).abs() < 5.0 * s + 1e-4,
        "mc {e} +- {s}, exact {exact}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bad segments: the message gives the file, the line and the key.
#[test]
fn bad_segments_name_line_and_key() {
    let dir = std::env::temp_dir().join(format!("creditlab-seg-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string(segments_deal_path()).unwrap();
    let line_of = |text: &str, needle: &str| {
        1 + text[..text.find(needle).expect(needle)]
            .matches('\n')
            .count()
    };
    let case = |name: &str, text: String, needle: String| {
        let path = dir.join(name);
        std::fs::write(&path, &text).unwrap();
        fails_naming(&["tranche", "--deal", path.to_str().unwrap()], &needle);
    };
    let t = good.replace("pd = 0.08", "pd = 1.08");
    let line = line_of(&t, "pd = 1.08");
    case(
        "pd.toml",
        t,
        format!("pd.toml, line {line}: pool.segments[1].pd = 1.08: must be in [0, 1]"),
    );
    let t = good.replace("ead = 2.5", "ead = -2.5");
    let line = line_of(&t, "ead = -2.5");
    case(
        "ead.toml",
        t,
        format!("ead.toml, line {line}: pool.segments[1].ead = -2.5"),
    );
    let t = good.replace("count = 60", "count = 0");
    let line = line_of(&t, "count = 0");
    case(
        "count.toml",
        t,
        format!("count.toml, line {line}: pool.segments[0].count = 0"),
    );
    let t = good.replace("lgd = 0.40", "lgd = 4.0");
    let line = line_of(&t, "lgd = 4.0");
    case(
        "lgd.toml",
        t,
        format!("lgd.toml, line {line}: pool.segments[0].lgd = 4"),
    );
    let t = good.replace("horizon = 5 ", "horizon = 5\nnames = 100 ");
    let line = line_of(&t, "names = 100");
    case(
        "both.toml",
        t,
        format!("both.toml, line {line}: pool.names"),
    );
    let t = good.replace("count = 40", "count = 40\ncuont = 1");
    case("typo.toml", t, "cuont".into());
    let t = good.replace("count = 40\n", "");
    case("missing.toml", t, "count".into());
    let t = good.replace("horizon = 5 ", "horizon = 0 ");
    let line = line_of(&t, "horizon = 0");
    case(
        "horizon.toml",
        t,
        format!("horizon.toml, line {line}: pool.horizon = 0"),
    );
    let t = good + "\n[[stress]]\npd = 0.1\nrho = 0.3\n";
    case("stress.toml", t, "[[stress]]".into());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--copula` reaches the waterfall's scenarios and the CDO squared's common factor: at the
/// same correlation the t copula's joint tail makes the senior notes lose more often; and
/// `--threads` changes no figure.
#[test]
fn waterfall_and_cdo2_take_a_copula_and_any_thread_count() {
    let deal = deal_path();
    let waterfall = |extra: &[&str]| {
        let mut args = vec![
            "waterfall",
            "--deal",
            &deal,
            "--scenarios",
            "400",
            "--rho",
            "0.2",
            "--json",
        ];
        args.extend(extra);
        xtask(&args)
    };
    let one = waterfall(&["--threads", "1"]);
    assert_eq!(one.stdout, waterfall(&["--threads", "2"]).stdout);
    assert_eq!(one.stdout, waterfall(&[]).stdout);
    let g = json(&one);
    let t = json(&waterfall(&["--copula", "t:4"]));
    let senior_pl = |v: &serde_json::Value| v[0]["probability_of_loss"].as_f64().unwrap();
    assert!(senior_pl(&t) > senior_pl(&g), "t {t} vs gaussian {g}");
    let multi = waterfall(&["--copula", "multi"]);
    assert_eq!(multi.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&multi.stderr).contains("--copula"));

    let cdo2 = |extra: &[&str]| {
        let mut args = vec!["cdo2", "--scenarios", "20000", "--rho", "0.05", "--json"];
        args.extend(extra);
        xtask(&args)
    };
    let one = cdo2(&["--threads", "1"]);
    assert_eq!(one.stdout, cdo2(&["--threads", "2"]).stdout);
    let g = json(&one);
    let t = json(&cdo2(&["--copula", "t:4"]));
    assert!(
        g["params"]["copula"].is_null(),
        "gaussian is the default, left out"
    );
    assert_eq!(t["params"]["copula"], "t:4");
    let senior = |v: &serde_json::Value| {
        v["by_rho"][0]["outer"][1]["default_probability"]
            .as_f64()
            .unwrap()
    };
    assert!(
        senior(&t) > senior(&g),
        "t {} vs gaussian {}",
        senior(&t),
        senior(&g)
    );
    fails_naming(&["cdo2", "--copula", "t:x"], "--copula");
    fails_naming(&["cdo2", "--threads", "0"], "--threads");
}
