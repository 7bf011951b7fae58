//! Diversification in theory and in reality: the default rate `D/N` of a homogeneous pool
//! of `N` loans with default probability `p` under a one-factor Gaussian copula of asset
//! correlation `rho`. With independent defaults its standard deviation falls like
//! `1/sqrt(N)`; with correlated ones it stops at a floor no pool size removes.
//!
//! ```
//! use creditlab_contagion::diversification::{default_rate_quantile, default_rate_sd};
//! // Independent: the sd of a 10,000-loan pool's default rate is sqrt(p (1 - p) / N).
//! let sd = default_rate_sd(0.02, 0.0, 10_000)?;
//! assert!((sd - (0.02f64 * 0.98 / 10_000.0).sqrt()).abs() < 1e-15);
//! // Correlated: at rho 0.15 the floor is far above that.
//! assert!(default_rate_sd(0.02, 0.15, 10_000)? > 10.0 * sd);
//! let (q, method) = default_rate_quantile(0.02, 0.15, 100_000, 0.999)?;
//! assert_eq!(method, "large-pool limit");
//! assert!(q > 0.1);
//! # Ok::<(), creditlab_contagion::Error>(())
//! ```

use crate::copula::Copula;
use crate::distribution::LossDistribution;
use crate::error::{Error, Result};
use crate::exact::{ExactConfig, ExactLoss};
use crate::lhp::LargePool;
use crate::portfolio::Portfolio;
use creditlab_numerics::{bivariate::bivariate_norm_cdf, special::norm_ppf};
use statrs::distribution::{Binomial, DiscreteCDF};

/// Largest pool whose quantile [`default_rate_quantile`] computes by the exact finite-pool
/// recursion; beyond it the Vasicek large-pool limit, which the recursion approaches as `N`
/// grows (tested in this crate), is used.
pub const EXACT_UP_TO: usize = 2_000;

fn check(pd: f64, rho: f64, n: usize) -> Result<()> {
    if !(pd > 0.0 && pd < 1.0) {
        return Err(Error::InvalidParameter {
            field: "pd".into(),
            value: pd,
            reason: "must be in (0, 1)",
        });
    }
    if !(0.0..1.0).contains(&rho) {
        return Err(Error::InvalidParameter {
            field: "rho".into(),
            value: rho,
            reason: "must be in [0, 1)",
        });
    }
    if n == 0 {
        return Err(Error::InvalidParameter {
            field: "loans".into(),
            value: 0.0,
            reason: "must be at least 1",
        });
    }
    Ok(())
}

/// Standard deviation of the default rate, exact for any `N`:
/// `Var(D/N) = p2 - p^2 + (p - p2) / N` with `p2 = Phi2(c, c; rho)` the probability that
/// two given loans both default (`c = Phi^-1(p)`; `p2 = p^2` when independent).
pub fn default_rate_sd(pd: f64, rho: f64, n: usize) -> Result<f64> {
    check(pd, rho, n)?;
    let p2 = if rho == 0.0 {
        pd * pd
    } else {
        let c = norm_ppf(pd);
        bivariate_norm_cdf(c, c, rho)
    };
    let var = (p2 - pd * pd) + (pd - p2) / n as f64;
    Ok(var.max(0.0).sqrt())
}

/// The `level` quantile of the default rate and how it was computed: `binomial` when
/// independent, `exact` (the finite-pool recursion) up to [`EXACT_UP_TO`] loans, `large-pool
/// limit` (Vasicek) beyond.
pub fn default_rate_quantile(
    pd: f64,
    rho: f64,
    n: usize,
    level: f64,
) -> Result<(f64, &'static str)> {
    check(pd, rho, n)?;
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::InvalidParameter {
            field: "level".into(),
            value: level,
            reason: "must be in (0, 1)",
        });
    }
    Ok(if rho == 0.0 {
        let b = Binomial::new(pd, n as u64).map_err(|e| Error::Unsupported {
            method: "binomial",
            reason: e.to_string(),
        })?;
        (b.inverse_cdf(level) as f64 / n as f64, "binomial")
    } else if n <= EXACT_UP_TO {
        let pool = Portfolio::homogeneous(n, pd, 1.0)?;
        let dist = ExactLoss::new(&pool, &Copula::gaussian(rho)?, &ExactConfig::default())?;
        (dist.value_at_risk(level)?.value, "exact")
    } else {
        let lhp = LargePool::from_parameters(pd, rho, 1.0)?;
        (lhp.default_fraction_quantile(level)?, "large-pool limit")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn the_floor_is_the_large_pool_sd_and_independence_has_none() {
        // As N grows the sd tends to sqrt(p2 - p^2), the sd of the Vasicek default rate.
        let (p, rho) = (0.02, 0.15);
        let c = norm_ppf(p);
        let floor = (bivariate_norm_cdf(c, c, rho) - p * p).sqrt();
        // At 1e7 loans the idiosyncratic term (p - p2) / N adds about 2e-9 to a variance of
        // about 6e-4: a relative 2e-6 on the sd.
        const IDIOSYNCRATIC_AT_1E7: f64 = 1e-5;
        let big = default_rate_sd(p, rho, 10_000_000).unwrap();
        assert!(
            prec::relative_close(big, floor, IDIOSYNCRATIC_AT_1E7, 0.0),
            "{big} vs {floor}"
        );
        // One loan: a Bernoulli.
        let one = default_rate_sd(p, rho, 1).unwrap();
        assert!((one - (p * (1.0 - p)).sqrt()).abs() <= prec::SPECIAL);
        assert!(default_rate_sd(0.0, 0.1, 10).is_err());
        assert!(default_rate_sd(0.1, 1.0, 10).is_err());
        assert!(default_rate_quantile(0.1, 0.1, 10, 1.0).is_err());
    }

    #[test]
    fn quantile_methods_by_size_and_correlation() {
        assert_eq!(
            default_rate_quantile(0.02, 0.0, 100, 0.999).unwrap().1,
            "binomial"
        );
        let (exact, m) = default_rate_quantile(0.02, 0.15, 2_000, 0.999).unwrap();
        assert_eq!(m, "exact");
        let (limit, m) = default_rate_quantile(0.02, 0.15, 2_001, 0.999).unwrap();
        assert_eq!(m, "large-pool limit");
        // At 2,000 loans the finite pool is within a percentage point of its limit (the
        // granularity adjustment is of order 1/N).
        const GRANULARITY_AT_2000: f64 = 0.01;
        assert!(
            (exact - limit).abs() < GRANULARITY_AT_2000,
            "{exact} vs {limit}"
        );
    }
}
