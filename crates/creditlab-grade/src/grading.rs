//! Grading loans and books: the scorecard's features from a [`LoanRecord`], then PD with
//! its posterior, grade, LGD, expected loss and IRB capital per loan, and a book summary
//! with validation where outcomes are known.

use crate::collateral_model::CollateralModelConfig;
use crate::error::{GradeError, Result};
use crate::irb::{self, AssetClass, IrbCapital};
use crate::lgd::{self, DefaultTrigger, JumpRisk, Lgd, LgdInput, Recourse};
use crate::logistic::IrlsOptions;
use crate::scale::{Grade, MasterScale};
use crate::scorecard::{LTV_CAP, Observation, PdAssessment, Scorecard, ScorecardFit};
use crate::validation::{self, ValidationReport};
use creditlab_loan::housing::{CollateralLaw, MortgageLgd, MortgageLossModel};
use creditlab_loan::{Book, Channel, CollateralKind, LoanRecord};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// How a collateral kind is liquidated after a default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Liquidation {
    /// Years from default to sale.
    pub horizon_years: f64,
    /// Costs beyond the collateral's haircut (legal, foreclosure, carrying), as a fraction
    /// of the proceeds.
    pub cost: f64,
}

/// The LGD assumptions that are not in the loan data, documented in
/// [docs/methodology/grading.md](crate::methodology::grading).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LgdAssumptions {
    /// Residential property: the house-price and foreclosure model of
    /// docs/methodology/housing.md ([`MortgageLossModel::us_crisis`] by default). Its
    /// collateral LGD moves with the house-price factor and its recourse recovery is a
    /// stated share of the shortfall, shown apart. `None` falls back to the closed form of
    /// [`lgd`] with [`Self::property`] (the LGD before issue 13, which netted a share of
    /// the borrower's income and had no downturn).
    pub housing: Option<MortgageLossModel>,
    /// Residential property without [`Self::housing`]: one year to foreclose and sell, 5%
    /// legal and carrying costs.
    pub property: Liquidation,
    /// Vehicles: three months to repossess and auction, 5% costs.
    pub vehicle: Liquidation,
    /// Crypto assets: liquidated on-chain within a day; the protocol's liquidation
    /// penalty and slippage are the haircut, no further cost.
    pub crypto: Liquidation,
    /// Crash risk of crypto collateral over the liquidation horizon: one crash a year on
    /// average, log-return N(−0.25, 0.10²) (a fall of about 22%), the crash model of the
    /// synthetic DeFi book (docs/methodology/books.md). Without it a one-day diffusion
    /// leaves almost no shortfall, which is not what DeFi bad debt looks like.
    pub crypto_jumps: Option<JumpRisk>,
    /// Share of the borrower's free income (after their other debts) a full-recourse
    /// lender can collect, e.g. 25% (the US federal wage-garnishment cap); not used for
    /// residential property under [`Self::housing`].
    pub recourse_income_share: f64,
    /// Years over which that share is collected.
    pub recourse_years: f64,
}

impl Default for LgdAssumptions {
    fn default() -> Self {
        Self {
            housing: Some(MortgageLossModel::us_crisis()),
            property: Liquidation {
                horizon_years: 1.0,
                cost: 0.05,
            },
            vehicle: Liquidation {
                horizon_years: 0.25,
                cost: 0.05,
            },
            crypto: Liquidation {
                horizon_years: 1.0 / 365.0,
                cost: 0.0,
            },
            crypto_jumps: Some(JumpRisk {
                intensity_per_year: 1.0,
                mean_log_jump: -0.25,
                sd_log_jump: 0.10,
            }),
            recourse_income_share: 0.25,
            recourse_years: 2.0,
        }
    }
}

/// Everything grading needs besides the loans.
///
/// ```
/// use creditlab_grade::{GradingConfig, grade_book};
/// use creditlab_loan::synthetic::{BookSpec, bank_book, defi_book};
/// let spec = BookSpec { loans: 200, total_principal: None, seed: 1 };
/// let config = GradingConfig::default();
/// let bank = grade_book(&bank_book(&spec)?, &config, false)?;
/// let defi = grade_book(&defi_book(&spec)?, &config, false)?;
/// // Anonymous borrowers grade lower, whatever their collateral.
/// assert!(defi.summary.mean_grade_rank > bank.summary.mean_grade_rank);
/// assert_eq!(bank.loans.len(), 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradingConfig {
    /// The scorecard (default coefficients, or fitted).
    pub scorecard: Scorecard,
    /// The master scale.
    pub scale: MasterScale,
    /// LGD assumptions.
    pub lgd: LgdAssumptions,
    /// IRB asset class for every loan; `None` maps by collateral (residential property →
    /// residential mortgage, everything else → other retail).
    pub asset_class: Option<AssetClass>,
    /// Horizon of observed default flags in years, for calibration (the PD compared with
    /// an outcome is the PD over this horizon, capped at the loan's life).
    pub outcome_horizon_years: f64,
    /// The collateral-only model of DeFi books: split seed, upper quantile, IRLS.
    pub collateral_model: CollateralModelConfig,
}

impl Default for GradingConfig {
    fn default() -> Self {
        Self {
            scorecard: Scorecard::default(),
            scale: MasterScale::standard(),
            lgd: LgdAssumptions::default(),
            asset_class: None,
            outcome_horizon_years: 1.0,
            collateral_model: CollateralModelConfig::default(),
        }
    }
}

/// The scorecard observation of a loan record: borrower facts as revealed (`None` stays
/// `None`), collateral facts always known. An unsecured loan has LTV [`LTV_CAP`]: it is
/// known to have no collateral, which is not the same as unknown collateral.
pub fn observation(record: &LoanRecord) -> Observation {
    let b = &record.borrower;
    let annual_payment = 12.0 * record.loan.monthly_payment();
    Observation {
        credit_score: b.credit_score().map(f64::from),
        ltv: Some(record.ltv().unwrap_or(LTV_CAP)),
        collateral_volatility: Some(record.collateral.volatility()),
        haircut: Some(record.collateral.haircut()),
        payment_coverage: b
            .income()
            .filter(|&i| i > 0.0 && annual_payment > 0.0)
            .map(|i| i / annual_payment),
        income: b.income().filter(|&i| i > 0.0),
        dti: b.dti(),
    }
}

/// The LGD inputs of a loan record. The EAD is the principal. A bank loan defaults for the
/// borrower's reasons; a DeFi loan's default is its collateral sale falling short. Recourse recovers a share of
/// the borrower's free income only when both income and debt service are known; unknown
/// income recovers nothing.
pub fn lgd_input(record: &LoanRecord, assumptions: &LgdAssumptions) -> LgdInput {
    let c = &record.collateral;
    let liq = match c.kind() {
        CollateralKind::ResidentialProperty => assumptions.property,
        CollateralKind::Vehicle => assumptions.vehicle,
        CollateralKind::CryptoAsset => assumptions.crypto,
        CollateralKind::Unsecured => Liquidation {
            horizon_years: 0.0,
            cost: 0.0,
        },
    };
    let recourse = match record.loan.recourse() {
        creditlab_loan::Recourse::None => Recourse::NonRecourse,
        creditlab_loan::Recourse::Full => {
            let b = &record.borrower;
            let this_loan = 12.0 * record.loan.monthly_payment();
            let recoverable = match (b.income(), b.debt_service()) {
                (Some(income), Some(debt)) => {
                    let other_debt = (debt - this_loan).max(0.0);
                    assumptions.recourse_income_share
                        * (income - other_debt).max(0.0)
                        * assumptions.recourse_years
                }
                _ => 0.0,
            };
            Recourse::Full { recoverable }
        }
    };
    LgdInput {
        ead: record.loan.principal(),
        collateral_value: c.value(),
        haircut: c.haircut(),
        volatility: c.volatility(),
        liquidation_horizon_years: liq.horizon_years,
        liquidation_cost: liq.cost,
        recourse,
        jumps: match c.kind() {
            CollateralKind::CryptoAsset => assumptions.crypto_jumps,
            _ => None,
        },
        trigger: match record.loan.channel() {
            Channel::BankUnderwritten => DefaultTrigger::Borrower,
            Channel::DefiAnonymous => DefaultTrigger::CollateralShortfall,
        },
    }
}

/// The house-price LGD of a residential-property loan under `assumptions.housing`: its loss
/// law, collateral LGD, recourse recovery and net LGD; `None` for other collateral or
/// without a housing model.
pub fn housing_lgd(
    record: &LoanRecord,
    assumptions: &LgdAssumptions,
) -> Result<Option<MortgageLgd>> {
    let Some(model) = &assumptions.housing else {
        return Ok(None);
    };
    model.of_record(record).map_err(|e| {
        let reason = match &e {
            creditlab_loan::Error::Invalid { reason, .. }
            | creditlab_loan::Error::InvalidAt { reason, .. } => reason.clone(),
            other => other.to_string(),
        };
        GradeError::Invalid {
            field: format!("housing.{}", e.field().unwrap_or("model")),
            reason,
        }
    })
}

/// The IRB asset class of a record under `config`.
pub fn asset_class(record: &LoanRecord, config: &GradingConfig) -> AssetClass {
    config
        .asset_class
        .unwrap_or(match record.collateral.kind() {
            CollateralKind::ResidentialProperty => AssetClass::ResidentialMortgage,
            _ => AssetClass::OtherRetail,
        })
}

/// The grade of one loan and the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoanGrade {
    /// The loan's id.
    pub id: u64,
    /// Exposure at default (the principal).
    pub ead: f64,
    /// PD, its interval, conservative and lifetime values, the missing factors.
    pub pd: PdAssessment,
    /// The grade of the conservative one-year PD on the master scale.
    pub grade: Grade,
    /// LGD and its parts: the net LGD, the collateral LGD and the recourse recovery.
    pub lgd: Lgd,
    /// The loss law given default, for residential property under the housing model (the
    /// parameters of creditlab-contagion's `Lgd::Collateral`); `None` otherwise.
    pub collateral_law: Option<CollateralLaw>,
    /// One-year expected loss, mean PD × LGD × EAD.
    pub el_one_year: f64,
    /// Expected loss over the loan's life, lifetime PD × LGD × EAD.
    pub el_lifetime: f64,
    /// The IRB asset class used.
    pub asset_class: AssetClass,
    /// The LGD used for capital: the model LGD, floored for mortgages.
    pub capital_lgd: f64,
    /// IRB capital per unit of EAD, at the conservative PD and the capital LGD.
    pub capital: IrbCapital,
    /// Capital in currency, K × EAD.
    pub capital_amount: f64,
    /// Observed default flag, when the data has one.
    pub defaulted: Option<bool>,
}

/// Grades one loan record. With `withhold_borrower_side` the borrower facts are treated as
/// missing, whatever the record holds (the "as if anonymous" counterfactual).
pub fn grade_record(
    record: &LoanRecord,
    config: &GradingConfig,
    withhold_borrower_side: bool,
) -> Result<LoanGrade> {
    let id = record.loan.id().0;
    let with_id = |e: GradeError| match e {
        GradeError::InvalidParameter {
            field,
            value,
            reason,
        } => GradeError::InvalidParameter {
            field: format!("loan {id}: {field}"),
            value,
            reason,
        },
        GradeError::Invalid { field, reason } => GradeError::Invalid {
            field: format!("loan {id}: {field}"),
            reason,
        },
        other => other,
    };
    let mut obs = observation(record);
    if withhold_borrower_side {
        obs = obs.without_borrower_side();
    }
    let life_years = f64::from(record.loan.maturity_months()) / 12.0;
    let pd = config.scorecard.assess(&obs, life_years).map_err(with_id)?;
    let grade = config.scale.grade(pd.pd_conservative).map_err(with_id)?;
    let ead = record.loan.principal();
    let (lgd, collateral_law) = match housing_lgd(record, &config.lgd).map_err(with_id)? {
        Some(m) => {
            // An anonymous borrower cannot be pursued: the counterfactual recovers nothing.
            let recovery = if withhold_borrower_side {
                0.0
            } else {
                m.recourse_recovery
            };
            let lgd = Lgd {
                lgd: m.collateral_lgd - recovery,
                collateral_lgd: m.collateral_lgd,
                recourse_recovery: recovery * ead,
            };
            (lgd, Some(m.law))
        }
        None => {
            let mut lgd_in = lgd_input(record, &config.lgd);
            if withhold_borrower_side && let Recourse::Full { .. } = lgd_in.recourse {
                lgd_in.recourse = Recourse::Full { recoverable: 0.0 };
            }
            (lgd_in.lgd().map_err(with_id)?, None)
        }
    };
    let class = asset_class(record, config);
    let capital_lgd = irb::regulatory_lgd(class, lgd.lgd);
    let capital = irb::capital(class, pd.pd_conservative, capital_lgd, life_years.min(5.0))
        .map_err(with_id)?;
    Ok(LoanGrade {
        id,
        ead,
        el_one_year: lgd::expected_loss(pd.pd, lgd.lgd, ead),
        el_lifetime: lgd::expected_loss(pd.pd_lifetime, lgd.lgd, ead),
        pd,
        grade,
        lgd,
        collateral_law,
        asset_class: class,
        capital_amount: capital.k * ead,
        capital_lgd,
        capital,
        defaulted: record.defaulted,
    })
}

/// Loans, exposure and losses of one grade in a book.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradeBucket {
    /// The grade.
    pub grade: Grade,
    /// Loans with this grade.
    pub loans: usize,
    /// Their total EAD.
    pub ead: f64,
    /// Their one-year expected loss.
    pub el_one_year: f64,
    /// Their IRB capital.
    pub capital: f64,
    /// Their mean one-year PD (simple average).
    pub mean_pd: f64,
}

/// Book totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookSummary {
    /// Loans graded.
    pub loans: usize,
    /// Total EAD.
    pub ead: f64,
    /// One-year expected loss.
    pub el_one_year: f64,
    /// Lifetime expected loss.
    pub el_lifetime: f64,
    /// IRB capital, Σ K × EAD.
    pub capital: f64,
    /// Risk-weighted assets, Σ RW × EAD.
    pub rwa: f64,
    /// EAD-weighted mean one-year PD.
    pub mean_pd: f64,
    /// EAD-weighted mean conservative one-year PD.
    pub mean_pd_conservative: f64,
    /// EAD-weighted mean LGD, net of recourse recoveries.
    pub mean_lgd: f64,
    /// EAD-weighted mean collateral LGD: what the collateral alone leaves unpaid (for
    /// mortgages, the house-price severity).
    pub mean_collateral_lgd: f64,
    /// Recourse recoveries per unit of EAD, `Σ recovery / Σ EAD`: the gap between the two
    /// LGDs, shown as its own figure.
    pub mean_recourse_recovery: f64,
    /// EAD-weighted mean grade rank (0 = AAA … 7 = D).
    pub mean_grade_rank: f64,
    /// Loans per grade, AAA first (grades with no loan omitted).
    pub by_grade: Vec<GradeBucket>,
}

/// A graded book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookGrades {
    /// Every loan's grade, in book order.
    pub loans: Vec<LoanGrade>,
    /// Totals.
    pub summary: BookSummary,
}

/// Sums a set of loan grades.
pub fn summarize(loans: &[LoanGrade]) -> BookSummary {
    let ead: f64 = loans.iter().map(|l| l.ead).sum();
    let w = |f: &dyn Fn(&LoanGrade) -> f64| {
        if ead > 0.0 {
            loans.iter().map(|l| f(l) * l.ead).sum::<f64>() / ead
        } else {
            0.0
        }
    };
    let by_grade = Grade::ALL
        .into_iter()
        .filter_map(|g| {
            let m: Vec<&LoanGrade> = loans.iter().filter(|l| l.grade == g).collect();
            (!m.is_empty()).then(|| GradeBucket {
                grade: g,
                loans: m.len(),
                ead: m.iter().map(|l| l.ead).sum(),
                el_one_year: m.iter().map(|l| l.el_one_year).sum(),
                capital: m.iter().map(|l| l.capital_amount).sum(),
                mean_pd: m.iter().map(|l| l.pd.pd).sum::<f64>() / m.len() as f64,
            })
        })
        .collect();
    BookSummary {
        loans: loans.len(),
        ead,
        el_one_year: loans.iter().map(|l| l.el_one_year).sum(),
        el_lifetime: loans.iter().map(|l| l.el_lifetime).sum(),
        capital: loans.iter().map(|l| l.capital_amount).sum(),
        rwa: loans.iter().map(|l| l.capital.risk_weight * l.ead).sum(),
        mean_pd: w(&|l| l.pd.pd),
        mean_pd_conservative: w(&|l| l.pd.pd_conservative),
        mean_lgd: w(&|l| l.lgd.lgd),
        mean_collateral_lgd: w(&|l| l.lgd.collateral_lgd),
        mean_recourse_recovery: if ead > 0.0 {
            loans.iter().map(|l| l.lgd.recourse_recovery).sum::<f64>() / ead
        } else {
            0.0
        },
        mean_grade_rank: w(&|l| l.grade.rank() as f64),
        by_grade,
    }
}

/// Grades every loan of a book.
pub fn grade_book(
    book: &Book,
    config: &GradingConfig,
    withhold_borrower_side: bool,
) -> Result<BookGrades> {
    let loans = book
        .iter()
        .map(|r| grade_record(r, config, withhold_borrower_side))
        .collect::<Result<Vec<_>>>()?;
    let summary = summarize(&loans);
    Ok(BookGrades { loans, summary })
}

/// Validation of one grading against outcomes, with full information and with the
/// borrower-side factors withheld: the same loans graded twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InformationValidation {
    /// Where the outcomes come from: `"observed"` or `"simulated (seed S)"`.
    pub outcomes: String,
    /// The PDs from every revealed factor.
    pub full_information: ValidationReport,
    /// The PDs with credit history, repayment capacity and cash flow withheld.
    pub borrower_side_withheld: ValidationReport,
}

/// The PD over the outcome horizon (capped at the loan's life) implied by a grade.
fn pd_over_outcome_horizon(g: &LoanGrade, horizon: f64) -> f64 {
    let h = horizon.min(g.pd.life_years);
    g.pd.posterior.expect(|p| 1.0 - (1.0 - p).powf(h))
}

/// Validates `full` and `withheld` (the same loans, in the same order) against
/// `outcomes` over `config.outcome_horizon_years`.
pub fn validate_information(
    full: &[LoanGrade],
    withheld: &[LoanGrade],
    outcomes: &[bool],
    source: String,
    config: &GradingConfig,
) -> Result<InformationValidation> {
    if full.len() != withheld.len() || full.len() != outcomes.len() {
        return Err(GradeError::DimensionMismatch(format!(
            "{} full-information grades, {} withheld grades, {} outcomes",
            full.len(),
            withheld.len(),
            outcomes.len()
        )));
    }
    let report = |gs: &[LoanGrade]| {
        let pd: Vec<f64> = gs
            .iter()
            .map(|g| pd_over_outcome_horizon(g, config.outcome_horizon_years))
            .collect();
        let grades: Vec<Grade> = gs.iter().map(|g| g.grade).collect();
        validation::validate(&pd, &grades, outcomes)
    };
    Ok(InformationValidation {
        outcomes: source,
        full_information: report(full)?,
        borrower_side_withheld: report(withheld)?,
    })
}

/// Simulated outcomes over the outcome horizon: each loan defaults independently with its
/// full-information PD over that horizon (the scorecard taken as the truth). For a book
/// without observed outcomes; deterministic in `seed`.
pub fn simulate_outcomes(full: &[LoanGrade], config: &GradingConfig, seed: u64) -> Vec<bool> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    full.iter()
        .map(|g| rng.random::<f64>() < pd_over_outcome_horizon(g, config.outcome_horizon_years))
        .collect()
}

/// Validation of a graded book against the outcomes of the loans that have one, or, when
/// none has one and `simulate_seed` is set, against outcomes simulated from the
/// full-information PDs ([`simulate_outcomes`]); `None` when there is nothing to validate
/// against or the outcomes hold only one class. `full` and `withheld` are `book` graded
/// with all factors and with the borrower side withheld.
pub fn validate_book(
    book: &Book,
    full: &BookGrades,
    withheld: &BookGrades,
    config: &GradingConfig,
    simulate_seed: Option<u64>,
) -> Result<Option<InformationValidation>> {
    let two_classes = |outcomes: &[bool]| {
        let d = outcomes.iter().filter(|&&b| b).count();
        d > 0 && d < outcomes.len()
    };
    let known: Vec<usize> = (0..book.len())
        .filter(|&i| book.records()[i].defaulted.is_some())
        .collect();
    if known.is_empty() {
        let Some(seed) = simulate_seed else {
            return Ok(None);
        };
        let outcomes = simulate_outcomes(&full.loans, config, seed);
        if !two_classes(&outcomes) {
            return Ok(None);
        }
        let source = format!("simulated one-year outcomes (full-information PDs, seed {seed})");
        return validate_information(&full.loans, &withheld.loans, &outcomes, source, config)
            .map(Some);
    }
    let pick = |g: &BookGrades| {
        known
            .iter()
            .map(|&i| g.loans[i].clone())
            .collect::<Vec<_>>()
    };
    let outcomes: Vec<bool> = known
        .iter()
        .map(|&i| book.records()[i].defaulted.unwrap_or(false))
        .collect();
    if !two_classes(&outcomes) {
        return Ok(None);
    }
    let source = format!(
        "observed one-year default flags ({} of {} loans)",
        known.len(),
        book.len()
    );
    validate_information(&pick(full), &pick(withheld), &outcomes, source, config).map(Some)
}

/// Fits the scorecard ([`Scorecard::fit`]) on the loans of `book` that have an observed
/// default flag. An error when none has one.
pub fn fit_scorecard(book: &Book, options: &IrlsOptions) -> Result<ScorecardFit> {
    let rows: Vec<(Observation, bool)> = book
        .iter()
        .filter_map(|r| r.defaulted.map(|d| (observation(r), d)))
        .collect();
    if rows.is_empty() {
        return Err(GradeError::NotEnoughData(format!(
            "fitting needs observed default flags, and none of the {} loans has one",
            book.len()
        )));
    }
    Scorecard::fit(&rows, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_loan::{
        Amortization, Borrower, Channel, Collateral, Loan, LoanId, Rate, Recourse as LoanRecourse,
    };
    use creditlab_numerics::prec;

    fn mortgage(id: u64, score: u16, income: f64) -> LoanRecord {
        let loan = Loan::new(
            LoanId(id),
            240_000.0,
            Rate::Fixed { annual: 0.05 },
            360,
            Amortization::LevelPayment,
            Channel::BankUnderwritten,
            LoanRecourse::Full,
        )
        .unwrap();
        let payment = 12.0 * loan.monthly_payment();
        let borrower = Borrower::new(Some(score), Some(income), Some(payment + 6_000.0)).unwrap();
        let collateral =
            Collateral::new(CollateralKind::ResidentialProperty, 400_000.0, 0.08, 0.10).unwrap();
        LoanRecord::new(loan, borrower, collateral)
    }

    fn defi(id: u64) -> LoanRecord {
        let loan = Loan::new(
            LoanId(id),
            6_000.0,
            Rate::Floating {
                index: 0.03,
                spread: 0.02,
            },
            12,
            Amortization::InterestOnly,
            Channel::DefiAnonymous,
            LoanRecourse::None,
        )
        .unwrap();
        let collateral =
            Collateral::new(CollateralKind::CryptoAsset, 10_000.0, 0.75, 0.08).unwrap();
        LoanRecord::new(loan, Borrower::anonymous(), collateral)
    }

    #[test]
    fn observation_maps_the_four_factors() {
        let r = mortgage(1, 760, 120_000.0);
        let obs = observation(&r);
        let payment = 12.0 * r.loan.monthly_payment();
        assert_eq!(obs.credit_score, Some(760.0));
        assert!((obs.ltv.unwrap() - 0.6).abs() < prec::IDENTITY);
        // The same quotients as the library's: equal to rounding.
        assert!(prec::relative_close(
            obs.payment_coverage.unwrap(),
            120_000.0 / payment,
            prec::IDENTITY,
            1.0
        ));
        assert!((obs.dti.unwrap() - (payment + 6_000.0) / 120_000.0).abs() < prec::IDENTITY);
        let anon = observation(&defi(2));
        assert_eq!(anon.credit_score, None);
        assert_eq!(anon.income, None);
        assert_eq!(anon.payment_coverage, None);
        assert_eq!(anon.dti, None);
        assert!((anon.ltv.unwrap() - 0.6).abs() < prec::IDENTITY);
    }

    #[test]
    fn anonymous_defi_loan_grades_below_a_prime_mortgage() {
        let cfg = GradingConfig::default();
        let bank = grade_record(&mortgage(1, 780, 150_000.0), &cfg, false).unwrap();
        let anon = grade_record(&defi(2), &cfg, false).unwrap();
        assert!(anon.grade > bank.grade, "{} vs {}", anon.grade, bank.grade);
        assert!(!anon.grade.is_investment_grade(), "{}", anon.grade);
        assert_eq!(anon.pd.missing_factors.len(), 3);
        // EL and capital follow their definitions.
        for g in [&bank, &anon] {
            // The definitions themselves: equal to rounding, on amounts of size EAD.
            assert!((g.el_one_year - g.pd.pd * g.lgd.lgd * g.ead).abs() < prec::IDENTITY * g.ead);
            assert!((g.capital_amount - g.capital.k * g.ead).abs() < prec::IDENTITY * g.ead);
            assert!(g.capital.pd >= g.pd.pd_conservative);
        }
        assert_eq!(bank.asset_class, AssetClass::ResidentialMortgage);
        // Basel's 10% mortgage LGD floor applies to capital, not to expected loss.
        assert!(bank.capital_lgd >= irb::MORTGAGE_LGD_FLOOR && bank.lgd.lgd < bank.capital_lgd);
        // A DeFi default is a collateral shortfall: its LGD is positive although the loan
        // is over-collateralized and liquidated within a day.
        assert!(anon.lgd.lgd > 0.0 && anon.lgd.lgd < 0.2, "{}", anon.lgd.lgd);
        // Full recourse to a known income lowers the mortgage's LGD below the collateral's.
        assert!(bank.lgd.lgd < bank.lgd.collateral_lgd);
        // Withholding the borrower side makes the mortgage look like an anonymous loan.
        let blind = grade_record(&mortgage(1, 780, 150_000.0), &cfg, true).unwrap();
        assert!(blind.grade > bank.grade);
        assert!((blind.lgd.lgd - blind.lgd.collateral_lgd).abs() < prec::IDENTITY);
    }

    #[test]
    fn book_summary_adds_up_and_information_validation_runs() {
        let mut records = Vec::new();
        for i in 0..400u64 {
            let score = 560 + (i * 7 % 280) as u16;
            records.push(mortgage(i, score, 40_000.0 + 500.0 * (i % 200) as f64));
        }
        let book = Book::new(records).unwrap();
        let cfg = GradingConfig::default();
        let full = grade_book(&book, &cfg, false).unwrap();
        let s = &full.summary;
        assert_eq!(s.loans, 400);
        // A sum of integers below 2^53: exact.
        assert!((s.ead - 400.0 * 240_000.0).abs() < prec::IDENTITY * s.ead);
        let by_grade: usize = s.by_grade.iter().map(|b| b.loans).sum();
        assert_eq!(by_grade, 400);
        let el: f64 = s.by_grade.iter().map(|b| b.el_one_year).sum();
        assert!((el - s.el_one_year).abs() < prec::ACCUMULATED * s.el_one_year);
        let blind = grade_book(&book, &cfg, true).unwrap();
        // Same collateral everywhere: without borrower facts every loan looks alike.
        assert_eq!(blind.summary.by_grade.len(), 1);
        let outcomes = simulate_outcomes(&full.loans, &cfg, 42);
        let v = validate_information(
            &full.loans,
            &blind.loans,
            &outcomes,
            "simulated".into(),
            &cfg,
        )
        .unwrap();
        assert!(v.full_information.auc > 0.6, "{}", v.full_information.auc);
        // Every PD tied: the mid-rank sum gives exactly one half.
        assert!((v.borrower_side_withheld.auc - 0.5).abs() < prec::IDENTITY);
    }

    #[test]
    fn mortgages_take_their_lgd_from_the_house_with_recourse_apart() {
        let cfg = GradingConfig::default();
        let r = mortgage(1, 720, 120_000.0);
        let g = grade_record(&r, &cfg, false).unwrap();
        let model = MortgageLossModel::us_crisis();
        let m = model.of_record(&r).unwrap().unwrap();
        assert_eq!(g.collateral_law, Some(m.law));
        assert_eq!(g.lgd.collateral_lgd, m.collateral_lgd);
        assert!((g.lgd.lgd - m.lgd).abs() <= prec::IDENTITY);
        assert!(
            (g.lgd.recourse_recovery - m.recourse_recovery * g.ead).abs() <= prec::IDENTITY * g.ead
        );
        // EL uses the net LGD.
        assert!((g.el_one_year - g.pd.pd * m.lgd * g.ead).abs() <= prec::IDENTITY * g.ead);
        // Withheld borrower side: nobody to pursue, so no recourse recovery.
        let blind = grade_record(&r, &cfg, true).unwrap();
        assert_eq!(blind.lgd.recourse_recovery, 0.0);
        assert_eq!(blind.lgd.lgd, blind.lgd.collateral_lgd);
        // DeFi collateral has no house law; without the housing model the closed form of
        // `lgd` is back.
        assert_eq!(
            grade_record(&defi(2), &cfg, false).unwrap().collateral_law,
            None
        );
        let legacy = GradingConfig {
            lgd: LgdAssumptions {
                housing: None,
                ..LgdAssumptions::default()
            },
            ..GradingConfig::default()
        };
        let old = grade_record(&r, &legacy, false).unwrap();
        assert_eq!(old.collateral_law, None);
        assert_eq!(old.lgd, lgd_input(&r, &legacy.lgd).lgd().unwrap());
    }

    #[test]
    fn the_book_summary_shows_collateral_lgd_recovery_and_net_lgd() {
        let records: Vec<LoanRecord> = (0..50u64)
            .map(|i| mortgage(i, 600 + (i * 5) as u16, 60_000.0 + 1_000.0 * i as f64))
            .collect();
        let book = Book::new(records).unwrap();
        let graded = grade_book(&book, &GradingConfig::default(), false).unwrap();
        let s = &graded.summary;
        assert!(s.mean_recourse_recovery > 0.0);
        assert!(
            (s.mean_lgd - (s.mean_collateral_lgd - s.mean_recourse_recovery)).abs()
                <= prec::ACCUMULATED
        );
        // The collateral LGD is the book severity of the housing model.
        let sev = MortgageLossModel::us_crisis().book(&book).unwrap().unwrap();
        assert!((s.mean_collateral_lgd - sev.collateral_lgd).abs() <= prec::ACCUMULATED);
        assert!((s.mean_lgd - sev.lgd).abs() <= prec::ACCUMULATED);
    }
}
