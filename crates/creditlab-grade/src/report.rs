//! The results of grading a book and of one IRB exposure as plain, serializable data: what
//! `cargo xtask grade --json` and `cargo xtask irb --json` print (docs/schemas/grade-json.md),
//! built here so that any caller gets the same figures and the same JSON keys.
//!
//! ```
//! use creditlab_grade::GradingConfig;
//! use creditlab_grade::report::{GradeReport, IrbReport};
//! use creditlab_grade::irb::AssetClass;
//! use creditlab_loan::synthetic::{BookSpec, bank_book};
//!
//! let book = bank_book(&BookSpec { loans: 300, total_principal: None, seed: 3 })?;
//! let mut report = GradeReport::build(&book, "bank book", &GradingConfig::default(), None, None)?;
//! report.thin_roc(51);
//! assert_eq!(report.loans.len(), 300);
//! // The synthetic bank book has observed outcomes: validation runs on them.
//! let v = report.validation.as_ref().expect("outcomes are observed");
//! assert!(v.full_information.auc > v.borrower_side_withheld.auc);
//! assert!(v.full_information.roc.len() <= 51);
//!
//! let irb = IrbReport::new(AssetClass::Corporate, 0.01, 0.45, 2.5)?;
//! assert!((irb.risk_weight - 0.9232).abs() < creditlab_numerics::prec::printed(4));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::collateral_model::{CollateralModelReport, CollateralObservation};
use crate::error::Result;
use crate::grading::{
    BookSummary, GradingConfig, InformationValidation, LoanGrade, grade_book, validate_book,
};
use crate::irb::{self, AssetClass};
use crate::scale::Grade;
use crate::scorecard::{Factor, ScorecardFit};
use crate::validation::RocPoint;
use creditlab_loan::Book;
use serde::Serialize;

/// One loan of a [`GradeReport`]: the figures of its [`LoanGrade`] that a reader of a book's
/// grading needs, flattened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoanRow {
    /// The loan's id.
    pub id: u64,
    /// The grade of the conservative one-year PD on the master scale.
    pub grade: Grade,
    /// Exposure at default (the principal).
    pub ead: f64,
    /// Posterior mean one-year PD.
    pub pd: f64,
    /// Lower end of the PD interval (5% posterior quantile by default).
    pub pd_lower: f64,
    /// Upper end of the PD interval (95% by default).
    pub pd_upper: f64,
    /// The conservative one-year PD, used for the grade and capital.
    pub pd_conservative: f64,
    /// Expected PD over the loan's life.
    pub pd_lifetime: f64,
    /// The loan's life in years.
    pub life_years: f64,
    /// Model LGD, net of recourse recoveries.
    pub lgd: f64,
    /// What the collateral alone leaves unpaid, per unit of EAD.
    pub collateral_lgd: f64,
    /// Expected recourse recovery from the borrower (currency): `(collateral_lgd - lgd) EAD`.
    pub recourse_recovery: f64,
    /// The LGD used for capital (mortgages floored at 10%).
    pub capital_lgd: f64,
    /// One-year expected loss.
    pub el_one_year: f64,
    /// Lifetime expected loss.
    pub el_lifetime: f64,
    /// IRB capital per unit of EAD.
    pub k: f64,
    /// IRB risk weight, 12.5 k.
    pub risk_weight: f64,
    /// Capital in currency, k × EAD.
    pub capital: f64,
    /// The factors the borrower did not (fully) reveal.
    pub missing_factors: Vec<Factor>,
    /// Observed default flag, when the data has one.
    pub defaulted: Option<bool>,
}

impl From<&LoanGrade> for LoanRow {
    fn from(g: &LoanGrade) -> Self {
        Self {
            id: g.id,
            grade: g.grade,
            ead: g.ead,
            pd: g.pd.pd,
            pd_lower: g.pd.pd_lower,
            pd_upper: g.pd.pd_upper,
            pd_conservative: g.pd.pd_conservative,
            pd_lifetime: g.pd.pd_lifetime,
            life_years: g.pd.life_years,
            lgd: g.lgd.lgd,
            collateral_lgd: g.lgd.collateral_lgd,
            recourse_recovery: g.lgd.recourse_recovery,
            capital_lgd: g.capital_lgd,
            el_one_year: g.el_one_year,
            el_lifetime: g.el_lifetime,
            k: g.capital.k,
            risk_weight: g.capital.risk_weight,
            capital: g.capital_amount,
            missing_factors: g.pd.missing_factors.clone(),
            defaulted: g.defaulted,
        }
    }
}

/// One fitted column of the scorecard's logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitRow {
    /// `"intercept"` or the feature's name.
    pub column: String,
    /// The maximum-likelihood coefficient.
    pub coefficient: f64,
    /// Its standard error.
    pub standard_error: f64,
}

impl FitRow {
    /// The rows of a fit, intercept first.
    pub fn of(fit: &ScorecardFit) -> Vec<Self> {
        fit.columns
            .iter()
            .enumerate()
            .map(|(j, c)| FitRow {
                column: (*c).to_string(),
                coefficient: fit.fit.coefficients[j],
                standard_error: fit.fit.standard_errors[j],
            })
            .collect()
    }
}

/// Largest number of points per ROC curve that [`GradeReport::thin_roc`] keeps for
/// `cargo xtask grade --json`.
pub const MAX_ROC_POINTS: usize = 201;

/// Keeps at most `max_points` of a ROC curve, evenly spaced by index, first and last
/// included (a curve with more points than a chart or a JSON reader needs).
pub fn thin_roc(roc: &mut Vec<RocPoint>, max_points: usize) {
    let max_points = max_points.max(2);
    if roc.len() > max_points {
        let n = roc.len();
        let picked: Vec<RocPoint> = (0..max_points)
            .map(|i| roc[i * (n - 1) / (max_points - 1)])
            .collect();
        *roc = picked;
    }
}

/// A graded book: the summaries with every revealed factor and with the borrower side
/// withheld, validation where outcomes exist, and every loan (graded on all factors).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradeReport {
    /// Where the loans come from (a tape's path, a synthetic book's size and seed).
    pub source: String,
    /// The posterior quantile used for the grade and capital.
    pub conservative_quantile: f64,
    /// The fitted scorecard columns, when the scorecard was fitted on the data.
    pub fit: Option<Vec<FitRow>>,
    /// Totals with every revealed factor.
    pub summary: BookSummary,
    /// Totals of the same loans with credit history, repayment capacity and cash flow
    /// withheld.
    pub summary_borrower_side_withheld: BookSummary,
    /// Validation against observed (or simulated) outcomes; `None` when there are none, or
    /// only one class.
    pub validation: Option<InformationValidation>,
    /// For a book of positions with liquidation thresholds and observed outcomes (a DeFi
    /// book): the collateral-only model fitted on one half and judged, with the bank
    /// scorecard, on the other. `None` otherwise, with the reason in
    /// `collateral_model_skipped`.
    pub collateral_model: Option<CollateralModelReport>,
    /// Why there is no collateral-only model, when there is none.
    pub collateral_model_skipped: Option<String>,
    /// Every loan, in book order, graded on all factors.
    pub loans: Vec<LoanRow>,
}

impl GradeReport {
    /// Grades `book` twice under `config` (all factors, borrower side withheld), validates
    /// as [`validate_book`] does (observed flags, else outcomes simulated with
    /// `simulate_outcomes` as the seed) and assembles the report. `fit` is the fit that
    /// produced `config.scorecard`, if any, for the record.
    pub fn build(
        book: &Book,
        source: impl Into<String>,
        config: &GradingConfig,
        fit: Option<&ScorecardFit>,
        simulate_outcomes: Option<u64>,
    ) -> Result<Self> {
        let full = grade_book(book, config, false)?;
        let withheld = grade_book(book, config, true)?;
        let validation = validate_book(book, &full, &withheld, config, simulate_outcomes)?;
        let (collateral_model, collateral_model_skipped) = collateral_model(book, config);
        Ok(Self {
            source: source.into(),
            conservative_quantile: config.scorecard.conservative_quantile,
            fit: fit.map(FitRow::of),
            loans: full.loans.iter().map(LoanRow::from).collect(),
            summary: full.summary,
            summary_borrower_side_withheld: withheld.summary,
            validation,
            collateral_model,
            collateral_model_skipped,
        })
    }

    /// Thins both validation ROC curves to at most `max_points` points ([`thin_roc`]); the
    /// metrics were computed on the full curves and do not change.
    pub fn thin_roc(&mut self, max_points: usize) {
        if let Some(v) = &mut self.validation {
            thin_roc(&mut v.full_information.roc, max_points);
            thin_roc(&mut v.borrower_side_withheld.roc, max_points);
        }
    }
}

/// The collateral-only model of `book` when every loan with an outcome has the collateral
/// features, else the reason there is none (a fit that fails is a reason, not an error:
/// the rest of the report stands).
fn collateral_model(
    book: &Book,
    config: &GradingConfig,
) -> (Option<CollateralModelReport>, Option<String>) {
    let with_outcome = book.iter().filter(|r| r.defaulted.is_some()).count();
    if with_outcome == 0 {
        return (None, Some("no observed outcomes".into()));
    }
    if let Some(r) = book
        .iter()
        .filter(|r| r.defaulted.is_some())
        .find(|r| CollateralObservation::of_record(r).is_err())
    {
        return (
            None,
            Some(format!(
                "loan {} has no liquidation threshold: not a book of liquidated positions",
                r.loan.id()
            )),
        );
    }
    match CollateralModelReport::build(book, config) {
        Ok(r) => (Some(r), None),
        Err(e) => (
            None,
            Some(format!(
                "the collateral-only model could not be fitted: {e}"
            )),
        ),
    }
}

/// The IRB capital of one exposure with its inputs: what `cargo xtask irb --json` prints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IrbReport {
    /// The asset class.
    pub asset_class: AssetClass,
    /// The PD given.
    pub pd: f64,
    /// The PD used, floored at [`irb::PD_FLOOR`].
    pub pd_used: f64,
    /// The LGD given.
    pub lgd: f64,
    /// The effective maturity given, in years (clamped inside the formula for corporates).
    pub maturity: f64,
    /// The asset correlation R.
    pub correlation: f64,
    /// The maturity adjustment (1 for retail classes).
    pub maturity_adjustment: f64,
    /// The capital requirement K per unit of EAD.
    pub k: f64,
    /// The risk weight 12.5 K.
    pub risk_weight: f64,
}

impl IrbReport {
    /// [`irb::capital`] of the exposure, with the inputs alongside.
    pub fn new(class: AssetClass, pd: f64, lgd: f64, maturity_years: f64) -> Result<Self> {
        let c = irb::capital(class, pd, lgd, maturity_years)?;
        Ok(Self {
            asset_class: class,
            pd,
            pd_used: c.pd,
            lgd,
            maturity: maturity_years,
            correlation: c.correlation,
            maturity_adjustment: c.maturity_adjustment,
            k: c.k,
            risk_weight: c.risk_weight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roc(n: usize) -> Vec<RocPoint> {
        (0..n)
            .map(|i| RocPoint {
                threshold: (n - i) as f64,
                false_positive_rate: i as f64 / (n - 1) as f64,
                true_positive_rate: i as f64 / (n - 1) as f64,
            })
            .collect()
    }

    #[test]
    fn thinning_keeps_both_ends_and_at_most_the_cap() {
        let mut r = roc(1000);
        let (first, last) = (r[0], r[999]);
        thin_roc(&mut r, MAX_ROC_POINTS);
        assert_eq!(r.len(), MAX_ROC_POINTS);
        assert_eq!((r[0], r[MAX_ROC_POINTS - 1]), (first, last));
        assert!(r.windows(2).all(|w| w[0].threshold > w[1].threshold));
        let mut short = roc(10);
        thin_roc(&mut short, MAX_ROC_POINTS);
        assert_eq!(short, roc(10));
    }

    #[test]
    fn irb_report_carries_the_formula_and_its_inputs() {
        let r = IrbReport::new(AssetClass::ResidentialMortgage, 0.0001, 0.05, 3.0).unwrap();
        assert_eq!(r.pd, 0.0001);
        assert_eq!(r.pd_used, irb::PD_FLOOR);
        assert_eq!(r.correlation, 0.15);
        assert_eq!(r.maturity_adjustment, 1.0);
        assert_eq!(r.risk_weight, 12.5 * r.k);
        assert!(IrbReport::new(AssetClass::Corporate, 2.0, 0.45, 2.5).is_err());
    }
}
