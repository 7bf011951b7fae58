//! The study split across machines: shard `K/N` runs its share of the study's Monte Carlo
//! paths into a versioned partial ([`StudyShard`]), and [`merge`] runs the deterministic
//! rest of the study on the merged paths, giving exactly the [`Study`] of [`Study::run`]
//! (the same report.json, byte for byte).
//!
//! What a shard runs: every Monte Carlo stage of the study, each split by its own
//! scenarios as `[K M / N, (K + 1) M / N)` of its `M`, each scenario drawing from its own
//! stream (`rng::stream(seed, i)`), so its result does not depend on where it ran:
//!
//! - the DeFi pool's three simulations (the year, March 2020, March 2020 congested:
//!   [`crate::defi_pool::study`]), by path, as `cargo xtask defi --shard` splits them
//!   ([`creditlab_defi::shard::DefiShard`]);
//! - the CDO squared, by scenario, at each correlation
//!   ([`creditlab_pool::cdo_squared_losses`]; the partial carries each scenario's two
//!   losses, as creditlab-contagion's loss partial carries its scenario losses);
//! - originate-to-distribute, by path, the scenario and each of its variants and the DeFi
//!   counterpart on the same path ([`crate::originate::paths`]; the partial carries each
//!   path's figures, not its balance sheets);
//! - the flip-point search ([`crate::flips`]), by evaluation: its (parameter, value)
//!   points in their fixed order ([`crate::flips::judge_points`]). A point re-runs the
//!   stages its parameter moves on the sweep's base stages, which every shard with a
//!   point computes again (at the sweep's small size, a second or two); a point depends on
//!   the scenario alone, so a shard's judgements are the single run's. The points differ
//!   in cost (a point of `books.loans` at 5,000 loans re-runs the exact loss recursion of
//!   the bank book, a point of the originate demand runs only that model), so shards of
//!   equal counts of points are not of equal time. With more shards than points, the
//!   shards beyond the points hold none.
//!
//! Partial accumulators merge exactly: the merge concatenates each stage's per-scenario
//! results in scenario order and computes what the single run computes from them, so
//! every sum runs in the same order.
//!
//! What the merge runs whole, on one machine: the rest. The exact loss recursion of the
//! two books (the scenarios' loss method; deterministic, and a quarter of the default
//! study's time: docs/scale-out.md), grading, cash flows, diversification, the clearing
//! networks and the verdict are not Monte Carlo. Nor is the chain reaction: its runs and
//! its map are a fixed grid of network clearings, no random draw, a tenth of a second in
//! all, so nothing is gained by shipping it.
//!
//! A partial carries the scenario itself (so [`merge`] needs nothing else), its hash
//! (checked on reading and across partials), the shard, and each stage's part.
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
/// The check of an output before a run, from creditlab-numerics (for callers that see
/// only this crate).
pub use creditlab_numerics::shard::refuse_existing;
use creditlab_numerics::shard::{
    ConfigHasher, ShardProblem, ShardSpec, has_format, parse_partial, shard_error,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` of a study partial.
pub const FORMAT: &str = "creditlab-study-shard";
/// The version of [`FORMAT`] this build writes and reads: it changes whenever a field is
/// renamed, removed or changes meaning (3: the flip search's evaluations in their spread
/// order, [`crate::flips::judge_points`]).
pub const VERSION: u32 = 3;

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
    /// The CDO squared's scenarios of this shard: each scenario's losses, one `[first
    /// mezzanine, mean mezzanine]` per correlation.
    cdo_squared: Piece<Vec<[f64; 2]>>,
    /// The originate-to-distribute paths of this shard.
    originate: Piece<crate::originate::OriginatePath>,
    /// The flip search's evaluations of this shard (none when the scenario switches the
    /// search off).
    flips: Piece<crate::flips::Judged>,
}

/// One stage's share: its scenarios `start..end` of `total` and each one's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Piece<T> {
    start: u64,
    end: u64,
    total: u64,
    values: Vec<T>,
}

impl<T> Piece<T> {
    fn new(range: std::ops::Range<u64>, total: u64, values: Vec<T>) -> Self {
        Self {
            start: range.start,
            end: range.end,
            total,
            values,
        }
    }

    /// Whether the piece is shard `shard`'s of a stage of `total` scenarios.
    fn check(&self, shard: ShardSpec, total: u64, what: &str) -> std::result::Result<(), String> {
        let r = shard.range(total);
        if self.total != total || (self.start, self.end) != (r.start, r.end) {
            return Err(format!(
                "its {what} are {}..{} of {}, shard {shard} holds {r:?} of {total}",
                self.start, self.end, self.total
            ));
        }
        if self.values.len() as u64 != r.end - r.start {
            return Err(format!(
                "its {what} {r:?} carry {} results",
                self.values.len()
            ));
        }
        Ok(())
    }
}

/// The pieces of one stage, each with its file, tiled (no gap, no overlap; empty pieces
/// hold nothing and are skipped) and concatenated in scenario order.
fn join<T>(pieces: Vec<(String, Piece<T>)>, total: u64) -> Result<Vec<T>> {
    let mut pieces: Vec<(String, Piece<T>)> = pieces
        .into_iter()
        .filter(|(_, p)| p.start < p.end)
        .collect();
    if total == 0 && pieces.is_empty() {
        return Ok(Vec::new());
    }
    let ranges: Vec<(String, std::ops::Range<u64>)> = pieces
        .iter()
        .map(|(n, p)| (n.clone(), p.start..p.end))
        .collect();
    let order = creditlab_numerics::shard::tile(&ranges, total)?;
    let mut slots: Vec<Option<Piece<T>>> = pieces.drain(..).map(|(_, p)| Some(p)).collect();
    let mut out = Vec::with_capacity(total as usize);
    for i in order {
        out.extend(slots[i].take().expect("each piece once").values);
    }
    Ok(out)
}

/// The flip search's evaluations of `scenario` (none without the search).
fn flip_total(scenario: &Scenario) -> u64 {
    if scenario.flips.search {
        crate::flips::point_count(scenario)
    } else {
        0
    }
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
    /// Validates `scenario` and runs shard `shard` of its Monte Carlo stages (the DeFi
    /// book is generated first, as [`Study::run`] does), on the current rayon pool. A
    /// shard count above the paths of the DeFi year or stress, the originate-to-distribute
    /// paths or the scenarios is refused (the flip search may have fewer points than
    /// shards: the shards beyond hold none).
    pub fn run(scenario: &Scenario, shard: ShardSpec, progress: &dyn Progress) -> Result<Self> {
        scenario.check()?;
        let cdo_params = crate::study::cdo_squared_params(scenario);
        for (key, total) in [
            ("originate.paths", scenario.originate.paths),
            ("loss.scenarios", cdo_params.scenarios),
        ] {
            if shard.count() > total {
                return Err(StudyError::Config {
                    origin: "shard".into(),
                    line: None,
                    key: key.into(),
                    reason: format!(
                        "is {total}, fewer than the {} shards (no shard may be empty)",
                        shard.count()
                    ),
                });
            }
        }
        let book = crate::study::defi_book_of(scenario, progress)?;
        let positions = defi_pool::positions(&scenario.defi_pool, &book)?;
        let spec = &scenario.defi_pool;
        let [year, crash, congested] = defi_pool::configs(spec, positions, scenario.seed);
        let part =
            |name: &str, config| stage(progress, name, || DefiShard::simulate(&config, shard));
        let (year, crash, congested) = (
            part("defi pool: one year (shard)", year)?,
            part("defi pool: March 2020 (shard)", crash)?,
            part("defi pool: March 2020, congested (shard)", congested)?,
        );
        let range = shard.range(cdo_params.scenarios);
        let cdo_squared = stage(progress, "cdo squared (shard)", || {
            let by_rho = creditlab_pool::cdo_squared_losses(&cdo_params, range.clone())?;
            // Per scenario: one pair per correlation.
            let values = (0..by_rho.first().map_or(0, Vec::len))
                .map(|i| by_rho.iter().map(|r| r[i]).collect())
                .collect();
            Ok::<_, StudyError>(Piece::new(range.clone(), cdo_params.scenarios, values))
        })?;
        let total = scenario.originate.paths;
        let range = shard.range(total);
        let originate = stage(progress, "originate to distribute (shard)", || {
            let seed = crate::study::originate_seed(scenario);
            let paths = crate::originate::paths(&scenario.originate, seed, range.clone())?;
            Ok::<_, StudyError>(Piece::new(range.clone(), total, paths))
        })?;
        let total = flip_total(scenario);
        let range = shard.range(total);
        let judged = crate::flips::judge_points(scenario, range.clone(), progress)?;
        Ok(Self {
            format: FORMAT.into(),
            version: VERSION,
            config_hash: config_hash(scenario),
            index: shard.index(),
            count: shard.count(),
            scenario: scenario.clone(),
            year,
            crash,
            congested,
            cdo_squared,
            originate,
            flips: Piece::new(range, total, judged),
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
        let shard: Self = parse_partial(text, origin, (FORMAT, VERSION))?;
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
        // Each other stage's piece is this shard's share of that stage.
        let spec = shard.shard();
        let scenario = &shard.scenario;
        let rhos = crate::study::cdo_squared_params(scenario).rhos.len();
        shard
            .cdo_squared
            .check(spec, scenario.loss.scenarios, "CDO squared scenarios")
            .and_then(
                |()| match shard.cdo_squared.values.iter().all(|v| v.len() == rhos) {
                    true => Ok(()),
                    false => Err(format!(
                        "its CDO squared scenarios need {rhos} correlations"
                    )),
                },
            )
            .and_then(|()| {
                let total = scenario.originate.paths;
                shard
                    .originate
                    .check(spec, total, "originate-to-distribute paths")
            })
            .and_then(|()| shard.flips.check(spec, flip_total(scenario), "flip points"))
            .map_err(|reason| corrupt(origin, reason))?;
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
    let (mut cdo, mut originate, mut flips) = (Vec::new(), Vec::new(), Vec::new());
    for (name, s) in shards {
        parts[0].push((name.clone(), s.year));
        parts[1].push((name.clone(), s.crash));
        parts[2].push((name.clone(), s.congested));
        cdo.push((name.clone(), s.cdo_squared));
        originate.push((name.clone(), s.originate));
        flips.push((name, s.flips));
    }
    // The DeFi year's paths are checked first: every shard holds some, so a missing or
    // overlapping shard is named by its paths.
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
    let rhos = crate::study::cdo_squared_params(&scenario).rhos.len();
    let by_scenario = join(cdo, scenario.loss.scenarios)?;
    let cdo_squared = (0..rhos)
        .map(|r| by_scenario.iter().map(|v| v[r]).collect())
        .collect();
    let simulated = crate::study::Simulated {
        cdo_squared,
        originate: join(originate, scenario.originate.paths)?,
    };
    let judged = join(flips, flip_total(&scenario))?;
    let book = crate::study::defi_book_of(&scenario, progress)?;
    let study = Study::assemble(&scenario, &book, defi_pool, Some(simulated), progress)?;
    Ok(if scenario.flips.search {
        study.with_flip_points(crate::flips::flip_points(&scenario, &judged))
    } else {
        study
    })
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
    has_format(text, FORMAT)
}
