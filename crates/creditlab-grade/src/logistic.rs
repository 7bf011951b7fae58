//! Logistic regression by iteratively reweighted least squares (Newton–Raphson), on plain
//! nalgebra matrices, with standard errors from the inverse information matrix.
//!
//! Model: `P(default_i) = 1 / (1 + exp(−x_i'β))`. Each Newton step solves
//! `(X'WX) δ = X'(y − p)` with `W = diag(p(1 − p))` by Cholesky, halving the step while the
//! log-likelihood would fall. The fit stops when the largest coefficient change is below
//! `tolerance × (1 + max|β|)`. `Cov(β̂) = (X'WX)⁻¹` at the estimate.
//!
//! Failures are errors, never silent: one class only ([`GradeError::OneClass`]); separated
//! data, detected as fitted probabilities numerically 0 or 1 ([`GradeError::Separation`]);
//! a singular or near-singular information matrix, i.e. constant or collinear columns
//! ([`GradeError::SingularHessian`]); no convergence ([`GradeError::NotConverged`]).
//!
//! [`fit_logistic_firth`] is the same iteration on Firth's (1993) penalized likelihood
//! `l(β) + ½ ln det(X'WX)`, whose estimate exists even when the data are separated (a
//! group of loans with no default at all) and whose small-sample bias is smaller; its score
//! is `X'(y − p + h (½ − p))` with `h` the diagonal of the hat matrix
//! `W^{½} X (X'WX)⁻¹ X' W^{½}` (Heinze and Schemper, 2002).

use crate::error::{GradeError, Result};
use creditlab_numerics::special::logistic;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Controls of the IRLS iterations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IrlsOptions {
    /// Newton iterations before giving up.
    pub max_iterations: usize,
    /// Relative coefficient change that counts as converged.
    pub tolerance: f64,
}

impl Default for IrlsOptions {
    fn default() -> Self {
        Self {
            max_iterations: 100,
            tolerance: 1e-10,
        }
    }
}

/// A converged logistic fit. (Not serde: nalgebra's serde feature is off in the workspace;
/// the scorecard carries the fit as plain vectors.)
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// The maximum-likelihood coefficients β̂, one per column of X.
    pub coefficients: DVector<f64>,
    /// Their asymptotic covariance (X'WX)⁻¹.
    pub covariance: DMatrix<f64>,
    /// Standard errors: square roots of the covariance diagonal.
    pub standard_errors: DVector<f64>,
    /// Log-likelihood at β̂.
    pub log_likelihood: f64,
    /// Newton iterations used.
    pub iterations: usize,
    /// Observations fitted.
    pub n: usize,
    /// Defaults among them.
    pub defaults: usize,
}

/// |η| above which a fitted probability is numerically 0 or 1 (p < 1e-13): the sign of
/// separation.
const SEPARATION_ETA: f64 = 30.0;
/// Smallest acceptable ratio of the information matrix's smallest to largest eigenvalue.
const MIN_RCOND: f64 = 1e-13;
/// Relative fall of the log-likelihood a Newton step may cause and still count as no fall
/// (the likelihood's own rounding over thousands of terms).
const LIKELIHOOD_SLACK: f64 = 1e-12;
/// Smallest fraction of a Newton step that step halving tries before accepting it.
const MIN_STEP: f64 = 1e-6;

fn log_likelihood(x: &DMatrix<f64>, y: &[bool], beta: &DVector<f64>) -> f64 {
    let eta = x * beta;
    eta.iter()
        .zip(y)
        .map(|(&e, &d)| {
            // ln p = −ln(1 + e^{−η}), ln(1 − p) = −ln(1 + e^{η}), computed stably.
            let softplus = |t: f64| {
                if t > 0.0 {
                    t + (-t).exp().ln_1p()
                } else {
                    t.exp().ln_1p()
                }
            };
            if d { -softplus(-e) } else { -softplus(e) }
        })
        .sum()
}

fn max_abs_eta(x: &DMatrix<f64>, beta: &DVector<f64>) -> f64 {
    (x * beta).amax()
}

/// Gradient X'(y − p) and information X'WX at β.
fn score_and_information(
    x: &DMatrix<f64>,
    y: &[bool],
    beta: &DVector<f64>,
) -> (DVector<f64>, DMatrix<f64>) {
    let eta = x * beta;
    let p = eta.map(logistic);
    let resid = DVector::from_iterator(
        y.len(),
        y.iter()
            .zip(p.iter())
            .map(|(&d, &pi)| f64::from(u8::from(d)) - pi),
    );
    let w = p.map(|pi| pi * (1.0 - pi));
    let mut xw = x.clone();
    for (mut row, wi) in xw.row_iter_mut().zip(w.iter()) {
        row *= *wi;
    }
    (x.tr_mul(&resid), x.tr_mul(&xw))
}

/// The reciprocal condition number of a symmetric positive semi-definite matrix.
fn rcond(h: &DMatrix<f64>) -> f64 {
    let eig = h.clone().symmetric_eigenvalues();
    let max = eig.max();
    if max <= 0.0 {
        0.0
    } else {
        eig.min().max(0.0) / max
    }
}

/// Fits a logistic regression of `defaults` on the columns of `x` (include a column of ones
/// for the intercept yourself).
///
/// ```
/// use creditlab_grade::logistic::{IrlsOptions, fit_logistic};
/// use nalgebra::DMatrix;
/// // Intercept only: 100 defaults in 1,000 give the log-odds ln(0.1 / 0.9).
/// let x = DMatrix::from_element(1000, 1, 1.0);
/// let y: Vec<bool> = (0..1000).map(|i| i < 100).collect();
/// let options = IrlsOptions::default();
/// let fit = fit_logistic(&x, &y, &options)?;
/// assert!((fit.coefficients[0] - (0.1f64 / 0.9).ln()).abs() < options.tolerance);
/// // One class only has no maximum-likelihood fit.
/// assert!(fit_logistic(&x, &[false; 1000], &IrlsOptions::default()).is_err());
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
pub fn fit_logistic(
    x: &DMatrix<f64>,
    defaults: &[bool],
    options: &IrlsOptions,
) -> Result<LogisticFit> {
    let (_, k, d) = check_inputs(x, defaults)?;

    let mut beta = DVector::<f64>::zeros(k);
    let mut ll = log_likelihood(x, defaults, &beta);
    let mut last_change = f64::INFINITY;
    for iteration in 1..=options.max_iterations {
        let (score, info) = score_and_information(x, defaults, &beta);
        if rcond(&info) < MIN_RCOND {
            return Err(singular_or_separated(x, &beta, "before a Newton step"));
        }
        let Some(chol) = info.cholesky() else {
            return Err(singular_or_separated(
                x,
                &beta,
                "Cholesky factorization failed",
            ));
        };
        let delta = chol.solve(&score);
        // Step halving: never accept a step that lowers the likelihood.
        let mut step = 1.0;
        let mut candidate = &beta + &delta;
        let mut ll_new = log_likelihood(x, defaults, &candidate);
        while ll_new < ll - LIKELIHOOD_SLACK * ll.abs().max(1.0) && step > MIN_STEP {
            step *= 0.5;
            candidate = &beta + &delta * step;
            ll_new = log_likelihood(x, defaults, &candidate);
        }
        last_change = (&delta * step).amax();
        beta = candidate;
        ll = ll_new;
        if last_change <= options.tolerance * (1.0 + beta.amax()) {
            return finish(x, defaults, beta, ll, iteration, d);
        }
    }
    if max_abs_eta(x, &beta) > SEPARATION_ETA {
        return Err(separation(x, &beta));
    }
    Err(GradeError::NotConverged {
        iterations: options.max_iterations,
        last_change,
    })
}

/// The penalized log-likelihood `l(β) + ½ ln det(X'WX)`, or `None` when the information
/// matrix is not positive definite.
fn firth_objective(x: &DMatrix<f64>, y: &[bool], beta: &DVector<f64>) -> Option<f64> {
    let (_, info) = score_and_information(x, y, beta);
    let chol = info.cholesky()?;
    let log_det = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
    Some(log_likelihood(x, y, beta) + 0.5 * log_det)
}

/// Fits a logistic regression by Firth's penalized likelihood (see the module docs): the
/// same Newton iteration with the score `X'(y − p + h (½ − p))`, step halving on the
/// penalized likelihood, the same stopping rule, and `Cov(β̂) = (X'WX)⁻¹` at the estimate.
/// The estimate exists for separated data; one class only and singular designs are still
/// errors.
///
/// ```
/// use creditlab_grade::logistic::{IrlsOptions, fit_logistic, fit_logistic_firth};
/// use nalgebra::DMatrix;
/// // A group of 50 with no default beside one of 50 with 10: separated on the dummy.
/// let x = DMatrix::from_fn(100, 2, |i, j| if j == 0 || i < 50 { 1.0 } else { 0.0 });
/// let y: Vec<bool> = (0..100).map(|i| (50..60).contains(&i)).collect();
/// assert!(fit_logistic(&x, &y, &IrlsOptions::default()).is_err());
/// let fit = fit_logistic_firth(&x, &y, &IrlsOptions::default())?;
/// // Firth's estimate for the empty group: log odds ln(0.5 / 50.5) against ln(10.5 / 40.5).
/// let want = (0.5f64 / 50.5).ln() - (10.5f64 / 40.5).ln();
/// assert!((fit.coefficients[1] - want).abs() < 1e-8);
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
pub fn fit_logistic_firth(
    x: &DMatrix<f64>,
    defaults: &[bool],
    options: &IrlsOptions,
) -> Result<LogisticFit> {
    let (n, k, d) = check_inputs(x, defaults)?;
    let singular = || {
        GradeError::SingularHessian(format!(
            "X'WX has reciprocal condition number below {MIN_RCOND:e} (Firth fit)"
        ))
    };
    let mut beta = DVector::<f64>::zeros(k);
    let mut objective = firth_objective(x, defaults, &beta).ok_or_else(singular)?;
    let mut last_change = f64::INFINITY;
    for iteration in 1..=options.max_iterations {
        let eta = x * &beta;
        let p = eta.map(logistic);
        let (_, info) = score_and_information(x, defaults, &beta);
        if rcond(&info) < MIN_RCOND {
            return Err(singular());
        }
        let chol = info.cholesky().ok_or_else(singular)?;
        // h_i = w_i x_i' (X'WX)^{-1} x_i.
        let inverse = chol.inverse();
        let modified = DVector::from_iterator(
            n,
            (0..n).map(|i| {
                let xi = x.row(i).transpose();
                let w = p[i] * (1.0 - p[i]);
                let h = w * (xi.transpose() * &inverse * &xi)[(0, 0)];
                f64::from(u8::from(defaults[i])) - p[i] + h * (0.5 - p[i])
            }),
        );
        let delta = chol.solve(&x.tr_mul(&modified));
        let mut step = 1.0;
        let mut candidate = &beta + &delta;
        let mut next = firth_objective(x, defaults, &candidate);
        while next.is_none_or(|o| o < objective - LIKELIHOOD_SLACK * objective.abs().max(1.0))
            && step > MIN_STEP
        {
            step *= 0.5;
            candidate = &beta + &delta * step;
            next = firth_objective(x, defaults, &candidate);
        }
        last_change = (&delta * step).amax();
        beta = candidate;
        objective = next.ok_or_else(singular)?;
        if last_change <= options.tolerance * (1.0 + beta.amax()) {
            let ll = log_likelihood(x, defaults, &beta);
            // Fitted probabilities near 0 or 1 are Firth's finite answer to separation,
            // not a failure.
            return finish_unchecked(x, defaults, beta, ll, iteration, d);
        }
    }
    Err(GradeError::NotConverged {
        iterations: options.max_iterations,
        last_change,
    })
}

fn separation(x: &DMatrix<f64>, beta: &DVector<f64>) -> GradeError {
    let eta = x * beta;
    let extreme = eta.iter().filter(|e| e.abs() > SEPARATION_ETA).count();
    GradeError::Separation(format!(
        "{extreme} of {} fitted probabilities are numerically 0 or 1",
        eta.len()
    ))
}

fn singular_or_separated(x: &DMatrix<f64>, beta: &DVector<f64>, what: &str) -> GradeError {
    if max_abs_eta(x, beta) > SEPARATION_ETA {
        separation(x, beta)
    } else {
        GradeError::SingularHessian(format!(
            "X'WX has reciprocal condition number below {MIN_RCOND:e} ({what})"
        ))
    }
}

fn finish(
    x: &DMatrix<f64>,
    y: &[bool],
    beta: DVector<f64>,
    ll: f64,
    iterations: usize,
    defaults: usize,
) -> Result<LogisticFit> {
    if max_abs_eta(x, &beta) > SEPARATION_ETA {
        return Err(separation(x, &beta));
    }
    finish_unchecked(x, y, beta, ll, iterations, defaults)
}

/// The covariance and the fit at `beta`, without the separation check.
fn finish_unchecked(
    x: &DMatrix<f64>,
    y: &[bool],
    beta: DVector<f64>,
    ll: f64,
    iterations: usize,
    defaults: usize,
) -> Result<LogisticFit> {
    let (_, info) = score_and_information(x, y, &beta);
    if rcond(&info) < MIN_RCOND {
        return Err(singular_or_separated(x, &beta, "at the estimate"));
    }
    let covariance = info
        .cholesky()
        .ok_or_else(|| singular_or_separated(x, &beta, "at the estimate"))?
        .inverse();
    let standard_errors = covariance.diagonal().map(f64::sqrt);
    Ok(LogisticFit {
        coefficients: beta,
        covariance,
        standard_errors,
        log_likelihood: ll,
        iterations,
        n: y.len(),
        defaults,
    })
}

/// The checks both fits make of their input: one flag per row, more rows than columns,
/// finite features, both classes present. Returns `(rows, columns, defaults)`.
fn check_inputs(x: &DMatrix<f64>, defaults: &[bool]) -> Result<(usize, usize, usize)> {
    let (n, k) = x.shape();
    if defaults.len() != n {
        return Err(GradeError::DimensionMismatch(format!(
            "{n} rows of features but {} default flags",
            defaults.len()
        )));
    }
    if k == 0 || n <= k {
        return Err(GradeError::NotEnoughData(format!(
            "{n} observations for {k} coefficients: need more observations than coefficients"
        )));
    }
    if let Some((i, _)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(GradeError::InvalidParameter {
            field: format!("feature matrix row {} column {}", i % n, i / n),
            value: x[i],
            reason: "features must be finite",
        });
    }
    let d = defaults.iter().filter(|&&b| b).count();
    if d == 0 || d == n {
        return Err(GradeError::OneClass { n, defaults: d });
    }
    Ok((n, k, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn simulate(beta: &[f64], n: usize, seed: u64) -> (DMatrix<f64>, Vec<bool>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let k = beta.len();
        let mut x = DMatrix::<f64>::zeros(n, k);
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            x[(i, 0)] = 1.0;
            for j in 1..k {
                x[(i, j)] = StandardNormal.sample(&mut rng);
            }
            let eta: f64 = (0..k).map(|j| x[(i, j)] * beta[j]).sum();
            y.push(rng.random::<f64>() < logistic(eta));
        }
        (x, y)
    }

    /// Standard errors a fitted coefficient may stand from the truth: with a fixed seed and a
    /// handful of coefficients, three (a 0.3% event each) keep the check decisive without
    /// needing the Monte Carlo margin of `prec::MC_SIGMAS`.
    const COEFFICIENT_SIGMAS: f64 = 3.0;

    #[test]
    fn recovers_known_coefficients_within_three_standard_errors() {
        let truth = [-3.0, 0.8, -0.5, 1.2];
        let (x, y) = simulate(&truth, 40_000, 7);
        let fit = fit_logistic(&x, &y, &IrlsOptions::default()).unwrap();
        for (j, &t) in truth.iter().enumerate() {
            let z = (fit.coefficients[j] - t) / fit.standard_errors[j];
            assert!(
                z.abs() < COEFFICIENT_SIGMAS,
                "coefficient {j}: {} ± {}",
                fit.coefficients[j],
                fit.standard_errors[j]
            );
            assert!(fit.standard_errors[j] > 0.0 && fit.standard_errors[j] < 0.1);
        }
        assert!(fit.iterations < 15);
        assert_eq!(fit.n, 40_000);
    }

    #[test]
    fn intercept_only_fit_is_the_log_odds_with_binomial_standard_error() {
        let n = 1000;
        let x = DMatrix::<f64>::from_element(n, 1, 1.0);
        let y: Vec<bool> = (0..n).map(|i| i < 100).collect();
        let fit = fit_logistic(&x, &y, &IrlsOptions::default()).unwrap();
        // To the fit's own stopping tolerance.
        let tol = IrlsOptions::default().tolerance;
        assert!((fit.coefficients[0] - (0.1f64 / 0.9).ln()).abs() < tol);
        // Var(logit p̂) = 1 / (n p (1 − p)).
        let se = (1.0 / (n as f64 * 0.1 * 0.9)).sqrt();
        assert!((fit.standard_errors[0] - se).abs() < tol);
    }

    #[test]
    fn one_class_is_an_error() {
        let x = DMatrix::<f64>::from_element(10, 1, 1.0);
        let e = fit_logistic(&x, &[false; 10], &IrlsOptions::default()).unwrap_err();
        assert!(matches!(e, GradeError::OneClass { n: 10, defaults: 0 }));
        assert!(e.to_string().contains("one class"));
    }

    #[test]
    fn separated_data_is_an_error() {
        let n = 200;
        let x =
            DMatrix::<f64>::from_fn(n, 2, |i, j| if j == 0 { 1.0 } else { i as f64 / n as f64 });
        let y: Vec<bool> = (0..n).map(|i| i >= n / 2).collect();
        let e = fit_logistic(&x, &y, &IrlsOptions::default()).unwrap_err();
        assert!(matches!(e, GradeError::Separation(_)), "{e}");
    }

    #[test]
    fn collinear_columns_are_a_singular_hessian() {
        let (mut x, y) = simulate(&[-1.0, 0.5, 0.5], 500, 3);
        for i in 0..500 {
            x[(i, 2)] = 2.0 * x[(i, 1)];
        }
        let e = fit_logistic(&x, &y, &IrlsOptions::default()).unwrap_err();
        assert!(matches!(e, GradeError::SingularHessian(_)), "{e}");
    }

    #[test]
    fn too_few_iterations_do_not_converge() {
        let (x, y) = simulate(&[-2.0, 1.0], 2000, 5);
        let opts = IrlsOptions {
            max_iterations: 1,
            tolerance: 1e-12,
        };
        let e = fit_logistic(&x, &y, &opts).unwrap_err();
        assert!(
            matches!(e, GradeError::NotConverged { iterations: 1, .. }),
            "{e}"
        );
    }

    #[test]
    fn firth_matches_plain_ml_on_large_samples_and_survives_separation() {
        // With plenty of data the penalty is negligible: within a tenth of a standard error.
        let truth = [-2.0, 0.8, -0.5];
        let (x, y) = simulate(&truth, 20_000, 11);
        let ml = fit_logistic(&x, &y, &IrlsOptions::default()).unwrap();
        let firth = fit_logistic_firth(&x, &y, &IrlsOptions::default()).unwrap();
        const PENALTY_SHARE_OF_SE: f64 = 0.1;
        for j in 0..3 {
            let gap = (ml.coefficients[j] - firth.coefficients[j]).abs();
            assert!(
                gap < PENALTY_SHARE_OF_SE * ml.standard_errors[j],
                "{j}: {gap}"
            );
        }
        // Intercept only: Firth's estimate is the log odds with half a default added to
        // each class, (d + 1/2) / (n - d + 1/2).
        let n = 200;
        let x1 = DMatrix::<f64>::from_element(n, 1, 1.0);
        let y1: Vec<bool> = (0..n).map(|i| i < 3).collect();
        let f1 = fit_logistic_firth(&x1, &y1, &IrlsOptions::default()).unwrap();
        let tol = IrlsOptions::default().tolerance;
        assert!((f1.coefficients[0] - (3.5f64 / 197.5).ln()).abs() < tol * 10.0);
        // Separated data: ML fails, Firth gives a finite estimate.
        let xs =
            DMatrix::<f64>::from_fn(n, 2, |i, j| if j == 0 { 1.0 } else { i as f64 / n as f64 });
        let ys: Vec<bool> = (0..n).map(|i| i >= n / 2).collect();
        assert!(fit_logistic(&xs, &ys, &IrlsOptions::default()).is_err());
        let fs = fit_logistic_firth(&xs, &ys, &IrlsOptions::default()).unwrap();
        assert!(fs.coefficients[1].is_finite() && fs.coefficients[1] > 0.0);
        assert!(matches!(
            fit_logistic_firth(&x1, &[false; 200], &IrlsOptions::default()),
            Err(GradeError::OneClass { .. })
        ));
    }
}
