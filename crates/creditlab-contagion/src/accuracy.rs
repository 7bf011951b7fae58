//! How accurate a method's figures are: the accuracy requested of the exact method
//! ([`Tolerance`]) and what every method says about its figures ([`AccuracyReport`]): the
//! convergence evidence of the exact method (the figures at its last two refinements of the
//! grid and of the quadrature), the standard errors of a simulation, or an analytic method's
//! own statement. See docs/methodology/accuracy-control.md.

use crate::distribution::{LossDistribution, LossSummary};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Default relative tolerance of every reported probability and expectation.
pub const DEFAULT_RELATIVE: f64 = 1e-4;
/// Default absolute tolerance (what "relative" cannot mean near zero).
pub const DEFAULT_ABSOLUTE: f64 = 1e-8;

/// A requested accuracy: a figure `v` is accurate when its error is at most
/// `max(relative |v|, absolute)`. For a probability or an expectation (EL, UL, ES,
/// `P(L > x)`, a tranche's EL and `P(loss)`) the error is the figure's; a VaR at level `a`
/// is accurate when the distribution function at it is within `max(relative (1 - a),
/// absolute)` of `a` — or, where the distribution has an atom at the VaR (a concentrated
/// book whose loans default all together) so that no loss has that distribution function,
/// when the VaR itself is within `relative` of its value.
///
/// ```
/// use creditlab_contagion::accuracy::Tolerance;
/// let t = Tolerance::default();
/// assert_eq!((t.relative, t.absolute), (1e-4, 1e-8));
/// assert_eq!(t.of(0.5), 5e-5);
/// assert_eq!(t.of(1e-6), 1e-8);
/// assert!(Tolerance { relative: 0.0, absolute: 1e-8 }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// Relative tolerance, in (0, 1).
    pub relative: f64,
    /// Absolute tolerance, in (0, 1).
    pub absolute: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Self {
            relative: DEFAULT_RELATIVE,
            absolute: DEFAULT_ABSOLUTE,
        }
    }
}

impl Tolerance {
    /// The tolerance on a figure of value `v`: `max(relative |v|, absolute)`.
    pub fn of(&self, v: f64) -> f64 {
        (self.relative * v.abs()).max(self.absolute)
    }

    /// Both tolerances in (0, 1); errors name `accuracy.relative` or `accuracy.absolute`.
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("accuracy.relative", self.relative),
            ("accuracy.absolute", self.absolute),
        ] {
            if !(v.is_finite() && v > 0.0 && v < 1.0) {
                return Err(Error::InvalidParameter {
                    field: field.into(),
                    value: v,
                    reason: "must be in (0, 1)",
                });
            }
        }
        Ok(())
    }
}

/// What kind of statement an [`AccuracyReport`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Convergence evidence: the figures at the last two refinements and how far apart
    /// they are (the exact method). Not a proven bound.
    Convergence,
    /// Monte Carlo standard errors of every figure.
    StandardErrors,
    /// A closed form (or a quadrature far below any tolerance): the numerical error is at
    /// the special functions' accuracy; the method's approximation of the finite pool (the
    /// large pool, the binomial expansion) is a model error it does not measure.
    Analytic,
}

/// One figure at two refinements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureChange {
    /// The figure, as named in the report: `expected_loss`, `unexpected_loss`,
    /// `var[0.999]`, `es[0.999]`, `tail[0.05]`, `tranche[0.03-0.07].expected_loss`,
    /// `tranche[0.03-0.07].default_probability`.
    pub figure: String,
    /// At the finer refinement (the reported value).
    pub value: f64,
    /// At the coarser refinement.
    pub previous: f64,
    /// `|value - previous|`; for a VaR, how far the finer distribution's `P(L > x)` at the
    /// coarser VaR is from the coarser's (which is `1 - level` for a continuous readout).
    pub error: f64,
    /// The tolerance it is held to ([`Tolerance::of`] the figure, or of `1 - level`).
    pub tolerance: f64,
    /// What `error` measures: `value` (the figure's change) or, for a VaR,
    /// `distribution function` (the change of `P(L > x)` at the coarser VaR); a VaR whose
    /// distribution function has an atom there falls back to `value` with the relative
    /// tolerance of the VaR.
    pub criterion: String,
}

/// A refinement and the figures it moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refinement {
    /// `quadrature` or `grid`.
    pub refined: String,
    /// The coarser setting, e.g. `trapezoid h = 0.27, 64 nodes` or `unit 2.1e-4`.
    pub from: String,
    /// The finer setting (the reported one).
    pub to: String,
    /// Whether every figure moved by at most its tolerance.
    pub converged: bool,
    /// Every figure at both settings.
    pub figures: Vec<FigureChange>,
}

/// A figure with its standard error (simulation methods).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureError {
    /// The figure (named as in [`FigureChange::figure`]).
    pub figure: String,
    /// Its value.
    pub value: f64,
    /// Its standard error.
    pub std_error: f64,
}

/// A figure with a bound on its numerical error (the exact method): the reported value is
/// within `bound` of what the method would give at infinitely fine settings. For a VaR the
/// bound is in loss units, like the VaR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureBound {
    /// The figure (named as in [`FigureChange::figure`]).
    pub figure: String,
    /// Its value.
    pub value: f64,
    /// The error bound: twice the sum of the figure's changes over the last refinement of
    /// the grid and of the quadrature (a refinement shrinking the error by at least 2/3),
    /// plus the mass left out ([`AccuracyReport::trimmed_mass`]), plus a rounding floor of
    /// 1e-12 relative. Estimated from convergence, not proven; it covers the numerical
    /// error of the recursion, not a method's model approximations (a collateral LGD is
    /// replaced by its conditional mean given the factor).
    pub bound: f64,
}

/// How many times its last changes a figure's error may be: the error left after a
/// refinement that shrinks it by a ratio `r` is at most `r / (1 - r)` times the change,
/// which is 2 for `r = 2/3` (the exact method's refinements shrink errors by a half or
/// more; 2/3 leaves room for the pre-asymptotic steps).
const BOUND_SAFETY: f64 = 2.0;

/// Rounding floor of a [`FigureBound`], relative to the figure: the recursion's
/// accumulated summation error.
const BOUND_ROUNDING: f64 = 1e-12;

/// What a method says about the accuracy of its figures (`accuracy` in the loss report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyReport {
    /// Which kind of statement this is.
    pub evidence: Evidence,
    /// What was done, in a sentence.
    pub method: String,
    /// The accuracy requested (exact method).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested: Option<Tolerance>,
    /// Whether it was reached (exact method): false only when a coarser result was
    /// accepted because the budget ran out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
    /// The loss grid used (exact method).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<String>,
    /// The factor quadrature used (exact method).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quadrature: Option<String>,
    /// Probability mass left out (quadrature nodes of negligible weight, conditional
    /// distributions' trimmed ends): an upper bound on what it can move a probability by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trimmed_mass: Option<f64>,
    /// The last refinement of the quadrature and of the grid (exact method).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub refinements: Vec<Refinement>,
    /// Every figure's standard error (simulation methods).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub standard_errors: Vec<FigureError>,
    /// Every figure's error bound (exact method, from its refinements; empty without
    /// refinements).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub error_bounds: Vec<FigureBound>,
}

impl AccuracyReport {
    /// An analytic method's statement.
    pub fn analytic(method: impl Into<String>) -> Self {
        Self {
            evidence: Evidence::Analytic,
            method: method.into(),
            requested: None,
            met: None,
            grid: None,
            quadrature: None,
            trimmed_mass: None,
            refinements: Vec::new(),
            standard_errors: Vec::new(),
            error_bounds: Vec::new(),
        }
    }

    /// The error bound of `figure` (named as in [`FigureChange::figure`], e.g.
    /// `var[0.999]`), when the report has one.
    pub fn error_bound(&self, figure: &str) -> Option<f64> {
        self.error_bounds
            .iter()
            .find(|b| b.figure == figure)
            .map(|b| b.bound)
    }

    /// Fills [`AccuracyReport::error_bounds`] from the refinements and the trimmed mass.
    pub(crate) fn bound_from_refinements(&mut self) {
        let trimmed = self.trimmed_mass.unwrap_or(0.0);
        let Some(first) = self.refinements.first() else {
            return;
        };
        self.error_bounds = first
            .figures
            .iter()
            .map(|f| {
                let moved: f64 = self
                    .refinements
                    .iter()
                    .filter_map(|r| r.figures.iter().find(|g| g.figure == f.figure))
                    .map(|g| (g.value - g.previous).abs())
                    .sum();
                FigureBound {
                    figure: f.figure.clone(),
                    value: f.value,
                    bound: BOUND_SAFETY * moved + trimmed + BOUND_ROUNDING * f.value.abs(),
                }
            })
            .collect();
    }

    /// A simulation's standard errors, one per figure of `summary` that has one.
    pub fn standard_errors(method: impl Into<String>, summary: &LossSummary) -> Self {
        let mut r = Self::analytic(method);
        r.evidence = Evidence::StandardErrors;
        r.standard_errors = figures(summary)
            .into_iter()
            .filter_map(|(figure, e)| {
                Some(FigureError {
                    figure,
                    value: e.value,
                    std_error: e.std_error?,
                })
            })
            .collect();
        r
    }
}

/// Every figure of a summary, named as in the report, in report order.
pub fn figures(s: &LossSummary) -> Vec<(String, crate::Estimate)> {
    let mut v = vec![
        ("expected_loss".to_string(), s.expected_loss),
        ("unexpected_loss".to_string(), s.unexpected_loss),
    ];
    v.extend(
        s.var
            .iter()
            .map(|a| (format!("var[{}]", a.level), a.estimate)),
    );
    v.extend(
        s.es.iter()
            .map(|a| (format!("es[{}]", a.level), a.estimate)),
    );
    v.extend(
        s.tail
            .iter()
            .map(|t| (format!("tail[{}]", t.x), t.probability)),
    );
    for t in &s.tranches {
        let name = format!("tranche[{}-{}]", t.tranche.attach(), t.tranche.detach());
        v.push((format!("{name}.expected_loss"), t.expected_loss));
        v.push((format!("{name}.default_probability"), t.default_probability));
    }
    v
}

/// Compares the figures of two refinements: `fine` (with its distribution, to read the
/// distribution function at the coarser VaR) against `coarse`.
pub(crate) fn compare(
    refined: &str,
    from: String,
    to: String,
    fine: (&dyn LossDistribution, &LossSummary),
    coarse: (&dyn LossDistribution, &LossSummary),
    tol: &Tolerance,
) -> Refinement {
    let (fd, fs) = fine;
    let (cd, cs) = coarse;
    let mut out = Vec::new();
    let names = figures(fs);
    let old = figures(cs);
    for ((name, new), (_, prev)) in names.into_iter().zip(old) {
        let level = name
            .strip_prefix("var[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|l| l.parse::<f64>().ok());
        let change = (new.value - prev.value).abs();
        let (error, tolerance, criterion) = match level {
            Some(level) => {
                let at = prev.value;
                let e = (fd.tail_probability(at).value - cd.tail_probability(at).value).abs();
                let t = tol.of(1.0 - level);
                let by_value = tol.relative * new.value.abs();
                if e <= t || change > by_value {
                    (e, t, "distribution function")
                } else {
                    (change, by_value, "value")
                }
            }
            None => (change, tol.of(new.value), "value"),
        };
        out.push(FigureChange {
            figure: name,
            value: new.value,
            previous: prev.value,
            error,
            tolerance,
            criterion: criterion.to_string(),
        });
    }
    Refinement {
        refined: refined.to_string(),
        from,
        to,
        converged: out.iter().all(|f| f.error <= f.tolerance),
        figures: out,
    }
}
