//! Accounting identities of the projection, for arbitrary pools, loans and assumptions:
//! `Σ scheduled principal + Σ prepayments + Σ defaults = opening balance` and, once every
//! recovery lag has run out (always, by maturity), `Σ defaults = Σ advanced principal +
//! Σ recoveries + Σ losses`, both to the cent.

use crate::common::{bank_loan, bma_pool};
use approx::assert_abs_diff_eq;
use creditlab_loan::{
    Amortization, Assumptions, CashFlows, Channel, DefaultRate, Loan, LoanId, Pool, Prepayment,
    Rate, Recourse, project_loan, project_pool,
};
use creditlab_numerics::prec;
use proptest::prelude::*;

fn prepayment() -> impl Strategy<Value = Prepayment> {
    prop_oneof![
        (0.0..0.2f64).prop_map(Prepayment::Smm),
        (0.0..0.9f64).prop_map(Prepayment::Cpr),
        (0.0..1000.0f64).prop_map(Prepayment::Psa),
        prop::collection::vec(0.0..1.0f64, 1..40).prop_map(Prepayment::SmmVector),
    ]
}

fn default_rate() -> impl Strategy<Value = DefaultRate> {
    prop_oneof![
        (0.0..0.1f64).prop_map(DefaultRate::Mdr),
        (0.0..0.9f64).prop_map(DefaultRate::Cdr),
        (0.0..5000.0f64).prop_map(DefaultRate::Sda),
        prop::collection::vec(0.0..1.0f64, 1..40).prop_map(DefaultRate::MdrVector),
    ]
}

fn assumptions() -> impl Strategy<Value = Assumptions> {
    (
        prepayment(),
        default_rate(),
        0u32..40,
        0.0..=1.0f64,
        any::<bool>(),
    )
        .prop_map(|(p, d, lag, sev, adv)| Assumptions::new(p, d, lag, sev, adv).unwrap())
}

fn check(cf: &CashFlows, opening: f64) {
    let t = cf.totals();
    assert_abs_diff_eq!(
        t.scheduled_principal + t.prepayments + t.defaults,
        opening,
        epsilon = prec::CENT
    );
    assert_abs_diff_eq!(
        t.defaults,
        t.advanced_principal + t.recoveries + t.losses,
        epsilon = prec::CENT
    );
    assert_abs_diff_eq!(*cf.balance().last().unwrap(), 0.0, epsilon = prec::CENT);
    assert_abs_diff_eq!(
        *cf.foreclosure_balance().last().unwrap(),
        0.0,
        epsilon = prec::CENT
    );
    for i in 0..cf.months() {
        for v in [
            cf.balance()[i],
            cf.scheduled_principal()[i],
            cf.prepayments()[i],
            cf.defaults()[i],
            cf.recoveries()[i],
            cf.losses()[i],
            cf.interest()[i],
        ] {
            // Zero in exact arithmetic may come out as minus a few ulps of the opening.
            assert!(
                v >= -prec::IDENTITY * opening,
                "negative flow {v} in month {}",
                i + 1
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn pool_conserves_principal(
        balance in 1.0e3..1.0e9f64,
        coupon in 0.0..0.25f64,
        term in 1u32..=480,
        a in assumptions(),
    ) {
        let pool = Pool::new(balance, coupon, term).unwrap();
        check(&project_pool(&pool, &a), balance);
    }

    #[test]
    fn loan_conserves_principal(
        principal in 1.0e2..1.0e8f64,
        rate in 0.0..0.3f64,
        term in 2u32..=480,
        kind in 0u8..3,
        balloon_frac in 0.01..0.99f64,
        a in assumptions(),
    ) {
        let amortization = match kind {
            0 => Amortization::LevelPayment,
            1 => Amortization::InterestOnly,
            _ => Amortization::Balloon {
                balloon_month: ((f64::from(term) * balloon_frac) as u32).clamp(1, term - 1),
            },
        };
        let loan = bank_loan(principal, Rate::Fixed { annual: rate }, term, amortization).unwrap();
        let cf = project_loan(&loan, &a);
        prop_assert_eq!(cf.months(), loan.maturity_months() as usize);
        check(&cf, principal);
    }
}

#[test]
fn scheduled_only_pool_matches_the_annuity() {
    // Without prepayments or defaults, each month pays exactly the level payment and
    // interest is coupon/12 times the previous balance.
    let pool = Pool::new(250_000.0, 0.06, 360).unwrap();
    let cf = project_pool(&pool, &Assumptions::scheduled_only());
    let pmt = pool.level_payment();
    let mut prev = 250_000.0;
    for i in 0..360 {
        let paid = cf.scheduled_principal()[i] + cf.interest()[i];
        // A schedule of 360 months on a balance of 250 000.
        let tol = prec::ACCUMULATED * 250_000.0;
        assert_abs_diff_eq!(paid, pmt, epsilon = tol);
        assert_abs_diff_eq!(cf.interest()[i], prev * 0.005, epsilon = tol);
        assert_abs_diff_eq!(cf.total_cash()[i], pmt, epsilon = tol);
        prev = cf.balance()[i];
    }
}

#[test]
fn interest_only_loan_pays_a_bullet() {
    let loan = Loan::new(
        LoanId(7),
        10_000.0,
        Rate::Floating {
            index: 0.04,
            spread: 0.02,
        },
        12,
        Amortization::InterestOnly,
        Channel::DefiAnonymous,
        Recourse::None,
    )
    .unwrap();
    let cf = project_loan(&loan, &Assumptions::scheduled_only());
    assert!(cf.scheduled_principal()[..11].iter().all(|x| *x == 0.0));
    assert_abs_diff_eq!(
        cf.scheduled_principal()[11],
        10_000.0,
        epsilon = prec::IDENTITY * 10_000.0
    );
    assert_abs_diff_eq!(cf.interest()[0], 50.0, epsilon = prec::IDENTITY * 50.0);
}

#[test]
fn balloon_loan_repays_the_remaining_balance_at_the_balloon_month() {
    let loan = bank_loan(
        100_000.0,
        Rate::Fixed { annual: 0.06 },
        360,
        Amortization::Balloon { balloon_month: 84 },
    )
    .unwrap();
    let cf = project_loan(&loan, &Assumptions::scheduled_only());
    assert_eq!(cf.months(), 84);
    // Balance after 83 payments of a 30-year 6% annuity, then all of it in month 84
    // together with that month's scheduled principal.
    let pmt = loan.monthly_payment();
    let r: f64 = 0.005;
    let bal_83 = 100_000.0 * (1.0 + r).powi(83) - pmt * ((1.0 + r).powi(83) - 1.0) / r;
    assert_abs_diff_eq!(
        cf.balance()[82],
        bal_83,
        epsilon = prec::ACCUMULATED * 100_000.0
    );
    assert_abs_diff_eq!(
        cf.scheduled_principal()[83],
        bal_83,
        epsilon = prec::ACCUMULATED * 100_000.0
    );
}

#[test]
fn summing_loans_equals_projecting_the_pool_when_identical() {
    // Ten identical $10m loans project to ten times one loan, and to the $100m pool.
    let a = Assumptions::new(
        Prepayment::Psa(150.0),
        DefaultRate::Sda(100.0),
        12,
        0.2,
        true,
    )
    .unwrap();
    let loan = bank_loan(
        10_000_000.0,
        Rate::Fixed { annual: 0.08 },
        360,
        Amortization::LevelPayment,
    )
    .unwrap();
    let mut sum = CashFlows::new();
    for _ in 0..10 {
        sum.add(&project_loan(&loan, &a));
    }
    let pool = project_pool(&bma_pool(), &a);
    // Ten schedules summed against one, on $100m.
    let tol = prec::ACCUMULATED * 1.0e8;
    for i in 0..360 {
        assert_abs_diff_eq!(sum.balance()[i], pool.balance()[i], epsilon = tol);
        assert_abs_diff_eq!(sum.losses()[i], pool.losses()[i], epsilon = tol);
    }
}
