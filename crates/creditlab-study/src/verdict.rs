//! Section 7: the verdict. One table of bank against DeFi per unit of money lent, each row
//! one horizon and one seniority defined the same way on both sides, every figure with its
//! uncertainty; the stresses apart; and one ruling per claim of the thesis, by the rules of
//! [docs/methodology/verdict.md](crate::methodology::verdict) ([`crate::rules`]).

use crate::contagion::NetworkStudy;
use crate::defi_pool::DefiPoolStudy;
use crate::rules::{self, Judgement, Measured, Ruling};
use crate::scenario::Scenario;
use crate::study::{BookStudy, DiversificationStudy, Securitization, Study};
use creditlab_contagion::Estimate;
use creditlab_defi::stats::Distribution;
use creditlab_report::{ReportError, Section, Table, format::pct};
use serde::Serialize;

/// Hours in a month, for the bank's foreclosure timeline.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// What the verdict judges: every stage's result, before the study is assembled.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The scenario that produced it.
    pub scenario: &'a Scenario,
    /// The bank book.
    pub bank: &'a BookStudy,
    /// The DeFi book through the loan model (its facts and grades).
    pub defi: &'a BookStudy,
    /// The diversification study.
    pub diversification: &'a DiversificationStudy,
    /// The bank's securitization economics.
    pub securitization: &'a Securitization,
    /// The DeFi book as a simulated lending pool.
    pub defi_pool: &'a DefiPoolStudy,
    /// Claim 1 over time: lending with and without securitization.
    pub originate: &'a crate::originate::OriginateStudy,
    /// The clearing networks.
    pub contagion: &'a [NetworkStudy],
    /// Claim 2 over time: the chain reaction and its map.
    pub chain: &'a crate::chain::ChainStudy,
    /// Claims 3 and 4 on real borrowers (German Credit).
    pub real: &'a RealBorrowers,
}

use crate::real_borrowers::{ALL_FOUR, ANONYMOUS, RealBorrowers, WITHOUT_HISTORY};

/// A factor set's out-of-sample AUC on real borrowers with its DeLong standard error (no
/// evidence either way, an infinite error, when the set is missing).
fn real_auc(r: &RealBorrowers, set: &str) -> Measured {
    r.set(set).map_or(Measured::new(0.5, f64::INFINITY), |s| {
        Measured::new(s.auc, s.auc_std_error)
    })
}

/// `AUC(a) - AUC(b)` on real borrowers with its paired DeLong standard error.
fn real_fall(r: &RealBorrowers, a: &str, b: &str) -> Measured {
    r.difference(a, b)
        .map_or(Measured::new(0.0, f64::INFINITY), |d| {
            Measured::new(d.difference, d.std_error)
        })
}

/// One side of the like-for-like table, per unit of money lent, over one year unless
/// stated.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// How the side's loss is computed, in words.
    pub loss_model: String,
    /// Expected loss of the pool as a whole (all lenders pari passu).
    pub expected_loss: Measured,
    /// 99.9% VaR of the pool's loss.
    pub var_999: Measured,
    /// 99.9% expected shortfall of the pool's loss.
    pub es_999: Measured,
    /// Probability the pool loses anything.
    pub loss_probability: Measured,
    /// Expected loss over the loans' life (bank: the cash-flow projection's lifetime losses,
    /// prepayment included; DeFi: the year's, the loans being one-year loans).
    pub lifetime_expected_loss: Measured,
    /// The most senior claim: what stands below it, per unit lent (bank: the senior
    /// tranche's attachment; DeFi: the first-loss reserve under the depositors).
    pub senior_protection: f64,
    /// Probability the most senior claim loses anything.
    pub senior_loss_probability: Measured,
    /// Expected loss of the most senior claim, per unit of that claim.
    pub senior_expected_loss: Measured,
    /// Borrowers' equity in the collateral, `1 - LTV`, principal-weighted: how far the
    /// collateral can fall before it stops covering the debt.
    pub borrower_equity: f64,
    /// The fall from the liquidation threshold to insolvency after the bonus,
    /// `1 - LT (1 + bonus)`, principal-weighted (`None` for the bank: no liquidation).
    pub liquidation_buffer: Option<f64>,
    /// Basel IRB capital per unit of exposure (DeFi: the IRB-equivalent of its own PDs and
    /// LGDs).
    pub capital: f64,
    /// What the most senior lender is paid a year (bank: the notes' coupon; DeFi: the
    /// depositors' mean supply rate).
    pub lender_rate: Measured,
    /// Hours from the first shock to the first loss.
    pub hours_to_loss: Measured,
    /// How the time to loss is measured.
    pub time_to_loss_basis: String,
    /// LGD from the collateral alone, exposure-weighted.
    pub collateral_lgd: f64,
    /// Recourse recovery per unit of exposure, shown apart.
    pub recourse_recovery: f64,
    /// Paths the 99.9% figures rest on (`None` for an analytic method).
    pub tail_paths: Option<usize>,
}

/// One stress beside the year: its loss per unit lent and who loses.
#[derive(Debug, Clone, Serialize)]
pub struct Stress {
    /// The stress.
    pub setting: String,
    /// Expected loss.
    pub expected_loss: Measured,
    /// 99.9% VaR.
    pub var_999: Measured,
    /// Probability of any loss.
    pub loss_probability: Measured,
    /// Probability the most senior claim loses.
    pub senior_loss_probability: Measured,
}

/// One claim of the thesis and what the numbers say of it.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// Its number in the thesis (1 to 8).
    pub number: u8,
    /// The claim.
    pub claim: &'static str,
    /// The judgement, its sentence and the numbers it cites.
    pub ruling: Ruling,
    /// Where the judgement changes along the parameter it depends on most (filled by the
    /// flip-point search; `None` when not searched).
    pub flip: Option<crate::flips::FlipPoint>,
}

impl Claim {
    /// The judgement.
    pub fn judgement(&self) -> Judgement {
        self.ruling.judgement
    }
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The bank book, securitized.
    pub bank: Side,
    /// The DeFi book as the simulated lending pool over a year with crash days.
    pub defi: Side,
    /// The stresses: the bank at its stressed correlation, the DeFi pool through the
    /// 96-hour March-2020 crash and through it congested.
    pub stresses: Vec<Stress>,
    /// Claim by claim.
    pub claims: Vec<Claim>,
}

/// An AUC and its standard error as a measured figure; without them (a book of one class),
/// chance with an infinite standard error.
fn auc_of(auc: Option<f64>, se: Option<f64>) -> Measured {
    match (auc, se) {
        (Some(a), Some(s)) => Measured::new(a, s),
        _ => Measured::new(0.5, f64::INFINITY),
    }
}

/// A loss-distribution estimate as a measured figure: its standard error (simulation), or
/// half its error bound (analytic methods report their accuracy).
pub fn measured(e: Estimate) -> Measured {
    Measured::new(e.value, e.std_error.unwrap_or(0.0))
}

/// The mean of a per-path figure.
fn mean_of(d: &Distribution) -> Measured {
    Measured::new(d.mean, d.se.mean)
}

/// The 99.9% quantile of a per-path figure.
fn p999_of(d: &Distribution) -> Measured {
    Measured::new(d.p999, d.se.p999)
}

/// The 99.9% expected shortfall of a per-path figure (an infinite standard error when it
/// rests on fewer than two paths).
fn es999_of(d: &Distribution) -> Measured {
    Measured::new(d.es999, d.se.es999.unwrap_or(f64::INFINITY))
}

/// P(value > 0) of a per-path figure, with the Agresti-Coull standard error.
fn positive_of(d: &Distribution) -> Measured {
    let n = d.n as u64;
    Measured::proportion((d.prob_positive * n as f64).round() as u64, n)
}

/// Principal-weighted `1 - LTV` and `1 - LT (1 + bonus)` of a DeFi book's loans on the
/// pool's assets.
fn defi_buffers(e: &Evidence<'_>) -> (f64, f64) {
    let assets = &e.scenario.defi_pool.assets;
    let ltv = e.defi.facts.weighted_average_ltv.unwrap_or(0.0);
    let total: f64 = e.scenario.defi_pool.asset_shares.values().sum();
    let liquidation = assets
        .iter()
        .map(|a| {
            let w = e
                .scenario
                .defi_pool
                .asset_shares
                .get(&a.name)
                .copied()
                .unwrap_or(0.0);
            w * (1.0 - a.liquidation_threshold * (1.0 + a.liquidation_bonus))
        })
        .sum::<f64>()
        / total.max(f64::MIN_POSITIVE);
    (1.0 - ltv, liquidation)
}

/// The verdict on the study's evidence.
pub fn verdict(e: &Evidence<'_>) -> Verdict {
    let (b, d) = (e.bank, e.defi);
    let pool = &e.defi_pool.year;
    let bank_loss = &b.loss.summary;
    let senior = bank_loss.tranches.last();
    let months = e.scenario.bank.mortgage_loss.foreclosure.months;
    let first_loss_month = b
        .cashflows
        .losses()
        .iter()
        .position(|&l| l > 0.0)
        .map_or(f64::from(months) + 1.0, |m| (m + 1) as f64);
    let bank = Side {
        loss_model: format!(
            "the bank book's one-year loss ({}), each loan's LGD from its house at the sale \
             (the index moves with the default factor), net of recourse",
            crate::scenario::method_description(b.loss.method)
        ),
        expected_loss: measured(bank_loss.expected_loss),
        var_999: measured(bank_loss.var[1].estimate),
        es_999: measured(bank_loss.es[1].estimate),
        loss_probability: Measured::exact(b.loss.any_loss_probability),
        // The projection's lifetime losses: defaults at the scenario's SDA curve over the
        // loans' life, shortened by prepayment, at the mortgage loss model's severity.
        lifetime_expected_loss: Measured::exact(
            b.cashflow_totals.losses / b.facts.total_principal.max(f64::MIN_POSITIVE),
        ),
        senior_protection: senior.map_or(0.0, |t| t.tranche.attach()),
        senior_loss_probability: senior
            .map_or(Measured::exact(0.0), |t| measured(t.default_probability)),
        senior_expected_loss: senior.map_or(Measured::exact(0.0), |t| measured(t.expected_loss)),
        borrower_equity: 1.0 - b.facts.weighted_average_ltv.unwrap_or(0.0),
        liquidation_buffer: None,
        capital: b.grading.capital_rate,
        lender_rate: Measured::exact(e.securitization.note_coupon),
        hours_to_loss: Measured::exact(first_loss_month * HOURS_PER_MONTH),
        time_to_loss_basis: format!(
            "first month with a loss in the cash flows: defaults from month 1, sold after \
             {months} months of foreclosure"
        ),
        collateral_lgd: b.grading.mean_collateral_lgd,
        recourse_recovery: b.grading.mean_recourse_recovery,
        tail_paths: None,
    };
    let (equity, liquidation) = defi_buffers(e);
    let hours = pool
        .hours_from_first_shock_to_loss
        .as_ref()
        .map_or(Measured::new(f64::INFINITY, 0.0), |t| {
            Measured::new(t.p50, t.se.p50)
        });
    let defi = Side {
        loss_model: format!(
            "the DeFi pool's simulated year ({} paths, crash days and the random March 2020 \
             included): bad debt booked plus the shortfall of positions still open at the \
             year's end",
            pool.paths
        ),
        expected_loss: mean_of(&pool.loss),
        var_999: p999_of(&pool.loss),
        es_999: es999_of(&pool.loss),
        loss_probability: positive_of(&pool.loss),
        lifetime_expected_loss: mean_of(&pool.loss),
        senior_protection: e.scenario.defi_pool.pool.initial_reserve,
        senior_loss_probability: positive_of(&pool.depositor_loss_marked),
        senior_expected_loss: mean_of(&pool.depositor_loss_marked),
        borrower_equity: equity,
        liquidation_buffer: Some(liquidation),
        capital: d.grading.capital_rate,
        lender_rate: mean_of(&pool.mean_supply_rate),
        hours_to_loss: hours,
        time_to_loss_basis: "median hours from a path's first price shock to its first loss, \
                             over the paths with a loss"
            .into(),
        collateral_lgd: d.grading.mean_collateral_lgd,
        recourse_recovery: d.grading.mean_recourse_recovery,
        tail_paths: Some(pool.loss.tail_paths),
    };
    let stressed = &b.loss.stressed;
    let mut stresses = vec![Stress {
        setting: format!("bank, rho {}", b.loss.stress_rho),
        expected_loss: measured(stressed.expected_loss),
        var_999: measured(stressed.var[1].estimate),
        // P(L > 0) at the stressed correlation: the first-loss tranche's loss probability
        // when the structure starts at 0 (it always does: the tranches tile [0, 1]).
        loss_probability: stressed
            .tranches
            .first()
            .map_or(Measured::exact(0.0), |t| measured(t.default_probability)),
        senior_loss_probability: stressed
            .tranches
            .last()
            .map_or(Measured::exact(0.0), |t| measured(t.default_probability)),
    }];
    for (setting, r) in [
        ("defi pool, March 2020 (96 h)", &e.defi_pool.crash),
        ("defi pool, March 2020, congested", &e.defi_pool.congested),
    ] {
        stresses.push(Stress {
            setting: setting.into(),
            expected_loss: mean_of(&r.loss),
            var_999: p999_of(&r.loss),
            loss_probability: positive_of(&r.loss),
            senior_loss_probability: positive_of(&r.depositor_loss_marked),
        });
    }
    let claims = claims(e, &bank, &defi);
    Verdict {
        bank,
        defi,
        stresses,
        claims,
    }
}

/// The evidence of each claim, ruled by [`crate::rules`].
fn claims(e: &Evidence<'_>, bank: &Side, defi: &Side) -> Vec<Claim> {
    let (b, d) = (e.bank, e.defi);
    let pool = &e.defi_pool.year;
    let claim = |number: u8, claim: &'static str, ruling: Ruling| Claim {
        number,
        claim,
        ruling,
        flip: None,
    };
    let tail_ratio = |es: Measured, el: Measured| es.ratio(el);
    let own = d.grading.own_data.as_ref();
    // Without an own-data fit (a book of one class), the pooled default rate of the book.
    let pooled = Measured::proportion(d.grading.defaults as u64, d.facts.loans as u64);
    let defi_pd = own.map_or(pooled, |r| {
        let c = &r.collateral_model.calibration;
        // The mean PD of the out-of-sample loans, with the binomial spread of their mean.
        Measured::new(
            c.mean_pd,
            (c.mean_pd * (1.0 - c.mean_pd) / c.loans.max(1) as f64).sqrt(),
        )
    });
    let bank_pd = Measured::new(
        b.grading.mean_pd,
        (b.grading.mean_pd * (1.0 - b.grading.mean_pd) / b.facts.loans.max(1) as f64).sqrt(),
    );
    vec![
        claim(
            1,
            "Securitization turns illiquid loans into liquid securities, so a bank can raise \
             cash and lend more.",
            rules::claim1(&rules::Claim1 {
                lending_ratio: e.originate.ratio,
                pd_ratio: e.originate.pd_ratio,
                years: e.originate.quarters as f64 / 4.0,
                retention: e.scenario.originate.securitization.retention,
            }),
        ),
        claim(
            2,
            "In theory a bigger pool lowers risk; in reality correlated defaults start a \
             chain reaction.",
            rules::claim2(&rules::Claim2 {
                diversified_share: Measured::exact(e.diversification.diversified_share),
                rho: e.diversification.rho,
                second_failures: e.chain.bank.plausible_second_failures.0,
                plausible_points: e.chain.bank.plausible_second_failures.1,
                amplification: e.chain.bank.central().outcome.amplification.unwrap_or(1.0),
            }),
        ),
        claim(
            3,
            "A security is as good as its default-rate estimate, which rests on credit \
             history, collateral, repayment capacity and cash flow.",
            rules::claim3(&rules::Claim3 {
                // A book of one class has no AUC: the rule then sees no evidence either
                // way (an infinite standard error).
                auc_full: auc_of(
                    b.grading.auc_full_information,
                    b.grading.auc_full_information_se,
                ),
                auc_withheld: auc_of(
                    b.grading.auc_borrower_facts_withheld,
                    b.grading.auc_borrower_facts_withheld_se,
                ),
                real_full: real_auc(e.real, ALL_FOUR),
                real_anonymous: real_auc(e.real, ANONYMOUS),
                real_fall: real_fall(e.real, ALL_FOUR, ANONYMOUS),
                real_history_fall: real_fall(e.real, ALL_FOUR, WITHOUT_HISTORY),
            }),
        ),
        claim(
            4,
            "DeFi lends without the borrower's financial background, so its loan grade is \
             low by construction.",
            rules::claim4(&rules::Claim4 {
                defi_pd,
                bank_pd,
                defi_el: defi.expected_loss,
                bank_el: bank.expected_loss,
                real_fall: real_fall(e.real, ALL_FOUR, ANONYMOUS),
                anonymous_spread: e.real.set(ANONYMOUS).map_or(1.0, |s| s.pd_spread.ratio),
                full_spread: e.real.set(ALL_FOUR).map_or(1.0, |s| s.pd_spread.ratio),
            }),
        ),
        claim(
            5,
            "DeFi pools are open to anyone who can get in and out quickly, which makes \
             sustained management hard (runs).",
            rules::claim5(&rules::Claim5 {
                p_stall: positive_of(&pool.unmet_withdrawals),
                unmet_share: {
                    let u = &pool.unmet_withdrawals;
                    if u.prob_positive > 0.0 {
                        Measured::new(u.mean / u.prob_positive, u.se.mean / u.prob_positive)
                    } else {
                        Measured::exact(0.0)
                    }
                },
            }),
        ),
        claim(
            6,
            "DeFi resembles subprime mortgage-backed securities: repackaged bad loans sold \
             for liquidity.",
            rules::claim6(&rules::Claim6 {
                defi_history_known: Measured::exact(d.facts.credit_history_known_share),
                defi_tail_ratio: tail_ratio(defi.es_999, defi.expected_loss),
                bank_tail_ratio: tail_ratio(bank.es_999, bank.expected_loss),
                defi_low_grade_share: Measured::exact(
                    d.grading.own_data_low_grade_share.unwrap_or(0.0),
                ),
                defi_senior_loss: defi.senior_loss_probability,
                bank_senior_loss: bank.senior_loss_probability,
                defi_tranched: false,
            }),
        ),
        claim(
            7,
            "DeFi speeds up cash flows but does nothing to prevent defaults.",
            rules::claim7(&rules::Claim7 {
                bank_hours: bank.hours_to_loss,
                defi_hours: defi.hours_to_loss,
                defi_el: defi.expected_loss,
                bank_el: bank.expected_loss,
            }),
        ),
        claim(
            8,
            "DeFi has no mechanism to force repayment (no recourse).",
            rules::claim8(&rules::Claim8 {
                defi_es: defi.es_999,
                bank_es: bank.es_999,
                defi_recourse_share: d.facts.full_recourse_share,
                bank_recourse_share: b.facts.full_recourse_share,
            }),
        ),
    ]
}

/// Hours in words.
pub fn hours(h: f64) -> String {
    if !h.is_finite() {
        "no loss".to_string()
    } else if h == 0.0 {
        "at once".to_string()
    } else if h >= 2.0 * HOURS_PER_MONTH {
        format!("{:.0} months", h / HOURS_PER_MONTH)
    } else if h >= 48.0 {
        format!("{:.0} days", h / 24.0)
    } else {
        format!("{h:.0} hours")
    }
}

/// A figure and its standard error as a cell: `0.12% ± 0.01%`, the error left out when
/// zero, `(1 path)` when a tail rests on fewer than two paths.
/// An uncertainty below this share of its figure is shown as such, not digit by digit.
const NEGLIGIBLE: f64 = 1e-3;

fn cell(m: Measured) -> String {
    if !m.value.is_finite() {
        return "n/a".into();
    }
    if m.se > 0.0 && m.se < NEGLIGIBLE * m.value.abs() {
        // An analytic method's bound far below the printed digits: say how small.
        format!("{} (± under 0.1% of it)", pct(m.value))
    } else if m.se > 0.0 && m.se.is_finite() {
        format!("{} ± {}", pct(m.value), pct(m.se))
    } else if m.se.is_infinite() {
        format!("{} (one path)", pct(m.value))
    } else {
        pct(m.value)
    }
}

/// The verdict as the report's last section.
pub fn section(study: &Study) -> Result<Section, ReportError> {
    let v = &study.verdict;
    let mut s = Section::new("verdict", "7. The verdict");
    s.text(
        "Bank against DeFi, per unit of money lent, over one year unless a row says \
         otherwise. Each row is one horizon and one seniority, defined the same way on both \
         sides: the pool as a whole (all lenders pari passu), then the most senior claim \
         (the bank's senior tranche; the DeFi depositors above the first-loss reserve). \
         Every figure carries its standard error (Monte Carlo) or half its method's error \
         bound (the exact method), after ±; the rules that judge the claims below are in \
         docs/methodology/verdict.md, written before the results (the one threshold \
         changed after them is marked there). The loss counted on the DeFi side is the \
         bad debt booked plus the shortfall of every position still open at the horizon.",
    );
    let (b, d) = (&v.bank, &v.defi);
    let mut t = Table::new(
        "verdict",
        "Bank against DeFi, per unit lent",
        ["", "bank", "defi pool"],
    );
    let row = |t: &mut Table, name: &str, x: String, y: String| t.row([name.to_string(), x, y]);
    row(
        &mut t,
        "expected loss, pool",
        cell(b.expected_loss),
        cell(d.expected_loss),
    )?;
    row(&mut t, "VaR 99.9%, pool", cell(b.var_999), cell(d.var_999))?;
    row(&mut t, "ES 99.9%, pool", cell(b.es_999), cell(d.es_999))?;
    row(
        &mut t,
        "P(pool loses anything)",
        cell(b.loss_probability),
        cell(d.loss_probability),
    )?;
    row(
        &mut t,
        "expected loss over the loans' life",
        cell(b.lifetime_expected_loss),
        format!("{} (one-year loans)", cell(d.lifetime_expected_loss)),
    )?;
    row(
        &mut t,
        "first-loss protection below the most senior claim",
        format!("{} (subordination)", pct(b.senior_protection)),
        format!("{} (reserve)", pct(d.senior_protection)),
    )?;
    row(
        &mut t,
        "P(most senior claim loses anything)",
        cell(b.senior_loss_probability),
        cell(d.senior_loss_probability),
    )?;
    row(
        &mut t,
        "expected loss of the most senior claim",
        cell(b.senior_expected_loss),
        cell(d.senior_expected_loss),
    )?;
    row(
        &mut t,
        "borrowers' equity in the collateral (1 - LTV)",
        pct(b.borrower_equity),
        pct(d.borrower_equity),
    )?;
    row(
        &mut t,
        "fall from liquidation to insolvency, after the bonus",
        "no liquidation".into(),
        d.liquidation_buffer.map_or("n/a".into(), pct),
    )?;
    row(
        &mut t,
        "IRB capital (DeFi: its IRB equivalent)",
        pct(b.capital),
        pct(d.capital),
    )?;
    row(
        &mut t,
        "what the most senior lender is paid a year",
        format!("{} (note coupon)", cell(b.lender_rate)),
        format!("{} (supply rate)", cell(d.lender_rate)),
    )?;
    row(
        &mut t,
        "LGD from the collateral; recourse recovery, apart",
        format!("{}; {}", pct(b.collateral_lgd), pct(b.recourse_recovery)),
        format!("{}; {}", pct(d.collateral_lgd), pct(d.recourse_recovery)),
    )?;
    row(
        &mut t,
        "time from the first shock to the first loss",
        hours(b.hours_to_loss.value),
        hours(d.hours_to_loss.value),
    )?;
    row(
        &mut t,
        "paths the 99.9% figures rest on",
        "exact method".into(),
        d.tail_paths.map_or("n/a".into(), |n| n.to_string()),
    )?;
    s.table(t);
    s.text(format!(
        "The bank column is {}. The DeFi column is {}. Time to loss: bank, {}; DeFi, {}. \
         The bank's lifetime row is its cash-flow projection's (the scenario's default and \
         prepayment curves, the house's mean severity), a different source of defaults from \
         the one-year rows' graded PDs and downturn LGDs, so the two need not be ordered.",
        b.loss_model, d.loss_model, b.time_to_loss_basis, d.time_to_loss_basis
    ));
    let mut st = Table::new(
        "stresses",
        "Stresses beside the year",
        [
            "stress",
            "expected loss",
            "VaR 99.9%",
            "P(loss)",
            "P(most senior claim loses)",
        ],
    );
    for x in &v.stresses {
        st.row([
            x.setting.clone(),
            cell(x.expected_loss),
            cell(x.var_999),
            cell(x.loss_probability),
            cell(x.senior_loss_probability),
        ])?;
    }
    s.table(st);
    for c in &v.claims {
        let flip = c
            .flip
            .as_ref()
            .map_or(String::new(), |f| format!(" {}", f.sentence(c.judgement())));
        s.text(format!(
            "**Claim {}: {}** {} {}{flip}",
            c.number,
            c.judgement().as_str(),
            c.claim,
            c.ruling.because,
        ));
    }
    Ok(s)
}
