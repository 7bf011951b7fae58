//! The saddlepoint approximation (Martin, Thompson and Browne 2001) against the exact
//! recursion on the standard book and on loan tapes, its error control and determinism.

use crate::fixtures::{issue_book, tranches};
use creditlab_contagion::accuracy::{Evidence, figures};
use creditlab_contagion::saddlepoint::{NUMERICAL_TOLERANCE, SaddlepointConfig};
use creditlab_contagion::{
    AccuracyReport, Copula, ExactConfig, ExactLoss, LossDistribution, LossSummary, Portfolio,
    Saddlepoint, Targets, Tolerance, Tranche,
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

/// Issue 12's target: every tail figure the saddlepoint reports within 1e-3 relative of the
/// exact method on a heterogeneous loan tape (measured: 3.2e-4 on the 10,000-loan benchmark
/// tape, the largest on the senior tranche's expected loss).
const TAPE_TAIL_FIGURE: f64 = 1e-3;

/// Every figure but EL and UL of the saddlepoint within [`TAPE_TAIL_FIGURE`] of `exact`'s
/// (or, for a figure below the exact method's absolute tolerance, within that: the exact
/// figure itself is known no better; the issue tape's 30-100% tranche loses 4.5e-16), and
/// EL, UL within the numerical tolerance of the saddlepoint's own error control.
fn agrees_on_the_tape(what: &str, book: &Portfolio) {
    let copula = Copula::gaussian(0.2).unwrap();
    let tranches = tranches();
    let config = ExactConfig {
        targets: Targets {
            levels: LEVELS.to_vec(),
            tail: TAIL.to_vec(),
            tranches: tranches.clone(),
        },
        ..ExactConfig::default()
    };
    let exact = ExactLoss::new(book, &copula, &config).unwrap();
    let e = LossSummary::of(&exact, &LEVELS, &TAIL, &tranches).unwrap();
    let s = Saddlepoint::new(book, &copula).unwrap();
    let sp = LossSummary::of(&s, &LEVELS, &TAIL, &tranches).unwrap();
    for ((name, a), (_, b)) in figures(&sp).into_iter().zip(figures(&e)) {
        let relative = if name == "expected_loss" || name == "unexpected_loss" {
            NUMERICAL_TOLERANCE.relative
        } else {
            TAPE_TAIL_FIGURE
        };
        let bound = (relative * b.value.abs()).max(Tolerance::default().absolute);
        assert!(
            (a.value - b.value).abs() <= bound,
            "{what} {name}: saddlepoint {} exact {}",
            a.value,
            b.value
        );
    }
}

const LEVELS: [f64; 3] = [0.99, 0.999, 0.9997];
const TAIL: [f64; 3] = [0.05, 0.1, 0.2];

#[test]
fn saddlepoint_agrees_with_exact_on_the_10000_loan_benchmark_tape() {
    agrees_on_the_tape(
        "benchmark tape",
        &Portfolio::benchmark_book(10_000, 1, 2026).unwrap(),
    );
}

#[test]
fn saddlepoint_agrees_with_exact_on_the_issue_tape() {
    agrees_on_the_tape("issue tape", &issue_book(10_000, 7));
}

/// The convergence evidence reacts to the setting: coarse cells and a loose quadrature
/// report larger error bounds than the defaults, and the defaults meet the numerical
/// tolerance.
#[test]
fn the_error_control_reports_a_coarse_setting_as_less_accurate() {
    let book = Portfolio::benchmark_book(2_000, 1, 2026).unwrap();
    let copula = Copula::gaussian(0.2).unwrap();
    let tranches = tranches();
    let report = |config: &SaddlepointConfig| {
        let s = Saddlepoint::with_config(&book, &copula, config).unwrap();
        let summary = LossSummary::of(&s, &LEVELS, &TAIL, &tranches).unwrap();
        s.convergence(&book, &summary, &LEVELS, &TAIL, &tranches)
            .unwrap()
    };
    let fine = report(&SaddlepointConfig::default());
    let coarse = report(&SaddlepointConfig {
        cell_width: 0.5,
        tolerance: 1e-4,
        ..SaddlepointConfig::default()
    });
    assert_eq!(fine.evidence, Evidence::Convergence);
    assert_eq!(fine.met, Some(true), "{fine:#?}");
    assert_eq!(coarse.met, Some(false), "{coarse:#?}");
    let largest = |r: &AccuracyReport| {
        r.error_bounds
            .iter()
            .filter(|b| b.figure != "expected_loss")
            .map(|b| b.bound / b.value.abs())
            .fold(0.0, f64::max)
    };
    assert!(
        largest(&coarse) > 10.0 * largest(&fine),
        "{} {}",
        largest(&coarse),
        largest(&fine)
    );
}

/// The same figures, bit for bit, on one and on two threads (quadrature nodes run in
/// parallel, summed in a fixed order).
#[test]
fn saddlepoint_is_bit_identical_on_one_and_two_threads() {
    let book = Portfolio::benchmark_book(3_000, 1, 2026).unwrap();
    let copula = Copula::gaussian(0.2).unwrap();
    let tranches = tranches();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let s = Saddlepoint::new(&book, &copula).unwrap();
                let summary = LossSummary::of(&s, &LEVELS, &TAIL, &tranches).unwrap();
                figures(&summary)
                    .into_iter()
                    .map(|(_, e)| e.value.to_bits())
                    .collect::<Vec<_>>()
            })
    };
    assert_eq!(run(1), run(2));
}
