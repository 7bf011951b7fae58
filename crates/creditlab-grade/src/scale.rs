//! The master scale: bands of one-year PD mapped to the letter grades AAA … CCC and D.
//!
//! A standalone, reusable type: loan grades here and tranche ratings in creditlab-pool map a
//! PD through the same [`MasterScale`]. A PD measured over any horizon is first normalized
//! to one year at a constant hazard, `1 − (1 − PD_T)^{1/T}`, then looked up.
//!
//! The default band edges ([`MasterScale::standard`]) are the geometric midpoints, rounded,
//! of long-run average one-year corporate default rates by rating (S&P Global Ratings annual
//! global corporate default studies, 1981 onwards, and Moody's annual default studies):
//! AAA ≈ 0.00%, AA ≈ 0.02%, A ≈ 0.05%, BBB ≈ 0.15%, BB ≈ 0.55%, B ≈ 3%, CCC/C ≈ 26%.
//! See [docs/methodology/master-scale.md](crate::methodology::master_scale).

use crate::error::{GradeError, Result, check_positive, check_unit};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A letter grade, best (AAA) to worst (D, in default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// Extremely strong capacity to meet commitments.
    AAA,
    /// Very strong.
    AA,
    /// Strong, somewhat susceptible to adverse conditions.
    A,
    /// Adequate: the lowest investment grade.
    BBB,
    /// Speculative: faces ongoing uncertainties.
    BB,
    /// Highly speculative.
    B,
    /// Currently vulnerable: default is a real possibility.
    CCC,
    /// In default.
    D,
}

impl Grade {
    /// All grades, best first.
    pub const ALL: [Grade; 8] = [
        Grade::AAA,
        Grade::AA,
        Grade::A,
        Grade::BBB,
        Grade::BB,
        Grade::B,
        Grade::CCC,
        Grade::D,
    ];

    /// The grade's name, e.g. `"BBB"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Grade::AAA => "AAA",
            Grade::AA => "AA",
            Grade::A => "A",
            Grade::BBB => "BBB",
            Grade::BB => "BB",
            Grade::B => "B",
            Grade::CCC => "CCC",
            Grade::D => "D",
        }
    }

    /// Whether the grade is investment grade (BBB or better).
    pub fn is_investment_grade(&self) -> bool {
        *self <= Grade::BBB
    }

    /// Position on the scale, 0 for AAA to 7 for D: convenient for averages and charts.
    pub fn rank(&self) -> usize {
        *self as usize
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Grade {
    type Err = GradeError;
    fn from_str(s: &str) -> Result<Self> {
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| GradeError::UnknownGrade(s.to_string()))
    }
}

/// One band of the scale: the grade and its one-year PD interval `[lower, upper)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// The grade.
    pub grade: Grade,
    /// Lowest one-year PD of the band (inclusive).
    pub lower: f64,
    /// Upper one-year PD of the band (exclusive; 1 and inclusive for D).
    pub upper: f64,
    /// A representative one-year PD for the band (the long-run average default rate it is
    /// calibrated to), used to go from a grade back to a PD.
    pub central: f64,
}

/// Converts a PD over `horizon_years` to a one-year PD at a constant hazard rate.
pub fn annualize(pd: f64, horizon_years: f64) -> Result<f64> {
    check_unit("pd", pd)?;
    check_positive("horizon", horizon_years)?;
    Ok(1.0 - (1.0 - pd).powf(1.0 / horizon_years))
}

/// Converts a one-year PD to the PD over `horizon_years` at a constant hazard rate.
pub fn pd_over(annual_pd: f64, horizon_years: f64) -> Result<f64> {
    check_unit("annual pd", annual_pd)?;
    if !(horizon_years.is_finite() && horizon_years >= 0.0) {
        return Err(GradeError::InvalidParameter {
            field: "horizon".into(),
            value: horizon_years,
            reason: "must be finite and >= 0",
        });
    }
    Ok(1.0 - (1.0 - annual_pd).powf(horizon_years))
}

/// A master scale: contiguous one-year PD bands from 0 to 1, best grade first, D last.
///
/// ```
/// use creditlab_grade::{Grade, MasterScale};
/// let scale = MasterScale::standard();
/// assert_eq!(scale.grade(0.002)?, Grade::BBB);
/// assert_eq!(scale.grade(1.0)?, Grade::D);
/// // A five-year PD of 5% is about 1.02% a year: BB, not B.
/// assert_eq!(scale.grade_over(0.05, 5.0)?, Grade::BB);
/// assert!(scale.grade(1.5).is_err());
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterScale {
    bands: Vec<Band>,
}

impl MasterScale {
    /// The documented default scale (one-year PD, percent):
    ///
    /// | grade | band            | central |
    /// |-------|-----------------|---------|
    /// | AAA   | [0, 0.01)       | 0.005   |
    /// | AA    | [0.01, 0.03)    | 0.02    |
    /// | A     | [0.03, 0.10)    | 0.05    |
    /// | BBB   | [0.10, 0.30)    | 0.15    |
    /// | BB    | [0.30, 1.25)    | 0.55    |
    /// | B     | [1.25, 9.00)    | 3.0     |
    /// | CCC   | [9.00, 100)     | 26.0    |
    /// | D     | 100 (defaulted) | 100     |
    pub fn standard() -> Self {
        let edges = [0.0001, 0.0003, 0.0010, 0.0030, 0.0125, 0.09];
        let central = [0.00005, 0.0002, 0.0005, 0.0015, 0.0055, 0.03, 0.26];
        Self::from_edges(&edges, &central).expect("the standard scale is valid")
    }

    /// A scale from the six upper edges of AAA … B (strictly increasing, in (0, 1)) and the
    /// seven central PDs of AAA … CCC (each inside its band). CCC runs from the last edge up
    /// to 1 (exclusive); D is PD = 1.
    pub fn from_edges(edges: &[f64; 6], central: &[f64; 7]) -> Result<Self> {
        let mut lower = 0.0;
        let mut bands = Vec::with_capacity(8);
        for (i, grade) in Grade::ALL[..7].iter().enumerate() {
            let upper = if i < 6 { edges[i] } else { 1.0 };
            check_unit("band edge", upper)?;
            if upper <= lower {
                return Err(GradeError::InvalidParameter {
                    field: format!("{grade} upper edge"),
                    value: upper,
                    reason: "band edges must be strictly increasing",
                });
            }
            if !(central[i] >= lower && central[i] < upper) {
                return Err(GradeError::InvalidParameter {
                    field: format!("{grade} central pd"),
                    value: central[i],
                    reason: "must lie inside its band",
                });
            }
            bands.push(Band {
                grade: *grade,
                lower,
                upper,
                central: central[i],
            });
            lower = upper;
        }
        bands.push(Band {
            grade: Grade::D,
            lower: 1.0,
            upper: 1.0,
            central: 1.0,
        });
        Ok(Self { bands })
    }

    /// The bands, AAA first, D last.
    pub fn bands(&self) -> &[Band] {
        &self.bands
    }

    /// The band of a grade: the way back from a grade to a PD interval.
    pub fn band(&self, grade: Grade) -> Band {
        self.bands[grade.rank()]
    }

    /// The grade of a one-year PD. A PD of 1 is D.
    pub fn grade(&self, annual_pd: f64) -> Result<Grade> {
        check_unit("pd", annual_pd)?;
        Ok(self
            .bands
            .iter()
            .find(|b| annual_pd < b.upper)
            .map_or(Grade::D, |b| b.grade))
    }

    /// The grade of a PD measured over `horizon_years`, normalized to one year first.
    pub fn grade_over(&self, pd: f64, horizon_years: f64) -> Result<Grade> {
        self.grade(annualize(pd, horizon_years)?)
    }
}

impl Default for MasterScale {
    fn default() -> Self {
        Self::standard()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn grades_follow_the_documented_bands() {
        let s = MasterScale::standard();
        let cases = [
            (0.0, Grade::AAA),
            (0.00009, Grade::AAA),
            (0.0001, Grade::AA),
            (0.0003, Grade::A),
            (0.002, Grade::BBB),
            (0.005, Grade::BB),
            (0.02, Grade::B),
            (0.2, Grade::CCC),
            (0.999, Grade::CCC),
            (1.0, Grade::D),
        ];
        for (pd, g) in cases {
            assert_eq!(s.grade(pd).unwrap(), g, "pd {pd}");
        }
        assert!(s.grade(1.1).is_err());
        assert!(s.grade(f64::NAN).is_err());
    }

    #[test]
    fn bands_round_trip_and_tile_the_unit_interval() {
        let s = MasterScale::standard();
        let mut lower = 0.0;
        for b in &s.bands()[..7] {
            assert!((b.lower - lower).abs() < prec::IDENTITY);
            assert_eq!(s.grade(b.central).unwrap(), b.grade);
            assert_eq!(s.grade(b.lower).unwrap(), b.grade);
            assert_eq!(s.band(b.grade), *b);
            lower = b.upper;
        }
        assert!((lower - 1.0).abs() < prec::IDENTITY);
    }

    #[test]
    fn horizon_normalization() {
        // 5-year PD of 1 − 0.99^5 is a 1% annual PD.
        let p5 = pd_over(0.01, 5.0).unwrap();
        assert!((annualize(p5, 5.0).unwrap() - 0.01).abs() < prec::SPECIAL);
        let s = MasterScale::standard();
        // 5% over 5 years is ~1.02% a year: BB, although 5% would be B over one year.
        assert_eq!(s.grade_over(0.05, 5.0).unwrap(), Grade::BB);
        assert_eq!(s.grade(0.05).unwrap(), Grade::B);
    }

    #[test]
    fn grade_names_parse_and_order() {
        for g in Grade::ALL {
            assert_eq!(g.as_str().parse::<Grade>().unwrap(), g);
        }
        assert!(Grade::AAA < Grade::D);
        assert!(Grade::BBB.is_investment_grade() && !Grade::BB.is_investment_grade());
        assert!("XYZ".parse::<Grade>().is_err());
    }
}
