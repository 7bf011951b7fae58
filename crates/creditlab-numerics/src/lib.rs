//! The ground floor of creditlab: the numerical functions every model uses, written once.
//!
//! - [`special`]: the standard normal CDF, survival function, density and quantile, accurate
//!   to about 1e-15 relative (Cody; Acklam with a Halley step), and the logistic function;
//! - [`student`]: the Student-t CDF, density and quantile;
//! - [`bivariate`]: the bivariate normal CDF (Genz's refinement of Drezner-Wesolowsky);
//! - [`quadrature`]: Gauss rules for probability measures (Hermite, Legendre, Laguerre,
//!   Student-t, chi scale) by Golub-Welsch with polished nodes, and adaptive 8/16-point Gauss-Legendre;
//! - [`rng`]: counter-based random streams, a pure function of `(seed, index)`, so
//!   simulations are bit-identical on any number of threads and any split into shards;
//! - [`shard`]: the split of a simulation into shards and the checks of their merge;
//! - [`prec`]: the tolerance policy the tests use by name.
//!
//! It depends on no other creditlab crate.
//!
//! ```
//! use creditlab_numerics::{bivariate::bivariate_norm_cdf, special::{norm_cdf, norm_ppf}};
//! // The 99.9% quantile and back.
//! let z = norm_ppf(0.999);
//! assert!((norm_cdf(z) - 0.999).abs() < 1e-15);
//! // Independent normals: Phi2(0, 0; 0) = 1/4.
//! assert!((bivariate_norm_cdf(0.0, 0.0, 0.0) - 0.25).abs() < 1e-15);
//! ```

pub mod bivariate;
mod error;
pub mod prec;
pub mod quadrature;
pub mod rng;
pub mod shard;
pub mod special;
pub mod student;
pub mod text;

pub use error::{NumericsError, Result};
