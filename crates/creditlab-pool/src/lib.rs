//! Securitization: capital structures and tranche risk from any loss distribution
//! ([`structure`]), tranche ratings and the WARF ([`rating`]), model-risk
//! stress ([`stress`]), the expected-loss rating scale ([`el_scale`]), Basel securitization capital, SEC-SA and SEC-IRBA ([`capital`]),
//! pricing of synthetic tranches and nth-to-default baskets ([`pricing`]), the monthly
//! cash-flow waterfall ([`waterfall`]) and the CDO squared ([`resec`]); the deal file that
//! ties a pool, its model, its tranches, capital and waterfall together, with one
//! validator whose errors name the field's path ([`deal`]).
//!
//! Products that simulate their own collateral (the waterfall's default-rate scenarios,
//! the CDO squared's pools) draw the systematic state of any one-factor copula of
//! creditlab-contagion through one loop body ([`scenario`]).
//!
//! The loss of a pool comes from creditlab-contagion (any [`LossDistribution`], exact or
//! simulated, or a one-factor copula for pricing); ratings reuse creditlab-grade's master
//! scale, so loans and tranches are graded on one scale; the waterfall runs on the
//! pool-level collections of a creditlab-loan projection, loan-level pools merged into
//! cohorts ([`cohort`]) so the projection's cost does not grow with the number of loans.
//!
//! ```
//! use creditlab_pool::{CapitalStructure, capital};
//! let s = CapitalStructure::new([("equity", 0.0, 0.05), ("mezz", 0.05, 0.15), ("senior", 0.15, 1.0)])?;
//! assert_eq!(s.len(), 3);
//! let rw = capital::sec_sa_risk_weight(0.08, 0.15, 1.0, false)?;
//! assert!(rw >= 0.15);
//! # Ok::<(), creditlab_pool::PoolError>(())
//! ```
//!
//! [`LossDistribution`]: creditlab_contagion::LossDistribution

pub mod capital;
pub mod cohort;
pub mod deal;
pub mod el_scale;
mod error;
pub mod methodology;
pub mod pricing;
pub mod rating;
pub mod resec;
pub mod scenario;
pub mod stress;
pub mod structure;
pub mod waterfall;

/// The rating scale a tranche is rated on ([`rate_by_default_probability`]), re-exported
/// from creditlab-grade so that rating needs no second dependency.
pub use creditlab_grade::{Grade, MasterScale};
pub use deal::DealSpec;
pub use el_scale::{ElScaleFault, ExpectedLossScale};
pub use error::{PoolError, Result};
pub use rating::{MoodysRating, rate_by_default_probability, rate_by_expected_loss, warf};
pub use resec::{
    CdoSquaredComparison, CdoSquaredParams, cdo_squared_losses, compare_cdo_squared,
    compare_cdo_squared_from,
};
pub use scenario::ScenarioRates;
pub use structure::{CapitalStructure, NamedTranche, TrancheRisk, expected_loss_over_time};
