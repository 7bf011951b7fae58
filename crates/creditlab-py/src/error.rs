//! The bindings' error: a library error or a bad argument, raised in Python as one of the
//! classes of `creditlab.errors` with the library's message.

use creditlab_study::StudyError;
use pyo3::prelude::*;

/// What a binding call can fail with. Its message is the library's; its class in Python
/// (`Error::class`) says what kind of input was at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument the library would not accept before any model runs (an unknown method
    /// name, a missing column, a list of the wrong length). `field` is the argument.
    #[error("{field}: {reason}")]
    Argument {
        /// The Python argument (or column) at fault.
        field: String,
        /// What it must be.
        reason: String,
    },
    /// A loan or tape error (reading names the line and column).
    #[error(transparent)]
    Loan(#[from] creditlab_loan::Error),
    /// A grading error.
    #[error(transparent)]
    Grade(#[from] creditlab_grade::GradeError),
    /// A loss-model error (portfolio reading names the file and line).
    #[error(transparent)]
    Contagion(#[from] creditlab_contagion::Error),
    /// A deal or securitization error.
    #[error(transparent)]
    Pool(Box<creditlab_pool::PoolError>),
    /// A deal file's error: the file and the line of the field at fault, then the
    /// library's message (as `cargo xtask waterfall` prints it).
    #[error("{origin}{}: {source}", line.map_or(String::new(), |l| format!(", line {l}")))]
    Deal {
        /// The deal file.
        origin: String,
        /// The line of the field, when the file has it.
        line: Option<usize>,
        /// The library's error.
        source: Box<creditlab_pool::PoolError>,
    },
    /// A DeFi simulation error.
    #[error(transparent)]
    Defi(#[from] creditlab_defi::DefiError),
    /// A study error; a configuration error names the file, the line and the key.
    #[error(transparent)]
    Study(#[from] StudyError),
}

impl Error {
    /// A bad argument `field`.
    pub fn argument(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Argument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The class of `creditlab.errors` this error is raised as.
    fn class(&self) -> &'static str {
        match self {
            Self::Argument { .. } => "ArgumentError",
            Self::Loan(
                creditlab_loan::Error::Tape { .. }
                | creditlab_loan::Error::InFile { .. }
                | creditlab_loan::Error::Io(_)
                | creditlab_loan::Error::DuplicateId(_),
            )
            | Self::Contagion(creditlab_contagion::Error::Input { .. }) => "InputError",
            Self::Study(StudyError::Config { .. } | StudyError::Param { .. })
            | Self::Deal { .. } => "ConfigError",
            Self::Study(StudyError::Read { .. }) => "InputError",
            Self::Study(StudyError::Write { .. }) => "OutputError",
            _ => "ModelError",
        }
    }

    /// The field the library names (a dotted path or a column), when it names one.
    fn field(&self) -> Option<String> {
        match self {
            Self::Argument { field, .. } => Some(field.clone()),
            Self::Loan(e) => e.field().map(str::to_string),
            Self::Grade(e) => e.field().map(str::to_string),
            Self::Contagion(e) => e.field().map(str::to_string),
            Self::Pool(e) | Self::Deal { source: e, .. } => e.field().map(str::to_string),
            Self::Defi(e) => e.field().map(str::to_string),
            Self::Study(StudyError::Config { key, .. }) if !key.is_empty() => Some(key.clone()),
            Self::Study(_) => None,
        }
    }

    /// The line of the input file at fault, when the library names one.
    fn line(&self) -> Option<u64> {
        match self {
            Self::Loan(creditlab_loan::Error::Tape { line, .. }) => Some(*line),
            Self::Loan(creditlab_loan::Error::InFile { source, .. }) => match source.as_ref() {
                creditlab_loan::Error::Tape { line, .. } => Some(*line),
                _ => None,
            },
            Self::Contagion(creditlab_contagion::Error::Input { line, .. }) => {
                line.map(|l| l as u64)
            }
            Self::Study(StudyError::Config { line, .. }) | Self::Deal { line, .. } => {
                line.map(|l| l as u64)
            }
            _ => None,
        }
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        Python::attach(|py| {
            let raise = || -> PyResult<PyErr> {
                let class = py.import("creditlab.errors")?.getattr(e.class())?;
                let exc = class.call1((e.to_string(),))?;
                exc.setattr("field", e.field())?;
                exc.setattr("line", e.line())?;
                Ok(PyErr::from_value(exc))
            };
            // Without the Python package (the module imported alone), a plain RuntimeError.
            raise().unwrap_or_else(|_| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
        })
    }
}

impl From<creditlab_pool::PoolError> for Error {
    fn from(e: creditlab_pool::PoolError) -> Self {
        Self::Pool(Box::new(e))
    }
}

/// Result of a binding call.
pub type Result<T> = std::result::Result<T, Error>;
