//! Student-t distribution functions for the t and double-t copulas.
//!
//! The CDF uses the regularized incomplete beta function of statrs,
//! `F(x) = I_{nu/(nu+x^2)}(nu/2, 1/2) / 2` for `x <= 0`, which keeps relative accuracy in
//! the lower tail (where the default thresholds live); the quantile starts from statrs'
//! inverse and is polished by Newton steps against that CDF.

use crate::special::{norm_cdf, norm_pdf, norm_ppf};
use statrs::function::beta::{beta_reg, inv_beta_reg};
use statrs::function::gamma::ln_gamma;

/// Above this many degrees of freedom the t distribution is replaced by the normal: the
/// difference is below 1e-8 relative and the incomplete beta loses accuracy.
pub const NORMAL_LIMIT_NU: f64 = 1e8;

/// CDF of the standard Student-t with `nu > 0` degrees of freedom.
pub fn t_cdf(x: f64, nu: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if nu >= NORMAL_LIMIT_NU {
        return norm_cdf(x);
    }
    if x == f64::NEG_INFINITY {
        return 0.0;
    }
    if x == f64::INFINITY {
        return 1.0;
    }
    let lower = 0.5 * beta_reg(0.5 * nu, 0.5, nu / (nu + x * x));
    if x <= 0.0 { lower } else { 1.0 - lower }
}

/// Density of the standard Student-t with `nu` degrees of freedom.
pub fn t_pdf(x: f64, nu: f64) -> f64 {
    if nu >= NORMAL_LIMIT_NU {
        return norm_pdf(x);
    }
    let ln_c =
        ln_gamma(0.5 * (nu + 1.0)) - ln_gamma(0.5 * nu) - 0.5 * (nu * std::f64::consts::PI).ln();
    (ln_c - 0.5 * (nu + 1.0) * (x * x / nu).ln_1p()).exp()
}

/// Quantile of the standard Student-t; `-inf` at 0, `+inf` at 1, NaN outside `[0, 1]`.
pub fn t_ppf(p: f64, nu: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if nu >= NORMAL_LIMIT_NU {
        return norm_ppf(p);
    }
    // Work in the lower half and reflect: the t is symmetric.
    let (q, sign) = if p > 0.5 { (1.0 - p, 1.0) } else { (p, -1.0) };
    if q == 0.5 {
        return 0.0;
    }
    let y = inv_beta_reg(0.5 * nu, 0.5, 2.0 * q);
    let mut x = -(nu * (1.0 - y) / y).sqrt();
    if !x.is_finite() {
        x = norm_ppf(q);
    }
    for _ in 0..4 {
        let f = t_cdf(x, nu);
        let d = t_pdf(x, nu);
        if d <= 0.0 || !d.is_finite() {
            break;
        }
        let step = (f - q) / d;
        if !step.is_finite() {
            break;
        }
        x -= step;
        if step.abs() <= 1e-15 * x.abs() {
            break;
        }
    }
    sign * x.abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec;
    use approx::assert_relative_eq;

    /// statrs' regularized incomplete beta at nu = 1 and 2 against their closed forms:
    /// better than its general accuracy ([`prec::STATRS`]); observed 2.6e-13 at nu = 2.
    const BETA_REG_SMALL_NU: f64 = 1e-12;
    /// The t CDF at nu = 1e7 is the normal's up to O(1/nu) (observed 6.1e-7 relative at
    /// x = -2).
    const NEAR_NORMAL_NU: f64 = 1e-6;

    #[test]
    fn t_reference_values() {
        // Closed forms: nu = 1 is Cauchy, F(x) = 1/2 + atan(x)/pi; nu = 2 has
        // F(x) = 1/2 + x / (2 sqrt(2 + x^2)).
        for x in [-50.0, -3.0, -0.7, 0.0, 1.3, 8.0] {
            let cauchy = 0.5 + f64::atan(x) / std::f64::consts::PI;
            assert_relative_eq!(t_cdf(x, 1.0), cauchy, max_relative = BETA_REG_SMALL_NU);
            let two = 0.5 + x / (2.0 * (2.0 + x * x).sqrt());
            assert_relative_eq!(t_cdf(x, 2.0), two, max_relative = BETA_REG_SMALL_NU);
        }
        // Lower-tail relative accuracy for nu = 2: F(-1e4) = (1 - 1e4/sqrt(2 + 1e8)) / 2,
        // written without cancellation as 1 / (2 sqrt(2 + x^2) (sqrt(2 + x^2) + |x|)).
        let x: f64 = 1e4;
        let s = (2.0 + x * x).sqrt();
        assert_relative_eq!(
            t_cdf(-x, 2.0),
            1.0 / (s * (s + x)),
            max_relative = prec::STATRS
        );
        // Quantiles computed with mpmath (30 digits, root of the regularized incomplete beta):
        // t_{0.975, 5} = 2.5705818356363155, t_{0.01, 10} = -2.7637694581126962.
        assert_relative_eq!(
            t_ppf(0.975, 5.0),
            2.570_581_835_636_314,
            max_relative = prec::COMPOSED
        );
        assert_relative_eq!(
            t_ppf(0.01, 10.0),
            -2.763_769_458_112_696,
            max_relative = prec::COMPOSED
        );
        for nu in [1.5, 3.0, 4.0, 30.0, 1e5] {
            for p in [1e-12, 1e-6, 0.003, 0.2, 0.5, 0.77, 0.999] {
                let x = t_ppf(p, nu);
                assert_relative_eq!(t_cdf(x, nu), p, max_relative = prec::STATRS);
            }
        }
        // Large nu approaches the normal.
        assert_relative_eq!(
            t_cdf(-2.0, 1e7),
            norm_cdf(-2.0),
            max_relative = NEAR_NORMAL_NU
        );
        assert_eq!(t_ppf(0.0, 4.0), f64::NEG_INFINITY);
        assert_eq!(t_ppf(1.0, 4.0), f64::INFINITY);
    }
}
