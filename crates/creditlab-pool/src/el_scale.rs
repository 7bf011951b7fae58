//! Rating by expected loss (Moody's style): a table of cumulative expected-loss bounds by
//! grade and horizon, [`ExpectedLossScale`], and the look-up
//! [`rate_by_expected_loss`](crate::rating::rate_by_expected_loss).
//!
//! For each grade AAA ... CCC the table gives the upper bound of a tranche's cumulative
//! expected loss (a fraction of its notional) at tabulated horizons in years. A tranche is
//! rated the best grade whose bound at its horizon is not exceeded (`EL <= bound`).
//!
//! * **D**: a tranche certain to lose its whole notional (`EL = 1`), or whose expected loss
//!   exceeds the CCC bound at its horizon (a table whose CCC bound is below 1 says that such
//!   a tranche is beyond CCC).
//! * **Between tabulated horizons** the bound is interpolated log-linearly in EL (linear in
//!   `ln EL` against the horizon): `b(T) = b_i^(1-w) b_{i+1}^w`, `w = (T - T_i) / (T_{i+1} -
//!   T_i)`. A zero bound stays zero until the next horizon.
//! * **Beyond the last horizon** the last column applies (flat extrapolation). Bounds do not
//!   decrease with the horizon, so this is conservative: it never rates better than the table
//!   would if it went on. **Before the first horizon** there is nothing conservative to use,
//!   so the look-up is an error.
//!
//! The built-in scale, [`ExpectedLossScale::standard`], is creditlab's own, derived from the
//! PD master scale; it is **not** Moody's idealized expected-loss table, which could not be
//! sourced ([docs/methodology/securitization.md](crate::methodology::securitization)). A licensed Moody's table can be loaded from
//! a TOML or CSV file with [`ExpectedLossScale::load`] ([`ExpectedLossScale::from_toml`],
//! [`ExpectedLossScale::from_csv`]). In TOML:
//!
//! ```toml
//! source = "where the values come from"   # optional
//! horizons = [1, 2, 3, 4, 5]              # years, > 0, strictly increasing
//! [[grade]]                               # AAA, AA, A, BBB, BB, B and CCC, once each
//! name = "AAA"
//! el = [0.00001, 0.00002, 0.00004, 0.00006, 0.00008]   # one bound per horizon, in [0, 1]
//! ```
//!
//! In CSV, a header of horizons and one row per grade (`# source: ...` optional):
//!
//! ```text
//! # source: where the values come from
//! grade,1,2,3,4,5
//! AAA,0.00001,0.00002,0.00004,0.00006,0.00008
//! ```
//!
//! (The numbers are placeholders, not anyone's table.)

use crate::error::PoolError;
use creditlab_grade::{Grade, MasterScale};
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// The grades a table gives bounds for, best first: every grade but D.
pub const TABLE_GRADES: [Grade; 7] = {
    let all = Grade::ALL;
    [all[0], all[1], all[2], all[3], all[4], all[5], all[6]]
};

/// The reference loss severity of the built-in scale, `LGD_ref = 1`: a tranche's expected
/// loss is `P(loss) x LGTD <= P(loss)`, so with a severity of 1 a tranche that loses all of
/// its notional whenever it loses (a thin tranche) gets the same grade as on the PD scale,
/// and a thicker tranche, which loses only part of its notional, never a worse one.
pub const BUILT_IN_LGD_REF: f64 = 1.0;

/// The horizons of the built-in scale, years: a quarter, a half, then every year to 30.
pub fn built_in_horizons() -> Vec<f64> {
    let mut h = vec![0.25, 0.5];
    h.extend((1..=30).map(f64::from));
    h
}

/// `1 - (1 - pd)^t`, computed as `-expm1(t ln(1 - pd))` so that small PDs keep their
/// digits (at `t = 1` it gives back `pd` to the last bit or so); 1 when `pd = 1`.
fn cumulative(pd: f64, t: f64) -> f64 {
    if pd >= 1.0 {
        1.0
    } else {
        -(t * (-pd).ln_1p()).exp_m1()
    }
}

/// Why an expected-loss table cannot be used or read: the detail of
/// [`PoolError::ElScale`], the crate's one error type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ElScaleFault {
    /// The table has no horizons.
    NoHorizons,
    /// A horizon is not finite and positive, or not above the previous one.
    Horizon {
        /// 1-based position in `horizons`.
        index: usize,
        /// The offending value.
        value: f64,
        /// What it must be.
        reason: &'static str,
    },
    /// A grade's row has the wrong number of bounds.
    RowLength {
        /// The grade.
        grade: Grade,
        /// Bounds given.
        len: usize,
        /// Horizons in the table.
        expected: usize,
    },
    /// A bound is outside [0, 1], not above the better grade's, or below the grade's bound
    /// at the previous horizon.
    Bound {
        /// The grade.
        grade: Grade,
        /// The horizon, years.
        horizon: f64,
        /// 0-based position of the horizon, to find the value in a file.
        index: usize,
        /// The offending bound.
        value: f64,
        /// What it must be.
        reason: String,
    },
    /// The horizon of a look-up is not finite and positive, or before the first tabulated one.
    LookupHorizon {
        /// The horizon asked for.
        horizon: f64,
        /// Why it cannot be looked up.
        reason: String,
    },
    /// The reference loss severity of a derived scale is outside (0, 1].
    LgdRef(f64),
    /// A table file cannot be read or parsed, or a key in it is invalid.
    File {
        /// The file (its path, or a label for text).
        file: String,
        /// The 1-based line, where known.
        line: Option<usize>,
        /// The key, e.g. `grade "BBB" el[3]`; empty when the file as a whole is at fault.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for ElScaleFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElScaleFault::NoHorizons => write!(f, "expected-loss scale: no horizons"),
            ElScaleFault::Horizon {
                index,
                value,
                reason,
            } => write!(
                f,
                "expected-loss scale: horizon #{index} = {value} years: {reason}"
            ),
            ElScaleFault::RowLength {
                grade,
                len,
                expected,
            } => write!(
                f,
                "expected-loss scale: {grade} has {len} bounds for {expected} horizons"
            ),
            ElScaleFault::Bound {
                grade,
                horizon,
                value,
                reason,
                ..
            } => write!(
                f,
                "expected-loss scale: {grade} at {horizon} years: bound {value} {reason}"
            ),
            ElScaleFault::LookupHorizon { horizon, reason } => {
                write!(f, "expected-loss scale: horizon {horizon} years: {reason}")
            }
            ElScaleFault::LgdRef(v) => write!(
                f,
                "expected-loss scale: reference loss severity {v}: must be in (0, 1]"
            ),
            ElScaleFault::File {
                file,
                line,
                key,
                reason,
            } => {
                write!(f, "{file}")?;
                if let Some(l) = line {
                    write!(f, ":{l}")?;
                }
                let sep = if key.is_empty() { "" } else { ": " };
                write!(f, ": {key}{sep}{reason}")
            }
        }
    }
}

/// Cumulative expected-loss bounds by grade (AAA ... CCC) and horizon: the master scale of
/// rating by expected loss. Valid by construction (see [`ExpectedLossScale::new`]).
///
/// ```
/// use creditlab_grade::Grade;
/// use creditlab_pool::{ExpectedLossScale, rate_by_expected_loss};
/// let scale = ExpectedLossScale::standard();
/// assert!(scale.source().contains("not Moody's"));
/// // A tranche losing 0.5% of its notional over 5 years, and one losing 40%.
/// assert_eq!(rate_by_expected_loss(&scale, 0.005, 5.0)?, Grade::BBB);
/// assert_eq!(rate_by_expected_loss(&scale, 0.4, 5.0)?, Grade::CCC);
/// // A table of two horizons, interpolated in between (here at 2 years).
/// let table = ExpectedLossScale::from_toml(
///     "horizons = [1, 3]\n\
///      [[grade]]\nname = \"AAA\"\nel = [0.0001, 0.0003]\n\
///      [[grade]]\nname = \"AA\"\nel = [0.0003, 0.0009]\n\
///      [[grade]]\nname = \"A\"\nel = [0.001, 0.003]\n\
///      [[grade]]\nname = \"BBB\"\nel = [0.003, 0.009]\n\
///      [[grade]]\nname = \"BB\"\nel = [0.01, 0.03]\n\
///      [[grade]]\nname = \"B\"\nel = [0.05, 0.15]\n\
///      [[grade]]\nname = \"CCC\"\nel = [0.3, 0.5]\n",
///     "inline table",
/// )?;
/// assert_eq!(rate_by_expected_loss(&table, 0.0004, 2.0)?, Grade::AA);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedLossScale {
    horizons: Vec<f64>,
    /// `bounds[g][j]`: bound of `TABLE_GRADES[g]` at `horizons[j]`.
    bounds: [Vec<f64>; 7],
    source: String,
}

impl ExpectedLossScale {
    /// A scale from `horizons` (years, finite, > 0, strictly increasing) and, for each grade
    /// of [`TABLE_GRADES`] (AAA first), one bound per horizon: each in [0, 1], strictly
    /// above the better grade's bound at the same horizon and not below the grade's own bound
    /// at the previous horizon. `source` says where the values come from. Errors name the
    /// grade and horizon.
    pub fn new(
        horizons: Vec<f64>,
        bounds: [Vec<f64>; 7],
        source: impl Into<String>,
    ) -> crate::Result<Self> {
        Ok(Self::checked(horizons, bounds, source)?)
    }

    /// [`ExpectedLossScale::new`] with the fault itself, for the readers to locate.
    fn checked(
        horizons: Vec<f64>,
        bounds: [Vec<f64>; 7],
        source: impl Into<String>,
    ) -> Result<Self, ElScaleFault> {
        if horizons.is_empty() {
            return Err(ElScaleFault::NoHorizons);
        }
        for (j, &h) in horizons.iter().enumerate() {
            if !(h.is_finite() && h > 0.0) {
                return Err(ElScaleFault::Horizon {
                    index: j + 1,
                    value: h,
                    reason: "must be finite and > 0",
                });
            }
            if j > 0 && h <= horizons[j - 1] {
                return Err(ElScaleFault::Horizon {
                    index: j + 1,
                    value: h,
                    reason: "horizons must be strictly increasing",
                });
            }
        }
        for (g, row) in bounds.iter().enumerate() {
            let grade = TABLE_GRADES[g];
            if row.len() != horizons.len() {
                return Err(ElScaleFault::RowLength {
                    grade,
                    len: row.len(),
                    expected: horizons.len(),
                });
            }
            for (j, &b) in row.iter().enumerate() {
                let bad = |reason: String| ElScaleFault::Bound {
                    grade,
                    horizon: horizons[j],
                    index: j,
                    value: b,
                    reason,
                };
                if !(0.0..=1.0).contains(&b) {
                    return Err(bad("must be in [0, 1]".into()));
                }
                if g > 0 && b <= bounds[g - 1][j] {
                    return Err(bad(format!(
                        "must exceed {}'s bound {} at the same horizon (bounds increase from \
                         AAA to CCC)",
                        TABLE_GRADES[g - 1],
                        bounds[g - 1][j]
                    )));
                }
                if j > 0 && b < row[j - 1] {
                    return Err(bad(format!(
                        "is below its bound {} at {} years (a cumulative bound cannot fall \
                         with the horizon)",
                        row[j - 1],
                        horizons[j - 1]
                    )));
                }
            }
        }
        Ok(Self {
            horizons,
            bounds,
            source: source.into(),
        })
    }

    /// creditlab's built-in scale: [`ExpectedLossScale::from_master_scale`] on
    /// [`MasterScale::standard`] with [`BUILT_IN_LGD_REF`] = 1 at [`built_in_horizons`].
    ///
    /// This is **not** Moody's idealized expected-loss table: it is derived from creditlab's
    /// PD master scale, so that a thin tranche gets the same grade by expected loss as by
    /// default probability. Load Moody's table with [`ExpectedLossScale::load`] if you hold
    /// one.
    pub fn standard() -> Self {
        Self::from_master_scale(
            &MasterScale::standard(),
            BUILT_IN_LGD_REF,
            &built_in_horizons(),
        )
        .expect("the built-in expected-loss scale is valid")
    }

    /// A scale derived from a PD master scale: for grade `g` and horizon `T`,
    /// `bound = lgd_ref x (1 - (1 - pd_g)^T)`, where `pd_g` is the upper one-year PD edge of
    /// `g` (1 for CCC) and `lgd_ref` in (0, 1] a reference loss severity.
    pub fn from_master_scale(
        scale: &MasterScale,
        lgd_ref: f64,
        horizons: &[f64],
    ) -> crate::Result<Self> {
        if !(lgd_ref > 0.0 && lgd_ref <= 1.0) {
            return Err(ElScaleFault::LgdRef(lgd_ref).into());
        }
        let bounds = TABLE_GRADES.map(|g| {
            let pd = scale.band(g).upper;
            horizons
                .iter()
                .map(|&t| lgd_ref * cumulative(pd, t))
                .collect::<Vec<f64>>()
        });
        Self::new(
            horizons.to_vec(),
            bounds,
            format!(
                "creditlab built-in (derived from the PD master scale, LGD_ref {lgd_ref}; not \
                 Moody's table)"
            ),
        )
    }

    /// Reads a table from `path`: CSV when the name ends in `.csv` ([`Self::from_csv`]),
    /// TOML otherwise ([`Self::from_toml`]). Errors name the file, the line and the key.
    pub fn load(path: &Path) -> crate::Result<Self> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            PoolError::from(ElScaleFault::File {
                file: file.clone(),
                line: None,
                key: String::new(),
                reason: format!("cannot read: {e}"),
            })
        })?;
        let csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv {
            Self::from_csv(&text, &file)
        } else {
            Self::from_toml(&text, &file)
        }
    }

    /// Parses a CSV table: a header `grade,T1,T2,...` (horizons in years), then one row per
    /// grade AAA ... CCC (any order, once each) with one bound per horizon. Blank lines and
    /// lines starting with `#` are skipped; a comment `# source: TEXT` names the source.
    /// `file` names the table in errors, which give the line and the key.
    pub fn from_csv(text: &str, file: &str) -> crate::Result<Self> {
        Ok(Self::csv(text, file)?)
    }

    fn csv(text: &str, file: &str) -> Result<Self, ElScaleFault> {
        let err = |line: Option<usize>, key: String, reason: String| ElScaleFault::File {
            file: file.to_string(),
            line,
            key,
            reason,
        };
        let mut source = None;
        let mut header: Option<(usize, Vec<f64>)> = None;
        let mut rows: [Option<(usize, Vec<f64>)>; 7] = Default::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if let Some(comment) = trimmed.strip_prefix('#') {
                if let Some(s) = comment.trim().strip_prefix("source:") {
                    source = Some(s.trim().to_string());
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            let mut cells = trimmed.split(',').map(str::trim);
            let first = cells.next().unwrap_or_default();
            let Some((_, horizons)) = &header else {
                if !first.eq_ignore_ascii_case("grade") {
                    return Err(err(
                        Some(line),
                        "header".into(),
                        format!("expected grade,T1,T2,... (horizons in years), found {first:?}"),
                    ));
                }
                let horizons = cells
                    .enumerate()
                    .map(|(j, c)| {
                        c.parse::<f64>().map_err(|_| {
                            err(
                                Some(line),
                                format!("header column {}", j + 2),
                                format!("{c:?} is not a number of years"),
                            )
                        })
                    })
                    .collect::<Result<Vec<f64>, _>>()?;
                header = Some((line, horizons));
                continue;
            };
            let g = first
                .parse::<Grade>()
                .ok()
                .and_then(|g| TABLE_GRADES.iter().position(|&t| t == g))
                .ok_or_else(|| {
                    err(
                        Some(line),
                        "grade".into(),
                        format!("{first:?} is not one of AAA, AA, A, BBB, BB, B, CCC"),
                    )
                })?;
            if rows[g].is_some() {
                return Err(err(
                    Some(line),
                    "grade".into(),
                    format!("{first:?} is given twice"),
                ));
            }
            let values = cells
                .enumerate()
                .map(|(j, c)| {
                    c.parse::<f64>().map_err(|_| {
                        let at = horizons
                            .get(j)
                            .map_or(String::new(), |h| format!(" ({h} years)"));
                        err(
                            Some(line),
                            format!("grade {:?} column {}{at}", TABLE_GRADES[g].as_str(), j + 2),
                            format!("{c:?} is not a number"),
                        )
                    })
                })
                .collect::<Result<Vec<f64>, _>>()?;
            rows[g] = Some((line, values));
        }
        let Some((header_line, horizons)) = header else {
            return Err(err(
                None,
                "header".into(),
                "no header grade,T1,T2,...".into(),
            ));
        };
        let mut bounds: [Vec<f64>; 7] = Default::default();
        let mut lines = [0usize; 7];
        for (g, row) in rows.into_iter().enumerate() {
            let Some((line, values)) = row else {
                return Err(err(
                    None,
                    "grade".into(),
                    format!(
                        "no row for {} (give AAA, AA, A, BBB, BB, B and CCC)",
                        TABLE_GRADES[g]
                    ),
                ));
            };
            bounds[g] = values;
            lines[g] = line;
        }
        Self::checked(horizons, bounds, source.unwrap_or_else(|| file.to_string())).map_err(|e| {
            match e {
                ElScaleFault::NoHorizons => {
                    err(Some(header_line), "header".into(), "no horizons".into())
                }
                ElScaleFault::Horizon {
                    index,
                    value,
                    reason,
                } => err(
                    Some(header_line),
                    format!("header column {}", index + 1),
                    format!("{value}: {reason}"),
                ),
                ElScaleFault::RowLength {
                    grade,
                    len,
                    expected,
                } => err(
                    Some(lines[grade.rank()]),
                    format!("grade {:?}", grade.as_str()),
                    format!("{len} values for {expected} horizons"),
                ),
                ElScaleFault::Bound {
                    grade,
                    horizon,
                    index,
                    value,
                    reason,
                } => err(
                    Some(lines[grade.rank()]),
                    format!(
                        "grade {:?} column {} ({horizon} years)",
                        grade.as_str(),
                        index + 2
                    ),
                    format!("{value} {reason}"),
                ),
                other => err(None, String::new(), other.to_string()),
            }
        })
    }

    /// Parses a TOML table (format in the module documentation); `file` names it in errors,
    /// which give the line and the key.
    pub fn from_toml(text: &str, file: &str) -> crate::Result<Self> {
        Ok(Self::toml(text, file)?)
    }

    fn toml(text: &str, file: &str) -> Result<Self, ElScaleFault> {
        let line_of = |at: usize| {
            1 + text
                .get(..at)
                .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count())
        };
        let err = |line: Option<usize>, key: String, reason: String| ElScaleFault::File {
            file: file.to_string(),
            line,
            key,
            reason,
        };
        let table: TableFile = toml::from_str(text).map_err(|e| {
            err(
                e.span().map(|s| line_of(s.start)),
                String::new(),
                e.message().trim().to_string(),
            )
        })?;
        let horizons: Vec<f64> = table
            .horizons
            .get_ref()
            .iter()
            .map(|h| *h.get_ref())
            .collect();
        let mut rows: [Option<&GradeRow>; 7] = [None; 7];
        for row in &table.grade {
            let name = row.name.get_ref();
            let at = Some(line_of(row.name.span().start));
            let grade = name
                .parse::<Grade>()
                .ok()
                .and_then(|g| TABLE_GRADES.iter().position(|&t| t == g))
                .ok_or_else(|| {
                    err(
                        at,
                        "[[grade]] name".into(),
                        format!("{name:?} is not one of AAA, AA, A, BBB, BB, B, CCC"),
                    )
                })?;
            if rows[grade].is_some() {
                return Err(err(
                    at,
                    "[[grade]] name".into(),
                    format!("{name:?} is given twice"),
                ));
            }
            rows[grade] = Some(row);
        }
        let mut bounds: [Vec<f64>; 7] = Default::default();
        for (g, row) in rows.iter().enumerate() {
            let Some(row) = row else {
                return Err(err(
                    None,
                    "[[grade]]".into(),
                    format!(
                        "no row for {} (give AAA, AA, A, BBB, BB, B and CCC)",
                        TABLE_GRADES[g]
                    ),
                ));
            };
            bounds[g] = row.el.get_ref().iter().map(|b| *b.get_ref()).collect();
        }
        Self::checked(
            horizons,
            bounds,
            table.source.unwrap_or_else(|| file.to_string()),
        )
        .map_err(|e| match &e {
            ElScaleFault::NoHorizons => err(
                Some(line_of(table.horizons.span().start)),
                "horizons".into(),
                "is empty".into(),
            ),
            ElScaleFault::Horizon {
                index,
                value,
                reason,
            } => {
                let span = table.horizons.get_ref()[index - 1].span();
                err(
                    Some(line_of(span.start)),
                    format!("horizons[{}]", index - 1),
                    format!("{value}: {reason}"),
                )
            }
            ElScaleFault::RowLength {
                grade,
                len,
                expected,
            } => {
                let row = rows[grade.rank()].expect("every grade has a row");
                err(
                    Some(line_of(row.el.span().start)),
                    format!("grade {:?} el", grade.as_str()),
                    format!("{len} values for {expected} horizons"),
                )
            }
            ElScaleFault::Bound {
                grade,
                horizon,
                index,
                value,
                reason,
            } => {
                let row = rows[grade.rank()].expect("every grade has a row");
                let span = row.el.get_ref()[*index].span();
                err(
                    Some(line_of(span.start)),
                    format!("grade {:?} el[{index}]", grade.as_str()),
                    format!("{value} at {horizon} years {reason}"),
                )
            }
            _ => err(None, String::new(), e.to_string()),
        })
    }

    /// The tabulated horizons, years.
    pub fn horizons(&self) -> &[f64] {
        &self.horizons
    }

    /// The tabulated bounds of `grade`, one per horizon; `None` for D.
    pub fn bounds(&self, grade: Grade) -> Option<&[f64]> {
        TABLE_GRADES
            .iter()
            .position(|&g| g == grade)
            .map(|g| self.bounds[g].as_slice())
    }

    /// Where the values come from (the built-in scale says it is not Moody's table).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The bound of `grade` at `horizon_years`: interpolated log-linearly between tabulated
    /// horizons, the last column beyond the table, an error before its first horizon.
    /// `None` for D.
    pub fn bound_at(&self, grade: Grade, horizon_years: f64) -> crate::Result<Option<f64>> {
        let Some(g) = TABLE_GRADES.iter().position(|&t| t == grade) else {
            return Ok(None);
        };
        let (j, w) = self.locate(horizon_years)?;
        Ok(Some(self.interpolate(g, j, w)))
    }

    /// The grade of a tranche with cumulative expected loss `el` (in [0, 1], checked by the
    /// caller) over `horizon_years`.
    pub(crate) fn grade(&self, el: f64, horizon_years: f64) -> Result<Grade, ElScaleFault> {
        let (j, w) = self.locate(horizon_years)?;
        if el >= 1.0 {
            return Ok(Grade::D);
        }
        Ok((0..7)
            .find(|&g| el <= self.interpolate(g, j, w))
            .map_or(Grade::D, |g| TABLE_GRADES[g]))
    }

    /// The column `j` and weight `w` towards column `j + 1` of `horizon_years`.
    fn locate(&self, horizon_years: f64) -> Result<(usize, f64), ElScaleFault> {
        let h = &self.horizons;
        let bad = |reason: String| ElScaleFault::LookupHorizon {
            horizon: horizon_years,
            reason,
        };
        if !(horizon_years.is_finite() && horizon_years > 0.0) {
            return Err(bad("must be finite and > 0".into()));
        }
        if horizon_years < h[0] {
            return Err(bad(format!(
                "is before the scale's first horizon, {} years (no extrapolation to shorter \
                 horizons)",
                h[0]
            )));
        }
        let last = h.len() - 1;
        if horizon_years >= h[last] {
            return Ok((last, 0.0));
        }
        let j = h.partition_point(|&t| t <= horizon_years) - 1;
        Ok((j, (horizon_years - h[j]) / (h[j + 1] - h[j])))
    }

    /// `b_j^(1-w) b_{j+1}^w` for grade row `g`; exactly `b_j` when `w = 0`.
    fn interpolate(&self, g: usize, j: usize, w: f64) -> f64 {
        let row = &self.bounds[g];
        if w == 0.0 {
            return row[j];
        }
        row[j].powf(1.0 - w) * row[j + 1].powf(w)
    }
}

impl Default for ExpectedLossScale {
    fn default() -> Self {
        Self::standard()
    }
}

impl fmt::Display for ExpectedLossScale {
    /// The table as text: one row per grade, bounds in percent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.source)?;
        write!(f, "{:>6}", "years")?;
        for h in &self.horizons {
            write!(f, " {h:>10}")?;
        }
        writeln!(f)?;
        for (g, row) in self.bounds.iter().enumerate() {
            write!(f, "{:>6}", TABLE_GRADES[g].as_str())?;
            for b in row {
                write!(f, " {:>9.5}%", 100.0 * b)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The TOML file: values keep their spans so errors give the line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    #[serde(default)]
    source: Option<String>,
    horizons: toml::Spanned<Vec<toml::Spanned<f64>>>,
    grade: Vec<GradeRow>,
}

/// One `[[grade]]` row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GradeRow {
    name: toml::Spanned<String>,
    el: toml::Spanned<Vec<toml::Spanned<f64>>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating::{rate_by_default_probability, rate_by_expected_loss};
    use creditlab_numerics::prec;
    use proptest::prelude::*;

    /// A small hand table: horizons 1 and 3 years.
    fn hand() -> ExpectedLossScale {
        let rows = [
            vec![0.0001, 0.0004],
            vec![0.0005, 0.0010],
            vec![0.001, 0.003],
            vec![0.005, 0.010],
            vec![0.02, 0.05],
            vec![0.10, 0.20],
            vec![0.50, 0.60],
        ];
        ExpectedLossScale::new(vec![1.0, 3.0], rows, "hand").unwrap()
    }

    #[test]
    fn exactly_at_a_bound_keeps_the_grade_and_just_above_drops_it() {
        let s = hand();
        // A relative step above the bound, far beyond its rounding, far below the next bound.
        const JUST_ABOVE: f64 = 1e-12;
        let up = |x: f64| x * (1.0 + JUST_ABOVE);
        for (g, grade) in TABLE_GRADES.iter().enumerate() {
            for (j, &h) in s.horizons().iter().enumerate() {
                let b = s.bounds[g][j];
                assert_eq!(
                    rate_by_expected_loss(&s, b, h).unwrap(),
                    *grade,
                    "{grade} {h}"
                );
                let next = Grade::ALL[grade.rank() + 1];
                assert_eq!(
                    rate_by_expected_loss(&s, up(b), h).unwrap(),
                    next,
                    "{grade} {h}"
                );
            }
        }
        // Above CCC's bound (0.6 at 3 years) but below 1: D, as documented; EL 1 is D.
        assert_eq!(rate_by_expected_loss(&s, 0.7, 3.0).unwrap(), Grade::D);
        assert_eq!(rate_by_expected_loss(&s, 1.0, 3.0).unwrap(), Grade::D);
        assert_eq!(rate_by_expected_loss(&s, 0.0, 1.0).unwrap(), Grade::AAA);
    }

    #[test]
    fn interpolation_between_horizons_is_log_linear() {
        let s = hand();
        // AAA at 2 years: sqrt(0.0001 x 0.0004) = 0.0002; at 1.5 years (w = 1/4):
        // 0.0001 x 4^(1/4) = 0.000141421...
        let b2 = s.bound_at(Grade::AAA, 2.0).unwrap().unwrap();
        assert!((b2 - 0.0002).abs() <= prec::IDENTITY, "{b2}");
        let b15 = s.bound_at(Grade::AAA, 1.5).unwrap().unwrap();
        assert!(
            (b15 - 0.0001 * 2f64.sqrt()).abs() <= prec::IDENTITY,
            "{b15}"
        );
        // BB at 2 years: sqrt(0.02 x 0.05) = 0.031623.
        let bb = s.bound_at(Grade::BB, 2.0).unwrap().unwrap();
        assert!((bb - 0.001f64.sqrt()).abs() <= prec::IDENTITY, "{bb}");
        assert_eq!(
            rate_by_expected_loss(&s, 0.000199, 2.0).unwrap(),
            Grade::AAA
        );
        assert_eq!(rate_by_expected_loss(&s, 0.000201, 2.0).unwrap(), Grade::AA);
        assert_eq!(rate_by_expected_loss(&s, 0.0316, 2.0).unwrap(), Grade::BB);
        assert_eq!(rate_by_expected_loss(&s, 0.0317, 2.0).unwrap(), Grade::B);
        assert_eq!(s.bound_at(Grade::D, 2.0).unwrap(), None);
    }

    #[test]
    fn beyond_the_table_is_flat_and_before_it_an_error() {
        let s = hand();
        assert_eq!(s.bound_at(Grade::AAA, 10.0).unwrap(), Some(0.0004));
        assert_eq!(rate_by_expected_loss(&s, 0.0005, 10.0).unwrap(), Grade::AA);
        let e = rate_by_expected_loss(&s, 0.0001, 0.5)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("horizon 0.5") && e.contains("first horizon, 1 years"),
            "{e}"
        );
        assert!(rate_by_expected_loss(&s, 1.2, 1.0).is_err());
        assert!(rate_by_expected_loss(&s, f64::NAN, 1.0).is_err());
        assert!(rate_by_expected_loss(&s, 0.1, 0.0).is_err());
        assert!(rate_by_expected_loss(&s, 0.1, f64::INFINITY).is_err());
    }

    #[test]
    fn zero_bounds_interpolate_to_zero() {
        let mut rows = hand().bounds;
        rows[0] = vec![0.0, 0.0004];
        let s = ExpectedLossScale::new(vec![1.0, 3.0], rows, "zero").unwrap();
        assert_eq!(s.bound_at(Grade::AAA, 2.0).unwrap(), Some(0.0));
        assert_eq!(s.bound_at(Grade::AAA, 3.0).unwrap(), Some(0.0004));
        assert_eq!(rate_by_expected_loss(&s, 0.0, 2.0).unwrap(), Grade::AAA);
        assert_eq!(rate_by_expected_loss(&s, 1e-9, 2.0).unwrap(), Grade::AA);
    }

    #[test]
    fn built_in_scale_is_the_master_scale_times_lgd_ref() {
        let s = ExpectedLossScale::standard();
        assert!(s.source().contains("not Moody's"));
        let m = MasterScale::standard();
        // BBB at 5 years: 1 - (1 - 0.003)^5 = 0.014910...
        let b = s.bound_at(Grade::BBB, 5.0).unwrap().unwrap();
        assert!(
            (b - (1.0 - 0.997f64.powi(5))).abs() <= prec::IDENTITY,
            "{b}"
        );
        assert_eq!(s.bounds(Grade::CCC).unwrap(), vec![1.0; 32].as_slice());
        for g in TABLE_GRADES {
            let pd = m.band(g).upper;
            let b = s.bounds(g).unwrap()[2];
            assert!(
                (b - pd).abs() <= prec::IDENTITY * pd,
                "{g}: the 1-year column is the PD edge"
            );
        }
        let half = ExpectedLossScale::from_master_scale(&m, 0.5, &[1.0, 5.0]).unwrap();
        assert!((half.bounds(Grade::A).unwrap()[0] - 0.0005).abs() <= prec::IDENTITY * 0.0005);
        assert!(ExpectedLossScale::from_master_scale(&m, 0.0, &[1.0]).is_err());
        assert!(ExpectedLossScale::from_master_scale(&m, 1.5, &[1.0]).is_err());
    }

    /// The built-in values printed in [docs/methodology/securitization.md](crate::methodology::securitization), percent.
    #[test]
    fn built_in_values_match_the_methodology_table() {
        let s = ExpectedLossScale::standard();
        let doc: [(Grade, [f64; 5]); 6] = [
            (Grade::AAA, [0.01, 0.03, 0.05, 0.10, 0.30]),
            (Grade::AA, [0.03, 0.09, 0.15, 0.30, 0.90]),
            (Grade::A, [0.10, 0.30, 0.50, 1.00, 2.96]),
            (Grade::BBB, [0.30, 0.90, 1.49, 2.96, 8.62]),
            (Grade::BB, [1.25, 3.70, 6.10, 11.82, 31.43]),
            (Grade::B, [9.00, 24.64, 37.60, 61.06, 94.09]),
        ];
        for (g, row) in doc {
            for (t, want) in [1.0, 3.0, 5.0, 10.0, 30.0].into_iter().zip(row) {
                let got = 100.0 * s.bound_at(g, t).unwrap().unwrap();
                assert!(
                    (got - want).abs() <= prec::printed(2) + prec::ACCUMULATED,
                    "{g} {t}: {got} vs {want}"
                );
            }
            assert_eq!(s.bound_at(Grade::CCC, 7.0).unwrap(), Some(1.0));
        }
    }

    #[test]
    fn bad_tables_are_rejected_naming_grade_and_horizon() {
        let good = || hand().bounds;
        let new = |h: Vec<f64>, b| ExpectedLossScale::new(h, b, "t").unwrap_err().to_string();
        assert_eq!(
            ExpectedLossScale::new(vec![], Default::default(), "t").unwrap_err(),
            PoolError::ElScale(ElScaleFault::NoHorizons)
        );
        assert!(new(vec![0.0, 3.0], good()).contains("horizon #1 = 0"));
        assert!(new(vec![3.0, 3.0], good()).contains("strictly increasing"));
        assert!(new(vec![1.0, f64::NAN], good()).contains("horizon #2"));
        let mut b = good();
        b[3] = vec![0.005];
        assert!(new(vec![1.0, 3.0], b).contains("BBB has 1 bounds for 2 horizons"));
        let mut b = good();
        b[2][1] = 0.0005; // A below AA at 3 years
        let e = new(vec![1.0, 3.0], b);
        assert!(
            e.contains("A at 3 years") && e.contains("must exceed AA's"),
            "{e}"
        );
        let mut b = good();
        b[4][1] = 0.015; // BB falls from 0.02 to 0.015
        let e = new(vec![1.0, 3.0], b);
        assert!(
            e.contains("BB at 3 years") && e.contains("cannot fall"),
            "{e}"
        );
        let mut b = good();
        b[6][1] = 1.5;
        let e = new(vec![1.0, 3.0], b);
        assert!(e.contains("CCC at 3 years") && e.contains("[0, 1]"), "{e}");
        let mut b = good();
        b[0][0] = -0.1;
        assert!(new(vec![1.0, 3.0], b).contains("AAA at 1 years"));
    }

    const TOML_OK: &str = r#"source = "test table"
horizons = [1, 3]
[[grade]]
name = "AAA"
el = [0.0001, 0.0004]
[[grade]]
name = "AA"
el = [0.0005, 0.0010]
[[grade]]
name = "A"
el = [0.001, 0.003]
[[grade]]
name = "BBB"
el = [0.005, 0.010]
[[grade]]
name = "BB"
el = [0.02, 0.05]
[[grade]]
name = "B"
el = [0.10, 0.20]
[[grade]]
name = "CCC"
el = [0.50, 0.60]
"#;

    #[test]
    fn a_toml_table_loads() {
        let s = ExpectedLossScale::from_toml(TOML_OK, "t.toml").unwrap();
        assert_eq!(s.bounds, hand().bounds);
        assert_eq!(s.horizons(), &[1.0, 3.0]);
        assert_eq!(s.source(), "test table");
        let text = s.to_string();
        assert!(text.contains("BBB") && text.contains("0.50000%"), "{text}");
    }

    #[test]
    fn toml_errors_name_the_file_line_and_key() {
        let bad = |from: &str, to: &str| {
            let text = TOML_OK.replacen(from, to, 1);
            ExpectedLossScale::from_toml(&text, "t.toml")
                .unwrap_err()
                .to_string()
        };
        let e = bad("el = [0.005, 0.010]", "el = [0.005, 0.004]");
        assert_eq!(
            e,
            "t.toml:14: grade \"BBB\" el[1]: 0.004 at 3 years is below its bound 0.005 at 1 \
             years (a cumulative bound cannot fall with the horizon)"
        );
        let e = bad("el = [0.02, 0.05]", "el = [0.02]");
        assert!(
            e.starts_with("t.toml:17: grade \"BB\" el: 1 values for 2 horizons"),
            "{e}"
        );
        let e = bad("horizons = [1, 3]", "horizons = [1, -3]");
        assert!(e.starts_with("t.toml:2: horizons[1]: -3"), "{e}");
        let e = bad("name = \"A\"\n", "name = \"Baa\"\n");
        assert!(
            e.starts_with("t.toml:10: [[grade]] name: \"Baa\" is not one of"),
            "{e}"
        );
        let e = bad("name = \"A\"\n", "name = \"AA\"\n");
        assert!(e.contains("t.toml:10") && e.contains("given twice"), "{e}");
        let e = bad("name = \"CCC\"", "name = \"D\"");
        assert!(
            e.starts_with("t.toml:22: [[grade]] name: \"D\" is not one of"),
            "{e}"
        );
        let e = bad("el = [0.0001, 0.0004]", "el = [0.0001, \"x\"]");
        assert!(e.starts_with("t.toml:5:"), "{e}");
        let e = bad("source", "sauce");
        assert!(e.starts_with("t.toml:1:") && e.contains("sauce"), "{e}");
        let e = ExpectedLossScale::from_toml("horizons = [1]\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.toml") && e.contains("grade"), "{e}");
        let text = TOML_OK.replace("[[grade]]\nname = \"CCC\"\nel = [0.50, 0.60]\n", "");
        let e = ExpectedLossScale::from_toml(&text, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no row for CCC"), "{e}");
        let e = ExpectedLossScale::load(Path::new("/nonexistent/el.toml")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/el.toml: cannot read"),
            "{e}"
        );
    }

    const CSV_OK: &str = "# source: test table\n\
        grade, 1, 3\n\
        AAA, 0.0001, 0.0004\n\
        AA, 0.0005, 0.0010\n\
        \n\
        A, 0.001, 0.003\n\
        BBB, 0.005, 0.010\n\
        BB, 0.02, 0.05\n\
        B, 0.10, 0.20\n\
        CCC, 0.50, 0.60\n";

    #[test]
    fn a_csv_table_loads_and_its_errors_name_line_and_column() {
        let s = ExpectedLossScale::from_csv(CSV_OK, "t.csv").unwrap();
        assert_eq!(s, ExpectedLossScale::from_toml(TOML_OK, "t.toml").unwrap());
        let bad = |from: &str, to: &str| {
            let text = CSV_OK.replacen(from, to, 1);
            ExpectedLossScale::from_csv(&text, "t.csv")
                .unwrap_err()
                .to_string()
        };
        let e = bad("BB, 0.02, 0.05", "BB, 0.02, 0.015");
        assert!(
            e.starts_with("t.csv:8: grade \"BB\" column 3 (3 years): 0.015 is below its bound"),
            "{e}"
        );
        let e = bad("A, 0.001, 0.003", "A, 0.001, 0.0005");
        assert!(e.starts_with("t.csv:6: grade \"A\" column 3 (3 years): 0.0005 must exceed AA's"));
        let e = bad("B, 0.10, 0.20", "B, 0.10, x");
        assert!(
            e.starts_with("t.csv:9: grade \"B\" column 3 (3 years): \"x\" is not"),
            "{e}"
        );
        let e = bad("B, 0.10, 0.20", "B, 0.10");
        assert!(
            e.starts_with("t.csv:9: grade \"B\": 1 values for 2 horizons"),
            "{e}"
        );
        let e = bad("grade, 1, 3", "grade, 1, 0.5");
        assert!(
            e.starts_with("t.csv:2: header column 3: 0.5: horizons must be strictly"),
            "{e}"
        );
        let e = bad("grade, 1, 3", "grade, 1, y");
        assert!(e.starts_with("t.csv:2: header column 3: \"y\""), "{e}");
        let e = bad("grade, 1, 3", "rating, 1, 3");
        assert!(e.starts_with("t.csv:2: header: expected grade"), "{e}");
        let e = bad("CCC, 0.50, 0.60", "Caa, 0.50, 0.60");
        assert!(
            e.starts_with("t.csv:10: grade: \"Caa\" is not one of"),
            "{e}"
        );
        let e = bad("AA, 0.0005", "AAA, 0.0005");
        assert!(
            e.starts_with("t.csv:4: grade: \"AAA\" is given twice"),
            "{e}"
        );
        let e = bad("CCC, 0.50, 0.60\n", "");
        assert!(e.contains("t.csv: grade: no row for CCC"), "{e}");
        let e = ExpectedLossScale::from_csv("# nothing\n", "t.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv: header: no header"), "{e}");
    }

    fn any_scale() -> impl Strategy<Value = ExpectedLossScale> {
        prop_oneof![Just(ExpectedLossScale::standard()), Just(hand())]
    }

    /// Relative distance to a bound within which `built_in_scale_agrees_with_the_pd_scale`
    /// skips a point: there the two scales' band edges differ by construction, not by a bug.
    const NEAR_BOUND: f64 = 1e-9;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Higher expected loss never gives a better grade; a longer horizon never gives a
        /// worse grade for the same expected loss.
        #[test]
        fn ratings_are_monotone(
            s in any_scale(),
            el1 in 0.0f64..=1.0, el2 in 0.0f64..=1.0,
            t1 in 1.0f64..40.0, t2 in 1.0f64..40.0,
        ) {
            let (lo, hi) = (el1.min(el2), el1.max(el2));
            let (short, long) = (t1.min(t2), t1.max(t2));
            let r = |el, t| rate_by_expected_loss(&s, el, t).unwrap();
            prop_assert!(r(lo, short) <= r(hi, short));
            prop_assert!(r(lo, long) <= r(hi, long));
            prop_assert!(r(lo, long) <= r(lo, short));
            prop_assert!(r(hi, long) <= r(hi, short));
        }

        /// With LGD_ref = 1, a tranche whose expected loss equals its probability of loss
        /// (it loses everything when it loses) gets the same grade on the built-in EL scale
        /// as on the PD master scale, at every tabulated horizon. Points within 1e-9
        /// (relative) of a bound are skipped: there the PD scale's half-open bands and the
        /// EL scale's "not exceeded" differ, and so may rounding.
        #[test]
        fn built_in_scale_agrees_with_the_pd_scale(
            p in prop_oneof![0.0f64..0.001, 0.0f64..0.1, 0.0f64..=1.0],
            j in 0usize..32,
        ) {
            let s = ExpectedLossScale::standard();
            let t = s.horizons()[j];
            let near = TABLE_GRADES.iter().any(|&g| {
                let b = s.bounds(g).unwrap()[j];
                (p - b).abs() <= NEAR_BOUND * b
            });
            prop_assume!(!near);
            let by_pd = rate_by_default_probability(&MasterScale::standard(), p, t).unwrap();
            prop_assert_eq!(rate_by_expected_loss(&s, p, t).unwrap(), by_pd);
            // And a thicker tranche (EL = P(loss) x LGTD, LGTD < 1) is never graded worse.
            let thick = rate_by_expected_loss(&s, 0.4 * p, t).unwrap();
            prop_assert!(thick <= by_pd);
        }
    }
}
