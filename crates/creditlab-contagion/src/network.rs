//! Networks from balance-sheet shapes, and their clearing after losses on several
//! institutions at once: who fails, who fails only because others did not pay it (a chain
//! reaction), how much equity is lost and what outside creditors are not paid.
//!
//! ```
//! use creditlab_contagion::network::{shock_many, wire_equal_shares};
//! use creditlab_contagion::clearing::ClearingNetwork;
//! // Three institutions, each owing 30% of its debt to the other two in equal parts.
//! let assets = [4.0, 2.0, 10.0];
//! let (liabilities, external) = wire_equal_shares(&assets, &[0.5, 0.1, 1.0], 0.3);
//! let net = ClearingNetwork::new(liabilities, assets.to_vec(), external)?;
//! // Institution 1 loses its whole equity and more: it fails on its own.
//! let out = shock_many(&net, &[0.0, 0.5, 0.0])?;
//! assert_eq!(out.defaulted, vec![1]);
//! assert_eq!(out.contagious, 0);
//! # Ok::<(), creditlab_contagion::Error>(())
//! ```

use crate::clearing::{Clearing, ClearingNetwork};
use crate::error::Result;

/// Relative margin of the own-loss insolvency test, as the clearing's own solvency test:
/// an institution is insolvent on its own loss when its shocked assets plus every interbank
/// receivable paid in full fall short of its obligations by more than this fraction.
const OWN_LOSS_MARGIN: f64 = 1e-12;

/// Balance sheets of institutions with external assets `assets` and capital `equity`, each
/// owing `interbank` of its debt (`assets - equity`, floored at 0) to the others in equal
/// parts: returns the liability matrix and the external liabilities that make each one's
/// equity exactly its capital. With one institution there is no interbank debt.
pub fn wire_equal_shares(
    assets: &[f64],
    equity: &[f64],
    interbank: f64,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = assets.len();
    let owed: Vec<f64> = assets
        .iter()
        .zip(equity)
        .map(|(a, e)| {
            if n > 1 {
                interbank * (a - e).max(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let liabilities: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    if i == j {
                        0.0
                    } else {
                        owed[i] / (n - 1) as f64
                    }
                })
                .collect()
        })
        .collect();
    let external = (0..n)
        .map(|i| {
            let receivable: f64 = (0..n).map(|j| liabilities[j][i]).sum();
            (assets[i] + receivable - equity[i] - owed[i]).max(0.0)
        })
        .collect();
    (liabilities, external)
}

/// A network cleared after losses on several institutions' external assets.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiShockOutcome {
    /// The clearing without the losses.
    pub before: Clearing,
    /// The clearing with them.
    pub after: Clearing,
    /// Institutions in default after the losses, in increasing index order.
    pub defaulted: Vec<usize>,
    /// How many of them default only because others did not pay them in full: each would
    /// be solvent on its own loss if every interbank receivable were paid.
    pub contagious: usize,
    /// Equity lost across the network (positive equity before minus after).
    pub equity_lost: f64,
    /// What creditors outside the network (depositors, bondholders) are not paid: each
    /// institution's shortfall times the external share of its obligations.
    pub outside_creditor_loss: f64,
}

/// Clears `base` with `losses[i]` taken off institution `i`'s external assets (floored at
/// 0) and measures the outcome.
pub fn shock_many(base: &ClearingNetwork, losses: &[f64]) -> Result<MultiShockOutcome> {
    let n = base.len();
    let before = base.clear()?;
    let mut shocked = base.clone();
    for (i, &l) in losses.iter().enumerate() {
        if l > 0.0 {
            shocked = shocked.with_loss(i, l)?;
        }
    }
    let after = shocked.clear()?;
    let own: Vec<bool> = (0..n)
        .map(|i| {
            let receivable: f64 = (0..n).map(|j| base.liabilities()[j][i]).sum();
            shocked.external_assets()[i] + receivable
                < base.total_obligations()[i] * (1.0 - OWN_LOSS_MARGIN)
        })
        .collect();
    let equity = |c: &Clearing| -> f64 { c.equity.iter().map(|e| e.max(0.0)).sum() };
    let outside_creditor_loss = (0..n)
        .map(|i| {
            let obligations = base.total_obligations()[i];
            if obligations <= 0.0 {
                return 0.0;
            }
            let external_share = base.external_liabilities()[i] / obligations;
            (obligations - after.payments[i]).max(0.0) * external_share
        })
        .sum();
    Ok(MultiShockOutcome {
        equity_lost: equity(&before) - equity(&after),
        contagious: after.defaulted.iter().filter(|&&i| !own[i]).count(),
        defaulted: after.defaulted.clone(),
        before,
        after,
        outside_creditor_loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use creditlab_numerics::prec;

    #[test]
    fn wired_balance_sheets_hold_exactly_their_capital() {
        let (l, ext) = wire_equal_shares(&[4.0, 2.0, 10.0], &[0.5, 0.1, 1.0], 0.3);
        let net = ClearingNetwork::new(l, vec![4.0, 2.0, 10.0], ext).unwrap();
        let c = net.clear().unwrap();
        assert!(c.defaulted.is_empty());
        for (e, want) in c.equity.iter().zip([0.5, 0.1, 1.0]) {
            assert_abs_diff_eq!(*e, want, epsilon = prec::ACCUMULATED);
        }
    }

    #[test]
    fn a_failure_that_takes_down_a_creditor_is_counted_as_contagion() {
        // Two institutions owing each other 90% of their debt: 0 holds 10 of assets with
        // equity 0.5, 1 holds 10 with equity 0.2. A loss of 2 on 0 makes it pay 1 less
        // than it owes; 1 then loses more than its 0.2 of equity.
        let assets = [10.0, 10.0];
        let (l, ext) = wire_equal_shares(&assets, &[0.5, 0.2], 0.9);
        let net = ClearingNetwork::new(l, assets.to_vec(), ext).unwrap();
        let out = shock_many(&net, &[2.0, 0.0]).unwrap();
        assert_eq!(out.defaulted, vec![0, 1]);
        assert_eq!(out.contagious, 1);
        assert!(out.outside_creditor_loss > 0.0);
        // Equity lost is all the equity there was.
        assert_abs_diff_eq!(out.equity_lost, 0.7, epsilon = prec::ACCUMULATED);
        // No loss, no default and nothing lost.
        let calm = shock_many(&net, &[0.0, 0.0]).unwrap();
        assert!(calm.defaulted.is_empty() && calm.equity_lost == 0.0);
    }
}
