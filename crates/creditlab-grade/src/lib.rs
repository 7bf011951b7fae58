//! Grading: scorecards, PD/LGD/EL, the master scale, Basel capital and validation.

mod error;
pub mod irb;
pub mod lgd;
pub mod logistic;
mod normal;
pub mod scale;
pub mod scorecard;
pub mod validation;

pub use error::{GradeError, Result};
