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
        }
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
                    Block::Table(t) => t.to_markdown().trim_end().to_string(),
                    Block::Chart(c) => format!(
                        "![{}](charts/{}.svg)",
                        escape::markdown(c.title()),
                        escape::url_path(c.id())
                    ),
                });
            }
        }
        let mut out = parts.join("\n\n");
        out.push('\n');
        out
    }

    /// One self-contained HTML file: inline CSS and SVG, no scripts, fonts, images or links
    /// outside the file; a header with title and intro, a table of contents, then each
    /// section as `<section id="...">`, each chart as `<figure id="chart-<id>">`.
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
                    Block::Table(t) => out.push_str(&t.to_html()),
                    Block::Chart(c) => {
                        out.push_str(&format!("<figure id=\"chart-{}\">\n", escape::xml(c.id())));
                        out.push_str(&c.to_svg());
                        out.push_str(&format!(
                            "<figcaption>{}</figcaption>\n</figure>\n",
                            escape::xml(c.title())
                        ));
                    }
                }
            }
            out.push_str("</section>\n");
        }
        out.push_str("</main>\n</body>\n</html>\n");
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
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  a { color: inherit; text-decoration: none; }
  section, figure, .table-wrap { break-inside: avoid; }
  h2 { break-after: avoid; }
  tbody tr:nth-child(even) { background: none; }
}
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
