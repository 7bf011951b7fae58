//! Capital structures: named tranches that tile the pool's loss from 0 to 1, and the risk
//! of each tranche read off any [`LossDistribution`] (exact, analytic or simulated).
//!
//! A tranche `[A, D)` loses `min(max(L - A, 0), D - A) / (D - A)` of its notional when the
//! pool loses `L` (contagion's [`Tranche::loss`]). From a distribution of `L`:
//!
//! * expected loss `EL = E[tranche loss]`, as a fraction of the tranche notional;
//! * default probability `P(L > A)`, the probability of any loss;
//! * loss given tranche default `LGD = EL / P(L > A)` (undefined when `P(L > A) = 0`);
//! * credit enhancement: the subordination `A`, plus overcollateralization and reserve
//!   (as fractions of the pool) where the deal has them.

use crate::error::{Located, PoolError, Result};
use creditlab_contagion::{Estimate, LossDistribution, Tranche, check_tiling};
use serde::{Deserialize, Serialize};

/// A tranche with its name, e.g. `"A"` for `[0.15, 1)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedTranche {
    /// The tranche's name as the deal calls it.
    pub name: String,
    /// Its attachment and detachment points.
    pub tranche: Tranche,
}

/// A capital structure: tranches ordered from the most junior (attaching at 0) to the most
/// senior (detaching at 1), with no gaps or overlaps.
///
/// ```
/// use creditlab_contagion::DiscreteLoss;
/// use creditlab_pool::CapitalStructure;
/// let s = CapitalStructure::new([("equity", 0.0, 0.05), ("senior", 0.05, 1.0)])?;
/// // Pool losses 2% and 10% with probability one half each.
/// let dist = DiscreteLoss::new(vec![0.02, 0.10], vec![0.5, 0.5]);
/// let risk = s.risk(&dist, 0.0)?;
/// assert_eq!(risk[0].expected_loss.value, 0.7); // (0.4 + 1) / 2
/// assert_eq!(risk[1].default_probability.value, 0.5);
/// // A gap is refused, naming the tranche.
/// let gap = CapitalStructure::new([("equity", 0.0, 0.05), ("senior", 0.06, 1.0)]);
/// assert!(gap.unwrap_err().to_string().contains("tranche senior"));
/// # Ok::<(), creditlab_pool::PoolError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapitalStructure {
    tranches: Vec<NamedTranche>,
}

impl CapitalStructure {
    /// Validates `(name, attach, detach)` triples, junior first: each tranche satisfies
    /// `0 <= A < D <= 1`, names are unique, and the tranches tile the pool
    /// ([`check_tiling`]: the first attaches at 0, each exactly where the previous one
    /// detaches, the last detaches at 1). The error names the offending tranche.
    pub fn new<S: Into<String>>(tranches: impl IntoIterator<Item = (S, f64, f64)>) -> Result<Self> {
        Self::located(tranches).map_err(|e| e.error)
    }

    /// [`CapitalStructure::new`] whose error also gives the path of the key at fault in the
    /// list (`[1].attach`: the second tranche's attachment; `name`, `attach` or `detach`).
    pub(crate) fn located<S: Into<String>>(
        tranches: impl IntoIterator<Item = (S, f64, f64)>,
    ) -> std::result::Result<Self, Located> {
        let mut out: Vec<NamedTranche> = Vec::new();
        for (i, (name, attach, detach)) in tranches.into_iter().enumerate() {
            let name: String = name.into();
            let name = if name.trim().is_empty() {
                format!("#{}", i + 1)
            } else {
                name
            };
            let at = |key: &str, reason: String| {
                Located::new(
                    format!("[{i}].{key}"),
                    PoolError::Tranche {
                        name: name.clone(),
                        reason,
                    },
                )
            };
            let tranche = Tranche::new(attach, detach).map_err(|e| {
                let key = if (0.0..1.0).contains(&attach) {
                    "detach"
                } else {
                    "attach"
                };
                at(key, e.to_string())
            })?;
            if out.iter().any(|t| t.name == name) {
                return Err(at("name", "duplicate tranche name".into()));
            }
            out.push(NamedTranche { name, tranche });
        }
        let bounds: Vec<Tranche> = out.iter().map(|t| t.tranche).collect();
        check_tiling(&bounds).map_err(|e| match e {
            creditlab_contagion::Error::Tiling { index, reason } if index >= 1 => {
                let i = index - 1;
                let below = if i == 0 { 0.0 } else { bounds[i - 1].detach() };
                let key = if bounds[i].attach() == below {
                    "detach"
                } else {
                    "attach"
                };
                Located::new(
                    format!("[{i}].{key}"),
                    PoolError::Tranche {
                        name: out[i].name.clone(),
                        reason,
                    },
                )
            }
            _ => Located::new(
                "",
                PoolError::Tranche {
                    name: "(none)".into(),
                    reason: "a capital structure needs at least one tranche".into(),
                },
            ),
        })?;
        Ok(Self { tranches: out })
    }

    /// A structure from the detachment points of all but the most senior tranche
    /// (increasing, in (0, 1)), with names; `names` has one more entry than `detachments`.
    pub fn from_detachments<S: Into<String>>(names: Vec<S>, detachments: &[f64]) -> Result<Self> {
        if names.len() != detachments.len() + 1 {
            return Err(PoolError::Tranche {
                name: "(structure)".into(),
                reason: format!(
                    "{} names for {} tranches",
                    names.len(),
                    detachments.len() + 1
                ),
            });
        }
        let mut bounds = Vec::with_capacity(names.len());
        let mut attach = 0.0;
        for (name, &d) in names.into_iter().zip(detachments.iter().chain([&1.0])) {
            bounds.push((name, attach, d));
            attach = d;
        }
        Self::new(bounds)
    }

    /// The tranches, junior first.
    pub fn tranches(&self) -> &[NamedTranche] {
        &self.tranches
    }

    /// Number of tranches.
    pub fn len(&self) -> usize {
        self.tranches.len()
    }

    /// Always false: a validated structure has at least one tranche.
    pub fn is_empty(&self) -> bool {
        self.tranches.is_empty()
    }

    /// The risk of every tranche under `dist`, junior first; `extra_enhancement` is the
    /// overcollateralization plus reserve, as a fraction of the pool, added to each
    /// tranche's subordination to give its credit enhancement.
    pub fn risk(
        &self,
        dist: &dyn LossDistribution,
        extra_enhancement: f64,
    ) -> Result<Vec<TrancheRisk>> {
        crate::error::check_range("extra_enhancement", extra_enhancement, 0.0, 1.0)?;
        Ok(self
            .tranches
            .iter()
            .map(|t| TrancheRisk::of(&t.name, t.tranche, dist, extra_enhancement))
            .collect())
    }
}

/// What a loss distribution says about one tranche.
///
/// ```
/// use creditlab_contagion::{DiscreteLoss, Tranche};
/// use creditlab_numerics::prec;
/// use creditlab_pool::TrancheRisk;
/// // Pool losses 0, 4% and 12%, equally likely; the mezzanine 3-7%.
/// let dist = DiscreteLoss::new(vec![0.0, 0.04, 0.12], vec![1.0 / 3.0; 3]);
/// let mezz = TrancheRisk::of("mezzanine", Tranche::new(0.03, 0.07)?, &dist, 0.01);
/// assert!((mezz.default_probability.value - 2.0 / 3.0).abs() <= prec::IDENTITY);
/// assert!((mezz.expected_loss.value - (0.25 + 1.0) / 3.0).abs() <= prec::IDENTITY);
/// assert_eq!(mezz.credit_enhancement, 0.04); // subordination 3% + 1% reserve
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrancheRisk {
    /// The tranche's name.
    pub name: String,
    /// Attachment point, fraction of the pool.
    pub attach: f64,
    /// Detachment point, fraction of the pool.
    pub detach: f64,
    /// Expected loss, fraction of the tranche notional.
    pub expected_loss: Estimate,
    /// Probability of any loss, `P(L > A)`.
    pub default_probability: Estimate,
    /// Loss given tranche default, `EL / P(L > A)`; `None` when the tranche cannot lose.
    pub loss_given_default: Option<f64>,
    /// Credit enhancement: subordination `A` plus overcollateralization and reserve.
    pub credit_enhancement: f64,
}

impl TrancheRisk {
    /// The risk of `tranche` (named `name`) under `dist`.
    pub fn of(
        name: &str,
        tranche: Tranche,
        dist: &dyn LossDistribution,
        extra_enhancement: f64,
    ) -> Self {
        let est = dist.tranche(tranche);
        let pd = est.default_probability.value;
        let loss_given_default = (pd > 0.0).then(|| (est.expected_loss.value / pd).min(1.0));
        Self {
            name: name.to_string(),
            attach: tranche.attach(),
            detach: tranche.detach(),
            expected_loss: est.expected_loss,
            default_probability: est.default_probability,
            loss_given_default,
            credit_enhancement: (tranche.attach() + extra_enhancement).min(1.0),
        }
    }
}

/// Expected tranche loss over time: one point per horizon, from the pool loss distribution
/// at that horizon (`(years, distribution)` pairs in increasing time).
pub fn expected_loss_over_time(
    tranche: Tranche,
    horizons: &[(f64, &dyn LossDistribution)],
) -> Result<Vec<(f64, Estimate)>> {
    let mut last = 0.0;
    let mut out = Vec::with_capacity(horizons.len());
    for (i, &(t, dist)) in horizons.iter().enumerate() {
        if !(t.is_finite() && t > last || (i == 0 && t >= 0.0 && t.is_finite())) {
            return Err(PoolError::InvalidParameter {
                field: format!("horizon {}", i + 1),
                value: t,
                reason: "horizons must be finite, >= 0 and increasing",
            });
        }
        last = t;
        out.push((t, dist.tranche(tranche).expected_loss));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_contagion::mc::McDistribution;
    use creditlab_numerics::prec;

    #[test]
    fn validation_names_the_offending_tranche() {
        let ok = CapitalStructure::new([("E", 0.0, 0.05), ("M", 0.05, 0.15), ("S", 0.15, 1.0)]);
        assert_eq!(ok.unwrap().len(), 3);
        let gap = CapitalStructure::new([("E", 0.0, 0.05), ("M", 0.06, 0.15), ("S", 0.15, 1.0)])
            .unwrap_err();
        assert!(gap.to_string().contains("tranche M") && gap.to_string().contains("gap"));
        let overlap =
            CapitalStructure::new([("E", 0.0, 0.05), ("M", 0.04, 0.15), ("S", 0.15, 1.0)])
                .unwrap_err();
        assert!(
            overlap.to_string().contains("tranche M") && overlap.to_string().contains("overlap")
        );
        let short = CapitalStructure::new([("E", 0.0, 0.05), ("S", 0.05, 0.9)]).unwrap_err();
        assert!(short.to_string().contains("tranche S"));
        let bad = CapitalStructure::new([("E", 0.0, 0.05), ("S", 0.05, 1.2)]).unwrap_err();
        assert!(bad.to_string().contains("tranche S"));
        let start = CapitalStructure::new([("S", 0.05, 1.0)]).unwrap_err();
        assert!(start.to_string().contains("gap"));
        assert!(CapitalStructure::new(Vec::<(String, f64, f64)>::new()).is_err());
        // Tiling is exact (contagion's check_tiling): a sliver of 1e-13 is a gap, an overlap
        // of 1e-13 an overlap.
        let sliver = CapitalStructure::new([("E", 0.0, 0.05), ("S", 0.05 + 1e-13, 1.0)]);
        assert!(sliver.unwrap_err().to_string().contains("gap"));
        let overlap = CapitalStructure::new([("E", 0.0, 0.05), ("S", 0.05 - 1e-13, 1.0)]);
        assert!(overlap.unwrap_err().to_string().contains("overlap"));
        let from = CapitalStructure::from_detachments(vec!["E", "M", "S"], &[0.03, 0.1]).unwrap();
        assert_eq!(from.tranches()[2].tranche.attach(), 0.1);
    }

    #[test]
    fn risk_from_a_discrete_distribution() {
        // Pool losses 0, 0.02, 0.10, 0.30 with equal probability.
        let dist = McDistribution::from_losses(vec![0.0, 0.02, 0.10, 0.30]);
        let s =
            CapitalStructure::new([("E", 0.0, 0.05), ("M", 0.05, 0.2), ("S", 0.2, 1.0)]).unwrap();
        let r = s.risk(&dist, 0.01).unwrap();
        // Equity: losses 0, 0.4, 1, 1 -> EL 0.6, P(L > 0) = 0.75.
        assert!((r[0].expected_loss.value - 0.6).abs() <= prec::IDENTITY);
        assert!((r[0].default_probability.value - 0.75).abs() <= prec::IDENTITY);
        assert!((r[0].loss_given_default.unwrap() - 0.8).abs() <= prec::IDENTITY);
        // Mezzanine: losses 0, 0, 1/3, 1 -> EL 1/3, P = 0.5.
        assert!((r[1].expected_loss.value - 1.0 / 3.0).abs() <= prec::IDENTITY);
        assert!((r[1].default_probability.value - 0.5).abs() <= prec::IDENTITY);
        // Senior: 0.1/0.8 in one scenario.
        assert!((r[2].expected_loss.value - 0.125 / 4.0).abs() <= prec::IDENTITY);
        assert!((r[2].credit_enhancement - 0.21).abs() <= prec::IDENTITY);
        // Tranche losses weighted by thickness add up to the pool's expected loss.
        let pool_el: f64 = r
            .iter()
            .map(|t| t.expected_loss.value * (t.detach - t.attach))
            .sum();
        assert!((pool_el - 0.105).abs() <= prec::IDENTITY);
        assert!(s.risk(&dist, -0.1).is_err());
    }

    #[test]
    fn loss_over_time_is_checked_and_follows_the_horizons() {
        let d1 = McDistribution::from_losses(vec![0.0, 0.02]);
        let d2 = McDistribution::from_losses(vec![0.02, 0.06]);
        let t = Tranche::new(0.0, 0.05).unwrap();
        let path = expected_loss_over_time(t, &[(1.0, &d1), (2.0, &d2)]).unwrap();
        assert!((path[0].1.value - 0.2).abs() <= prec::IDENTITY);
        assert!((path[1].1.value - 0.7).abs() <= prec::IDENTITY);
        assert!(expected_loss_over_time(t, &[(2.0, &d1), (1.0, &d2)]).is_err());
    }
}
