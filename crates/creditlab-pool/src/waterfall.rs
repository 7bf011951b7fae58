//! A monthly cash-flow waterfall over pool-level collections.
//!
//! Every amount is held in integer cents, so conservation holds exactly: in every period
//! the cash collected (interest, principal, clean-up call proceeds) equals the cash paid
//! (senior fees, note interest, note principal, residual) plus the change in the reserve
//! account. The order of payments each month:
//!
//! 1. Senior fees, `fee_rate / 12` of the collateral balance at the start of the month
//!    (plus any unpaid fees carried forward), from interest collections, then the reserve.
//! 2. Note interest by seniority, `coupon / 12` of the note balance (plus any shortfall
//!    carried forward, without interest on interest), from interest collections, then the
//!    reserve. After each class's interest its coverage tests are run:
//!    * OC test: collateral balance (end of month) / balance of the class and all classes
//!      above it `>= oc_trigger`; on failure the remaining interest collections pay down
//!      those notes, most senior first, by up to the amount that cures the test;
//!    * IC test: interest collections net of senior fees / interest due this month on the
//!      class and all classes above it `>= ic_trigger`; on failure all remaining interest
//!      collections pay down those notes, most senior first.
//!
//!    Tests are not run in the month of a clean-up call (the sale repays the notes).
//! 3. Reserve account: topped up from interest collections to its target
//!    `max(target_fraction * collateral balance, floor)` (0 once the deal ends); any
//!    excess over the target is released into the interest collections.
//! 4. Principal collections pay the notes' principal: pro rata to their balances while
//!    cumulative losses stay at or below the trigger and every OC test passes, sequential
//!    (most senior first) from the first breach on (the switch is permanent).
//! 5. Loss coverage: remaining interest collections pay down notes, most senior first,
//!    until the notes do not exceed the collateral balance.
//! 6. Everything left is released to the residual holder.
//!
//! Clean-up call: when the collateral balance at the end of a month falls to or below
//! `cleanup_call` times the opening balance, the collateral is sold at its balance, the
//! proceeds are added to the principal collections and the deal ends that month. Note
//! principal unpaid when the deal ends (call or last month) is the note's loss.

use crate::error::{Located, PoolError, Result, check_range};
use crate::scenario::ScenarioRates;
use creditlab_contagion::Copula;
use creditlab_loan::{Assumptions, CashFlows, DefaultRate, Pool, Prepayment, project_pool};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Pool-level collections of one month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoolPeriod {
    /// Interest collected (including servicer advances).
    pub interest: f64,
    /// Principal collected: scheduled, prepaid, advanced and recovered.
    pub principal: f64,
    /// Principal written off on liquidation.
    pub losses: f64,
    /// Collateral balance at the end of the month (performing plus in foreclosure).
    pub collateral_balance: f64,
}

/// The pool's opening balance and monthly collections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolFlows {
    /// Collateral balance at the start of month 1.
    pub opening_balance: f64,
    /// One entry per month, month 1 first.
    pub periods: Vec<PoolPeriod>,
}

impl PoolFlows {
    /// The collections of a creditlab-loan projection: interest plus advanced interest;
    /// scheduled principal, prepayments, advanced principal and recoveries; losses; the
    /// performing plus foreclosure balance (each clamped at 0 against rounding noise).
    pub fn from_cashflows(cf: &CashFlows) -> Self {
        let periods = (0..cf.months())
            .map(|m| PoolPeriod {
                // Clamped at 0: the projection's balances end at -1e-11 and the like from
                // floating-point cancellation.
                interest: (cf.interest()[m] + cf.advanced_interest()[m]).max(0.0),
                principal: (cf.scheduled_principal()[m]
                    + cf.prepayments()[m]
                    + cf.advanced_principal()[m]
                    + cf.recoveries()[m])
                    .max(0.0),
                losses: cf.losses()[m].max(0.0),
                collateral_balance: (cf.balance()[m] + cf.foreclosure_balance()[m]).max(0.0),
            })
            .collect();
        Self {
            opening_balance: cf.opening_balance(),
            periods,
        }
    }

    fn check(&self) -> Result<()> {
        check_amount("opening_balance", self.opening_balance)?;
        for (m, p) in self.periods.iter().enumerate() {
            for (what, v) in [
                ("interest", p.interest),
                ("principal", p.principal),
                ("losses", p.losses),
                ("collateral_balance", p.collateral_balance),
            ] {
                check_amount(&format!("month {}: {what}", m + 1), v)?;
            }
        }
        Ok(())
    }
}

/// A note (tranche) of the waterfall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteSpec {
    /// The note's name, e.g. `"A"`.
    pub name: String,
    /// Original balance (currency units).
    pub balance: f64,
    /// Annual coupon, paid monthly (`coupon / 12` of the balance).
    pub coupon: f64,
    /// Overcollateralization trigger of this class (e.g. 1.2), if tested.
    #[serde(default)]
    pub oc_trigger: Option<f64>,
    /// Interest coverage trigger of this class (e.g. 1.1), if tested.
    #[serde(default)]
    pub ic_trigger: Option<f64>,
}

/// How principal collections are shared among the notes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PrincipalRule {
    /// Most senior note first.
    Sequential,
    /// Pro rata to note balances until cumulative losses exceed `loss_trigger` (a fraction
    /// of the opening collateral balance) or an OC test fails; sequential from then on.
    ProRata {
        /// Cumulative loss fraction that switches to sequential.
        loss_trigger: f64,
    },
}

/// A reserve account.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReserveSpec {
    /// Balance funded at closing (currency units).
    pub initial: f64,
    /// Target as a fraction of the current collateral balance.
    pub target_fraction: f64,
    /// Minimum target (currency units) while the deal runs.
    pub floor: f64,
}

/// A validated waterfall: notes, most senior first, fees, principal rule, reserve and
/// clean-up call.
///
/// ```
/// use creditlab_loan::{Assumptions, DefaultRate, Pool, Prepayment, project_pool};
/// use creditlab_pool::waterfall::{NoteSpec, PoolFlows, PrincipalRule, ReserveSpec, Waterfall};
/// let note = |name: &str, balance: f64, coupon: f64| NoteSpec {
///     name: name.into(),
///     balance,
///     coupon,
///     oc_trigger: None,
///     ic_trigger: None,
/// };
/// let w = Waterfall::new(
///     vec![note("A", 85.0e6, 0.045), note("B", 10.0e6, 0.065)],
///     0.005,
///     PrincipalRule::Sequential,
///     ReserveSpec { initial: 0.0, target_fraction: 0.0, floor: 0.0 },
///     0.1,
/// )?;
/// let pool = Pool::new(100.0e6, 0.07, 360)?;
/// let a = Assumptions::new(Prepayment::Cpr(0.08), DefaultRate::Cdr(0.01), 12, 0.4, false)?;
/// let run = w.run(&PoolFlows::from_cashflows(&project_pool(&pool, &a)))?;
/// // Cash is conserved to the cent in every month.
/// assert!(run.periods.iter().all(|p| p.collected == p.paid() + p.reserve_change));
/// assert_eq!(run.notes[0].unpaid_principal, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waterfall {
    notes: Vec<NoteSpec>,
    fee_rate: f64,
    principal: PrincipalRule,
    reserve: ReserveSpec,
    cleanup_call: f64,
}

impl Waterfall {
    /// Validates: at least one note; names unique; balances finite and > 0; coupons and
    /// the fee rate in [0, 1]; triggers finite and > 0; reserve amounts >= 0 and target
    /// fraction in [0, 1]; loss trigger and clean-up call in [0, 1]. Errors name the note
    /// or field.
    pub fn new(
        notes: Vec<NoteSpec>,
        fee_rate: f64,
        principal: PrincipalRule,
        reserve: ReserveSpec,
        cleanup_call: f64,
    ) -> Result<Self> {
        Self::located(notes, fee_rate, principal, reserve, cleanup_call).map_err(|e| e.error)
    }

    /// [`Waterfall::new`] whose error also gives the path of the field at fault
    /// (`notes[1].coupon`, `principal.loss_trigger`, `reserve.floor`).
    pub(crate) fn located(
        notes: Vec<NoteSpec>,
        fee_rate: f64,
        principal: PrincipalRule,
        reserve: ReserveSpec,
        cleanup_call: f64,
    ) -> std::result::Result<Self, Located> {
        if notes.is_empty() {
            return Err(Located::new(
                "notes",
                PoolError::Tranche {
                    name: "(none)".into(),
                    reason: "a waterfall needs at least one note".into(),
                },
            ));
        }
        for (i, n) in notes.iter().enumerate() {
            let bad = |key: &str, reason: String| {
                Located::new(
                    format!("notes[{i}].{key}"),
                    PoolError::Tranche {
                        name: n.name.clone(),
                        reason,
                    },
                )
            };
            if n.name.trim().is_empty() {
                return Err(Located::new(
                    format!("notes[{i}].name"),
                    PoolError::Tranche {
                        name: format!("#{}", i + 1),
                        reason: "a note needs a name".into(),
                    },
                ));
            }
            if notes[..i].iter().any(|m| m.name == n.name) {
                return Err(bad("name", "duplicate note name".into()));
            }
            if !(n.balance.is_finite() && n.balance > 0.0 && n.balance < 1e15) {
                return Err(bad(
                    "balance",
                    format!("balance {} must be finite and > 0", n.balance),
                ));
            }
            if !(n.coupon.is_finite() && (0.0..=1.0).contains(&n.coupon)) {
                return Err(bad(
                    "coupon",
                    format!("coupon {} must be in [0, 1]", n.coupon),
                ));
            }
            for (what, t) in [("oc_trigger", n.oc_trigger), ("ic_trigger", n.ic_trigger)] {
                if let Some(t) = t
                    && !(t.is_finite() && t > 0.0)
                {
                    return Err(bad(what, format!("{what} {t} must be finite and > 0")));
                }
            }
        }
        let field = |check: Result<()>| {
            check.map_err(|e| Located::new(e.field().unwrap_or_default().to_string(), e))
        };
        field(check_range("fee_rate", fee_rate, 0.0, 1.0).map(drop))?;
        if let PrincipalRule::ProRata { loss_trigger } = principal {
            field(check_range("principal.loss_trigger", loss_trigger, 0.0, 1.0).map(drop))?;
        }
        field(check_amount("reserve.initial", reserve.initial))?;
        field(check_amount("reserve.floor", reserve.floor))?;
        field(check_range("reserve.target_fraction", reserve.target_fraction, 0.0, 1.0).map(drop))?;
        field(check_range("cleanup_call", cleanup_call, 0.0, 1.0).map(drop))?;
        Ok(Self {
            notes,
            fee_rate,
            principal,
            reserve,
            cleanup_call,
        })
    }

    /// The notes, most senior first.
    pub fn notes(&self) -> &[NoteSpec] {
        &self.notes
    }

    /// Runs the waterfall over `pool`'s collections.
    pub fn run(&self, pool: &PoolFlows) -> Result<WaterfallRun> {
        pool.check()?;
        let n = self.notes.len();
        let original: Vec<i64> = self.notes.iter().map(|x| cents(x.balance)).collect();
        let mut bal = original.clone();
        let mut int_short = vec![0i64; n];
        let mut fee_short = 0i64;
        let mut reserve = cents(self.reserve.initial);
        let opening = pool.opening_balance;
        let mut collateral = opening;
        let mut cum_loss = 0.0;
        let mut sequential = matches!(self.principal, PrincipalRule::Sequential);
        let mut periods = Vec::with_capacity(pool.periods.len());
        let last = pool.periods.len().saturating_sub(1);
        for (m, p) in pool.periods.iter().enumerate() {
            let c_start = collateral;
            let mut c_end = p.collateral_balance;
            cum_loss += p.losses;
            let mut interest_funds = cents(p.interest);
            let mut principal_funds = cents(p.principal);
            let called =
                self.cleanup_call > 0.0 && c_end > 0.0 && c_end <= self.cleanup_call * opening;
            if called {
                principal_funds += cents(c_end);
                c_end = 0.0;
            }
            let ends = called || m == last || c_end <= 0.0;
            let collected = interest_funds + principal_funds;
            let reserve_start = reserve;
            let mut principal_paid = vec![0i64; n];
            let mut interest_paid = vec![0i64; n];
            let mut oc_pass = vec![true; n];
            let mut ic_pass = vec![true; n];

            // 1. Senior fees.
            let fee_due = cents(self.fee_rate / 12.0 * c_start) + fee_short;
            let mut fees_paid = take(&mut interest_funds, fee_due);
            fees_paid += take(&mut reserve, fee_due - fees_paid);
            fee_short = fee_due - fees_paid;
            let net_interest = (cents(p.interest) - fees_paid).max(0);

            // 2. Interest by seniority, each class followed by its coverage tests.
            let c_end_cents = cents(c_end);
            let mut interest_due_above = 0i64;
            for i in 0..n {
                // Balances are already in cents.
                let current = (bal[i] as f64 * self.notes[i].coupon / 12.0).round() as i64;
                interest_due_above += current;
                let due = current + int_short[i];
                let mut paid = take(&mut interest_funds, due);
                paid += take(&mut reserve, due - paid);
                int_short[i] = due - paid;
                interest_paid[i] = paid;
                let senior_bal: i64 = bal[..=i].iter().sum();
                if let Some(oc) = self.notes[i].oc_trigger
                    && !called
                    && senior_bal > 0
                    && (c_end_cents as f64) < oc * senior_bal as f64
                {
                    oc_pass[i] = false;
                    let cure = senior_bal - (c_end_cents as f64 / oc).floor() as i64;
                    let divert = take(&mut interest_funds, cure.max(0));
                    pay_sequential(&mut bal[..=i], &mut principal_paid, divert);
                }
                if let Some(ic) = self.notes[i].ic_trigger
                    && !called
                    && interest_due_above > 0
                    && (net_interest as f64) < ic * interest_due_above as f64
                {
                    ic_pass[i] = false;
                    let divert = take(&mut interest_funds, i64::MAX);
                    pay_sequential(&mut bal[..=i], &mut principal_paid, divert);
                }
            }

            // 3. Reserve account.
            let target = if ends {
                0
            } else {
                cents(self.reserve.target_fraction * c_end).max(cents(self.reserve.floor))
            };
            if reserve < target {
                reserve += take(&mut interest_funds, target - reserve);
            } else {
                interest_funds += reserve - target;
                reserve = target;
            }

            // 4. Principal collections.
            if let PrincipalRule::ProRata { loss_trigger } = self.principal
                && (cum_loss > loss_trigger * opening || oc_pass.iter().any(|ok| !ok))
            {
                sequential = true;
            }
            let leftover = if sequential {
                pay_sequential(&mut bal, &mut principal_paid, principal_funds)
            } else {
                pay_pro_rata(&mut bal, &mut principal_paid, principal_funds)
            };

            // 5. Loss coverage from what is left of interest collections.
            let excess_notes = (bal.iter().sum::<i64>() - c_end_cents).max(0);
            let cover = take(&mut interest_funds, excess_notes);
            let unused = pay_sequential(&mut bal, &mut principal_paid, cover);

            // 6. Residual.
            let residual = interest_funds + leftover + unused;
            periods.push(PeriodFlows {
                month: m as u32 + 1,
                collected,
                fees_paid,
                interest_paid,
                principal_paid,
                residual,
                reserve_change: reserve - reserve_start,
                reserve_balance: reserve,
                note_balance: bal.clone(),
                interest_shortfall: int_short.clone(),
                oc_pass,
                ic_pass,
                sequential,
                called,
            });
            collateral = c_end;
            if ends {
                break;
            }
        }
        let notes = (0..n)
            .map(|i| NoteResult::of(&self.notes[i].name, original[i], i, &periods))
            .collect();
        Ok(WaterfallRun { periods, notes })
    }
}

/// Takes up to `want` (>= 0) cents out of `from`, returning what was taken.
fn take(from: &mut i64, want: i64) -> i64 {
    let t = want.clamp(0, (*from).max(0));
    *from -= t;
    t
}

/// Pays `amount` cents of principal most senior first, never more than a balance;
/// returns what could not be paid.
fn pay_sequential(bal: &mut [i64], paid: &mut [i64], mut amount: i64) -> i64 {
    for (b, p) in bal.iter_mut().zip(paid.iter_mut()) {
        let x = take(&mut amount, *b);
        *b -= x;
        *p += x;
    }
    amount
}

/// Pays `amount` cents pro rata to balances (floored shares, the remainder most senior
/// first); returns what could not be paid.
fn pay_pro_rata(bal: &mut [i64], paid: &mut [i64], amount: i64) -> i64 {
    let total: i64 = bal.iter().sum();
    if total <= 0 {
        return amount;
    }
    let mut left = amount;
    let shares: Vec<i64> = bal
        .iter()
        .map(|&b| ((amount.min(total) as i128 * b as i128) / total as i128) as i64)
        .collect();
    for ((b, p), s) in bal.iter_mut().zip(paid.iter_mut()).zip(shares) {
        let x = take(&mut left, s.min(*b));
        *b -= x;
        *p += x;
    }
    pay_sequential(bal, paid, left)
}

fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

fn check_amount(field: &str, v: f64) -> Result<()> {
    if v.is_finite() && (0.0..1e15).contains(&v) {
        Ok(())
    } else {
        Err(PoolError::InvalidParameter {
            field: field.to_string(),
            value: v,
            reason: "must be a finite amount >= 0",
        })
    }
}

/// One month of the waterfall; amounts in cents, note vectors most senior first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodFlows {
    /// Month, 1-based.
    pub month: u32,
    /// Cash collected: interest, principal and clean-up call proceeds.
    pub collected: i64,
    /// Senior fees paid.
    pub fees_paid: i64,
    /// Interest paid per note.
    pub interest_paid: Vec<i64>,
    /// Principal paid per note.
    pub principal_paid: Vec<i64>,
    /// Cash released to the residual holder.
    pub residual: i64,
    /// Change in the reserve account (deposits less draws and releases).
    pub reserve_change: i64,
    /// Reserve balance at the end of the month.
    pub reserve_balance: i64,
    /// Note balances at the end of the month.
    pub note_balance: Vec<i64>,
    /// Unpaid interest carried forward per note.
    pub interest_shortfall: Vec<i64>,
    /// OC test result per class (true when passing or not tested).
    pub oc_pass: Vec<bool>,
    /// IC test result per class (true when passing or not tested).
    pub ic_pass: Vec<bool>,
    /// Whether principal was paid sequentially this month.
    pub sequential: bool,
    /// Whether the clean-up call was exercised this month.
    pub called: bool,
}

impl PeriodFlows {
    /// Cash paid out this month: fees, note interest and principal, residual.
    pub fn paid(&self) -> i64 {
        self.fees_paid
            + self.interest_paid.iter().sum::<i64>()
            + self.principal_paid.iter().sum::<i64>()
            + self.residual
    }
}

/// What one note received over a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteResult {
    /// The note's name.
    pub name: String,
    /// Original balance in cents.
    pub original_balance: i64,
    /// Principal unpaid when the deal ended, in cents.
    pub unpaid_principal: i64,
    /// Principal loss as a fraction of the original balance.
    pub loss: f64,
    /// Weighted average life in years of the principal paid (`None` if none was paid).
    pub wal: Option<f64>,
    /// Annualized yield (12 times the monthly IRR) of buying the note at par; `None`
    /// when it has no solution in (-100%, 1200%).
    pub yield_rate: Option<f64>,
}

impl NoteResult {
    fn of(name: &str, original: i64, i: usize, periods: &[PeriodFlows]) -> Self {
        let unpaid = periods.last().map_or(original, |p| p.note_balance[i]);
        let (mut paid, mut weighted) = (0i64, 0.0);
        for p in periods {
            paid += p.principal_paid[i];
            weighted += f64::from(p.month) / 12.0 * p.principal_paid[i] as f64;
        }
        let flows: Vec<f64> = periods
            .iter()
            .map(|p| (p.principal_paid[i] + p.interest_paid[i]) as f64)
            .collect();
        Self {
            name: name.to_string(),
            original_balance: original,
            unpaid_principal: unpaid,
            loss: unpaid as f64 / original as f64,
            wal: (paid > 0).then(|| weighted / paid as f64),
            yield_rate: irr(original as f64, &flows).map(|r| 12.0 * r),
        }
    }
}

/// Monthly IRR of paying `price` at time 0 and receiving `flows` at months 1, 2, ...
/// (bisection on the net present value, which falls with the rate).
fn irr(price: f64, flows: &[f64]) -> Option<f64> {
    let npv = |r: f64| {
        let mut df = 1.0;
        let mut v = -price;
        for f in flows {
            df /= 1.0 + r;
            v += f * df;
        }
        v
    };
    let (mut lo, mut hi) = (-0.99, 1.0);
    if npv(lo) < 0.0 || npv(hi) > 0.0 {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if npv(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The result of one waterfall run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterfallRun {
    /// Month by month flows, until the deal ends.
    pub periods: Vec<PeriodFlows>,
    /// Per note results, most senior first.
    pub notes: Vec<NoteResult>,
}

/// Per note statistics over many scenarios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteStatistics {
    /// The note's name.
    pub name: String,
    /// Mean principal loss fraction.
    pub expected_loss: f64,
    /// Fraction of scenarios with any principal loss.
    pub probability_of_loss: f64,
    /// Mean WAL in years over the scenarios that paid principal.
    pub mean_wal: Option<f64>,
    /// Yields per scenario (where defined), sorted increasing: their distribution.
    pub yields: Vec<f64>,
}

impl Waterfall {
    /// Runs every scenario (in parallel, rayon; the result does not depend on the number
    /// of threads) and summarizes each note's loss, WAL and yield distribution.
    pub fn simulate(&self, scenarios: &[PoolFlows]) -> Result<Vec<NoteStatistics>> {
        if scenarios.is_empty() {
            return Err(PoolError::InvalidParameter {
                field: "scenarios".into(),
                value: 0.0,
                reason: "need at least one scenario",
            });
        }
        let runs = scenarios
            .par_iter()
            .map(|s| self.run(s))
            .collect::<Result<Vec<_>>>()?;
        let m = runs.len() as f64;
        Ok((0..self.notes.len())
            .map(|i| {
                let results = runs.iter().map(|r| &r.notes[i]);
                let wals: Vec<f64> = results.clone().filter_map(|r| r.wal).collect();
                let mut yields: Vec<f64> = results.clone().filter_map(|r| r.yield_rate).collect();
                yields.sort_by(f64::total_cmp);
                NoteStatistics {
                    name: self.notes[i].name.clone(),
                    expected_loss: results.clone().map(|r| r.loss).sum::<f64>() / m,
                    probability_of_loss: results.clone().filter(|r| r.unpaid_principal > 0).count()
                        as f64
                        / m,
                    mean_wal: (!wals.is_empty())
                        .then(|| wals.iter().sum::<f64>() / wals.len() as f64),
                    yields,
                }
            })
            .collect())
    }
}

/// Scenarios of pool collections: creditlab-loan's projection of `pool`, each scenario with
/// its own constant annual default rate, the rate of a pool with unconditional rate `cdr`
/// conditional on the systematic state of `copula` (any one-factor copula of
/// creditlab-contagion; [`ScenarioRates`]): scenario `s` draws the state from the seeded
/// stream `(seed, s)` (reproducible). Under the Gaussian copula the rate is Vasicek's,
/// `CDR_s = Phi((Phi^-1(cdr) - sqrt(rho) z_s) / sqrt(1 - rho))`, `z_s ~ N(0, 1)`.
/// Prepayment, recovery lag, severity and advancing are shared by all scenarios.
///
/// ```
/// use creditlab_contagion::Copula;
/// use creditlab_loan::{Pool, Prepayment};
/// use creditlab_pool::waterfall::copula_scenarios;
/// let pool = Pool::new(100.0e6, 0.07, 360)?;
/// let t = Copula::student_t(0.15, 4.0)?;
/// let flows = copula_scenarios(&pool, &Prepayment::Cpr(0.06), 0.03, &t, 12, 0.4, false, 20, 1)?;
/// assert_eq!(flows.len(), 20);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn copula_scenarios(
    pool: &Pool,
    prepayment: &Prepayment,
    cdr: f64,
    copula: &Copula,
    recovery_lag: u32,
    severity: f64,
    advancing: bool,
    scenarios: usize,
    seed: u64,
) -> Result<Vec<PoolFlows>> {
    scenario_flows(
        prepayment,
        (cdr, copula),
        (recovery_lag, severity, advancing),
        scenarios,
        seed,
        |a| project_pool(pool, a),
    )
}

/// The scenario loop shared by [`copula_scenarios`] and
/// [`cohort_scenarios`](crate::cohort::cohort_scenarios): scenario `s` draws its default
/// rate from stream `(seed, s)` ([`ScenarioRates::rate`]) and `project`s the pool under it.
/// Scenarios run in parallel; each depends only on its own stream, so the result does not
/// depend on the number of threads.
pub(crate) fn scenario_flows(
    prepayment: &Prepayment,
    (cdr, copula): (f64, &Copula),
    (recovery_lag, severity, advancing): (u32, f64, bool),
    scenarios: usize,
    seed: u64,
    project: impl Fn(&Assumptions) -> CashFlows + Sync,
) -> Result<Vec<PoolFlows>> {
    check_range("cdr", cdr, 0.0, 1.0)?;
    let rates = ScenarioRates::new(copula, cdr)?;
    (0..scenarios as u64)
        .into_par_iter()
        .map(|s| {
            let a = Assumptions::new(
                prepayment.clone(),
                DefaultRate::Cdr(rates.rate(seed, s)),
                recovery_lag,
                severity,
                advancing,
            )
            .map_err(|e| PoolError::Loan(e.to_string()))?;
            Ok(PoolFlows::from_cashflows(&project(&a)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;
    use proptest::prelude::*;

    fn note(name: &str, balance: f64, coupon: f64) -> NoteSpec {
        NoteSpec {
            name: name.into(),
            balance,
            coupon,
            oc_trigger: None,
            ic_trigger: None,
        }
    }

    fn no_reserve() -> ReserveSpec {
        ReserveSpec {
            initial: 0.0,
            target_fraction: 0.0,
            floor: 0.0,
        }
    }

    /// A pool of `balance` at `coupon` paying `amort` of its balance a month and losing
    /// `loss` of it a month.
    fn pool(balance: f64, coupon: f64, amort: f64, loss: f64, months: usize) -> PoolFlows {
        let mut b = balance;
        let mut periods = Vec::new();
        for _ in 0..months {
            let interest = b * coupon / 12.0;
            let principal = b * amort;
            let losses = b * loss;
            b -= principal + losses;
            periods.push(PoolPeriod {
                interest,
                principal,
                losses,
                collateral_balance: b.max(0.0),
            });
        }
        PoolFlows {
            opening_balance: balance,
            periods,
        }
    }

    #[test]
    fn sequential_without_losses_repays_everything_senior_first() {
        let w = Waterfall::new(
            vec![note("A", 80.0e6, 0.04), note("B", 15.0e6, 0.06)],
            0.005,
            PrincipalRule::Sequential,
            no_reserve(),
            0.1,
        )
        .unwrap();
        let run = w.run(&pool(100.0e6, 0.07, 0.02, 0.0, 360)).unwrap();
        assert!(run.notes.iter().all(|n| n.unpaid_principal == 0));
        // B receives no principal until A is repaid.
        let a_done = run
            .periods
            .iter()
            .position(|p| p.note_balance[0] == 0)
            .unwrap();
        assert!(
            run.periods[..a_done]
                .iter()
                .all(|p| p.principal_paid[1] == 0)
        );
        assert!(run.periods.last().unwrap().called);
        // Yield at par without losses is the coupon, up to the IRR bisection and the cents.
        let y = run.notes[0].yield_rate.unwrap();
        assert!((y - 0.04).abs() <= prec::CONVERGED, "{y} {:?}", &run.notes);
        assert!(run.notes[0].wal.unwrap() < run.notes[1].wal.unwrap());
    }

    #[test]
    fn heavy_losses_hit_the_junior_note_first_and_oc_diverts_cash() {
        let mut b = note("B", 15.0e6, 0.08);
        b.oc_trigger = Some(1.05);
        let w = Waterfall::new(
            vec![note("A", 80.0e6, 0.04), b],
            0.005,
            PrincipalRule::ProRata { loss_trigger: 0.05 },
            no_reserve(),
            0.0,
        )
        .unwrap();
        let run = w.run(&pool(100.0e6, 0.07, 0.01, 0.004, 240)).unwrap();
        assert!(run.notes[1].loss > run.notes[0].loss);
        assert!(run.periods.iter().any(|p| !p.oc_pass[1]));
        assert!(run.periods.last().unwrap().sequential);
    }

    #[test]
    fn reserve_pays_interest_when_collections_stop_and_is_released_at_the_end() {
        let w = Waterfall::new(
            vec![note("A", 90.0e6, 0.04)],
            0.0,
            PrincipalRule::Sequential,
            ReserveSpec {
                initial: 1.0e6,
                target_fraction: 0.01,
                floor: 0.5e6,
            },
            0.0,
        )
        .unwrap();
        let mut flows = pool(100.0e6, 0.07, 0.01, 0.0, 24);
        flows.periods[0].interest = 0.0;
        let run = w.run(&flows).unwrap();
        let first = &run.periods[0];
        // 90m * 4% / 12 = 300,000.00 paid entirely from the reserve.
        assert_eq!(first.interest_paid[0], 30_000_000);
        assert_eq!(first.reserve_change, -30_000_000);
        assert_eq!(first.interest_shortfall[0], 0);
        // The reserve is refilled to its target in month 2 and released when the deal ends.
        assert_eq!(
            run.periods[1].reserve_balance,
            cents(0.01 * flows.periods[1].collateral_balance)
        );
        assert_eq!(run.periods.last().unwrap().reserve_balance, 0);
    }

    #[test]
    fn validation_names_the_note() {
        let e = Waterfall::new(
            vec![note("A", -1.0, 0.04)],
            0.0,
            PrincipalRule::Sequential,
            no_reserve(),
            0.0,
        )
        .unwrap_err();
        assert!(e.to_string().contains("tranche A"));
        let e = Waterfall::new(
            vec![note("A", 1.0, 0.04), note("A", 1.0, 0.04)],
            0.0,
            PrincipalRule::Sequential,
            no_reserve(),
            0.0,
        )
        .unwrap_err();
        assert!(e.to_string().contains("duplicate"));
        assert!(Waterfall::new(vec![], 0.0, PrincipalRule::Sequential, no_reserve(), 0.0).is_err());
    }

    fn arb_deal() -> impl Strategy<Value = (Waterfall, f64)> {
        (
            prop::collection::vec(
                (
                    0.05f64..1.0,
                    0.0f64..0.12,
                    prop::option::of(1.0f64..1.5),
                    prop::option::of(1.0f64..2.0),
                ),
                1..6,
            ),
            0.5f64..1.1,
            0.0f64..0.02,
            prop::option::of(0.0f64..0.2),
            (0.0f64..0.05, 0.0f64..0.05, 0.0f64..2.0e5),
            0.0f64..0.2,
        )
            .prop_map(|(notes, leverage, fee, pro_rata, (r0, rt, rf), call)| {
                let total: f64 = notes.iter().map(|n| n.0).sum();
                let collateral = 10.0e6;
                let notes = notes
                    .iter()
                    .enumerate()
                    .map(|(i, &(w, c, oc, ic))| NoteSpec {
                        name: format!("N{i}"),
                        balance: collateral * leverage * w / total,
                        coupon: c,
                        oc_trigger: oc,
                        ic_trigger: ic,
                    })
                    .collect();
                let principal = match pro_rata {
                    Some(t) => PrincipalRule::ProRata { loss_trigger: t },
                    None => PrincipalRule::Sequential,
                };
                let reserve = ReserveSpec {
                    initial: r0 * collateral,
                    target_fraction: rt,
                    floor: rf,
                };
                (
                    Waterfall::new(notes, fee, principal, reserve, call).unwrap(),
                    collateral,
                )
            })
    }

    fn arb_pool(collateral: f64) -> impl Strategy<Value = PoolFlows> {
        prop::collection::vec(
            (0.0f64..0.15, 0.0f64..0.1, 0.0f64..0.05, 0.0f64..1.0),
            1..120,
        )
        .prop_map(move |months| {
            let mut b = collateral;
            let periods = months
                .iter()
                .map(|&(coupon, amort, default, recovery)| {
                    let interest = b * coupon / 12.0;
                    let defaulted = b * default;
                    let principal = b * amort + defaulted * recovery;
                    let losses = defaulted * (1.0 - recovery);
                    b = (b - b * amort - defaulted).max(0.0);
                    PoolPeriod {
                        interest,
                        principal,
                        losses,
                        collateral_balance: b,
                    }
                })
                .collect();
            PoolFlows {
                opening_balance: collateral,
                periods,
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// In every month: cash collected = cash paid + cash retained (reserve), to the
        /// cent; no note is paid more principal than its balance; balances never go
        /// negative or up.
        #[test]
        fn cash_is_conserved_to_the_cent(
            (w, pool) in arb_deal().prop_flat_map(|(w, c)| (Just(w), arb_pool(c)))
        ) {
            let run = w.run(&pool).unwrap();
            let mut bal: Vec<i64> = w.notes().iter().map(|n| cents(n.balance)).collect();
            let mut reserve = cents(w.reserve.initial);
            for p in &run.periods {
                prop_assert_eq!(p.collected, p.paid() + p.reserve_change, "month {}", p.month);
                prop_assert!(p.residual >= 0 && p.fees_paid >= 0);
                prop_assert_eq!(reserve + p.reserve_change, p.reserve_balance);
                prop_assert!(p.reserve_balance >= 0);
                reserve = p.reserve_balance;
                for (i, b) in bal.iter_mut().enumerate() {
                    prop_assert!(p.principal_paid[i] >= 0 && p.interest_paid[i] >= 0);
                    prop_assert!(p.principal_paid[i] <= *b, "note {} overpaid", i);
                    prop_assert_eq!(*b - p.principal_paid[i], p.note_balance[i]);
                    *b = p.note_balance[i];
                }
            }
            for (n, r) in w.notes().iter().zip(&run.notes) {
                prop_assert!(r.unpaid_principal >= 0 && r.unpaid_principal <= cents(n.balance));
                prop_assert!((0.0..=1.0).contains(&r.loss));
            }
        }
    }

    /// `copula_scenarios` of the 100m, 7%, 30-year pool at CPR 6%, lag 12, severity 40%.
    fn scenarios(cdr: f64, copula: &Copula, n: usize, seed: u64) -> Result<Vec<PoolFlows>> {
        let pool = Pool::new(100.0e6, 0.07, 360).unwrap();
        copula_scenarios(
            &pool,
            &Prepayment::Cpr(0.06),
            cdr,
            copula,
            12,
            0.4,
            false,
            n,
            seed,
        )
    }

    fn total_losses(flows: &[PoolFlows]) -> Vec<f64> {
        flows
            .iter()
            .map(|f| f.periods.iter().map(|p| p.losses).sum())
            .collect()
    }

    #[test]
    fn vasicek_scenarios_spread_the_default_rate_and_feed_the_simulation() {
        let gaussian = Copula::gaussian(0.15).unwrap();
        let flows = scenarios(0.03, &gaussian, 200, 3).unwrap();
        assert_eq!(flows.len(), 200);
        let losses = total_losses(&flows);
        let (lo, hi) = losses
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(hi > 3.0 * lo, "{lo} {hi}");
        // Same seed, same scenarios.
        let again = scenarios(0.03, &gaussian, 5, 3).unwrap();
        assert_eq!(again[..], flows[..5]);
        let w = Waterfall::new(
            vec![note("A", 80.0e6, 0.045), note("B", 12.0e6, 0.07)],
            0.005,
            PrincipalRule::Sequential,
            no_reserve(),
            0.1,
        )
        .unwrap();
        let stats = w.simulate(&flows).unwrap();
        assert!(stats[1].expected_loss > stats[0].expected_loss);
        assert!(scenarios(1.5, &Copula::gaussian(0.1).unwrap(), 1, 1).is_err());
        // A multi-factor copula has no meaning for one pool-level default rate.
        let multi = Copula::MultiFactor(creditlab_contagion::copula::MultiFactor::explicit(2));
        let e = scenarios(0.03, &multi, 1, 1).unwrap_err();
        assert!(e.to_string().contains("one-factor"), "{e}");
    }

    /// At the same correlation, the Student-t copula's joint tail puts more scenarios at
    /// extreme default rates: the pool's worst losses are larger and the junior note loses
    /// more often, while the mean default rate stays the deal's CDR.
    #[test]
    fn a_t_copula_fattens_the_waterfall_loss_tail() {
        let rho = 0.15;
        let run = |copula: &Copula| {
            let flows = scenarios(0.03, copula, 2000, 21).unwrap();
            let mut losses = total_losses(&flows);
            losses.sort_by(f64::total_cmp);
            let w = Waterfall::new(
                vec![note("A", 85.0e6, 0.045), note("B", 10.0e6, 0.07)],
                0.005,
                PrincipalRule::Sequential,
                no_reserve(),
                0.0,
            )
            .unwrap();
            let stats = w.simulate(&flows).unwrap();
            (losses[(0.995 * losses.len() as f64) as usize], stats)
        };
        let (g_tail, g) = run(&Copula::gaussian(rho).unwrap());
        let (t_tail, t) = run(&Copula::student_t(rho, 4.0).unwrap());
        assert!(t_tail > 1.1 * g_tail, "t {t_tail} vs gaussian {g_tail}");
        assert!(t[0].expected_loss > g[0].expected_loss, "{t:?} {g:?}");
    }

    #[test]
    fn simulation_summarizes_each_note() {
        let w = Waterfall::new(
            vec![note("A", 85.0e6, 0.04), note("B", 10.0e6, 0.08)],
            0.005,
            PrincipalRule::Sequential,
            no_reserve(),
            0.0,
        )
        .unwrap();
        let scenarios: Vec<PoolFlows> = [0.0, 0.001, 0.003, 0.006]
            .iter()
            .map(|&l| pool(100.0e6, 0.07, 0.015, l, 240))
            .collect();
        let stats = w.simulate(&scenarios).unwrap();
        assert!(stats[1].expected_loss >= stats[0].expected_loss);
        assert!(stats[1].probability_of_loss >= stats[0].probability_of_loss);
        assert!(stats[1].probability_of_loss > 0.0);
        assert!(stats[0].yields.windows(2).all(|w| w[0] <= w[1]));
        assert!(w.simulate(&[]).is_err());
    }
}
