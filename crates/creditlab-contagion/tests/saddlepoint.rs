//! The saddlepoint approximation (Martin, Thompson and Browne 2001) against the exact
//! recursion on the standard book.

use creditlab_contagion::{
    Copula, ExactConfig, ExactLoss, LossDistribution, Portfolio, Saddlepoint, Tranche,
};

/// Relative agreement of the tail measures (VaR, ES) with the exact recursion on 1,000
/// loans: the saddlepoint is continuous, the book's loss a lattice of 35 groups.
const TAIL_MEASURE: f64 = 1e-3;
/// Relative agreement of a tail probability or a tranche figure: at a loss level the
/// lattice jumps (an atom sits on or near it), the continuous approximation does not.
const AT_A_LEVEL: f64 = 5e-3;

#[test]
fn saddlepoint_agrees_with_the_exact_recursion_in_the_tail() {
    let book = Portfolio::standard_book(1000).unwrap();
    let copula = Copula::gaussian(0.2).unwrap();
    let s = Saddlepoint::new(&book, &copula).unwrap();
    let e = ExactLoss::new(&book, &copula, &ExactConfig::default()).unwrap();
    let rel = |a: f64, b: f64| (a / b - 1.0).abs();
    assert!(rel(s.expected_loss().value, book.expected_loss()) < 1e-12);
    // The variance needs no approximation: conditional moments integrated over the factor.
    assert!(rel(s.unexpected_loss().value, e.unexpected_loss().value) < 1e-4);
    for level in [0.99, 0.999, 0.9997] {
        let (a, b) = (
            s.value_at_risk(level).unwrap().value,
            e.value_at_risk(level).unwrap().value,
        );
        assert!(rel(a, b) < TAIL_MEASURE, "VaR {level}: {a} {b}");
        let (a, b) = (
            s.expected_shortfall(level).unwrap().value,
            e.expected_shortfall(level).unwrap().value,
        );
        assert!(rel(a, b) < TAIL_MEASURE, "ES {level}: {a} {b}");
    }
    for x in [0.05, 0.1, 0.2] {
        let (a, b) = (s.tail_probability(x).value, e.tail_probability(x).value);
        assert!(rel(a, b) < AT_A_LEVEL, "P(L > {x}): {a} {b}");
    }
    for (lo, hi) in [(0.03, 0.07), (0.07, 0.1), (0.1, 0.15)] {
        let t = Tranche::new(lo, hi).unwrap();
        let (a, b) = (s.tranche(t), e.tranche(t));
        assert!(
            rel(a.expected_loss.value, b.expected_loss.value) < AT_A_LEVEL,
            "{lo}-{hi}: {a:?} {b:?}"
        );
    }
}

#[test]
fn saddlepoint_refuses_other_copulas() {
    let book = Portfolio::standard_book(10).unwrap();
    let t = Copula::student_t(0.2, 5.0).unwrap();
    let err = Saddlepoint::new(&book, &t).unwrap_err().to_string();
    assert!(err.contains("saddlepoint"), "{err}");
}
