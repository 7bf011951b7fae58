//! Moody's binomial expansion technique (BET): replace the pool by `D` independent,
//! identical exposures — `D` the diversity score — so that the loss is
//! `Binomial(D, p) x (LGD-weighted total) / D` (Cifuentes and O'Connor, 1996, "The binomial
//! expansion method applied to CBO/CLO analysis", Moody's Special Report; Cifuentes and
//! Wilcox, 1998). See [docs/methodology/binomial-expansion.md](crate::methodology::binomial_expansion).
//!
//! Diversity score: the number of independent equal exposures whose loss has the same mean
//! and variance as the pool's, given the pairwise *default* correlations `rho_ij` the
//! copula implies,
//! `D = (sum_i e_i sigma_i)^2 / sum_ij e_i e_j sigma_i sigma_j rho_ij`,
//! `e_i = EAD_i E[LGD_i]`, `sigma_i = sqrt(p_i (1 - p_i))`, `rho_ii = 1`. For a homogeneous
//! pool this is the textbook `N / (1 + rho_d (N - 1))`. `D` is rounded to the nearest
//! integer (at least 1), as in the agencies' practice; the pool PD is the loss-weighted
//! mean `p = sum e_i p_i / sum e_i`, so the expected loss is preserved exactly.

use crate::copula::{Copula, obligor_loadings};
use crate::discrete::DiscreteLoss;
use crate::error::{Error, Result};
use crate::portfolio::Portfolio;
use creditlab_numerics::bivariate::bivariate_norm_cdf;
use creditlab_numerics::quadrature::Rule;
use statrs::function::gamma::ln_gamma;
use std::collections::HashMap;

/// Largest number of distinct (PD, loadings) classes the pairwise sum is computed over.
pub const MAX_CLASSES: usize = 2_000;

/// A pairwise-variance sum at or below this is zero: the pool has no loss variance.
const NO_VARIANCE: f64 = 1e-300;

/// The binomial-expansion loss distribution.
///
/// ```
/// use creditlab_contagion::{BinomialExpansion, Copula, LossDistribution, Portfolio};
/// let pool = Portfolio::homogeneous(100, 0.01, 1.0)?;
/// let bet = BinomialExpansion::new(&pool, &Copula::gaussian(0.2)?)?;
/// // 100 correlated loans behave like about 30 independent ones (the diversity score).
/// assert!((bet.diversity_score() - 29.5).abs() < 0.5);
/// assert!((bet.expected_loss().value - 0.01).abs() < 1e-12);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BinomialExpansion {
    diversity: f64,
    d: usize,
    pd: f64,
    dist: DiscreteLoss,
}

impl BinomialExpansion {
    /// Diversity score and binomial distribution of `portfolio` under `copula`.
    /// `Unsupported` when the portfolio has more than [`MAX_CLASSES`] distinct
    /// (PD, factor-loading) classes, or a collateral LGD that moves with the factor.
    pub fn new(portfolio: &Portfolio, copula: &Copula) -> Result<Self> {
        copula.check_portfolio(portfolio)?;
        if portfolio.lgd().iter().any(|l| l.moves_with_factor()) {
            return Err(Error::Unsupported {
                method: "bet",
                reason: "the binomial expansion has one loss per default, but a collateral LGD \
                         moves with the factor (PD-LGD correlation); use exact, lhp or mc"
                    .into(),
            });
        }
        let n = portfolio.len();
        // Classes of exposures sharing PD and loadings (sector or explicit).
        let mut index: HashMap<(u64, Vec<u64>), usize> = HashMap::new();
        let mut class_of = vec![0usize; n];
        let mut reps: Vec<usize> = Vec::new();
        for (i, slot) in class_of.iter_mut().enumerate() {
            let a = obligor_loadings(copula, portfolio, i)
                .map(|a| a.iter().map(|x| x.to_bits()).collect())
                .unwrap_or_default();
            let key = (portfolio.pd()[i].to_bits(), a);
            *slot = *index.entry(key).or_insert_with(|| {
                reps.push(i);
                reps.len() - 1
            });
        }
        let m = reps.len();
        if m > MAX_CLASSES {
            return Err(Error::Unsupported {
                method: "bet",
                reason: format!(
                    "{m} distinct (PD, loadings) classes, above the limit of {MAX_CLASSES}"
                ),
            });
        }
        let (mut e_sum, mut e_sq) = (vec![0.0; m], vec![0.0; m]);
        let mut total_loss = 0.0;
        let mut el = 0.0;
        for i in 0..n {
            let e = portfolio.ead()[i] * portfolio.lgd()[i].mean();
            e_sum[class_of[i]] += e;
            e_sq[class_of[i]] += e * e;
            total_loss += e;
            el += e * portfolio.pd()[i];
        }
        let pds: Vec<f64> = reps.iter().map(|&i| portfolio.pd()[i]).collect();
        let c: Vec<f64> = copula.thresholds(&pds);
        let joint = |a: usize, b: usize| -> f64 {
            joint_default(copula, c[a], c[b], reps[a], reps[b], portfolio)
        };
        let mut num = 0.0;
        let mut den = 0.0;
        for a in 0..m {
            let (pa, sa) = (pds[a], (pds[a] * (1.0 - pds[a])).sqrt());
            num += e_sum[a] * sa;
            for b in 0..m {
                let cov = if a == b || pds[a] * pds[b] > 0.0 {
                    joint(a, b) - pa * pds[b]
                } else {
                    0.0
                };
                den += e_sum[a] * e_sum[b] * cov;
            }
            // Same-class pairs counted above with i == j too: replace their covariance
            // (J_aa - p^2) by the variance p (1 - p).
            den += e_sq[a] * (sa * sa - (joint(a, a) - pa * pa));
        }
        let pool_pd = if total_loss > 0.0 {
            el / total_loss
        } else {
            0.0
        };
        let lbar = total_loss / portfolio.total_ead();
        if den <= NO_VARIANCE || num == 0.0 {
            // No loss variance: the loss is its expectation.
            return Ok(Self {
                diversity: f64::INFINITY,
                d: 0,
                pd: pool_pd,
                dist: DiscreteLoss::new(vec![el / portfolio.total_ead()], vec![1.0]),
            });
        }
        let diversity = num * num / den;
        let d = (diversity.round() as usize).max(1);
        let losses = (0..=d).map(|k| lbar * k as f64 / d as f64).collect();
        let probs = (0..=d).map(|k| binomial_pmf(d, k, pool_pd)).collect();
        Ok(Self {
            diversity,
            d,
            pd: pool_pd,
            dist: DiscreteLoss::new(losses, probs),
        })
    }

    /// The unrounded diversity score (infinite when the loss has no variance).
    pub fn diversity_score(&self) -> f64 {
        self.diversity
    }

    /// The number of independent exposures used (rounded diversity score).
    pub fn exposures(&self) -> usize {
        self.d
    }

    /// The pool PD (loss-weighted mean).
    pub fn pd(&self) -> f64 {
        self.pd
    }

    /// The binomial loss distribution.
    pub fn distribution(&self) -> &DiscreteLoss {
        &self.dist
    }
}

/// Diversity score of `n` equal exposures with pairwise default correlation `rho_d`:
/// `n / (1 + rho_d (n - 1))`.
pub fn homogeneous_diversity(n: usize, rho_d: f64) -> f64 {
    n as f64 / (1.0 + rho_d * (n as f64 - 1.0))
}

/// Pairwise default correlation of two obligors with PDs `p1`, `p2` under a one-factor
/// copula: `(P(both) - p1 p2) / sqrt(p1 q1 p2 q2)`; Gaussian
/// `P(both) = Phi2(c1, c2; rho)`. `None` for a multi-factor model (pairs need loadings).
pub fn default_correlation(copula: &Copula, p1: f64, p2: f64) -> Option<f64> {
    if matches!(copula, Copula::MultiFactor(_)) {
        return None;
    }
    let s = (p1 * (1.0 - p1) * p2 * (1.0 - p2)).sqrt();
    if s == 0.0 {
        return Some(0.0);
    }
    let j = one_factor_joint(copula, copula.threshold(p1), copula.threshold(p2));
    Some((j - p1 * p2) / s)
}

fn joint_default(copula: &Copula, c1: f64, c2: f64, i: usize, j: usize, p: &Portfolio) -> f64 {
    match copula {
        Copula::MultiFactor(_) => {
            let a = obligor_loadings(copula, p, i).expect("checked");
            let b = obligor_loadings(copula, p, j).expect("checked");
            let r: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            bivariate_norm_cdf(c1, c2, r)
        }
        _ => one_factor_joint(copula, c1, c2),
    }
}

/// `P(X1 <= c1, X2 <= c2) = E[p1(state) p2(state)]` under a one-factor copula.
fn one_factor_joint(copula: &Copula, c1: f64, c2: f64) -> f64 {
    match *copula {
        Copula::Gaussian { rho } => bivariate_norm_cdf(c1, c2, rho),
        Copula::StudentT { nu, .. } => {
            let gh = Rule::gauss_hermite(64).expect("64 nodes");
            let sr = Rule::chi_scale(64, nu).expect("valid nu");
            sr.integrate(|s| {
                gh.integrate(|z| {
                    copula.conditional_pd(c1, None, &[z, s])
                        * copula.conditional_pd(c2, None, &[z, s])
                })
            })
        }
        Copula::DoubleT { nu_m, .. } => {
            let r = Rule::student_t(512, nu_m, crate::copula::unit_variance_scale(nu_m))
                .expect("valid nu");
            r.integrate(|m| {
                copula.conditional_pd(c1, None, &[m]) * copula.conditional_pd(c2, None, &[m])
            })
        }
        Copula::MultiFactor(_) => unreachable!("handled by the caller"),
    }
}

fn binomial_pmf(n: usize, k: usize, p: f64) -> f64 {
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let (n, k) = (n as f64, k as f64);
    (ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
        + k * p.ln()
        + (n - k) * (-p).ln_1p())
    .exp()
}

crate::discrete::delegate_loss_distribution!(BinomialExpansion, dist);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::LossDistribution;
    use approx::assert_relative_eq;
    use creditlab_numerics::prec;

    #[test]
    fn homogeneous_diversity_matches_the_textbook_formula() {
        let (pd, rho, n) = (0.01, 0.2, 100);
        let cop = Copula::gaussian(rho).unwrap();
        let p = Portfolio::homogeneous(n, pd, 0.5).unwrap();
        let b = BinomialExpansion::new(&p, &cop).unwrap();
        let c = creditlab_numerics::special::norm_ppf(pd);
        let rho_d = (bivariate_norm_cdf(c, c, rho) - pd * pd) / (pd * (1.0 - pd));
        assert_relative_eq!(
            default_correlation(&cop, pd, pd).unwrap(),
            rho_d,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            b.diversity_score(),
            homogeneous_diversity(n, rho_d),
            max_relative = prec::ACCUMULATED
        );
        assert_relative_eq!(
            b.expected_loss().value,
            p.expected_loss(),
            max_relative = prec::ACCUMULATED
        );
        // Independent defaults: D = N; perfectly correlated: D = 1.
        let b0 = BinomialExpansion::new(&p, &Copula::gaussian(0.0).unwrap()).unwrap();
        assert_relative_eq!(
            b0.diversity_score(),
            100.0,
            max_relative = prec::ACCUMULATED
        );
        let b1 = BinomialExpansion::new(&p, &Copula::gaussian(1.0).unwrap()).unwrap();
        assert_relative_eq!(b1.diversity_score(), 1.0, max_relative = prec::ACCUMULATED);
    }
}
