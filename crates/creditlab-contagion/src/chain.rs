//! A chain reaction as a process: leveraged holders of one traded security (a deal's notes,
//! or a DeFi collateral token) mark it to market, sell it when their capital or their
//! funding falls short, and owe each other; each round's sales move its price, which marks
//! everyone down, and each failure is cleared through the interbank claims with costs of
//! default. Methodology and sources: docs/methodology/chain-reaction.md.
//!
//! - **Fire sales** (Cifuentes, Ferrucci and Shin, "Liquidity risk and contagion", JEEA
//!   2005): the price is `v exp(-S / depth)` after `S` units sold in all (their eq. 5 with
//!   `alpha = 1 / depth`, times the security's fundamental value `v`); a holder below its
//!   minimum equity ratio `r*` uses cash, then sells, to repay debt until the ratio is back
//!   (their eq. 4). Clearing and the price are solved jointly by iterating from the
//!   undisturbed state, so prices and payments only fall and the process stops at the
//!   greatest joint equilibrium.
//! - **Funding runs** (Gorton and Metrick, "Securitized banking and the run on repo", JFE
//!   2012): repo against the security is capped at `(1 - haircut) x price x units`, the
//!   haircut rising with the price's fall (`haircut + haircut_per_drawdown x (1 - p)`). A
//!   holder over the cap repays from cash, then by selling (each unit sold cuts the gap by
//!   `haircut x p`); one who cannot fails for want of funding even if solvent.
//! - **Default costs in clearing** (Rogers and Veraart 2013): unsecured interbank debt and
//!   outside debt rank pari passu; a defaulter realises `alpha` of its external assets and
//!   `beta` of its claims ([`ClearingNetwork::clear_with_costs`]). Its units are sold in the
//!   next round.
//! - **Reflexive collateral** (DeFi): the security's fundamental value can fall with the
//!   losses of one institution (a protocol's own governance token): `v = (1 - note_loss) x
//!   (1 - reflexivity x that institution's lost equity / base)`, the base its equity or the
//!   token's value that covers its deficit.
//! - **DebtRank** of the shock on the interbank claims ([`crate::debtrank`]) as a second
//!   measure.
//!
//! Each failure carries its cause, tested in this order: `own_losses` (the shock alone
//! exceeds its equity), `counterparty` (with what its debtors did not pay), `fire_sale`
//! (markdowns and discounts below the fundamental did the rest), and `funding` (solvent at
//! the marks but unable to repay the repo its collateral no longer supports).
//!
//! ```
//! use creditlab_contagion::chain::{ChainNetwork, Holder, Market, Shock};
//! use creditlab_contagion::clearing::DefaultCosts;
//! // Two dealers at 25x leverage that sell below 4% equity, half their assets in the
//! // notes, half their liabilities repo; a 2% loss on the notes; a thin market.
//! let dealer = |name: &str| Holder {
//!     name: name.into(), units: 50.0, cash: 5.0, other_assets: 45.0, repo: 48.0,
//!     repo_lender: None, debt: 48.0, min_equity_ratio: 0.04,
//! };
//! let net = ChainNetwork::new(
//!     vec![dealer("A"), dealer("B")],
//!     vec![vec![0.0; 2]; 2],
//!     Market { depth: 200.0, haircut: 0.1, haircut_per_drawdown: 1.0, reflexivity: 0.0, reflexive_on: None, reflexive_base: None },
//!     DefaultCosts::NONE,
//! )?;
//! let out = net.run(&Shock { note_loss: 0.02, other_losses: vec![0.0; 2] })?;
//! assert!(out.converged && out.amplification.unwrap() > 1.0);
//! # Ok::<(), creditlab_contagion::Error>(())
//! ```

use crate::clearing::{ClearingNetwork, DefaultCosts};
use crate::debtrank;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Rounds after which the process is cut off (reported as not converged).
const MAX_ROUNDS: usize = 500;
/// Sales, repayments and price moves below this (in the balance sheets' units, relative to
/// the largest balance sheet) count as none: the process has stopped.
const STILL: f64 = 1e-12;

/// One institution's balance sheet before the shock (any money unit, the security at par 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    /// Its name in the outputs.
    pub name: String,
    /// Units of the traded security held (worth 1 each before the shock).
    pub units: f64,
    /// Cash and other liquid assets at par.
    pub cash: f64,
    /// Assets that are neither traded here nor liquid (loans), at book value.
    pub other_assets: f64,
    /// Short-term secured funding against the security (repo; a DeFi borrow against
    /// collateral).
    pub repo: f64,
    /// Who lends the repo: `None` for outside lenders (money funds), `Some(k)` for holder
    /// `k` of the network (a DeFi lending pool), whose claim it then is.
    pub repo_lender: Option<usize>,
    /// Other outside liabilities (deposits, bonds), pari passu with interbank debt.
    pub debt: f64,
    /// Minimum equity over marked assets (Cifuentes-Ferrucci-Shin's `r*`; 1 / maximum
    /// leverage); 0 for none.
    pub min_equity_ratio: f64,
}

/// The security's market and its funding terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Market {
    /// Units whose sale moves the price to `1/e` of its fundamental value.
    pub depth: f64,
    /// Repo haircut after the shock, in [0, 1].
    pub haircut: f64,
    /// Haircut added per unit of price fall below par (Gorton-Metrick's haircuts rising
    /// with losses), >= 0.
    pub haircut_per_drawdown: f64,
    /// Share of the fundamental value that falls with the equity `reflexive_on` has lost,
    /// over `reflexive_base` (0: none).
    pub reflexivity: f64,
    /// The institution whose losses the fundamental value follows.
    pub reflexive_on: Option<usize>,
    /// What its lost equity is measured against: the token's value that covers its deficit
    /// (a governance token minted and sold to cover bad debt); `None` for its own equity
    /// before the shock.
    pub reflexive_base: Option<f64>,
}

/// The shock: a loss on the security's fundamental value and on each holder's other
/// assets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shock {
    /// Fundamental loss per unit of the security, in [0, 1].
    pub note_loss: f64,
    /// Loss on each holder's other assets (money), at most those assets.
    pub other_losses: Vec<f64>,
}

/// Why an institution failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The shock on its own holdings exceeds its equity.
    OwnLosses,
    /// Markdowns and sales below the fundamental value took the rest of its equity.
    FireSale,
    /// It could not repay the repo its collateral no longer supports.
    Funding,
    /// What its debtors did not pay took the rest of its equity.
    Counterparty,
}

/// One failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The institution's name.
    pub institution: String,
    /// Its index in the network.
    pub index: usize,
    /// The round it failed in (from 1).
    pub round: usize,
    /// Why.
    pub cause: Cause,
}

/// The state after one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    /// The round, from 1.
    pub round: usize,
    /// The security's fundamental value in the round.
    pub fundamental: f64,
    /// Its market price at the end of the round.
    pub price: f64,
    /// The haircut in the round.
    pub haircut: f64,
    /// Units sold in the round.
    pub units_sold: f64,
    /// What buyers paid for them.
    pub proceeds: f64,
    /// Institutions failed in the round.
    pub failures: usize,
    /// Each institution's equity at the end of the round (marked at the new price).
    pub equity: Vec<f64>,
    /// Units still held by the institutions, and sold to outside buyers so far: their sum
    /// is the units held before the shock.
    pub units_held: f64,
    /// Units sold to outside buyers so far.
    pub units_sold_total: f64,
    /// Cash held by the institutions.
    pub cash_held: f64,
    /// Cash paid out of the network so far (repo and debt repaid to outside lenders).
    pub cash_paid_out: f64,
    /// Cash paid in by outside buyers so far: held = before + paid in - paid out.
    pub cash_paid_in: f64,
}

/// The outcome of a chain reaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainOutcome {
    /// Rounds in which something happened (a sale, a repayment or a failure).
    pub rounds: usize,
    /// Failures in the order they happened.
    pub failures: Vec<Failure>,
    /// Each round's state.
    pub path: Vec<Round>,
    /// The loss the shock puts on the holders' own assets (money).
    pub initial_shock: f64,
    /// Equity lost by the institutions (each at most its equity before the shock).
    pub equity_lost: f64,
    /// What the institutions' outside creditors (depositors, bondholders, repo lenders)
    /// are not paid.
    pub creditor_loss: f64,
    /// `(equity_lost + creditor_loss) / initial_shock`; 1 when nothing propagates, `None`
    /// without a shock.
    pub amplification: Option<f64>,
    /// DebtRank (Bardoscia et al. 2015) of the shock on the interbank claims, weighted by
    /// equity: the relative equity loss that distress propagation adds.
    pub debtrank: f64,
    /// The same by Battiston et al.'s (2012) single-hit rule.
    pub debtrank_single_hit: f64,
    /// False when the process was cut off (after 500 rounds).
    pub converged: bool,
}

impl ChainOutcome {
    /// Failures with this cause.
    pub fn count(&self, cause: Cause) -> usize {
        self.failures.iter().filter(|f| f.cause == cause).count()
    }
}

/// A network of holders of one security.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainNetwork {
    holders: Vec<Holder>,
    interbank: Vec<Vec<f64>>,
    market: Market,
    costs: DefaultCosts,
    equity0: Vec<f64>,
    scale: f64,
}

fn invalid(field: String, value: f64, reason: &'static str) -> Error {
    Error::InvalidParameter {
        field,
        value,
        reason,
    }
}

impl ChainNetwork {
    /// Validates the balance sheets: every amount finite and >= 0, `interbank[i][j]` what
    /// `i` owes `j` (square, zero diagonal), every institution solvent before the shock,
    /// market terms in range. Errors name the field (`holders[2].repo`).
    pub fn new(
        holders: Vec<Holder>,
        interbank: Vec<Vec<f64>>,
        market: Market,
        costs: DefaultCosts,
    ) -> Result<Self> {
        let n = holders.len();
        if n == 0 {
            return Err(Error::InvalidNetwork(
                "holders: the network is empty".into(),
            ));
        }
        // Reuses the clearing network's checks of the matrix.
        ClearingNetwork::new(interbank.clone(), vec![0.0; n], vec![0.0; n])?;
        for (i, h) in holders.iter().enumerate() {
            for (key, v) in [
                ("units", h.units),
                ("cash", h.cash),
                ("other_assets", h.other_assets),
                ("repo", h.repo),
                ("debt", h.debt),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(invalid(
                        format!("holders[{i}].{key}"),
                        v,
                        "must be finite and >= 0",
                    ));
                }
            }
            if !(0.0..1.0).contains(&h.min_equity_ratio) {
                return Err(invalid(
                    format!("holders[{i}].min_equity_ratio"),
                    h.min_equity_ratio,
                    "must be in [0, 1)",
                ));
            }
            if let Some(k) = h.repo_lender
                && (k >= n || k == i)
            {
                return Err(invalid(
                    format!("holders[{i}].repo_lender"),
                    k as f64,
                    "must be another holder of the network",
                ));
            }
        }
        let m = market;
        for (key, v, ok) in [
            (
                "market.depth",
                m.depth,
                m.depth > 0.0 && m.depth.is_finite(),
            ),
            (
                "market.haircut",
                m.haircut,
                (0.0..=1.0).contains(&m.haircut),
            ),
            (
                "market.haircut_per_drawdown",
                m.haircut_per_drawdown,
                m.haircut_per_drawdown >= 0.0 && m.haircut_per_drawdown.is_finite(),
            ),
            (
                "market.reflexivity",
                m.reflexivity,
                (0.0..=1.0).contains(&m.reflexivity),
            ),
        ] {
            if !ok {
                return Err(invalid(
                    key.into(),
                    v,
                    "out of range (see the field's documentation)",
                ));
            }
        }
        if let Some(k) = m.reflexive_on
            && k >= n
        {
            return Err(invalid(
                "market.reflexive_on".into(),
                k as f64,
                "no such holder",
            ));
        }
        if let Some(b) = m.reflexive_base
            && !(b.is_finite() && b > 0.0)
        {
            return Err(invalid("market.reflexive_base".into(), b, "must be > 0"));
        }
        let mut net = Self {
            holders,
            interbank,
            market,
            costs,
            equity0: Vec::new(),
            scale: 1.0,
        };
        let state = State::start(&net);
        net.equity0 = (0..n).map(|i| net.equity(&state, i, 1.0)).collect();
        if let Some(i) = net.equity0.iter().position(|e| *e <= 0.0) {
            return Err(invalid(
                format!("holders[{i}]"),
                net.equity0[i],
                "has no equity before the shock (assets at par minus liabilities)",
            ));
        }
        net.scale = net
            .holders
            .iter()
            .map(|h| h.units + h.cash + h.other_assets)
            .fold(1.0, f64::max);
        Ok(net)
    }

    /// The holders.
    pub fn holders(&self) -> &[Holder] {
        &self.holders
    }

    /// Each holder's equity before the shock.
    pub fn equity_before(&self) -> &[f64] {
        &self.equity0
    }

    /// Interbank claims `claims[i][j]`: what `j` owes `i` (the transpose of the
    /// liabilities), repo lent inside the network included.
    fn claims(&self) -> Vec<Vec<f64>> {
        let n = self.holders.len();
        let mut c = vec![vec![0.0; n]; n];
        for (i, row) in c.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = self.interbank[j][i];
            }
        }
        for (b, h) in self.holders.iter().enumerate() {
            if let Some(k) = h.repo_lender {
                c[k][b] += h.repo;
            }
        }
        c
    }

    /// Equity of holder `i` in `state` with the security at `price`.
    fn equity(&self, s: &State, i: usize, price: f64) -> f64 {
        let n = self.holders.len();
        let receivable: f64 = (0..n)
            .map(|j| self.interbank[j][i] * s.recovery[j])
            .sum::<f64>()
            + (0..n)
                .filter(|&b| self.holders[b].repo_lender == Some(i))
                .map(|b| s.repo[b])
                .sum::<f64>();
        let owed: f64 = self.interbank[i].iter().sum();
        price * s.units[i] + s.cash[i] + s.other[i] + receivable - s.repo[i] - s.debt[i] - owed
    }

    /// Runs the chain reaction after `shock`.
    pub fn run(&self, shock: &Shock) -> Result<ChainOutcome> {
        let n = self.holders.len();
        if !(0.0..=1.0).contains(&shock.note_loss) {
            return Err(invalid(
                "shock.note_loss".into(),
                shock.note_loss,
                "must be in [0, 1]",
            ));
        }
        if shock.other_losses.len() != n {
            return Err(Error::InvalidNetwork(format!(
                "shock.other_losses: {} entries for {n} holders",
                shock.other_losses.len()
            )));
        }
        for (i, (l, h)) in shock.other_losses.iter().zip(&self.holders).enumerate() {
            if !(l.is_finite() && *l >= 0.0 && *l <= h.other_assets) {
                return Err(invalid(
                    format!("shock.other_losses[{i}]"),
                    *l,
                    "must be in [0, the holder's other assets]",
                ));
            }
        }
        let m = self.market;
        let mut s = State::start(self);
        let own: Vec<f64> = (0..n)
            .map(|i| self.holders[i].units * shock.note_loss + shock.other_losses[i])
            .collect();
        for (o, l) in s.other.iter_mut().zip(&shock.other_losses) {
            *o -= l;
        }
        let tol = STILL * self.scale;
        let base_value = 1.0 - shock.note_loss;
        let mut fundamental = base_value;
        let mut failures = Vec::new();
        let mut path = Vec::new();
        let mut rounds = 0;
        let mut converged = false;
        let mut counterparty_loss = vec![0.0; n];
        let mut price = fundamental;
        for round in 1..=MAX_ROUNDS {
            let haircut = (m.haircut + m.haircut_per_drawdown * (1.0 - price).max(0.0)).min(1.0);
            let mut sell = vec![0.0; n];
            let mut repay_debt = vec![0.0; n];
            let mut failed_now = Vec::new();
            let mut moved = false;
            for i in 0..n {
                if s.failed[i] {
                    // The estate sells what is left.
                    sell[i] = s.units[i];
                    continue;
                }
                let e = self.equity(&s, i, price);
                if e < -tol {
                    failed_now.push((i, None));
                    sell[i] = s.units[i];
                    continue;
                }
                // Funding: repo above what the collateral supports is called.
                let cap = (1.0 - haircut) * price * s.units[i];
                let mut gap = s.repo[i] - cap;
                if gap > tol {
                    let pay = gap.min(s.cash[i]);
                    self.repay_repo(&mut s, i, pay);
                    gap -= pay;
                    moved |= pay > tol;
                    if gap > tol {
                        let per_unit = haircut * price;
                        if per_unit > 0.0 && gap / per_unit <= s.units[i] {
                            sell[i] = gap / per_unit;
                        } else {
                            failed_now.push((i, Some(Cause::Funding)));
                            sell[i] = s.units[i];
                            continue;
                        }
                    }
                }
                // Capital: below r*, deleverage (cash first, then sales) to restore it.
                let r = self.holders[i].min_equity_ratio;
                if r > 0.0 {
                    let assets = self.equity(&s, i, price)
                        + s.repo[i]
                        + s.debt[i]
                        + self.interbank[i].iter().sum::<f64>();
                    let mut excess = assets - self.equity(&s, i, price) / r - price * sell[i];
                    if excess > tol {
                        let pay = excess.min(s.cash[i]);
                        let to_repo = pay.min(s.repo[i]);
                        self.repay_repo(&mut s, i, to_repo);
                        let to_debt = (pay - to_repo).min(s.debt[i]);
                        s.cash[i] -= to_debt;
                        s.debt[i] -= to_debt;
                        s.paid_out += to_debt;
                        excess -= to_repo + to_debt;
                        moved |= to_repo + to_debt > tol;
                        if excess > tol && price > 0.0 {
                            let more = (excess / price).min(s.units[i] - sell[i]);
                            sell[i] += more;
                            repay_debt[i] = price * more;
                        }
                    }
                }
            }
            // The round's sales clear together along the demand curve.
            let sold: f64 = sell.iter().sum();
            let before = (-s.sold / m.depth).exp();
            let after = (-(s.sold + sold) / m.depth).exp();
            let proceeds = fundamental * m.depth * (before - after);
            s.sold += sold;
            s.paid_in += proceeds;
            if sold > tol {
                moved = true;
                for i in 0..n {
                    if sell[i] <= 0.0 {
                        continue;
                    }
                    let got = proceeds * sell[i] / sold;
                    s.units[i] = (s.units[i] - sell[i]).max(0.0);
                    s.cash[i] += got;
                    // The proceeds repay the repo the units secured, then the debt a
                    // deleveraging sale was for; the rest is cash.
                    let to_repo = got.min(s.repo[i]);
                    self.repay_repo(&mut s, i, to_repo);
                    let to_debt = (got - to_repo).min(repay_debt[i]).min(s.debt[i]);
                    s.cash[i] -= to_debt;
                    s.debt[i] -= to_debt;
                    s.paid_out += to_debt;
                }
            }
            for &(i, _) in &failed_now {
                s.failed[i] = true;
            }
            // A failed holder whose collateral is all sold and still owes repo: an outside
            // lender keeps an unsecured claim for the deficiency (pari passu with the debt);
            // a lender inside the network (a DeFi pool, no recourse) writes it off.
            for i in 0..n {
                if s.failed[i] && s.units[i] <= tol && s.repo[i] > tol {
                    let short = s.repo[i];
                    s.repo[i] = 0.0;
                    match self.holders[i].repo_lender {
                        Some(k) => counterparty_loss[k] += short,
                        None => s.debt[i] += short,
                    }
                }
            }
            for (i, cause) in failed_now {
                let cause = cause.unwrap_or_else(|| {
                    self.cause(i, own[i], counterparty_loss[i] + self.interbank_loss(&s, i))
                });
                failures.push(Failure {
                    institution: self.holders[i].name.clone(),
                    index: i,
                    round,
                    cause,
                });
            }
            // The price after the sales, with the fundamental following the reflexive
            // institution's losses.
            let reflexive_share = match m.reflexive_on {
                Some(k) => {
                    let e = self.equity(&s, k, price);
                    let base = m.reflexive_base.unwrap_or(self.equity0[k]);
                    ((self.equity0[k] - e) / base).clamp(0.0, 1.0)
                }
                None => 0.0,
            };
            fundamental = base_value * (1.0 - m.reflexivity * reflexive_share);
            let new_price = fundamental * (-s.sold / m.depth).exp();
            moved |= (new_price - price).abs() > STILL;
            price = new_price;
            // Clearing of the unsecured claims with costs of default.
            let failed_before = failures.len();
            self.clear(&mut s, price)?;
            for i in 0..n {
                if !s.failed[i] && self.equity(&s, i, price) < -tol {
                    s.failed[i] = true;
                    moved = true;
                    failures.push(Failure {
                        institution: self.holders[i].name.clone(),
                        index: i,
                        round,
                        cause: self.cause(
                            i,
                            own[i],
                            counterparty_loss[i] + self.interbank_loss(&s, i),
                        ),
                    });
                }
            }
            let failed_in_round = failures.iter().filter(|f| f.round == round).count();
            moved |= failures.len() > failed_before;
            path.push(Round {
                round,
                fundamental,
                price,
                haircut,
                units_sold: sold,
                proceeds,
                failures: failed_in_round,
                equity: (0..n).map(|i| self.equity(&s, i, price)).collect(),
                units_held: s.units.iter().sum(),
                units_sold_total: s.sold,
                cash_held: s.cash.iter().sum(),
                cash_paid_out: s.paid_out,
                cash_paid_in: s.paid_in,
            });
            if moved {
                rounds = round;
            } else {
                converged = true;
                break;
            }
        }
        let equity_end: Vec<f64> = (0..n).map(|i| self.equity(&s, i, price)).collect();
        let equity_lost: f64 = (0..n)
            .map(|i| self.equity0[i] - equity_end[i].max(0.0))
            .sum();
        let debt_loss: f64 = (0..n).map(|i| s.debt[i] * (1.0 - s.recovery[i])).sum();
        let creditor_loss = debt_loss;
        let initial_shock: f64 = own.iter().sum();
        let amplification =
            (initial_shock > 0.0).then(|| (equity_lost + creditor_loss) / initial_shock);
        let claims = self.claims();
        let h1: Vec<f64> = (0..n)
            .map(|i| (own[i] / self.equity0[i]).min(1.0))
            .collect();
        let dr = debtrank::linear(&claims, &self.equity0, &h1, &self.equity0)?;
        let dr1 = debtrank::single_hit(&claims, &self.equity0, &h1, &self.equity0)?;
        Ok(ChainOutcome {
            rounds,
            failures,
            path,
            initial_shock,
            equity_lost,
            creditor_loss,
            amplification,
            debtrank: dr.debtrank,
            debtrank_single_hit: dr1.debtrank,
            converged,
        })
    }

    /// Repays `amount` of holder `i`'s repo from its cash, to its lender.
    fn repay_repo(&self, s: &mut State, i: usize, amount: f64) {
        if amount <= 0.0 {
            return;
        }
        s.cash[i] -= amount;
        s.repo[i] -= amount;
        match self.holders[i].repo_lender {
            Some(k) => s.cash[k] += amount,
            None => s.paid_out += amount,
        }
    }

    /// What holder `i`'s interbank debtors do not pay it at the current recoveries.
    fn interbank_loss(&self, s: &State, i: usize) -> f64 {
        (0..self.holders.len())
            .map(|j| self.interbank[j][i] * (1.0 - s.recovery[j]))
            .sum()
    }

    /// The cause of holder `i`'s failure from its losses: own, then counterparty, then
    /// the market.
    fn cause(&self, i: usize, own: f64, counterparty: f64) -> Cause {
        let e0 = self.equity0[i];
        if own > e0 {
            Cause::OwnLosses
        } else if own + counterparty > e0 {
            Cause::Counterparty
        } else {
            Cause::FireSale
        }
    }

    /// Clears the unsecured claims (interbank and outside debt) at `price` with default
    /// costs and updates the recovery rates. The repo is secured: it is netted from the
    /// collateral before the unsecured creditors share the rest.
    fn clear(&self, s: &mut State, price: f64) -> Result<()> {
        let n = self.holders.len();
        let external: Vec<f64> = (0..n)
            .map(|i| {
                let lent: f64 = (0..n)
                    .filter(|&b| self.holders[b].repo_lender == Some(i))
                    .map(|b| s.repo[b])
                    .sum();
                (price * s.units[i] + s.cash[i] + s.other[i] + lent - s.repo[i]).max(0.0)
            })
            .collect();
        let net = ClearingNetwork::new(self.interbank.clone(), external, s.debt.clone())?;
        let c = net.clear_with_costs(self.costs)?;
        for i in 0..n {
            let due = c.total_obligations[i];
            // Recoveries only fall: a defaulter's estate does not recover with later rounds.
            let r = if due > 0.0 { c.payments[i] / due } else { 1.0 };
            s.recovery[i] = s.recovery[i].min(r);
        }
        Ok(())
    }
}

/// The balance sheets as the process moves them.
#[derive(Debug, Clone)]
struct State {
    units: Vec<f64>,
    cash: Vec<f64>,
    other: Vec<f64>,
    repo: Vec<f64>,
    debt: Vec<f64>,
    /// Share of its unsecured obligations each institution pays.
    recovery: Vec<f64>,
    failed: Vec<bool>,
    /// Units sold to outside buyers so far.
    sold: f64,
    paid_in: f64,
    paid_out: f64,
}

impl State {
    fn start(net: &ChainNetwork) -> Self {
        let h = &net.holders;
        let n = h.len();
        Self {
            units: h.iter().map(|h| h.units).collect(),
            cash: h.iter().map(|h| h.cash).collect(),
            other: h.iter().map(|h| h.other_assets).collect(),
            repo: h.iter().map(|h| h.repo).collect(),
            debt: h.iter().map(|h| h.debt).collect(),
            recovery: vec![1.0; n],
            failed: vec![false; n],
            sold: 0.0,
            paid_in: 0.0,
            paid_out: 0.0,
        }
    }
}
