//! Shared by the test modules: references (exact homogeneous pool, Poisson binomial),
//! the standard tranches, the Monte Carlo comparisons, temporary files and issue 12's
//! loan tape.

use creditlab_contagion::{
    Copula, Estimate, ExactConfig, ExactLoss, Exposure, Lgd, Portfolio, Tranche,
};
use creditlab_numerics::prec;
use creditlab_numerics::rng::{open01, stream};
use creditlab_numerics::special::norm_pdf;
use statrs::distribution::{Binomial, Discrete};
use std::path::PathBuf;

/// The exact recursion with its default settings.
pub fn exact(p: &Portfolio, c: &Copula) -> ExactLoss {
    ExactLoss::new(p, c, &ExactConfig::default()).unwrap()
}

/// Writes `text` to `name` in this test binary's temporary folder and returns the path.
pub fn tmp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("creditlab-contagion-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

/// An exact probability a simulation that never saw the event may still be compared
/// with: far below 1 / scenarios for every test here.
const UNSEEN: f64 = 1e-6;

/// Asserts `|est - exact| <= 4 se` ([`prec::MC_SIGMAS`]). When the sample never saw the
/// event (estimate and standard error 0) the exact value must be below [`UNSEEN`].
pub fn within_4se(what: &str, est: Estimate, exact: f64) {
    let se = est
        .std_error
        .expect("simulated estimates carry a standard error");
    let tol = if se > 0.0 {
        prec::MC_SIGMAS * se + prec::ACCUMULATED
    } else {
        UNSEEN
    };
    assert!(
        (est.value - exact).abs() <= tol,
        "{what}: estimate {} (se {se:.3e}) vs exact {exact}: {:.2} se",
        est.value,
        (est.value - exact).abs() / se
    );
}

/// Two independent estimates agree within 4 combined standard errors.
pub fn agree_4se(what: &str, a: Estimate, b: Estimate) {
    let se = (a.std_error.unwrap().powi(2) + b.std_error.unwrap().powi(2)).sqrt();
    assert!(
        (a.value - b.value).abs() <= prec::MC_SIGMAS * se + prec::ACCUMULATED,
        "{what}: {} vs {} (combined se {se:.3e})",
        a.value,
        b.value
    );
}

/// Exact loss distribution of `n` identical loans (loss `w` each) in the one-factor
/// Gaussian copula: `P(K = k) = int Bin(k; n, p(z)) phi(z) dz`, midpoint rule on
/// [-9, 9] with 6,000 nodes (error far below the Monte Carlo noise).
pub fn homogeneous_exact(n: u64, pd: f64, rho: f64) -> Vec<f64> {
    let c = creditlab_contagion::copula::gaussian_threshold(pd);
    let nodes = 6000;
    let h = 18.0 / nodes as f64;
    let mut pmf = vec![0.0; n as usize + 1];
    for j in 0..nodes {
        let z = -9.0 + (j as f64 + 0.5) * h;
        let p = creditlab_contagion::copula::gaussian_conditional_pd(c, rho, z);
        let weight = norm_pdf(z) * h;
        let bin = Binomial::new(p, n).unwrap();
        for (k, m) in pmf.iter_mut().enumerate() {
            *m += weight * bin.pmf(k as u64);
        }
    }
    pmf
}

/// Exact distribution of integer losses of independent loans (rho = 0): convolution.
pub fn poisson_binomial(losses: &[usize], pds: &[f64]) -> Vec<f64> {
    let total: usize = losses.iter().sum();
    let mut pmf = vec![0.0; total + 1];
    pmf[0] = 1.0;
    for (&l, &p) in losses.iter().zip(pds) {
        for k in (0..=total).rev() {
            let keep = pmf[k] * (1.0 - p);
            let from = if k >= l { pmf[k - l] * p } else { 0.0 };
            pmf[k] = keep + from;
        }
    }
    pmf
}

/// The command line's default capital structure.
pub fn tranches() -> Vec<Tranche> {
    [
        (0.0, 0.03),
        (0.03, 0.07),
        (0.07, 0.1),
        (0.1, 0.15),
        (0.15, 0.3),
        (0.3, 1.0),
    ]
    .iter()
    .map(|&(a, d)| Tranche::new(a, d).unwrap())
    .collect()
}

/// The book of issue 12's report: lognormal EADs, PDs log-uniform from 0.01% to 30%,
/// LGDs uniform from 20% to 60%, drawn from seed `seed`.
pub fn issue_book(n: usize, seed: u64) -> Portfolio {
    Portfolio::new((0..n).map(|i| {
        let mut rng = stream(seed, i as u64);
        let u = |r: &mut creditlab_numerics::rng::StreamRng| open01(rand::Rng::next_u64(r));
        let ead =
            (-2.0 * u(&mut rng).ln()).sqrt() * (2.0 * std::f64::consts::PI * u(&mut rng)).cos();
        let pd = (1e-4f64.ln() + u(&mut rng) * (0.3f64 / 1e-4).ln()).exp();
        let lgd = 0.2 + 0.4 * u(&mut rng);
        Exposure::new(ead.exp(), pd, Lgd::Constant(lgd))
    }))
    .unwrap()
}
