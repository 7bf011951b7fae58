//! The shard contract of every simulation built on [`rng::stream`](crate::rng::stream):
//! scenario `i` is a pure function of `(seed, i)`, so scenarios `0..M` can be split into
//! shards `K/N` run anywhere (`[K M / N, (K + 1) M / N)`) and merged into exactly the
//! single run. This module holds what the simulations share: the split ([`ShardSpec`]),
//! the check that the pieces tile `0..M` ([`tile`]), the problems a merge refuses
//! ([`ShardProblem`]), the check that partials are of one run ([`check_same_run`]), the
//! reading of a partial's header before its body ([`parse_partial`]), the refusal of an
//! existing output ([`refuse_existing`]) and the hash that tells one configuration from
//! another ([`ConfigHasher`]). The partial results themselves are each model crate's.
//!
//! ```
//! use creditlab_numerics::shard::{ShardSpec, tile};
//! let total = 10;
//! let parts: Vec<ShardSpec> = (0..3).map(|k| ShardSpec::new(k, 3).unwrap()).collect();
//! let ranges: Vec<_> = parts.iter().map(|s| s.range(total)).collect();
//! assert_eq!(ranges, [0..3, 3..6, 6..10]);
//! // Any arrival order: the tiling is checked on the sorted ranges.
//! let pieces = [("c", 6..10), ("a", 0..3), ("b", 3..6)];
//! assert_eq!(tile(&pieces, total)?, [1, 2, 0]);
//! let gap = tile(&[("a", 0..3), ("c", 6..10)], total).unwrap_err();
//! assert_eq!(gap.to_string(), "c: scenarios 3..6 before it are in no shard (of 0..10)");
//! # Ok::<(), creditlab_numerics::NumericsError>(())
//! ```

use crate::error::{NumericsError, Result};
use std::fmt;
use std::ops::Range;

/// Shard `index` of `count`: the scenarios `[index M / count, (index + 1) M / count)` of a
/// run of `M`. Parsed from `K/N` with `0 <= K < N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShardSpec {
    index: u64,
    count: u64,
}

impl ShardSpec {
    /// Shard `index` of `count`; `None` unless `index < count`.
    pub fn new(index: u64, count: u64) -> Option<Self> {
        (index < count).then_some(Self { index, count })
    }

    /// `K` of `K/N`.
    pub fn index(self) -> u64 {
        self.index
    }

    /// `N` of `K/N`.
    pub fn count(self) -> u64 {
        self.count
    }

    /// The scenarios of this shard in a run of `total`: `[K total / N, (K + 1) total / N)`
    /// (in 128-bit arithmetic, so no product overflows). The `N` ranges tile `0..total`;
    /// their sizes differ by at most one.
    pub fn range(self, total: u64) -> Range<u64> {
        let at = |k: u64| (u128::from(k) * u128::from(total) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// How many scenarios of a run of `total` this shard holds.
    pub fn size(self, total: u64) -> u64 {
        let r = self.range(total);
        r.end - r.start
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for ShardSpec {
    type Err = String;

    /// `K/N` with `0 <= K < N` (`2/4` is the third of four shards).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("{s:?}: expected K/N with 0 <= K < N (shard K of N, from 0)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Self::new(k, n).ok_or_else(bad)
    }
}

/// Why a partial result cannot be merged, as data (the file it concerns is beside it, in
/// [`NumericsError::Shard`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShardProblem {
    /// No shard covers these scenarios; the file is the shard after the gap (or before it,
    /// for a gap at the end).
    Missing {
        /// The scenarios no shard covers.
        gap: Range<u64>,
        /// The run's scenarios.
        total: u64,
        /// Whether the gap comes after the named file (a gap at the end).
        after: bool,
    },
    /// Two shards cover the same scenarios.
    Overlap {
        /// This file's scenarios.
        range: Range<u64>,
        /// The other file.
        other: String,
        /// Its scenarios.
        other_range: Range<u64>,
    },
    /// A partial of another configuration (portfolio, copula, method, tranches, paths).
    OtherConfig {
        /// This file's configuration hash.
        hash: String,
        /// The first file.
        first: String,
        /// Its hash.
        first_hash: String,
    },
    /// A partial of another seed.
    OtherSeed {
        /// This file's seed.
        seed: u64,
        /// The first file.
        first: String,
        /// Its seed.
        first_seed: u64,
    },
    /// A partial of a run of another length (scenarios or paths in all).
    OtherTotal {
        /// This file's total.
        total: u64,
        /// The first file.
        first: String,
        /// Its total.
        first_total: u64,
    },
    /// A partial of another kind of simulation, or not a partial at all.
    Format {
        /// The format the file names (empty when it names none).
        found: String,
        /// The format expected.
        expected: &'static str,
    },
    /// A version of the format this build does not read.
    Version {
        /// The file's version.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// A file that does not parse or whose contents contradict themselves.
    Corrupt {
        /// What is wrong.
        reason: String,
    },
    /// No partial was given.
    NoShards,
    /// The output file exists and overwriting it was not asked for.
    Exists,
    /// The file cannot be read or written.
    Io {
        /// The operating system's reason.
        reason: String,
    },
}

impl fmt::Display for ShardProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardProblem::Missing { gap, total, after } => write!(
                f,
                "scenarios {gap:?} {} it are in no shard (of 0..{total})",
                if *after { "after" } else { "before" }
            ),
            ShardProblem::Overlap {
                range,
                other,
                other_range,
            } => write!(
                f,
                "scenarios {range:?} overlap {other} (scenarios {other_range:?}): a shard given \
                 twice, or shards of different splits"
            ),
            ShardProblem::OtherConfig {
                hash,
                first,
                first_hash,
            } => write!(
                f,
                "a partial of another configuration (config hash {hash}, {first} has \
                 {first_hash}): every shard must come from the same inputs"
            ),
            ShardProblem::OtherSeed {
                seed,
                first,
                first_seed,
            } => write!(f, "seed {seed}, but {first} has seed {first_seed}"),
            ShardProblem::OtherTotal {
                total,
                first,
                first_total,
            } => write!(
                f,
                "a run of {total} scenarios, but {first} is of {first_total}"
            ),
            ShardProblem::Format { found, expected } if found.is_empty() => {
                write!(
                    f,
                    "not a creditlab partial result (expected format {expected:?})"
                )
            }
            ShardProblem::Format { found, expected } => {
                write!(f, "a {found:?} partial, expected {expected:?}")
            }
            ShardProblem::Version { found, expected } => write!(
                f,
                "format version {found}, this build reads version {expected} (merge with the \
                 build that wrote it)"
            ),
            ShardProblem::Corrupt { reason } => write!(f, "corrupt partial result: {reason}"),
            ShardProblem::NoShards => f.write_str("no partial result to merge"),
            ShardProblem::Exists => {
                f.write_str("exists already; refusing to overwrite it (--force replaces it)")
            }
            ShardProblem::Io { reason } => f.write_str(reason),
        }
    }
}

/// A [`NumericsError::Shard`] for `file`.
pub fn shard_error(file: impl Into<String>, problem: ShardProblem) -> NumericsError {
    NumericsError::Shard {
        file: file.into(),
        problem: Box::new(problem),
    }
}

/// Checks a partial's `format` and `version` (read before the rest, so that a newer
/// layout is named as such, not called corrupt) against the reader's `expected` ones; an
/// error names `file`.
pub fn check_format(
    file: &str,
    (format, version): (String, u32),
    expected: (&'static str, u32),
) -> Result<()> {
    if format != expected.0 {
        let problem = ShardProblem::Format {
            found: format,
            expected: expected.0,
        };
        return Err(shard_error(file, problem));
    }
    if version != expected.1 {
        let problem = ShardProblem::Version {
            found: version,
            expected: expected.1,
        };
        return Err(shard_error(file, problem));
    }
    Ok(())
}

/// Only `format` and `version`, read before the rest so that a newer layout is named as
/// such, not called corrupt.
#[derive(serde::Deserialize)]
struct Header {
    #[serde(default)]
    format: String,
    #[serde(default)]
    version: u32,
}

/// A [`ShardProblem::Corrupt`] of `file`.
fn corrupt(file: &str, reason: String) -> NumericsError {
    shard_error(file, ShardProblem::Corrupt { reason })
}

/// Parses the partial result `text` of `origin` (the file) as `T`: its header first, checked
/// against the reader's `expected` format and version ([`check_format`]), then the whole.
/// Text that is not JSON, or not a `T`, is [`ShardProblem::Corrupt`]; every error names
/// `origin`. The model crates' readers add their own checks of the contents after it.
pub fn parse_partial<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
    expected: (&'static str, u32),
) -> Result<T> {
    let header: Header = serde_json::from_str(text)
        .map_err(|e| corrupt(origin, format!("not JSON of a partial result: {e}")))?;
    check_format(origin, (header.format, header.version), expected)?;
    serde_json::from_str(text).map_err(|e| corrupt(origin, e.to_string()))
}

/// Whether `text` names `format` in its header (nothing else is checked: that is
/// [`parse_partial`]'s): how a caller holding partials of several kinds chooses a reader.
pub fn has_format(text: &str, format: &str) -> bool {
    serde_json::from_str::<Header>(text).is_ok_and(|h| h.format == format)
}

/// Reads a partial result's text; an error names the file.
pub fn read_partial(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        shard_error(
            path.display().to_string(),
            ShardProblem::Io {
                reason: format!("cannot read: {e}"),
            },
        )
    })
}

/// Refuses an existing `path` unless `force` ([`ShardProblem::Exists`], naming it): what
/// a command checks before it runs a shard, so a long run does not end in the refusal.
/// [`write_partial`] checks again, since the file may appear meanwhile.
pub fn refuse_existing(path: &std::path::Path, force: bool) -> Result<()> {
    if !force && path.exists() {
        return Err(shard_error(
            path.display().to_string(),
            ShardProblem::Exists,
        ));
    }
    Ok(())
}

/// Writes a partial result to `path` atomically (a temporary file beside it, then moved
/// into place): a reader never sees half a file. An existing `path` is refused
/// ([`ShardProblem::Exists`]) unless `force`, and without `force` the refusal holds even
/// against a file created meanwhile (the move is a hard link, which never replaces).
pub fn write_partial(path: &std::path::Path, text: &str, force: bool) -> Result<()> {
    let name = path.display().to_string();
    let io = |what: &str, e: std::io::Error| {
        shard_error(
            name.clone(),
            ShardProblem::Io {
                reason: format!("cannot {what}: {e}"),
            },
        )
    };
    refuse_existing(path, force)?;
    let file_name = path
        .file_name()
        .map_or_else(|| "partial".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| io("write", e))?;
    let placed = if force {
        std::fs::rename(&tmp, path)
    } else {
        std::fs::hard_link(&tmp, path).and_then(|()| std::fs::remove_file(&tmp))
    };
    placed.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            shard_error(name.clone(), ShardProblem::Exists)
        } else {
            io("write", e)
        }
    })
}

/// What says which run a partial result belongs to: its file and the run's length,
/// configuration hash and seed.
#[derive(Debug, Clone, Copy)]
pub struct RunId<'a> {
    /// The file (names it in errors).
    pub file: &'a str,
    /// Scenarios (or paths) of the whole run.
    pub total: u64,
    /// The configuration hash ([`ConfigHasher`]).
    pub config_hash: &'a str,
    /// The seed.
    pub seed: u64,
}

/// Checks that every partial is of the first one's run: the same length
/// ([`ShardProblem::OtherTotal`]), then configuration ([`ShardProblem::OtherConfig`]), then
/// seed ([`ShardProblem::OtherSeed`]); the error names the first file that differs.
pub fn check_same_run(runs: &[RunId<'_>]) -> Result<()> {
    let Some(first) = runs.first() else {
        return Err(shard_error("", ShardProblem::NoShards));
    };
    for r in &runs[1..] {
        let problem = if r.total != first.total {
            ShardProblem::OtherTotal {
                total: r.total,
                first: first.file.to_string(),
                first_total: first.total,
            }
        } else if r.config_hash != first.config_hash {
            ShardProblem::OtherConfig {
                hash: r.config_hash.to_string(),
                first: first.file.to_string(),
                first_hash: first.config_hash.to_string(),
            }
        } else if r.seed != first.seed {
            ShardProblem::OtherSeed {
                seed: r.seed,
                first: first.file.to_string(),
                first_seed: first.seed,
            }
        } else {
            continue;
        };
        return Err(shard_error(r.file, problem));
    }
    Ok(())
}

/// Checks that `pieces` (a file's name and its scenarios, in any order) tile `0..total`
/// with no gap and no overlap, and returns their indices in scenario order. An empty
/// range is corrupt (no shard is empty: [`ShardSpec`] needs `N <= M`).
pub fn tile<S: AsRef<str>>(pieces: &[(S, Range<u64>)], total: u64) -> Result<Vec<usize>> {
    if pieces.is_empty() {
        return Err(shard_error("", ShardProblem::NoShards));
    }
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by_key(|&i| (pieces[i].1.start, pieces[i].1.end));
    let name = |i: usize| pieces[i].0.as_ref().to_string();
    for &i in &order {
        let r = &pieces[i].1;
        if r.start >= r.end || r.end > total {
            return Err(shard_error(
                name(i),
                ShardProblem::Corrupt {
                    reason: format!("scenarios {r:?} are not a non-empty part of 0..{total}"),
                },
            ));
        }
    }
    let mut next = 0u64;
    let mut previous: Option<usize> = None;
    for &i in &order {
        let r = pieces[i].1.clone();
        if r.start > next {
            return Err(shard_error(
                name(i),
                ShardProblem::Missing {
                    gap: next..r.start,
                    total,
                    after: false,
                },
            ));
        }
        if r.start < next {
            let p = previous.expect("a range before this one");
            return Err(shard_error(
                name(i),
                ShardProblem::Overlap {
                    range: r,
                    other: name(p),
                    other_range: pieces[p].1.clone(),
                },
            ));
        }
        next = r.end;
        previous = Some(i);
    }
    if next < total {
        let last = *order.last().expect("at least one piece");
        return Err(shard_error(
            name(last),
            ShardProblem::Missing {
                gap: next..total,
                total,
                after: true,
            },
        ));
    }
    Ok(order)
}

/// The configuration hash of a partial result: 64-bit FNV-1a over the canonical bytes of
/// the inputs (each crate writes its inputs' JSON into it, `std::io::Write`). It tells
/// partials of different inputs apart by accident, not by design against forgery.
///
/// ```
/// use creditlab_numerics::shard::ConfigHasher;
/// use std::io::Write as _;
/// let mut h = ConfigHasher::new();
/// h.write_all(b"a").unwrap();
/// assert_eq!(h.finish(), "af63dc4c8601ec8c"); // FNV-1a of "a"
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ConfigHasher(u64);

/// FNV-1a's offset basis and prime (64-bit).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// See [`FNV_OFFSET`].
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl ConfigHasher {
    /// An empty hash.
    pub fn new() -> Self {
        Self(FNV_OFFSET)
    }

    /// The hash as 16 hexadecimal digits.
    pub fn finish(&self) -> String {
        format!("{:016x}", self.0)
    }
}

impl Default for ConfigHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl std::io::Write for ConfigHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_tile_any_total() {
        for total in [1u64, 2, 7, 1000, 1001, u64::MAX] {
            for n in [1u64, 2, 3, 7] {
                if n > total {
                    continue;
                }
                let mut next = 0;
                for k in 0..n {
                    let r = ShardSpec::new(k, n).unwrap().range(total);
                    assert_eq!(r.start, next);
                    assert!(r.end > r.start);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn spec_parses_and_refuses() {
        assert_eq!(
            "2/4".parse::<ShardSpec>().unwrap(),
            ShardSpec::new(2, 4).unwrap()
        );
        for bad in ["4/4", "1", "-1/3", "a/b", "1/0", ""] {
            assert!(bad.parse::<ShardSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_partial_is_read_header_first() {
        let expected = ("creditlab-x-shard", 2);
        let read = |text: &str| parse_partial::<serde_json::Value>(text, "p.json", expected);
        let v = read(r#"{"format": "creditlab-x-shard", "version": 2, "a": 1}"#).unwrap();
        assert_eq!(v["a"], 1);
        // A newer layout is named as such.
        let newer = read(r#"{"format": "creditlab-x-shard", "version": 3}"#).unwrap_err();
        let NumericsError::Shard { file, problem } = &newer else {
            panic!("{newer}")
        };
        assert_eq!(file, "p.json");
        assert_eq!(
            **problem,
            ShardProblem::Version {
                found: 3,
                expected: 2
            }
        );
        let cut = read(r#"{"format": "creditlab-x"#).unwrap_err().to_string();
        assert!(
            cut.starts_with("p.json: corrupt partial result: not JSON"),
            "{cut}"
        );
        let other = read(r#"{"format": "creditlab-y-shard", "version": 2}"#).unwrap_err();
        assert!(
            other
                .to_string()
                .contains("a \"creditlab-y-shard\" partial"),
            "{other}"
        );
        assert!(has_format(r#"{"format": "creditlab-x-shard"}"#, expected.0));
        assert!(!has_format("[1]", expected.0));
    }

    #[test]
    fn partials_of_another_run_are_named_by_what_differs() {
        let id = |file, total, config_hash, seed| RunId {
            file,
            total,
            config_hash,
            seed,
        };
        let a = id("a", 10, "h", 1);
        assert!(check_same_run(&[a, id("b", 10, "h", 1)]).is_ok());
        let problem = |other: RunId<'static>| {
            let e = check_same_run(&[a, id("b", 10, "h", 1), other]).unwrap_err();
            let NumericsError::Shard { file, problem } = e else {
                panic!("{e}")
            };
            assert_eq!(file, "c");
            *problem
        };
        // Length before configuration before seed.
        assert!(matches!(
            problem(id("c", 11, "g", 2)),
            ShardProblem::OtherTotal {
                total: 11,
                first_total: 10,
                ..
            }
        ));
        assert!(matches!(
            problem(id("c", 10, "g", 2)),
            ShardProblem::OtherConfig { .. }
        ));
        assert!(matches!(
            problem(id("c", 10, "h", 2)),
            ShardProblem::OtherSeed {
                seed: 2,
                first_seed: 1,
                ..
            }
        ));
        assert!(check_same_run(&[]).is_err());
    }

    #[test]
    fn tiling_errors_name_the_file() {
        let overlap = tile(&[("a", 0..6), ("b", 5..10)], 10).unwrap_err();
        let NumericsError::Shard { file, problem } = &overlap else {
            panic!("{overlap}")
        };
        assert_eq!(file, "b");
        assert!(matches!(&**problem, ShardProblem::Overlap { other, .. } if other == "a"));
        let end = tile(&[("a", 0..6)], 10).unwrap_err();
        assert_eq!(
            end.to_string(),
            "a: scenarios 6..10 after it are in no shard (of 0..10)"
        );
        let none: [(&str, Range<u64>); 0] = [];
        assert!(tile(&none, 3).is_err());
        assert!(tile(&[("a", 0..0), ("b", 0..3)], 3).is_err());
        assert!(tile(&[("a", 0..4)], 3).is_err());
    }
}
