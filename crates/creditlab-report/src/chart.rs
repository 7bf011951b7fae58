//! Charts: line, step and grouped-bar charts with their data, rendered as standalone SVG.

use std::fmt::Write as _;

use serde::Serialize;

use crate::ReportError;
use crate::axis::{self, Ticks};
use crate::escape::xml;
use crate::format::short;

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Equal distances for equal differences.
    Linear,
    /// Equal distances for equal ratios; values must be positive.
    Log10,
}

/// The kind of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Polylines with point markers.
    Line,
    /// Step lines: each value holds until the next point (a CDF, a cumulative series).
    Step,
    /// Grouped vertical bars, one group per category, one bar per series.
    Bars,
}

/// One named series of a chart (serialized as `{"name", "points"}` or `{"name", "values"}`).
#[derive(Debug, Clone, Serialize)]
struct Series {
    name: String,
    #[serde(flatten)]
    data: SeriesData,
}

/// The data of a series: points for line and step charts, one value per category for bars.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
enum SeriesData {
    Points(Vec<(f64, f64)>),
    Values(Vec<f64>),
}

/// A labelled horizontal dashed line (a floor, a limit, a target).
#[derive(Debug, Clone, Serialize)]
struct ReferenceLine {
    label: String,
    y: f64,
}

/// A chart and its data. Build with [`Chart::line`], [`Chart::step`] or [`Chart::bars`], set
/// scales first, then add series: each series is validated against the scales when added.
///
/// ```
/// use creditlab_report::{Chart, ReportError, Scale};
/// let bars = Chart::bars("el", "Expected loss", vec!["bank".into(), "defi".into()], "EL (%)")
///     .bar_series("one year", vec![0.07, 0.28])?;
/// let svg = bars.to_svg();
/// assert!(svg.starts_with("<svg") && svg.contains("defi"));
/// // Zero has no place on a log axis: the series is refused, naming the point.
/// let log = Chart::line("tail", "Loss tail", "loss", "P(L > x)").y_scale(Scale::Log10);
/// assert!(log.series("mc", vec![(0.1, 0.01), (0.2, 0.0)]).is_err());
/// # Ok::<(), ReportError>(())
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    id: String,
    title: String,
    x_label: String,
    y_label: String,
    x_scale: Scale,
    y_scale: Scale,
    /// Serialized as `chart_kind`, because a report block's own tag is `kind`.
    #[serde(rename = "chart_kind")]
    kind: ChartKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    categories: Option<Vec<String>>,
    series: Vec<Series>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reference_lines: Vec<ReferenceLine>,
    /// What to see in the chart, shown under it; the title when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<String>,
}

/// Okabe-Ito colours, ordered for contrast on white (yellow, the faintest, comes last).
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
];
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 360.0;
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
/// Above this many points per series, markers (and their tooltips) are left out so the SVG
/// stays small; the line itself still carries the series name as a tooltip.
const MAX_MARKERS: usize = 200;
/// Rough width of a character of the 11-12 px font, for layout.
const CHAR_W: f64 = 6.5;
/// Legend entries longer than this many characters are shortened (the full name stays in a
/// tooltip), so one long name cannot push the legend off the canvas.
const MAX_LEGEND: usize = 60;
/// Rotated category labels wrap onto lines of at most this many characters (a longer word
/// stays whole).
const MAX_ROTATED: usize = 18;
/// Line height of wrapped category labels, in pixels.
const LABEL_LINE: f64 = 13.0;

impl Chart {
    fn new(kind: ChartKind, id: String, title: String, x_label: String, y_label: String) -> Self {
        Self {
            id,
            title,
            x_label,
            y_label,
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            kind,
            categories: None,
            series: Vec::new(),
            reference_lines: Vec::new(),
            caption: None,
        }
    }

    /// A line chart: polylines with point markers.
    pub fn line(
        id: impl Into<String>,
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self::new(
            ChartKind::Line,
            id.into(),
            title.into(),
            x_label.into(),
            y_label.into(),
        )
    }

    /// A step chart: each value holds until the next point (a CDF, a cumulative series).
    pub fn step(
        id: impl Into<String>,
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            kind: ChartKind::Step,
            ..Self::line(id, title, x_label, y_label)
        }
    }

    /// A grouped bar chart: one group per category, one bar per series.
    pub fn bars(
        id: impl Into<String>,
        title: impl Into<String>,
        categories: Vec<String>,
        y_label: impl Into<String>,
    ) -> Self {
        let mut c = Self::new(
            ChartKind::Bars,
            id.into(),
            title.into(),
            String::new(),
            y_label.into(),
        );
        c.categories = Some(categories);
        c
    }

    /// Sets the x axis scale (line and step charts); call before adding series.
    pub fn x_scale(mut self, s: Scale) -> Self {
        self.x_scale = s;
        self
    }

    /// Sets the y axis scale; call before adding series.
    pub fn y_scale(mut self, s: Scale) -> Self {
        self.y_scale = s;
        self
    }

    /// Labels the x axis of a bar chart (line and step charts take it in their constructor).
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Adds a series of (x, y) points to a line or step chart. Fails, naming the chart, the
    /// series and the point index, on a non-finite value or a value <= 0 on a log axis.
    pub fn series(
        mut self,
        name: impl Into<String>,
        points: Vec<(f64, f64)>,
    ) -> Result<Self, ReportError> {
        let name = name.into();
        if self.kind == ChartKind::Bars {
            return Err(self.wrong_kind(name, "a bar chart takes `bar_series`"));
        }
        for (i, &(x, y)) in points.iter().enumerate() {
            self.check(&name, i, "x", x, self.x_scale)?;
            self.check(&name, i, "y", y, self.y_scale)?;
        }
        self.series.push(Series {
            name,
            data: SeriesData::Points(points),
        });
        Ok(self)
    }

    /// Adds a series to a bar chart, one value per category. Fails on a length mismatch, a
    /// non-finite value or a value <= 0 on a log axis.
    pub fn bar_series(
        mut self,
        name: impl Into<String>,
        values: Vec<f64>,
    ) -> Result<Self, ReportError> {
        let name = name.into();
        let Some(categories) = &self.categories else {
            return Err(self.wrong_kind(name, "a line or step chart takes `series`"));
        };
        if values.len() != categories.len() {
            return Err(ReportError::BarCount {
                chart: self.id.clone(),
                series: name,
                expected: categories.len(),
                found: values.len(),
            });
        }
        for (i, &v) in values.iter().enumerate() {
            self.check(&name, i, "y", v, self.y_scale)?;
        }
        self.series.push(Series {
            name,
            data: SeriesData::Values(values),
        });
        Ok(self)
    }

    /// Adds a labelled horizontal dashed line at `y` (a floor, a limit). A non-finite `y`, or
    /// one <= 0 on a log axis, is not drawn.
    pub fn reference_line(mut self, label: impl Into<String>, y: f64) -> Self {
        self.reference_lines.push(ReferenceLine {
            label: label.into(),
            y,
        });
        self
    }

    /// Sets the caption: what a reader should see in the chart (its title says what it is).
    pub fn caption(mut self, text: impl Into<String>) -> Self {
        self.caption = Some(text.into());
        self
    }

    /// The caption shown under the chart: the one set, or the title.
    pub fn figure_caption(&self) -> &str {
        self.caption.as_deref().unwrap_or(&self.title)
    }

    /// The chart's id (the pipeline writes the chart to `charts/<id>.svg`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The chart's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The kind of chart.
    pub fn kind(&self) -> ChartKind {
        self.kind
    }

    /// Series names in order.
    pub fn series_names(&self) -> impl Iterator<Item = &str> {
        self.series.iter().map(|s| s.name.as_str())
    }

    /// Checks every value against the current scales again: catches a scale switched to log
    /// after series were added. Rendering never fails; it skips such values.
    pub fn validate(&self) -> Result<(), ReportError> {
        for s in &self.series {
            match &s.data {
                SeriesData::Points(points) => {
                    for (i, &(x, y)) in points.iter().enumerate() {
                        self.check(&s.name, i, "x", x, self.x_scale)?;
                        self.check(&s.name, i, "y", y, self.y_scale)?;
                    }
                }
                SeriesData::Values(values) => {
                    for (i, &v) in values.iter().enumerate() {
                        self.check(&s.name, i, "y", v, self.y_scale)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn check(
        &self,
        series: &str,
        index: usize,
        axis: &'static str,
        v: f64,
        scale: Scale,
    ) -> Result<(), ReportError> {
        if !v.is_finite() {
            return Err(ReportError::NonFinite {
                chart: self.id.clone(),
                series: series.to_string(),
                index,
                axis,
                value: v,
            });
        }
        if scale == Scale::Log10 && v <= 0.0 {
            return Err(ReportError::NonPositiveOnLog {
                chart: self.id.clone(),
                series: series.to_string(),
                index,
                axis,
                value: v,
            });
        }
        Ok(())
    }

    fn wrong_kind(&self, series: String, hint: &'static str) -> ReportError {
        ReportError::WrongSeriesKind {
            chart: self.id.clone(),
            series,
            hint,
        }
    }

    /// A standalone SVG document (640 x 360, with a viewBox so it scales): title, legend,
    /// axes with nice ticks, grid, data with `<title>` tooltips. Deterministic: coordinates are
    /// printed with two decimals. Values invalid for a scale are skipped, never drawn as NaN.
    pub fn to_svg(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{title}\" font-family=\"{FONT}\" \
             font-size=\"12\">\n<title>{title}</title>\n\
             <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
            w = WIDTH,
            h = HEIGHT,
            title = xml(&self.title),
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{}</text>",
            px(WIDTH / 2.0),
            xml(&self.title)
        );
        let legend_rows = self.legend_layout(64.0, WIDTH - 16.0);
        let top = 36.0 + 18.0 * legend_rows.len() as f64 + 12.0;

        match self.kind {
            ChartKind::Line | ChartKind::Step => self.render_xy(&mut out, top),
            ChartKind::Bars => self.render_bars(&mut out, top),
        }
        self.render_legend(&mut out, &legend_rows);
        out.push_str("</svg>\n");
        out
    }

    /// Legend items per row: (series index, x position).
    fn legend_layout(&self, left: f64, right: f64) -> Vec<Vec<(usize, f64)>> {
        let mut rows: Vec<Vec<(usize, f64)>> = Vec::new();
        let mut x = left;
        for (i, s) in self.series.iter().enumerate() {
            let w = 26.0 + CHAR_W * s.name.chars().count().min(MAX_LEGEND) as f64 + 18.0;
            if rows.is_empty() || (x + w > right && x > left) {
                rows.push(Vec::new());
                x = left;
            }
            if let Some(row) = rows.last_mut() {
                row.push((i, x));
            }
            x += w;
        }
        rows
    }

    fn render_legend(&self, out: &mut String, rows: &[Vec<(usize, f64)>]) {
        if rows.is_empty() {
            return;
        }
        out.push_str("<g class=\"legend\">\n");
        for (r, row) in rows.iter().enumerate() {
            let y = 40.0 + 18.0 * r as f64;
            for &(i, x) in row {
                let (colour, dash) = style(i);
                let _ = writeln!(out, "<g class=\"legend-item\" data-series=\"{i}\">");
                if self.kind == ChartKind::Bars {
                    let _ = writeln!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"10\" {}/>",
                        px(x),
                        px(y - 5.0),
                        bar_style(i)
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" \
                         stroke-width=\"2\"{dash}/>",
                        px(x),
                        px(x + 20.0),
                        y = px(y)
                    );
                }
                let name = &self.series[i].name;
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\"><title>{}</title>{}</text>",
                    px(x + 26.0),
                    px(y + 4.0),
                    xml(name),
                    xml(&shorten(name, MAX_LEGEND))
                );
                out.push_str("</g>\n");
            }
        }
        out.push_str("</g>\n");
    }

    fn points(&self, s: &Series) -> Vec<(f64, f64)> {
        match &s.data {
            SeriesData::Points(p) => p
                .iter()
                .copied()
                .filter(|&(x, y)| drawable(x, self.x_scale) && drawable(y, self.y_scale))
                .collect(),
            SeriesData::Values(_) => Vec::new(),
        }
    }

    fn reference_ys(&self) -> impl Iterator<Item = &ReferenceLine> {
        self.reference_lines
            .iter()
            .filter(|r| drawable(r.y, self.y_scale))
    }

    fn render_xy(&self, out: &mut String, top: f64) {
        let series: Vec<Vec<(f64, f64)>> = self.series.iter().map(|s| self.points(s)).collect();
        let xs = series.iter().flatten().map(|p| p.0);
        let ys = series
            .iter()
            .flatten()
            .map(|p| p.1)
            .chain(self.reference_ys().map(|r| r.y));
        let x_ticks = ticks(xs, self.x_scale, false);
        let y_ticks = ticks(ys, self.y_scale, false);
        let frame = Frame::new(&y_ticks, top, HEIGHT - 48.0);
        let x = Axis::new(self.x_scale, &x_ticks, frame.left, frame.right);
        let y = Axis::new(self.y_scale, &y_ticks, frame.bottom, frame.top);
        frame.grid_and_axes(
            out,
            Some((&x_ticks, &x)),
            &y_ticks,
            &y,
            &self.x_label,
            &self.y_label,
        );

        if series.iter().all(Vec::is_empty) {
            frame.no_data(out);
        }
        for (i, (s, pts)) in self.series.iter().zip(&series).enumerate() {
            if pts.is_empty() {
                continue;
            }
            let (colour, dash) = style(i);
            let mut d = String::new();
            for (j, &(vx, vy)) in pts.iter().enumerate() {
                let (cx, cy) = (px(x.map(vx)), px(y.map(vy)));
                if j == 0 {
                    let _ = write!(d, "M{cx} {cy}");
                } else if self.kind == ChartKind::Step {
                    let _ = write!(d, " H{cx} V{cy}");
                } else {
                    let _ = write!(d, " L{cx} {cy}");
                }
            }
            let _ = writeln!(
                out,
                "<path data-series=\"{i}\" d=\"{d}\" fill=\"none\" stroke=\"{colour}\" \
                 stroke-width=\"2\" stroke-linejoin=\"round\"{dash}><title>{}</title></path>",
                xml(&s.name)
            );
            if pts.len() <= MAX_MARKERS {
                // Step charts get invisible hover targets: markers would clutter a CDF.
                let look = if self.kind == ChartKind::Step {
                    "r=\"4\" fill=\"#ffffff\" fill-opacity=\"0\"".to_string()
                } else {
                    format!("r=\"3\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"")
                };
                for &(vx, vy) in pts {
                    let _ = writeln!(
                        out,
                        "<circle data-series=\"{i}\" cx=\"{}\" cy=\"{}\" {look}>\
                         <title>{}: x = {}, y = {}</title></circle>",
                        px(x.map(vx)),
                        px(y.map(vy)),
                        xml(&s.name),
                        xml(&short(vx)),
                        xml(&short(vy))
                    );
                }
            }
        }
        self.render_reference_lines(out, &frame, &y);
    }

    fn render_bars(&self, out: &mut String, top: f64) {
        let categories = self.categories.as_deref().unwrap_or_default();
        let values = |s: &Series| match &s.data {
            SeriesData::Values(v) => v.clone(),
            SeriesData::Points(_) => Vec::new(),
        };
        let all: Vec<f64> = self
            .series
            .iter()
            .flat_map(values)
            .filter(|&v| drawable(v, self.y_scale))
            .chain(self.reference_ys().map(|r| r.y))
            .collect();
        let y_ticks = ticks(all.iter().copied(), self.y_scale, true);

        let n = categories.len().max(1) as f64;
        // Category labels wrap at word boundaries onto the width of their band; when a word
        // is wider than the band the labels are rotated, wrapped at MAX_ROTATED characters.
        // Nothing is cut: the whole label is always shown.
        let room = ((WIDTH - 100.0) / n - 6.0).max(CHAR_W);
        let per_line = (room / CHAR_W).floor() as usize;
        let flat: Vec<Vec<String>> = categories.iter().map(|c| wrap(c, per_line)).collect();
        let widest = |labels: &[Vec<String>]| {
            labels
                .iter()
                .flatten()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0) as f64
        };
        let rotate = widest(&flat) * CHAR_W > room;
        let labels: Vec<Vec<String>> = if rotate {
            categories.iter().map(|c| wrap(c, MAX_ROTATED)).collect()
        } else {
            flat
        };
        let lines = labels.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
        let shown = widest(&labels);
        let (sin, cos) = (35f64.to_radians().sin(), 35f64.to_radians().cos());
        let bottom = if rotate {
            let label_room = if self.x_label.is_empty() { 0.0 } else { 14.0 };
            HEIGHT - 24.0 - label_room - shown * CHAR_W * sin - (lines - 1.0) * LABEL_LINE * cos
        } else {
            HEIGHT - 48.0 - (lines - 1.0) * LABEL_LINE
        };
        let mut frame = Frame::new(&y_ticks, top, bottom);
        if rotate {
            // The first label reaches left of its category's centre: keep it on the canvas.
            let reach = shown * CHAR_W * cos + 8.0;
            let band = (frame.right - frame.left) / n;
            frame.left = frame.left.max(reach - band / 2.0);
        }
        let y = Axis::new(self.y_scale, &y_ticks, frame.bottom, frame.top);
        let band = (frame.right - frame.left) / n;
        frame.grid_and_axes(out, None, &y_ticks, &y, &self.x_label, &self.y_label);
        if self.y_scale == Scale::Linear && y_ticks.min < 0.0 {
            let zero = px(y.map(0.0));
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{zero}\" x2=\"{}\" y2=\"{zero}\" stroke=\"#333333\" \
                 stroke-width=\"1\"/>",
                px(frame.left),
                px(frame.right)
            );
        }

        for (c, name) in categories.iter().enumerate() {
            let cx = frame.left + band * (c as f64 + 0.5);
            let (x, y0) = (px(cx), frame.bottom + if rotate { 14.0 } else { 16.0 });
            let tspans: String = labels[c]
                .iter()
                .enumerate()
                .map(|(k, line)| {
                    let dy = if k == 0 { 0.0 } else { LABEL_LINE };
                    format!("<tspan x=\"{x}\" dy=\"{}\">{}</tspan>", px(dy), xml(line))
                })
                .collect();
            if rotate {
                let _ = writeln!(
                    out,
                    "<text x=\"{x}\" y=\"{y}\" text-anchor=\"end\" transform=\"rotate(-35 {x} {y})\">\
                     <title>{}</title>{tspans}</text>",
                    xml(name),
                    y = px(y0)
                );
            } else {
                let _ = writeln!(
                    out,
                    "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\"><title>{}</title>{tspans}</text>",
                    px(y0),
                    xml(name)
                );
            }
        }
        if self.series.is_empty() || categories.is_empty() {
            frame.no_data(out);
        }
        let k = self.series.len().max(1) as f64;
        let group = band * 0.8;
        let bar = group / k;
        // Bars grow from zero on a linear axis, from the bottom of the axis on a log axis.
        let base = match self.y_scale {
            Scale::Linear => y.map(0.0),
            Scale::Log10 => frame.bottom,
        };
        for (i, s) in self.series.iter().enumerate() {
            let look = bar_style(i);
            for (c, &v) in values(s).iter().enumerate() {
                if !drawable(v, self.y_scale) {
                    continue;
                }
                let x0 = frame.left + band * c as f64 + band * 0.1 + bar * i as f64;
                let yv = y.map(v);
                let _ = writeln!(
                    out,
                    "<rect data-series=\"{i}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
                     {look}><title>{} / {}: {}</title></rect>",
                    px(x0),
                    px(yv.min(base)),
                    px(bar.max(0.0)),
                    px((yv - base).abs()),
                    xml(&s.name),
                    xml(&categories[c]),
                    xml(&short(v))
                );
            }
        }
        self.render_reference_lines(out, &frame, &y);
    }

    fn render_reference_lines(&self, out: &mut String, frame: &Frame, y: &Axis) {
        for r in self.reference_ys() {
            let yy = px(y.map(r.y));
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"#555555\" \
                 stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>{}: {}</title></line>",
                px(frame.left),
                px(frame.right),
                xml(&r.label),
                xml(&short(r.y))
            );
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\" font-size=\"11\" \
                 stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
                px(frame.right - 4.0),
                px(y.map(r.y) - 4.0),
                xml(&r.label)
            );
        }
    }
}

/// The plot area, placed once the y tick labels are known (their width sets the left margin).
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn new(y_ticks: &Ticks, top: f64, bottom: f64) -> Self {
        let widest = y_ticks
            .ticks
            .iter()
            .map(|t| t.label.chars().count())
            .max()
            .unwrap_or(1) as f64;
        Self {
            left: (30.0 + widest * CHAR_W + 8.0).clamp(48.0, 200.0),
            right: WIDTH - 20.0,
            top,
            bottom: bottom.max(top + 40.0),
        }
    }

    fn grid_and_axes(
        &self,
        out: &mut String,
        x: Option<(&Ticks, &Axis)>,
        y_ticks: &Ticks,
        y: &Axis,
        x_label: &str,
        y_label: &str,
    ) {
        out.push_str("<g class=\"grid\" stroke=\"#e5e5e5\" stroke-width=\"1\">\n");
        for t in &y_ticks.ticks {
            let yy = px(y.map(t.value));
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\"/>",
                px(self.left),
                px(self.right)
            );
        }
        // (tick position in pixels, label) along x; none for bar charts' categories.
        let x_ticks: Vec<(f64, &str)> = x.map_or_else(Vec::new, |(ticks, axis)| {
            ticks
                .ticks
                .iter()
                .map(|t| (axis.map(t.value), t.label.as_str()))
                .collect()
        });
        for &(xx, _) in &x_ticks {
            let xx = px(xx);
            let _ = writeln!(
                out,
                "<line x1=\"{xx}\" y1=\"{}\" x2=\"{xx}\" y2=\"{}\"/>",
                px(self.top),
                px(self.bottom)
            );
        }
        out.push_str("</g>\n<g class=\"axes\" font-size=\"11\" fill=\"#333333\">\n");
        for t in &y_ticks.ticks {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                px(self.left - 6.0),
                px(y.map(t.value) + 4.0),
                xml(&t.label)
            );
        }
        for &(xx, label) in &x_ticks {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                px(xx),
                px(self.bottom + 16.0),
                xml(label)
            );
        }
        let _ = writeln!(
            out,
            "<path d=\"M{l} {t} V{b} H{r}\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>",
            l = px(self.left),
            t = px(self.top),
            b = px(self.bottom),
            r = px(self.right)
        );
        out.push_str("</g>\n");
        if !x_label.is_empty() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                px((self.left + self.right) / 2.0),
                px(HEIGHT - 10.0),
                xml(x_label)
            );
        }
        if !y_label.is_empty() {
            let (xx, yy) = (px(16.0), px((self.top + self.bottom) / 2.0));
            let _ = writeln!(
                out,
                "<text x=\"{xx}\" y=\"{yy}\" text-anchor=\"middle\" transform=\"rotate(-90 {xx} {yy})\">{}</text>",
                xml(y_label)
            );
        }
    }

    fn no_data(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777777\">no data</text>",
            px((self.left + self.right) / 2.0),
            px((self.top + self.bottom) / 2.0)
        );
    }
}

/// Maps data values to pixels along one axis.
struct Axis {
    scale: Scale,
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Axis {
    fn new(scale: Scale, ticks: &Ticks, from: f64, to: f64) -> Self {
        let (lo, hi) = match scale {
            Scale::Linear => (ticks.min, ticks.max),
            Scale::Log10 => (ticks.min.log10(), ticks.max.log10()),
        };
        Self {
            scale,
            lo,
            hi,
            from,
            to,
        }
    }

    fn map(&self, v: f64) -> f64 {
        let v = match self.scale {
            Scale::Linear => v,
            Scale::Log10 => v.log10(),
        };
        let span = self.hi - self.lo;
        let t = if span > 0.0 && span.is_finite() {
            (v - self.lo) / span
        } else {
            0.5
        };
        let t = if t.is_finite() {
            t.clamp(-1.0, 2.0)
        } else {
            0.5
        };
        self.from + t * (self.to - self.from)
    }
}

/// Ticks for the values on one axis; `include_zero` for bar heights on a linear axis.
fn ticks(values: impl Iterator<Item = f64>, scale: Scale, include_zero: bool) -> Ticks {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    match scale {
        Scale::Linear => {
            if lo > hi {
                (lo, hi) = (0.0, 1.0);
            }
            if include_zero {
                lo = lo.min(0.0);
                hi = hi.max(0.0);
            }
            axis::linear(lo, hi, 6)
        }
        Scale::Log10 => {
            if lo > hi {
                (lo, hi) = (1.0, 10.0);
            }
            axis::log10(lo, hi)
        }
    }
}

fn drawable(v: f64, scale: Scale) -> bool {
    v.is_finite() && (scale == Scale::Linear || v > 0.0)
}

/// Fill attributes of bar series `i`: the palette, then lighter with an outline once it has
/// cycled, so series 0 and 8 stay apart.
fn bar_style(i: usize) -> String {
    let colour = PALETTE[i % PALETTE.len()];
    if (i / PALETTE.len()) % 2 == 1 {
        format!("fill=\"{colour}\" fill-opacity=\"0.45\" stroke=\"{colour}\" stroke-width=\"1\"")
    } else {
        format!("fill=\"{colour}\"")
    }
}

/// Colour and dash pattern of series `i`: the palette, then dashed once it has cycled.
fn style(i: usize) -> (&'static str, &'static str) {
    let dash = if (i / PALETTE.len()) % 2 == 1 {
        " stroke-dasharray=\"6 3\""
    } else {
        ""
    };
    (PALETTE[i % PALETTE.len()], dash)
}

/// `s` on lines of at most `width` characters, broken at spaces; a word longer than `width`
/// keeps a line of its own, whole.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in s.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// `s` cut to `max` characters, the last one an ellipsis when something was cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A pixel coordinate with two decimals and no negative zero, so output is byte-identical.
fn px(v: f64) -> String {
    if v.is_finite() {
        crate::format::fixed(v, 2)
    } else {
        "0.00".to_string()
    }
}
