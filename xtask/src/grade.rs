//! `cargo xtask grade`: grade every loan of a tape or a synthetic book (PD with its
//! interval, grade, LGD, EL, IRB capital) and summarize, with validation where outcomes
//! exist: once with every revealed factor, once with the borrower side withheld.
//!
//! Methodology: docs/methodology/grading.md. JSON output: docs/schemas/grade-json.md.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_grade::grading::{
    self, BookGrades, BookSummary, GradingConfig, InformationValidation, LoanGrade,
};
use creditlab_grade::logistic::IrlsOptions;
use creditlab_grade::scorecard::{Factor, Scorecard};
use creditlab_grade::validation::{RocPoint, ValidationReport};
use creditlab_loan::synthetic::{self, BookSpec};
use creditlab_loan::tape::open_tape;
use creditlab_loan::{Book, LoanRecord};
use serde::Serialize;
use std::path::PathBuf;

/// Which synthetic book to grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BookKind {
    /// The underwritten bank mortgage book.
    Bank,
    /// The anonymous, over-collateralised DeFi book.
    Defi,
}

/// Flags of `cargo xtask grade`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["tape", "book"])))]
pub struct Args {
    /// Grade a loan tape: .csv, or .jsonl/.ndjson/.json (JSON Lines).
    #[arg(long)]
    tape: Option<PathBuf>,
    /// Grade a synthetic book.
    #[arg(long, value_enum)]
    book: Option<BookKind>,
    /// Loans in the synthetic book.
    #[arg(long, default_value_t = 10_000, conflicts_with = "tape")]
    loans: usize,
    /// Seed of the synthetic book and of --simulate-outcomes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// When the data has no observed default flags, validate against outcomes simulated
    /// from the full-information PDs (the scorecard taken as the truth), seeded by --seed.
    #[arg(long)]
    simulate_outcomes: bool,
    /// Fit the scorecard's coefficients on the data's observed outcomes first (rows with
    /// every factor observed), instead of the documented default coefficients.
    #[arg(long)]
    fit: bool,
    /// Conservative posterior quantile of the PD used for the grade and capital.
    #[arg(long, default_value_t = 0.95)]
    quantile: f64,
    /// Print a JSON object (docs/schemas/grade-json.md) instead of tables.
    #[arg(long)]
    json: bool,
}

/// One loan in the JSON output.
#[derive(Debug, Serialize)]
struct LoanRow {
    id: u64,
    grade: String,
    ead: f64,
    pd: f64,
    pd_lower: f64,
    pd_upper: f64,
    pd_conservative: f64,
    pd_lifetime: f64,
    life_years: f64,
    lgd: f64,
    capital_lgd: f64,
    el_one_year: f64,
    el_lifetime: f64,
    k: f64,
    risk_weight: f64,
    capital: f64,
    missing_factors: Vec<Factor>,
    defaulted: Option<bool>,
}

impl From<&LoanGrade> for LoanRow {
    fn from(g: &LoanGrade) -> Self {
        Self {
            id: g.id,
            grade: g.grade.to_string(),
            ead: g.ead,
            pd: g.pd.pd,
            pd_lower: g.pd.pd_lower,
            pd_upper: g.pd.pd_upper,
            pd_conservative: g.pd.pd_conservative,
            pd_lifetime: g.pd.pd_lifetime,
            life_years: g.pd.life_years,
            lgd: g.lgd.lgd,
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

/// The fitted coefficients, for the JSON output.
#[derive(Debug, Serialize)]
struct FitRow {
    column: &'static str,
    coefficient: f64,
    standard_error: f64,
}

/// The whole JSON output.
#[derive(Debug, Serialize)]
struct Output {
    source: String,
    conservative_quantile: f64,
    fit: Option<Vec<FitRow>>,
    summary: BookSummary,
    summary_borrower_side_withheld: BookSummary,
    validation: Option<InformationValidation>,
    loans: Vec<LoanRow>,
}

/// Largest number of ROC points written per curve in JSON (evenly thinned).
const MAX_ROC_POINTS: usize = 201;

fn thin(roc: &mut Vec<RocPoint>) {
    if roc.len() > MAX_ROC_POINTS {
        let n = roc.len();
        let picked: Vec<RocPoint> = (0..MAX_ROC_POINTS)
            .map(|i| roc[i * (n - 1) / (MAX_ROC_POINTS - 1)])
            .collect();
        *roc = picked;
    }
}

fn load(args: &Args) -> Result<(Book, String), TaskError> {
    if let Some(path) = &args.tape {
        let book = Book::from_records(open_tape(path)?)?;
        if book.is_empty() {
            return Err(TaskError::msg(format!(
                "--tape {}: no loans",
                path.display()
            )));
        }
        return Ok((book, format!("tape {}", path.display())));
    }
    if args.loans == 0 || args.loans > synthetic::MAX_LOANS {
        return Err(TaskError::msg(format!(
            "--loans must be in 1..={}, got {}",
            synthetic::MAX_LOANS,
            args.loans
        )));
    }
    let spec = BookSpec {
        loans: args.loans,
        total_principal: None,
        seed: args.seed,
    };
    Ok(match args.book {
        Some(BookKind::Defi) => (
            synthetic::defi_book(&spec)?,
            format!("defi book, {} loans, seed {}", args.loans, args.seed),
        ),
        _ => (
            synthetic::bank_book(&spec)?,
            format!("bank book, {} loans, seed {}", args.loans, args.seed),
        ),
    })
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    if !(args.quantile > 0.0 && args.quantile < 1.0) {
        return Err(TaskError::msg(format!(
            "--quantile must be in (0, 1), got {}",
            args.quantile
        )));
    }
    let (book, source) = load(&args)?;
    let mut config = GradingConfig::default();
    let mut fit_rows = None;
    if args.fit {
        let rows: Vec<_> = book
            .iter()
            .filter_map(|r: &LoanRecord| r.defaulted.map(|d| (grading::observation(r), d)))
            .collect();
        if rows.is_empty() {
            return Err(TaskError::msg(
                "--fit needs observed default flags, and this data has none",
            ));
        }
        let fitted = Scorecard::fit(&rows, &IrlsOptions::default())
            .map_err(|e| TaskError::msg(format!("--fit: {e}")))?;
        fit_rows = Some(
            fitted
                .columns
                .iter()
                .enumerate()
                .map(|(j, c)| FitRow {
                    column: c,
                    coefficient: fitted.fit.coefficients[j],
                    standard_error: fitted.fit.standard_errors[j],
                })
                .collect::<Vec<_>>(),
        );
        config.scorecard = fitted.scorecard;
    }
    config.scorecard.conservative_quantile = args.quantile;

    let full = grading::grade_book(&book, &config, false)?;
    let withheld = grading::grade_book(&book, &config, true)?;
    let simulate = args.simulate_outcomes.then_some(args.seed);
    let validation = validation(&book, &full, &withheld, &config, simulate)?;

    if args.json {
        let mut validation = validation;
        if let Some(v) = &mut validation {
            thin(&mut v.full_information.roc);
            thin(&mut v.borrower_side_withheld.roc);
        }
        return print_json(&Output {
            source,
            conservative_quantile: args.quantile,
            fit: fit_rows,
            summary: full.summary,
            summary_borrower_side_withheld: withheld.summary,
            validation,
            loans: full.loans.iter().map(LoanRow::from).collect(),
        });
    }
    print_text(
        &source,
        &full,
        &withheld,
        validation.as_ref(),
        fit_rows.as_deref(),
    );
    Ok(())
}

/// Validation against the observed outcomes of the loans that have one, or, when none has
/// one and `simulate_seed` is set, against outcomes simulated from the full-information
/// PDs; `None` when there is nothing to validate against or only one class.
fn validation(
    book: &Book,
    full: &BookGrades,
    withheld: &BookGrades,
    config: &GradingConfig,
    simulate_seed: Option<u64>,
) -> Result<Option<InformationValidation>, TaskError> {
    let known: Vec<usize> = (0..book.len())
        .filter(|&i| book.records()[i].defaulted.is_some())
        .collect();
    if known.is_empty() {
        let Some(seed) = simulate_seed else {
            return Ok(None);
        };
        let outcomes = grading::simulate_outcomes(&full.loans, config, seed);
        let d = outcomes.iter().filter(|&&b| b).count();
        if d == 0 || d == outcomes.len() {
            return Ok(None);
        }
        let source = format!("simulated one-year outcomes (full-information PDs, seed {seed})");
        return Ok(Some(grading::validate_information(
            &full.loans,
            &withheld.loans,
            &outcomes,
            source,
            config,
        )?));
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
    let d = outcomes.iter().filter(|&&b| b).count();
    if d == 0 || d == outcomes.len() {
        return Ok(None);
    }
    let source = format!(
        "observed one-year default flags ({} of {} loans)",
        known.len(),
        book.len()
    );
    Ok(Some(grading::validate_information(
        &pick(full),
        &pick(withheld),
        &outcomes,
        source,
        config,
    )?))
}

fn pct(x: f64) -> String {
    format!("{:.3}%", 100.0 * x)
}

fn money(x: f64) -> String {
    format!("{x:.0}")
}

fn print_text(
    source: &str,
    full: &BookGrades,
    withheld: &BookGrades,
    validation: Option<&InformationValidation>,
    fit: Option<&[FitRow]>,
) {
    let s = &full.summary;
    println!("{source}: {} loans, EAD {}", s.loans, money(s.ead));
    if let Some(fit) = fit {
        let mut t = Table::new(["fitted column", "coefficient", "std error"]);
        for f in fit {
            t.row([
                f.column.to_string(),
                format!("{:.4}", f.coefficient),
                format!("{:.4}", f.standard_error),
            ]);
        }
        println!("\n{t}");
    }
    let mut t = Table::new([
        "grade", "loans", "share", "EAD", "mean PD", "EL 1y", "capital",
    ]);
    for b in &s.by_grade {
        t.row([
            b.grade.to_string(),
            b.loans.to_string(),
            pct(b.loans as f64 / s.loans as f64),
            money(b.ead),
            pct(b.mean_pd),
            money(b.el_one_year),
            money(b.capital),
        ]);
    }
    println!("\n{t}");
    let mut t = Table::new(["", "all factors", "borrower side withheld"]);
    let w = &withheld.summary;
    type Row = (&'static str, f64, f64, fn(f64) -> String);
    let rows: [Row; 8] = [
        ("mean PD (1y)", s.mean_pd, w.mean_pd, pct),
        (
            "mean conservative PD",
            s.mean_pd_conservative,
            w.mean_pd_conservative,
            pct,
        ),
        ("mean LGD", s.mean_lgd, w.mean_lgd, pct),
        ("EL one year", s.el_one_year, w.el_one_year, money),
        ("EL lifetime", s.el_lifetime, w.el_lifetime, money),
        ("IRB capital", s.capital, w.capital, money),
        ("capital / EAD", s.capital / s.ead, w.capital / w.ead, pct),
        (
            "mean grade (0=AAA, 7=D)",
            s.mean_grade_rank,
            w.mean_grade_rank,
            |x| format!("{x:.2}"),
        ),
    ];
    for (name, a, b, f) in rows {
        t.row([name.to_string(), f(a), f(b)]);
    }
    println!("{t}");
    match validation {
        None => println!("validation: no outcomes with both defaults and non-defaults"),
        Some(v) => {
            println!("validation against {}", v.outcomes);
            let mut t = Table::new(["metric", "all factors", "borrower side withheld"]);
            let (a, b) = (&v.full_information, &v.borrower_side_withheld);
            let metric = |r: &ValidationReport, m: &str| -> String {
                match m {
                    "AUC" => format!("{:.4}", r.auc),
                    "Gini" => format!("{:.4}", r.gini),
                    "KS" => format!("{:.4}", r.ks),
                    "Brier" => format!("{:.5}", r.brier),
                    _ => r
                        .hosmer_lemeshow
                        .map_or("n/a".to_string(), |h| format!("{:.3e}", h.p_value)),
                }
            };
            for m in ["AUC", "Gini", "KS", "Brier", "Hosmer-Lemeshow p"] {
                t.row([m.to_string(), metric(a, m), metric(b, m)]);
            }
            println!("\n{t}");
            let mut t = Table::new([
                "grade",
                "loans",
                "defaults",
                "default rate",
                "mean PD",
                "p(PD too low)",
            ]);
            for c in &a.by_grade {
                t.row([
                    c.grade.to_string(),
                    c.loans.to_string(),
                    c.defaults.to_string(),
                    pct(c.default_rate),
                    pct(c.mean_pd),
                    format!("{:.3e}", c.p_value_too_low),
                ]);
            }
            println!("binomial test per grade (all factors)\n{t}");
        }
    }
}
