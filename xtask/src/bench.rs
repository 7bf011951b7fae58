//! `cargo xtask bench`: measures the hot paths in-process and writes the summary.
//!
//! The workloads are those of the criterion benches in `benches/benches/` (plain Monte Carlo
//! on the standard book, Glasserman-Li importance sampling, the exact recursion on 1,000
//! loans, the five-note waterfall of a 10,000-loan pool over 1,000 scenarios, the DeFi
//! lending pool of 10,000 positions over 1,000 paths of 288 steps; the
//! workloads are defined once, in `benches/src/lib.rs`). They are measured here in-process,
//! in the optimised xtask binary, with wall-clock timers around whole runs (median of
//! several repetitions after a warm-up), because the summary needs more than times: the
//! importance-sampling estimate, its relative standard error and the
//! variance-reduction factor come from the same runs. `cargo bench -p creditlab-benches`
//! gives criterion's statistics for the same workloads. The summary goes to
//! `target/creditlab-bench/summary.json` and `docs/PERFORMANCE.md`.

use crate::cli::{TaskError, TaskResult};
use creditlab_benches::{
    EXACT_LOANS, EXACT_NODES, GL_LEVEL, MC_LOANS, MC_RHO, MC_SCENARIOS, SEED, WF_SCENARIOS,
    waterfall_deal, waterfall_pool,
};
use creditlab_contagion::importance::{ImportanceSampler, glasserman_li_portfolio};
use creditlab_contagion::mc::MonteCarlo;
use creditlab_contagion::{Copula, ExactConfig, ExactLoss, LossDistribution, Portfolio};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Flags of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the JSON summary goes.
    #[arg(long, default_value = "target/creditlab-bench/summary.json")]
    out: PathBuf,
    /// Where the Markdown report goes.
    #[arg(long, default_value = "docs/PERFORMANCE.md")]
    doc: PathBuf,
    /// Repetitions of each timed run (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Measure one workload only (`defi` or `pipeline`): its section of the Markdown report
    /// is replaced, the other sections are kept, and its figures go to `<workload>.json`
    /// beside `--out`.
    #[arg(long, value_parser = ["defi", "pipeline"])]
    only: Option<String>,
}

const GL_PILOT: u64 = 4_000;
const GL_TARGET_REL_SE: f64 = 0.05;
/// The run is sized from the pilot for this relative SE, a margin under the target for the
/// pilot's own sampling error.
const GL_SIZING_REL_SE: f64 = 0.04;
const GL_PLAIN_SCENARIOS: u64 = 20_000;
const WF_TARGET_SECONDS: f64 = 5.0;
/// Speed targets of issue 3.
const TARGET_LOAN_SCENARIOS_PER_S: f64 = 1.0e9;
const TARGET_GL_SECONDS: f64 = 1.0;

#[derive(Debug, Serialize)]
struct Machine {
    nproc: usize,
    cpu_model: String,
    rustc: String,
    rayon_threads: usize,
    /// 1-minute load average when the measurement started (`/proc/loadavg`): other work
    /// on this shared machine slows the figures down.
    load_average: f64,
}

#[derive(Debug, Serialize)]
struct McFigures {
    loans: usize,
    rho: f64,
    scenarios_per_run: u64,
    cohorts: usize,
    median_seconds: f64,
    best_seconds: f64,
    loan_scenarios_per_second: f64,
    loan_scenarios_per_second_one_thread: f64,
    /// The same book with every EAD made distinct (single loans, geometric skipping).
    heterogeneous_loan_scenarios_per_second: f64,
    target_loan_scenarios_per_second: f64,
    met: bool,
}

#[derive(Debug, Serialize)]
struct IsFigures {
    level: f64,
    shift_seconds: f64,
    shift: Vec<f64>,
    pilot_scenarios: u64,
    pilot_seconds: f64,
    scenarios: u64,
    seconds: f64,
    total_seconds: f64,
    probability: f64,
    std_error: f64,
    relative_std_error: f64,
    variance_reduction: f64,
    plain_seconds_per_scenario: f64,
    is_seconds_per_scenario: f64,
    work_normalised_variance_reduction: f64,
    target_relative_std_error: f64,
    target_seconds: f64,
    met: bool,
}

#[derive(Debug, Serialize)]
struct ExactFigures {
    loans: usize,
    rho: f64,
    nodes: usize,
    median_seconds: f64,
    best_seconds: f64,
}

#[derive(Debug, Serialize)]
struct WaterfallFigures {
    loans: usize,
    cohorts: usize,
    months: usize,
    notes: usize,
    scenarios: usize,
    median_seconds: f64,
    best_seconds: f64,
    /// Of the median run: the scenario projection alone and the waterfall alone.
    projection_seconds: f64,
    waterfall_seconds: f64,
    senior_expected_loss: f64,
    junior_expected_loss: f64,
    target_seconds: f64,
    met: bool,
}

#[derive(Debug, Serialize)]
struct DefiFigures {
    positions: usize,
    paths: u64,
    steps: usize,
    step_minutes: f64,
    median_seconds: f64,
    best_seconds: f64,
    position_path_steps_per_second: f64,
    /// The same workload under the March-2020 shock (its first 24 hours: most positions
    /// are liquidated), median of up to 3 runs.
    crash_median_seconds: f64,
    calm_liquidation_volume: f64,
    crash_liquidation_volume: f64,
    crash_bad_debt: f64,
    /// 1-minute load average when this measurement started.
    load_average: f64,
    rayon_threads: usize,
    target_seconds: f64,
    met: bool,
}

#[derive(Debug, Serialize)]
struct Summary {
    command: String,
    machine: Machine,
    mc: McFigures,
    importance_sampling: IsFigures,
    exact: ExactFigures,
    waterfall: WaterfallFigures,
    defi: DefiFigures,
    pipeline: PipelineFigures,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Seconds of one call of `f`.
fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64(), out)
}

fn bench_mc(repeat: usize) -> Result<McFigures, TaskError> {
    let book = Portfolio::standard_book(MC_LOANS)?;
    let mc = MonteCarlo::new(&book, &Copula::gaussian(MC_RHO)?)?;
    let _warm = mc.run(SEED, MC_SCENARIOS / 10);
    let times: Vec<f64> = (0..repeat)
        .map(|r| time(|| mc.run(SEED + r as u64, MC_SCENARIOS).expected_loss()).0)
        .collect();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| TaskError::msg(format!("cannot build a thread pool: {e}")))?;
    let one_thread = one.install(|| {
        median(
            (0..repeat.min(3))
                .map(|r| time(|| mc.run(SEED + r as u64, MC_SCENARIOS).expected_loss()).0)
                .collect(),
        )
    });
    let work = MC_LOANS as f64 * MC_SCENARIOS as f64;
    let hetero = Portfolio::new((0..MC_LOANS).map(|i| {
        const PD: [f64; 5] = [0.005, 0.01, 0.02, 0.05, 0.10];
        let ead = 1.0 + (i % 7) as f64 + 1e-6 * i as f64;
        creditlab_contagion::Exposure::new(ead, PD[i % 5], creditlab_contagion::Lgd::Constant(0.45))
    }))?;
    let hmc = MonteCarlo::new(&hetero, &Copula::gaussian(MC_RHO)?)?;
    let hetero_time = median(
        (0..repeat)
            .map(|r| time(|| hmc.run(SEED + r as u64, MC_SCENARIOS / 10).expected_loss()).0)
            .collect(),
    );
    let med = median(times.clone());
    let rate = work / med;
    Ok(McFigures {
        loans: MC_LOANS,
        rho: MC_RHO,
        scenarios_per_run: MC_SCENARIOS,
        cohorts: mc.n_cohorts(),
        median_seconds: med,
        best_seconds: times.iter().copied().fold(f64::INFINITY, f64::min),
        loan_scenarios_per_second: rate,
        loan_scenarios_per_second_one_thread: work / one_thread,
        heterogeneous_loan_scenarios_per_second: work / 10.0 / hetero_time,
        target_loan_scenarios_per_second: TARGET_LOAN_SCENARIOS_PER_S,
        met: rate >= TARGET_LOAN_SCENARIOS_PER_S,
    })
}

fn bench_is(repeat: usize) -> Result<IsFigures, TaskError> {
    let (book, copula) = glasserman_li_portfolio()?;
    let (shift_seconds, is) = time(|| ImportanceSampler::new(&book, &copula, GL_LEVEL));
    let is = is?;
    // Pilot: how many scenarios does a 5% relative SE need?
    let (pilot_seconds, pilot) = time(|| is.run(SEED, GL_PILOT));
    let rel = pilot.probability.std_error.unwrap_or(f64::NAN) / pilot.probability.value;
    let needed = ((GL_PILOT as f64) * (rel / GL_SIZING_REL_SE).powi(2)).ceil() as u64;
    let scenarios = needed.max(100);
    let mut runs: Vec<(f64, creditlab_contagion::importance::TailEstimate)> = (0..repeat)
        .map(|r| time(|| is.run(SEED + 1 + r as u64, scenarios)))
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (seconds, est) = runs.swap_remove(runs.len() / 2);
    // Plain Monte Carlo cost per scenario on the same portfolio, for the work-normalised
    // variance reduction.
    let mc = MonteCarlo::new(&book, &copula)?;
    let (plain_seconds, _) = time(|| mc.run(SEED, GL_PLAIN_SCENARIOS));
    let plain_per = plain_seconds / GL_PLAIN_SCENARIOS as f64;
    let is_per = seconds / scenarios as f64;
    let std_error = est.probability.std_error.unwrap_or(f64::NAN);
    let relative = std_error / est.probability.value;
    Ok(IsFigures {
        level: GL_LEVEL,
        shift_seconds,
        shift: is.shift().to_vec(),
        pilot_scenarios: GL_PILOT,
        pilot_seconds,
        scenarios,
        seconds,
        total_seconds: shift_seconds + seconds,
        probability: est.probability.value,
        std_error,
        relative_std_error: relative,
        variance_reduction: est.variance_reduction,
        plain_seconds_per_scenario: plain_per,
        is_seconds_per_scenario: is_per,
        work_normalised_variance_reduction: est.variance_reduction * plain_per / is_per,
        target_relative_std_error: GL_TARGET_REL_SE,
        target_seconds: TARGET_GL_SECONDS,
        met: relative <= GL_TARGET_REL_SE && shift_seconds + seconds <= TARGET_GL_SECONDS,
    })
}

fn bench_exact(repeat: usize) -> Result<ExactFigures, TaskError> {
    let book = Portfolio::standard_book(EXACT_LOANS)?;
    let copula = Copula::gaussian(MC_RHO)?;
    let config = ExactConfig {
        nodes: EXACT_NODES,
        ..ExactConfig::default()
    };
    let _warm = ExactLoss::new(&book, &copula, &config)?;
    let mut times = Vec::new();
    for _ in 0..repeat {
        let (t, d) = time(|| ExactLoss::new(&book, &copula, &config));
        d?;
        times.push(t);
    }
    Ok(ExactFigures {
        loans: EXACT_LOANS,
        rho: MC_RHO,
        nodes: EXACT_NODES,
        best_seconds: times.iter().copied().fold(f64::INFINITY, f64::min),
        median_seconds: median(times),
    })
}

/// One timed waterfall run: total, projection and waterfall seconds, cohorts, months and
/// each note's expected loss.
type WaterfallTiming = (f64, f64, f64, usize, usize, Vec<f64>);

fn bench_waterfall(repeat: usize) -> Result<WaterfallFigures, TaskError> {
    use creditlab_pool::cohort::{Cohorts, cohort_scenarios};
    let loans = waterfall_pool();
    let deal = waterfall_deal();
    // One timed run: cohorts, scenarios (CDR 2%, rho 0.15, CPR 8%, lag 12, severity 40%),
    // waterfall. Returns (total, projection, waterfall seconds, per-note statistics).
    let once = |seed: u64| -> Result<WaterfallTiming, TaskError> {
        let start = Instant::now();
        let cohorts = Cohorts::new(&loans)?;
        let flows = cohort_scenarios(
            &cohorts,
            &creditlab_loan::Prepayment::Cpr(0.08),
            0.02,
            &Copula::gaussian(0.15)?,
            12,
            0.4,
            false,
            WF_SCENARIOS,
            seed,
        )?;
        let projected = start.elapsed().as_secs_f64();
        let stats = deal.simulate(&flows)?;
        let total = start.elapsed().as_secs_f64();
        let months = flows.iter().map(|f| f.periods.len()).max().unwrap_or(0);
        Ok((
            total,
            projected,
            total - projected,
            cohorts.len(),
            months,
            stats.iter().map(|s| s.expected_loss).collect(),
        ))
    };
    let _warm = once(SEED)?;
    let mut runs = (0..repeat)
        .map(|r| once(SEED + r as u64))
        .collect::<Result<Vec<_>, _>>()?;
    let best = runs.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (total, projected, waterfall, cohorts, months, el) = runs.swap_remove(runs.len() / 2);
    Ok(WaterfallFigures {
        loans: loans.len(),
        cohorts,
        months,
        notes: deal.notes().len(),
        scenarios: WF_SCENARIOS,
        median_seconds: total,
        best_seconds: best,
        projection_seconds: projected,
        waterfall_seconds: waterfall,
        senior_expected_loss: el[0],
        junior_expected_loss: el[el.len() - 1],
        target_seconds: WF_TARGET_SECONDS,
        met: total <= WF_TARGET_SECONDS,
    })
}

const DEFI_TARGET_SECONDS: f64 = 10.0;

fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

fn bench_defi(repeat: usize) -> Result<DefiFigures, TaskError> {
    use creditlab_benches::{DEFI_PATHS, DEFI_POSITIONS, DEFI_STEP_HOURS, DEFI_STEPS, defi_config};
    use creditlab_defi::simulation::DefiSim;
    let load_average = load_average();
    let config = defi_config();
    let sim = DefiSim::new(&config)?;
    let _warm = sim.run(DEFI_PATHS / 10, SEED)?;
    // Every repetition runs the same seed, so the figures do not depend on which
    // repetition is the median.
    let mut times = Vec::new();
    let mut calm = None;
    for _ in 0..repeat {
        let (t, r) = time(|| sim.run(DEFI_PATHS, SEED));
        times.push(t);
        calm = Some(r?);
    }
    let calm = calm.expect("repeat >= 1");
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let seconds = median(times);
    let crash_sim = DefiSim::new(&config.march_2020())?;
    let mut crash_times = Vec::new();
    let mut crash = None;
    for _ in 0..repeat.min(3) {
        let (t, r) = time(|| crash_sim.run(DEFI_PATHS, SEED));
        crash_times.push(t);
        crash = Some(r?);
    }
    let crash = crash.expect("repeat >= 1");
    let crash_seconds = median(crash_times);
    let work = DEFI_POSITIONS as f64 * DEFI_PATHS as f64 * DEFI_STEPS as f64;
    Ok(DefiFigures {
        positions: DEFI_POSITIONS,
        paths: DEFI_PATHS,
        steps: DEFI_STEPS,
        step_minutes: DEFI_STEP_HOURS * 60.0,
        median_seconds: seconds,
        best_seconds: best,
        position_path_steps_per_second: work / seconds,
        crash_median_seconds: crash_seconds,
        calm_liquidation_volume: calm.liquidation_volume.mean,
        crash_liquidation_volume: crash.liquidation_volume.mean,
        crash_bad_debt: crash.bad_debt.mean,
        load_average,
        rayon_threads: rayon::current_num_threads(),
        target_seconds: DEFI_TARGET_SECONDS,
        met: seconds <= DEFI_TARGET_SECONDS,
    })
}

/// Heading of the DeFi section of the Markdown report; `--only defi` replaces the report
/// from this heading on.
const DEFI_HEADING: &str = "## DeFi lending pool";

fn defi_markdown(d: &DefiFigures) -> String {
    format!(
        "{DEFI_HEADING}\n\
\n\
Issue 6's workload (`benches/src/lib.rs`, `defi_config`, criterion: `benches/benches/defi.rs`):\n\
creditlab-loan's synthetic DeFi book of {positions} positions on one WETH-like asset\n\
(Aave v3 parameters; 80% volatility, jumps), {paths} price paths of {steps} {minutes:.0}-minute\n\
steps (one day) with a one-step oracle delay, interest, capacity-limited liquidation\n\
cascades through a constant-product market and depositor runs\n\
(`creditlab_defi::simulation`, `DefiSim::run`, paths in parallel). Measured by\n\
`cargo xtask bench --only defi` (which rewrites this section only) or the full\n\
`cargo xtask bench`, {threads} rayon threads, 1-minute load average {load:.2} at the start;\n\
median of the repetitions, every repetition on the same seed.\n\
\n\
| figure | value |\n\
| --- | --- |\n\
| median wall time, calm day | {med:.4} s (best {best:.4} s) |\n\
| position-path-steps per second (notional: positions x paths x steps / time) | {rate:.3e} |\n\
| same workload under the March-2020 shock (first 24 hours) | {crash:.4} s |\n\
| mean liquidation volume per unit of debt: calm / crash | {lc:.4} / {lx:.4} |\n\
| mean bad debt per unit of debt, crash | {bd:.3e} |\n\
| target | <= {target:.0} s: **{met}** |\n\
\n\
Positions are ordered by their liquidation price, so a step touches only the positions\n\
whose liquidation price the oracle price crossed (see `docs/methodology/lending-pool.md`):\n\
the calm day costs little more than the price paths themselves.\n",
        positions = d.positions,
        paths = d.paths,
        steps = d.steps,
        minutes = d.step_minutes,
        threads = d.rayon_threads,
        load = d.load_average,
        med = d.median_seconds,
        best = d.best_seconds,
        rate = d.position_path_steps_per_second,
        crash = d.crash_median_seconds,
        lc = d.calm_liquidation_volume,
        lx = d.crash_liquidation_volume,
        bd = d.crash_bad_debt,
        target = d.target_seconds,
        met = yes_no(d.met),
    )
}

/// `--only <workload>`: measures one workload and replaces its section of the report,
/// keeping the others.
fn run_only(args: &Args, workload: &str) -> TaskResult {
    let (json, heading, section) = match workload {
        "defi" => {
            eprintln!(
                "measuring the DeFi lending pool (10,000 positions, 1,000 paths, 288 steps) ..."
            );
            let defi = bench_defi(args.repeat)?;
            (to_json(&defi)?, DEFI_HEADING, defi_markdown(&defi))
        }
        _ => {
            eprintln!("measuring the default study (cargo xtask pipeline) ...");
            let p = bench_pipeline(args.repeat)?;
            (to_json(&p)?, PIPELINE_HEADING, pipeline_markdown(&p))
        }
    };
    let out = args
        .out
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(format!("{workload}.json"));
    write_atomic(&out, format!("{json}\n").as_bytes())?;
    let old = std::fs::read_to_string(&args.doc).unwrap_or_default();
    write_atomic(
        &args.doc,
        replace_section(&old, heading, &section).as_bytes(),
    )?;
    println!("{json}");
    eprintln!("wrote {} and {}", out.display(), args.doc.display());
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, TaskError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| TaskError::msg(format!("cannot serialize the figures: {e}")))
}

/// `doc` with the section starting at the line `heading` (up to the next `## ` heading or
/// the end) replaced by `section`, or with `section` appended when there is none.
fn replace_section(doc: &str, heading: &str, section: &str) -> String {
    let start = doc
        .match_indices(heading)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || doc[..i].ends_with('\n'));
    match start {
        Some(i) => {
            let after = i + heading.len();
            let end = doc[after..]
                .find("\n## ")
                .map_or(doc.len(), |j| after + j + 1);
            format!("{}{section}{}", &doc[..i], &doc[end..])
        }
        None if doc.is_empty() => format!("# Performance\n\n{section}"),
        None => format!("{}\n\n{section}", doc.trim_end()),
    }
}

/// The default study's wall time and peak memory: issue 7's targets.
#[derive(Debug, Serialize)]
struct PipelineFigures {
    loans_per_book: usize,
    defi_paths: u64,
    runs: usize,
    median_seconds: f64,
    best_seconds: f64,
    peak_rss_mib: f64,
    load_average: f64,
    target_seconds: f64,
    target_peak_rss_mib: f64,
    met: bool,
}

const PIPELINE_TARGET_SECONDS: f64 = 60.0;
const PIPELINE_TARGET_MIB: f64 = 1024.0;

/// Runs `cargo xtask pipeline` (this binary, the built-in scenario) as a child process
/// `repeat` times (at most 3): wall time of the whole run, files included, and the
/// child's peak resident memory (`VmHWM` of `/proc/<pid>/status`, sampled every 10 ms
/// until it exits).
fn bench_pipeline(repeat: usize) -> Result<PipelineFigures, TaskError> {
    let scenario = creditlab_study::Scenario::builtin()?;
    let exe = std::env::current_exe()
        .map_err(|e| TaskError::msg(format!("cannot find the xtask binary: {e}")))?;
    let out = std::env::temp_dir().join(format!("creditlab-bench-pipeline-{}", std::process::id()));
    let load_average = load_average();
    let mut times = Vec::new();
    let mut peak_kib = 0u64;
    for _ in 0..repeat.clamp(1, 3) {
        let start = Instant::now();
        let mut child = std::process::Command::new(&exe)
            .arg("pipeline")
            .arg("--quiet")
            .arg("--out")
            .arg(&out)
            .spawn()
            .map_err(|e| TaskError::msg(format!("cannot run the pipeline: {e}")))?;
        let status_file = format!("/proc/{}/status", child.id());
        let status = loop {
            if let Ok(text) = std::fs::read_to_string(&status_file)
                && let Some(kib) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
                Err(e) => return Err(TaskError::msg(format!("cannot wait for the pipeline: {e}"))),
            }
        };
        if !status.success() {
            return Err(TaskError::msg(format!("the pipeline failed: {status}")));
        }
        times.push(start.elapsed().as_secs_f64());
    }
    let _ = std::fs::remove_dir_all(&out);
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let median_seconds = median(times.clone());
    let peak_rss_mib = peak_kib as f64 / 1024.0;
    Ok(PipelineFigures {
        loans_per_book: scenario.books.loans,
        defi_paths: scenario.defi_pool.paths,
        runs: times.len(),
        median_seconds,
        best_seconds: best,
        peak_rss_mib,
        load_average,
        target_seconds: PIPELINE_TARGET_SECONDS,
        target_peak_rss_mib: PIPELINE_TARGET_MIB,
        met: median_seconds <= PIPELINE_TARGET_SECONDS && peak_rss_mib <= PIPELINE_TARGET_MIB,
    })
}

/// Heading of the default study's section of the Markdown report.
const PIPELINE_HEADING: &str = "## The default study";

fn pipeline_markdown(p: &PipelineFigures) -> String {
    format!(
        "{PIPELINE_HEADING}\n\
\n\
`cargo xtask pipeline` on its built-in scenario ({loans} loans per book, {paths} DeFi paths per\n\
setting, every stage and every output file), run {runs} times as a child process by\n\
`cargo xtask bench --only pipeline` (which rewrites this section only) or the full\n\
`cargo xtask bench`; 1-minute load average {load:.2} at the start. Peak memory is the child's\n\
`VmHWM`, sampled every 10 ms.\n\
\n\
| figure | value |\n\
| --- | --- |\n\
| median wall time | {med:.2} s (best {best:.2} s) |\n\
| peak resident memory | {rss:.0} MiB |\n\
| target | <= {ts:.0} s and < {tm:.0} MiB: **{met}** |\n",
        loans = p.loans_per_book,
        paths = p.defi_paths,
        runs = p.runs,
        load = p.load_average,
        med = p.median_seconds,
        best = p.best_seconds,
        rss = p.peak_rss_mib,
        ts = p.target_seconds,
        tm = p.target_peak_rss_mib,
        met = yes_no(p.met),
    )
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    if args.repeat == 0 {
        return Err(TaskError::msg("--repeat must be at least 1"));
    }
    if let Some(workload) = args.only.as_deref() {
        return run_only(&args, workload);
    }
    let load_average = load_average();
    eprintln!("measuring plain Monte Carlo (standard book, 10,000 loans) ...");
    let mc = bench_mc(args.repeat)?;
    eprintln!("measuring Glasserman-Li importance sampling ...");
    let is = bench_is(args.repeat)?;
    eprintln!("measuring the exact recursion (1,000 loans, 64 nodes) ...");
    let exact = bench_exact(args.repeat)?;
    eprintln!("measuring the waterfall (10,000 loans, 1,000 scenarios, 5 notes) ...");
    let waterfall = bench_waterfall(args.repeat)?;
    eprintln!("measuring the DeFi lending pool (10,000 positions, 1,000 paths, 288 steps) ...");
    let defi = bench_defi(args.repeat)?;
    eprintln!("measuring the default study (cargo xtask pipeline) ...");
    let pipeline = bench_pipeline(args.repeat)?;
    let summary = Summary {
        command: "cargo xtask bench".into(),
        machine: Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpu_model(),
            rustc: rustc_version(),
            rayon_threads: rayon::current_num_threads(),
            load_average,
        },
        mc,
        importance_sampling: is,
        exact,
        waterfall,
        defi,
        pipeline,
    };
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| TaskError::msg(format!("cannot serialize the summary: {e}")))?;
    write_atomic(&args.out, format!("{json}\n").as_bytes())?;
    let doc = format!(
        "{}\n{}\n{}",
        markdown(&summary),
        defi_markdown(&summary.defi),
        pipeline_markdown(&summary.pipeline)
    );
    write_atomic(&args.doc, doc.as_bytes())?;
    println!("{json}");
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

fn yes_no(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn markdown(s: &Summary) -> String {
    let m = &s.mc;
    let i = &s.importance_sampling;
    let mc_gap = if m.met {
        String::new()
    } else {
        format!(
            " The target is missed by a factor {:.2}.",
            m.target_loan_scenarios_per_second / m.loan_scenarios_per_second
        )
    };
    let is_gap = if i.met {
        String::new()
    } else {
        format!(
            " The target is missed: relative SE {:.2}% (target 5%), {:.3} s (target 1 s).",
            100.0 * i.relative_std_error,
            i.total_seconds
        )
    };
    format!(
        "# Performance\n\
\n\
Measured figures of the hot paths, written by `{cmd}` (source: `xtask/src/bench.rs`;\n\
machine-readable copy: `target/creditlab-bench/summary.json`). Re-run the command to\n\
refresh this page; it overwrites it.\n\
\n\
## Machine\n\
\n\
| | |\n\
| --- | --- |\n\
| `nproc` | {nproc} |\n\
| CPU (`/proc/cpuinfo` model name) | {cpu} |\n\
| rayon threads | {threads} |\n\
| 1-minute load average at the start (`/proc/loadavg`) | {load:.2} |\n\
| compiler | {rustc} |\n\
| profile | release (`cargo xtask` is `cargo run --release`), `codegen-units = 4` |\n\
\n\
The machine is shared: wall-clock figures are medians of {repeat_note}, and are\n\
lower bounds on what an idle machine gives (a load average above 0 means other processes\n\
competed for the 2 cores).\n\
\n\
## How it is measured\n\
\n\
In-process, in the optimised xtask binary: wall-clock time of whole calls (simulation and\n\
finalisation: sorting, moments), after a warm-up run, median of the repetitions\n\
(`--repeat`, default 5). The criterion benches in `benches/benches/` (`mc.rs`,\n\
`importance.rs`, `exact.rs`, `waterfall.rs`, `defi.rs`) run the same workloads with criterion's statistics:\n\
`cargo bench -p creditlab-benches`.\n\
\n\
## Plain Monte Carlo: standard book\n\
\n\
`Portfolio::standard_book({loans})`, one-factor Gaussian rho = {rho}, {scen} scenarios per run\n\
(`MonteCarlo::run`, all statistics computed). The book groups into {cohorts} cohorts (see\n\
`docs/methodology/monte-carlo.md`): one normal, 5 normal CDFs and {cohorts} binomial draws per\n\
scenario.\n\
\n\
| figure | value |\n\
| --- | --- |\n\
| median wall time per run | {med:.4} s (best {best:.4} s) |\n\
| loan-scenarios per second (all threads) | {rate:.3e} |\n\
| loan-scenarios per second (1 thread) | {rate1:.3e} |\n\
| same book, every EAD distinct (10,000 single loans in 5 groups), all threads | {hrate:.3e} |\n\
| target | >= {target:.1e} loan-scenarios per second: **{mc_met}** |\n\
\n\
Loan-scenarios = loans x scenarios / wall time.{mc_gap} The heterogeneous variant (EAD\n\
`1 + (i mod 7) + 1e-6 i`, {hscen} scenarios per run) has no cohorts to share: its single loans\n\
are sampled by geometric skipping, one logarithm per default.\n\
\n\
## Importance sampling: Glasserman-Li portfolio\n\
\n\
`glasserman_li_portfolio()` (1,000 obligors, 10 factors; definition in\n\
`docs/methodology/importance-sampling.md`), `P(L > {level})`. A pilot of {pilot} scenarios\n\
({pilot_s:.3} s) sizes the run for a 4% relative standard error (a margin under the 5%\n\
target for the pilot's own error); the timed run is the median of the repetitions, each\n\
with its own seed.\n\
\n\
| figure | value |\n\
| --- | --- |\n\
| shift optimisation | {shift_s:.4} s |\n\
| scenarios | {is_n} |\n\
| wall time of the run | {is_s:.4} s (shift + run: {tot_s:.4} s) |\n\
| `P(L > {level})` | {p:.4e} |\n\
| standard error | {se:.3e} (relative {rel:.2}%) |\n\
| variance reduction per scenario, `p (1 - p) / Var_IS` | {vr:.0} |\n\
| time per scenario: plain MC / IS | {plain_us:.1} us / {is_us:.1} us |\n\
| variance reduction per unit of time | {wvr:.0} |\n\
| target | relative SE <= 5% in <= 1 s: **{is_met}** |\n\
\n\
Plain Monte Carlo would need about `(1 - p) / (p 0.05^2)` = {plain_needed:.2e} scenarios for the\n\
same relative error, i.e. about {plain_time:.0} s on this machine.{is_gap}\n\
\n\
## Exact recursion\n\
\n\
`ExactLoss::new` (Andersen-Sidenius-Basu recursion, `src/exact.rs`) on\n\
`Portfolio::standard_book({ex_loans})` (5 PDs, 7 EADs), one-factor Gaussian rho = {ex_rho},\n\
{ex_nodes} Gauss-Hermite nodes: median {ex_med:.4} s (best {ex_best:.4} s).\n\
\n\
## Cash-flow waterfall\n\
\n\
Issue 4's workload (`benches/src/lib.rs`, `waterfall_run`): creditlab-loan's synthetic bank\n\
book of {wf_loans} loans (note rates rounded to the nearest 1/8%), merged into {wf_cohorts} cohorts\n\
by coupon and term (`creditlab_pool::cohort`, exact: the projection is linear in the\n\
balance), {wf_scen} scenarios each at its own Vasicek CDR (2%, rho 0.15; CPR 8%, 12-month\n\
recovery lag, 40% severity) projected at pool level over up to {wf_months} months, then the\n\
{wf_notes}-note waterfall (OC and IC tests, pro rata with a loss trigger, reserve, clean-up\n\
call) over every scenario. Scenarios run in parallel (rayon).\n\
\n\
| figure | value |\n\
| --- | --- |\n\
| median wall time, cohorts + projection + waterfall | {wf_med:.4} s (best {wf_best:.4} s) |\n\
| of which: scenario projection / waterfall | {wf_proj:.4} s / {wf_wf:.4} s |\n\
| expected loss, senior A / junior E | {wf_el0:.3e} / {wf_el4:.3e} |\n\
| target | <= {wf_target:.0} s: **{wf_met}** |\n",
        cmd = s.command,
        nproc = s.machine.nproc,
        cpu = s.machine.cpu_model,
        threads = s.machine.rayon_threads,
        load = s.machine.load_average,
        rustc = s.machine.rustc,
        repeat_note = "several repetitions",
        loans = m.loans,
        rho = m.rho,
        scen = m.scenarios_per_run,
        cohorts = m.cohorts,
        med = m.median_seconds,
        best = m.best_seconds,
        rate = m.loan_scenarios_per_second,
        rate1 = m.loan_scenarios_per_second_one_thread,
        hrate = m.heterogeneous_loan_scenarios_per_second,
        target = m.target_loan_scenarios_per_second,
        mc_met = yes_no(m.met),
        mc_gap = mc_gap,
        hscen = m.scenarios_per_run / 10,
        level = i.level,
        pilot = i.pilot_scenarios,
        pilot_s = i.pilot_seconds,
        shift_s = i.shift_seconds,
        is_n = i.scenarios,
        is_s = i.seconds,
        tot_s = i.total_seconds,
        p = i.probability,
        se = i.std_error,
        rel = 100.0 * i.relative_std_error,
        vr = i.variance_reduction,
        plain_us = 1e6 * i.plain_seconds_per_scenario,
        is_us = 1e6 * i.is_seconds_per_scenario,
        wvr = i.work_normalised_variance_reduction,
        is_met = yes_no(i.met),
        plain_needed = (1.0 - i.probability) / (i.probability * 0.0025),
        plain_time =
            (1.0 - i.probability) / (i.probability * 0.0025) * i.plain_seconds_per_scenario,
        is_gap = is_gap,
        ex_loans = s.exact.loans,
        ex_rho = s.exact.rho,
        ex_nodes = s.exact.nodes,
        ex_med = s.exact.median_seconds,
        ex_best = s.exact.best_seconds,
        wf_loans = s.waterfall.loans,
        wf_cohorts = s.waterfall.cohorts,
        wf_scen = s.waterfall.scenarios,
        wf_months = s.waterfall.months,
        wf_notes = s.waterfall.notes,
        wf_med = s.waterfall.median_seconds,
        wf_best = s.waterfall.best_seconds,
        wf_proj = s.waterfall.projection_seconds,
        wf_wf = s.waterfall.waterfall_seconds,
        wf_el0 = s.waterfall.senior_expected_loss,
        wf_el4 = s.waterfall.junior_expected_loss,
        wf_target = s.waterfall.target_seconds,
        wf_met = yes_no(s.waterfall.met),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_in_place_or_appended() {
        let doc = "# P\n\n## A\nold a\n\n## B\nold b\n";
        assert_eq!(
            replace_section(doc, "## A", "## A\nnew a\n\n"),
            "# P\n\n## A\nnew a\n\n## B\nold b\n"
        );
        assert_eq!(
            replace_section(doc, "## B", "## B\nnew b\n"),
            "# P\n\n## A\nold a\n\n## B\nnew b\n"
        );
        assert_eq!(
            replace_section(doc, "## C", "## C\nc\n"),
            "# P\n\n## A\nold a\n\n## B\nold b\n\n## C\nc\n"
        );
        assert_eq!(
            replace_section("", "## C", "## C\n"),
            "# Performance\n\n## C\n"
        );
    }
}
