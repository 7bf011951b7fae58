//! A first program on creditlab-report, using only its public API: a table and a chart in
//! a section, rendered as HTML and Markdown. Run it with
//! `cargo run -p creditlab-report --example report_quickstart`; `cargo test` runs it too.

use creditlab_report::{Chart, Report, Scale, Section, Table, format};

/// The program; `pub` so that the crate's tests run it.
pub fn main() -> Result<(), creditlab_report::ReportError> {
    let mut table = Table::new("tranches", "Expected loss by tranche", ["tranche", "EL"]);
    table.row(["senior", format::pct(0.0004).as_str()])?;
    table.row(["equity", format::pct(0.31).as_str()])?;
    let chart = Chart::line("tail", "Loss tail", "loss (%)", "P(L > x)")
        .y_scale(Scale::Log10)
        .series(
            "Gaussian copula",
            vec![(1.0, 0.2), (5.0, 0.02), (10.0, 0.001)],
        )?
        .reference_line("1-in-1000", 0.001);
    let mut section = Section::new("losses", "Losses");
    section
        .text("The **senior** tranche is safe.")
        .table(table)
        .chart(chart);
    let mut report = Report::new("Bank book vs DeFi pool");
    report.intro("One study, two books.").section(section);
    report.validate()?;
    println!("{} bytes of HTML", report.to_html().len());
    print!("{}", report.to_markdown());
    Ok(())
}
