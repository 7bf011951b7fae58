//! A loss distribution on finitely many points, shared by the exact recursion, the binomial
//! expansion and the degenerate cases of the large pool.
//!
//! Conventions (documented in [docs/methodology/exact-recursion.md](crate::methodology::exact_recursion)):
//! * VaR at level `a` is the lower quantile `min{x_k : P(L <= x_k) >= a}`, found from the
//!   upper tail sums `P(L > x_k)` (accurate for `a` near 1).
//! * ES is the Acerbi and Tasche (2002) tail mean
//!   `(E[L 1{L > VaR}] + VaR (P(L <= VaR) - a)) / (1 - a)`, which equals
//!   `E[L | L >= VaR]` whenever the distribution has no atom at VaR and is coherent
//!   (continuous in `a`) when it has one.
//! * `P(L > x)` and the tranche default probability compare grid points with `x` after a
//!   relative tolerance of 1e-12, so that a grid point equal to an attachment point up to
//!   rounding does not count as exceeding it.

use crate::distribution::{Estimate, LossDistribution, Tranche, TrancheEstimate, check_level};
use crate::error::Result;

/// Slack on a tail probability against `1 - level` when finding the VaR atom: the tail
/// sums' rounding must not skip an atom that carries the level exactly.
const TAIL_SLACK: f64 = 1e-15;
/// Relative slack (with [`LOSS_FLOOR`]) when asking whether an atom exceeds a loss level:
/// a level given as a printed decimal equals the atom it names.
const LEVEL_SLACK: f64 = 1e-12;
/// Below this the slack on a loss level is absolute.
const LOSS_FLOOR: f64 = 1e-3;

/// Losses (increasing fractions of total exposure) and their probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteLoss {
    losses: Vec<f64>,
    probs: Vec<f64>,
    /// `tail[k] = P(L > losses[k])`, summed from the top.
    tail: Vec<f64>,
}

impl DiscreteLoss {
    /// A distribution from increasing losses and their probabilities (not renormalised:
    /// the total mass is whatever the method produced, see [`DiscreteLoss::total_mass`]).
    pub fn new(losses: Vec<f64>, probs: Vec<f64>) -> Self {
        debug_assert_eq!(losses.len(), probs.len());
        let mut tail = vec![0.0; probs.len()];
        let mut acc = 0.0;
        for k in (0..probs.len()).rev() {
            tail[k] = acc;
            acc += probs[k];
        }
        Self {
            losses,
            probs,
            tail,
        }
    }

    /// Loss grid, fractions of total exposure.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }

    /// Probability of each grid point.
    pub fn probabilities(&self) -> &[f64] {
        &self.probs
    }

    /// Sum of the probabilities (1 up to the method's truncation and rounding).
    pub fn total_mass(&self) -> f64 {
        self.probs.iter().sum()
    }

    fn var_index(&self, level: f64) -> usize {
        let target = 1.0 - level;
        // First k with P(L > x_k) <= 1 - level (tiny slack for the sums' rounding).
        self.tail
            .iter()
            .position(|&t| t <= target + TAIL_SLACK)
            .unwrap_or(self.losses.len() - 1)
    }

    fn exceeds(&self, x: f64) -> usize {
        let cut = x + LEVEL_SLACK * x.abs().max(LOSS_FLOOR);
        self.losses.partition_point(|&l| l <= cut)
    }
}

impl LossDistribution for DiscreteLoss {
    fn expected_loss(&self) -> Estimate {
        Estimate::exact(
            self.losses
                .iter()
                .zip(&self.probs)
                .map(|(l, p)| l * p)
                .sum(),
        )
    }

    fn unexpected_loss(&self) -> Estimate {
        let m = self.expected_loss().value;
        let v: f64 = self
            .losses
            .iter()
            .zip(&self.probs)
            .map(|(l, p)| p * (l - m) * (l - m))
            .sum();
        Estimate::exact(v.max(0.0).sqrt())
    }

    fn value_at_risk(&self, level: f64) -> Result<Estimate> {
        Ok(Estimate::exact(
            self.losses[self.var_index(check_level(level)?)],
        ))
    }

    fn expected_shortfall(&self, level: f64) -> Result<Estimate> {
        let k = self.var_index(check_level(level)?);
        let var = self.losses[k];
        let above: f64 = self.losses[k + 1..]
            .iter()
            .zip(&self.probs[k + 1..])
            .map(|(l, p)| l * p)
            .sum();
        let beyond = self.tail[k];
        let es = (above + var * ((1.0 - level) - beyond).max(0.0)) / (1.0 - level);
        Ok(Estimate::exact(es))
    }

    fn tail_probability(&self, x: f64) -> Estimate {
        let k = self.exceeds(x);
        // fold from +0.0: an empty f64 `sum()` is -0.0, which would print as "-0.00%".
        Estimate::exact(self.probs[k..].iter().fold(0.0, |a, p| a + p))
    }

    fn tranche(&self, tranche: Tranche) -> TrancheEstimate {
        let el = self
            .losses
            .iter()
            .zip(&self.probs)
            .map(|(&l, p)| p * tranche.loss(l))
            .sum();
        TrancheEstimate {
            tranche,
            expected_loss: Estimate::exact(el),
            default_probability: self.tail_probability(tranche.attach()),
        }
    }
}

/// Implements [`LossDistribution`] for a method's result type by forwarding to its
/// [`DiscreteLoss`] field, so every grid-based method shares one set of conventions.
macro_rules! delegate_loss_distribution {
    ($ty:ty, $field:ident) => {
        impl $crate::distribution::LossDistribution for $ty {
            fn expected_loss(&self) -> $crate::distribution::Estimate {
                self.$field.expected_loss()
            }
            fn unexpected_loss(&self) -> $crate::distribution::Estimate {
                self.$field.unexpected_loss()
            }
            fn value_at_risk(
                &self,
                level: f64,
            ) -> $crate::error::Result<$crate::distribution::Estimate> {
                self.$field.value_at_risk(level)
            }
            fn expected_shortfall(
                &self,
                level: f64,
            ) -> $crate::error::Result<$crate::distribution::Estimate> {
                self.$field.expected_shortfall(level)
            }
            fn tail_probability(&self, x: f64) -> $crate::distribution::Estimate {
                self.$field.tail_probability(x)
            }
            fn tranche(
                &self,
                tranche: $crate::distribution::Tranche,
            ) -> $crate::distribution::TrancheEstimate {
                self.$field.tranche(tranche)
            }
        }
    };
}
pub(crate) use delegate_loss_distribution;

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use creditlab_numerics::prec;

    #[test]
    fn bernoulli_conventions() {
        // L = 0.5 with probability 0.01.
        let d = DiscreteLoss::new(vec![0.0, 0.5], vec![0.99, 0.01]);
        assert_eq!(d.value_at_risk(0.98).unwrap().value, 0.0);
        assert_eq!(d.value_at_risk(0.995).unwrap().value, 0.5);
        // Acerbi-Tasche at 0.98: (0.5 * 0.01 + 0 * (0.02 - 0.01)) / 0.02 = 0.25.
        assert_relative_eq!(
            d.expected_shortfall(0.98).unwrap().value,
            0.25,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            d.expected_shortfall(0.995).unwrap().value,
            0.5,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            d.expected_loss().value,
            0.005,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            d.unexpected_loss().value,
            0.5 * (0.99f64 * 0.01).sqrt(),
            max_relative = prec::IDENTITY
        );
        assert_eq!(d.tail_probability(0.5).value, 0.0);
        assert_eq!(d.tail_probability(0.2).value, 0.01);
        let t = d.tranche(Tranche::new(0.25, 0.75).unwrap());
        assert_relative_eq!(t.expected_loss.value, 0.005, max_relative = prec::IDENTITY);
    }

    #[test]
    fn moments_quantiles_and_tranches() {
        let d = DiscreteLoss::new(vec![0.0, 0.1, 0.5], vec![0.5, 0.4, 0.1]);
        assert!((d.expected_loss().value - 0.09).abs() <= prec::IDENTITY);
        assert_eq!(d.value_at_risk(0.5).unwrap().value, 0.0);
        assert_eq!(d.value_at_risk(0.9).unwrap().value, 0.1);
        assert_eq!(d.value_at_risk(0.95).unwrap().value, 0.5);
        assert!((d.expected_shortfall(0.95).unwrap().value - 0.5).abs() <= prec::IDENTITY);
        assert!((d.tail_probability(0.05).value - 0.5).abs() <= prec::IDENTITY);
        let t = d.tranche(Tranche::new(0.05, 0.15).unwrap());
        assert!((t.expected_loss.value - (0.4 * 0.5 + 0.1)).abs() <= prec::IDENTITY);
        // Beyond the largest loss the probability is +0, not -0 (reports print the sign).
        assert!(d.tail_probability(0.9).value.is_sign_positive());
    }
}
