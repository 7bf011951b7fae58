//! The tolerance policy: every test that compares a number with a reference uses one of
//! these names, so the reason for a tolerance is written once, here, and a reader can tell
//! a rounding difference from a model difference (statrs keeps its policy the same way, in
//! `prec.rs`).
//!
//! Tolerances are absolute on numbers of order one unless the test says `relative`; a test
//! on a large amount scales the tolerance by it (`prec::ACCUMULATED * total`). Moving a test
//! onto this policy may keep or tighten its tolerance, never loosen it.
//!
//! ```
//! use creditlab_numerics::{prec, special::norm_cdf};
//! assert!((norm_cdf(0.0) - 0.5).abs() <= prec::IDENTITY);
//! assert!(prec::within_sigmas(0.0103, 0.01, 0.0001, prec::MC_SIGMAS));
//! ```

/// One or two roundings of numbers of order one: an arithmetic identity (a sum regrouped, a
/// formula rearranged), a value that must come back exactly up to the last bits.
pub const IDENTITY: f64 = 1e-15;

/// The special functions of this crate (normal CDF and quantile, Student-t, Genz's
/// bivariate normal) at their documented accuracy, about 1e-15 relative, composed once or
/// twice.
pub const SPECIAL: f64 = 1e-14;

/// A closed form through several special functions, divisions and differences of nearly
/// equal terms (a tranche expected loss from two bivariate normals, a quantile inverted and
/// mapped back).
pub const COMPOSED: f64 = 1e-13;

/// Sums, recursions and convolutions over thousands of terms of order one (a loss
/// distribution's moments, a cash-flow schedule, a balance sheet after many steps):
/// rounding grows with the number of terms.
pub const ACCUMULATED: f64 = 1e-12;

/// Results that rest on statrs' special functions (its `erfc`, the regularized beta and
/// gamma functions), accurate to about 1e-11 relative.
pub const STATRS: f64 = 1e-11;

/// Gauss quadrature of smooth integrands at the node counts the models use, against a
/// closed form (moments of a rule, a factor integral with a known value).
pub const QUADRATURE: f64 = 1e-10;

/// Iterative methods stopped at their own tolerance: Newton and Halley steps, bisection,
/// fixed points (clearing), IRLS fits, adaptive quadrature refined to about 1e-10.
pub const CONVERGED: f64 = 1e-9;

/// Root finders and fits stopped at a looser tolerance, and quantities derived from them
/// (a fair spread solved to 1e-8, a calibrated parameter).
pub const LOOSE_ROOT: f64 = 1e-8;

/// Finite differences (a slope measured over a step of 1e-6) and coarse quadrature of a
/// kinked integrand.
pub const FINITE_DIFFERENCE: f64 = 1e-6;

/// Money in currency units, to the cent: the rounding a cash-flow report makes.
pub const CENT: f64 = 0.005;

/// Money in currency units, to the dollar: a published table printed without cents.
pub const DOLLAR: f64 = 0.5;

/// Standard errors a Monte Carlo estimate may stand from the exact value. With fixed seeds
/// a test either always passes or always fails; four standard errors make a false failure
/// of a correct method a 6e-5 event per comparison, so a suite of a few hundred such
/// comparisons is decisive.
pub const MC_SIGMAS: f64 = 4.0;

/// Half a unit in the last printed digit of a published table given to `decimals`
/// decimals: the tolerance for reproducing it (`printed(2)` is 0.005).
pub fn printed(decimals: i32) -> f64 {
    0.5 * 10f64.powi(-decimals)
}

/// `|a - b| <= tol * max(|a|, |b|, floor)`: relative comparison that stays absolute near
/// zero (below `floor`).
pub fn relative_close(a: f64, b: f64, tol: f64, floor: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(floor)
}

/// Whether `estimate` lies within `sigmas` standard errors `se` of `exact`. A zero standard
/// error demands equality.
pub fn within_sigmas(estimate: f64, exact: f64, se: f64, sigmas: f64) -> bool {
    (estimate - exact).abs() <= sigmas * se
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tiers_tighten_in_order() {
        let tiers = [
            IDENTITY,
            SPECIAL,
            COMPOSED,
            ACCUMULATED,
            STATRS,
            QUADRATURE,
            CONVERGED,
            LOOSE_ROOT,
            FINITE_DIFFERENCE,
        ];
        assert!(tiers.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(printed(2), 0.005);
        assert!(relative_close(1e6, 1e6 + 1e-7, IDENTITY * 1000.0, 1.0));
        assert!(!relative_close(1.0, 1.1, CONVERGED, 1.0));
        assert!(within_sigmas(1.0, 1.0, 0.0, MC_SIGMAS));
        assert!(!within_sigmas(1.1, 1.0, 0.01, MC_SIGMAS));
    }
}
