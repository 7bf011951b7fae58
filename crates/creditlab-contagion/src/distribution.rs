//! The one small interface every loss method implements, and what it reports.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The confidence levels reported by default: 99%, 99.9% and 99.97%.
pub const STANDARD_LEVELS: [f64; 3] = [0.99, 0.999, 0.9997];

/// A number with, for simulation methods, its Monte Carlo standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error; `None` for analytic methods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_error: Option<f64>,
}

impl Estimate {
    /// An analytic (exact up to numerical error) value.
    pub fn exact(value: f64) -> Self {
        Self {
            value,
            std_error: None,
        }
    }

    /// A simulated value with its standard error.
    pub fn simulated(value: f64, std_error: f64) -> Self {
        Self {
            value,
            std_error: Some(std_error),
        }
    }
}

/// A tranche of the pool's loss, as fractions of total exposure: it absorbs losses between
/// `attach` and `detach`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tranche {
    attach: f64,
    detach: f64,
}

impl Tranche {
    /// Validates `0 <= attach < detach <= 1`.
    pub fn new(attach: f64, detach: f64) -> Result<Self> {
        let reason = if !(attach.is_finite() && detach.is_finite()) {
            Some("bounds must be finite")
        } else if attach < 0.0 {
            Some("attachment must be >= 0")
        } else if detach > 1.0 {
            Some("detachment must be <= 1")
        } else if attach >= detach {
            Some("attachment must be below detachment")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::InvalidTranche {
                attach,
                detach,
                reason,
            }),
            None => Ok(Self { attach, detach }),
        }
    }

    /// Attachment point.
    pub fn attach(&self) -> f64 {
        self.attach
    }

    /// Detachment point.
    pub fn detach(&self) -> f64 {
        self.detach
    }

    /// Tranche loss as a fraction of its notional for pool loss `l`:
    /// `min(max(l - A, 0), D - A) / (D - A)`.
    #[inline]
    pub fn loss(&self, l: f64) -> f64 {
        self.loss_amount(l) / (self.detach - self.attach)
    }

    /// Tranche loss as a fraction of the pool for pool loss `l`: `min(max(l - A, 0), D - A)`,
    /// what the holder of the whole tranche loses per unit of the pool.
    #[inline]
    pub fn loss_amount(&self, l: f64) -> f64 {
        ((l - self.attach).max(0.0)).min(self.detach - self.attach)
    }
}

/// What a method says about one tranche.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrancheEstimate {
    /// The tranche.
    pub tranche: Tranche,
    /// Expected tranche loss, as a fraction of the tranche notional.
    pub expected_loss: Estimate,
    /// Probability that the tranche loses anything, P(L > attach).
    pub default_probability: Estimate,
}

/// A pool loss distribution, losses as fractions of total exposure.
///
/// Implemented by every method (large pool, exact recursion, binomial expansion, Monte
/// Carlo), so results are compared and swapped freely. Importance sampling estimates one
/// tail probability at a time ([`ImportanceSampler`](crate::ImportanceSampler)).
///
/// ```
/// use creditlab_contagion::{Copula, ExactConfig, ExactLoss, LossDistribution, Portfolio};
/// use creditlab_contagion::{MonteCarlo, Scenarios, Seed, Tranche};
/// let book = Portfolio::standard_book(100)?;
/// let copula = Copula::gaussian(0.2)?;
/// let exact = ExactLoss::new(&book, &copula, &ExactConfig::default())?;
/// let mc = MonteCarlo::new(&book, &copula)?.run(Seed(1), Scenarios::new(20_000)?);
/// for dist in [&exact as &dyn LossDistribution, &mc] {
///     let var = dist.value_at_risk(0.99)?;
///     assert!(dist.expected_shortfall(0.99)?.value >= var.value);
///     let equity = dist.tranche(Tranche::new(0.0, 0.05)?);
///     assert!(equity.default_probability.value > 0.0);
/// }
/// // A level outside (0, 1) is an error naming it.
/// assert_eq!(exact.value_at_risk(1.5).unwrap_err().field(), Some("level"));
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
pub trait LossDistribution {
    /// `E[L]`.
    fn expected_loss(&self) -> Estimate;
    /// Standard deviation of L (the unexpected loss).
    fn unexpected_loss(&self) -> Estimate;
    /// The `level` quantile of L (value at risk). A level outside (0, 1), or NaN, is an
    /// error naming `level` (see [`check_level`]), never a number.
    fn value_at_risk(&self, level: f64) -> Result<Estimate>;
    /// E[L | L >= VaR(level)] (expected shortfall); the level as for
    /// [`LossDistribution::value_at_risk`].
    fn expected_shortfall(&self, level: f64) -> Result<Estimate>;
    /// P(L > x).
    fn tail_probability(&self, x: f64) -> Estimate;
    /// Expected loss and default probability of a tranche.
    fn tranche(&self, tranche: Tranche) -> TrancheEstimate;
}

/// A risk measure at one confidence level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AtLevel {
    /// Confidence level, e.g. 0.999.
    pub level: f64,
    /// The measure.
    pub estimate: Estimate,
}

/// A tail probability P(L > x).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TailPoint {
    /// Loss threshold as a fraction of total exposure.
    pub x: f64,
    /// P(L > x).
    pub probability: Estimate,
}

/// Checks a confidence level: finite and strictly inside (0, 1), else an error naming
/// `level`. Every [`LossDistribution`] checks its level with it.
pub fn check_level(level: f64) -> Result<f64> {
    if level > 0.0 && level < 1.0 {
        Ok(level)
    } else {
        Err(Error::InvalidParameter {
            field: "level".into(),
            value: level,
            reason: "a confidence level must be strictly between 0 and 1",
        })
    }
}

/// Everything a report needs from a distribution at the standard levels.
///
/// ```
/// use creditlab_contagion::distribution::STANDARD_LEVELS;
/// use creditlab_contagion::{LargePool, LossSummary, Tranche};
/// let pool = LargePool::from_parameters(0.02, 0.15, 0.5)?;
/// let tranches = [Tranche::new(0.0, 0.05)?, Tranche::new(0.05, 1.0)?];
/// let s = LossSummary::of(&pool, &STANDARD_LEVELS, &[0.05], &tranches)?;
/// assert_eq!((s.var.len(), s.tail.len(), s.tranches.len()), (3, 1, 2));
/// // Expected shortfall is at least the VaR at every level.
/// assert!(s.var.iter().zip(&s.es).all(|(v, e)| e.estimate.value >= v.estimate.value));
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossSummary {
    /// `E[L]`.
    pub expected_loss: Estimate,
    /// Standard deviation of L.
    pub unexpected_loss: Estimate,
    /// VaR per level.
    pub var: Vec<AtLevel>,
    /// Expected shortfall per level.
    pub es: Vec<AtLevel>,
    /// Tail probabilities.
    pub tail: Vec<TailPoint>,
    /// Per tranche figures.
    pub tranches: Vec<TrancheEstimate>,
}

impl LossSummary {
    /// Summarises `dist` at `levels`, tail points `xs` and `tranches`; a level outside
    /// (0, 1) is an error naming it.
    pub fn of(
        dist: &dyn LossDistribution,
        levels: &[f64],
        xs: &[f64],
        tranches: &[Tranche],
    ) -> Result<Self> {
        Ok(Self {
            expected_loss: dist.expected_loss(),
            unexpected_loss: dist.unexpected_loss(),
            var: levels
                .iter()
                .map(|&level| {
                    Ok(AtLevel {
                        level,
                        estimate: dist.value_at_risk(level)?,
                    })
                })
                .collect::<Result<_>>()?,
            es: levels
                .iter()
                .map(|&level| {
                    Ok(AtLevel {
                        level,
                        estimate: dist.expected_shortfall(level)?,
                    })
                })
                .collect::<Result<_>>()?,
            tail: xs
                .iter()
                .map(|&x| TailPoint {
                    x,
                    probability: dist.tail_probability(x),
                })
                .collect(),
            tranches: tranches.iter().map(|&t| dist.tranche(t)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn tranche_validation_and_loss() {
        assert!(Tranche::new(0.03, 0.03).is_err());
        assert!(Tranche::new(-0.1, 0.03).is_err());
        assert!(Tranche::new(0.5, 1.2).is_err());
        let t = Tranche::new(0.03, 0.07).unwrap();
        assert_eq!(t.loss(0.02), 0.0);
        assert!((t.loss(0.05) - 0.5).abs() <= prec::IDENTITY);
        assert_eq!(t.loss(0.5), 1.0);
    }
}
