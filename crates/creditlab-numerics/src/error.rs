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
    /// A partial result of a sharded simulation that cannot be merged
    /// ([`crate::shard`]): the file and the problem, as data.
    #[error("{}{problem}", if file.is_empty() { String::new() } else { format!("{file}: ") })]
    Shard {
        /// The partial's file (or other origin); empty when no file is at fault.
        file: String,
        /// What is wrong.
        problem: crate::shard::ShardProblem,
    },
}

/// Result with [`NumericsError`].
pub type Result<T> = std::result::Result<T, NumericsError>;
