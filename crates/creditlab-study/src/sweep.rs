//! The study's headline figures over a grid of scenario parameters (`cargo xtask sweep`).
//!
//! Each parameter `section.key=lo:hi:step` (or `=v1,v2,...`) names a numeric key of the
//! scenario file; the grid is the Cartesian product of all of them. Every grid point is a
//! full study (validated like a scenario file, so an out-of-range point is an error naming
//! the key, before any point runs), and the figures of [`Study::figures`] become one table
//! (CSV and Markdown) and one chart per figure (SVG, and all of them in sweep.html).

use crate::error::{Result, StudyError};
use crate::output::{Overwrite, write_output};
use crate::progress::{Progress, Silent, stage};
use crate::scenario::Scenario;
use crate::study::{Figure, Study};
use creditlab_report::{Chart, Report, Section, Table};
use std::path::Path;

/// Most grid points of one sweep.
const MAX_POINTS: usize = 10_000;

/// One swept parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Dotted path of the key, e.g. `loss.bank_rho`.
    pub key: String,
    /// Its values, in order.
    pub values: Vec<f64>,
}

/// Parses `key=lo:hi:step` or `key=v1,v2,...`; errors name the flag and the reason.
pub fn parse_param(text: &str) -> Result<Param> {
    let fail = |reason: String| param_error(text, reason);
    let (key, grid) = text
        .split_once('=')
        .ok_or_else(|| fail("expected section.key=lo:hi:step or section.key=v1,v2".into()))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(fail(format!("`{key}` is not a dotted key")));
    }
    let number = |s: &str| -> Result<f64> {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| fail(format!("`{}` is not a finite number", s.trim())))
    };
    let values = if grid.contains(':') {
        let parts: Vec<&str> = grid.split(':').collect();
        let [lo, hi, step] = parts[..] else {
            return Err(fail("a range is lo:hi:step".into()));
        };
        let (lo, hi, step) = (number(lo)?, number(hi)?, number(step)?);
        if step <= 0.0 {
            return Err(fail(format!("step {step} must be positive")));
        }
        if hi < lo {
            return Err(fail(format!("hi {hi} is below lo {lo}")));
        }
        // Counted in floating point: a tiny step over a wide range is more values than a
        // usize holds (`1e-300` from 0 to 1e300 overflowed the count, found by fuzzing).
        let count = ((hi - lo) / step * (1.0 + 1e-12)).floor() + 1.0;
        if count > MAX_POINTS as f64 {
            let shown = if count < 1e15 {
                format!("{count:.0}")
            } else if count.is_finite() {
                format!("{count:.3e}")
            } else {
                "more than 1e308".into()
            };
            return Err(fail(format!("{shown} values, at most {MAX_POINTS}")));
        }
        let count = count as usize;
        // lo + i step, rounded to 12 significant digits so 0.1 steps give 0.3, not
        // 0.30000000000000004.
        (0..count).map(|i| round12(lo + i as f64 * step)).collect()
    } else {
        grid.split(',')
            .map(number)
            .collect::<std::result::Result<Vec<_>, _>>()?
    };
    if values.is_empty() {
        return Err(fail("no values".into()));
    }
    Ok(Param {
        key: key.to_string(),
        values,
    })
}

fn round12(x: f64) -> f64 {
    format!("{x:.12e}").parse().unwrap_or(x)
}

/// A copy of `table` with the numeric key at dotted `path` set to `value`. An integer key
/// takes only integral values. Errors name the key.
fn set_key(table: &toml::Table, path: &str, value: f64) -> Result<toml::Table> {
    let mut out = table.clone();
    let mut node = &mut out;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let Some(entry) = node.get_mut(*part) else {
            return Err(param_error(
                path,
                format!("the scenario has no key `{}`", parts[..=i].join(".")),
            ));
        };
        if last {
            *entry = match entry {
                toml::Value::Float(_) => toml::Value::Float(value),
                toml::Value::Integer(_) if value.fract() == 0.0 && value.abs() < 9.0e15 => {
                    toml::Value::Integer(value as i64)
                }
                toml::Value::Integer(_) => {
                    return Err(param_error(
                        path,
                        format!("the key is an integer and {value} is not"),
                    ));
                }
                _ => {
                    return Err(param_error(
                        path,
                        "the key is not a number (only numeric keys sweep)".into(),
                    ));
                }
            };
            return Ok(out);
        }
        node = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(param_error(
                    path,
                    format!("`{}` is not a section", parts[..=i].join(".")),
                ));
            }
        };
    }
    Ok(out)
}

/// Every point of the Cartesian grid of `params`, first parameter slowest.
fn grid(params: &[Param]) -> Vec<Vec<f64>> {
    let mut points = vec![Vec::new()];
    for p in params {
        points = points
            .into_iter()
            .flat_map(|prefix| {
                p.values.iter().map(move |&v| {
                    let mut point = prefix.clone();
                    point.push(v);
                    point
                })
            })
            .collect();
    }
    points
}

/// Figures shown on the terminal; the files have all of them.
const TERMINAL_FIGURES: [&str; 5] = [
    "bank.expected_loss",
    "bank.var_999",
    "defi.expected_loss",
    "defi.var_999",
    "defi_pool.congested.loss",
];

/// The grid with a few headline figures, narrow enough for a terminal.
fn terminal_table(params: &[Param], points: &[Vec<f64>], rows: &[Vec<Figure>]) -> Result<Table> {
    let mut header: Vec<String> = params.iter().map(|p| p.key.clone()).collect();
    header.extend(TERMINAL_FIGURES.iter().map(|k| k.to_string()));
    let mut t = Table::new("sweep-terminal", "Headline figures", header);
    for (point, figs) in points.iter().zip(rows) {
        let mut cells: Vec<String> = point.iter().map(|v| format!("{v}")).collect();
        for key in TERMINAL_FIGURES {
            let value = figs.iter().find(|f| f.key == key).map(|f| f.value);
            cells.push(value.map_or_else(|| "n/a".into(), creditlab_report::format::pct));
        }
        t.row(cells)?;
    }
    Ok(t)
}

fn describe(params: &[Param], point: &[f64]) -> String {
    params
        .iter()
        .zip(point)
        .map(|(p, v)| format!("{}={v}", p.key))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sweep as a report: the table of every figure at every point, and one chart per
/// figure against the first parameter, one series per value of the others.
fn sweep_report(params: &[Param], points: &[Vec<f64>], rows: &[Vec<Figure>]) -> Result<Report> {
    let figures = &rows[0];
    let mut header: Vec<String> = params.iter().map(|p| p.key.clone()).collect();
    header.extend(figures.iter().map(|f| f.key.clone()));
    let mut table = Table::new("sweep", "Headline figures at every grid point", header);
    for (point, figs) in points.iter().zip(rows) {
        let mut cells: Vec<String> = point.iter().map(|v| format!("{v}")).collect();
        cells.extend(figs.iter().map(|f| format!("{:.6}", f.value)));
        table.row(cells)?;
    }
    let mut report = Report::new("creditlab sweep");
    report.intro.push(format!(
        "The study's headline figures over {} grid points of {}. Figures are per unit of \
         money lent, or counts.",
        points.len(),
        params
            .iter()
            .map(|p| p.key.as_str())
            .collect::<Vec<_>>()
            .join(" x ")
    ));
    let mut section = Section::new("figures", "Figures");
    section.table(table);
    let x = &params[0];
    for (f, figure) in figures.iter().enumerate() {
        let mut chart = Chart::line(
            format!("sweep-{}", figure.key.replace('.', "-")),
            figure.label.clone(),
            x.key.clone(),
            figure.key.clone(),
        );
        // One series per combination of the other parameters, in grid order.
        let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for (point, figs) in points.iter().zip(rows) {
            let name = if params.len() > 1 {
                describe(&params[1..], &point[1..])
            } else {
                figure.key.clone()
            };
            let pt = (point[0], figs[f].value);
            match series.iter_mut().find(|(n, _)| *n == name) {
                Some((_, pts)) => pts.push(pt),
                None => series.push((name, vec![pt])),
            }
        }
        let values = || rows.iter().map(|figs| figs[f].value);
        let (lo, hi) = (
            values().fold(f64::INFINITY, f64::min),
            values().fold(f64::NEG_INFINITY, f64::max),
        );
        let others = if params.len() > 1 {
            ", one line per value of the other parameters"
        } else {
            ""
        };
        chart = chart.caption(format!(
            "How {} moves as {} goes from {} to {}{others}: a flat line is a figure this \
             parameter does not move. Over the grid it ranges from {lo:.6} to {hi:.6}.",
            figure.key,
            x.key,
            x.values.first().copied().unwrap_or_default(),
            x.values.last().copied().unwrap_or_default(),
        ));
        for (name, pts) in series {
            chart = chart.series(name, pts)?;
        }
        section.chart(chart);
    }
    report.sections.push(section);
    // The table is written beside the report as <id>.csv.
    report.link_tables(".").interactive(true);
    Ok(report)
}

/// A sweep parameter that cannot be used: the parameter as given and why.
fn param_error(param: &str, reason: String) -> StudyError {
    StudyError::Param {
        param: param.to_string(),
        reason,
    }
}

/// A validated sweep: the grid of parameter values and one scenario per grid point.
#[derive(Debug, Clone)]
pub struct Sweep {
    params: Vec<Param>,
    points: Vec<Vec<f64>>,
    scenarios: Vec<Scenario>,
}

impl Sweep {
    /// The sweep of `params` over the scenario file `text` (read from `origin`). The file is
    /// validated as a whole first, so its own errors name its lines; then every grid point's
    /// scenario is built and validated before any runs. `quick` shrinks every point as
    /// [`Scenario::quicken`] does.
    pub fn new(text: &str, origin: &str, params: Vec<Param>, quick: bool) -> Result<Self> {
        Scenario::parse(text, origin)?;
        let table: toml::Table = toml::from_str(text).map_err(|e| StudyError::Config {
            origin: origin.to_string(),
            line: None,
            key: String::new(),
            reason: e.message().to_string(),
        })?;
        if params.is_empty() {
            return Err(param_error("", "at least one parameter is needed".into()));
        }
        for (i, p) in params.iter().enumerate() {
            if params[..i].iter().any(|q| q.key == p.key) {
                return Err(param_error(&p.key, "given twice".into()));
            }
        }
        // Counted before the grid is built: three parameters of 10,000 values each would
        // be a grid of 10^12 points in memory.
        let size = params
            .iter()
            .try_fold(1usize, |n, p| n.checked_mul(p.values.len()))
            .filter(|&n| n <= MAX_POINTS);
        let Some(_) = size else {
            let size: f64 = params.iter().map(|p| p.values.len() as f64).product();
            return Err(param_error(
                "",
                format!("the grid has {size} points, at most {MAX_POINTS}"),
            ));
        };
        let points = grid(&params);
        let scenarios = points
            .iter()
            .map(|point| {
                let mut t = table.clone();
                for (p, &v) in params.iter().zip(point) {
                    t = set_key(&t, &p.key, v)?;
                }
                let at = describe(&params, point);
                let mut s: Scenario =
                    toml::Value::Table(t)
                        .try_into()
                        .map_err(|e: toml::de::Error| StudyError::Config {
                            origin: format!("grid point {at}"),
                            line: None,
                            key: String::new(),
                            reason: e.message().to_string(),
                        })?;
                if quick {
                    s.quicken();
                }
                s.check().map_err(|e| StudyError::Config {
                    origin: format!("grid point {at}"),
                    line: None,
                    key: String::new(),
                    reason: e.to_string(),
                })?;
                Ok(s)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            params,
            points,
            scenarios,
        })
    }

    /// Every grid point's study seeded with `seed` (the scenario's `seed` key, which a
    /// sweep over `seed` sets itself: an error then, naming both).
    pub fn with_seed(mut self, seed: u64) -> Result<Self> {
        if self.params.iter().any(|p| p.key == "seed") {
            return Err(param_error(
                "seed",
                "swept by the grid, so a fixed seed is refused; give one or the other".into(),
            ));
        }
        for s in &mut self.scenarios {
            s.seed = seed;
        }
        Ok(self)
    }

    /// The grid points, first parameter slowest.
    pub fn points(&self) -> &[Vec<f64>] {
        &self.points
    }

    /// The scenario of each grid point.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// Runs the study at every grid point, in order, reporting each point as a stage.
    pub fn run(&self, progress: &dyn Progress) -> Result<SweepResult> {
        let mut rows = Vec::with_capacity(self.scenarios.len());
        for (i, (s, point)) in self.scenarios.iter().zip(&self.points).enumerate() {
            let label = format!(
                "point {}/{}: {}",
                i + 1,
                self.scenarios.len(),
                describe(&self.params, point)
            );
            let study = stage(progress, &label, || Study::run(s, &Silent))?;
            rows.push(study.figures());
        }
        Ok(SweepResult {
            params: self.params.clone(),
            points: self.points.clone(),
            rows,
        })
    }
}

/// The figures of every grid point.
#[derive(Debug, Clone)]
pub struct SweepResult {
    /// The swept parameters.
    pub params: Vec<Param>,
    /// The grid points, first parameter slowest.
    pub points: Vec<Vec<f64>>,
    /// [`Study::figures`] at each point.
    pub rows: Vec<Vec<Figure>>,
}

impl SweepResult {
    /// The sweep as a report: the table of every figure at every point, and one chart per
    /// figure against the first parameter, one series per value of the others.
    pub fn report(&self) -> Result<Report> {
        sweep_report(&self.params, &self.points, &self.rows)
    }

    /// The grid with a few headline figures, narrow enough for a terminal.
    pub fn terminal_table(&self) -> Result<Table> {
        terminal_table(&self.params, &self.points, &self.rows)
    }

    /// Writes sweep.html, sweep.md, the table as CSV and each chart as SVG into `out`,
    /// atomically, replacing only a folder creditlab wrote (see [`write_output`]).
    pub fn write(&self, out: &Path) -> Result<()> {
        self.write_with(out, Overwrite::Own)
    }

    /// [`SweepResult::write`] under `policy`.
    pub fn write_with(&self, out: &Path, policy: Overwrite) -> Result<()> {
        let report = self.report()?;
        let mut files: Vec<(String, String)> = vec![
            ("sweep.html".into(), report.to_html()),
            ("sweep.md".into(), report.to_markdown()),
        ];
        for t in report.tables() {
            files.push((format!("{}.csv", t.id()), t.to_csv()));
        }
        for c in report.charts() {
            files.push((format!("charts/{}.svg", c.id()), c.to_svg()));
        }
        write_output(out, &files, policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists_parse() {
        let p = parse_param("loss.bank_rho=0:0.5:0.1").unwrap();
        assert_eq!(p.key, "loss.bank_rho");
        assert_eq!(p.values, vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
        let p = parse_param("books.loans=100,200").unwrap();
        assert_eq!(p.values, vec![100.0, 200.0]);
        for bad in [
            "x",
            "=1",
            "a.b=1:0:0.1",
            "a.b=0:1:0",
            "a.b=0:1",
            "a.b=x",
            "a..b=1",
        ] {
            assert!(parse_param(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_are_set_by_type_and_unknown_ones_are_named() {
        let t: toml::Table = toml::from_str("[a]\nx = 1.5\nn = 3\ns = \"q\"\n").unwrap();
        let u = set_key(&t, "a.x", 0.25).unwrap();
        assert_eq!(u["a"]["x"].as_float(), Some(0.25));
        let u = set_key(&t, "a.n", 7.0).unwrap();
        assert_eq!(u["a"]["n"].as_integer(), Some(7));
        assert!(
            set_key(&t, "a.n", 7.5)
                .unwrap_err()
                .to_string()
                .contains("integer")
        );
        assert!(
            set_key(&t, "a.s", 1.0)
                .unwrap_err()
                .to_string()
                .contains("not a number")
        );
        assert!(
            set_key(&t, "a.y", 1.0)
                .unwrap_err()
                .to_string()
                .contains("`a.y`")
        );
        assert!(
            set_key(&t, "a.x.z", 1.0)
                .unwrap_err()
                .to_string()
                .contains("section")
        );
    }

    #[test]
    fn the_grid_is_the_cartesian_product() {
        let params = [
            Param {
                key: "a".into(),
                values: vec![1.0, 2.0],
            },
            Param {
                key: "b".into(),
                values: vec![10.0, 20.0, 30.0],
            },
        ];
        let g = grid(&params);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![1.0, 10.0]);
        assert_eq!(g[5], vec![2.0, 30.0]);
    }
    #[test]
    fn a_fixed_seed_seeds_every_point_unless_the_grid_sweeps_it() {
        let text = crate::scenario::DEFAULT_SCENARIO;
        let rho = || parse_param("loss.bank_rho=0.1,0.2").unwrap();
        let sweep = Sweep::new(text, "default", vec![rho()], true).unwrap();
        let default_seed = sweep.scenarios()[0].seed;
        let seeded = sweep.with_seed(default_seed ^ 0x5eed).unwrap();
        assert!(
            seeded
                .scenarios()
                .iter()
                .all(|s| s.seed == default_seed ^ 0x5eed)
        );
        let swept = vec![rho(), parse_param("seed=1,2").unwrap()];
        let err = Sweep::new(text, "default", swept, true)
            .unwrap()
            .with_seed(3)
            .unwrap_err()
            .to_string();
        assert!(err.contains("seed") && err.contains("swept"), "{err}");
    }
}
