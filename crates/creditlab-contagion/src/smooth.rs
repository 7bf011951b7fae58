//! The continuous readout of a moment-matched loss grid (the exact method's `moments`
//! scheme, docs/methodology/accuracy-control.md).
//!
//! When the losses have no common unit the exact method spreads each loss over four grid
//! points with the cubic Lagrange weights of its position, so each exposure's loss keeps its
//! first three moments and the grid weights `d_k` approximate `u f(k u)`, `f` the loss
//! density. The figures are read from those samples to the same order: at a grid point
//! `l_m`, by the Euler-Maclaurin corrections of the trapezoidal rule,
//!
//! ```text
//! P(L > l_m)     = sum_{k > m} d_k + d_m / 2 + (d_{m+1} - d_{m-1}) / 24
//! E[(L - l_m)+]  = u (sum_{k > m} d_k (k - m) + d_m / 12)
//! ```
//!
//! and between grid points by cubic Lagrange interpolation of both. The atom at zero
//! (no default: `P(L = 0)`, exact from the quadrature) is kept out of the samples, and no
//! loss lies strictly between 0 and the smallest exposure's loss.

use crate::distribution::{Estimate, LossDistribution, Tranche, TrancheEstimate, check_level};
use crate::error::Result;

/// Bisection steps that locate a VaR inside its grid cell (2^-60 of a cell).
const VAR_BISECTION: usize = 60;

/// A loss distribution read continuously from grid samples.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothLoss {
    /// Grid step, a fraction of total exposure.
    unit: f64,
    /// Index of the grid point at loss 0.
    pad: usize,
    /// `P(L > l_k)` of the continuous part at every grid point.
    survival: Vec<f64>,
    /// `E[(L - l_k)+]` at every grid point.
    excess: Vec<f64>,
    el: f64,
    second: f64,
    p0: f64,
    mass: f64,
    w_min: f64,
}

impl SmoothLoss {
    /// From grid weights `d` (cell `k` is loss `(k - pad) unit`) whose cell `pad` holds the
    /// atom `p0 = P(L = 0)` besides the continuous part; `el` and `second` are the exact
    /// `E[L]` and `E[L^2]`, `mass` the total probability (1 up to trimming) and `w_min` the
    /// smallest positive loss any exposure can cause.
    pub fn new(
        mut d: Vec<f64>,
        pad: usize,
        unit: f64,
        moments: (f64, f64),
        p0: f64,
        mass: f64,
        w_min: f64,
    ) -> Self {
        if pad < d.len() {
            d[pad] -= p0;
        }
        let n = d.len();
        // t = sum above, e = sum above of d_k (k - m): e[m] = e[m + 1] + t[m].
        let (mut t, mut e) = (vec![0.0; n], vec![0.0; n]);
        let (mut above, mut first) = (0.0, 0.0);
        for m in (0..n).rev() {
            first += above;
            t[m] = above;
            e[m] = first;
            above += d[m];
        }
        let at = |k: isize| -> f64 {
            if k < 0 || k as usize >= n {
                0.0
            } else {
                d[k as usize]
            }
        };
        let survival = (0..n)
            .map(|m| {
                let k = m as isize;
                t[m] + 0.5 * d[m] + (at(k + 1) - at(k - 1)) / 24.0
            })
            .collect();
        let excess = (0..n).map(|m| unit * (e[m] + d[m] / 12.0)).collect();
        Self {
            unit,
            pad,
            survival,
            excess,
            el: moments.0,
            second: moments.1,
            p0,
            mass,
            w_min,
        }
    }

    /// Cubic Lagrange interpolation of grid values `v` at fractional cell `y`.
    fn interpolate(v: &[f64], y: f64) -> f64 {
        let n = v.len();
        if n == 0 {
            return 0.0;
        }
        if y <= 0.0 {
            return v[0];
        }
        if y >= (n - 1) as f64 {
            return v[n - 1];
        }
        if n < 4 {
            let m = y.floor() as usize;
            let f = y - m as f64;
            return v[m] * (1.0 - f) + v[(m + 1).min(n - 1)] * f;
        }
        let m = (y.floor() as usize).clamp(1, n - 3);
        let f = y - m as f64;
        let w = crate::exact::lagrange(f);
        w[0] * v[m - 1] + w[1] * v[m] + w[2] * v[m + 1] + w[3] * v[m + 2]
    }

    fn cell(&self, x: f64) -> f64 {
        x / self.unit + self.pad as f64
    }

    /// `P(L > x)`.
    fn survival_at(&self, x: f64) -> f64 {
        let positive = self.mass - self.p0;
        if x < 0.0 {
            return self.mass;
        }
        if x < self.w_min || x == 0.0 {
            return positive;
        }
        let y = self.cell(x);
        if y >= (self.survival.len() - 1) as f64 {
            return 0.0;
        }
        Self::interpolate(&self.survival, y).clamp(0.0, positive)
    }

    /// `E[(L - x)+]`.
    fn excess_at(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return self.el - x * self.mass;
        }
        if x < self.w_min {
            return self.el - x * (self.mass - self.p0);
        }
        let y = self.cell(x);
        if y >= (self.excess.len() - 1) as f64 {
            return 0.0;
        }
        Self::interpolate(&self.excess, y).max(0.0)
    }

    fn quantile(&self, level: f64) -> f64 {
        let target = 1.0 - level;
        if self.mass - self.p0 <= target {
            return 0.0;
        }
        // The highest grid point still above the target, then bisection in its cell.
        let Some(m) = self.survival.iter().rposition(|&s| s >= target) else {
            return 0.0;
        };
        let loss = |k: f64| (k - self.pad as f64) * self.unit;
        let (mut lo, mut hi) = (loss(m as f64).max(0.0), loss(m as f64 + 1.0));
        for _ in 0..VAR_BISECTION {
            let mid = 0.5 * (lo + hi);
            if self.survival_at(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

impl LossDistribution for SmoothLoss {
    fn expected_loss(&self) -> Estimate {
        Estimate::exact(self.el)
    }

    fn unexpected_loss(&self) -> Estimate {
        Estimate::exact((self.second - self.el * self.el).max(0.0).sqrt())
    }

    fn value_at_risk(&self, level: f64) -> Result<Estimate> {
        Ok(Estimate::exact(self.quantile(check_level(level)?)))
    }

    /// `(E[(L - q)+] + q (1 - level)) / (1 - level)` at `q = VaR(level)`: the tail mean
    /// `E[L | L >= q]` of a continuous distribution (and Acerbi-Tasche's at the atom at 0).
    fn expected_shortfall(&self, level: f64) -> Result<Estimate> {
        let q = self.quantile(check_level(level)?);
        Ok(Estimate::exact(
            (self.excess_at(q) + q * (1.0 - level)) / (1.0 - level),
        ))
    }

    fn tail_probability(&self, x: f64) -> Estimate {
        Estimate::exact(self.survival_at(x) + 0.0)
    }

    fn tranche(&self, tranche: Tranche) -> TrancheEstimate {
        let (a, d) = (tranche.attach(), tranche.detach());
        let el = ((self.excess_at(a) - self.excess_at(d)) / (d - a)).clamp(0.0, 1.0);
        TrancheEstimate {
            tranche,
            expected_loss: Estimate::exact(el),
            default_probability: self.tail_probability(a),
        }
    }
}
