//! The crate's one error type.

/// What went wrong while building a report; each variant names the table or chart, and the
/// row, series or point, so the caller can find the bad value.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A table row has a different number of cells than the header.
    #[error(
        "table `{table}`: row {row} (counting from 0) has {found} cells, the header has {expected}"
    )]
    RowLength {
        /// Table id.
        table: String,
        /// Index of the offending row.
        row: usize,
        /// Number of header cells.
        expected: usize,
        /// Number of cells given.
        found: usize,
    },
    /// A chart value is NaN or infinite.
    #[error(
        "chart `{chart}`, series `{series}`: {axis} value at index {index} is {value}, it must be finite"
    )]
    NonFinite {
        /// Chart id.
        chart: String,
        /// Series name.
        series: String,
        /// Index of the point (or bar) in the series.
        index: usize,
        /// `x` or `y`.
        axis: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A value on a logarithmic axis is zero or negative.
    #[error(
        "chart `{chart}`, series `{series}`: {axis} value at index {index} is {value}, it must be > 0 on a log axis"
    )]
    NonPositiveOnLog {
        /// Chart id.
        chart: String,
        /// Series name.
        series: String,
        /// Index of the point (or bar) in the series.
        index: usize,
        /// `x` or `y`.
        axis: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A bar series has a different number of values than the chart has categories.
    #[error("chart `{chart}`, series `{series}`: {found} values for {expected} categories")]
    BarCount {
        /// Chart id.
        chart: String,
        /// Series name.
        series: String,
        /// Number of categories.
        expected: usize,
        /// Number of values given.
        found: usize,
    },
    /// `series` was called on a bar chart, or `bar_series` on a line or step chart.
    #[error("chart `{chart}`, series `{series}`: {hint}")]
    WrongSeriesKind {
        /// Chart id.
        chart: String,
        /// Series name.
        series: String,
        /// Which method to use instead.
        hint: &'static str,
    },
    /// An id is empty or holds characters unsafe in a file name or an HTML fragment.
    #[error("{what} id `{id}` must be non-empty and use only ASCII letters, digits, '-' and '_'")]
    InvalidId {
        /// `section`, `table` or `chart`.
        what: &'static str,
        /// The offending id.
        id: String,
    },
    /// Two sections, tables or charts share an id (links and chart files would collide).
    #[error("{what} id `{id}` is used twice")]
    DuplicateId {
        /// `section`, `table` or `chart`.
        what: &'static str,
        /// The repeated id.
        id: String,
    },
    /// JSON serialization failed.
    #[error("JSON serialization failed: {0}")]
    Json(#[from] serde_json::Error),
}
