//! The chain-reaction process (`chain`): conservation in every round, the two ends (nothing
//! propagates, everything does), each cause of failure on a network built to show it, and
//! the Cifuentes-Ferrucci-Shin fire sale against an independent solution of its
//! equilibrium.

use creditlab_contagion::chain::{Cause, ChainNetwork, ChainOutcome, Holder, Market, Shock};
use creditlab_contagion::clearing::DefaultCosts;
use creditlab_numerics::prec;

fn holder(name: &str, units: f64, cash: f64, other: f64, repo: f64, debt: f64, r: f64) -> Holder {
    Holder {
        name: name.into(),
        units,
        cash,
        other_assets: other,
        repo,
        repo_lender: None,
        debt,
        min_equity_ratio: r,
    }
}

fn market(depth: f64, haircut: f64, per_drawdown: f64) -> Market {
    Market {
        depth,
        haircut,
        haircut_per_drawdown: per_drawdown,
        reflexivity: 0.0,
        reflexive_on: None,
        reflexive_base: None,
    }
}

fn shock(note_loss: f64, n: usize) -> Shock {
    Shock {
        note_loss,
        other_losses: vec![0.0; n],
    }
}

/// Units and cash are conserved in every round: what the holders lose, outside buyers and
/// lenders hold.
fn assert_conserved(net: &ChainNetwork, out: &ChainOutcome) {
    let units0: f64 = net.holders().iter().map(|h| h.units).sum();
    let cash0: f64 = net.holders().iter().map(|h| h.cash).sum();
    for r in &out.path {
        let units = r.units_held + r.units_sold_total;
        assert!(
            (units - units0).abs() <= prec::ACCUMULATED * units0.max(1.0),
            "round {}",
            r.round
        );
        let cash = cash0 + r.cash_paid_in - r.cash_paid_out;
        assert!(
            (r.cash_held - cash).abs() <= prec::ACCUMULATED * (cash0 + r.cash_paid_in).max(1.0),
            "round {}: cash {} against {}",
            r.round,
            r.cash_held,
            cash
        );
        assert!(r.price.is_finite() && r.price >= 0.0 && r.price <= 1.0);
    }
    assert!(out.converged);
}

/// Five dealers at `leverage`, half their assets in the notes, half their liabilities repo,
/// `interbank` of their debt owed to each other in equal parts.
fn dealers(leverage: f64, interbank: f64, r: f64, depth: f64, haircut: f64) -> ChainNetwork {
    let n = 5;
    let equity = 100.0 / leverage;
    let liabilities = 100.0 - equity;
    let holders: Vec<Holder> = (0..n)
        .map(|i| {
            holder(
                &format!("dealer {i}"),
                50.0,
                5.0,
                45.0,
                0.5 * liabilities,
                (0.5 - interbank) * liabilities,
                r,
            )
        })
        .collect();
    let each = interbank * liabilities / (n - 1) as f64;
    let l = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 0.0 } else { each }).collect())
        .collect();
    ChainNetwork::new(holders, l, market(depth, haircut, 1.0), DefaultCosts::NONE).unwrap()
}

#[test]
fn nothing_propagates_on_low_leverage_and_a_deep_market() {
    // Leverage 5, no capital floor binding, a market a hundred times the holdings: the
    // notes' 2% loss stays where it falls.
    let net = dealers(5.0, 0.1, 0.03, 25_000.0, 0.02);
    let out = net.run(&shock(0.02, 5)).unwrap();
    assert_conserved(&net, &out);
    assert!(out.failures.is_empty());
    assert_eq!(out.path.iter().map(|r| r.units_sold).sum::<f64>(), 0.0);
    // Equity lost is exactly the shock: amplification 1.
    assert!((out.amplification.unwrap() - 1.0).abs() <= prec::COMPOSED);
    assert!((out.initial_shock - 5.0 * 50.0 * 0.02).abs() <= prec::COMPOSED);
}

#[test]
fn everything_propagates_on_thin_equity_and_a_shallow_market() {
    let net = dealers(40.0, 0.2, 0.02, 50.0, 0.1);
    let out = net.run(&shock(0.02, 5)).unwrap();
    assert_conserved(&net, &out);
    assert_eq!(out.failures.len(), 5, "{:?}", out.failures);
    assert!(out.amplification.unwrap() > 2.0);
    // The price fell far below the 0.98 fundamental.
    assert!(out.path.last().unwrap().price < 0.5);
    assert!(out.rounds >= 2);
}

#[test]
fn a_fire_sale_reaches_the_cifuentes_ferrucci_shin_equilibrium() {
    // One bank, no repo: 50 units of the notes, 50 of loans, debt 96 (equity 4, ratio 4%),
    // minimum ratio 3%. A 3% loss leaves equity 2.5 on assets 98.5 (2.54%): it sells notes
    // and repays debt. Selling x units along p(s) = v exp(-s / D) brings in
    // P(x) = v D (1 - exp(-x / D)), so afterwards
    //   E(x) = p(x) (50 - x) + 50 - (96 - P(x)),   A(x) = p(x) (50 - x) + 50.
    // The process stops at the first x where E(x) / A(x) = 3%; find it independently by
    // bisection.
    let (v, d, r) = (0.97, 5000.0, 0.03);
    let net = ChainNetwork::new(
        vec![holder("bank", 50.0, 0.0, 50.0, 0.0, 96.0, r)],
        vec![vec![0.0]],
        market(d, 0.0, 0.0),
        DefaultCosts::NONE,
    )
    .unwrap();
    let out = net.run(&shock(1.0 - v, 1)).unwrap();
    assert_conserved(&net, &out);
    assert!(out.failures.is_empty());
    let gap = |x: f64| {
        let p = v * (-x / d).exp();
        let proceeds = v * d * (1.0 - (-x / d).exp());
        let a = p * (50.0 - x) + 50.0;
        let e = a - (96.0 - proceeds);
        e / a - r
    };
    assert!(gap(0.0) < 0.0);
    let (mut lo, mut hi) = (0.0, 50.0);
    assert!(gap(hi) > 0.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if gap(mid) < 0.0 { lo = mid } else { hi = mid }
    }
    let last = out.path.last().unwrap();
    // The process's sales converge geometrically to the root; it stops once a round
    // changes nothing beyond the balance sheets' rounding tolerance.
    const ROOT: f64 = 1e-9;
    assert!(
        (last.units_sold_total - hi).abs() <= ROOT * 50.0,
        "sold {} against the equilibrium {hi}",
        last.units_sold_total
    );
    assert!((last.price - v * (-hi / d).exp()).abs() <= ROOT);
}

#[test]
fn a_solvent_holder_fails_for_want_of_funding() {
    // All liabilities repo, no cash: when the haircut after the shock (30%) leaves the
    // collateral supporting less than the repo, it sells; with the haircut rising as the
    // price falls it cannot sell enough and fails while its equity is still positive.
    let net = ChainNetwork::new(
        vec![
            holder("dealer", 90.0, 0.0, 10.0, 90.0, 0.0, 0.0),
            holder("bystander", 10.0, 50.0, 40.0, 0.0, 50.0, 0.0),
        ],
        vec![vec![0.0; 2]; 2],
        market(100.0, 0.3, 2.0),
        DefaultCosts::NONE,
    )
    .unwrap();
    let out = net.run(&shock(0.01, 2)).unwrap();
    assert_conserved(&net, &out);
    let f = &out.failures[0];
    assert_eq!(
        (f.index, f.cause),
        (0, Cause::Funding),
        "{:?}",
        out.failures
    );
    assert_eq!(out.count(Cause::Funding), 1);
}

#[test]
fn a_counterparty_default_propagates_and_default_costs_make_it_worse() {
    // Bank A loses more than its equity on the notes; bank B has no notes but lent A 30
    // against equity 10.
    let build = |costs| {
        ChainNetwork::new(
            vec![
                holder("A", 60.0, 0.0, 40.0, 0.0, 65.0, 0.0),
                holder("B", 0.0, 20.0, 70.0, 0.0, 110.0, 0.0),
            ],
            vec![vec![0.0, 30.0], vec![0.0, 0.0]],
            market(1e9, 0.0, 0.0),
            costs,
        )
        .unwrap()
    };
    let net = build(DefaultCosts::NONE);
    // A's equity 5, B's 10. A 20% loss on A's 60 units is 12: A fails on its own; its
    // estate (48 + 40 = 88 for 95 owed) pays 92.6%, so B loses 2.2 and survives.
    let out = net.run(&shock(0.2, 2)).unwrap();
    assert_conserved(&net, &out);
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.failures[0].cause, Cause::OwnLosses);
    // With Rogers-Veraart costs (half of A's assets lost in default), A pays 44 of 95 and
    // B loses 30 * (1 - 44/95) = 16.1 > 10: it fails by counterparty.
    let costly = build(DefaultCosts::new(0.5, 0.5).unwrap());
    let out2 = costly.run(&shock(0.2, 2)).unwrap();
    assert_conserved(&costly, &out2);
    assert_eq!(out2.failures.len(), 2, "{:?}", out2.failures);
    assert_eq!(out2.failures[1].cause, Cause::Counterparty);
    assert!(out2.amplification.unwrap() > out.amplification.unwrap());
    // DebtRank sees the same propagation: A's shock (12 / 5 = all its equity) marks B's
    // claim down in full, 30 / 10 times B's equity: B wiped out too.
    assert!(
        (out.debtrank - 10.0 / 15.0).abs() <= prec::COMPOSED,
        "{}",
        out.debtrank
    );
}

#[test]
fn reflexive_collateral_deepens_the_fall() {
    // A DeFi pool (holder 0) lends to a looping fund (holder 1) against a token whose value
    // follows the pool's losses. The pool also takes bad debt on its other loans.
    let build = |reflexivity| {
        let mut looper = holder("looper", 100.0, 0.0, 0.0, 75.0, 0.0, 0.0);
        looper.repo_lender = Some(0);
        ChainNetwork::new(
            vec![holder("pool", 0.0, 10.0, 100.0, 0.0, 180.0, 0.0), looper],
            vec![vec![0.0; 2]; 2],
            Market {
                depth: 300.0,
                haircut: 0.2,
                haircut_per_drawdown: 0.0,
                reflexivity,
                reflexive_on: Some(0),
                reflexive_base: None,
            },
            DefaultCosts::NONE,
        )
        .unwrap()
    };
    let hit = Shock {
        note_loss: 0.0,
        other_losses: vec![3.0, 0.0],
    };
    let calm = build(0.0).run(&hit).unwrap();
    let fake = build(1.0).run(&hit).unwrap();
    assert_conserved(&build(1.0), &fake);
    assert!(calm.failures.is_empty());
    assert!(!fake.failures.is_empty());
    assert!(fake.path.last().unwrap().fundamental < 1.0);
    assert!(fake.equity_lost > calm.equity_lost);
}

#[test]
fn bad_balance_sheets_are_errors_naming_the_field() {
    let err = |h: Holder| {
        ChainNetwork::new(
            vec![h],
            vec![vec![0.0]],
            market(10.0, 0.1, 0.0),
            DefaultCosts::NONE,
        )
        .unwrap_err()
        .to_string()
    };
    assert!(err(holder("x", 1.0, 0.0, 0.0, 0.0, 2.0, 0.0)).contains("holders[0]"));
    assert!(err(holder("x", -1.0, 0.0, 0.0, 0.0, 0.0, 0.0)).contains("holders[0].units"));
    assert!(err(holder("x", 1.0, 0.0, 0.0, 0.0, 0.0, 1.5)).contains("min_equity_ratio"));
    let net = dealers(10.0, 0.1, 0.0, 100.0, 0.1);
    assert!(
        net.run(&shock(1.5, 5))
            .unwrap_err()
            .to_string()
            .contains("note_loss")
    );
    assert!(net.run(&shock(0.1, 2)).is_err());
    assert!(
        ChainNetwork::new(
            vec![holder("x", 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)],
            vec![vec![0.0]],
            market(0.0, 0.1, 0.0),
            DefaultCosts::NONE
        )
        .unwrap_err()
        .to_string()
        .contains("market.depth")
    );
}
