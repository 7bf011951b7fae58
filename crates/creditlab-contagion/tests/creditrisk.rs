//! CreditRisk+ with correlated sectors against the reference values of Bürgisser, Kurth,
//! Wagner and Wolf, "Integrating Correlations" (Risk, July 1999, Table A, Table B and
//! Figure 1), as QuantLib's test suite checks them (test-suite/creditriskplus.cpp,
//! `testReferenceValues`): 2,000 obligors in two sectors, relative default standard
//! deviation 0.75 in each, sector correlation 0.5, loss unit 0.1.

use creditlab_contagion::{
    CreditRiskPlus, CreditRiskPlusSpec, Estimate, Exposure, Lgd, LossDistribution, Portfolio,
};

fn reference() -> CreditRiskPlus {
    let mut exposures = Vec::new();
    for _ in 0..1000 {
        exposures.push(Exposure::new(1.0, 0.04, Lgd::Constant(1.0)));
    }
    for _ in 0..1000 {
        let mut e = Exposure::new(2.0, 0.02, Lgd::Constant(1.0));
        e.sector = 1;
        exposures.push(e);
    }
    let book = Portfolio::new(exposures).unwrap();
    let spec = CreditRiskPlusSpec::uniform(2, 0.75 * 0.75, 0.5, 0.1);
    CreditRiskPlus::new(&book, &spec).unwrap()
}

/// The published figures at QuantLib's tolerances: sector exposures and ELs to 1e-8,
/// sector ULs 30.7 and 31.3 to 0.05, total UL 53.1 to 0.01, the relative default variance
/// 0.65^2 to 0.001, the 99% loss quantile 250 to 0.5 (the paper prints these rounded, so the
/// tolerances are the rounding of the printed figures, as QuantLib's).
#[test]
fn creditrisk_plus_matches_burgisser_et_al_as_quantlib_checks_it() {
    let c = reference();
    let s = c.sectors();
    assert!((s[0].exposure - 1000.0).abs() < 1e-8);
    assert!((s[1].exposure - 2000.0).abs() < 1e-8);
    assert!((s[0].expected_loss - 40.0).abs() < 1e-8);
    assert!((s[1].expected_loss - 40.0).abs() < 1e-8);
    assert!(
        (s[0].unexpected_loss - 30.7).abs() < 0.05,
        "{}",
        s[0].unexpected_loss
    );
    assert!(
        (s[1].unexpected_loss - 31.3).abs() < 0.05,
        "{}",
        s[1].unexpected_loss
    );
    assert!((c.total_exposure() - 3000.0).abs() < 1e-8);
    assert!((c.expected_loss_money() - 80.0).abs() < 1e-8);
    assert!((c.unexpected_loss_money() - 53.1).abs() < 0.01);
    assert!((c.relative_default_variance() - 0.65 * 0.65).abs() < 0.001);
    let q = c.loss_quantile_money(0.99);
    assert!((q - 250.0).abs() < 0.5, "{q}");
}

/// What the recursion's truncation and summation can move the lattice mean by, relative: the
/// mass above the cutoff (1e-12) at losses a few times the mean, and 10,000 terms' rounding.
const LATTICE_MEAN: f64 = 1e-9;

/// The lattice distribution reproduces the model's own moments: the mean (banding keeps
/// every obligor's expected loss; these exposures are multiples of the unit) and the
/// standard deviation `sqrt(V + sum p E^2)`.
#[test]
fn creditrisk_plus_distribution_has_the_model_moments() {
    let c = reference();
    let total = c.total_exposure();
    let el: Estimate = c.expected_loss();
    assert!(
        (el.value * total - 80.0).abs() < LATTICE_MEAN * 80.0,
        "{}",
        el.value * total
    );
    // Compound NB variance: V + sum p E^2 exactly (the Poisson count has variance = mean).
    let ul = c.unexpected_loss().value * total;
    assert!((ul - 53.104).abs() < 0.001, "{ul}");
    assert!(c.truncated_mass() < 1e-11);
    // The tail in the paper's Figure 1 range: P(L > 250) is 1% to the quantile's rounding.
    let tail = c.tail_probability(250.0 / total).value;
    assert!((tail - 0.01).abs() < 2e-4, "{tail}");
}

#[test]
fn creditrisk_plus_refuses_a_sector_without_variance_and_a_bad_matrix() {
    let mut e = Exposure::new(1.0, 0.01, Lgd::Constant(0.5));
    e.sector = 3;
    let book = Portfolio::new([e]).unwrap();
    let err = CreditRiskPlus::new(&book, &CreditRiskPlusSpec::uniform(2, 0.5, 0.2, 0.1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("sector"), "{err}");
    let mut spec = CreditRiskPlusSpec::uniform(2, 0.5, 0.2, 0.1);
    spec.sector_correlation[0][1] = 0.3;
    let book = Portfolio::new([Exposure::new(1.0, 0.01, Lgd::Constant(0.5))]).unwrap();
    let err = CreditRiskPlus::new(&book, &spec).unwrap_err().to_string();
    assert!(err.contains("symmetric"), "{err}");
}
