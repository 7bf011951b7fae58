//! Shards for `creditlab.distributed`: one shard's partial result as the text of a shard
//! file (creditlab-contagion's `LossShard`, creditlab-defi's `DefiShard`), and the merge of
//! a run's partials into the single run's result (`cargo xtask merge`'s library calls).

use crate::error::{Error, Result};
use crate::inputs::Columns;
use crate::tasks::{
    json, portfolio_source, run_study, scenario_of, simulation_request, thread_pool,
};
use creditlab_contagion::shard::LossShard;
use creditlab_defi::shard::DefiShard;
use creditlab_numerics::shard::ShardSpec;
use creditlab_study::config::{config_error, parse_toml};
use creditlab_study::progress::Silent;
use creditlab_study::shard::StudyShard;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Shard `index` of `count`, or an argument error.
fn shard_spec(index: u64, count: u64) -> Result<ShardSpec> {
    ShardSpec::new(index, count).ok_or_else(|| {
        Error::argument(
            "shard",
            format!("{index}/{count}: need a count of at least 1 and an index below it"),
        )
    })
}

/// Shard `index/count` of a loss simulation (`mc`, `mc-is`): its partial result as JSON.
#[pyfunction]
#[pyo3(signature = (
    columns, path, book, method, copula, rho, tranches, tail, scenarios, seed, threads, index,
    count
))]
#[allow(clippy::too_many_arguments)]
pub fn loss_shard(
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
    index: u64,
    count: u64,
) -> PyResult<String> {
    let (request, spec) = simulation_request(method, copula, rho, tranches, tail, scenarios, seed)?;
    let shard = shard_spec(index, count)?;
    let pool = thread_pool(threads)?;
    let source = portfolio_source(columns, path, book)?;
    let portfolio = source.portfolio()?;
    drop(source);
    let part = py.detach(|| {
        pool.install(|| {
            let copula = spec.build(&request.rho, &portfolio)?;
            LossShard::simulate(&request, &portfolio, &copula, shard)
        })
    });
    Ok(part.map_err(Error::from)?.to_json())
}

/// Merges loss partials `(name, text)` into the single run's report (JSON).
#[pyfunction]
pub fn loss_merge(py: Python<'_>, partials: Vec<(String, String)>) -> PyResult<String> {
    let report = py.detach(|| -> Result<_> {
        let shards = partials
            .iter()
            .map(|(name, text)| Ok((name.clone(), LossShard::from_json(text, name)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(creditlab_contagion::shard::merge(shards)?)
    })?;
    Ok(json(&report)?)
}

/// Shard `index/count` of the DeFi simulation of a config text (the built-in one without):
/// its partial result as JSON.
#[pyfunction]
#[pyo3(signature = (text, origin, paths, seed, threads, index, count))]
#[allow(clippy::too_many_arguments)]
pub fn defi_shard(
    py: Python<'_>,
    text: Option<String>,
    origin: Option<String>,
    paths: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    index: u64,
    count: u64,
) -> PyResult<String> {
    let (text, origin) = match text {
        Some(t) => (t, origin.unwrap_or_else(|| "DeFi config".into())),
        None => (
            crate::tasks::DEFAULT_DEFI.to_string(),
            crate::tasks::DEFAULT_DEFI_ORIGIN.to_string(),
        ),
    };
    let mut config: creditlab_defi::config::DefiSimConfig =
        parse_toml(&text, &origin).map_err(Error::from)?;
    if let Some(p) = paths {
        config.paths = p;
    }
    if let Some(s) = seed {
        config.seed = s;
    }
    let shard = shard_spec(index, count)?;
    let pool = thread_pool(threads)?;
    let part = py
        .detach(|| pool.install(|| DefiShard::simulate(&config, shard)))
        .map_err(|e| -> Error {
            match e.field() {
                Some(field) if field != "paths" && field != "shard" => {
                    config_error(&text, &origin, field, e.reason()).into()
                }
                _ => e.into(),
            }
        })?;
    Ok(part.to_json())
}

/// Merges DeFi partials `(name, text)` into the single run's result (JSON).
#[pyfunction]
pub fn defi_merge(py: Python<'_>, partials: Vec<(String, String)>) -> PyResult<String> {
    let result = py.detach(|| -> Result<_> {
        let shards = partials
            .iter()
            .map(|(name, text)| Ok((name.clone(), DefiShard::from_json(text, name)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(creditlab_defi::shard::merge(shards)?.1)
    })?;
    Ok(json(&result)?)
}

/// Shard `index/count` of a study's Monte Carlo stages (`creditlab_study::shard`): its
/// partial result as JSON. The scenario is `creditlab.Study`'s (a file, a text or the
/// built-in one, with its overrides).
#[pyfunction]
#[pyo3(signature = (config, text, seed, scenarios, quick, threads, index, count))]
#[allow(clippy::too_many_arguments)]
pub fn study_shard(
    py: Python<'_>,
    config: Option<PathBuf>,
    text: Option<String>,
    seed: Option<u64>,
    scenarios: Option<u64>,
    quick: bool,
    threads: Option<usize>,
    index: u64,
    count: u64,
) -> PyResult<String> {
    let scenario = scenario_of(config, text, seed, scenarios, quick)?;
    let shard = shard_spec(index, count)?;
    let pool = thread_pool(threads)?;
    let part = py.detach(|| pool.install(|| StudyShard::run(&scenario, shard, &Silent)));
    Ok(part.map_err(Error::from)?.to_json())
}

/// Merges study partials `(name, text)`: the rest of the study runs on them, giving the
/// single run's report data (JSON), written to `out` when given.
#[pyfunction]
#[pyo3(signature = (partials, threads, out, force))]
pub fn study_merge(
    py: Python<'_>,
    partials: Vec<(String, String)>,
    threads: Option<usize>,
    out: Option<PathBuf>,
    force: bool,
) -> PyResult<String> {
    run_study(py, threads, out, force, || {
        creditlab_study::shard::merge_json(&partials, &Silent)
    })
}
