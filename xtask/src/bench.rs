//! `cargo xtask bench`: measures the hot paths in-process and writes the summary.
//!
//! The workloads are those of the criterion benches in `benches/benches/` (plain Monte Carlo
//! on the standard book, Glasserman-Li importance sampling, the exact recursion on 1,000
//! loans, the five-note waterfall of a 10,000-loan pool over 1,000 scenarios, the DeFi
//! lending pool of 10,000 positions over 1,000 paths of 288 steps, the default study as
//! a child process, and plain Monte Carlo on the 100,000-loan benchmark tape, one-factor
//! and 10 sectors, beside the numpy peer `benches/peers/tape_mc.py`, and a 1,000,000-loan
//! tape read from CSV by `cargo xtask loss` as a child process); they are defined, run and timed in creditlab-benches
//! (`benches/src/lib.rs`, `measure.rs`), which also writes the Markdown (`markdown.rs`).
//! This task parses the flags, calls the measurements in order and writes
//! the workspace's `target/creditlab-bench/summary.json` and `docs/PERFORMANCE.md`.

use crate::cli::outln;
use crate::cli::{TaskError, TaskResult};
use creditlab_benches::markdown::{
    ANALYTIC_HEADING, DEFI_HEADING, PIPELINE_HEADING, STREAM_HEADING, TAPE_HEADING,
    analytic_section, defi_section, performance_page, pipeline_section, replace_section,
    stream_section, tape_section,
};
use creditlab_benches::measure::{self, Machine, Summary};
use serde::Serialize;
use std::path::PathBuf;

/// Flags of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the JSON summary goes (default: the workspace's, from any directory).
    #[arg(long, default_value = measure::SUMMARY_FILE)]
    out: PathBuf,
    /// Where the Markdown report goes (default: the workspace's, from any directory).
    #[arg(long, default_value = measure::PERFORMANCE_DOC)]
    doc: PathBuf,
    /// Repetitions of each timed run (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Measure one workload only (`defi`, `pipeline`, `tape`, `stream` or `analytic`): its
    /// section of the
    /// Markdown report is replaced, the other sections are kept, and its figures go to
    /// `<workload>.json` beside `--out`.
    #[arg(long, value_parser = ["defi", "pipeline", "tape", "stream", "analytic"])]
    only: Option<String>,
    /// The Python interpreter of the numpy peer (`benches/peers/tape_mc.py`); without
    /// numpy the peer is skipped with a note.
    #[arg(long, default_value = "python3")]
    python: String,
}

/// What the tape measurement prints when it starts.
const TAPE_NOTE: &str = "measuring Monte Carlo on the benchmark tape (100,000 loans; 1 and 10 sectors) and the numpy peer ...";

/// What the million-loan measurement prints when it starts.
const STREAM_NOTE: &str =
    "measuring a 1,000,000-loan tape from CSV (cargo xtask loss --method mc, 10,000 scenarios) ...";

/// What the analytic measurement prints when it starts.
const ANALYTIC_NOTE: &str = "measuring exact and saddlepoint on the 10,000-loan benchmark tape, then the saddlepoint against exact on 100,000 loans (exact takes 20 s to a minute there) ...";

/// Where the numpy peer lives.
const PEERS: &str = measure::PEERS_DIR;

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    if args.repeat == 0 {
        return Err(TaskError::msg("--repeat must be at least 1"));
    }
    if let Some(workload) = args.only.as_deref() {
        return run_only(&args, workload);
    }
    let load_average = measure::load_average();
    eprintln!("measuring plain Monte Carlo (standard book, 10,000 loans) ...");
    let mc = measure::mc(args.repeat)?;
    eprintln!("measuring Glasserman-Li importance sampling ...");
    let is = measure::importance_sampling(args.repeat)?;
    eprintln!("measuring the exact recursion (1,000 loans, 64 nodes) ...");
    let exact = measure::exact(args.repeat)?;
    eprintln!("measuring the waterfall (10,000 loans, 1,000 scenarios, 5 notes) ...");
    let waterfall = measure::waterfall(args.repeat)?;
    eprintln!("measuring the DeFi lending pool (10,000 positions, 1,000 paths, 288 steps) ...");
    let defi = measure::defi(args.repeat)?;
    eprintln!("measuring the default study (cargo xtask pipeline) ...");
    let pipeline = measure::pipeline(&xtask_binary()?, args.repeat)?;
    eprintln!("{TAPE_NOTE}");
    let tape = measure::tape(args.repeat, &args.python, std::path::Path::new(PEERS))?;
    eprintln!("{STREAM_NOTE}");
    let stream = measure::stream(&xtask_binary()?)?;
    eprintln!("{ANALYTIC_NOTE}");
    let analytic = measure::analytic(args.repeat)?;
    let summary = Summary {
        command: "cargo xtask bench".into(),
        machine: Machine::detect(load_average),
        mc,
        importance_sampling: is,
        exact,
        waterfall,
        defi,
        pipeline,
        tape,
        stream,
        analytic,
    };
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| TaskError::msg(format!("cannot serialize the summary: {e}")))?;
    write_atomic(&args.out, format!("{json}\n").as_bytes())?;
    write_atomic(&args.doc, performance_page(&summary).as_bytes())?;
    outln!("{json}");
    eprintln!("wrote {} and {}", args.out.display(), args.doc.display());
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename, so an interrupted run
/// never leaves a half-written file.
fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> TaskResult {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| TaskError::msg(format!("cannot create {}: {e}", dir.display())))?;
    let tmp = dir.join(format!(".bench.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            TaskError::msg(format!("cannot write {}: {e}", path.display()))
        })
}

/// `--only <workload>`: measures one workload and replaces its section of the report,
/// keeping the others.
fn run_only(args: &Args, workload: &str) -> TaskResult {
    let (json, heading, section) = match workload {
        "defi" => {
            eprintln!(
                "measuring the DeFi lending pool (10,000 positions, 1,000 paths, 288 steps) ..."
            );
            let defi = measure::defi(args.repeat)?;
            (to_json(&defi)?, DEFI_HEADING, defi_section(&defi))
        }
        "tape" => {
            eprintln!("{TAPE_NOTE}");
            let t = measure::tape(args.repeat, &args.python, std::path::Path::new(PEERS))?;
            (to_json(&t)?, TAPE_HEADING, tape_section(&t))
        }
        "analytic" => {
            eprintln!("{ANALYTIC_NOTE}");
            let a = measure::analytic(args.repeat)?;
            (to_json(&a)?, ANALYTIC_HEADING, analytic_section(&a))
        }
        "stream" => {
            eprintln!("{STREAM_NOTE}");
            let t = measure::stream(&xtask_binary()?)?;
            (to_json(&t)?, STREAM_HEADING, stream_section(&t))
        }
        _ => {
            eprintln!("measuring the default study (cargo xtask pipeline) ...");
            let p = measure::pipeline(&xtask_binary()?, args.repeat)?;
            (to_json(&p)?, PIPELINE_HEADING, pipeline_section(&p))
        }
    };
    let out = args.out.with_file_name(format!("{workload}.json"));
    write_atomic(&out, format!("{json}\n").as_bytes())?;
    let old = std::fs::read_to_string(&args.doc).unwrap_or_default();
    write_atomic(
        &args.doc,
        replace_section(&old, heading, &section).as_bytes(),
    )?;
    outln!("{json}");
    eprintln!("wrote {} and {}", out.display(), args.doc.display());
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, TaskError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| TaskError::msg(format!("cannot serialize the figures: {e}")))
}

/// This binary, which `measure::pipeline` runs as `pipeline --quiet --out DIR`.
fn xtask_binary() -> Result<PathBuf, TaskError> {
    std::env::current_exe()
        .map_err(|e| TaskError::msg(format!("cannot find the xtask binary: {e}")))
}
