//! `cargo xtask chain`: the JSON keys of issue 17 and errors that name the file, line and key.

use crate::common::{fails_naming, xtask};

#[test]
fn chain_json_has_the_documented_keys() {
    let o = xtask(&[
        "chain",
        "--bank-loss",
        "0.049",
        "--defi-loss",
        "0.0046",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for side in ["chain_reaction", "defi"] {
        let s = &v[side];
        assert!(s["rounds"].is_u64(), "{side}: {s}");
        for key in ["amplification", "debtrank"] {
            assert!(s[key].as_f64().is_some_and(f64::is_finite), "{side}.{key}");
        }
        for f in s["failures"].as_array().unwrap() {
            assert!(f["institution"].is_string() && f["round"].is_u64() && f["cause"].is_string());
        }
        let map = s["map"].as_array().unwrap();
        assert!(!map.is_empty());
        assert!(map.iter().all(|p| p["second_failure"].is_boolean()
            && p["leverage"].is_f64()
            && p["haircut"].is_f64()
            && p["market_depth"].is_f64()));
    }
}

#[test]
fn chain_bad_config_names_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("creditlab-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    let text = include_str!("../../scenarios/chain.toml")
        .replace("pool_equity = 1.0", "pool_equity = -1.0");
    std::fs::write(&path, text).unwrap();
    let o = xtask(&[
        "chain",
        "--config",
        path.to_str().unwrap(),
        "--bank-loss",
        "0.05",
        "--defi-loss",
        "0.01",
    ]);
    fails_naming(&o, &["bad.toml", "line", "defi.pool_equity"]);
    let o = xtask(&["chain", "--bank-loss", "1.5", "--defi-loss", "0.01"]);
    fails_naming(&o, &["--bank-loss"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
