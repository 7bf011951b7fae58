//! Latent-factor default models (copulas).
//!
//! Obligor `i` defaults when its latent variable `X_i` falls below a threshold `c_i` chosen
//! so that `P(X_i <= c_i) = PD_i`. The latent variables share systematic factors; given the
//! factors, defaults are independent with the conditional default probability `p_i(state)`.
//! Every loss method is built on those two functions: the threshold and the conditional PD.

use crate::error::{Error, Result, check_range};
use crate::special::{norm_cdf, norm_ppf};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// How defaults are correlated.
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

    /// The one-factor asset correlation, `None` for a multi-factor model.
    pub fn rho(&self) -> Option<f64> {
        match *self {
            Copula::Gaussian { rho }
            | Copula::StudentT { rho, .. }
            | Copula::DoubleT { rho, .. } => Some(rho),
            Copula::MultiFactor(_) => None,
        }
    }
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
                if (v - corr[(j, i)]).abs() > 1e-12 {
                    return Err(Error::InvalidCorrelation(format!(
                        "not symmetric: ({i}, {j}) = {v} but ({j}, {i}) = {}",
                        corr[(j, i)]
                    )));
                }
            }
            if (corr[(i, i)] - 1.0).abs() > 1e-12 {
                return Err(Error::InvalidCorrelation(format!(
                    "diagonal entry ({i}, {i}) = {} is not 1",
                    corr[(i, i)]
                )));
            }
        }
        let eig = corr.clone().symmetric_eigen();
        let min = eig.eigenvalues.min();
        if min < -1e-10 {
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
                gaussian_conditional_pd(c, rho, z) * crate::special::norm_pdf(z) * h
            })
            .sum();
        assert_relative_eq!(mean, pd, max_relative = 1e-9);
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
            max_relative = 1e-13
        );
    }

    #[test]
    fn sector_matrix_is_validated() {
        let ok = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
        let m = MultiFactor::from_sectors(&[0.2, 0.3], &ok).unwrap();
        // Asset correlation between sectors 0 and 1: sqrt(0.2 * 0.3) * 0.5.
        let a0 = m.sector_loadings(0).unwrap();
        let a1 = m.sector_loadings(1).unwrap();
        let dot: f64 = a0.iter().zip(a1).map(|(x, y)| x * y).sum();
        assert_relative_eq!(dot, (0.2f64 * 0.3).sqrt() * 0.5, max_relative = 1e-12);
        let self0: f64 = a0.iter().map(|x| x * x).sum();
        assert_relative_eq!(self0, 0.2, max_relative = 1e-12);

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
