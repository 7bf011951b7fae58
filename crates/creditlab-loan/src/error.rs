//! The crate's error type: every failure names what was wrong and why.

/// Everything that can go wrong in this crate. User input never panics; it ends here.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A constructor or assumption was given a value outside its domain.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or parameter that was rejected (e.g. `principal`, `smm`).
        field: &'static str,
        /// Why it was rejected, with the offending value.
        reason: String,
    },
    /// A field of a list-shaped spec (e.g. a book's collateral assets) is outside its
    /// domain; the field is a dotted path such as `assets[0].volatility`.
    #[error("invalid {field}: {reason}")]
    InvalidAt {
        /// Dotted path of the rejected field, relative to the spec's root.
        field: String,
        /// Why it was rejected, with the offending value.
        reason: String,
    },
    /// A loan tape row could not be turned into a [`LoanRecord`](crate::LoanRecord).
    #[error("tape line {line}, column `{column}`: {reason}")]
    Tape {
        /// 1-based line number in the file (the header is line 1 of a CSV tape); in a
        /// Parquet or Arrow IPC tape, which have no lines, the record's number plus one (its
        /// line in the CSV of the same tape), and 1 for the schema.
        line: u64,
        /// Name of the offending column (or `row` when the whole row is unreadable).
        column: String,
        /// Why the value was rejected.
        reason: String,
    },
    /// An error in the tape file `path` (what [`open_tape`](crate::open_tape) reads).
    #[error("{path}: {source}")]
    InFile {
        /// The file, as given.
        path: String,
        /// What is wrong in it.
        source: Box<Error>,
    },
    /// Two loans of a [`Book`](crate::Book) share an id.
    #[error("duplicate loan id {0}")]
    DuplicateId(u64),
    /// The tape file could not be opened, read or written.
    #[error("tape I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The field (or tape column) the error is about, when it names one: carried as data,
    /// so a caller never parses the message.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::InvalidAt { field, .. } => Some(field),
            Self::Tape { column, .. } => Some(column),
            Self::InFile { source, .. } => source.field(),
            Self::DuplicateId(_) | Self::Io(_) => None,
        }
    }

    /// Shorthand for [`Error::InvalidAt`].
    pub(crate) fn invalid_at(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidAt {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Invalid`].
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that `value` is finite and within `[lo, hi]`, naming `field` otherwise.
pub(crate) fn check_range(field: &'static str, value: f64, lo: f64, hi: f64) -> Result<f64> {
    if !value.is_finite() {
        return Err(Error::invalid(
            field,
            format!("{value} is not a finite number"),
        ));
    }
    if value < lo || value > hi {
        return Err(Error::invalid(
            field,
            format!("{value} is outside [{lo}, {hi}]"),
        ));
    }
    Ok(value)
}
