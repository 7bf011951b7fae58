//! Section 6 of the study: the chain reaction between institutions. Each book's loss is a
//! shock to the institutions that hold its securities, and their losses are shocks to their
//! own creditors, cleared with Eisenberg-Noe (creditlab-contagion's `ClearingNetwork`).
//!
//! - Bank side: one institution holds each tranche of the bank pool. The tranche is
//!   `holding_share` of its external assets, the rest is safe; it owes `interbank_share` of
//!   its debt to the other holders in equal parts and the rest to outside creditors. Its
//!   capital is either a thin leverage ratio (the 2007 balance sheet) or the Basel capital of
//!   its assets (SEC-SA on the tranche, 8% on the rest).
//! - DeFi side: node 0 is the lending pool, whose depositors include `protocols` other
//!   protocols (aggregators, other lending markets, stablecoin issuers) holding
//!   `protocol_deposit_share` of its shares in equal parts; the pool owes its shares pari
//!   passu, as Eisenberg-Noe assumes, which is how bad debt falls on depositors pro rata.
//!   Each protocol's pool shares are `holding_share` of its assets, it owes
//!   `interbank_share` of its debt to the other protocols, and holds `protocol_equity` of
//!   its assets as equity.
//!
//! Methodology and parameter sources: [docs/methodology/pipeline.md](crate::methodology::pipeline).

use crate::error::Result;
use creditlab_contagion::Tranche;
use creditlab_contagion::clearing::ClearingNetwork;
use creditlab_contagion::network::{shock_many, wire_equal_shares};
use serde::{Deserialize, Serialize};

/// Scenario keys of the contagion study (`[contagion]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContagionSpec {
    /// Share of each holder's external assets that is its tranche or its pool shares.
    pub holding_share: f64,
    /// Share of each institution's debt owed to the other institutions of its network.
    pub interbank_share: f64,
    /// Equity of a thinly capitalized tranche holder, per unit of assets.
    pub thin_equity: f64,
    /// Protocols holding the DeFi pool's shares.
    pub protocols: usize,
    /// Share of the DeFi pool's deposits held by those protocols.
    pub protocol_deposit_share: f64,
    /// Equity of each protocol, per unit of assets.
    pub protocol_equity: f64,
}

impl ContagionSpec {
    /// Checks every key; the error names it.
    pub fn check(&self) -> std::result::Result<(), (&'static str, String)> {
        for (key, v, open_low) in [
            ("holding_share", self.holding_share, true),
            ("interbank_share", self.interbank_share, false),
            ("thin_equity", self.thin_equity, true),
            ("protocol_deposit_share", self.protocol_deposit_share, true),
            ("protocol_equity", self.protocol_equity, true),
        ] {
            let ok = v.is_finite() && v <= 1.0 && if open_low { v > 0.0 } else { v >= 0.0 };
            if !ok {
                let range = if open_low { "(0, 1]" } else { "[0, 1]" };
                return Err((key, format!("{v} must be in {range}")));
            }
        }
        if self.interbank_share >= 1.0 {
            return Err(("interbank_share", "must be below 1".into()));
        }
        if !(1..=1000).contains(&self.protocols) {
            return Err((
                "protocols",
                format!("{} is outside 1..=1000", self.protocols),
            ));
        }
        Ok(())
    }
}

/// One institution's balance sheet before the shock, per unit of the book's principal.
#[derive(Debug, Clone, Serialize)]
pub struct Institution {
    /// What it is.
    pub name: String,
    /// Its holding of the book's securities (tranche notional or pool shares).
    pub holding: f64,
    /// Its external assets (holding included for tranche holders).
    pub external_assets: f64,
    /// Its equity before the shock.
    pub equity: f64,
}

/// A network cleared after one shock.
#[derive(Debug, Clone, Serialize)]
pub struct ShockResult {
    /// What the shock is.
    pub label: String,
    /// The book's loss behind it, per unit of principal.
    pub book_loss: f64,
    /// Names of the institutions in default after clearing.
    pub defaulted: Vec<String>,
    /// Institutions that default only because others failed to pay them in full (not
    /// insolvent on their own loss alone).
    pub contagious_defaults: usize,
    /// Rounds of the fictitious default algorithm that found new defaulters.
    pub rounds: usize,
    /// Equity lost across the network, per unit of the book's principal.
    pub equity_lost: f64,
    /// What outside creditors (depositors, bondholders, end users) are not paid, per unit
    /// of the book's principal.
    pub outside_creditor_loss: f64,
}

/// One side's network and its shocks.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkStudy {
    /// The side: `bank (thin equity)`, `bank (Basel capital)` or `defi`.
    pub side: String,
    /// The institutions before the shock.
    pub institutions: Vec<Institution>,
    /// The network cleared after each shock.
    pub shocks: Vec<ShockResult>,
}

/// Clears `base` with `losses[i]` taken off institution `i`'s external assets.
fn clear_shock(
    base: &ClearingNetwork,
    names: &[String],
    label: String,
    book_loss: f64,
    losses: &[f64],
) -> Result<ShockResult> {
    let out = shock_many(base, losses)?;
    Ok(ShockResult {
        label,
        book_loss,
        defaulted: out.defaulted.iter().map(|&i| names[i].clone()).collect(),
        contagious_defaults: out.contagious,
        rounds: out.after.rounds,
        equity_lost: out.equity_lost,
        outside_creditor_loss: out.outside_creditor_loss,
    })
}

/// The bank side: one holder per tranche `[attach, detach]`, capital per unit of assets
/// `capital(k, tranche notional, other assets)`; shocks are pool losses.
pub fn bank_network(
    spec: &ContagionSpec,
    side: &str,
    tranches: &[[f64; 2]],
    capital: impl Fn(usize, f64, f64) -> f64,
    shocks: &[(String, f64)],
) -> Result<NetworkStudy> {
    let names: Vec<String> = tranches
        .iter()
        .map(|[a, d]| format!("holder of {}-{}%", pp(*a), pp(*d)))
        .collect();
    let notional: Vec<f64> = tranches.iter().map(|[a, d]| d - a).collect();
    let assets: Vec<f64> = notional.iter().map(|n| n / spec.holding_share).collect();
    let equity: Vec<f64> = notional
        .iter()
        .zip(&assets)
        .enumerate()
        .map(|(k, (n, a))| capital(k, *n, a - n).min(*a))
        .collect();
    let (liabilities, external) = wire_equal_shares(&assets, &equity, spec.interbank_share);
    let base = ClearingNetwork::new(liabilities, assets.clone(), external)?;
    let institutions = (0..names.len())
        .map(|k| Institution {
            name: names[k].clone(),
            holding: notional[k],
            external_assets: assets[k],
            equity: equity[k],
        })
        .collect();
    let shocks = shocks
        .iter()
        .map(|(label, loss)| {
            let losses: Vec<f64> = tranches
                .iter()
                .map(|&[a, d]| Tranche::new(a, d).map(|t| t.loss_amount(*loss)))
                .collect::<std::result::Result<_, _>>()?;
            clear_shock(&base, &names, label.clone(), *loss, &losses)
        })
        .collect::<Result<_>>()?;
    Ok(NetworkStudy {
        side: side.to_string(),
        institutions,
        shocks,
    })
}

/// The DeFi side: the lending pool (node 0, deposits 1 per unit lent plus its `reserve`)
/// and the protocols holding its shares; shocks are the pool's bad debt per unit lent.
pub fn defi_network(
    spec: &ContagionSpec,
    reserve: f64,
    shocks: &[(String, f64)],
) -> Result<NetworkStudy> {
    let m = spec.protocols;
    let mut names = vec!["lending pool".to_string()];
    names.extend((1..=m).map(|j| format!("protocol {j}")));
    let held = spec.protocol_deposit_share / m as f64;
    // Protocols among themselves, as the bank side.
    let assets: Vec<f64> = vec![held * (1.0 / spec.holding_share - 1.0); m];
    let total_assets = held / spec.holding_share;
    let equity: Vec<f64> = vec![spec.protocol_equity * total_assets; m];
    // Their pool shares are receivables from node 0, so the external balance sheet they
    // wire among themselves counts them too.
    let with_shares: Vec<f64> = assets.iter().map(|a| a + held).collect();
    let (among, external) = wire_equal_shares(&with_shares, &equity, spec.interbank_share);
    let n = m + 1;
    let mut liabilities = vec![vec![0.0; n]; n];
    for j in 1..n {
        liabilities[0][j] = held;
        for k in 1..n {
            liabilities[j][k] = among[j - 1][k - 1];
        }
    }
    let mut external_assets = vec![1.0 + reserve];
    external_assets.extend(&assets);
    // A protocol's pool shares come through the network (node 0 pays them), not through its
    // external assets.
    let mut external_liabilities = vec![1.0 - spec.protocol_deposit_share];
    external_liabilities.extend(&external);
    let base = ClearingNetwork::new(liabilities, external_assets.clone(), external_liabilities)?;
    let mut institutions = vec![Institution {
        name: names[0].clone(),
        holding: 1.0,
        external_assets: 1.0 + reserve,
        equity: reserve,
    }];
    institutions.extend((1..n).map(|j| Institution {
        name: names[j].clone(),
        holding: held,
        external_assets: external_assets[j],
        equity: equity[j - 1],
    }));
    let shocks = shocks
        .iter()
        .map(|(label, bad_debt)| {
            let mut losses = vec![0.0; n];
            losses[0] = *bad_debt;
            clear_shock(&base, &names, label.clone(), *bad_debt, &losses)
        })
        .collect::<Result<_>>()?;
    Ok(NetworkStudy {
        side: "defi".into(),
        institutions,
        shocks,
    })
}

/// A fraction as a percentage with at most two decimals and no trailing zeros (0.07 -> "7").
pub fn pp(x: f64) -> String {
    let s = format!("{:.2}", x * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContagionSpec {
        ContagionSpec {
            holding_share: 0.25,
            interbank_share: 0.3,
            thin_equity: 0.04,
            protocols: 4,
            protocol_deposit_share: 0.4,
            protocol_equity: 0.05,
        }
    }

    #[test]
    fn no_shock_no_default_and_a_wipeout_fails_its_holder() {
        let tranches = [[0.0, 0.03], [0.03, 0.07], [0.07, 0.15], [0.15, 1.0]];
        let s = spec();
        let study = bank_network(
            &s,
            "bank (thin equity)",
            &tranches,
            |_, n, o| s.thin_equity * (n + o),
            &[("none".into(), 0.0), ("wipe 0-3%".into(), 0.03)],
        )
        .unwrap();
        assert!(study.shocks[0].defaulted.is_empty());
        assert_eq!(study.shocks[0].equity_lost, 0.0);
        // Losing the whole 0-3% tranche (25% of assets) breaks a 4%-equity holder.
        assert!(
            study.shocks[1]
                .defaulted
                .contains(&"holder of 0-3%".to_string())
        );
        // Equity lost is at most the loss itself.
        assert!(study.shocks[1].equity_lost <= 0.03 + 1e-12);
    }

    #[test]
    fn pool_bad_debt_within_the_reserve_hurts_nobody() {
        let s = spec();
        let study =
            defi_network(&s, 0.01, &[("small".into(), 0.005), ("large".into(), 0.3)]).unwrap();
        assert!(study.shocks[0].defaulted.is_empty());
        assert!(study.shocks[0].outside_creditor_loss.abs() < 1e-12);
        // A 30% bad debt: the pool defaults on its depositors (29% short). Each protocol
        // holds 0.1 of the deposits as 25% of its assets (0.4) with equity 0.02, and loses
        // 0.029 on its shares: every protocol fails too.
        assert!(
            study.shocks[1]
                .defaulted
                .contains(&"lending pool".to_string())
        );
        assert!(study.shocks[1].outside_creditor_loss > 0.0);
        assert_eq!(study.shocks[1].defaulted.len(), 5);
        assert_eq!(study.shocks[1].contagious_defaults, 4);
    }
}
