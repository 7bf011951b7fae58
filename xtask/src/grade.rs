//! `cargo xtask grade`: grade every loan of a tape or a synthetic book (PD with its
//! interval, grade, LGD, EL, IRB capital) and summarize, with validation where outcomes
//! exist: once with every revealed factor, once with the borrower side withheld. A book of
//! liquidated positions (the DeFi book) also gets the collateral-only model fitted on half
//! of its outcomes and judged, against the bank scorecard, on the other half.
//!
//! Methodology: docs/methodology/grading.md. JSON output: docs/schemas/grade-json.md.

use crate::cli::outln;
use crate::cli::{Table, TaskError, TaskResult, print_json};
use crate::guard::Cost;
use creditlab_grade::collateral_model::{CollateralModelReport, OutOfSample};
use creditlab_grade::grading::{self, GradingConfig};
use creditlab_grade::logistic::IrlsOptions;
use creditlab_grade::report::{GradeReport, MAX_ROC_POINTS};
use creditlab_grade::validation::ValidationReport;
use creditlab_loan::Book;
use creditlab_loan::synthetic::{self, BookSpec};
use creditlab_loan::tape::open_tape;
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
    /// Rescale the synthetic book to this total principal (as the study does: incomes
    /// scale with it, so PDs move; LTV and DTI do not).
    #[arg(long, conflicts_with = "tape")]
    total_principal: Option<f64>,
    /// Seed of the synthetic book, of --simulate-outcomes and of the collateral-only
    /// model's fit/test split.
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
    /// Conservative posterior quantile of the PD used for the grade and capital, and the
    /// quantile of the collateral-only model's upper confidence bound.
    #[arg(long, default_value_t = 0.95)]
    quantile: f64,
    /// Print a JSON object (docs/schemas/grade-json.md) instead of tables.
    #[arg(long)]
    json: bool,
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
    if let Some(t) = args.total_principal
        && !(t.is_finite() && t > 0.0)
    {
        return Err(TaskError::msg(format!(
            "--total-principal must be a positive amount, got {t}"
        )));
    }
    // Grading holds each loan's record and results (about 2 KB) and takes about 60 us a
    // loan for the bank book, 150 us for the DeFi book (its collateral model), two cores.
    let per_loan = if matches!(args.book, Some(BookKind::Defi)) {
        1.5e-4
    } else {
        6e-5
    };
    crate::guard::check(&Cost {
        what: format!("grade --loans {}", args.loans),
        bytes: args.loans as f64 * 2048.0,
        seconds: args.loans as f64 * per_loan,
    })?;
    let spec = BookSpec {
        loans: args.loans,
        total_principal: args.total_principal,
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
    let fitted = if args.fit {
        let fitted = grading::fit_scorecard(&book, &IrlsOptions::default())
            .map_err(|e| TaskError::msg(format!("--fit: {e}")))?;
        config.scorecard = fitted.scorecard.clone();
        Some(fitted)
    } else {
        None
    };
    config.scorecard.conservative_quantile = args.quantile;
    config.collateral_model.split_seed = args.seed;
    config.collateral_model.upper_quantile = args.quantile;
    let simulate = args.simulate_outcomes.then_some(args.seed);
    let mut report = GradeReport::build(&book, source, &config, fitted.as_ref(), simulate)?;
    if args.json {
        report.thin_roc(MAX_ROC_POINTS);
        return print_json(&report);
    }
    print_text(&report)
}

fn pct(x: f64) -> String {
    format!("{:.3}%", 100.0 * x)
}

fn money(x: f64) -> String {
    format!("{x:.0}")
}

fn print_text(report: &GradeReport) -> TaskResult {
    let s = &report.summary;
    outln!("{}: {} loans, EAD {}", report.source, s.loans, money(s.ead));
    if let Some(fit) = &report.fit {
        let mut t = Table::new(["fitted column", "coefficient", "std error"]);
        for f in fit {
            t.row([
                f.column.clone(),
                format!("{:.4}", f.coefficient),
                format!("{:.4}", f.standard_error),
            ]);
        }
        outln!("\n{t}");
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
    outln!("\n{t}");
    let mut t = Table::new(["", "all factors", "borrower side withheld"]);
    let w = &report.summary_borrower_side_withheld;
    type Row = (&'static str, f64, f64, fn(f64) -> String);
    let rows: [Row; 10] = [
        ("mean PD (1y)", s.mean_pd, w.mean_pd, pct),
        (
            "mean conservative PD",
            s.mean_pd_conservative,
            w.mean_pd_conservative,
            pct,
        ),
        (
            "mean collateral LGD",
            s.mean_collateral_lgd,
            w.mean_collateral_lgd,
            pct,
        ),
        (
            "recourse recovery / EAD",
            s.mean_recourse_recovery,
            w.mean_recourse_recovery,
            pct,
        ),
        ("mean LGD (net)", s.mean_lgd, w.mean_lgd, pct),
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
    outln!("{t}");
    match &report.validation {
        None => outln!("validation: no outcomes with both defaults and non-defaults"),
        Some(v) => {
            outln!("validation against {}", v.outcomes);
            let mut t = Table::new(["metric", "all factors", "borrower side withheld"]);
            let (a, b) = (&v.full_information, &v.borrower_side_withheld);
            let metric = |r: &ValidationReport, m: &str| -> String {
                match m {
                    "AUC" => format!("{:.4}", r.auc),
                    "Gini" => format!("{:.4}", r.gini),
                    "KS" => format!("{:.4}", r.ks),
                    "Brier" => format!("{:.5}", r.brier),
                    "defaults / expected" => format!(
                        "{} / {:.1}",
                        r.calibration.defaults, r.calibration.expected_defaults
                    ),
                    "count test p" => format!("{:.3e}", r.calibration.p_value),
                    _ => r
                        .hosmer_lemeshow
                        .map_or("n/a".to_string(), |h| format!("{:.3e}", h.p_value)),
                }
            };
            for m in [
                "AUC",
                "Gini",
                "KS",
                "Brier",
                "defaults / expected",
                "count test p",
                "Hosmer-Lemeshow p",
            ] {
                t.row([m.to_string(), metric(a, m), metric(b, m)]);
            }
            outln!("\n{t}");
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
            outln!("binomial test per grade (all factors)\n{t}");
        }
    }
    match &report.collateral_model {
        None => {
            if let Some(why) = &report.collateral_model_skipped {
                outln!("\ncollateral-only model: none ({why})");
            }
        }
        Some(c) => print_collateral_model(c)?,
    }
    Ok(())
}

fn print_collateral_model(c: &CollateralModelReport) -> TaskResult {
    outln!(
        "\ncollateral-only model: fitted on {} loans ({} defaults), tested on {} ({} defaults, \
         {}), split seed {}",
        c.fit_loans,
        c.fit_defaults,
        c.test_loans,
        c.test_defaults,
        pct(c.test_default_rate),
        c.split_seed
    );
    let mut t = Table::new(["fitted column", "coefficient", "std error"]);
    for f in &c.fit {
        t.row([
            f.column.clone(),
            format!("{:.4}", f.coefficient),
            format!("{:.4}", f.standard_error),
        ]);
    }
    outln!("{t}");
    if !c.dropped.is_empty() {
        outln!("dropped (constant or collinear): {}", c.dropped.join(", "));
    }
    let (a, b) = (&c.collateral_model, &c.bank_scorecard);
    let mut t = Table::new(["out of sample", "collateral-only", "bank scorecard"]);
    type Row = (&'static str, fn(&OutOfSample) -> String);
    let rows: [Row; 7] = [
        ("mean PD", |m| pct(m.mean_pd)),
        ("mean conservative PD", |m| pct(m.mean_pd_conservative)),
        ("AUC", |m| format!("{:.4}", m.auc)),
        ("Brier", |m| format!("{:.5}", m.brier)),
        ("defaults / expected", |m| {
            format!(
                "{} / {:.1}",
                m.calibration.defaults, m.calibration.expected_defaults
            )
        }),
        ("count test p", |m| format!("{:.3e}", m.calibration.p_value)),
        ("Hosmer-Lemeshow p", |m| {
            m.hosmer_lemeshow
                .map_or("n/a".to_string(), |h| format!("{:.3e}", h.p_value))
        }),
    ];
    for (name, f) in rows {
        t.row([name.to_string(), f(a), f(b)]);
    }
    outln!("{t}");
    outln!(
        "conservative PD, collateral-only: {}\nconservative PD, bank scorecard: {}",
        a.conservative,
        b.conservative
    );
    Ok(())
}
