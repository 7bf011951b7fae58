//! Claim 1 over time (docs/methodology/originate.md): the balance sheets conserve cash and
//! capital, one quarter computed by hand, the no-growth case, the case in which selling
//! stops paying, and determinism.

use creditlab_grade::irb::{self, AssetClass};
use creditlab_numerics::prec;
use creditlab_numerics::special::{norm_cdf, norm_ppf};
use creditlab_study::originate::{self, OriginateSpec, Sold};

fn small(paths: u64) -> OriginateSpec {
    OriginateSpec {
        paths,
        ..Default::default()
    }
}

#[test]
fn the_builtin_model_parses_and_validates() {
    let s = OriginateSpec::parse(originate::DEFAULT_ORIGINATE, "originate.toml").unwrap();
    assert_eq!(s, OriginateSpec::default());
    assert_eq!(s.securitization.retention, 0.05);
}

#[test]
fn a_bad_key_is_named_with_its_line() {
    let text = originate::DEFAULT_ORIGINATE.replace("retention = 0.05", "retention = 1.5");
    let e = OriginateSpec::parse(&text, "o.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("o.toml") && e.contains("securitization.retention"),
        "{e}"
    );
    assert!(e.contains("line"), "{e}");
    let text = originate::DEFAULT_ORIGINATE.replace("[0.03, 0.07]", "[0.04, 0.07]");
    let e = OriginateSpec::parse(&text, "o.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("securitization.tranches[1]"), "{e}");
}

/// Assets equal deposits plus equity in every quarter of every path, for both banks and
/// every variant (the model moves money, it never makes or loses it outside profit).
#[test]
fn cash_and_capital_are_conserved_in_every_quarter() {
    let s = originate::study(&small(200), 11).unwrap();
    assert!(s.max_imbalance < prec::ACCUMULATED, "{}", s.max_imbalance);
    // What the bank and investors bear adds up to the losses of the pools: the bank that
    // holds bears them all.
    assert_eq!(s.without.losses_investors.value, 0.0);
    assert!(s.with_securitization.losses_investors.value > 0.0);
    // Both banks end above their capital target.
    for b in [&s.with_securitization, &s.without] {
        assert!(
            b.capital_ratio_end.value >= 0.105,
            "{:?}",
            b.capital_ratio_end
        );
    }
}

/// One quarter of the holding bank on a factor of 0, by hand: defaults at the conditional
/// PD, runoff, interest, deposit interest, then the origination the cash allows (capital
/// does not bind: 10 of equity carries far more than these loans).
#[test]
fn one_quarter_by_hand() {
    let mut s = small(1);
    s.quarters = 1;
    s.bank.deposit_growth = 0.0;
    s.bank.payout = 0.0;
    s.loans.demand = 100.0;
    s.underwriting.base_volume = 1000.0;
    let (l, b) = (s.loans, s.bank);
    let trace = originate::trace(&s, &[0.0], false).unwrap();
    let q = 1.0 - (1.0 - l.pd).powf(0.25);
    let dr = norm_cdf(norm_ppf(q) / (1.0 - l.rho).sqrt());
    let defaulted = b.loans * dr;
    let performing = b.loans - defaulted;
    let repaid = (1.0 - (1.0 - l.runoff).powf(0.25)) * performing;
    let interest = l.rate / 4.0 * performing;
    let deposit_interest = b.deposit_rate / 4.0 * b.deposits;
    let income = interest - l.lgd * defaulted - deposit_interest;
    let cash = b.deposits + b.equity - b.loans + interest + repaid + (1.0 - l.lgd) * defaulted
        - deposit_interest;
    let lent = cash - b.liquidity_floor * b.deposits;
    let equity = b.equity + income;
    // Capital does not bind.
    let rw = irb::capital(AssetClass::ResidentialMortgage, l.pd, l.lgd, 1.0)
        .unwrap()
        .risk_weight;
    assert!(b.capital_target * rw * (b.loans + lent) < equity);
    let close = |a: f64, e: f64| assert!((a - e).abs() < prec::COMPOSED * 100.0, "{a} {e}");
    close(trace.originated, lent);
    close(trace.equity[0], equity);
    close(trace.cash[0], cash - lent);
    close(trace.net_income, income);
}

/// One quarter of the securitizing bank by hand: its seasoned book behaves as the holder's,
/// then it lends the applications (cash and capital do not bind once the notes are sold),
/// sells `1 - retention` of every tranche at par and keeps the rest.
#[test]
fn one_securitizing_quarter_by_hand() {
    let mut s = small(1);
    s.quarters = 1;
    s.underwriting.base_volume = 1000.0;
    let holds = originate::trace(&s, &[0.5], false).unwrap();
    let sells = originate::trace(&s, &[0.5], true).unwrap();
    let lent = s.loans.demand;
    assert_eq!(sells.originated, lent);
    let kept = lent * (1.0 - s.share_sold());
    assert!((s.share_sold() - (1.0 - s.securitization.retention)).abs() < prec::IDENTITY);
    // Same quarter before origination: the same profit and equity.
    assert_eq!(sells.equity[0], holds.equity[0]);
    // Cash: the holder's before it lent, less the loans made, plus the notes sold.
    let cash_before = holds.cash[0] + holds.originated;
    let close = |a: f64, e: f64| assert!((a - e).abs() < prec::COMPOSED * 100.0, "{a} {e}");
    close(sells.cash[0], cash_before - kept);
    close(sells.exposure_investors, lent - kept);
    close(sells.securitized, lent - kept);
}

/// The no-growth case: when the applications are fewer than the holding bank can fund,
/// both banks lend exactly what is asked, so the ratio is 1, and the only difference is
/// the laxer screening of the loans sold: their PD is the holder's times
/// `1 + laxity x share sold` (investors who never revise their belief buy every vintage).
#[test]
fn without_unmet_demand_securitization_lends_no_more() {
    let mut s = small(50);
    s.loans.demand = 1.0;
    // Investors never revise the disclosed PD, so every vintage is sold.
    s.market.learning_quarters = 40;
    let o = originate::study_with(&s, 5, false).unwrap();
    assert_eq!(o.ratio.value, 1.0);
    let q = s.quarters as f64;
    assert!((o.without.originated.value - q).abs() < prec::ACCUMULATED * q);
    let sold = s.share_sold();
    let expected = 1.0 + s.underwriting.laxity * sold;
    assert!(
        (o.pd_ratio.value - expected).abs() < prec::ACCUMULATED,
        "{:?} {expected}",
        o.pd_ratio
    );
}

/// Selling stops paying when investors price a PD far above the disclosed one (after
/// losses): the bank holds its vintages and lends what the holder lends.
#[test]
fn securitization_stops_when_the_notes_cost_more_than_the_loans_pay() {
    let mut s = small(50);
    s.market.initial_belief = 10.0;
    s.market.learning_quarters = 40;
    let o = originate::study_with(&s, 5, false).unwrap();
    assert_eq!(o.with_securitization.share_sold.value, 0.0);
    assert_eq!(o.ratio.value, 1.0);
    assert_eq!(o.pd_ratio.value, 1.0);
    // And with the risk-free rate above the loans' rate, no note can be paid either.
    let mut s = small(50);
    s.market.risk_free = s.loans.rate + 0.01;
    let o = originate::study_with(&s, 5, false).unwrap();
    assert_eq!(o.with_securitization.share_sold.value, 0.0);
}

/// Selling the notes frees capital and cash: the default model lends more with
/// securitization, and keeping the junior tranches (at SEC-IRBA's high weights) frees less.
#[test]
fn selling_frees_capital_and_keeping_the_junior_pieces_frees_less() {
    let s = small(200);
    let o = originate::study(&s, 3).unwrap();
    assert!(o.ratio.value > 1.0 + 4.0 * o.ratio.se, "{:?}", o.ratio);
    let junior = o
        .cases
        .iter()
        .find(|c| c.name.starts_with("junior tranches kept"))
        .unwrap();
    assert!(junior.ratio.value < o.ratio.value);
    let mut senior_only = s.clone();
    senior_only.securitization.sell = Sold::Senior;
    assert!(senior_only.share_sold() < s.share_sold());
}

/// The same seed gives the same study on one thread and on three.
#[test]
fn the_same_seed_gives_the_same_study_on_any_number_of_threads() {
    let s = small(120);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| serde_json::to_string(&originate::study(&s, 9).unwrap()).unwrap())
    };
    assert_eq!(run(1), run(3));
}

/// The DeFi counterpart against a closed form: with deposits that never move (no rate
/// sensitivity, no flight, no crash loss) and ample room to lend, lending is the borrowing
/// demand, the price to the power of the demand elasticity; at elasticity 1 the price is a
/// martingale, so mean lending stays at its start within the Monte Carlo error.
#[test]
fn defi_lending_follows_a_martingale_price_when_deposits_stand_still() {
    let mut s = small(4000);
    s.defi.rate_sensitivity = 0.0;
    s.defi.loss_flight = 0.0;
    s.defi.crash_loss = 0.0;
    s.defi.demand_elasticity = 1.0;
    s.defi.initial_utilization = 0.01;
    s.defi.max_utilization = 1.0;
    let d = originate::study_with(&s, 17, false).unwrap().defi;
    // Deposits stand still: they never shrink.
    assert_eq!(d.shrinking_quarters.value, 0.0);
    // One year (four quarters) of ETH's volatility: lognormal, mean 1; a cap of 100 times
    // the start is far above the paths that matter at this volatility over a year.
    let year = d.lending_by_quarter[3];
    let sd = ((s.defi.volatility.powi(2)).exp() - 1.0).sqrt();
    let se = sd / (s.paths as f64).sqrt();
    assert!((year - 1.0).abs() < prec::MC_SIGMAS * se, "{year} ± {se}");
    assert!(d.lending_p05[3] < year && year < d.lending_p95[3]);
}
