//! Tranche ratings and the weighted average rating factor (WARF).
//!
//! * S&P style, by default probability: a tranche's probability of any loss over its
//!   horizon is normalized to one year at a constant hazard and looked up on the master
//!   scale of creditlab-grade ([`MasterScale::grade_over`]), so loans and tranches are
//!   graded on one scale (AAA ... CCC, D for a tranche certain to lose).
//! * Moody's style, by expected loss: a tranche's cumulative expected loss over its horizon
//!   is looked up on an [`ExpectedLossScale`] ([`rate_by_expected_loss`]); the built-in
//!   scale is creditlab's own, derived from the master scale, not Moody's table.
//! * Moody's rating factors (the WARF of a collateral pool, as in CLO tests):
//!   Aaa 1, Aa1 10, Aa2 20, Aa3 40, A1 70, A2 120, A3 180, Baa1 260, Baa2 360, Baa3 610,
//!   Ba1 940, Ba2 1350, Ba3 1766, B1 2220, B2 2720, B3 3490, Caa1 4770, Caa2 6500,
//!   Caa3 8070, Ca 10000.

use crate::el_scale::ExpectedLossScale;
use crate::error::{PoolError, Result, check_positive, check_range};
use creditlab_grade::{Grade, MasterScale};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The rating of a tranche by its default probability `pd` over `horizon_years` on `scale`.
pub fn rate_by_default_probability(
    scale: &MasterScale,
    pd: f64,
    horizon_years: f64,
) -> Result<Grade> {
    check_range("tranche default probability", pd, 0.0, 1.0)?;
    check_positive("horizon", horizon_years)?;
    Ok(scale.grade_over(pd, horizon_years)?)
}

/// The rating of a tranche by its cumulative expected loss `el` (fraction of notional, in
/// [0, 1]) over `horizon_years` on `scale`: the best grade whose bound at the horizon is not
/// exceeded, D for `el = 1` or above the CCC bound (see [`crate::el_scale`]).
pub fn rate_by_expected_loss(
    scale: &ExpectedLossScale,
    el: f64,
    horizon_years: f64,
) -> Result<Grade> {
    check_range("tranche expected loss", el, 0.0, 1.0)?;
    check_positive("horizon", horizon_years)?;
    Ok(scale.grade(el, horizon_years)?)
}

/// A Moody's long-term rating notch, Aaa to Ca.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(missing_docs)] // the variants are the rating symbols themselves
pub enum MoodysRating {
    Aaa,
    Aa1,
    Aa2,
    Aa3,
    A1,
    A2,
    A3,
    Baa1,
    Baa2,
    Baa3,
    Ba1,
    Ba2,
    Ba3,
    B1,
    B2,
    B3,
    Caa1,
    Caa2,
    Caa3,
    Ca,
}

impl MoodysRating {
    /// All notches, best first.
    pub const ALL: [MoodysRating; 20] = [
        Self::Aaa,
        Self::Aa1,
        Self::Aa2,
        Self::Aa3,
        Self::A1,
        Self::A2,
        Self::A3,
        Self::Baa1,
        Self::Baa2,
        Self::Baa3,
        Self::Ba1,
        Self::Ba2,
        Self::Ba3,
        Self::B1,
        Self::B2,
        Self::B3,
        Self::Caa1,
        Self::Caa2,
        Self::Caa3,
        Self::Ca,
    ];

    /// The notch's symbol, e.g. `"Baa2"`.
    pub fn as_str(&self) -> &'static str {
        const NAMES: [&str; 20] = [
            "Aaa", "Aa1", "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3", "Ba1", "Ba2",
            "Ba3", "B1", "B2", "B3", "Caa1", "Caa2", "Caa3", "Ca",
        ];
        NAMES[*self as usize]
    }

    /// Moody's rating factor, the notch's weight in a WARF.
    pub fn rating_factor(&self) -> f64 {
        const FACTORS: [f64; 20] = [
            1.0, 10.0, 20.0, 40.0, 70.0, 120.0, 180.0, 260.0, 360.0, 610.0, 940.0, 1350.0, 1766.0,
            2220.0, 2720.0, 3490.0, 4770.0, 6500.0, 8070.0, 10000.0,
        ];
        FACTORS[*self as usize]
    }

    /// The best notch whose rating factor is at least `warf`: the rating a WARF test
    /// result corresponds to (a WARF of 2500 maps to B2, factor 2720).
    pub fn from_warf(warf: f64) -> Result<Self> {
        check_range("warf", warf, 0.0, 10000.0)?;
        Ok(Self::ALL
            .into_iter()
            .find(|r| r.rating_factor() >= warf)
            .unwrap_or(Self::Ca))
    }
}

impl fmt::Display for MoodysRating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for MoodysRating {
    type Err = PoolError;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| PoolError::Unsupported(format!("unknown Moody's rating {s:?}")))
    }
}

/// Weighted average rating factor of `(par, rating)` holdings: `sum par_i RF_i / sum par_i`.
pub fn warf(holdings: &[(f64, MoodysRating)]) -> Result<f64> {
    let mut total = 0.0;
    let mut weighted = 0.0;
    for (i, &(par, rating)) in holdings.iter().enumerate() {
        if !(par.is_finite() && par >= 0.0) {
            return Err(PoolError::InvalidParameter {
                field: format!("holding {}: par", i + 1),
                value: par,
                reason: "must be finite and >= 0",
            });
        }
        total += par;
        weighted += par * rating.rating_factor();
    }
    if total <= 0.0 {
        return Err(PoolError::InvalidParameter {
            field: "holdings: total par".into(),
            value: total,
            reason: "must be > 0",
        });
    }
    Ok(weighted / total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn warf_of_a_small_pool() {
        let pool = [
            (50.0, MoodysRating::B2),
            (30.0, MoodysRating::Ba3),
            (20.0, MoodysRating::Caa1),
        ];
        // (50 * 2720 + 30 * 1766 + 20 * 4770) / 100 = 2843.8
        assert!((warf(&pool).unwrap() - 2843.8).abs() <= prec::IDENTITY * 2843.8);
        assert_eq!(MoodysRating::from_warf(2843.8).unwrap(), MoodysRating::B3);
        assert_eq!(MoodysRating::from_warf(2720.0).unwrap(), MoodysRating::B2);
        assert_eq!(MoodysRating::from_warf(1.0).unwrap(), MoodysRating::Aaa);
        assert!(warf(&[]).is_err());
        assert!(warf(&[(-1.0, MoodysRating::Aaa)]).is_err());
        assert_eq!("baa2".parse::<MoodysRating>().unwrap(), MoodysRating::Baa2);
        assert!("Z".parse::<MoodysRating>().is_err());
    }

    #[test]
    fn factors_increase_with_risk() {
        for w in MoodysRating::ALL.windows(2) {
            assert!(w[0].rating_factor() < w[1].rating_factor());
        }
        assert_eq!(MoodysRating::Ca.rating_factor(), 10000.0);
    }

    #[test]
    fn pd_rating_uses_the_master_scale_over_the_horizon() {
        let s = MasterScale::standard();
        // 5-year PD 1% -> about 0.2% a year: BBB.
        assert_eq!(
            rate_by_default_probability(&s, 0.01, 5.0).unwrap(),
            Grade::BBB
        );
        assert_eq!(
            rate_by_default_probability(&s, 0.0, 5.0).unwrap(),
            Grade::AAA
        );
        assert_eq!(rate_by_default_probability(&s, 1.0, 5.0).unwrap(), Grade::D);
        assert!(rate_by_default_probability(&s, 1.5, 5.0).is_err());
        assert!(rate_by_default_probability(&s, 0.1, 0.0).is_err());
    }
}
