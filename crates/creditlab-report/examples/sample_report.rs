//! Writes a sample report (HTML, Markdown, JSON, CSV and one SVG per chart) into the
//! directory given as the first argument, to look at the renderers' output by eye.
//!
//! `cargo run -p creditlab-report --example sample_report -- /tmp/report`

use std::path::PathBuf;

use creditlab_report::{Chart, Report, ReportError, Scale, Section, Table, format};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "report".into()));
    std::fs::create_dir_all(dir.join("charts"))?;
    let report = sample()?;
    report.validate()?;
    std::fs::write(dir.join("report.html"), report.to_html())?;
    std::fs::write(dir.join("report.md"), report.to_markdown())?;
    std::fs::write(dir.join("report.json"), report.to_json()?)?;
    for c in report.charts() {
        std::fs::write(
            dir.join("charts").join(format!("{}.svg", c.id())),
            c.to_svg(),
        )?;
    }
    for t in report.tables() {
        std::fs::write(dir.join(format!("{}.csv", t.id())), t.to_csv())?;
        print!("{}", t.to_text());
    }
    println!("wrote {}", dir.display());
    Ok(())
}

fn sample() -> Result<Report, ReportError> {
    let mut report = Report::new("Bank book vs DeFi pool: loss per unit lent");
    report
        .intro("Two books of **1.2bn** each, graded on one master scale.")
        .intro("Figures are fractions of the amount lent unless said otherwise.");

    let mut t = Table::new(
        "tranches",
        "Tranche risk, bank book",
        ["tranche", "attach", "EL", "PD", "rating"],
    );
    for (name, a, el, pd, r) in [
        ("senior", 0.15, 0.00004, 0.0003, "AAA"),
        ("mezzanine", 0.05, 0.0061, 0.031, "BB+"),
        ("equity", 0.0, 0.312, 0.97, "n/a"),
    ] {
        t.row([
            name.to_string(),
            format::pct(a),
            format::pct(el),
            format::bp(pd),
            r.into(),
        ])?;
    }

    let xs: Vec<f64> = (0..=40).map(|i| f64::from(i) * 0.5).collect();
    let tail = |rho: f64| -> Vec<(f64, f64)> {
        xs.iter()
            .map(|&x| (x, (-x / (2.0 + 10.0 * rho)).exp().max(1e-6)))
            .collect()
    };
    let tail_chart = Chart::line("loss-tail", "Loss tail", "loss (% of book)", "P(L > x)")
        .y_scale(Scale::Log10)
        .series("bank (rho 0.05)", tail(0.05))?
        .series("DeFi (rho 0.30)", tail(0.30))?
        .reference_line("1-in-1000", 0.001);

    let cdf: Vec<(f64, f64)> = (0..=20)
        .map(|i| (f64::from(i), 1.0 - 0.8f64.powi(i)))
        .collect();
    let cdf_chart = Chart::step(
        "default-cdf",
        "Defaults by month",
        "month",
        "cumulative default rate",
    )
    .series("bank", cdf)?;

    let bars = Chart::bars(
        "capital",
        "Capital per unit lent",
        vec!["senior".into(), "mezzanine".into(), "equity".into()],
        "capital (fraction)",
    )
    .bar_series("Basel SEC-IRBA", vec![0.016, 0.12, 1.0])?
    .bar_series("DeFi overcollateral", vec![0.0, 0.25, 0.5])?
    .reference_line("floor", 0.15);

    let exposure = Chart::line("exposure", "Exposure by size", "loan size", "count")
        .x_scale(Scale::Log10)
        .series(
            "loans",
            vec![(10.0, 3.0), (1000.0, 30.0), (100_000.0, 12.0)],
        )?;

    let empty = Chart::line("empty", "Nothing yet", "x", "y");
    let single = Chart::line("single", "One point", "x", "y").series("only", vec![(3.0, 0.3)])?;

    let mut s1 = Section::new("tranches", "Tranches");
    s1.text("The senior tranche is **AAA** on both books; the pipe | stays a pipe.")
        .table(t)
        .chart(tail_chart);
    let mut s2 = Section::new("timing", "Timing and capital");
    s2.chart(cdf_chart)
        .chart(bars)
        .chart(exposure)
        .chart(empty)
        .chart(single);
    report.section(s1).section(s2);
    Ok(report)
}
