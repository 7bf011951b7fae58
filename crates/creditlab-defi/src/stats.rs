//! Per-path figures summarized over paths, with their Monte Carlo standard errors.
//! Methodology: [docs/methodology/lending-pool.md](crate::methodology::lending_pool), "Uncertainty".
//!
//! Every figure of a [`Distribution`] carries a standard error:
//!
//! - the mean's, `sd / sqrt(n)` (sample standard deviation, `n - 1` in its denominator);
//! - each quantile's, distribution-free from the order statistics: the ranks
//!   `n q -+ z sqrt(n q (1 - q))` with `z = 1` bracket the quantile with about 68%
//!   probability (the normal approximation of the binomial count of values below it), and
//!   half the distance between the two order statistics is reported as its standard error;
//! - the 99.9% expected shortfall's, by the large-sample formula of Manistre and Hancock
//!   (2005), `Var(ES) = [Var(L | L in tail) + a (ES - VaR)^2] / (n (1 - a))` at `a = 0.999`,
//!   from the tail's own values (none when the tail holds fewer than two paths);
//! - the probability of a positive value's, `sqrt(p (1 - p) / n)`.
//!
//! `tail_paths` says how many paths the 99.9% figures rest on.
//!
//! ```
//! use creditlab_defi::stats::Distribution;
//! let mut v: Vec<f64> = (1..=4000).map(f64::from).collect();
//! let d = Distribution::of(&mut v).expect("not empty");
//! assert_eq!((d.p999, d.tail_paths), (3996.0, 4));
//! // The worst 4 values: 3997..=4000.
//! assert_eq!(d.es999, 3998.5);
//! assert!(d.se.es999.expect("4 tail paths") > 0.0);
//! ```

use serde::Serialize;

/// The confidence level of the tail figures (`p999`, `es999`).
pub const TAIL_LEVEL: f64 = 0.999;
/// The share of paths in the tail, `1 - TAIL_LEVEL` written exactly (so that
/// `0.001 x 2000` is 2, not 2.0000000000000018).
pub const TAIL_SHARE: f64 = 0.001;

/// Standard errors of the figures of a [`Distribution`], same names.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StandardErrors {
    /// Of the mean: `sd / sqrt(n)`.
    pub mean: f64,
    /// Of the median: half the distance between the order statistics at ranks
    /// `n q -+ sqrt(n q (1 - q))`.
    pub p50: f64,
    /// Of the 95% quantile (same method).
    pub p95: f64,
    /// Of the 99% quantile (same method).
    pub p99: f64,
    /// Of the 99.9% quantile (same method).
    pub p999: f64,
    /// Of the 99.9% expected shortfall (Manistre and Hancock, 2005); `None` when fewer than
    /// two paths are in the tail.
    pub es999: Option<f64>,
    /// Of the probability of a positive value: `sqrt(p (1 - p) / n)`.
    pub prob_positive: f64,
}

/// Mean, quantiles and probability of a positive value of a per-path figure, each with its
/// Monte Carlo standard error.
///
/// ```
/// use creditlab_defi::stats::Distribution;
/// let mut bad_debt = vec![0.0, 0.0, 0.02, 0.0, 0.05];
/// let d = Distribution::of(&mut bad_debt).expect("not empty");
/// assert_eq!((d.p50, d.p999, d.es999), (0.0, 0.05, 0.05));
/// assert_eq!(d.prob_positive, 0.4);
/// assert_eq!((d.n, d.tail_paths, d.se.es999), (5, 1, None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distribution {
    /// Number of values (paths).
    pub n: usize,
    /// Mean over paths.
    pub mean: f64,
    /// Median (empirical quantile: the `ceil(q n)`-th smallest value).
    pub p50: f64,
    /// 95% quantile.
    pub p95: f64,
    /// 99% quantile.
    pub p99: f64,
    /// 99.9% quantile.
    pub p999: f64,
    /// 99.9% expected shortfall: the mean of the worst `ceil(0.001 n)` values (at least
    /// one), the tail that the 99.9% quantile only bounds.
    pub es999: f64,
    /// Share of paths with a value > 0.
    pub prob_positive: f64,
    /// Paths the 99.9% figures rest on: `ceil(0.001 n)`, at least one.
    pub tail_paths: usize,
    /// Standard errors of the figures above.
    pub se: StandardErrors,
}

/// The 1-based rank of the empirical `q` quantile of `n` values: `ceil(q n)` in `1..=n`.
fn rank(q: f64, n: usize) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n)
}

/// Half the distance between the order statistics at ranks `n q -+ sqrt(n q (1 - q))` of
/// the sorted `values`: the distribution-free standard error of the `q` quantile.
fn quantile_se(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let nq = q * n as f64;
    let half_width = (nq * (1.0 - q)).sqrt();
    let lo = ((nq - half_width).floor().max(1.0) as usize).min(n);
    let hi = ((nq + half_width).ceil().max(1.0) as usize).min(n);
    0.5 * (sorted[hi - 1] - sorted[lo - 1])
}

impl Distribution {
    /// The distribution of `values` (sorted in place); `None` when empty.
    pub fn of(values: &mut [f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let nf = n as f64;
        let q = |p: f64| values[rank(p, n) - 1];
        let mean = values.iter().sum::<f64>() / nf;
        let sd = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt()
        } else {
            0.0
        };
        let tail_paths = (TAIL_SHARE * nf).ceil().clamp(1.0, nf) as usize;
        let tail = &values[n - tail_paths..];
        let es999 = tail.iter().sum::<f64>() / tail_paths as f64;
        let p999 = q(TAIL_LEVEL);
        let es999_se = (tail_paths >= 2).then(|| {
            let k = tail_paths as f64;
            let tail_var = tail.iter().map(|v| (v - es999).powi(2)).sum::<f64>() / (k - 1.0);
            let var = (tail_var + TAIL_LEVEL * (es999 - p999).powi(2)) / (nf * TAIL_SHARE);
            var.sqrt()
        });
        let prob_positive = values.iter().filter(|&&v| v > 0.0).count() as f64 / nf;
        Some(Self {
            n,
            mean,
            p50: q(0.5),
            p95: q(0.95),
            p99: q(0.99),
            p999,
            es999,
            prob_positive,
            tail_paths,
            se: StandardErrors {
                mean: sd / nf.sqrt(),
                p50: quantile_se(values, 0.5),
                p95: quantile_se(values, 0.95),
                p99: quantile_se(values, 0.99),
                p999: quantile_se(values, TAIL_LEVEL),
                es999: es999_se,
                prob_positive: (prob_positive * (1.0 - prob_positive) / nf).sqrt(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;
    use creditlab_numerics::rng::{open01, stream};
    use rand::Rng;

    #[test]
    fn quantiles_shortfall_and_errors_by_hand() {
        let mut v: Vec<f64> = (1..=2000).rev().map(f64::from).collect();
        let d = Distribution::of(&mut v).unwrap();
        assert_eq!(d.mean, 1000.5);
        assert_eq!(d.p50, 1000.0);
        assert_eq!(d.p999, 1998.0);
        // The worst ceil(0.001 x 2000) = 2 values.
        assert_eq!((d.es999, d.tail_paths), (1999.5, 2));
        assert_eq!(d.prob_positive, 1.0);
        assert_eq!(d.se.prob_positive, 0.0);
        // sd of 1..=2000 (n - 1 denominator): sqrt(n (n + 1) / 12).
        let sd = (2000.0f64 * 2001.0 / 12.0).sqrt();
        let want = sd / 2000f64.sqrt();
        assert!(
            (d.se.mean - want).abs() <= prec::ACCUMULATED * want,
            "{}",
            d.se.mean
        );
        // Median: ranks 1000 -+ sqrt(500) = 977.64.. and 1022.36..: floor 977, ceil 1023.
        assert_eq!(d.se.p50, 0.5 * (1023.0 - 977.0));
        // 99.9%: ranks 1998 -+ sqrt(1.998) = 1996.586.., 1999.413..: 1996 and 2000.
        assert_eq!(d.se.p999, 2.0);
        // ES: tail {1999, 2000}: variance 0.5, ES - VaR = 1.5;
        // Var = (0.5 + 0.999 x 2.25) / (2000 x 0.001).
        let want = ((0.5 + 0.999 * 2.25) / 2.0f64).sqrt();
        assert!((d.se.es999.unwrap() - want).abs() <= prec::COMPOSED);
        let mut one = vec![-3.0];
        let d = Distribution::of(&mut one).unwrap();
        assert_eq!((d.p999, d.es999, d.prob_positive), (-3.0, -3.0, 0.0));
        assert_eq!((d.se.mean, d.se.p50, d.se.es999), (0.0, 0.0, None));
        assert!(Distribution::of(&mut []).is_none());
    }

    /// The spread of 20 estimates from independent samples estimates the standard error
    /// with a relative error of about `1 / sqrt(2 x 19) = 16%` (more for the order
    /// statistics of a thin tail, whose spread is itself skewed): a factor of 2 either
    /// way is over four of those errors.
    const SE_FACTOR: f64 = 2.0;

    #[test]
    fn standard_errors_match_the_spread_of_repeated_estimates() {
        // 20 samples of 20,000 Pareto(3) values (heavy right tail, finite variance):
        // the sd of each estimate across samples against the mean reported SE.
        let (reps, n) = (20, 20_000);
        let mut estimates = vec![Vec::new(); 7];
        let mut reported = vec![Vec::new(); 7];
        for r in 0..reps {
            let mut rng = stream(99, r);
            let mut v: Vec<f64> = (0..n)
                .map(|_| open01(rng.next_u64()).powf(-1.0 / 3.0))
                .collect();
            let d = Distribution::of(&mut v).unwrap();
            let figures = [
                (d.mean, d.se.mean),
                (d.p50, d.se.p50),
                (d.p95, d.se.p95),
                (d.p99, d.se.p99),
                (d.p999, d.se.p999),
                (d.es999, d.se.es999.unwrap()),
                (d.prob_positive, d.se.prob_positive),
            ];
            for (i, (e, s)) in figures.into_iter().enumerate() {
                estimates[i].push(e);
                reported[i].push(s);
            }
        }
        let sd = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
        };
        // All values are positive: P(> 0) is 1 on every sample, with SE 0; skip it.
        for i in 0..6 {
            let spread = sd(&estimates[i]);
            let se = reported[i].iter().sum::<f64>() / reps as f64;
            assert!(
                spread <= SE_FACTOR * se && se <= SE_FACTOR * spread,
                "figure {i}: spread {spread} vs reported {se}"
            );
        }
    }
}
