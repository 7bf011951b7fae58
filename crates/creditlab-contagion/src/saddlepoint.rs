//! The saddlepoint approximation of the loss distribution (Martin, Thompson and Browne,
//! "Taking to the saddle", Risk 14(6), 2001): given the factor the defaults are independent,
//! so the conditional loss has the cumulant generating function
//! `K(s) = sum_i ln(1 - p_i(z) + p_i(z) e^(s a_i))`; its tail `P(L > x | z)` is the
//! Lugannani-Rice formula at the saddle `K'(s) = x`, its stop-loss `E[(L - x)+ | z]` Martin's
//! `(mu - x) P + K''(s) f(x)`, and both are integrated over the factor by adaptive
//! Gauss-Legendre (docs/methodology/saddlepoint.md).
//!
//! One-factor Gaussian copula only; an LGD that moves with the factor enters by its
//! conditional mean, a Beta LGD by its mean (the conditional loss of a default is then a
//! constant: the approximation's own assumption, stated in its accuracy).

use crate::accuracy::AccuracyReport;
use crate::copula::{Copula, gaussian_conditional_pd, gaussian_threshold};
use crate::distribution::{Estimate, LossDistribution, Tranche, TrancheEstimate, check_level};
use crate::error::{Error, Result};
use crate::portfolio::Portfolio;
use creditlab_numerics::quadrature::adaptive_pair;
use creditlab_numerics::special::{norm_cdf, norm_pdf};
use std::collections::BTreeMap;

/// Range of the factor integrated over: the normal mass beyond is below 1e-17.
const Z_RANGE: f64 = 8.5;
/// Absolute tolerance of the factor integrals.
const INTEGRAL_TOLERANCE: f64 = 1e-12;
/// Within this relative distance of the largest loss the tail is the probability that
/// every loan defaults.
const TOP: f64 = 1e-9;
/// Below this |w| the Lugannani-Rice formula is replaced by its limit at the mean.
const NEAR_MEAN: f64 = 1e-4;
/// Newton-bisection steps for the saddle and relative tolerance on `K'(s) = x`.
const SADDLE_STEPS: usize = 200;
const SADDLE_TOLERANCE: f64 = 1e-13;
/// Steps and relative tolerance of the VaR root.
const ROOT_STEPS: usize = 100;
const ROOT_TOLERANCE: f64 = 1e-10;

/// The saddlepoint loss distribution of a portfolio under a one-factor Gaussian copula.
#[derive(Debug)]
pub struct Saddlepoint {
    rho: f64,
    /// Loans grouped by (threshold, EAD share, LGD): identical loans share one term of `K`.
    groups: Vec<Cohort>,
    lgds: Vec<crate::portfolio::Lgd>,
    expected_loss: f64,
    max_loss: f64,
    accuracy: AccuracyReport,
    /// Quantiles found so far, by level.
    quantiles: std::sync::Mutex<BTreeMap<u64, f64>>,
}

/// Identical loans: their default threshold, number, EAD share and LGD (an index into the
/// distinct LGDs).
#[derive(Debug, Clone, Copy)]
struct Cohort {
    threshold: f64,
    count: f64,
    share: f64,
    lgd: usize,
}

/// The conditional loss's cumulants at `s` for one factor value.
struct Cumulants {
    k: f64,
    k1: f64,
    k2: f64,
    k3: f64,
}

impl Saddlepoint {
    /// The approximation for `portfolio` under `copula` (one-factor Gaussian).
    pub fn new(portfolio: &Portfolio, copula: &Copula) -> Result<Self> {
        let rho = match *copula {
            Copula::Gaussian { rho } => rho,
            _ => {
                return Err(Error::Unsupported {
                    method: "saddlepoint",
                    reason: "the one-factor Gaussian copula only".into(),
                });
            }
        };
        let total = portfolio.total_ead();
        let mut lgds: Vec<crate::portfolio::Lgd> = Vec::new();
        let mut index: BTreeMap<(u64, u64, usize), usize> = BTreeMap::new();
        let mut groups: Vec<Cohort> = Vec::new();
        let mut expected_loss = 0.0;
        let mut max_loss = 0.0;
        for i in 0..portfolio.len() {
            let lgd = portfolio.lgd()[i];
            let l = match lgds.iter().position(|x| *x == lgd) {
                Some(l) => l,
                None => {
                    lgds.push(lgd);
                    lgds.len() - 1
                }
            };
            let share = portfolio.ead()[i] / total;
            let pd = portfolio.pd()[i];
            expected_loss += share * pd * lgd.mean();
            if pd <= 0.0 || share <= 0.0 {
                continue;
            }
            max_loss += share * lgd.max();
            let threshold = gaussian_threshold(pd);
            let key = (threshold.to_bits(), share.to_bits(), l);
            match index.get(&key) {
                Some(&g) => groups[g].count += 1.0,
                None => {
                    index.insert(key, groups.len());
                    groups.push(Cohort {
                        threshold,
                        count: 1.0,
                        share,
                        lgd: l,
                    });
                }
            }
        }
        let accuracy = AccuracyReport::analytic(format!(
            "saddlepoint: the conditional loss given the factor by Lugannani-Rice at its \
             saddle (Martin, Thompson and Browne 2001), its stop-loss by Martin's formula, \
             integrated over the factor by adaptive Gauss-Legendre to {INTEGRAL_TOLERANCE:e}; \
             {} groups of identical loans. The approximation's own error (relative, largest \
             in the far tail and for few loans) is not bounded here: checked against the \
             exact recursion in the tests. Beta LGDs enter by their mean.",
            groups.len()
        ));
        Ok(Self {
            rho,
            groups,
            lgds,
            expected_loss,
            max_loss,
            accuracy,
            quantiles: std::sync::Mutex::new(BTreeMap::new()),
        })
    }

    /// What the method says about its accuracy.
    pub fn accuracy(&self) -> &AccuracyReport {
        &self.accuracy
    }

    /// Conditional PDs and losses per default of every group at factor `z`.
    fn conditional(&self, z: f64) -> Vec<(f64, f64, f64)> {
        let lgd: Vec<f64> = self.lgds.iter().map(|l| l.conditional_mean(z)).collect();
        self.groups
            .iter()
            .map(|g| {
                (
                    gaussian_conditional_pd(g.threshold, self.rho, z),
                    g.share * lgd[g.lgd],
                    g.count,
                )
            })
            .collect()
    }

    fn cumulants(terms: &[(f64, f64, f64)], s: f64) -> Cumulants {
        let (mut k, mut k1, mut k2, mut k3) = (0.0, 0.0, 0.0, 0.0);
        for &(p, a, n) in terms {
            if p <= 0.0 || a <= 0.0 {
                continue;
            }
            let t = s * a;
            // q = p e^t / (1 - p + p e^t), and ln(1 - p + p e^t), both without overflow.
            let (q, ln) = if t > 0.0 {
                let e = (-t).exp();
                let d = p + (1.0 - p) * e;
                (p / d, t + d.ln())
            } else {
                let e = t.exp();
                let d = 1.0 - p + p * e;
                (p * e / d, (p * (e - 1.0)).ln_1p())
            };
            let v = q * (1.0 - q);
            k += n * ln;
            k1 += n * a * q;
            k2 += n * a * a * v;
            k3 += n * a * a * a * v * (1.0 - 2.0 * q);
        }
        Cumulants { k, k1, k2, k3 }
    }

    /// `(P(L > x | z), E[(L - x)+ | z])`.
    fn conditional_tail(&self, z: f64, x: f64) -> (f64, f64) {
        let terms = self.conditional(z);
        let mean: f64 = terms.iter().map(|&(p, a, n)| n * p * a).sum();
        let most: f64 = terms
            .iter()
            .filter(|t| t.0 > 0.0)
            .map(|&(_, a, n)| n * a)
            .sum();
        if x >= most {
            return (0.0, 0.0);
        }
        if x >= most * (1.0 - TOP) {
            // At the top the saddle runs off to infinity: the exact probability that every
            // loan defaults, and no stop-loss worth the name.
            let all: f64 = terms
                .iter()
                .filter(|t| t.0 > 0.0)
                .map(|&(p, _, n)| n * p.ln())
                .sum::<f64>()
                .exp();
            return (all, 0.0);
        }
        if x <= 0.0 {
            let none: f64 = terms
                .iter()
                .map(|&(p, _, n)| n * (-p).ln_1p())
                .sum::<f64>()
                .exp();
            return (1.0 - none, mean - x);
        }
        let s = saddle(&terms, x, mean);
        let c = Self::cumulants(&terms, s);
        if c.k2 <= 0.0 {
            return (if mean > x { 1.0 } else { 0.0 }, (mean - x).max(0.0));
        }
        let exponent = s * x - c.k;
        let w = s.signum() * (2.0 * exponent.max(0.0)).sqrt();
        let u = s * c.k2.sqrt();
        let tail = if w.abs() < NEAR_MEAN || u.abs() < NEAR_MEAN {
            0.5 - c.k3 / (6.0 * (2.0 * std::f64::consts::PI).sqrt() * c.k2.powf(1.5))
        } else {
            norm_cdf(-w) + norm_pdf(w) * (1.0 / u - 1.0 / w)
        }
        .clamp(0.0, 1.0);
        let density = (-exponent).exp() / (2.0 * std::f64::consts::PI * c.k2).sqrt();
        let stop_loss = ((mean - x) * tail + c.k2 * density).max(0.0);
        (tail, stop_loss)
    }

    /// `(P(L > x), E[(L - x)+])`, integrated over the factor.
    fn tail_and_stop_loss(&self, x: f64) -> (f64, f64) {
        let f = |z: f64| {
            let (t, e) = self.conditional_tail(z, x);
            let w = norm_pdf(z);
            (t * w, e * w)
        };
        let (t, e) = adaptive_pair(&f, -Z_RANGE, Z_RANGE, INTEGRAL_TOLERANCE);
        (t.clamp(0.0, 1.0), e.max(0.0))
    }

    /// The `level` quantile: the root of `ln P(L > x) = ln(1 - level)` by the Illinois
    /// variant of regula falsi on `[0, max loss]` (superlinear, and bracketed), cached per
    /// level so VaR and ES share it.
    fn quantile(&self, level: f64) -> f64 {
        if let Some(&q) = self
            .quantiles
            .lock()
            .ok()
            .and_then(|c| c.get(&level.to_bits()).copied())
            .as_ref()
        {
            return q;
        }
        let target = (1.0 - level).ln();
        let g = |x: f64| self.tail_and_stop_loss(x).0.max(1e-300).ln() - target;
        let (mut a, mut b) = (0.0, self.max_loss);
        let (mut ga, mut gb) = (g(a), g(b));
        let q = if ga <= 0.0 {
            0.0
        } else if gb >= 0.0 {
            b
        } else {
            // Bisect until the log tail is moderate at both ends (regula falsi crawls
            // against the -690 of an empty tail), then regula falsi.
            while gb < -20.0 && b - a > ROOT_TOLERANCE * b {
                let m = 0.5 * (a + b);
                let gm = g(m);
                if gm > 0.0 {
                    a = m;
                    ga = gm;
                } else {
                    b = m;
                    gb = gm;
                }
            }
            let mut side = 0i8;
            let mut x = a;
            for _ in 0..ROOT_STEPS {
                x = (a * gb - b * ga) / (gb - ga);
                if !(x > a && x < b) {
                    x = 0.5 * (a + b);
                }
                let gx = g(x);
                if gx.abs() < 1e-14 || (b - a) <= ROOT_TOLERANCE * b {
                    break;
                }
                if gx > 0.0 {
                    a = x;
                    ga = gx;
                    if side == 1 {
                        gb *= 0.5;
                    }
                    side = 1;
                } else {
                    b = x;
                    gb = gx;
                    if side == -1 {
                        ga *= 0.5;
                    }
                    side = -1;
                }
            }
            x
        };
        if let Ok(mut c) = self.quantiles.lock() {
            c.insert(level.to_bits(), q);
        }
        q
    }

    /// Expected loss of the pool, exact (no approximation enters it).
    pub fn exact_expected_loss(&self) -> f64 {
        self.expected_loss
    }
}

/// The saddle: `K'(s) = x` by safeguarded Newton on a bracket (K' increases in s).
fn saddle(terms: &[(f64, f64, f64)], x: f64, mean: f64) -> f64 {
    if x == mean {
        return 0.0;
    }
    let (mut lo, mut hi) = if x > mean { (0.0, 1.0) } else { (-1.0, 0.0) };
    // Widen the bracket until it holds the root.
    for _ in 0..200 {
        if x > mean && Saddlepoint::cumulants(terms, hi).k1 < x {
            lo = hi;
            hi *= 2.0;
        } else if x < mean && Saddlepoint::cumulants(terms, lo).k1 > x {
            hi = lo;
            lo *= 2.0;
        } else {
            break;
        }
    }
    let mut s = 0.5 * (lo + hi);
    for _ in 0..SADDLE_STEPS {
        let c = Saddlepoint::cumulants(terms, s);
        let g = c.k1 - x;
        if g.abs() <= SADDLE_TOLERANCE * x {
            break;
        }
        if g > 0.0 {
            hi = s;
        } else {
            lo = s;
        }
        let newton = s - g / c.k2;
        s = if c.k2 > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
    }
    s
}

impl LossDistribution for Saddlepoint {
    fn expected_loss(&self) -> Estimate {
        Estimate::exact(self.expected_loss)
    }

    fn unexpected_loss(&self) -> Estimate {
        // No approximation needed: Var L = E[Var(L | z)] + Var(E[L | z]), the conditional
        // moments exact sums over the loans, integrated over the factor.
        let f = |z: f64| {
            let terms = self.conditional(z);
            let (m, v) = terms.iter().fold((0.0, 0.0), |(m, v), &(p, a, n)| {
                (m + n * p * a, v + n * a * a * p * (1.0 - p))
            });
            let w = norm_pdf(z);
            (w * (v + m * m), 0.0)
        };
        let second = adaptive_pair(&f, -Z_RANGE, Z_RANGE, INTEGRAL_TOLERANCE).0;
        Estimate::exact((second - self.expected_loss.powi(2)).max(0.0).sqrt())
    }

    fn value_at_risk(&self, level: f64) -> Result<Estimate> {
        let level = check_level(level)?;
        Ok(Estimate::exact(self.quantile(level)))
    }

    fn expected_shortfall(&self, level: f64) -> Result<Estimate> {
        // ES = VaR + E[(L - VaR)+] / (1 - level) for a continuous distribution.
        let level = check_level(level)?;
        let var = self.quantile(level);
        let (_, stop) = self.tail_and_stop_loss(var);
        Ok(Estimate::exact(var + stop / (1.0 - level)))
    }

    fn tail_probability(&self, x: f64) -> Estimate {
        Estimate::exact(self.tail_and_stop_loss(x).0)
    }

    fn tranche(&self, tranche: Tranche) -> TrancheEstimate {
        let (a, d) = (tranche.attach(), tranche.detach());
        let (pa, ea) = self.tail_and_stop_loss(a);
        let (_, ed) = self.tail_and_stop_loss(d);
        TrancheEstimate {
            tranche,
            expected_loss: Estimate::exact(((ea - ed) / (d - a)).clamp(0.0, 1.0)),
            default_probability: Estimate::exact(pa),
        }
    }
}
