//! The study's stages, bank book against DeFi book, from a scenario: generate both books
//! at the same total principal, project their cash flows, grade them (with full
//! information and with the borrower facts withheld; the DeFi book also on its own
//! outcomes), turn each graded book into a one-year loss distribution and tranche losses
//! (the bank's LGDs from the house, moving with the same factor as its defaults), measure
//! diversification, the CDO squared, the bank's securitization economics, the DeFi book as
//! a lending pool and the clearing networks, and judge the thesis on that evidence.

use crate::error::{Result, StudyError};
use crate::progress::{Progress, stage};
use crate::scenario::{LossMethod, Scenario};
use crate::{contagion, defi_pool, verdict};
use creditlab_contagion::{
    AccuracyReport, Copula, Exposure, Lgd, LossDistribution, LossSummary, Portfolio, Tranche,
    distribution::STANDARD_LEVELS,
    exact::{ExactConfig, ExactLoss},
    mc::MonteCarlo,
};
use creditlab_contagion::{Scenarios, Seed};
use creditlab_grade::collateral_model::CollateralModelReport;
use creditlab_grade::validation::CalibrationTest;
use creditlab_grade::{
    BookGrades, GradingConfig, LoanGrade, grade_book, grading::validate_information,
    report::thin_roc,
};
use creditlab_loan::housing::BookSeverity;
use creditlab_loan::{
    Assumptions, Book, CashFlowTotals, CashFlows, CollateralKind, Recourse, project_records,
    synthetic::{BookSpec, bank_book, defi_book_with},
};
use creditlab_pool::{capital::sec_sa_risk_weight, rate_by_default_probability};
use serde::Serialize;
use std::fmt::Write as _;

/// Version of report.json's schema (docs/schemas/report-json.md).
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// One book's facts: size, collateral, what is known about the borrowers.
#[derive(Debug, Serialize)]
pub struct BookFacts {
    /// Number of loans.
    pub loans: usize,
    /// Total principal lent.
    pub total_principal: f64,
    /// Principal-weighted loan-to-value at origination (`None` without collateral values).
    pub weighted_average_ltv: Option<f64>,
    /// Principal-weighted annual note rate.
    pub weighted_average_rate: Option<f64>,
    /// Share of loans with full recourse to the borrower beyond the collateral.
    pub full_recourse_share: f64,
    /// Share of loans whose borrower revealed a credit history.
    pub credit_history_known_share: f64,
    /// Share of loans whose borrower revealed an income.
    pub income_known_share: f64,
    /// Share of loans secured by residential property.
    pub property_collateral_share: f64,
    /// Share of loans secured by a crypto asset.
    pub crypto_collateral_share: f64,
    /// Share of loans whose realized outcome is a default (`None` without outcomes).
    pub observed_default_rate: Option<f64>,
}

impl BookFacts {
    fn of(book: &Book) -> Self {
        let n = book.len() as f64;
        let share = |f: &dyn Fn(&creditlab_loan::LoanRecord) -> bool| {
            book.iter().filter(|r| f(r)).count() as f64 / n
        };
        Self {
            loans: book.len(),
            total_principal: book.total_principal(),
            weighted_average_ltv: book.weighted_average_ltv(),
            weighted_average_rate: book.weighted_average_rate(),
            full_recourse_share: share(&|r| r.loan.recourse() == Recourse::Full),
            credit_history_known_share: share(&|r| r.borrower.credit_score().is_some()),
            income_known_share: share(&|r| r.borrower.income().is_some()),
            property_collateral_share: share(&|r| {
                r.collateral.kind() == CollateralKind::ResidentialProperty
            }),
            crypto_collateral_share: share(&|r| r.collateral.kind() == CollateralKind::CryptoAsset),
            observed_default_rate: book.observed_default_rate(),
        }
    }
}

/// What grading says about one book.
#[derive(Debug, Serialize)]
pub struct GradingFacts {
    /// Mean one-year PD (posterior mean).
    pub mean_pd: f64,
    /// Mean conservative one-year PD (the posterior quantile the grade uses).
    pub mean_pd_conservative: f64,
    /// Exposure-weighted mean LGD, net of recourse recoveries.
    pub mean_lgd: f64,
    /// Exposure-weighted mean LGD from the collateral alone.
    pub mean_collateral_lgd: f64,
    /// Exposure-weighted mean recourse recovery per unit of exposure, shown apart.
    pub mean_recourse_recovery: f64,
    /// One-year expected loss per unit of exposure.
    pub el_one_year_rate: f64,
    /// Expected loss over the loans' life per unit of exposure.
    pub el_lifetime_rate: f64,
    /// Basel IRB capital per unit of exposure.
    pub capital_rate: f64,
    /// Loans per master-scale grade, `(grade, count)`.
    pub loans_by_grade: Vec<(String, usize)>,
    /// Realized defaults of the book.
    pub defaults: usize,
    /// AUC of the grade against realized defaults, every revealed fact used (`None` when
    /// the book holds only one class: no defaults, or nothing but defaults).
    pub auc_full_information: Option<f64>,
    /// Its standard error (Hanley-McNeil).
    pub auc_full_information_se: Option<f64>,
    /// AUC with the borrower-side facts withheld.
    pub auc_borrower_facts_withheld: Option<f64>,
    /// Its standard error.
    pub auc_borrower_facts_withheld_se: Option<f64>,
    /// The book's defaults against the sum of its graded PDs, with the test's p-values
    /// (`None` with one class).
    pub calibration: Option<CalibrationTest>,
    /// Why a validation or the own-data model could not be computed, when it could not.
    pub not_computed: Vec<String>,
    /// ROC curve with full information, `[false-positive rate, true-positive rate]`,
    /// thinned to at most [`ROC_POINTS`] points for charts.
    pub roc_full_information: Vec<[f64; 2]>,
    /// ROC curve with the borrower facts withheld.
    pub roc_borrower_facts_withheld: Vec<[f64; 2]>,
    /// The DeFi book graded on its own outcomes: a collateral-only model fitted on one half
    /// and tested on the other against the bank scorecard (`None` for the bank book).
    pub own_data: Option<CollateralModelReport>,
    /// Share of the loans the own-data model grades BB or worse (`None` without it).
    pub own_data_low_grade_share: Option<f64>,
}

/// Most points kept of a ROC curve in the report.
pub const ROC_POINTS: usize = 101;

fn roc_points(roc: &[creditlab_grade::validation::RocPoint]) -> Vec<[f64; 2]> {
    let mut roc = roc.to_vec();
    thin_roc(&mut roc, ROC_POINTS);
    roc.iter()
        .map(|p| [p.false_positive_rate, p.true_positive_rate])
        .collect()
}

impl GradingFacts {
    fn of(
        full: &BookGrades,
        withheld: &BookGrades,
        book: &Book,
        config: &GradingConfig,
        own_data: bool,
    ) -> Result<Self> {
        let s = &full.summary;
        let outcomes: Vec<bool> = book.iter().map(|r| r.defaulted.unwrap_or(false)).collect();
        let defaults = outcomes.iter().filter(|&&d| d).count();
        let mut not_computed = Vec::new();
        // A book without a single default (or of defaults only) cannot be validated or fitted:
        // that is an outcome of the scenario, reported, not an error.
        let one_class = |e: &creditlab_grade::GradeError| {
            matches!(
                e,
                creditlab_grade::GradeError::OneClass { .. }
                    | creditlab_grade::GradeError::NotEnoughData(_)
            )
        };
        let validation = match validate_information(
            &full.loans,
            &withheld.loans,
            &outcomes,
            "observed".into(),
            config,
        ) {
            Ok(v) => Some(v),
            Err(e) if one_class(&e) => {
                not_computed.push(format!("validation: {e}"));
                None
            }
            Err(e) => return Err(e.into()),
        };
        let want_own_data = own_data;
        let own_data = if own_data {
            match CollateralModelReport::build(book, config) {
                Ok(r) => Some(r),
                Err(e) if one_class(&e) => {
                    not_computed.push(format!("own-data model: {e}"));
                    None
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        let own_data_low_grade_share = match &own_data {
            Some(report) => Some(low_grade_share(report, book, config)?),
            // Without a fit every loan carries the book's pooled default rate.
            None if want_own_data => {
                let pooled = defaults as f64 / book.len().max(1) as f64;
                let low = config.scale.grade(pooled)?.rank() >= creditlab_grade::Grade::BB.rank();
                Some(if low { 1.0 } else { 0.0 })
            }
            None => None,
        };
        let (f, w) = match &validation {
            Some(v) => (Some(&v.full_information), Some(&v.borrower_side_withheld)),
            None => (None, None),
        };
        Ok(Self {
            mean_pd: s.mean_pd,
            mean_pd_conservative: s.mean_pd_conservative,
            mean_lgd: s.mean_lgd,
            mean_collateral_lgd: s.mean_collateral_lgd,
            mean_recourse_recovery: s.mean_recourse_recovery,
            el_one_year_rate: s.el_one_year / s.ead,
            el_lifetime_rate: s.el_lifetime / s.ead,
            capital_rate: s.capital / s.ead,
            loans_by_grade: s
                .by_grade
                .iter()
                .map(|b| (b.grade.as_str().to_string(), b.loans))
                .collect(),
            defaults,
            auc_full_information: f.map(|f| f.auc),
            auc_full_information_se: f.map(|f| f.auc_std_error),
            auc_borrower_facts_withheld: w.map(|w| w.auc),
            auc_borrower_facts_withheld_se: w.map(|w| w.auc_std_error),
            calibration: f.map(|f| f.calibration),
            not_computed,
            roc_full_information: f.map_or(Vec::new(), |f| roc_points(&f.roc)),
            roc_borrower_facts_withheld: w.map_or(Vec::new(), |w| roc_points(&w.roc)),
            own_data,
            own_data_low_grade_share,
        })
    }
}

/// Share of `book`'s loans whose mean PD under the own-data model grades BB or worse on
/// the master scale.
fn low_grade_share(
    report: &CollateralModelReport,
    book: &Book,
    config: &GradingConfig,
) -> Result<f64> {
    use creditlab_grade::collateral_model::CollateralObservation;
    let mut low = 0usize;
    for r in book.iter() {
        let pd = report
            .model
            .assess(&CollateralObservation::of_record(r)?, 0.5)?
            .pd;
        if config.scale.grade(pd)?.rank() >= creditlab_grade::Grade::BB.rank() {
            low += 1;
        }
    }
    Ok(low as f64 / book.len().max(1) as f64)
}

/// One book's one-year loss distribution under a one-factor Gaussian copula.
#[derive(Debug, Serialize)]
pub struct LossFacts {
    /// How the distribution was computed.
    pub method: LossMethod,
    /// The assumed one-factor Gaussian asset correlation.
    pub rho: f64,
    /// EL, UL, VaR, ES, tail probabilities and tranche losses at `rho`.
    pub summary: LossSummary,
    /// The stressed asset correlation the tranches are re-measured at.
    pub stress_rho: f64,
    /// The loss distribution at the stressed correlation.
    pub stressed: LossSummary,
    /// `[x, P(L > x)]` on a grid up to beyond the 99.97% VaR, at the assumed and at the
    /// stressed correlation: the exceedance curves of the report's chart.
    pub exceedance: Vec<[f64; 2]>,
    /// The same at the stressed correlation.
    pub stressed_exceedance: Vec<[f64; 2]>,
    /// `P(L > 0)` at the assumed correlation: the chance that anyone behind no first-loss
    /// buffer loses something.
    pub any_loss_probability: f64,
    /// Each tranche rated, re-measured and risk-weighted.
    pub tranche_ratings: Vec<TrancheRating>,
    /// The exact method's accuracy at `rho`: the refinements, whether the tolerance was
    /// met, and each figure's error bound (`None` for Monte Carlo, whose figures carry
    /// standard errors). Each exact estimate's `std_error` is half its error bound, so that
    /// two of them cover it.
    pub accuracy: Option<AccuracyReport>,
    /// The same at `stress_rho`.
    pub stressed_accuracy: Option<AccuracyReport>,
}

/// Writes the exact method's error bounds into `summary`'s estimates, as half-bounds in
/// `std_error` (figures without a bound keep theirs).
fn with_bounds(summary: &mut LossSummary, accuracy: &AccuracyReport) {
    let half = |name: String, e: &mut creditlab_contagion::Estimate| {
        if let Some(b) = accuracy.error_bound(&name) {
            e.std_error = Some(0.5 * b);
        }
    };
    half("expected_loss".into(), &mut summary.expected_loss);
    half("unexpected_loss".into(), &mut summary.unexpected_loss);
    for a in &mut summary.var {
        half(format!("var[{}]", a.level), &mut a.estimate);
    }
    for a in &mut summary.es {
        half(format!("es[{}]", a.level), &mut a.estimate);
    }
    for t in &mut summary.tail {
        half(format!("tail[{}]", t.x), &mut t.probability);
    }
    for t in &mut summary.tranches {
        let name = format!("tranche[{}-{}]", t.tranche.attach(), t.tranche.detach());
        half(format!("{name}.expected_loss"), &mut t.expected_loss);
        half(
            format!("{name}.default_probability"),
            &mut t.default_probability,
        );
    }
}

/// A tranche rated at the assumed correlation, re-measured at the stressed one, and its
/// regulatory capital.
#[derive(Debug, Serialize)]
pub struct TrancheRating {
    /// Attachment point, a fraction of the pool.
    pub attach: f64,
    /// Detachment point, a fraction of the pool.
    pub detach: f64,
    /// Master-scale grade of its one-year default probability at the assumed correlation.
    pub rating: &'static str,
    /// Its default probability at the stressed correlation.
    pub stressed_default_probability: f64,
    /// Its expected loss at the stressed correlation.
    pub stressed_expected_loss: f64,
    /// Its grade at the stressed correlation.
    pub stressed_rating: &'static str,
    /// SSFA risk weight (p = 1) with KA = the pool's IRB capital per unit of exposure.
    pub risk_weight: f64,
}

/// One headline figure of a study.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Stable key, e.g. `bank.var_999`.
    pub key: String,
    /// What it is, for tables and charts.
    pub label: String,
    /// Its value.
    pub value: f64,
}

/// Lower-case words joined by `_`: a key from a label.
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::new();
    for word in s
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// What the bank's securitization does to what a unit of equity can lend (claim 1), and
/// whether selling the notes pays.
#[derive(Debug, Clone, Serialize)]
pub struct Securitization {
    /// Share of every tranche the bank keeps (vertical risk retention).
    pub retention: f64,
    /// Capital per unit of loans held whole: the pool's IRB capital.
    pub held_capital: f64,
    /// Capital per unit of loans securitized: 8% of the retained slices' risk-weighted
    /// assets, each tranche at its SEC-SA risk weight.
    pub retained_capital: f64,
    /// Loans a unit of equity funds when securitizing, over held whole.
    pub capacity_ratio: f64,
    /// The senior notes' fair spread: their one-year expected loss (per unit of the notes)
    /// at the stressed correlation.
    pub senior_spread: f64,
    /// Its standard error (Monte Carlo) or half its error bound (exact).
    pub senior_spread_se: f64,
    /// The loans' principal-weighted annual rate.
    pub loan_rate: f64,
    /// The notes' annual coupon.
    pub note_coupon: f64,
    /// The pool's margin over funding, `loan_rate - note_coupon`.
    pub margin: f64,
}

impl Securitization {
    pub(crate) fn of(bank: &BookStudy, spec: &crate::scenario::SecuritizationSpec) -> Result<Self> {
        use creditlab_pool::capital::capital_for;
        let retained: f64 = bank
            .loss
            .tranche_ratings
            .iter()
            .map(|t| capital_for(spec.retention * (t.detach - t.attach), t.risk_weight))
            .sum();
        let held = bank.grading.capital_rate;
        let senior = bank.loss.stressed.tranches.last();
        let (spread, se) = senior.map_or((0.0, 0.0), |t| {
            (
                t.expected_loss.value,
                t.expected_loss.std_error.unwrap_or(0.0),
            )
        });
        let loan_rate = bank.facts.weighted_average_rate.unwrap_or(0.0);
        Ok(Self {
            retention: spec.retention,
            held_capital: held,
            retained_capital: retained,
            capacity_ratio: if retained > 0.0 {
                held / retained
            } else {
                f64::INFINITY
            },
            senior_spread: spread,
            senior_spread_se: se,
            loan_rate,
            note_coupon: spec.note_coupon,
            margin: loan_rate - spec.note_coupon,
        })
    }
}

/// Diversification in theory and in reality (claim 2): the grid of the scenario, and the
/// share of the tail a hundred-fold bigger pool removes at the bank book's own PD and
/// correlation.
#[derive(Debug, Serialize)]
pub struct DiversificationStudy {
    /// Every size and correlation of `[diversification]`.
    pub points: Vec<DiversificationPoint>,
    /// The bank book's mean PD the share is measured at.
    pub pd: f64,
    /// The bank book's asset correlation.
    pub rho: f64,
    /// 99.9% default-rate quantile of a pool of [`SMALL_POOL`] loans.
    pub small_pool_var_999: f64,
    /// The same of [`LARGE_POOL`] loans.
    pub large_pool_var_999: f64,
    /// `1 - (large - pd) / (small - pd)`: the share of the unexpected tail (the quantile
    /// above the mean) pooling a hundred times more loans removes.
    pub diversified_share: f64,
}

/// The smaller pool of claim 2's test.
pub const SMALL_POOL: usize = 1_000;
/// The larger pool: a hundred times bigger.
pub const LARGE_POOL: usize = 100_000;

/// One point of the diversification study: a homogeneous pool of `loans` loans.
#[derive(Debug, Serialize)]
pub struct DiversificationPoint {
    /// Loans in the pool.
    pub loans: usize,
    /// Asset correlation.
    pub rho: f64,
    /// Standard deviation of the pool's default rate (closed form).
    pub default_rate_sd: f64,
    /// 99.9% quantile of the pool's default rate.
    pub default_rate_var_999: f64,
    /// How the quantile was computed: `binomial`, `exact` or `large-pool limit`.
    pub var_method: &'static str,
}

/// Diversification in theory and in reality: for each pool size and asset correlation, the
/// standard deviation and 99.9% quantile of the default rate of a homogeneous pool.
///
/// The variance is exact for any size: `Var(D/N) = p2 - p^2 + (p - p2)/N` with
/// `p2 = Phi2(c, c; rho)` the joint default probability of two loans. The quantile is the
/// binomial one when rho = 0, the exact recursion up to 2,000 loans, and the Vasicek
/// large-pool limit beyond (which the exact recursion approaches as N grows; tested in
/// creditlab-contagion).
pub(crate) fn diversification(
    d: &crate::scenario::Diversification,
    bank: &BookStudy,
    rho: f64,
) -> Result<DiversificationStudy> {
    use creditlab_contagion::diversification::{default_rate_quantile, default_rate_sd};
    let mut points = Vec::new();
    for &r in &d.rhos {
        for &n in &d.sizes {
            let (q, method) = default_rate_quantile(d.pd, r, n, 0.999)?;
            points.push(DiversificationPoint {
                loans: n,
                rho: r,
                default_rate_sd: default_rate_sd(d.pd, r, n)?,
                default_rate_var_999: q,
                var_method: method,
            });
        }
    }
    let pd = bank.grading.mean_pd;
    let (small, _) = default_rate_quantile(pd, rho, SMALL_POOL, 0.999)?;
    let (large, _) = default_rate_quantile(pd, rho, LARGE_POOL, 0.999)?;
    Ok(DiversificationStudy {
        points,
        pd,
        rho,
        small_pool_var_999: small,
        large_pool_var_999: large,
        diversified_share: if small > pd {
            1.0 - (large - pd) / (small - pd)
        } else {
            0.0
        },
    })
}

/// Everything the study computed for one book.
#[derive(Debug, Serialize)]
pub struct BookStudy {
    /// `bank` or `defi`.
    pub name: &'static str,
    /// What the lender knows and holds.
    pub facts: BookFacts,
    /// Lifetime totals of the projected cash flows.
    pub cashflow_totals: CashFlowTotals,
    /// What grading says.
    pub grading: GradingFacts,
    /// The mortgages' severity from the house (`None` for a book without property): the
    /// one severity of the cash flows and the loss model.
    pub severity: Option<BookSeverity>,
    /// The one-year loss distribution and the tranches.
    pub loss: LossFacts,
    /// The monthly cash flows (written as CSV, not into report.json).
    #[serde(skip)]
    pub cashflows: CashFlows,
}

/// The whole study, as serialized into report.json.
#[derive(Debug, Serialize)]
pub struct Study {
    /// Version of the report.json schema.
    pub schema_version: u32,
    /// Seed of every random draw.
    pub seed: u64,
    /// The scenario the study ran.
    pub scenario: Scenario,
    /// The bank book.
    pub bank: BookStudy,
    /// The DeFi book, through the same loan model.
    pub defi: BookStudy,
    /// Default-rate dispersion against pool size and correlation.
    pub diversification: DiversificationStudy,
    /// The CDO squared against the same mezzanine exposures held directly.
    pub cdo_squared: creditlab_pool::resec::CdoSquaredComparison,
    /// What the bank's securitization does to its lending and whether selling pays.
    pub securitization: Securitization,
    /// The DeFi book run as a lending pool.
    pub defi_pool: defi_pool::DefiPoolStudy,
    /// Claim 1 over time: lending with and without securitization.
    pub originate: crate::originate::OriginateStudy,
    /// Claims 3 and 4 on real borrowers: the German Credit data's factor sets.
    pub real_borrowers: crate::real_borrowers::RealBorrowers,
    /// Each side's clearing network after its book's shocks.
    pub contagion: Vec<contagion::NetworkStudy>,
    /// Claim 2 over time: the chain reaction with fire sales, funding runs and default
    /// costs, and its map.
    pub chain: crate::chain::ChainStudy,
    /// The verdict, claim by claim.
    pub verdict: verdict::Verdict,
}

impl Study {
    /// Runs every stage on `scenario`; then, unless the scenario switches it off, the
    /// flip-point search of each claim ([`crate::flips`]).
    pub fn run(scenario: &Scenario, progress: &dyn Progress) -> Result<Self> {
        Self::run_stages(scenario, progress)?.with_flips(scenario, progress)
    }

    /// The study with, unless the scenario switches it off, the flip-point search of each
    /// claim ([`crate::flips`]).
    pub(crate) fn with_flips(
        mut self,
        scenario: &Scenario,
        progress: &dyn Progress,
    ) -> Result<Self> {
        if scenario.flips.search {
            self = self.with_flip_points(crate::flips::search(scenario, progress)?);
        }
        Ok(self)
    }

    /// The study with each claim's flip point (claim `k`'s the `k-1`-th of `flips`).
    pub(crate) fn with_flip_points(mut self, flips: Vec<crate::flips::FlipPoint>) -> Self {
        for (claim, flip) in self.verdict.claims.iter_mut().zip(flips) {
            claim.flip = Some(flip);
        }
        self
    }

    /// Every stage on `scenario`, without the flip-point search.
    pub fn run_stages(scenario: &Scenario, progress: &dyn Progress) -> Result<Self> {
        let defi_book = defi_book_of(scenario, progress)?;
        let defi_pool = defi_pool::study(&scenario.defi_pool, &defi_book, scenario.seed, progress)?;
        Self::assemble(scenario, &defi_book, defi_pool, None, progress)
    }

    /// Every stage after the DeFi pool's simulations (`defi_pool`, of `defi_book`); the CDO
    /// squared's scenarios and the originate-to-distribute paths are run here unless
    /// `simulated` brings them (what [`crate::shard::merge`] runs on the merged shards).
    pub(crate) fn assemble(
        scenario: &Scenario,
        defi_book: &Book,
        defi_pool: defi_pool::DefiPoolStudy,
        simulated: Option<Simulated>,
        progress: &dyn Progress,
    ) -> Result<Self> {
        let (cdo_losses, originate_paths) = match simulated {
            Some(s) => (Some(s.cdo_squared), Some(s.originate)),
            None => (None, None),
        };
        let bank_book = stage(progress, "bank book: generate", || {
            bank_book(&book_spec(scenario, 0))
        })?;
        let bank = bank_study(scenario, &bank_book, progress)?;
        let defi = defi_study(scenario, defi_book, progress)?;
        let cdo_squared = stage(progress, "cdo squared", || {
            let params = cdo_squared_params(scenario);
            let scale = creditlab_grade::MasterScale::standard();
            match cdo_losses {
                Some(losses) => creditlab_pool::compare_cdo_squared_from(&params, &scale, losses),
                None => creditlab_pool::compare_cdo_squared(&params, &scale),
            }
        })?;
        let securitization = Securitization::of(&bank, &scenario.bank.securitization)?;
        let originate = stage(
            progress,
            "originate to distribute",
            || match originate_paths {
                Some(paths) => crate::originate::study_from(&scenario.originate, paths),
                None => crate::originate::study(&scenario.originate, originate_seed(scenario)),
            },
        )?;
        let real_borrowers = stage(progress, "real borrowers: German Credit", || {
            crate::real_borrowers::study(scenario.seed)
        })?;
        let contagion = stage(progress, "contagion", || {
            contagion_study(scenario, &bank, &defi_pool)
        })?;
        let chain = stage(progress, "chain reaction", || {
            chain_study(scenario, &bank, &defi_pool)
        })?;
        let diversification = stage(progress, "diversification", || {
            diversification(&scenario.diversification, &bank, scenario.loss.bank_rho)
        })?;
        let verdict = verdict::verdict(&verdict::Evidence {
            scenario,
            bank: &bank,
            defi: &defi,
            diversification: &diversification,
            securitization: &securitization,
            defi_pool: &defi_pool,
            originate: &originate,
            contagion: &contagion,
            chain: &chain,
            real: &real_borrowers,
        });
        Ok(Self {
            schema_version: REPORT_SCHEMA_VERSION,
            seed: scenario.seed,
            scenario: scenario.clone(),
            bank,
            defi,
            diversification,
            cdo_squared,
            securitization,
            defi_pool,
            originate,
            real_borrowers,
            contagion,
            chain,
            verdict,
        })
    }

    /// The study's headline figures, each a number per unit of money lent (or a count):
    /// what `cargo xtask sweep` tabulates and charts across a parameter grid.
    pub fn figures(&self) -> Vec<Figure> {
        let mut out = Vec::new();
        let mut push =
            |key: String, label: String, value: f64| out.push(Figure { key, label, value });
        let v = &self.verdict;
        for (side, name, x) in [("bank", "bank", &v.bank), ("defi", "defi pool", &v.defi)] {
            for (key, label, value) in [
                (
                    "expected_loss",
                    "one-year expected loss",
                    x.expected_loss.value,
                ),
                ("var_999", "one-year 99.9% VaR", x.var_999.value),
                ("es_999", "one-year 99.9% ES", x.es_999.value),
                (
                    "senior_loss_probability",
                    "P(most senior claim loses)",
                    x.senior_loss_probability.value,
                ),
                ("capital_rate", "IRB capital", x.capital),
            ] {
                push(format!("{side}.{key}"), format!("{name}: {label}"), value);
            }
        }
        push(
            "bank.stressed_var_999".into(),
            "bank: 99.9% VaR at the stressed correlation".into(),
            self.bank.loss.stressed.var[1].estimate.value,
        );
        for (side, b) in [("bank", &self.bank), ("defi", &self.defi)] {
            push(
                format!("{side}.mean_pd"),
                format!("{side}: mean graded PD"),
                b.grading.mean_pd,
            );
        }
        let pool = &self.defi_pool;
        for (key, label, r) in [
            ("crash", "March 2020", &pool.crash),
            ("congested", "March 2020, congested", &pool.congested),
        ] {
            push(
                format!("defi_pool.{key}.loss"),
                format!("defi pool, {label}: mean loss"),
                r.loss.mean,
            );
        }
        push(
            "defi_pool.year.unmet_withdrawals".into(),
            "defi pool: wanted withdrawals not met".into(),
            pool.year.unmet_withdrawals.mean,
        );
        for n in &self.contagion {
            if let Some(worst) = n.shocks.last() {
                push(
                    format!("contagion.{}.defaults", slug(&n.side)),
                    format!("{}: institutions in default, {}", n.side, worst.label),
                    worst.defaulted.len() as f64,
                );
            }
        }
        for c in &v.claims {
            push(
                format!("claim.{}", c.number),
                format!(
                    "claim {}: 1 supported, 0.5 partly, 0 not supported",
                    c.number
                ),
                match c.judgement() {
                    crate::rules::Judgement::Supported => 1.0,
                    crate::rules::Judgement::Partly => 0.5,
                    crate::rules::Judgement::NotSupported => 0.0,
                },
            );
        }
        out
    }

    /// A short summary for the terminal: the verdict table and one line per claim.
    pub fn terminal_summary(&self) -> Result<String> {
        let section = verdict::section(self)?;
        let mut s = format!(
            "creditlab study (seed {}): {} loans per book, {} each\n\n",
            self.seed,
            creditlab_report::format::count(self.bank.facts.loans as u64),
            creditlab_report::format::money(self.bank.facts.total_principal)
        );
        for block in &section.blocks {
            if let creditlab_report::Block::Table(t) = block {
                s.push_str(&t.to_text());
            }
        }
        s.push('\n');
        for c in &self.verdict.claims {
            let _ = writeln!(s, "claim {}: {}", c.number, c.judgement().as_str());
        }
        Ok(s)
    }
}

/// The Monte Carlo of the CDO squared and of originate-to-distribute, from a study's
/// merged shards ([`crate::shard::merge`]).
pub(crate) struct Simulated {
    /// Each correlation's per-scenario losses, every scenario in order.
    pub cdo_squared: Vec<Vec<[f64; 2]>>,
    /// Every path of originate-to-distribute, in order.
    pub originate: Vec<crate::originate::OriginatePath>,
}

/// The CDO squared of `scenario`: the bank's correlations, its scenarios, seed + 4.
pub(crate) fn cdo_squared_params(scenario: &Scenario) -> creditlab_pool::CdoSquaredParams {
    creditlab_pool::CdoSquaredParams {
        rhos: vec![scenario.loss.bank_rho, scenario.loss.bank_stress_rho],
        scenarios: scenario.loss.scenarios,
        seed: scenario.seed.wrapping_add(4),
        ..Default::default()
    }
}

/// The seed of `scenario`'s originate-to-distribute paths.
pub(crate) fn originate_seed(scenario: &Scenario) -> u64 {
    scenario.seed.wrapping_add(6)
}

/// Section 6: each side's network cleared after its book's shocks.
pub(crate) fn contagion_study(
    scenario: &Scenario,
    bank: &BookStudy,
    pool: &defi_pool::DefiPoolStudy,
) -> Result<Vec<contagion::NetworkStudy>> {
    let spec = &scenario.contagion;
    let shocks = |b: &BookStudy| -> Vec<(String, f64)> {
        let l = &b.loss;
        vec![
            ("EL".into(), l.summary.expected_loss.value),
            (
                format!("VaR, rho {}", l.rho),
                l.summary.var[1].estimate.value,
            ),
            (
                format!("VaR, rho {}", l.stress_rho),
                l.stressed.var[1].estimate.value,
            ),
        ]
    };
    let tranches = &scenario.loss.tranches;
    let bank_shocks = shocks(bank);
    let thin = contagion::bank_network(
        spec,
        "bank, thin equity",
        tranches,
        |_, n, o| spec.thin_equity * (n + o),
        &bank_shocks,
    )?;
    // Basel capital: 8% of risk-weighted assets, the tranche at its SEC-SA risk weight and
    // the rest at 100%.
    use creditlab_pool::capital::capital_for;
    let rw: Vec<f64> = bank
        .loss
        .tranche_ratings
        .iter()
        .map(|t| t.risk_weight)
        .collect();
    let basel = contagion::bank_network(
        spec,
        "bank, Basel capital",
        tranches,
        |k, n, o| capital_for(n, rw[k]) + capital_for(o, 1.0),
        &bank_shocks,
    )?;
    // DeFi shocks: the simulated pool's marked depositor loss, per unit of deposits (the
    // network's pool node is in units of deposits): the year's mean and 99.9%, and the 99.9%
    // of each stress.
    let defi_shocks = vec![
        (
            "year, mean".to_string(),
            pool.year.depositor_loss_marked.mean,
        ),
        (
            "year, 99.9%".to_string(),
            pool.year.depositor_loss_marked.p999,
        ),
        (
            "crash, 99.9%".to_string(),
            pool.crash.depositor_loss_marked.p999,
        ),
        (
            "congested, 99.9%".to_string(),
            pool.congested.depositor_loss_marked.p999,
        ),
    ];
    let defi_side = contagion::defi_network(spec, 0.0, &defi_shocks)?;
    Ok(vec![thin, basel, defi_side])
}

/// Claim 2 over time: the chain reaction after the bank book's 99.9% loss (through the
/// tranches above the first, which the originator keeps) and the DeFi pool's 99.9% year.
pub(crate) fn chain_study(
    scenario: &Scenario,
    bank: &BookStudy,
    pool: &defi_pool::DefiPoolStudy,
) -> Result<crate::chain::ChainStudy> {
    let retained = scenario.loss.tranches.first().map_or(0.0, |t| t[1]);
    crate::chain::study(
        &scenario.chain,
        bank.loss.summary.var[1].estimate.value,
        retained,
        pool.year.depositor_loss_marked.p999,
    )
}

/// The shocks of the chain reaction as `scenario` makes them, without the rest of the
/// study: the bank book's 99.9% one-year loss, the first tranche's detachment (kept by the
/// originator) and the DeFi pool's 99.9% one-year depositor loss. Runs the two books'
/// loss stages and the DeFi year (the slow part).
pub fn chain_shocks(scenario: &Scenario, progress: &dyn Progress) -> Result<(f64, f64, f64)> {
    let defi_book = defi_book_of(scenario, progress)?;
    let pool = defi_pool::study(&scenario.defi_pool, &defi_book, scenario.seed, progress)?;
    let bank_book = stage(progress, "bank book: generate", || {
        bank_book(&book_spec(scenario, 0))
    })?;
    let bank = bank_study(scenario, &bank_book, progress)?;
    let retained = scenario.loss.tranches.first().map_or(0.0, |t| t[1]);
    Ok((
        bank.loss.summary.var[1].estimate.value,
        retained,
        pool.year.depositor_loss_marked.p999,
    ))
}

/// The spec of the book drawn with seed offset `offset` (0 the bank, 1 DeFi).
pub(crate) fn book_spec(scenario: &Scenario, offset: u64) -> BookSpec {
    BookSpec {
        loans: scenario.books.loans,
        total_principal: Some(scenario.books.total_principal),
        seed: scenario.seed.wrapping_add(offset),
    }
}

fn tranches_of(scenario: &Scenario) -> Result<Vec<Tranche>> {
    Ok(scenario
        .loss
        .tranches
        .iter()
        .map(|&[a, d]| Tranche::new(a, d))
        .collect::<std::result::Result<Vec<_>, _>>()?)
}

fn grading_config(scenario: &Scenario) -> GradingConfig {
    let mut config = GradingConfig::default();
    config.lgd.housing = Some(scenario.bank.mortgage_loss);
    config
}

/// The bank book through every stage of the loan model. One severity source: its cash
/// flows take their lag and severity from the mortgage loss model of the same book.
/// The DeFi book of `scenario` (generated against the pool's collateral assets).
pub(crate) fn defi_book_of(scenario: &Scenario, progress: &dyn Progress) -> Result<Book> {
    stage(progress, "defi book: generate", || {
        defi_book_with(&book_spec(scenario, 1), &scenario.defi_pool.book_assets())
    })
}

pub(crate) fn bank_study(
    scenario: &Scenario,
    bank_book: &Book,
    progress: &dyn Progress,
) -> Result<BookStudy> {
    let severity = scenario
        .bank
        .mortgage_loss
        .book(bank_book)?
        .map_or(0.0, |s| s.collateral_lgd);
    let bank_cashflows = scenario
        .cashflows
        .bank
        .with(scenario.bank.mortgage_loss.foreclosure.months, severity);
    study_book(
        "bank",
        bank_book,
        &bank_cashflows.to_assumptions()?,
        (scenario.loss.bank_rho, scenario.loss.bank_stress_rho),
        &tranches_of(scenario)?,
        scenario,
        &grading_config(scenario),
        progress,
    )
}

/// The DeFi book through every stage of the loan model.
pub(crate) fn defi_study(
    scenario: &Scenario,
    defi_book: &Book,
    progress: &dyn Progress,
) -> Result<BookStudy> {
    study_book(
        "defi",
        defi_book,
        &scenario.cashflows.defi.to_assumptions()?,
        (scenario.loss.defi_rho, scenario.loss.defi_stress_rho),
        &tranches_of(scenario)?,
        scenario,
        &grading_config(scenario),
        progress,
    )
}

fn study_book(
    name: &'static str,
    book: &Book,
    assumptions: &Assumptions,
    (rho, stress_rho): (f64, f64),
    tranches: &[Tranche],
    scenario: &Scenario,
    config: &GradingConfig,
    progress: &dyn Progress,
) -> Result<BookStudy> {
    let cashflows = stage(progress, &format!("{name} book: cash flows"), || {
        project_records(book.iter().cloned().map(Ok), assumptions)
    })?;
    let own_data = book
        .iter()
        .all(|r| r.collateral.kind() == CollateralKind::CryptoAsset);
    let (full, grading) = stage(progress, &format!("{name} book: grading"), || {
        let full = grade_book(book, config, false)?;
        let withheld = grade_book(book, config, true)?;
        let grading = GradingFacts::of(&full, &withheld, book, config, own_data)?;
        Ok::<_, StudyError>((full, grading))
    })?;
    let severity = scenario.bank.mortgage_loss.book(book)?;
    let portfolio = Portfolio::new(
        full.loans
            .iter()
            .map(exposure)
            .collect::<Result<Vec<_>>>()?,
    )?;
    type Summarized = (LossSummary, Vec<[f64; 2]>, f64, Option<AccuracyReport>);
    let summarize = |rho: f64| -> Result<Summarized> {
        let copula = Copula::gaussian(rho)?;
        let (levels, xs) = (STANDARD_LEVELS, [0.01, 0.05, 0.1]);
        let with_curve = |dist: &dyn LossDistribution| -> Result<_> {
            let summary = LossSummary::of(dist, &levels, &xs, tranches)?;
            let curve = exceedance_curve(dist, summary.var[2].estimate.value);
            Ok((summary, curve, dist.tail_probability(0.0).value))
        };
        Ok(match scenario.loss.method {
            // The scenario allows `exact` and `mc` only (Scenario::validate).
            LossMethod::Exact
            | LossMethod::LargePool
            | LossMethod::BinomialExpansion
            | LossMethod::ImportanceSampling
            | LossMethod::CreditRiskPlus
            | LossMethod::Saddlepoint => {
                // Refined until every figure the study reads moves by less than the default
                // tolerance; a book the budget cannot resolve keeps its finest result, and
                // its accuracy report says the tolerance was not met.
                let config = ExactConfig {
                    targets: creditlab_contagion::Targets {
                        levels: levels.to_vec(),
                        tail: xs.to_vec(),
                        tranches: tranches.to_vec(),
                    },
                    accept_coarser: true,
                    ..ExactConfig::default()
                };
                let exact = ExactLoss::new(&portfolio, &copula, &config)?;
                let (mut summary, curve, p0) = with_curve(&exact)?;
                with_bounds(&mut summary, exact.accuracy());
                (summary, curve, p0, Some(exact.accuracy().clone()))
            }
            LossMethod::MonteCarlo => {
                let mc = MonteCarlo::new(&portfolio, &copula)?;
                let n = Scenarios::new(scenario.loss.scenarios)?;
                let (summary, curve, p0) = with_curve(&mc.run(Seed(scenario.seed), n))?;
                (summary, curve, p0, None)
            }
        })
    };
    let (
        (summary, exceedance, any_loss_probability, accuracy),
        (stressed, stressed_exceedance, _, stressed_accuracy),
    ) = stage(progress, &format!("{name} book: loss distribution"), || {
        Ok::<_, StudyError>((summarize(rho)?, summarize(stress_rho)?))
    })?;
    let scale = creditlab_grade::MasterScale::standard();
    let tranche_ratings = summary
        .tranches
        .iter()
        .zip(&stressed.tranches)
        .map(|(t, st)| -> Result<TrancheRating> {
            let (a, d) = (t.tranche.attach(), t.tranche.detach());
            Ok(TrancheRating {
                attach: a,
                detach: d,
                rating: rate_by_default_probability(&scale, t.default_probability.value, 1.0)?
                    .as_str(),
                stressed_default_probability: st.default_probability.value,
                stressed_expected_loss: st.expected_loss.value,
                stressed_rating: rate_by_default_probability(
                    &scale,
                    st.default_probability.value,
                    1.0,
                )?
                .as_str(),
                risk_weight: sec_sa_risk_weight(grading.capital_rate.min(1.0), a, d, false)?,
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(BookStudy {
        name,
        facts: BookFacts::of(book),
        cashflow_totals: cashflows.totals(),
        grading,
        severity,
        loss: LossFacts {
            method: scenario.loss.method,
            rho,
            summary,
            stress_rho,
            stressed,
            exceedance,
            stressed_exceedance,
            any_loss_probability,
            tranche_ratings,
            accuracy,
            stressed_accuracy,
        },
        cashflows,
    })
}

/// A graded loan as an exposure of the loss model: a mortgage with its loss law from the
/// house (its LGD moves with the same factor as its default), scaled by what recourse
/// leaves of the shortfall; any other loan with its graded LGD.
fn exposure(g: &LoanGrade) -> Result<Exposure> {
    match g.collateral_law {
        Some(law) => {
            let kept = if g.lgd.collateral_lgd > 0.0 {
                (g.lgd.lgd / g.lgd.collateral_lgd).clamp(0.0, 1.0)
            } else {
                1.0
            };
            Ok(Exposure::new(g.ead * kept, g.pd.pd, collateral_lgd(&law)?))
        }
        None => Ok(Exposure::new(g.ead, g.pd.pd, Lgd::Constant(g.lgd.lgd))),
    }
}

/// creditlab-loan's loss law of a mortgage as the loss model's LGD law.
fn collateral_lgd(law: &creditlab_loan::housing::CollateralLaw) -> Result<Lgd> {
    Ok(Lgd::Collateral(creditlab_contagion::Collateral::new(
        law.value,
        law.mu,
        law.b,
        law.s,
        law.discount,
        law.cost,
    )?))
}

/// Points of an exceedance curve.
const EXCEEDANCE_POINTS: usize = 60;

/// `[x, P(L > x)]` for `EXCEEDANCE_POINTS` losses from 0 to 1.5 times `upto` (at least
/// 1%), dropping probabilities below 1e-6 so a log-scale chart stays readable.
fn exceedance_curve(dist: &dyn LossDistribution, upto: f64) -> Vec<[f64; 2]> {
    let top = (1.5 * upto).clamp(0.01, 1.0);
    (0..=EXCEEDANCE_POINTS)
        .map(|i| {
            let x = top * i as f64 / EXCEEDANCE_POINTS as f64;
            [x, dist.tail_probability(x).value]
        })
        .filter(|p| p[1] >= 1e-6)
        .collect()
}
