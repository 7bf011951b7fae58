//! The crate's error type: every failure names the field, asset or position that caused it.

use thiserror::Error;

/// Why a market, pool or simulation cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DefiError {
    /// A parameter is outside its domain (a negative volatility, a threshold below the LTV).
    #[error("invalid {field}: {value} ({reason})")]
    InvalidParameter {
        /// Which parameter, e.g. `WETH: volatility` or `step_hours`.
        field: String,
        /// The offending value.
        value: f64,
        /// What it must be instead.
        reason: &'static str,
    },
    /// A correlation matrix that cannot be one.
    #[error("invalid correlation matrix: {0}")]
    InvalidCorrelation(String),
    /// A lending-pool operation refused (a borrow beyond the LTV limit or the cash, an
    /// unknown position, mismatched lengths).
    #[error("{what}: {reason}")]
    Lending {
        /// What was refused, e.g. `borrow amount` or `position 3`.
        what: String,
        /// Why.
        reason: String,
    },
}

/// Result with [`DefiError`].
pub type Result<T> = std::result::Result<T, DefiError>;

/// Checks `lo <= value <= hi` (and finite), naming `field` otherwise.
pub(crate) fn check_range(field: impl Into<String>, value: f64, lo: f64, hi: f64) -> Result<f64> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(DefiError::InvalidParameter {
            field: field.into(),
            value,
            reason: match (lo, hi) {
                (0.0, 1.0) => "must be in [0, 1]",
                (0.0, f64::MAX) => "must be finite and >= 0",
                _ => "out of range",
            },
        })
    }
}

/// Checks `value > 0` and finite, naming `field` otherwise.
pub(crate) fn check_positive(field: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(DefiError::InvalidParameter {
            field: field.to_string(),
            value,
            reason: "must be finite and > 0",
        })
    }
}
