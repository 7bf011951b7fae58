//! The exact finite-pool loss distribution: conditional on the systematic factors defaults
//! are independent, so the conditional loss distribution on a grid of loss units is built
//! by the recursion of Andersen, Sidenius and Basu (2003, "All your hedges in one basket",
//! Risk 16(11)), and the unconditional one is its quadrature average over the factors.
//! See docs/methodology/exact-recursion.md.
//!
//! * Loss unit: when every exposure's loss `EAD x E[LGD]` is an integer multiple of a
//!   common unit (float gcd, relative tolerance 1e-9) and the total is at most
//!   [`ExactConfig::max_units`] units, that unit (exact); otherwise the total loss divided
//!   by [`ExactConfig::rounding_units`], and an exposure whose loss `(k + f)` units falls
//!   between grid points loses `k` units with probability `1 - f` and `k + 1` with
//!   probability `f` given default (a mean-preserving split), so the expected loss stays
//!   exact given every factor value. [`Discretization`] reports which.
//! * Random (Beta) LGD is replaced by its mean: the expected loss is exact, the
//!   idiosyncratic LGD noise (which diversifies away in large pools) is ignored.
//! * Factor quadrature: Gaussian — Gauss-Hermite; Student-t — Gauss-Hermite in `z` times
//!   the chi-scale rule in `s` ([`Rule::chi_scale`]); double-t — the `atan`-mapped
//!   Gauss-Legendre rule of [`Rule::student_t`]; multi-factor — a tensor Gauss-Hermite
//!   grid, at most [`ExactConfig::max_tensor_nodes`] points.
//! * Per node the support is trimmed at both ends while the end probability is below
//!   [`ExactConfig::tail_cutoff`]; the dropped mass is reported. Nodes run in parallel
//!   (rayon) but their contributions are summed in node order, so results are
//!   deterministic.

use crate::copula::{Copula, obligor_loadings};
use crate::discrete::DiscreteLoss;
use crate::error::{Error, Result};
use crate::portfolio::Portfolio;
use creditlab_numerics::quadrature::Rule;
use rayon::prelude::*;

/// Tolerance of the float gcd of the losses, relative to the largest loss.
const GCD_TOLERANCE: f64 = 1e-9;
/// How far a loss may be from a multiple of the gcd (in units) and still be commensurate.
const COMMENSURATE_TOLERANCE: f64 = 1e-6;
/// A fractional position on the grid closer than this to a grid point is float noise and
/// snaps to it.
const GRID_SNAP: f64 = 1e-9;
/// The largest [`ExactConfig::tail_cutoff`] accepted.
const MAX_TAIL_CUTOFF: f64 = 1e-6;

/// Numerical settings of the exact recursion.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactConfig {
    /// Gauss-Hermite nodes in the (first) normal factor; default 64.
    pub nodes: usize,
    /// Nodes of the t copula's chi-scale rule in `s`; default 48.
    pub scale_nodes: usize,
    /// Nodes of the double-t market-factor rule; default 256 (its heavy tails need more).
    pub market_nodes: usize,
    /// Gauss-Hermite nodes per factor of a multi-factor model; default 12.
    pub nodes_per_factor: usize,
    /// Largest tensor grid for a multi-factor model; default 20,000.
    pub max_tensor_nodes: usize,
    /// Largest grid (in units of total loss) accepted for an exact common unit; default
    /// 50,000.
    pub max_units: usize,
    /// Units of total loss when losses must be rounded to a grid; default 5,000.
    pub rounding_units: usize,
    /// End probabilities below this are trimmed from each conditional distribution;
    /// default 1e-20.
    pub tail_cutoff: f64,
}

impl Default for ExactConfig {
    fn default() -> Self {
        Self {
            nodes: 64,
            scale_nodes: 48,
            market_nodes: 256,
            nodes_per_factor: 12,
            max_tensor_nodes: 20_000,
            max_units: 50_000,
            rounding_units: 5_000,
            tail_cutoff: 1e-20,
        }
    }
}

/// How exposures' losses were put on the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Discretization {
    /// The loss unit, in money.
    pub unit: f64,
    /// Number of units of the total loss (grid has `total_units + 1` points).
    pub total_units: usize,
    /// True when every loss is an integer number of units (no rounding).
    pub exact: bool,
    /// Largest distance from one exposure's loss to its nearest grid point, in money: the
    /// spread the mean-preserving split adds (0 when the grid is exact).
    pub max_rounding: f64,
    /// Expected loss of the discretized portfolio minus the actual, as a fraction of total
    /// EAD: zero up to float rounding with the split; non-zero only for the comonotone
    /// (rho = 1) case, which rounds each loss to the nearest unit.
    pub expected_loss_shift: f64,
}

/// The exact finite-pool loss distribution (a [`DiscreteLoss`] on the unit grid).
///
/// ```
/// use creditlab_contagion::{Copula, ExactConfig, ExactLoss, LossDistribution, Portfolio};
/// use creditlab_contagion::Tranche;
/// let book = Portfolio::standard_book(100)?;
/// let dist = ExactLoss::new(&book, &Copula::gaussian(0.2)?, &ExactConfig::default())?;
/// // The recursion keeps the expected loss; the probabilities sum to one.
/// assert!((dist.expected_loss().value - book.expected_loss()).abs() < 1e-12);
/// assert!((dist.distribution().total_mass() - 1.0).abs() < 1e-12);
/// let equity = dist.tranche(Tranche::new(0.0, 0.03)?);
/// assert!(equity.expected_loss.value > dist.expected_loss().value);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExactLoss {
    dist: DiscreteLoss,
    discretization: Discretization,
    nodes: usize,
    trimmed_mass: f64,
}

impl ExactLoss {
    /// Builds the distribution. Errors: `Unsupported` for a multi-factor model whose tensor
    /// grid would exceed [`ExactConfig::max_tensor_nodes`]; invalid settings.
    pub fn new(portfolio: &Portfolio, copula: &Copula, config: &ExactConfig) -> Result<Self> {
        copula.check_portfolio(portfolio)?;
        if !(config.tail_cutoff >= 0.0 && config.tail_cutoff < MAX_TAIL_CUTOFF) {
            return Err(Error::InvalidParameter {
                field: "tail_cutoff".into(),
                value: config.tail_cutoff,
                reason: "must be in [0, 1e-6)",
            });
        }
        let (splits, disc) = discretize(portfolio, config)?;
        if copula.rho() == Some(1.0) {
            // Perfect correlation: obligor i defaults iff U <= PD_i for one uniform U (the
            // latent variables are comonotone), so the distribution is exact without
            // quadrature (a rule cannot integrate the indicator conditional PD).
            return Ok(Self::comonotone(portfolio, &splits, disc));
        }
        let states = state_rule(copula, config)?;
        let thresholds = copula.thresholds(portfolio.pd());
        let n = portfolio.len();
        let loadings: Vec<Option<&[f64]>> = (0..n)
            .map(|i| obligor_loadings(copula, portfolio, i))
            .collect();
        let total = disc.total_units;
        let cutoff = config.tail_cutoff;

        let mut probs = vec![0.0f64; total + 1];
        let mut trimmed = 0.0;
        let mut top = 0usize;
        // Batches bound the memory of the per-node vectors; within and across batches the
        // sum runs in node order.
        for batch in states.chunks(64) {
            let results: Vec<(usize, Vec<f64>, f64)> = batch
                .par_iter()
                .map(|(state, _)| {
                    conditional(
                        &splits,
                        &thresholds,
                        &loadings,
                        copula,
                        state,
                        total,
                        cutoff,
                    )
                })
                .collect();
            for ((lo, dist, dropped), (_, w)) in results.into_iter().zip(batch) {
                for (k, p) in dist.iter().enumerate() {
                    probs[lo + k] += w * p;
                }
                top = top.max(lo + dist.len().saturating_sub(1));
                trimmed += w * dropped;
            }
        }
        probs.truncate(top + 1);
        let scale = disc.unit / portfolio.total_ead();
        let losses = (0..=top).map(|k| k as f64 * scale).collect();
        Ok(Self {
            dist: DiscreteLoss::new(losses, probs),
            discretization: disc,
            nodes: states.len(),
            trimmed_mass: trimmed,
        })
    }

    fn comonotone(portfolio: &Portfolio, splits: &[Split], disc: Discretization) -> Self {
        // Defaults are nested, so each loss is rounded to its nearest unit (the split would
        // break the nesting); the EL shift of that rounding is reported.
        let units: Vec<usize> = splits.iter().map(Split::nearest).collect();
        let mut disc = disc;
        disc.expected_loss_shift = splits
            .iter()
            .zip(&units)
            .zip(portfolio.pd())
            .map(|((s, &u), &p)| (u as f64 - s.exact_units()) * disc.unit * p)
            .sum::<f64>()
            / portfolio.total_ead();
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by(|&a, &b| portfolio.pd()[b].total_cmp(&portfolio.pd()[a]));
        let mut probs = vec![0.0f64; disc.total_units + 1];
        // U in (PD of the next, PD of this]: every obligor up to this one defaults.
        let mut cum = 0usize;
        let mut upper = 1.0;
        for (j, &i) in order.iter().enumerate() {
            let p = portfolio.pd()[i];
            probs[cum] += upper - p;
            upper = p;
            cum += units[i];
            if j + 1 == order.len() {
                probs[cum] += p;
            }
        }
        let scale = disc.unit / portfolio.total_ead();
        let losses = (0..probs.len()).map(|k| k as f64 * scale).collect();
        Self {
            dist: DiscreteLoss::new(losses, probs),
            discretization: disc,
            nodes: 0,
            trimmed_mass: 0.0,
        }
    }

    /// The loss grid and its probabilities.
    pub fn distribution(&self) -> &DiscreteLoss {
        &self.dist
    }

    /// How the losses were discretized.
    pub fn discretization(&self) -> Discretization {
        self.discretization
    }

    /// Number of quadrature points over the systematic state.
    pub fn quadrature_nodes(&self) -> usize {
        self.nodes
    }

    /// Probability mass trimmed from the conditional distributions' ends (an upper bound
    /// on the probability error of any grid point sum).
    pub fn trimmed_mass(&self) -> f64 {
        self.trimmed_mass
    }
}

/// The quadrature over the systematic state: (state, weight), weights summing to 1.
fn state_rule(copula: &Copula, config: &ExactConfig) -> Result<Vec<(Vec<f64>, f64)>> {
    Ok(match copula {
        Copula::Gaussian { .. } => {
            let gh = Rule::gauss_hermite(config.nodes)?;
            gh.nodes
                .iter()
                .zip(&gh.weights)
                .map(|(&z, &w)| (vec![z], w))
                .collect()
        }
        Copula::StudentT { nu, .. } => {
            let gh = Rule::gauss_hermite(config.nodes)?;
            let sr = Rule::chi_scale(config.scale_nodes, *nu)?;
            let mut v = Vec::with_capacity(gh.len() * sr.len());
            for (&s, &ws) in sr.nodes.iter().zip(&sr.weights) {
                for (&z, &wz) in gh.nodes.iter().zip(&gh.weights) {
                    v.push((vec![z, s], ws * wz));
                }
            }
            v
        }
        Copula::DoubleT { nu_m, .. } => {
            let r = Rule::student_t(
                config.market_nodes,
                *nu_m,
                crate::copula::unit_variance_scale(*nu_m),
            )?;
            r.nodes
                .iter()
                .zip(&r.weights)
                .map(|(&m, &w)| (vec![m], w))
                .collect()
        }
        Copula::MultiFactor(m) => {
            let k = m.n_factors();
            let per = config.nodes_per_factor;
            let count = (per as f64).powi(k as i32);
            if count > config.max_tensor_nodes as f64 {
                return Err(Error::Unsupported {
                    method: "exact",
                    reason: format!(
                        "a {k}-factor model needs a tensor grid of {per}^{k} nodes, above the \
                         limit of {} (at {per} nodes per factor at most {} factors); use Monte \
                         Carlo or fewer nodes per factor",
                        config.max_tensor_nodes,
                        ((config.max_tensor_nodes as f64).ln() / (per as f64).ln()).floor()
                    ),
                });
            }
            let gh = Rule::gauss_hermite(per)?;
            let mut v: Vec<(Vec<f64>, f64)> = vec![(Vec::new(), 1.0)];
            for _ in 0..k {
                v = v
                    .into_iter()
                    .flat_map(|(s, w)| {
                        gh.nodes.iter().zip(&gh.weights).map(move |(&z, &wz)| {
                            let mut s2 = s.clone();
                            s2.push(z);
                            (s2, w * wz)
                        })
                    })
                    .collect();
            }
            v
        }
    })
}

/// Integer loss units per exposure and the discretization report.
fn discretize(portfolio: &Portfolio, config: &ExactConfig) -> Result<(Vec<Split>, Discretization)> {
    if config.rounding_units == 0 || config.max_units == 0 {
        return Err(Error::InvalidParameter {
            field: "rounding_units / max_units".into(),
            value: 0.0,
            reason: "must be positive",
        });
    }
    let loss: Vec<f64> = (0..portfolio.len())
        .map(|i| portfolio.ead()[i] * portfolio.lgd()[i].mean())
        .collect();
    let total_loss: f64 = loss.iter().sum();
    let max = loss.iter().copied().fold(0.0, f64::max);
    if max == 0.0 {
        let d = Discretization {
            unit: 1.0,
            total_units: 0,
            exact: true,
            max_rounding: 0.0,
            expected_loss_shift: 0.0,
        };
        return Ok((vec![Split { k: 0, f: 0.0 }; loss.len()], d));
    }
    // Float gcd with a tolerance relative to the largest loss.
    let tol = GCD_TOLERANCE * max;
    let mut g = 0.0f64;
    for &e in loss.iter().filter(|&&e| e > tol) {
        let (mut a, mut b) = (e.max(g), e.min(g));
        while b > tol {
            let r = a % b;
            a = b;
            b = if r > b - tol { 0.0 } else { r };
        }
        g = a;
    }
    let commensurate = g > 0.0
        && loss
            .iter()
            .all(|&e| ((e / g) - (e / g).round()).abs() <= COMMENSURATE_TOLERANCE)
        && (total_loss / g).round() <= config.max_units as f64;
    let unit = if commensurate {
        g
    } else {
        total_loss / config.rounding_units as f64
    };
    let splits: Vec<Split> = loss
        .iter()
        .map(|&e| {
            let x = e / unit;
            let k = x.floor();
            // Snap to the grid when the distance is float noise (commensurate losses).
            let f = x - k;
            let (k, f) = if f < GRID_SNAP {
                (k, 0.0)
            } else if f > 1.0 - GRID_SNAP {
                (k + 1.0, 0.0)
            } else {
                (k, f)
            };
            Split { k: k as usize, f }
        })
        .collect();
    let max_rounding = splits
        .iter()
        .map(|s| s.f.min(1.0 - s.f) * unit)
        .fold(0.0, f64::max);
    let shift: f64 = (0..loss.len())
        .map(|i| (splits[i].exact_units() * unit - loss[i]) * portfolio.pd()[i])
        .sum::<f64>()
        / portfolio.total_ead();
    let total_units = splits.iter().map(Split::max_units).sum();
    Ok((
        splits,
        Discretization {
            unit,
            total_units,
            exact: commensurate,
            max_rounding,
            expected_loss_shift: shift,
        },
    ))
}

/// An exposure's loss on the grid: `k` units, plus one more with probability `f` given
/// default, so that the expected loss given default is exactly `(k + f)` units.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Split {
    k: usize,
    f: f64,
}

impl Split {
    fn exact_units(&self) -> f64 {
        self.k as f64 + self.f
    }

    fn max_units(&self) -> usize {
        self.k + usize::from(self.f > 0.0)
    }

    fn nearest(&self) -> usize {
        self.k + usize::from(self.f >= 0.5)
    }
}

/// The conditional loss distribution given `state`: (first index, probabilities, trimmed).
fn conditional(
    splits: &[Split],
    thresholds: &[f64],
    loadings: &[Option<&[f64]>],
    copula: &Copula,
    state: &[f64],
    total: usize,
    cutoff: f64,
) -> (usize, Vec<f64>, f64) {
    let mut d = vec![0.0f64; total + 1];
    d[0] = 1.0;
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut dropped = 0.0;
    for (i, split) in splits.iter().enumerate() {
        let (n, f) = (split.k, split.f);
        let reach = split.max_units();
        if reach == 0 {
            continue;
        }
        let p = copula.conditional_pd(thresholds[i], loadings[i], state);
        if p <= 0.0 {
            continue;
        }
        let q = 1.0 - p;
        // Given default: n units with probability 1 - f, n + 1 with probability f.
        let (p_n, p_n1) = (p * (1.0 - f), p * f);
        let old = |k: usize, d: &[f64]| if k >= lo && k <= hi { d[k] } else { 0.0 };
        let new_hi = (hi + reach).min(total);
        // Descending, so every d[k - n] and d[k - n - 1] read is still the old value.
        for k in (lo..=new_hi).rev() {
            let stay = old(k, &d);
            let from_n = if k >= n { old(k - n, &d) } else { 0.0 };
            let from_n1 = if p_n1 > 0.0 && k > n {
                old(k - n - 1, &d)
            } else {
                0.0
            };
            d[k] = stay * q + from_n * p_n + from_n1 * p_n1;
        }
        hi = new_hi;
        while hi > lo && d[hi] < cutoff {
            dropped += d[hi];
            d[hi] = 0.0;
            hi -= 1;
        }
        while lo < hi && d[lo] < cutoff {
            dropped += d[lo];
            d[lo] = 0.0;
            lo += 1;
        }
    }
    (lo, d[lo..=hi].to_vec(), dropped)
}

crate::discrete::delegate_loss_distribution!(ExactLoss, dist);
