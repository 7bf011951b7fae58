//! DebtRank: distress, not only default, travels along interbank claims. An institution
//! whose equity falls by a fraction `h_j` marks its creditors' claims on it down by the same
//! fraction, so creditor `i` loses `Lambda_ij h_j` of its equity, where the interbank
//! leverage `Lambda_ij = A_ij / E_i` is `i`'s claim on `j` over `i`'s equity.
//!
//! - [`linear`]: Bardoscia, Battiston, Caccioli and Caldarelli (2015), "DebtRank: a
//!   microscopic foundation for shock propagation", PLoS ONE 10(6): e0130406:
//!   `h(t+1) = min(1, h(t) + Lambda (h(t) - h(t-1)))` from `h(0) = 0`, `h(1)` the shock,
//!   until it stops moving. Every new loss propagates; when the spectral radius of `Lambda`
//!   exceeds 1 the dynamics is unstable and distress grows until someone defaults.
//! - [`single_hit`]: Battiston, Puliga, Kaushik, Tasca and Caldarelli (2012), "DebtRank:
//!   too central to fail?", Scientific Reports 2:541: impacts `W_ij = min(1, Lambda_ij)`;
//!   a distressed institution propagates once and then becomes inactive, so a cycle cannot
//!   hit the same node twice.
//!
//! Both report DebtRank as the value-weighted equity loss added by propagation,
//! `sum_i v_i (h_i - h_i(1))`, and the total `sum_i v_i h_i`. Methodology:
//! docs/methodology/chain-reaction.md.
//!
//! ```
//! use creditlab_contagion::debtrank;
//! // A cycle: 0 holds a claim of 2 on 2, 1 holds 4 on 0, 2 holds 3 on 1; equity (1, 3, 3).
//! let claims = vec![vec![0.0, 0.0, 2.0], vec![4.0, 0.0, 0.0], vec![0.0, 3.0, 0.0]];
//! let equity = [1.0, 3.0, 3.0];
//! let d = debtrank::single_hit(&claims, &equity, &[1.0, 0.0, 0.0], &equity)?;
//! assert!((d.debtrank - 6.0 / 7.0).abs() < 1e-12);
//! # Ok::<(), creditlab_contagion::Error>(())
//! ```

use crate::error::{Error, Result};
use serde::Serialize;

/// Steps after which the linear dynamics is cut off (it converges geometrically when stable
/// and reaches `h = 1` in finitely many steps when not).
const MAX_STEPS: usize = 100_000;
/// The dynamics has stopped when no relative equity loss moves by more than this.
const STILL: f64 = 1e-14;

/// The outcome of a DebtRank propagation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DebtRankOutcome {
    /// Relative equity loss of each institution at the end, in [0, 1].
    pub h: Vec<f64>,
    /// The shock, `h(1)`.
    pub initial: Vec<f64>,
    /// `sum_i v_i (h_i - h_i(1))`: what propagation adds, as a share of the weights.
    pub debtrank: f64,
    /// `sum_i v_i h_i`.
    pub total: f64,
    /// Steps until the dynamics stopped.
    pub steps: usize,
    /// Institutions whose equity is wiped out (`h = 1`).
    pub defaulted: Vec<usize>,
}

/// Interbank leverage `Lambda_ij = claims[i][j] / equity[i]`, after checking the inputs.
fn leverage(
    claims: &[Vec<f64>],
    equity: &[f64],
    shock: &[f64],
    weights: &[f64],
) -> Result<Vec<Vec<f64>>> {
    let n = claims.len();
    for (name, v) in [("equity", equity), ("shock", shock), ("weights", weights)] {
        if v.len() != n {
            return Err(Error::InvalidNetwork(format!(
                "debtrank {name}: {} entries for {n} institutions",
                v.len()
            )));
        }
    }
    for (i, row) in claims.iter().enumerate() {
        if row.len() != n {
            return Err(Error::InvalidNetwork(format!(
                "debtrank claims: row {i} has {} entries, the matrix must be {n} x {n}",
                row.len()
            )));
        }
        if let Some(j) = row.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
            return Err(Error::InvalidParameter {
                field: format!("claims[{i}][{j}]"),
                value: row[j],
                reason: "must be finite and >= 0",
            });
        }
        if !(equity[i].is_finite() && equity[i] > 0.0) {
            return Err(Error::InvalidParameter {
                field: format!("equity[{i}]"),
                value: equity[i],
                reason: "DebtRank needs positive equity before the shock",
            });
        }
        if !(0.0..=1.0).contains(&shock[i]) {
            return Err(Error::InvalidParameter {
                field: format!("shock[{i}]"),
                value: shock[i],
                reason: "a relative equity loss must be in [0, 1]",
            });
        }
        if !(weights[i].is_finite() && weights[i] >= 0.0) {
            return Err(Error::InvalidParameter {
                field: format!("weights[{i}]"),
                value: weights[i],
                reason: "must be finite and >= 0",
            });
        }
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(Error::InvalidNetwork(
            "debtrank weights: they sum to 0".into(),
        ));
    }
    Ok(claims
        .iter()
        .zip(equity)
        .map(|(row, e)| row.iter().map(|a| a / e).collect())
        .collect())
}

fn outcome(h: Vec<f64>, initial: &[f64], weights: &[f64], steps: usize) -> DebtRankOutcome {
    let w: f64 = weights.iter().sum();
    let total = h.iter().zip(weights).map(|(h, v)| h * v).sum::<f64>() / w;
    let start = initial.iter().zip(weights).map(|(h, v)| h * v).sum::<f64>() / w;
    let defaulted = (0..h.len()).filter(|&i| h[i] >= 1.0).collect();
    DebtRankOutcome {
        h,
        initial: initial.to_vec(),
        debtrank: total - start,
        total,
        steps,
        defaulted,
    }
}

/// Bardoscia et al.'s (2015) linear DebtRank. `claims[i][j]` is `i`'s interbank claim on
/// `j`, `equity[i] > 0` its equity before the shock, `shock[i]` its relative equity loss
/// from the shock, `weights[i]` its economic weight (equity gives the system's relative
/// equity loss).
pub fn linear(
    claims: &[Vec<f64>],
    equity: &[f64],
    shock: &[f64],
    weights: &[f64],
) -> Result<DebtRankOutcome> {
    let lambda = leverage(claims, equity, shock, weights)?;
    let n = claims.len();
    let mut previous = vec![0.0; n];
    let mut h = shock.to_vec();
    let mut steps = 1;
    while steps < MAX_STEPS {
        let next: Vec<f64> = (0..n)
            .map(|i| {
                let push: f64 = (0..n).map(|j| lambda[i][j] * (h[j] - previous[j])).sum();
                (h[i] + push).min(1.0)
            })
            .collect();
        let moved = next
            .iter()
            .zip(&h)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        previous = std::mem::replace(&mut h, next);
        steps += 1;
        if moved <= STILL {
            break;
        }
    }
    Ok(outcome(h, shock, weights, steps))
}

/// Battiston et al.'s (2012) DebtRank: impacts `min(1, Lambda_ij)`, each distressed
/// institution propagates its distress once. Arguments as in [`linear`].
pub fn single_hit(
    claims: &[Vec<f64>],
    equity: &[f64],
    shock: &[f64],
    weights: &[f64],
) -> Result<DebtRankOutcome> {
    let lambda = leverage(claims, equity, shock, weights)?;
    let n = claims.len();
    // Undistressed, distressed (propagates at the next step), inactive.
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Calm,
        Distressed,
        Inactive,
    }
    let mut state: Vec<State> = shock
        .iter()
        .map(|&s| {
            if s > 0.0 {
                State::Distressed
            } else {
                State::Calm
            }
        })
        .collect();
    let mut h = shock.to_vec();
    let mut steps = 1;
    while state.contains(&State::Distressed) {
        let mut next = h.clone();
        for i in 0..n {
            if state[i] == State::Inactive {
                continue;
            }
            let push: f64 = (0..n)
                .filter(|&j| state[j] == State::Distressed)
                .map(|j| lambda[i][j].min(1.0) * h[j])
                .sum();
            next[i] = (h[i] + push).min(1.0);
        }
        for i in 0..n {
            state[i] = match state[i] {
                State::Distressed => State::Inactive,
                State::Calm if next[i] > 0.0 => State::Distressed,
                s => s,
            };
        }
        h = next;
        steps += 1;
    }
    Ok(outcome(h, shock, weights, steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use creditlab_numerics::prec;

    /// The three-bank cycle of the Eisenberg-Noe reference network (clearing.rs): bank 0
    /// owes 4 to bank 1, 1 owes 3 to 2, 2 owes 2 to 0; external assets (20, 20, 10) against
    /// external liabilities (17, 18, 8) leave equity (1, 3, 3).
    fn cycle() -> (Vec<Vec<f64>>, [f64; 3]) {
        let claims = vec![
            vec![0.0, 0.0, 2.0],
            vec![4.0, 0.0, 0.0],
            vec![0.0, 3.0, 0.0],
        ];
        (claims, [1.0, 3.0, 3.0])
    }

    #[test]
    fn single_hit_matches_the_hand_computed_cycle() {
        let (claims, equity) = cycle();
        // A 1% fall of every external asset: losses (0.2, 0.2, 0.1), h(1) = (0.2, 1/15,
        // 1/30). By hand, with W = min(1, Lambda) = 1 on each edge and one hit each:
        // h = (0.2 + 1/30, 1/15 + 0.2, 1/30 + 1/15) = (7/30, 4/15, 1/10); the total,
        // weighted by equity, is (7/30 + 4/5 + 3/10) / 7 = 4/21.
        let shock = [0.2, 1.0 / 15.0, 1.0 / 30.0];
        let d = single_hit(&claims, &equity, &shock, &equity).unwrap();
        for (got, want) in d.h.iter().zip([7.0 / 30.0, 4.0 / 15.0, 0.1]) {
            assert_abs_diff_eq!(*got, want, epsilon = prec::IDENTITY);
        }
        assert_abs_diff_eq!(d.total, 4.0 / 21.0, epsilon = prec::IDENTITY);
        // One bank wiped out at a time: bank 0 hits 1, which hits 2 (6/7 of the other
        // equity); bank 1 hits 2, which hits 0 (4/7).
        let dr = |k: usize| {
            let mut s = [0.0; 3];
            s[k] = 1.0;
            single_hit(&claims, &equity, &s, &equity).unwrap().debtrank
        };
        assert_abs_diff_eq!(dr(0), 6.0 / 7.0, epsilon = prec::IDENTITY);
        assert_abs_diff_eq!(dr(1), 4.0 / 7.0, epsilon = prec::IDENTITY);
        assert_abs_diff_eq!(dr(2), 4.0 / 7.0, epsilon = prec::IDENTITY);
    }

    #[test]
    fn linear_is_unstable_on_the_cycle_and_matches_the_closed_form_when_stable() {
        let (claims, equity) = cycle();
        // Lambda's spectral radius is (2 * 4/3 * 1)^(1/3) > 1: a 1% shock wipes out
        // everyone, where single-hit stops at a fifth of the equity.
        let shock = [0.2, 1.0 / 15.0, 1.0 / 30.0];
        let d = linear(&claims, &equity, &shock, &equity).unwrap();
        assert_eq!(d.defaulted, vec![0, 1, 2]);
        assert_abs_diff_eq!(d.total, 1.0, epsilon = prec::IDENTITY);
        // Scale the claims by 0.3: radius 0.3 * 1.387 < 1 and nothing reaches 1, so h
        // converges to (I - Lambda)^-1 h(1).
        let small: Vec<Vec<f64>> = claims
            .iter()
            .map(|r| r.iter().map(|x| 0.3 * x).collect())
            .collect();
        let d = linear(&small, &equity, &shock, &equity).unwrap();
        let lambda = nalgebra::DMatrix::from_fn(3, 3, |i, j| small[i][j] / equity[i]);
        let want = (nalgebra::DMatrix::identity(3, 3) - lambda)
            .try_inverse()
            .unwrap()
            * nalgebra::DVector::from_column_slice(&shock);
        for i in 0..3 {
            assert_abs_diff_eq!(d.h[i], want[i], epsilon = prec::ACCUMULATED);
        }
        assert!(d.defaulted.is_empty());
    }

    #[test]
    fn no_shock_no_distress_and_bad_inputs_are_errors() {
        let (claims, equity) = cycle();
        let d = linear(&claims, &equity, &[0.0; 3], &equity).unwrap();
        assert_eq!(d.total, 0.0);
        assert!(linear(&claims, &[1.0, 0.0, 3.0], &[0.0; 3], &equity).is_err());
        assert!(single_hit(&claims, &equity, &[1.5, 0.0, 0.0], &equity).is_err());
        assert!(single_hit(&claims, &equity, &[0.0, 0.0], &equity).is_err());
    }
}
