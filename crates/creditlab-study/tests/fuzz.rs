//! The fuzz targets in the normal test suite: every target has a seed corpus and every seed
//! of a file parser is a valid file (so the campaign starts from the real format), the
//! corpus and every crash ever found (fuzz/regressions/TARGET/) replay without a panic, and
//! a short deterministic mutation run of each target (a few hundred inputs) finds none.

use creditlab_loan::tape::{TapeFormat, TapeReader};
use creditlab_numerics::rng::stream;
use creditlab_study::fuzz::{TARGETS, Target};
use rand::RngExt;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<folder>/<target>`, sorted; none when the folder does not exist.
fn files(folder: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(dir) = std::fs::read_dir(fuzz_dir().join(folder).join(target)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn every_target_has_a_seed_corpus_and_every_corpus_a_target() {
    for t in TARGETS {
        assert!(
            !files("corpus", t.name).is_empty(),
            "no seeds for {}",
            t.name
        );
    }
    for entry in std::fs::read_dir(fuzz_dir().join("corpus")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            creditlab_study::fuzz::target(&name).is_some(),
            "fuzz/corpus/{name} has no target"
        );
    }
}

#[test]
fn seeds_of_the_file_parsers_are_valid_files() {
    use creditlab_study::Scenario;
    use creditlab_study::config::parse_toml;
    let text = |p: &Path| std::fs::read_to_string(p).unwrap();
    for (p, _) in files("corpus", "scenario_toml") {
        Scenario::parse(&text(&p), "seed").unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    for (p, _) in files("corpus", "deal_toml") {
        let deal: creditlab_pool::deal::DealSpec = parse_toml(&text(&p), "seed").unwrap();
        deal.validate()
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    for (p, _) in files("corpus", "defi_toml") {
        let c: creditlab_defi::config::DefiSimConfig = parse_toml(&text(&p), "seed").unwrap();
        c.validate()
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    for (p, _) in files("corpus", "originate_toml") {
        creditlab_study::originate::OriginateSpec::parse(&text(&p), "seed").unwrap();
    }
    for (p, _) in files("corpus", "scorecard_mapping") {
        creditlab_grade::woe_card::Mapping::from_toml(&text(&p), "seed").unwrap();
    }
    for (p, bytes) in files("corpus", "tape_csv") {
        let reader = TapeReader::new(&bytes[..], TapeFormat::Csv).unwrap();
        for r in reader {
            r.unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        }
    }
    for (p, bytes) in files("corpus", "tape_jsonl") {
        for r in TapeReader::new(&bytes[..], TapeFormat::JsonLines).unwrap() {
            r.unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        }
    }
    for (p, bytes) in files("corpus", "portfolio_csv") {
        creditlab_contagion::io::portfolio_from_reader(&bytes[..], "seed")
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    for (p, bytes) in files("corpus", "clearing_json") {
        let spec: creditlab_contagion::clearing::NetworkSpec =
            serde_json::from_slice(&bytes).unwrap();
        creditlab_contagion::clearing::ClearingNetwork::try_from(spec)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

/// The Parquet and Arrow IPC seeds are the CSV seeds written in those formats (so the
/// campaign mutates real files of the writer's layout). `CREDITLAB_WRITE_SEEDS=1` writes
/// them afresh from the CSV seeds.
#[test]
fn columnar_seeds_are_the_csv_seeds_in_each_format() {
    use creditlab_loan::tape::write_tape;
    let formats = [
        ("tape_parquet", "parquet", TapeFormat::Parquet),
        ("tape_arrow_ipc", "arrow", TapeFormat::ArrowIpc),
    ];
    let write = std::env::var_os("CREDITLAB_WRITE_SEEDS").is_some();
    for (p, bytes) in files("corpus", "tape_csv") {
        let records: Vec<_> = TapeReader::new(&bytes[..], TapeFormat::Csv)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let stem = p.file_stem().unwrap().to_str().unwrap();
        for (target, ext, format) in formats {
            let seed = fuzz_dir().join(format!("corpus/{target}/{stem}.{ext}"));
            if write {
                let out = write_tape(Vec::new(), format, &records).unwrap();
                std::fs::create_dir_all(seed.parent().unwrap()).unwrap();
                std::fs::write(&seed, out).unwrap();
            }
            let read: Vec<_> = TapeReader::new(&std::fs::read(&seed).unwrap()[..], format)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(read, records, "{}", seed.display());
        }
    }
}

#[test]
fn corpus_and_every_crash_found_replay_without_a_panic() {
    let mut replayed = 0;
    for t in TARGETS {
        for folder in ["corpus", "regressions"] {
            for (_, bytes) in files(folder, t.name) {
                (t.run)(&bytes);
                replayed += 1;
            }
        }
    }
    assert!(replayed >= TARGETS.len());
}

/// Tokens a mutation may insert: numbers at the edges, and the formats' punctuation.
const TOKENS: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "1e308",
    "-0",
    "1e-320",
    "18446744073709551616",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    "\n",
    ":",
    "null",
    "[[",
    "]]",
    "\u{feff}",
    "0.5:0.4:0.1",
];

/// One mutation of `seed`: flipped bits, a cut, a repeated slice or an inserted token.
fn mutate(seed: &[u8], rng: &mut impl rand::Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = if v.is_empty() {
            0
        } else {
            rng.random_range(0..v.len())
        };
        match rng.random_range(0..4) {
            0 if !v.is_empty() => v[at] ^= 1 << rng.random_range(0..8),
            1 if !v.is_empty() => {
                let end = (at + rng.random_range(1..=16)).min(v.len());
                v.drain(at..end);
            }
            2 if !v.is_empty() => {
                let end = (at + rng.random_range(1..=32)).min(v.len());
                let slice = v[at..end].to_vec();
                v.splice(at..at, slice);
            }
            _ => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                v.splice(at..at, token.iter().copied());
            }
        }
    }
    v
}

/// Inputs per target in the short run: a few seconds in all.
const SHORT_RUN: usize = 200;

fn short_run(t: &Target, inputs: usize) {
    let seeds = files("corpus", t.name);
    let mut rng = stream(20, t.name.len() as u64);
    for i in 0..inputs {
        let (_, seed) = &seeds[i % seeds.len()];
        (t.run)(&mutate(seed, &mut rng));
    }
}

#[test]
fn a_short_mutation_run_of_every_target_finds_no_panic() {
    for t in TARGETS {
        // A sweep input can ask for thousands of grid points, each a scenario validated.
        let inputs = if t.name == "sweep_grid" {
            SHORT_RUN / 4
        } else {
            SHORT_RUN
        };
        short_run(t, inputs);
    }
}

// Regressions: each crash fuzzing found, as a test of the parser's behaviour.

/// Found by the short mutation run: a range of 10^600 steps overflowed the count of values
/// (a panic in debug builds, a wrapped count of 0 in release).
#[test]
fn sweep_range_of_more_values_than_a_usize_is_an_error_naming_the_limit() {
    let e = creditlab_study::sweep::parse_param("loss.bank_rho=0:1e300:1e-300").unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("more than 1e308 values, at most 10000"),
        "{text}"
    );
    assert!(text.contains("loss.bank_rho"), "{text}");
}

/// The grid's size is checked before the grid is built: three parameters of 1,000 values
/// were 10^9 points in memory before the limit was looked at.
#[test]
fn sweep_grid_too_large_is_refused_before_it_is_built() {
    use creditlab_study::scenario::DEFAULT_SCENARIO;
    use creditlab_study::sweep::{Sweep, parse_param};
    let params = [
        "loss.bank_rho=0:1:0.001",
        "loss.defi_rho=0:1:0.001",
        "books.loans=1:10000:1",
    ]
    .map(|p| parse_param(p).unwrap())
    .to_vec();
    let started = std::time::Instant::now();
    let e = Sweep::new(DEFAULT_SCENARIO, "default", params, true).unwrap_err();
    assert!(e.to_string().contains("at most 10000"), "{e}");
    // Refused at once, not after allocating the grid.
    assert!(started.elapsed().as_secs() < 5);
}
