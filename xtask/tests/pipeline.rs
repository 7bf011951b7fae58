//! `cargo xtask pipeline` end to end: the quick study, its outputs, determinism and bad input.

use crate::common::{fails_naming, xtask};

use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run_quick(out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "pipeline",
        "--quick",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = xtask(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn quick_study_writes_every_output_and_is_deterministic() {
    let a = scratch("pipeline-a");
    let json = run_quick(&a, &["--threads", "1"]);
    assert_eq!(json["schema_version"], 2);
    // report.json is what docs/schemas/report.schema.json documents: every key, type and
    // nesting, nothing undocumented.
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/schemas/report.schema.json")).unwrap();
    let violations = crate::common::schema_violations(&schema, &json);
    assert!(violations.is_empty(), "{violations:#?}");
    // The validator does catch a violation.
    let mut broken = json.clone();
    broken["bank"]["facts"]["loans"] = serde_json::Value::String("many".into());
    broken["bank"]["surprise"] = serde_json::Value::Bool(true);
    assert_eq!(crate::common::schema_violations(&schema, &broken).len(), 2);
    for book in ["bank", "defi"] {
        let b = &json[book];
        assert_eq!(b["facts"]["loans"], 500);
        let el = b["loss"]["summary"]["expected_loss"]["value"]
            .as_f64()
            .unwrap();
        let var = b["loss"]["summary"]["var"][1]["estimate"]["value"]
            .as_f64()
            .unwrap();
        assert!(el > 0.0 && var > el, "{book}: EL {el}, VaR {var}");
        assert_eq!(
            b["loss"]["summary"]["tranches"].as_array().unwrap().len(),
            4
        );
        let ratings = b["loss"]["tranche_ratings"].as_array().unwrap();
        assert_eq!(ratings.len(), 4);
        // The equity tranche is the riskiest; the senior one has the SSFA floor.
        assert!(ratings[0]["risk_weight"].as_f64().unwrap() > 1.0);
        assert_eq!(ratings[3]["risk_weight"].as_f64().unwrap(), 0.15);
    }
    // The two books lend the same total principal.
    assert_eq!(
        json["bank"]["facts"]["total_principal"],
        json["defi"]["facts"]["total_principal"]
    );
    // The DeFi borrowers reveal nothing, so their grade is low.
    assert_eq!(json["defi"]["facts"]["credit_history_known_share"], 0.0);
    let pd = |b: &str| json[b]["grading"]["mean_pd_conservative"].as_f64().unwrap();
    assert!(pd("defi") > 3.0 * pd("bank"));

    // Diversification: with rho = 0 the default-rate sd falls like 1/sqrt(N) (exactly, for a
    // binomial: sd = sqrt(p (1 - p) / N)); with rho = 0.3 it stops at the floor
    // sqrt(p2 - p^2) whatever the pool size.
    let points = json["diversification"]["points"].as_array().unwrap();
    let sd = |n: u64, rho: f64| {
        points
            .iter()
            .find(|d| d["loans"] == n && d["rho"].as_f64() == Some(rho))
            .unwrap()["default_rate_sd"]
            .as_f64()
            .unwrap()
    };
    let binomial = |n: f64| (0.02f64 * 0.98 / n).sqrt();
    assert!((sd(100, 0.0) - binomial(100.0)).abs() < 1e-12);
    assert!((sd(100_000, 0.0) - binomial(1e5)).abs() < 1e-12);
    assert!(
        sd(100_000, 0.3) > 0.9 * sd(100, 0.3),
        "correlated risk does not diversify"
    );
    assert!(sd(100_000, 0.3) > 30.0 * sd(100_000, 0.0));

    let md = std::fs::read_to_string(a.join("report.md")).unwrap();
    let html = std::fs::read_to_string(a.join("report.html")).unwrap();
    for (id, title) in [
        ("books", "1. The two books"),
        ("grading", "2. Grading"),
        ("diversification", "3. Diversification"),
        ("securitization", "4. Securitization"),
        ("defi-pool", "5. The DeFi pool"),
        ("contagion", "6. Contagion"),
        ("verdict", "7. The verdict"),
    ] {
        assert!(
            md.contains(&format!("## {title}")),
            "report.md lacks {title}"
        );
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "report.html lacks section {id}"
        );
    }
    // Every chart is inline in the HTML and beside the Markdown as an SVG file.
    for chart in [
        "books-facts",
        "cashflows-balance",
        "grades",
        "roc",
        "diversification-sd",
        "diversification-var",
        "loss-exceedance",
        "tranche-default-probability",
        "cdo-squared",
        "defi-pool-losses",
        "defi-crash-prices",
        "defi-crash-cascade",
        "defi-congested-prices",
        "defi-congested-cascade",
        "defi-crash-supply-rate",
        "defi-congested-supply-rate",
        "contagion-chart-bank_thin_equity",
        "contagion-chart-bank_basel_capital",
        "contagion-chart-defi",
    ] {
        assert!(
            html.contains(&format!("<figure id=\"chart-{chart}\"")),
            "report.html lacks chart {chart}"
        );
        assert!(md.contains(&format!("charts/{chart}.svg")), "{chart}");
        let svg = std::fs::read_to_string(a.join(format!("charts/{chart}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && !svg.contains("NaN"), "{chart}");
    }
    // Self-contained: nothing fetched from elsewhere.
    for external in [
        "<script src",
        "<link ",
        "src=\"http",
        "href=\"http",
        "url(http",
    ] {
        assert!(!html.contains(external), "report.html has {external}");
    }
    // The verdict judges all eight claims, each with the numbers behind it.
    let claims = json["verdict"]["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 8);
    for (i, c) in claims.iter().enumerate() {
        assert_eq!(c["number"], i as u64 + 1);
        assert_ne!(c["ruling"]["judgement"], "not_measured", "{c}");
        // The sentence shows every number it cites, as the ruling carries it.
        for cite in c["ruling"]["cites"].as_array().unwrap() {
            let text = cite["text"].as_str().unwrap();
            assert!(
                c["ruling"]["because"].as_str().unwrap().contains(text),
                "{c}"
            );
        }
        assert!(
            c["ruling"]["because"]
                .as_str()
                .unwrap()
                .chars()
                .any(|ch| ch.is_ascii_digit()),
            "{c}"
        );
    }
    // The DeFi pool: liquidations that keep up leave (almost) no bad debt in the crash;
    // congested ones leave more, and sooner than the bank's foreclosure lag.
    let pool = &json["defi_pool"];
    let mean = |s: &str| pool[s]["bad_debt"]["mean"].as_f64().unwrap();
    assert!(mean("congested") > 10.0 * mean("crash"), "{pool}");
    assert!(
        pool["congested"]["hours_to_first_bad_debt"]["p50"]
            .as_f64()
            .unwrap()
            < 96.0
    );
    // One point per step of the crash, and hour 0.
    let spec = &json["scenario"]["defi_pool"]["stress"];
    let steps = spec["horizon_hours"].as_f64().unwrap() / spec["step_hours"].as_f64().unwrap();
    assert_eq!(
        pool["crash"]["series"]["hour"].as_array().unwrap().len(),
        steps as usize + 1
    );
    assert!(
        std::fs::read_to_string(a.join("tables/verdict.csv"))
            .unwrap()
            .contains("bank")
    );
    let csv = std::fs::read_to_string(a.join("cashflows_bank.csv")).unwrap();
    assert!(csv.starts_with("month,balance,"));
    assert!(csv.lines().count() > 300, "30-year loans give 360 months");

    // Contagion: both bank networks and the DeFi one, each cleared after three shocks; a
    // shock never costs the network more equity than the loss itself.
    let networks = json["contagion"].as_array().unwrap();
    assert_eq!(networks.len(), 3);
    for n in networks {
        for s in n["shocks"].as_array().unwrap() {
            let lost = s["equity_lost"].as_f64().unwrap();
            let loss = s["book_loss"].as_f64().unwrap();
            assert!(lost <= loss + 1e-12, "{s}");
        }
    }

    // Same seed, same report, byte for byte, on 1 and on 3 threads.
    let b = scratch("pipeline-b");
    run_quick(&b, &["--threads", "3"]);
    for file in [
        "report.json",
        "report.md",
        "report.html",
        "cashflows_bank.csv",
        "cashflows_defi.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file} differs between two runs with the same seed"
        );
    }
    // Another seed, another study.
    let c = scratch("pipeline-c");
    let other = run_quick(&c, &["--seed", "7"]);
    assert_ne!(other["bank"]["facts"], json["bank"]["facts"]);
}

#[test]
fn bad_scenarios_name_file_line_and_key_and_write_nothing() {
    let dir = scratch("pipeline-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let default = include_str!("../../scenarios/default.toml");
    let cases = [
        (
            "rho.toml",
            default.replace("bank_rho = 0.15", "bank_rho = 1.5"),
            "loss.bank_rho",
        ),
        (
            "equity.toml",
            default.replace("thin_equity = 0.04", "thin_equity = -0.04"),
            "contagion.thin_equity",
        ),
        (
            "days.toml",
            default.replace("horizon_hours = 96.0", "horizon_hours = -96.0"),
            "defi_pool.stress.horizon_hours",
        ),
        (
            "asset.toml",
            default.replace("name = \"WETH\"", "name = \"WETH\"\nvol = 0.8"),
            "vol",
        ),
        (
            "unknown.toml",
            default.replace("seed = ", "sead = 1\nseed = "),
            "sead",
        ),
        (
            "type.toml",
            default.replace("loans = 5000", "loans = \"many\""),
            "line",
        ),
        (
            "overlap.toml",
            default.replace("[0.03, 0.07]", "[0.02, 0.07]"),
            "overlaps",
        ),
        (
            "lag.toml",
            default.replace("recovery_lag = 0", "recovery_lag = 9000"),
            "recovery_lag",
        ),
    ];
    for (name, text, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = dir.join(format!("{name}.out"));
        let o = xtask(&[
            "pipeline",
            "--quiet",
            "--config",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name) && err.contains("line"), "{name}: {err}");
        assert!(err.contains(needle), "{name}: {err}");
        assert!(!out.exists(), "{name}: nothing is written on bad input");
    }
    let o = xtask(&["pipeline", "--config", "/no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/no/such/file.toml"));
}

#[test]
fn an_output_folder_creditlab_did_not_write_is_refused_and_left_alone() {
    let dir = scratch("pipeline-theirs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("thesis.txt"), "mine").unwrap();
    let out = xtask(&[
        "pipeline",
        "--quick",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    fails_naming(&out, &["not written by creditlab"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("thesis.txt")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn out_refuses_folder_not_written_by_creditlab_and_names_force() {
    let dir = scratch("pipeline-home");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}").unwrap();
    for task in [
        vec!["pipeline", "--quick", "--quiet"],
        vec![
            "sweep",
            "--quick",
            "--quiet",
            "--param",
            "loss.bank_rho=0.1",
        ],
    ] {
        let mut args = task.clone();
        args.extend(["--out", dir.to_str().unwrap()]);
        let out = xtask(&args);
        fails_naming(&out, &["not written by creditlab", "--force"]);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "{task:?}");
        assert_eq!(
            std::fs::read_to_string(dir.join("src/main.rs")).unwrap(),
            "fn main() {}"
        );
    }
}

#[test]
fn out_on_a_file_or_fifo_is_refused_before_the_study_runs() {
    let dir = scratch("pipeline-notdir");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("notes.txt");
    std::fs::write(&file, "keep").unwrap();
    let mut paths = vec![file.clone()];
    let fifo = dir.join("fifo");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        paths.push(fifo);
    } else {
        eprintln!("mkfifo is not available: the FIFO case is skipped");
    }
    for path in &paths {
        for force in [false, true] {
            let mut args = vec!["pipeline", "--quiet", "--out", path.to_str().unwrap()];
            if force {
                args.push("--force");
            }
            let started = std::time::Instant::now();
            let out = xtask(&args);
            fails_naming(&out, &[path.to_str().unwrap(), "must be a folder"]);
            // The full study takes many seconds; the refusal comes before it.
            assert!(
                started.elapsed().as_secs() < 5,
                "refused only after the study"
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), paths.len());
}

#[test]
fn out_force_writes_the_report_into_a_folder_and_deletes_nothing() {
    let dir = scratch("pipeline-force");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("thesis.txt"), "mine").unwrap();
    run_quick(&dir, &["--force"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("thesis.txt")).unwrap(),
        "mine"
    );
    assert!(dir.join("report.html").is_file());
    assert!(!dir.join(".creditlab-output").exists());
}
