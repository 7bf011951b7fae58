//! `loss --shard` / `defi --shard` and `merge`: the merged partials print exactly what the
//! single run prints, tables and JSON, byte for byte; bad sets of partials exit 2 naming
//! the file and the reason; --out is not overwritten without --force.

use crate::common::{fails_naming, xtask};
use std::path::{Path, PathBuf};

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("creditlab-shard-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = xtask(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `base` as shards `0..n` into `dir` and returns the files, last shard first.
fn shard(base: &[&str], n: u64, dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = (0..n)
        .map(|k| {
            let file = dir.join(format!("part{k}.json")).display().to_string();
            let spec = format!("{k}/{n}");
            let mut args = base.to_vec();
            args.extend(["--shard", &spec, "--out", &file]);
            assert!(ok(&args).is_empty(), "a shard prints nothing");
            file
        })
        .collect();
    files.reverse();
    files
}

fn merged(files: &[String], json: bool) -> Vec<u8> {
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    if json {
        args.push("--json");
    }
    ok(&args)
}

#[test]
fn loss_shards_merge_byte_for_byte() {
    let d = dir("loss");
    for method in ["mc", "mc-is"] {
        let base = [
            "loss",
            "--book",
            "benchmark:400",
            "--method",
            method,
            "--scenarios",
            "2001",
            "--seed",
            "3",
            "--tail",
            "0.05,0.1",
        ];
        let sub = d.join(method);
        std::fs::create_dir_all(&sub).unwrap();
        let files = shard(&base, 3, &sub);
        assert_eq!(merged(&files, false), ok(&base));
        let mut json = base.to_vec();
        json.push("--json");
        assert_eq!(merged(&files, true), ok(&json));
    }
}

#[test]
fn defi_shards_merge_byte_for_byte_without_the_config() {
    let d = dir("defi");
    let config = d.join("defi.toml");
    std::fs::write(&config, include_str!("../../scenarios/defi.toml")).unwrap();
    let cfg = config.display().to_string();
    let base = ["defi", "--config", &cfg, "--paths", "7", "--seed", "9"];
    let files = shard(&base, 2, &d);
    let (single, mut json) = (ok(&base), base.to_vec());
    json.push("--json");
    let single_json = ok(&json);
    std::fs::remove_file(&config).unwrap();
    assert_eq!(merged(&files, false), single);
    assert_eq!(merged(&files, true), single_json);
}

#[test]
fn bad_partials_exit_2_naming_the_file() {
    let d = dir("bad");
    let base = ["loss", "--book", "standard:50", "--scenarios", "300"];
    let files = shard(&base, 3, &d);
    // files[0] is shard 2, files[2] shard 0.
    fails_naming(
        &xtask(&["merge", &files[0], &files[2]]),
        &["part2.json", "100..200", "no shard"],
    );
    fails_naming(
        &xtask(&["merge", &files[0], &files[1], &files[2], &files[1]]),
        &["part1.json", "overlap"],
    );
    let other = d.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let o = shard(
        &["loss", "--book", "standard:51", "--scenarios", "300"],
        3,
        &other,
    );
    fails_naming(
        &xtask(&["merge", &files[0], &o[1], &files[2]]),
        &["other/part1.json", "another configuration"],
    );
    let seeded = d.join("seeded");
    std::fs::create_dir_all(&seeded).unwrap();
    let s = shard(
        &[
            "loss",
            "--book",
            "standard:50",
            "--scenarios",
            "300",
            "--seed",
            "2",
        ],
        3,
        &seeded,
    );
    fails_naming(
        &xtask(&["merge", &files[0], &s[1], &files[2]]),
        &["seed 2", "seed 1"],
    );
    let cut = d.join("cut.json");
    let text = std::fs::read_to_string(&files[1]).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let cut = cut.display().to_string();
    fails_naming(
        &xtask(&["merge", &files[0], &cut, &files[2]]),
        &["cut.json", "corrupt"],
    );
    // --out is not replaced without --force; --shard needs --out and a simulation.
    let again = [
        "loss",
        "--book",
        "standard:50",
        "--scenarios",
        "300",
        "--shard",
        "1/3",
    ];
    let mut args = again.to_vec();
    args.extend(["--out", &files[1]]);
    fails_naming(&xtask(&args), &["part1.json", "--force"]);
    args.push("--force");
    assert!(ok(&args).is_empty());
    fails_naming(&xtask(&again), &["--out"]);
    let mut exact = args.clone();
    exact.extend(["--method", "exact"]);
    fails_naming(&xtask(&exact), &["mc, mc-is"]);
    fails_naming(
        &xtask(&["merge", "/nonexistent/p.json"]),
        &["/nonexistent/p.json"],
    );
}

#[test]
fn pipeline_shards_merge_to_the_single_report() {
    let d = dir("pipeline");
    let single = d.join("single").display().to_string();
    ok(&["--quiet", "pipeline", "--quick", "--out", &single]);
    let files = shard(&["--quiet", "pipeline", "--quick"], 2, &d);
    // An existing partial is not overwritten without --force.
    fails_naming(
        &xtask(&["pipeline", "--quick", "--shard", "0/2", "--out", &files[1]]),
        &["part0.json", "--force"],
    );
    let merged = d.join("merged").display().to_string();
    let mut args = vec!["--quiet", "merge", "--out", &merged];
    args.extend(files.iter().map(String::as_str));
    ok(&args);
    let read = |dir: &str| std::fs::read(Path::new(dir).join("report.json")).unwrap();
    assert!(read(&merged) == read(&single), "merged report.json differs");
    // One shard missing: refused, naming the file and the paths no shard holds.
    fails_naming(
        &xtask(&["merge", "--out", &merged, &files[0]]),
        &["part1.json", "no shard"],
    );
}

/// Regression: an existing --out was refused only after the shard had run (minutes of a
/// large run). It is refused before any work: before the inputs are read, so a missing
/// input file is not what the error names, and the file is left as it was.
#[test]
fn an_existing_out_is_refused_before_the_run() {
    let d = dir("before");
    let out = d.join("taken.json");
    std::fs::write(&out, "not mine").unwrap();
    let out = out.display().to_string();
    let missing = d.join("missing.csv").display().to_string();
    let shard = ["--shard", "0/2", "--out", &out];
    for task in [
        &["loss", "--portfolio", &missing, "--method", "mc"][..],
        &["defi", "--config", &missing],
        &["pipeline", "--config", &missing],
    ] {
        let args: Vec<&str> = task.iter().chain(&shard).copied().collect();
        fails_naming(&xtask(&args), &["taken.json", "exists already", "--force"]);
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "not mine",
            "{args:?}"
        );
    }
}
