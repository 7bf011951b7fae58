//! The study as a document (creditlab-report): one section per stage, each with its text,
//! tables and charts, and the verdict. Rendered to report.html, report.md, CSV and SVG.

use crate::contagion::NetworkStudy;
use crate::study::{BookStudy, GradingFacts, Study, slug};
use crate::verdict;
use creditlab_defi::simulation::DefiSimResult;
use creditlab_pool::resec::RatedNote;
use creditlab_report::{
    Chart, Report, ReportError, Scale, Section, Table,
    format::{count, money, num, pct},
};

/// `(x, y)` pairs of two equally long series (the shorter one decides).
fn zip(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    x.iter().copied().zip(y.iter().copied()).collect()
}

const TRANCHE_TEXT: &str = "Each book's one-year loss tranched: expected tranche loss \
     (fraction of tranche notional), probability of any loss and its master-scale rating at \
     the assumed correlation, the same at the stressed correlation (the 2007 story: a senior \
     note rated at low correlation), and the SSFA risk weight with KA = the pool's IRB \
     capital.";

/// A fraction as a percentage with at most two decimals and no trailing zeros (0.07 -> "7").
fn percent_point(x: f64) -> String {
    crate::contagion::pp(x)
}

/// A scenario parameter as a percentage without trailing zeros (0.05 -> "5%").
fn param_pct(x: f64) -> String {
    format!("{}%", percent_point(x))
}

impl Study {
    /// The whole study as a document.
    pub fn report(&self) -> Result<Report, ReportError> {
        let mut r = Report::new("creditlab: a bank book against a DeFi book");
        r.intro.push(format!(
            "Is DeFi lending subprime securitization again? This report measures the claim. \
             Two books lend the same total principal ({}) to {} borrowers each: a bank's \
             mortgage book and a DeFi lending book. Every figure is per unit of money lent. \
             Seed {}; methods and sources in docs/methodology/ of the creditlab repository.",
            money(self.bank.facts.total_principal),
            count(self.bank.facts.loans as u64),
            self.seed
        ));
        r.intro
            .push("Read the verdict (section 7) first; sections 1 to 6 are the evidence.".into());
        r.sections.push(self.books_section()?);
        r.sections.push(self.grading_section()?);
        r.sections.push(self.diversification_section()?);
        r.sections.push(self.securitization_section()?);
        if let Some(s) = self.defi_pool_section()? {
            r.sections.push(s);
        }
        r.sections.push(self.contagion_section()?);
        r.sections.push(verdict::section(self)?);
        // The study writes every table to tables/<id>.csv beside the report.
        r.link_tables("tables").interactive(true);
        Ok(r)
    }

    fn books_section(&self) -> Result<Section, ReportError> {
        let mut s = Section::new("books", "1. The two books");
        s.text(
            "What each lender knows about its borrowers and what secures the loans. The bank \
             knows its borrowers' credit history and income and can pursue them beyond the \
             house (full recourse); the DeFi pool knows nothing about its anonymous \
             borrowers and holds only their crypto collateral.",
        );
        let (b, d) = (&self.bank.facts, &self.defi.facts);
        let opt = |x: Option<f64>| x.map_or_else(|| "n/a".to_string(), pct);
        let mut t = Table::new("books", "The books side by side", ["", "bank", "defi"]);
        t.row(["loans".into(), count(b.loans as u64), count(d.loans as u64)])?;
        t.row([
            "total principal".into(),
            money(b.total_principal),
            money(d.total_principal),
        ])?;
        for (name, x, y) in [
            (
                "weighted LTV",
                b.weighted_average_ltv,
                d.weighted_average_ltv,
            ),
            (
                "weighted rate",
                b.weighted_average_rate,
                d.weighted_average_rate,
            ),
        ] {
            t.row([name.to_string(), opt(x), opt(y)])?;
        }
        let shares = [
            (
                "full recourse",
                b.full_recourse_share,
                d.full_recourse_share,
            ),
            (
                "credit history known",
                b.credit_history_known_share,
                d.credit_history_known_share,
            ),
            ("income known", b.income_known_share, d.income_known_share),
            (
                "property collateral",
                b.property_collateral_share,
                d.property_collateral_share,
            ),
            (
                "crypto collateral",
                b.crypto_collateral_share,
                d.crypto_collateral_share,
            ),
        ];
        for (name, x, y) in shares {
            t.row([name.to_string(), pct(x), pct(y)])?;
        }
        t.row([
            "observed default rate".into(),
            opt(b.observed_default_rate),
            opt(d.observed_default_rate),
        ])?;
        s.table(t);
        let mut chart = Chart::bars(
            "books-facts",
            "What the lender knows and holds (share of loans)",
            shares.iter().map(|(n, _, _)| n.to_string()).collect(),
            "share of loans",
        );
        chart = chart.bar_series("bank", shares.iter().map(|x| x.1).collect())?;
        chart = chart.bar_series("defi", shares.iter().map(|x| x.2).collect())?;
        chart = chart.caption(format!(
            "Compare each pair of bars: what the lender knows and what secures the loan. The \
             bank knows the credit history of {} of its borrowers and holds property on {}; \
             the DeFi lender knows {} and holds crypto on {}.",
            pct(b.credit_history_known_share),
            pct(b.property_collateral_share),
            pct(d.credit_history_known_share),
            pct(d.crypto_collateral_share),
        ));
        s.chart(chart);

        s.text(
            "Lifetime cash flows under each book's prepayment and default assumptions (BMA \
             standard formulas; scenario keys cashflows.bank and cashflows.defi).",
        );
        let mut t = Table::new(
            "cashflows",
            "Lifetime cash flows, % of principal",
            ["", "bank", "defi"],
        );
        type Row = (&'static str, fn(&creditlab_loan::CashFlowTotals) -> f64);
        let rows: [Row; 6] = [
            ("scheduled principal", |c| c.scheduled_principal),
            ("prepayments", |c| c.prepayments),
            ("defaults", |c| c.defaults),
            ("recoveries", |c| c.recoveries),
            ("losses", |c| c.losses),
            ("interest", |c| c.interest),
        ];
        for (name, f) in rows {
            t.row([
                name.to_string(),
                pct(f(&self.bank.cashflow_totals) / b.total_principal),
                pct(f(&self.defi.cashflow_totals) / d.total_principal),
            ])?;
        }
        s.table(t);
        let mut chart = Chart::step(
            "cashflows-balance",
            "Outstanding balance, fraction of principal",
            "month",
            "balance / principal",
        );
        for book in [&self.bank, &self.defi] {
            let c = &book.cashflows;
            let p = book.facts.total_principal;
            let mut pts = vec![(0.0, 1.0)];
            pts.extend(
                c.balance()
                    .iter()
                    .enumerate()
                    .map(|(m, x)| ((m + 1) as f64, x / p)),
            );
            chart = chart.series(book.name, pts)?;
        }
        let after_a_year = |book: &BookStudy| {
            let p = book.facts.total_principal;
            pct(book.cashflows.balance().get(11).map_or(0.0, |x| x / p))
        };
        chart = chart.caption(format!(
            "How fast each book's money comes back: the steeper the fall, the sooner principal \
             returns, repaid, prepaid or lost to default. After 12 months the bank book has {} \
             of its principal outstanding, the DeFi book {}.",
            after_a_year(&self.bank),
            after_a_year(&self.defi),
        ));
        s.chart(chart);
        Ok(s)
    }

    fn grading_section(&self) -> Result<Section, ReportError> {
        let mut s = Section::new("grading", "2. Grading");
        s.text(
            "The claim under test: without information, the grade is low. Every loan is \
             graded by the four-factor scorecard (credit history, collateral, repayment \
             capacity, cash flow) twice: with every fact the borrower revealed, and with the \
             borrower-side facts withheld. A fact not revealed widens the PD's uncertainty \
             (a logit-normal posterior) and the grade uses its conservative quantile. AUC is \
             measured against each book's realized defaults.",
        );
        let (b, d) = (&self.bank.grading, &self.defi.grading);
        let mut t = Table::new(
            "grading",
            "PD, LGD, capital and power",
            ["", "bank", "defi"],
        );
        for (name, x, y) in [
            ("mean one-year PD", b.mean_pd, d.mean_pd),
            (
                "conservative PD (graded)",
                b.mean_pd_conservative,
                d.mean_pd_conservative,
            ),
            ("mean LGD", b.mean_lgd, d.mean_lgd),
            ("one-year EL", b.el_one_year_rate, d.el_one_year_rate),
            ("IRB capital", b.capital_rate, d.capital_rate),
        ] {
            t.row([name.to_string(), pct(x), pct(y)])?;
        }
        for (name, x, y) in [
            (
                "AUC, full information",
                b.auc_full_information,
                d.auc_full_information,
            ),
            (
                "AUC, borrower facts withheld",
                b.auc_borrower_facts_withheld,
                d.auc_borrower_facts_withheld,
            ),
        ] {
            let auc =
                |a: Option<f64>| a.map_or("n/a (one class)".to_string(), |a| format!("{a:.3}"));
            t.row([name.to_string(), auc(x), auc(y)])?;
        }
        // Calibration: each book's graded PDs against its realized defaults.
        let rate = |g: &GradingFacts, loans: usize| {
            format!(
                "{} ({} of {})",
                pct(g.defaults as f64 / loans.max(1) as f64),
                g.defaults,
                loans
            )
        };
        t.row([
            "realized default rate".to_string(),
            rate(b, self.bank.facts.loans),
            rate(d, self.defi.facts.loans),
        ])?;
        let p = |g: &GradingFacts| {
            g.calibration
                .as_ref()
                .map_or("n/a (one class)".to_string(), |c| {
                    format!(
                        "{} expected, {} observed; p = {} (too low), {} (too high)",
                        num(c.expected_defaults, 1),
                        c.defaults,
                        num(c.p_value_too_low, 3),
                        num(c.p_value_too_high, 3)
                    )
                })
        };
        t.row(["calibration of the graded PDs".to_string(), p(b), p(d)])?;
        s.table(t);
        if let Some(own) = &d.own_data {
            s.text(format!(
                "The DeFi book graded on its own data: a collateral-only logistic model ({}, \
                 {}) fitted on {} of its \
                 loans ({} defaults) and tested on the other {} ({} defaults), against the \
                 bank scorecard's extrapolation to the same loans. The collateral model's \
                 conservative PD reflects estimation uncertainty; the scorecard's, the \
                 population's spread of the facts not revealed.",
                own.fit
                    .iter()
                    .filter(|f| f.column != "intercept")
                    .map(|f| f.column.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                match own.estimation {
                    creditlab_grade::collateral_model::Estimation::Firth =>
                        "Firth's penalized likelihood",
                    creditlab_grade::collateral_model::Estimation::MaximumLikelihood =>
                        "maximum likelihood",
                },
                own.fit_loans,
                own.fit_defaults,
                own.test_loans,
                own.test_defaults
            ));
            let mut o = Table::new(
                "defi-own-data",
                "DeFi graded on its own outcomes, out of sample",
                [
                    "model",
                    "mean PD",
                    "conservative PD",
                    "what the conservative PD reflects",
                    "AUC",
                    "realized rate",
                    "calibration p (too low / too high)",
                ],
            );
            for m in [&own.collateral_model, &own.bank_scorecard] {
                o.row([
                    m.model.to_string(),
                    pct(m.mean_pd),
                    pct(m.mean_pd_conservative),
                    m.conservative.to_string(),
                    num(m.auc, 3),
                    pct(own.test_default_rate),
                    format!(
                        "{} / {}",
                        num(m.calibration.p_value_too_low, 3),
                        num(m.calibration.p_value_too_high, 3)
                    ),
                ])?;
            }
            s.table(o);
        }
        for why in b.not_computed.iter().chain(&d.not_computed) {
            s.text(format!("Not computed: {why}."));
        }

        let grades: Vec<&'static str> = creditlab_grade::Grade::ALL
            .iter()
            .map(|g| g.as_str())
            .collect();
        let count = |g: &GradingFacts, name: &str| {
            g.loans_by_grade
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, c)| *c)
        };
        let mut t = Table::new(
            "grades",
            "Loans per grade (master scale of one-year conservative PDs)",
            ["grade", "bank loans", "defi loans"],
        );
        for g in &grades {
            t.row([
                g.to_string(),
                count(b, g).to_string(),
                count(d, g).to_string(),
            ])?;
        }
        s.table(t);
        let share = |book: &BookStudy, g: &str| {
            count(&book.grading, g) as f64 / book.facts.loans.max(1) as f64
        };
        let chart = Chart::bars(
            "grades",
            "Grade distribution (share of loans)",
            grades.iter().map(|g| g.to_string()).collect(),
            "share of loans",
        )
        .bar_series(
            "bank",
            grades.iter().map(|g| share(&self.bank, g)).collect(),
        )?
        .bar_series(
            "defi",
            grades.iter().map(|g| share(&self.defi, g)).collect(),
        )?;
        let mode = |book: &BookStudy| {
            grades
                .iter()
                .copied()
                .max_by_key(|g| count(&book.grading, g))
                .unwrap_or("none")
        };
        let chart = chart.caption(format!(
            "Where each book's loans sit on the master scale, best grade on the left: the \
             further right a book's bars, the riskier its borrowers look to the lender. The \
             most common grade is {} for the bank and {} for DeFi.",
            mode(&self.bank),
            mode(&self.defi),
        ));
        s.chart(chart);

        let mut roc = Chart::line(
            "roc",
            "ROC: full information against borrower facts withheld",
            "false-positive rate",
            "true-positive rate",
        );
        for book in [&self.bank, &self.defi] {
            let g = &book.grading;
            for (what, curve, auc) in [
                ("full", &g.roc_full_information, g.auc_full_information),
                (
                    "withheld",
                    &g.roc_borrower_facts_withheld,
                    g.auc_borrower_facts_withheld,
                ),
            ] {
                // A book of one class has no ROC curve to draw.
                if let Some(a) = auc {
                    roc = roc.series(
                        format!("{} {what} (AUC {a:.2})", book.name),
                        curve.iter().map(|p| (p[0], p[1])).collect(),
                    )?;
                }
            }
        }
        roc = roc.series("chance", vec![(0.0, 0.0), (1.0, 1.0)])?;
        roc = roc.caption(
            "The more a curve bows towards the top left, the better the grades rank the \
             borrowers who default above those who do not; the diagonal is chance. The gap \
             between a book's full-information curve and its facts-withheld curve is what the \
             borrower facts are worth (AUCs in the legend).",
        );
        s.chart(roc);
        self.real_borrower_blocks(&mut s)?;
        Ok(s)
    }

    /// Claims 3 and 4 on real borrowers, beside the synthetic books.
    fn real_borrower_blocks(&self, s: &mut Section) -> Result<(), ReportError> {
        let r = &self.real_borrowers;
        let c = &r.comparison;
        s.text(format!(
            "Real borrowers: the synthetic books' defaults were drawn from the very card that \
             grades them, so the table above cannot tell whether grades rest on information. \
             The {} are graded by the scorecard workflow (docs/methodology/scorecard.md: \
             monotone binning, weights of evidence, logistic regression) three ways: with all \
             four factor groups (credit history, collateral, repayment capacity, cash flow), \
             without the credit history, and with only what an anonymous lender sees (the \
             loan's duration and amount, and the collateral). Every borrower is predicted \
             out of sample by a card fitted on the other folds ({} folds, the same for the \
             three sets); AUCs carry DeLong standard errors and their differences the paired \
             DeLong test. PDs are corrected to a population bad rate of {} ({}).",
            r.data,
            c.folds,
            param_pct(c.population_bad_rate),
            r.prior_source,
        ));
        let mut t = Table::new(
            "real-borrowers",
            "Real borrowers (German Credit): out-of-sample power of each factor set",
            [
                "factor set",
                "variables",
                "AUC ± DeLong SE",
                "KS",
                "PD, safest tenth",
                "PD, riskiest tenth",
                "spread",
            ],
        );
        for set in &c.sets {
            t.row([
                set.name.replace('_', " "),
                set.variables.len().to_string(),
                format!("{} ± {}", num(set.auc, 3), num(set.auc_std_error, 3)),
                num(set.ks, 3),
                pct(set.pd_spread.best_decile_pd),
                pct(set.pd_spread.worst_decile_pd),
                format!("{}x", num(set.pd_spread.ratio, 1)),
            ])?;
        }
        s.table(t);
        let mut roc = Chart::line(
            "real-borrowers-roc",
            "ROC of real borrowers, out of sample: each factor set",
            "false-positive rate",
            "true-positive rate",
        );
        for set in &c.sets {
            roc = roc.series(
                format!("{} (AUC {})", set.name.replace('_', " "), num(set.auc, 2)),
                set.roc
                    .iter()
                    .map(|p| (p.false_positive_rate, p.true_positive_rate))
                    .collect(),
            )?;
        }
        roc = roc.series("chance", vec![(0.0, 0.0), (1.0, 1.0)])?;
        roc = roc.caption(
            "One curve per factor set, on the same real borrowers scored out of sample: the \
             higher a curve, the better that set ranks the bad credits. The legend gives each \
             AUC; the DeLong tests below say which gaps are more than noise.",
        );
        s.chart(roc);
        let mut t = Table::new(
            "real-borrowers-tests",
            "Real borrowers: DeLong tests of the differences (same rows, same folds)",
            ["a", "b", "AUC a - b ± SE", "z", "p"],
        );
        for d in &c.differences {
            t.row([
                d.a.replace('_', " "),
                d.b.replace('_', " "),
                format!(
                    "{} ± {}",
                    num(d.test.difference, 3),
                    num(d.test.std_error, 3)
                ),
                num(d.test.z, 2),
                format!("{:.1e}", d.test.p_value),
            ])?;
        }
        s.table(t);
        Ok(())
    }

    fn diversification_section(&self) -> Result<Section, ReportError> {
        let mut s = Section::new(
            "diversification",
            "3. Diversification, in theory and in reality",
        );
        let d = &self.scenario.diversification;
        s.text(format!(
            "Claim 2: a bigger pool diversifies default risk away, unless defaults are \
             correlated. Default rate of a homogeneous pool with PD {}: its standard \
             deviation (exact) and 99.9% quantile against the number of loans, for each \
             asset correlation. Without correlation the risk shrinks like 1/sqrt(N); with \
             it, it stops at a floor that no pool size removes. * marks the large-pool \
             limit (N above 2,000).",
            pct(d.pd)
        ));
        let mut header = vec!["loans".to_string()];
        for rho in &d.rhos {
            header.push(format!("sd, rho {rho}"));
            header.push(format!("VaR 99.9%, rho {rho}"));
        }
        let mut t = Table::new(
            "diversification",
            "Default rate of a homogeneous pool",
            header,
        );
        let point = |n: usize, rho: f64| {
            self.diversification
                .points
                .iter()
                .find(|p| p.loans == n && p.rho == rho)
        };
        for &n in &d.sizes {
            let mut row = vec![count(n as u64)];
            for &rho in &d.rhos {
                match point(n, rho) {
                    Some(p) => {
                        let mark = if p.var_method == "large-pool limit" {
                            "*"
                        } else {
                            ""
                        };
                        row.push(pct(p.default_rate_sd));
                        row.push(format!("{}{mark}", pct(p.default_rate_var_999)));
                    }
                    None => row.extend(["n/a".to_string(), "n/a".to_string()]),
                }
            }
            t.row(row)?;
        }
        s.table(t);
        let mut sd = Chart::line(
            "diversification-sd",
            "Standard deviation of the default rate against pool size",
            "loans in the pool",
            "sd of the default rate",
        )
        .x_scale(Scale::Log10)
        .y_scale(Scale::Log10);
        let mut var = Chart::line(
            "diversification-var",
            "99.9% quantile of the default rate against pool size",
            "loans in the pool",
            "99.9% default rate",
        )
        .x_scale(Scale::Log10);
        for &rho in &d.rhos {
            let pts: Vec<_> = d.sizes.iter().filter_map(|&n| point(n, rho)).collect();
            sd = sd.series(
                format!("rho {rho}"),
                pts.iter()
                    .filter(|p| p.default_rate_sd > 0.0)
                    .map(|p| (p.loans as f64, p.default_rate_sd))
                    .collect(),
            )?;
            var = var.series(
                format!("rho {rho}"),
                pts.iter()
                    .map(|p| (p.loans as f64, p.default_rate_var_999))
                    .collect(),
            )?;
        }
        s.chart(sd.caption(
            "Log scales on both axes: a line falling at a slope of one half is risk that \
             diversifies away as the pool grows (independent defaults); a line that flattens \
             is correlated risk, which no pool size removes.",
        ));
        s.chart(var.caption(
            "Read the right end of each line: without correlation the 99.9% default rate \
             falls towards the mean PD as the pool grows; with correlation it levels off \
             above it, and the higher the correlation the higher the floor.",
        ));
        let dv = &self.diversification;
        s.text(format!(
            "At the bank book's own mean PD ({}) and asset correlation ({}), a pool of {} \
             loans has a 99.9% default-rate quantile of {} and a pool of {} loans {}: the \
             bigger pool removes {} of the unexpected tail (the quantile above the mean), \
             the figure claim 2 is judged on.",
            pct(dv.pd),
            dv.rho,
            count(crate::study::SMALL_POOL as u64),
            pct(dv.small_pool_var_999),
            count(crate::study::LARGE_POOL as u64),
            pct(dv.large_pool_var_999),
            pct(dv.diversified_share)
        ));
        Ok(s)
    }

    fn securitization_section(&self) -> Result<Section, ReportError> {
        let mut s = Section::new("securitization", "4. Securitization");
        s.text(crate::scenario::method_description(self.bank.loss.method));
        let (b, d) = (&self.bank.loss, &self.defi.loss);
        let mut t = Table::new(
            "loss",
            "One-year loss, fraction of exposure",
            ["", "bank", "defi"],
        );
        t.row([
            "asset correlation".into(),
            format!("{}", b.rho),
            format!("{}", d.rho),
        ])?;
        t.row([
            "expected loss".into(),
            pct(b.summary.expected_loss.value),
            pct(d.summary.expected_loss.value),
        ])?;
        t.row([
            "unexpected loss (sd)".into(),
            pct(b.summary.unexpected_loss.value),
            pct(d.summary.unexpected_loss.value),
        ])?;
        for (i, level) in creditlab_contagion::distribution::STANDARD_LEVELS
            .iter()
            .enumerate()
        {
            t.row([
                format!("VaR {}%", level * 100.0),
                pct(b.summary.var[i].estimate.value),
                pct(d.summary.var[i].estimate.value),
            ])?;
            t.row([
                format!("ES {}%", level * 100.0),
                pct(b.summary.es[i].estimate.value),
                pct(d.summary.es[i].estimate.value),
            ])?;
        }
        t.row([
            "VaR 99.9%, stressed correlation".into(),
            pct(b.stressed.var[1].estimate.value),
            pct(d.stressed.var[1].estimate.value),
        ])?;
        s.table(t);
        let mut chart = Chart::line(
            "loss-exceedance",
            "Probability that the one-year loss exceeds x",
            "loss, fraction of exposure",
            "P(L > x)",
        )
        .y_scale(Scale::Log10);
        for book in [&self.bank, &self.defi] {
            let l = &book.loss;
            for (label, curve) in [
                (format!("{} rho {}", book.name, l.rho), &l.exceedance),
                (
                    format!("{} rho {}", book.name, l.stress_rho),
                    &l.stressed_exceedance,
                ),
            ] {
                chart = chart.series(label, curve.iter().map(|p| (p[0], p[1])).collect())?;
            }
        }
        chart = chart.caption(format!(
            "The further right a curve reaches at a given probability, the heavier that tail \
             (the probability axis is logarithmic). Compare each book at its assumed \
             correlation with the same book at the stressed one: at the 99.9% level the bank's \
             loss moves from {} to {}, the DeFi book's from {} to {}.",
            pct(b.summary.var[1].estimate.value),
            pct(b.stressed.var[1].estimate.value),
            pct(d.summary.var[1].estimate.value),
            pct(d.stressed.var[1].estimate.value),
        ));
        s.chart(chart);
        s.text(TRANCHE_TEXT);
        for book in [&self.bank, &self.defi] {
            s.table(self.tranche_table(book)?);
        }
        let mut chart = Chart::bars(
            "tranche-default-probability",
            "Probability that each tranche of the bank pool loses anything",
            b.tranche_ratings
                .iter()
                .map(|r| format!("{}-{}%", percent_point(r.attach), percent_point(r.detach)))
                .collect(),
            "one-year P(loss)",
        );
        chart = chart.bar_series(
            format!("rho {}", b.rho),
            b.summary
                .tranches
                .iter()
                .map(|t| t.default_probability.value)
                .collect(),
        )?;
        chart = chart.bar_series(
            format!("rho {}", b.stress_rho),
            b.tranche_ratings
                .iter()
                .map(|r| r.stressed_default_probability)
                .collect(),
        )?;
        if let (Some(senior), Some(rating)) = (b.summary.tranches.last(), b.tranche_ratings.last())
        {
            chart = chart.caption(format!(
                "From the equity tranche on the left to the senior one on the right, the chance \
                 of any loss falls; compare the two bars of each tranche to see what the \
                 stressed correlation does to it. The senior tranche loses anything with \
                 probability {} at rho {} and {} at rho {}.",
                pct(senior.default_probability.value),
                b.rho,
                pct(rating.stressed_default_probability),
                b.stress_rho,
            ));
        }
        s.chart(chart);
        self.originate_blocks(&mut s)?;
        self.cdo_squared_blocks(&mut s)?;
        Ok(s)
    }

    /// Claim 1 over time: the bank that sells its loans against the bank that holds them.
    fn originate_blocks(&self, s: &mut Section) -> Result<(), ReportError> {
        let o = &self.originate;
        let spec = &self.scenario.originate;
        let (w, h) = (&o.with_securitization, &o.without);
        let years = o.quarters as f64 / 4.0;
        s.text(format!(
            "Originate to distribute (claim 1 over time, docs/methodology/originate.md): the \
             same bank over {} years, once holding its loans and once selling each quarter's \
             vintage as notes (keeping {} of every tranche), on {} paths of the credit cycle \
             that both banks share. Each lends what its capital (Basel IRB for loans held, \
             SEC-IRBA for what it keeps, at {} of risk-weighted assets), its cash and the \
             applications allow. Selling a vintage loosens screening: its PD rises by up to \
             {} when fully sold (Keys, Mukherjee, Seru and Vig 2010 measure 10-25%; the form \
             is an assumption) and with volume beyond the base standard. Investors learn from \
             the defaults they see, so spreads widen after losses; when the notes would cost \
             more than the loans pay, the bank holds the vintage. Figures are means over \
             the paths with their standard errors.",
            num(years, 0),
            param_pct(spec.securitization.retention),
            count(o.paths),
            param_pct(spec.bank.capital_target),
            param_pct(spec.underwriting.laxity),
        ));
        let m = |x: crate::rules::Measured, d: usize| {
            if x.se > 0.0 {
                format!("{} ± {}", num(x.value, d), num(x.se, d))
            } else {
                num(x.value, d)
            }
        };
        let p = |x: crate::rules::Measured| {
            if x.se > 0.0 {
                format!("{} ± {}", pct(x.value), pct(x.se))
            } else {
                pct(x.value)
            }
        };
        let mut t = Table::new(
            "originate",
            "Originate to distribute: the two banks over the horizon (money per 100 of \
             starting funding)",
            ["", "sells its notes", "holds its loans"],
        );
        t.row(["money lent".into(), m(w.originated, 1), m(h.originated, 1)])?;
        t.row(["share of it sold".into(), p(w.share_sold), p(h.share_sold)])?;
        t.row([
            "assets / equity at the end".into(),
            m(w.leverage_end, 2),
            m(h.leverage_end, 2),
        ])?;
        t.row([
            "equity / risk-weighted assets at the end".into(),
            p(w.capital_ratio_end),
            p(h.capital_ratio_end),
        ])?;
        t.row([
            "return on equity, a year".into(),
            p(w.return_on_equity),
            p(h.return_on_equity),
        ])?;
        t.row([
            "credit losses borne by the bank".into(),
            m(w.losses_bank, 2),
            m(h.losses_bank, 2),
        ])?;
        t.row([
            "credit losses borne by note investors".into(),
            m(w.losses_investors, 2),
            m(h.losses_investors, 2),
        ])?;
        t.row([
            "exposure the bank holds at the end".into(),
            m(w.exposure_bank, 1),
            m(h.exposure_bank, 1),
        ])?;
        t.row([
            "exposure investors hold at the end".into(),
            m(w.exposure_investors, 1),
            m(h.exposure_investors, 1),
        ])?;
        t.row([
            "lending, sells over holds".into(),
            m(o.ratio, 3),
            String::new(),
        ])?;
        t.row([
            "true PD of its loans, sells over holds".into(),
            m(o.pd_ratio, 3),
            String::new(),
        ])?;
        s.table(t);
        let mut t = Table::new(
            "originate-vintages",
            "True one-year PD and expected loss of each vintage year (volume weighted)",
            [
                "vintage year",
                "PD, sells",
                "PD, holds",
                "expected loss, sells",
                "expected loss, holds",
            ],
        );
        for (y, (a, b)) in w.pd_by_vintage.iter().zip(&h.pd_by_vintage).enumerate() {
            t.row([
                format!("{}", y + 1),
                p(*a),
                p(*b),
                pct(w.el_by_vintage[y]),
                pct(h.el_by_vintage[y]),
            ])?;
        }
        s.table(t);
        let quarters = |v: &[f64]| -> Vec<(f64, f64)> {
            v.iter()
                .enumerate()
                .map(|(q, &x)| ((q + 1) as f64, x))
                .collect()
        };
        let chart = Chart::line(
            "originate-lending",
            "Money lent each quarter (mean over paths)",
            "quarter",
            "money lent",
        )
        .series("sells its notes", quarters(&w.originated_by_quarter))?
        .series("holds its loans", quarters(&h.originated_by_quarter))?
        .caption(
            "The gap between the lines is the lending that selling the notes frees up each \
             quarter: the bank that sells recycles its capital into new loans, the bank that \
             holds waits for its loans to repay.",
        );
        s.chart(chart);
        let chart = Chart::line(
            "originate-leverage",
            "Assets over equity each quarter (mean over paths)",
            "quarter",
            "assets / equity",
        )
        .series("sells its notes", quarters(&w.leverage_by_quarter))?
        .series("holds its loans", quarters(&h.leverage_by_quarter))?
        .caption(
            "How many units of assets each unit of equity carries: a line that climbs is \
             leverage building up quarter by quarter, one that falls is a bank shrinking \
             towards its capital.",
        );
        s.chart(chart);
        let mut t = Table::new(
            "originate-cases",
            "What each assumption does: lending and loan quality, sells over holds",
            ["variant", "lending ratio", "PD ratio", "share sold"],
        );
        t.row([
            "the scenario".into(),
            m(o.ratio, 3),
            m(o.pd_ratio, 3),
            p(w.share_sold),
        ])?;
        for c in &o.cases {
            t.row([
                c.name.clone(),
                m(c.ratio, 3),
                m(c.pd_ratio, 3),
                p(c.share_sold),
            ])?;
        }
        s.table(t);
        s.text(format!(
            "Accuracy: the balance sheets balance to {} of assets in every quarter of every \
             path (cash and capital are conserved); the fair spreads are tabulated on a log \
             grid of PDs, within {} a year of the closed form.{}",
            format_args!("{:.0e}", o.max_imbalance.max(1e-16)),
            creditlab_report::format::bp(o.spread_table_error),
            if o.belief_clamped {
                " Investors' belief reached the tables' cap of a 95% PD on some paths."
            } else {
                ""
            },
        ));
        let d = &o.defi;
        s.text(format!(
            "The DeFi counterpart: a pool that lends against crypto collateral, whose \
             borrowing follows the collateral's price and whose deposits follow its supply \
             rate against an outside rate of {} and flee after bad debt (elasticities are \
             assumptions: none is published). Its lending ends at {} of the start (mean; \
             5-95% of paths {} to {}), deposits shrink in {} of quarters, and the price \
             explains {} of the spread of its final lending across paths. That last figure \
             holds by construction (borrowing follows the price here); what the model adds \
             is how deposits answer the rate and losses, and that rests on assumed \
             elasticities.",
            param_pct(spec.defi.outside_rate),
            p(d.growth),
            pct(*d.lending_p05.last().unwrap_or(&0.0)),
            pct(*d.lending_p95.last().unwrap_or(&0.0)),
            p(d.shrinking_quarters),
            pct(d.price_r2),
        ));
        let chart = Chart::line(
            "originate-defi",
            "DeFi pool lending each quarter, per unit lent at the start",
            "quarter",
            "lending",
        )
        .series("mean", quarters(&d.lending_by_quarter))?
        .series("5% of paths", quarters(&d.lending_p05))?
        .series("95% of paths", quarters(&d.lending_p95))?
        .caption(
            "The band between the 5% and the 95% lines is how far the pool's lending can move \
             on the collateral's price path; the mean line is where it ends on average. A \
             band that widens every quarter is lending that follows the price, not the \
             lender.",
        );
        s.chart(chart);
        Ok(())
    }

    /// The CDO squared against the same mezzanine exposures held directly.
    fn cdo_squared_blocks(&self, s: &mut Section) -> Result<(), ReportError> {
        let c = &self.cdo_squared;
        let p = &c.params;
        s.text(format!(
            "Re-securitization: the {}-{}% mezzanine tranches of {} pools of {} loans \
             (PD {} over {} years, LGD {}, one common factor) pooled and tranched again, \
             against the same exposures held directly, at the bank book's assumed and \
             stressed correlations ({} Monte Carlo scenarios). Ratings are on the master \
             scale of the annualized P(loss).",
            percent_point(p.mezzanine_attach),
            percent_point(p.mezzanine_detach),
            p.pools,
            p.names,
            param_pct(p.pd),
            p.horizon,
            param_pct(p.lgd),
            p.scenarios
        ));
        let mut header = vec!["note".to_string()];
        for r in &c.by_rho {
            header.push(format!("EL, rho {}", r.rho));
            header.push(format!("P(loss), rho {}", r.rho));
            header.push(format!("rating, rho {}", r.rho));
        }
        let mut t = Table::new("cdo-squared", "The CDO squared", header);
        let Some(first) = c.by_rho.first() else {
            return Ok(());
        };
        let rows = 2 + first.outer.len();
        fn note(r: &creditlab_pool::resec::CdoSquaredAtRho, i: usize) -> &RatedNote {
            match i {
                0 => &r.single_mezzanine,
                1 => &r.mezzanine_held_directly,
                k => &r.outer[k - 2],
            }
        }
        let label = |i: usize| match i {
            0 => "one mezzanine tranche".to_string(),
            1 => "all mezzanines, held directly".to_string(),
            k => {
                let n = &first.outer[k - 2];
                format!(
                    "CDO squared {} ({}-{}%)",
                    n.name,
                    percent_point(n.attach),
                    percent_point(n.detach)
                )
            }
        };
        let mut chart = Chart::bars(
            "cdo-squared",
            "Re-tranching concentrates correlation risk: P(loss) of each note",
            (0..rows).map(label).collect(),
            "P(loss) over the horizon",
        );
        for i in 0..rows {
            let mut row = vec![label(i)];
            for r in &c.by_rho {
                let n = note(r, i);
                row.extend([
                    pct(n.expected_loss),
                    pct(n.default_probability),
                    n.rating.as_str().to_string(),
                ]);
            }
            t.row(row)?;
        }
        for r in &c.by_rho {
            chart = chart.bar_series(
                format!("rho {}", r.rho),
                (0..rows).map(|i| note(r, i).default_probability).collect(),
            )?;
        }
        s.table(t);
        s.chart(chart.caption(
            "One group per note, one bar per correlation: the more a note's bar grows from \
             the lower correlation to the higher, the more of its risk is correlation risk, \
             which re-tranching concentrates in the notes cut from mezzanine tranches.",
        ));
        Ok(())
    }

    fn tranche_table(&self, book: &BookStudy) -> Result<Table, ReportError> {
        let loss = &book.loss;
        let mut t = Table::new(
            format!("tranches-{}", book.name),
            format!("The {} book, tranched", book.name),
            [
                "tranche".to_string(),
                "EL".into(),
                "P(loss)".into(),
                "rating".into(),
                format!("P(loss), rho {}", loss.stress_rho),
                format!("rating, rho {}", loss.stress_rho),
                "SSFA risk weight".into(),
            ],
        );
        for (e, r) in loss.summary.tranches.iter().zip(&loss.tranche_ratings) {
            t.row([
                format!("{}-{}%", percent_point(r.attach), percent_point(r.detach)),
                pct(e.expected_loss.value),
                pct(e.default_probability.value),
                r.rating.to_string(),
                pct(r.stressed_default_probability),
                r.stressed_rating.to_string(),
                format!("{:.0}%", r.risk_weight * 100.0),
            ])?;
        }
        Ok(t)
    }

    fn defi_pool_section(&self) -> Result<Option<Section>, ReportError> {
        let p = &self.scenario.defi_pool;
        let study = &self.defi_pool;
        let mut s = Section::new("defi-pool", "5. The DeFi pool");
        let assets: Vec<String> = p
            .assets
            .iter()
            .map(|a| {
                format!(
                    "{} ({} of the loans; LTV {}, liquidation threshold {}, bonus {}; \
                     volatility {})",
                    a.name,
                    param_pct(p.asset_shares.get(&a.name).copied().unwrap_or(0.0)),
                    param_pct(a.ltv),
                    param_pct(a.liquidation_threshold),
                    param_pct(a.liquidation_bonus),
                    param_pct(a.volatility)
                )
            })
            .collect();
        let crash_days = p.market.crash_days.as_ref().map_or(0.0, |c| c.per_year);
        let random = p.market.random_shock.as_ref().map_or(0.0, |r| r.per_year);
        s.text(format!(
            "The DeFi book run as an Aave v3 lending pool: every loan becomes a position on \
             its collateral asset, {}, with Aave v3's Ethereum parameters of 31 October 2023. \
             Over one year of {}-hour steps the assets' prices diffuse (correlated), fall \
             together on crash days ({} a year, the frequency of 10% daily falls of BTC or ETH \
             in 2017-2024), and the March-2020 crash strikes at a random hour at the \
             frequency it had in that sample ({} a year). The oracle reads the reference \
             price {} hours late; positions below a health factor of 1 are liquidated by \
             liquidators repaying at most {} of the debt per hour, who sell the seized \
             collateral into constant-product markets. Bad debt beyond the {} first-loss \
             reserve is booked as a deficit (Aave v3.3): depositors withdraw at par while \
             the cash lasts, the last out bear it. Deposits are the debt at {} \
             utilization; {} of them belong to depositors who run when the deficit reaches \
             their threshold. The loss counted is the bad debt booked plus the shortfall of \
             positions still open at the year's end. {} paths; the 96-hour March-2020 crash \
             is a separate stress ({} paths), normal and congested ({} of the debt per hour, \
             oracle {} hours stale).",
            assets.join(" and "),
            num(p.market.step_hours, 2),
            num(crash_days, 2),
            num(random, 3),
            num(p.market.oracle_delay_hours, 2),
            p.liquidation
                .capacity_per_hour
                .map_or_else(|| "unlimited amounts".to_string(), param_pct),
            param_pct(p.pool.initial_reserve),
            param_pct(p.pool.initial_utilization),
            param_pct(p.runs.run_prone_share),
            count(p.paths),
            count(p.stress.paths),
            param_pct(p.stress.congested_capacity_per_hour),
            num(p.stress.congested_oracle_delay_hours, 1),
        ));
        let settings = [
            ("one year", &study.year),
            ("March 2020 (96 h)", &study.crash),
            ("March 2020, congested", &study.congested),
        ];
        let mut header = vec!["per path".to_string()];
        header.extend(settings.iter().map(|(n, _)| n.to_string()));
        let mut t = Table::new(
            "defi-pool",
            "The lending pool: the year and the stresses",
            header,
        );
        type Fig = (&'static str, fn(&DefiSimResult) -> String);
        let rows: [Fig; 15] = [
            ("loss, mean (per unit lent)", |r| {
                format!("{} ± {}", pct(r.loss.mean), pct(r.loss.se.mean))
            }),
            ("loss, 99%", |r| pct(r.loss.p99)),
            ("loss, 99.9%", |r| pct(r.loss.p999)),
            ("of which open at the end, mean", |r| {
                pct(r.open_shortfall.mean)
            }),
            ("paths with a loss", |r| pct(r.loss.prob_positive)),
            ("paths the 99.9% rests on", |r| {
                r.loss.tail_paths.to_string()
            }),
            ("depositors' loss (marked), mean", |r| {
                pct(r.depositor_loss_marked.mean)
            }),
            ("P(depositors lose anything)", |r| {
                pct(r.depositor_loss_marked.prob_positive)
            }),
            ("loss of depositors left at the end, 99.9%", |r| {
                pct(r.remaining_depositor_loss.p999)
            }),
            ("depositors' return, mean", |r| pct(r.depositor_return.mean)),
            ("supply rate, mean", |r| pct(r.mean_supply_rate.mean)),
            ("liquidated debt, mean", |r| pct(r.liquidation_volume.mean)),
            ("hours from first shock to first loss, median", |r| {
                r.hours_from_first_shock_to_loss
                    .as_ref()
                    .map_or_else(|| "no loss".to_string(), |d| num(d.p50, 0))
            }),
            ("paths with withdrawal requests", |r| {
                pct(r.share_of_paths_with_withdrawals)
            }),
            ("withdrawals not met, mean", |r| {
                pct(r.unmet_withdrawals.mean)
            }),
        ];
        for (name, f) in rows {
            let mut row = vec![name.to_string()];
            row.extend(settings.iter().map(|(_, r)| f(r)));
            t.row(row)?;
        }
        s.table(t);
        let mut chart = Chart::bars(
            "defi-pool-losses",
            "Loss per unit lent: mean, 99% and 99.9% over paths",
            settings.iter().map(|(n, _)| n.to_string()).collect(),
            "loss / debt",
        );
        type Q = (&'static str, fn(&DefiSimResult) -> f64);
        let quantiles: [Q; 3] = [
            ("mean", |r| r.loss.mean),
            ("99%", |r| r.loss.p99),
            ("99.9%", |r| r.loss.p999),
        ];
        for (name, f) in quantiles {
            chart = chart.bar_series(name, settings.iter().map(|(_, r)| f(r)).collect())?;
        }
        chart = chart.caption(
            "One group per setting of the pool, one bar per statistic over the paths: the \
             gap between the mean bar and the 99% and 99.9% bars is the tail that the average \
             hides.",
        );
        s.chart(chart);
        let year = &study.year;
        let loan_el = self.defi.loss.summary.expected_loss.value;
        s.text(format!(
            "Section 4's loan model of the same book, a one-factor copula that counts a DeFi \
             default whenever a position's collateral could fall short of its debt, puts its \
             one-year expected loss at {}; the pool simulation, with liquidations on price \
             paths, at {} ± {}.",
            pct(loan_el),
            pct(year.loss.mean),
            pct(year.loss.se.mean)
        ));

        for (id, what, r) in [
            ("crash", "March 2020", &study.crash),
            ("congested", "March 2020, congested", &study.congested),
        ] {
            let series = &r.series;
            if series.hour.is_empty() {
                continue;
            }
            s.text(format!(
                "{what}, step by step: path {} of the seed's streams, the path with the \
                 median loss.",
                series.path
            ));
            let mut prices = Chart::line(
                format!("defi-{id}-prices"),
                format!("{what}: market and oracle prices"),
                "hour",
                "price / price at hour 0",
            );
            for (k, asset) in p.assets.iter().enumerate() {
                if let (Some(m), Some(o)) = (series.market_price.get(k), series.oracle_price.get(k))
                {
                    let p0 = m.first().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
                    let rel = |v: &[f64]| v.iter().map(|x| x / p0).collect::<Vec<f64>>();
                    prices = prices
                        .series(format!("{} market", asset.name), zip(&series.hour, &rel(m)))?;
                    prices = prices
                        .series(format!("{} oracle", asset.name), zip(&series.hour, &rel(o)))?;
                }
            }
            s.chart(prices.caption(
                "Each asset's market price and the price the pool's oracle reports, relative \
                 to hour 0: where the oracle line lags the market line the pool liquidates \
                 late, at prices already gone; the depth of the fall is the crash.",
            ));
            let cumulative: Vec<f64> = series
                .liquidations
                .iter()
                .scan(0.0, |acc, x| {
                    *acc += x;
                    Some(*acc)
                })
                .collect();
            let paid: Vec<f64> = series
                .withdrawals_met
                .iter()
                .scan(0.0, |acc, x| {
                    *acc += x;
                    Some(*acc)
                })
                .collect();
            let cascade = Chart::step(
                format!("defi-{id}-cascade"),
                format!("{what}: the liquidation cascade"),
                "hour",
                "fraction of debt / of deposits",
            )
            .series(
                "liquidated debt, cumulative",
                zip(&series.hour, &cumulative),
            )?
            .series(
                "bad debt, cumulative",
                zip(&series.hour, &series.cumulative_bad_debt),
            )?
            .series("utilization", zip(&series.hour, &series.utilization))?
            .series(
                "withdrawal requests outstanding",
                zip(&series.hour, &series.withdrawals_wanted),
            )?
            .series("withdrawals paid, cumulative", zip(&series.hour, &paid))?
            .caption(
                "Read the order of events: liquidations first, bad debt where they fall \
                 behind the price; withdrawal requests rise with utilization, and the gap \
                 between requests and what is paid is depositors who cannot get out.",
            );
            s.chart(cascade);
            // What the depositors are paid through the crash: the supply rate follows the
            // utilization the liquidations and withdrawals move.
            let rate = Chart::line(
                format!("defi-{id}-supply-rate"),
                format!("{what}: the depositors' supply rate (a year)"),
                "hour",
                "supply rate a year",
            )
            .series("supply rate", zip(&series.hour, &series.supply_rate))?
            .caption(
                "The depositors' rate follows the pool's utilization: a spike is the pool \
                 paying more to keep deposits while liquidations and withdrawals drain it.",
            );
            s.chart(rate);
        }
        Ok(Some(s))
    }

    fn contagion_section(&self) -> Result<Section, ReportError> {
        let mut s = Section::new("contagion", "6. Contagion");
        let c = &self.scenario.contagion;
        s.text(format!(
            "The chain reaction between institutions. Each book's loss is a shock to the \
             institutions holding its securities, and their shortfall a shock to their \
             creditors, cleared by Eisenberg-Noe's fictitious default algorithm. Bank side: \
             one institution holds each tranche of the bank pool as {} of its assets and \
             owes {} of its debt to the other holders, once with {} equity (2007 leverage) \
             and once with Basel capital (SEC-SA on the tranche, 8% on the rest). DeFi side: \
             {} protocols hold {} of the lending pool's shares as {} of their assets, with \
             {} equity; the pool passes bad debt to its depositors pro rata. Figures per \
             unit of the book's principal (DeFi side: of the pool's deposits). Shocks: the \
             book's one-year expected loss (EL) and 99.9% VaR at the assumed and the \
             stressed correlation (section 4); on the DeFi side the simulated pool's \
             depositor loss (section 5: the year's mean and 99.9% quantile, and the 99.9% \
             quantile of the March-2020 crash and of the congested crash).",
            param_pct(c.holding_share),
            param_pct(c.interbank_share),
            param_pct(c.thin_equity),
            c.protocols,
            param_pct(c.protocol_deposit_share),
            param_pct(c.holding_share),
            param_pct(c.protocol_equity),
        ));
        for n in &self.contagion {
            s.table(network_table(n)?);
            if n.shocks.is_empty() {
                continue;
            }
            // Where each shock's loss ends: with the institutions' owners (equity) or with
            // their outside creditors (depositors, bondholders, end users).
            let chart = Chart::bars(
                format!("contagion-chart-{}", slug(&n.side)),
                format!("Who bears each shock: {}", n.side),
                n.shocks.iter().map(|s| s.label.clone()).collect(),
                if n.side == "defi" {
                    "per unit of the pool's deposits"
                } else {
                    "per unit of the book's principal"
                },
            )
            .bar_series(
                "equity lost",
                n.shocks.iter().map(|s| s.equity_lost).collect(),
            )?
            .bar_series(
                "outside creditors lose",
                n.shocks.iter().map(|s| s.outside_creditor_loss).collect(),
            )?
            .caption(
                "For each shock, how its loss splits between the institutions' owners and \
                 their outside creditors: a second bar above zero is a loss that went \
                 through the equity and on to creditors.",
            );
            s.chart(chart);
        }
        crate::render_chain::blocks(&self.chain, &mut s)?;
        Ok(s)
    }
}

fn network_table(n: &NetworkStudy) -> Result<Table, ReportError> {
    let mut t = Table::new(
        format!("contagion-{}", slug(&n.side)),
        format!("Clearing network: {}", n.side),
        [
            "shock",
            "book loss",
            "in default",
            "by contagion",
            "rounds",
            "equity lost",
            "outside creditors lose",
        ],
    );
    for s in &n.shocks {
        t.row([
            s.label.clone(),
            pct(s.book_loss),
            if s.defaulted.is_empty() {
                "none".to_string()
            } else {
                s.defaulted.join(", ")
            },
            s.contagious_defaults.to_string(),
            s.rounds.to_string(),
            pct(s.equity_lost),
            pct(s.outside_creditor_loss),
        ])?;
    }
    Ok(t)
}
