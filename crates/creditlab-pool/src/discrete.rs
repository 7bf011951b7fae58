//! A discrete pool loss distribution (loss levels with probabilities), such as the exact
//! finite-pool distribution of a homogeneous basket
//! ([`crate::pricing::HomogeneousBasket::loss_distribution`]), behind contagion's
//! [`LossDistribution`] trait so tranche risk is read off it like any other method.

use crate::error::{PoolError, Result};
use creditlab_contagion::{Estimate, LossDistribution, Tranche, TrancheEstimate};

/// Loss levels (fractions of the pool, increasing) with their probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteLossDistribution {
    losses: Vec<f64>,
    probabilities: Vec<f64>,
}

impl DiscreteLossDistribution {
    /// Validates: equal, non-zero lengths; losses finite, in [0, 1] and increasing;
    /// probabilities >= 0 summing to 1 within 1e-6 (they are renormalized exactly).
    pub fn new(losses: Vec<f64>, probabilities: Vec<f64>) -> Result<Self> {
        let bad = |field: &str, value: f64, reason: &'static str| PoolError::InvalidParameter {
            field: field.to_string(),
            value,
            reason,
        };
        if losses.is_empty() || losses.len() != probabilities.len() {
            return Err(bad(
                "probabilities",
                probabilities.len() as f64,
                "need one probability per loss level, at least one",
            ));
        }
        for (i, &x) in losses.iter().enumerate() {
            if !(x.is_finite() && (0.0..=1.0).contains(&x)) || (i > 0 && x <= losses[i - 1]) {
                return Err(bad(
                    &format!("loss level {}", i + 1),
                    x,
                    "must be in [0, 1] and increasing",
                ));
            }
        }
        if let Some((i, &p)) = probabilities
            .iter()
            .enumerate()
            .find(|(_, p)| !(p.is_finite() && **p >= 0.0))
        {
            return Err(bad(&format!("probability {}", i + 1), p, "must be >= 0"));
        }
        let total: f64 = probabilities.iter().sum();
        if (total - 1.0).abs() > 1e-6 {
            return Err(bad("probabilities", total, "must sum to 1"));
        }
        let probabilities = probabilities.iter().map(|p| p / total).collect();
        Ok(Self {
            losses,
            probabilities,
        })
    }

    /// The loss levels.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }

    /// Their probabilities.
    pub fn probabilities(&self) -> &[f64] {
        &self.probabilities
    }

    fn pairs(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.losses
            .iter()
            .copied()
            .zip(self.probabilities.iter().copied())
    }
}

impl LossDistribution for DiscreteLossDistribution {
    fn expected_loss(&self) -> Estimate {
        Estimate::exact(self.pairs().map(|(x, p)| x * p).sum())
    }

    fn unexpected_loss(&self) -> Estimate {
        let m = self.expected_loss().value;
        let var: f64 = self.pairs().map(|(x, p)| p * (x - m) * (x - m)).sum();
        Estimate::exact(var.max(0.0).sqrt())
    }

    fn value_at_risk(&self, level: f64) -> Estimate {
        let mut cdf = 0.0;
        for (x, p) in self.pairs() {
            cdf += p;
            if cdf >= level - 1e-12 {
                return Estimate::exact(x);
            }
        }
        Estimate::exact(*self.losses.last().unwrap_or(&0.0))
    }

    fn expected_shortfall(&self, level: f64) -> Estimate {
        let v = self.value_at_risk(level).value;
        let (mut mass, mut sum) = (0.0, 0.0);
        for (x, p) in self.pairs().filter(|&(x, _)| x >= v) {
            mass += p;
            sum += p * x;
        }
        Estimate::exact(if mass > 0.0 { sum / mass } else { v })
    }

    fn tail_probability(&self, x: f64) -> Estimate {
        Estimate::exact(
            self.pairs()
                .filter(|&(l, _)| l > x)
                .map(|(_, p)| p)
                .sum::<f64>()
                .min(1.0),
        )
    }

    fn tranche(&self, tranche: Tranche) -> TrancheEstimate {
        TrancheEstimate {
            tranche,
            expected_loss: Estimate::exact(self.pairs().map(|(x, p)| p * tranche.loss(x)).sum()),
            default_probability: self.tail_probability(tranche.attach()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_quantiles_and_tranches() {
        let d = DiscreteLossDistribution::new(vec![0.0, 0.1, 0.5], vec![0.5, 0.4, 0.1]).unwrap();
        assert!((d.expected_loss().value - 0.09).abs() < 1e-15);
        assert_eq!(d.value_at_risk(0.5).value, 0.0);
        assert_eq!(d.value_at_risk(0.9).value, 0.1);
        assert_eq!(d.value_at_risk(0.95).value, 0.5);
        assert!((d.expected_shortfall(0.95).value - 0.5).abs() < 1e-15);
        assert!((d.tail_probability(0.05).value - 0.5).abs() < 1e-15);
        let t = d.tranche(Tranche::new(0.05, 0.15).unwrap());
        assert!((t.expected_loss.value - (0.4 * 0.5 + 0.1)).abs() < 1e-15);
        assert!(DiscreteLossDistribution::new(vec![0.1, 0.0], vec![0.5, 0.5]).is_err());
        assert!(DiscreteLossDistribution::new(vec![0.0], vec![0.5]).is_err());
    }
}
