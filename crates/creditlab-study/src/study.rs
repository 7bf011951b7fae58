//! `cargo xtask pipeline`: the study, bank book against DeFi book, from a scenario file.
//!
//! Stages: generate both books at the same total principal, project their cash flows,
//! grade them (with full information and with the borrower facts withheld), and turn each
//! graded book into a one-year loss distribution and tranche losses. Writes `report.json`,
//! `report.md` and CSV tables into the output folder, atomically (a temporary folder renamed
//! into place), so an interrupted run never leaves a half report.

use crate::error::{Result, StudyError};
use crate::progress::{Progress, stage};
use crate::scenario::{LossMethod, Scenario};
use crate::{contagion, defi_pool, verdict};
use creditlab_contagion::{
    Copula, Exposure, Lgd, LossDistribution, LossSummary, Portfolio, Tranche,
    distribution::STANDARD_LEVELS,
    exact::{ExactConfig, ExactLoss},
    mc::MonteCarlo,
};
use creditlab_grade::{BookGrades, GradingConfig, grade_book, grading::validate_information};
use creditlab_loan::{
    Assumptions, Book, CashFlowTotals, CashFlows, CollateralKind, Recourse, project_records,
    synthetic::{BookSpec, bank_book, defi_book},
};
use creditlab_pool::{capital::sec_sa_risk_weight, rate_by_default_probability};
use serde::Serialize;
use std::fmt::Write as _;

/// Version of report.json's schema (docs/schemas/report-json.md).
pub const REPORT_SCHEMA_VERSION: u32 = 1;

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
    /// Exposure-weighted mean LGD.
    pub mean_lgd: f64,
    /// One-year expected loss per unit of exposure.
    pub el_one_year_rate: f64,
    /// Basel IRB capital per unit of exposure.
    pub capital_rate: f64,
    /// Loans per master-scale grade, `(grade, count)`.
    pub loans_by_grade: Vec<(String, usize)>,
    /// AUC of the grade against realized defaults, every revealed fact used.
    pub auc_full_information: f64,
    /// AUC with the borrower-side facts withheld.
    pub auc_borrower_facts_withheld: f64,
    /// ROC curve with full information, `[false-positive rate, true-positive rate]`,
    /// thinned to at most [`ROC_POINTS`] points for charts.
    pub roc_full_information: Vec<[f64; 2]>,
    /// ROC curve with the borrower facts withheld.
    pub roc_borrower_facts_withheld: Vec<[f64; 2]>,
}

/// Most points kept of a ROC curve in the report.
pub const ROC_POINTS: usize = 101;

/// Keeps the first and last points and, between them, the first point past each 1/(k-1)
/// step of the false-positive rate: the curve's shape at chart resolution.
fn thin_roc(roc: &[creditlab_grade::validation::RocPoint], k: usize) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(k);
    let step = 1.0 / (k.max(2) - 1) as f64;
    let mut next = 0.0;
    for (i, p) in roc.iter().enumerate() {
        let last = i + 1 == roc.len();
        if p.false_positive_rate >= next || last {
            out.push([p.false_positive_rate, p.true_positive_rate]);
            next = (p.false_positive_rate / step).floor() * step + step;
        }
    }
    out
}

impl GradingFacts {
    fn of(full: &BookGrades, withheld: &BookGrades, book: &Book) -> Result<Self> {
        let s = &full.summary;
        let outcomes: Vec<bool> = book.iter().map(|r| r.defaulted.unwrap_or(false)).collect();
        let validation = validate_information(
            &full.loans,
            &withheld.loans,
            &outcomes,
            "observed".into(),
            &GradingConfig::default(),
        )?;
        Ok(Self {
            mean_pd: s.mean_pd,
            mean_pd_conservative: s.mean_pd_conservative,
            mean_lgd: s.mean_lgd,
            el_one_year_rate: s.el_one_year / s.ead,
            capital_rate: s.capital / s.ead,
            loans_by_grade: s
                .by_grade
                .iter()
                .map(|b| (b.grade.as_str().to_string(), b.loans))
                .collect(),
            auc_full_information: validation.full_information.auc,
            auc_borrower_facts_withheld: validation.borrower_side_withheld.auc,
            roc_full_information: thin_roc(&validation.full_information.roc, ROC_POINTS),
            roc_borrower_facts_withheld: thin_roc(
                &validation.borrower_side_withheld.roc,
                ROC_POINTS,
            ),
        })
    }
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
fn diversification(d: &crate::scenario::Diversification) -> Result<Vec<DiversificationPoint>> {
    use creditlab_contagion::diversification::{default_rate_quantile, default_rate_sd};
    let mut out = Vec::new();
    for &rho in &d.rhos {
        for &n in &d.sizes {
            let (q, method) = default_rate_quantile(d.pd, rho, n, 0.999)?;
            out.push(DiversificationPoint {
                loans: n,
                rho,
                default_rate_sd: default_rate_sd(d.pd, rho, n)?,
                default_rate_var_999: q,
                var_method: method,
            });
        }
    }
    Ok(out)
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
    pub diversification: Vec<DiversificationPoint>,
    /// The CDO squared against the same mezzanine exposures held directly.
    pub cdo_squared: creditlab_pool::resec::CdoSquaredComparison,
    /// The DeFi book run as a lending pool.
    pub defi_pool: defi_pool::DefiPoolStudy,
    /// Each side's clearing network after its book's shocks.
    pub contagion: Vec<contagion::NetworkStudy>,
    /// The verdict, claim by claim.
    pub verdict: verdict::Verdict,
}

impl Study {
    /// Runs every stage on `scenario`.
    pub fn run(scenario: &Scenario, progress: &dyn Progress) -> Result<Self> {
        let spec = |offset: u64| BookSpec {
            loans: scenario.books.loans,
            total_principal: Some(scenario.books.total_principal),
            seed: scenario.seed.wrapping_add(offset),
        };
        let tranches = scenario
            .loss
            .tranches
            .iter()
            .map(|&[a, d]| Tranche::new(a, d))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let defi_book = stage(progress, "defi book: generate", || defi_book(&spec(1)))?;
        let defi_pool = defi_pool::study(&scenario.defi_pool, &defi_book, scenario.seed, progress)?;
        let bank = study_book(
            "bank",
            &stage(progress, "bank book: generate", || bank_book(&spec(0)))?,
            &scenario.cashflows.bank.to_assumptions()?,
            (scenario.loss.bank_rho, scenario.loss.bank_stress_rho),
            &tranches,
            scenario,
            progress,
        )?;
        let defi = study_book(
            "defi",
            &defi_book,
            &scenario.cashflows.defi.to_assumptions()?,
            (scenario.loss.defi_rho, scenario.loss.defi_stress_rho),
            &tranches,
            scenario,
            progress,
        )?;
        let cdo_squared = stage(progress, "cdo squared", || {
            let params = creditlab_pool::resec::CdoSquaredParams {
                rhos: vec![scenario.loss.bank_rho, scenario.loss.bank_stress_rho],
                scenarios: scenario.loss.scenarios,
                seed: scenario.seed.wrapping_add(4),
                ..Default::default()
            };
            creditlab_pool::compare_cdo_squared(&params, &creditlab_grade::MasterScale::standard())
        })?;
        let contagion = stage(progress, "contagion", || {
            contagion_study(scenario, &bank, &defi, &defi_pool)
        })?;
        let diversification = stage(progress, "diversification", || {
            diversification(&scenario.diversification)
        })?;
        let verdict = verdict::verdict(&verdict::Evidence {
            scenario,
            bank: &bank,
            defi: &defi,
            diversification: &diversification,
            defi_pool: &defi_pool,
            contagion: &contagion,
        });
        Ok(Self {
            schema_version: REPORT_SCHEMA_VERSION,
            seed: scenario.seed,
            scenario: scenario.clone(),
            bank,
            defi,
            diversification,
            cdo_squared,
            defi_pool,
            contagion,
            verdict,
        })
    }

    /// The study's headline figures, each a number per unit of money lent (or a count):
    /// what `cargo xtask sweep` tabulates and charts across a parameter grid.
    pub fn figures(&self) -> Vec<Figure> {
        let mut out = Vec::new();
        for b in [&self.bank, &self.defi] {
            let l = &b.loss;
            let senior = l.summary.tranches.last();
            let figs = [
                (
                    "expected_loss",
                    "one-year expected loss",
                    l.summary.expected_loss.value,
                ),
                (
                    "var_999",
                    "one-year 99.9% VaR",
                    l.summary.var[1].estimate.value,
                ),
                (
                    "es_999",
                    "one-year 99.9% ES",
                    l.summary.es[1].estimate.value,
                ),
                (
                    "stressed_var_999",
                    "99.9% VaR at the stressed correlation",
                    l.stressed.var[1].estimate.value,
                ),
                (
                    "senior_default_probability",
                    "senior tranche P(loss)",
                    senior.map_or(0.0, |t| t.default_probability.value),
                ),
                (
                    "mean_pd_conservative",
                    "mean graded PD",
                    b.grading.mean_pd_conservative,
                ),
                ("capital_rate", "IRB capital", b.grading.capital_rate),
            ];
            for (key, label, value) in figs {
                out.push(Figure {
                    key: format!("{}.{key}", b.name),
                    label: format!("{}: {label}", b.name),
                    value,
                });
            }
        }
        let pool = &self.defi_pool;
        for (key, label, r) in [
            ("calm", "calm year", &pool.calm),
            ("crash", "March 2020", &pool.crash),
            ("congested", "March 2020, congested", &pool.congested),
        ] {
            out.push(Figure {
                key: format!("defi_pool.{key}.bad_debt"),
                label: format!("defi pool, {label}: mean bad debt"),
                value: r.bad_debt.mean,
            });
            out.push(Figure {
                key: format!("defi_pool.{key}.depositor_loss_probability"),
                label: format!("defi pool, {label}: P(depositors lose)"),
                value: r.depositor_loss.prob_positive,
            });
            out.push(Figure {
                key: format!("defi_pool.{key}.unmet_withdrawals"),
                label: format!("defi pool, {label}: wanted withdrawals not met"),
                value: r.unmet_withdrawals.mean,
            });
        }
        for n in &self.contagion {
            if let Some(worst) = n.shocks.last() {
                out.push(Figure {
                    key: format!("contagion.{}.defaults", slug(&n.side)),
                    label: format!("{}: institutions in default, {}", n.side, worst.label),
                    value: worst.defaulted.len() as f64,
                });
            }
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
            let _ = writeln!(s, "claim {}: {}", c.number, c.judgement.as_str());
        }
        Ok(s)
    }
}

/// Section 6: each side's network cleared after its book's shocks.
fn contagion_study(
    scenario: &Scenario,
    bank: &BookStudy,
    defi: &BookStudy,
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
        |k, n, o| 0.08 * (rw[k] * n + o),
        &bank_shocks,
    )?;
    // DeFi shocks: the simulated pool's depositor loss (per unit of deposits, after the
    // reserve), then the graded book's one-year loss for comparison with the bank side.
    let mut defi_shocks = vec![("calm, 99.9%".to_string(), pool.calm.depositor_loss.p999)];
    for (setting, r) in [("crash", &pool.crash), ("congested", &pool.congested)] {
        defi_shocks.push((format!("{setting}, mean"), r.depositor_loss.mean));
        defi_shocks.push((format!("{setting}, 99.9%"), r.depositor_loss.p999));
    }
    // The network's pool node is in units of deposits, and deposits are the debt over the
    // utilization: a loss per unit lent is `utilization` times that per unit deposited.
    let u = scenario.defi_pool.initial_utilization;
    defi_shocks.extend(
        shocks(defi)
            .into_iter()
            .map(|(l, x)| (format!("loan {l}"), x * u)),
    );
    let defi_side = contagion::defi_network(spec, 0.0, &defi_shocks)?;
    Ok(vec![thin, basel, defi_side])
}

fn study_book(
    name: &'static str,
    book: &Book,
    assumptions: &Assumptions,
    (rho, stress_rho): (f64, f64),
    tranches: &[Tranche],
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<BookStudy> {
    let cashflows = stage(progress, &format!("{name} book: cash flows"), || {
        project_records(book.iter().cloned().map(Ok), assumptions)
    })?;
    let config = GradingConfig::default();
    let (full, grading) = stage(progress, &format!("{name} book: grading"), || {
        let full = grade_book(book, &config, false)?;
        let withheld = grade_book(book, &config, true)?;
        let grading = GradingFacts::of(&full, &withheld, book)?;
        Ok::<_, StudyError>((full, grading))
    })?;
    let portfolio = Portfolio::new(
        full.loans
            .iter()
            .map(|g| Exposure::new(g.ead, g.pd.pd, Lgd::Constant(g.lgd.lgd))),
    )?;
    let summarize = |rho: f64| -> Result<(LossSummary, Vec<[f64; 2]>, f64)> {
        let copula = Copula::gaussian(rho)?;
        let (levels, xs) = (STANDARD_LEVELS, [0.01, 0.05, 0.1]);
        let with_curve = |dist: &dyn LossDistribution| {
            let summary = LossSummary::of(dist, &levels, &xs, tranches);
            let curve = exceedance_curve(dist, summary.var[2].estimate.value);
            (summary, curve, dist.tail_probability(0.0).value)
        };
        Ok(match scenario.loss.method {
            // The scenario allows `exact` and `mc` only (Scenario::validate).
            LossMethod::Exact
            | LossMethod::LargePool
            | LossMethod::BinomialExpansion
            | LossMethod::ImportanceSampling => with_curve(&ExactLoss::new(
                &portfolio,
                &copula,
                &ExactConfig::default(),
            )?),
            LossMethod::MonteCarlo => {
                let mc = MonteCarlo::new(&portfolio, &copula)?;
                with_curve(&mc.run(scenario.seed, scenario.loss.scenarios))
            }
        })
    };
    let ((summary, exceedance, any_loss_probability), (stressed, stressed_exceedance, _)) =
        stage(progress, &format!("{name} book: loss distribution"), || {
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
        },
        cashflows,
    })
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
