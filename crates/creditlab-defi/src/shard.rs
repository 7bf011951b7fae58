//! Partial results of the DeFi Monte Carlo over a shard of its paths, and their merge into
//! exactly the single run's [`DefiSimResult`].
//!
//! Path `i` draws from [`creditlab_numerics::rng::stream`]`(seed, i)`, so shard `K/N`
//! ([`ShardSpec`]: paths `[K M / N, (K + 1) M / N)`) can run on any machine. Its
//! [`DefiShard`] carries the configuration hash (of the config with its seed cleared; the
//! seed is checked on its own), the seed, its range, each path's summary, and the config
//! itself (a few kilobytes), so [`merge`] needs no other input: it rebuilds the pool from
//! the config to simulate the median-loss path again, as the single run does. The JSON
//! carries [`FORMAT`] and [`VERSION`]; floats read back exactly (serde_json's
//! `float_roundtrip`), so a merge is bit-identical to the single run.
//!
//! ```
//! use creditlab_defi::config::DefiSimConfig;
//! use creditlab_defi::shard::{DefiShard, merge};
//! use creditlab_defi::simulation::simulate;
//! use creditlab_numerics::shard::ShardSpec;
//! let mut config = DefiSimConfig::example(50);
//! config.paths = 5;
//! let parts = (0..2)
//!     .map(|k| {
//!         let part = DefiShard::simulate(&config, ShardSpec::new(k, 2).unwrap())?;
//!         Ok((format!("part{k}"), DefiShard::from_json(&part.to_json(), "part")?))
//!     })
//!     .collect::<creditlab_defi::Result<Vec<_>>>()?;
//! let (merged_config, result) = merge(parts)?;
//! assert_eq!((merged_config, result), (config.clone(), simulate(&config)?));
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```

use crate::config::{DefiSimConfig, MAX_PATHS};
use crate::error::{DefiError, Result, out_of_range};
use crate::simulation::{DefiSim, DefiSimResult, PathSummary};
use creditlab_numerics::shard::{
    ConfigHasher, RunId, check_same_run, has_format, parse_partial, shard_error, tile,
};
/// The split, the problems of a merge and the check of an output before a run, from
/// creditlab-numerics (for callers that see only this crate).
pub use creditlab_numerics::shard::{ShardProblem, ShardSpec, refuse_existing};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` of a DeFi partial.
pub const FORMAT: &str = "creditlab-defi-shard";
/// The version of [`FORMAT`] this build writes and reads: it changes whenever a field is
/// renamed, removed or changes meaning.
pub const VERSION: u32 = 1;

/// A DeFi simulation's partial result over one shard of its paths (see the module
/// documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefiShard {
    format: String,
    version: u32,
    config_hash: String,
    seed: u64,
    start: u64,
    end: u64,
    total: u64,
    /// The config of the whole run (its `paths` is `total`, its `seed` is `seed`).
    config: DefiSimConfig,
    /// Each path's summary, paths `start..end`.
    summaries: Vec<PathSummary>,
}

/// The hash of the config without its seed.
fn config_hash(config: &DefiSimConfig) -> String {
    let mut unseeded = config.clone();
    unseeded.seed = 0;
    let mut h = ConfigHasher::new();
    serde_json::to_writer(&mut h, &(FORMAT, &unseeded)).expect("a hasher accepts every byte");
    h.finish()
}

fn shard_err(file: &str, problem: ShardProblem) -> DefiError {
    shard_error(file, problem).into()
}

fn corrupt(file: &str, reason: impl Into<String>) -> DefiError {
    shard_err(
        file,
        ShardProblem::Corrupt {
            reason: reason.into(),
        },
    )
}

impl DefiShard {
    /// Validates `config` and simulates shard `shard` of its `paths` paths of its `seed`,
    /// on the current rayon pool. A shard count above the paths is refused.
    pub fn simulate(config: &DefiSimConfig, shard: ShardSpec) -> Result<DefiShard> {
        let sim = DefiSim::new(config)?;
        if !(1..=MAX_PATHS).contains(&config.paths) {
            let reason = format!("must be in 1..={MAX_PATHS}");
            return Err(out_of_range("paths", config.paths as f64, reason));
        }
        if shard.count() > config.paths {
            let reason = "the number of shards must be at most the paths";
            return Err(out_of_range("shard", shard.count() as f64, reason));
        }
        let range = shard.range(config.paths);
        Ok(DefiShard {
            format: FORMAT.into(),
            version: VERSION,
            config_hash: config_hash(config),
            seed: config.seed,
            start: range.start,
            end: range.end,
            total: config.paths,
            config: config.clone(),
            summaries: sim.simulate_paths(config.seed, range, &|| {}),
        })
    }

    /// The paths this partial covers.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.start..self.end
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
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

    /// The partial as JSON, one line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a partial result serializes")
    }

    /// Reads a partial from its JSON; `origin` (the file) names it in errors: another
    /// format or version, a corrupt file (a parse error, summaries that do not match the
    /// range, a config that does not match its hash or its run).
    pub fn from_json(text: &str, origin: &str) -> Result<DefiShard> {
        let shard: DefiShard = parse_partial(text, origin, (FORMAT, VERSION))?;
        let n = shard.end.checked_sub(shard.start);
        if n != Some(shard.summaries.len() as u64) {
            let (a, b, k) = (shard.start, shard.end, shard.summaries.len());
            return Err(corrupt(
                origin,
                format!("paths {a}..{b} but {k} path summaries"),
            ));
        }
        if shard.config.paths != shard.total
            || shard.config.seed != shard.seed
            || config_hash(&shard.config) != shard.config_hash
        {
            return Err(corrupt(
                origin,
                "the config it carries does not match its hash, paths or seed",
            ));
        }
        Ok(shard)
    }

    /// Reads the partial in `path` ([`DefiShard::from_json`]).
    pub fn read(path: &Path) -> Result<DefiShard> {
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

/// Merges the partials of one run, each with its origin (the file), in any order, into the
/// config and the result of the single run, bit for bit. Refused, naming the file: a
/// partial of another run length, configuration or seed, a missing range (named) and an
/// overlap.
pub fn merge(shards: Vec<(String, DefiShard)>) -> Result<(DefiSimConfig, DefiSimResult)> {
    let ids: Vec<RunId<'_>> = shards.iter().map(|(f, s)| s.run_id(f)).collect();
    check_same_run(&ids)?;
    let first = &shards[0].1;
    let pieces: Vec<(&str, std::ops::Range<u64>)> = shards
        .iter()
        .map(|(name, s)| (name.as_str(), s.range()))
        .collect();
    let order = tile(&pieces, first.total)?;
    let (config, seed) = (first.config.clone(), first.seed);
    let mut slots: Vec<Option<DefiShard>> = shards.into_iter().map(|(_, s)| Some(s)).collect();
    let mut summaries = Vec::with_capacity(first_total(&slots));
    for i in order {
        summaries.extend(slots[i].take().expect("each shard once").summaries);
    }
    let result = DefiSim::new(&config)?.summarize(seed, &summaries);
    Ok((config, result))
}

fn first_total(slots: &[Option<DefiShard>]) -> usize {
    slots
        .first()
        .and_then(Option::as_ref)
        .map_or(0, |s| s.total as usize)
}

/// [`merge`] of partials given as JSON text, each with its origin (the file).
pub fn merge_json(texts: &[(String, String)]) -> Result<(DefiSimConfig, DefiSimResult)> {
    let shards = texts
        .iter()
        .map(|(name, text)| Ok((name.clone(), DefiShard::from_json(text, name)?)))
        .collect::<Result<Vec<_>>>()?;
    merge(shards)
}

/// Whether `text` is a DeFi partial by its `format` (not checked further: that is
/// [`DefiShard::from_json`]'s): how a caller holding partials of either kind chooses.
pub fn is_partial(text: &str) -> bool {
    has_format(text, FORMAT)
}
