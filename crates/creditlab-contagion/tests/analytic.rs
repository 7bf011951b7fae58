//! Integration tests of the analytic methods: the exact recursion against the binomial,
//! Bernoulli and large-pool references, edge cases, and the heavy-tailed copulas.

use crate::fixtures::exact;
use approx::assert_relative_eq;
use creditlab_contagion::{
    Copula, ExactConfig, ExactLoss, Exposure, LargePool, Lgd, LossDistribution, Portfolio, Tranche,
};
use creditlab_numerics::prec;

/// Relative accuracy of the t copula's default chi-scale rule (48 nodes) in integrating a
/// conditional PD back to the PD (a fixed rule on the heavy scale tail).
const CHI_SCALE_RULE_48: f64 = 1e-6;
/// The same for the double-t's default market-factor rule (256 nodes): the conditional PD
/// is a steep step in the heavy market tail (about 1e-5 relative, methodology page).
const MARKET_RULE_256: f64 = 1e-4;
/// Relative accuracy of the all-or-nothing default probability at rho = 1: 64
/// Gauss-Hermite nodes integrate an indicator of the factor.
const INDICATOR_RULE_64: f64 = 1e-6;
/// Distance of the finite pool's 99.9% quantile from Vasicek's limit at N = 100 and
/// 1,000: the granularity effect, of order 1/N of the conditional spread.
const GRANULARITY_QUANTILE: f64 = 0.02;
/// Distance of the finite pool's 3-7% tranche EL from Vasicek's limit at N = 10,000, as a
/// fraction of the tranche notional.
const LARGE_POOL_TRANCHE_EL: f64 = 1e-3;
/// The binomial expansion matches the pool's loss variance only up to rounding the
/// diversity score to an integer (29.5 to 30 here): relative distance of the UL.
const BET_UNEXPECTED_LOSS: f64 = 0.05;
/// Grid steps a quantile may move when the grid is refined tenfold.
const GRID_STEPS: f64 = 2.0;
/// Relative distance of a tranche EL on the coarse grid from the fine grid's.
const GRID_TRANCHE_EL: f64 = 0.02;

#[test]
fn independent_defaults_give_the_poisson_binomial() {
    // rho = 0: the loss is a sum of independent Bernoullis; compare with the direct
    // convolution on the same unit grid (EAD x LGD = 0.5 x {1, 2, 3}).
    let exps: Vec<Exposure> = (0..12)
        .map(|i| {
            Exposure::new(
                1.0 + (i % 3) as f64,
                0.02 + 0.01 * i as f64,
                Lgd::Constant(0.5),
            )
        })
        .collect();
    let p = Portfolio::new(exps.clone()).unwrap();
    let e = exact(&p, &Copula::gaussian(0.0).unwrap());
    assert!(e.discretization().exact);
    let mut direct = vec![1.0f64];
    for x in &exps {
        let n = x.ead as usize; // EAD x LGD in units of 0.5
        let mut next = vec![0.0; direct.len() + n];
        for (k, &v) in direct.iter().enumerate() {
            next[k] += v * (1.0 - x.pd);
            next[k + n] += v * x.pd;
        }
        direct = next;
    }
    let got = e.distribution().probabilities();
    for (k, &want) in direct.iter().enumerate() {
        let g = got.get(k).copied().unwrap_or(0.0);
        assert!(
            (g - want).abs() <= prec::IDENTITY + prec::ACCUMULATED * want,
            "k {k}: {g} vs {want}"
        );
    }
}

#[test]
fn single_loan_is_bernoulli_and_edges_are_right() {
    let p = Portfolio::new([Exposure::new(5.0, 0.03, Lgd::Constant(0.4))]).unwrap();
    for c in [
        Copula::gaussian(0.3).unwrap(),
        Copula::student_t(0.3, 5.0).unwrap(),
        Copula::double_t(0.3, 4.0, 4.0).unwrap(),
    ] {
        let e = exact(&p, &c);
        let d = e.distribution();
        assert_eq!(d.losses().len(), 2);
        assert_relative_eq!(d.losses()[1], 0.4, max_relative = prec::IDENTITY);
        // Gauss-Hermite alone is exact to ~1e-12; the t copula's chi-scale rule (48 nodes)
        // to ~1e-7; the double-t market rule (256 nodes) to ~1e-4 at this PD.
        let tol = match c {
            Copula::Gaussian { .. } => prec::QUADRATURE,
            Copula::StudentT { .. } => CHI_SCALE_RULE_48,
            _ => MARKET_RULE_256,
        };
        assert_relative_eq!(d.probabilities()[1], 0.03, max_relative = tol);
        assert_relative_eq!(d.total_mass(), 1.0, max_relative = prec::ACCUMULATED);
    }
    // PD 0 and 1 and a zero-EAD exposure: the loss is exactly the PD-1 loan's.
    let p = Portfolio::new([
        Exposure::new(2.0, 0.0, Lgd::Constant(0.5)),
        Exposure::new(1.0, 1.0, Lgd::Constant(0.5)),
        Exposure::new(0.0, 0.5, Lgd::Constant(0.5)),
    ])
    .unwrap();
    for rho in [0.0, 0.4, 1.0] {
        let e = exact(&p, &Copula::gaussian(rho).unwrap());
        assert_relative_eq!(
            e.expected_loss().value,
            0.5 / 3.0,
            max_relative = prec::COMPOSED
        );
        assert!(e.unexpected_loss().value.abs() <= prec::ACCUMULATED);
        assert_relative_eq!(
            e.value_at_risk(0.999).unwrap().value,
            0.5 / 3.0,
            max_relative = prec::COMPOSED
        );
    }
    // rho = 1: all-or-nothing for a homogeneous pool.
    let h = Portfolio::homogeneous(20, 0.05, 1.0).unwrap();
    let e = exact(&h, &Copula::gaussian(1.0).unwrap());
    let d = e.distribution();
    let mass_mid: f64 = d.probabilities()[1..d.probabilities().len() - 1]
        .iter()
        .sum();
    assert!(mass_mid <= prec::ACCUMULATED, "{mass_mid}");
    assert_relative_eq!(
        *d.probabilities().last().unwrap(),
        0.05,
        max_relative = INDICATOR_RULE_64
    );
}

#[test]
fn expected_loss_is_preserved() {
    let p = Portfolio::standard_book(300).unwrap();
    for c in [
        Copula::gaussian(0.25).unwrap(),
        Copula::student_t(0.25, 6.0).unwrap(),
    ] {
        let e = exact(&p, &c);
        assert!(e.discretization().exact);
        assert!(e.trimmed_mass() <= prec::ACCUMULATED);
        let tol = if matches!(c, Copula::Gaussian { .. }) {
            prec::QUADRATURE
        } else {
            CHI_SCALE_RULE_48
        };
        assert_relative_eq!(
            e.expected_loss().value,
            p.expected_loss(),
            max_relative = tol
        );
    }
    // Double-t: the fixed market-factor rule integrates the conditional PD back to the PD
    // to about 1e-5 relative (see the methodology page).
    let e = exact(&p, &Copula::double_t(0.25, 4.0, 6.0).unwrap());
    assert_relative_eq!(
        e.expected_loss().value,
        p.expected_loss(),
        max_relative = MARKET_RULE_256
    );
}

#[test]
fn exact_converges_to_the_large_pool() {
    // Homogeneous pool, PD 1%, rho 0.2, LGD 1: the finite pool's tranche EL and 99.9%
    // quantile approach Vasicek's limit as N grows (granularity adjustment ~ 1/N).
    let (pd, rho) = (0.01, 0.2);
    let lhp = LargePool::from_parameters(pd, rho, 1.0).unwrap();
    let t = Tranche::new(0.03, 0.07).unwrap();
    let mut prev_el = f64::INFINITY;
    for n in [100usize, 1000, 10_000] {
        let p = Portfolio::homogeneous(n, pd, 1.0).unwrap();
        let e = exact(&p, &Copula::gaussian(rho).unwrap());
        let d_el = (e.tranche(t).expected_loss.value - lhp.tranche(t).expected_loss.value).abs();
        let d_q =
            (e.value_at_risk(0.999).unwrap().value - lhp.value_at_risk(0.999).unwrap().value).abs();
        eprintln!("N {n}: tranche EL distance {d_el:.3e}, 99.9% quantile distance {d_q:.3e}");
        assert!(
            d_el < prev_el,
            "N {n}: tranche EL distance {d_el} did not shrink"
        );
        if n <= 1000 {
            // At N = 100 and 1,000 the quantile is within the granularity effect.
            assert!(d_q < GRANULARITY_QUANTILE, "N {n}: {d_q}");
        }
        prev_el = d_el;
    }
    // At N = 10,000 the tranche EL agrees to 1e-3 of the tranche notional. (The quantile
    // is not asserted there: with 64 Gauss-Hermite nodes the mixture of 64 very narrow
    // conditional distributions is lumpy, and the quantile snaps to a node — a known
    // limit of fixed quadrature for large homogeneous pools; see exact-recursion.md.)
    assert!(prev_el < LARGE_POOL_TRANCHE_EL, "{prev_el}");
}

#[test]
fn heavy_tailed_copulas_approach_the_gaussian() {
    let p = Portfolio::standard_book(100).unwrap();
    let g = exact(&p, &Copula::gaussian(0.2).unwrap());
    let t = exact(&p, &Copula::student_t(0.2, 1e5).unwrap());
    let t5 = exact(&p, &Copula::student_t(0.2, 5.0).unwrap());
    let q = |d: &ExactLoss| d.value_at_risk(0.999).unwrap().value;
    // nu = 1e5 is the Gaussian up to O(1/nu): the quantiles, on a lattice of 0.45 / total,
    // lie within eight lattice steps.
    assert!((q(&t) - q(&g)).abs() <= 2.0 * 0.45 * 4.0 / p.total_ead() + prec::ACCUMULATED);
    // Tail dependence of the t copula fattens the tail.
    assert!(q(&t5) > q(&g), "{} vs {}", q(&t5), q(&g));
}

#[test]
fn multi_factor_with_one_sector_equals_gaussian() {
    use nalgebra::DMatrix;
    let p = Portfolio::standard_book(60).unwrap();
    let m = creditlab_contagion::copula::MultiFactor::from_sectors(
        &[0.2],
        &DMatrix::from_row_slice(1, 1, &[1.0]),
    )
    .unwrap();
    let cfg = ExactConfig {
        nodes_per_factor: 64,
        ..ExactConfig::default()
    };
    let a = ExactLoss::new(&p, &Copula::MultiFactor(m), &cfg).unwrap();
    let b = exact(&p, &Copula::gaussian(0.2).unwrap());
    let t = Tranche::new(0.02, 0.05).unwrap();
    assert_relative_eq!(
        a.tranche(t).expected_loss.value,
        b.tranche(t).expected_loss.value,
        max_relative = prec::SPECIAL
    );
    // Too many factors are refused, naming the limit. (Groups of exposures whose loadings
    // have a one-factor structure between them are integrated one factor at a time, so the
    // refused book needs three groups that no common factor explains: covariances 0.09,
    // -0.09 and 0.09.)
    let big = creditlab_contagion::copula::MultiFactor::explicit(5);
    let groups = [
        [0.3, 0.3, 0.0, 0.0, 0.0],
        [0.3, 0.0, 0.3, 0.0, 0.0],
        [0.0, -0.3, 0.3, 0.0, 0.0],
    ];
    let p5 = Portfolio::new(groups.iter().map(|a| {
        let mut e = Exposure::new(1.0, 0.01, Lgd::Constant(0.5));
        e.loadings = Some(a.to_vec());
        e
    }))
    .unwrap();
    let err = ExactLoss::new(&p5, &Copula::MultiFactor(big), &ExactConfig::default()).unwrap_err();
    assert!(err.to_string().contains("tensor grid"), "{err}");
}

/// Release-mode timing: `cargo test --release -p creditlab-contagion --test tests --
/// --ignored --nocapture timing`.
#[test]
#[ignore = "timing; run in release"]
fn timing_exact_1000_loans_64_nodes() {
    let p = Portfolio::standard_book(1000).unwrap();
    let c = Copula::gaussian(0.2).unwrap();
    let _ = exact(&p, &c);
    let runs = 10;
    let t0 = std::time::Instant::now();
    for _ in 0..runs {
        std::hint::black_box(exact(&p, &c));
    }
    eprintln!("exact N=1000, 64 nodes: {:?} per run", t0.elapsed() / runs);
}

#[test]
fn binomial_expansion_error_against_the_exact_distribution() {
    // Homogeneous pool of 100, PD 1%, rho 0.2, LGD 1 (Gaussian). The BET matches the
    // mean and variance of the loss but replaces the skewed Vasicek-type mixture by a
    // binomial: its far tail is thinner. Observed: D = 29.5 (rounded to 30); 99.9% VaR
    // 0.10 (BET) vs 0.16 (exact); senior 10-100% tranche EL 8.7e-6 vs 2.3e-4 (26x lower).
    use creditlab_contagion::BinomialExpansion;
    let p = Portfolio::homogeneous(100, 0.01, 1.0).unwrap();
    let c = Copula::gaussian(0.2).unwrap();
    let e = exact(&p, &c);
    let b = BinomialExpansion::new(&p, &c).unwrap();
    assert_relative_eq!(
        b.expected_loss().value,
        e.expected_loss().value,
        max_relative = prec::QUADRATURE
    );
    assert_relative_eq!(
        b.unexpected_loss().value,
        e.unexpected_loss().value,
        max_relative = BET_UNEXPECTED_LOSS
    );
    let senior = Tranche::new(0.10, 1.0).unwrap();
    let (q_e, q_b) = (
        e.value_at_risk(0.999).unwrap().value,
        b.value_at_risk(0.999).unwrap().value,
    );
    let (s_e, s_b) = (
        e.tranche(senior).expected_loss.value,
        b.tranche(senior).expected_loss.value,
    );
    eprintln!(
        "D = {:.2}; 99.9% VaR exact {q_e:.4} BET {q_b:.4}; senior EL exact {s_e:.3e} BET {s_b:.3e}",
        b.diversity_score()
    );
    assert!(q_b < q_e, "BET 99.9% VaR {q_b} should be below exact {q_e}");
    assert!(
        s_b < 0.5 * s_e,
        "BET senior EL {s_b} should be well below exact {s_e}"
    );
}

#[test]
fn off_grid_losses_keep_the_expected_loss_and_converge_with_the_grid() {
    // Losses with no common unit (EAD 1 + 0.37 i, LGD 0.1 + 0.002 i): the grid splits each
    // loss between its two neighbouring grid points so the expected loss is exact, and a
    // 10x finer grid (a second discretization of the same model) moves tranche losses and
    // quantiles by no more than a few grid steps.
    let p = Portfolio::new((0..400).map(|i| {
        let i = i as f64;
        Exposure::new(
            1.0 + 0.37 * i,
            0.002 + 0.0001 * i,
            Lgd::Constant(0.1 + 0.002 * i),
        )
    }))
    .unwrap();
    let c = Copula::gaussian(0.25).unwrap();
    let coarse_cfg = ExactConfig {
        rounding_units: 500,
        ..ExactConfig::default()
    };
    let fine_cfg = ExactConfig {
        rounding_units: 5_000,
        ..ExactConfig::default()
    };
    let coarse = ExactLoss::new(&p, &c, &coarse_cfg).unwrap();
    let fine = ExactLoss::new(&p, &c, &fine_cfg).unwrap();
    assert!(!coarse.discretization().exact);
    assert!(coarse.discretization().expected_loss_shift.abs() <= prec::IDENTITY);
    for e in [&coarse, &fine] {
        assert_relative_eq!(
            e.expected_loss().value,
            p.expected_loss(),
            max_relative = prec::QUADRATURE
        );
    }
    let step = coarse.discretization().unit / p.total_ead();
    for level in [0.99, 0.999] {
        let (a, b) = (
            coarse.value_at_risk(level).unwrap().value,
            fine.value_at_risk(level).unwrap().value,
        );
        assert!(
            (a - b).abs() <= GRID_STEPS * step,
            "VaR {level}: {a} vs {b}, step {step}"
        );
    }
    let t = Tranche::new(0.02, 0.05).unwrap();
    let (a, b) = (
        coarse.tranche(t).expected_loss.value,
        fine.tranche(t).expected_loss.value,
    );
    assert_relative_eq!(a, b, max_relative = GRID_TRANCHE_EL);
}
