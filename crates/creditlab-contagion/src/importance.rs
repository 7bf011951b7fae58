//! Importance sampling of a loss-tail probability `P(L > x)` (Glasserman and Li, 2005).
//!
//! Two changes of measure, both undone by an exact likelihood ratio:
//!
//! 1. the systematic factors `Z ~ N(0, I)` are sampled from `N(mu, I)`, with `mu` the
//!    mode of the approximate zero-variance density `P(L > x | z) phi(z)`, where
//!    `P(L > x | z)` is replaced by its exponential (Chernoff) bound
//!    `exp(F_x(z))`, `F_x(z) = -theta_x(z) x + psi(theta_x(z), z)`;
//! 2. given the factors, each default probability `p_k(z)` is exponentially twisted to
//!    `q_k = p_k e^{theta c_k} / (1 + p_k (e^{theta c_k} - 1))` with `theta = theta_x(z)`
//!    solving `psi'(theta, z) = x` when `E[L | z] < x`, and 0 otherwise.
//!
//! The estimator of one scenario is `1{L > x} exp(-theta L + psi(theta, z)) exp(-mu.z +
//! mu.mu / 2)`. Gaussian factor models only (one-factor Gaussian or multi-factor), constant
//! LGD. Scenario `i` uses the stream [`creditlab_numerics::rng::stream`]`(seed, i)`: the estimate is
//! bit-identical on any number of threads. See [docs/methodology/importance-sampling.md](crate::methodology::importance_sampling).

use crate::copula::{Copula, obligor_loadings};
use crate::distribution::Estimate;
use crate::error::{Error, Result};
use crate::mc::{Scenarios, Seed};
use crate::portfolio::{Lgd, Portfolio};
use creditlab_numerics::rng::{StreamRng, stream, threshold_u64};
use creditlab_numerics::special::{norm_cdf, norm_pdf};
use rand::Rng;
use rand_distr::{Binomial, Distribution, StandardNormal};
use rayon::prelude::*;
use std::collections::HashMap;
use std::ops::Range;

const CHUNK: usize = 256;

/// The twist `theta` solves `psi'(theta) = x` to this tolerance relative to `x`...
const TWIST_TOLERANCE: f64 = 1e-12;
/// ... or stops when its bracket is this narrow relative to its upper end...
const TWIST_BRACKET: f64 = 1e-15;
/// ... or after this many steps.
const TWIST_MAX_STEPS: usize = 200;
/// The shift search (gradient ascent) stops when the gradient norm is below this.
const SHIFT_GRADIENT: f64 = 1e-8;
/// Smallest step the backtracking line search tries.
const SHIFT_MIN_STEP: f64 = 1e-12;
/// Armijo's sufficient-increase constant.
const ARMIJO: f64 = 1e-4;

/// Loans sharing a threshold and loadings (one conditional PD per scenario), split into
/// cohorts by loss per default.
#[derive(Debug, Clone)]
struct Group {
    threshold: f64,
    loadings: Vec<f64>,
    /// `sqrt(1 - |a|^2)`; 0 for a latent variable that is fully systematic.
    idio: f64,
    /// (number of loans, index into the distinct weights).
    cohorts: Vec<(u64, usize)>,
}

/// Glasserman-Li importance sampler for `P(L > x)` on one portfolio and Gaussian copula.
///
/// ```
/// use creditlab_contagion::{Copula, ImportanceSampler, Portfolio, Scenarios, Seed};
/// let book = Portfolio::homogeneous(100, 0.01, 1.0)?;
/// let is = ImportanceSampler::new(&book, &Copula::gaussian(0.2)?, 0.15)?;
/// let tail = is.run(Seed(1), Scenarios::new(2_000)?);
/// // A tail probability of a few in ten thousand, at a small relative standard error:
/// // each scenario is worth many plain Monte Carlo scenarios.
/// assert!(tail.probability.value > 1e-4 && tail.probability.value < 1e-2);
/// assert!(tail.probability.std_error.unwrap() < 0.1 * tail.probability.value);
/// assert!(tail.variance_reduction.is_some_and(|v| v > 10.0));
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ImportanceSampler {
    groups: Vec<Group>,
    /// Distinct losses per default (EAD x LGD / total EAD).
    weights: Vec<f64>,
    dim: usize,
    x: f64,
    max_loss: f64,
    shift: Vec<f64>,
}

/// Per-scenario work space.
struct Scratch {
    z: Vec<f64>,
    p: Vec<f64>,
    e: Vec<f64>,
}

impl ImportanceSampler {
    /// Prepares the sampler for the loss level `x` (fraction of total exposure) and finds
    /// the factor shift `mu` (see [`ImportanceSampler::shift`]).
    ///
    /// Errors for copulas other than Gaussian and multi-factor Gaussian, for Beta LGDs, and
    /// for `x` outside `[0, 1)`.
    pub fn new(portfolio: &Portfolio, copula: &Copula, x: f64) -> Result<Self> {
        let unsupported = |reason: &str| Error::Unsupported {
            method: "mc-is",
            reason: reason.into(),
        };
        if !(x.is_finite() && (0.0..1.0).contains(&x)) {
            return Err(Error::InvalidParameter {
                field: "loss level x".into(),
                value: x,
                reason: "must be in [0, 1)",
            });
        }
        copula.check_portfolio(portfolio)?;
        let dim = match copula {
            Copula::Gaussian { .. } => 1,
            Copula::MultiFactor(m) => m.n_factors(),
            _ => {
                return Err(unsupported(
                    "Glasserman-Li importance sampling needs a Gaussian factor model \
                     (gaussian or multi)",
                ));
            }
        };
        let total = portfolio.total_ead();
        let mut groups: Vec<Group> = Vec::new();
        let mut weights: Vec<f64> = Vec::new();
        let mut gindex: HashMap<Vec<u64>, usize> = HashMap::new();
        let mut windex: HashMap<u64, usize> = HashMap::new();
        let mut cindex: HashMap<(usize, usize), usize> = HashMap::new();
        let mut max_loss = 0.0;
        for i in 0..portfolio.len() {
            let lgd = match portfolio.lgd()[i] {
                Lgd::Constant(v) => v,
                Lgd::Beta { .. } => {
                    return Err(unsupported(
                        "exponential twisting needs constant LGDs (got a Beta LGD)",
                    ));
                }
                Lgd::Collateral(_) => {
                    return Err(unsupported(
                        "exponential twisting needs constant LGDs (got a collateral LGD, which \
                         moves with the factor); use mc or exact",
                    ));
                }
            };
            let pd = portfolio.pd()[i];
            let w = portfolio.ead()[i] * lgd / total;
            if w == 0.0 || pd == 0.0 {
                continue;
            }
            max_loss += w;
            let a: Vec<f64> = match copula {
                Copula::Gaussian { rho } => vec![rho.sqrt()],
                _ => obligor_loadings(copula, portfolio, i)
                    .expect("checked by check_portfolio")
                    .to_vec(),
            };
            let mut key = vec![pd.to_bits()];
            key.extend(a.iter().map(|v| v.to_bits()));
            let g = *gindex.entry(key).or_insert_with(|| {
                let ss: f64 = a.iter().map(|v| v * v).sum();
                groups.push(Group {
                    threshold: copula.threshold(pd),
                    idio: (1.0 - ss).max(0.0).sqrt(),
                    loadings: a,
                    cohorts: Vec::new(),
                });
                groups.len() - 1
            });
            let wi = *windex.entry(w.to_bits()).or_insert_with(|| {
                weights.push(w);
                weights.len() - 1
            });
            match cindex.get(&(g, wi)) {
                Some(&c) => groups[g].cohorts[c].0 += 1,
                None => {
                    cindex.insert((g, wi), groups[g].cohorts.len());
                    groups[g].cohorts.push((1, wi));
                }
            }
        }
        let mut s = Self {
            groups,
            weights,
            dim,
            x,
            max_loss,
            shift: vec![0.0; dim],
        };
        s.shift = s.find_shift();
        Ok(s)
    }

    /// The loss level `x` of `P(L > x)`.
    pub fn level(&self) -> f64 {
        self.x
    }

    /// The factor mean shift `mu`: the maximiser of `F_x(z) - z.z / 2`.
    pub fn shift(&self) -> &[f64] {
        &self.shift
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            z: vec![0.0; self.dim],
            p: vec![0.0; self.groups.len()],
            e: vec![0.0; self.weights.len()],
        }
    }

    /// Conditional default probability of each group given the factors in `sc.z`.
    fn conditional_pds(&self, sc: &mut Scratch) {
        for (g, p) in self.groups.iter().zip(sc.p.iter_mut()) {
            let m: f64 = g.loadings.iter().zip(&sc.z).map(|(a, z)| a * z).sum();
            *p = if g.threshold == f64::INFINITY {
                1.0
            } else if g.idio == 0.0 {
                if m <= g.threshold { 1.0 } else { 0.0 }
            } else {
                norm_cdf((g.threshold - m) / g.idio)
            };
        }
    }

    /// `(psi', psi'')` at `theta` given the conditional PDs in `sc.p` (fills `sc.e` with
    /// `e^{theta w}`).
    fn cgf_derivatives(&self, theta: f64, sc: &mut Scratch) -> (f64, f64) {
        for (e, w) in sc.e.iter_mut().zip(&self.weights) {
            *e = (theta * w).exp();
        }
        let (mut d1, mut d2) = (0.0, 0.0);
        for (g, &p) in self.groups.iter().zip(&sc.p) {
            if p <= 0.0 {
                continue;
            }
            for &(n, wi) in &g.cohorts {
                let (w, e) = (self.weights[wi], sc.e[wi]);
                let q = p * e / (1.0 - p + p * e);
                let nw = n as f64 * w;
                d1 += nw * q;
                d2 += nw * w * q * (1.0 - q);
            }
        }
        (d1, d2)
    }

    /// `psi(theta) = sum n ln(1 + p (e^{theta w} - 1))` with `sc.e` already at `theta`.
    fn cgf_at(&self, sc: &Scratch) -> f64 {
        let mut psi = 0.0;
        for (g, &p) in self.groups.iter().zip(&sc.p) {
            if p <= 0.0 {
                continue;
            }
            for &(n, wi) in &g.cohorts {
                psi += n as f64 * (p * (sc.e[wi] - 1.0)).ln_1p();
            }
        }
        psi
    }

    /// `theta_x(z)`: 0 when `E[L | z] >= x`, else the root of `psi'(theta) = x`
    /// (safeguarded Newton). Leaves `sc.e` at the returned theta. Returns `None` when the
    /// largest possible loss given `z` does not exceed `x`.
    fn twist(&self, sc: &mut Scratch) -> Option<(f64, f64)> {
        let (m0, _) = self.cgf_derivatives(0.0, sc);
        if m0 >= self.x {
            return Some((0.0, 0.0));
        }
        let reachable: f64 = self
            .groups
            .iter()
            .zip(&sc.p)
            .filter(|(_, p)| **p > 0.0)
            .flat_map(|(g, _)| g.cohorts.iter().map(|&(n, wi)| n as f64 * self.weights[wi]))
            .sum();
        if reachable <= self.x {
            return None;
        }
        let (mut lo, mut hi) = (0.0f64, f64::INFINITY);
        let mut theta = 0.0;
        let w_max = self.weights.iter().copied().fold(0.0, f64::max);
        let mut iter = 0;
        loop {
            let d = self.cgf_derivatives(theta, sc);
            let f = d.0 - self.x;
            iter += 1;
            if f.abs() <= TWIST_TOLERANCE * self.x
                || iter >= TWIST_MAX_STEPS
                || (hi.is_finite() && hi - lo <= TWIST_BRACKET * hi)
            {
                break;
            }
            if f < 0.0 {
                lo = theta;
            } else {
                hi = theta;
            }
            let newton = theta - f / d.1;
            theta = if newton.is_finite() && newton > lo && newton < hi {
                newton
            } else if hi.is_finite() {
                0.5 * (lo + hi)
            } else {
                // No upper bracket yet: grow geometrically.
                (2.0 * theta).max(1.0 / w_max)
            };
        }
        Some((theta, self.cgf_at(sc)))
    }

    /// `F_x(z) - z.z / 2` and its gradient at `z` (envelope theorem: the gradient of `F_x`
    /// is the gradient of `psi` in `z` at fixed `theta_x(z)`).
    fn objective(&self, z: &[f64], sc: &mut Scratch, grad: &mut [f64]) -> f64 {
        sc.z.copy_from_slice(z);
        self.conditional_pds(sc);
        let zz: f64 = z.iter().map(|v| v * v).sum();
        for (g, zi) in grad.iter_mut().zip(z) {
            *g = -zi;
        }
        let Some((theta, psi)) = self.twist(sc) else {
            // Not even total default of the reachable loans exceeds x: the bound is -inf.
            return f64::NEG_INFINITY;
        };
        if theta == 0.0 {
            return -0.5 * zz;
        }
        for (g, &p) in self.groups.iter().zip(&sc.p) {
            if g.idio == 0.0 || p <= 0.0 || p >= 1.0 {
                continue;
            }
            let m: f64 = g.loadings.iter().zip(z).map(|(a, z)| a * z).sum();
            let dens = norm_pdf((g.threshold - m) / g.idio) / g.idio;
            let mut dpsi_dp = 0.0;
            for &(n, wi) in &g.cohorts {
                let e = sc.e[wi];
                dpsi_dp += n as f64 * (e - 1.0) / (1.0 - p + p * e);
            }
            for (gr, a) in grad.iter_mut().zip(&g.loadings) {
                *gr -= dpsi_dp * dens * a;
            }
        }
        -theta * self.x + psi - 0.5 * zz
    }

    /// Maximises `F_x(z) - z.z / 2`: a golden-section search along the direction in which
    /// the conditional expected loss grows fastest at `z = 0`, then gradient ascent with
    /// Armijo backtracking until the gradient norm is below 1e-8 (at most 500 steps).
    fn find_shift(&self) -> Vec<f64> {
        let mut sc = self.scratch();
        let mut grad = vec![0.0; self.dim];
        // Direction: -sum n w phi(c / b) a / b.
        let mut dir = vec![0.0; self.dim];
        for g in &self.groups {
            if g.idio == 0.0 || !g.threshold.is_finite() {
                continue;
            }
            let dens = norm_pdf(g.threshold / g.idio) / g.idio;
            let nw: f64 = g
                .cohorts
                .iter()
                .map(|&(n, wi)| n as f64 * self.weights[wi])
                .sum();
            for (d, a) in dir.iter_mut().zip(&g.loadings) {
                *d -= nw * dens * a;
            }
        }
        let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            return vec![0.0; self.dim];
        }
        dir.iter_mut().for_each(|d| *d /= norm);
        let along = |t: f64, sc: &mut Scratch, grad: &mut [f64]| {
            let z: Vec<f64> = dir.iter().map(|d| d * t).collect();
            self.objective(&z, sc, grad)
        };
        let (mut a, mut b) = (0.0f64, 12.0f64);
        let r = 0.5 * (5f64.sqrt() - 1.0);
        for _ in 0..80 {
            let (t1, t2) = (b - r * (b - a), a + r * (b - a));
            if along(t1, &mut sc, &mut grad) >= along(t2, &mut sc, &mut grad) {
                b = t2;
            } else {
                a = t1;
            }
        }
        let t = 0.5 * (a + b);
        let mut z: Vec<f64> = dir.iter().map(|d| d * t).collect();
        let mut f = self.objective(&z, &mut sc, &mut grad);
        if !f.is_finite() {
            return vec![0.0; self.dim];
        }
        let mut step: f64 = 1.0;
        let mut trial_grad = vec![0.0; self.dim];
        for _ in 0..500 {
            let gn2: f64 = grad.iter().map(|g| g * g).sum();
            if gn2.sqrt() < SHIFT_GRADIENT {
                break;
            }
            let mut accepted = false;
            step = (step * 2.0).min(1.0);
            while step > SHIFT_MIN_STEP {
                let trial: Vec<f64> = z.iter().zip(&grad).map(|(z, g)| z + step * g).collect();
                let ft = self.objective(&trial, &mut sc, &mut trial_grad);
                if ft >= f + ARMIJO * step * gn2 {
                    z = trial;
                    f = ft;
                    grad.copy_from_slice(&trial_grad);
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if !accepted {
                break;
            }
        }
        z
    }

    /// The likelihood-ratio-weighted indicator of one scenario.
    fn scenario_value(&self, rng: &mut StreamRng, sc: &mut Scratch) -> f64 {
        let mut shift_dot_z = 0.0;
        for (z, mu) in sc.z.iter_mut().zip(&self.shift) {
            let e: f64 = StandardNormal.sample(rng);
            *z = mu + e;
            shift_dot_z += mu * *z;
        }
        let mu2: f64 = self.shift.iter().map(|m| m * m).sum();
        self.conditional_pds(sc);
        let Some((theta, psi)) = self.twist(sc) else {
            return 0.0;
        };
        let mut loss = 0.0;
        for (g, &p) in self.groups.iter().zip(&sc.p) {
            if p <= 0.0 {
                continue;
            }
            for &(n, wi) in &g.cohorts {
                let e = sc.e[wi];
                let q = if p >= 1.0 {
                    1.0
                } else {
                    p * e / (1.0 - p + p * e)
                };
                let k = if q >= 1.0 {
                    n
                } else if n == 1 {
                    u64::from(rng.next_u64() < threshold_u64(q))
                } else {
                    Binomial::new(n, q).expect("q is a probability").sample(rng)
                };
                loss += k as f64 * self.weights[wi];
            }
        }
        if loss > self.x {
            (-theta * loss + psi - shift_dot_z + 0.5 * mu2).exp()
        } else {
            0.0
        }
    }

    /// Simulates scenarios `range` of `seed` in parallel; the values depend only on the
    /// seed and the indices.
    pub fn simulate(&self, seed: u64, range: Range<u64>) -> IsRun {
        let n = range.end.saturating_sub(range.start) as usize;
        let mut values = vec![0.0; n];
        if self.x < self.max_loss {
            values
                .par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(ci, chunk)| {
                    let mut sc = self.scratch();
                    let first = range.start + (ci * CHUNK) as u64;
                    for (j, v) in chunk.iter_mut().enumerate() {
                        *v = self.scenario_value(&mut stream(seed, first + j as u64), &mut sc);
                    }
                });
        }
        IsRun {
            seed,
            start: range.start,
            x: self.x,
            values,
        }
    }

    /// Simulates scenarios `0..scenarios` with streams of `seed` and returns the estimate.
    pub fn run(&self, seed: Seed, scenarios: Scenarios) -> TailEstimate {
        self.simulate(seed.0, 0..scenarios.get()).finish()
    }
}

/// The raw output of an importance-sampling run: the weighted indicator per scenario, in
/// index order.
#[derive(Debug, Clone, PartialEq)]
pub struct IsRun {
    seed: u64,
    start: u64,
    x: f64,
    values: Vec<f64>,
}

impl IsRun {
    /// The run of `seed` at loss level `x` whose weighted indicators of scenarios
    /// `start..` are `values` (as [`IsRun::values`] gave them): how a partial result read
    /// back from a file ([`crate::shard`]) becomes a run again.
    pub fn from_values(seed: u64, start: u64, x: f64, values: Vec<f64>) -> IsRun {
        IsRun {
            seed,
            start,
            x,
            values,
        }
    }

    /// The scenario indices covered.
    pub fn range(&self) -> Range<u64> {
        self.start..self.start + self.values.len() as u64
    }

    /// `1{L > x}` times the likelihood ratio, per scenario in index order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Concatenates runs of the same seed and level over adjacent ranges (either order).
    pub fn merge(self, other: IsRun) -> Result<IsRun> {
        if self.seed != other.seed || self.x.to_bits() != other.x.to_bits() {
            return Err(Error::Unsupported {
                method: "mc-is merge",
                reason: "runs of different seeds or loss levels".into(),
            });
        }
        let (seed, x) = (self.seed, self.x);
        let (start, values) = crate::mc::concat_adjacent(
            "mc-is merge",
            (self.start, self.values),
            (other.start, other.values),
        )?;
        Ok(IsRun {
            seed,
            start,
            x,
            values,
        })
    }

    /// Mean, standard error and variance reduction (sums in index order).
    pub fn finish(self) -> TailEstimate {
        let n = self.values.len() as f64;
        // No scenario: no information (NaN), never a panic.
        let mean = self.values.iter().sum::<f64>() / n;
        let var = if n > 1.0 {
            self.values
                .iter()
                .map(|v| (v - mean) * (v - mean))
                .sum::<f64>()
                / (n - 1.0)
        } else if n == 1.0 {
            0.0
        } else {
            f64::NAN
        };
        let plain = mean * (1.0 - mean);
        TailEstimate {
            x: self.x,
            probability: Estimate::simulated(mean, (var / n).sqrt()),
            scenarios: self.values.len() as u64,
            is_variance: var,
            plain_variance: plain,
            variance_reduction: (var > 0.0 && (plain / var).is_finite()).then(|| plain / var),
        }
    }
}

/// An importance-sampling estimate of `P(L > x)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TailEstimate {
    /// The loss level, as a fraction of total exposure.
    pub x: f64,
    /// `P(L > x)` with its standard error.
    pub probability: Estimate,
    /// Number of scenarios.
    pub scenarios: u64,
    /// Sample variance of the weighted indicator (per scenario).
    pub is_variance: f64,
    /// Variance of the plain Monte Carlo indicator, `p (1 - p)` at the estimate.
    pub plain_variance: f64,
    /// `plain_variance / is_variance`: how many plain scenarios one IS scenario is worth.
    /// `None` when it is not defined: the weighted indicator did not vary (one scenario, or
    /// a loss level no scenario reached, as with every PD or LGD 0).
    pub variance_reduction: Option<f64>,
}

/// Seed of the loadings of [`glasserman_li_portfolio`].
pub const GLASSERMAN_LI_SEED: u64 = 2005;

/// The 10-factor test portfolio of Glasserman and Li (2005, section 6), with loadings
/// drawn from a fixed seed: 1,000 obligors `k = 1..1000` with
/// `p_k = 0.01 (1 + sin(16 pi k / 1000))`, exposure `c_k = ceil(5 k / 1000)^2` (so 1, 4,
/// 9, 16, 25 in blocks of 200), LGD 1, and loadings on 10 independent factors drawn
/// uniform on `(0, 1/sqrt(10))` (loading `f` of obligor `k` is
/// `open01(stream(GLASSERMAN_LI_SEED, k).next_u64())` scaled, the ten draws of one stream).
/// Returns the portfolio and its multi-factor copula.
pub fn glasserman_li_portfolio() -> Result<(Portfolio, Copula)> {
    use crate::portfolio::Exposure;
    let n = 1000usize;
    let scale = 1.0 / 10f64.sqrt();
    let exposures = (1..=n).map(|k| {
        let kf = k as f64;
        let pd = 0.01 * (1.0 + (16.0 * std::f64::consts::PI * kf / n as f64).sin());
        let c = (5.0 * kf / n as f64).ceil().powi(2);
        let mut rng = stream(GLASSERMAN_LI_SEED, k as u64);
        let mut e = Exposure::new(c, pd, Lgd::Constant(1.0));
        e.loadings = Some(
            (0..10)
                .map(|_| creditlab_numerics::rng::open01(rng.next_u64()) * scale)
                .collect(),
        );
        e
    });
    Ok((
        Portfolio::new(exposures)?,
        Copula::MultiFactor(crate::copula::MultiFactor::explicit(10)),
    ))
}
