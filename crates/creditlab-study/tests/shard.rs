//! The study split into shards: 1, 2 and 3 shards of the quick study merge to exactly the
//! single run's report data, in any order; so do 2 shards of a small study with the flip
//! search; a missing, an overlapping and a foreign shard and a tampered partial are
//! refused with the file's name.

use creditlab_numerics::shard::ShardSpec;
use creditlab_study::progress::Silent;
use creditlab_study::shard::{StudyShard, merge, merge_json};
use creditlab_study::{Scenario, Study};

fn quick() -> Scenario {
    let mut scenario = Scenario::builtin().expect("the built-in scenario");
    scenario.quicken();
    scenario
}

/// Shard `k` of `n` of `scenario`, through its JSON (as a file would carry it).
fn part(scenario: &Scenario, k: u64, n: u64) -> (String, String) {
    let shard = StudyShard::run(scenario, ShardSpec::new(k, n).unwrap(), &Silent).unwrap();
    (format!("part{k}of{n}.json"), shard.to_json())
}

#[test]
fn shards_merge_to_the_single_run() {
    let scenario = quick();
    let single = serde_json::to_string(&Study::run(&scenario, &Silent).unwrap()).unwrap();
    for n in 1..=3 {
        let mut parts: Vec<(String, String)> = (0..n).map(|k| part(&scenario, k, n)).collect();
        // Arrival order does not matter.
        parts.reverse();
        let merged = merge_json(&parts, &Silent).unwrap();
        assert_eq!(
            serde_json::to_string(&merged).unwrap(),
            single,
            "{n} shards"
        );
        if n == 3 {
            // A missing shard is named by its range; a tampered partial is corrupt.
            let e = merge_json(&parts[..2], &Silent).unwrap_err().to_string();
            assert!(e.contains("in no shard"), "{e}");
            let tampered = parts[0].1.replacen("\"seed\":", "\"seed\":1", 1);
            let e = StudyShard::from_json(&tampered, "bad.json")
                .unwrap_err()
                .to_string();
            assert!(e.contains("bad.json"), "{e}");
            let e = merge(Vec::new(), &Silent).unwrap_err().to_string();
            assert!(!e.is_empty());
            // A shard of another split overlaps; a shard of another seed is foreign.
            let mut mixed = parts.clone();
            mixed[1] = part(&scenario, 0, 2);
            let e = merge_json(&mixed, &Silent).unwrap_err().to_string();
            assert!(e.contains("overlap") && e.contains("part0of2.json"), "{e}");
            let mut other = scenario.clone();
            other.seed += 1;
            let mut foreign = parts.clone();
            foreign[1] = (
                "foreign.json".into(),
                StudyShard::run(&other, ShardSpec::new(1, 3).unwrap(), &Silent)
                    .unwrap()
                    .to_json(),
            );
            let e = merge_json(&foreign, &Silent).unwrap_err().to_string();
            assert!(
                e.contains("foreign.json") && e.contains("another configuration"),
                "{e}"
            );
            // A stage's piece that is not this shard's share is corrupt.
            let moved = parts[0].1.replacen("\"start\":", "\"start\":1", 1);
            assert!(StudyShard::from_json(&moved, "moved.json").is_err());
        }
    }
}

#[test]
fn shards_with_the_flip_search_merge_to_the_single_run() {
    let mut scenario = quick();
    scenario.flips.search = true;
    scenario.flips.loans = 200;
    scenario.flips.paths = 100;
    let single = serde_json::to_string(&Study::run(&scenario, &Silent).unwrap()).unwrap();
    let parts: Vec<(String, String)> = (0..2).rev().map(|k| part(&scenario, k, 2)).collect();
    let merged = merge_json(&parts, &Silent).unwrap();
    assert!(merged.verdict.claims.iter().all(|c| c.flip.is_some()));
    assert_eq!(serde_json::to_string(&merged).unwrap(), single);
}
