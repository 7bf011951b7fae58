//! Latent-factor default models (copulas).
//!
//! Obligor `i` defaults when its latent variable `X_i` falls below a threshold `c_i` chosen
//! so that `P(X_i <= c_i) = PD_i`. The latent variables share systematic factors; given the
//! factors, defaults are independent with the conditional default probability `p_i(state)`.
//! Every loss method is built on those two functions: the threshold and the conditional PD.

use crate::error::{Error, Result, check_range};
use crate::portfolio::Portfolio;
use creditlab_numerics::quadrature::{Rule, adaptive_pair};
use creditlab_numerics::special::{norm_cdf, norm_ppf};
use creditlab_numerics::student::{t_cdf, t_ppf};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

/// Newton on the double-t threshold stops when `|H(c) - pd| <= this * pd`.
const THRESHOLD_RELATIVE_TOLERANCE: f64 = 1e-12;
/// ... or when a step moves `c` by less than this times `1 + |c|`.
const THRESHOLD_STEP_TOLERANCE: f64 = 1e-13;
/// Absolute tolerance of the first, rough quadrature pass of `H` (for its magnitude only).
const CDF_ROUGH_TOLERANCE: f64 = 1e-6;
/// Relative tolerance of the accurate quadrature pass of `H`, floored at [`CDF_FLOOR`].
const CDF_RELATIVE_TOLERANCE: f64 = 1e-12;
/// Smallest absolute tolerance of the accurate pass (so `H ~ 1e-300` is still resolved).
const CDF_FLOOR: f64 = 1e-300;
/// An idiosyncratic variance below this is zero: the latent variable is fully systematic
/// and the conditional PD is an indicator.
pub(crate) const FULLY_SYSTEMATIC: f64 = 1e-14;
/// How far a sector matrix may be from symmetric, or its diagonal from 1 (rounding in a
/// matrix written to a file).
const MATRIX_ROUNDING: f64 = 1e-12;
/// The most negative eigenvalue a sector matrix may have and still count as positive
/// semi-definite (rounding of the eigendecomposition).
const EIGENVALUE_FLOOR: f64 = -1e-10;

/// Nodes of the rules [`Copula::expected_loss`] uses over the t copula's scale and the
/// double-t's market factor.
const EXPECTED_LOSS_NODES: usize = 128;

/// The benchmark book's asset correlation (one sector).
const BENCHMARK_RHO: f64 = 0.2;
/// Sector correlations of the benchmark's sector model: from 0.1, rising by up to 0.2.
const BENCHMARK_SECTOR_RHO: (f64, f64) = (0.1, 0.2);
/// Loadings of the benchmark's sector factors on the common factor: from 0.5, up to 0.4 more.
const BENCHMARK_SECTOR_BETA: (f64, f64) = (0.5, 0.4);

/// How defaults are correlated.
///
/// ```
/// use creditlab_contagion::Copula;
/// let g = Copula::gaussian(0.2)?;
/// // Threshold c with P(X <= c) = PD, and the default probability given the factor z:
/// // a bad state (z = -2) raises a 1% PD several times over.
/// let c = g.threshold(0.01);
/// assert!(g.conditional_pd(c, None, &[-2.0]) > 0.05);
/// // The t copula's state is (z, s): its scale s fattens the joint tail.
/// let t = Copula::student_t(0.2, 5.0)?;
/// assert_eq!((g.state_dim(), t.state_dim()), (1, 2));
/// assert!(Copula::gaussian(1.5).is_err());
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Copula {
    /// One-factor Gaussian (Vasicek): `X = sqrt(rho) Z + sqrt(1 - rho) e`, all standard normal.
    Gaussian {
        /// Asset correlation in [0, 1].
        rho: f64,
    },
    /// One-factor Student-t copula: the Gaussian latent variable divided by a common
    /// `sqrt(W / nu)`, `W ~ chi^2(nu)`; defaults cluster in joint tails.
    StudentT {
        /// Asset correlation in [0, 1].
        rho: f64,
        /// Degrees of freedom, > 0.
        nu: f64,
    },
    /// Double-t (Hull and White, 2004): `X = sqrt(rho) M + sqrt(1 - rho) e` with `M` and `e`
    /// independent Student-t variables scaled to unit variance.
    DoubleT {
        /// Asset correlation in [0, 1].
        rho: f64,
        /// Degrees of freedom of the market factor, > 2.
        nu_m: f64,
        /// Degrees of freedom of the idiosyncratic factor, > 2.
        nu_z: f64,
    },
    /// Multi-factor Gaussian: `X_i = a_i . Z + sqrt(1 - |a_i|^2) e_i`, `Z` standard normal
    /// in `k` dimensions.
    MultiFactor(MultiFactor),
}

impl Copula {
    /// A validated one-factor Gaussian copula.
    pub fn gaussian(rho: f64) -> Result<Self> {
        check_range("rho", rho, 0.0, 1.0)?;
        Ok(Copula::Gaussian { rho })
    }

    /// A validated one-factor Student-t copula.
    pub fn student_t(rho: f64, nu: f64) -> Result<Self> {
        check_range("rho", rho, 0.0, 1.0)?;
        if !(nu.is_finite() && nu > 0.0) {
            return Err(Error::InvalidParameter {
                field: "nu".into(),
                value: nu,
                reason: "degrees of freedom must be finite and > 0",
            });
        }
        Ok(Copula::StudentT { rho, nu })
    }

    /// A validated double-t copula.
    pub fn double_t(rho: f64, nu_m: f64, nu_z: f64) -> Result<Self> {
        check_range("rho", rho, 0.0, 1.0)?;
        for (field, nu) in [("nu_m", nu_m), ("nu_z", nu_z)] {
            if !(nu.is_finite() && nu > 2.0) {
                return Err(Error::InvalidParameter {
                    field: field.into(),
                    value: nu,
                    reason: "degrees of freedom must be > 2 to scale to unit variance",
                });
            }
        }
        Ok(Copula::DoubleT { rho, nu_m, nu_z })
    }

    /// The copula of [`Portfolio::benchmark_book`]: with one sector the one-factor Gaussian
    /// with rho 0.2; with `k > 1` sectors a sector model ([`MultiFactor::from_sectors`])
    /// with distinct loadings: sector `s` has asset correlation
    /// `rho_s = 0.1 + 0.2 s / (k - 1)` (0.1 to 0.3, mean 0.2) and its sector factor loads
    /// `beta_s = 0.5 + 0.4 ((7 s) mod k) / (k - 1)` on a common factor, so the sector
    /// factors correlate by `beta_s beta_t` (a one-factor structure between sectors).
    ///
    /// ```
    /// use creditlab_contagion::Copula;
    /// assert_eq!(Copula::benchmark(1)?, Copula::gaussian(0.2)?);
    /// assert_eq!(Copula::benchmark(10)?.state_dim(), 10);
    /// # Ok::<(), creditlab_contagion::Error>(())
    /// ```
    pub fn benchmark(sectors: usize) -> Result<Self> {
        match sectors {
            0 => Err(Error::InvalidParameter {
                field: "sectors".into(),
                value: 0.0,
                reason: "must be at least 1",
            }),
            1 => Copula::gaussian(BENCHMARK_RHO),
            k => {
                let top = (k - 1) as f64;
                let rho: Vec<f64> = (0..k)
                    .map(|s| BENCHMARK_SECTOR_RHO.0 + BENCHMARK_SECTOR_RHO.1 * s as f64 / top)
                    .collect();
                let beta: Vec<f64> = (0..k)
                    .map(|s| {
                        BENCHMARK_SECTOR_BETA.0
                            + BENCHMARK_SECTOR_BETA.1 * ((7 * s) % k) as f64 / top
                    })
                    .collect();
                let corr =
                    DMatrix::from_fn(k, k, |s, t| if s == t { 1.0 } else { beta[s] * beta[t] });
                Ok(Copula::MultiFactor(MultiFactor::from_sectors(&rho, &corr)?))
            }
        }
    }

    /// The one-factor asset correlation, `None` for a multi-factor model.
    pub fn rho(&self) -> Option<f64> {
        match *self {
            Copula::Gaussian { rho }
            | Copula::StudentT { rho, .. }
            | Copula::DoubleT { rho, .. } => Some(rho),
            Copula::MultiFactor(_) => None,
        }
    }

    /// Dimension of the systematic state one scenario draws, i.e. the length of the `state`
    /// slice [`Copula::conditional_pd`] expects:
    ///
    /// * `Gaussian`: 1, `[z]` with `z ~ N(0, 1)`;
    /// * `StudentT`: 2, `[z, s]` with `z ~ N(0, 1)` and `s = sqrt(W / nu)`, `W ~ chi^2(nu)`
    ///   independent of `z`;
    /// * `DoubleT`: 1, `[m]`, the unit-variance market factor
    ///   `m = T sqrt((nu_m - 2) / nu_m)`, `T ~ t(nu_m)`;
    /// * `MultiFactor`: `k`, `[z_1, ..., z_k]` iid `N(0, 1)`.
    pub fn state_dim(&self) -> usize {
        match self {
            Copula::Gaussian { .. } | Copula::DoubleT { .. } => 1,
            Copula::StudentT { .. } => 2,
            Copula::MultiFactor(m) => m.n_factors(),
        }
    }

    /// Latent default threshold `c` with `P(X <= c) = pd`: the obligor defaults iff its
    /// latent variable is at or below `c`.
    ///
    /// Gaussian and multi-factor: `Phi^-1(pd)`. Student-t: `t_nu^-1(pd)` (the latent
    /// variable `X = (sqrt(rho) Z + sqrt(1 - rho) e) / s` is exactly `t_nu`). Double-t: the
    /// numerical inverse of `H(x) = P(sqrt(rho) M + sqrt(1 - rho) e <= x)`, the CDF of a sum
    /// of two scaled unit-variance t variables, which has no closed form (Hull and White,
    /// 2004): `H` is computed by adaptive quadrature over `M` ([`double_t_cdf_pdf`]) and
    /// inverted by safeguarded Newton to ~1e-13. For many exposures call
    /// [`Copula::thresholds`], which solves once per distinct PD.
    ///
    /// `-inf` at PD 0 and `+inf` at PD 1 (which [`Copula::conditional_pd`] turns into
    /// exactly 0 and 1).
    pub fn threshold(&self, pd: f64) -> f64 {
        if pd <= 0.0 {
            return f64::NEG_INFINITY;
        }
        if pd >= 1.0 {
            return f64::INFINITY;
        }
        match *self {
            Copula::Gaussian { .. } | Copula::MultiFactor(_) => gaussian_threshold(pd),
            Copula::StudentT { nu, .. } => t_ppf(pd, nu),
            Copula::DoubleT { rho, nu_m, nu_z } => double_t_threshold(pd, rho, nu_m, nu_z),
        }
    }

    /// [`Copula::threshold`] for many PDs, solving once per distinct value (the double-t
    /// inversion costs a few milliseconds; portfolios have few distinct PDs).
    pub fn thresholds(&self, pds: &[f64]) -> Vec<f64> {
        let mut cache: std::collections::HashMap<u64, f64> = std::collections::HashMap::new();
        pds.iter()
            .map(|&pd| {
                *cache
                    .entry(pd.to_bits())
                    .or_insert_with(|| self.threshold(pd))
            })
            .collect()
    }

    /// Conditional default probability of an obligor with threshold `c` (from
    /// [`Copula::threshold`]) given the systematic `state` (layout in
    /// [`Copula::state_dim`]); `loadings` are used by the multi-factor model only (see
    /// [`obligor_loadings`]).
    ///
    /// * Gaussian: `Phi((c - sqrt(rho) z) / sqrt(1 - rho))`.
    /// * Student-t: `X = (sqrt(rho) Z + sqrt(1 - rho) e) / s`, default iff `X <= c`, so
    ///   `p(z, s) = Phi((c s - sqrt(rho) z) / sqrt(1 - rho))`.
    /// * Double-t: `p(m) = F_e((c - sqrt(rho) m) / sqrt(1 - rho))`, `F_e` the CDF of a
    ///   unit-variance `t(nu_z)`.
    /// * Multi-factor: `p(z) = Phi((c - a . z) / sqrt(1 - |a|^2))`.
    ///
    /// Exactly 0 at `c = -inf` and 1 at `c = +inf`; `rho = 1` (or `|a| = 1`) gives the
    /// indicator of the latent variable being below `c`, `rho = 0` gives the unconditional
    /// PD (for the t copula, the PD given `s`: its defaults stay dependent through `s`).
    ///
    /// # Panics
    /// For a multi-factor copula without loadings or with loadings shorter than the state
    /// (check the pair once with [`Copula::check_portfolio`]).
    #[inline]
    pub fn conditional_pd(&self, c: f64, loadings: Option<&[f64]>, state: &[f64]) -> f64 {
        if c == f64::NEG_INFINITY {
            return 0.0;
        }
        if c == f64::INFINITY {
            return 1.0;
        }
        match *self {
            Copula::Gaussian { rho } => gaussian_conditional_pd(c, rho, state[0]),
            Copula::StudentT { rho, .. } => gaussian_conditional_pd(c * state[1], rho, state[0]),
            Copula::DoubleT { rho, nu_z, .. } => {
                if rho >= 1.0 {
                    return if state[0] <= c { 1.0 } else { 0.0 };
                }
                let y = (c - rho.sqrt() * state[0]) / (1.0 - rho).sqrt();
                unit_t_cdf(y, nu_z)
            }
            Copula::MultiFactor(_) => {
                let a = loadings.expect("a multi-factor copula needs the obligor's loadings");
                let (mut dot, mut ss) = (0.0, 0.0);
                for (&ai, &zi) in a.iter().zip(&state[..a.len()]) {
                    dot += ai * zi;
                    ss += ai * ai;
                }
                let idio = 1.0 - ss;
                if idio <= FULLY_SYSTEMATIC {
                    return if dot <= c { 1.0 } else { 0.0 };
                }
                norm_cdf((c - dot) / idio.sqrt())
            }
        }
    }

    /// `E[L]` under this copula, as a fraction of total exposure:
    /// `sum_i EAD_i E[1{default_i} LGD_i] / sum EAD`. Equal to
    /// [`Portfolio::expected_loss`] unless an LGD moves with the factor (a collateral LGD
    /// with a loading), when defaults in bad states meet low recoveries: closed form with the
    /// bivariate normal for the Gaussian and multi-factor models
    /// ([`Collateral::default_weighted_mean`](crate::Collateral::default_weighted_mean)), a
    /// 128-node rule over the t copula's scale or the double-t's market factor otherwise.
    ///
    /// # Panics
    /// For a multi-factor copula the portfolio does not fit ([`Copula::check_portfolio`]).
    pub fn expected_loss(&self, portfolio: &Portfolio) -> f64 {
        let thresholds = self.thresholds(portfolio.pd());
        let mut el = 0.0;
        for (i, &c) in thresholds.iter().enumerate() {
            let ead = portfolio.ead()[i];
            let lgd = portfolio.lgd()[i];
            let crate::Lgd::Collateral(law) = lgd else {
                el += ead * portfolio.pd()[i] * lgd.mean();
                continue;
            };
            let weighted = match *self {
                Copula::Gaussian { rho } => law.default_weighted_mean(c, rho.sqrt()),
                Copula::MultiFactor(_) => {
                    let a = obligor_loadings(self, portfolio, i)
                        .expect("a multi-factor copula needs the obligor's loadings");
                    law.default_weighted_mean(c, a[0])
                }
                Copula::StudentT { rho, nu } => {
                    // Default iff sqrt(rho) z + sqrt(1 - rho) e <= c s: Gaussian given s.
                    let rule = Rule::chi_scale(EXPECTED_LOSS_NODES, nu)
                        .expect("a valid t copula has a chi-scale rule");
                    rule.integrate(|s| law.default_weighted_mean(c * s, rho.sqrt()))
                }
                Copula::DoubleT { nu_m, .. } => {
                    let rule =
                        Rule::student_t(EXPECTED_LOSS_NODES, nu_m, unit_variance_scale(nu_m))
                            .expect("a valid double-t copula has a market-factor rule");
                    rule.integrate(|m| self.conditional_pd(c, None, &[m]) * law.conditional_mean(m))
                }
            };
            el += ead * weighted;
        }
        el / portfolio.total_ead()
    }

    /// Checks that this copula can be applied to `portfolio`: a multi-factor model needs
    /// every exposure's loadings (explicit ones of the right length, or a known sector).
    pub fn check_portfolio(&self, portfolio: &Portfolio) -> Result<()> {
        let Copula::MultiFactor(m) = self else {
            return Ok(());
        };
        if m.is_explicit() {
            if portfolio.n_factors() != m.n_factors() {
                return Err(Error::InvalidPortfolio(format!(
                    "the multi-factor model has {} factors but the exposures carry {} loadings",
                    m.n_factors(),
                    portfolio.n_factors()
                )));
            }
        } else if let Some((i, &s)) = portfolio
            .sector()
            .iter()
            .enumerate()
            .find(|&(_, &s)| m.sector_loadings(s).is_none())
        {
            return Err(Error::InvalidPortfolio(format!(
                "exposure {i}: sector {s} is not in the {}-sector correlation matrix",
                m.n_factors()
            )));
        }
        Ok(())
    }
}

/// The loadings of exposure `i` under `copula`: for a multi-factor model the portfolio's
/// explicit loadings or those of the exposure's sector; `None` for one-factor models (and
/// for a multi-factor model that has none for `i` — see [`Copula::check_portfolio`]).
pub fn obligor_loadings<'a>(
    copula: &'a Copula,
    portfolio: &'a Portfolio,
    i: usize,
) -> Option<&'a [f64]> {
    match copula {
        Copula::MultiFactor(m) => {
            if m.is_explicit() {
                portfolio.loadings(i)
            } else {
                m.sector_loadings(portfolio.sector()[i])
            }
        }
        _ => None,
    }
}

/// Scale turning a standard `t(nu)` into unit variance: `sqrt((nu - 2) / nu)`.
#[inline]
pub fn unit_variance_scale(nu: f64) -> f64 {
    ((nu - 2.0) / nu).sqrt()
}

/// CDF of a unit-variance Student-t with `nu > 2` degrees of freedom.
#[inline]
pub fn unit_t_cdf(y: f64, nu: f64) -> f64 {
    t_cdf(y / unit_variance_scale(nu), nu)
}

/// CDF `H(x)` of `sqrt(rho) M + sqrt(1 - rho) e` and its density: adaptive Gauss-Legendre
/// over `theta = atan(T)`, `M = T sqrt((nu_m - 2) / nu_m)`, `T ~ t(nu_m)`, where the density
/// `f_T(tan theta) sec^2 theta` is bounded. Relative accuracy ~1e-13 down to `H ~ 1e-300`.
pub fn double_t_cdf_pdf(x: f64, rho: f64, nu_m: f64, nu_z: f64) -> (f64, f64) {
    let (sr, sq) = (rho.sqrt(), (1.0 - rho).sqrt());
    let scale = unit_variance_scale(nu_m);
    let ln_c = ln_gamma(0.5 * (nu_m + 1.0))
        - ln_gamma(0.5 * nu_m)
        - 0.5 * (nu_m * std::f64::consts::PI).ln();
    let (sz, ln_cz) = (
        unit_variance_scale(nu_z),
        ln_gamma(0.5 * (nu_z + 1.0))
            - ln_gamma(0.5 * nu_z)
            - 0.5 * (nu_z * std::f64::consts::PI).ln(),
    );
    let f = |theta: f64| {
        let t = theta.tan();
        let w = (ln_c - 0.5 * (nu_m + 1.0) * (t * t / nu_m).ln_1p() - 2.0 * theta.cos().ln()).exp();
        let y = (x - sr * scale * t) / sq / sz;
        let dens = (ln_cz - 0.5 * (nu_z + 1.0) * (y * y / nu_z).ln_1p()).exp() / (sq * sz);
        (w * t_cdf(y, nu_z), w * dens)
    };
    let half_pi = std::f64::consts::FRAC_PI_2;
    // First pass for the magnitude, then the accurate pass with a relative tolerance.
    let (rough, _) = adaptive_pair(&f, -half_pi, half_pi, CDF_ROUGH_TOLERANCE);
    let tol = (CDF_RELATIVE_TOLERANCE * rough.abs()).max(CDF_FLOOR);
    adaptive_pair(&f, -half_pi, half_pi, tol)
}

/// Double-t threshold: solves `H(c) = pd` by Newton steps kept inside a bisection bracket.
fn double_t_threshold(pd: f64, rho: f64, nu_m: f64, nu_z: f64) -> f64 {
    if rho <= 0.0 {
        return unit_variance_scale(nu_z) * t_ppf(pd, nu_z);
    }
    if rho >= 1.0 {
        return unit_variance_scale(nu_m) * t_ppf(pd, nu_m);
    }
    // Start from the unit-variance t quantile with the smaller nu (the heavier tail).
    let nu = nu_m.min(nu_z);
    let mut x = unit_variance_scale(nu) * t_ppf(pd, nu);
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    for _ in 0..200 {
        let (f, d) = double_t_cdf_pdf(x, rho, nu_m, nu_z);
        if (f - pd).abs() <= THRESHOLD_RELATIVE_TOLERANCE * pd {
            return x;
        }
        if f < pd {
            lo = x;
        } else {
            hi = x;
        }
        let mut next = x - (f - pd) / d;
        if !(next.is_finite() && next >= lo && next <= hi) {
            next = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => 0.5 * (lo + hi),
                (true, false) => lo + 2.0 * (1.0 + lo.abs()),
                (false, true) => hi - 2.0 * (1.0 + hi.abs()),
                (false, false) => 0.0,
            };
        }
        if (next - x).abs() <= THRESHOLD_STEP_TOLERANCE * (1.0 + x.abs()) {
            return next;
        }
        x = next;
    }
    x
}

/// Gaussian conditional default probability given the factor value `z`:
/// `Phi((c - sqrt(rho) z) / sqrt(1 - rho))` with threshold `c = Phi^-1(pd)`.
///
/// Exact at the edges: rho = 1 gives an indicator, rho = 0 the unconditional PD.
#[inline]
pub fn gaussian_conditional_pd(c: f64, rho: f64, z: f64) -> f64 {
    if rho >= 1.0 {
        return if z <= c { 1.0 } else { 0.0 };
    }
    norm_cdf((c - rho.sqrt() * z) / (1.0 - rho).sqrt())
}

/// Gaussian default threshold `Phi^-1(pd)` (infinite at PD 0 and 1, which the conditional
/// PD turns into exactly 0 and 1).
#[inline]
pub fn gaussian_threshold(pd: f64) -> f64 {
    norm_ppf(pd)
}

/// A multi-factor Gaussian model: per sector, loadings on `k` independent factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiFactor {
    n_factors: usize,
    /// Loadings per sector; empty when exposures carry their own loadings.
    sector_loadings: Vec<Vec<f64>>,
}

impl MultiFactor {
    /// Sector model: `X_i = sqrt(rho_s) Y_s + sqrt(1 - rho_s) e_i` for obligor `i` in sector
    /// `s`, where the sector factors `Y ~ N(0, corr)`. So two obligors in sectors `s` and
    /// `t` have asset correlation `sqrt(rho_s rho_t) corr[s, t]`.
    ///
    /// `corr` must be a symmetric positive semi-definite correlation matrix; the error names
    /// the problem (asymmetric entry, diagonal not 1, entry outside [-1, 1], negative
    /// eigenvalue).
    pub fn from_sectors(rho: &[f64], corr: &DMatrix<f64>) -> Result<Self> {
        let k = corr.nrows();
        if corr.ncols() != k || k == 0 {
            return Err(Error::InvalidCorrelation(format!(
                "must be square and non-empty, got {}x{}",
                corr.nrows(),
                corr.ncols()
            )));
        }
        if rho.len() != k {
            return Err(Error::InvalidCorrelation(format!(
                "{k} sectors in the matrix but {} sector correlations",
                rho.len()
            )));
        }
        for (s, &r) in rho.iter().enumerate() {
            check_range(format!("rho of sector {s}"), r, 0.0, 1.0)?;
        }
        for i in 0..k {
            for j in 0..k {
                let v = corr[(i, j)];
                if !v.is_finite() || !(-1.0..=1.0).contains(&v) {
                    return Err(Error::InvalidCorrelation(format!(
                        "entry ({i}, {j}) = {v} is outside [-1, 1]"
                    )));
                }
                if (v - corr[(j, i)]).abs() > MATRIX_ROUNDING {
                    return Err(Error::InvalidCorrelation(format!(
                        "not symmetric: ({i}, {j}) = {v} but ({j}, {i}) = {}",
                        corr[(j, i)]
                    )));
                }
            }
            if (corr[(i, i)] - 1.0).abs() > MATRIX_ROUNDING {
                return Err(Error::InvalidCorrelation(format!(
                    "diagonal entry ({i}, {i}) = {} is not 1",
                    corr[(i, i)]
                )));
            }
        }
        let eig = corr.clone().symmetric_eigen();
        let min = eig.eigenvalues.min();
        if min < EIGENVALUE_FLOOR {
            return Err(Error::InvalidCorrelation(format!(
                "not positive semi-definite: smallest eigenvalue {min:.6e}"
            )));
        }
        // corr = V diag(lambda) V^T = A A^T with A = V diag(sqrt(lambda)); rows of A are the
        // sector factors' loadings on independent normals. Works for singular matrices too.
        let sector_loadings = (0..k)
            .map(|s| {
                (0..k)
                    .map(|f| {
                        rho[s].sqrt()
                            * eig.eigenvectors[(s, f)]
                            * eig.eigenvalues[f].max(0.0).sqrt()
                    })
                    .collect()
            })
            .collect();
        Ok(Self {
            n_factors: k,
            sector_loadings,
        })
    }

    /// A model whose exposures carry explicit loadings on `n_factors` independent factors
    /// (see [`crate::Exposure::loadings`]).
    pub fn explicit(n_factors: usize) -> Self {
        Self {
            n_factors,
            sector_loadings: Vec::new(),
        }
    }

    /// Number of independent systematic factors.
    pub fn n_factors(&self) -> usize {
        self.n_factors
    }

    /// Loadings of sector `s`, or `None` when exposures carry their own (or `s` is unknown).
    pub fn sector_loadings(&self, s: usize) -> Option<&[f64]> {
        self.sector_loadings.get(s).map(Vec::as_slice)
    }

    /// Whether exposures must carry their own loadings.
    pub fn is_explicit(&self) -> bool {
        self.sector_loadings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use creditlab_numerics::prec;

    /// Relative accuracy of the t copula's 64-node chi-scale rule (times 64-node
    /// Gauss-Hermite) in integrating the conditional PD back to the PD, PD 1e-4 to 0.6: the
    /// heavy scale tail at nu = 4 limits it (observed 2.1e-7 at PD 1e-4).
    const CHI_SCALE_RULE_64: f64 = 1e-6;
    /// The same for an independent 512-node Student-t rule over the double-t's market
    /// factor (observed 6.5e-9 at PD 1e-4, nu_m = 4).
    const STUDENT_RULE_512: f64 = 1e-7;
    /// Distance of the t copula's threshold at nu = 1e6 from the Gaussian one: O(1/nu)
    /// times the tail's growth (observed 3.7e-6 at PD 1%).
    const T_NU_1E6_THRESHOLD: f64 = 1e-4;
    /// Relative distance of its conditional PDs from the Gaussian ones (observed 1.2e-5).
    const T_NU_1E6_PD: f64 = 1e-4;
    /// Distance of the double-t's threshold at nu_m = nu_z = 1e4 from the Gaussian one:
    /// O(1/nu) through two unit-variance t terms (observed 9.5e-5).
    const DOUBLE_T_NU_1E4_THRESHOLD: f64 = 2e-3;
    /// Relative distance of its conditional PDs from the Gaussian ones (observed 4.8e-4).
    const DOUBLE_T_NU_1E4_PD: f64 = 1e-2;
    /// Below this PD the conditional-PD distances are absolute.
    const PD_FLOOR: f64 = 1e-3;

    #[test]
    fn conditional_pd_integrates_to_pd() {
        // E[p(Z)] = PD: midpoint rule on a fine grid of the normal density.
        let (pd, rho) = (0.02, 0.3);
        let c = gaussian_threshold(pd);
        let n = 20_000;
        let (lo, hi) = (-9.0, 9.0);
        let h = (hi - lo) / n as f64;
        let mean: f64 = (0..n)
            .map(|k| {
                let z = lo + (k as f64 + 0.5) * h;
                gaussian_conditional_pd(c, rho, z) * creditlab_numerics::special::norm_pdf(z) * h
            })
            .sum();
        assert_relative_eq!(mean, pd, max_relative = prec::QUADRATURE);
    }

    #[test]
    fn edges_are_exact() {
        assert_eq!(
            gaussian_conditional_pd(gaussian_threshold(0.0), 0.3, 1.0),
            0.0
        );
        assert_eq!(
            gaussian_conditional_pd(gaussian_threshold(1.0), 0.3, 1.0),
            1.0
        );
        assert_eq!(gaussian_conditional_pd(0.0, 1.0, 0.5), 0.0);
        assert_eq!(gaussian_conditional_pd(0.0, 1.0, -0.5), 1.0);
        assert_relative_eq!(
            gaussian_conditional_pd(gaussian_threshold(0.05), 0.0, 3.0),
            0.05,
            max_relative = prec::SPECIAL
        );
    }

    /// E[p(state)] over (z, s) for the t copula: Gauss-Hermite in z times the chi-scale
    /// rule in s.
    fn t_mean_conditional_pd(cop: &Copula, c: f64, nu: f64) -> f64 {
        let gh = Rule::gauss_hermite(64).unwrap();
        let sr = Rule::chi_scale(64, nu).unwrap();
        sr.integrate(|s| gh.integrate(|z| cop.conditional_pd(c, None, &[z, s])))
    }

    #[test]
    fn thresholds_round_trip_and_integrate_back() {
        let pds = [1e-8, 1e-4, 0.003, 0.02, 0.2, 0.6];
        // Gaussian: Phi(c) = pd, and E[p(Z)] = pd by Gauss-Hermite.
        let g = Copula::gaussian(0.25).unwrap();
        let gh = Rule::gauss_hermite(64).unwrap();
        for &pd in &pds {
            let c = g.threshold(pd);
            assert_relative_eq!(norm_cdf(c), pd, max_relative = prec::SPECIAL);
            let m = gh.integrate(|z| g.conditional_pd(c, None, &[z]));
            assert_relative_eq!(m, pd, max_relative = prec::QUADRATURE);
        }
        // Student-t: t_nu(c) = pd, and E over (z, s) of p(z, s) = pd.
        for nu in [4.0, 10.0] {
            let t = Copula::student_t(0.3, nu).unwrap();
            for &pd in &pds[1..] {
                let c = t.threshold(pd);
                assert_relative_eq!(t_cdf(c, nu), pd, max_relative = prec::STATRS);
                assert_relative_eq!(
                    t_mean_conditional_pd(&t, c, nu),
                    pd,
                    max_relative = CHI_SCALE_RULE_64
                );
            }
        }
        // Double-t: H(c) = pd with the threshold's own rule, and with an independent
        // 512-node rule the quadrature error is small.
        for (rho, nu_m, nu_z) in [(0.3, 4.0, 4.0), (0.5, 3.5, 10.0), (0.05, 8.0, 3.0)] {
            let d = Copula::double_t(rho, nu_m, nu_z).unwrap();
            let fine = Rule::student_t(512, nu_m, unit_variance_scale(nu_m)).unwrap();
            for &pd in &pds[1..] {
                let c = d.threshold(pd);
                assert_relative_eq!(
                    double_t_cdf_pdf(c, rho, nu_m, nu_z).0,
                    pd,
                    max_relative = THRESHOLD_RELATIVE_TOLERANCE
                );
                let m = fine.integrate(|m| d.conditional_pd(c, None, &[m]));
                assert_relative_eq!(m, pd, max_relative = STUDENT_RULE_512);
            }
        }
        // Edges: rho 0 and 1 of the double-t are plain (scaled) t quantiles.
        let d0 = Copula::double_t(0.0, 4.0, 6.0).unwrap();
        assert_relative_eq!(
            d0.threshold(0.01),
            unit_variance_scale(6.0) * t_ppf(0.01, 6.0),
            max_relative = prec::SPECIAL
        );
        let d1 = Copula::double_t(1.0, 4.0, 6.0).unwrap();
        let c1 = d1.threshold(0.01);
        assert_relative_eq!(
            c1,
            unit_variance_scale(4.0) * t_ppf(0.01, 4.0),
            max_relative = prec::SPECIAL
        );
        assert_eq!(d1.conditional_pd(c1, None, &[c1 - 1e-9]), 1.0);
        assert_eq!(d1.conditional_pd(c1, None, &[c1 + 1e-9]), 0.0);
        assert_relative_eq!(
            d0.conditional_pd(d0.threshold(0.01), None, &[3.0]),
            0.01,
            max_relative = prec::STATRS
        );
        for cop in [&g, &d0, &d1, &Copula::student_t(0.3, 5.0).unwrap()] {
            assert_eq!(cop.threshold(0.0), f64::NEG_INFINITY);
            assert_eq!(cop.threshold(1.0), f64::INFINITY);
            let st = vec![0.3; cop.state_dim()];
            assert_eq!(cop.conditional_pd(cop.threshold(0.0), None, &st), 0.0);
            assert_eq!(cop.conditional_pd(cop.threshold(1.0), None, &st), 1.0);
        }
    }

    #[test]
    fn heavy_tailed_models_approach_the_gaussian_for_large_nu() {
        let (pd, rho) = (0.01, 0.2);
        let g = Copula::gaussian(rho).unwrap();
        let cg = g.threshold(pd);
        let t = Copula::student_t(rho, 1e6).unwrap();
        // nu = 1e4 for the double-t: differences from the Gaussian are O(1/nu).
        let d = Copula::double_t(rho, 1e4, 1e4).unwrap();
        let (ct, cd) = (t.threshold(pd), d.threshold(pd));
        assert!((ct - cg).abs() < T_NU_1E6_THRESHOLD);
        assert!((cd - cg).abs() < DOUBLE_T_NU_1E4_THRESHOLD, "{cd} vs {cg}");
        for z in [-3.0, -1.0, 0.0, 2.0] {
            let pg = g.conditional_pd(cg, None, &[z]);
            let pt = t.conditional_pd(ct, None, &[z, 1.0]);
            let pdt = d.conditional_pd(cd, None, &[z]);
            assert!(
                (pt - pg).abs() < T_NU_1E6_PD * pg.max(PD_FLOOR),
                "t: {pt} vs {pg}"
            );
            assert!(
                (pdt - pg).abs() < DOUBLE_T_NU_1E4_PD * pg.max(PD_FLOOR),
                "double t: {pdt} vs {pg}"
            );
        }
    }

    #[test]
    fn multi_factor_conditional_pd_and_loadings() {
        let corr = DMatrix::from_row_slice(2, 2, &[1.0, 0.3, 0.3, 1.0]);
        let m = MultiFactor::from_sectors(&[0.2, 0.4], &corr).unwrap();
        let cop = Copula::MultiFactor(m);
        assert_eq!(cop.state_dim(), 2);
        let mut e =
            crate::portfolio::Exposure::new(1.0, 0.01, crate::portfolio::Lgd::Constant(0.5));
        e.sector = 1;
        let p = Portfolio::new([e.clone()]).unwrap();
        cop.check_portfolio(&p).unwrap();
        let a = obligor_loadings(&cop, &p, 0).unwrap();
        let c = cop.threshold(0.01);
        // With a one-dimensional view: a . z = sqrt(0.4) y for y the sector factor; the
        // tensor Gauss-Hermite mean is the PD.
        let gh = Rule::gauss_hermite(32).unwrap();
        let mean = gh.integrate(|z1| gh.integrate(|z2| cop.conditional_pd(c, Some(a), &[z1, z2])));
        assert_relative_eq!(mean, 0.01, max_relative = prec::QUADRATURE);
        e.sector = 2;
        assert!(cop.check_portfolio(&Portfolio::new([e]).unwrap()).is_err());
        assert!(obligor_loadings(&Copula::gaussian(0.1).unwrap(), &p, 0).is_none());
    }

    #[test]
    fn sector_matrix_is_validated() {
        let ok = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
        let m = MultiFactor::from_sectors(&[0.2, 0.3], &ok).unwrap();
        // Asset correlation between sectors 0 and 1: sqrt(0.2 * 0.3) * 0.5.
        let a0 = m.sector_loadings(0).unwrap();
        let a1 = m.sector_loadings(1).unwrap();
        let dot: f64 = a0.iter().zip(a1).map(|(x, y)| x * y).sum();
        assert_relative_eq!(
            dot,
            (0.2f64 * 0.3).sqrt() * 0.5,
            max_relative = prec::COMPOSED
        );
        let self0: f64 = a0.iter().map(|x| x * x).sum();
        assert_relative_eq!(self0, 0.2, max_relative = prec::COMPOSED);

        let asym = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.4, 1.0]);
        let e = MultiFactor::from_sectors(&[0.2, 0.3], &asym).unwrap_err();
        assert!(e.to_string().contains("not symmetric"), "{e}");
        let not_psd =
            DMatrix::from_row_slice(3, 3, &[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0]);
        let e = MultiFactor::from_sectors(&[0.2; 3], &not_psd).unwrap_err();
        assert!(e.to_string().contains("positive semi-definite"), "{e}");
        let diag = DMatrix::from_row_slice(2, 2, &[0.9, 0.0, 0.0, 1.0]);
        assert!(MultiFactor::from_sectors(&[0.2; 2], &diag).is_err());
        // Singular but valid: perfectly correlated sectors.
        let singular = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0]);
        assert!(MultiFactor::from_sectors(&[0.2; 2], &singular).is_ok());
    }
}
