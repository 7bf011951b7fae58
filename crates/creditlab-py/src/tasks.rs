//! The entry points: each builds the library's request from its arguments, runs it with
//! the GIL released on a rayon pool of `threads` workers, and returns the result as the JSON
//! text `cargo xtask <task> --json` prints (compact; the same keys in the same order).

use crate::error::{Error, Result};
use crate::inputs::{Columns, PortfolioSource, TapeSource};
use creditlab_contagion::{
    CopulaSpec, CreditRiskPlusSpec, ExactConfig, LossMethod, LossRequest, MonteCarlo, Tolerance,
    parse_tranches,
};
use creditlab_grade::grading::{self, GradingConfig};
use creditlab_grade::logistic::IrlsOptions;
use creditlab_grade::report::{GradeReport, MAX_ROC_POINTS};
use creditlab_loan::cashflow::add_loan;
use creditlab_loan::synthetic::{self, BookSpec};
use creditlab_loan::{
    Assumptions, CashFlowReport, CashFlowSource, CashFlows, DefaultRate, LoanRecord, Pool,
    Prepayment, project_pool,
};
use creditlab_pool::DealSpec;
use creditlab_study::config::{config_error, line_of, parse_toml, read};
use creditlab_study::progress::Silent;
use creditlab_study::{Overwrite, Scenario, Study, check_output};
use numpy::PyArray1;
use pyo3::prelude::*;
use std::path::PathBuf;

/// The tranches `cargo xtask loss` reports by default.
pub const DEFAULT_TRANCHES: &str = "0-0.03,0.03-0.07,0.07-0.1,0.1-0.15,0.15-0.3,0.3-1";

/// The built-in DeFi configuration (`cargo xtask defi` without `--config`).
pub(crate) const DEFAULT_DEFI: &str = include_str!("../../../scenarios/defi.toml");
/// What messages call the built-in DeFi configuration.
pub(crate) const DEFAULT_DEFI_ORIGIN: &str = "scenarios/defi.toml (built in)";

/// A rayon pool of `threads` workers (default: one per core). Results do not depend on it.
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    if threads == Some(0) {
        return Err(Error::argument("threads", "must be at least 1"));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::argument("threads", format!("cannot start the workers: {e}")))
}

/// `value` as compact JSON, as the command line serializes it.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::argument("result", format!("cannot serialize as JSON: {e}")))
}

/// The portfolio argument: columns, a file or a built-in book (exactly one).
pub(crate) fn portfolio_source<'py>(
    columns: Option<Columns<'py>>,
    path: Option<PathBuf>,
    book: Option<String>,
) -> Result<PortfolioSource<'py>> {
    match (columns, path, book) {
        (Some(c), None, None) => Ok(PortfolioSource::Columns(Box::new(c))),
        (None, Some(p), None) => Ok(PortfolioSource::File(p)),
        (None, None, Some(b)) => Ok(PortfolioSource::Book(b)),
        (None, None, None) => Ok(PortfolioSource::Book("standard:1000".into())),
        _ => Err(Error::argument(
            "portfolio",
            "give one of portfolio columns, a portfolio file or a book",
        )),
    }
}

/// A name parsed by the library's `FromStr` (copula, method), errors naming `field`.
pub(crate) fn parsed<T: std::str::FromStr>(field: &str, text: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| Error::argument(field, e.to_string()))
}

/// The request of `cargo xtask loss`'s method, copula and reported figures (the exact and
/// CreditRisk+ settings are added by [`loss`]), and its copula's spec.
pub(crate) fn simulation_request(
    method: &str,
    copula: &str,
    rho: Vec<f64>,
    tranches: &str,
    tail: Vec<f64>,
    scenarios: Option<u64>,
    seed: u64,
) -> Result<(LossRequest, CopulaSpec)> {
    let method: LossMethod = parsed("method", method)?;
    let spec: CopulaSpec = parsed("copula", copula)?;
    let mut request = LossRequest::new(method, spec.clone(), rho);
    request.tranches =
        parse_tranches(tranches).map_err(|e| Error::argument("tranches", e.to_string()))?;
    request.tail = tail;
    if let Some(n) = scenarios {
        request.scenarios = n;
    }
    request.seed = seed;
    Ok((request, spec))
}

/// The loss distribution of a portfolio: `cargo xtask loss --json` (a `LossReport`).
#[pyfunction]
#[pyo3(signature = (
    columns, path, book, method, copula, rho, tranches, tail, scenarios, seed, threads,
    tolerance, abs_tolerance, accept_coarser, max_work, sector_variance, sector_correlation,
    loss_unit
))]
#[allow(clippy::too_many_arguments)]
pub fn loss(
    py: Python<'_>,
    columns: Option<Columns<'_>>,
    path: Option<PathBuf>,
    book: Option<String>,
    method: &str,
    copula: &str,
    rho: Vec<f64>,
    tranches: &str,
    tail: Vec<f64>,
    scenarios: Option<u64>,
    seed: u64,
    threads: Option<usize>,
    tolerance: Option<f64>,
    abs_tolerance: Option<f64>,
    accept_coarser: bool,
    max_work: Option<f64>,
    sector_variance: Vec<f64>,
    sector_correlation: f64,
    loss_unit: Option<f64>,
) -> PyResult<String> {
    let (mut request, spec) =
        simulation_request(method, copula, rho, tranches, tail, scenarios, seed)?;
    let default = Tolerance::default();
    request.accuracy = Tolerance {
        relative: tolerance.unwrap_or(default.relative),
        absolute: abs_tolerance.unwrap_or(default.absolute),
    };
    request.accept_coarser = accept_coarser;
    request.max_work = max_work.unwrap_or(ExactConfig::default().max_work);
    request.validate().map_err(Error::from)?;
    let pool = thread_pool(threads)?;
    let source = portfolio_source(columns, path, book)?;
    let portfolio = source.portfolio()?;
    drop(source);
    if request.method == LossMethod::CreditRiskPlus {
        request.creditrisk = Some(
            CreditRiskPlusSpec::for_portfolio(
                &portfolio,
                &sector_variance,
                sector_correlation,
                loss_unit,
            )
            .map_err(Error::from)?,
        );
    }
    let report = py.detach(|| {
        pool.install(|| {
            let copula = spec.build(&request.rho, &portfolio)?;
            request.run_with(&portfolio, &copula)
        })
    });
    Ok(json(&report.map_err(Error::from)?)?)
}

/// The Monte Carlo pool loss of each scenario of `start..end` (fractions of total exposure,
/// in scenario order): `MonteCarlo::simulate`, the draws `loss(method="mc")` summarises.
#[pyfunction]
#[pyo3(signature = (columns, path, book, copula, rho, seed, start, end, threads))]
#[allow(clippy::too_many_arguments)]
pub fn loss_scenarios<'py>(
    py: Python<'py>,
    columns: Option<Columns<'py>>,
    path: Option<PathBuf>,
    book: Option<String>,
    copula: &str,
    rho: Vec<f64>,
    seed: u64,
    start: u64,
    end: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    if end < start {
        return Err(Error::argument("end", format!("{end} is before start {start}")).into());
    }
    let spec: CopulaSpec = parsed("copula", copula)?;
    let pool = thread_pool(threads)?;
    let source = portfolio_source(columns, path, book)?;
    let portfolio = source.portfolio()?;
    drop(source);
    let losses = py.detach(|| {
        pool.install(|| -> creditlab_contagion::Result<Vec<f64>> {
            let copula = spec.build(&rho, &portfolio)?;
            let mc = MonteCarlo::new(&portfolio, &copula)?;
            Ok(mc.simulate(seed, start..end).losses().to_vec())
        })
    });
    Ok(PyArray1::from_vec(py, losses.map_err(Error::from)?))
}

/// One of three mutually exclusive rates, or `None`.
fn one_of<T>(
    names: [&str; 3],
    values: [Option<f64>; 3],
    make: [fn(f64) -> T; 3],
) -> Result<Option<T>> {
    let given: Vec<usize> = (0..3).filter(|&i| values[i].is_some()).collect();
    match given.as_slice() {
        [] => Ok(None),
        [i] => Ok(values[*i].map(make[*i])),
        _ => Err(Error::argument(
            names[given[1]],
            format!("give at most one of {}", names.join(", ")),
        )),
    }
}

/// Monthly cash flows of a pool or a tape: `cargo xtask cashflows --json`.
#[pyfunction]
#[pyo3(signature = (
    tape, tape_table, origin, balance, coupon, term, smm, cpr, psa, mdr, cdr, sda, recovery_lag,
    severity, advancing, months
))]
#[allow(clippy::too_many_arguments)]
pub fn cashflows(
    py: Python<'_>,
    tape: Option<PathBuf>,
    tape_table: Option<Bound<'_, PyAny>>,
    origin: Option<String>,
    balance: f64,
    coupon: f64,
    term: u32,
    smm: Option<f64>,
    cpr: Option<f64>,
    psa: Option<f64>,
    mdr: Option<f64>,
    cdr: Option<f64>,
    sda: Option<f64>,
    recovery_lag: u32,
    severity: f64,
    advancing: bool,
    months: Option<usize>,
) -> PyResult<String> {
    let prepayment = one_of(
        ["smm", "cpr", "psa"],
        [smm, cpr, psa],
        [Prepayment::Smm, Prepayment::Cpr, Prepayment::Psa],
    )?
    .unwrap_or(Prepayment::Smm(0.0));
    let default = one_of(
        ["mdr", "cdr", "sda"],
        [mdr, cdr, sda],
        [DefaultRate::Mdr, DefaultRate::Cdr, DefaultRate::Sda],
    )?
    .unwrap_or(DefaultRate::Mdr(0.0));
    let a = Assumptions::new(prepayment, default, recovery_lag, severity, advancing)
        .map_err(Error::from)?;
    let report = match TapeSource::of(tape, tape_table.as_ref(), origin)? {
        Some(source) => py.detach(|| -> Result<CashFlowReport> {
            let mut cf = CashFlows::new();
            let mut loans = 0u64;
            let name = source.name();
            for record in source.records()? {
                add_loan(&mut cf, &record?.loan, &a);
                loans += 1;
            }
            if loans == 0 {
                return Err(Error::argument(
                    "tape",
                    format!("{name}: the tape holds no loan"),
                ));
            }
            let source = CashFlowSource::Tape { path: name, loans };
            Ok(CashFlowReport::new(source, &a, &cf, months))
        })?,
        None => {
            let pool = Pool::new(balance, coupon, term).map_err(Error::from)?;
            let cf = py.detach(|| project_pool(&pool, &a));
            CashFlowReport::new(CashFlowSource::pool(&pool), &a, &cf, months)
        }
    };
    Ok(json(&report)?)
}

/// Grades every loan of a tape or a synthetic book: `cargo xtask grade --json`.
#[pyfunction]
#[pyo3(signature = (
    tape, tape_table, origin, book, loans, total_principal, seed, simulate_outcomes, fit, quantile
))]
#[allow(clippy::too_many_arguments)]
pub fn grade(
    py: Python<'_>,
    tape: Option<PathBuf>,
    tape_table: Option<Bound<'_, PyAny>>,
    origin: Option<String>,
    book: Option<String>,
    loans: usize,
    total_principal: Option<f64>,
    seed: u64,
    simulate_outcomes: bool,
    fit: bool,
    quantile: f64,
) -> PyResult<String> {
    if !(quantile > 0.0 && quantile < 1.0) {
        return Err(
            Error::argument("quantile", format!("must be in (0, 1), got {quantile}")).into(),
        );
    }
    let tape = TapeSource::of(tape, tape_table.as_ref(), origin)?;
    let report = py.detach(|| -> Result<GradeReport> {
        let (book, source) = match (tape, book.as_deref()) {
            (Some(t), None) => {
                let name = format!("tape {}", t.name());
                (t.book()?, name)
            }
            (None, Some(kind)) => (
                synthetic_book(kind, loans, seed, total_principal)?,
                format!("{kind} book, {loans} loans, seed {seed}"),
            ),
            _ => {
                return Err(Error::argument(
                    "tape",
                    "give exactly one of a tape or a book",
                ));
            }
        };
        let mut config = GradingConfig::default();
        let fitted = if fit {
            let fitted = grading::fit_scorecard(&book, &IrlsOptions::default())?;
            config.scorecard = fitted.scorecard.clone();
            Some(fitted)
        } else {
            None
        };
        config.scorecard.conservative_quantile = quantile;
        config.collateral_model.split_seed = seed;
        config.collateral_model.upper_quantile = quantile;
        let simulate = simulate_outcomes.then_some(seed);
        let mut report = GradeReport::build(&book, source, &config, fitted.as_ref(), simulate)?;
        report.thin_roc(MAX_ROC_POINTS);
        Ok(report)
    })?;
    Ok(json(&report)?)
}

/// A deal's waterfall: `cargo xtask waterfall --deal FILE --json` (one scenario's months,
/// or with `scenarios > 0` each note's statistics over copula scenarios).
#[pyfunction]
#[pyo3(signature = (deal, scenarios, rho, copula, seed, threads))]
pub fn waterfall(
    py: Python<'_>,
    deal: PathBuf,
    scenarios: usize,
    rho: f64,
    copula: &str,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<String> {
    let origin = deal.display().to_string();
    let text = read(&deal).map_err(Error::from)?;
    let spec: DealSpec = parse_toml(&text, &origin).map_err(Error::from)?;
    // A deal error names the file and the line of its field, as the command line does.
    let located = |e: creditlab_pool::PoolError| Error::Deal {
        origin: origin.clone(),
        line: e.field().and_then(|f| line_of(&text, f)),
        source: Box::new(e),
    };
    spec.waterfall_spec().map_err(located)?;
    spec.validate().map_err(located)?;
    let pool = thread_pool(threads)?;
    if scenarios > 0 {
        let spec_c: CopulaSpec = parsed("copula", copula)?;
        let copula = spec_c.one_factor(rho).map_err(Error::from)?;
        let stats = py
            .detach(|| pool.install(|| spec.simulate_waterfall(&copula, scenarios, seed)))
            .map_err(located)?;
        return Ok(json(&stats)?);
    }
    let run = py
        .detach(|| pool.install(|| spec.run_waterfall()))
        .map_err(located)?;
    Ok(json(&run)?)
}

/// The DeFi lending pool's Monte Carlo: `cargo xtask defi --json`.
#[pyfunction]
#[pyo3(signature = (config, paths, seed, threads))]
pub fn defi(
    py: Python<'_>,
    config: Option<PathBuf>,
    paths: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<String> {
    let (text, origin) = match &config {
        Some(path) => (read(path).map_err(Error::from)?, path.display().to_string()),
        None => (DEFAULT_DEFI.to_string(), DEFAULT_DEFI_ORIGIN.to_string()),
    };
    let parsed: creditlab_defi::config::DefiSimConfig =
        parse_toml(&text, &origin).map_err(Error::from)?;
    let valid = parsed.validate().map_err(|e| -> Error {
        match e.field() {
            Some(field) => config_error(&text, &origin, field, e.reason()).into(),
            None => e.into(),
        }
    })?;
    let paths = paths.unwrap_or(parsed.paths);
    let seed = seed.unwrap_or(parsed.seed);
    let pool = thread_pool(threads)?;
    let result = py.detach(|| {
        pool.install(|| {
            creditlab_defi::simulation::DefiSim::prepare(valid)
                .run(paths, creditlab_defi::Seed(seed))
        })
    });
    Ok(json(&result.map_err(Error::from)?)?)
}

/// The whole study (`cargo xtask pipeline`): returns report.json's data, and writes the
/// report into `out` when given (refused before the run if `out` cannot be written).
#[pyfunction]
#[pyo3(signature = (config, text, seed, scenarios, quick, threads, out, force))]
#[allow(clippy::too_many_arguments)]
pub fn study(
    py: Python<'_>,
    config: Option<PathBuf>,
    text: Option<String>,
    seed: Option<u64>,
    scenarios: Option<u64>,
    quick: bool,
    threads: Option<usize>,
    out: Option<PathBuf>,
    force: bool,
) -> PyResult<String> {
    let scenario = scenario_of(config, text, seed, scenarios, quick)?;
    run_study(py, threads, out, force, || Study::run(&scenario, &Silent))
}

/// Runs `make` on a pool of `threads` workers with the GIL released and writes its study
/// to `out` when given (checked before it runs: a folder creditlab did not write is
/// refused unless `force`); the study as JSON.
pub(crate) fn run_study(
    py: Python<'_>,
    threads: Option<usize>,
    out: Option<PathBuf>,
    force: bool,
    make: impl FnOnce() -> creditlab_study::Result<Study> + Send,
) -> PyResult<String> {
    let policy = if force {
        Overwrite::Force
    } else {
        Overwrite::Own
    };
    if let Some(out) = &out {
        check_output(out, policy).map_err(Error::from)?;
    }
    let pool = thread_pool(threads)?;
    let study = py.detach(|| -> Result<Study> {
        let study = pool.install(make)?;
        if let Some(out) = &out {
            study.write_with(out, policy)?;
        }
        Ok(study)
    })?;
    Ok(json(&study)?)
}

/// The scenario of a file, a text or the built-in one, with the overrides of
/// `creditlab.Study`.
pub(crate) fn scenario_of(
    config: Option<PathBuf>,
    text: Option<String>,
    seed: Option<u64>,
    scenarios: Option<u64>,
    quick: bool,
) -> Result<Scenario> {
    let mut scenario = match (&config, &text) {
        (Some(path), None) => Scenario::from_file(path).map_err(Error::from)?,
        (None, Some(t)) => parse_toml::<Scenario>(t, "scenario text")
            .and_then(|s| s.check().map(|()| s))
            .map_err(Error::from)?,
        (None, None) => Scenario::builtin().map_err(Error::from)?,
        (Some(_), Some(_)) => {
            return Err(Error::argument("config", "give a file or a text, not both"));
        }
    };
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    if let Some(n) = scenarios {
        scenario.loss.scenarios = n;
        scenario.check().map_err(Error::from)?;
    }
    if quick {
        scenario.quicken();
    }
    Ok(scenario)
}

/// A synthetic book ("bank" or "defi") of `loans` loans of `seed`.
fn synthetic_book(
    kind: &str,
    loans: usize,
    seed: u64,
    total_principal: Option<f64>,
) -> Result<creditlab_loan::Book> {
    if loans == 0 || loans > synthetic::MAX_LOANS {
        return Err(Error::argument(
            "loans",
            format!("must be in 1..={}, got {loans}", synthetic::MAX_LOANS),
        ));
    }
    if let Some(t) = total_principal
        && !(t.is_finite() && t > 0.0)
    {
        return Err(Error::argument(
            "total_principal",
            format!("must be a positive amount, got {t}"),
        ));
    }
    let spec = BookSpec {
        loans,
        total_principal,
        seed,
    };
    Ok(match kind {
        "bank" => synthetic::bank_book(&spec)?,
        "defi" => synthetic::defi_book(&spec)?,
        other => {
            return Err(Error::argument(
                "book",
                format!("{other:?}: expected \"bank\" or \"defi\""),
            ));
        }
    })
}

/// Writes a synthetic book as a loan tape (`save_tape`: .csv or .jsonl), never over an
/// existing file.
#[pyfunction]
#[pyo3(signature = (path, book, loans, seed, total_principal))]
pub fn write_book(
    py: Python<'_>,
    path: PathBuf,
    book: &str,
    loans: usize,
    seed: u64,
    total_principal: Option<f64>,
) -> PyResult<()> {
    if path.exists() {
        return Err(Error::argument(
            "path",
            format!(
                "{} exists; creditlab does not overwrite a file",
                path.display()
            ),
        )
        .into());
    }
    let book = book.to_string();
    py.detach(|| -> Result<()> {
        let made = synthetic_book(&book, loans, seed, total_principal)?;
        creditlab_loan::tape::save_tape(&path, made.iter())?;
        Ok(())
    })?;
    Ok(())
}

/// Every record of a tape, as the tape reader reads it (JSON, one object per loan).
#[pyfunction]
#[pyo3(signature = (tape, tape_table, origin))]
pub fn tape_records(
    py: Python<'_>,
    tape: Option<PathBuf>,
    tape_table: Option<Bound<'_, PyAny>>,
    origin: Option<String>,
) -> PyResult<String> {
    let Some(tape) = TapeSource::of(tape, tape_table.as_ref(), origin)? else {
        return Err(Error::argument("tape", "give a tape (a path or a table)").into());
    };
    let records = py.detach(|| -> Result<Vec<LoanRecord>> {
        Ok(tape.records()?.collect::<creditlab_loan::Result<_>>()?)
    })?;
    Ok(json(&records)?)
}

/// Every loan's grade (`grade_book` with every revealed factor), as columns.
#[pyfunction]
#[pyo3(signature = (tape, tape_table, origin, book, loans, seed, quantile))]
#[allow(clippy::too_many_arguments)]
pub fn loan_grades<'py>(
    py: Python<'py>,
    tape: Option<PathBuf>,
    tape_table: Option<Bound<'_, PyAny>>,
    origin: Option<String>,
    book: Option<String>,
    loans: usize,
    seed: u64,
    quantile: f64,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    if !(quantile > 0.0 && quantile < 1.0) {
        return Err(
            Error::argument("quantile", format!("must be in (0, 1), got {quantile}")).into(),
        );
    }
    let tape = TapeSource::of(tape, tape_table.as_ref(), origin)?;
    let grades = py.detach(|| -> Result<Vec<creditlab_grade::LoanGrade>> {
        let made = match (tape, book.as_deref()) {
            (Some(t), None) => t.book()?,
            (None, Some(kind)) => synthetic_book(kind, loans, seed, None)?,
            _ => {
                return Err(Error::argument(
                    "tape",
                    "give exactly one of a tape or a book",
                ));
            }
        };
        let mut config = GradingConfig::default();
        config.scorecard.conservative_quantile = quantile;
        config.collateral_model.split_seed = seed;
        config.collateral_model.upper_quantile = quantile;
        Ok(creditlab_grade::grade_book(&made, &config, false)?.loans)
    })?;
    let out = pyo3::types::PyDict::new(py);
    let column = |f: fn(&creditlab_grade::LoanGrade) -> f64| {
        PyArray1::from_vec(py, grades.iter().map(f).collect())
    };
    out.set_item(
        "id",
        PyArray1::from_vec(py, grades.iter().map(|g| g.id).collect()),
    )?;
    out.set_item("ead", column(|g| g.ead))?;
    out.set_item("pd", column(|g| g.pd.pd))?;
    out.set_item("pd_conservative", column(|g| g.pd.pd_conservative))?;
    out.set_item("lgd", column(|g| g.lgd.lgd))?;
    out.set_item("el_one_year", column(|g| g.el_one_year))?;
    out.set_item("capital_amount", column(|g| g.capital_amount))?;
    let names: Vec<String> = grades.iter().map(|g| g.grade.to_string()).collect();
    out.set_item("grade", names)?;
    Ok(out)
}
