//! Tables of pre-formatted cells, rendered as aligned text, CSV, Markdown and HTML.

use serde::Serialize;

use crate::ReportError;
use crate::escape;

/// A table of text cells under a header. Cells are already formatted (see [`crate::format`]),
/// so every renderer shows the same digits.
///
/// ```
/// use creditlab_report::{ReportError, Table, format};
/// let mut t = Table::new("el", "Expected loss", ["book", "EL", "exposure"]);
/// t.row(["bank", &format::pct(0.0007), &format::money(1.0e9)])?;
/// assert_eq!(t.to_csv(), "book,EL,exposure\nbank,0.07%,1bn\n");
/// // A row of the wrong length is refused, naming the table and the row.
/// let e = t.row(["defi", "0.28%"]).unwrap_err();
/// assert!(matches!(e, ReportError::RowLength { row: 1, expected: 3, found: 2, .. }));
/// assert!(e.to_string().contains("el"));
/// # Ok::<(), ReportError>(())
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    id: String,
    caption: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table; `id` names it in errors, in HTML (`table-<id>`) and in file names the
    /// caller derives from it.
    pub fn new<S: Into<String>>(
        id: impl Into<String>,
        caption: impl Into<String>,
        header: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            id: id.into(),
            caption: caption.into(),
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; fails, naming the table and the row, unless it has one cell per header
    /// column.
    pub fn row<S: Into<String>>(
        &mut self,
        cells: impl IntoIterator<Item = S>,
    ) -> Result<(), ReportError> {
        let cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        if cells.len() != self.header.len() {
            return Err(ReportError::RowLength {
                table: self.id.clone(),
                row: self.rows.len(),
                expected: self.header.len(),
                found: cells.len(),
            });
        }
        self.rows.push(cells);
        Ok(())
    }

    /// The table's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The caption shown above the table.
    pub fn caption(&self) -> &str {
        &self.caption
    }

    /// The header cells.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The body rows, each with one cell per header column.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Aligned plain text for terminals: cells right-aligned, two spaces between columns, a
    /// dashed rule under the header. No caption (the caller prints it if wanted).
    pub fn to_text(&self) -> String {
        let widths = self.widths();
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| {
                    let c = one_line(c);
                    format!("{}{c}", " ".repeat(w - c.chars().count()))
                })
                .collect();
            out.push_str(&padded.join("  "));
            out.push('\n');
        };
        line(&self.header, &mut out);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for row in &self.rows {
            line(row, &mut out);
        }
        out
    }

    /// CSV with RFC 4180 quoting (a cell holding a comma, a quote or a line break is quoted,
    /// quotes doubled); header first, lines end with `\n`.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        for cells in std::iter::once(&self.header).chain(&self.rows) {
            let quoted: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&quoted.join(","));
            out.push('\n');
        }
        out
    }

    /// A GitHub pipe table (numeric columns right-aligned) preceded by the caption in italics
    /// and a blank line. Markdown syntax in cells, `|` included, is escaped. A table without
    /// columns renders as its caption only, as Markdown has no empty table.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if !self.caption.is_empty() {
            out.push_str(&format!("*{}*\n\n", escape::markdown(&self.caption)));
        }
        if self.header.is_empty() {
            return out;
        }
        let row = |cells: &[String]| {
            let cells: Vec<String> = cells.iter().map(|c| escape::markdown(c)).collect();
            format!("| {} |\n", cells.join(" | "))
        };
        out.push_str(&row(&self.header));
        let rules: Vec<&str> = self
            .numeric_columns()
            .iter()
            .map(|&n| if n { "--:" } else { "---" })
            .collect();
        out.push_str(&format!("| {} |\n", rules.join(" | ")));
        for r in &self.rows {
            out.push_str(&row(r));
        }
        out
    }

    /// An HTML `<table>` with its caption; the cells and header of a numeric column carry
    /// `class="num"` so they are right-aligned. A number in a column of text stays aligned
    /// with its column (a lone right-aligned "99.90%" among left-aligned "0.43% ± ..." reads
    /// as a ragged column).
    pub fn to_html(&self) -> String {
        self.html(None)
    }

    /// [`Table::to_html`] with a link in the caption to the table's CSV, `DIR/<id>.csv`
    /// ([`Table::to_csv`], written there by the caller), `dir` a relative URL like `tables`.
    pub fn to_html_linked(&self, dir: &str) -> String {
        self.html(Some(dir))
    }

    /// The relative URL of the table's CSV in the folder `dir`.
    pub fn csv_href(&self, dir: &str) -> String {
        format!("{dir}/{}.csv", escape::url_path(&self.id))
    }

    fn html(&self, csv_dir: Option<&str>) -> String {
        let numeric = self.numeric_columns();
        let mut out = format!(
            "<div class=\"table-wrap\"><table id=\"table-{}\">\n",
            escape::xml(&self.id)
        );
        let link = csv_dir.map_or(String::new(), |dir| {
            let gap = if self.caption.is_empty() { "" } else { " " };
            format!(
                "{gap}<a class=\"csv\" href=\"{}\" download>CSV</a>",
                escape::xml(&self.csv_href(dir))
            )
        });
        if !self.caption.is_empty() || !link.is_empty() {
            out.push_str(&format!(
                "<caption>{}{link}</caption>\n",
                escape::xml(&self.caption)
            ));
        }
        out.push_str("<thead><tr>");
        for (h, &n) in self.header.iter().zip(&numeric) {
            let class = if n { " class=\"num\"" } else { "" };
            out.push_str(&format!("<th scope=\"col\"{class}>{}</th>", escape::xml(h)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for (c, &n) in row.iter().zip(&numeric) {
                let class = if n { " class=\"num\"" } else { "" };
                out.push_str(&format!("<td{class}>{}</td>", escape::xml(c)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table></div>\n");
        out
    }

    /// Column widths in characters (header and body).
    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self
            .header
            .iter()
            .map(|h| one_line(h).chars().count())
            .collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(one_line(c).chars().count());
            }
        }
        widths
    }

    /// Whether each column is numeric: at least one numeric cell, and every other cell a
    /// placeholder (empty, `-`, `n/a`).
    fn numeric_columns(&self) -> Vec<bool> {
        (0..self.header.len())
            .map(|j| {
                let mut any = false;
                for row in &self.rows {
                    let c = row[j].trim();
                    if is_numeric(c) {
                        any = true;
                    } else if !is_placeholder(c) {
                        return false;
                    }
                }
                any
            })
            .collect()
    }
}

/// A cell on one line (for aligned text, where a line break would break the grid).
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn csv_cell(c: &str) -> String {
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}

fn is_placeholder(c: &str) -> bool {
    matches!(c, "" | "-" | "—" | "n/a")
}

/// Whether a formatted cell reads as a number: optional sign or currency, digits with
/// optional thousands separators, then an optional unit (`%`, `bp`, `k`, `m`, `bn`, `x`).
pub(crate) fn is_numeric(c: &str) -> bool {
    let c = c.trim();
    let c = c.strip_prefix(['+', '-', '−']).unwrap_or(c);
    let c = c.strip_prefix(['$', '€', '£']).unwrap_or(c);
    let mut c = c.trim_end();
    for unit in ["%", "bp", "bn", "tn", "k", "m", "x", "y"] {
        if let Some(rest) = c.strip_suffix(unit) {
            c = rest.trim_end();
            break;
        }
    }
    let plain = c.replace(',', "");
    !plain.is_empty()
        && plain.starts_with(|ch: char| ch.is_ascii_digit() || ch == '.')
        && plain.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new("t1", "Tranche losses", ["tranche", "EL", "PD"]);
        t.row(["senior", "0.01%", "12 bp"]).unwrap();
        t.row(["equity", "35.20%", "n/a"]).unwrap();
        t
    }

    #[test]
    fn wrong_row_length_names_table_and_row() {
        let mut t = sample();
        let err = t.row(["only", "two"]).unwrap_err().to_string();
        assert!(err.contains("`t1`") && err.contains("row 2"), "{err}");
        assert_eq!(t.rows().len(), 2);
    }

    #[test]
    fn text_is_right_aligned_with_a_rule() {
        let text = sample().to_text();
        let expected = concat!(
            "tranche      EL     PD\n",
            "-------  ------  -----\n",
            " senior   0.01%  12 bp\n",
            " equity  35.20%    n/a\n",
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn csv_quotes_per_rfc_4180() {
        let mut t = Table::new("q", "", ["name", "note"]);
        t.row(["a,b", "say \"hi\""]).unwrap();
        t.row(["two\nlines", "plain"]).unwrap();
        assert_eq!(
            t.to_csv(),
            "name,note\n\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",plain\n"
        );
    }

    #[test]
    fn markdown_escapes_pipes_and_aligns_numbers() {
        let mut t = Table::new("m", "Pipes | stars*", ["a|b", "n"]);
        t.row(["x|y", "1,234.5"]).unwrap();
        assert_eq!(
            t.to_markdown(),
            "*Pipes \\| stars\\**\n\n| a\\|b | n |\n| --- | --: |\n| x\\|y | 1,234.5 |\n"
        );
    }

    #[test]
    fn numeric_cells() {
        for c in [
            "1", "-2.5", "1,234", "12 bp", "3.4%", "1.2bn", "$5m", ".5", "2.0x",
        ] {
            assert!(is_numeric(c), "{c}");
        }
        for c in ["AAA", "n/a", "", "senior", "1-2", "inf", "NaN", "-"] {
            assert!(!is_numeric(c), "{c}");
        }
    }

    #[test]
    fn html_escapes_and_marks_numeric_columns() {
        let mut t = Table::new("h", "<b>", ["name", "value"]);
        t.row(["<i>", "1.5%"]).unwrap();
        let html = t.to_html();
        assert!(html.contains("<caption>&lt;b&gt;</caption>"));
        assert!(html.contains("<td>&lt;i&gt;</td><td class=\"num\">1.5%</td>"));
        assert!(html.contains("<th scope=\"col\" class=\"num\">value</th>"));
    }

    #[test]
    fn a_number_in_a_text_column_is_aligned_with_its_column() {
        let mut t = Table::new("m", "", ["figure", "bank"]);
        t.row(["expected loss", "0.43% (± under 0.1% of it)"])
            .unwrap();
        t.row(["P(pool loses anything)", "99.90%"]).unwrap();
        let html = t.to_html();
        assert!(html.contains("<td>99.90%</td>"), "{html}");
        assert!(!html.contains("class=\"num\""), "{html}");
    }
}
