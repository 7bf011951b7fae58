//! End-to-end checks of the renderers: well-formed, escaped, self-contained, deterministic
//! output, and errors that name the bad input.

use creditlab_report::{Block, Chart, Report, ReportError, Scale, Section, Table, format};

/// Checks that `<`/`>` tags balance and every `&` starts a known entity; returns the tag
/// names seen. Void HTML elements and `<!DOCTYPE>` need no closing tag.
fn check_well_formed(doc: &str) -> Vec<String> {
    const VOID: [&str; 6] = ["meta", "br", "hr", "img", "link", "input"];
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find(['<', '&']) {
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix('&') {
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|e| tail.starts_with(e)),
                "bare & at {:?}",
                &tail[..tail.len().min(30)]
            );
            rest = after;
            continue;
        }
        let end = tail.find('>').expect("unterminated tag");
        let tag = &tail[1..end];
        assert!(!tag.contains('<'), "'<' inside tag {tag:?}");
        rest = &tail[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("closing </{name}> with none open"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!name.is_empty(), "empty tag name in {tag:?}");
        seen.push(name.clone());
        if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    seen
}

/// Every number in coordinate attributes must be finite.
fn check_finite_numbers(svg: &str) {
    assert!(!svg.contains("NaN"), "NaN in SVG");
    assert!(!svg.contains("inf"), "inf in SVG");
    for attr in [
        " x=\"",
        " y=\"",
        " cx=\"",
        " cy=\"",
        " width=\"",
        " height=\"",
        " d=\"",
    ] {
        for part in svg.split(attr).skip(1) {
            let value = &part[..part.find('"').unwrap()];
            for token in value.split(|c: char| c.is_ascii_alphabetic() || c == ' ') {
                if !token.is_empty() {
                    let v: f64 = token
                        .parse()
                        .unwrap_or_else(|_| panic!("bad number {token:?}"));
                    assert!(v.is_finite());
                }
            }
        }
    }
}

fn sample() -> Report {
    let mut t = Table::new("el", "Expected loss <by> tranche", ["tranche", "EL", "PD"]);
    t.row(["senior", &format::pct(0.0001), &format::bp(0.0003)])
        .unwrap();
    t.row([
        "equity & first loss",
        &format::pct(0.31),
        &format::bp(f64::NAN),
    ])
    .unwrap();
    let line = Chart::line("tail", "Loss tail", "loss", "P(L > x)")
        .y_scale(Scale::Log10)
        .series("bank", vec![(0.0, 1.0), (0.1, 0.01), (0.2, 1e-4)])
        .unwrap()
        .series("<defi>", vec![(0.0, 1.0), (0.2, 0.05)])
        .unwrap()
        .reference_line("floor", 1e-3);
    let step = Chart::step("cdf", "CDF", "defaults", "probability")
        .series("bank", vec![(0.0, 0.1), (1.0, 0.5), (2.0, 1.0)])
        .unwrap();
    let bars = Chart::bars(
        "capital",
        "Capital",
        vec!["A".into(), "B \"b\"".into()],
        "capital",
    )
    .bar_series("Basel", vec![0.08, -0.02])
    .unwrap();
    let mut s = Section::new("losses", "Losses & tails");
    s.text("Senior is **safe**; <script>alert(1)</script>")
        .table(t)
        .chart(line)
        .chart(step)
        .chart(bars);
    let mut r = Report::new("A <script>alert('x')</script> report");
    r.intro("Intro with **bold** text.").section(s);
    r.section(Section::new("empty", "Empty section"));
    r
}

#[test]
fn every_svg_is_well_formed_and_finite() {
    let r = sample();
    let mut charts: Vec<Chart> = r.charts().cloned().collect();
    charts.push(Chart::line("none", "No series", "x", "y"));
    charts.push(
        Chart::step("empty", "Empty series", "x", "y")
            .series("e", vec![])
            .unwrap(),
    );
    charts.push(
        Chart::line("one", "One point", "x", "y")
            .series("p", vec![(1.0, 1.0)])
            .unwrap(),
    );
    charts.push(
        Chart::line("flat0", "Zero line", "x", "y")
            .series("z", vec![(0.0, 0.0), (0.0, 0.0)])
            .unwrap(),
    );
    charts.push(
        Chart::line("log1", "One point on log axes", "x", "y")
            .x_scale(Scale::Log10)
            .y_scale(Scale::Log10)
            .series("p", vec![(5.0, 5.0)])
            .unwrap(),
    );
    charts.push(Chart::bars("nobars", "No categories", vec![], "y"));
    charts.push(
        Chart::bars("zeros", "All zero", vec!["a".into()], "y")
            .bar_series("s", vec![0.0])
            .unwrap(),
    );
    let many: Vec<String> = (0..30).map(|i| format!("category number {i}")).collect();
    let mut wide = Chart::bars("wide", "Many categories and series", many, "y");
    for k in 0..10 {
        wide = wide
            .bar_series(format!("series {k}"), vec![f64::from(k); 30])
            .unwrap();
    }
    charts.push(wide);
    for c in &charts {
        let svg = c.to_svg();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{}",
            c.id()
        );
        assert!(svg.contains("viewBox=\"0 0 640 360\""));
        let tags = check_well_formed(&svg);
        assert_eq!(tags[0], "svg");
        check_finite_numbers(&svg);
    }
}

#[test]
fn charts_have_legend_tooltips_and_nice_ticks() {
    let svg = Chart::line("c", "T", "x", "y")
        .series("s1", vec![(0.0, 0.0), (0.3, 0.97)])
        .unwrap()
        .to_svg();
    assert!(svg.contains("<title>s1: x = 0.3, y = 0.97</title>"));
    assert!(svg.contains("<title>s1</title>s1</text>"), "legend entry");
    for label in [">0.2<", ">0.4<", ">1.0<"] {
        assert!(svg.contains(label), "{label}");
    }
    assert!(!svg.contains("0.30000000000000004"));
    let log = Chart::line("l", "T", "x", "y")
        .x_scale(Scale::Log10)
        .series("s", vec![(10.0, 1.0), (100_000.0, 2.0)])
        .unwrap()
        .to_svg();
    for label in [">10<", ">100<", ">1k<", ">10k<", ">100k<"] {
        assert!(log.contains(label), "{label}");
    }
}

#[test]
fn a_scale_switched_after_the_data_skips_bad_points_and_fails_validation() {
    let c = Chart::line("late", "Late log", "x", "y")
        .series("s", vec![(0.0, 0.0), (1.0, 10.0)])
        .unwrap()
        .y_scale(Scale::Log10);
    check_finite_numbers(&c.to_svg());
    assert!(matches!(
        c.validate(),
        Err(ReportError::NonPositiveOnLog { index: 0, .. })
    ));
}

#[test]
fn html_is_self_contained_escaped_and_navigable() {
    let html = sample().to_html();
    check_well_formed(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("<script"),
        "a title's <script> must be escaped"
    );
    assert!(
        html.contains("<title>A &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; report</title>")
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Senior is <strong>safe</strong>;"));
    assert!(html.contains("<p>Intro with <strong>bold</strong> text.</p>"));
    for external in ["src=", "@import", "url(", "<link", "href=\"http"] {
        assert!(!html.contains(external), "external resource: {external}");
    }
    assert!(html.contains("<a href=\"#losses\">Losses &amp; tails</a>"));
    assert!(html.contains("<section id=\"losses\">"));
    assert!(html.contains("<section id=\"empty\">"));
    for id in ["tail", "cdf", "capital"] {
        assert!(
            html.contains(&format!("<figure id=\"chart-{id}\">")),
            "{id}"
        );
    }
    assert!(html.contains("<figcaption>Loss tail</figcaption>"));
    assert!(html.contains("<caption>Expected loss &lt;by&gt; tranche</caption>"));
    assert!(html.contains("<td class=\"num\">0.01%</td>"));
    assert!(
        html.contains("<td class=\"num\">n/a</td>"),
        "placeholder in a numeric column"
    );
}

#[test]
fn markdown_layout_and_escaping() {
    let md = sample().to_markdown();
    let expected_start = "# A \\<script\\>alert('x')\\</script\\> report\n\n\
                          Intro with **bold** text.\n\n\
                          ## Losses & tails\n\n\
                          Senior is **safe**; \\<script\\>alert(1)\\</script\\>\n\n\
                          *Expected loss \\<by\\> tranche*\n\n\
                          | tranche | EL | PD |\n\
                          | --- | --: | --: |\n\
                          | senior | 0.01% | 3 bp |\n\
                          | equity & first loss | 31.00% | n/a |\n\n\
                          ![Loss tail](charts/tail.svg)\n\n\
                          ![CDF](charts/cdf.svg)\n\n\
                          ![Capital](charts/capital.svg)\n\n\
                          ## Empty section\n";
    assert_eq!(md, expected_start);
}

#[test]
fn json_carries_blocks_and_chart_data() {
    let json: serde_json::Value = serde_json::from_str(&sample().to_json().unwrap()).unwrap();
    let blocks = &json["sections"][0]["blocks"];
    assert_eq!(blocks[0]["kind"], "text");
    assert_eq!(blocks[1]["kind"], "table");
    assert_eq!(blocks[1]["rows"][0][0], "senior");
    assert_eq!(blocks[2]["kind"], "chart");
    assert_eq!(blocks[2]["chart_kind"], "line");
    assert_eq!(blocks[2]["y_scale"], "log10");
    assert_eq!(blocks[2]["series"][0]["points"][1][1], 0.01);
    assert_eq!(blocks[4]["series"][0]["values"][0], 0.08);
    assert_eq!(blocks[4]["categories"][1], "B \"b\"");
}

#[test]
fn rendering_is_deterministic() {
    let (a, b) = (sample(), sample());
    assert_eq!(a.to_html(), b.to_html());
    assert_eq!(a.to_markdown(), b.to_markdown());
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    for (x, y) in a.charts().zip(b.charts()) {
        assert_eq!(x.to_svg(), y.to_svg());
    }
}

#[test]
fn bad_input_is_an_error_naming_where() {
    let err = Chart::line("c1", "t", "x", "y")
        .series("s", vec![(0.0, 1.0), (1.0, f64::NAN)])
        .unwrap_err();
    assert!(matches!(
        &err,
        ReportError::NonFinite {
            index: 1,
            axis: "y",
            ..
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("`c1`") && msg.contains("`s`") && msg.contains("index 1"),
        "{msg}"
    );

    let err = Chart::line("c2", "t", "x", "y")
        .x_scale(Scale::Log10)
        .series("s", vec![(0.0, 1.0)])
        .unwrap_err();
    assert!(matches!(
        err,
        ReportError::NonPositiveOnLog {
            axis: "x",
            index: 0,
            ..
        }
    ));

    let err = Chart::bars("c3", "t", vec!["a".into(), "b".into()], "y")
        .bar_series("s", vec![1.0])
        .unwrap_err();
    assert!(matches!(
        err,
        ReportError::BarCount {
            expected: 2,
            found: 1,
            ..
        }
    ));

    let err = Chart::bars("c4", "t", vec!["a".into()], "y")
        .series("s", vec![])
        .unwrap_err();
    assert!(matches!(err, ReportError::WrongSeriesKind { .. }));
    let err = Chart::line("c5", "t", "x", "y")
        .bar_series("s", vec![])
        .unwrap_err();
    assert!(matches!(err, ReportError::WrongSeriesKind { .. }));

    let mut t = Table::new("t1", "c", ["a", "b"]);
    let err = t.row(["1", "2", "3"]).unwrap_err();
    assert!(matches!(
        err,
        ReportError::RowLength {
            row: 0,
            expected: 2,
            found: 3,
            ..
        }
    ));
    assert!(err.to_string().contains("`t1`"));
}

#[test]
fn validate_rejects_unsafe_and_duplicate_ids() {
    assert!(sample().validate().is_ok());
    let mut r = sample();
    r.section(Section::new("losses", "again"));
    assert!(matches!(
        r.validate(),
        Err(ReportError::DuplicateId {
            what: "section",
            ..
        })
    ));
    let mut r = sample();
    r.sections[0]
        .blocks
        .push(Block::Chart(Chart::line("../x", "t", "x", "y")));
    assert!(matches!(
        r.validate(),
        Err(ReportError::InvalidId { what: "chart", .. })
    ));
}

#[test]
fn iterators_find_tables_and_charts_in_order() {
    let r = sample();
    assert_eq!(r.tables().map(Table::id).collect::<Vec<_>>(), ["el"]);
    assert_eq!(
        r.charts().map(Chart::id).collect::<Vec<_>>(),
        ["tail", "cdf", "capital"]
    );
}

#[test]
fn long_category_labels_wrap_whole_instead_of_being_cut() {
    let categories: Vec<String> = [
        "credit history known",
        "income known",
        "property collateral",
        "crypto collateral",
        "observed default rate",
        "a category with a very long name indeed",
    ]
    .map(String::from)
    .to_vec();
    let svg = Chart::bars("facts", "Facts", categories.clone(), "share")
        .bar_series("bank", vec![0.5; 6])
        .unwrap()
        .to_svg();
    check_well_formed(&svg);
    assert!(!svg.contains('…'), "no label is cut");
    // Every word of every label is drawn, line by line.
    for c in &categories {
        for word in c.split_whitespace() {
            assert!(svg.contains(word), "{word}");
        }
    }
    assert!(svg.contains("<tspan"), "long labels are on several lines");
    // A word wider than its band rotates the labels, still whole.
    let long: Vec<String> = (0..12)
        .map(|i| format!("supercalifragilistic{i}"))
        .collect();
    let svg = Chart::bars("rot", "Rotated", long, "y")
        .bar_series("s", vec![1.0; 12])
        .unwrap()
        .to_svg();
    assert!(svg.contains("rotate(-35") && svg.contains(">supercalifragilistic11<"));
}

#[test]
fn html_links_tables_to_csv_shows_captions_and_adds_scripts_only_when_asked() {
    let mut t = Table::new("el", "Expected loss", ["book", "EL"]);
    t.row(["bank", "0.07%"]).unwrap();
    let chart = Chart::line("c", "Loss tail", "x", "y")
        .series("bank", vec![(0.0, 1.0), (1.0, 2.0)])
        .unwrap()
        .caption("Look at the right end.");
    let mut s = Section::new("s", "S");
    s.table(t).chart(chart);
    let mut r = Report::new("R");
    r.section(s);
    let plain = r.to_html();
    assert!(!plain.contains("<script") && !plain.contains("tables/el.csv"));
    assert!(plain.contains("<figcaption>Look at the right end.</figcaption>"));
    assert!(r.to_markdown().contains("*Look at the right end.*"));
    r.link_tables("tables").interactive(true);
    let html = r.to_html();
    check_well_formed(&html);
    assert!(html.contains("<a class=\"csv\" href=\"tables/el.csv\" download>CSV</a>"));
    assert!(r.to_markdown().contains("[CSV](tables/el.csv)"));
    assert_eq!(html.matches("<script>").count(), 1, "one inline script");
    assert!(!html.contains("<script src"));
    // The legend entry and the series it toggles share their data-series index.
    assert!(html.contains("<g class=\"legend-item\" data-series=\"0\">"));
    assert!(html.contains("<path data-series=\"0\""));
}
