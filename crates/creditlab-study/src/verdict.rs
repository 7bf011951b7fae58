//! Section 7: the verdict. One table of bank against DeFi per unit of money lent, and one
//! sentence per claim of the thesis saying whether the study's numbers support it. Every
//! sentence is computed from the study, with the threshold it is judged by written in the
//! code below and in docs/methodology/pipeline.md.

use crate::contagion::NetworkStudy;
use crate::defi_pool::DefiPoolStudy;
use crate::scenario::Scenario;
use crate::study::{BookStudy, DiversificationPoint, Study};
use creditlab_report::{
    ReportError, Section, Table,
    format::{count, num, pct},
};
use serde::Serialize;

/// The verdict's figures for one side, per unit of money lent.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// One-year expected loss.
    pub expected_loss: f64,
    /// One-year 99.9% VaR.
    pub var_999: f64,
    /// One-year 99.9% expected shortfall.
    pub es_999: f64,
    /// What stands against the loss: IRB capital (bank) or over-collateral, collateral
    /// value / debt - 1 (DeFi).
    pub buffer: f64,
    /// What the buffer is.
    pub buffer_kind: &'static str,
    /// Recovery rate of a defaulted loan, 1 - mean LGD.
    pub recovery_rate: f64,
    /// Probability that the senior investor (bank: senior tranche) or a depositor (DeFi:
    /// the pool's shares, pari passu) loses anything in a year.
    pub senior_loss_probability: f64,
    /// Time from the shock to the loss, in hours.
    pub hours_to_loss: f64,
    /// How that time arises.
    pub time_to_loss_basis: String,
}

/// Judgement of one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// This run does not measure it.
    NotMeasured,
    /// The numbers support the claim.
    Supported,
    /// The numbers support part of it.
    Partly,
    /// The numbers contradict it.
    NotSupported,
}

impl Judgement {
    /// In words.
    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Supported => "supported",
            Judgement::Partly => "partly supported",
            Judgement::NotSupported => "not supported",
            Judgement::NotMeasured => "not measured",
        }
    }
}

/// One claim of the thesis and what the numbers say of it.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// Its number in the thesis (1 to 8).
    pub number: u8,
    /// The claim.
    pub claim: &'static str,
    /// The judgement.
    pub judgement: Judgement,
    /// Why, with the numbers.
    pub because: String,
}

/// The simulated DeFi pool in one market setting, per unit lent.
#[derive(Debug, Clone, Serialize)]
pub struct PoolSide {
    /// The setting.
    pub setting: &'static str,
    /// Mean bad debt over paths.
    pub expected_loss: f64,
    /// 99.9% quantile of the bad debt.
    pub var_999: f64,
    /// 99.9% expected shortfall of the bad debt.
    pub es_999: f64,
    /// Share of the liquidated debt that was recovered, `E[repaid] / (E[repaid] +
    /// E[bad debt])` over paths: the pool's counterpart of a loan's recovery rate.
    pub recovery_rate: f64,
    /// Share of paths on which depositors lose anything.
    pub depositor_loss_probability: f64,
    /// Median hours from the shock to the first bad debt (`None`: no path had any).
    pub hours_to_loss: Option<f64>,
    /// Mean share of wanted withdrawals that could not be paid.
    pub unmet_withdrawals: f64,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The bank book.
    pub bank: Side,
    /// The DeFi book, through the same one-year loan model as the bank's.
    pub defi: Side,
    /// The DeFi book run as a lending pool: calm year, March 2020, congested March 2020.
    pub defi_pool: Vec<PoolSide>,
    /// Claim by claim.
    pub claims: Vec<Claim>,
}

const HOURS_PER_MONTH: f64 = 730.0;

/// What the verdict judges: every stage's result, before the study is assembled.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The scenario that produced it.
    pub scenario: &'a Scenario,
    /// The bank book.
    pub bank: &'a BookStudy,
    /// The DeFi book through the loan model.
    pub defi: &'a BookStudy,
    /// The diversification study.
    pub diversification: &'a [DiversificationPoint],
    /// The DeFi book as a simulated lending pool.
    pub defi_pool: &'a DefiPoolStudy,
    /// The clearing networks.
    pub contagion: &'a [NetworkStudy],
}

/// The verdict on `study`'s evidence.
pub fn verdict(study: &Evidence<'_>) -> Verdict {
    let (b, d) = (study.bank, study.defi);
    let lag = study.scenario.cashflows.bank.recovery_lag;
    let defi_lag = study.scenario.cashflows.defi.recovery_lag;
    let bank = Side {
        expected_loss: b.loss.summary.expected_loss.value,
        var_999: b.loss.summary.var[1].estimate.value,
        es_999: b.loss.summary.es[1].estimate.value,
        buffer: b.grading.capital_rate,
        buffer_kind: "IRB capital",
        recovery_rate: 1.0 - b.grading.mean_lgd,
        senior_loss_probability: b
            .loss
            .summary
            .tranches
            .last()
            .map_or(0.0, |t| t.default_probability.value),
        hours_to_loss: f64::from(lag) * HOURS_PER_MONTH,
        time_to_loss_basis: format!("{lag} months from default to foreclosure sale"),
    };
    let over_collateral = d
        .facts
        .weighted_average_ltv
        .filter(|l| *l > 0.0)
        .map_or(0.0, |l| 1.0 / l - 1.0);
    let defi = Side {
        expected_loss: d.loss.summary.expected_loss.value,
        var_999: d.loss.summary.var[1].estimate.value,
        es_999: d.loss.summary.es[1].estimate.value,
        buffer: over_collateral,
        buffer_kind: "over-collateral",
        recovery_rate: 1.0 - d.grading.mean_lgd,
        // Depositors stand pari passu behind no reserve: any pool loss reaches them.
        senior_loss_probability: d.loss.any_loss_probability,
        hours_to_loss: f64::from(defi_lag) * HOURS_PER_MONTH,
        time_to_loss_basis: if defi_lag == 0 {
            "liquidated at once, on-chain".into()
        } else {
            format!("{defi_lag} months from default to liquidation")
        },
    };
    let pool = study.defi_pool;
    let defi_pool: Vec<PoolSide> = [
        ("calm year", &pool.calm),
        ("March 2020", &pool.crash),
        ("March 2020, congested", &pool.congested),
    ]
    .into_iter()
    .map(|(setting, r)| PoolSide {
        setting,
        expected_loss: r.bad_debt.mean,
        var_999: r.bad_debt.p999,
        es_999: r.bad_debt.es999,
        recovery_rate: {
            let (repaid, lost) = (r.liquidation_volume.mean, r.bad_debt.mean);
            if repaid + lost > 0.0 {
                repaid / (repaid + lost)
            } else {
                1.0
            }
        },
        depositor_loss_probability: r.depositor_loss.prob_positive,
        hours_to_loss: r.hours_to_first_bad_debt.map(|d| d.p50),
        unmet_withdrawals: r.unmet_withdrawals.mean,
    })
    .collect();
    let claims = claims(study, &bank, &defi, &defi_pool);
    Verdict {
        bank,
        defi,
        defi_pool,
        claims,
    }
}

fn claims(study: &Evidence<'_>, bank: &Side, defi: &Side, pool: &[PoolSide]) -> Vec<Claim> {
    let (b, d) = (study.bank, study.defi);
    let mut out = Vec::new();

    // 1. Securitization makes liquid securities of illiquid loans.
    let senior = b.loss.tranche_ratings.last();
    out.push(match senior {
        Some(s) => Claim {
            number: 1,
            claim: "Securitization turns illiquid loans into liquid securities, so a bank can \
                    raise cash and lend more.",
            judgement: Judgement::Supported,
            because: format!(
                "{} of the bank pool becomes a senior note rated {} at rho {}, sellable \
                 for cash; its SSFA risk weight is {} against 100% for the loans held whole.",
                pct(s.detach - s.attach),
                s.rating,
                b.loss.rho,
                pct(s.risk_weight)
            ),
        },
        None => not_measured(
            1,
            "Securitization turns illiquid loans into liquid securities.",
        ),
    });

    // 2. Diversification in theory, chain reaction in reality.
    let div = study.diversification;
    let largest = div.iter().map(|p| p.loans).max().unwrap_or(0);
    let sd_at = |rho: f64| {
        div.iter()
            .find(|p| p.loans == largest && p.rho == rho)
            .map(|p| p.default_rate_sd)
    };
    let rho_max = study
        .scenario
        .diversification
        .rhos
        .iter()
        .copied()
        .fold(0.0, f64::max);
    let stressed_thin = study
        .contagion
        .first()
        .and_then(|n| n.shocks.last().map(|s| (n.institutions.len(), s)));
    // A chain reaction: some institution, in any network after any shock, fails only
    // because another did not pay it.
    let chain = study
        .contagion
        .iter()
        .flat_map(|n| n.shocks.iter().map(move |s| (n, s)))
        .find(|(_, s)| s.contagious_defaults > 0);
    out.push(match (sd_at(0.0), sd_at(rho_max), stressed_thin) {
        (Some(independent), Some(correlated), Some((holders, shock))) if rho_max > 0.0 => {
            let floor_matters = correlated > 5.0 * independent;
            let chain_text = match chain {
                Some((n, s)) => format!(
                    "In the clearing network ({}), the shock \"{}\" makes {} institution(s) \
                     fail only because others did not pay them: a chain reaction.",
                    n.side, s.label, s.contagious_defaults
                ),
                None => "No institution in any clearing network fails only because another \
                         did not pay it: with these balance sheets the losses stop at the \
                         first holders and their creditors, without a chain reaction."
                    .to_string(),
            };
            Claim {
                number: 2,
                claim: "In theory a bigger pool lowers risk; in reality correlated defaults \
                        start a chain reaction.",
                judgement: if floor_matters && chain.is_some() {
                    Judgement::Supported
                } else if floor_matters {
                    Judgement::Partly
                } else {
                    Judgement::NotSupported
                },
                because: format!(
                    "In a {}-loan pool the default rate's sd is {} with independent \
                     defaults and {} at rho {rho_max}: correlation leaves a floor no pool \
                     size removes. After the bank book's loss at its 99.9% {} ({}), {} of {holders} \
                     thinly capitalized tranche holders default. {chain_text}",
                    count(largest as u64),
                    pct(independent),
                    pct(correlated),
                    shock.label,
                    pct(shock.book_loss),
                    shock.defaulted.len(),
                ),
            }
        }
        _ => not_measured(2, "Correlated defaults start a chain reaction."),
    });

    // 3. A security is as good as its default-rate estimate, which rests on information.
    let (full, withheld) = (
        b.grading.auc_full_information,
        b.grading.auc_borrower_facts_withheld,
    );
    out.push(Claim {
        number: 3,
        claim: "A security is as good as its default-rate estimate, which rests on credit \
                history, collateral, repayment capacity and cash flow.",
        judgement: if full - withheld >= 0.05 {
            Judgement::Supported
        } else {
            Judgement::NotSupported
        },
        because: format!(
            "Withholding the borrower facts takes the bank grade's power (AUC) from {} to {}.",
            num(full, 3),
            num(withheld, 3)
        ),
    });

    // 4. DeFi lends blind, so its grade is low by construction.
    let ratio = d.grading.mean_pd_conservative / b.grading.mean_pd_conservative.max(1e-12);
    out.push(Claim {
        number: 4,
        claim: "DeFi lends without the borrower's financial background, so its loan grade \
                is low by construction.",
        judgement: if ratio >= 2.0 {
            if defi.recovery_rate > bank.recovery_rate {
                Judgement::Partly
            } else {
                Judgement::Supported
            }
        } else {
            Judgement::NotSupported
        },
        because: format!(
            "The DeFi book grades at a conservative PD of {} against {} for the bank ({}x), \
             knowing {} of its borrowers' credit histories. Over-collateral is DeFi's \
             answer: a defaulted DeFi position recovers {} against {} for a mortgage.",
            pct(d.grading.mean_pd_conservative),
            pct(b.grading.mean_pd_conservative),
            num(ratio, 1),
            pct(d.facts.credit_history_known_share),
            pct(defi.recovery_rate),
            pct(bank.recovery_rate)
        ),
    });

    // 5. Open pools invite runs.
    let congested = &study.defi_pool.congested;
    let calm = &study.defi_pool.calm;
    out.push(Claim {
        number: 5,
        claim: "DeFi pools are open to anyone who can get in and out quickly, which makes \
                sustained management hard (runs).",
        judgement: if congested.unmet_withdrawals.p99 > 0.0 {
            Judgement::Supported
        } else if congested.share_of_paths_with_withdrawals > 0.5 {
            Judgement::Partly
        } else {
            Judgement::NotSupported
        },
        because: format!(
            "In the congested March-2020 crash, depositors ask to withdraw on {} of paths, \
             and on the worst 1% of paths {} of what they ask cannot be paid (mean {}); in \
             a calm year they ask on {} of paths. The pool's cash, not a manager, decides \
             who gets out: first come, first served.",
            pct(congested.share_of_paths_with_withdrawals),
            pct(congested.unmet_withdrawals.p99),
            pct(congested.unmet_withdrawals.mean),
            pct(calm.share_of_paths_with_withdrawals)
        ),
    });

    // 6. DeFi resembles subprime MBS.
    let tail = defi.var_999 / bank.var_999.max(1e-12);
    out.push(Claim {
        number: 6,
        claim: "DeFi resembles subprime mortgage-backed securities: repackaged bad loans \
                sold for liquidity.",
        judgement: if tail >= 2.0 {
            Judgement::Partly
        } else {
            Judgement::NotSupported
        },
        because: format!(
            "Per unit lent, the DeFi book's one-year 99.9% loss is {} against {} for the \
             bank book ({}x; the simulated pool's in a calm year: {}), its loans are \
             low-grade and its defaults correlated. But its depositors are not tranched: \
             nothing is rated above the pool, and every depositor stands pari passu.",
            pct(defi.var_999),
            pct(bank.var_999),
            num(tail, 1),
            pool.first()
                .map_or_else(|| "n/a".to_string(), |p| pct(p.var_999))
        ),
    });

    // 7. DeFi speeds up cash flows but does not prevent defaults.
    out.push(Claim {
        number: 7,
        claim: "DeFi speeds up cash flows but does nothing to prevent defaults.",
        judgement: if d.grading.mean_pd >= b.grading.mean_pd
            && defi.hours_to_loss < bank.hours_to_loss
        {
            Judgement::Supported
        } else {
            Judgement::Partly
        },
        because: format!(
            "A DeFi default becomes a loss {} (bank: {}); in the congested crash the first \
             bad debt comes {} after the shock. The DeFi book's one-year PD is {} against {}: \
             speed settles losses, it does not avoid them.",
            defi.time_to_loss_basis,
            bank.time_to_loss_basis,
            pool.get(2)
                .and_then(|p| p.hours_to_loss)
                .map_or_else(|| "never".to_string(), hours),
            pct(d.grading.mean_pd),
            pct(b.grading.mean_pd)
        ),
    });

    // 8. No recourse: over-collateral and liquidation are DeFi's answer; they hold while
    // liquidations keep up with the price.
    out.push(match (pool.first(), pool.get(1), pool.get(2)) {
        (Some(calm), Some(crash), Some(congested)) => {
            let answer_holds = calm.expected_loss <= bank.expected_loss
                && crash.expected_loss <= bank.expected_loss;
            Claim {
                number: 8,
                claim: "DeFi has no mechanism to force repayment (no recourse).",
                judgement: if answer_holds {
                    Judgement::Partly
                } else {
                    Judgement::Supported
                },
                because: format!(
                    "True of the contract: {} of DeFi loans have recourse against {} of \
                     mortgages. {} the pool's mean bad debt is {} in a calm year and {} in the \
                     March-2020 crash, against the bank book's one-year expected loss of {}; \
                     with congested liquidations it is {}, which nobody can claim back from \
                     the borrowers.",
                    pct(d.facts.full_recourse_share),
                    pct(b.facts.full_recourse_share),
                    if answer_holds {
                        "Over-collateral and liquidation stand in for recourse while \
                         liquidators keep up:"
                    } else {
                        "Over-collateral and liquidation do not make up for it: crash days \
                         outrun the liquidations, and"
                    },
                    pct(calm.expected_loss),
                    pct(crash.expected_loss),
                    pct(bank.expected_loss),
                    pct(congested.expected_loss)
                ),
            }
        }
        _ => not_measured(8, "DeFi has no mechanism to force repayment (no recourse)."),
    });
    out
}

fn not_measured(number: u8, claim: &'static str) -> Claim {
    Claim {
        number,
        claim,
        judgement: Judgement::NotMeasured,
        because: "This run does not measure it.".into(),
    }
}

fn hours(h: f64) -> String {
    if h == 0.0 {
        "at once".to_string()
    } else if h >= 2.0 * HOURS_PER_MONTH {
        format!("{:.0} months", h / HOURS_PER_MONTH)
    } else if h >= 48.0 {
        format!("{:.0} days", h / 24.0)
    } else {
        format!("{h:.0} hours")
    }
}

/// The verdict as the report's last section.
pub fn section(study: &Study) -> Result<Section, ReportError> {
    let v = &study.verdict;
    let mut s = Section::new("verdict", "7. The verdict");
    s.text(
        "Bank against DeFi, per unit of money lent. The bank holds capital against its \
         loss; the DeFi pool holds its borrowers' over-collateral. The sentences below say, \
         claim by claim, what these numbers support and what they do not.",
    );
    let mut header = vec![
        String::new(),
        "bank".to_string(),
        "defi (loan model)".to_string(),
    ];
    header.extend(
        v.defi_pool
            .iter()
            .map(|p| format!("defi pool, {}", p.setting)),
    );
    let mut t = Table::new("verdict", "Bank against DeFi, per unit lent", header);
    let (b, d) = (&v.bank, &v.defi);
    let na = || "n/a".to_string();
    let row = |name: &str, bank: String, defi: String, pool: &dyn Fn(&PoolSide) -> String| {
        let mut r = vec![name.to_string(), bank, defi];
        r.extend(v.defi_pool.iter().map(pool));
        r
    };
    t.row(row(
        "expected loss (one year; pool: per path)",
        pct(b.expected_loss),
        pct(d.expected_loss),
        &|p| pct(p.expected_loss),
    ))?;
    t.row(row("VaR 99.9%", pct(b.var_999), pct(d.var_999), &|p| {
        pct(p.var_999)
    }))?;
    t.row(row("ES 99.9%", pct(b.es_999), pct(d.es_999), &|p| {
        pct(p.es_999)
    }))?;
    t.row(row(
        "held against it",
        format!("{} ({})", pct(b.buffer), b.buffer_kind),
        format!("{} ({})", pct(d.buffer), d.buffer_kind),
        &|_| format!("{} ({})", pct(d.buffer), d.buffer_kind),
    ))?;
    t.row(row(
        "recovery rate",
        pct(b.recovery_rate),
        pct(d.recovery_rate),
        &|p| pct(p.recovery_rate),
    ))?;
    t.row(row(
        "P(senior investor / depositor loses anything)",
        pct(b.senior_loss_probability),
        pct(d.senior_loss_probability),
        &|p| pct(p.depositor_loss_probability),
    ))?;
    t.row(row(
        "time from shock to loss",
        hours(b.hours_to_loss),
        hours(d.hours_to_loss),
        &|p| p.hours_to_loss.map_or_else(|| "no loss".to_string(), hours),
    ))?;
    t.row(row("wanted withdrawals not met", na(), na(), &|p| {
        pct(p.unmet_withdrawals)
    }))?;
    s.table(t);
    for c in &v.claims {
        s.text(format!(
            "**Claim {}: {}** {} {}",
            c.number,
            c.judgement.as_str(),
            c.claim,
            c.because
        ));
    }
    Ok(s)
}
