//! The crate's error type: every failure names the field or the data that caused it.

use thiserror::Error;

/// Why an input, a fit or a grading cannot be done. Each variant names what was wrong.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum GradeError {
    /// A parameter is outside its domain (a PD of 1.2, a negative EAD, a maturity of 0).
    #[error("invalid {field}: {value} ({reason})")]
    InvalidParameter {
        /// Which parameter, e.g. `pd` or `loan 17: ltv`.
        field: String,
        /// The offending value.
        value: f64,
        /// What it must be instead.
        reason: &'static str,
    },
    /// An input rejected with a reason but no single number to show (e.g. a loan the
    /// house-price model cannot value); `field` is a dotted path.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which input, e.g. `loan 17: housing.value`.
        field: String,
        /// What was wrong, with the offending value.
        reason: String,
    },
    /// An asset class written in a form [`crate::irb::AssetClass`]'s `FromStr` does not
    /// know.
    #[error("unknown asset class {text:?}: {reason}")]
    UnknownAssetClass {
        /// The text given.
        text: String,
        /// What it must be instead.
        reason: &'static str,
    },
    /// A grade name that is not on the master scale.
    #[error("unknown grade {0:?}: expected one of AAA, AA, A, BBB, BB, B, CCC, D")]
    UnknownGrade(String),
    /// Inputs whose lengths or shapes disagree (features vs coefficients, scores vs outcomes).
    #[error("dimension mismatch: {0}")]
    DimensionMismatch(String),
    /// Data with only defaults or only non-defaults: neither a fit nor a discrimination
    /// measure is defined.
    #[error("only one class in the data: {n} observations, {defaults} defaults")]
    OneClass {
        /// Observations.
        n: usize,
        /// Defaults among them.
        defaults: usize,
    },
    /// Too few usable observations (e.g. no loan tape row has every factor observed).
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    /// The logistic fit's Newton iterations did not converge.
    #[error(
        "logistic fit did not converge after {iterations} iterations \
         (last change in coefficients {last_change:.3e})"
    )]
    NotConverged {
        /// Iterations run.
        iterations: usize,
        /// Largest absolute coefficient change in the last iteration.
        last_change: f64,
    },
    /// The data separate defaults from non-defaults (completely or quasi-completely): the
    /// maximum-likelihood coefficients are infinite and no standard errors exist.
    #[error(
        "logistic fit: the data are separated ({0}); the maximum-likelihood estimate does not exist"
    )]
    Separation(String),
    /// The information matrix X'WX is singular: collinear or constant features.
    #[error("logistic fit: singular Hessian ({0}); check for constant or collinear features")]
    SingularHessian(String),
    /// A cell or the header of a scorecard tape (CSV) that cannot be read.
    #[error("tape {file} line {line}, column `{column}`: {reason}")]
    Tape {
        /// The tape's file name (or another origin, e.g. `<memory>`).
        file: String,
        /// 1-based line in the file; the header is line 1.
        line: usize,
        /// The column name, or `row` when the row as a whole is unreadable.
        column: String,
        /// What was wrong, with the offending value.
        reason: String,
    },
    /// A scorecard mapping (TOML) that cannot be used.
    #[error("mapping {file} line {line}, key `{key}`: {reason}")]
    Mapping {
        /// The mapping's file name (or another origin).
        file: String,
        /// 1-based line of the offending key (0 when the file has no line for it).
        line: usize,
        /// Dotted path of the key, e.g. `columns.housing.kind`.
        key: String,
        /// What was wrong, with the offending value.
        reason: String,
    },
}

impl GradeError {
    /// The field the error is about, when it names one: carried as data, so a caller
    /// never parses the message.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidParameter { field, .. } | Self::Invalid { field, .. } => Some(field),
            Self::Tape { column, .. } => Some(column),
            Self::Mapping { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, GradeError>;

/// Checks a probability in [0, 1] (not NaN).
pub(crate) fn check_unit(field: &str, value: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(GradeError::InvalidParameter {
            field: field.to_string(),
            value,
            reason: "must be in [0, 1]",
        })
    }
}

/// Checks a finite, strictly positive number.
pub(crate) fn check_positive(field: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(GradeError::InvalidParameter {
            field: field.to_string(),
            value,
            reason: "must be finite and > 0",
        })
    }
}

/// Checks a finite, non-negative number.
pub(crate) fn check_non_negative(field: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(GradeError::InvalidParameter {
            field: field.to_string(),
            value,
            reason: "must be finite and >= 0",
        })
    }
}
