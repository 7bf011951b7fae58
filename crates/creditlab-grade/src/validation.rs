//! Validation of PDs against realized outcomes: discrimination (ROC, AUC, Gini, KS),
//! accuracy (Brier score) and calibration (the book's defaults against the sum of its PDs,
//! per-grade binomial tests, Hosmer–Lemeshow).
//!
//! Scores are PDs: a higher score means riskier. See [docs/methodology/validation.md](crate::methodology::validation).

use crate::error::{GradeError, Result};
use crate::scale::Grade;
use creditlab_numerics::special::{norm_cdf, norm_sf};
use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, DiscreteCDF};

fn check_inputs(pd: &[f64], defaulted: &[bool]) -> Result<(usize, usize)> {
    if pd.len() != defaulted.len() {
        return Err(GradeError::DimensionMismatch(format!(
            "{} PDs but {} outcomes",
            pd.len(),
            defaulted.len()
        )));
    }
    if let Some((i, &p)) = pd
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        return Err(GradeError::InvalidParameter {
            field: format!("pd of observation {i}"),
            value: p,
            reason: "must be in [0, 1]",
        });
    }
    let d = defaulted.iter().filter(|&&b| b).count();
    Ok((pd.len(), d))
}

fn check_two_classes(pd: &[f64], defaulted: &[bool]) -> Result<(usize, usize)> {
    let (n, d) = check_inputs(pd, defaulted)?;
    if d == 0 || d == n {
        return Err(GradeError::OneClass { n, defaults: d });
    }
    Ok((n, d))
}

/// The area under the ROC curve: the probability that a random defaulter has a higher PD
/// than a random non-defaulter, ties counting one half. Computed from mid-ranks
/// (Mann–Whitney U) in O(n log n).
pub fn auc(pd: &[f64], defaulted: &[bool]) -> Result<f64> {
    let (n, d) = check_two_classes(pd, defaulted)?;
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| pd[a].total_cmp(&pd[b]));
    let mut rank_sum_defaults = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && pd[idx[j + 1]] == pd[idx[i]] {
            j += 1;
        }
        // Ranks i+1 … j+1 share their mean.
        let mid_rank = 0.5 * ((i + 1) + (j + 1)) as f64;
        rank_sum_defaults += mid_rank * idx[i..=j].iter().filter(|&&k| defaulted[k]).count() as f64;
        i = j + 1;
    }
    let nd = d as f64;
    let ng = (n - d) as f64;
    Ok((rank_sum_defaults - nd * (nd + 1.0) / 2.0) / (nd * ng))
}

/// The Gini coefficient (accuracy ratio) `2 AUC − 1`.
pub fn gini(pd: &[f64], defaulted: &[bool]) -> Result<f64> {
    Ok(2.0 * auc(pd, defaulted)? - 1.0)
}

/// One point of the ROC curve: classifying every loan with PD ≥ `threshold` as a default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// The PD threshold.
    pub threshold: f64,
    /// False-positive rate: share of non-defaulters at or above the threshold.
    pub false_positive_rate: f64,
    /// True-positive rate: share of defaulters at or above the threshold.
    pub true_positive_rate: f64,
}

/// The ROC curve from (0, 0) to (1, 1), one point per distinct PD, thresholds falling; the
/// first point's threshold is `f64::MAX`, above every PD (finite, so JSON can carry it).
pub fn roc_curve(pd: &[f64], defaulted: &[bool]) -> Result<Vec<RocPoint>> {
    let (n, d) = check_two_classes(pd, defaulted)?;
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| pd[b].total_cmp(&pd[a]));
    let (nd, ng) = (d as f64, (n - d) as f64);
    let mut points = vec![RocPoint {
        threshold: f64::MAX,
        false_positive_rate: 0.0,
        true_positive_rate: 0.0,
    }];
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < n {
        let t = pd[idx[i]];
        while i < n && pd[idx[i]] == t {
            if defaulted[idx[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        points.push(RocPoint {
            threshold: t,
            false_positive_rate: fp as f64 / ng,
            true_positive_rate: tp as f64 / nd,
        });
    }
    Ok(points)
}

/// The Kolmogorov–Smirnov statistic: the largest gap between the PD distributions of
/// defaulters and non-defaulters, `max |TPR − FPR|` over thresholds.
pub fn ks_statistic(pd: &[f64], defaulted: &[bool]) -> Result<f64> {
    Ok(roc_curve(pd, defaulted)?
        .iter()
        .map(|p| (p.true_positive_rate - p.false_positive_rate).abs())
        .fold(0.0, f64::max))
}

/// The Brier score: mean squared difference between PD and outcome (0 is perfect).
pub fn brier_score(pd: &[f64], defaulted: &[bool]) -> Result<f64> {
    let (n, _) = check_inputs(pd, defaulted)?;
    if n == 0 {
        return Err(GradeError::NotEnoughData("no observations".into()));
    }
    Ok(pd
        .iter()
        .zip(defaulted)
        .map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2))
        .sum::<f64>()
        / n as f64)
}

/// Calibration of one grade: defaults observed against the grade's mean PD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradeCalibration {
    /// The grade.
    pub grade: Grade,
    /// Loans in the grade.
    pub loans: usize,
    /// Observed defaults.
    pub defaults: usize,
    /// Mean predicted PD of the grade.
    pub mean_pd: f64,
    /// Observed default rate.
    pub default_rate: f64,
    /// One-sided binomial p-value `P(X ≥ defaults)`, X ~ Bin(loans, mean PD): small values
    /// say the grade's PD is too low.
    pub p_value_too_low: f64,
    /// One-sided binomial p-value `P(X ≤ defaults)`: small values say the PD is too high.
    pub p_value_too_high: f64,
}

/// The per-grade binomial calibration test (independent defaults within a grade).
pub fn binomial_by_grade(
    pd: &[f64],
    grades: &[Grade],
    defaulted: &[bool],
) -> Result<Vec<GradeCalibration>> {
    check_inputs(pd, defaulted)?;
    if grades.len() != pd.len() {
        return Err(GradeError::DimensionMismatch(format!(
            "{} PDs but {} grades",
            pd.len(),
            grades.len()
        )));
    }
    let mut out = Vec::new();
    for g in Grade::ALL {
        let members: Vec<usize> = (0..pd.len()).filter(|&i| grades[i] == g).collect();
        if members.is_empty() {
            continue;
        }
        let n = members.len();
        let d = members.iter().filter(|&&i| defaulted[i]).count();
        let mean_pd = members.iter().map(|&i| pd[i]).sum::<f64>() / n as f64;
        let (too_low, too_high) = binomial_tails(n, d, mean_pd);
        out.push(GradeCalibration {
            grade: g,
            loans: n,
            defaults: d,
            mean_pd,
            default_rate: d as f64 / n as f64,
            p_value_too_low: too_low,
            p_value_too_high: too_high,
        });
    }
    Ok(out)
}

/// (P(X ≥ d), P(X ≤ d)) for X ~ Bin(n, p).
fn binomial_tails(n: usize, d: usize, p: f64) -> (f64, f64) {
    let p = p.clamp(0.0, 1.0);
    let bin = Binomial::new(p, n as u64).expect("p in [0, 1]");
    let le = bin.cdf(d as u64);
    let ge = if d == 0 { 1.0 } else { bin.sf(d as u64 - 1) };
    (ge.clamp(0.0, 1.0), le.clamp(0.0, 1.0))
}

/// Largest book whose default count is tested with the exact Poisson-binomial law; above
/// it the normal approximation is used (its error is then far below any p-value that
/// matters, and the exact recursion's cost grows with the square of the size).
pub const EXACT_CALIBRATION_LIMIT: usize = 20_000;

/// How [`calibration_test`] computed its p-values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CalibrationMethod {
    /// The exact law of a sum of independent Bernoulli defaults with the given PDs.
    ExactPoissonBinomial,
    /// `N(Σ p, Σ p (1 − p))` with a continuity correction of one half.
    NormalApproximation,
}

/// The calibration of a set of PDs as a whole: the number of defaults against its law
/// when each loan defaults independently with its PD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationTest {
    /// Loans.
    pub loans: usize,
    /// Observed defaults.
    pub defaults: usize,
    /// Expected defaults, `Σ PD`.
    pub expected_defaults: f64,
    /// Observed default rate.
    pub default_rate: f64,
    /// Mean PD, `Σ PD / loans`.
    pub mean_pd: f64,
    /// Standard deviation of the default count under independence, `sqrt(Σ p (1 − p))`.
    pub sd: f64,
    /// `(defaults − expected) / sd`: positive when the PDs are too low.
    pub z: f64,
    /// How the p-values were computed.
    pub method: CalibrationMethod,
    /// `P(X ≥ defaults)`: small values say the PDs are too low.
    pub p_value_too_low: f64,
    /// `P(X ≤ defaults)`: small values say the PDs are too high.
    pub p_value_too_high: f64,
    /// Two-sided p-value, `min(1, 2 min(too low, too high))`.
    pub p_value: f64,
}

/// The book-level calibration test: are the observed defaults consistent with the PDs if
/// loans default independently? The count `X = Σ Bernoulli(pᵢ)` is Poisson-binomial;
/// up to [`EXACT_CALIBRATION_LIMIT`] loans its law is computed exactly by the recursion
/// `P_i(k) = P_{i−1}(k)(1 − pᵢ) + P_{i−1}(k − 1) pᵢ`, above it by the normal
/// approximation with a continuity correction. Correlated defaults (a common factor) make
/// the true law wider, so a small p-value is evidence against the PDs only under
/// independence ([docs/methodology/validation.md](crate::methodology::validation)).
///
/// ```
/// use creditlab_grade::validation::{CalibrationMethod, calibration_test};
/// use creditlab_numerics::prec;
/// // Two loans at 50%: P(X ≥ 2) = 1/4, P(X ≤ 2) = 1.
/// let t = calibration_test(&[0.5, 0.5], &[true, true])?;
/// assert_eq!(t.method, CalibrationMethod::ExactPoissonBinomial);
/// assert!((t.p_value_too_low - 0.25).abs() < prec::IDENTITY);
/// assert!((t.p_value - 0.5).abs() < prec::IDENTITY);
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
pub fn calibration_test(pd: &[f64], defaulted: &[bool]) -> Result<CalibrationTest> {
    let (n, d) = check_inputs(pd, defaulted)?;
    if n == 0 {
        return Err(GradeError::NotEnoughData("no observations".into()));
    }
    let expected: f64 = pd.iter().sum();
    let var: f64 = pd.iter().map(|p| p * (1.0 - p)).sum();
    let sd = var.sqrt();
    let (method, too_low, too_high) = if n <= EXACT_CALIBRATION_LIMIT {
        let law = poisson_binomial(pd);
        let upper: f64 = law[d..].iter().sum();
        let lower: f64 = law[..=d].iter().sum();
        (CalibrationMethod::ExactPoissonBinomial, upper, lower)
    } else if sd > 0.0 {
        let x = d as f64;
        (
            CalibrationMethod::NormalApproximation,
            norm_sf((x - 0.5 - expected) / sd),
            norm_cdf((x + 0.5 - expected) / sd),
        )
    } else {
        // Every PD is 0 or 1: the count is certain.
        let certain = expected.round() as usize;
        (
            CalibrationMethod::NormalApproximation,
            if d <= certain { 1.0 } else { 0.0 },
            if d >= certain { 1.0 } else { 0.0 },
        )
    };
    let (too_low, too_high) = (too_low.clamp(0.0, 1.0), too_high.clamp(0.0, 1.0));
    Ok(CalibrationTest {
        loans: n,
        defaults: d,
        expected_defaults: expected,
        default_rate: d as f64 / n as f64,
        mean_pd: expected / n as f64,
        sd,
        z: if sd > 0.0 {
            (d as f64 - expected) / sd
        } else {
            0.0
        },
        method,
        p_value_too_low: too_low,
        p_value_too_high: too_high,
        p_value: (2.0 * too_low.min(too_high)).min(1.0),
    })
}

/// The Poisson-binomial law of `Σ Bernoulli(pᵢ)`: `P(X = k)` for `k = 0 … n`.
fn poisson_binomial(pd: &[f64]) -> Vec<f64> {
    let mut law = vec![0.0; pd.len() + 1];
    law[0] = 1.0;
    for (i, &p) in pd.iter().enumerate() {
        for k in (1..=i + 1).rev() {
            law[k] = law[k] * (1.0 - p) + law[k - 1] * p;
        }
        law[0] *= 1.0 - p;
    }
    law
}

/// The Hosmer–Lemeshow goodness-of-fit test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HosmerLemeshow {
    /// The statistic Σ_g (O_g − E_g)² / (E_g (1 − E_g / n_g)).
    pub statistic: f64,
    /// Groups used (non-empty, with 0 < expected defaults < n_g).
    pub groups: usize,
    /// Degrees of freedom, groups − 2.
    pub degrees_of_freedom: usize,
    /// Chi-square upper-tail p-value: small values reject calibration.
    pub p_value: f64,
}

/// Hosmer–Lemeshow over `groups` groups of (nearly) equal size by ascending PD (10 is
/// usual). Needs at least 3 usable groups.
pub fn hosmer_lemeshow(pd: &[f64], defaulted: &[bool], groups: usize) -> Result<HosmerLemeshow> {
    let (n, _) = check_inputs(pd, defaulted)?;
    if groups < 3 || n < groups {
        return Err(GradeError::NotEnoughData(format!(
            "Hosmer-Lemeshow needs at least 3 groups and one observation per group \
             ({n} observations, {groups} groups)"
        )));
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| pd[a].total_cmp(&pd[b]));
    let mut stat = 0.0;
    let mut used = 0;
    for g in 0..groups {
        let part = &idx[g * n / groups..(g + 1) * n / groups];
        let ng = part.len() as f64;
        let expected: f64 = part.iter().map(|&i| pd[i]).sum();
        let observed = part.iter().filter(|&&i| defaulted[i]).count() as f64;
        let var = expected * (1.0 - expected / ng);
        if var > 0.0 {
            stat += (observed - expected).powi(2) / var;
            used += 1;
        }
    }
    if used < 3 {
        return Err(GradeError::NotEnoughData(format!(
            "Hosmer-Lemeshow: only {used} groups have a PD strictly between 0 and 1"
        )));
    }
    let df = used - 2;
    let chi = ChiSquared::new(df as f64).expect("df >= 1");
    Ok(HosmerLemeshow {
        statistic: stat,
        groups: used,
        degrees_of_freedom: df,
        p_value: chi.sf(stat),
    })
}

/// Every validation figure of one set of PDs against outcomes.
///
/// ```
/// use creditlab_grade::validation::validate;
/// use creditlab_grade::{Grade, MasterScale};
/// use creditlab_numerics::prec;
/// let pd = [0.01, 0.02, 0.05, 0.10, 0.20, 0.30];
/// let defaulted = [false, false, true, false, true, true];
/// let scale = MasterScale::standard();
/// let grades: Vec<Grade> = pd.iter().map(|&p| scale.grade(p)).collect::<Result<_, _>>()?;
/// let v = validate(&pd, &grades, &defaulted)?;
/// // 8 of the 9 (defaulter, non-defaulter) pairs are ranked right.
/// assert!((v.auc - 8.0 / 9.0).abs() < prec::IDENTITY);
/// assert!((v.gini - (2.0 * v.auc - 1.0)).abs() < prec::IDENTITY);
/// assert_eq!(v.roc.first().unwrap().false_positive_rate, 0.0);
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Observations.
    pub loans: usize,
    /// Observed defaults.
    pub defaults: usize,
    /// Area under the ROC curve.
    pub auc: f64,
    /// Its standard error (Hanley and McNeil, 1982: [`auc_standard_error`]).
    pub auc_std_error: f64,
    /// Gini = 2 AUC − 1.
    pub gini: f64,
    /// Kolmogorov–Smirnov statistic.
    pub ks: f64,
    /// Brier score.
    pub brier: f64,
    /// Hosmer–Lemeshow over 10 PD deciles; `None` if too few usable groups.
    pub hosmer_lemeshow: Option<HosmerLemeshow>,
    /// The defaults of all loans against the sum of their PDs ([`calibration_test`]).
    pub calibration: CalibrationTest,
    /// Per-grade binomial tests.
    pub by_grade: Vec<GradeCalibration>,
    /// The ROC curve, for charts.
    pub roc: Vec<RocPoint>,
}

/// The standard error of an AUC estimated on `positives` defaults and `negatives`
/// non-defaults (Hanley and McNeil, "The meaning and use of the area under a receiver
/// operating characteristic (ROC) curve", Radiology 143, 1982, their equation 1 with
/// `Q1 = A / (2 - A)` and `Q2 = 2 A^2 / (1 + A)`): a distribution-free approximation that
/// is accurate when the scores are roughly binormal.
pub fn auc_standard_error(auc: f64, positives: usize, negatives: usize) -> f64 {
    let (a, np, nn) = (auc, positives as f64, negatives as f64);
    if np < 1.0 || nn < 1.0 {
        return f64::INFINITY;
    }
    let q1 = a / (2.0 - a);
    let q2 = 2.0 * a * a / (1.0 + a);
    let var = (a * (1.0 - a) + (np - 1.0) * (q1 - a * a) + (nn - 1.0) * (q2 - a * a)) / (np * nn);
    var.max(0.0).sqrt()
}

/// The AUCs of several scores of the same loans with their DeLong covariance (DeLong,
/// DeLong and Clarke-Pearson, "Comparing the areas under two or more correlated receiver
/// operating characteristic curves: a nonparametric approach", Biometrics 44, 1988).
///
/// With `m` defaulters `Xᵢ` and `n` non-defaulters `Yⱼ` and `ψ(x, y) = 1` if `x > y`, ½ if
/// equal, 0 otherwise, score `r` has the structural components `V10ʳ(Xᵢ) = (1/n) Σⱼ ψ` and
/// `V01ʳ(Yⱼ) = (1/m) Σᵢ ψ`, its AUC is their mean, and
/// `Cov(AUCʳ, AUCˢ) = S10ʳˢ / m + S01ʳˢ / n` with `S10`, `S01` the sample covariances
/// (divisor `m − 1`, `n − 1`) of the components. Scores are risk scores (higher = riskier).
///
/// ```
/// use creditlab_grade::validation::delong;
/// use creditlab_numerics::prec;
/// // Two defaulters (0.9, 0.4) and two non-defaulters (0.5, 0.1): 3 of 4 pairs right.
/// let d = delong(&[&[0.9, 0.4, 0.5, 0.1]], &[true, true, false, false])?;
/// assert!((d.aucs[0] - 0.75).abs() < prec::IDENTITY);
/// // V10 = (1, 1/2), V01 = (1/2, 1): S10 = S01 = 1/8, Var = 1/8/2 + 1/8/2 = 1/8.
/// assert!((d.covariance[0][0] - 0.125).abs() < prec::IDENTITY);
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeLong {
    /// AUC of each score.
    pub aucs: Vec<f64>,
    /// DeLong covariance matrix of the AUCs.
    pub covariance: Vec<Vec<f64>>,
    /// Defaulters.
    pub positives: usize,
    /// Non-defaulters.
    pub negatives: usize,
}

/// The DeLong test of the difference of two correlated AUCs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AucDifference {
    /// `AUCᵃ − AUCᵇ`.
    pub difference: f64,
    /// Its standard error, `sqrt(Var a + Var b − 2 Cov(a, b))`.
    pub std_error: f64,
    /// `difference / std_error`.
    pub z: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
}

impl DeLong {
    /// The DeLong standard error of AUC `r`.
    pub fn std_error(&self, r: usize) -> f64 {
        self.covariance[r][r].max(0.0).sqrt()
    }

    /// The DeLong test of `AUCᵃ = AUCᵇ`. Equal scores give a zero difference with zero
    /// standard error, z = 0 and p = 1.
    pub fn difference(&self, a: usize, b: usize) -> AucDifference {
        let c = &self.covariance;
        let var = (c[a][a] + c[b][b] - 2.0 * c[a][b]).max(0.0);
        let difference = self.aucs[a] - self.aucs[b];
        let std_error = var.sqrt();
        let z = if std_error > 0.0 {
            difference / std_error
        } else {
            0.0
        };
        AucDifference {
            difference,
            std_error,
            z,
            p_value: (2.0 * norm_sf(z.abs())).min(1.0),
        }
    }
}

/// The AUCs of `scores` (one slice per score, each as long as `defaulted`) and their DeLong
/// covariance ([`DeLong`]). Cost `O(k m n)` for `k` scores; fine for tapes of a few
/// thousand loans.
pub fn delong(scores: &[&[f64]], defaulted: &[bool]) -> Result<DeLong> {
    if scores.is_empty() {
        return Err(GradeError::NotEnoughData(
            "DeLong needs at least one score".into(),
        ));
    }
    for s in scores {
        if s.len() != defaulted.len() {
            return Err(GradeError::DimensionMismatch(format!(
                "{} scores but {} outcomes",
                s.len(),
                defaulted.len()
            )));
        }
        if let Some((i, &x)) = s.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(GradeError::InvalidParameter {
                field: format!("score of observation {i}"),
                value: x,
                reason: "must be finite",
            });
        }
    }
    let pos: Vec<usize> = (0..defaulted.len()).filter(|&i| defaulted[i]).collect();
    let neg: Vec<usize> = (0..defaulted.len()).filter(|&i| !defaulted[i]).collect();
    let (m, n) = (pos.len(), neg.len());
    if m < 2 || n < 2 {
        return Err(GradeError::NotEnoughData(format!(
            "DeLong needs at least two defaulters and two non-defaulters ({m} and {n})"
        )));
    }
    let psi = |x: f64, y: f64| {
        if x > y {
            1.0
        } else if x == y {
            0.5
        } else {
            0.0
        }
    };
    let k = scores.len();
    let mut v10 = vec![vec![0.0; m]; k];
    let mut v01 = vec![vec![0.0; n]; k];
    for (r, s) in scores.iter().enumerate() {
        for (a, &i) in pos.iter().enumerate() {
            for (b, &j) in neg.iter().enumerate() {
                let p = psi(s[i], s[j]);
                v10[r][a] += p;
                v01[r][b] += p;
            }
        }
        v10[r].iter_mut().for_each(|v| *v /= n as f64);
        v01[r].iter_mut().for_each(|v| *v /= m as f64);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let aucs: Vec<f64> = v10.iter().map(|v| mean(v)).collect();
    let cov = |a: &[f64], b: &[f64]| {
        let (ma, mb) = (mean(a), mean(b));
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - ma) * (y - mb))
            .sum::<f64>()
            / (a.len() - 1) as f64
    };
    let covariance = (0..k)
        .map(|r| {
            (0..k)
                .map(|s| cov(&v10[r], &v10[s]) / m as f64 + cov(&v01[r], &v01[s]) / n as f64)
                .collect()
        })
        .collect();
    Ok(DeLong {
        aucs,
        covariance,
        positives: m,
        negatives: n,
    })
}

/// Validates PDs and grades against outcomes. Needs both defaults and non-defaults.
pub fn validate(pd: &[f64], grades: &[Grade], defaulted: &[bool]) -> Result<ValidationReport> {
    let (n, d) = check_two_classes(pd, defaulted)?;
    Ok(ValidationReport {
        loans: n,
        defaults: d,
        auc: auc(pd, defaulted)?,
        auc_std_error: auc_standard_error(auc(pd, defaulted)?, d, n - d),
        gini: gini(pd, defaulted)?,
        ks: ks_statistic(pd, defaulted)?,
        brier: brier_score(pd, defaulted)?,
        hosmer_lemeshow: hosmer_lemeshow(pd, defaulted, 10).ok(),
        calibration: calibration_test(pd, defaulted)?,
        by_grade: binomial_by_grade(pd, grades, defaulted)?,
        roc: roc_curve(pd, defaulted)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// P(score of a defaulter > score of a non-defaulter) + ½ P(equal), by all pairs.
    fn brute_auc(pd: &[f64], y: &[bool]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..pd.len() {
            for j in 0..pd.len() {
                if y[i] && !y[j] {
                    den += 1.0;
                    if pd[i] > pd[j] {
                        num += 1.0;
                    } else if pd[i] == pd[j] {
                        num += 0.5;
                    }
                }
            }
        }
        num / den
    }

    #[test]
    fn auc_standard_error_matches_hanley_and_mcneil_and_repeated_samples() {
        // Hanley and McNeil's Table 1 case: A = 0.8 on 50 defaults and 50 non-defaults:
        // Q1 = 0.8/1.2, Q2 = 1.28/1.8, SE = 0.0429 (by hand from their equation 1).
        let se = auc_standard_error(0.8, 50, 50);
        let by_hand = ((0.8 * 0.2 + 49.0 * (0.8 / 1.2 - 0.64) + 49.0 * (1.28 / 1.8 - 0.64))
            / 2500.0f64)
            .sqrt();
        assert!((se - by_hand).abs() <= prec::IDENTITY, "{se} vs {by_hand}");
        // The spread of AUCs over repeated samples of one model: within a factor of 1.5 of
        // the formula's standard error (binormal-ish scores; 200 samples).
        let (mut aucs, mut ses) = (Vec::new(), Vec::new());
        for seed in 0..200 {
            let (pd, y) = sample(400, 1_000 + seed, 50);
            let d = y.iter().filter(|&&b| b).count();
            let a = auc(&pd, &y).unwrap();
            aucs.push(a);
            ses.push(auc_standard_error(a, d, 400 - d));
        }
        let mean = aucs.iter().sum::<f64>() / 200.0;
        let sd = (aucs.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / 199.0).sqrt();
        let formula = ses.iter().sum::<f64>() / 200.0;
        assert!(
            sd / formula > 1.0 / 1.5 && sd / formula < 1.5,
            "{sd} vs {formula}"
        );
        assert!(auc_standard_error(0.7, 0, 10).is_infinite());
    }

    fn sample(n: usize, seed: u64, levels: u32) -> (Vec<f64>, Vec<bool>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let pd: Vec<f64> = (0..n)
            .map(|_| f64::from(rng.random_range(0..levels) + 1) / f64::from(levels + 2))
            .collect();
        let y = pd.iter().map(|&p| rng.random::<f64>() < p).collect();
        (pd, y)
    }

    #[test]
    fn delong_by_hand_with_a_tie_and_two_correlated_scores() {
        // Defaulters X, non-defaulters Y; score 1: X = (0.8, 0.5), Y = (0.5, 0.2, 0.1) (one
        // tie); score 2: X = (0.3, 0.9), Y = (0.4, 0.2, 0.1).
        // Score 1: V10 = (1, 5/6), V01 = (3/4, 1, 1), AUC 11/12.
        // Score 2: V10 = (2/3, 1), V01 = (1/2, 1, 1), AUC 5/6.
        // S10 = [[1/72, -1/36], [-1/36, 1/18]] (divisor 1), S01 = [[1/48, 1/24], [1/24, 1/12]]
        // (divisor 2); Cov = S10 / 2 + S01 / 3 = [[1/72, 0], [0, 1/18]].
        // (The fast DeLong of benches/peers/german_credit_logit.py gives the same.)
        let y = [true, true, false, false, false];
        let d = delong(
            &[&[0.8, 0.5, 0.5, 0.2, 0.1], &[0.3, 0.9, 0.4, 0.2, 0.1]],
            &y,
        )
        .unwrap();
        assert!((d.aucs[0] - 11.0 / 12.0).abs() < prec::IDENTITY);
        assert!((d.aucs[1] - 5.0 / 6.0).abs() < prec::IDENTITY);
        assert!((d.covariance[0][0] - 1.0 / 72.0).abs() < prec::IDENTITY);
        assert!((d.covariance[1][1] - 1.0 / 18.0).abs() < prec::IDENTITY);
        assert!(d.covariance[0][1].abs() < prec::IDENTITY);
        let t = d.difference(0, 1);
        assert!((t.difference - 1.0 / 12.0).abs() < prec::IDENTITY);
        assert!((t.std_error - (5.0f64 / 72.0).sqrt()).abs() < prec::IDENTITY);
        // The rank AUC agrees, and a score against itself differs by nothing.
        assert!((auc(&[0.8, 0.5, 0.5, 0.2, 0.1], &y).unwrap() - d.aucs[0]).abs() < prec::IDENTITY);
        let same = d.difference(0, 0);
        assert_eq!((same.z, same.p_value), (0.0, 1.0));
        assert!(delong(&[&[0.1, 0.2]], &[true, false]).is_err());
        assert!(delong(&[&[0.1, 0.2, 0.3]], &[true, false]).is_err());
    }

    #[test]
    fn rank_auc_equals_pairwise_count_with_ties() {
        for (seed, levels) in [(1, 5), (2, 50), (3, 1000)] {
            let (pd, y) = sample(600, seed, levels);
            let a = auc(&pd, &y).unwrap();
            // Both are one division of the same two integers.
            assert!(
                (a - brute_auc(&pd, &y)).abs() < prec::IDENTITY,
                "levels {levels}"
            );
            assert!((gini(&pd, &y).unwrap() - (2.0 * a - 1.0)).abs() < prec::IDENTITY);
        }
    }

    #[test]
    fn roc_area_by_trapezoids_is_the_auc_and_ks_is_its_largest_gap() {
        let (pd, y) = sample(800, 4, 20);
        let roc = roc_curve(&pd, &y).unwrap();
        let area: f64 = roc
            .windows(2)
            .map(|w| {
                (w[1].false_positive_rate - w[0].false_positive_rate)
                    * 0.5
                    * (w[1].true_positive_rate + w[0].true_positive_rate)
            })
            .sum();
        assert!((area - auc(&pd, &y).unwrap()).abs() < prec::ACCUMULATED);
        let last = roc.last().unwrap();
        assert!((last.false_positive_rate - 1.0).abs() < prec::IDENTITY);
        assert!((last.true_positive_rate - 1.0).abs() < prec::IDENTITY);
        // KS by brute force: every threshold, both empirical CDFs.
        let mut ks = 0.0f64;
        for &t in &pd {
            let f = |d: bool| {
                let m: Vec<f64> = pd
                    .iter()
                    .zip(&y)
                    .filter(|(_, yy)| **yy == d)
                    .map(|(p, _)| *p)
                    .collect();
                m.iter().filter(|&&p| p >= t).count() as f64 / m.len() as f64
            };
            ks = ks.max((f(true) - f(false)).abs());
        }
        // The same count ratios, computed apart.
        assert!((ks - ks_statistic(&pd, &y).unwrap()).abs() < prec::IDENTITY);
    }

    #[test]
    fn perfect_and_useless_scores() {
        let pd = [0.1, 0.2, 0.8, 0.9];
        let y = [false, false, true, true];
        assert!((auc(&pd, &y).unwrap() - 1.0).abs() < prec::IDENTITY);
        assert!((ks_statistic(&pd, &y).unwrap() - 1.0).abs() < prec::IDENTITY);
        let flat = [0.3; 4];
        assert!((auc(&flat, &y).unwrap() - 0.5).abs() < prec::IDENTITY);
        assert!(
            (brier_score(&pd, &y).unwrap() - (0.01 + 0.04 + 0.04 + 0.01) / 4.0).abs()
                < prec::IDENTITY
        );
        assert!(matches!(
            auc(&pd, &[false; 4]),
            Err(GradeError::OneClass { .. })
        ));
    }

    /// A calibrated model must not be rejected at this level (a 0.1% false alarm).
    const ACCEPT_P: f64 = 0.001;
    /// A model that halves every PD must be rejected far beyond doubt.
    const REJECT_P: f64 = 1e-6;

    #[test]
    fn calibrated_pds_pass_and_halved_pds_fail() {
        let (pd, y) = sample(20_000, 5, 10);
        let hl = hosmer_lemeshow(&pd, &y, 10).unwrap();
        assert!(hl.p_value > ACCEPT_P, "{hl:?}");
        let half: Vec<f64> = pd.iter().map(|p| p / 2.0).collect();
        let hl_bad = hosmer_lemeshow(&half, &y, 10).unwrap();
        assert!(hl_bad.p_value < REJECT_P, "{hl_bad:?}");
        let grades = vec![Grade::B; pd.len()];
        let cal = binomial_by_grade(&half, &grades, &y).unwrap();
        assert_eq!(cal.len(), 1);
        assert!(cal[0].p_value_too_low < REJECT_P && cal[0].p_value_too_high > 0.99);
    }

    #[test]
    fn binomial_tails_by_hand() {
        // Bin(3, 0.5): P(X ≥ 2) = 4/8, P(X ≤ 2) = 7/8.
        // statrs' binomial CDF goes through its regularized incomplete beta; at n = 3 it is
        // far better than the `prec::STATRS` worst case, and the test held 1e-12 before.
        const SMALL_BINOMIAL: f64 = 1e-12;
        let (ge, le) = binomial_tails(3, 2, 0.5);
        assert!((ge - 0.5).abs() < SMALL_BINOMIAL && (le - 0.875).abs() < SMALL_BINOMIAL);
        let (ge0, _) = binomial_tails(3, 0, 0.5);
        assert!((ge0 - 1.0).abs() < prec::IDENTITY);
    }

    #[test]
    fn the_poisson_binomial_by_hand_and_against_the_binomial() {
        // PDs 0.1, 0.2, 0.5: P(X = 0) = 0.9 · 0.8 · 0.5 = 0.36, P(X = 3) = 0.01.
        let law = poisson_binomial(&[0.1, 0.2, 0.5]);
        assert!((law[0] - 0.36).abs() < prec::IDENTITY);
        assert!((law[3] - 0.01).abs() < prec::IDENTITY);
        // P(X = 1) = .1·.8·.5 + .9·.2·.5 + .9·.8·.5 = 0.04 + 0.09 + 0.36.
        assert!((law[1] - 0.49).abs() < prec::IDENTITY);
        assert!((law.iter().sum::<f64>() - 1.0).abs() < prec::IDENTITY);
        // Equal PDs: the binomial, whose tails statrs computes independently.
        let pd = vec![0.03; 400];
        let mut y = vec![false; 400];
        for v in y.iter_mut().take(19) {
            *v = true;
        }
        let t = calibration_test(&pd, &y).unwrap();
        let (ge, le) = binomial_tails(400, 19, 0.03);
        assert!((t.p_value_too_low - ge).abs() < prec::STATRS, "{t:?} {ge}");
        assert!((t.p_value_too_high - le).abs() < prec::STATRS, "{t:?} {le}");
    }

    #[test]
    fn calibrated_books_pass_the_count_test_and_halved_pds_fail_it() {
        let (pd, y) = sample(20_000, 7, 10);
        let t = calibration_test(&pd, &y).unwrap();
        assert_eq!(t.method, CalibrationMethod::ExactPoissonBinomial);
        assert!(t.p_value > ACCEPT_P, "{t:?}");
        let half: Vec<f64> = pd.iter().map(|p| p / 2.0).collect();
        let bad = calibration_test(&half, &y).unwrap();
        assert!(bad.p_value_too_low < REJECT_P && bad.z > 0.0, "{bad:?}");
        // Above the exact limit the normal approximation takes over and agrees.
        let (big_pd, big_y) = sample(EXACT_CALIBRATION_LIMIT + 1, 8, 10);
        let normal = calibration_test(&big_pd, &big_y).unwrap();
        assert_eq!(normal.method, CalibrationMethod::NormalApproximation);
        let exact = {
            let law = poisson_binomial(&big_pd);
            law[normal.defaults..].iter().sum::<f64>()
        };
        // A continuity-corrected normal tail of a count with sd ≈ 60: within a hundredth.
        const NORMAL_APPROXIMATION: f64 = 0.01;
        assert!((normal.p_value_too_low - exact).abs() < NORMAL_APPROXIMATION);
    }
}
