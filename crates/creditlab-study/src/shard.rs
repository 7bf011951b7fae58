//! The study split across machines: shard `K/N` runs its share of the study's Monte Carlo
//! paths into a versioned partial ([`StudyShard`]), and [`merge`] runs the deterministic
//! rest of the study on the merged paths, giving exactly the [`Study`] of [`Study::run`]
//! (the same report.json, byte for byte).
//!
//! What a shard runs: the DeFi pool's three simulations (the year, March 2020, March 2020
//! congested: [`crate::defi_pool::study`]), each split by its paths as `cargo xtask defi
//! --shard` splits them ([`creditlab_defi::shard::DefiShard`]; path `i` draws from
//! `rng::stream(seed, i)`, so a path's result does not depend on where it ran). That is
//! the stage whose cost grows with the paths times the loans (the scenario's cost model,
//! [`Scenario::estimated_cost`]), so the one that grows when the paths are raised for
//! tighter tail figures. On the quick study it is the smaller part (docs/scale-out.md has
//! the measurement): the merge's stages then dominate.
//!
//! What the merge runs whole, on one machine: everything else. The exact loss recursion
//! (the scenarios' loss method), grading, cash flows and the verdict are deterministic
//! and not Monte Carlo; the CDO squared, originate-to-distribute and chain-reaction Monte
//! Carlo stages and the flip-point search are run whole because they have no shard API
//! in their crates yet (their draws are per-scenario streams too, so they could be split
//! the same way; see docs/scale-out.md).
//!
//! A partial carries the scenario itself (so [`merge`] needs nothing else), its hash
//! (checked on reading and across partials), the shard, and the three DeFi partials.
//!
//! ```
//! use creditlab_study::progress::Silent;
//! use creditlab_study::shard::{StudyShard, merge};
//! use creditlab_study::{Scenario, Study};
//! use creditlab_numerics::shard::ShardSpec;
//! let mut scenario = Scenario::builtin()?;
//! scenario.quicken();
//! let parts = (0..2)
//!     .map(|k| {
//!         let part = StudyShard::run(&scenario, ShardSpec::new(k, 2).unwrap(), &Silent)?;
//!         Ok((format!("part{k}"), StudyShard::from_json(&part.to_json(), "part")?))
//!     })
//!     .collect::<creditlab_study::Result<Vec<_>>>()?;
//! let merged = merge(parts, &Silent)?;
//! let single = Study::run(&scenario, &Silent)?;
//! assert_eq!(serde_json::to_string(&merged)?, serde_json::to_string(&single)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::defi_pool::{self, DefiPoolStudy};
use crate::error::{Result, StudyError};
use crate::progress::{Progress, stage};
use crate::scenario::Scenario;
use crate::study::Study;
use creditlab_defi::shard::DefiShard;
use creditlab_defi::simulation::StepSeries;
use creditlab_numerics::shard::{ConfigHasher, ShardProblem, ShardSpec, check_format, shard_error};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` of a study partial.
pub const FORMAT: &str = "creditlab-study-shard";
/// The version of [`FORMAT`] this build writes and reads: it changes whenever a field is
/// renamed, removed or changes meaning.
pub const VERSION: u32 = 1;

/// One shard's partial result of a study (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyShard {
    format: String,
    version: u32,
    /// Hash of `scenario` (seed included).
    config_hash: String,
    /// This shard's index.
    index: u64,
    /// The number of shards.
    count: u64,
    /// The scenario of the whole study.
    scenario: Scenario,
    /// The DeFi pool's year, this shard's paths.
    year: DefiShard,
    /// March 2020, this shard's paths.
    crash: DefiShard,
    /// March 2020 congested, this shard's paths.
    congested: DefiShard,
}

/// Only `format` and `version`, read first (a newer layout is named, not called corrupt).
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    format: String,
    #[serde(default)]
    version: u32,
}

/// The hash of a scenario.
fn config_hash(scenario: &Scenario) -> String {
    let mut h = ConfigHasher::new();
    serde_json::to_writer(&mut h, &(FORMAT, scenario)).expect("a hasher accepts every byte");
    h.finish()
}

fn shard_err(file: &str, problem: ShardProblem) -> StudyError {
    shard_error(file, problem).into()
}

fn corrupt(file: &str, reason: impl Into<String>) -> StudyError {
    shard_err(
        file,
        ShardProblem::Corrupt {
            reason: reason.into(),
        },
    )
}

impl StudyShard {
    /// Validates `scenario` and runs shard `shard` of its DeFi pool's paths (the DeFi
    /// book is generated first, as [`Study::run`] does), on the current rayon pool. A
    /// shard count above the paths of the year or of the stress is refused.
    pub fn run(scenario: &Scenario, shard: ShardSpec, progress: &dyn Progress) -> Result<Self> {
        scenario.check()?;
        let book = crate::study::defi_book_of(scenario, progress)?;
        let positions = defi_pool::positions(&scenario.defi_pool, &book)?;
        let spec = &scenario.defi_pool;
        let [year, crash, congested] = defi_pool::configs(spec, positions, scenario.seed);
        let part =
            |name: &str, config| stage(progress, name, || DefiShard::simulate(&config, shard));
        Ok(Self {
            format: FORMAT.into(),
            version: VERSION,
            config_hash: config_hash(scenario),
            index: shard.index(),
            count: shard.count(),
            scenario: scenario.clone(),
            year: part("defi pool: one year (shard)", year)?,
            crash: part("defi pool: March 2020 (shard)", crash)?,
            congested: part("defi pool: March 2020, congested (shard)", congested)?,
        })
    }

    /// The shard this partial holds.
    pub fn shard(&self) -> ShardSpec {
        ShardSpec::new(self.index, self.count).expect("checked when read")
    }

    /// The scenario of the whole study.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The partial as JSON (compact; floats exact).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a partial result serializes")
    }

    /// Reads a partial from its JSON; `origin` (the file) names it in errors: another
    /// format or version, a corrupt file (a parse error, a scenario that does not match
    /// its hash or does not validate, a DeFi part that is not a valid DeFi partial).
    pub fn from_json(text: &str, origin: &str) -> Result<Self> {
        let header: Header = serde_json::from_str(text)
            .map_err(|e| corrupt(origin, format!("not JSON of a partial result: {e}")))?;
        check_format(origin, (header.format, header.version), (FORMAT, VERSION))?;
        let shard: Self = serde_json::from_str(text).map_err(|e| corrupt(origin, e.to_string()))?;
        if ShardSpec::new(shard.index, shard.count).is_none() {
            let (k, n) = (shard.index, shard.count);
            return Err(corrupt(origin, format!("shard {k}/{n} is not a shard")));
        }
        if config_hash(&shard.scenario) != shard.config_hash || shard.scenario.check().is_err() {
            return Err(corrupt(
                origin,
                "the scenario it carries does not match its hash or does not validate",
            ));
        }
        // The DeFi parts pass the checks of a DeFi partial file (range, config, hash).
        for part in [&shard.year, &shard.crash, &shard.congested] {
            DefiShard::from_json(&part.to_json(), origin)?;
        }
        Ok(shard)
    }

    /// Reads the partial in `path` ([`StudyShard::from_json`]).
    pub fn read(path: &Path) -> Result<Self> {
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

/// Merges the partials of one study, each with its origin (the file), in any order, and
/// runs the rest of the study: exactly [`Study::run`] on their scenario. Refused, naming
/// the file: a partial of another scenario, a missing shard and an overlap.
pub fn merge(shards: Vec<(String, StudyShard)>, progress: &dyn Progress) -> Result<Study> {
    let Some((first_name, first)) = shards.first() else {
        return Err(shard_err("", ShardProblem::NoShards));
    };
    for (name, s) in &shards[1..] {
        if s.config_hash != first.config_hash {
            let problem = ShardProblem::OtherConfig {
                hash: s.config_hash.clone(),
                first: first_name.clone(),
                first_hash: first.config_hash.clone(),
            };
            return Err(shard_err(name, problem));
        }
    }
    let scenario = first.scenario.clone();
    let mut parts: [Vec<(String, DefiShard)>; 3] = Default::default();
    for (name, s) in shards {
        parts[0].push((name.clone(), s.year));
        parts[1].push((name.clone(), s.crash));
        parts[2].push((name, s.congested));
    }
    let defi_pool = stage(progress, "defi pool: merge the shards", || {
        let [year, crash, congested] =
            parts.map(|p| creditlab_defi::shard::merge(p).map(|(_, result)| result));
        let mut year = year?;
        year.series = StepSeries::default();
        Ok::<_, StudyError>(DefiPoolStudy {
            year,
            crash: crash?,
            congested: congested?,
        })
    })?;
    let book = crate::study::defi_book_of(&scenario, progress)?;
    let study = Study::assemble(&scenario, &book, defi_pool, progress)?;
    study.with_flips(&scenario, progress)
}

/// [`merge`] of partials given as JSON text, each with its origin (the file).
pub fn merge_json(texts: &[(String, String)], progress: &dyn Progress) -> Result<Study> {
    let shards = texts
        .iter()
        .map(|(name, text)| Ok((name.clone(), StudyShard::from_json(text, name)?)))
        .collect::<Result<Vec<_>>>()?;
    merge(shards, progress)
}

/// Whether `text` is a study partial by its `format` (not checked further).
pub fn is_partial(text: &str) -> bool {
    serde_json::from_str::<Header>(text).is_ok_and(|h| h.format == FORMAT)
}
