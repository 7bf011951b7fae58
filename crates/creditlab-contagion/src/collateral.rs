//! Loss given default produced by collateral: a house (or any asset) whose value moves with
//! the copula's systematic factor, so that bad states bring both more defaults and lower
//! recoveries (downturn LGD, PD-LGD correlation). See docs/methodology/collateral-lgd.md.
//!
//! At liquidation the collateral per unit of EAD is worth
//!
//! ```text
//! V = value * exp(drift + loading * z + volatility * eps)
//! ```
//!
//! with `z` the copula's first systematic state component (as
//! [`Copula::conditional_pd`](crate::Copula::conditional_pd) reads it: `z` for the Gaussian,
//! the normal part `z` of the Student-t's `(z, s)`, `z_1` of a multi-factor model) and
//! `eps ~ N(0, 1)` idiosyncratic. A forced sale realises `(1 - discount) V` and foreclosure
//! costs `cost` per unit of EAD, so the recovery is `(1 - discount) V - cost` and the loss
//! per unit of EAD is
//!
//! ```text
//! LGD = min(max(1 + cost - (1 - discount) V, 0), 1 + cost) = (K - Y)+,
//!     K = 1 + cost,  Y = (1 - discount) V >= 0
//! ```
//!
//! (the upper clamp never binds since `Y >= 0`; a sale above the debt plus costs returns the
//! surplus to the borrower, so the loss is never negative). `LGD` can exceed 1 when costs
//! exceed what the sale brings. With `loading > 0` a low `z` lowers the collateral value.
//!
//! Given `z`, `ln Y` is normal with mean `m(z) = ln((1 - discount) value) + drift + loading z`
//! and standard deviation `volatility`, so the conditional mean LGD is a Black-Scholes put on
//! `Y` struck at `K`: `E[LGD | z] = K Phi(-d2) - exp(m + s^2 / 2) Phi(-d1)`,
//! `d1 = (m + s^2 - ln K) / s`, `d2 = d1 - s` ([`Collateral::conditional_mean`]).

use crate::error::{Error, Result};
use creditlab_numerics::bivariate::bivariate_norm_cdf;
use creditlab_numerics::special::norm_cdf;
use serde::{Deserialize, Serialize};

/// The parameters of a collateral-driven LGD ([`Lgd::Collateral`](crate::Lgd::Collateral)).
///
/// ```
/// use creditlab_contagion::collateral::Collateral;
/// // A mortgage at 80% LTV (collateral 1.25 per unit of debt), house prices loading 0.15 on
/// // the factor, 20% idiosyncratic volatility, 25% forced-sale discount, 5% costs.
/// let house = Collateral::new(1.25, 0.0, 0.15, 0.2, 0.25, 0.05)?;
/// // A bad state (z = -3) lowers the house price: the expected LGD rises.
/// assert!(house.conditional_mean(-3.0) > house.conditional_mean(0.0));
/// assert!(house.mean() > 0.0 && house.mean() < house.max_loss());
/// // One draw at z = eps = 0: the house (1.25) sells at 75%, costs 0.05 come on top.
/// let lgd = house.loss(0.0, 0.0);
/// assert!((lgd - (1.05 - 0.75 * 1.25f64)).abs() < 1e-15);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Collateral {
    /// Collateral value per unit of EAD at the start (`1 / LTV`), > 0.
    pub value: f64,
    /// `mu`: drift of the log value to liquidation, finite.
    pub drift: f64,
    /// `b`: loading of the log value on the systematic factor `z`, finite (> 0: the
    /// collateral falls in bad states).
    pub loading: f64,
    /// `s`: idiosyncratic standard deviation of the log value, >= 0.
    pub volatility: f64,
    /// Forced-sale discount on the value, in [0, 1).
    pub discount: f64,
    /// Foreclosure costs per unit of EAD (legal, carrying, selling), >= 0.
    pub cost: f64,
}

impl Collateral {
    /// A validated collateral law (see [`Collateral::validate`]).
    pub fn new(
        value: f64,
        drift: f64,
        loading: f64,
        volatility: f64,
        discount: f64,
        cost: f64,
    ) -> Result<Self> {
        let c = Self {
            value,
            drift,
            loading,
            volatility,
            discount,
            cost,
        };
        c.validate("")?;
        Ok(c)
    }

    /// Checks every parameter; `prefix` (e.g. `exposure 3`) starts the field name, and the
    /// field is the portfolio CSV's column (`collateral_value`, `collateral_drift`,
    /// `collateral_loading`, `collateral_vol`, `collateral_discount`, `collateral_cost`).
    pub fn validate(&self, prefix: &str) -> Result<()> {
        let bad = |name: &str, value: f64, reason: &'static str| {
            Err(Error::InvalidParameter {
                field: crate::portfolio::named(prefix, name),
                value,
                reason,
            })
        };
        if !(self.value.is_finite() && self.value > 0.0) {
            return bad("collateral_value", self.value, "must be finite and > 0");
        }
        if !self.drift.is_finite() {
            return bad("collateral_drift", self.drift, "must be finite");
        }
        if !self.loading.is_finite() {
            return bad("collateral_loading", self.loading, "must be finite");
        }
        if !(self.volatility.is_finite() && self.volatility >= 0.0) {
            return bad("collateral_vol", self.volatility, "must be finite and >= 0");
        }
        if !(self.discount.is_finite() && (0.0..1.0).contains(&self.discount)) {
            return bad("collateral_discount", self.discount, "must be in [0, 1)");
        }
        if !(self.cost.is_finite() && self.cost >= 0.0) {
            return bad("collateral_cost", self.cost, "must be finite and >= 0");
        }
        Ok(())
    }

    /// `K = 1 + cost`: the largest loss per unit of EAD (the sale realises nothing).
    pub fn max_loss(&self) -> f64 {
        1.0 + self.cost
    }

    /// Whether the LGD is one known number: no loading and no idiosyncratic volatility.
    pub fn is_constant(&self) -> bool {
        self.loading == 0.0 && self.volatility == 0.0
    }

    /// `ln((1 - discount) value) + drift`: the mean of `ln Y` at `z = 0`.
    fn log_sale(&self) -> f64 {
        ((1.0 - self.discount) * self.value).ln() + self.drift
    }

    /// The loss per unit of EAD for factor value `z` and idiosyncratic draw `eps`:
    /// `max(1 + cost - (1 - discount) value exp(drift + loading z + volatility eps), 0)`.
    #[inline]
    pub fn loss(&self, z: f64, eps: f64) -> f64 {
        let y = (self.log_sale() + self.loading * z + self.volatility * eps).exp();
        (self.max_loss() - y).max(0.0)
    }

    /// `E[LGD | z]`: the put `E[(K - Y)+]` with `ln Y ~ N(m(z), volatility^2)`.
    pub fn conditional_mean(&self, z: f64) -> f64 {
        put(
            self.max_loss(),
            self.log_sale() + self.loading * z,
            self.volatility,
        )
    }

    /// `E[LGD]` for `z ~ N(0, 1)` (every copula but the double-t, whose market factor is a
    /// Student-t): the same put with the total log standard deviation
    /// `sqrt(loading^2 + volatility^2)`.
    pub fn mean(&self) -> f64 {
        put(
            self.max_loss(),
            self.log_sale(),
            self.loading.hypot(self.volatility),
        )
    }

    /// `E[1{X <= c} LGD]` for a standard normal latent variable `X` whose covariance with
    /// `z ~ N(0, 1)` is `a` (the obligor's loading on the first factor: `sqrt(rho)` in the
    /// one-factor Gaussian), `X` independent of `eps`: the default-weighted loss, closed form
    /// with the bivariate normal. Dividing by `Phi(c)` gives the mean LGD given default, which
    /// exceeds [`Collateral::mean`] when `a loading > 0` (defaults happen in bad states).
    pub fn default_weighted_mean(&self, c: f64, a: f64) -> f64 {
        let k = self.max_loss();
        let m0 = self.log_sale();
        let sigma = self.loading.hypot(self.volatility);
        if c == f64::NEG_INFINITY {
            return 0.0;
        }
        if sigma == 0.0 {
            return (k - m0.exp()).max(0.0) * norm_cdf(c);
        }
        // ln Y = m0 + sigma W with corr(X, W) = a loading / sigma; under the measure weighted
        // by Y, W shifts by sigma and X by a loading.
        let r = (a * self.loading / sigma).clamp(-1.0, 1.0);
        let d = (k.ln() - m0) / sigma;
        let forward = (m0 + 0.5 * sigma * sigma).exp();
        let v = k * bivariate_norm_cdf(c, d, r)
            - forward * bivariate_norm_cdf(c - a * self.loading, d - sigma, r);
        v.max(0.0)
    }
}

/// `E[(k - Y)+]` for `ln Y ~ N(m, s^2)`, `k > 0`: Black-Scholes' put (undiscounted).
pub fn put(k: f64, m: f64, s: f64) -> f64 {
    if s == 0.0 {
        return (k - m.exp()).max(0.0);
    }
    let d2 = (m - k.ln()) / s;
    let d1 = d2 + s;
    let v = k * norm_cdf(-d2) - (m + 0.5 * s * s).exp() * norm_cdf(-d1);
    v.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;
    use creditlab_numerics::quadrature::adaptive_pair;
    use creditlab_numerics::special::norm_pdf;

    /// Tolerance of the adaptive Gauss-Legendre integrals the tests compare with.
    const ADAPTIVE: f64 = 1e-14;

    fn house() -> Collateral {
        Collateral::new(1.25, -0.02, 0.15, 0.2, 0.25, 0.05).unwrap()
    }

    /// `int_a^b f(x) phi(x) dx` by adaptive Gauss-Legendre.
    fn normal_integral(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
        adaptive_pair(&|x: f64| (f(x) * norm_pdf(x), 0.0), a, b, ADAPTIVE).0
    }

    #[test]
    fn conditional_mean_is_the_integral_over_the_idiosyncratic_draw() {
        let c = house();
        for z in [-4.0, -2.0, 0.0, 1.5] {
            // The loss has a kink where the sale covers the debt: integrate on both sides.
            let kink = ((c.max_loss().ln() - c.log_sale() - c.loading * z) / c.volatility)
                .clamp(-12.0, 12.0);
            let num = normal_integral(|e| c.loss(z, e), -12.0, kink)
                + normal_integral(|e| c.loss(z, e), kink, 12.0);
            assert!(
                prec::relative_close(c.conditional_mean(z), num, prec::QUADRATURE, 1e-12),
                "z {z}: {} vs {num}",
                c.conditional_mean(z)
            );
        }
        // Without volatility the put is its intrinsic value.
        let flat = Collateral::new(0.9, 0.0, 0.3, 0.0, 0.1, 0.0).unwrap();
        for z in [-2.0, 0.5] {
            let want = (1.0 - 0.9 * 0.9 * (0.3f64 * z).exp()).max(0.0);
            assert!((flat.conditional_mean(z) - want).abs() <= prec::IDENTITY);
        }
    }

    #[test]
    fn unconditional_mean_is_the_quadrature_over_the_factor() {
        for c in [
            house(),
            Collateral::new(1.1, 0.05, 0.4, 0.05, 0.3, 0.1).unwrap(),
        ] {
            let q = normal_integral(|z| c.conditional_mean(z), -12.0, 12.0);
            assert!(
                prec::relative_close(c.mean(), q, prec::QUADRATURE, 1e-12),
                "{} vs {q}",
                c.mean()
            );
            // The default-weighted mean: E[Phi((c - a z)/sqrt(1 - a^2)) E[LGD | z]].
            let (pd_c, a) = (-2.0f64, 0.45f64);
            let q = normal_integral(
                |z| norm_cdf((pd_c - a * z) / (1.0 - a * a).sqrt()) * c.conditional_mean(z),
                -12.0,
                12.0,
            );
            assert!(
                prec::relative_close(c.default_weighted_mean(pd_c, a), q, prec::QUADRATURE, 1e-12),
                "{} vs {q}",
                c.default_weighted_mean(pd_c, a)
            );
            // Defaults in bad states meet low collateral values: the LGD given default is
            // above the mean LGD.
            assert!(c.default_weighted_mean(pd_c, a) / norm_cdf(pd_c) > c.mean());
        }
    }

    #[test]
    fn parameters_are_validated_naming_the_column() {
        for (bad, field) in [
            (
                Collateral::new(0.0, 0.0, 0.1, 0.1, 0.1, 0.0),
                "collateral_value",
            ),
            (
                Collateral::new(1.0, f64::NAN, 0.1, 0.1, 0.1, 0.0),
                "collateral_drift",
            ),
            (
                Collateral::new(1.0, 0.0, f64::INFINITY, 0.1, 0.1, 0.0),
                "collateral_loading",
            ),
            (
                Collateral::new(1.0, 0.0, 0.1, -0.1, 0.1, 0.0),
                "collateral_vol",
            ),
            (
                Collateral::new(1.0, 0.0, 0.1, 0.1, 1.0, 0.0),
                "collateral_discount",
            ),
            (
                Collateral::new(1.0, 0.0, 0.1, 0.1, 0.1, -0.5),
                "collateral_cost",
            ),
        ] {
            assert_eq!(bad.unwrap_err().field(), Some(field));
        }
    }
}
