//! Partial results of a loss simulation (`mc`, `mc-is`) over a shard of its scenarios,
//! and their merge into exactly the single run's [`LossReport`].
//!
//! Scenario `i` draws from [`creditlab_numerics::rng::stream`]`(seed, i)`, so shard `K/N`
//! ([`ShardSpec`]: scenarios `[K M / N, (K + 1) M / N)`) can run on any machine. Its
//! [`LossShard`] carries the configuration hash (portfolio, copula, method, levels, tail
//! points, tranches, scenarios in all; not the seed, checked on its own), the seed, its
//! range, the per-scenario losses (and the importance-sampling weights of `mc-is`), and
//! what the report needs besides (the request, the number and total of the exposures), so
//! [`merge`] needs no other input: not the portfolio, not the config file. The JSON
//! carries [`FORMAT`] and [`VERSION`]; floats are written shortest-round-trip and read
//! back exactly (serde_json's `float_roundtrip`), so a merge is bit-identical to the
//! single run.
//!
//! ```
//! use creditlab_contagion::report::LossRequest;
//! use creditlab_contagion::shard::{LossShard, merge};
//! use creditlab_contagion::{LossMethod, Portfolio};
//! use creditlab_numerics::shard::ShardSpec;
//! let book = Portfolio::standard_book(100)?;
//! let mut request = LossRequest::new(LossMethod::MonteCarlo, "gaussian".parse()?, vec![0.2]);
//! request.scenarios = 1_000;
//! let copula = request.copula.build(&request.rho, &book)?;
//! let shards = (0..3)
//!     .rev() // any order
//!     .map(|k| {
//!         let spec = ShardSpec::new(k, 3).unwrap();
//!         let text = LossShard::simulate(&request, &book, &copula, spec)?.to_json();
//!         Ok((format!("part{k}.json"), LossShard::from_json(&text, "part")?))
//!     })
//!     .collect::<creditlab_contagion::Result<Vec<_>>>()?;
//! assert_eq!(merge(shards)?, request.run_with(&book, &copula)?);
//! # Ok::<(), creditlab_contagion::Error>(())
//! ```

use crate::copula::Copula;
use crate::distribution::Tranche;
use crate::error::{Error, Result};
use crate::importance::{ImportanceSampler, IsRun};
use crate::mc::{McDistribution, MonteCarlo};
use crate::portfolio::Portfolio;
use crate::report::{LossReport, LossRequest};
use crate::spec::{CopulaSpec, LossMethod};
use creditlab_numerics::shard::{
    ConfigHasher, RunId, check_same_run, parse_partial, shard_error, tile,
};
/// The split, the problems of a merge and the check of an output before a run, from
/// creditlab-numerics (for callers that see only this crate).
pub use creditlab_numerics::shard::{ShardProblem, ShardSpec, refuse_existing};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` of a loss partial.
pub const FORMAT: &str = "creditlab-loss-shard";
/// The version of [`FORMAT`] this build writes and reads: it changes whenever a field is
/// renamed, removed or changes meaning.
pub const VERSION: u32 = 1;

/// The part of a [`LossRequest`] a simulation's report depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestPart {
    method: LossMethod,
    copula: CopulaSpec,
    rho: Vec<f64>,
    levels: Vec<f64>,
    tail: Vec<f64>,
    tranches: Vec<Tranche>,
}

/// A loss simulation's partial result over one shard of its scenarios (see the module
/// documentation). Write it with [`LossShard::to_json`] or [`LossShard::write`], read it
/// with [`LossShard::from_json`] or [`LossShard::read`], and [`merge`] all of a run's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossShard {
    format: String,
    version: u32,
    config_hash: String,
    seed: u64,
    start: u64,
    end: u64,
    total: u64,
    request: RequestPart,
    exposures: usize,
    total_exposure: f64,
    /// Pool loss of each scenario of `start..end`.
    losses: Vec<f64>,
    /// `mc-is`: per tail level, the weighted indicator of each scenario.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tail_weights: Vec<Vec<f64>>,
}

/// The hash of everything a run's figures depend on but the seed and the scenario range.
fn config_hash(request: &LossRequest, portfolio: &Portfolio, copula: &Copula) -> String {
    let mut h = ConfigHasher::new();
    put(&mut h, &(FORMAT, request.scenarios));
    put(&mut h, &RequestPart::of(request));
    put(&mut h, copula);
    put(&mut h, portfolio.ead());
    put(&mut h, portfolio.pd());
    put(&mut h, portfolio.lgd());
    put(&mut h, portfolio.sector());
    for i in 0..portfolio.len() {
        put(&mut h, &portfolio.loadings(i));
    }
    h.finish()
}

/// Writes `value`'s JSON into the hasher (which accepts every byte, so this cannot fail).
fn put<T: Serialize + ?Sized>(h: &mut ConfigHasher, value: &T) {
    serde_json::to_writer(&mut *h, value).expect("a hasher accepts every byte");
}

impl RequestPart {
    fn of(r: &LossRequest) -> Self {
        Self {
            method: r.method,
            copula: r.copula.clone(),
            rho: r.rho.clone(),
            levels: r.levels.clone(),
            tail: r.tail.clone(),
            tranches: r.tranches.clone(),
        }
    }
}

/// A [`ShardProblem::Corrupt`] of `file`.
fn corrupt(file: &str, reason: impl Into<String>) -> Error {
    shard_error(
        file,
        ShardProblem::Corrupt {
            reason: reason.into(),
        },
    )
    .into()
}

impl LossShard {
    /// Simulates shard `shard` of `request`'s scenarios on `portfolio` under `copula` (the
    /// one `request.copula` names), on the current rayon pool. Only `mc` and `mc-is` shard;
    /// a shard count above the scenarios is refused (no shard is empty).
    pub fn simulate(
        request: &LossRequest,
        portfolio: &Portfolio,
        copula: &Copula,
        shard: ShardSpec,
    ) -> Result<LossShard> {
        request.validate()?;
        if !request.method.is_simulation() {
            return Err(Error::Unsupported {
                method: "shard",
                reason: format!(
                    "only the simulations (mc, mc-is) split into shards, not {}",
                    request.method
                ),
            });
        }
        if shard.count() > request.scenarios {
            return Err(Error::InvalidParameter {
                field: "shard".into(),
                value: shard.count() as f64,
                reason: "the number of shards must be at most the scenarios",
            });
        }
        copula.check_portfolio(portfolio)?;
        let samplers = match request.method {
            LossMethod::ImportanceSampling => request
                .tail
                .iter()
                .map(|&x| ImportanceSampler::new(portfolio, copula, x))
                .collect::<Result<Vec<_>>>()?,
            _ => Vec::new(),
        };
        let mc = MonteCarlo::new(portfolio, copula)?;
        let range = shard.range(request.scenarios);
        let seed = request.seed;
        Ok(LossShard {
            format: FORMAT.into(),
            version: VERSION,
            config_hash: config_hash(request, portfolio, copula),
            seed,
            start: range.start,
            end: range.end,
            total: request.scenarios,
            request: RequestPart::of(request),
            exposures: portfolio.len(),
            total_exposure: portfolio.total_ead(),
            losses: mc.simulate(seed, range.clone()).losses().to_vec(),
            tail_weights: samplers
                .iter()
                .map(|is| is.simulate(seed, range.clone()).values().to_vec())
                .collect(),
        })
    }

    /// The scenarios this partial covers.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.start..self.end
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Scenarios of the whole run.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The configuration hash (16 hexadecimal digits).
    pub fn config_hash(&self) -> &str {
        &self.config_hash
    }

    /// Which run this partial, read from `file`, belongs to.
    fn run_id<'a>(&'a self, file: &'a str) -> RunId<'a> {
        RunId {
            file,
            total: self.total,
            config_hash: &self.config_hash,
            seed: self.seed,
        }
    }

    /// The partial as JSON (one line: the losses are most of it).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a partial result serializes")
    }

    /// Reads a partial from its JSON; `origin` (the file) names it in errors: another
    /// format or version, or a corrupt file (a parse error, a range that does not match the
    /// losses it holds).
    pub fn from_json(text: &str, origin: &str) -> Result<LossShard> {
        let shard: LossShard = parse_partial(text, origin, (FORMAT, VERSION))?;
        let n = shard.end.checked_sub(shard.start);
        if n != Some(shard.losses.len() as u64) {
            return Err(corrupt(
                origin,
                format!(
                    "scenarios {}..{} but {} losses",
                    shard.start,
                    shard.end,
                    shard.losses.len()
                ),
            ));
        }
        let weights = match shard.request.method {
            LossMethod::ImportanceSampling => shard.request.tail.len(),
            _ => 0,
        };
        if shard.tail_weights.len() != weights
            || shard
                .tail_weights
                .iter()
                .any(|w| w.len() != shard.losses.len())
        {
            return Err(corrupt(
                origin,
                "the importance-sampling weights do not match the method, tail or scenarios",
            ));
        }
        Ok(shard)
    }

    /// Reads the partial in `path` ([`LossShard::from_json`]).
    pub fn read(path: &Path) -> Result<LossShard> {
        let text = creditlab_numerics::shard::read_partial(path)?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Writes the partial to `path` atomically; an existing file is refused unless `force`.
    pub fn write(&self, path: &Path, force: bool) -> Result<()> {
        Ok(creditlab_numerics::shard::write_partial(
            path,
            &self.to_json(),
            force,
        )?)
    }
}

/// Merges the partials of one run, each with its origin (the file), given in any order,
/// into the report of the single run, bit for bit. Refused, naming the file: a partial of
/// another run length, configuration or seed, a missing range (named) and an overlap.
pub fn merge(shards: Vec<(String, LossShard)>) -> Result<LossReport> {
    let ids: Vec<RunId<'_>> = shards.iter().map(|(f, s)| s.run_id(f)).collect();
    check_same_run(&ids)?;
    let (first_name, first) = &shards[0];
    for (name, s) in &shards[1..] {
        if s.request != first.request
            || s.exposures != first.exposures
            || s.total_exposure.to_bits() != first.total_exposure.to_bits()
        {
            let reason = format!("same config hash as {first_name} but other inputs");
            return Err(shard_error(name.clone(), ShardProblem::Corrupt { reason }).into());
        }
    }
    let pieces: Vec<(&str, std::ops::Range<u64>)> = shards
        .iter()
        .map(|(name, s)| (name.as_str(), s.range()))
        .collect();
    let order = tile(&pieces, first.total)?;
    let part = first.request.clone();
    let (seed, total) = (first.seed, first.total);
    let (exposures, total_exposure) = (first.exposures, first.total_exposure);
    let mut slots: Vec<Option<LossShard>> = shards.into_iter().map(|(_, s)| Some(s)).collect();
    let mut losses = Vec::with_capacity(total as usize);
    let mut weights = vec![Vec::with_capacity(total as usize); part.tail.len()];
    for i in order {
        let s = slots[i].take().expect("each shard once");
        losses.extend_from_slice(&s.losses);
        for (all, w) in weights.iter_mut().zip(&s.tail_weights) {
            all.extend_from_slice(w);
        }
    }
    let mut request = LossRequest::new(part.method, part.copula, part.rho);
    (request.levels, request.tail, request.tranches) = (part.levels, part.tail, part.tranches);
    (request.scenarios, request.seed) = (total, seed);
    let tail_is = (part.method == LossMethod::ImportanceSampling).then(|| {
        request
            .tail
            .iter()
            .zip(weights)
            .map(|(&x, w)| IsRun::from_values(seed, 0, x, w).finish())
            .collect()
    });
    let dist = McDistribution::from_losses(losses);
    request.simulation_report(exposures, total_exposure, &dist, tail_is)
}

/// [`merge`] of partials given as JSON text, each with its origin (the file).
pub fn merge_json(texts: &[(String, String)]) -> Result<LossReport> {
    let shards = texts
        .iter()
        .map(|(name, text)| Ok((name.clone(), LossShard::from_json(text, name)?)))
        .collect::<Result<Vec<_>>>()?;
    merge(shards)
}
