//! Vasicek's large homogeneous pool (LHP): the limit of the one-factor Gaussian model as the
//! number of equal, small exposures grows (Vasicek, 2002, "The distribution of loan
//! portfolio value", Risk 15(12)).
//!
//! Given the factor `Z`, the default fraction of an infinitely granular pool is its
//! conditional PD `X = Phi((c - sqrt(rho) Z) / sqrt(1 - rho))`, `c = Phi^-1(p)`, so
//! `P(X <= x) = Phi((sqrt(1 - rho) Phi^-1(x) - c) / sqrt(rho))`. With a constant LGD the
//! loss fraction is `L = LGD X`. Expected tranche losses are closed-form with the bivariate
//! normal CDF: `E[(X - k)+] = Phi2(c, z_k; sqrt(rho)) - k Phi(z_k)`,
//! `z_k = (c - sqrt(1 - rho) Phi^-1(k)) / sqrt(rho)`.
//! See [docs/methodology/large-pool.md](crate::methodology::large_pool).

use crate::copula::Copula;
use crate::discrete::DiscreteLoss;
use crate::distribution::{Estimate, LossDistribution, Tranche, TrancheEstimate, check_level};
use crate::error::{Error, Result, check_range};
use crate::portfolio::{Lgd, Portfolio};
use creditlab_numerics::bivariate::bivariate_norm_cdf;
use creditlab_numerics::quadrature::adaptive_pair;
use creditlab_numerics::special::{norm_cdf, norm_pdf, norm_ppf};

/// The Vasicek large-homogeneous-pool loss distribution.
///
/// ```
/// use creditlab_contagion::{LargePool, LossDistribution};
/// // PD 1%, asset correlation 20%, LGD 45%.
/// let pool = LargePool::from_parameters(0.01, 0.2, 0.45)?;
/// assert!((pool.expected_loss().value - 0.0045).abs() < 1e-15);
/// // The 99.9% quantile of the default fraction is 14.55%; the loss scales by the LGD.
/// let var = pool.value_at_risk(0.999)?.value;
/// assert!((var - 0.45 * 0.145_525).abs() < 1e-6);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LargePool {
    pd: f64,
    rho: f64,
    lgd: f64,
    c: f64,
    /// The degenerate cases (PD 0 or 1, rho 0 or 1, LGD 0) as a two-point distribution.
    degenerate: Option<DiscreteLoss>,
}

impl LargePool {
    /// The LHP with default probability `pd`, asset correlation `rho` and constant `lgd`.
    pub fn from_parameters(pd: f64, rho: f64, lgd: f64) -> Result<Self> {
        check_range("pd", pd, 0.0, 1.0)?;
        check_range("rho", rho, 0.0, 1.0)?;
        check_range("lgd", lgd, 0.0, 1.0)?;
        let degenerate = if pd == 0.0 || pd == 1.0 || rho == 0.0 || lgd == 0.0 {
            // Every scenario loses LGD * pd: a point mass.
            Some(DiscreteLoss::new(vec![lgd * pd], vec![1.0]))
        } else if rho == 1.0 {
            // All obligors default together: Bernoulli(pd) on {0, LGD}.
            Some(DiscreteLoss::new(vec![0.0, lgd], vec![1.0 - pd, pd]))
        } else {
            None
        };
        Ok(Self {
            pd,
            rho,
            lgd,
            c: norm_ppf(pd),
            degenerate,
        })
    }

    /// The LHP of a homogeneous portfolio under a one-factor Gaussian copula: every exposure
    /// must have the same PD and the same constant LGD (EADs may differ; the limit assumes
    /// no single exposure matters). Otherwise `Unsupported` — see [`LargePool::pool_average`].
    pub fn new(portfolio: &Portfolio, copula: &Copula) -> Result<Self> {
        let rho = gaussian_rho(copula)?;
        let pd = portfolio.pd()[0];
        if portfolio.pd().iter().any(|&p| p != pd) {
            return Err(Error::Unsupported {
                method: "lhp",
                reason: "the exposures' PDs differ; use LargePool::pool_average for the \
                         exposure-weighted approximation"
                    .into(),
            });
        }
        let lgd = match portfolio.lgd()[0] {
            Lgd::Constant(v) => v,
            _ => f64::NAN,
        };
        if portfolio
            .lgd()
            .iter()
            .any(|l| !matches!(l, Lgd::Constant(v) if *v == lgd))
        {
            return Err(Error::Unsupported {
                method: "lhp",
                reason: "LGDs differ or are random; use LargePool::pool_average".into(),
            });
        }
        Self::from_parameters(pd, rho, lgd)
    }

    /// An LHP approximation of a heterogeneous portfolio: the EAD-weighted mean LGD
    /// `lgd = sum EAD LGD / sum EAD` and the loss-weighted mean PD
    /// `pd = sum EAD LGD PD / sum EAD LGD`, so that the expected loss is preserved exactly.
    /// The tail is that of a homogeneous pool with those parameters (heterogeneous PDs
    /// give a different shape; this is the usual "pool-average" shortcut).
    pub fn pool_average(portfolio: &Portfolio, copula: &Copula) -> Result<Self> {
        let rho = gaussian_rho(copula)?;
        let total = portfolio.total_ead();
        let mut loss_ead = 0.0;
        let mut el = 0.0;
        for i in 0..portfolio.len() {
            let e = portfolio.ead()[i] * portfolio.lgd()[i].mean();
            loss_ead += e;
            el += e * portfolio.pd()[i];
        }
        let lgd = loss_ead / total;
        let pd = if loss_ead > 0.0 { el / loss_ead } else { 0.0 };
        Self::from_parameters(pd.clamp(0.0, 1.0), rho, lgd.clamp(0.0, 1.0))
    }

    /// Default probability of the pool.
    pub fn pd(&self) -> f64 {
        self.pd
    }

    /// Asset correlation.
    pub fn rho(&self) -> f64 {
        self.rho
    }

    /// Loss given default.
    pub fn lgd(&self) -> f64 {
        self.lgd
    }

    /// `P(X <= x)` for the default fraction `X` (not the loss), Vasicek's CDF.
    pub fn default_fraction_cdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        if x >= 1.0 {
            return 1.0;
        }
        if self.pd == 0.0 || self.pd == 1.0 || self.rho == 0.0 {
            return if x >= self.pd { 1.0 } else { 0.0 };
        }
        if self.rho == 1.0 {
            return 1.0 - self.pd;
        }
        norm_cdf(((1.0 - self.rho).sqrt() * norm_ppf(x) - self.c) / self.rho.sqrt())
    }

    /// Density of the default fraction on `(0, 1)` (0 for the degenerate cases, which have
    /// atoms instead).
    pub fn default_fraction_density(&self, x: f64) -> f64 {
        if self.degenerate.is_some() || x <= 0.0 || x >= 1.0 {
            return 0.0;
        }
        let (s, r) = ((1.0 - self.rho).sqrt(), self.rho.sqrt());
        let y = norm_ppf(x);
        // d/dx Phi((s y - c) / r) = phi((s y - c)/r) s / (r phi(y)).
        norm_pdf((s * y - self.c) / r) * s / (r * norm_pdf(y))
    }

    /// The `level` quantile of the default fraction:
    /// `Phi((c + sqrt(rho) Phi^-1(level)) / sqrt(1 - rho))`; a level outside (0, 1) is an
    /// error naming `level`.
    pub fn default_fraction_quantile(&self, level: f64) -> Result<f64> {
        let level = check_level(level)?;
        if let Some(d) = &self.degenerate {
            return Ok(if self.lgd > 0.0 {
                d.value_at_risk(level)?.value / self.lgd
            } else {
                self.pd
            });
        }
        Ok(norm_cdf(
            (self.c + self.rho.sqrt() * norm_ppf(level)) / (1.0 - self.rho).sqrt(),
        ))
    }

    /// `E[(X - k)+]` for the default fraction, closed form with the bivariate normal.
    fn call_on_fraction(&self, k: f64) -> f64 {
        if k <= 0.0 {
            return self.pd - k;
        }
        if k >= 1.0 {
            return 0.0;
        }
        let zk = (self.c - (1.0 - self.rho).sqrt() * norm_ppf(k)) / self.rho.sqrt();
        (bivariate_norm_cdf(self.c, zk, self.rho.sqrt()) - k * norm_cdf(zk)).max(0.0)
    }
}

/// Relative tolerance of the adaptive quadratures of [`GranularPool`].
const GRANULAR_TOLERANCE: f64 = 1e-13;
/// Where [`GranularPool`] stops looking for the factor value of a loss level: the normal
/// mass beyond is below 1e-300.
const GRANULAR_Z: f64 = 37.0;
/// Bisection steps for that factor value (2^-80 of the interval: the float limit).
const GRANULAR_BISECTION: usize = 80;

/// The large-pool limit of a heterogeneous one-factor Gaussian book: as every exposure
/// becomes negligible the loss is its conditional expectation given the factor,
///
/// ```text
/// L(z) = sum_i EAD_i p_i(z) E[LGD_i | z] / sum_i EAD_i,   p_i(z) = Phi((c_i - sqrt(rho) z) / sqrt(1 - rho))
/// ```
///
/// which decreases in `z` when every LGD does (a collateral LGD with a non-negative
/// loading), so the quantiles map through the factor: `VaR(a) = L(Phi^-1(1 - a))`,
/// `P(L > x) = Phi(z_x)` with `L(z_x) = x`. It keeps each exposure's own PD and the PD-LGD
/// correlation of a collateral LGD (which the pool-average Vasicek formula of
/// [`LargePool::pool_average`] cannot), and equals [`LargePool`] for a homogeneous pool.
/// Moments, ES and tranche losses are adaptive Gauss-Legendre integrals over `z`
/// ([docs/methodology/large-pool.md](crate::methodology::large_pool)).
///
/// ```
/// use creditlab_contagion::lhp::GranularPool;
/// use creditlab_contagion::{Collateral, Copula, Exposure, LargePool, Lgd, LossDistribution};
/// use creditlab_contagion::Portfolio;
/// // A homogeneous pool: Vasicek's formula.
/// let book = Portfolio::homogeneous(100, 0.02, 0.45)?;
/// let g = Copula::gaussian(0.15)?;
/// let (limit, vasicek) = (GranularPool::new(&book, &g)?, LargePool::new(&book, &g)?);
/// assert!((limit.value_at_risk(0.999)?.value - vasicek.value_at_risk(0.999)?.value).abs() < 1e-12);
/// // Mortgages whose houses fall in bad states: a fatter tail than a constant LGD with
/// // the same mean.
/// let house = Collateral::new(1.25, 0.0, 0.3, 0.2, 0.25, 0.05)?;
/// let secured = Portfolio::new((0..100).map(|_| Exposure::new(1.0, 0.02, Lgd::Collateral(house))))?;
/// let flat = Portfolio::homogeneous(100, 0.02, house.mean())?;
/// let (a, b) = (GranularPool::new(&secured, &g)?, GranularPool::new(&flat, &g)?);
/// assert!(a.value_at_risk(0.999)?.value > 1.2 * b.value_at_risk(0.999)?.value);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GranularPool {
    rho: f64,
    /// (threshold, EAD share, LGD) of each distinct class.
    classes: Vec<(f64, f64, Lgd)>,
    el: f64,
}

impl GranularPool {
    /// The limit of `portfolio` under the one-factor Gaussian `copula`. `Unsupported` for
    /// other copulas and for a collateral LGD with a negative loading (the loss would not
    /// be monotone in the factor).
    pub fn new(portfolio: &Portfolio, copula: &Copula) -> Result<Self> {
        let rho = gaussian_rho(copula)?;
        if portfolio
            .lgd()
            .iter()
            .any(|l| matches!(l, Lgd::Collateral(c) if c.loading < 0.0))
        {
            return Err(Error::Unsupported {
                method: "lhp",
                reason: "a collateral LGD with a negative loading rises with the factor, so the \
                         large-pool loss is not monotone in it; use exact or mc"
                    .into(),
            });
        }
        let mut index: std::collections::HashMap<(u64, [u64; 7]), usize> =
            std::collections::HashMap::new();
        let mut classes: Vec<(f64, f64, Lgd)> = Vec::new();
        let thresholds = copula.thresholds(portfolio.pd());
        let total = portfolio.total_ead();
        for (i, &c) in thresholds.iter().enumerate() {
            let lgd = portfolio.lgd()[i];
            let key = match lgd {
                Lgd::Collateral(k) => [
                    2,
                    k.value.to_bits(),
                    k.drift.to_bits(),
                    k.loading.to_bits(),
                    k.volatility.to_bits(),
                    k.discount.to_bits(),
                    k.cost.to_bits(),
                ],
                other => [0, other.mean().to_bits(), 0, 0, 0, 0, 0],
            };
            let share = portfolio.ead()[i] / total;
            match index.get(&(c.to_bits(), key)) {
                Some(&j) => classes[j].1 += share,
                None => {
                    index.insert((c.to_bits(), key), classes.len());
                    classes.push((c, share, lgd));
                }
            }
        }
        Ok(Self {
            rho,
            classes,
            el: copula.expected_loss(portfolio),
        })
    }

    /// `L(z)`: the conditional expected loss given the factor, a fraction of total
    /// exposure.
    pub fn conditional_loss(&self, z: f64) -> f64 {
        self.classes
            .iter()
            .map(|&(c, w, lgd)| {
                w * crate::copula::gaussian_conditional_pd(c, self.rho, z) * lgd.conditional_mean(z)
            })
            .sum()
    }

    /// `sup {z : L(z) > x}`: `-inf` when no factor value loses more than `x`, `+inf` when
    /// every one does.
    fn crossing(&self, x: f64) -> f64 {
        let (mut lo, mut hi) = (-GRANULAR_Z, GRANULAR_Z);
        if self.conditional_loss(lo) <= x {
            return f64::NEG_INFINITY;
        }
        if self.conditional_loss(hi) > x {
            return f64::INFINITY;
        }
        for _ in 0..GRANULAR_BISECTION {
            let mid = 0.5 * (lo + hi);
            if self.conditional_loss(mid) > x {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// `int_a^b g(L(z)) phi(z) dz`, adaptive Gauss-Legendre.
    fn integral(&self, a: f64, b: f64, g: impl Fn(f64) -> f64) -> f64 {
        let (a, b) = (a.max(-GRANULAR_Z), b.min(GRANULAR_Z));
        if b <= a {
            return 0.0;
        }
        let f = |z: f64| {
            let v = g(self.conditional_loss(z)) * norm_pdf(z);
            (v, 0.0)
        };
        let scale = self.el.max(f64::MIN_POSITIVE);
        adaptive_pair(&f, a, b, GRANULAR_TOLERANCE * scale).0
    }
}

impl LossDistribution for GranularPool {
    fn expected_loss(&self) -> Estimate {
        Estimate::exact(self.el)
    }

    fn unexpected_loss(&self) -> Estimate {
        let second = self.integral(-GRANULAR_Z, GRANULAR_Z, |l| l * l);
        Estimate::exact((second - self.el * self.el).max(0.0).sqrt())
    }

    fn value_at_risk(&self, level: f64) -> Result<Estimate> {
        let level = check_level(level)?;
        Ok(Estimate::exact(
            self.conditional_loss(norm_ppf(1.0 - level)),
        ))
    }

    /// `E[L | L >= VaR] = int_{-inf}^{z_a} L(z) phi(z) dz / (1 - level)`, `z_a =
    /// Phi^-1(1 - level)`.
    fn expected_shortfall(&self, level: f64) -> Result<Estimate> {
        let level = check_level(level)?;
        let za = norm_ppf(1.0 - level);
        Ok(Estimate::exact(
            self.integral(-GRANULAR_Z, za, |l| l) / (1.0 - level),
        ))
    }

    fn tail_probability(&self, x: f64) -> Estimate {
        Estimate::exact(norm_cdf(self.crossing(x)))
    }

    fn tranche(&self, tranche: Tranche) -> TrancheEstimate {
        let (a, d) = (tranche.attach(), tranche.detach());
        let (za, zd) = (self.crossing(a), self.crossing(d));
        // Below z_d the tranche is wiped out; between z_d and z_a it loses L - a.
        let full = (d - a) * norm_cdf(zd);
        let part = self.integral(zd, za, |l| (l - a).clamp(0.0, d - a));
        TrancheEstimate {
            tranche,
            expected_loss: Estimate::exact((full + part) / (d - a)),
            default_probability: Estimate::exact(norm_cdf(za)),
        }
    }
}

fn gaussian_rho(copula: &Copula) -> Result<f64> {
    match *copula {
        Copula::Gaussian { rho } => Ok(rho),
        _ => Err(Error::Unsupported {
            method: "lhp",
            reason: "the Vasicek large pool is the limit of the one-factor Gaussian copula only"
                .into(),
        }),
    }
}

impl LossDistribution for LargePool {
    fn expected_loss(&self) -> Estimate {
        Estimate::exact(self.lgd * self.pd)
    }

    fn unexpected_loss(&self) -> Estimate {
        if let Some(d) = &self.degenerate {
            return d.unexpected_loss();
        }
        // Var X = Phi2(c, c; rho) - p^2.
        let v = bivariate_norm_cdf(self.c, self.c, self.rho) - self.pd * self.pd;
        Estimate::exact(self.lgd * v.max(0.0).sqrt())
    }

    fn value_at_risk(&self, level: f64) -> Result<Estimate> {
        let level = check_level(level)?;
        if let Some(d) = &self.degenerate {
            return d.value_at_risk(level);
        }
        Ok(Estimate::exact(
            self.lgd * self.default_fraction_quantile(level)?,
        ))
    }

    /// Continuous case: `E[L | L >= VaR] = LGD Phi2(c, -Phi^-1(level); sqrt(rho)) / (1 - level)`;
    /// the degenerate cases use the discrete (Acerbi-Tasche) convention.
    fn expected_shortfall(&self, level: f64) -> Result<Estimate> {
        let level = check_level(level)?;
        if let Some(d) = &self.degenerate {
            return d.expected_shortfall(level);
        }
        let z = -norm_ppf(level);
        Ok(Estimate::exact(
            self.lgd * bivariate_norm_cdf(self.c, z, self.rho.sqrt()) / (1.0 - level),
        ))
    }

    fn tail_probability(&self, x: f64) -> Estimate {
        if let Some(d) = &self.degenerate {
            return d.tail_probability(x);
        }
        Estimate::exact(1.0 - self.default_fraction_cdf(x / self.lgd))
    }

    fn tranche(&self, tranche: Tranche) -> TrancheEstimate {
        if let Some(d) = &self.degenerate {
            return d.tranche(tranche);
        }
        let (a, b) = (tranche.attach(), tranche.detach());
        let el = self.lgd
            * (self.call_on_fraction(a / self.lgd) - self.call_on_fraction(b / self.lgd))
            / (b - a);
        TrancheEstimate {
            tranche,
            expected_loss: Estimate::exact(el),
            default_probability: self.tail_probability(a),
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::excessive_precision,
    reason = "reference values are quoted as computed"
)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use creditlab_numerics::prec;

    /// Relative accuracy of the call `E[(X - k)+]` by the 200,000-node midpoint rule in
    /// `y = Phi^-1(x)`: the kink at `k` limits it (observed 1.4e-8).
    const MIDPOINT_KINK: f64 = 1e-7;
    /// Relative accuracy of ES as the mean of 100,000 midpoint quantiles above the level:
    /// the quantile function's singularity at 1 limits it (observed 5.3e-7).
    const MIDPOINT_ES: f64 = 1e-6;

    #[test]
    fn vasicek_reference_quantile() {
        // PD 1%, rho 0.2: 99.9% quantile of the default fraction
        // Phi((Phi^-1(0.01) + sqrt(0.2) Phi^-1(0.999)) / sqrt(0.8)) = 0.145525266131071 (mpmath).
        let l = LargePool::from_parameters(0.01, 0.2, 1.0).unwrap();
        let q = l.default_fraction_quantile(0.999).unwrap();
        assert!((q - 0.145_525).abs() <= prec::printed(6), "{q}");
        assert_relative_eq!(q, 0.145_525_266_131_071_33, max_relative = prec::SPECIAL);
        assert_relative_eq!(
            l.default_fraction_cdf(q),
            0.999,
            max_relative = prec::SPECIAL
        );
        // With LGD 0.45 the loss quantile scales.
        let l45 = LargePool::from_parameters(0.01, 0.2, 0.45).unwrap();
        assert_relative_eq!(
            l45.value_at_risk(0.999).unwrap().value,
            0.45 * q,
            max_relative = prec::IDENTITY
        );
    }

    #[test]
    fn density_integrates_and_moments_match() {
        let l = LargePool::from_parameters(0.03, 0.15, 1.0).unwrap();
        // Midpoint rule in y = Phi^-1(x) (density * dx = f(x) phi(y) dy).
        let n = 200_000;
        let (lo, hi) = (-9.0, 9.0);
        let h = (hi - lo) / n as f64;
        let (mut mass, mut mean, mut second, mut call) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..n {
            let y = lo + (i as f64 + 0.5) * h;
            let x = norm_cdf(y);
            let w = l.default_fraction_density(x) * norm_pdf(y) * h;
            mass += w;
            mean += w * x;
            second += w * x * x;
            call += w * (x - 0.1f64).max(0.0);
        }
        // The integrands are smooth in y: the rule is exact up to the rounding of its sum.
        assert_relative_eq!(mass, 1.0, max_relative = prec::ACCUMULATED);
        assert_relative_eq!(mean, 0.03, max_relative = prec::ACCUMULATED);
        let sd = (second - mean * mean).sqrt();
        assert_relative_eq!(
            l.unexpected_loss().value,
            sd,
            max_relative = prec::ACCUMULATED
        );
        assert_relative_eq!(l.call_on_fraction(0.1), call, max_relative = MIDPOINT_KINK);
        // ES = mean of the quantile function above the level.
        let level = 0.99;
        let m = 100_000;
        let es: f64 = (0..m)
            .map(|i| {
                l.default_fraction_quantile(level + (1.0 - level) * (i as f64 + 0.5) / m as f64)
                    .unwrap()
            })
            .sum::<f64>()
            / m as f64;
        assert_relative_eq!(
            l.expected_shortfall(level).unwrap().value,
            es,
            max_relative = MIDPOINT_ES
        );
        // Tranches partition the expected loss: sum (D - A) EL_tranche = E[L].
        let cuts = [0.0, 0.03, 0.07, 0.1, 0.15, 0.3, 1.0];
        let total: f64 = cuts
            .windows(2)
            .map(|w| {
                (w[1] - w[0])
                    * l.tranche(Tranche::new(w[0], w[1]).unwrap())
                        .expected_loss
                        .value
            })
            .sum();
        assert_relative_eq!(total, 0.03, max_relative = prec::COMPOSED);
    }

    #[test]
    fn degenerate_edges() {
        // rho 0: point mass at LGD p.
        let l = LargePool::from_parameters(0.02, 0.0, 0.5).unwrap();
        assert_eq!(l.value_at_risk(0.999).unwrap().value, 0.01);
        assert_eq!(l.unexpected_loss().value, 0.0);
        assert_eq!(l.tail_probability(0.009).value, 1.0);
        // rho 1: Bernoulli(p) on {0, LGD}.
        let l = LargePool::from_parameters(0.02, 1.0, 0.5).unwrap();
        assert_eq!(l.value_at_risk(0.97).unwrap().value, 0.0);
        assert_eq!(l.value_at_risk(0.99).unwrap().value, 0.5);
        assert_relative_eq!(l.tail_probability(0.1).value, 0.02);
        assert_relative_eq!(
            l.unexpected_loss().value,
            0.5 * (0.02f64 * 0.98).sqrt(),
            max_relative = prec::IDENTITY
        );
        // PD 0 and 1.
        assert_eq!(
            LargePool::from_parameters(0.0, 0.3, 0.5)
                .unwrap()
                .value_at_risk(0.999)
                .unwrap()
                .value,
            0.0
        );
        assert_eq!(
            LargePool::from_parameters(1.0, 0.3, 0.5)
                .unwrap()
                .value_at_risk(0.5)
                .unwrap()
                .value,
            0.5
        );
        // Heterogeneous portfolio and non-Gaussian copula are refused.
        let p = Portfolio::standard_book(10).unwrap();
        let g = Copula::gaussian(0.2).unwrap();
        assert!(matches!(
            LargePool::new(&p, &g),
            Err(Error::Unsupported { .. })
        ));
        let avg = LargePool::pool_average(&p, &g).unwrap();
        assert_relative_eq!(
            avg.expected_loss().value,
            p.expected_loss(),
            max_relative = prec::ACCUMULATED
        );
        let h = Portfolio::homogeneous(10, 0.01, 0.4).unwrap();
        assert!(LargePool::new(&h, &Copula::student_t(0.2, 5.0).unwrap()).is_err());
        assert!(LargePool::new(&h, &g).is_ok());
    }
}
