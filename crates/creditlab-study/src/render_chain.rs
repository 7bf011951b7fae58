//! The chain reaction's part of section 6 (claim 2 over time): the balance sheets, each
//! run's failures by round and cause, the securities' price by round, and the map of where a
//! chain reaction starts.

use crate::chain::{ChainStudy, POOL, Side, institutions_failed};
use crate::study::slug;
use creditlab_contagion::chain::Cause;
use creditlab_report::{
    Chart, ReportError, Section, Table,
    format::{num, pct},
};

const CAUSES: [(Cause, &str); 4] = [
    (Cause::OwnLosses, "own losses"),
    (Cause::FireSale, "fire sale"),
    (Cause::Funding, "funding"),
    (Cause::Counterparty, "counterparty"),
];

fn vehicle(side: &Side) -> Option<usize> {
    (side.side == "defi").then_some(POOL)
}

/// The chain reaction's blocks, appended to section 6.
pub(crate) fn blocks(c: &ChainStudy, s: &mut Section) -> Result<(), ReportError> {
    s.text(
        "The chain reaction as a process (claim 2 over time, docs/methodology/chain-reaction.md). \
         Leveraged institutions hold each book's securities and mark them to market. Round by \
         round, those above their leverage target sell (Cifuentes, Ferrucci and Shin 2005), \
         repo lenders raise haircuts as the price falls and call what the collateral no \
         longer supports (Gorton and Metrick 2012), and failures are cleared with costs of \
         default (Rogers and Veraart 2013); each round's sales move the price along the \
         market's depth. Bank side: 4 dealers at Lehman's 2007 leverage, half their assets in \
         repo, and 4 commercial banks hold the bank pool's notes (every tranche above the \
         first, which the originator keeps); the shock is the bank book's 99.9% one-year loss. \
         DeFi side: the lending pool lends to looping funds against a collateral token, and \
         protocols hold its shares and the token; the shock is the DeFi pool's 99.9% one-year \
         depositor loss, on the pool's loans and, the same size, on the token. The pool \
         taking that loss is the shock itself and is not counted as a second failure. \
         Balance sheets per 100 of each institution's assets outside the network.",
    );
    let mut t = Table::new(
        "chain-runs",
        "Chain reaction: each run's failures by cause, rounds, amplification (total losses \
         over the shock) and DebtRank",
        [
            "side",
            "run",
            "securities' loss",
            "failed (own losses / fire sale / funding / counterparty)",
            "rounds",
            "final price",
            "amplification",
            "DebtRank (linear / single-hit)",
        ],
    );
    for side in [&c.bank, &c.defi] {
        for r in &side.runs {
            let o = &r.outcome;
            let causes: Vec<String> = CAUSES
                .iter()
                .map(|(cause, _)| o.count(*cause).to_string())
                .collect();
            t.row([
                side.side.clone(),
                r.label.clone(),
                pct(r.note_loss),
                format!(
                    "{} of {} ({})",
                    institutions_failed(o, vehicle(side)),
                    side.institutions.len() - usize::from(vehicle(side).is_some()),
                    causes.join(" / ")
                ),
                o.rounds.to_string(),
                num(o.path.last().map_or(1.0 - r.note_loss, |p| p.price), 3),
                o.amplification.map_or("no shock".into(), |a| num(a, 2)),
                format!("{} / {}", pct(o.debtrank), pct(o.debtrank_single_hit)),
            ])?;
        }
    }
    s.table(t);
    // The price path of each run, by round (round 0: the fundamental value after the shock).
    let thin = c
        .bank
        .runs
        .iter()
        .map(|r| r.outcome.path.last().map_or(1.0 - r.note_loss, |p| p.price))
        .fold(1.0, f64::min);
    let mut chart = Chart::line(
        "chain-prices",
        "The securities' price round by round, each run",
        "round",
        "price (par 1)",
    )
    .caption(format!(
        "Round 0 is the value after the shock alone; every fall below it is the holders' \
         selling. A line that flattens is a process that stopped; the bank side's lowest ends \
         at {} of par.",
        num(thin, 2)
    ));
    for side in [&c.bank, &c.defi] {
        for r in &side.runs {
            let mut points = vec![(0.0, 1.0 - r.note_loss)];
            points.extend(r.outcome.path.iter().map(|p| (p.round as f64, p.price)));
            chart = chart.series(format!("{}: {}", side.side, r.label), points)?;
        }
    }
    s.chart(chart);
    for side in [&c.bank, &c.defi] {
        map_blocks(side, s)?;
    }
    Ok(())
}

/// The map of one side: for each depth, the lowest leverage at which a second institution
/// fails, against the haircut; and the plausible region's count.
fn map_blocks(side: &Side, s: &mut Section) -> Result<(), ReportError> {
    let (k, n) = side.plausible_second_failures;
    let haircuts = distinct(side.map.iter().map(|p| p.haircut));
    let depths = distinct(side.map.iter().map(|p| p.market_depth));
    let mut chart = Chart::line(
        format!("chain-map-{}", slug(&side.side)),
        format!("{}: where a chain reaction starts", side.side),
        "haircut",
        "lowest leverage with a second failure",
    )
    .caption(format!(
        "At and above each depth's line a second institution fails after the 99.9% loss; a \
         depth with no line never chains on the grid. In the region the sources support, \
         {k} of {n} points chain."
    ));
    let mut any = false;
    for &d in &depths {
        let points: Vec<(f64, f64)> = haircuts
            .iter()
            .filter_map(|&h| {
                side.map
                    .iter()
                    .filter(|p| p.market_depth == d && p.haircut == h && p.second_failure)
                    .map(|p| p.leverage)
                    .reduce(f64::min)
                    .map(|l| (h, l))
            })
            .collect();
        if !points.is_empty() {
            any = true;
            chart = chart.series(format!("depth {}x the holdings", num(d, 1)), points)?;
        }
    }
    let mut t = Table::new(
        format!("chain-map-table-{}", slug(&side.side)),
        format!(
            "{}: map points with a second failure, by market depth (per unit of the \
             network's holdings)",
            side.side
        ),
        [
            "market depth",
            "points with a second failure",
            "of them plausible",
        ],
    );
    for &d in &depths {
        let at: Vec<_> = side.map.iter().filter(|p| p.market_depth == d).collect();
        t.row([
            num(d, 1),
            format!(
                "{} of {}",
                at.iter().filter(|p| p.second_failure).count(),
                at.len()
            ),
            format!(
                "{} of {}",
                at.iter()
                    .filter(|p| p.second_failure && p.plausible)
                    .count(),
                at.iter().filter(|p| p.plausible).count()
            ),
        ])?;
    }
    s.table(t);
    if any {
        s.chart(chart);
    } else {
        s.text(format!(
            "{}: no point of the map makes a second institution fail, so there is no line to draw.",
            side.side
        ));
    }
    Ok(())
}

/// The distinct values of `xs`, in increasing order.
fn distinct(xs: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = xs.collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}
