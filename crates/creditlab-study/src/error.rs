//! The study's error type: what went wrong, where (file, line, key) and why.

use thiserror::Error;

/// Why a study cannot run, or its output cannot be written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StudyError {
    /// A configuration file (or a command-line override of one) that cannot be used:
    /// `origin` names the file, `line` the line of `key` when found, `reason` what is wrong.
    #[error("{origin}{}: {}{reason}", line.map_or(String::new(), |l| format!(", line {l}")), key_prefix(key))]
    Config {
        /// The file (or `command line`).
        origin: String,
        /// 1-based line of the offending key, when it is in the file.
        line: Option<usize>,
        /// Dotted path of the key, e.g. `loss.bank_rho` or `defi_pool.assets[1].volatility`;
        /// empty when the whole file is at fault.
        key: String,
        /// What is wrong and what it must be instead.
        reason: String,
    },
    /// A sweep parameter that cannot be used (`section.key=lo:hi:step`).
    #[error("sweep parameter {param}: {reason}")]
    Param {
        /// The parameter as given, or its key.
        param: String,
        /// Why.
        reason: String,
    },
    /// A file that cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output cannot be written.
    #[error("cannot write to {path}: {reason}")]
    Write {
        /// The output file or folder.
        path: String,
        /// Why.
        reason: String,
    },
    /// A stage's inputs were refused by a model crate.
    #[error("{}{source}", if stage.is_empty() { String::new() } else { format!("{stage}: ") })]
    Model {
        /// The stage, e.g. `bank book: grading`.
        stage: String,
        /// The model crate's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A soak (`cargo xtask soak`) in which a run failed; the summary lists every failure.
    #[error("the soak failed: {summary}")]
    Soak {
        /// The soak's summary ([`crate::soak::SoakSummary`]).
        summary: String,
    },
    /// The study could not be laid out as a report.
    #[error("cannot build the report: {0}")]
    Report(#[from] creditlab_report::ReportError),
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("{key}: ")
    }
}

/// Result with [`StudyError`].
pub type Result<T> = std::result::Result<T, StudyError>;

impl StudyError {
    /// The error with the stage it came from, when it does not name one yet.
    pub(crate) fn in_stage(self, name: &str) -> Self {
        match self {
            StudyError::Model { stage, source } if stage.is_empty() => StudyError::Model {
                stage: name.to_string(),
                source,
            },
            other => other,
        }
    }
}

/// A model crate's error, its stage filled in by the stage that ran it.
macro_rules! from_model {
    ($($t:ty),*) => {$(
        impl From<$t> for StudyError {
            fn from(e: $t) -> Self {
                StudyError::Model { stage: String::new(), source: Box::new(e) }
            }
        }
    )*};
}
from_model!(
    creditlab_numerics::NumericsError,
    creditlab_loan::Error,
    creditlab_grade::GradeError,
    creditlab_contagion::Error,
    creditlab_pool::PoolError,
    creditlab_defi::DefiError
);
