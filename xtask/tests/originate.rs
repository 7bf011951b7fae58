//! `cargo xtask originate`: claim 1 over time from the command line.

use crate::common::{fails_naming, xtask};

#[test]
fn originate_json_has_the_documented_keys() {
    let o = xtask(&["originate", "--paths", "100", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let h = &v["originate_to_distribute"];
    for key in [
        "originated_with_securitization",
        "originated_without",
        "ratio",
        "pd_ratio",
        "leverage_with",
        "leverage_without",
    ] {
        assert!(h[key].as_f64().is_some_and(f64::is_finite), "{key}: {h}");
    }
    for key in ["pd_by_vintage_with", "pd_by_vintage_without"] {
        assert_eq!(h[key].as_array().unwrap().len(), 6, "{key}");
    }
    let cases = h["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    assert!(
        cases
            .iter()
            .all(|c| c["name"].is_string() && c["ratio"].is_f64())
    );
    // The falsifiable case: with half the applications selling does not raise lending.
    let half = cases
        .iter()
        .find(|c| c["name"] == "half the applications")
        .unwrap();
    assert_eq!(half["ratio"].as_f64().unwrap(), 1.0);
    assert!(v["detail"]["max_imbalance"].as_f64().unwrap() < 1e-12);
}

#[test]
fn originate_bad_config_names_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("creditlab-originate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    let text = include_str!("../../scenarios/originate.toml").replace("payout = 0.4", "payout = 4");
    std::fs::write(&path, text).unwrap();
    let o = xtask(&["originate", "--config", path.to_str().unwrap()]);
    fails_naming(&o, &["bad.toml", "line", "bank.payout"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn originate_gives_the_same_json_on_one_and_three_threads() {
    let run = |threads: &str| {
        let o = xtask(&["originate", "--paths", "60", "--json", "--threads", threads]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    assert_eq!(run("1"), run("3"));
}
