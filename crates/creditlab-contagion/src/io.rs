//! Reading the core's inputs from files: errors name the file, the line and the column.

use crate::error::{Error, Result};
use nalgebra::DMatrix;
use std::path::Path;

/// Reads a square correlation matrix: one CSV row per sector, no header. (Whether it is a
/// correlation matrix is checked by the model that uses it.)
pub fn read_correlation_matrix(path: &Path) -> Result<DMatrix<f64>> {
    let shown = path.display().to_string();
    let fail = |line: Option<usize>, reason: String| Error::Input {
        path: shown.clone(),
        line,
        reason,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| fail(None, e.to_string()))?;
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
                        format!("column {}: {v:?} is not a number", j + 1),
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
