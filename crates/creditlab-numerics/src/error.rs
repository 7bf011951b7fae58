use thiserror::Error;

/// Why a numerical routine refuses its arguments. The variant names the offending field.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum NumericsError {
    /// A parameter is outside its domain (a rule of 0 nodes, nu <= 0).
    #[error("invalid {field}: {value} ({reason})")]
    InvalidParameter {
        /// Which parameter, e.g. `quadrature nodes` or `nu`.
        field: String,
        /// The offending value.
        value: f64,
        /// What it must be instead.
        reason: &'static str,
    },
}

/// Result with [`NumericsError`].
pub type Result<T> = std::result::Result<T, NumericsError>;
