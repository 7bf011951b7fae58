//! The BMA Uniform Practices standard-formula example ("Cash Flow A", SF-23): a
//! $100,000,000 pool at 8% for 360 months, 1% SMM, 1% MDR, 12-month recovery lag, 20%
//! severity, principal and interest advanced. Figures to the dollar.

use crate::common::{bma_pool, cash_flow_a_assumptions};
use approx::assert_abs_diff_eq;
use creditlab_loan::cashflow::{
    annual_to_monthly, monthly_to_annual, psa_cpr, scheduled_balance_factors, sda_cdr,
};
use creditlab_loan::{
    Amortization, Assumptions, DefaultRate, Prepayment, level_payment, project_pool,
};
use creditlab_numerics::prec;

fn cash_flow_a() -> creditlab_loan::CashFlows {
    project_pool(&bma_pool(), &cash_flow_a_assumptions())
}

#[test]
fn level_payment_and_first_scheduled_principal() {
    let pool = bma_pool();
    assert_abs_diff_eq!(pool.level_payment(), 733_764.57, epsilon = prec::CENT);
    // First scheduled principal: payment minus one month's interest.
    let first = pool.level_payment() - 100_000_000.0 * 0.08 / 12.0;
    assert_abs_diff_eq!(first, 67_097.91, epsilon = prec::CENT);
    // Same from the scheduled balance factors S(0) - S(1).
    let s = scheduled_balance_factors(Amortization::LevelPayment, 0.08 / 12.0, 360);
    assert_abs_diff_eq!((s[0] - s[1]) * 1.0e8, 67_097.91, epsilon = prec::CENT);
    assert_eq!(s.len(), 361);
    assert_abs_diff_eq!(s[0], 1.0, epsilon = prec::IDENTITY);
}

#[test]
fn bma_month_1() {
    let cf = cash_flow_a();
    assert_abs_diff_eq!(cf.defaults()[0], 1_000_000.0, epsilon = prec::DOLLAR);
    assert_abs_diff_eq!(cf.prepayments()[0], 999_329.0, epsilon = prec::DOLLAR);
    assert_abs_diff_eq!(
        cf.scheduled_principal()[0],
        66_427.0,
        epsilon = prec::DOLLAR
    );
    assert_abs_diff_eq!(cf.interest()[0], 660_000.0, epsilon = prec::DOLLAR);
    assert_abs_diff_eq!(cf.balance()[0], 97_934_244.0, epsilon = prec::DOLLAR);
    // With advancing, the servicer pays the defaulted loans' interest and amortization.
    assert_abs_diff_eq!(
        cf.advanced_interest()[0],
        1_000_000.0 * 0.08 / 12.0,
        epsilon = prec::ACCUMULATED * 1.0e6
    );
    // To the four decimals written here.
    assert_abs_diff_eq!(
        cf.advanced_principal()[0],
        670.9791,
        epsilon = prec::printed(4)
    );
}

#[test]
fn bma_month_13_recovery_and_loss() {
    let cf = cash_flow_a();
    // Nothing is liquidated before month 13.
    assert!(cf.recoveries()[..12].iter().all(|x| *x == 0.0));
    assert_abs_diff_eq!(cf.recoveries()[12], 791_646.0, epsilon = prec::DOLLAR);
    assert_abs_diff_eq!(cf.losses()[12], 200_000.0, epsilon = prec::DOLLAR);
    // Liquidated balance = month-1 defaults amortized 12 months on schedule.
    let s = scheduled_balance_factors(Amortization::LevelPayment, 0.08 / 12.0, 360);
    let adb = 1_000_000.0 * s[12] / s[0];
    assert_abs_diff_eq!(
        cf.recoveries()[12] + cf.losses()[12],
        adb,
        epsilon = prec::ACCUMULATED * adb
    );
}

#[test]
fn bma_identities_hold_to_the_cent() {
    let cf = cash_flow_a();
    let t = cf.totals();
    assert_abs_diff_eq!(
        t.scheduled_principal + t.prepayments + t.defaults,
        100_000_000.0,
        epsilon = prec::CENT
    );
    assert_abs_diff_eq!(
        t.defaults,
        t.advanced_principal + t.recoveries + t.losses,
        epsilon = prec::CENT
    );
    assert_abs_diff_eq!(*cf.balance().last().unwrap(), 0.0, epsilon = prec::CENT);
    // No defaults in the last 12 months (every default is liquidated by maturity).
    assert!(cf.defaults()[348..].iter().all(|x| *x == 0.0));
}

#[test]
fn annuity_closed_form() {
    // 200,000 over 30 years at 6%: 1,199.10 a month (standard mortgage tables).
    assert_abs_diff_eq!(
        level_payment(200_000.0, 0.06 / 12.0, 360),
        1_199.10,
        epsilon = prec::CENT
    );
    // 15 years at 6%: 1,687.71.
    assert_abs_diff_eq!(
        level_payment(200_000.0, 0.06 / 12.0, 180),
        1_687.71,
        epsilon = prec::CENT
    );
    // Zero rate: straight line.
    assert_abs_diff_eq!(
        level_payment(1_200.0, 0.0, 12),
        100.0,
        epsilon = prec::IDENTITY
    );
}

#[test]
fn psa_curve_values() {
    assert_abs_diff_eq!(psa_cpr(100.0, 1), 0.002, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(psa_cpr(100.0, 15), 0.030, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(psa_cpr(100.0, 30), 0.060, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(psa_cpr(100.0, 200), 0.060, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(psa_cpr(150.0, 17), 0.051, epsilon = prec::IDENTITY);
    // BMA SF-8: an SMM of 0.435270% is a CPR of 5.1000% (to the 4 decimals of a percentage
    // printed there, 6 of the fraction).
    assert_abs_diff_eq!(
        monthly_to_annual(0.004_352_70),
        0.051,
        epsilon = prec::printed(6)
    );
    assert_abs_diff_eq!(
        monthly_to_annual(annual_to_monthly(0.06)),
        0.06,
        epsilon = prec::IDENTITY
    );
}

#[test]
fn sda_curve_values() {
    assert_abs_diff_eq!(sda_cdr(100.0, 1), 0.0002, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(sda_cdr(100.0, 30), 0.006, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(sda_cdr(100.0, 45), 0.006, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(sda_cdr(100.0, 60), 0.006, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(sda_cdr(100.0, 61), 0.005_905, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(
        sda_cdr(100.0, 90),
        0.006 - 0.000_095 * 30.0,
        epsilon = prec::IDENTITY
    );
    assert_abs_diff_eq!(sda_cdr(100.0, 120), 0.0003, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(sda_cdr(100.0, 300), 0.0003, epsilon = prec::IDENTITY);
    assert_abs_diff_eq!(sda_cdr(200.0, 30), 0.012, epsilon = prec::IDENTITY);
}

#[test]
fn no_advancing_liquidates_the_full_defaulted_balance() {
    let pool = bma_pool();
    let a = Assumptions::new(
        Prepayment::Smm(0.01),
        DefaultRate::Mdr(0.01),
        12,
        0.2,
        false,
    )
    .unwrap();
    let cf = project_pool(&pool, &a);
    assert_abs_diff_eq!(
        cf.recoveries()[12],
        800_000.0,
        epsilon = prec::ACCUMULATED * 1.0e6
    );
    assert_abs_diff_eq!(
        cf.losses()[12],
        200_000.0,
        epsilon = prec::ACCUMULATED * 1.0e6
    );
    assert!(cf.advanced_principal().iter().all(|x| *x == 0.0));
    let t = cf.totals();
    assert_abs_diff_eq!(t.defaults, t.recoveries + t.losses, epsilon = prec::CENT);
}

#[test]
fn sda_cumulative_default_matrix() {
    // BMA SF-22: cumulative defaults (% of original balance) of an 8% 30-year pool for
    // PSA speeds (rows) and SDA speeds (columns), 12 months to liquidation. Reproduced to
    // the two decimals printed, which checks the PSA and SDA curves, the SMM/MDR
    // conversions, the order of defaults, amortization and prepayments, and the cut-off
    // of defaults in the last 12 months.
    let sda = [50.0, 100.0, 150.0, 200.0, 250.0, 300.0];
    let table = [
        (100.0, [1.56, 3.09, 4.59, 6.08, 7.53, 8.97]),
        (150.0, [1.40, 2.78, 4.13, 5.47, 6.79, 8.08]),
        (200.0, [1.26, 2.51, 3.74, 4.95, 6.14, 7.32]),
        (300.0, [1.05, 2.08, 3.10, 4.11, 5.10, 6.08]),
    ];
    let pool = bma_pool();
    for (psa, row) in table {
        for (s, expected) in sda.iter().zip(row) {
            let a = Assumptions::new(Prepayment::Psa(psa), DefaultRate::Sda(*s), 12, 0.2, true)
                .unwrap();
            let pct = project_pool(&pool, &a).totals().defaults / 1.0e6;
            assert_abs_diff_eq!(pct, expected, epsilon = prec::printed(2));
        }
    }
}
