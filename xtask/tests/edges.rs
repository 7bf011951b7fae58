//! Issue 19's findings at the command line, each test named after one: nothing silently
//! ignored, no inf or NaN printed, every message naming the file.

use crate::common::{fails_naming, json, tmp_file, xtask};

const TAPE_HEADER: &str = "id,principal,rate_type,rate,index_rate,spread,term_months,\
     amortization,balloon_month,channel,recourse,credit_score,income,debt_service,\
     collateral_kind,collateral_value,collateral_volatility,liquidation_haircut,\
     collateral_asset,liquidation_threshold,defaulted";

fn tape_row(id: u64, principal: &str) -> String {
    format!(
        "{id},{principal},fixed,0.08,,,360,level_payment,,bank_underwritten,full,700,100000,\
         30000,unsecured,0,0,0,,,"
    )
}

fn tape(name: &str, rows: &[String]) -> String {
    let text = format!("{TAPE_HEADER}\n{}\n", rows.join("\n"));
    tmp_file("edges", name, &text).display().to_string()
}

#[test]
fn principals_of_1e308_are_refused_not_printed_as_inf() {
    let path = tape("huge.csv", &[tape_row(1, "1e308"), tape_row(2, "1e308")]);
    for args in [
        vec!["cashflows", "--tape", &path],
        vec!["grade", "--tape", &path, "--json"],
    ] {
        let out = xtask(&args);
        fails_naming(&out, &[&path, "line 2", "principal", "1e15"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("inf") && !text.contains("null"), "{text}");
    }
}

#[test]
fn duplicate_loan_ids_are_refused_with_file_and_line() {
    let path = tape("dup.csv", &[tape_row(7, "1000"), tape_row(7, "2000")]);
    for task in ["cashflows", "grade"] {
        let out = xtask(&[task, "--tape", &path]);
        fails_naming(
            &out,
            &[&path, "line 3", "duplicate loan id 7", "first on line 2"],
        );
    }
}

#[test]
fn tape_header_errors_name_the_file_and_suggest_the_column() {
    let path = tmp_file("edges", "header.csv", "id,principal,rate_typ\n")
        .display()
        .to_string();
    for task in ["cashflows", "grade"] {
        let out = xtask(&[task, "--tape", &path]);
        fails_naming(
            &out,
            &[&path, "line 1", "rate_typ", "did you mean `rate_type`"],
        );
    }
}

#[test]
fn jsonl_tape_accepts_a_bom_like_csv() {
    let csv = tape("bom.csv", &[tape_row(1, "1000")]);
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, format!("\u{feff}{text}")).unwrap();
    let row = r#"{"id":1,"principal":1000,"rate_type":"fixed","rate":0.08,"term_months":360,"amortization":"level_payment","channel":"bank_underwritten","recourse":"full","collateral_kind":"unsecured","collateral_value":0,"collateral_volatility":0,"liquidation_haircut":0}"#;
    let jsonl = tmp_file("edges", "bom.jsonl", &format!("\u{feff}{row}\n"));
    for path in [csv, jsonl.display().to_string()] {
        let v = json(&xtask(&[
            "cashflows",
            "--tape",
            &path,
            "--json",
            "--months",
            "1",
        ]));
        assert_eq!(v["source"]["tape"]["loans"], 1, "{path}");
    }
}

#[test]
fn portfolio_csv_misspelt_column_suggests_the_right_name() {
    let path = tmp_file(
        "edges",
        "lgd_sdd.csv",
        "ead,pd,lgd,lgd_sdd\n1,0.01,0.4,0.1\n",
    );
    let out = xtask(&["loss", "--portfolio", path.to_str().unwrap()]);
    fails_naming(
        &out,
        &[
            "lgd_sdd.csv",
            "line 1",
            "unknown column \"lgd_sdd\"",
            "\"lgd_sd\"",
        ],
    );
}

#[test]
fn portfolio_csv_duplicated_column_is_an_error() {
    let path = tmp_file("edges", "twice.csv", "ead,pd,lgd,pd\n1,0.01,0.4,0.2\n");
    let out = xtask(&["loss", "--portfolio", path.to_str().unwrap()]);
    fails_naming(&out, &["twice.csv", "line 1", "\"pd\" appears twice"]);
}

#[test]
fn waterfall_notes_above_collateral_are_refused_naming_the_field() {
    let deal = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/deal.toml"
    ))
    .unwrap()
    .replace("balance = 85000000.0", "balance = 850000000.0");
    let path = tmp_file("edges", "deal860.toml", &deal);
    for task in ["waterfall", "tranche"] {
        let out = xtask(&[task, "--deal", path.to_str().unwrap()]);
        fails_naming(
            &out,
            &["deal860.toml", "waterfall.notes[0].balance", "collateral"],
        );
    }
}

#[test]
fn clearing_amounts_that_overflow_are_refused_not_printed_as_inf() {
    let net = r#"{"liabilities":[[0,1e308],[1e308,0]],"external_assets":[1e308,1e308],
        "external_liabilities":[1e308,1e308]}"#;
    let path = tmp_file("edges", "net.json", net);
    for json_flag in [false, true] {
        let mut args = vec!["clearing", "--network", path.to_str().unwrap()];
        if json_flag {
            args.push("--json");
        }
        let out = xtask(&args);
        fails_naming(
            &out,
            &["net.json", "liabilities[0]", "largest finite number"],
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn long_values_in_error_messages_are_cut() {
    let long = "x".repeat(1_000_000);
    // A portfolio cell (the library cuts it) and a flag value (the command line does).
    let path = tmp_file("edges", "long.csv", &format!("ead,pd,lgd\n1,{long},0.4\n"));
    let copula = format!("t:{}", &long[..100_000]);
    for args in [
        vec!["loss", "--portfolio", path.to_str().unwrap()],
        vec!["loss", "--copula", copula.as_str()],
    ] {
        let out = xtask(&args);
        fails_naming(&out, &["xxxxxxxxxx... (", " bytes)"]);
        assert!(
            out.stderr.len() < 2_000,
            "{} bytes of error",
            out.stderr.len()
        );
    }
}

#[test]
fn negative_number_flag_value_is_a_value_not_an_unknown_flag() {
    let out = xtask(&[
        "irb",
        "--class",
        "corporate",
        "--pd",
        "-0.1",
        "--lgd",
        "0.45",
    ]);
    fails_naming(&out, &["--pd", "-0.1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("unexpected argument"), "{err}");
    let out = xtask(&["loss", "--rho", "-0.2"]);
    fails_naming(&out, &["rho", "-0.2"]);
}

#[test]
fn unbounded_sizes_are_refused_before_starting_naming_no_limits() {
    for args in [
        vec!["loss", "--book", "standard:1000000000"],
        vec!["loss", "--scenarios", "1000000000"],
        // Its work budget raised: the estimate follows it (at the default budget, about
        // a minute, the method stops itself).
        vec![
            "loss",
            "--book",
            "standard:10000000",
            "--method",
            "exact",
            "--max-work",
            "1e14",
        ],
        vec![
            "waterfall",
            "--deal",
            "scenarios/deal.toml",
            "--scenarios",
            "1000000000",
        ],
        vec![
            "cdo2",
            "--pools",
            "1000",
            "--names",
            "10000",
            "--scenarios",
            "1000000",
        ],
        vec![
            "tranche-spread",
            "--names",
            "1000000",
            "--hazard",
            "0.02",
            "--recovery",
            "0.4",
            "--maturity",
            "5",
            "--rate",
            "0.03",
            "--rho",
            "0.3",
        ],
        vec!["originate", "--paths", "10000000"],
        vec![
            "loss",
            "--book",
            "benchmark:100000000",
            "--method",
            "saddlepoint",
        ],
    ] {
        let started = std::time::Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(&args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .output()
            .unwrap();
        fails_naming(&out, &["--no-limits"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("memory") || err.contains("take about"),
            "{err}"
        );
        assert!(
            started.elapsed().as_secs() < 5,
            "{args:?} ran before refusing"
        );
    }
}

#[test]
fn lhp_on_a_billion_loans_uses_averages_not_loans() {
    let started = std::time::Instant::now();
    let v = json(&xtask(&[
        "loss",
        "--book",
        "standard:1000000000",
        "--method",
        "lhp",
        "--json",
    ]));
    assert!(started.elapsed().as_secs() < 5);
    assert_eq!(v["exposures"], 1_000_000_000u64);
    // The standard book's loss-weighted PD: the periodic book's average.
    let el = v["expected_loss"].as_f64().unwrap();
    assert!(el > 0.01 && el < 0.02, "{el}");
}

/// A task without a progress bar of its own says, every few seconds on standard error, how
/// long it has run against its estimate (here every tenth of a second, through the test knob
/// `CREDITLAB_PROGRESS_SECONDS`), and `--quiet` hides it.
#[test]
fn long_runs_show_progress_lines_and_quiet_hides_them() {
    let run = |quiet: bool| {
        let mut args = vec![
            "loss",
            "--book",
            "benchmark:10000",
            "--method",
            "exact",
            "--json",
        ];
        if quiet {
            args.push("--quiet");
        }
        std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(&args)
            .env("CREDITLAB_PROGRESS_SECONDS", "0.1")
            .output()
            .unwrap()
    };
    let loud = run(false);
    assert!(loud.status.success());
    let err = String::from_utf8_lossy(&loud.stderr);
    assert!(err.contains("elapsed, estimated about"), "{err}");
    let quiet = run(true);
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

/// A study of a million loans a book is refused before it starts, naming `--no-limits`.
#[test]
fn a_pipeline_of_a_million_loans_is_refused_naming_no_limits() {
    let dir = std::env::temp_dir().join(format!("creditlab-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("big.toml");
    let text =
        include_str!("../../scenarios/default.toml").replace("loans = 5000", "loans = 1000000");
    std::fs::write(&config, text).unwrap();
    let started = std::time::Instant::now();
    let out = xtask(&[
        "pipeline",
        "--config",
        config.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    fails_naming(&out, &["--no-limits", "1000000 loans"]);
    assert!(started.elapsed().as_secs() < 5);
    assert!(!dir.join("out").exists(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 12's CLI consistency: every task that simulates takes `--threads` (results do not
/// depend on it, one flag shared by all, 1 to 1024) and `--seed`. `grade` and `scorecard`
/// draw with a seed but run on one thread (nothing in them is parallel), so they take
/// `--seed` only.
#[test]
fn every_simulating_task_takes_threads_and_seed() {
    let flags = |task: &str| {
        let o = xtask(&[task, "--help"]);
        assert!(o.status.success(), "{task} --help");
        String::from_utf8(o.stdout).unwrap()
    };
    for task in [
        "loss",
        "defi",
        "waterfall",
        "cdo2",
        "tranche",
        "originate",
        "pipeline",
        "sweep",
        "soak",
        "chain",
    ] {
        let help = flags(task);
        for flag in ["--threads", "--seed"] {
            assert!(help.contains(flag), "{task} lacks {flag}");
        }
        let o = xtask(&[task, "--threads", "0"]);
        assert_eq!(o.status.code(), Some(2), "{task} --threads 0");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--threads") && err.contains("0"),
            "{task}: {err}"
        );
    }
    for task in ["grade", "scorecard"] {
        assert!(flags(task).contains("--seed"), "{task} lacks --seed");
    }
}

/// `soak --threads` runs its studies on that many workers; the sampled thread comparisons
/// still run on 1, 2 and 7.
#[test]
fn soak_runs_on_the_threads_it_is_given() {
    let o = xtask(&["soak", "--runs", "1", "--seed", "5", "--threads", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("1 quick study,"), "{text}");
    assert!(text.contains("thread mismatches 0 of 1"), "{text}");
}

/// `chain --seed` seeds the default study its losses are computed from, so it cannot go
/// with given losses.
#[test]
fn chain_seed_is_refused_with_given_losses() {
    let o = xtask(&[
        "chain",
        "--seed",
        "3",
        "--bank-loss",
        "0.05",
        "--defi-loss",
        "0.01",
    ]);
    fails_naming(&o, &["--seed", "--bank-loss"]);
}
