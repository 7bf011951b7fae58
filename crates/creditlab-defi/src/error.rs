//! The crate's error type: every failure names the field that caused it, as a path into the
//! input (`assets[0].volatility`, `book.positions[3].debt`), carried as data.

use thiserror::Error;

/// Why a market, pool or simulation cannot be used.
///
/// The field is a dotted path relative to the input of the function that failed: a
/// constructor names its own parameter (`volatility`), and
/// [`DefiSimConfig::validate`](crate::config::DefiSimConfig::validate) names the key of the
/// documented TOML (`assets[0].volatility`), so a caller that knows the file can find its
/// line. Read it with [`DefiError::field`]; never parse it out of the message.
///
/// ```
/// use creditlab_defi::market::AssetDynamics;
/// let e = AssetDynamics::new(0.0, -0.8, 0.0, 0.0, 0.0).unwrap_err();
/// assert_eq!(e.field(), Some("volatility"));
/// assert_eq!(e.to_string(), "volatility: -0.8 must be in [0, 10]");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DefiError {
    /// A number outside its domain (a negative volatility, a threshold below the LTV).
    #[error("{field}: {value} {expected}")]
    OutOfRange {
        /// Path of the parameter, e.g. `volatility` or `assets[0].volatility`.
        field: String,
        /// The offending value.
        value: f64,
        /// What it must be instead, e.g. `must be in [0, 10]`.
        expected: String,
    },
    /// An input that is malformed or inconsistent as a whole (a correlation matrix that is
    /// not one, a position with the wrong number of collateral amounts, an unusable book).
    #[error("{}{reason}", field_prefix(field))]
    Invalid {
        /// Path of the input, e.g. `market.correlation`; empty when the function's whole
        /// input is at fault.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A numerical routine refused, or a partial result of a sharded run cannot be merged
    /// ([`crate::shard`]: the file and the problem, as data).
    #[error(transparent)]
    Numerics(#[from] creditlab_numerics::NumericsError),
    /// A lending-pool operation refused (a borrow beyond the LTV limit or the cash, an
    /// unknown position).
    #[error("{what}: {reason}")]
    Lending {
        /// What was refused, e.g. `borrow` or `position 3`.
        what: String,
        /// Why.
        reason: String,
    },
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

/// Joins a path prefix and a relative path: `assets[0]` + `volatility`, `positions` + `[3]`.
fn join(prefix: &str, field: &str) -> String {
    if field.is_empty() {
        prefix.to_string()
    } else if prefix.is_empty() || field.starts_with('[') {
        format!("{prefix}{field}")
    } else {
        format!("{prefix}.{field}")
    }
}

impl DefiError {
    /// The path of the offending field (`assets[0].volatility`, `market.steps`), or `None`
    /// when the error is not about one field of an input (a refused pool operation).
    pub fn field(&self) -> Option<&str> {
        match self {
            DefiError::OutOfRange { field, .. } | DefiError::Invalid { field, .. } => {
                Some(field.as_str()).filter(|f| !f.is_empty())
            }
            DefiError::Lending { .. } | DefiError::Numerics(_) => None,
        }
    }

    /// What is wrong, without the field: the message a caller shows next to the field's
    /// own location (`-0.8 must be in [0, 10]`).
    pub fn reason(&self) -> String {
        match self {
            DefiError::OutOfRange {
                value, expected, ..
            } => format!("{value} {expected}"),
            DefiError::Invalid { reason, .. } => reason.clone(),
            DefiError::Lending { what, reason } => format!("{what}: {reason}"),
            DefiError::Numerics(e) => e.to_string(),
        }
    }

    /// The same error with its field placed under `prefix` (`volatility` under `assets[0]`
    /// is `assets[0].volatility`): how a whole-config validation names the key of a part it
    /// checked through the part's own constructor.
    pub(crate) fn within(self, prefix: &str) -> Self {
        match self {
            DefiError::OutOfRange {
                field,
                value,
                expected,
            } => DefiError::OutOfRange {
                field: join(prefix, &field),
                value,
                expected,
            },
            DefiError::Invalid { field, reason } => DefiError::Invalid {
                field: join(prefix, &field),
                reason,
            },
            DefiError::Lending { what, reason } => DefiError::Invalid {
                field: prefix.to_string(),
                reason: format!("{what}: {reason}"),
            },
            DefiError::Numerics(e) => DefiError::Numerics(e),
        }
    }
}

/// Result with [`DefiError`].
pub type Result<T> = std::result::Result<T, DefiError>;

/// An [`DefiError::OutOfRange`] for `field`.
pub(crate) fn out_of_range(
    field: impl Into<String>,
    value: f64,
    expected: impl Into<String>,
) -> DefiError {
    DefiError::OutOfRange {
        field: field.into(),
        value,
        expected: expected.into(),
    }
}

/// An [`DefiError::Invalid`] for `field`.
pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> DefiError {
    DefiError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Checks `lo <= value <= hi` (and finite), naming `field` otherwise.
pub(crate) fn check_range(field: impl Into<String>, value: f64, lo: f64, hi: f64) -> Result<f64> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(out_of_range(
            field,
            value,
            format!("must be in [{lo}, {hi}]"),
        ))
    }
}

/// Checks `value >= lo` and finite, naming `field` otherwise.
pub(crate) fn check_at_least(field: impl Into<String>, value: f64, lo: f64) -> Result<f64> {
    if value.is_finite() && value >= lo {
        Ok(value)
    } else {
        Err(out_of_range(
            field,
            value,
            format!("must be finite and >= {lo}"),
        ))
    }
}

/// Checks `value > 0` and finite, naming `field` otherwise.
pub(crate) fn check_positive(field: impl Into<String>, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(out_of_range(field, value, "must be finite and > 0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compose_as_data() {
        let e = check_range("volatility", -1.0, 0.0, 10.0).unwrap_err();
        assert_eq!(e.field(), Some("volatility"));
        let e = e.within("assets[2]");
        assert_eq!(e.field(), Some("assets[2].volatility"));
        assert_eq!(e.reason(), "-1 must be in [0, 10]");
        assert_eq!(e.to_string(), "assets[2].volatility: -1 must be in [0, 10]");
        let e = invalid("[3]", "no debt").within("book.positions");
        assert_eq!(e.field(), Some("book.positions[3]"));
        let e = invalid("", "not square").within("market.correlation");
        assert_eq!(e.field(), Some("market.correlation"));
        assert_eq!(invalid("", "whole input").field(), None);
        let refused = DefiError::Lending {
            what: "borrow".into(),
            reason: "beyond the cash".into(),
        };
        assert_eq!(refused.field(), None);
        assert_eq!(refused.within("book").field(), Some("book"));
    }
}
