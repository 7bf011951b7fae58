//! The measurements behind `cargo xtask bench`: each workload of this crate run and timed
//! in-process (median of `repeat` runs after a warm-up, wall-clock timers around whole
//! calls), and the default study timed as a child process. The summary needs more than
//! times: the importance-sampling estimate, its relative standard error and the
//! variance-reduction factor come from the same runs, which is why this is not criterion
//! (`cargo bench -p creditlab-benches` gives criterion's statistics for the same
//! workloads).
//!
//! ```no_run
//! // Seconds of the exact recursion on 1,000 loans, median of 3 runs.
//! let figures = creditlab_benches::measure::exact(3)?;
//! println!("{:.4} s", figures.median_seconds);
//! # Ok::<(), creditlab_benches::BenchError>(())
//! ```

use crate::error::{BenchError, Result};
use crate::{
    EXACT_LOANS, EXACT_NODES, GL_LEVEL, MC_LOANS, MC_RHO, MC_SCENARIOS, PEER_SCENARIOS, SEED,
    TAPE_LOANS, TAPE_SCENARIOS, TAPE_SECTORS, TAPE_TAIL, TAPE_TRANCHES, WF_SCENARIOS,
    waterfall_deal, waterfall_pool,
};
use creditlab_contagion::distribution::STANDARD_LEVELS;
use creditlab_contagion::importance::{ImportanceSampler, glasserman_li_portfolio};
use creditlab_contagion::mc::MonteCarlo;
use creditlab_contagion::{
    Copula, ExactConfig, ExactLoss, LossDistribution, LossSummary, Portfolio, Tranche,
};
use creditlab_contagion::{Scenarios, Seed};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Scenarios of the importance-sampling pilot run.
pub const GL_PILOT: u64 = 4_000;
/// Target relative standard error of the importance-sampling estimate.
pub const GL_TARGET_REL_SE: f64 = 0.05;
/// The run is sized from the pilot for this relative SE, a margin under the target for the
/// pilot's own sampling error.
pub const GL_SIZING_REL_SE: f64 = 0.04;
/// Plain Monte Carlo scenarios timed for the work-normalised variance reduction.
pub const GL_PLAIN_SCENARIOS: u64 = 20_000;
/// Target seconds of the waterfall workload (issue 4).
pub const WF_TARGET_SECONDS: f64 = 5.0;
/// Speed target of plain Monte Carlo (issue 3).
pub const TARGET_LOAN_SCENARIOS_PER_S: f64 = 1.0e9;
/// Speed target of plain Monte Carlo on the one-factor benchmark tape (issue 12).
pub const TARGET_TAPE_LOAN_SCENARIOS_PER_S: f64 = 2.0e9;
/// Speed target of plain Monte Carlo on the 10-sector benchmark tape (issue 12).
pub const TARGET_SECTOR_TAPE_LOAN_SCENARIOS_PER_S: f64 = 5.0e8;
/// Target seconds of importance sampling, shift included (issue 3).
pub const TARGET_GL_SECONDS: f64 = 1.0;

/// The machine a measurement ran on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    /// Cores available to the process.
    pub nproc: usize,
    /// `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `rustc -V`.
    pub rustc: String,
    /// Threads of rayon's global pool.
    pub rayon_threads: usize,
    /// 1-minute load average when the measurement started (`/proc/loadavg`): other work
    /// on this shared machine slows the figures down.
    pub load_average: f64,
}

impl Machine {
    /// This machine, with `load_average` taken by the caller when the measurement started.
    pub fn detect(load_average: f64) -> Self {
        Self {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpu_model(),
            rustc: rustc_version(),
            rayon_threads: rayon::current_num_threads(),
            load_average,
        }
    }
}

/// Plain Monte Carlo on the standard book ([`mc`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McFigures {
    /// Loans in the book.
    pub loans: usize,
    /// Asset correlation.
    pub rho: f64,
    /// Scenarios per timed run.
    pub scenarios_per_run: u64,
    /// Cohorts the book groups into.
    pub cohorts: usize,
    /// Median wall time of a run, seconds.
    pub median_seconds: f64,
    /// Fastest run, seconds.
    pub best_seconds: f64,
    /// Loans × scenarios / median time, all threads.
    pub loan_scenarios_per_second: f64,
    /// The same on one thread.
    pub loan_scenarios_per_second_one_thread: f64,
    /// The same book with every EAD made distinct (single loans, geometric skipping).
    pub heterogeneous_loan_scenarios_per_second: f64,
    /// The speed target (issue 3).
    pub target_loan_scenarios_per_second: f64,
    /// Whether the target is met.
    pub met: bool,
}

/// Glasserman-Li importance sampling of a tail probability ([`importance_sampling`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IsFigures {
    /// The loss level of `P(L > level)`.
    pub level: f64,
    /// Seconds to optimise the mean shift.
    pub shift_seconds: f64,
    /// The optimised mean shift of the factors.
    pub shift: Vec<f64>,
    /// Scenarios of the pilot run that sizes the timed run.
    pub pilot_scenarios: u64,
    /// Seconds of the pilot.
    pub pilot_seconds: f64,
    /// Scenarios of the timed run.
    pub scenarios: u64,
    /// Median seconds of the timed run.
    pub seconds: f64,
    /// Shift plus run, seconds.
    pub total_seconds: f64,
    /// The estimated probability.
    pub probability: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Standard error over the estimate.
    pub relative_std_error: f64,
    /// Variance reduction per scenario, `p (1 - p) / Var_IS`.
    pub variance_reduction: f64,
    /// Plain Monte Carlo seconds per scenario on the same portfolio.
    pub plain_seconds_per_scenario: f64,
    /// Importance-sampling seconds per scenario.
    pub is_seconds_per_scenario: f64,
    /// Variance reduction per unit of time.
    pub work_normalised_variance_reduction: f64,
    /// Target relative standard error.
    pub target_relative_std_error: f64,
    /// Target seconds, shift included.
    pub target_seconds: f64,
    /// Whether both targets are met.
    pub met: bool,
}

/// The exact recursion ([`exact`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExactFigures {
    /// Loans in the book.
    pub loans: usize,
    /// Asset correlation.
    pub rho: f64,
    /// Gauss-Hermite nodes.
    pub nodes: usize,
    /// Median seconds of `ExactLoss::new`.
    pub median_seconds: f64,
    /// Fastest run, seconds.
    pub best_seconds: f64,
}

/// The cash-flow waterfall over Vasicek scenarios ([`waterfall`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterfallFigures {
    /// Loans in the pool.
    pub loans: usize,
    /// Cohorts they merge into.
    pub cohorts: usize,
    /// Longest projection, months.
    pub months: usize,
    /// Notes of the deal.
    pub notes: usize,
    /// Scenarios.
    pub scenarios: usize,
    /// Median seconds of cohorts + projection + waterfall.
    pub median_seconds: f64,
    /// Fastest run, seconds.
    pub best_seconds: f64,
    /// Of the median run: the scenario projection alone.
    pub projection_seconds: f64,
    /// Of the median run: the waterfall alone.
    pub waterfall_seconds: f64,
    /// Expected loss of the senior note.
    pub senior_expected_loss: f64,
    /// Expected loss of the most junior note.
    pub junior_expected_loss: f64,
    /// Target seconds.
    pub target_seconds: f64,
    /// Whether the target is met.
    pub met: bool,
}

/// The DeFi lending pool simulation ([`defi`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefiFigures {
    /// Positions in the pool.
    pub positions: usize,
    /// Price paths.
    pub paths: u64,
    /// Steps per path.
    pub steps: usize,
    /// Step length, minutes.
    pub step_minutes: f64,
    /// Median seconds of a calm-day run.
    pub median_seconds: f64,
    /// Fastest run, seconds.
    pub best_seconds: f64,
    /// Positions × paths × steps / median time (notional).
    pub position_path_steps_per_second: f64,
    /// The same workload under the March-2020 shock (its first 24 hours: most positions
    /// are liquidated), median of up to 3 runs.
    pub crash_median_seconds: f64,
    /// Mean liquidation volume per unit of debt, calm day.
    pub calm_liquidation_volume: f64,
    /// Mean liquidation volume per unit of debt, crash.
    pub crash_liquidation_volume: f64,
    /// Mean bad debt per unit of debt, crash.
    pub crash_bad_debt: f64,
    /// 1-minute load average when this measurement started.
    pub load_average: f64,
    /// Threads of rayon's global pool.
    pub rayon_threads: usize,
    /// Target seconds.
    pub target_seconds: f64,
    /// Whether the target is met.
    pub met: bool,
}

/// Plain Monte Carlo on one variant of the benchmark loan tape ([`tape`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TapeRun {
    /// Sectors (1: one-factor Gaussian rho 0.2).
    pub sectors: usize,
    /// Buckets of similar PD the sampler cuts the tape into.
    pub buckets: usize,
    /// Median wall time of a run (model built, scenarios simulated, every statistic), s.
    pub median_seconds: f64,
    /// Fastest run, seconds.
    pub best_seconds: f64,
    /// CPU seconds of the process over the median run's wall time (`/proc/self/stat`,
    /// user + system over all repetitions divided by their wall time): below the thread
    /// count when other processes competed for the cores.
    pub cpus_used: f64,
    /// Loans × scenarios / median time, all threads.
    pub loan_scenarios_per_second: f64,
    /// Loans × scenarios per CPU second (the speed one idle core gives).
    pub loan_scenarios_per_cpu_second: f64,
    /// Expected loss of the median run.
    pub expected_loss: f64,
    /// Its standard error.
    pub expected_loss_std_error: f64,
    /// The speed target.
    pub target_loan_scenarios_per_second: f64,
    /// Whether the target is met (wall time, all threads).
    pub met: bool,
}

/// The numpy peer's run on the one-factor tape ([`tape`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerFigures {
    /// The Python interpreter that ran it.
    pub python: String,
    /// numpy's version.
    pub numpy: String,
    /// Scenarios of the peer's run.
    pub scenarios: u64,
    /// Seconds of its simulation and statistics (the CSV read excluded).
    pub seconds: f64,
    /// Loans × scenarios / seconds.
    pub loan_scenarios_per_second: f64,
    /// Loans × scenarios per CPU second of the peer's process (numpy's BLAS may use
    /// several threads).
    pub loan_scenarios_per_cpu_second: f64,
    /// Its expected loss (against creditlab's on the same book).
    pub expected_loss: f64,
    /// creditlab's loan-scenarios per second over the peer's, in the same run (wall time:
    /// both depend on how much of the machine they got).
    pub ratio: f64,
    /// The same per CPU second: what each delivers per core it was given.
    pub ratio_per_cpu_second: f64,
}

/// Plain Monte Carlo on the benchmark loan tape, one-factor and 10 sectors, and the numpy
/// peer when python3 with numpy is present ([`tape`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TapeFigures {
    /// Loans in the tape.
    pub loans: usize,
    /// Scenarios per timed run.
    pub scenarios_per_run: u64,
    /// Threads of rayon's global pool.
    pub rayon_threads: usize,
    /// 1-minute load average when this measurement started.
    pub load_average: f64,
    /// One-factor Gaussian, rho 0.2.
    pub one_factor: TapeRun,
    /// Ten sectors with distinct loadings.
    pub sectors: TapeRun,
    /// The numpy peer, when it ran.
    pub peer: Option<PeerFigures>,
    /// Why the peer did not run (empty when it did).
    pub peer_note: String,
}

/// The default study's wall time and peak memory: issue 7's targets ([`pipeline`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineFigures {
    /// Loans per book of the built-in scenario.
    pub loans_per_book: usize,
    /// Paths of the built-in scenario's DeFi year.
    pub defi_paths: u64,
    /// Runs measured.
    pub runs: usize,
    /// Median wall time, seconds.
    pub median_seconds: f64,
    /// Fastest run, seconds.
    pub best_seconds: f64,
    /// Peak resident memory of the child (`VmHWM`), MiB.
    pub peak_rss_mib: f64,
    /// 1-minute load average when this measurement started.
    pub load_average: f64,
    /// Target seconds.
    pub target_seconds: f64,
    /// Target peak memory, MiB.
    pub target_peak_rss_mib: f64,
    /// Whether both targets are met.
    pub met: bool,
}

/// Every workload's figures: `target/creditlab-bench/summary.json`, and the source of
/// docs/PERFORMANCE.md ([`crate::markdown::performance_page`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The command that measured them.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// Plain Monte Carlo.
    pub mc: McFigures,
    /// Importance sampling.
    pub importance_sampling: IsFigures,
    /// The exact recursion.
    pub exact: ExactFigures,
    /// The waterfall.
    pub waterfall: WaterfallFigures,
    /// The DeFi lending pool.
    pub defi: DefiFigures,
    /// The default study.
    pub pipeline: PipelineFigures,
    /// Plain Monte Carlo on the benchmark loan tape, and its numpy peer.
    pub tape: TapeFigures,
    /// The million-loan tape from CSV.
    pub stream: StreamFigures,
    /// The exact and saddlepoint methods on the 10,000-loan tape.
    pub analytic: AnalyticFigures,
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
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

/// Seconds of one call of `f`, and its result.
pub fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64(), out)
}

/// The 1-minute load average of `/proc/loadavg`; NaN where there is none.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Plain Monte Carlo on `Portfolio::standard_book(MC_LOANS)`: all threads, one thread,
/// and the same book with every EAD distinct.
pub fn mc(repeat: usize) -> Result<McFigures> {
    let book = Portfolio::standard_book(MC_LOANS)?;
    let mc = MonteCarlo::new(&book, &Copula::gaussian(MC_RHO)?)?;
    let (full, tenth) = (
        Scenarios::new(MC_SCENARIOS)?,
        Scenarios::new(MC_SCENARIOS / 10)?,
    );
    let _warm = mc.run(Seed(SEED), tenth);
    let times: Vec<f64> = (0..repeat)
        .map(|r| time(|| mc.run(Seed(SEED + r as u64), full).expected_loss()).0)
        .collect();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let one_thread = one.install(|| {
        median(
            (0..repeat.min(3))
                .map(|r| time(|| mc.run(Seed(SEED + r as u64), full).expected_loss()).0)
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
            .map(|r| time(|| hmc.run(Seed(SEED + r as u64), tenth).expected_loss()).0)
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

/// Glasserman-Li importance sampling of `P(L > GL_LEVEL)`: shift, a pilot that sizes the
/// run for a 4% relative standard error, the timed runs, and plain Monte Carlo's cost per
/// scenario on the same portfolio.
pub fn importance_sampling(repeat: usize) -> Result<IsFigures> {
    let (book, copula) = glasserman_li_portfolio()?;
    let (shift_seconds, is) = time(|| ImportanceSampler::new(&book, &copula, GL_LEVEL));
    let is = is?;
    // Pilot: how many scenarios does a 5% relative SE need?
    let pilot_n = Scenarios::new(GL_PILOT)?;
    let (pilot_seconds, pilot) = time(|| is.run(Seed(SEED), pilot_n));
    let rel = pilot.probability.std_error.unwrap_or(f64::NAN) / pilot.probability.value;
    let needed = ((GL_PILOT as f64) * (rel / GL_SIZING_REL_SE).powi(2)).ceil() as u64;
    let scenarios = needed.max(100);
    let n = Scenarios::new(scenarios)?;
    let mut runs: Vec<(f64, creditlab_contagion::importance::TailEstimate)> = (0..repeat)
        .map(|r| time(|| is.run(Seed(SEED + 1 + r as u64), n)))
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (seconds, est) = runs.swap_remove(runs.len() / 2);
    // Plain Monte Carlo cost per scenario on the same portfolio, for the work-normalised
    // variance reduction.
    let mc = MonteCarlo::new(&book, &copula)?;
    let plain_n = Scenarios::new(GL_PLAIN_SCENARIOS)?;
    let (plain_seconds, _) = time(|| mc.run(Seed(SEED), plain_n));
    let plain_per = plain_seconds / GL_PLAIN_SCENARIOS as f64;
    let is_per = seconds / scenarios as f64;
    // The Glasserman-Li tail event is reached: its weighted indicator varies.
    let variance_reduction = est.variance_reduction.unwrap_or(f64::NAN);
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
        variance_reduction,
        plain_seconds_per_scenario: plain_per,
        is_seconds_per_scenario: is_per,
        work_normalised_variance_reduction: variance_reduction * plain_per / is_per,
        target_relative_std_error: GL_TARGET_REL_SE,
        target_seconds: TARGET_GL_SECONDS,
        met: relative <= GL_TARGET_REL_SE && shift_seconds + seconds <= TARGET_GL_SECONDS,
    })
}

/// `ExactLoss::new` on `Portfolio::standard_book(EXACT_LOANS)` with `EXACT_NODES` nodes.
pub fn exact(repeat: usize) -> Result<ExactFigures> {
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

/// The waterfall workload: cohorts, scenario projection and waterfall, timed apart.
pub fn waterfall(repeat: usize) -> Result<WaterfallFigures> {
    use creditlab_pool::cohort::{Cohorts, cohort_scenarios};
    let loans = waterfall_pool();
    let deal = waterfall_deal();
    // One timed run: cohorts, scenarios (CDR 2%, rho 0.15, CPR 8%, lag 12, severity 40%),
    // waterfall. Returns (total, projection, waterfall seconds, per-note statistics).
    let once = |seed: u64| -> Result<WaterfallTiming> {
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
        .collect::<Result<Vec<_>>>()?;
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

/// Target seconds of the DeFi workload (issue 6).
pub const DEFI_TARGET_SECONDS: f64 = 10.0;

/// The DeFi workload: a calm day and the March-2020 shock, every repetition on one seed.
pub fn defi(repeat: usize) -> Result<DefiFigures> {
    use crate::{DEFI_PATHS, DEFI_POSITIONS, DEFI_STEP_HOURS, DEFI_STEPS, defi_config};
    use creditlab_defi::simulation::DefiSim;
    let load_average = load_average();
    let config = defi_config();
    let sim = DefiSim::new(&config)?;
    let _warm = sim.run(DEFI_PATHS / 10, Seed(SEED))?;
    // Every repetition runs the same seed, so the figures do not depend on which
    // repetition is the median.
    let mut times = Vec::new();
    let mut calm = None;
    for _ in 0..repeat {
        let (t, r) = time(|| sim.run(DEFI_PATHS, Seed(SEED)));
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
        let (t, r) = time(|| crash_sim.run(DEFI_PATHS, Seed(SEED)));
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

/// Target seconds of the default study (issue 7).
pub const PIPELINE_TARGET_SECONDS: f64 = 60.0;
/// Target peak memory of the default study, MiB (issue 7).
pub const PIPELINE_TARGET_MIB: f64 = 1024.0;

/// Runs `exe pipeline --quiet --out DIR` (`exe` is the xtask binary: the study on its
/// built-in scenario) as a child process `repeat` times (at most 3): wall time of the
/// whole run, files included, and the child's peak resident memory (`VmHWM` of
/// `/proc/<pid>/status`, sampled every 10 ms until it exits).
pub fn pipeline(exe: &Path, repeat: usize) -> Result<PipelineFigures> {
    let scenario = creditlab_study::Scenario::builtin()?;
    let out = std::env::temp_dir().join(format!("creditlab-bench-pipeline-{}", std::process::id()));
    let load_average = load_average();
    let mut times = Vec::new();
    let mut peak_kib = 0u64;
    for _ in 0..repeat.clamp(1, 3) {
        let mut command = std::process::Command::new(exe);
        command
            .arg("pipeline")
            .arg("--quiet")
            .arg("--out")
            .arg(&out);
        let (seconds, kib) = run_child(command, "pipeline")?;
        peak_kib = peak_kib.max(kib);
        times.push(seconds);
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

/// Runs `command` to its end: its wall time in seconds and its peak resident memory in KiB
/// (`VmHWM` of `/proc/<pid>/status`, sampled every 10 ms; 0 where /proc is absent).
/// Standard output is discarded.
fn run_child(mut command: std::process::Command, task: &'static str) -> Result<(f64, u64)> {
    let start = Instant::now();
    let mut child = command
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|source| BenchError::Child {
            task,
            action: "run",
            source,
        })?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
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
            Err(source) => {
                return Err(BenchError::Child {
                    task,
                    action: "wait for",
                    source,
                });
            }
        }
    };
    if !status.success() {
        return Err(BenchError::ChildFailed { task, status });
    }
    Ok((start.elapsed().as_secs_f64(), peak_kib))
}

/// Loans of the analytic methods' tape (issue 12: "`exact` on the 10,000-loan heterogeneous
/// book at the default accuracy in under 5 s").
pub const ANALYTIC_LOANS: usize = 10_000;
/// Target seconds of the exact method on [`ANALYTIC_LOANS`] loans (issue 12).
pub const EXACT_TAPE_TARGET_SECONDS: f64 = 5.0;
/// Issue 12's saddlepoint target: 100,000 loans in under 1 s.
pub const SADDLEPOINT_TARGET_LOANS: usize = 100_000;
/// Target seconds of the saddlepoint method on [`SADDLEPOINT_TARGET_LOANS`] loans.
pub const SADDLEPOINT_TARGET_SECONDS: f64 = 1.0;
/// Issue 12's saddlepoint accuracy target: every tail figure within 1e-3 relative of `exact`.
pub const SADDLEPOINT_TARGET_RELATIVE: f64 = 1e-3;

/// The saddlepoint on one book against the exact method on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SaddlepointRun {
    /// Loans of the book.
    pub loans: usize,
    /// Median seconds of the saddlepoint's figures (build and every figure of `loss`).
    pub seconds: f64,
    /// Median seconds of the figures and the accuracy report (`convergence`, the figures
    /// again at a coarser setting), as `loss --method saddlepoint --json` computes them.
    pub seconds_with_accuracy: f64,
    /// Runs timed.
    pub runs: usize,
    /// Largest relative difference between a saddlepoint tail figure (VaR, ES, P(L > x),
    /// tranche EL and P(loss)) and the exact method's.
    pub largest_relative_difference: f64,
    /// Largest relative error bound the saddlepoint's accuracy report gives a tail figure
    /// (its numerical error, from convergence).
    pub largest_relative_bound: f64,
    /// Whether its accuracy report met its numerical tolerance.
    pub accuracy_met: bool,
    /// Seconds of the exact reference (once).
    pub exact_seconds: f64,
}

/// The analytic methods on the benchmark tape ([`analytic`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalyticFigures {
    /// Loans of the tape both methods ran on.
    pub loans: usize,
    /// Median seconds of the exact method, every figure of `loss` at the default accuracy.
    pub exact_seconds: f64,
    /// Runs of the exact method timed.
    pub exact_runs: usize,
    /// Whether the exact method met its default accuracy.
    pub exact_accuracy_met: bool,
    /// Target seconds of the exact method.
    pub exact_target_seconds: f64,
    /// Whether the exact method met its time target and its accuracy.
    pub exact_met: bool,
    /// The saddlepoint on the [`ANALYTIC_LOANS`]-loan tape.
    pub saddlepoint: SaddlepointRun,
    /// The saddlepoint on the [`SADDLEPOINT_TARGET_LOANS`]-loan tape.
    pub saddlepoint_target: SaddlepointRun,
    /// The saddlepoint target's loans.
    pub saddlepoint_target_loans: usize,
    /// Target seconds at that size.
    pub saddlepoint_target_seconds: f64,
    /// Target relative difference from `exact` on every tail figure.
    pub saddlepoint_target_relative: f64,
    /// Whether that target is met: figures and accuracy report within the target seconds
    /// at the target's loans, every tail figure within the target relative difference.
    pub saddlepoint_met: bool,
    /// 1-minute load average when this measurement started.
    pub load_average: f64,
}

/// The saddlepoint on `book` (`repeat` runs, at most 3; median) against `exact`'s summary.
fn saddlepoint_run(
    book: &Portfolio,
    copula: &Copula,
    tranches: &[Tranche],
    exact: (&LossSummary, f64),
    repeat: usize,
) -> Result<SaddlepointRun> {
    use creditlab_contagion::Saddlepoint;
    use creditlab_contagion::accuracy::figures;
    let tail_figure = |name: &str| name != "expected_loss" && name != "unexpected_loss";
    let (mut plain, mut full) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..repeat.clamp(1, 3) {
        let start = Instant::now();
        let sp = Saddlepoint::new(book, copula)?;
        let summary = LossSummary::of(&sp, &STANDARD_LEVELS, &TAPE_TAIL, tranches)?;
        plain.push(start.elapsed().as_secs_f64());
        let report = sp.convergence(book, &summary, &STANDARD_LEVELS, &TAPE_TAIL, tranches)?;
        full.push(start.elapsed().as_secs_f64());
        last = Some((summary, report));
    }
    let (summary, report) = last.expect("at least one run");
    let largest = figures(&summary)
        .into_iter()
        .zip(figures(exact.0))
        .filter(|((name, _), _)| tail_figure(name))
        .map(|((_, a), (_, b))| ((a.value - b.value) / b.value.abs().max(1e-300)).abs())
        .fold(0.0, f64::max);
    let bound = report
        .error_bounds
        .iter()
        .filter(|b| tail_figure(&b.figure))
        .map(|b| b.bound / b.value.abs().max(1e-300))
        .fold(0.0, f64::max);
    Ok(SaddlepointRun {
        loans: book.len(),
        runs: plain.len(),
        seconds: median(plain),
        seconds_with_accuracy: median(full),
        largest_relative_difference: largest,
        largest_relative_bound: bound,
        accuracy_met: report.met == Some(true),
        exact_seconds: exact.1,
    })
}

/// `cargo xtask loss --method exact` and `--method saddlepoint` on the 10,000-loan benchmark
/// tape (one-factor Gaussian, rho 0.2): every figure `loss` reports (EL, VaR and ES at the
/// standard levels, the tail points, the tranches), the exact method at its default
/// accuracy (`repeat` runs, at most 3; median); then the saddlepoint on the 100,000-loan
/// tape against the exact method there (once, at its default accuracy and budget).
pub fn analytic(repeat: usize) -> Result<AnalyticFigures> {
    use creditlab_contagion::Targets;
    let load_average = load_average();
    let book = Portfolio::benchmark_book(ANALYTIC_LOANS, 1, SEED)?;
    let copula = Copula::gaussian(MC_RHO)?;
    let tranches: Vec<Tranche> = TAPE_TRANCHES
        .iter()
        .map(|&(a, d)| Tranche::new(a, d))
        .collect::<std::result::Result<_, _>>()?;
    let config = ExactConfig {
        targets: Targets {
            levels: STANDARD_LEVELS.to_vec(),
            tail: TAPE_TAIL.to_vec(),
            tranches: tranches.clone(),
        },
        ..ExactConfig::default()
    };
    let summary =
        |d: &dyn LossDistribution| LossSummary::of(d, &STANDARD_LEVELS, &TAPE_TAIL, &tranches);
    let mut times = Vec::new();
    let mut exact = None;
    for _ in 0..repeat.clamp(1, 3) {
        let (t, e) = time(|| -> Result<_> {
            let e = ExactLoss::new(&book, &copula, &config)?;
            let s = summary(&e)?;
            Ok((e.accuracy().met == Some(true), s))
        });
        times.push(t);
        exact = Some(e?);
    }
    let (met, exact_summary) = exact.expect("at least one run");
    let exact_seconds = median(times.clone());
    let saddlepoint = saddlepoint_run(
        &book,
        &copula,
        &tranches,
        (&exact_summary, exact_seconds),
        repeat,
    )?;
    drop(book);
    let big = Portfolio::benchmark_book(SADDLEPOINT_TARGET_LOANS, 1, SEED)?;
    let (big_exact_seconds, big_exact) = time(|| -> Result<_> {
        let e = ExactLoss::new(&big, &copula, &config)?;
        Ok(summary(&e)?)
    });
    let big_exact = big_exact?;
    let target = saddlepoint_run(
        &big,
        &copula,
        &tranches,
        (&big_exact, big_exact_seconds),
        repeat,
    )?;
    let saddlepoint_met = target.seconds_with_accuracy <= SADDLEPOINT_TARGET_SECONDS
        && target.largest_relative_difference <= SADDLEPOINT_TARGET_RELATIVE;
    Ok(AnalyticFigures {
        loans: ANALYTIC_LOANS,
        exact_seconds,
        exact_runs: times.len(),
        exact_accuracy_met: met,
        exact_target_seconds: EXACT_TAPE_TARGET_SECONDS,
        exact_met: met && exact_seconds <= EXACT_TAPE_TARGET_SECONDS,
        saddlepoint,
        saddlepoint_target: target,
        saddlepoint_target_loans: SADDLEPOINT_TARGET_LOANS,
        saddlepoint_target_seconds: SADDLEPOINT_TARGET_SECONDS,
        saddlepoint_target_relative: SADDLEPOINT_TARGET_RELATIVE,
        saddlepoint_met,
        load_average,
    })
}

/// Loans of the streamed tape (issue 12: "a 1,000,000-loan tape streams from CSV and runs
/// in under 2 GiB").
pub const STREAM_LOANS: usize = 1_000_000;
/// Scenarios of the streamed tape's Monte Carlo: 10^10 loan-scenarios.
pub const STREAM_SCENARIOS: u64 = 10_000;
/// Target peak memory of the streamed tape's run, MiB (issue 12).
pub const STREAM_TARGET_MIB: f64 = 2048.0;

/// The million-loan tape read from CSV and simulated ([`stream`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamFigures {
    /// Loans of the tape.
    pub loans: usize,
    /// Size of its CSV, MiB.
    pub csv_mib: f64,
    /// Monte Carlo scenarios.
    pub scenarios: u64,
    /// Wall time of the whole child process (read, build, simulate, print), seconds.
    pub seconds: f64,
    /// Peak resident memory of the child (`VmHWM`), MiB.
    pub peak_rss_mib: f64,
    /// 1-minute load average when this measurement started.
    pub load_average: f64,
    /// Target peak memory, MiB.
    pub target_peak_rss_mib: f64,
    /// Whether the target is met.
    pub met: bool,
}

/// Writes [`STREAM_LOANS`] loans of the benchmark tape (`Portfolio::benchmark_book`, one
/// sector, seed [`SEED`]) as a portfolio CSV (`ead,pd,lgd`, shortest round-trip numbers)
/// to a temporary file, then runs `exe loss --portfolio FILE --method mc --scenarios
/// STREAM_SCENARIOS --json --quiet` as a child: its wall time and peak memory. The CSV is
/// removed afterwards (this run wrote it).
pub fn stream(exe: &Path) -> Result<StreamFigures> {
    use std::io::Write as _;
    let load_average = load_average();
    let book = Portfolio::benchmark_book(STREAM_LOANS, 1, SEED)?;
    let path =
        std::env::temp_dir().join(format!("creditlab-bench-stream-{}.csv", std::process::id()));
    let write = || -> std::io::Result<u64> {
        let mut w = std::io::BufWriter::new(std::fs::File::create_new(&path)?);
        writeln!(w, "ead,pd,lgd")?;
        for i in 0..book.len() {
            writeln!(
                w,
                "{},{},{}",
                book.ead()[i],
                book.pd()[i],
                book.lgd()[i].mean()
            )?;
        }
        w.into_inner().map_err(std::io::Error::other)?.sync_all()?;
        Ok(std::fs::metadata(&path)?.len())
    };
    let bytes = write().map_err(|source| BenchError::Write {
        path: path.clone(),
        source,
    });
    drop(book);
    let run = bytes.and_then(|bytes| {
        let mut command = std::process::Command::new(exe);
        command
            .arg("loss")
            .arg("--portfolio")
            .arg(&path)
            .args(["--method", "mc", "--json", "--quiet", "--scenarios"])
            .arg(STREAM_SCENARIOS.to_string());
        run_child(command, "loss").map(|r| (bytes, r))
    });
    let _ = std::fs::remove_file(&path);
    let (bytes, (seconds, kib)) = run?;
    let peak_rss_mib = kib as f64 / 1024.0;
    Ok(StreamFigures {
        loans: STREAM_LOANS,
        csv_mib: bytes as f64 / (1024.0 * 1024.0),
        scenarios: STREAM_SCENARIOS,
        seconds,
        peak_rss_mib,
        load_average,
        target_peak_rss_mib: STREAM_TARGET_MIB,
        met: peak_rss_mib > 0.0 && peak_rss_mib < STREAM_TARGET_MIB,
    })
}

/// CPU seconds (user + system) this process has used so far (`/proc/self/stat`, clock
/// ticks of 1/100 s); NaN where there is none.
pub fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) end with ')'.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// One variant of the tape: `repeat` timed runs of model construction, [`TAPE_SCENARIOS`]
/// scenarios and every statistic of `cargo xtask loss` ([`LossSummary`] at the standard
/// levels, tail points and tranches).
fn tape_run(sectors: usize, repeat: usize, target: f64) -> Result<TapeRun> {
    let (book, copula) = crate::tape(sectors)?;
    let tranches = TAPE_TRANCHES
        .iter()
        .map(|&(a, d)| Tranche::new(a, d))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let n = Scenarios::new(TAPE_SCENARIOS)?;
    let once = |seed: u64| -> Result<(usize, LossSummary)> {
        let mc = MonteCarlo::new(&book, &copula)?;
        let d = mc.run(Seed(seed), n);
        Ok((
            mc.n_buckets(),
            LossSummary::of(&d, &STANDARD_LEVELS, &TAPE_TAIL, &tranches)?,
        ))
    };
    let _warm = once(SEED)?;
    let cpu0 = cpu_seconds();
    let mut runs = Vec::new();
    for r in 0..repeat {
        let (t, out) = time(|| once(SEED + r as u64));
        runs.push((t, out?));
    }
    let cpu = cpu_seconds() - cpu0;
    let wall: f64 = runs.iter().map(|r| r.0).sum();
    let best = runs.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (seconds, (buckets, summary)) = runs.swap_remove(runs.len() / 2);
    let work = TAPE_LOANS as f64 * TAPE_SCENARIOS as f64;
    let rate = work / seconds;
    Ok(TapeRun {
        sectors,
        buckets,
        median_seconds: seconds,
        best_seconds: best,
        cpus_used: cpu / wall,
        loan_scenarios_per_second: rate,
        loan_scenarios_per_cpu_second: work * repeat as f64 / cpu,
        expected_loss: summary.expected_loss.value,
        expected_loss_std_error: summary.expected_loss.std_error.unwrap_or(f64::NAN),
        target_loan_scenarios_per_second: target,
        met: rate >= target,
    })
}

/// The numpy peer (`benches/peers/tape_mc.py`, run from `peers`) on the one-factor tape
/// written to a CSV: its figures, or why it did not run.
fn peer(python: &str, peers: &Path) -> std::result::Result<(String, String, [f64; 4]), String> {
    let probe = std::process::Command::new(python)
        .args(["-c", "import numpy; print(numpy.__version__)"])
        .output()
        .map_err(|e| format!("no {python} ({e}): the numpy peer was skipped"))?;
    if !probe.status.success() {
        return Err(format!(
            "{python} has no numpy: the numpy peer was skipped (install numpy, or pass \
             --python with an interpreter that has it)"
        ));
    }
    let numpy = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    let (book, copula) = crate::tape(1).map_err(|e| e.to_string())?;
    let csv = std::env::temp_dir().join(format!("creditlab-tape-{}.csv", std::process::id()));
    crate::write_tape_csv(&book, &copula, &csv)
        .map_err(|e| format!("cannot write {}: {e}", csv.display()))?;
    let out = std::process::Command::new(python)
        .arg(peers.join("tape_mc.py"))
        .arg(&csv)
        .args(["--rho", &MC_RHO.to_string()])
        .args(["--scenarios", &PEER_SCENARIOS.to_string()])
        .args(["--seed", &SEED.to_string()])
        .output();
    let _ = std::fs::remove_file(&csv);
    let out = out.map_err(|e| format!("cannot run the numpy peer: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the numpy peer failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("the numpy peer printed no JSON: {e}"))?;
    let num = |k: &str| {
        v[k].as_f64()
            .ok_or_else(|| format!("the numpy peer gave no {k}"))
    };
    let el = v["figures"]["expected_loss"]
        .as_f64()
        .ok_or("the numpy peer gave no expected loss")?;
    Ok((
        python.to_string(),
        numpy,
        [
            num("seconds")?,
            num("loan_scenarios_per_second")?,
            num("loan_scenarios_per_cpu_second")?,
            el,
        ],
    ))
}

/// The directory of the peers (`benches/peers/` of the source tree this crate was built
/// from).
pub const PEERS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers");

/// `cargo xtask bench`'s default `--out`: the workspace's
/// `target/creditlab-bench/summary.json` (of the source tree this crate was built from),
/// whatever the current directory.
pub const SUMMARY_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../target/creditlab-bench/summary.json"
);

/// `cargo xtask bench`'s default `--doc`: the workspace's `docs/PERFORMANCE.md`, whatever
/// the current directory.
pub const PERFORMANCE_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PERFORMANCE.md");

/// The benchmark loan tape of issue 12: [`TAPE_LOANS`] loans, plain Monte Carlo one-factor
/// and on [`TAPE_SECTORS`] sectors (all threads), then the numpy peer with `python` on the
/// one-factor tape when it has numpy (`peers` is the directory of `tape_mc.py`).
pub fn tape(repeat: usize, python: &str, peers: &Path) -> Result<TapeFigures> {
    let load_average = load_average();
    let one_factor = tape_run(1, repeat, TARGET_TAPE_LOAN_SCENARIOS_PER_S)?;
    let sectors = tape_run(
        TAPE_SECTORS,
        repeat,
        TARGET_SECTOR_TAPE_LOAN_SCENARIOS_PER_S,
    )?;
    let (peer, peer_note) = match peer(python, peers) {
        Ok((python, numpy, [seconds, rate, cpu_rate, el])) => (
            Some(PeerFigures {
                python,
                numpy,
                scenarios: PEER_SCENARIOS,
                seconds,
                loan_scenarios_per_second: rate,
                loan_scenarios_per_cpu_second: cpu_rate,
                expected_loss: el,
                ratio: one_factor.loan_scenarios_per_second / rate,
                ratio_per_cpu_second: one_factor.loan_scenarios_per_cpu_second / cpu_rate,
            }),
            String::new(),
        ),
        Err(note) => (None, note),
    };
    Ok(TapeFigures {
        loans: TAPE_LOANS,
        scenarios_per_run: TAPE_SCENARIOS,
        rayon_threads: rayon::current_num_threads(),
        load_average,
        one_factor,
        sectors,
        peer,
        peer_note,
    })
}
