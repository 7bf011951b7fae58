//! The crate's error type: every failure names the tranche, field or input that caused it.

use thiserror::Error;

/// Why a capital structure, deal or calculation cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum PoolError {
    /// A tranche of a capital structure is invalid (bounds, order, gap or overlap).
    #[error("tranche {name}: {reason}")]
    Tranche {
        /// The tranche's name (or its position when unnamed).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A parameter is outside its domain (a KA of 1.2, a negative hazard rate).
    #[error("invalid {field}: {value} ({reason})")]
    InvalidParameter {
        /// Which parameter, e.g. `ka` or `recovery`.
        field: String,
        /// The offending value.
        value: f64,
        /// What it must be instead.
        reason: &'static str,
    },
    /// A field of an input spec (a deal file, the CDO squared's parameters) that cannot be
    /// used. `field` is its path from the spec's root, e.g. `pool.segments[1].pd`,
    /// `tranches[2].attach` or `model.copula`, so a caller can find it in the file.
    #[error("{field}{}: {reason}", value.as_ref().map_or(String::new(), |v| format!(" = {v}")))]
    Spec {
        /// Path of the field from the spec's root.
        field: String,
        /// The offending value as written, when one value is at fault.
        value: Option<String>,
        /// What is wrong and what it must be instead.
        reason: String,
    },
    /// A model or method that cannot be used for this calculation.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An error from the correlated-default core (copula, quadrature, tranche bounds).
    #[error(transparent)]
    Contagion(#[from] creditlab_contagion::Error),
    /// A numerical routine refused its arguments (a quadrature rule's node count).
    #[error(transparent)]
    Numerics(#[from] creditlab_numerics::NumericsError),
    /// An error from the loan crate (pool, projection assumptions).
    #[error("{0}")]
    Loan(String),
    /// An expected-loss scale is invalid, cannot be read, or cannot rate at a horizon.
    #[error("{0}")]
    ElScale(crate::el_scale::ElScaleFault),
    /// An error from the grading crate (master scale look-up).
    #[error(transparent)]
    Grade(#[from] creditlab_grade::GradeError),
}

impl PoolError {
    /// The field at fault, when the error names one: the path of a spec field
    /// ([`PoolError::Spec`]) or the parameter of a calculation
    /// ([`PoolError::InvalidParameter`], e.g. `ka` or `attach`).
    pub fn field(&self) -> Option<&str> {
        match self {
            PoolError::Spec { field, .. } | PoolError::InvalidParameter { field, .. } => {
                Some(field)
            }
            _ => None,
        }
    }

    /// A [`PoolError::Spec`] for `field` with the offending `value`.
    pub(crate) fn spec(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        PoolError::Spec {
            field: field.into(),
            value: Some(value.to_string()),
            reason: reason.into(),
        }
    }

    /// This error located at `field` of a spec: a [`PoolError::Spec`] whose reason is this
    /// error's message (a spec error keeps its own, more precise, field).
    pub(crate) fn at(self, field: impl Into<String>) -> Self {
        match self {
            PoolError::Spec { .. } => self,
            other => PoolError::Spec {
                field: field.into(),
                value: None,
                reason: other.to_string(),
            },
        }
    }
}

/// An error of a constructor that validates a list or a group of fields, with the path of
/// the field at fault relative to what was validated (`[1].attach` of a list of tranches,
/// `notes[0].balance` or `fee_rate` of a waterfall), so a spec that holds it can name the
/// field from its own root.
#[derive(Debug)]
pub(crate) struct Located {
    /// Path of the field at fault, relative to the validated value (empty: all of it).
    pub path: String,
    /// The error the constructor itself returns.
    pub error: PoolError,
}

impl Located {
    /// `error` at `path`.
    pub fn new(path: impl Into<String>, error: PoolError) -> Self {
        Self {
            path: path.into(),
            error,
        }
    }

    /// The error as a [`PoolError::Spec`] at `prefix` joined with the relative path (a `.`
    /// between them unless the path is empty or an index).
    pub fn under(self, prefix: &str) -> PoolError {
        let field = match (prefix.is_empty(), self.path.is_empty()) {
            (_, true) => prefix.to_string(),
            (true, false) => self.path,
            (false, false) if self.path.starts_with('[') => format!("{prefix}{}", self.path),
            (false, false) => format!("{prefix}.{}", self.path),
        };
        match self.error {
            PoolError::Spec { value, reason, .. } => PoolError::Spec {
                field,
                value,
                reason,
            },
            other => PoolError::Spec {
                field,
                value: None,
                reason: other.to_string(),
            },
        }
    }
}

/// Result with [`PoolError`].
pub type Result<T> = std::result::Result<T, PoolError>;

/// Checks `lo <= value <= hi` (and finite), naming `field` otherwise.
pub(crate) fn check_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<f64> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(PoolError::InvalidParameter {
            field: field.to_string(),
            value,
            reason: match (lo, hi) {
                (0.0, 1.0) => "must be in [0, 1]",
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
        Err(PoolError::InvalidParameter {
            field: field.to_string(),
            value,
            reason: "must be finite and > 0",
        })
    }
}

impl From<crate::el_scale::ElScaleFault> for PoolError {
    fn from(fault: crate::el_scale::ElScaleFault) -> Self {
        PoolError::ElScale(fault)
    }
}
