//! Issue 19's edges of the library: no NaN where a number is expected. A level outside
//! (0, 1) is an error, a run of no scenarios cannot be asked for, and an undefined variance
//! reduction is `None`, not NaN.

use creditlab_contagion::{
    BinomialExpansion, Copula, CopulaSpec, ExactConfig, ExactLoss, ImportanceSampler, LargePool,
    LossDistribution, LossMethod, LossRequest, LossSummary, MonteCarlo, Portfolio, Scenarios, Seed,
};
use creditlab_numerics::prec;

#[test]
fn value_at_risk_outside_zero_one_is_an_error_for_every_method() {
    let book = Portfolio::homogeneous(50, 0.02, 0.5).unwrap();
    let copula = Copula::gaussian(0.2).unwrap();
    let methods: Vec<Box<dyn LossDistribution>> = vec![
        Box::new(LargePool::new(&book, &copula).unwrap()),
        Box::new(ExactLoss::new(&book, &copula, &ExactConfig::default()).unwrap()),
        Box::new(BinomialExpansion::new(&book, &copula).unwrap()),
        Box::new(
            MonteCarlo::new(&book, &copula)
                .unwrap()
                .run(Seed(1), Scenarios::new(1_000).unwrap()),
        ),
    ];
    for m in &methods {
        for level in [1.5, f64::NAN, 0.0, 1.0, -0.1, f64::INFINITY] {
            let e = m.value_at_risk(level).unwrap_err();
            assert_eq!(e.field(), Some("level"), "{e}");
            let e = m.expected_shortfall(level).unwrap_err();
            assert_eq!(e.field(), Some("level"), "{e}");
        }
        assert!(m.value_at_risk(0.99).unwrap().value.is_finite());
        assert!(LossSummary::of(m.as_ref(), &[0.99, 1.5], &[], &[]).is_err());
    }
}

#[test]
fn monte_carlo_run_with_zero_scenarios_is_an_error() {
    assert_eq!(Scenarios::new(0).unwrap_err().field(), Some("scenarios"));
    // Through the request the command line builds, too.
    let request = LossRequest {
        scenarios: 0,
        ..LossRequest::new(LossMethod::MonteCarlo, CopulaSpec::Gaussian, vec![0.2])
    };
    let book = Portfolio::homogeneous(10, 0.02, 0.5).unwrap();
    assert!(request.run(&book).is_err());
}

#[test]
fn mc_is_variance_reduction_is_none_not_nan_when_undefined() {
    let copula = Copula::gaussian(0.3).unwrap();
    let zero_pd = Portfolio::homogeneous(20, 0.0, 0.5).unwrap();
    let zero_lgd = Portfolio::homogeneous(20, 0.05, 0.0).unwrap();
    let normal = Portfolio::homogeneous(20, 0.05, 0.5).unwrap();
    for (name, book, n) in [
        ("every PD 0", &zero_pd, 2_000),
        ("every LGD 0", &zero_lgd, 2_000),
        ("one scenario", &normal, 1),
    ] {
        let t = ImportanceSampler::new(book, &copula, 0.1)
            .unwrap()
            .run(Seed(1), Scenarios::new(n).unwrap());
        assert_eq!(t.variance_reduction, None, "{name}: {t:?}");
        assert!(t.probability.value.is_finite(), "{name}: {t:?}");
    }
}

#[test]
fn standard_book_aggregated_has_the_large_pool_of_the_whole_book() {
    let copula = Copula::gaussian(0.2).unwrap();
    for n in [1, 34, 35, 36, 1_003] {
        let whole =
            LargePool::pool_average(&Portfolio::standard_book(n).unwrap(), &copula).unwrap();
        let small =
            LargePool::pool_average(&Portfolio::standard_book_aggregated(n).unwrap(), &copula)
                .unwrap();
        // The same weighted averages, summed in another order: rounding only.
        assert!((whole.pd() - small.pd()).abs() <= prec::COMPOSED, "{n}");
        assert!((whole.lgd() - small.lgd()).abs() <= prec::COMPOSED, "{n}");
    }
}
