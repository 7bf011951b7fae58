use thiserror::Error;

/// Why a portfolio, model or method cannot be used. Each variant names the offending field.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside its domain (e.g. a PD of 1.2, a negative EAD, nu <= 2).
    #[error("invalid {field}: {value} ({reason})")]
    InvalidParameter {
        /// Which parameter, e.g. `exposure 17: pd` or `rho`.
        field: String,
        /// The offending value.
        value: f64,
        /// What it must be instead.
        reason: &'static str,
    },
    /// A correlation matrix that cannot be one.
    #[error("invalid correlation matrix: {0}")]
    InvalidCorrelation(String),
    /// A portfolio with no exposures, or inconsistent lengths.
    #[error("invalid portfolio: {0}")]
    InvalidPortfolio(String),
    /// A financial network whose shape is inconsistent (not square, lengths that differ).
    #[error("invalid network: {0}")]
    InvalidNetwork(String),
    /// A tranche whose bounds are not 0 <= attach < detach <= 1.
    #[error("invalid tranche {attach}-{detach}: {reason}")]
    InvalidTranche {
        /// Attachment point.
        attach: f64,
        /// Detachment point.
        detach: f64,
        /// What is wrong.
        reason: &'static str,
    },
    /// An input spec that does not parse: a copula name, a tranche `A-D`.
    #[error("{what} {text:?}: {reason}")]
    Spec {
        /// What was being read: `copula` or `tranche`.
        what: &'static str,
        /// The text as given.
        text: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A capital structure that does not tile the pool from 0 to 1.
    #[error("tranche {index}: {reason}")]
    Tiling {
        /// 1-based position of the offending tranche (0: the structure is empty).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// An input file that cannot be read or has a bad row.
    #[error("{path}{}: {reason}", line.map_or(String::new(), |l| format!(", line {l}")))]
    Input {
        /// The file.
        path: String,
        /// 1-based line of the offending row (the header is line 1), when known.
        line: Option<usize>,
        /// What is wrong (the column and the value, when a cell is at fault).
        reason: String,
    },
    /// A numerical routine refused its arguments (a quadrature rule's node count).
    #[error(transparent)]
    Numerics(#[from] creditlab_numerics::NumericsError),
    /// The requested accuracy cannot be reached within the method's budget (memory or
    /// work): a coarser result is available by accepting it (`accept_coarser`).
    #[error(
        "{method} cannot reach the requested accuracy within its budget: {reason}; accept a \
         coarser result with its convergence evidence by setting accept_coarser, or raise the \
         budget"
    )]
    AccuracyBudget {
        /// The method, e.g. `exact`.
        method: &'static str,
        /// What ran out and which figures had not converged.
        reason: String,
    },
    /// A method cannot handle this portfolio or model (said before any work is done).
    #[error("{method} cannot be used here: {reason}")]
    Unsupported {
        /// The method, e.g. `lhp`.
        method: &'static str,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// The field at fault, as data, when the error names one: an invalid parameter's field
    /// (`rho`, `exposure 3: pd`, `tail[1]`, `liabilities[0][2]`); for
    /// [`Error::AccuracyBudget`], `accept_coarser`, the setting that takes the coarser
    /// result. Callers map it to their
    /// own names (a command-line flag) without reading the message.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidParameter { field, .. } => Some(field),
            Error::AccuracyBudget { .. } => Some("accept_coarser"),
            _ => None,
        }
    }
}

/// Result with this crate's [`enum@Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Checks `lo <= value <= hi` (and not NaN), naming `field` otherwise.
pub(crate) fn check_range(field: impl Into<String>, value: f64, lo: f64, hi: f64) -> Result<f64> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(Error::InvalidParameter {
            field: field.into(),
            value,
            reason: range_reason(lo, hi),
        })
    }
}

fn range_reason(lo: f64, hi: f64) -> &'static str {
    match (lo, hi) {
        (0.0, 1.0) => "must be in [0, 1]",
        (0.0, f64::MAX) => "must be finite and >= 0",
        _ => "out of range",
    }
}
