//! Claim 2 over time (`creditlab_study::chain`): the built-in balance sheets, the two ends
//! of the map, conservation in every round of every run, the JSON the issue names, and
//! errors that name the key.

use creditlab_study::chain::{self, ChainSpec, POOL, institutions_failed};

/// The default study's shocks (bank book 99.9% loss, first tranche's detachment, DeFi pool's
/// 99.9% depositor loss), rounded: the tests do not depend on their exact values.
const SHOCKS: (f64, f64, f64) = (0.049, 0.03, 0.0046);

fn run(bank_loss: f64, defi_loss: f64) -> chain::ChainStudy {
    chain::study(&ChainSpec::default(), bank_loss, SHOCKS.1, defi_loss).unwrap()
}

#[test]
fn every_run_conserves_units_and_cash_and_converges() {
    let c = run(SHOCKS.0, SHOCKS.2);
    for side in [&c.bank, &c.defi] {
        for r in &side.runs {
            let o = &r.outcome;
            assert!(o.converged, "{} {}", side.side, r.label);
            let first = o.path.first().unwrap();
            let units0 = first.units_held + first.units_sold_total;
            for p in &o.path {
                let units = p.units_held + p.units_sold_total;
                assert!((units - units0).abs() < 1e-9 * units0.max(1.0));
                assert!(p.price.is_finite() && (0.0..=1.0).contains(&p.price));
                assert!(p.equity.iter().all(|e| e.is_finite()));
            }
            if let Some(a) = o.amplification {
                // Losses at least the shock: the shock itself always lands.
                assert!(a >= 1.0 - 1e-9, "{} {}: {a}", side.side, r.label);
            }
        }
    }
}

#[test]
fn the_map_comes_out_both_ways_and_counts_its_plausible_region() {
    let c = run(SHOCKS.0, SHOCKS.2);
    let b = &c.bank;
    assert!(b.map.iter().any(|p| p.second_failure));
    assert!(b.map.iter().any(|p| !p.second_failure));
    let spec = ChainSpec::default();
    let m = &spec.bank.map;
    assert_eq!(
        b.map.len(),
        m.leverage.len() * m.haircut.len() * m.depth.len()
    );
    let plausible = b.map.iter().filter(|p| p.plausible).count();
    let hits = b
        .map
        .iter()
        .filter(|p| p.plausible && p.second_failure)
        .count();
    assert_eq!(b.plausible_second_failures, (hits, plausible));
    // Low leverage never chains on this shock; the shallowest market at the highest
    // leverage does.
    assert!(!b.map.iter().any(|p| p.leverage <= 12.0 && p.second_failure));
    assert!(
        b.map
            .iter()
            .any(|p| p.leverage >= 40.0 && p.market_depth <= 0.5 && p.second_failure)
    );
    // The DeFi map leaves out loopers that could not have borrowed (LTV at par >= threshold).
    assert!(
        c.defi
            .map
            .iter()
            .all(|p| 1.0 - 1.0 / p.leverage < 1.0 - p.haircut)
    );
}

#[test]
fn no_shock_no_failure_and_a_huge_shock_chains_everywhere_plausible() {
    let calm = run(0.0, 0.0);
    for side in [&calm.bank, &calm.defi] {
        assert_eq!(side.plausible_second_failures.0, 0, "{}", side.side);
        assert!(side.central().outcome.failures.is_empty());
        assert_eq!(side.central().outcome.amplification, None);
    }
    // Half the bank pool lost: the notes lose 48%, every plausible balance sheet chains.
    let crash = run(0.5, 0.3);
    let (k, n) = crash.bank.plausible_second_failures;
    assert_eq!(k, n);
    assert!(institutions_failed(&crash.defi.central().outcome, Some(POOL)) >= 2);
}

#[test]
fn the_json_has_the_issues_keys() {
    let v = chain::json(&run(SHOCKS.0, SHOCKS.2));
    for side in ["chain_reaction", "defi"] {
        let s = &v[side];
        assert!(s["rounds"].is_u64(), "{side}");
        assert!(s["amplification"].is_number());
        assert!(s["debtrank"].is_number());
        assert!(s["failures"].is_array());
        let p = &s["map"][0];
        for key in ["leverage", "haircut", "market_depth", "second_failure"] {
            assert!(!p[key].is_null(), "{side}.map[0].{key}");
        }
    }
    // The thin-market case of the bank side fails dealers, each with a round and a cause
    // from the issue's list.
    let c = run(SHOCKS.0, SHOCKS.2);
    let thin = c
        .bank
        .runs
        .iter()
        .find(|r| r.label.starts_with("thin"))
        .unwrap();
    assert!(!thin.outcome.failures.is_empty());
    let f = serde_json::to_value(&thin.outcome.failures[0]).unwrap();
    let cause = f["cause"].as_str().unwrap();
    assert!(["own_losses", "fire_sale", "funding", "counterparty"].contains(&cause));
    assert!(f["round"].as_u64().unwrap() >= 1);
}

#[test]
fn bad_keys_are_errors_that_name_them() {
    let bad = chain::DEFAULT_CHAIN.replacen("leverage = 30.7", "leverage = 0.5", 1);
    let e = ChainSpec::parse(&bad, "chain.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bank.institutions[0].leverage"), "{e}");
    assert!(e.contains("chain.toml"), "{e}");
    let bad = chain::DEFAULT_CHAIN.replacen("looper_leverage = 4.0", "looper_leverage = 8.0", 1);
    let e = ChainSpec::parse(&bad, "chain.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("defi.looper_leverage"), "{e}");
    let bad = chain::DEFAULT_CHAIN.replacen("count = 4", "cuont = 4", 1);
    assert!(ChainSpec::parse(&bad, "chain.toml").is_err());
}

/// The shocks `cargo xtask chain` computes when no loss is given (`--seed`, `--threads`):
/// the same on 1 and 2 threads, and the bank book's loss moves with the seed (the book is
/// drawn from it), on the quick study.
#[test]
fn computed_shocks_follow_the_seed_and_not_the_threads() {
    let mut scenario = creditlab_study::Scenario::builtin().unwrap();
    scenario.quicken();
    let on = |threads: usize, seed: u64| {
        let mut s = scenario.clone();
        s.seed = seed;
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| creditlab_study::chain_shocks(&s, &creditlab_study::progress::Silent))
            .unwrap()
    };
    let seed = scenario.seed;
    let one = on(1, seed);
    assert_eq!(one, on(2, seed));
    let other = on(2, seed.wrapping_add(1));
    assert_ne!(one.0, other.0, "the bank book is drawn from the seed");
    assert_eq!(one.1, other.1, "the retained detachment is the scenario's");
}
