//! Model risk: rate the tranches of a homogeneous pool under an assumed default
//! probability and correlation, then show their loss distributions under stressed ones.
//!
//! The 2007 story: a senior tranche rated AAA at a low asset correlation has a default
//! probability orders of magnitude higher when correlation (and PD) turn out higher; the
//! pool's expected loss changes only with PD, the tranche's risk changes with both.

use crate::error::{Result, check_positive, check_range};
use crate::pricing::HomogeneousBasket;
use crate::rating::rate_by_default_probability;
use crate::structure::CapitalStructure;
use creditlab_contagion::{Copula, LossDistribution};
use creditlab_grade::{Grade, MasterScale};
use serde::Serialize;

/// One set of model inputs: default probability over the horizon and asset correlation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModelPoint {
    /// Default probability of each loan over the horizon.
    pub pd: f64,
    /// Asset correlation (one-factor Gaussian).
    pub rho: f64,
}

/// A tranche's figures under one model point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrancheUnderModel {
    /// The model point.
    pub model: ModelPoint,
    /// Probability of any loss over the horizon.
    pub default_probability: f64,
    /// Expected loss, fraction of the tranche notional.
    pub expected_loss: f64,
    /// Rating of the default probability on the master scale.
    pub rating: Grade,
}

/// A tranche rated under the base model and re-measured under each stress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRisk {
    /// The tranche's name.
    pub name: String,
    /// Attachment point.
    pub attach: f64,
    /// Detachment point.
    pub detach: f64,
    /// Under the assumed model (the rating it was sold with).
    pub base: TrancheUnderModel,
    /// Under each stressed model, in the order given.
    pub stressed: Vec<TrancheUnderModel>,
}

/// Rates `structure` over a pool of `names` equal loans with `lgd` at `base` and
/// re-measures it at every point of `stresses` (one-factor Gaussian copula, exact
/// finite-pool distribution over `horizon` years, ratings on `scale`).
pub fn model_risk(
    structure: &CapitalStructure,
    names: usize,
    lgd: f64,
    horizon: f64,
    base: ModelPoint,
    stresses: &[ModelPoint],
    scale: &MasterScale,
) -> Result<Vec<ModelRisk>> {
    check_range("lgd", lgd, 0.0, 1.0)?;
    check_positive("horizon", horizon)?;
    let measure = |m: ModelPoint| -> Result<Vec<TrancheUnderModel>> {
        check_range("pd", m.pd, 0.0, 1.0)?;
        if m.pd >= 1.0 {
            return Err(crate::PoolError::InvalidParameter {
                field: "pd".into(),
                value: m.pd,
                reason: "must be below 1",
            });
        }
        let hazard = -(-m.pd).ln_1p() / horizon;
        let basket = HomogeneousBasket::new(names, hazard, 1.0 - lgd, Copula::gaussian(m.rho)?)?;
        let dist = basket.loss_distribution(horizon)?;
        structure
            .tranches()
            .iter()
            .map(|t| {
                let est = dist.tranche(t.tranche);
                let pd = est.default_probability.value;
                Ok(TrancheUnderModel {
                    model: m,
                    default_probability: pd,
                    expected_loss: est.expected_loss.value,
                    rating: rate_by_default_probability(scale, pd.min(1.0), horizon)?,
                })
            })
            .collect()
    };
    let base_rows = measure(base)?;
    let stressed_rows = stresses
        .iter()
        .map(|&m| measure(m))
        .collect::<Result<Vec<_>>>()?;
    Ok(structure
        .tranches()
        .iter()
        .enumerate()
        .map(|(i, t)| ModelRisk {
            name: t.name.clone(),
            attach: t.tranche.attach(),
            detach: t.tranche.detach(),
            base: base_rows[i],
            stressed: stressed_rows.iter().map(|r| r[i]).collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_senior_tranche_rated_at_low_correlation_collapses_under_stress() {
        let s = CapitalStructure::new([
            ("equity", 0.0, 0.05),
            ("mezz", 0.05, 0.12),
            ("senior", 0.12, 1.0),
        ])
        .unwrap();
        let scale = MasterScale::standard();
        let base = ModelPoint {
            pd: 0.05,
            rho: 0.05,
        };
        let stresses = [
            ModelPoint {
                pd: 0.05,
                rho: 0.30,
            },
            ModelPoint {
                pd: 0.10,
                rho: 0.30,
            },
        ];
        let r = model_risk(&s, 200, 0.5, 5.0, base, &stresses, &scale).unwrap();
        let senior = &r[2];
        assert!(senior.base.rating <= Grade::AA, "{:?}", senior.base);
        // Correlation alone multiplies the senior default probability many times over...
        assert!(senior.stressed[0].default_probability > 20.0 * senior.base.default_probability);
        assert!(senior.stressed[0].rating > senior.base.rating);
        // ... and with a higher PD the tranche falls below investment grade.
        assert!(
            !senior.stressed[1].rating.is_investment_grade(),
            "{:?}",
            senior.stressed[1]
        );
        // Higher correlation helps the equity tranche: its expected loss falls.
        assert!(r[0].stressed[0].expected_loss < r[0].base.expected_loss);
        assert!(
            model_risk(
                &s,
                200,
                0.5,
                5.0,
                ModelPoint { pd: 1.0, rho: 0.1 },
                &[],
                &scale
            )
            .is_err()
        );
    }
}
