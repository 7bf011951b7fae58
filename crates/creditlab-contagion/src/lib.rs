//! The correlated-default core and contagion.
//!
//! Input is a [`Portfolio`] of exposures (EAD, horizon PD, LGD, sector or factor loadings);
//! a [`Copula`] says how their defaults are correlated; a method (large pool, exact
//! recursion, binomial expansion, Monte Carlo, importance sampling) turns the two into
//! a [`LossDistribution`]. Every method answers the same questions through that trait, so a
//! user swaps methods without touching the portfolio.
//!
//! Contagion: Eisenberg-Noe clearing of a network ([`clearing`]); market dynamics of
//! collateral (correlated jump-diffusions, scripted shocks, a lagging oracle: [`market`]) and
//! fire-sale price impact ([`impact`]) for the DeFi lending pool's cascades.
//!
//! This crate depends on no other creditlab crate: anyone can reuse it alone.
//!
//! All losses are fractions of the portfolio's total exposure (sum of EAD), and all tranche
//! losses are fractions of the tranche notional.

pub mod bet;
pub mod bivariate;
pub mod clearing;
pub mod copula;
pub mod discrete;
pub mod distribution;
mod error;
pub mod exact;
pub mod impact;
pub mod importance;
pub mod lhp;
pub mod market;
pub mod mc;
pub mod portfolio;
pub mod quadrature;
pub mod rng;
pub mod special;
pub mod student;

pub use bet::BinomialExpansion;
pub use copula::{Copula, obligor_loadings};
pub use discrete::DiscreteLoss;
pub use distribution::{Estimate, LossDistribution, LossSummary, Tranche, TrancheEstimate};
pub use error::{Error, Result};
pub use exact::{ExactConfig, ExactLoss};
pub use lhp::LargePool;
pub use portfolio::{Exposure, Lgd, Portfolio};
