//! Re-securitization: a CDO squared.
//!
//! `pools` underlying pools of `names` equal loans each (default probability `pd` over the
//! horizon, loss given default `lgd`) whose loans all load on one common factor (one-factor
//! Gaussian copula, asset correlation `rho`). The same mezzanine tranche `inner` is cut
//! from every underlying pool; the CDO squared holds those mezzanine tranches in equal
//! notional and tranches their average loss again (`outer`).
//!
//! Held directly, the mezzanine tranches lose their average loss `C = mean_j M_j`. The
//! senior notes of the CDO squared lose only when many mezzanine tranches are hit at once,
//! which happens through the common factor alone: re-tranching concentrates correlation
//! risk in the "senior" notes, whose default probability rises with `rho` many times faster
//! than that of the mezzanine tranches they are made of.
//!
//! Simulated: given the common factor `Z ~ N(0, 1)` each loan defaults with
//! `p(Z) = Phi((Phi^-1(pd) - sqrt(rho) Z) / sqrt(1 - rho))`, so the number of defaults in
//! each pool is an independent `Binomial(names, p(Z))` draw; streams from contagion's
//! seeded [`creditlab_contagion::rng::stream`], one per scenario (reproducible and
//! independent of threading).

use crate::error::{PoolError, Result, check_range};
use crate::structure::{CapitalStructure, TrancheRisk};
use creditlab_contagion::copula::{gaussian_conditional_pd, gaussian_threshold};
use creditlab_contagion::mc::McDistribution;
use creditlab_contagion::{LossDistribution, Tranche};
use rand_distr::{Binomial, Distribution, StandardNormal};
use serde::Serialize;

/// A CDO squared over homogeneous underlying pools sharing one common factor.
#[derive(Debug, Clone, PartialEq)]
pub struct CdoSquared {
    pools: usize,
    names: usize,
    pd: f64,
    lgd: f64,
    inner: Tranche,
    outer: CapitalStructure,
}

/// The result at one correlation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CdoSquaredRisk {
    /// Asset correlation of the common factor.
    pub rho: f64,
    /// The mezzanine tranches held directly: expected loss and probability that any of
    /// them loses (the CDO squared's collateral).
    pub mezzanine_held_directly: TrancheRisk,
    /// The CDO squared's tranches, junior first.
    pub outer: Vec<TrancheRisk>,
}

impl CdoSquared {
    /// Validates: at least one pool and one loan per pool, `pd` and `lgd` in [0, 1].
    pub fn new(
        pools: usize,
        names: usize,
        pd: f64,
        lgd: f64,
        inner: Tranche,
        outer: CapitalStructure,
    ) -> Result<Self> {
        if pools == 0 || names == 0 {
            return Err(PoolError::InvalidParameter {
                field: if pools == 0 { "pools" } else { "names" }.into(),
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        check_range("pd", pd, 0.0, 1.0)?;
        check_range("lgd", lgd, 0.0, 1.0)?;
        Ok(Self {
            pools,
            names,
            pd,
            lgd,
            inner,
            outer,
        })
    }

    /// Simulates `scenarios` draws at correlation `rho` with `seed`.
    pub fn risk(&self, rho: f64, scenarios: u64, seed: u64) -> Result<CdoSquaredRisk> {
        check_range("rho", rho, 0.0, 1.0)?;
        if scenarios == 0 {
            return Err(PoolError::InvalidParameter {
                field: "scenarios".into(),
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        let c = gaussian_threshold(self.pd);
        let n = self.names as u64;
        let mut collateral = Vec::with_capacity(scenarios as usize);
        for s in 0..scenarios {
            let mut rng = creditlab_contagion::rng::stream(seed, s);
            let z: f64 = StandardNormal.sample(&mut rng);
            let p = if self.pd <= 0.0 {
                0.0
            } else if self.pd >= 1.0 {
                1.0
            } else {
                gaussian_conditional_pd(c, rho, z).clamp(0.0, 1.0)
            };
            let binomial = Binomial::new(n, p)
                .map_err(|e| PoolError::Unsupported(format!("binomial draw with p = {p}: {e}")))?;
            let mut sum = 0.0;
            for _ in 0..self.pools {
                let k = binomial.sample(&mut rng) as f64;
                sum += self.inner.loss(k * self.lgd / self.names as f64);
            }
            collateral.push(sum / self.pools as f64);
        }
        let dist = McDistribution::from_losses(collateral);
        let whole = Tranche::new(0.0, 1.0)?;
        Ok(CdoSquaredRisk {
            rho,
            mezzanine_held_directly: TrancheRisk::of("mezzanine held directly", whole, &dist, 0.0),
            outer: self.outer.risk(&dist as &dyn LossDistribution, 0.0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re_tranching_concentrates_correlation_risk_in_the_senior_notes() {
        let outer = CapitalStructure::new([("junior", 0.0, 0.3), ("senior", 0.3, 1.0)]).unwrap();
        let cdo2 =
            CdoSquared::new(10, 100, 0.05, 0.5, Tranche::new(0.04, 0.08).unwrap(), outer).unwrap();
        let low = cdo2.risk(0.05, 40_000, 7).unwrap();
        let high = cdo2.risk(0.30, 40_000, 7).unwrap();
        let mezz_low = low.mezzanine_held_directly.default_probability.value;
        let mezz_high = high.mezzanine_held_directly.default_probability.value;
        let senior_low = low.outer[1].default_probability.value;
        let senior_high = high.outer[1].default_probability.value;
        // The senior notes are safer than the mezzanine tranches they hold...
        assert!(senior_low < mezz_low && senior_high < mezz_high);
        // ... but their default probability rises with correlation many times faster.
        assert!(senior_low > 0.0, "{senior_low}");
        assert!(
            senior_high / senior_low > 3.0 * (mezz_high / mezz_low),
            "senior {senior_low} -> {senior_high}, mezzanine {mezz_low} -> {mezz_high}"
        );
        // The expected loss of the collateral (the mezzanine tranches) is the thickness-
        // weighted sum of the outer tranches' expected losses.
        let el: f64 = high
            .outer
            .iter()
            .map(|t| t.expected_loss.value * (t.detach - t.attach))
            .sum();
        assert!((el - high.mezzanine_held_directly.expected_loss.value).abs() < 1e-12);
        assert!(cdo2.risk(1.5, 10, 1).is_err());
        assert!(cdo2.risk(0.1, 0, 1).is_err());
    }
}
