//! Gaussian quadrature rules for integrating over the systematic factors.
//!
//! Every rule here integrates against a *probability* measure: the weights sum to one, so
//! `sum_j w_j g(x_j)` approximates `E[g(X)]`. Rules are built by the Golub-Welsch algorithm
//! (Golub and Welsch, 1969, "Calculation of Gauss quadrature rules", Math. Comp. 23): the
//! nodes are the eigenvalues of the symmetric tridiagonal Jacobi matrix of the measure's
//! three-term recurrence. Each node is then polished by Newton's method on the orthonormal
//! polynomial and its weight recomputed from the Christoffel function
//! `w = 1 / sum_{k < n} p_k(x)^2`, which (unlike the squared eigenvector components) keeps
//! full *relative* accuracy for the tiny weights in the tails — those carry the rare,
//! large-loss scenarios.

use crate::error::{NumericsError as Error, Result};
use nalgebra::DMatrix;
use statrs::function::gamma::ln_gamma;
use std::sync::OnceLock;

/// Largest number of nodes a one-dimensional rule may have; more is never needed for the
/// smooth integrands here and the recurrence would need rescaling far beyond it.
pub const MAX_NODES: usize = 1024;

/// Nodes and weights of a quadrature rule for a probability measure (weights sum to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Abscissas, increasing.
    pub nodes: Vec<f64>,
    /// Weights, positive, summing to 1.
    pub weights: Vec<f64>,
}

impl Rule {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a rule without nodes (never produced by the constructors here).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// `sum_j w_j f(x_j)`, summed in node order (deterministic).
    pub fn integrate(&self, mut f: impl FnMut(f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&x, &w)| w * f(x))
            .sum()
    }

    /// Gauss-Hermite rule for the standard normal measure (probabilists' Hermite
    /// polynomials, recurrence `a_k = 0`, `b_k = k`); exact for polynomials of degree
    /// `< 2n`.
    pub fn gauss_hermite(n: usize) -> Result<Self> {
        check_n(n)?;
        Ok(from_recurrence(n, |_| 0.0, |k| k as f64))
    }

    /// Gauss-Legendre rule for the uniform probability measure on `[-1, 1]` (so the weights
    /// are the classical ones divided by 2).
    pub fn gauss_legendre(n: usize) -> Result<Self> {
        check_n(n)?;
        Ok(from_recurrence(
            n,
            |_| 0.0,
            |k| {
                let k = k as f64;
                k * k / (4.0 * k * k - 1.0)
            },
        ))
    }

    /// Generalized Gauss-Laguerre rule for the Gamma(`alpha + 1`, 1) probability measure,
    /// density `x^alpha e^-x / Gamma(alpha + 1)` on `(0, inf)` (recurrence
    /// `a_k = 2k + alpha + 1`, `b_k = k (k + alpha)`); `alpha > -1`.
    pub fn gauss_laguerre(n: usize, alpha: f64) -> Result<Self> {
        check_n(n)?;
        if !(alpha.is_finite() && alpha > -1.0) {
            return Err(Error::InvalidParameter {
                field: "laguerre alpha".into(),
                value: alpha,
                reason: "must be finite and > -1",
            });
        }
        Ok(from_recurrence(
            n,
            |k| 2.0 * k as f64 + alpha + 1.0,
            |k| k as f64 * (k as f64 + alpha),
        ))
    }

    /// A rule for the Student-t distribution with `nu` degrees of freedom, scaled by
    /// `scale` (so `scale = sqrt((nu - 2) / nu)` gives unit variance).
    ///
    /// The heavy tails defeat Gauss-Hermite, so the real line is mapped to `(-pi/2, pi/2)`
    /// by `t = tan(theta)` and `n` Gauss-Legendre nodes are used in `theta`; the
    /// transformed density `f_nu(tan theta) sec^2 theta` is bounded and smooth for every
    /// `nu >= 1`. The weights are normalised to sum to one (the raw sum differs from 1 by
    /// the rule's own error, about 1e-12 at 128 nodes for nu >= 3).
    pub fn student_t(n: usize, nu: f64, scale: f64) -> Result<Self> {
        if !(nu.is_finite() && nu > 0.0) {
            return Err(Error::InvalidParameter {
                field: "nu".into(),
                value: nu,
                reason: "degrees of freedom must be finite and > 0",
            });
        }
        Ok(Self::student_t_from_legendre(
            &Self::gauss_legendre(n)?,
            nu,
            scale,
        ))
    }

    /// [`Rule::student_t`] built from a given Gauss-Legendre rule (so that a cached
    /// Legendre rule can serve every `nu`).
    pub fn student_t_from_legendre(gl: &Rule, nu: f64, scale: f64) -> Self {
        let n = gl.len();
        let half_pi = std::f64::consts::FRAC_PI_2;
        let ln_c = ln_gamma(0.5 * (nu + 1.0))
            - ln_gamma(0.5 * nu)
            - 0.5 * (nu * std::f64::consts::PI).ln();
        let mut nodes = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        for (&x, &w) in gl.nodes.iter().zip(&gl.weights) {
            let theta = half_pi * x;
            let t = theta.tan();
            let cos = theta.cos();
            // density f(t) dt = exp(ln_c - (nu+1)/2 ln(1 + t^2/nu)) sec^2(theta) dtheta,
            // dtheta = pi/2 dx, and the GL weights are for the uniform measure on [-1, 1]
            // (w = dx / 2).
            let ln_f = ln_c - 0.5 * (nu + 1.0) * (t * t / nu).ln_1p();
            let wt = w * 2.0 * half_pi * (ln_f - 2.0 * cos.ln()).exp();
            nodes.push(scale * t);
            weights.push(wt);
        }
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        Self { nodes, weights }
    }
}

impl Rule {
    /// A rule for the t copula's mixing variable `s = sqrt(W / nu)`, `W ~ chi^2(nu)`: the
    /// nodes are values of `s`.
    ///
    /// The t copula's tail events come from small `s`, a region a Gauss-Laguerre rule in
    /// `W` resolves poorly (its first node sits where `P(W < w)` is already ~1e-2 for
    /// small `nu`). So the rule integrates over `y = ln W`, whose log-gamma density
    /// `exp(nu y / 2 - e^y / 2) / (2^(nu/2) Gamma(nu/2))` is smooth with light tails, by
    /// `n` Gauss-Legendre nodes on `[ln w_lo, ln w_hi]`, the interval outside which `W`
    /// has probability below 1e-18: `w_hi = nu + 2 sqrt(nu x) + 2x` and
    /// `w_lo = max(nu - 2 sqrt(nu x), w_tail)` with `x = 18 ln 10` (Laurent and Massart,
    /// 2000, chi-square deviation bounds) and `w_tail` from
    /// `P(W < w) <= (w/2)^(nu/2) / Gamma(nu/2 + 1)`. Weights are normalised to sum to one.
    pub fn chi_scale(n: usize, nu: f64) -> Result<Self> {
        if !(nu.is_finite() && nu > 0.0) {
            return Err(Error::InvalidParameter {
                field: "nu".into(),
                value: nu,
                reason: "degrees of freedom must be finite and > 0",
            });
        }
        let gl = Self::gauss_legendre(n)?;
        let h = 0.5 * nu;
        let (y_lo, y_hi) = chi_log_range(nu);
        let (mid, half) = (0.5 * (y_lo + y_hi), 0.5 * (y_hi - y_lo));
        let ln_norm = h * std::f64::consts::LN_2 + ln_gamma(h);
        let mut nodes = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        for (&t, &w) in gl.nodes.iter().zip(&gl.weights) {
            let y = mid + half * t;
            let ln_f = h * y - 0.5 * y.exp() - ln_norm;
            nodes.push((y.exp() / nu).sqrt());
            weights.push(w * ln_f.exp());
        }
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        Ok(Self { nodes, weights })
    }
}

/// The range of `ln W`, `W ~ chi^2(nu)`, outside which `W` has probability below 1e-18:
/// above, the Laurent-Massart bound `P(W >= nu + 2 sqrt(nu x) + 2x) <= e^-x`; below, the
/// larger of its lower counterpart and `P(W < w) <= (w/2)^(nu/2) / Gamma(nu/2 + 1)`. The
/// range of [`Rule::chi_scale`], for callers that refine their own rule on it.
pub fn chi_log_range(nu: f64) -> (f64, f64) {
    let x = 18.0 * std::f64::consts::LN_10;
    let h = 0.5 * nu;
    let w_hi = nu + 2.0 * (nu * x).sqrt() + 2.0 * x;
    let ln_w_tail = std::f64::consts::LN_2 + (ln_gamma(h + 1.0) - x) / h;
    let w_lo_lm = nu - 2.0 * (nu * x).sqrt();
    let y_lo = if w_lo_lm > 0.0 {
        w_lo_lm.ln().max(ln_w_tail)
    } else {
        ln_w_tail
    };
    (y_lo, w_hi.ln())
}

/// Adaptive integration of a pair-valued `f` over `[a, b]`: each panel is integrated by
/// 8- and 16-point Gauss-Legendre and bisected while the two disagree on the first
/// component by more than the panel's share of `tol`. Returns the 16-point sums. Used where a
/// fixed rule cannot see a sharp feature at an unknown place (the double-t CDF).
pub fn adaptive_pair(f: &impl Fn(f64) -> (f64, f64), a: f64, b: f64, tol: f64) -> (f64, f64) {
    static RULES: OnceLock<(Rule, Rule)> = OnceLock::new();
    let (g8, g16) = RULES.get_or_init(|| {
        (
            Rule::gauss_legendre(8).expect("8 nodes"),
            Rule::gauss_legendre(16).expect("16 nodes"),
        )
    });
    fn panel(f: &impl Fn(f64) -> (f64, f64), r: &Rule, a: f64, b: f64) -> (f64, f64) {
        let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
        let (mut s0, mut s1) = (0.0, 0.0);
        for (&x, &w) in r.nodes.iter().zip(&r.weights) {
            let (u, v) = f(mid + half * x);
            s0 += w * u;
            s1 += w * v;
        }
        // The rules are for the uniform probability measure: scale by the length.
        (s0 * (b - a), s1 * (b - a))
    }
    fn rec(
        f: &impl Fn(f64) -> (f64, f64),
        g8: &Rule,
        g16: &Rule,
        a: f64,
        b: f64,
        tol: f64,
        depth: u32,
    ) -> (f64, f64) {
        let coarse = panel(f, g8, a, b);
        let fine = panel(f, g16, a, b);
        // Stop at the tolerance, at the integrand's own noise level (the incomplete beta
        // is good to ~1e-13, panels to 1e-12), or at panels 2^-14 of the range wide.
        let diff = (fine.0 - coarse.0).abs();
        if diff <= tol || diff <= 1e-12 * fine.0.abs() || depth >= 14 {
            return fine;
        }
        let m = 0.5 * (a + b);
        let l = rec(f, g8, g16, a, m, 0.5 * tol, depth + 1);
        let r = rec(f, g8, g16, m, b, 0.5 * tol, depth + 1);
        (l.0 + r.0, l.1 + r.1)
    }
    rec(f, g8, g16, a, b, tol, 0)
}

fn check_n(n: usize) -> Result<()> {
    if n == 0 || n > MAX_NODES {
        return Err(Error::InvalidParameter {
            field: "quadrature nodes".into(),
            value: n as f64,
            reason: "must be between 1 and 1024",
        });
    }
    Ok(())
}

/// Gauss rule of `n` nodes for the probability measure whose monic orthogonal polynomials
/// satisfy `pi_{k+1} = (x - a_k) pi_k - b_k pi_{k-1}`.
fn from_recurrence(n: usize, a: impl Fn(usize) -> f64, b: impl Fn(usize) -> f64) -> Rule {
    let mut jac = DMatrix::<f64>::zeros(n, n);
    for k in 0..n {
        jac[(k, k)] = a(k);
        if k + 1 < n {
            let off = b(k + 1).sqrt();
            jac[(k, k + 1)] = off;
            jac[(k + 1, k)] = off;
        }
    }
    let mut nodes: Vec<f64> = jac.symmetric_eigen().eigenvalues.iter().copied().collect();
    nodes.sort_by(f64::total_cmp);
    let mut weights = Vec::with_capacity(n);
    for x in nodes.iter_mut() {
        for _ in 0..3 {
            let (p, dp, _) = orthonormal(n, *x, &a, &b);
            if dp != 0.0 && dp.is_finite() {
                let step = p / dp;
                if step.is_finite() {
                    *x -= step;
                }
            }
        }
        let (_, _, ln_sum) = orthonormal(n, *x, &a, &b);
        weights.push((-ln_sum).exp());
    }
    // Normalise away the last ulps so that the rule integrates constants exactly.
    let total: f64 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= total);
    Rule { nodes, weights }
}

/// Orthonormal polynomial `p_n(x)` and its derivative (both up to a common positive scale)
/// and `ln sum_{k<n} p_k(x)^2`, with rescaling so that nothing overflows.
fn orthonormal(
    n: usize,
    x: f64,
    a: &impl Fn(usize) -> f64,
    b: &impl Fn(usize) -> f64,
) -> (f64, f64, f64) {
    // p_{-1} = 0, p_0 = 1 (the measure has mass 1);
    // sqrt(b_{k+1}) p_{k+1} = (x - a_k) p_k - sqrt(b_k) p_{k-1}.
    let (mut p_prev, mut p) = (0.0f64, 1.0f64);
    let (mut d_prev, mut d) = (0.0f64, 0.0f64);
    let mut sum = 0.0f64;
    let mut ln_scale = 0.0f64;
    for k in 0..n {
        sum += p * p;
        let sb1 = b(k + 1).sqrt();
        let sbk = if k == 0 { 0.0 } else { b(k).sqrt() };
        let p_next = ((x - a(k)) * p - sbk * p_prev) / sb1;
        let d_next = (p + (x - a(k)) * d - sbk * d_prev) / sb1;
        p_prev = p;
        p = p_next;
        d_prev = d;
        d = d_next;
        let big = p.abs().max(d.abs()).max(p_prev.abs());
        if big > 1e100 {
            let s = 1.0 / big;
            p *= s;
            p_prev *= s;
            d *= s;
            d_prev *= s;
            sum *= s * s;
            ln_scale += big.ln();
        }
    }
    (p, d, sum.ln() + 2.0 * ln_scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec;
    use approx::assert_relative_eq;

    /// E[X^k] of the standard normal: (k-1)!! for even k, 0 for odd.
    fn normal_moment(k: u32) -> f64 {
        if k % 2 == 1 {
            0.0
        } else {
            (1..k).step_by(2).map(f64::from).product()
        }
    }

    #[test]
    fn hermite_integrates_polynomials_exactly() {
        for n in [1usize, 2, 5, 16, 64] {
            let r = Rule::gauss_hermite(n).unwrap();
            for k in 0..(2 * n as u32).min(24) {
                let m = r.integrate(|x| x.powi(k as i32));
                let want = normal_moment(k);
                // Odd moments vanish; measure their error against the size of the terms.
                let scale = normal_moment(k + k % 2).max(1.0);
                assert!(
                    (m - want).abs() <= prec::ACCUMULATED * scale,
                    "n {n} k {k}: {m} vs {want}"
                );
            }
        }
        // The classical 2-point rule: nodes +-1, weights 1/2.
        let r = Rule::gauss_hermite(2).unwrap();
        assert_relative_eq!(r.nodes[1], 1.0, max_relative = prec::IDENTITY);
        assert_relative_eq!(r.weights[0], 0.5, max_relative = prec::IDENTITY);
        // Tail weights keep relative accuracy: the 64-node rule's extreme weight is
        // 1/(64 H_63(x)^2)... compare with the symmetric twin and check it is tiny but sane.
        let r = Rule::gauss_hermite(64).unwrap();
        assert_relative_eq!(r.weights[0], r.weights[63], max_relative = prec::IDENTITY);
        assert!(r.weights[0] > 0.0 && r.weights[0] < 1e-40);
    }

    #[test]
    fn legendre_and_laguerre_moments() {
        let r = Rule::gauss_legendre(12).unwrap();
        // Uniform on [-1, 1]: E[x^k] = 1/(k+1) for even k.
        for k in 0..24 {
            let want = if k % 2 == 0 {
                1.0 / (k as f64 + 1.0)
            } else {
                0.0
            };
            assert!(
                (r.integrate(|x| x.powi(k)) - want).abs() <= prec::IDENTITY,
                "k {k}"
            );
        }
        // Classical 3-point Gauss-Legendre node sqrt(3/5), weight 5/9 (here / 2).
        let r = Rule::gauss_legendre(3).unwrap();
        assert_relative_eq!(r.nodes[2], 0.6f64.sqrt(), max_relative = prec::IDENTITY);
        assert_relative_eq!(r.weights[2], 5.0 / 18.0, max_relative = prec::IDENTITY);
        // Gamma(alpha + 1, 1): E[x^k] = Gamma(alpha + 1 + k) / Gamma(alpha + 1).
        for alpha in [-0.5, 0.0, 1.5, 9.0] {
            let r = Rule::gauss_laguerre(20, alpha).unwrap();
            for k in 0..20 {
                let want = (ln_gamma(alpha + 1.0 + k as f64) - ln_gamma(alpha + 1.0)).exp();
                let got = r.integrate(|x| x.powi(k));
                // The reference rests on statrs' ln_gamma.
                assert_relative_eq!(got, want, max_relative = prec::STATRS);
            }
        }
    }

    #[test]
    fn student_rule_moments() {
        // t_nu: E[T^2] = nu / (nu - 2); the unit-variance scaling gives 1.
        for nu in [3.0, 5.0, 12.0, 1000.0] {
            let r = Rule::student_t(256, nu, ((nu - 2.0) / nu).sqrt()).unwrap();
            assert_relative_eq!(r.integrate(|x| x * x), 1.0, max_relative = prec::QUADRATURE);
            assert!(r.integrate(|x| x).abs() <= prec::IDENTITY);
            // P(T <= -1) against the t CDF.
            let p = r.integrate(|x| if x <= -1.0 { 1.0 } else { 0.0 });
            assert!(p > 0.0 && p < 0.5);
        }
        assert!(Rule::gauss_hermite(0).is_err());
        assert!(Rule::gauss_laguerre(4, -1.0).is_err());
    }
}
