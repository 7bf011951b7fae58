//! Sharded DeFi simulations: uneven shards in any order merge into the single run bit for
//! bit; a missing, overlapping or foreign partial is refused naming the file and reason.

use creditlab_defi::DefiError;
use creditlab_defi::config::DefiSimConfig;
use creditlab_defi::shard::{DefiShard, merge};
use creditlab_defi::simulation::simulate;
use creditlab_numerics::NumericsError;
use creditlab_numerics::shard::{ShardProblem, ShardSpec};

fn config(paths: u64) -> DefiSimConfig {
    let mut c = DefiSimConfig::example(60);
    (c.paths, c.seed) = (paths, 5);
    c
}

fn parts(c: &DefiSimConfig, n: u64) -> Vec<(String, DefiShard)> {
    (0..n)
        .map(|k| {
            let s = DefiShard::simulate(c, ShardSpec::new(k, n).unwrap()).unwrap();
            let name = format!("d{k}");
            (
                name.clone(),
                DefiShard::from_json(&s.to_json(), &name).unwrap(),
            )
        })
        .collect()
}

fn problem(e: &DefiError) -> (&str, &ShardProblem) {
    match e {
        DefiError::Numerics(NumericsError::Shard { file, problem }) => (file, problem),
        other => panic!("not a shard error: {other}"),
    }
}

#[test]
fn uneven_shards_in_any_order_merge_into_the_single_run() {
    let c = config(11);
    let single = simulate(&c).unwrap();
    let mut p = parts(&c, 3);
    assert_eq!(
        p.iter().map(|(_, s)| s.range()).collect::<Vec<_>>(),
        [0..3, 3..7, 7..11]
    );
    p.reverse();
    let (merged_config, merged) = merge(p).unwrap();
    assert_eq!(merged_config, c);
    assert_eq!(merged, single);
    assert_eq!(
        serde_json::to_string(&merged).unwrap(),
        serde_json::to_string(&single).unwrap()
    );
}

#[test]
fn missing_overlapping_and_foreign_partials_are_refused() {
    let c = config(9);
    let mut p = parts(&c, 3);
    let middle = p.remove(1);
    let e = merge(p.clone()).unwrap_err();
    assert!(matches!(problem(&e), ("d2", ShardProblem::Missing { gap, .. }) if *gap == (3..6)));
    p.push(middle.clone());
    p.push(("again".into(), middle.1));
    let e = merge(p.clone()).unwrap_err();
    assert!(matches!(problem(&e).1, ShardProblem::Overlap { .. }), "{e}");
    p.pop();
    let mut other = c.clone();
    other.pool.initial_utilization *= 0.9;
    p[1] = parts(&other, 3).remove(2);
    let e = merge(p.clone()).unwrap_err();
    assert!(
        matches!(problem(&e).1, ShardProblem::OtherConfig { .. }),
        "{e}"
    );
    let mut seed = c.clone();
    seed.seed = 6;
    p[1] = parts(&seed, 3).remove(2);
    let e = merge(p).unwrap_err();
    assert!(
        matches!(problem(&e).1, ShardProblem::OtherSeed { seed: 6, .. }),
        "{e}"
    );
    // A loss partial is not a DeFi one; a damaged file is corrupt.
    let text = parts(&c, 3).remove(0).1.to_json();
    let loss = text.replacen("creditlab-defi-shard", "creditlab-loss-shard", 1);
    let e = DefiShard::from_json(&loss, "l.json").unwrap_err();
    assert!(matches!(problem(&e).1, ShardProblem::Format { .. }), "{e}");
    let e = DefiShard::from_json(&text[..text.len() - 10], "cut.json").unwrap_err();
    assert!(
        matches!(problem(&e), ("cut.json", ShardProblem::Corrupt { .. })),
        "{e}"
    );
    let edited = text.replacen("\"seed\":5", "\"seed\":7", 1);
    assert!(DefiShard::from_json(&edited, "e.json").is_err());
    let e = DefiShard::simulate(&c, ShardSpec::new(0, 10).unwrap()).unwrap_err();
    assert_eq!(e.field(), Some("shard"));
}
