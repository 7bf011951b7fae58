//! Reading the core's inputs from files: errors name the file, the line and the column.

use crate::collateral::Collateral;
use crate::error::{Error, Result};
use crate::portfolio::{Exposure, Lgd, Portfolio};
use csv::StringRecord;
use nalgebra::DMatrix;
use std::io::Read;
use std::path::Path;

/// Reads a portfolio CSV with a header (case-insensitive column names, any order): `ead`
/// (>= 0), `pd` and `lgd` (in [0, 1]) are required; `lgd_sd` (> 0 makes the LGD
/// Beta-distributed with mean `lgd`), `sector` (0-based index) and `f1`, `f2`, ... `fk`
/// (explicit factor loadings) are optional. A collateral LGD ([`Collateral`]) comes from
/// the columns `collateral_value` (a row with a value there has the collateral law, and its
/// `lgd` may be blank; `lgd` is then required only without it), `collateral_drift`,
/// `collateral_loading`, `collateral_vol`, `collateral_discount` and `collateral_cost`
/// (each optional, blank or absent meaning 0). Rows are read and checked one at a time, so
/// a large book is never held as text; an error names the line (the header is line 1) and
/// the column.
///
/// ```
/// let path = std::env::temp_dir().join(format!("read-portfolio-doc-{}.csv", std::process::id()));
/// std::fs::write(&path, "ead,pd,lgd,lgd_sd\n1,0.01,0.4,0.1\n3,0.02,0.45,0\n")?;
/// let book = creditlab_contagion::io::read_portfolio(&path)?;
/// assert_eq!((book.len(), book.total_ead()), (2, 4.0));
/// std::fs::write(&path, "ead,pd,lgd\n1,0.01,0.4\n2,abc,0.4\n")?;
/// let err = creditlab_contagion::io::read_portfolio(&path).unwrap_err().to_string();
/// assert!(err.contains("line 3") && err.contains("column pd"), "{err}");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_portfolio(path: &Path) -> Result<Portfolio> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::Input {
        path: shown.clone(),
        line: None,
        reason: e.to_string(),
    })?;
    portfolio_from_reader(file, &shown)
}

/// [`read_portfolio`] on any reader (a file, standard input, bytes in memory); `origin`
/// names it in errors as the path does.
///
/// ```
/// let csv = "ead,pd,lgd\n2,0.01,0.4\n";
/// let book = creditlab_contagion::io::portfolio_from_reader(csv.as_bytes(), "inline")?;
/// assert_eq!(book.total_ead(), 2.0);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
pub fn portfolio_from_reader<R: Read>(reader: R, origin: &str) -> Result<Portfolio> {
    let fail = |line: Option<usize>, reason: String| Error::Input {
        path: origin.to_string(),
        line,
        reason,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = rdr.headers().map_err(|e| fail(Some(1), e.to_string()))?;
    let columns = Columns::new(header).map_err(|reason| fail(Some(1), reason))?;
    let mut failure = None;
    let mut record = StringRecord::new();
    let mut rows_read = 0usize;
    let exposures = std::iter::from_fn(|| {
        if failure.is_some() {
            return None;
        }
        // Line of the row if csv cannot say (the header is line 1).
        let fallback = rows_read + 2;
        let row = match rdr.read_record(&mut record) {
            Ok(false) => return None,
            Ok(true) => {
                rows_read += 1;
                let line = record.position().map_or(fallback, |p| p.line() as usize);
                columns
                    .exposure(&record)
                    .map_err(|reason| fail(Some(line), reason))
            }
            Err(e) => {
                let line = e.position().map_or(fallback, |p| p.line() as usize);
                Err(fail(Some(line), e.to_string()))
            }
        };
        row.map_err(|e| failure = Some(e)).ok()
    });
    let portfolio = Portfolio::new(exposures);
    if let Some(e) = failure {
        return Err(e);
    }
    portfolio.map_err(|e| fail(None, e.to_string()))
}

/// The optional columns of a collateral LGD after `collateral_value`.
const COLLATERAL_COLUMNS: [&str; 5] = [
    "collateral_drift",
    "collateral_loading",
    "collateral_vol",
    "collateral_discount",
    "collateral_cost",
];

pub(crate) use creditlab_numerics::text::{closest, shown};

/// Where each field of a portfolio row is, from the header.
struct Columns {
    names: Vec<String>,
    ead: usize,
    pd: usize,
    lgd: Option<usize>,
    lgd_sd: Option<usize>,
    /// `collateral_value`, then drift, loading, vol, discount, cost.
    collateral: Option<(usize, [Option<usize>; 5])>,
    sector: Option<usize>,
    factors: Vec<usize>,
}

impl Columns {
    fn new(header: &StringRecord) -> std::result::Result<Self, String> {
        let names: Vec<String> = header.iter().map(str::to_lowercase).collect();
        let col = |name: &str| names.iter().position(|h| h == name);
        let need =
            |name: &str| col(name).ok_or_else(|| format!("no column {name:?} in the header"));
        let collateral = col("collateral_value").map(|v| (v, COLLATERAL_COLUMNS.map(&col)));
        let (ead, pd) = (need("ead")?, need("pd")?);
        let lgd = if collateral.is_some() {
            col("lgd")
        } else {
            Some(need("lgd")?)
        };
        let mut factors = Vec::new();
        while let Some(c) = col(&format!("f{}", factors.len() + 1)) {
            factors.push(c);
        }
        // Every column is read, or the header is refused: a misspelt `lgd_sdd` used to be
        // ignored (the LGD ran as a constant), a second `pd` lost to the first.
        let mut known: Vec<String> = ["ead", "pd", "lgd", "lgd_sd", "sector", "collateral_value"]
            .iter()
            .chain(&COLLATERAL_COLUMNS)
            .map(|s| s.to_string())
            .collect();
        known.extend((1..=factors.len()).map(|k| format!("f{k}")));
        for (i, name) in names.iter().enumerate() {
            if let Some(first) = names[..i].iter().position(|n| n == name) {
                return Err(format!(
                    "column {name:?} appears twice (columns {} and {}): which one holds the \
                     values is ambiguous",
                    first + 1,
                    i + 1
                ));
            }
            if !known.contains(name) {
                let hint = closest(name, known.iter().map(String::as_str))
                    .map(|k| format!("; did you mean {k:?}?"))
                    .unwrap_or_else(|| {
                        format!(
                            " (known: {})",
                            known[..6].join(", ") + ", collateral_*, f1..fk"
                        )
                    });
                return Err(format!("unknown column {name:?}{hint}"));
            }
        }
        Ok(Self {
            collateral,
            lgd_sd: col("lgd_sd"),
            sector: col("sector"),
            names,
            ead,
            pd,
            lgd,
            factors,
        })
    }

    /// A finite number in column `c`.
    fn cell(&self, rec: &StringRecord, c: usize) -> std::result::Result<f64, String> {
        let v = rec.get(c).unwrap_or("");
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                format!(
                    "column {}: {:?} is not a finite number",
                    self.names[c],
                    shown(v)
                )
            })
    }

    /// A number in [0, 1] in column `c`.
    fn in_unit(&self, rec: &StringRecord, c: usize) -> std::result::Result<f64, String> {
        let v = self.cell(rec, c)?;
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(format!("column {}: {v} is outside [0, 1]", self.names[c]))
        }
    }

    /// The collateral law of a row with a `collateral_value`; `None` without one.
    fn collateral_law(
        &self,
        rec: &StringRecord,
    ) -> std::result::Result<Option<Collateral>, String> {
        let Some((value, others)) = &self.collateral else {
            return Ok(None);
        };
        if rec.get(*value).unwrap_or("").is_empty() {
            return Ok(None);
        }
        let mut p = [0.0; 5];
        for (slot, c) in p.iter_mut().zip(others) {
            if let Some(c) = *c
                && !rec.get(c).unwrap_or("").is_empty()
            {
                *slot = self.cell(rec, c)?;
            }
        }
        Ok(Some(Collateral {
            value: self.cell(rec, *value)?,
            drift: p[0],
            loading: p[1],
            volatility: p[2],
            discount: p[3],
            cost: p[4],
        }))
    }

    /// The exposure of one row, checked alone ([`Exposure::validate`]).
    fn exposure(&self, rec: &StringRecord) -> std::result::Result<Exposure, String> {
        let ead = self.cell(rec, self.ead)?;
        if ead < 0.0 {
            return Err(format!("column ead: {ead} is negative"));
        }
        let pd = self.in_unit(rec, self.pd)?;
        let lgd = match self.collateral_law(rec)? {
            Some(law) => Lgd::Collateral(law),
            None => {
                let c = self
                    .lgd
                    .ok_or_else(|| "column lgd: blank, and no collateral_value".to_string())?;
                let lgd_mean = self.in_unit(rec, c)?;
                match self.lgd_sd {
                    Some(c) if self.cell(rec, c)? > 0.0 => Lgd::Beta {
                        mean: lgd_mean,
                        std_dev: self.cell(rec, c)?,
                    },
                    _ => Lgd::Constant(lgd_mean),
                }
            }
        };
        let mut e = Exposure::new(ead, pd, lgd);
        if let Some(c) = self.sector {
            let v = rec.get(c).unwrap_or("");
            e.sector = v.parse().map_err(|_| {
                format!(
                    "column sector: {:?} is not a sector index (0, 1, ...)",
                    shown(v)
                )
            })?;
        }
        if !self.factors.is_empty() {
            let loadings = self.factors.iter().map(|&c| self.cell(rec, c));
            e.loadings = Some(loadings.collect::<std::result::Result<_, _>>()?);
        }
        e.validate().map_err(|err| err.to_string())?;
        Ok(e)
    }
}

/// Reads a square correlation matrix: one CSV row per sector, no header. (Whether it is a
/// correlation matrix is checked by the model that uses it.)
pub fn read_correlation_matrix(path: &Path) -> Result<DMatrix<f64>> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::Input {
        path: shown.clone(),
        line: None,
        reason: e.to_string(),
    })?;
    correlation_matrix_from_reader(file, &shown)
}

/// [`read_correlation_matrix`] on any reader; `origin` names it in errors.
pub fn correlation_matrix_from_reader<R: Read>(reader: R, origin: &str) -> Result<DMatrix<f64>> {
    let fail = |line: Option<usize>, reason: String| Error::Input {
        path: origin.to_string(),
        line,
        reason,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| fail(Some(i + 1), e.to_string()))?;
        let row = rec
            .iter()
            .enumerate()
            .map(|(j, v)| {
                v.parse::<f64>().map_err(|_| {
                    fail(
                        Some(i + 1),
                        format!("column {}: {:?} is not a number", j + 1, shown(v)),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        rows.push(row);
    }
    let k = rows.len();
    if k == 0 || rows.iter().any(|r| r.len() != k) {
        return Err(fail(
            None,
            format!("the correlation matrix must be square ({k} rows)"),
        ));
    }
    Ok(DMatrix::from_fn(k, k, |i, j| rows[i][j]))
}
