//! Reports: a small document model rendered as Markdown, self-contained HTML with inline SVG
//! charts, CSV and JSON.
//!
//! A [`Report`] holds sections of text, [`Table`]s of pre-formatted cells and [`Chart`]s with
//! their data. Renderers are pure functions of the model, deterministic to the byte, and
//! never fail; bad input (a row of the wrong length, a NaN point, zero on a log axis) is
//! rejected when it is added, with a [`ReportError`] that names the table or chart.
//!
//! This crate formats results; it computes no risk figure of its own.
//!
//! ```
//! use creditlab_report::{Chart, Report, Scale, Section, Table, format};
//!
//! # fn main() -> Result<(), creditlab_report::ReportError> {
//! let mut table = Table::new("tranches", "Expected loss by tranche", ["tranche", "EL"]);
//! table.row(["senior", format::pct(0.0004).as_str()])?;
//! table.row(["equity", format::pct(0.31).as_str()])?;
//!
//! let chart = Chart::line("tail", "Loss tail", "loss (%)", "P(L > x)")
//!     .y_scale(Scale::Log10)
//!     .series("Gaussian copula", vec![(1.0, 0.2), (5.0, 0.02), (10.0, 0.001)])?
//!     .reference_line("1-in-1000", 0.001);
//!
//! let mut section = Section::new("losses", "Losses");
//! section.text("The **senior** tranche is safe.").table(table).chart(chart);
//!
//! let mut report = Report::new("Bank book vs DeFi pool");
//! report.intro("One study, two books.").section(section);
//! report.validate()?;
//!
//! let html = report.to_html();
//! assert!(html.contains("<section id=\"losses\">"));
//! assert!(html.contains("<figure id=\"chart-tail\">"));
//! assert!(report.to_markdown().contains("![Loss tail](charts/tail.svg)"));
//! # Ok(())
//! # }
//! ```

pub mod axis;
mod chart;
mod error;
mod escape;
pub mod format;
mod report;
mod table;

pub use chart::{Chart, ChartKind, Scale};
pub use error::ReportError;
pub use report::{Block, Report, Section};
pub use table::Table;
