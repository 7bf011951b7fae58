//! The Markdown of docs/PERFORMANCE.md from measured figures: the whole page
//! ([`performance_page`]), and the DeFi and default-study sections that
//! `cargo xtask bench --only <workload>` replaces in place ([`replace_section`]).
//!
//! ```
//! use creditlab_benches::markdown::replace_section;
//! let page = "# Performance\n\n## A\nold\n\n## B\nkept\n";
//! assert_eq!(
//!     replace_section(page, "## A", "## A\nnew\n\n"),
//!     "# Performance\n\n## A\nnew\n\n## B\nkept\n"
//! );
//! ```

use crate::measure::{
    AnalyticFigures, DefiFigures, PipelineFigures, StreamFigures, Summary, TapeFigures, TapeRun,
};

/// The whole page: the figures of every workload, the DeFi section, the default study,
/// the benchmark loan tape.
pub fn performance_page(s: &Summary) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        markdown(s),
        defi_section(&s.defi),
        pipeline_section(&s.pipeline),
        tape_section(&s.tape),
        stream_section(&s.stream),
        analytic_section(&s.analytic)
    )
}

fn yes_no(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// The page up to the DeFi section: machine, method, Monte Carlo, importance sampling, the
/// exact recursion and the waterfall.
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
Measured figures of the hot paths, written by `{cmd}` (source: `benches/src/measure.rs`;\n\
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

/// Heading of the DeFi section of the Markdown report; `--only defi` replaces the report
/// from this heading on.
pub const DEFI_HEADING: &str = "## DeFi lending pool";

/// The DeFi section, from [`DEFI_HEADING`] on.
pub fn defi_section(d: &DefiFigures) -> String {
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

/// "once" or "N times": how often a run was repeated, in words ("run 1 times" reads wrong).
fn times(n: usize) -> String {
    if n == 1 {
        "once".into()
    } else {
        format!("{n} times")
    }
}

/// Heading of the default study's section of the Markdown report.
pub const PIPELINE_HEADING: &str = "## The default study";

/// The default study's section, from [`PIPELINE_HEADING`] on.
pub fn pipeline_section(p: &PipelineFigures) -> String {
    format!(
        "{PIPELINE_HEADING}\n\
\n\
`cargo xtask pipeline` on its built-in scenario ({loans} loans per book, {paths} paths of the\n\
DeFi year, the stresses and the flip-point search as the scenario sets them, every stage\n\
and every output file), run {runs} as a child process by\n\
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
        runs = times(p.runs),
        load = p.load_average,
        med = p.median_seconds,
        best = p.best_seconds,
        rss = p.peak_rss_mib,
        ts = p.target_seconds,
        tm = p.target_peak_rss_mib,
        met = yes_no(p.met),
    )
}

/// Heading of the analytic methods' section of the Markdown report.
pub const ANALYTIC_HEADING: &str = "## Exact and saddlepoint on the loan tape";

/// The analytic methods' section, from [`ANALYTIC_HEADING`] on.
pub fn analytic_section(a: &AnalyticFigures) -> String {
    let t = &a.saddlepoint_target;
    let row = |r: &crate::measure::SaddlepointRun, target: &str| {
        format!(
            "| `saddlepoint` on {loans} loans (largest relative difference from `exact` on a tail figure: {diff:.1e}; accuracy report's largest relative bound {bound:.1e}, met: {met}) | {s:.3} s, {sa:.3} s with the accuracy report (median of {runs}) | {target} |\n",
            loans = r.loans,
            diff = r.largest_relative_difference,
            bound = r.largest_relative_bound,
            met = if r.accuracy_met { "yes" } else { "no" },
            s = r.seconds,
            sa = r.seconds_with_accuracy,
            runs = r.runs,
        )
    };
    format!(
        "{ANALYTIC_HEADING}\n\
\n\
`Portfolio::benchmark_book(n, 1, 2026)` under the one-factor Gaussian copula (rho 0.2):\n\
every figure `cargo xtask loss` reports (EL, VaR and ES at 99%, 99.9% and 99.97%,\n\
P(L > x) at 5%, 10% and 20%, the six default tranches), in-process, by\n\
`cargo xtask bench --only analytic` (which rewrites this section only) or the full\n\
`cargo xtask bench`; 1-minute load average {load:.2} at the start. The saddlepoint's tail\n\
figures are compared with `exact` on the same book ({big} loans: `exact` at its\n\
default work budget, {bes:.0} s).\n\
\n\
| method | wall time | target |\n\
| --- | --- | --- |\n\
| `exact` on {loans} loans, default accuracy (1e-4 relative or 1e-8 absolute; accuracy met: {acc}) | {es:.2} s (median of {runs}) | <= {et:.0} s: **{em}** |\n\
{small}{large}",
        loans = a.loans,
        load = a.load_average,
        big = t.loans,
        bes = t.exact_seconds,
        acc = if a.exact_accuracy_met { "yes" } else { "no" },
        es = a.exact_seconds,
        runs = a.exact_runs,
        et = a.exact_target_seconds,
        em = yes_no(a.exact_met),
        small = row(&a.saddlepoint, "(the target is at 100,000 loans)"),
        large = row(
            t,
            &format!(
                "<= {:.0} s with the accuracy report and every tail figure within {:.0e}: **{}**",
                a.saddlepoint_target_seconds,
                a.saddlepoint_target_relative,
                yes_no(a.saddlepoint_met)
            )
        ),
    )
}

/// Heading of the million-loan tape's section of the Markdown report.
pub const STREAM_HEADING: &str = "## A million-loan tape from CSV";

/// The million-loan tape's section, from [`STREAM_HEADING`] on.
pub fn stream_section(t: &StreamFigures) -> String {
    format!(
        "{STREAM_HEADING}\n\
\n\
`Portfolio::benchmark_book({loans}, 1, 2026)` written as a portfolio CSV ({mib:.0} MiB, `ead,pd,lgd`),\n\
then `cargo xtask loss --portfolio FILE --method mc --scenarios {n} --json` as a child\n\
process: the CSV is parsed row by row into the portfolio's columns, and the simulation\n\
streams its scenarios into the accumulators (no per-scenario storage beyond the loss\n\
sample the quantiles need). Measured by `cargo xtask bench --only stream` (which rewrites\n\
this section only) or the full `cargo xtask bench`; 1-minute load average {load:.2} at the\n\
start. Peak memory is the child's `VmHWM`, sampled every 10 ms.\n\
\n\
| figure | value |\n\
| --- | --- |\n\
| wall time (read, build, {n} scenarios, print) | {secs:.1} s |\n\
| loan-scenarios per second, whole process | {rate:.2e} |\n\
| peak resident memory | {rss:.0} MiB |\n\
| target | < {tm:.0} MiB: **{met}** |\n",
        loans = t.loans,
        mib = t.csv_mib,
        n = t.scenarios,
        load = t.load_average,
        secs = t.seconds,
        rate = t.loans as f64 * t.scenarios as f64 / t.seconds,
        rss = t.peak_rss_mib,
        tm = t.target_peak_rss_mib,
        met = yes_no(t.met),
    )
}

/// Heading of the benchmark loan tape's section of the Markdown report.
pub const TAPE_HEADING: &str = "## Plain Monte Carlo: benchmark loan tape";

fn tape_row(what: &str, r: &TapeRun) -> String {
    format!(
        "| {what} | {buckets} | {med:.3} s (best {best:.3} s) | {rate:.3e} | {cpus:.2} | \
         {cpu_rate:.3e} | >= {target:.0e}: **{met}** |\n",
        buckets = r.buckets,
        med = r.median_seconds,
        best = r.best_seconds,
        rate = r.loan_scenarios_per_second,
        cpus = r.cpus_used,
        cpu_rate = r.loan_scenarios_per_cpu_second,
        target = r.target_loan_scenarios_per_second,
        met = yes_no(r.met),
    )
}

/// The benchmark loan tape's section, from [`TAPE_HEADING`] on.
pub fn tape_section(t: &TapeFigures) -> String {
    let peer = match &t.peer {
        Some(p) => format!(
            "The numpy peer (`benches/peers/tape_mc.py`, numpy {numpy}, `{python}`) ran in the\n\
             same `cargo xtask bench` run on the same one-factor book, written to a CSV by the\n\
             generator: one normal per loan and scenario, {scen} scenarios in blocks, the same\n\
             statistics.\n\
             \n\
             | figure | value |\n\
             | --- | --- |\n\
             | numpy: seconds (simulation and statistics) | {secs:.3} s |\n\
             | numpy: loan-scenarios per second / per CPU-second | {rate:.3e} / {cpu_rate:.3e} |\n\
             | expected loss: numpy ({scen} scenarios) / creditlab | {pel:.5} / {el:.5} \
             (± {se:.1e}) |\n\
             | **creditlab / numpy**, loan-scenarios per second (wall) | **{ratio:.0}x** |\n\
             | **creditlab / numpy**, loan-scenarios per CPU-second | **{cpu_ratio:.0}x** |\n\
             \n\
             On a loaded machine the wall-time ratio says mostly how much of the machine each\n\
             process got; the ratio per CPU-second compares the work per core.\n",
            numpy = p.numpy,
            python = p.python,
            scen = p.scenarios,
            secs = p.seconds,
            rate = p.loan_scenarios_per_second,
            cpu_rate = p.loan_scenarios_per_cpu_second,
            pel = p.expected_loss,
            el = t.one_factor.expected_loss,
            se = t.one_factor.expected_loss_std_error,
            ratio = p.ratio,
            cpu_ratio = p.ratio_per_cpu_second,
        ),
        None => format!("The numpy peer did not run: {}.\n", t.peer_note),
    };
    format!(
        "{TAPE_HEADING}\n\
\n\
Issue 12's workload (`benches/src/lib.rs`, `tape`; criterion: `benches/benches/mc.rs`):\n\
`Portfolio::benchmark_book({loans}, sectors, 2026)`, a PD, EAD and LGD per loan (EAD lognormal,\n\
log-sd 1; PD lognormal, median 1.5%, log-sd 1.2, clipped to [0.005%, 35%]; LGD Beta(4, 5)),\n\
under `Copula::benchmark(sectors)`. A run builds the model (`MonteCarlo::new`: loans sorted\n\
into buckets of similar PD), simulates {scen} scenarios and computes every statistic of\n\
`cargo xtask loss` (EL, UL, VaR and ES at 99/99.9/99.97%, `P(L > x)` at 5/10/20%, six\n\
tranches' EL and P(loss)); median of the repetitions, {threads} rayon threads, 1-minute load\n\
average {load:.2} at the start. Measured by `cargo xtask bench --only tape` (which rewrites\n\
this section only) or the full `cargo xtask bench`. The sampler is described in\n\
`docs/methodology/monte-carlo.md` (buckets, geometric skipping, thinning).\n\
\n\
| book | buckets | median wall time | loan-scenarios/s | CPUs used | loan-scenarios per CPU-second | target (wall, all threads) |\n\
| --- | --- | --- | --- | --- | --- | --- |\n\
{one}{ten}\
\n\
\"CPUs used\" is the process's CPU time over its wall time during the runs: on a shared\n\
machine it falls below the thread count, and the speed per CPU-second is what each core\n\
delivered.\n\
\n\
{peer}",
        loans = t.loans,
        scen = t.scenarios_per_run,
        threads = t.rayon_threads,
        load = t.load_average,
        one = tape_row("one-factor Gaussian, rho 0.2", &t.one_factor),
        ten = tape_row(
            &format!("{} sectors, distinct loadings", t.sectors.sectors),
            &t.sectors
        ),
        peer = peer,
    )
}

/// `doc` with the section starting at the line `heading` (up to the next `## ` heading or
/// the end) replaced by `section`, or with `section` appended when there is none. A
/// section followed by another keeps the blank line between them, as the whole page has it.
pub fn replace_section(doc: &str, heading: &str, section: &str) -> String {
    let start = doc
        .match_indices(heading)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || doc[..i].ends_with('\n'));
    match start {
        Some(i) => {
            let after = i + heading.len();
            let next = doc[after..].find("\n## ").map(|j| after + j + 1);
            let end = next.unwrap_or(doc.len());
            let gap = if next.is_some() && !section.ends_with("\n\n") {
                "\n"
            } else {
                ""
            };
            format!("{}{section}{gap}{}", &doc[..i], &doc[end..])
        }
        None if doc.is_empty() => format!("# Performance\n\n{section}"),
        None => format!("{}\n\n{section}", doc.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::*;

    /// Figures of no particular run, only to lay the page out.
    fn summary() -> Summary {
        Summary {
            command: "cargo xtask bench".into(),
            machine: Machine {
                nproc: 2,
                cpu_model: "test".into(),
                rustc: "rustc".into(),
                rayon_threads: 2,
                load_average: 0.5,
            },
            mc: McFigures {
                loans: 10_000,
                rho: 0.2,
                scenarios_per_run: 20_000,
                cohorts: 35,
                median_seconds: 0.1,
                best_seconds: 0.09,
                loan_scenarios_per_second: 2e9,
                loan_scenarios_per_second_one_thread: 1e9,
                heterogeneous_loan_scenarios_per_second: 1e8,
                target_loan_scenarios_per_second: TARGET_LOAN_SCENARIOS_PER_S,
                met: true,
            },
            importance_sampling: IsFigures {
                level: 0.27,
                shift_seconds: 0.01,
                shift: vec![1.0; 10],
                pilot_scenarios: GL_PILOT,
                pilot_seconds: 0.1,
                scenarios: 3000,
                seconds: 0.2,
                total_seconds: 0.21,
                probability: 1e-4,
                std_error: 4e-6,
                relative_std_error: 0.04,
                variance_reduction: 500.0,
                plain_seconds_per_scenario: 1e-5,
                is_seconds_per_scenario: 5e-5,
                work_normalised_variance_reduction: 100.0,
                target_relative_std_error: GL_TARGET_REL_SE,
                target_seconds: TARGET_GL_SECONDS,
                met: true,
            },
            exact: ExactFigures {
                loans: 1000,
                rho: 0.2,
                nodes: 64,
                median_seconds: 0.5,
                best_seconds: 0.4,
            },
            waterfall: WaterfallFigures {
                loans: 10_000,
                cohorts: 40,
                months: 360,
                notes: 5,
                scenarios: 1000,
                median_seconds: 1.0,
                best_seconds: 0.9,
                projection_seconds: 0.6,
                waterfall_seconds: 0.4,
                senior_expected_loss: 1e-6,
                junior_expected_loss: 0.2,
                target_seconds: WF_TARGET_SECONDS,
                met: true,
            },
            defi: DefiFigures {
                positions: 10_000,
                paths: 1000,
                steps: 288,
                step_minutes: 5.0,
                median_seconds: 2.0,
                best_seconds: 1.9,
                position_path_steps_per_second: 1.4e9,
                crash_median_seconds: 4.0,
                calm_liquidation_volume: 0.001,
                crash_liquidation_volume: 0.5,
                crash_bad_debt: 1e-3,
                load_average: 0.5,
                rayon_threads: 2,
                target_seconds: DEFI_TARGET_SECONDS,
                met: true,
            },
            pipeline: PipelineFigures {
                loans_per_book: 10_000,
                defi_paths: 200,
                runs: 3,
                median_seconds: 4.0,
                best_seconds: 3.8,
                peak_rss_mib: 13.0,
                load_average: 0.5,
                target_seconds: PIPELINE_TARGET_SECONDS,
                target_peak_rss_mib: PIPELINE_TARGET_MIB,
                met: false,
            },
            tape: TapeFigures {
                loans: 100_000,
                scenarios_per_run: 10_000,
                rayon_threads: 2,
                load_average: 0.5,
                one_factor: tape_run(1),
                sectors: tape_run(10),
                peer: Some(PeerFigures {
                    python: "python3".into(),
                    numpy: "2.0".into(),
                    scenarios: 500,
                    seconds: 1.0,
                    loan_scenarios_per_second: 5e7,
                    loan_scenarios_per_cpu_second: 4e7,
                    expected_loss: 0.0134,
                    ratio: 50.0,
                    ratio_per_cpu_second: 30.0,
                }),
                peer_note: String::new(),
            },
            stream: StreamFigures {
                loans: 1_000_000,
                csv_mib: 52.0,
                scenarios: 10_000,
                seconds: 20.0,
                peak_rss_mib: 300.0,
                load_average: 0.5,
                target_peak_rss_mib: STREAM_TARGET_MIB,
                met: true,
            },
            analytic: AnalyticFigures {
                loans: 10_000,
                exact_seconds: 1.4,
                exact_runs: 3,
                exact_accuracy_met: true,
                exact_target_seconds: EXACT_TAPE_TARGET_SECONDS,
                exact_met: true,
                saddlepoint: sp_run(10_000, 0.2),
                saddlepoint_target: sp_run(100_000, 0.5),
                saddlepoint_target_loans: SADDLEPOINT_TARGET_LOANS,
                saddlepoint_target_seconds: SADDLEPOINT_TARGET_SECONDS,
                saddlepoint_target_relative: SADDLEPOINT_TARGET_RELATIVE,
                saddlepoint_met: true,
                load_average: 0.5,
            },
        }
    }

    fn sp_run(loans: usize, seconds: f64) -> SaddlepointRun {
        SaddlepointRun {
            loans,
            seconds,
            seconds_with_accuracy: 2.0 * seconds,
            runs: 3,
            largest_relative_difference: 3e-4,
            largest_relative_bound: 4e-6,
            accuracy_met: true,
            exact_seconds: 80.0,
        }
    }

    fn tape_run(sectors: usize) -> TapeRun {
        TapeRun {
            sectors,
            buckets: 67 * sectors,
            median_seconds: 0.5,
            best_seconds: 0.4,
            cpus_used: 1.9,
            loan_scenarios_per_second: 2.5e9,
            loan_scenarios_per_cpu_second: 1.3e9,
            expected_loss: 0.0134,
            expected_loss_std_error: 1e-4,
            target_loan_scenarios_per_second: TARGET_TAPE_LOAN_SCENARIOS_PER_S,
            met: true,
        }
    }

    #[test]
    fn the_page_has_its_sections_in_order_and_each_replaces_itself() {
        let s = summary();
        let page = performance_page(&s);
        let headings: Vec<&str> = page.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            headings,
            [
                "# Performance",
                "## Machine",
                "## How it is measured",
                "## Plain Monte Carlo: standard book",
                "## Importance sampling: Glasserman-Li portfolio",
                "## Exact recursion",
                "## Cash-flow waterfall",
                DEFI_HEADING,
                PIPELINE_HEADING,
                TAPE_HEADING,
                STREAM_HEADING,
                ANALYTIC_HEADING,
            ]
        );
        assert!(page.contains("**MISSED**") && page.contains("**met**"));
        // What `--only` does with fresh figures of the same run: nothing changes.
        let defi = replace_section(&page, DEFI_HEADING, &defi_section(&s.defi));
        assert_eq!(defi, page);
        let pipeline = replace_section(&page, PIPELINE_HEADING, &pipeline_section(&s.pipeline));
        assert_eq!(pipeline, page);
        let tape = replace_section(&page, TAPE_HEADING, &tape_section(&s.tape));
        assert_eq!(tape, page);
        let stream = replace_section(&page, STREAM_HEADING, &stream_section(&s.stream));
        assert_eq!(stream, page);
        let analytic = replace_section(&page, ANALYTIC_HEADING, &analytic_section(&s.analytic));
        assert_eq!(analytic, page);
        // Without numpy the section says why the peer is missing.
        let mut no_peer = s.tape.clone();
        no_peer.peer = None;
        no_peer.peer_note = "python3 has no numpy".into();
        assert!(tape_section(&no_peer).contains("did not run: python3 has no numpy"));
    }

    #[test]
    fn a_single_run_is_run_once() {
        let mut p = summary().pipeline;
        assert!(pipeline_section(&p).contains("run 3 times as a child process"));
        p.runs = 1;
        assert!(pipeline_section(&p).contains("run once as a child process"));
    }

    #[test]
    fn bench_writes_the_workspaces_files_by_default() {
        // Absolute paths, so `cargo xtask bench` run from another directory still writes
        // the workspace's summary and page.
        let doc = std::path::Path::new(PERFORMANCE_DOC);
        assert!(doc.is_absolute() && doc.is_file(), "{PERFORMANCE_DOC}");
        let summary = std::path::Path::new(SUMMARY_FILE);
        assert!(summary.is_absolute(), "{SUMMARY_FILE}");
        assert_eq!(
            summary.parent().and_then(|p| p.parent()),
            doc.parent()
                .and_then(|p| p.parent())
                .map(|root| root.join("target"))
                .as_deref()
        );
    }

    #[test]
    fn a_section_is_replaced_in_place_or_appended() {
        let doc = "# P\n\n## A\nold a\n\n## B\nold b\n";
        assert_eq!(
            replace_section(doc, "## A", "## A\nnew a\n\n"),
            "# P\n\n## A\nnew a\n\n## B\nold b\n"
        );
        // A section without its trailing blank line gets one before the next heading.
        assert_eq!(
            replace_section(doc, "## A", "## A\nnew a\n"),
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
