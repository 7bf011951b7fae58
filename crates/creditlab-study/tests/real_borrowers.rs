//! Claims 3 and 4 on real borrowers: the German Credit comparison the study runs.

use creditlab_study::real_borrowers::{self, ALL_FOUR, ANONYMOUS, WITHOUT_HISTORY};

/// The three factor sets come out in the order the study reads them, every borrower is
/// predicted once, and the anonymous lender's card is decisively weaker (more than four
/// paired DeLong standard errors), the credit history's own contribution smaller.
#[test]
fn the_german_credit_comparison_runs_and_orders_the_factor_sets() {
    let r = real_borrowers::study(20261123).unwrap();
    assert_eq!((r.comparison.rows, r.comparison.bads), (1000, 300));
    for name in [ALL_FOUR, WITHOUT_HISTORY, ANONYMOUS] {
        assert!(r.set(name).is_some(), "{name}");
    }
    let anonymous = r.difference(ALL_FOUR, ANONYMOUS).unwrap();
    assert!(
        anonymous.difference > 4.0 * anonymous.std_error,
        "{anonymous:?}"
    );
    let history = r.difference(ALL_FOUR, WITHOUT_HISTORY).unwrap();
    assert!(history.difference < anonymous.difference, "{history:?}");
    assert!(r.prior_source.contains("assumption"));
}
