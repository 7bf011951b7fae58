//! The saddlepoint approximation of the loss distribution (Martin, Thompson and Browne,
//! "Taking to the saddle", Risk 14(6), 2001): given the factor the defaults are independent,
//! so the conditional loss has the cumulant generating function
//! `K(s) = sum_i ln(1 - p_i(z) + p_i(z) e^(s a_i))`; its tail `P(L > x | z)` is the
//! Lugannani-Rice formula at the saddle `K'(s) = x`, its stop-loss `E[(L - x)+ | z]` Martin's
//! `(mu - x) P + K''(s) f(x)`, and both are integrated over the factor
//! (docs/methodology/saddlepoint.md).
//!
//! Fast and error-controlled:
//! - **Cells and power sums.** The loans but the largest few are grouped into cells of
//!   nearby default thresholds. `K` of a cell is the power series
//!   `sum_n kappa_n(p) s^n sum_i a_i^n / n!` in the Bernoulli cumulants `kappa_n(p)` (radius
//!   at least `pi` in `s a_i`, used for `|s a_i| <= 1`), and each loan's threshold offset
//!   from the cell's centre enters by a second-order Taylor expansion of `kappa_n(p(t))`, so
//!   a factor node costs a few hundred cells, not a pass over the loans; the largest loans
//!   (where `s a_i` is not small) stay exact. A node whose saddle lies beyond the series'
//!   range is either bounded away (Chernoff) or evaluated loan by loan.
//! - **Quadrature where the tail moves.** For a granular book `P(L > x | z)` is a sharp step
//!   at `z*(x)`, where the conditional mean is `x`: the factor integral is split there, on
//!   panels graded by the step's width, and refined (Gauss-Kronrod 7-15) until the figure's
//!   error estimate is below a tolerance relative to the figure.
//! - **VaR by Newton** on `ln P(L > x)` with the saddlepoint density, from the large-pool
//!   quantile, safeguarded by a bracket: a few tail integrals per level.
//! - Quadrature nodes run in parallel (rayon) and are summed in a fixed order: the same
//!   figures on any number of threads.
//!
//! [`Saddlepoint::convergence`] reports the figures at a coarser setting (wider cells,
//! looser quadrature, fewer exact loans) beside the reported ones: convergence evidence of
//! the numerical error. The approximation's own error is not measured there.
//!
//! One-factor Gaussian copula only; an LGD that moves with the factor enters by its
//! conditional mean, a Beta LGD by its mean (the conditional loss of a default is then a
//! constant: the approximation's own assumption, stated in its accuracy).

use crate::accuracy::{AccuracyReport, Evidence, Tolerance, compare};
use crate::copula::{Copula, gaussian_conditional_pd, gaussian_threshold};
use crate::distribution::{
    Estimate, LossDistribution, LossSummary, Tranche, TrancheEstimate, check_level,
};
use crate::error::{Error, Result};
use crate::portfolio::{Lgd, Portfolio};
use creditlab_numerics::special::{norm_cdf, norm_pdf, norm_ppf};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Range of the factor integrated over: the normal mass beyond is below 1e-17.
const Z_RANGE: f64 = 8.5;
/// Terms of the cumulant power series kept (with `|s a| <= SERIES_RADIUS` the next term is
/// below `(1 / pi)^21`, about 4e-11, of the cumulants' scale).
const ORDER: usize = 20;
/// Largest `|s a_i|` a loan in a cell is expanded at (the series converges up to `pi`).
const SERIES_RADIUS: f64 = 1.0;
/// Absolute floor of the factor integrals' tolerance (what "relative" means near zero).
const ABSOLUTE_FLOOR: f64 = 1e-16;
/// A node's conditional tail (or its complement) whose Chernoff bound is below this share
/// of the figure's tolerance (the figure estimated by the large pool's `Phi(z*)`) is taken
/// as 0 (or 1); never one above `e^NEGLIGIBLE_LN` (2e-9).
const NEGLIGIBLE_SHARE: f64 = 1e-2;
const NEGLIGIBLE_LN: f64 = -20.0;
/// Within this relative distance of the largest loss the tail is the probability that
/// every loan defaults.
const TOP: f64 = 1e-9;
/// Below this |w| the Lugannani-Rice formula is replaced by its limit at the mean.
const NEAR_MEAN: f64 = 1e-4;
/// Newton-bisection steps for the saddle and relative tolerance on `K'(s) = x`.
const SADDLE_STEPS: usize = 200;
const SADDLE_TOLERANCE: f64 = 1e-13;
/// The cells' saddle also stops once its bracket is this narrow relative to `max(|s|, 1)`.
const SADDLE_NARROWEST: f64 = 1e-15;
/// Steps of the VaR root; it stops when `ln P(L > x)` is within `ROOT_LN_TOLERANCE` of
/// `ln(1 - level)` or the step is below `ROOT_TOLERANCE` relative.
const ROOT_STEPS: usize = 100;
const ROOT_LN_TOLERANCE: f64 = 1e-11;
const ROOT_TOLERANCE: f64 = 1e-12;
/// The VaR root also stops within this many quadrature tolerances of `ln(1 - level)`.
const ROOT_NOISE: f64 = 10.0;
/// A panel whose error estimate is below this share of its value is at the integrand's
/// own noise and is not split; nor is one narrower than `NARROWEST` times the tail's step
/// width (there Lugannani-Rice's `1/u - 1/w` near the mean carries rounding noise of about
/// 1e-7, which such a panel turns into less than 1e-13 of the integral), or than
/// `NARROWEST_SMOOTH` for the smooth integrands.
const PANEL_NOISE: f64 = 1e-12;
const NARROWEST: f64 = 1e-4;
const NARROWEST_SMOOTH: f64 = 1e-6;
/// Refinement rounds and panels of one factor integral at most.
const MAX_ROUNDS: usize = 40;
const MAX_PANELS: usize = 20_000;
/// Ratio of the widths of neighbouring initial panels away from `z*(x)`.
const GRADING: f64 = 4.0;
/// Bisection steps locating `z*(x)`.
const SPLIT_STEPS: usize = 60;
/// Default width of a threshold cell (in units of the normal threshold `Phi^-1(PD)`).
pub const DEFAULT_CELL_WIDTH: f64 = 0.05;
/// Default relative tolerance of the factor integrals.
pub const DEFAULT_TOLERANCE: f64 = 1e-9;
/// Default number of the largest loans kept exact.
pub const DEFAULT_EXACT_LOANS: usize = 128;
/// The coarser setting of [`Saddlepoint::convergence`]: cells this many times wider,
/// quadrature tolerance this many times looser.
const COARSER_CELLS: f64 = 2.0;
const COARSER_TOLERANCE: f64 = 100.0;
/// What the numerical error of a figure is held to in [`Saddlepoint::convergence`]
/// (relative, absolute): far below the approximation's own error (about 1e-4 relative in
/// the far tail of a 10,000-loan book) and issue 12's 1e-3.
pub const NUMERICAL_TOLERANCE: Tolerance = Tolerance {
    relative: 1e-5,
    absolute: 1e-12,
};

/// The settings of the saddlepoint's numerics.
///
/// ```
/// use creditlab_contagion::saddlepoint::SaddlepointConfig;
/// let c = SaddlepointConfig::default();
/// assert!(c.cell_width > 0.0 && c.tolerance > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaddlepointConfig {
    /// Width of a cell of default thresholds `Phi^-1(PD)`; 0 keeps every loan exact (slow).
    pub cell_width: f64,
    /// Relative tolerance of the factor integrals (the error estimate of `P(L > x)` and
    /// `E[(L - x)+]` against the figure).
    pub tolerance: f64,
    /// The largest loans (by exposure times LGD) kept exact, outside the cells.
    pub exact_loans: usize,
}

impl Default for SaddlepointConfig {
    fn default() -> Self {
        Self {
            cell_width: DEFAULT_CELL_WIDTH,
            tolerance: DEFAULT_TOLERANCE,
            exact_loans: DEFAULT_EXACT_LOANS,
        }
    }
}

impl SaddlepointConfig {
    fn validate(&self) -> Result<()> {
        if !(self.cell_width.is_finite() && self.cell_width >= 0.0) {
            return Err(Error::InvalidParameter {
                field: "saddlepoint.cell_width".into(),
                value: self.cell_width,
                reason: "must be finite and non-negative",
            });
        }
        if !(self.tolerance > 0.0 && self.tolerance < 1.0) {
            return Err(Error::InvalidParameter {
                field: "saddlepoint.tolerance".into(),
                value: self.tolerance,
                reason: "must be in (0, 1)",
            });
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "cells {:e} wide, quadrature tolerance {:.0e} relative, {} exact loans",
            self.cell_width, self.tolerance, self.exact_loans
        )
    }
}

/// The saddlepoint loss distribution of a portfolio under a one-factor Gaussian copula.
///
/// ```
/// use creditlab_contagion::{Copula, LossDistribution, Portfolio, Saddlepoint};
/// let book = Portfolio::standard_book(200).unwrap();
/// let s = Saddlepoint::new(&book, &Copula::gaussian(0.2).unwrap()).unwrap();
/// let var = s.value_at_risk(0.99).unwrap().value;
/// assert!(var > s.expected_loss().value);
/// ```
#[derive(Debug)]
pub struct Saddlepoint {
    rho: f64,
    config: SaddlepointConfig,
    /// Loans grouped by (threshold, loss per default, LGD): identical loans share one term.
    groups: Vec<Cohort>,
    /// The LGDs that move with the factor (a cohort's `lgd` indexes them).
    moving: Vec<Lgd>,
    /// The cells (all but the exact loans) and the exact loans (indices into `groups`).
    cells: Vec<Cell>,
    exact: Vec<usize>,
    expected_loss: f64,
    max_loss: f64,
    accuracy: AccuracyReport,
    /// Nodes evaluated loan by loan (the saddle beyond the series' range).
    direct_nodes: AtomicUsize,
    /// Factor nodes evaluated so far (every integral).
    nodes: AtomicUsize,
    /// `(P(L > x), E[(L - x)+], f(x))` found so far, by `x`.
    tails: Mutex<BTreeMap<u64, [f64; 3]>>,
    /// Quantiles found so far, by level.
    quantiles: Mutex<BTreeMap<u64, f64>>,
}

/// No factor-moving LGD: the loss per default is fixed.
const FIXED: usize = usize::MAX;

/// Identical loans: their default threshold, number, loss per default (EAD share times the
/// LGD's mean, or the EAD share alone for an LGD moving with the factor) and that LGD.
#[derive(Debug, Clone, Copy)]
struct Cohort {
    threshold: f64,
    count: f64,
    a: f64,
    lgd: usize,
}

/// Loans of nearby thresholds (and the same moving LGD, if any): per power `n = 1..ORDER`
/// the sums `sum a^n`, `sum a^n d` and `sum a^n d^2 / 2` over its loans (`d` the threshold's
/// offset from `centre`), and the same with `a^0` for `sum ln(1 - p)`.
#[derive(Debug, Clone)]
struct Cell {
    centre: f64,
    lgd: usize,
    largest: f64,
    sums: [[f64; 3]; ORDER],
    counts: [f64; 3],
}

/// One factor node: the cells' cumulant power sums, the exact loans' terms and what the
/// boundary cases need.
struct Node {
    /// `M_n = sum kappa_n(p_i) a_i^n` over the cells' loans, `n = 1..ORDER`.
    m: [f64; ORDER],
    /// The exact loans: conditional PD, loss per default, count.
    exact: Vec<(f64, f64, f64)>,
    /// Largest `|s|` the series holds at.
    s_max: f64,
    mean: f64,
    /// The largest conditional loss (every loan with a positive PD defaults).
    most: f64,
}

/// The conditional loss's cumulants at `s` for one factor value.
struct Cumulants {
    k: f64,
    k1: f64,
    k2: f64,
    k3: f64,
}

/// Bernoulli cumulants `kappa_n(p)`, `n = 1..ORDER + 2`, as polynomials in `p`
/// (`kappa_1 = p`, `kappa_{n+1} = p (1 - p) kappa_n'`), coefficients from degree 0.
fn kappa_polynomials() -> &'static Vec<Vec<f64>> {
    static POLYS: std::sync::OnceLock<Vec<Vec<f64>>> = std::sync::OnceLock::new();
    POLYS.get_or_init(|| {
        let mut v = vec![vec![0.0, 1.0]];
        for _ in 1..ORDER + 2 {
            let c = v.last().expect("one");
            let mut next = vec![0.0; c.len() + 1];
            for (k, &ck) in c.iter().enumerate().skip(1) {
                let d = k as f64 * ck;
                next[k] += d;
                next[k + 1] -= d;
            }
            v.push(next);
        }
        v
    })
}

/// `kappa_n(p)` for `n = 1..ORDER + 2` (index `n - 1`), evaluated at `min(p, 1 - p)` and
/// reflected (`kappa_n(1 - p) = (-1)^n kappa_n(p)` for `n >= 2`), where the polynomials lose
/// the fewest digits.
fn kappas(p: f64) -> [f64; ORDER + 2] {
    let polys = kappa_polynomials();
    let q = p.min(1.0 - p);
    let mut out = [0.0; ORDER + 2];
    for (n, c) in polys.iter().enumerate() {
        let v = c.iter().rev().fold(0.0, |acc, &ck| acc * q + ck);
        // n is the index: the cumulant's order is n + 1.
        out[n] = if p > 0.5 && n % 2 == 0 { -v } else { v };
    }
    out[0] = p;
    out
}

impl Saddlepoint {
    /// The approximation for `portfolio` under `copula` (one-factor Gaussian), at the
    /// default settings.
    pub fn new(portfolio: &Portfolio, copula: &Copula) -> Result<Self> {
        Self::with_config(portfolio, copula, &SaddlepointConfig::default())
    }

    /// The approximation at the settings `config`.
    pub fn with_config(
        portfolio: &Portfolio,
        copula: &Copula,
        config: &SaddlepointConfig,
    ) -> Result<Self> {
        config.validate()?;
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
        let mut moving: Vec<Lgd> = Vec::new();
        let mut loans: Vec<Cohort> = Vec::with_capacity(portfolio.len());
        let mut expected_loss = 0.0;
        let mut max_loss = 0.0;
        for i in 0..portfolio.len() {
            let lgd = portfolio.lgd()[i];
            let share = portfolio.ead()[i] / total;
            let pd = portfolio.pd()[i];
            expected_loss += share * pd * lgd.mean();
            if pd <= 0.0 || share <= 0.0 {
                continue;
            }
            max_loss += share * lgd.max();
            let (a, l) = if lgd.moves_with_factor() {
                let l = match moving.iter().position(|x| *x == lgd) {
                    Some(l) => l,
                    None => {
                        moving.push(lgd);
                        moving.len() - 1
                    }
                };
                (share, l)
            } else {
                (share * lgd.mean(), FIXED)
            };
            if a <= 0.0 {
                continue;
            }
            loans.push(Cohort {
                threshold: gaussian_threshold(pd),
                count: 1.0,
                a,
                lgd: l,
            });
        }
        // Identical loans (same threshold, loss per default and LGD) become one cohort.
        let key = |c: &Cohort| (c.threshold.to_bits(), c.a.to_bits(), c.lgd);
        loans.sort_unstable_by_key(key);
        let mut groups: Vec<Cohort> = Vec::with_capacity(loans.len());
        for c in loans {
            match groups.last_mut() {
                Some(g) if key(g) == key(&c) => g.count += 1.0,
                _ => groups.push(c),
            }
        }
        // The largest losses per default stay exact, and every loan when cells are off
        // or the conditional PDs are steps (rho 1).
        let bound = |g: &Cohort| {
            g.a * if g.lgd == FIXED {
                1.0
            } else {
                moving[g.lgd].max()
            }
        };
        let all_exact = config.cell_width == 0.0 || rho >= 1.0;
        let mut order: Vec<usize> = (0..groups.len()).collect();
        let by_size = |i: &usize, j: &usize| {
            bound(&groups[*j])
                .total_cmp(&bound(&groups[*i]))
                .then(i.cmp(j))
        };
        let keep = if all_exact {
            order.len()
        } else {
            config.exact_loans.min(order.len())
        };
        if keep > 0 && keep < order.len() {
            order.select_nth_unstable_by(keep - 1, by_size);
        }
        let (mut exact, mut rest) = (order[..keep].to_vec(), Vec::new());
        for &g in &order[keep..] {
            if groups[g].threshold.is_finite() {
                rest.push(g);
            } else {
                exact.push(g);
            }
        }
        exact.sort_unstable();
        let cells = Self::cells(&groups, &rest, config.cell_width);
        let accuracy = AccuracyReport::analytic(format!(
            "saddlepoint: the conditional loss given the factor by Lugannani-Rice at its \
             saddle (Martin, Thompson and Browne 2001), its stop-loss by Martin's formula; \
             {} groups of identical loans, {} kept exact, the rest in {} cells of nearby \
             default thresholds (cumulant power series to order {ORDER} for |s a| <= \
             {SERIES_RADIUS}, thresholds by second-order Taylor); the factor integral split \
             where the conditional mean crosses the loss, adaptive Gauss-Kronrod to {:e} \
             relative. The approximation's own error (relative, largest in the far tail and \
             for few loans) is not bounded here: checked against the exact recursion in the \
             tests. Beta LGDs enter by their mean.",
            groups.len(),
            exact.len(),
            cells.len(),
            config.tolerance,
        ));
        Ok(Self {
            rho,
            config: *config,
            groups,
            moving,
            cells,
            exact,
            expected_loss,
            max_loss,
            accuracy,
            direct_nodes: AtomicUsize::new(0),
            nodes: AtomicUsize::new(0),
            tails: Mutex::new(BTreeMap::new()),
            quantiles: Mutex::new(BTreeMap::new()),
        })
    }

    /// The cells of the cohorts `rest`: thresholds binned by `width`, per moving LGD.
    fn cells(groups: &[Cohort], rest: &[usize], width: f64) -> Vec<Cell> {
        if rest.is_empty() {
            return Vec::new();
        }
        let lowest = rest
            .iter()
            .map(|&g| groups[g].threshold)
            .fold(f64::INFINITY, f64::min);
        let mut bins: BTreeMap<(usize, i64), Vec<usize>> = BTreeMap::new();
        for &g in rest {
            let c = &groups[g];
            let bin = ((c.threshold - lowest) / width).floor() as i64;
            bins.entry((c.lgd, bin)).or_default().push(g);
        }
        bins.into_iter()
            .map(|((lgd, _), members)| {
                let (lo, hi) = members
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |m, &g| {
                        (m.0.min(groups[g].threshold), m.1.max(groups[g].threshold))
                    });
                let centre = 0.5 * (lo + hi);
                let mut cell = Cell {
                    centre,
                    lgd,
                    largest: 0.0,
                    sums: [[0.0; 3]; ORDER],
                    counts: [0.0; 3],
                };
                for &g in &members {
                    let c = &groups[g];
                    let d = c.threshold - centre;
                    let w = [c.count, c.count * d, c.count * d * d * 0.5];
                    for (sum, wk) in cell.counts.iter_mut().zip(w) {
                        *sum += wk;
                    }
                    let mut an = 1.0;
                    for sums in cell.sums.iter_mut() {
                        an *= c.a;
                        for (sum, wk) in sums.iter_mut().zip(w) {
                            *sum += wk * an;
                        }
                    }
                    cell.largest = cell.largest.max(c.a);
                }
                cell
            })
            .collect()
    }

    /// What the method says about its accuracy (its settings; the convergence evidence of
    /// its figures is [`Saddlepoint::convergence`]).
    pub fn accuracy(&self) -> &AccuracyReport {
        &self.accuracy
    }

    /// How many factor nodes were evaluated loan by loan so far (the saddle beyond the
    /// cells' series range and not negligible): a diagnostic of the fast path.
    pub fn direct_nodes(&self) -> usize {
        self.direct_nodes.load(Ordering::Relaxed)
    }

    /// How many factor nodes every integral so far evaluated together.
    pub fn evaluated_nodes(&self) -> usize {
        self.nodes.load(Ordering::Relaxed)
    }

    /// Expected loss of the pool, exact (no approximation enters it).
    pub fn exact_expected_loss(&self) -> f64 {
        self.expected_loss
    }

    /// The factor of an LGD at `z`: 1 for a fixed loss per default.
    fn lgd_factor(&self, lgd: usize, z: f64) -> f64 {
        if lgd == FIXED {
            1.0
        } else {
            self.moving[lgd].conditional_mean(z)
        }
    }

    /// The normalised threshold distance `c`, `p = Phi(c)`, `dp/dt` and `d2p/dt2` of a
    /// threshold `t` at `z`.
    fn pd_and_slopes(&self, t: f64, z: f64) -> (f64, f64, f64) {
        let sd = (1.0 - self.rho).sqrt();
        let c = (t - self.rho.sqrt() * z) / sd;
        let phi = norm_pdf(c);
        (norm_cdf(c), phi / sd, -c * phi / (sd * sd))
    }

    /// The conditional mean and variance at `z` (orders 1 and 2 of the cells, exact loans).
    fn low_moments(&self, z: f64) -> (f64, f64) {
        let (mut mean, mut var) = (0.0, 0.0);
        for cell in &self.cells {
            let (p, pt, ptt) = self.pd_and_slopes(cell.centre, z);
            let f = self.lgd_factor(cell.lgd, z);
            let s1 = &cell.sums[0];
            let s2 = &cell.sums[1];
            mean += f * (p * s1[0] + pt * s1[1] + ptt * s1[2]);
            // kappa_2 = p (1 - p): derivative 1 - 2p, second derivative -2.
            let v = p * (1.0 - p);
            let d1 = 1.0 - 2.0 * p;
            var += f * f * (v * s2[0] + d1 * pt * s2[1] + (d1 * ptt - 2.0 * pt * pt) * s2[2]);
        }
        for &g in &self.exact {
            let c = &self.groups[g];
            let p = gaussian_conditional_pd(c.threshold, self.rho, z);
            let a = c.a * self.lgd_factor(c.lgd, z);
            mean += c.count * p * a;
            var += c.count * a * a * p * (1.0 - p);
        }
        (mean, var.max(0.0))
    }

    /// The node at `z`: the cells' power sums and the exact loans' terms.
    fn node(&self, z: f64) -> Node {
        let mut m = [0.0; ORDER];
        let mut largest: f64 = 0.0;
        let mut most = 0.0;
        for cell in &self.cells {
            let (p, pt, ptt) = self.pd_and_slopes(cell.centre, z);
            let f = self.lgd_factor(cell.lgd, z);
            largest = largest.max(cell.largest * f);
            most += f * cell.sums[0][0];
            let v = p * (1.0 - p);
            if v < 1e-200 {
                // Every loan of the cell certainly survives (p = 0) or defaults (p = 1).
                m[0] += f * p * cell.sums[0][0];
                continue;
            }
            let k = kappas(p);
            let (inv, d) = (1.0 / v, 1.0 - 2.0 * p);
            let mut fn_ = 1.0;
            for n in 0..ORDER {
                fn_ *= f;
                let k1 = k[n + 1] * inv;
                let k2 = (k[n + 2] - d * k[n + 1]) * inv * inv;
                let s = &cell.sums[n];
                m[n] += fn_ * (k[n] * s[0] + k1 * pt * s[1] + (k2 * pt * pt + k1 * ptt) * s[2]);
            }
        }
        let exact: Vec<(f64, f64, f64)> = self
            .exact
            .iter()
            .map(|&g| {
                let c = &self.groups[g];
                let p = gaussian_conditional_pd(c.threshold, self.rho, z);
                (p, c.a * self.lgd_factor(c.lgd, z), c.count)
            })
            .collect();
        let mut mean = m[0];
        for &(p, a, n) in &exact {
            mean += n * p * a;
            if p > 0.0 {
                most += n * a;
            }
        }
        Node {
            m,
            exact,
            s_max: if largest > 0.0 {
                SERIES_RADIUS / largest
            } else {
                f64::INFINITY
            },
            mean,
            most,
        }
    }

    /// The cumulants at `s` of a node: the cells' series plus the exact loans.
    fn node_cumulants(node: &Node, s: f64) -> Cumulants {
        let mut c = cumulants(&node.exact, s);
        // K^(j)(s) = sum_{n >= j} M_n s^(n - j) / (n - j)!.
        let (mut k, mut k1, mut k2, mut k3) = (0.0, 0.0, 0.0, 0.0);
        let mut pow = [0.0; ORDER + 1];
        pow[0] = 1.0;
        for r in 1..=ORDER {
            pow[r] = pow[r - 1] * s / r as f64;
        }
        for n in 1..=ORDER {
            let mn = node.m[n - 1];
            k += mn * pow[n];
            k1 += mn * pow[n - 1];
            if n >= 2 {
                k2 += mn * pow[n - 2];
            }
            if n >= 3 {
                k3 += mn * pow[n - 3];
            }
        }
        c.k += k;
        c.k1 += k1;
        c.k2 += k2;
        c.k3 += k3;
        c
    }

    /// `(P(L > x | z), E[(L - x)+ | z], f(x | z))` at node `node` of factor `z`.
    fn node_tail(&self, node: &Node, z: f64, x: f64, ln_drop: f64) -> [f64; 3] {
        let (mean, most) = (node.mean, node.most);
        if x >= most {
            return [0.0, 0.0, 0.0];
        }
        if x >= most * (1.0 - TOP) || x <= 0.0 {
            return self.direct_tail(z, x);
        }
        let s_max = node.s_max;
        let k = |s: f64| Self::node_cumulants(node, s);
        let (lo, hi) = if x > mean {
            (0.0, s_max)
        } else {
            (-s_max, 0.0)
        };
        if s_max.is_finite() {
            let edge = if x > mean { hi } else { lo };
            let c = k(edge);
            if (x > mean && c.k1 < x) || (x < mean && c.k1 > x) {
                // The saddle lies beyond the series: bounded away, or loan by loan.
                let chernoff = c.k - edge * x;
                if chernoff < ln_drop {
                    return if x > mean {
                        [0.0, 0.0, 0.0]
                    } else {
                        [1.0, mean - x, 0.0]
                    };
                }
                self.direct_nodes.fetch_add(1, Ordering::Relaxed);
                return self.direct_tail(z, x);
            }
        } else {
            // No cells: the series is empty, the exact loans carry the loss.
            return self.direct_tail(z, x);
        }
        let c0 = k(0.0);
        let s = if c0.k2 > 0.0 {
            ((x - mean) / c0.k2).clamp(lo, hi)
        } else {
            0.5 * (lo + hi)
        };
        let (s, c) = newton_saddle(k, x, s, (lo, hi), SADDLE_NARROWEST);
        lugannani_rice(&c, s, x, mean)
    }

    /// Conditional PDs and losses per default of every cohort at factor `z`.
    fn conditional(&self, z: f64) -> Vec<(f64, f64, f64)> {
        self.groups
            .iter()
            .map(|g| {
                (
                    gaussian_conditional_pd(g.threshold, self.rho, z),
                    g.a * self.lgd_factor(g.lgd, z),
                    g.count,
                )
            })
            .collect()
    }

    /// `(P(L > x | z), E[(L - x)+ | z], f(x | z))` loan by loan.
    fn direct_tail(&self, z: f64, x: f64) -> [f64; 3] {
        let terms = self.conditional(z);
        let mean: f64 = terms.iter().map(|&(p, a, n)| n * p * a).sum();
        let most: f64 = terms
            .iter()
            .filter(|t| t.0 > 0.0)
            .map(|&(_, a, n)| n * a)
            .sum();
        if x >= most {
            return [0.0, 0.0, 0.0];
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
            return [all, 0.0, 0.0];
        }
        if x <= 0.0 {
            let none: f64 = terms
                .iter()
                .map(|&(p, _, n)| n * (-p).ln_1p())
                .sum::<f64>()
                .exp();
            return [1.0 - none, mean - x, 0.0];
        }
        let (s, c) = saddle(&terms, x, mean);
        lugannani_rice(&c, s, x, mean)
    }

    /// `P(L > 0 | z)` from the cells (`sum ln(1 - p)` by its threshold Taylor expansion)
    /// and the exact loans.
    fn any_default(&self, z: f64) -> f64 {
        let mut ln_none = 0.0;
        let sd = (1.0 - self.rho).sqrt();
        for cell in &self.cells {
            let c = (cell.centre - self.rho.sqrt() * z) / sd;
            let (_, pt, ptt) = self.pd_and_slopes(cell.centre, z);
            let survive = norm_cdf(-c);
            if survive <= 0.0 {
                return 1.0;
            }
            // ln(1 - p(t)) to second order in the threshold offset.
            let g1 = -pt / survive;
            let g2 = -ptt / survive - (pt / survive).powi(2);
            ln_none += survive.ln() * cell.counts[0] + g1 * cell.counts[1] + g2 * cell.counts[2];
        }
        for &g in &self.exact {
            let c = &self.groups[g];
            let p = gaussian_conditional_pd(c.threshold, self.rho, z);
            ln_none += c.count * (-p).ln_1p();
        }
        -ln_none.exp_m1()
    }

    /// `z*(x)`: where the conditional mean (decreasing in the factor) crosses `x`, and the
    /// width of the conditional tail's step there (conditional standard deviation over the
    /// mean's slope).
    fn split(&self, x: f64) -> (f64, f64) {
        let mean = |z: f64| self.low_moments(z).0;
        let (mut lo, mut hi) = (-Z_RANGE, Z_RANGE);
        if mean(lo) <= x {
            return (lo, 1.0);
        }
        if mean(hi) >= x {
            return (hi, 1.0);
        }
        for _ in 0..SPLIT_STEPS {
            let m = 0.5 * (lo + hi);
            if mean(m) > x {
                lo = m;
            } else {
                hi = m;
            }
            if hi - lo < 1e-12 {
                break;
            }
        }
        let z = 0.5 * (lo + hi);
        let h = 1e-3;
        let slope = (mean(z - h) - mean(z + h)) / (2.0 * h);
        let sd = self.low_moments(z).1.sqrt();
        let w = sd / slope;
        (
            z,
            if w.is_finite() {
                w.clamp(1e-5, 1.0)
            } else {
                1.0
            },
        )
    }

    /// Integrates `g(z) phi(z)` (three components) over the factor on panels starting from
    /// `breaks`, refined (Gauss-Kronrod 7-15, nodes in parallel, sums in panel order)
    /// until the error estimates of the first two components are within
    /// `tolerance |value| + ABSOLUTE_FLOOR`.
    fn integrate(
        &self,
        breaks: &[f64],
        g: &(impl Fn(f64) -> [f64; 3] + Sync),
        tolerance: f64,
        min_width: f64,
    ) -> [f64; 3] {
        // Panels: (a, b, kronrod sums, error estimates of components 0 and 1).
        type Panel = (f64, f64, [f64; 3], [f64; 2]);
        let eval = |spans: &[(f64, f64)]| -> Vec<Panel> {
            let nodes: Vec<f64> = spans
                .iter()
                .flat_map(|&(a, b)| {
                    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
                    GK_NODES.iter().map(move |&t| mid + half * t)
                })
                .collect();
            self.nodes.fetch_add(nodes.len(), Ordering::Relaxed);
            let values: Vec<[f64; 3]> = nodes
                .par_iter()
                .map(|&z| {
                    let v = g(z);
                    let w = norm_pdf(z);
                    [v[0] * w, v[1] * w, v[2] * w]
                })
                .collect();
            spans
                .iter()
                .zip(values.chunks(GK_NODES.len()))
                .map(|(&(a, b), v)| {
                    let half = 0.5 * (b - a);
                    let (mut k, mut gs) = ([0.0; 3], [0.0; 2]);
                    for (i, vi) in v.iter().enumerate() {
                        for c in 0..3 {
                            k[c] += GK_KRONROD[i] * vi[c];
                        }
                        for c in 0..2 {
                            gs[c] += GK_GAUSS[i] * vi[c];
                        }
                    }
                    let k = k.map(|x| x * half);
                    let e = [(k[0] - gs[0] * half).abs(), (k[1] - gs[1] * half).abs()];
                    (a, b, k, e)
                })
                .collect()
        };
        let spans: Vec<(f64, f64)> = breaks
            .windows(2)
            .filter(|w| w[1] > w[0])
            .map(|w| (w[0], w[1]))
            .collect();
        let mut panels = eval(&spans);
        for _ in 0..MAX_ROUNDS {
            let total = sum3(panels.iter().map(|p| p.2));
            let tol = [
                tolerance * total[0].abs() + ABSOLUTE_FLOOR,
                tolerance * total[1].abs() + ABSOLUTE_FLOOR,
            ];
            let err = panels
                .iter()
                .fold([0.0, 0.0], |e, p| [e[0] + p.3[0], e[1] + p.3[1]]);
            if (err[0] <= tol[0] && err[1] <= tol[1]) || panels.len() >= MAX_PANELS {
                break;
            }
            let n = panels.len() as f64;
            // A panel at its integrand's noise (the saddle's tolerance) or too narrow to
            // split is kept.
            let bad = |p: &Panel| {
                let noise = [PANEL_NOISE * p.2[0].abs(), PANEL_NOISE * p.2[1].abs()];
                p.1 - p.0 > min_width
                    && ((p.3[0] > tol[0] / n && p.3[0] > noise[0])
                        || (p.3[1] > tol[1] / n && p.3[1] > noise[1]))
            };
            let mut split = Vec::new();
            let mut kept = Vec::new();
            for p in panels {
                if bad(&p) {
                    let m = 0.5 * (p.0 + p.1);
                    split.push((p.0, m));
                    split.push((m, p.1));
                } else {
                    kept.push(p);
                }
            }
            if split.is_empty() {
                panels = kept;
                break;
            }
            kept.extend(eval(&split));
            kept.sort_by(|a, b| a.0.total_cmp(&b.0));
            panels = kept;
        }
        sum3(panels.iter().map(|p| p.2))
    }

    /// Panel boundaries graded around `z` by `w`: `z +- w GRADING^k` inside the range.
    fn graded(z: f64, w: f64) -> Vec<f64> {
        let mut b = vec![-Z_RANGE, Z_RANGE];
        if z > -Z_RANGE && z < Z_RANGE {
            b.push(z);
        }
        let mut d = w;
        while d < 2.0 * Z_RANGE {
            for y in [z - d, z + d] {
                if y > -Z_RANGE && y < Z_RANGE {
                    b.push(y);
                }
            }
            d *= GRADING;
        }
        b.sort_by(f64::total_cmp);
        b.dedup();
        b
    }

    /// `(P(L > x), E[(L - x)+], f(x))`, integrated over the factor (cached by `x`).
    fn tail_at(&self, x: f64) -> [f64; 3] {
        if let Some(v) = self
            .tails
            .lock()
            .ok()
            .and_then(|c| c.get(&x.to_bits()).copied())
        {
            return v;
        }
        let v = if x < 0.0 {
            [1.0, self.expected_loss - x, 0.0]
        } else if x >= self.max_loss {
            [0.0, 0.0, 0.0]
        } else if x == 0.0 {
            let p = self.integrate(
                &Self::graded(0.0, 1.0),
                &|z| [self.any_default(z), 0.0, 0.0],
                self.config.tolerance,
                NARROWEST_SMOOTH,
            )[0];
            [p.clamp(0.0, 1.0), self.expected_loss, 0.0]
        } else {
            let (z, w) = self.split(x);
            let figure = norm_cdf(z).max(1e-300);
            let ln_drop = (self.config.tolerance * NEGLIGIBLE_SHARE * figure)
                .ln()
                .min(NEGLIGIBLE_LN);
            let g = |zz: f64| {
                let node = self.node(zz);
                self.node_tail(&node, zz, x, ln_drop)
            };
            let v = self.integrate(
                &Self::graded(z, w),
                &g,
                self.config.tolerance,
                NARROWEST * w,
            );
            [v[0].clamp(0.0, 1.0), v[1].max(0.0), v[2].max(0.0)]
        };
        if let Ok(mut c) = self.tails.lock() {
            c.insert(x.to_bits(), v);
        }
        v
    }

    /// The `level` quantile: Newton on `ln P(L > x) = ln(1 - level)` with the saddlepoint
    /// density, from the large-pool quantile, kept in a bracket on `[0, max loss]` (bisection
    /// when a step leaves it), cached per level so VaR and ES share it.
    fn quantile(&self, level: f64) -> f64 {
        if let Some(q) = self
            .quantiles
            .lock()
            .ok()
            .and_then(|c| c.get(&level.to_bits()).copied())
        {
            return q;
        }
        let target = (1.0 - level).ln();
        let (mut lo, mut hi) = (0.0, self.max_loss);
        let start = if self.rho < 1.0 {
            self.low_moments(norm_ppf(1.0 - level)).0
        } else {
            0.5 * hi
        };
        let mut x = if start > lo && start < hi {
            start
        } else {
            0.5 * (lo + hi)
        };
        let mut q = x;
        for _ in 0..ROOT_STEPS {
            let [p, _, f] = self.tail_at(x);
            let g = p.max(1e-300).ln() - target;
            q = x;
            // ln P is known to about the quadrature's relative tolerance.
            if g.abs() < ROOT_LN_TOLERANCE.max(ROOT_NOISE * self.config.tolerance) {
                break;
            }
            if g > 0.0 {
                lo = x;
            } else {
                hi = x;
            }
            if hi - lo <= ROOT_TOLERANCE * hi {
                break;
            }
            // d ln P / dx = -f / P.
            let newton = if f > 0.0 && p > 0.0 {
                x + g * p / f
            } else {
                f64::NAN
            };
            let next = if newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if (next - x).abs() <= ROOT_TOLERANCE * x.abs() {
                q = next;
                break;
            }
            x = next;
        }
        // The tail at 0 is below the level: the quantile is no loss at all.
        if q <= ROOT_TOLERANCE * self.max_loss && self.tail_at(0.0)[0] <= 1.0 - level {
            q = 0.0;
        }
        if let Ok(mut c) = self.quantiles.lock() {
            c.insert(level.to_bits(), q);
        }
        q
    }

    /// The figures at a coarser setting beside `fine` (this distribution's summary over
    /// `levels`, `tail` and `tranches`): convergence evidence of the numerical error (cells,
    /// series range, quadrature), with error bounds estimated from it. The
    /// approximation's own error is not part of it.
    pub fn convergence(
        &self,
        portfolio: &Portfolio,
        fine: &LossSummary,
        levels: &[f64],
        tail: &[f64],
        tranches: &[Tranche],
    ) -> Result<AccuracyReport> {
        let coarse_config = SaddlepointConfig {
            cell_width: self.config.cell_width * COARSER_CELLS,
            tolerance: (self.config.tolerance * COARSER_TOLERANCE).min(0.5),
            exact_loans: self.config.exact_loans,
        };
        let copula = Copula::Gaussian { rho: self.rho };
        let coarse = Self::with_config(portfolio, &copula, &coarse_config)?;
        let cs = LossSummary::of(&coarse, levels, tail, tranches)?;
        let refinement = compare(
            "cells and quadrature",
            coarse_config.describe(),
            self.config.describe(),
            (self, fine),
            (&coarse, &cs),
            &NUMERICAL_TOLERANCE,
        );
        let mut r = self.accuracy.clone();
        r.evidence = Evidence::Convergence;
        r.requested = Some(NUMERICAL_TOLERANCE);
        r.met = Some(refinement.converged);
        r.quadrature = Some(format!(
            "factor split at z*(x), graded panels, Gauss-Kronrod 7-15 to {:e} relative; {} \
             nodes loan by loan of {} factor nodes",
            self.config.tolerance,
            self.direct_nodes(),
            self.evaluated_nodes()
        ));
        r.refinements = vec![refinement];
        r.bound_from_refinements();
        Ok(r)
    }
}

/// Sums three-component values in their order.
fn sum3(v: impl Iterator<Item = [f64; 3]>) -> [f64; 3] {
    v.fold([0.0; 3], |s, x| [s[0] + x[0], s[1] + x[1], s[2] + x[2]])
}

/// Gauss-Kronrod 7-15 on [-1, 1] (QUADPACK's `qk15`): the 15 Kronrod nodes, their
/// weights, and the 7-point Gauss weights at the Gauss nodes (0 elsewhere).
const GK_NODES: [f64; 15] = [
    -0.991_455_371_120_812_6,
    -0.949_107_912_342_758_5,
    -0.864_864_423_359_769_1,
    -0.741_531_185_599_394_4,
    -0.586_087_235_467_691_1,
    -0.405_845_151_377_397_2,
    -0.207_784_955_007_898_5,
    0.0,
    0.207_784_955_007_898_5,
    0.405_845_151_377_397_2,
    0.586_087_235_467_691_1,
    0.741_531_185_599_394_4,
    0.864_864_423_359_769_1,
    0.949_107_912_342_758_5,
    0.991_455_371_120_812_6,
];
const GK_KRONROD: [f64; 15] = [
    0.022_935_322_010_529_225,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_18,
    0.140_653_259_715_525_92,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_83,
    0.204_432_940_075_298_9,
    0.190_350_578_064_785_4,
    0.169_004_726_639_267_9,
    0.140_653_259_715_525_92,
    0.104_790_010_322_250_18,
    0.063_092_092_629_978_55,
    0.022_935_322_010_529_225,
];
const GK_GAUSS: [f64; 15] = [
    0.0,
    0.129_484_966_168_869_7,
    0.0,
    0.279_705_391_489_276_7,
    0.0,
    0.381_830_050_505_118_9,
    0.0,
    0.417_959_183_673_469_4,
    0.0,
    0.381_830_050_505_118_9,
    0.0,
    0.279_705_391_489_276_7,
    0.0,
    0.129_484_966_168_869_7,
    0.0,
];

/// Lugannani-Rice's tail, Martin's stop-loss and the saddlepoint density at the saddle `s`
/// of `K'(s) = x`, for a conditional loss of mean `mean`.
fn lugannani_rice(c: &Cumulants, s: f64, x: f64, mean: f64) -> [f64; 3] {
    if c.k2 <= 0.0 {
        return [if mean > x { 1.0 } else { 0.0 }, (mean - x).max(0.0), 0.0];
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
    [tail, stop_loss, density]
}

/// The cumulants at `s` of independent Bernoulli losses `(p, a, count)`.
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

/// The saddle of independent Bernoulli losses `terms`, `K'(s) = x`, and its cumulants: a
/// bracket widened from the normal approximation, then [`newton_saddle`].
fn saddle(terms: &[(f64, f64, f64)], x: f64, mean: f64) -> (f64, Cumulants) {
    if x == mean {
        return (0.0, cumulants(terms, 0.0));
    }
    // Start from twice the normal approximation's saddle, then widen until it holds the root.
    let var = cumulants(terms, 0.0).k2;
    let guess = if var > 0.0 {
        (2.0 * (x - mean).abs() / var).max(1e-300)
    } else {
        1.0
    };
    let (mut lo, mut hi) = if x > mean {
        (0.0, guess)
    } else {
        (-guess, 0.0)
    };
    for _ in 0..200 {
        if x > mean && cumulants(terms, hi).k1 < x {
            lo = hi;
            hi *= 2.0;
        } else if x < mean && cumulants(terms, lo).k1 > x {
            hi = lo;
            lo *= 2.0;
        } else {
            break;
        }
    }
    // Loan by loan the bracket's width is no stop (0), unlike the cells' saddle.
    newton_saddle(|s| cumulants(terms, s), x, 0.5 * (lo + hi), (lo, hi), 0.0)
}

/// Safeguarded Newton for the saddle `K'(s) = x` from `s` on the bracket `(lo, hi)` that
/// holds it (K' increases in s), `k(s)` giving the cumulants: a Newton step that leaves the
/// bracket is replaced by bisection. It stops when `|K'(s) - x| <= SADDLE_TOLERANCE x`,
/// after `SADDLE_STEPS` steps, or when the bracket is no wider than
/// `narrowest * max(|s|, 1)` (with 0, only once it has closed, where `s` no longer moves).
/// Returns the saddle and its cumulants, shared by the cells' nodes and the loan-by-loan
/// tail so the two cannot drift apart.
fn newton_saddle(
    k: impl Fn(f64) -> Cumulants,
    x: f64,
    mut s: f64,
    (mut lo, mut hi): (f64, f64),
    narrowest: f64,
) -> (f64, Cumulants) {
    let mut c = k(s);
    for _ in 0..SADDLE_STEPS {
        let g = c.k1 - x;
        if g.abs() <= SADDLE_TOLERANCE * x || hi - lo <= narrowest * s.abs().max(1.0) {
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
        c = k(s);
    }
    (s, c)
}

impl LossDistribution for Saddlepoint {
    fn expected_loss(&self) -> Estimate {
        Estimate::exact(self.expected_loss)
    }

    fn unexpected_loss(&self) -> Estimate {
        // No saddlepoint needed: Var L = E[Var(L | z)] + Var(E[L | z]), the conditional
        // moments from the cells and the exact loans, integrated over the factor.
        let f = |z: f64| {
            let (m, v) = self.low_moments(z);
            [v + m * m, 0.0, 0.0]
        };
        let second = self.integrate(
            &Self::graded(0.0, 1.0),
            &f,
            self.config.tolerance,
            NARROWEST_SMOOTH,
        )[0];
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
        let [_, stop, _] = self.tail_at(var);
        Ok(Estimate::exact(var + stop / (1.0 - level)))
    }

    fn tail_probability(&self, x: f64) -> Estimate {
        Estimate::exact(self.tail_at(x)[0])
    }

    fn tranche(&self, tranche: Tranche) -> TrancheEstimate {
        let (a, d) = (tranche.attach(), tranche.detach());
        let [pa, ea, _] = self.tail_at(a);
        let [_, ed, _] = self.tail_at(d);
        TrancheEstimate {
            tranche,
            expected_loss: Estimate::exact(((ea - ed) / (d - a)).clamp(0.0, 1.0)),
            default_probability: Estimate::exact(pa),
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn cumulant_series_matches_the_bernoulli_cgf() {
        for p in [1e-6, 0.01, 0.2, 0.5, 0.7, 0.999] {
            let k = kappas(p);
            for t in [-1.0, -0.3, 0.2, 1.0] {
                let mut series = 0.0;
                let mut term = 1.0;
                for (n, kn) in k.iter().take(ORDER).enumerate() {
                    term *= t / (n + 1) as f64;
                    series += kn * term;
                }
                let direct = (p * (f64::exp(t) - 1.0)).ln_1p();
                assert!(
                    (series - direct).abs() <= 1e-9 * direct.abs(),
                    "p {p} t {t}: {series} {direct}"
                );
            }
        }
    }

    #[test]
    fn gauss_kronrod_is_exact_on_polynomials() {
        for deg in 0..23 {
            let exact = if deg % 2 == 0 {
                2.0 / (deg + 1) as f64
            } else {
                0.0
            };
            let k: f64 = GK_NODES
                .iter()
                .zip(GK_KRONROD)
                .map(|(x, w)| w * x.powi(deg))
                .sum();
            assert!((k - exact).abs() < 1e-14, "kronrod degree {deg}");
            if deg < 14 {
                let g: f64 = GK_NODES
                    .iter()
                    .zip(GK_GAUSS)
                    .map(|(x, w)| w * x.powi(deg))
                    .sum();
                assert!((g - exact).abs() < 1e-14, "gauss degree {deg}");
            }
        }
    }
}
