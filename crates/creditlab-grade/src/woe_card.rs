//! The scorecard workflow on any tape: a CSV with arbitrary columns and a TOML
//! [`Mapping`] naming the outcome, each column's kind and factor group; binning and weight
//! of evidence ([`crate::binning`]); logistic regression on the WoE ([`crate::logistic`]),
//! all-in or forward stepwise; points scaling; out-of-sample validation on a seeded
//! train/test split and seeded k folds; and the comparison of factor sets by DeLong tests on
//! the same folds ([`compare_factor_sets`]).
//!
//! Conventions (docs/methodology/scorecard.md):
//!
//! - The model: `logit P(bad) = β₀ + Σⱼ βⱼ WoEⱼ` with `WoE = ln(%good / %bad)`, so a safer bin
//!   has a positive WoE and the `βⱼ` are negative (near −1 for a variable alone).
//! - Prior correction (King and Zeng, 2001): a sample whose bad rate `ρ` differs from the
//!   population's `π` (bads oversampled) fits the slopes consistently but not the intercept;
//!   the population PD uses `β₀ + logit π − logit ρ`.
//! - Points (Siddiqi 2006, ch. 10): `score = offset + factor · ln(odds good:bad)` with
//!   `factor = PDO / ln 2` and `offset = base − factor · ln(base odds)`, on the population
//!   odds. A bin earns `−factor · βⱼ · WoE`; the intercept's share is the card's base points.
//! - Splits: stratified by outcome and seeded by `creditlab_numerics::rng::stream(seed, 0)`
//!   (train/test) and `stream(seed, 1)` (folds), so a seed fixes every row's fold.
//! - Binning is part of the fit: each fold and the training split bin on their own rows, so
//!   every out-of-sample figure is honest.

use crate::binning::{self, BinningOptions, Value, VariableBinning, VariableKind};
use crate::error::{GradeError, Result};
use crate::logistic::{IrlsOptions, LogisticFit, fit_logistic};
use crate::scale::{Grade, MasterScale};
use crate::validation::{self, AucDifference, GradeCalibration, RocPoint};
use creditlab_numerics::rng;
use creditlab_numerics::special::{logistic, logit};
use nalgebra::DMatrix;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use std::path::Path;

/// The four factor groups a grade rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorGroup {
    /// Credit history: how the borrower repaid before.
    CreditHistory,
    /// Collateral: what secures the loan.
    Collateral,
    /// Repayment capacity: the loan's burden against the borrower's means.
    RepaymentCapacity,
    /// Cash flow: accounts, savings, employment.
    CashFlow,
}

impl FactorGroup {
    /// All four, in the order above.
    pub const ALL: [FactorGroup; 4] = [
        FactorGroup::CreditHistory,
        FactorGroup::Collateral,
        FactorGroup::RepaymentCapacity,
        FactorGroup::CashFlow,
    ];

    /// The name used in mappings and output.
    pub fn name(&self) -> &'static str {
        match self {
            FactorGroup::CreditHistory => "credit_history",
            FactorGroup::Collateral => "collateral",
            FactorGroup::RepaymentCapacity => "repayment_capacity",
            FactorGroup::CashFlow => "cash_flow",
        }
    }

    fn parse(text: &str) -> Option<Option<FactorGroup>> {
        if text == "none" {
            return Some(None);
        }
        FactorGroup::ALL
            .into_iter()
            .find(|g| g.name() == text)
            .map(Some)
    }
}

/// One mapped column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// The column's name in the tape header.
    pub name: String,
    /// Numeric or categorical.
    pub kind: VariableKind,
    /// Its factor group; `None` = binned and reported, not in the card.
    pub group: Option<FactorGroup>,
}

/// How to read a tape: the outcome, each column's kind and factor group, the population bad
/// rate. Schema: docs/schemas/scorecard-mapping.md.
///
/// ```
/// use creditlab_grade::woe_card::{FactorGroup, Mapping};
/// let m = Mapping::from_toml(
///     r#"
///     [outcome]
///     column = "status"
///     bad = "default"
///     [columns]
///     ltv = { kind = "numeric", group = "collateral" }
///     region = { kind = "categorical", group = "none" }
///     "#,
///     "<memory>",
/// )?;
/// assert_eq!(m.group_columns(FactorGroup::Collateral), vec!["ltv"]);
/// assert!(Mapping::from_toml("[outcome]\ncolumn = 3", "<memory>").is_err());
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    /// Where the mapping came from (a file name), for messages.
    pub origin: String,
    /// The outcome column.
    pub outcome_column: String,
    /// The outcome value that means bad (default); any other non-empty value is good.
    pub bad_value: String,
    /// Cell texts read as missing (besides the empty cell).
    pub missing_values: Vec<String>,
    /// The population bad rate PDs are corrected to; `None` = the sample's own.
    pub population_bad_rate: Option<f64>,
    /// Where that rate comes from (or that it is an assumption).
    pub prior_source: Option<String>,
    /// The columns that describe the loan's own terms (amount, duration): with the
    /// collateral group, what an anonymous lender sees.
    pub loan_terms: Vec<String>,
    /// The mapped columns, sorted by name (the tape's order is used for output).
    pub columns: Vec<ColumnSpec>,
}

mod raw {
    use serde::Deserialize;
    use std::collections::BTreeMap;
    use toml::Spanned;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Mapping {
        pub outcome: Spanned<Outcome>,
        #[serde(default)]
        pub prior: Option<Spanned<Prior>>,
        #[serde(default)]
        pub anonymous: Option<Spanned<Anonymous>>,
        #[serde(default)]
        pub missing_values: Vec<String>,
        pub columns: BTreeMap<String, Spanned<Column>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Outcome {
        pub column: String,
        pub bad: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Prior {
        pub population_bad_rate: Spanned<f64>,
        #[serde(default)]
        pub source: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Anonymous {
        pub loan_terms: Vec<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Column {
        pub kind: Spanned<String>,
        #[serde(default)]
        pub group: Option<Spanned<String>>,
    }
}

/// 1-based line of byte offset `at` in `text`.
fn line_at(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

impl Mapping {
    /// Reads a mapping from TOML text; `origin` names it in errors, which carry the line and
    /// the dotted key ([`GradeError::Mapping`]).
    pub fn from_toml(text: &str, origin: &str) -> Result<Mapping> {
        let err = |line: usize, key: &str, reason: String| GradeError::Mapping {
            file: origin.to_string(),
            line,
            key: key.to_string(),
            reason,
        };
        let raw: raw::Mapping = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_at(text, s.start));
            err(line, "", e.message().trim().to_string())
        })?;
        let mut columns = Vec::new();
        for (name, spec) in &raw.columns {
            let line = line_at(text, spec.span().start);
            let kind = match spec.get_ref().kind.get_ref().as_str() {
                "numeric" => VariableKind::Numeric,
                "categorical" => VariableKind::Categorical,
                other => {
                    return Err(err(
                        line_at(text, spec.get_ref().kind.span().start),
                        &format!("columns.{name}.kind"),
                        format!("`{other}` is not `numeric` or `categorical`"),
                    ));
                }
            };
            let group = match &spec.get_ref().group {
                None => None,
                Some(g) => FactorGroup::parse(g.get_ref()).ok_or_else(|| {
                    err(
                        line_at(text, g.span().start),
                        &format!("columns.{name}.group"),
                        format!(
                            "`{}` is not one of credit_history, collateral, \
                             repayment_capacity, cash_flow, none",
                            g.get_ref()
                        ),
                    )
                })?,
            };
            if name == &raw.outcome.get_ref().column {
                return Err(err(
                    line,
                    &format!("columns.{name}"),
                    "the outcome column cannot also be a variable".into(),
                ));
            }
            columns.push(ColumnSpec {
                name: name.clone(),
                kind,
                group,
            });
        }
        let (population_bad_rate, prior_source) = match &raw.prior {
            None => (None, None),
            Some(p) => {
                let rate = &p.get_ref().population_bad_rate;
                let r = *rate.get_ref();
                if !(r > 0.0 && r < 1.0) {
                    return Err(err(
                        line_at(text, rate.span().start),
                        "prior.population_bad_rate",
                        format!("{r} must be in (0, 1)"),
                    ));
                }
                (Some(r), p.get_ref().source.clone())
            }
        };
        let loan_terms = raw
            .anonymous
            .as_ref()
            .map(|a| a.get_ref().loan_terms.clone())
            .unwrap_or_default();
        for t in &loan_terms {
            if !columns.iter().any(|c| &c.name == t) {
                let a = raw.anonymous.as_ref().expect("terms come from [anonymous]");
                return Err(err(
                    line_at(text, a.span().start),
                    "anonymous.loan_terms",
                    format!("`{t}` is not a column of [columns]"),
                ));
            }
        }
        if columns.is_empty() {
            return Err(err(0, "columns", "no column is mapped".into()));
        }
        Ok(Mapping {
            origin: origin.to_string(),
            outcome_column: raw.outcome.get_ref().column.clone(),
            bad_value: raw.outcome.get_ref().bad.clone(),
            missing_values: raw.missing_values,
            population_bad_rate,
            prior_source,
            loan_terms,
            columns,
        })
    }

    /// Reads a mapping file.
    pub fn open(path: &Path) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|e| GradeError::Mapping {
            file: path.display().to_string(),
            line: 0,
            key: String::new(),
            reason: format!("cannot read: {e}"),
        })?;
        Mapping::from_toml(&text, &path.display().to_string())
    }

    /// The columns of a factor group, by name.
    pub fn group_columns(&self, group: FactorGroup) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.group == Some(group))
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The factor sets of claims 3 and 4: all four groups; all but credit history; what an
    /// anonymous lender sees (the loan's terms and the collateral group).
    pub fn factor_sets(&self) -> Vec<FactorSet> {
        let of = |groups: &[FactorGroup]| -> Vec<String> {
            self.columns
                .iter()
                .filter(|c| c.group.is_some_and(|g| groups.contains(&g)))
                .map(|c| c.name.clone())
                .collect()
        };
        let mut anonymous: Vec<String> = self.loan_terms.clone();
        anonymous.extend(of(&[FactorGroup::Collateral]));
        anonymous.sort();
        anonymous.dedup();
        vec![
            FactorSet {
                name: "all_four_groups".into(),
                variables: of(&FactorGroup::ALL),
            },
            FactorSet {
                name: "without_credit_history".into(),
                variables: of(&[
                    FactorGroup::Collateral,
                    FactorGroup::RepaymentCapacity,
                    FactorGroup::CashFlow,
                ]),
            },
            FactorSet {
                name: "anonymous_lender".into(),
                variables: anonymous,
            },
        ]
    }
}

/// The values of one tape column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numbers; `None` = missing.
    Numeric(Vec<Option<f64>>),
    /// Labels; `None` = missing.
    Categorical(Vec<Option<String>>),
}

/// One variable of a tape.
#[derive(Debug, Clone, PartialEq)]
pub struct TapeColumn {
    /// Its mapping.
    pub spec: ColumnSpec,
    /// Its values, one per row.
    pub data: ColumnData,
}

impl TapeColumn {
    /// The value of row `i`, for binning lookups.
    pub fn value(&self, i: usize) -> Value<'_> {
        match &self.data {
            ColumnData::Numeric(v) => v[i].map_or(Value::Missing, Value::Number),
            ColumnData::Categorical(v) => v[i].as_deref().map_or(Value::Missing, Value::Text),
        }
    }

    /// Bins the column on `rows`.
    pub fn bin(
        &self,
        rows: &[usize],
        bad: &[bool],
        options: &BinningOptions,
    ) -> Result<VariableBinning> {
        let y: Vec<bool> = rows.iter().map(|&i| bad[i]).collect();
        match &self.data {
            ColumnData::Numeric(v) => {
                let x: Vec<Option<f64>> = rows.iter().map(|&i| v[i]).collect();
                binning::bin_numeric(&self.spec.name, &x, &y, options)
            }
            ColumnData::Categorical(v) => {
                let x: Vec<Option<&str>> = rows.iter().map(|&i| v[i].as_deref()).collect();
                binning::bin_categorical(&self.spec.name, &x, &y, options)
            }
        }
    }
}

/// A tape read through a mapping: the mapped columns (in the tape's header order) and the
/// outcome of every row.
#[derive(Debug, Clone, PartialEq)]
pub struct Tape {
    /// Where it came from, for messages.
    pub origin: String,
    /// The mapped variables, header order.
    pub columns: Vec<TapeColumn>,
    /// `true` = bad, per row.
    pub bad: Vec<bool>,
}

impl Tape {
    /// Reads a CSV tape (header row; RFC 4180 quoting; surrounding spaces trimmed; an empty
    /// cell, or one of the mapping's `missing_values`, is missing). Columns the mapping does
    /// not name are ignored. Errors name the file, line, column and reason
    /// ([`GradeError::Tape`]).
    pub fn from_csv<R: std::io::Read>(reader: R, origin: &str, mapping: &Mapping) -> Result<Tape> {
        let err = |line: usize, column: &str, reason: String| GradeError::Tape {
            file: origin.to_string(),
            line,
            column: column.to_string(),
            reason,
        };
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(reader);
        let header: Vec<String> = csv
            .headers()
            .map_err(|e| err(1, "row", format!("unreadable header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        let find = |name: &str| header.iter().position(|h| h == name);
        let outcome = find(&mapping.outcome_column).ok_or_else(|| {
            err(
                1,
                &mapping.outcome_column,
                "outcome column missing from the header".into(),
            )
        })?;
        let mut mapped: Vec<(usize, &ColumnSpec)> = Vec::new();
        for spec in &mapping.columns {
            let at = find(&spec.name).ok_or_else(|| {
                err(
                    1,
                    &spec.name,
                    format!(
                        "column of mapping {} missing from the header",
                        mapping.origin
                    ),
                )
            })?;
            mapped.push((at, spec));
        }
        mapped.sort_by_key(|(at, _)| *at);
        let mut data: Vec<ColumnData> = mapped
            .iter()
            .map(|(_, s)| match s.kind {
                VariableKind::Numeric => ColumnData::Numeric(Vec::new()),
                VariableKind::Categorical => ColumnData::Categorical(Vec::new()),
            })
            .collect();
        let mut bad = Vec::new();
        let is_missing = |t: &str| t.is_empty() || mapping.missing_values.iter().any(|m| m == t);
        for (r, record) in csv.records().enumerate() {
            let line = r + 2;
            let record = record.map_err(|e| err(line, "row", format!("unreadable row: {e}")))?;
            if record.len() != header.len() {
                return Err(err(
                    line,
                    "row",
                    format!(
                        "the row has {} fields but the header has {}",
                        record.len(),
                        header.len()
                    ),
                ));
            }
            let y = &record[outcome];
            if is_missing(y) {
                return Err(err(
                    line,
                    &mapping.outcome_column,
                    "the outcome is missing".into(),
                ));
            }
            bad.push(y == mapping.bad_value);
            for ((at, spec), column) in mapped.iter().zip(&mut data) {
                let cell = &record[*at];
                match column {
                    ColumnData::Numeric(v) => v.push(if is_missing(cell) {
                        None
                    } else {
                        match cell.parse::<f64>() {
                            Ok(x) if x.is_finite() => Some(x),
                            _ => {
                                return Err(err(
                                    line,
                                    &spec.name,
                                    format!(
                                        "`{cell}` is not a finite number (the column is numeric)"
                                    ),
                                ));
                            }
                        }
                    }),
                    ColumnData::Categorical(v) => {
                        v.push((!is_missing(cell)).then(|| cell.to_string()));
                    }
                }
            }
        }
        if bad.is_empty() {
            return Err(err(1, "row", "the tape has no rows".into()));
        }
        let bads = bad.iter().filter(|&&b| b).count();
        if bads == 0 || bads == bad.len() {
            return Err(err(
                1,
                &mapping.outcome_column,
                format!(
                    "{bads} of {} rows are bad (`{}`): both classes are needed",
                    bad.len(),
                    mapping.bad_value
                ),
            ));
        }
        Ok(Tape {
            origin: origin.to_string(),
            columns: mapped
                .into_iter()
                .zip(data)
                .map(|((_, spec), data)| TapeColumn {
                    spec: spec.clone(),
                    data,
                })
                .collect(),
            bad,
        })
    }

    /// Reads a CSV tape file.
    pub fn open(path: &Path, mapping: &Mapping) -> Result<Tape> {
        let file = std::fs::File::open(path).map_err(|e| GradeError::Tape {
            file: path.display().to_string(),
            line: 0,
            column: "row".into(),
            reason: format!("cannot open: {e}"),
        })?;
        Tape::from_csv(
            std::io::BufReader::new(file),
            &path.display().to_string(),
            mapping,
        )
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.bad.len()
    }

    /// Whether the tape has no rows (never true for a tape that was read).
    pub fn is_empty(&self) -> bool {
        self.bad.is_empty()
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Result<&TapeColumn> {
        self.columns
            .iter()
            .find(|c| c.spec.name == name)
            .ok_or_else(|| GradeError::Invalid {
                field: name.to_string(),
                reason: format!("no mapped column of tape {} has this name", self.origin),
            })
    }
}

/// How variables enter the card.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Selection {
    /// Every variable with more than one bin.
    AllIn,
    /// Forward stepwise: from the intercept, add the variable whose likelihood-ratio test
    /// (χ², 1 degree of freedom) has the smallest p-value, while it is below `p_enter`.
    Forward {
        /// Largest p-value that still lets a variable in.
        p_enter: f64,
    },
}

/// The points scale: `base_score` points at odds `base_odds` (good:bad), `pdo` points to
/// double the odds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointsScale {
    /// Score at the base odds.
    pub base_score: f64,
    /// Good:bad odds at the base score.
    pub base_odds: f64,
    /// Points to double the odds.
    pub pdo: f64,
}

impl Default for PointsScale {
    /// 600 points at 50:1, 20 points to double the odds.
    fn default() -> Self {
        Self {
            base_score: 600.0,
            base_odds: 50.0,
            pdo: 20.0,
        }
    }
}

impl PointsScale {
    /// Points per unit of ln(odds): `PDO / ln 2`.
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }

    /// `base − factor · ln(base odds)`: the score at even odds.
    pub fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }

    /// The score of a population PD.
    pub fn score(&self, pd: f64) -> f64 {
        self.offset() - self.factor() * logit(pd)
    }
}

/// Everything the workflow can be told.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CardOptions {
    /// Binning.
    pub binning: BinningOptions,
    /// Variable selection.
    pub selection: Selection,
    /// Points scale.
    pub points: PointsScale,
    /// IRLS controls.
    pub irls: IrlsOptions,
    /// Share of the rows held out as the test sample.
    pub test_share: f64,
    /// Folds of the cross-validation.
    pub folds: usize,
    /// Seed of the split and the folds.
    pub seed: u64,
}

impl Default for CardOptions {
    fn default() -> Self {
        Self {
            binning: BinningOptions::default(),
            selection: Selection::AllIn,
            points: PointsScale::default(),
            irls: IrlsOptions::default(),
            test_share: 0.3,
            folds: 5,
            seed: 1,
        }
    }
}

impl CardOptions {
    fn check(&self) -> Result<()> {
        if !(self.test_share > 0.0 && self.test_share < 1.0) {
            return Err(GradeError::InvalidParameter {
                field: "test_share".into(),
                value: self.test_share,
                reason: "must be in (0, 1)",
            });
        }
        if self.folds < 2 {
            return Err(GradeError::InvalidParameter {
                field: "folds".into(),
                value: self.folds as f64,
                reason: "must be at least 2",
            });
        }
        if let Selection::Forward { p_enter } = self.selection
            && !(p_enter > 0.0 && p_enter <= 1.0)
        {
            return Err(GradeError::InvalidParameter {
                field: "selection.p_enter".into(),
                value: p_enter,
                reason: "must be in (0, 1]",
            });
        }
        let p = self.points;
        if !(p.base_odds > 0.0 && p.pdo > 0.0 && p.base_score.is_finite()) {
            return Err(GradeError::Invalid {
                field: "points".into(),
                reason: format!(
                    "base odds {} and PDO {} must be > 0, base score {} finite",
                    p.base_odds, p.pdo, p.base_score
                ),
            });
        }
        Ok(())
    }
}

/// A fitted coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    /// `intercept` or the variable's name.
    pub name: String,
    /// The estimate (the intercept as fitted, on the sample's bad rate).
    pub estimate: f64,
    /// Its standard error.
    pub std_error: f64,
}

/// The points of one bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinPoints {
    /// The bin's label.
    pub bin: String,
    /// Its WoE.
    pub woe: f64,
    /// Its points, `−factor · β · WoE`.
    pub points: f64,
}

/// The points of one variable of the card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariablePoints {
    /// The variable.
    pub name: String,
    /// Per bin.
    pub bins: Vec<BinPoints>,
}

/// One step of forward selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionStep {
    /// The variable added.
    pub variable: String,
    /// Likelihood-ratio statistic of adding it.
    pub lr_statistic: f64,
    /// Its χ²(1) p-value.
    pub p_value: f64,
}

/// A fitted WoE scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WoeCard {
    /// The binnings of the variables in the card, in card order.
    pub variables: Vec<VariableBinning>,
    /// Variables considered but left out (one bin only, or not selected).
    pub left_out: Vec<String>,
    /// Intercept first, then one per variable.
    pub coefficients: Vec<Coefficient>,
    /// Bad rate of the rows the card was fitted on.
    pub sample_bad_rate: f64,
    /// The bad rate PDs are corrected to (the sample's when none was given).
    pub population_bad_rate: f64,
    /// The population intercept `β₀ + logit π − logit ρ`.
    pub intercept_population: f64,
    /// The points scale.
    pub scale: PointsScale,
    /// Base points: `offset − factor · (population intercept)`.
    pub base_points: f64,
    /// Points per bin.
    pub points: Vec<VariablePoints>,
    /// Forward selection's steps (empty for all-in).
    pub selection_steps: Vec<SelectionStep>,
    /// Log-likelihood of the fit.
    pub log_likelihood: f64,
}

impl WoeCard {
    /// The linear predictor on the sample's scale, `β₀ + Σ βⱼ WoEⱼ`, of row `i`.
    fn eta(&self, tape: &Tape, cols: &[usize], i: usize) -> f64 {
        self.coefficients[0].estimate
            + self
                .variables
                .iter()
                .zip(cols)
                .zip(&self.coefficients[1..])
                .map(|((v, &c), b)| b.estimate * v.woe(tape.columns[c].value(i)))
                .sum::<f64>()
    }

    fn columns_in(&self, tape: &Tape) -> Result<Vec<usize>> {
        self.variables
            .iter()
            .map(|v| {
                tape.columns
                    .iter()
                    .position(|c| c.spec.name == v.name)
                    .ok_or_else(|| GradeError::Invalid {
                        field: v.name.clone(),
                        reason: format!("tape {} has no such mapped column", tape.origin),
                    })
            })
            .collect()
    }

    /// PDs of `rows` on the scale of the sample the card was fitted on (for validation
    /// against that sample's outcomes).
    pub fn pd_sample(&self, tape: &Tape, rows: &[usize]) -> Result<Vec<f64>> {
        let cols = self.columns_in(tape)?;
        Ok(rows
            .iter()
            .map(|&i| logistic(self.eta(tape, &cols, i)))
            .collect())
    }

    /// Population PDs of `rows` (prior-corrected intercept).
    pub fn pd_population(&self, tape: &Tape, rows: &[usize]) -> Result<Vec<f64>> {
        let cols = self.columns_in(tape)?;
        let shift = self.intercept_population - self.coefficients[0].estimate;
        Ok(rows
            .iter()
            .map(|&i| logistic(self.eta(tape, &cols, i) + shift))
            .collect())
    }

    /// Scores of `rows` in points (population odds).
    pub fn scores(&self, tape: &Tape, rows: &[usize]) -> Result<Vec<f64>> {
        Ok(self
            .pd_population(tape, rows)?
            .into_iter()
            .map(|p| self.scale.score(p))
            .collect())
    }
}

fn design(tape: &Tape, cols: &[usize], bins: &[VariableBinning], rows: &[usize]) -> DMatrix<f64> {
    DMatrix::from_fn(rows.len(), cols.len() + 1, |r, j| {
        if j == 0 {
            1.0
        } else {
            bins[j - 1].woe(tape.columns[cols[j - 1]].value(rows[r]))
        }
    })
}

fn fit_design(
    tape: &Tape,
    cols: &[usize],
    bins: &[VariableBinning],
    rows: &[usize],
    y: &[bool],
    irls: &IrlsOptions,
) -> Result<LogisticFit> {
    fit_logistic(&design(tape, cols, bins, rows), y, irls)
}

/// Fits a card on `rows` of `tape` from the variables named (each binned on those rows).
/// `population_bad_rate` corrects the intercept (`None`: the rows' own bad rate).
pub fn fit_on(
    tape: &Tape,
    variables: &[String],
    rows: &[usize],
    population_bad_rate: Option<f64>,
    options: &CardOptions,
) -> Result<WoeCard> {
    options.check()?;
    if rows.is_empty() {
        return Err(GradeError::NotEnoughData("no rows to fit on".into()));
    }
    let y: Vec<bool> = rows.iter().map(|&i| tape.bad[i]).collect();
    let mut candidates: Vec<(usize, VariableBinning)> = Vec::new();
    let mut left_out = Vec::new();
    for name in variables {
        let c = tape
            .columns
            .iter()
            .position(|c| &c.spec.name == name)
            .ok_or_else(|| GradeError::Invalid {
                field: name.clone(),
                reason: format!("tape {} has no such mapped column", tape.origin),
            })?;
        let b = tape.columns[c].bin(rows, &tape.bad, &options.binning)?;
        if b.bins.len() < 2 {
            left_out.push(name.clone());
        } else {
            candidates.push((c, b));
        }
    }
    let (chosen, steps) = match options.selection {
        Selection::AllIn => (candidates, Vec::new()),
        Selection::Forward { p_enter } => {
            let chi = ChiSquared::new(1.0).expect("one degree of freedom");
            let mut chosen: Vec<(usize, VariableBinning)> = Vec::new();
            let mut steps = Vec::new();
            let mut ll = fit_design(tape, &[], &[], rows, &y, &options.irls)?.log_likelihood;
            loop {
                let mut best: Option<(usize, f64, f64)> = None;
                for (k, cand) in candidates.iter().enumerate() {
                    let mut cols: Vec<usize> = chosen.iter().map(|c| c.0).collect();
                    cols.push(cand.0);
                    let mut bins: Vec<VariableBinning> =
                        chosen.iter().map(|c| c.1.clone()).collect();
                    bins.push(cand.1.clone());
                    let Ok(f) = fit_design(tape, &cols, &bins, rows, &y, &options.irls) else {
                        continue;
                    };
                    let lr = 2.0 * (f.log_likelihood - ll);
                    if best.is_none_or(|b| lr > b.1) {
                        best = Some((k, lr, f.log_likelihood));
                    }
                }
                let Some((k, lr, new_ll)) = best else { break };
                let p = chi.sf(lr.max(0.0));
                if p >= p_enter {
                    break;
                }
                let c = candidates.remove(k);
                steps.push(SelectionStep {
                    variable: c.1.name.clone(),
                    lr_statistic: lr,
                    p_value: p,
                });
                chosen.push(c);
                ll = new_ll;
            }
            left_out.extend(candidates.into_iter().map(|c| c.1.name));
            (chosen, steps)
        }
    };
    let cols: Vec<usize> = chosen.iter().map(|c| c.0).collect();
    let bins: Vec<VariableBinning> = chosen.into_iter().map(|c| c.1).collect();
    let fit = fit_design(tape, &cols, &bins, rows, &y, &options.irls)?;
    let sample_bad_rate = fit.defaults as f64 / fit.n as f64;
    let population_bad_rate = population_bad_rate.unwrap_or(sample_bad_rate);
    let intercept_population =
        fit.coefficients[0] + logit(population_bad_rate) - logit(sample_bad_rate);
    let scale = options.points;
    let factor = scale.factor();
    let mut coefficients = vec![Coefficient {
        name: "intercept".into(),
        estimate: fit.coefficients[0],
        std_error: fit.standard_errors[0],
    }];
    let mut points = Vec::new();
    for (j, b) in bins.iter().enumerate() {
        let beta = fit.coefficients[j + 1];
        coefficients.push(Coefficient {
            name: b.name.clone(),
            estimate: beta,
            std_error: fit.standard_errors[j + 1],
        });
        points.push(VariablePoints {
            name: b.name.clone(),
            bins: b
                .bins
                .iter()
                .map(|bin| BinPoints {
                    bin: bin.label.clone(),
                    woe: bin.woe,
                    points: -factor * beta * bin.woe,
                })
                .collect(),
        });
    }
    Ok(WoeCard {
        variables: bins,
        left_out,
        coefficients,
        sample_bad_rate,
        population_bad_rate,
        intercept_population,
        scale,
        base_points: scale.offset() - factor * intercept_population,
        points,
        selection_steps: steps,
        log_likelihood: fit.log_likelihood,
    })
}

/// Fits the card of all four factor groups on every row of the tape, with the mapping's
/// prior.
///
/// ```
/// use creditlab_grade::woe_card::{CardOptions, Mapping, Tape, fit};
/// let mapping = Mapping::from_toml(
///     "[outcome]\ncolumn = \"y\"\nbad = \"1\"\n[columns]\nx = { kind = \"numeric\", group = \"cash_flow\" }",
///     "<memory>",
/// )?;
/// // x = 0..200; the bad rate rises with x.
/// let mut csv = String::from("x,y\n");
/// for i in 0..200 {
///     csv.push_str(&format!("{i},{}\n", u8::from(i % 7 == 0 || (i > 120 && i % 2 == 0))));
/// }
/// let tape = Tape::from_csv(csv.as_bytes(), "<memory>", &mapping)?;
/// let card = fit(&tape, &mapping, &CardOptions::default())?;
/// assert_eq!(card.coefficients[1].name, "x");
/// assert!(card.coefficients[1].estimate < 0.0); // WoE up = safer = lower PD
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
pub fn fit(tape: &Tape, mapping: &Mapping, options: &CardOptions) -> Result<WoeCard> {
    let rows: Vec<usize> = (0..tape.len()).collect();
    fit_on(
        tape,
        &mapping.factor_sets()[0].variables,
        &rows,
        mapping.population_bad_rate,
        options,
    )
}

/// Shuffles `v` in place with a seeded Fisher–Yates.
fn shuffle(v: &mut [usize], rng: &mut rng::StreamRng) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// The bads and the goods of the tape, each shuffled by `stream(seed, index)`.
fn shuffled_classes(tape: &Tape, seed: u64, index: u64) -> (Vec<usize>, Vec<usize>) {
    let mut r = rng::stream(seed, index);
    let mut bads: Vec<usize> = (0..tape.len()).filter(|&i| tape.bad[i]).collect();
    let mut goods: Vec<usize> = (0..tape.len()).filter(|&i| !tape.bad[i]).collect();
    shuffle(&mut bads, &mut r);
    shuffle(&mut goods, &mut r);
    (bads, goods)
}

/// A stratified, seeded train/test split: `round(test_share · class size)` of the bads and
/// of the goods go to the test sample. Returns `(train, test)`, each sorted.
pub fn train_test_split(tape: &Tape, test_share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let (bads, goods) = shuffled_classes(tape, seed, 0);
    let mut train = Vec::new();
    let mut test = Vec::new();
    for class in [bads, goods] {
        let k = (test_share * class.len() as f64).round() as usize;
        test.extend_from_slice(&class[..k]);
        train.extend_from_slice(&class[k..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Stratified, seeded folds: the shuffled bads, then the shuffled goods, dealt to folds
/// `0, 1, …, k − 1, 0, …` in turn. Returns each row's fold.
pub fn fold_of_rows(tape: &Tape, folds: usize, seed: u64) -> Vec<usize> {
    let (bads, goods) = shuffled_classes(tape, seed, 1);
    let mut fold = vec![0; tape.len()];
    for (k, &i) in bads.iter().chain(&goods).enumerate() {
        fold[i] = k % folds.max(1);
    }
    fold
}

/// The PD spread a card leaves: the mean population PD of the riskiest tenth of the loans
/// against that of the safest tenth (loans sorted by PD, ties by row; equal-count deciles
/// `⌊i n / 10⌋ … ⌊(i + 1) n / 10⌋`), with the sample's observed bad rates of the same two
/// deciles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PdSpread {
    /// Mean population PD of the safest decile.
    pub best_decile_pd: f64,
    /// Mean population PD of the riskiest decile.
    pub worst_decile_pd: f64,
    /// `worst_decile_pd / best_decile_pd`.
    pub ratio: f64,
    /// Observed bad rate (sample scale) of the safest decile.
    pub best_decile_bad_rate: f64,
    /// Observed bad rate (sample scale) of the riskiest decile.
    pub worst_decile_bad_rate: f64,
}

/// Number of groups of [`PdSpread`].
pub const SPREAD_GROUPS: usize = 10;

/// The [`PdSpread`] of population PDs `pd` with outcomes `bad`.
pub fn pd_spread(pd: &[f64], bad: &[bool]) -> Result<PdSpread> {
    let n = pd.len();
    if n < SPREAD_GROUPS || bad.len() != n {
        return Err(GradeError::NotEnoughData(format!(
            "a PD spread needs at least {SPREAD_GROUPS} loans with outcomes ({n} PDs, {} outcomes)",
            bad.len()
        )));
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| pd[a].total_cmp(&pd[b]).then(a.cmp(&b)));
    let group = |g: usize| &idx[g * n / SPREAD_GROUPS..(g + 1) * n / SPREAD_GROUPS];
    let mean_pd = |rows: &[usize]| rows.iter().map(|&i| pd[i]).sum::<f64>() / rows.len() as f64;
    let rate = |rows: &[usize]| rows.iter().filter(|&&i| bad[i]).count() as f64 / rows.len() as f64;
    let (best, worst) = (group(0), group(SPREAD_GROUPS - 1));
    Ok(PdSpread {
        best_decile_pd: mean_pd(best),
        worst_decile_pd: mean_pd(worst),
        ratio: mean_pd(worst) / mean_pd(best),
        best_decile_bad_rate: rate(best),
        worst_decile_bad_rate: rate(worst),
    })
}

/// A named set of variables to compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorSet {
    /// Its name, e.g. `without_credit_history`.
    pub name: String,
    /// Its variables.
    pub variables: Vec<String>,
}

/// The cross-validated result of one factor set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorSetResult {
    /// The set's name.
    pub name: String,
    /// Its variables.
    pub variables: Vec<String>,
    /// AUC of the pooled out-of-fold PDs.
    pub auc: f64,
    /// Its DeLong standard error.
    pub auc_std_error: f64,
    /// `2 AUC − 1`.
    pub gini: f64,
    /// KS of the pooled out-of-fold PDs.
    pub ks: f64,
    /// Brier score of the out-of-fold sample-scale PDs.
    pub brier: f64,
    /// The PD spread of the out-of-fold population PDs.
    pub pd_spread: PdSpread,
    /// ROC curve of the out-of-fold PDs (thinned to [`MAX_ROC_POINTS`]).
    pub roc: Vec<RocPoint>,
}

/// The DeLong test of two factor sets' AUCs on the same rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetDifference {
    /// First set.
    pub a: String,
    /// Second set.
    pub b: String,
    /// The test of `AUCᵃ − AUCᵇ`.
    pub test: AucDifference,
}

/// Factor sets compared out of sample on the same seeded folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorComparison {
    /// Folds.
    pub folds: usize,
    /// Seed of the folds (`stream(seed, 1)`).
    pub seed: u64,
    /// Rows (each predicted once, by the card fitted without its fold).
    pub rows: usize,
    /// Bads among them.
    pub bads: usize,
    /// The population bad rate PDs were corrected to.
    pub population_bad_rate: f64,
    /// One per set, in the order given.
    pub sets: Vec<FactorSetResult>,
    /// Every pair `(a, b)` with `a` before `b`.
    pub differences: Vec<SetDifference>,
}

/// Compares factor sets by k-fold cross-validation on the same seeded, stratified folds:
/// in each fold every set is binned and fitted on the other folds and predicts the held-out
/// one; the pooled out-of-fold PDs give each set's AUC with its DeLong standard error, the
/// pairwise DeLong tests (the same rows, so the AUCs are correlated), and the PD spread
/// ([`PdSpread`]) after the prior correction.
pub fn compare_factor_sets(
    tape: &Tape,
    sets: &[FactorSet],
    population_bad_rate: Option<f64>,
    options: &CardOptions,
) -> Result<FactorComparison> {
    options.check()?;
    if sets.is_empty() {
        return Err(GradeError::NotEnoughData("no factor set to compare".into()));
    }
    let n = tape.len();
    let fold = fold_of_rows(tape, options.folds, options.seed);
    let mut sample_pd = vec![vec![0.0; n]; sets.len()];
    let mut population_pd = vec![vec![0.0; n]; sets.len()];
    for f in 0..options.folds {
        let train: Vec<usize> = (0..n).filter(|&i| fold[i] != f).collect();
        let test: Vec<usize> = (0..n).filter(|&i| fold[i] == f).collect();
        for (s, set) in sets.iter().enumerate() {
            let card = fit_on(tape, &set.variables, &train, population_bad_rate, options).map_err(
                |e| GradeError::Invalid {
                    field: format!("factor set {} fold {f}", set.name),
                    reason: e.to_string(),
                },
            )?;
            for ((i, ps), pp) in test
                .iter()
                .zip(card.pd_sample(tape, &test)?)
                .zip(card.pd_population(tape, &test)?)
            {
                sample_pd[s][*i] = ps;
                population_pd[s][*i] = pp;
            }
        }
    }
    let scores: Vec<&[f64]> = sample_pd.iter().map(Vec::as_slice).collect();
    let d = validation::delong(&scores, &tape.bad)?;
    let mut results = Vec::new();
    for (s, set) in sets.iter().enumerate() {
        results.push(FactorSetResult {
            name: set.name.clone(),
            variables: set.variables.clone(),
            auc: d.aucs[s],
            auc_std_error: d.std_error(s),
            gini: 2.0 * d.aucs[s] - 1.0,
            ks: validation::ks_statistic(&sample_pd[s], &tape.bad)?,
            brier: validation::brier_score(&sample_pd[s], &tape.bad)?,
            pd_spread: pd_spread(&population_pd[s], &tape.bad)?,
            roc: thin(
                validation::roc_curve(&sample_pd[s], &tape.bad)?,
                MAX_ROC_POINTS,
            ),
        });
    }
    let mut differences = Vec::new();
    for a in 0..sets.len() {
        for b in a + 1..sets.len() {
            differences.push(SetDifference {
                a: sets[a].name.clone(),
                b: sets[b].name.clone(),
                test: d.difference(a, b),
            });
        }
    }
    let bads = tape.bad.iter().filter(|&&b| b).count();
    Ok(FactorComparison {
        folds: options.folds,
        seed: options.seed,
        rows: n,
        bads,
        population_bad_rate: population_bad_rate.unwrap_or(bads as f64 / n as f64),
        sets: results,
        differences,
    })
}

/// A variable as reported: its binning on the training sample, its group, and the PSI of
/// the test sample against the training sample in the same bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableReport {
    /// Column name.
    pub name: String,
    /// Numeric or categorical.
    pub kind: VariableKind,
    /// Factor group (`null` = none).
    pub group: Option<FactorGroup>,
    /// Information value on the training sample.
    pub iv: f64,
    /// PSI of the test sample against the training sample.
    pub psi_test: f64,
    /// The bins (training sample).
    pub bins: Vec<binning::Bin>,
}

/// Discrimination and calibration of a card on one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleValidation {
    /// Rows.
    pub rows: usize,
    /// Bads.
    pub bads: usize,
    /// AUC.
    pub auc: f64,
    /// Its DeLong standard error.
    pub auc_std_error: f64,
    /// Gini.
    pub gini: f64,
    /// KS.
    pub ks: f64,
    /// Brier score of the sample-scale PDs.
    pub brier: f64,
    /// Calibration by master-scale grade: loans graded by their population PD; within each
    /// grade the sample-scale PD against the sample's outcomes (binomial tests).
    pub by_grade: Vec<GradeCalibration>,
}

fn validate_sample(
    card: &WoeCard,
    tape: &Tape,
    rows: &[usize],
) -> Result<(SampleValidation, Vec<RocPoint>)> {
    let ps = card.pd_sample(tape, rows)?;
    let pp = card.pd_population(tape, rows)?;
    let y: Vec<bool> = rows.iter().map(|&i| tape.bad[i]).collect();
    let d = validation::delong(&[&ps], &y)?;
    let scale = MasterScale::standard();
    let grades: Vec<Grade> = pp.iter().map(|&p| scale.grade(p)).collect::<Result<_>>()?;
    Ok((
        SampleValidation {
            rows: rows.len(),
            bads: y.iter().filter(|&&b| b).count(),
            auc: d.aucs[0],
            auc_std_error: d.std_error(0),
            gini: 2.0 * d.aucs[0] - 1.0,
            ks: validation::ks_statistic(&ps, &y)?,
            brier: validation::brier_score(&ps, &y)?,
            by_grade: validation::binomial_by_grade(&ps, &grades, &y)?,
        },
        validation::roc_curve(&ps, &y)?,
    ))
}

/// Most ROC points a report keeps (evenly thinned, ends kept).
pub const MAX_ROC_POINTS: usize = 101;

/// The whole workflow on one tape, as `cargo xtask scorecard` prints it
/// (docs/schemas/scorecard-json.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardReport {
    /// The tape.
    pub tape: String,
    /// The mapping.
    pub mapping: String,
    /// Rows of the tape.
    pub rows: usize,
    /// Bads.
    pub bads: usize,
    /// The bad rate PDs are corrected to.
    pub population_bad_rate: f64,
    /// Where it comes from.
    pub prior_source: Option<String>,
    /// Options used.
    pub options: CardOptions,
    /// Every mapped variable binned on the training sample, tape order.
    pub variables: Vec<VariableReport>,
    /// The card of the four factor groups, fitted on the training sample.
    pub card: WoeCard,
    /// Its coefficients (also in `card`), intercept first.
    pub coefficients: Vec<Coefficient>,
    /// AUC on the training sample.
    pub auc_train: f64,
    /// AUC on the test sample.
    pub auc_test: f64,
    /// KS on the test sample.
    pub ks_test: f64,
    /// Training sample validation.
    pub train: SampleValidation,
    /// Test sample validation.
    pub test: SampleValidation,
    /// ROC curve on the test sample (thinned to [`MAX_ROC_POINTS`]).
    pub roc_test: Vec<RocPoint>,
    /// The factor sets compared by cross-validation.
    pub factor_sets: FactorComparison,
}

fn thin(points: Vec<RocPoint>, max: usize) -> Vec<RocPoint> {
    if points.len() <= max || max < 2 {
        return points;
    }
    let last = points.len() - 1;
    (0..max).map(|k| points[k * last / (max - 1)]).collect()
}

/// Runs the workflow: split, bin every mapped variable on the training rows, fit the card of
/// the four factor groups, validate on both samples, and compare the factor sets by
/// cross-validation on all rows.
pub fn run(tape: &Tape, mapping: &Mapping, options: &CardOptions) -> Result<ScorecardReport> {
    options.check()?;
    let (train, test) = train_test_split(tape, options.test_share, options.seed);
    let mut variables = Vec::new();
    for c in &tape.columns {
        let b = c.bin(&train, &tape.bad, &options.binning)?;
        let values =
            |rows: &[usize]| -> Vec<Value<'_>> { rows.iter().map(|&i| c.value(i)).collect() };
        let (expected, _) = b.counts(&values(&train));
        let (mut actual, outside) = b.counts(&values(&test));
        // A test value in no training bin scores WoE 0; for the PSI it counts in the bin
        // nearest to no evidence would be arbitrary, so it is added to the largest bin.
        if outside > 0 {
            let big = (0..expected.len())
                .max_by_key(|&i| expected[i])
                .unwrap_or(0);
            actual[big] += outside;
        }
        variables.push(VariableReport {
            name: c.spec.name.clone(),
            kind: c.spec.kind,
            group: c.spec.group,
            iv: b.iv,
            psi_test: binning::psi(&expected, &actual)?,
            bins: b.bins,
        });
    }
    let sets = mapping.factor_sets();
    let card = fit_on(
        tape,
        &sets[0].variables,
        &train,
        mapping.population_bad_rate,
        options,
    )?;
    let (train_v, _) = validate_sample(&card, tape, &train)?;
    let (test_v, roc) = validate_sample(&card, tape, &test)?;
    let factor_sets = compare_factor_sets(tape, &sets, mapping.population_bad_rate, options)?;
    Ok(ScorecardReport {
        tape: tape.origin.clone(),
        mapping: mapping.origin.clone(),
        rows: tape.len(),
        bads: tape.bad.iter().filter(|&&b| b).count(),
        population_bad_rate: card.population_bad_rate,
        prior_source: mapping.prior_source.clone(),
        options: *options,
        variables,
        coefficients: card.coefficients.clone(),
        auc_train: train_v.auc,
        auc_test: test_v.auc,
        ks_test: test_v.ks,
        card,
        train: train_v,
        test: test_v,
        roc_test: thin(roc, MAX_ROC_POINTS),
        factor_sets,
    })
}
