//! Monthly cash-flow projection with prepayments, defaults, recoveries and servicer
//! advancing, following the BMA (now SIFMA) Uniform Practices, Chapter SF, "Standard
//! formulas for the analysis of mortgage-backed securities and other related securities",
//! section C.3 (SF-18, SF-19). [docs/methodology/cashflows.md](crate::methodology::cashflows) states every formula.

use crate::book::LoanRecord;
use crate::error::{Error, Result, check_range};
use crate::loan::{Amortization, Loan, MAX_TERM_MONTHS, level_payment};
use serde::{Deserialize, Serialize};

/// Converts an annual rate (CPR or CDR) to a monthly one (SMM or MDR):
/// `1 − (1 − annual)^(1/12)`.
pub fn annual_to_monthly(annual: f64) -> f64 {
    1.0 - (1.0 - annual).powf(1.0 / 12.0)
}

/// Converts a monthly rate (SMM or MDR) to an annual one (CPR or CDR):
/// `1 − (1 − monthly)^12`.
pub fn monthly_to_annual(monthly: f64) -> f64 {
    1.0 - (1.0 - monthly).powi(12)
}

/// CPR of the PSA curve at `speed` percent (100 = 100% PSA) in loan month `month` (1-based):
/// `min(speed/100 × 0.2% × min(month, 30), 100%)`.
pub fn psa_cpr(speed: f64, month: u32) -> f64 {
    (speed / 100.0 * 0.002 * f64::from(month.clamp(1, 30))).min(1.0)
}

/// CDR of the Standard Default Assumption at `speed` percent (100 = 100% SDA) in loan month
/// `month` (1-based): 0.02% × month up to month 30, 0.60% to month 60, then falling by
/// 0.0095% a month to 0.03% at month 120, 0.03% after; scaled by `speed/100`, capped at 1.
pub fn sda_cdr(speed: f64, month: u32) -> f64 {
    let m = f64::from(month.max(1));
    let base = match month {
        0..=30 => 0.0002 * m,
        31..=60 => 0.006,
        61..=120 => 0.006 - 0.000_095 * (m - 60.0),
        _ => 0.0003,
    };
    (speed / 100.0 * base).min(1.0)
}

/// Voluntary prepayment assumption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Prepayment {
    /// Constant single monthly mortality (decimal, 0.01 = 1% a month).
    Smm(f64),
    /// Constant conditional prepayment rate (annual, decimal).
    Cpr(f64),
    /// SMM month by month (element 0 is month 1); the last value holds afterwards.
    SmmVector(Vec<f64>),
    /// PSA speed in percent (100 = 100% PSA).
    Psa(f64),
}

impl Prepayment {
    /// The SMM in loan month `month` (1-based).
    pub fn smm(&self, month: u32) -> f64 {
        match self {
            Self::Smm(s) => *s,
            Self::Cpr(c) => annual_to_monthly(*c),
            Self::SmmVector(v) => vector_at(v, month),
            Self::Psa(speed) => annual_to_monthly(psa_cpr(*speed, month)),
        }
    }

    fn validate(&self) -> Result<()> {
        match self {
            Self::Smm(s) => check_range("smm", *s, 0.0, 1.0).map(drop),
            Self::Cpr(c) => check_range("cpr", *c, 0.0, 1.0).map(drop),
            Self::SmmVector(v) => validate_vector("smm_vector", v),
            Self::Psa(p) => check_range("psa", *p, 0.0, 1.0e6).map(drop),
        }
    }
}

/// Default assumption. Whatever the curve, the default rate is zero in the last
/// `recovery_lag` months of a loan, so every default is liquidated by maturity (SF-19 j).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum DefaultRate {
    /// Constant monthly default rate (decimal).
    Mdr(f64),
    /// Constant annual (conditional) default rate (decimal).
    Cdr(f64),
    /// MDR month by month (element 0 is month 1); the last value holds afterwards.
    MdrVector(Vec<f64>),
    /// SDA speed in percent (100 = 100% SDA).
    Sda(f64),
}

impl DefaultRate {
    /// The curve's MDR in loan month `month` (1-based), before the end-of-life cut-off.
    pub fn mdr(&self, month: u32) -> f64 {
        match self {
            Self::Mdr(d) => *d,
            Self::Cdr(c) => annual_to_monthly(*c),
            Self::MdrVector(v) => vector_at(v, month),
            Self::Sda(speed) => annual_to_monthly(sda_cdr(*speed, month)),
        }
    }

    fn validate(&self) -> Result<()> {
        match self {
            Self::Mdr(d) => check_range("mdr", *d, 0.0, 1.0).map(drop),
            Self::Cdr(c) => check_range("cdr", *c, 0.0, 1.0).map(drop),
            Self::MdrVector(v) => validate_vector("mdr_vector", v),
            Self::Sda(s) => check_range("sda", *s, 0.0, 1.0e6).map(drop),
        }
    }
}

fn vector_at(v: &[f64], month: u32) -> f64 {
    let i = (month.max(1) - 1) as usize;
    v.get(i).or(v.last()).copied().unwrap_or(0.0)
}

fn validate_vector(field: &'static str, v: &[f64]) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(field, "the vector is empty"));
    }
    for (i, x) in v.iter().enumerate() {
        check_range(field, *x, 0.0, 1.0).map_err(|_| {
            Error::invalid(field, format!("month {}: {x} is outside [0, 1]", i + 1))
        })?;
    }
    Ok(())
}

/// Everything a projection assumes: prepayment and default curves, months from default
/// to liquidation, loss severity and whether the servicer advances principal and interest
/// on delinquent loans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "AssumptionsFields")]
pub struct Assumptions {
    prepayment: Prepayment,
    default: DefaultRate,
    recovery_lag: u32,
    severity: f64,
    advancing: bool,
    /// SMM of months 1..=600, computed once (projecting a tape reuses it for every loan).
    #[serde(skip)]
    smm_by_month: Vec<f64>,
    /// Curve MDR of months 1..=600, before the end-of-life cut-off.
    #[serde(skip)]
    mdr_by_month: Vec<f64>,
}

/// Unvalidated mirror of [`Assumptions`], so deserialization goes through
/// [`Assumptions::new`].
#[derive(Deserialize)]
struct AssumptionsFields {
    prepayment: Prepayment,
    default: DefaultRate,
    recovery_lag: u32,
    severity: f64,
    advancing: bool,
}

impl TryFrom<AssumptionsFields> for Assumptions {
    type Error = Error;
    fn try_from(f: AssumptionsFields) -> Result<Self> {
        Self::new(
            f.prepayment,
            f.default,
            f.recovery_lag,
            f.severity,
            f.advancing,
        )
    }
}

impl Assumptions {
    /// Validated assumptions: rates (SMM, CPR, MDR, CDR and vector entries) in `[0, 1]`,
    /// PSA/SDA speeds non-negative, `recovery_lag` at most 600 months, `severity` in `[0, 1]`.
    pub fn new(
        prepayment: Prepayment,
        default: DefaultRate,
        recovery_lag: u32,
        severity: f64,
        advancing: bool,
    ) -> Result<Self> {
        prepayment.validate()?;
        default.validate()?;
        if recovery_lag > MAX_TERM_MONTHS {
            return Err(Error::invalid(
                "recovery_lag",
                format!("{recovery_lag} months exceeds {MAX_TERM_MONTHS}"),
            ));
        }
        check_range("severity", severity, 0.0, 1.0)?;
        let months = 1..=MAX_TERM_MONTHS;
        let smm_by_month = months.clone().map(|m| prepayment.smm(m)).collect();
        let mdr_by_month = months.map(|m| default.mdr(m)).collect();
        Ok(Self {
            prepayment,
            default,
            recovery_lag,
            severity,
            advancing,
            smm_by_month,
            mdr_by_month,
        })
    }

    /// No prepayments and no defaults: the scheduled amortization alone.
    pub fn scheduled_only() -> Self {
        let zeros = vec![0.0; MAX_TERM_MONTHS as usize];
        Self {
            prepayment: Prepayment::Smm(0.0),
            default: DefaultRate::Mdr(0.0),
            recovery_lag: 0,
            severity: 0.0,
            advancing: false,
            smm_by_month: zeros.clone(),
            mdr_by_month: zeros,
        }
    }

    /// The prepayment curve.
    pub fn prepayment(&self) -> &Prepayment {
        &self.prepayment
    }
    /// The default curve.
    pub fn default_rate(&self) -> &DefaultRate {
        &self.default
    }
    /// Months from default to liquidation.
    pub fn recovery_lag(&self) -> u32 {
        self.recovery_lag
    }
    /// Loss as a fraction of the balance at default.
    pub fn severity(&self) -> f64 {
        self.severity
    }
    /// Whether the servicer advances principal and interest on defaulted loans.
    pub fn advancing(&self) -> bool {
        self.advancing
    }

    /// The MDR applied in month `month` of a loan maturing after `maturity` months: the
    /// curve's value, or zero in the last `recovery_lag` months.
    pub fn effective_mdr(&self, month: u32, maturity: u32) -> f64 {
        if u64::from(month) + u64::from(self.recovery_lag) > u64::from(maturity) {
            0.0
        } else {
            self.mdr_by_month
                .get(month.max(1) as usize - 1)
                .copied()
                .unwrap_or_else(|| self.default.mdr(month))
        }
    }
}

/// A pool summarised by a representative level-payment loan: balance, annual coupon and
/// term (months from origination).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    balance: f64,
    coupon: f64,
    term_months: u32,
}

impl Pool {
    /// A pool; the balance must be positive and finite, the coupon in `[0, 1]`, the term in
    /// `1..=600` months.
    pub fn new(balance: f64, coupon: f64, term_months: u32) -> Result<Self> {
        if !(balance.is_finite() && balance > 0.0) {
            return Err(Error::invalid(
                "balance",
                format!("{balance} is not a positive finite amount"),
            ));
        }
        check_range("coupon", coupon, 0.0, 1.0)?;
        if term_months == 0 || term_months > MAX_TERM_MONTHS {
            return Err(Error::invalid(
                "term",
                format!("{term_months} is outside 1..={MAX_TERM_MONTHS}"),
            ));
        }
        Ok(Self {
            balance,
            coupon,
            term_months,
        })
    }
    /// Opening balance.
    pub fn balance(&self) -> f64 {
        self.balance
    }
    /// Annual coupon (decimal).
    pub fn coupon(&self) -> f64 {
        self.coupon
    }
    /// Term in months.
    pub fn term_months(&self) -> u32 {
        self.term_months
    }
    /// The level monthly payment of the representative loan.
    pub fn level_payment(&self) -> f64 {
        level_payment(self.balance, self.coupon / 12.0, self.term_months)
    }
}

/// Monthly cash flows; every vector has one entry per month, month 1 first.
///
/// Accounting identities (exact up to floating-point rounding, see the methodology):
/// `Σ scheduled_principal + Σ prepayments + Σ defaults = opening_balance` and
/// `Σ defaults = Σ advanced_principal + Σ recoveries + Σ losses`.
///
/// ```
/// use creditlab_loan::*;
/// let a = Assumptions::new(Prepayment::Psa(150.0), DefaultRate::Sda(100.0), 12, 0.3, false)?;
/// let loan = Loan::new(LoanId(1), 300_000.0, Rate::Fixed { annual: 0.05 }, 360,
///     Amortization::LevelPayment, Channel::BankUnderwritten, Recourse::Full)?;
/// let mut book = CashFlows::new();
/// for _ in 0..3 {
///     book.add(&project_loan(&loan, &a));
/// }
/// let t = book.totals();
/// assert_eq!(book.months(), 360);
/// // Principal is conserved, and every default ends as a recovery or a loss.
/// assert!((t.scheduled_principal + t.prepayments + t.defaults - 900_000.0).abs() < 0.005);
/// assert!((t.defaults - t.recoveries - t.losses).abs() < 0.005);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CashFlows {
    opening_balance: f64,
    balance: Vec<f64>,
    foreclosure_balance: Vec<f64>,
    scheduled_principal: Vec<f64>,
    prepayments: Vec<f64>,
    defaults: Vec<f64>,
    advanced_principal: Vec<f64>,
    recoveries: Vec<f64>,
    losses: Vec<f64>,
    interest: Vec<f64>,
    advanced_interest: Vec<f64>,
    total_cash: Vec<f64>,
}

/// Sums of the monthly vectors of a [`CashFlows`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CashFlowTotals {
    /// Scheduled principal paid by performing loans (BMA "actual amortization").
    pub scheduled_principal: f64,
    /// Voluntary prepayments.
    pub prepayments: f64,
    /// New defaults (performing balance moved to foreclosure).
    pub defaults: f64,
    /// Scheduled principal of defaulted loans advanced by the servicer.
    pub advanced_principal: f64,
    /// Liquidation proceeds.
    pub recoveries: f64,
    /// Principal losses.
    pub losses: f64,
    /// Interest paid by performing loans (BMA "actual interest").
    pub interest: f64,
    /// Interest on defaulted loans advanced by the servicer.
    pub advanced_interest: f64,
    /// Total cash to investors.
    pub total_cash: f64,
}

impl CashFlows {
    /// Empty cash flows (no month, zero balance), ready to accumulate projections into.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of months projected.
    pub fn months(&self) -> usize {
        self.balance.len()
    }
    /// Balance at the start of month 1.
    pub fn opening_balance(&self) -> f64 {
        self.opening_balance
    }
    /// Performing balance at the end of each month.
    pub fn balance(&self) -> &[f64] {
        &self.balance
    }
    /// Balance of defaulted loans not yet liquidated, at the end of each month (BMA "FCL").
    pub fn foreclosure_balance(&self) -> &[f64] {
        &self.foreclosure_balance
    }
    /// Scheduled principal paid by performing loans (BMA "ACT AM").
    pub fn scheduled_principal(&self) -> &[f64] {
        &self.scheduled_principal
    }
    /// Voluntary prepayments (BMA "VOL PREPAY").
    pub fn prepayments(&self) -> &[f64] {
        &self.prepayments
    }
    /// New defaults (BMA "NEW DEF").
    pub fn defaults(&self) -> &[f64] {
        &self.defaults
    }
    /// Scheduled principal of defaulted loans advanced by the servicer (BMA "AM DEF").
    pub fn advanced_principal(&self) -> &[f64] {
        &self.advanced_principal
    }
    /// Principal recoveries on liquidation (BMA "PRIN RECOV").
    pub fn recoveries(&self) -> &[f64] {
        &self.recoveries
    }
    /// Principal losses on liquidation (BMA "PRIN LOSS").
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }
    /// Interest paid by performing loans (BMA "ACT INT").
    pub fn interest(&self) -> &[f64] {
        &self.interest
    }
    /// Interest advanced on defaulted loans (BMA "LOST INT" when advancing, else 0).
    pub fn advanced_interest(&self) -> &[f64] {
        &self.advanced_interest
    }
    /// Cash to investors: scheduled principal + prepayments + advanced principal +
    /// recoveries + interest + advanced interest.
    pub fn total_cash(&self) -> &[f64] {
        &self.total_cash
    }

    /// Sums of every monthly vector.
    pub fn totals(&self) -> CashFlowTotals {
        let s = |v: &[f64]| v.iter().sum::<f64>();
        CashFlowTotals {
            scheduled_principal: s(&self.scheduled_principal),
            prepayments: s(&self.prepayments),
            defaults: s(&self.defaults),
            advanced_principal: s(&self.advanced_principal),
            recoveries: s(&self.recoveries),
            losses: s(&self.losses),
            interest: s(&self.interest),
            advanced_interest: s(&self.advanced_interest),
            total_cash: s(&self.total_cash),
        }
    }

    /// Adds `other` month by month (a shorter projection contributes zeros afterwards).
    pub fn add(&mut self, other: &CashFlows) {
        self.grow(other.months());
        self.opening_balance += other.opening_balance;
        let pairs: [(&mut Vec<f64>, &Vec<f64>); 11] = [
            (&mut self.balance, &other.balance),
            (&mut self.foreclosure_balance, &other.foreclosure_balance),
            (&mut self.scheduled_principal, &other.scheduled_principal),
            (&mut self.prepayments, &other.prepayments),
            (&mut self.defaults, &other.defaults),
            (&mut self.advanced_principal, &other.advanced_principal),
            (&mut self.recoveries, &other.recoveries),
            (&mut self.losses, &other.losses),
            (&mut self.interest, &other.interest),
            (&mut self.advanced_interest, &other.advanced_interest),
            (&mut self.total_cash, &other.total_cash),
        ];
        for (mine, theirs) in pairs {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
    }

    fn grow(&mut self, months: usize) {
        if self.balance.len() >= months {
            return;
        }
        for v in [
            &mut self.balance,
            &mut self.foreclosure_balance,
            &mut self.scheduled_principal,
            &mut self.prepayments,
            &mut self.defaults,
            &mut self.advanced_principal,
            &mut self.recoveries,
            &mut self.losses,
            &mut self.interest,
            &mut self.advanced_interest,
            &mut self.total_cash,
        ] {
            v.resize(months, 0.0);
        }
    }

    /// Projects one loan (balance, monthly rate, scheduled balance factors `sched[0..=M]`
    /// with `sched[M] = 0`) and adds its flows into `self`.
    fn accumulate(&mut self, balance: f64, monthly_rate: f64, sched: &[f64], a: &Assumptions) {
        let maturity = sched.len() - 1;
        let lag = a.recovery_lag as usize;
        self.grow(maturity);
        self.opening_balance += balance;
        let mut new_defaults = vec![0.0; maturity + 1];
        let mut perf = balance;
        let mut fcl = 0.0;
        for i in 1..=maturity {
            let m = i as u32;
            // Fraction of the scheduled balance amortized this month; 1 at maturity.
            let am = if i == maturity {
                1.0
            } else {
                1.0 - sched[i] / sched[i - 1]
            };
            let new_def = perf * a.effective_mdr(m, maturity as u32);
            new_defaults[i] = new_def;
            // Defaults of month i - lag are liquidated now; with advancing they have
            // amortized on schedule for `lag` months (SF-19: ADB).
            let (adb, defaulted) = if i > lag && new_defaults[i - lag] > 0.0 {
                let d = new_defaults[i - lag];
                let factor = if a.advancing {
                    sched[i - 1] / sched[i - 1 - lag]
                } else {
                    1.0
                };
                (d * factor, d)
            } else {
                (0.0, 0.0)
            };
            let am_def = if a.advancing {
                (new_def + fcl - adb) * am
            } else {
                0.0
            };
            let act_am = (perf - new_def) * am;
            let smm = a.smm_by_month[i - 1];
            // SMM applies to the prior performing balance after its scheduled amortization,
            // capped so that amortization + defaults + prepayments <= prior balance.
            let prepay = (perf * (1.0 - am) * smm)
                .min(perf - new_def - act_am)
                .max(0.0);
            let interest = (perf - new_def) * monthly_rate;
            let lost_interest = (new_def + fcl) * monthly_rate;
            let advanced_interest = if a.advancing { lost_interest } else { 0.0 };
            let loss = (defaulted * a.severity).min(adb);
            let recovery = (adb - loss).max(0.0);
            fcl += new_def - adb - am_def;
            let next = if i == maturity {
                0.0
            } else {
                perf - new_def - prepay - act_am
            };
            // At maturity the whole remainder is the final scheduled principal.
            let act_am = if i == maturity {
                perf - new_def - prepay
            } else {
                act_am
            };
            let k = i - 1;
            self.balance[k] += next;
            self.foreclosure_balance[k] += fcl;
            self.scheduled_principal[k] += act_am;
            self.prepayments[k] += prepay;
            self.defaults[k] += new_def;
            self.advanced_principal[k] += am_def;
            self.recoveries[k] += recovery;
            self.losses[k] += loss;
            self.interest[k] += interest;
            self.advanced_interest[k] += advanced_interest;
            self.total_cash[k] +=
                act_am + prepay + am_def + recovery + interest + advanced_interest;
            perf = next;
        }
    }
}

/// Scheduled balance factors `S(0..=M)` (fraction of the original principal outstanding
/// after `k` scheduled payments, `S(M) = 0`) for a repayment profile.
///
/// Level payment: `S(k) = (1 − (1+r)^−(n−k)) / (1 − (1+r)^−n)` (BMA SF-4), or `(n−k)/n` at
/// `r = 0`. Balloon: the same up to the balloon month, then 0. Interest only: 1, then 0.
pub fn scheduled_balance_factors(
    amortization: Amortization,
    monthly_rate: f64,
    term_months: u32,
) -> Vec<f64> {
    let n = term_months as usize;
    let maturity = match amortization {
        Amortization::Balloon { balloon_month } => (balloon_month as usize).min(n),
        _ => n,
    };
    let mut s = vec![0.0; maturity + 1];
    match amortization {
        Amortization::InterestOnly => s[..maturity].fill(1.0),
        _ if monthly_rate <= 0.0 => {
            for (k, x) in s[..maturity].iter_mut().enumerate() {
                *x = (n - k) as f64 / n as f64;
            }
        }
        _ => {
            // q(k) = (1 + r)^−(n−k) for k = maturity−1 down to 0 by repeated multiplication
            // (relative error below n ulps), then S(k) = (1 − q(k)) / (1 − q(0)), so that
            // S(0) = 1 exactly.
            let v = 1.0 / (1.0 + monthly_rate);
            let mut q = v.powi((n - maturity + 1) as i32);
            for x in s[..maturity].iter_mut().rev() {
                *x = q;
                q *= v;
            }
            let denom = 1.0 - s[0];
            for x in &mut s[..maturity] {
                *x = (1.0 - *x) / denom;
            }
        }
    }
    s
}

/// Projects a pool's representative level-payment loan.
pub fn project_pool(pool: &Pool, assumptions: &Assumptions) -> CashFlows {
    let r = pool.coupon / 12.0;
    let sched = scheduled_balance_factors(Amortization::LevelPayment, r, pool.term_months);
    let mut cf = CashFlows::new();
    cf.accumulate(pool.balance, r, &sched, assumptions);
    cf
}

/// Projects one loan from origination at its current rate (a floating index held flat).
pub fn project_loan(loan: &Loan, assumptions: &Assumptions) -> CashFlows {
    let mut cf = CashFlows::new();
    add_loan(&mut cf, loan, assumptions);
    cf
}

/// Adds one loan's projection into `cf` (the streaming building block for tapes).
pub fn add_loan(cf: &mut CashFlows, loan: &Loan, assumptions: &Assumptions) {
    let r = loan.rate().current() / 12.0;
    let sched = scheduled_balance_factors(loan.amortization(), r, loan.term_months());
    cf.accumulate(loan.principal(), r, &sched, assumptions);
}

/// Projects every loan of a stream of records (e.g. a tape reader) and sums the flows,
/// holding one record at a time. Stops at the first error.
pub fn project_records<I>(records: I, assumptions: &Assumptions) -> Result<CashFlows>
where
    I: IntoIterator<Item = Result<LoanRecord>>,
{
    let mut cf = CashFlows::new();
    for r in records {
        add_loan(&mut cf, &r?.loan, assumptions);
    }
    Ok(cf)
}
