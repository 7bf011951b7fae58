//! Grading: scorecards, PD/LGD/EL, the master scale, Basel capital and validation.
//!
//! A grade says how likely a loan is to default and how much is lost if it does, and it is
//! only as good as the information behind it. This crate makes that explicit:
//!
//! - [`scorecard`]: a logistic scorecard over four factors (credit history, collateral
//!   quality, repayment capacity, cash flow), fitted by IRLS ([`logistic`]). A factor the
//!   borrower did not reveal widens a logit-normal posterior on the PD instead of being
//!   imputed; the grade uses a conservative quantile of it.
//! - [`lgd`]: LGD from the collateral (haircut, price volatility over the liquidation
//!   horizon, liquidation cost) and recourse, in closed form; EL = PD × LGD × EAD.
//!   Mortgages take theirs from the house-price model of `creditlab_loan::housing`
//!   ([`lgd::CollateralLaw`], [`grading::LgdAssumptions::housing`]).
//! - [`scale`]: the master scale of one-year PD bands to AAA … CCC and D, shared with
//!   tranche ratings.
//! - [`irb`]: Basel IRB capital K and risk weights per asset class.
//! - [`validation`]: AUC, Gini, ROC, KS, Brier, the count test of a book's defaults
//!   against its PDs, binomial and Hosmer–Lemeshow tests.
//! - [`collateral_model`]: a collateral-only PD model fitted on a DeFi book's own outcomes,
//!   with an upper confidence bound from estimation uncertainty, judged out of sample
//!   against the bank scorecard's extrapolation.
//! - [`binning`] and [`woe_card`]: the scorecard workflow on any tape (a CSV with its own
//!   columns and a TOML mapping): monotone binning, WoE and IV, PSI, logistic regression on
//!   the WoE, points, out-of-sample validation and factor sets compared by DeLong tests.
//! - [`grading`]: all of it applied to `creditlab_loan` records and books.
//! - [`report`]: a graded book and an IRB exposure as serializable results.
//!
//! Methodology: [docs/methodology/grading.md](crate::methodology::grading), basel-irb.md, master-scale.md, validation.md,
//! scorecard.md.
//!
//! ```
//! use creditlab_grade::irb::{self, AssetClass};
//! use creditlab_numerics::prec;
//! use creditlab_grade::scale::{Grade, MasterScale};
//! use creditlab_grade::scorecard::{Observation, Scorecard};
//!
//! // Basel II Annex 5: corporate, PD 1%, LGD 45%, M 2.5 years → 92.32%.
//! let c = irb::capital(AssetClass::Corporate, 0.01, 0.45, 2.5)?;
//! assert!((c.risk_weight - 0.9232).abs() < prec::printed(4));
//!
//! // Good collateral, nothing known about the borrower: a wide posterior, a low grade.
//! let anonymous = Observation {
//!     ltv: Some(0.5),
//!     collateral_volatility: Some(0.1),
//!     haircut: Some(0.1),
//!     ..Observation::default()
//! };
//! let pd = Scorecard::default().assess(&anonymous, 1.0)?;
//! let grade = MasterScale::standard().grade(pd.pd_conservative)?;
//! assert!(grade >= Grade::B);
//! # Ok::<(), creditlab_grade::GradeError>(())
//! ```

pub mod binning;
pub mod collateral_model;
mod error;
pub mod grading;
pub mod irb;
pub mod lgd;
pub mod logistic;
pub mod methodology;
pub mod report;
pub mod scale;
pub mod scorecard;
pub mod validation;
pub mod woe_card;

pub use error::{GradeError, Result};
pub use grading::{BookGrades, GradingConfig, LoanGrade, grade_book, grade_record};
pub use irb::{AssetClass, IrbCapital};
pub use report::{GradeReport, IrbReport};
pub use scale::{Grade, MasterScale};
pub use scorecard::{Observation, PdPosterior, Scorecard};
