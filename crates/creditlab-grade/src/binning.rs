//! Binning for scorecards: optimal monotone bins of a numeric variable, grouped sparse
//! categories, an explicit missing bin; weight of evidence (WoE) and information value (IV)
//! per bin and per variable; the population stability index (PSI) between two samples.
//!
//! Conventions (Siddiqi, *Credit Risk Scorecards*, 2006, ch. 6), with `gᵢ`, `bᵢ` the goods
//! and bads of bin `i` and `G`, `B` the totals of the sample:
//!
//! - `WoEᵢ = ln((gᵢ / G) / (bᵢ / B))`: positive for a bin safer than the sample.
//! - `IVᵢ = (gᵢ / G − bᵢ / B) · WoEᵢ ≥ 0`, and the variable's `IV = Σᵢ IVᵢ`.
//! - Smoothing: a bin with no good or no bad would have an infinite WoE. In such a bin (and
//!   only there) both counts get [`BinningOptions::smoothing`] added (½ by default) before
//!   the shares are taken; the totals `G`, `B` stay the sample's.
//!
//! Numeric variables ([`bin_numeric`]): (1) fine bins at the quantiles of the sample (at most
//! [`BinningOptions::fine_bins`], ties never split); (2) any bin with fewer than
//! [`BinningOptions::min_bin_share`] of the rows is merged into the neighbour that loses less
//! IV, smallest bin first; (3) while the WoE is not strictly monotone, the adjacent pair
//! whose merge loses the least IV is merged, for both directions of the trend, and the
//! direction that keeps more IV is kept; (4) while there are more than
//! [`BinningOptions::max_bins`] bins, the adjacent pair that loses the least IV is merged
//! (which keeps the trend). The merge criterion is therefore **least IV loss** throughout.
//! Intervals are `(lower, upper]`, the first open to −∞ and the last to +∞.
//!
//! Categorical variables ([`bin_categorical`]): categories sorted by WoE (riskiest first),
//! then steps (2) and (4) on that order, so a sparse category joins the most similar
//! neighbouring group. Missing values always form their own bin, never merged. A category
//! not seen when binning (or a missing value when there was none) gets WoE 0, the sample's
//! own log odds: no evidence either way.
//!
//! Methodology: docs/methodology/scorecard.md.

use crate::error::{GradeError, Result};
use serde::{Deserialize, Serialize};

/// How a variable is binned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BinningOptions {
    /// Fine quantile bins a numeric variable starts from.
    pub fine_bins: usize,
    /// Smallest share of the rows (missing ones included) a non-missing bin may hold.
    pub min_bin_share: f64,
    /// Most bins a variable may end with (the missing bin not counted).
    pub max_bins: usize,
    /// Whether a numeric variable's WoE must be monotone in its value.
    pub monotone: bool,
    /// Count added to the goods and the bads of a bin that has none of one of them.
    pub smoothing: f64,
}

impl Default for BinningOptions {
    fn default() -> Self {
        Self {
            fine_bins: 20,
            min_bin_share: 0.05,
            max_bins: 8,
            monotone: true,
            smoothing: 0.5,
        }
    }
}

impl BinningOptions {
    /// No merging at all: one bin per category or per distinct value (for checks against a
    /// hand computation on the raw categories).
    pub fn raw() -> Self {
        Self {
            fine_bins: usize::MAX,
            min_bin_share: 0.0,
            max_bins: usize::MAX,
            monotone: false,
            smoothing: 0.5,
        }
    }

    fn check(&self) -> Result<()> {
        if self.fine_bins == 0 || self.max_bins == 0 {
            return Err(GradeError::Invalid {
                field: "binning.fine_bins / binning.max_bins".into(),
                reason: "must be at least 1".into(),
            });
        }
        if !(0.0..0.5).contains(&self.min_bin_share) {
            return Err(GradeError::InvalidParameter {
                field: "binning.min_bin_share".into(),
                value: self.min_bin_share,
                reason: "must be in [0, 0.5)",
            });
        }
        if !(self.smoothing.is_finite() && self.smoothing > 0.0) {
            return Err(GradeError::InvalidParameter {
                field: "binning.smoothing".into(),
                value: self.smoothing,
                reason: "must be finite and > 0",
            });
        }
        Ok(())
    }
}

/// Which values fall into a bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum BinRule {
    /// Numeric values in `(lower, upper]`; `lower` may be −∞ and `upper` +∞ (serialized as
    /// `null`).
    Interval {
        /// Exclusive lower bound.
        lower: Option<f64>,
        /// Inclusive upper bound.
        upper: Option<f64>,
    },
    /// These categories.
    Categories {
        /// The category labels, sorted.
        categories: Vec<String>,
    },
    /// Missing values.
    Missing,
}

/// One bin of a variable, with its counts and evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Printable description: `(2500, 4000]`, `own | rent`, `missing`.
    pub label: String,
    /// Which values fall in.
    pub rule: BinRule,
    /// Goods in the bin.
    pub goods: usize,
    /// Bads in the bin.
    pub bads: usize,
    /// Share of the sample's rows in the bin.
    pub share: f64,
    /// Bads / rows of the bin.
    pub bad_rate: f64,
    /// Weight of evidence, `ln(%good / %bad)`, smoothed where a count is 0.
    pub woe: f64,
    /// The bin's information value.
    pub iv: f64,
}

/// Numeric or categorical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableKind {
    /// Numbers; binned into intervals.
    Numeric,
    /// Labels; binned into groups of categories.
    Categorical,
}

/// A binned variable.
///
/// ```
/// use creditlab_grade::binning::{BinningOptions, bin_categorical};
/// use creditlab_numerics::prec;
/// // Category a: 40 goods, 10 bads; b: 30 goods, 20 bads (G = 70, B = 30).
/// let mut values = Vec::new();
/// let mut bad = Vec::new();
/// for (label, goods, bads) in [("a", 40, 10), ("b", 30, 20)] {
///     values.extend(std::iter::repeat_n(Some(label), goods + bads));
///     bad.extend((0..goods + bads).map(|i| i >= goods));
/// }
/// let v = bin_categorical("x", &values, &bad, &BinningOptions::raw())?;
/// let woe_a = ((40.0 / 70.0) / (10.0 / 30.0f64)).ln();
/// let a = v.bins.iter().find(|b| b.label == "a").unwrap();
/// assert!((a.woe - woe_a).abs() < prec::IDENTITY);
/// // IV is the sum over bins.
/// assert!((v.iv - v.bins.iter().map(|b| b.iv).sum::<f64>()).abs() < prec::IDENTITY);
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableBinning {
    /// Column name.
    pub name: String,
    /// Numeric or categorical.
    pub kind: VariableKind,
    /// The bins: intervals in increasing order (or category groups riskiest first), the
    /// missing bin last if there is one.
    pub bins: Vec<Bin>,
    /// Information value `Σ IVᵢ`.
    pub iv: f64,
    /// Goods in the sample binned.
    pub goods: usize,
    /// Bads in the sample binned.
    pub bads: usize,
}

/// A cell value to look up in a binning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Missing.
    Missing,
    /// A number (numeric variables).
    Number(f64),
    /// A label (categorical variables).
    Text(&'a str),
}

impl VariableBinning {
    /// The index of the bin `value` falls in, or `None` for a category never seen, a
    /// missing value without a missing bin, or a value of the wrong kind.
    pub fn bin_index(&self, value: Value<'_>) -> Option<usize> {
        self.bins.iter().position(|b| match (&b.rule, value) {
            (BinRule::Missing, Value::Missing) => true,
            (BinRule::Interval { lower, upper }, Value::Number(x)) => {
                lower.is_none_or(|l| x > l) && upper.is_none_or(|u| x <= u)
            }
            (BinRule::Categories { categories }, Value::Text(t)) => {
                categories.iter().any(|c| c == t)
            }
            _ => false,
        })
    }

    /// The WoE of `value`: its bin's, or 0 (no evidence) when it falls in no bin.
    pub fn woe(&self, value: Value<'_>) -> f64 {
        self.bin_index(value).map_or(0.0, |i| self.bins[i].woe)
    }

    /// Rows of another sample per bin, in bin order, and the rows that fall in no bin.
    pub fn counts(&self, values: &[Value<'_>]) -> (Vec<usize>, usize) {
        let mut counts = vec![0; self.bins.len()];
        let mut outside = 0;
        for &v in values {
            match self.bin_index(v) {
                Some(i) => counts[i] += 1,
                None => outside += 1,
            }
        }
        (counts, outside)
    }
}

/// Counts of one (candidate) bin while binning.
#[derive(Debug, Clone, Copy)]
struct Cell {
    goods: f64,
    bads: f64,
}

impl Cell {
    fn merged(self, other: Cell) -> Cell {
        Cell {
            goods: self.goods + other.goods,
            bads: self.bads + other.bads,
        }
    }
    fn rows(self) -> f64 {
        self.goods + self.bads
    }
}

/// `(WoE, IV)` of a bin under the smoothing convention of the module docs.
fn woe_iv(c: Cell, total_goods: f64, total_bads: f64, smoothing: f64) -> (f64, f64) {
    let (g, b) = if c.goods == 0.0 || c.bads == 0.0 {
        (c.goods + smoothing, c.bads + smoothing)
    } else {
        (c.goods, c.bads)
    };
    let (pg, pb) = (g / total_goods, b / total_bads);
    let woe = (pg / pb).ln();
    (woe, (pg - pb) * woe)
}

struct Totals {
    goods: f64,
    bads: f64,
    smoothing: f64,
}

impl Totals {
    fn woe(&self, c: Cell) -> f64 {
        woe_iv(c, self.goods, self.bads, self.smoothing).0
    }
    fn iv(&self, c: Cell) -> f64 {
        woe_iv(c, self.goods, self.bads, self.smoothing).1
    }
    /// IV lost by merging cells `i` and `i + 1`.
    fn merge_loss(&self, cells: &[Cell], i: usize) -> f64 {
        self.iv(cells[i]) + self.iv(cells[i + 1]) - self.iv(cells[i].merged(cells[i + 1]))
    }
}

/// A candidate bin: its counts and the fine groups (distinct values or categories) in it.
#[derive(Debug, Clone)]
struct Group<K> {
    cell: Cell,
    keys: Vec<K>,
}

fn merge_at<K>(groups: &mut Vec<Group<K>>, i: usize) {
    let right = groups.remove(i + 1);
    let left = &mut groups[i];
    left.cell = left.cell.merged(right.cell);
    left.keys.extend(right.keys);
}

fn cells<K>(groups: &[Group<K>]) -> Vec<Cell> {
    groups.iter().map(|g| g.cell).collect()
}

/// Merges bins below `min_rows` into the neighbour that loses less IV, smallest first.
fn enforce_min_rows<K>(groups: &mut Vec<Group<K>>, min_rows: f64, t: &Totals) {
    while groups.len() > 1 {
        let Some((i, _)) = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.cell.rows() < min_rows)
            .min_by(|a, b| a.1.cell.rows().total_cmp(&b.1.cell.rows()))
        else {
            return;
        };
        let c = cells(groups);
        let left = (i > 0).then(|| t.merge_loss(&c, i - 1));
        let right = (i + 1 < groups.len()).then(|| t.merge_loss(&c, i));
        match (left, right) {
            (Some(l), Some(r)) if l <= r => merge_at(groups, i - 1),
            (Some(_), Some(_)) | (None, Some(_)) => merge_at(groups, i),
            (Some(_), None) => merge_at(groups, i - 1),
            (None, None) => return,
        }
    }
}

/// Merges the adjacent pair that loses least IV until at most `max` bins remain.
fn enforce_max_bins<K>(groups: &mut Vec<Group<K>>, max: usize, t: &Totals) {
    while groups.len() > max.max(1) {
        let c = cells(groups);
        let i = (0..c.len() - 1)
            .min_by(|&a, &b| t.merge_loss(&c, a).total_cmp(&t.merge_loss(&c, b)))
            .unwrap_or(0);
        merge_at(groups, i);
    }
}

/// Merges until the WoE rises (`increasing`) or falls strictly along the bins, each time
/// the violating adjacent pair with the least IV loss.
fn enforce_monotone<K>(groups: &mut Vec<Group<K>>, increasing: bool, t: &Totals) {
    loop {
        let c = cells(groups);
        let w: Vec<f64> = c.iter().map(|&x| t.woe(x)).collect();
        let violating = (0..c.len().saturating_sub(1)).filter(|&i| {
            if increasing {
                w[i + 1] <= w[i]
            } else {
                w[i + 1] >= w[i]
            }
        });
        let Some(i) =
            violating.min_by(|&a, &b| t.merge_loss(&c, a).total_cmp(&t.merge_loss(&c, b)))
        else {
            return;
        };
        merge_at(groups, i);
    }
}

fn check_lengths(n_values: usize, n_bad: usize) -> Result<()> {
    if n_values != n_bad {
        return Err(GradeError::DimensionMismatch(format!(
            "{n_values} values but {n_bad} outcomes"
        )));
    }
    Ok(())
}

fn totals(bad: &[bool], options: &BinningOptions) -> Result<Totals> {
    let bads = bad.iter().filter(|&&b| b).count();
    let n = bad.len();
    if bads == 0 || bads == n {
        return Err(GradeError::OneClass { n, defaults: bads });
    }
    Ok(Totals {
        goods: (n - bads) as f64,
        bads: bads as f64,
        smoothing: options.smoothing,
    })
}

fn make_bin(label: String, rule: BinRule, cell: Cell, n: f64, t: &Totals) -> Bin {
    let (woe, iv) = woe_iv(cell, t.goods, t.bads, t.smoothing);
    Bin {
        label,
        rule,
        goods: cell.goods as usize,
        bads: cell.bads as usize,
        share: cell.rows() / n,
        bad_rate: cell.bads / cell.rows(),
        woe,
        iv,
    }
}

fn finish(
    name: &str,
    kind: VariableKind,
    mut bins: Vec<Bin>,
    missing: Cell,
    n: f64,
    t: &Totals,
) -> VariableBinning {
    if missing.rows() > 0.0 {
        bins.push(make_bin("missing".into(), BinRule::Missing, missing, n, t));
    }
    VariableBinning {
        name: name.to_string(),
        kind,
        iv: bins.iter().map(|b| b.iv).sum(),
        bins,
        goods: t.goods as usize,
        bads: t.bads as usize,
    }
}

fn fmt_bound(x: f64) -> String {
    format!("{x}")
}

/// Bins a numeric variable (`None` = missing) against the outcomes `bad` (see the module
/// docs for the algorithm). Non-finite numbers are an error naming the row.
pub fn bin_numeric(
    name: &str,
    values: &[Option<f64>],
    bad: &[bool],
    options: &BinningOptions,
) -> Result<VariableBinning> {
    check_lengths(values.len(), bad.len())?;
    options.check()?;
    let t = totals(bad, options)?;
    let n = values.len() as f64;
    let mut missing = Cell {
        goods: 0.0,
        bads: 0.0,
    };
    let mut present: Vec<(f64, bool)> = Vec::with_capacity(values.len());
    for (i, (v, &b)) in values.iter().zip(bad).enumerate() {
        match v {
            None => {
                if b {
                    missing.bads += 1.0;
                } else {
                    missing.goods += 1.0;
                }
            }
            Some(x) if !x.is_finite() => {
                return Err(GradeError::InvalidParameter {
                    field: format!("{name} row {i}"),
                    value: *x,
                    reason: "must be finite",
                });
            }
            Some(x) => present.push((*x, b)),
        }
    }
    present.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Distinct values with their counts.
    let mut distinct: Vec<Group<f64>> = Vec::new();
    for &(x, b) in &present {
        let add = Cell {
            goods: f64::from(u8::from(!b)),
            bads: f64::from(u8::from(b)),
        };
        match distinct.last_mut() {
            Some(g) if g.keys[0] == x => g.cell = g.cell.merged(add),
            _ => distinct.push(Group {
                cell: add,
                keys: vec![x],
            }),
        }
    }
    // Fine bins at the quantiles: close a group once its cumulative count reaches the next
    // quantile's share of the rows; a distinct value is never split.
    let mut groups: Vec<Group<f64>> = Vec::new();
    let fine = options.fine_bins.min(distinct.len().max(1)) as f64;
    let m = present.len() as f64;
    let mut cumulative = 0.0;
    let mut next = 1.0;
    let mut open: Option<Group<f64>> = None;
    for d in distinct {
        cumulative += d.cell.rows();
        open = Some(match open.take() {
            None => d,
            Some(mut g) => {
                g.cell = g.cell.merged(d.cell);
                g.keys.extend(d.keys);
                g
            }
        });
        if cumulative >= next * m / fine {
            groups.extend(open.take());
            while next * m / fine <= cumulative {
                next += 1.0;
            }
        }
    }
    groups.extend(open);
    enforce_min_rows(&mut groups, options.min_bin_share * n, &t);
    if options.monotone && groups.len() > 1 {
        let mut up = groups.clone();
        enforce_monotone(&mut up, true, &t);
        let mut down = groups;
        enforce_monotone(&mut down, false, &t);
        let iv = |g: &[Group<f64>]| g.iter().map(|x| t.iv(x.cell)).sum::<f64>();
        groups = if iv(&up) >= iv(&down) { up } else { down };
    }
    enforce_max_bins(&mut groups, options.max_bins, &t);
    let k = groups.len();
    let mut bins = Vec::with_capacity(k + 1);
    let mut lower: Option<f64> = None;
    for (i, g) in groups.iter().enumerate() {
        let upper = (i + 1 < k).then(|| g.keys.iter().copied().fold(f64::MIN, f64::max));
        let label = format!(
            "({}, {}]",
            lower.map_or("-inf".into(), fmt_bound),
            upper.map_or("+inf".into(), fmt_bound)
        );
        bins.push(make_bin(
            label,
            BinRule::Interval { lower, upper },
            g.cell,
            n,
            &t,
        ));
        lower = upper;
    }
    Ok(finish(name, VariableKind::Numeric, bins, missing, n, &t))
}

/// Bins a categorical variable (`None` = missing) against the outcomes `bad` (see the
/// module docs: categories ordered by WoE, sparse ones merged by least IV loss).
pub fn bin_categorical(
    name: &str,
    values: &[Option<&str>],
    bad: &[bool],
    options: &BinningOptions,
) -> Result<VariableBinning> {
    check_lengths(values.len(), bad.len())?;
    options.check()?;
    let t = totals(bad, options)?;
    let n = values.len() as f64;
    let mut missing = Cell {
        goods: 0.0,
        bads: 0.0,
    };
    let mut by_label: std::collections::BTreeMap<&str, Cell> = std::collections::BTreeMap::new();
    for (v, &b) in values.iter().zip(bad) {
        let cell = match v {
            None => &mut missing,
            Some(label) => by_label.entry(label).or_insert(Cell {
                goods: 0.0,
                bads: 0.0,
            }),
        };
        if b {
            cell.bads += 1.0;
        } else {
            cell.goods += 1.0;
        }
    }
    let mut groups: Vec<Group<String>> = by_label
        .into_iter()
        .map(|(label, cell)| Group {
            cell,
            keys: vec![label.to_string()],
        })
        .collect();
    // Riskiest first; ties by label (the map's order, kept by the stable sort).
    groups.sort_by(|a, b| t.woe(a.cell).total_cmp(&t.woe(b.cell)));
    enforce_min_rows(&mut groups, options.min_bin_share * n, &t);
    enforce_max_bins(&mut groups, options.max_bins, &t);
    let bins = groups
        .into_iter()
        .map(|mut g| {
            g.keys.sort();
            make_bin(
                g.keys.join(" | "),
                BinRule::Categories {
                    categories: g.keys.clone(),
                },
                g.cell,
                n,
                &t,
            )
        })
        .collect();
    Ok(finish(
        name,
        VariableKind::Categorical,
        bins,
        missing,
        n,
        &t,
    ))
}

/// Smallest count a PSI share is computed from: an empty bin counts as half a row, so the
/// index stays finite.
const PSI_EMPTY_COUNT: f64 = 0.5;

/// The population stability index between two samples counted in the same bins,
/// `PSI = Σᵢ (aᵢ − eᵢ) ln(aᵢ / eᵢ)` with `eᵢ`, `aᵢ` the shares of bin `i` in the expected
/// (e.g. development) and actual (e.g. recent) samples. An empty bin counts as half a row.
/// Usual reading: below 0.1 stable, 0.1–0.25 a shift worth a look, above 0.25 a shift
/// (Siddiqi 2006, ch. 9).
///
/// ```
/// use creditlab_grade::binning::psi;
/// use creditlab_numerics::prec;
/// assert!(psi(&[10, 20, 30], &[20, 40, 60])?.abs() < prec::IDENTITY);
/// let shifted = psi(&[50, 50], &[80, 20])?;
/// let by_hand = (0.8 - 0.5) * (0.8f64 / 0.5).ln() + (0.2 - 0.5) * (0.2f64 / 0.5).ln();
/// assert!((shifted - by_hand).abs() < prec::IDENTITY);
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
pub fn psi(expected: &[usize], actual: &[usize]) -> Result<f64> {
    if expected.len() != actual.len() || expected.is_empty() {
        return Err(GradeError::DimensionMismatch(format!(
            "PSI needs the same non-zero number of bins: {} expected, {} actual",
            expected.len(),
            actual.len()
        )));
    }
    let share = |c: &[usize]| -> Result<Vec<f64>> {
        let n: usize = c.iter().sum();
        if n == 0 {
            return Err(GradeError::NotEnoughData("PSI of an empty sample".into()));
        }
        Ok(c.iter()
            .map(|&k| (k as f64).max(PSI_EMPTY_COUNT) / n as f64)
            .collect())
    };
    let (e, a) = (share(expected)?, share(actual)?);
    Ok(e.iter().zip(&a).map(|(e, a)| (a - e) * (a / e).ln()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn smoothing_keeps_a_pure_bin_finite() {
        // Category a: 10 goods, no bad. Category b: 10 goods, 10 bads. G = 20, B = 10.
        let values: Vec<Option<&str>> = (0..30)
            .map(|i| Some(if i < 10 { "a" } else { "b" }))
            .collect();
        let bad: Vec<bool> = (0..30).map(|i| i >= 20).collect();
        let v = bin_categorical("x", &values, &bad, &BinningOptions::raw()).unwrap();
        let a = v.bins.iter().find(|b| b.label == "a").unwrap();
        let want = ((10.5 / 20.0) / (0.5 / 10.0f64)).ln();
        assert!((a.woe - want).abs() < prec::IDENTITY, "{}", a.woe);
        assert_eq!((a.goods, a.bads), (10, 0));
    }

    #[test]
    fn missing_values_get_their_own_bin_and_unseen_values_no_evidence() {
        let values: Vec<Option<f64>> = (0..200)
            .map(|i| {
                if i % 10 == 0 {
                    None
                } else {
                    Some(f64::from(i))
                }
            })
            .collect();
        let bad: Vec<bool> = (0..200).map(|i| i % 3 == 0 || i > 150).collect();
        let v = bin_numeric("x", &values, &bad, &BinningOptions::default()).unwrap();
        assert!(matches!(v.bins.last().unwrap().rule, BinRule::Missing));
        assert_eq!(v.bin_index(Value::Missing), Some(v.bins.len() - 1));
        assert_eq!(v.woe(Value::Text("nope")), 0.0);
        // Every number falls in exactly one interval.
        for x in [-1e9, 0.5, 100.0, 1e9] {
            assert!(v.bin_index(Value::Number(x)).is_some());
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let o = BinningOptions::default();
        assert!(matches!(
            bin_numeric("x", &[Some(1.0)], &[true, false], &o),
            Err(GradeError::DimensionMismatch(_))
        ));
        assert!(matches!(
            bin_numeric("x", &[Some(1.0), Some(2.0)], &[true, true], &o),
            Err(GradeError::OneClass { .. })
        ));
        let e = bin_numeric("x", &[Some(f64::NAN), Some(2.0)], &[true, false], &o).unwrap_err();
        assert_eq!(e.field(), Some("x row 0"));
        assert!(psi(&[1], &[1, 2]).is_err());
        assert!(psi(&[0], &[0]).is_err());
    }
}
