//! Python inputs turned into the library's: portfolios from numpy columns, built-in books,
//! loan tapes from a file or from an Arrow table (the Arrow C stream interface).

use crate::error::{Error, Result};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use creditlab_contagion::{Exposure, Lgd, Portfolio};
use creditlab_loan::tape::open_tape;
use creditlab_loan::{ArrowTapeReader, Book, LoanRecord};
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use std::path::PathBuf;

/// A portfolio's columns as numpy arrays (float64; `sector` int64; `loadings` n x k),
/// read without a copy while the GIL is held and turned into exposures.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct Columns<'py> {
    ead: PyReadonlyArray1<'py, f64>,
    pd: PyReadonlyArray1<'py, f64>,
    lgd: PyReadonlyArray1<'py, f64>,
    lgd_sd: Option<PyReadonlyArray1<'py, f64>>,
    sector: Option<PyReadonlyArray1<'py, i64>>,
    loadings: Option<PyReadonlyArray2<'py, f64>>,
}

/// Where a portfolio comes from.
pub enum PortfolioSource<'py> {
    /// Columns given as arrays.
    Columns(Box<Columns<'py>>),
    /// A portfolio CSV (`creditlab_contagion::io::read_portfolio`).
    File(PathBuf),
    /// A built-in book, as `cargo xtask loss --book` names it.
    Book(String),
}

impl Columns<'_> {
    /// The exposures, each checked alone ([`Exposure::validate`]); an error names the row
    /// (0-based, as in the frame) and the column.
    fn portfolio(&self) -> Result<Portfolio> {
        let ead = self.ead.as_array();
        let n = ead.len();
        let (pd, lgd) = (self.pd.as_array(), self.lgd.as_array());
        let lgd_sd = self.lgd_sd.as_ref().map(|a| a.as_array());
        let sector = self.sector.as_ref().map(|a| a.as_array());
        let loadings = self.loadings.as_ref().map(|a| a.as_array());
        let same = |name: &str, len: usize| {
            if len == n {
                Ok(())
            } else {
                Err(Error::argument(
                    name,
                    format!("has {len} rows, ead has {n}"),
                ))
            }
        };
        same("pd", pd.len())?;
        same("lgd", lgd.len())?;
        if let Some(a) = &lgd_sd {
            same("lgd_sd", a.len())?;
        }
        if let Some(a) = &sector {
            same("sector", a.len())?;
        }
        if let Some(a) = &loadings {
            same("loadings", a.nrows())?;
        }
        let mut exposures = Vec::with_capacity(n);
        for i in 0..n {
            let row = |reason: String| Error::argument(format!("row {i}"), reason);
            let lgd = match lgd_sd.as_ref().map(|a| a[i]) {
                Some(sd) if sd > 0.0 => Lgd::Beta {
                    mean: lgd[i],
                    std_dev: sd,
                },
                _ => Lgd::Constant(lgd[i]),
            };
            let mut e = Exposure::new(ead[i], pd[i], lgd);
            if let Some(s) = &sector {
                e.sector = usize::try_from(s[i]).map_err(|_| {
                    row(format!(
                        "column sector: {} is not a sector index (0, 1, ...)",
                        s[i]
                    ))
                })?;
            }
            if let Some(l) = &loadings {
                e.loadings = Some(l.row(i).to_vec());
            }
            e.validate().map_err(|err| row(err.to_string()))?;
            exposures.push(e);
        }
        Ok(Portfolio::new(exposures)?)
    }
}

impl PortfolioSource<'_> {
    /// The portfolio (read, built or checked).
    pub fn portfolio(&self) -> Result<Portfolio> {
        match self {
            Self::Columns(c) => c.portfolio(),
            Self::File(path) => Ok(creditlab_contagion::io::read_portfolio(path)?),
            Self::Book(book) => builtin_book(book),
        }
    }
}

/// A built-in book by the name `cargo xtask loss --book` takes
/// ([`creditlab_contagion::spec::built_in_book`]); a name it does not know is a bad
/// argument `book`, as a bad column is.
fn builtin_book(book: &str) -> Result<Portfolio> {
    creditlab_contagion::spec::built_in_book(book).map_err(|e| match e {
        creditlab_contagion::Error::Spec { text, reason, .. } => {
            Error::argument("book", format!("{text:?}: {reason}"))
        }
        other => other.into(),
    })
}

/// Where a loan tape comes from.
#[derive(Debug)]
pub enum TapeSource {
    /// A tape file (.csv, .jsonl, ... as `open_tape` reads it).
    File(PathBuf),
    /// A table handed over through the Arrow C stream interface (a pyarrow table, a polars
    /// frame: [`arrow_stream`]), its batches read in place, named `origin`.
    Arrow {
        /// The table's record batches.
        batches: RecordBatchStreamReader,
        /// What the messages call it.
        origin: String,
    },
}

/// The record batches of `table` through the Arrow PyCapsule interface: the capsule
/// `table.__arrow_c_stream__()` returns holds an `ArrowArrayStream`, which is moved out of
/// it (the capsule is left released, as the interface asks) and read batch by batch; the
/// columns' buffers are the producer's, not copied.
#[allow(unsafe_code)] // The one unsafe block of the workspace (xtask/tests/tidy.rs).
pub fn arrow_stream(table: &Bound<'_, PyAny>) -> Result<RecordBatchStreamReader> {
    let not_a_table = |why: String| {
        Error::argument(
            "tape",
            format!("a {} is not an Arrow table: {why}", type_name(table)),
        )
    };
    let capsule = table
        .call_method0("__arrow_c_stream__")
        .map_err(|e| not_a_table(format!("__arrow_c_stream__() failed: {e}")))?;
    let capsule = capsule
        .cast::<PyCapsule>()
        .map_err(|_| not_a_table("__arrow_c_stream__() did not return a PyCapsule".into()))?;
    let pointer = capsule
        .pointer_checked(Some(c"arrow_array_stream"))
        .map_err(|e| not_a_table(format!("not an arrow_array_stream capsule ({e})")))?;
    // SAFETY: a capsule named "arrow_array_stream" holds a valid, initialised
    // `struct ArrowArrayStream` (the Arrow PyCapsule interface), `FFI_ArrowArrayStream` is
    // that struct (#[repr(C)]), and the GIL is held so no Python code changes the capsule
    // meanwhile. `from_raw` moves the stream out and leaves the capsule's copy released, so
    // the capsule's destructor does not release it a second time.
    let stream = unsafe { FFI_ArrowArrayStream::from_raw(pointer.as_ptr().cast()) };
    RecordBatchStreamReader::try_new(stream).map_err(|e| not_a_table(e.to_string()))
}

/// The Python type name of `obj`, for messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "object".into(), |n| n.to_string())
}

impl TapeSource {
    /// A tape given as a path or as a table with `__arrow_c_stream__`, or none; `origin`
    /// names a table in messages.
    pub fn of(
        path: Option<PathBuf>,
        table: Option<&Bound<'_, PyAny>>,
        origin: Option<String>,
    ) -> Result<Option<Self>> {
        Ok(match (path, table) {
            (Some(p), _) => Some(Self::File(p)),
            (None, Some(table)) => Some(Self::Arrow {
                origin: origin.unwrap_or_else(|| format!("{} (as a tape)", type_name(table))),
                batches: arrow_stream(table)?,
            }),
            (None, None) => None,
        })
    }

    /// Every record, read through the tape reader (its schema, checks and messages).
    pub fn records(self) -> Result<Box<dyn Iterator<Item = creditlab_loan::Result<LoanRecord>>>> {
        Ok(match self {
            Self::File(path) => Box::new(open_tape(&path)?),
            Self::Arrow { batches, origin } => {
                // Errors name the table as open_tape names the file.
                let in_table = move |source| creditlab_loan::Error::InFile {
                    path: origin.clone(),
                    source: Box::new(source),
                };
                let reader = ArrowTapeReader::from_arrow(batches).map_err(in_table.clone())?;
                Box::new(reader.map(move |r| r.map_err(&in_table)))
            }
        })
    }

    /// The book of the tape (`Book::from_records`); refuses an empty tape.
    pub fn book(self) -> Result<Book> {
        let name = self.name();
        let book = Book::from_records(self.records()?)?;
        if book.is_empty() {
            return Err(Error::argument("tape", format!("{name}: no loans")));
        }
        Ok(book)
    }

    /// The tape's name for messages and reports.
    pub fn name(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Arrow { origin, .. } => origin.clone(),
        }
    }
}
