//! The soak of the study (`cargo xtask soak`, docs/RELIABILITY.md): many quick studies on
//! random valid perturbations of the default scenario, each checked for panics, errors,
//! non-finite numbers and its report.json against docs/schemas/report.schema.json; a
//! sample is run again on 1, 2 and 7 threads and must give byte-identical output files.
//!
//! A perturbation moves every numeric key of scenarios/default.toml by a random factor
//! (`exp` of a normal draw with standard deviation [`MOVE_SPREAD`]; a zero becomes a small
//! draw) and keeps the move only if the scenario still validates, so every kept value is
//! inside the key's documented range (docs/schemas/scenario.md: the validation is the
//! documented range). A key whose moves keep failing (the tranche attachment points, which
//! must tile [0, 1]) stays at its default. The seed is a random `u64`.
//!
//! ```no_run
//! use creditlab_study::soak::Soak;
//! // Two studies (a few seconds each), the first also on 1, 2 and 7 threads.
//! let summary = Soak { runs: 2, seed: 1, thread_sample: 2 }.run(&mut |line| eprintln!("{line}"))?;
//! assert_eq!(summary.runs, 2);
//! # Ok::<(), creditlab_study::StudyError>(())
//! ```

use crate::error::{Result, StudyError};
use crate::progress::Silent;
use crate::scenario::{DEFAULT_SCENARIO, Scenario};
use crate::study::Study;
use creditlab_numerics::rng::stream;
use rand::RngExt;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The schema report.json must satisfy (docs/schemas/report.schema.json).
pub const REPORT_SCHEMA: &str = include_str!("../../../docs/schemas/report.schema.json");

/// Standard deviation of the log of a key's move: a factor within about 0.37 to 2.7 at two
/// standard deviations, wide enough to leave the neighbourhood of the default.
pub const MOVE_SPREAD: f64 = 0.5;

/// Attempts at a move for one key, each with half the spread of the previous one, before
/// the key stays at its default.
const MOVE_ATTEMPTS: usize = 3;

/// The seed of `cargo xtask soak`.
pub const DEFAULT_SEED: u64 = 20;

/// The thread counts of the determinism check.
pub const THREAD_COUNTS: [usize; 3] = [1, 2, 7];

/// What to soak.
#[derive(Debug, Clone, Copy)]
pub struct Soak {
    /// Number of studies.
    pub runs: usize,
    /// Seed of the perturbations (and of each study's seed).
    pub seed: u64,
    /// Every `thread_sample`-th run (0 = none) is run on each of [`THREAD_COUNTS`] and
    /// compared byte for byte.
    pub thread_sample: usize,
}

impl Soak {
    /// `runs` studies under the default seed, every 10th compared on 1, 2 and 7 threads.
    pub fn new(runs: usize) -> Self {
        Self {
            runs,
            seed: DEFAULT_SEED,
            thread_sample: 10,
        }
    }

    /// Runs the soak ([`soak`]); an error ([`StudyError::Soak`], with the summary) unless
    /// every run passed.
    pub fn run(&self, log: &mut dyn FnMut(&str)) -> Result<SoakSummary> {
        let summary = soak(self, log);
        if summary.passed() {
            Ok(summary)
        } else {
            Err(StudyError::Soak {
                summary: summary.to_string(),
            })
        }
    }
}

/// The counts of a soak and every failure, with the run it happened in.
#[derive(Debug, Clone, Default)]
pub struct SoakSummary {
    /// Studies run.
    pub runs: usize,
    /// Numeric keys of the default scenario.
    pub keys: usize,
    /// Keys moved, over all runs (the rest stayed at their default).
    pub moved: usize,
    /// Runs that panicked.
    pub panics: usize,
    /// Runs whose valid scenario the study refused with an error.
    pub errors: usize,
    /// Runs with a NaN or infinity in an output file or a schema violation in report.json.
    pub invalid: usize,
    /// Runs compared on 1, 2 and 7 threads.
    pub thread_checked: usize,
    /// Of those, runs whose output files differed between thread counts.
    pub thread_mismatches: usize,
    /// Each failure: run index, seed and what went wrong.
    pub failures: Vec<String>,
}

impl SoakSummary {
    /// No panic, error, invalid output or thread mismatch.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for SoakSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_run = self.moved as f64 / self.runs.max(1) as f64;
        writeln!(
            f,
            "{} quick stud{}, {per_run:.1} of {} numeric keys moved per run on average",
            self.runs,
            if self.runs == 1 { "y" } else { "ies" },
            self.keys
        )?;
        writeln!(
            f,
            "panics {}, errors {}, NaN/inf or schema violations {}, thread mismatches {} of {} \
             compared on {THREAD_COUNTS:?} threads",
            self.panics, self.errors, self.invalid, self.thread_mismatches, self.thread_checked
        )?;
        for failure in &self.failures {
            writeln!(f, "  {failure}")?;
        }
        Ok(())
    }
}

/// Runs the soak; `log` receives one line per run.
pub fn soak(spec: &Soak, log: &mut dyn FnMut(&str)) -> SoakSummary {
    let base: toml::Table = toml::from_str(DEFAULT_SCENARIO).expect("the default parses (tested)");
    let mut summary = SoakSummary {
        keys: numeric_keys(&base).len(),
        ..SoakSummary::default()
    };
    let schema: serde_json::Value =
        serde_json::from_str(REPORT_SCHEMA).expect("the report schema is JSON (tested)");
    for run in 0..spec.runs {
        let (scenario, moved) = perturbed(&base, spec.seed, run as u64);
        summary.runs += 1;
        summary.moved += moved;
        let tag = format!("run {run} (seed {})", scenario.seed);
        let fail = |summary: &mut SoakSummary, what: String| {
            summary.failures.push(format!("{tag}: {what}"));
        };
        let files = match run_study(&scenario, None) {
            Ok(files) => files,
            Err(Outcome::Panic(m)) => {
                summary.panics += 1;
                fail(&mut summary, format!("panicked: {m}"));
                log(&format!("{tag}: {moved} keys moved, panicked: {m}"));
                continue;
            }
            Err(Outcome::Error(m)) => {
                summary.errors += 1;
                fail(&mut summary, format!("error: {m}"));
                log(&format!("{tag}: {moved} keys moved, error: {m}"));
                continue;
            }
        };
        let problems = check_outputs(&files, &schema);
        let mut line = format!("{tag}: {moved} keys moved, ");
        if problems.is_empty() {
            line.push_str("ok");
        } else {
            summary.invalid += 1;
            line.push_str(&format!("{} problems", problems.len()));
            fail(&mut summary, problems.join("; "));
        }
        if spec.thread_sample > 0 && run % spec.thread_sample == 0 {
            summary.thread_checked += 1;
            let differing: Vec<String> = THREAD_COUNTS
                .iter()
                .filter_map(|&n| match run_study(&scenario, Some(n)) {
                    Ok(other) if other == files => None,
                    Ok(other) => Some(format!("{n} threads: {}", first_difference(&files, &other))),
                    Err(Outcome::Panic(m) | Outcome::Error(m)) => Some(format!("{n} threads: {m}")),
                })
                .collect();
            if differing.is_empty() {
                line.push_str(", identical on 1, 2 and 7 threads");
            } else {
                summary.thread_mismatches += 1;
                fail(&mut summary, differing.join("; "));
            }
        }
        log(&line);
    }
    summary
}

enum Outcome {
    Panic(String),
    Error(String),
}

/// The study's output files, on the global thread pool or on one of `threads` threads.
fn run_study(
    scenario: &Scenario,
    threads: Option<usize>,
) -> std::result::Result<Vec<(String, String)>, Outcome> {
    let run = || Study::run(scenario, &Silent).and_then(|s| s.output_files());
    let result = catch_unwind(AssertUnwindSafe(|| match threads {
        None => run(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("a thread pool")
            .install(run),
    }));
    match result {
        Ok(Ok(files)) => Ok(files),
        Ok(Err(e)) => Err(Outcome::Error(e.to_string())),
        Err(panic) => Err(Outcome::Panic(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        )),
    }
}

/// The name of the first file that differs.
fn first_difference(a: &[(String, String)], b: &[(String, String)]) -> String {
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .map_or("a different set of files".into(), |(x, _)| {
            format!("{} differs", x.0)
        })
}

/// Problems of a study's output: a NaN or infinity written as a word in any file (the
/// Markdown, HTML, CSV and SVG print them as `NaN` and `inf`; JSON would write `null`,
/// which the schema refuses where a number is required) and report.json's schema
/// violations.
pub fn check_outputs(files: &[(String, String)], schema: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, text) in files {
        if let Some(word) = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find(|w| {
                matches!(
                    *w,
                    "NaN" | "nan" | "inf" | "-inf" | "Infinity" | "-Infinity"
                )
            })
        {
            problems.push(format!("{name} contains {word}"));
        }
        if name == "report.json" {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(json) => problems.extend(schema_violations(schema, &json)),
                Err(e) => problems.push(format!("report.json is not JSON: {e}")),
            }
        }
    }
    problems
}

/// Every numeric leaf of a TOML table as a path of keys and array indices.
fn numeric_keys(table: &toml::Table) -> Vec<Vec<Step>> {
    fn walk(v: &toml::Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        match v {
            toml::Value::Integer(_) | toml::Value::Float(_) => out.push(path.clone()),
            toml::Value::Table(t) => {
                for (k, x) in t {
                    path.push(Step::Key(k.clone()));
                    walk(x, path, out);
                    path.pop();
                }
            }
            toml::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(x, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(
        &toml::Value::Table(table.clone()),
        &mut Vec::new(),
        &mut out,
    );
    // The seed is drawn whole, not moved.
    out.retain(|p| p != &[Step::Key("seed".into())]);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn leaf<'a>(v: &'a mut toml::Value, path: &[Step]) -> &'a mut toml::Value {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v.as_table_mut().expect("a table")[k.as_str()],
        Step::Index(i) => &mut v.as_array_mut().expect("an array")[*i],
    })
}

/// The scenario of run `run`: each numeric key moved (when the move stays valid), a random
/// seed, quickened; and how many keys moved.
fn perturbed(base: &toml::Table, seed: u64, run: u64) -> (Scenario, usize) {
    let mut rng = stream(seed, run);
    let mut value = toml::Value::Table(base.clone());
    let mut moved = 0;
    let valid = |v: &toml::Value| -> Option<Scenario> {
        let mut s: Scenario = v.clone().try_into().ok()?;
        s.check().ok()?;
        s.quicken();
        Some(s)
    };
    for path in numeric_keys(base) {
        let old = leaf(&mut value, &path).clone();
        for attempt in 0..MOVE_ATTEMPTS {
            let spread = MOVE_SPREAD / (1 << attempt) as f64;
            let z: f64 = normal(&mut rng);
            let factor = (spread * z).exp();
            let new = match old {
                toml::Value::Float(0.0) => toml::Value::Float(0.05 * rng.random::<f64>()),
                toml::Value::Float(x) => toml::Value::Float(x * factor),
                toml::Value::Integer(0) => toml::Value::Integer(rng.random_range(0..=3)),
                toml::Value::Integer(n) => {
                    toml::Value::Integer(((n as f64) * factor).round().max(1.0) as i64)
                }
                _ => break,
            };
            *leaf(&mut value, &path) = new;
            if valid(&value).is_some() {
                moved += 1;
                break;
            }
            *leaf(&mut value, &path) = old.clone();
        }
    }
    let mut scenario = valid(&value).expect("every kept move validated");
    scenario.seed = rng.random();
    (scenario, moved)
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut impl rand::Rng) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The violations of `value` against a JSON Schema, each with its JSON path: the subset
/// report.schema.json uses (`type`, `const`, `enum`, `properties`, `required`,
/// `additionalProperties: false`, `items`, `prefixItems`, `minItems`, `maxItems`,
/// `minimum`, `maximum`).
pub fn schema_violations(schema: &serde_json::Value, value: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, value, "$", &mut out);
    out
}

fn type_matches(t: &str, v: &serde_json::Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

fn check(s: &serde_json::Value, v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => type_matches(t, v),
            Value::Array(ts) => ts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| type_matches(t, v))),
            _ => false,
        };
        if !ok {
            out.push(format!("{path}: expected type {t}, found {v}"));
            return;
        }
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        out.push(format!("{path}: expected {c}, found {v}"));
    }
    if let Some(Value::Array(options)) = s.get("enum")
        && !options.contains(v)
    {
        out.push(format!("{path}: {v} is not one of {options:?}"));
    }
    if let (Some(min), Some(x)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64())
        && x < min
    {
        out.push(format!("{path}: {x} is below the minimum {min}"));
    }
    if let (Some(max), Some(x)) = (s.get("maximum").and_then(Value::as_f64), v.as_f64())
        && x > max
    {
        out.push(format!("{path}: {x} is above the maximum {max}"));
    }
    if let Value::Object(map) = v {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = s.get("required") {
            for key in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    out.push(format!("{path}: missing required key `{key}`"));
                }
            }
        }
        for (key, x) in map {
            match props.and_then(|p| p.get(key)) {
                Some(sub) => check(sub, x, &format!("{path}.{key}"), out),
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    out.push(format!("{path}: undocumented key `{key}`"));
                }
                None => {}
            }
        }
    }
    if let Value::Array(items) = v {
        if let Some(n) = s.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < n
        {
            out.push(format!("{path}: fewer than {n} items"));
        }
        if let Some(n) = s.get("maxItems").and_then(Value::as_u64)
            && (items.len() as u64) > n
        {
            out.push(format!("{path}: more than {n} items"));
        }
        let prefix = s.get("prefixItems").and_then(Value::as_array);
        for (i, x) in items.iter().enumerate() {
            let sub = prefix.and_then(|p| p.get(i)).or_else(|| s.get("items"));
            if let Some(sub) = sub {
                check(sub, x, &format!("{path}[{i}]"), out);
            }
        }
    }
}
