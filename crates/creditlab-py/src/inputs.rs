//! Python inputs turned into the library's: portfolios from numpy columns, built-in books,
//! loan tapes from a file or from CSV text (what the Python side makes of a data frame).

use crate::error::{Error, Result};
use creditlab_contagion::importance::glasserman_li_portfolio;
use creditlab_contagion::{Copula, Exposure, Lgd, Portfolio};
use creditlab_loan::tape::{TapeFormat, TapeReader, open_tape};
use creditlab_loan::{Book, LoanRecord};
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use std::io::Cursor;
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

/// A built-in book by the name `cargo xtask loss --book` takes: `standard:N`,
/// `benchmark:N[:SECTORS[:SEED]]` or `glasserman-li`.
fn builtin_book(book: &str) -> Result<Portfolio> {
    if book == "glasserman-li" {
        return Ok(glasserman_li_portfolio()?.0);
    }
    let bad = || {
        Error::argument(
            "book",
            format!(
                "{book:?}: expected standard:N, benchmark:N[:SECTORS[:SEED]] with N, SECTORS \
                 >= 1, or glasserman-li"
            ),
        )
    };
    if let Some(rest) = book.strip_prefix("benchmark:") {
        let parts: Vec<&str> = rest.split(':').collect();
        let num = |i: usize, default: u64| -> Result<u64> {
            parts
                .get(i)
                .map_or(Ok(default), |v| v.parse::<u64>().map_err(|_| bad()))
        };
        let (n, sectors, seed) = (num(0, 0)? as usize, num(1, 1)? as usize, num(2, 1)?);
        if n == 0 || sectors == 0 || parts.len() > 3 {
            return Err(bad());
        }
        let book = Portfolio::benchmark_book(n, sectors, seed)?;
        if sectors == 1 {
            return Ok(book);
        }
        // The sector model's loadings on each loan, for copula "multi" (as the CLI does).
        let Copula::MultiFactor(model) = Copula::benchmark(sectors)? else {
            return Err(bad());
        };
        let exposures = (0..book.len()).map(|i| {
            let mut e = Exposure::new(book.ead()[i], book.pd()[i], book.lgd()[i]);
            e.sector = book.sector()[i];
            e.loadings = model.sector_loadings(e.sector).map(<[f64]>::to_vec);
            e
        });
        return Ok(Portfolio::new(exposures)?);
    }
    let n = book
        .strip_prefix("standard:")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    Ok(Portfolio::standard_book(n)?)
}

/// Where a loan tape comes from.
#[derive(Debug, Clone)]
pub enum TapeSource {
    /// A tape file (.csv, .jsonl, ... as `open_tape` reads it).
    File(PathBuf),
    /// A tape as CSV text (a data frame written by the Python side), named `origin`.
    Csv {
        /// The CSV, header first.
        text: Vec<u8>,
        /// What the messages call it.
        origin: String,
    },
}

impl TapeSource {
    /// Every record, read through the tape reader (its schema, checks and messages).
    pub fn records(&self) -> Result<Box<dyn Iterator<Item = creditlab_loan::Result<LoanRecord>>>> {
        Ok(match self {
            Self::File(path) => Box::new(open_tape(path)?),
            Self::Csv { text, origin } => {
                // Errors name the frame as open_tape names the file.
                let origin = origin.clone();
                let in_frame = move |source| creditlab_loan::Error::InFile {
                    path: origin.clone(),
                    source: Box::new(source),
                };
                let reader = TapeReader::new(Cursor::new(text.clone()), TapeFormat::Csv)
                    .map_err(in_frame.clone())?;
                Box::new(reader.map(move |r| r.map_err(&in_frame)))
            }
        })
    }

    /// The book of the tape (`Book::from_records`); refuses an empty tape.
    pub fn book(&self) -> Result<Book> {
        let book = Book::from_records(self.records()?)?;
        if book.is_empty() {
            return Err(Error::argument(
                "tape",
                format!("{}: no loans", self.name()),
            ));
        }
        Ok(book)
    }

    /// The tape's name for messages and reports.
    pub fn name(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Csv { origin, .. } => origin.clone(),
        }
    }
}
