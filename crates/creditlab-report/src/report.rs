//! The document model (report, sections, blocks) and its Markdown, HTML and JSON renderers.

use std::collections::BTreeSet;

use serde::{Serialize, Serializer};

use crate::escape::{self, Span};
use crate::{Chart, ReportError, Table};

/// A report: a title, intro paragraphs and sections of text, tables and charts.
///
/// ```
/// use creditlab_report::{Report, ReportError, Section, Table};
/// let mut t = Table::new("size", "Book size", ["book", "loans"]);
/// t.row(["bank", "10,000"])?;
/// let mut s = Section::new("books", "The books");
/// s.text("Two books of **equal** size.").table(t);
/// let mut r = Report::new("Study");
/// r.section(s);
/// r.validate()?;
/// assert!(r.to_markdown().starts_with("# Study"));
/// let json: serde_json::Value = serde_json::from_str(&r.to_json()?).unwrap();
/// assert_eq!(json["sections"][0]["blocks"][1]["kind"], "table");
/// # Ok::<(), ReportError>(())
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Shown as the document's heading and HTML `<title>`.
    pub title: String,
    /// Paragraphs under the title (plain text; `**bold**` allowed).
    pub intro: Vec<String>,
    /// The sections, in order.
    pub sections: Vec<Section>,
    /// How the HTML links and behaves ([`Report::link_tables`], [`Report::interactive`]).
    #[serde(skip)]
    html: HtmlOptions,
}

/// Options of [`Report::to_html`] beyond the content.
#[derive(Debug, Clone, Default)]
struct HtmlOptions {
    /// The folder (relative URL) where each table is written as `<id>.csv`.
    tables_dir: Option<String>,
    /// Whether to add the inline scripts (legend toggles, sortable tables).
    interactive: bool,
}

/// A section: an id (the HTML anchor), a heading and its blocks.
///
/// ```
/// use creditlab_report::{Block, Section};
/// let mut s = Section::new("verdict", "Verdict");
/// s.text("DeFi is safer per dollar lent.");
/// assert!(matches!(&s.blocks[0], Block::Text(t) if t.starts_with("DeFi")));
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Anchor id: `<section id="...">` and the table of contents' link target.
    pub id: String,
    /// Heading.
    pub title: String,
    /// Content, in order.
    pub blocks: Vec<Block>,
}

/// One piece of section content.
///
/// Serialized with a `kind` tag: `{"kind": "text", "text": ...}`, or the table's or chart's
/// fields beside `"kind": "table"` / `"kind": "chart"`.
#[derive(Debug, Clone)]
pub enum Block {
    /// One paragraph of plain text; `**bold**` is rendered as bold.
    Text(String),
    /// A table.
    Table(Table),
    /// A chart.
    Chart(Chart),
}

/// The serialized shape of a [`Block`]: serde cannot tag a newtype variant holding a string
/// internally, so text is wrapped in a `text` field.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum BlockRepr<'a> {
    Text { text: &'a str },
    Table(&'a Table),
    Chart(&'a Chart),
}

impl Serialize for Block {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Block::Text(text) => BlockRepr::Text { text },
            Block::Table(t) => BlockRepr::Table(t),
            Block::Chart(c) => BlockRepr::Chart(c),
        }
        .serialize(serializer)
    }
}

impl Report {
    /// An empty report with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            intro: Vec::new(),
            sections: Vec::new(),
            html: HtmlOptions::default(),
        }
    }

    /// Links every table, in the HTML and the Markdown, to its CSV `DIR/<id>.csv`: the
    /// caller writes [`Table::to_csv`] there, beside the report (the study writes `tables/`).
    pub fn link_tables(&mut self, dir: impl Into<String>) -> &mut Self {
        self.html.tables_dir = Some(dir.into());
        self
    }

    /// Adds two small inline scripts to the HTML: a click on a chart's legend entry hides or
    /// shows its series, a click on a table's header (or Enter on it) sorts the table by
    /// that column, numbers by value. The page reads the same without them.
    pub fn interactive(&mut self, on: bool) -> &mut Self {
        self.html.interactive = on;
        self
    }

    /// Appends an intro paragraph.
    pub fn intro(&mut self, paragraph: impl Into<String>) -> &mut Self {
        self.intro.push(paragraph.into());
        self
    }

    /// Appends a section.
    pub fn section(&mut self, section: Section) -> &mut Self {
        self.sections.push(section);
        self
    }

    /// Every table, in document order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.blocks().filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
    }

    /// Every chart, in document order (the pipeline writes each to `charts/<id>.svg`).
    pub fn charts(&self) -> impl Iterator<Item = &Chart> {
        self.blocks().filter_map(|b| match b {
            Block::Chart(c) => Some(c),
            _ => None,
        })
    }

    fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.sections.iter().flat_map(|s| &s.blocks)
    }

    /// Checks what renderers cannot: section, table and chart ids are non-empty, use only
    /// `[A-Za-z0-9_-]` (they become anchors and file names) and are unique within their kind;
    /// chart data still fits the chart's scales. Renderers work without it, but links or
    /// chart files may then collide.
    pub fn validate(&self) -> Result<(), ReportError> {
        let mut seen: [BTreeSet<String>; 3] = Default::default();
        let mut check = |what: &'static str, slot: usize, id: &str| {
            let ok = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(ReportError::InvalidId {
                    what,
                    id: id.to_string(),
                });
            }
            if !seen[slot].insert(id.to_string()) {
                return Err(ReportError::DuplicateId {
                    what,
                    id: id.to_string(),
                });
            }
            Ok(())
        };
        for s in &self.sections {
            check("section", 0, &s.id)?;
            for b in &s.blocks {
                match b {
                    Block::Text(_) => {}
                    Block::Table(t) => check("table", 1, t.id())?,
                    Block::Chart(c) => {
                        check("chart", 2, c.id())?;
                        c.validate()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Pretty-printed JSON of the whole report, chart data included.
    pub fn to_json(&self) -> Result<String, ReportError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// GitHub-flavoured Markdown: `# title`, intro, `## section` headings, paragraphs, pipe
    /// tables under an italic caption, charts as `![title](charts/<id>.svg)` links to the files
    /// the pipeline writes beside the Markdown.
    pub fn to_markdown(&self) -> String {
        let mut parts: Vec<String> = vec![format!("# {}", escape::markdown(&self.title))];
        parts.extend(
            self.intro
                .iter()
                .filter(|p| !p.trim().is_empty())
                .map(|p| markdown_paragraph(p)),
        );
        for s in &self.sections {
            parts.push(format!("## {}", escape::markdown(&s.title)));
            for b in &s.blocks {
                parts.push(match b {
                    Block::Text(p) if p.trim().is_empty() => continue,
                    Block::Text(p) => markdown_paragraph(p),
                    Block::Table(t) => match &self.html.tables_dir {
                        Some(dir) => format!(
                            "{}\n\n[CSV]({})",
                            t.to_markdown().trim_end(),
                            t.csv_href(dir)
                        ),
                        None => t.to_markdown().trim_end().to_string(),
                    },
                    Block::Chart(c) => {
                        let image = format!(
                            "![{}](charts/{}.svg)",
                            escape::markdown(c.title()),
                            escape::url_path(c.id())
                        );
                        match c.figure_caption() {
                            caption if caption == c.title() => image,
                            caption => format!("{image}\n\n*{}*", escape::markdown(caption)),
                        }
                    }
                });
            }
        }
        let mut out = parts.join("\n\n");
        out.push('\n');
        out
    }

    /// One self-contained HTML file: inline CSS and SVG, no fonts, images or links outside
    /// the file (but the tables' CSVs when [`Report::link_tables`] is set), no scripts
    /// unless [`Report::interactive`]; a header with title and intro, a table of contents,
    /// then each section as `<section id="...">`, each chart as `<figure id="chart-<id>">`
    /// with its caption ([`Chart::caption`]).
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str(&format!("<title>{}</title>\n", escape::xml(&self.title)));
        out.push_str("<style>\n");
        out.push_str(CSS);
        out.push_str("</style>\n</head>\n<body>\n<header>\n");
        out.push_str(&format!("<h1>{}</h1>\n", escape::xml(&self.title)));
        for p in self.intro.iter().filter(|p| !p.trim().is_empty()) {
            out.push_str(&format!("<p>{}</p>\n", html_inline(p)));
        }
        out.push_str("</header>\n");
        if !self.sections.is_empty() {
            out.push_str("<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ul>\n");
            for s in &self.sections {
                out.push_str(&format!(
                    "<li><a href=\"#{}\">{}</a></li>\n",
                    escape::xml(&s.id),
                    escape::xml(&s.title)
                ));
            }
            out.push_str("</ul>\n</nav>\n");
        }
        out.push_str("<main>\n");
        for s in &self.sections {
            out.push_str(&format!(
                "<section id=\"{}\">\n<h2>{}</h2>\n",
                escape::xml(&s.id),
                escape::xml(&s.title)
            ));
            for b in &s.blocks {
                match b {
                    Block::Text(p) if p.trim().is_empty() => {}
                    Block::Text(p) => out.push_str(&format!("<p>{}</p>\n", html_inline(p))),
                    Block::Table(t) => match &self.html.tables_dir {
                        Some(dir) => out.push_str(&t.to_html_linked(dir)),
                        None => out.push_str(&t.to_html()),
                    },
                    Block::Chart(c) => {
                        out.push_str(&format!("<figure id=\"chart-{}\">\n", escape::xml(c.id())));
                        out.push_str(&c.to_svg());
                        out.push_str(&format!(
                            "<figcaption>{}</figcaption>\n</figure>\n",
                            escape::xml(c.figure_caption())
                        ));
                    }
                }
            }
            out.push_str("</section>\n");
        }
        out.push_str("</main>\n");
        if self.html.interactive {
            out.push_str("<script>\n");
            out.push_str(SCRIPT);
            out.push_str("</script>\n");
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

impl Section {
    /// An empty section.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// Appends a paragraph (plain text; `**bold**` allowed).
    pub fn text(&mut self, s: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Text(s.into()));
        self
    }

    /// Appends a table.
    pub fn table(&mut self, t: Table) -> &mut Self {
        self.blocks.push(Block::Table(t));
        self
    }

    /// Appends a chart.
    pub fn chart(&mut self, c: Chart) -> &mut Self {
        self.blocks.push(Block::Chart(c));
        self
    }
}

/// A Text block as Markdown: plain spans escaped, bold spans as `**...**`.
fn markdown_paragraph(p: &str) -> String {
    let mut out = String::new();
    for span in escape::spans(p) {
        match span {
            Span::Plain(s) => out.push_str(&escape::markdown(s)),
            Span::Bold(s) => {
                // `** x **` would not be bold in Markdown: keep the spaces outside.
                let inner = s.trim();
                let lead = &s[..s.len() - s.trim_start().len()];
                let trail = &s[s.trim_end().len()..];
                if inner.is_empty() {
                    out.push_str(s);
                } else {
                    out.push_str(&format!("{lead}**{}**{trail}", escape::markdown(inner)));
                }
            }
        }
    }
    escape::markdown_block_start(&out)
}

/// A Text block as HTML: escaped, bold spans as `<strong>`.
fn html_inline(p: &str) -> String {
    let mut out = String::new();
    for span in escape::spans(p) {
        match span {
            Span::Plain(s) => out.push_str(&escape::xml(s)),
            Span::Bold(s) => out.push_str(&format!("<strong>{}</strong>", escape::xml(s))),
        }
    }
    out
}

/// The stylesheet: system fonts only, readable on screen and on paper.
const CSS: &str = r#"body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1a1a1a; background: #ffffff; line-height: 1.5; margin: 0 auto; max-width: 960px;
  padding: 1.5rem; }
h1 { font-size: 1.8rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 0.75rem; border-bottom: 1px solid #dddddd;
  padding-bottom: 0.2rem; }
nav h2 { font-size: 1.1rem; border: none; margin-top: 1rem; }
nav ul { margin: 0; padding-left: 1.5rem; list-style: none; }
a { color: #0b5cad; }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: 0.9rem; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: 0.3rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e2e2e2; text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid #999999; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f7f7f7; }
figure { margin: 1.5rem 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9rem; color: #444444; margin-top: 0.3rem; }
caption a.csv { font-style: normal; font-size: 0.8rem; margin-left: 0.4rem; }
.legend-item.off { opacity: 0.35; }
th[aria-sort="ascending"]::after { content: " \25B2"; font-size: 0.7em; }
th[aria-sort="descending"]::after { content: " \25BC"; font-size: 0.7em; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  a { color: inherit; text-decoration: none; }
  section, figure, .table-wrap { break-inside: avoid; }
  caption a.csv { display: none; }
  h2 { break-after: avoid; }
  tbody tr:nth-child(even) { background: none; }
}
"#;

/// The inline script of [`Report::interactive`]: legend entries toggle their series (every
/// element of the chart with the entry's `data-series`), table headers sort their table
/// (numbers by value, with the report's k/m/bn suffixes; text alphabetically; again to
/// reverse). No dependencies, no network; without it the page is the same, only static.
/// Written without `&`, `<` and `>` so the page stays well-formed XML.
const SCRIPT: &str = r#"(function () {
  "use strict";
  document.querySelectorAll("figure svg").forEach(function (svg) {
    svg.querySelectorAll(".legend-item").forEach(function (item) {
      var series = item.getAttribute("data-series");
      item.style.cursor = "pointer";
      item.setAttribute("role", "button");
      item.addEventListener("click", function () {
        var off = item.classList.toggle("off");
        svg.querySelectorAll('[data-series="' + series + '"]').forEach(function (el) {
          if (el !== item) { el.style.display = off ? "none" : ""; }
        });
      });
    });
  });
  var scale = { k: 1e3, m: 1e6, bn: 1e9, tn: 1e12 };
  function value(text) {
    var t = text.trim().replace(/,/g, "").replace(/\u2212/g, "-");
    var m = t.match(/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i);
    if (!m) { return null; }
    var unit = t.slice(m[0].length).trim().toLowerCase();
    return parseFloat(m[0]) * (scale[unit] || 1);
  }
  document.querySelectorAll("table").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.tabIndex = 0;
      th.style.cursor = "pointer";
      th.title = "Sort by this column";
      function sort() {
        var up = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col] ? a.cells[col].textContent : "";
          var y = b.cells[col] ? b.cells[col].textContent : "";
          var vx = value(x), vy = value(y), c;
          if (vx === null) {
            c = vy === null ? x.localeCompare(y) : 1;
          } else {
            c = vy === null ? -1 : vx - vy;
          }
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_in_markdown_keeps_spaces_outside_the_markers() {
        assert_eq!(markdown_paragraph("a ** b ** c"), "a  **b**  c");
        assert_eq!(markdown_paragraph("**x**"), "**x**");
        assert_eq!(markdown_paragraph("- **x**"), "\\- **x**");
    }

    #[test]
    fn empty_paragraphs_are_skipped() {
        let mut r = Report::new("t");
        r.intro("  ");
        let mut s = Section::new("s", "S");
        s.text("");
        r.section(s);
        assert_eq!(r.to_markdown(), "# t\n\n## S\n");
        assert!(!r.to_html().contains("<p>"));
    }
}
