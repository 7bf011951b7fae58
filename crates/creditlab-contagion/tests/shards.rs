//! Sharded loss simulations: partials over uneven ranges, merged in any order, give the
//! single run's report bit for bit; a missing, overlapping, foreign or damaged partial is
//! refused with an error naming the file and the reason.

use creditlab_contagion::report::LossRequest;
use creditlab_contagion::shard::{LossShard, merge};
use creditlab_contagion::{Copula, Error, LossMethod, LossReport, Portfolio, parse_tranches};
use creditlab_numerics::NumericsError;
use creditlab_numerics::shard::{ShardProblem, ShardSpec};

fn request(method: LossMethod, scenarios: u64) -> LossRequest {
    let mut r = LossRequest::new(method, "gaussian".parse().unwrap(), vec![0.2]);
    r.scenarios = scenarios;
    r.seed = 7;
    r.tail = vec![0.05, 0.1];
    r.tranches = parse_tranches("0-0.03,0.03-0.1,0.1-1").unwrap();
    r
}

fn setup(r: &LossRequest, n: usize) -> (Portfolio, Copula) {
    let book = Portfolio::benchmark_book(n, 1, 3).unwrap();
    let copula = r.copula.build(&r.rho, &book).unwrap();
    (book, copula)
}

/// Every shard of `k/count`, through its JSON, named `part{k}`.
fn shards(r: &LossRequest, book: &Portfolio, c: &Copula, count: u64) -> Vec<(String, LossShard)> {
    (0..count)
        .map(|k| {
            let s = LossShard::simulate(r, book, c, ShardSpec::new(k, count).unwrap()).unwrap();
            let name = format!("part{k}");
            (
                name.clone(),
                LossShard::from_json(&s.to_json(), &name).unwrap(),
            )
        })
        .collect()
}

fn problem(e: &Error) -> (&str, &ShardProblem) {
    match e {
        Error::Numerics(NumericsError::Shard { file, problem }) => (file, problem),
        other => panic!("not a shard error: {other}"),
    }
}

fn same(a: &LossReport, b: &LossReport) {
    // Equal as values and as printed JSON (bit for bit: the shortest round-trip text).
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_string(a).unwrap(),
        serde_json::to_string(b).unwrap()
    );
}

#[test]
fn uneven_shards_in_any_order_merge_into_the_single_run() {
    for method in [LossMethod::MonteCarlo, LossMethod::ImportanceSampling] {
        // 1,001 scenarios in 3 shards of [K M / N, (K + 1) M / N): 333, 334 and 334.
        let r = request(method, 1_001);
        let (book, c) = setup(&r, 300);
        let single = r.run_with(&book, &c).unwrap();
        let mut parts = shards(&r, &book, &c, 3);
        let sizes: Vec<u64> = parts
            .iter()
            .map(|(_, s)| s.range().end - s.range().start)
            .collect();
        assert_eq!(sizes, [333, 334, 334]);
        parts.swap(0, 2);
        parts.swap(1, 2);
        same(&merge(parts).unwrap(), &single);
        // One shard is the whole run.
        same(&merge(shards(&r, &book, &c, 1)).unwrap(), &single);
    }
}

#[test]
fn a_missing_shard_names_the_gap() {
    let r = request(LossMethod::MonteCarlo, 900);
    let (book, c) = setup(&r, 100);
    let mut parts = shards(&r, &book, &c, 3);
    parts.remove(1);
    let e = merge(parts.clone()).unwrap_err();
    let (file, p) = problem(&e);
    assert_eq!(file, "part2");
    assert!(
        matches!(p, ShardProblem::Missing { gap, .. } if *gap == (300..600)),
        "{e}"
    );
    assert!(e.to_string().contains("scenarios 300..600"), "{e}");
    // The last one missing: the gap after the last file.
    parts.remove(1);
    let e = merge(parts).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("part0: scenarios 300..900 after it"),
        "{e}"
    );
    assert!(matches!(
        problem(&merge(Vec::new()).unwrap_err()).1,
        ShardProblem::NoShards
    ));
}

#[test]
fn overlapping_shards_are_refused() {
    let r = request(LossMethod::MonteCarlo, 900);
    let (book, c) = setup(&r, 100);
    let mut parts = shards(&r, &book, &c, 3);
    // The same shard twice, and shards of two splits.
    parts.push(("again".into(), parts[1].1.clone()));
    let e = merge(parts).unwrap_err();
    assert!(matches!(problem(&e).1, ShardProblem::Overlap { .. }), "{e}");
    let mut mixed = shards(&r, &book, &c, 2);
    mixed.extend(shards(&r, &book, &c, 3).into_iter().skip(1));
    let e = merge(mixed).unwrap_err();
    assert!(e.to_string().contains("overlap"), "{e}");
}

#[test]
fn partials_of_other_inputs_or_seeds_are_refused() {
    let r = request(LossMethod::MonteCarlo, 600);
    let (book, c) = setup(&r, 100);
    let base = shards(&r, &book, &c, 2);
    let with = |other: (String, LossShard)| vec![base[0].clone(), other];
    // Another portfolio (one more loan), another copula, other tranches: another config.
    let (book2, c2) = setup(&r, 101);
    let mut t = r.clone();
    t.tranches = parse_tranches("0-0.05,0.05-1").unwrap();
    let mut g = r.clone();
    g.copula = "t:6".parse().unwrap();
    let cg = g.copula.build(&g.rho, &book).unwrap();
    for (req, b, cop) in [(&r, &book2, &c2), (&t, &book, &c), (&g, &book, &cg)] {
        let other = shards(req, b, cop, 2).remove(1);
        let e = merge(with(other)).unwrap_err();
        let (file, p) = problem(&e);
        assert_eq!(file, "part1");
        assert!(matches!(p, ShardProblem::OtherConfig { .. }), "{e}");
        assert!(e.to_string().contains("another configuration"), "{e}");
    }
    let mut s = r.clone();
    s.seed = 8;
    let e = merge(with(shards(&s, &book, &c, 2).remove(1))).unwrap_err();
    assert!(matches!(
        problem(&e).1,
        ShardProblem::OtherSeed {
            seed: 8,
            first_seed: 7,
            ..
        }
    ));
    let mut m = r.clone();
    m.scenarios = 700;
    let e = merge(with(shards(&m, &book, &c, 2).remove(1))).unwrap_err();
    assert!(
        matches!(problem(&e).1, ShardProblem::OtherTotal { total: 700, .. }),
        "{e}"
    );
}

#[test]
fn damaged_or_foreign_files_are_refused() {
    let r = request(LossMethod::MonteCarlo, 100);
    let (book, c) = setup(&r, 50);
    let text = LossShard::simulate(&r, &book, &c, ShardSpec::new(0, 2).unwrap())
        .unwrap()
        .to_json();
    let e = LossShard::from_json(&text[..text.len() / 2], "cut.json").unwrap_err();
    assert!(
        matches!(problem(&e), ("cut.json", ShardProblem::Corrupt { .. })),
        "{e}"
    );
    let newer = text.replacen("\"version\":1", "\"version\":2", 1);
    let e = LossShard::from_json(&newer, "new.json").unwrap_err();
    assert!(matches!(
        problem(&e).1,
        ShardProblem::Version {
            found: 2,
            expected: 1
        }
    ));
    assert!(e.to_string().contains("format version 2"), "{e}");
    let defi = text.replacen("creditlab-loss-shard", "creditlab-defi-shard", 1);
    let e = LossShard::from_json(&defi, "d.json").unwrap_err();
    assert!(matches!(problem(&e).1, ShardProblem::Format { .. }), "{e}");
    let e = LossShard::from_json("{\"a\": 1}", "x.json").unwrap_err();
    assert!(e.to_string().contains("not a creditlab partial"), "{e}");
    // A range that does not match the losses it holds.
    let short = text.replacen("\"end\":50", "\"end\":49", 1);
    let e = LossShard::from_json(&short, "s.json").unwrap_err();
    assert!(e.to_string().contains("but 50 losses"), "{e}");
    // Analytic methods do not shard; more shards than scenarios are refused.
    let exact = request(LossMethod::Exact, 100);
    assert!(LossShard::simulate(&exact, &book, &c, ShardSpec::new(0, 2).unwrap()).is_err());
    let e = LossShard::simulate(&r, &book, &c, ShardSpec::new(0, 101).unwrap()).unwrap_err();
    assert_eq!(e.field(), Some("shard"));
}

#[test]
fn write_refuses_to_overwrite_without_force() {
    let dir = std::env::temp_dir().join(format!("creditlab-shard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("p.json");
    let _ = std::fs::remove_file(&path);
    let r = request(LossMethod::MonteCarlo, 20);
    let (book, c) = setup(&r, 20);
    let s = LossShard::simulate(&r, &book, &c, ShardSpec::new(0, 1).unwrap()).unwrap();
    s.write(&path, false).unwrap();
    let e = s.write(&path, false).unwrap_err();
    assert!(matches!(problem(&e).1, ShardProblem::Exists), "{e}");
    s.write(&path, true).unwrap();
    assert_eq!(LossShard::read(&path).unwrap(), s);
    std::fs::remove_dir_all(&dir).unwrap();
}
