//! Eisenberg-Noe (2001) clearing of an interbank network by the fictitious default
//! algorithm.
//!
//! Institution `i` owes `L[i][j]` to institution `j` and `external_liabilities[i]` to
//! creditors outside the network; it holds `external_assets[i]` outside the network.
//! External and interbank liabilities rank **pari passu**: the total obligation is
//! `p_bar_i = sum_j L_ij + external_liabilities_i` and every creditor of `i` receives the
//! same fraction of what it is owed, the relative liabilities being `Pi_ij = L_ij / p_bar_i`.
//! The clearing payment vector is the greatest fixed point of
//! `p = min(p_bar, e + Pi^T p)`. Methodology: [docs/methodology/clearing.md](crate::methodology::clearing).
//!
//! ```
//! use creditlab_contagion::clearing::ClearingNetwork;
//! let net = ClearingNetwork::new(
//!     vec![vec![0.0, 4.0, 0.0], vec![0.0, 0.0, 3.0], vec![2.0, 0.0, 0.0]],
//!     vec![18.0, 18.0, 9.0],
//!     vec![17.0, 18.0, 8.0],
//! )?;
//! let c = net.clear()?;
//! assert!((c.payments[0] - 20.0).abs() < 1e-9);
//! assert_eq!(c.defaulted, vec![0]);
//! # Ok::<(), creditlab_contagion::Error>(())
//! ```

use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Relative tolerance of the solvency test: an institution defaults when its assets fall
/// short of its obligations by more than this fraction of `max(1, p_bar_i)`, so rounding
/// noise does not turn an institution with exactly zero equity into a defaulter.
const SOLVENCY_TOLERANCE: f64 = 1e-12;

/// A validated financial network: who owes whom, and what each holds and owes outside.
///
/// ```
/// use creditlab_contagion::clearing::ClearingNetwork;
/// // Bank 0 owes bank 1 ten and holds two: it defaults and pays what it has, so bank 1,
/// // which owes eleven outside and holds five, gets two and defaults too.
/// let net = ClearingNetwork::new(
///     vec![vec![0.0, 10.0], vec![0.0, 0.0]],
///     vec![2.0, 5.0],
///     vec![0.0, 11.0],
/// )?;
/// let report = net.report()?;
/// assert_eq!(report.payments, vec![2.0, 7.0]);
/// assert_eq!(report.defaults_by_round, vec![vec![0], vec![1]]);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClearingNetwork {
    liabilities: Vec<Vec<f64>>,
    external_assets: Vec<f64>,
    external_liabilities: Vec<f64>,
    /// Total obligations `p_bar`.
    total_obligations: Vec<f64>,
}

/// The clearing of a network.
#[derive(Debug, Clone, PartialEq)]
pub struct Clearing {
    /// Clearing payment vector `p`: what each institution actually pays in total.
    pub payments: Vec<f64>,
    /// Total obligations `p_bar` (what each would pay if solvent).
    pub total_obligations: Vec<f64>,
    /// Institutions in default at the clearing vector, in increasing index order.
    pub defaulted: Vec<usize>,
    /// The fictitious default sequence: entry `k` lists the institutions first found in
    /// default in round `k + 1` (round 1 assumes everyone pays in full).
    pub defaults_by_round: Vec<Vec<usize>>,
    /// Number of rounds that found new defaulters (`defaults_by_round.len()`; 0 when no
    /// institution defaults).
    pub rounds: usize,
    /// Equity `e_i + sum_j Pi_ji p_j - p_bar_i`: negative for defaulters.
    pub equity: Vec<f64>,
}

/// A network cleared before and after a loss on one institution's external assets.
#[derive(Debug, Clone, PartialEq)]
pub struct ShockOutcome {
    /// The clearing without the shock.
    pub before: Clearing,
    /// The clearing with the shock.
    pub after: Clearing,
    /// Institutions in default after the shock but not before (the shocked node included,
    /// if it fails), in increasing index order.
    pub new_defaults: Vec<usize>,
}

/// Rogers and Veraart's (2013) costs of default: the share of its external assets
/// (`alpha`) and of its claims on other institutions (`beta`) that a defaulting institution
/// realises. `alpha = beta = 1` is Eisenberg-Noe (no cost).
///
/// ```
/// use creditlab_contagion::clearing::{ClearingNetwork, DefaultCosts};
/// // Rogers and Veraart's Example 3.3: two banks owe each other 2.2 and hold 1 each.
/// let net = ClearingNetwork::new(vec![vec![0.0, 2.2], vec![2.2, 0.0]], vec![1.0, 1.0], vec![0.0, 0.0])?;
/// let c = net.clear_with_costs(DefaultCosts::new(0.5, 0.5)?)?;
/// assert_eq!(c.payments, vec![2.2, 2.2]); // the greatest clearing vector: both solvent
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DefaultCosts {
    /// Share of external assets realised in default, in (0, 1].
    pub alpha: f64,
    /// Share of interbank claims realised in default, in (0, 1].
    pub beta: f64,
}

impl DefaultCosts {
    /// No cost of default (Eisenberg-Noe).
    pub const NONE: DefaultCosts = DefaultCosts {
        alpha: 1.0,
        beta: 1.0,
    };

    /// Checked costs: both shares in (0, 1].
    pub fn new(alpha: f64, beta: f64) -> Result<Self> {
        for (field, v) in [("alpha", alpha), ("beta", beta)] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(Error::InvalidParameter {
                    field: field.into(),
                    value: v,
                    reason: "a share realised in default must be in (0, 1]",
                });
            }
        }
        Ok(Self { alpha, beta })
    }
}

/// A network as written in a file (docs/schemas/clearing-json.md): the three fields of
/// [`ClearingNetwork::new`], unvalidated. A deserialization error names the entry at fault
/// (`liabilities[0][1]`, `external_assets[2]`); other keys are ignored.
/// [`ClearingNetwork::try_from`] validates it.
///
/// ```
/// use creditlab_contagion::clearing::{ClearingNetwork, NetworkSpec};
/// let spec = NetworkSpec {
///     liabilities: vec![vec![0.0, 5.0], vec![1.0, 0.0]],
///     external_assets: vec![1.0, 2.0],
///     external_liabilities: vec![0.0, 0.0],
/// };
/// let net = ClearingNetwork::try_from(spec)?;
/// assert_eq!(net.total_obligations(), &[5.0, 1.0]);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "an object with `liabilities`, `external_assets` and `external_liabilities`")]
pub struct NetworkSpec {
    /// `n x n`: row `i` owes column `j`.
    #[serde(deserialize_with = "liabilities_matrix")]
    pub liabilities: Vec<Vec<f64>>,
    /// External assets, one per institution.
    #[serde(deserialize_with = "external_assets_vector")]
    pub external_assets: Vec<f64>,
    /// Liabilities to creditors outside the network, one per institution.
    #[serde(deserialize_with = "external_liabilities_vector")]
    pub external_liabilities: Vec<f64>,
}

/// Deserializes a list of numbers whose errors name the entry, `field[i]`.
struct Numbers {
    field: String,
}

impl Numbers {
    fn entry(&self, i: usize) -> Numbers {
        Numbers {
            field: format!("{}[{i}]", self.field),
        }
    }
}

impl<'de> Visitor<'de> for Numbers {
    type Value = Vec<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of numbers for `{}`", self.field)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<f64>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            match seq.next_element::<f64>() {
                Ok(Some(x)) => out.push(x),
                Ok(None) => return Ok(out),
                Err(e) => {
                    return Err(de::Error::custom(format!(
                        "{}: {e}",
                        self.entry(out.len()).field
                    )));
                }
            }
        }
    }
}

/// Deserializes rows of numbers, row `i` a [`Numbers`] named `field[i]` (so an entry is
/// `field[i][j]`).
struct Rows {
    field: &'static str,
}

/// One row, deserialized with its name.
struct Row(Numbers);

impl<'de> de::DeserializeSeed<'de> for Row {
    type Value = Vec<f64>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Vec<f64>, D::Error> {
        d.deserialize_seq(self.0)
    }
}

impl<'de> Visitor<'de> for Rows {
    type Value = Vec<Vec<f64>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an array of rows (arrays of numbers) for `{}`",
            self.field
        )
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Vec<Vec<f64>>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let names = Numbers {
            field: self.field.to_string(),
        };
        while let Some(row) = seq.next_element_seed(Row(names.entry(out.len())))? {
            out.push(row);
        }
        Ok(out)
    }
}

fn liabilities_matrix<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<Vec<f64>>, D::Error> {
    d.deserialize_seq(Rows {
        field: "liabilities",
    })
}

fn external_assets_vector<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<f64>, D::Error> {
    d.deserialize_seq(Numbers {
        field: "external_assets".into(),
    })
}

fn external_liabilities_vector<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<f64>, D::Error> {
    d.deserialize_seq(Numbers {
        field: "external_liabilities".into(),
    })
}

impl TryFrom<NetworkSpec> for ClearingNetwork {
    type Error = Error;

    /// [`ClearingNetwork::new`] on the spec's fields.
    fn try_from(spec: NetworkSpec) -> Result<Self> {
        ClearingNetwork::new(
            spec.liabilities,
            spec.external_assets,
            spec.external_liabilities,
        )
    }
}

/// A network's clearing as `cargo xtask clearing --json` prints it
/// (docs/schemas/clearing-json.md): the [`Clearing`] with the number of institutions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClearingReport {
    /// Number of institutions `n`.
    pub institutions: usize,
    /// Total obligations `p_bar`.
    pub total_obligations: Vec<f64>,
    /// Clearing payment vector `p`.
    pub payments: Vec<f64>,
    /// Institutions in default, in increasing index order (from 0).
    pub defaulted: Vec<usize>,
    /// Fictitious default sequence: entry `k` lists the institutions first in default in
    /// round `k + 1`.
    pub defaults_by_round: Vec<Vec<usize>>,
    /// Rounds that found a new defaulter (0: nobody defaults).
    pub rounds: usize,
    /// Equity `e_i + sum_j Pi_ji p_j - p_bar_i`, negative for defaulters.
    pub equity: Vec<f64>,
}

fn check_entry(field: String, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidParameter {
            field,
            value,
            reason: "must be finite and >= 0",
        })
    }
}

impl ClearingNetwork {
    /// A network of `n` institutions: `liabilities` is `n x n` (row `i` owes column `j`,
    /// non-negative, zero diagonal); `external_assets` and `external_liabilities` have
    /// length `n`, non-negative and finite. Errors name the offending entry.
    pub fn new(
        liabilities: Vec<Vec<f64>>,
        external_assets: Vec<f64>,
        external_liabilities: Vec<f64>,
    ) -> Result<Self> {
        let n = liabilities.len();
        if n == 0 {
            return Err(Error::InvalidNetwork(
                "liabilities: the network has no institution".into(),
            ));
        }
        for (i, row) in liabilities.iter().enumerate() {
            if row.len() != n {
                return Err(Error::InvalidNetwork(format!(
                    "liabilities: row {i} has {} entries, the matrix must be square ({n} x {n})",
                    row.len()
                )));
            }
            for (j, &v) in row.iter().enumerate() {
                check_entry(format!("liabilities[{i}][{j}]"), v)?;
                if i == j && v != 0.0 {
                    return Err(Error::InvalidParameter {
                        field: format!("liabilities[{i}][{i}]"),
                        value: v,
                        reason: "the diagonal must be 0 (an institution owes nothing to itself)",
                    });
                }
            }
        }
        for (name, v) in [
            ("external_assets", &external_assets),
            ("external_liabilities", &external_liabilities),
        ] {
            if v.len() != n {
                return Err(Error::InvalidNetwork(format!(
                    "{name}: {} entries for {n} institutions",
                    v.len()
                )));
            }
            for (i, &x) in v.iter().enumerate() {
                check_entry(format!("{name}[{i}]"), x)?;
            }
        }
        let total_obligations: Vec<f64> = liabilities
            .iter()
            .zip(&external_liabilities)
            .map(|(row, x)| row.iter().sum::<f64>() + x)
            .collect();
        // Finite entries can still sum past f64::MAX (two of 1e308), and clearing then
        // prints inf and NaN: every sum the algorithm forms is bounded by the grand total,
        // so a finite grand total keeps every figure finite.
        let overflow = |field: String, value: f64| Error::InvalidParameter {
            field,
            value,
            reason: "the amounts sum past the largest finite number; state them in larger units",
        };
        if let Some(i) = total_obligations.iter().position(|t| !t.is_finite()) {
            return Err(overflow(format!("liabilities[{i}]"), total_obligations[i]));
        }
        for j in 0..n {
            let inflow = external_assets[j] + liabilities.iter().map(|r| r[j]).sum::<f64>();
            if !inflow.is_finite() {
                return Err(overflow(format!("external_assets[{j}]"), inflow));
            }
        }
        let total = total_obligations.iter().sum::<f64>() + external_assets.iter().sum::<f64>();
        if !total.is_finite() {
            return Err(overflow("liabilities".into(), total));
        }
        Ok(Self {
            liabilities,
            external_assets,
            external_liabilities,
            total_obligations,
        })
    }

    /// Number of institutions.
    pub fn len(&self) -> usize {
        self.liabilities.len()
    }

    /// Always false: a network has at least one institution.
    pub fn is_empty(&self) -> bool {
        self.liabilities.is_empty()
    }

    /// The liabilities matrix `L` (row owes column).
    pub fn liabilities(&self) -> &[Vec<f64>] {
        &self.liabilities
    }

    /// External assets `e`.
    pub fn external_assets(&self) -> &[f64] {
        &self.external_assets
    }

    /// External liabilities (owed to creditors outside the network).
    pub fn external_liabilities(&self) -> &[f64] {
        &self.external_liabilities
    }

    /// Total obligations `p_bar_i = sum_j L_ij + external_liabilities_i`.
    pub fn total_obligations(&self) -> &[f64] {
        &self.total_obligations
    }

    /// Relative liabilities `Pi_ij = L_ij / p_bar_i` (a row of zeros when `p_bar_i = 0`).
    pub fn relative_liabilities(&self) -> Vec<Vec<f64>> {
        self.liabilities
            .iter()
            .zip(&self.total_obligations)
            .map(|(row, &pb)| {
                row.iter()
                    .map(|&l| if pb > 0.0 { l / pb } else { 0.0 })
                    .collect()
            })
            .collect()
    }

    /// Interbank assets `sum_j Pi_ji p_j` of every institution given payments `p`.
    fn interbank_assets(&self, pi: &[Vec<f64>], p: &[f64]) -> Vec<f64> {
        let n = self.len();
        let mut a = vec![0.0; n];
        for (j, row) in pi.iter().enumerate() {
            for (i, &x) in row.iter().enumerate() {
                a[i] += x * p[j];
            }
        }
        a
    }

    /// Clears the network by the fictitious default algorithm: round 1 assumes everyone
    /// pays `p_bar` and finds who cannot; each next round solves the linear system
    /// `p_i = e_i + sum_j Pi_ji p_j` for the defaulters so far (the others paying in full)
    /// and adds the institutions that now fall short, until no new institution defaults
    /// (at most `n` rounds).
    ///
    /// Returns [`Error::Unsupported`] only if the defaulters' system is singular, which the
    /// algorithm never produces for a valid network in exact arithmetic.
    pub fn clear(&self) -> Result<Clearing> {
        // Without costs the Rogers-Veraart algorithm is this one: the same loop, the
        // defaulters' system with alpha = beta = 1.
        self.clear_with_costs(DefaultCosts::NONE)
    }

    /// Clears the network with Rogers and Veraart's (2013) costs of default: a defaulter
    /// realises only `alpha` of its external assets and `beta` of what it is owed, so it
    /// pays `alpha e_i + beta sum_j Pi_ji p_j`, while a solvent institution pays `p_bar_i`.
    /// Returns the greatest clearing vector, found by their Greatest Clearing Vector
    /// Algorithm: start from everyone paying in full, mark who is insolvent, solve
    /// `(I - beta Pi_II^T) p_I = alpha e_I + beta Pi_SI^T p_bar_S` for the insolvent set
    /// `I`, and repeat until it stops growing (at most `n` rounds). With
    /// [`DefaultCosts::NONE`] it is [`ClearingNetwork::clear`]. `equity` is before the costs:
    /// `e_i + sum_j Pi_ji p_j - p_bar_i`.
    pub fn clear_with_costs(&self, costs: DefaultCosts) -> Result<Clearing> {
        let n = self.len();
        let pi = self.relative_liabilities();
        let pb = &self.total_obligations;
        let e = &self.external_assets;
        let mut p = pb.clone();
        let mut insolvent = vec![false; n];
        let mut defaults_by_round = Vec::new();
        loop {
            let inflow = self.interbank_assets(&pi, &p);
            let new: Vec<usize> = (0..n)
                .filter(|&i| {
                    !insolvent[i] && e[i] + inflow[i] < pb[i] - SOLVENCY_TOLERANCE * pb[i].max(1.0)
                })
                .collect();
            if new.is_empty() {
                let equity = (0..n).map(|i| e[i] + inflow[i] - pb[i]).collect();
                let defaulted = (0..n).filter(|&i| insolvent[i]).collect();
                let rounds = defaults_by_round.len();
                return Ok(Clearing {
                    payments: p,
                    total_obligations: pb.clone(),
                    defaulted,
                    defaults_by_round,
                    rounds,
                    equity,
                });
            }
            for &i in &new {
                insolvent[i] = true;
            }
            defaults_by_round.push(new);
            p = self.solve_with_costs(&pi, &insolvent, costs)?;
        }
    }

    /// Rogers-Veraart payments for the insolvent set: `(I - beta Pi_II^T) p_I = alpha e_I +
    /// beta Pi_SI^T p_bar_S`, the solvent paying in full.
    fn solve_with_costs(
        &self,
        pi: &[Vec<f64>],
        insolvent: &[bool],
        costs: DefaultCosts,
    ) -> Result<Vec<f64>> {
        let n = self.len();
        let pb = &self.total_obligations;
        let d: Vec<usize> = (0..n).filter(|&i| insolvent[i]).collect();
        let m = d.len();
        let mut a = DMatrix::<f64>::identity(m, m);
        let mut b = DVector::<f64>::zeros(m);
        for (r, &i) in d.iter().enumerate() {
            b[r] = costs.alpha * self.external_assets[i];
            for j in (0..n).filter(|&j| !insolvent[j]) {
                b[r] += costs.beta * pi[j][i] * pb[j];
            }
            for (c, &j) in d.iter().enumerate() {
                a[(r, c)] -= costs.beta * pi[j][i];
            }
        }
        let x = a.lu().solve(&b).ok_or_else(|| Error::Unsupported {
            method: "clearing",
            reason: "the insolvent institutions' payment system is singular".into(),
        })?;
        let mut p = pb.clone();
        for (r, &i) in d.iter().enumerate() {
            p[i] = x[r].clamp(0.0, pb[i]);
        }
        Ok(p)
    }

    /// Clears the network ([`ClearingNetwork::clear`]) and reports the result.
    pub fn report(&self) -> Result<ClearingReport> {
        let c = self.clear()?;
        Ok(ClearingReport {
            institutions: self.len(),
            total_obligations: c.total_obligations,
            payments: c.payments,
            defaulted: c.defaulted,
            defaults_by_round: c.defaults_by_round,
            rounds: c.rounds,
            equity: c.equity,
        })
    }

    /// A copy of the network with `loss` taken off institution `node`'s external assets
    /// (floored at 0: a loss beyond the assets wipes them out).
    pub fn with_loss(&self, node: usize, loss: f64) -> Result<Self> {
        if node >= self.len() {
            return Err(Error::InvalidNetwork(format!(
                "shock node {node}: the network has {} institutions",
                self.len()
            )));
        }
        let loss = check_entry("shock loss".into(), loss)?;
        let mut shocked = self.clone();
        shocked.external_assets[node] = (shocked.external_assets[node] - loss).max(0.0);
        Ok(shocked)
    }

    /// Clears the network before and after a `loss` on the external assets of `node`, and
    /// reports which institutions fail because of it: the loss reduces what `node` pays,
    /// so it becomes a shock to `node`'s creditors, and so on.
    pub fn shock(&self, node: usize, loss: f64) -> Result<ShockOutcome> {
        let shocked = self.with_loss(node, loss)?;
        let before = self.clear()?;
        let after = shocked.clear()?;
        let new_defaults = after
            .defaulted
            .iter()
            .copied()
            .filter(|i| !before.defaulted.contains(i))
            .collect();
        Ok(ShockOutcome {
            before,
            after,
            new_defaults,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use creditlab_numerics::prec;
    use proptest::prelude::*;

    fn reference() -> ClearingNetwork {
        ClearingNetwork::new(
            vec![
                vec![0.0, 4.0, 0.0],
                vec![0.0, 0.0, 3.0],
                vec![2.0, 0.0, 0.0],
            ],
            vec![18.0, 18.0, 9.0],
            vec![17.0, 18.0, 8.0],
        )
        .unwrap()
    }

    #[test]
    fn reproduces_the_reference_network() {
        let c = reference().clear().unwrap();
        // The reference example's figures, published to four decimals.
        for (got, want) in c.payments.iter().zip([20.0, 21.0, 10.0]) {
            assert_abs_diff_eq!(*got, want, epsilon = prec::printed(4));
        }
        assert_eq!(c.defaulted, vec![0]);
        assert_eq!(c.defaults_by_round, vec![vec![0]]);
        assert_eq!(c.rounds, 1);
        for (got, want) in c.equity.iter().zip([-1.0, 0.8095, 2.0]) {
            assert_abs_diff_eq!(*got, want, epsilon = prec::printed(4));
        }
        // Exactly: bank 1 receives 4/21 of bank 0's 20.
        assert_abs_diff_eq!(
            c.equity[1],
            18.0 + 80.0 / 21.0 - 21.0,
            epsilon = prec::COMPOSED
        );
        assert_eq!(c.total_obligations, vec![21.0, 21.0, 10.0]);
    }

    #[test]
    fn solvent_network_pays_in_full() {
        let net = ClearingNetwork::new(
            vec![
                vec![0.0, 4.0, 0.0],
                vec![0.0, 0.0, 3.0],
                vec![2.0, 0.0, 0.0],
            ],
            vec![30.0, 30.0, 30.0],
            vec![17.0, 18.0, 8.0],
        )
        .unwrap();
        let c = net.clear().unwrap();
        assert_eq!(c.payments, net.total_obligations().to_vec());
        assert!(c.defaulted.is_empty());
        assert_eq!(c.rounds, 0);
        assert!(c.equity.iter().all(|&x| x >= 0.0));
        assert_abs_diff_eq!(c.equity[0], 30.0 + 2.0 - 21.0, epsilon = prec::IDENTITY);
    }

    #[test]
    fn zero_equity_is_not_default() {
        // A owes B 1 and B owes A 1, nothing else: both exactly solvent.
        let net = ClearingNetwork::new(
            vec![vec![0.0, 1.0], vec![1.0, 0.0]],
            vec![0.0, 0.0],
            vec![0.0, 0.0],
        )
        .unwrap();
        let c = net.clear().unwrap();
        assert_eq!(c.payments, vec![1.0, 1.0]);
        assert!(c.defaulted.is_empty());
    }

    #[test]
    fn cascade_takes_several_rounds() {
        // A chain: 0 owes 1, 1 owes 2; 0 has nothing, 1 and 2 rely on the inflow.
        let net = ClearingNetwork::new(
            vec![
                vec![0.0, 10.0, 0.0],
                vec![0.0, 0.0, 10.0],
                vec![0.0, 0.0, 0.0],
            ],
            vec![0.0, 5.0, 4.0],
            vec![0.0, 0.0, 10.0],
        )
        .unwrap();
        let c = net.clear().unwrap();
        // Round 1: 0 cannot pay (0 < 10); round 2: 1 gets 0, has 5 < 10; round 3: 2 gets 5
        // and has 4 + 5 = 9 < 10.
        assert_eq!(c.defaults_by_round, vec![vec![0], vec![1], vec![2]]);
        assert_eq!(c.rounds, 3);
        for (got, want) in c.payments.iter().zip([0.0, 5.0, 9.0]) {
            assert_abs_diff_eq!(*got, want, epsilon = prec::COMPOSED);
        }
        for (got, want) in c.equity.iter().zip([-10.0, -5.0, -1.0]) {
            assert_abs_diff_eq!(*got, want, epsilon = prec::COMPOSED);
        }
    }

    #[test]
    fn shock_propagates_to_creditors() {
        let net = reference();
        // Bank index 2 loses 8 of its 9: it has 1 + 3 (from bank 1) = 4 for 10 owed, so it
        // pays 4, of which bank 0 gets 2/10; bank 0 then pays 18 + 0.8 = 18.8, and bank 1
        // (18 + 4/21 * 18.8 = 21.58 >= 21) survives.
        let out = net.shock(2, 8.0).unwrap();
        assert_eq!(out.before.defaulted, vec![0]);
        assert_eq!(out.new_defaults, vec![2]);
        assert_eq!(out.after.defaulted, vec![0, 2]);
        assert_eq!(out.after.defaults_by_round, vec![vec![0, 2]]);
        for (got, want) in out.after.payments.iter().zip([18.8, 21.0, 4.0]) {
            assert_abs_diff_eq!(*got, want, epsilon = prec::COMPOSED);
        }
        // No loss: nothing changes.
        let none = net.shock(1, 0.0).unwrap();
        assert!(none.new_defaults.is_empty());
        assert_eq!(none.before, none.after);
    }

    #[test]
    fn rejects_bad_input_naming_the_entry() {
        let e = ClearingNetwork::new(
            vec![vec![0.0, -1.0], vec![0.0, 0.0]],
            vec![1.0, 1.0],
            vec![0.0, 0.0],
        )
        .unwrap_err();
        assert!(e.to_string().contains("liabilities[0][1]"), "{e}");
        let e = ClearingNetwork::new(
            vec![vec![1.0, 0.0], vec![0.0, 0.0]],
            vec![1.0, 1.0],
            vec![0.0, 0.0],
        )
        .unwrap_err();
        assert!(e.to_string().contains("liabilities[0][0]"), "{e}");
        let e = ClearingNetwork::new(
            vec![vec![0.0, 1.0], vec![0.0]],
            vec![1.0, 1.0],
            vec![0.0, 0.0],
        )
        .unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        let e = ClearingNetwork::new(
            vec![vec![0.0, 1.0], vec![0.0, 0.0]],
            vec![1.0],
            vec![0.0, 0.0],
        )
        .unwrap_err();
        assert!(e.to_string().contains("external_assets"), "{e}");
        let e = ClearingNetwork::new(
            vec![vec![0.0, 1.0], vec![0.0, 0.0]],
            vec![1.0, 1.0],
            vec![0.0, f64::NAN],
        )
        .unwrap_err();
        assert!(e.to_string().contains("external_liabilities[1]"), "{e}");
        assert!(ClearingNetwork::new(vec![], vec![], vec![]).is_err());
        assert!(reference().shock(3, 1.0).is_err());
        assert!(reference().shock(0, -1.0).is_err());
    }

    /// A random network of 2..6 institutions with sparse liabilities.
    fn network() -> impl Strategy<Value = ClearingNetwork> {
        (2usize..7).prop_flat_map(|n| {
            (
                prop::collection::vec(prop::collection::vec((0.0f64..10.0, any::<bool>()), n), n),
                prop::collection::vec(0.0f64..20.0, n),
                prop::collection::vec(0.0f64..10.0, n),
            )
                .prop_map(move |(l, e, x)| {
                    let l = l
                        .into_iter()
                        .enumerate()
                        .map(|(i, row)| {
                            row.into_iter()
                                .enumerate()
                                .map(|(j, (v, keep))| if i != j && keep { v } else { 0.0 })
                                .collect()
                        })
                        .collect();
                    ClearingNetwork::new(l, e, x).unwrap()
                })
        })
    }

    proptest! {
        #[test]
        fn payments_are_a_fixed_point(net in network()) {
            let c = net.clear().unwrap();
            let pi = net.relative_liabilities();
            let inflow = net.interbank_assets(&pi, &c.payments);
            for (i, &a) in inflow.iter().enumerate() {
                let target = net.total_obligations()[i].min(net.external_assets()[i] + a);
                prop_assert!((c.payments[i] - target).abs() <= prec::CONVERGED,
                    "institution {i}: p = {} but min(p_bar, e + Pi^T p) = {target}", c.payments[i]);
                if c.defaulted.contains(&i) {
                    prop_assert!(c.equity[i] < 0.0);
                } else {
                    prop_assert!(c.equity[i] >= -prec::CONVERGED);
                }
                prop_assert!(c.payments[i] >= 0.0 && c.payments[i] <= net.total_obligations()[i]);
            }
            prop_assert!(c.rounds <= net.len());
        }

        #[test]
        fn lower_external_assets_never_raise_payments(
            net in network(), node in 0usize..7, loss in 0.0f64..20.0,
        ) {
            let node = node % net.len();
            let out = net.shock(node, loss).unwrap();
            for i in 0..net.len() {
                prop_assert!(out.after.payments[i] <= out.before.payments[i] + prec::CONVERGED);
            }
            for i in &out.before.defaulted {
                prop_assert!(out.after.defaulted.contains(i));
            }
        }
    }

    /// Rogers and Veraart's asymmetric six-bank network (as in FinNetValu's tests of their
    /// model), external assets scaled by `scale`.
    fn rogers_veraart_six(scale: f64) -> ClearingNetwork {
        let l = vec![
            vec![0.0, 4.94, 2.47, 5.59, 0.0, 0.0],
            vec![6.0, 0.0, 0.0, 2.0, 0.0, 0.0],
            vec![0.0, 13.0, 0.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 8.0],
            vec![12.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            vec![2.79, 6.21, 0.0, 0.0, 0.0, 0.0],
        ];
        let e = [1.0, 1.0, 11.51, 1.4, 12.5, 2.0]
            .map(|x| x * scale)
            .to_vec();
        ClearingNetwork::new(l, e, vec![0.0; 6]).unwrap()
    }

    #[test]
    fn rogers_veraart_example_3_3_has_two_clearing_vectors_and_returns_the_greatest() {
        // Two banks owe each other 2.2 and hold 1 each. With alpha = beta = 1/2 both
        // (1, 1) and (2.2, 2.2) are fixed points of the payment map; the algorithm returns
        // the greatest. Check the lesser is one by hand: a defaulter pays
        // 0.5 * 1 + 0.5 * 1 = 1.
        let net = ClearingNetwork::new(
            vec![vec![0.0, 2.2], vec![2.2, 0.0]],
            vec![1.0, 1.0],
            vec![0.0, 0.0],
        )
        .unwrap();
        let costs = DefaultCosts::new(0.5, 0.5).unwrap();
        let c = net.clear_with_costs(costs).unwrap();
        assert_eq!(c.payments, vec![2.2, 2.2]);
        assert!(c.defaulted.is_empty());
        // The Rogers-Veraart payment map, written out for this network.
        let map = |p: [f64; 2]| -> [f64; 2] {
            let owed = [p[1], p[0]];
            std::array::from_fn(|i| {
                if 1.0 + owed[i] >= 2.2 {
                    2.2
                } else {
                    0.5 * 1.0 + 0.5 * owed[i]
                }
            })
        };
        assert_eq!(map([1.0, 1.0]), [1.0, 1.0]);
        assert_eq!(map([2.2, 2.2]), [2.2, 2.2]);
        // Without costs, (1, 1) is not a clearing vector: Eisenberg-Noe has only (2.2, 2.2).
        assert_eq!(net.clear().unwrap().payments, vec![2.2, 2.2]);
    }

    #[test]
    fn rogers_veraart_six_banks_match_the_hand_computed_payments() {
        // Computed by hand: with every external asset at 95%, only bank 4 (owes 12, holds
        // 0.95 * 12.5 = 11.875, is owed nothing) is insolvent and pays alpha * 11.875.
        for (ab, want4) in [(1.0, 11.875), (0.9, 10.6875), (0.5, 5.9375)] {
            let costs = DefaultCosts::new(ab, ab).unwrap();
            let c = rogers_veraart_six(0.95).clear_with_costs(costs).unwrap();
            assert_eq!(c.defaulted, vec![4]);
            assert_abs_diff_eq!(c.payments[4], want4, epsilon = prec::COMPOSED);
        }
        // At 90%: banks 2 and 4. Bank 2 holds 10.359 and is owed 2.47 by bank 0, which stays
        // solvent: it pays alpha * 10.359 + beta * 2.47.
        for (ab, want2, want4) in [
            (1.0, 12.829, 11.25),
            (0.9, 11.5461, 10.125),
            (0.5, 6.4145, 5.625),
        ] {
            let costs = DefaultCosts::new(ab, ab).unwrap();
            let c = rogers_veraart_six(0.90).clear_with_costs(costs).unwrap();
            assert_eq!(c.defaulted, vec![2, 4]);
            assert_abs_diff_eq!(c.payments[2], want2, epsilon = prec::COMPOSED);
            assert_abs_diff_eq!(c.payments[4], want4, epsilon = prec::COMPOSED);
        }
    }

    #[test]
    fn default_costs_must_be_shares() {
        for (a, b) in [(0.0, 1.0), (1.0, 1.5), (f64::NAN, 0.5)] {
            assert!(DefaultCosts::new(a, b).is_err());
        }
    }

    proptest! {
        /// Without costs the Rogers-Veraart algorithm is Eisenberg-Noe's; with costs nobody
        /// pays more than without.
        #[test]
        fn costs_only_lower_payments(
            l in proptest::collection::vec(0.0f64..10.0, 16),
            e in proptest::collection::vec(0.0f64..10.0, 4),
            x in proptest::collection::vec(0.0f64..10.0, 4),
            alpha in 0.05f64..1.0,
            beta in 0.05f64..1.0,
        ) {
            let liabilities: Vec<Vec<f64>> = (0..4)
                .map(|i| (0..4).map(|j| if i == j { 0.0 } else { l[4 * i + j] }).collect())
                .collect();
            let net = ClearingNetwork::new(liabilities, e, x).unwrap();
            let en = net.clear().unwrap();
            let none = net.clear_with_costs(DefaultCosts::NONE).unwrap();
            prop_assert_eq!(&en.payments, &none.payments);
            let rv = net.clear_with_costs(DefaultCosts::new(alpha, beta).unwrap()).unwrap();
            for i in 0..4 {
                prop_assert!(rv.payments[i] <= en.payments[i] + prec::CONVERGED);
            }
        }
    }
}
