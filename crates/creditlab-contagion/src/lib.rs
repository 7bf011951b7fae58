//! The correlated-default core and contagion.
//!
//! Input is a [`Portfolio`] of exposures (EAD, horizon PD, LGD, sector or factor loadings);
//! a [`Copula`] says how their defaults are correlated; a method (large pool, exact
//! recursion, binomial expansion, Monte Carlo, importance sampling) turns the two into
//! a [`LossDistribution`]. Every method answers the same questions through that trait, so a
//! user swaps methods without touching the portfolio.
//!
//! Contagion: Eisenberg-Noe clearing of a network of institutions ([`clearing`]).
//!
//! This crate depends only on creditlab-numerics: anyone can reuse it alone.
//!
//! All losses are fractions of the portfolio's total exposure (sum of EAD), and all tranche
//! losses are fractions of the tranche notional.
//!
//! ```
//! use creditlab_contagion::{BinomialExpansion, Copula, ExactConfig, ExactLoss, MonteCarlo};
//! use creditlab_contagion::{LargePool, LossDistribution, Portfolio, Scenarios, Seed};
//! let book = Portfolio::homogeneous(200, 0.02, 0.5)?;
//! let copula = Copula::gaussian(0.15)?;
//! let methods: Vec<Box<dyn LossDistribution>> = vec![
//!     Box::new(LargePool::new(&book, &copula)?),
//!     Box::new(ExactLoss::new(&book, &copula, &ExactConfig::default())?),
//!     Box::new(BinomialExpansion::new(&book, &copula)?),
//!     Box::new(MonteCarlo::new(&book, &copula)?.run(Seed(1), Scenarios::new(20_000)?)),
//! ];
//! // Same questions, same answers up to each method's approximation.
//! for m in &methods {
//!     assert!((m.expected_loss().value - 0.01).abs() < 5e-4);
//!     assert!(m.value_at_risk(0.999)?.value > 0.05);
//!     // A level outside (0, 1) is an error, not a number.
//!     assert!(m.value_at_risk(1.5).is_err() && m.value_at_risk(f64::NAN).is_err());
//! }
//! # Ok::<(), creditlab_contagion::Error>(())
//! ```

pub mod accuracy;
pub mod bet;
pub mod clearing;
pub mod collateral;
pub mod copula;
pub mod creditrisk;
pub mod discrete;
pub mod distribution;
pub mod diversification;
mod error;
pub mod exact;
pub mod importance;
pub mod io;
pub mod lhp;
pub mod mc;
pub mod methodology;
pub mod network;
pub mod portfolio;
pub mod report;
pub mod saddlepoint;
pub mod shard;
pub mod smooth;
pub mod spec;

pub use accuracy::{AccuracyReport, FigureBound, Tolerance};
pub use bet::BinomialExpansion;
pub use collateral::Collateral;
pub use copula::{Copula, obligor_loadings};
pub use creditrisk::{CreditRiskPlus, CreditRiskPlusSpec};
pub use discrete::DiscreteLoss;
pub use distribution::{Estimate, LossDistribution, LossSummary, Tranche, TrancheEstimate};
pub use error::{Error, Result};
pub use exact::{ExactConfig, ExactLoss, Targets};
pub use importance::{ImportanceSampler, TailEstimate};
pub use lhp::{GranularPool, LargePool};
pub use mc::{McDistribution, MonteCarlo, Scenarios, Seed};
pub use portfolio::{Exposure, Lgd, Portfolio};
pub use report::{LossReport, LossRequest};
pub use saddlepoint::Saddlepoint;
pub use spec::{CopulaSpec, LossMethod, check_tiling, parse_tranches};
