//! The standard normal distribution function and its inverse, shared by IRB, LGD and the
//! PD posterior.

use statrs::distribution::{ContinuousCDF, Normal};

/// N(x), the standard normal distribution function.
pub(crate) fn cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// G(p) = N⁻¹(p), the standard normal quantile; `p` must be in (0, 1).
pub(crate) fn quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// The standard normal density.
pub(crate) fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The logistic function 1 / (1 + e^{-x}), written to stay exact in both tails.
pub(crate) fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The logit ln(p / (1 - p)).
pub(crate) fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}
