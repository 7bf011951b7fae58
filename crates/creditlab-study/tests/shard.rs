//! The study split into shards: 1, 2 and 3 shards of the quick study merge to exactly the
//! single run's report data, in any order; a missing shard and a tampered partial are
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
        }
    }
}
