//! A loan's contract: amount, rate, term, amortization, channel and recourse.

use crate::error::{Error, Result, check_range};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest accepted term: 50 years of monthly payments.
pub const MAX_TERM_MONTHS: u32 = 600;

/// Identifier of a loan, unique within a [`Book`](crate::Book) or tape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LoanId(pub u64);

impl fmt::Display for LoanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The annual interest rate of a loan, as a decimal (0.08 is 8%).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rate {
    /// A fixed annual rate for the life of the loan.
    Fixed {
        /// Annual rate.
        annual: f64,
    },
    /// A floating rate: the current level of an index plus a contractual spread.
    ///
    /// Projections hold the index flat at its current level (see [docs/methodology/cashflows.md](crate::methodology::cashflows)).
    Floating {
        /// Current level of the index (annual).
        index: f64,
        /// Spread over the index (annual).
        spread: f64,
    },
}

impl Rate {
    /// The current annual rate: the fixed rate, or index + spread.
    pub fn current(&self) -> f64 {
        match *self {
            Self::Fixed { annual } => annual,
            Self::Floating { index, spread } => index + spread,
        }
    }

    /// Checks the rate is finite and the current rate lies in `[0, 1]`.
    fn validate(&self) -> Result<()> {
        match *self {
            Self::Fixed { annual } => {
                check_range("rate", annual, 0.0, 1.0)?;
            }
            Self::Floating { index, spread } => {
                check_range("index_rate", index, -1.0, 1.0)?;
                check_range("spread", spread, -1.0, 1.0)?;
                check_range("rate", index + spread, 0.0, 1.0)?;
            }
        }
        Ok(())
    }
}

/// How the principal is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Amortization {
    /// Level monthly payment (annuity) that repays the loan over its term.
    LevelPayment,
    /// Interest only; the whole principal is due at the end of the term (bullet).
    InterestOnly,
    /// Level payment computed over the term, but the remaining balance falls due after
    /// `balloon_month` months (`1 <= balloon_month < term`).
    Balloon {
        /// Month in which the balloon payment retires the loan.
        balloon_month: u32,
    },
}

/// Where the loan was originated: the two worlds this project compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A bank loan to an identified borrower after underwriting.
    BankUnderwritten,
    /// A DeFi protocol loan to an anonymous address, secured only by posted collateral.
    DefiAnonymous,
}

/// What the lender can claim beyond the collateral after a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recourse {
    /// The borrower remains liable for any shortfall.
    Full,
    /// The lender's claim is limited to the collateral.
    None,
}

/// A loan contract, validated at construction.
///
/// ```
/// use creditlab_loan::{Amortization, Channel, Error, Loan, LoanId, Rate, Recourse};
/// // $200,000 over 30 years at 6%: the standard mortgage-table payment of $1,199.10.
/// let loan = Loan::new(
///     LoanId(1),
///     200_000.0,
///     Rate::Fixed { annual: 0.06 },
///     360,
///     Amortization::LevelPayment,
///     Channel::BankUnderwritten,
///     Recourse::Full,
/// )?;
/// assert_eq!((loan.monthly_payment() * 100.0).round() / 100.0, 1_199.10);
/// // A bad field is an error that names it.
/// let bad = Loan::new(LoanId(2), -1.0, Rate::Fixed { annual: 0.06 }, 360,
///     Amortization::LevelPayment, Channel::BankUnderwritten, Recourse::Full);
/// assert!(matches!(bad, Err(Error::Invalid { field: "principal", .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LoanFields")]
pub struct Loan {
    id: LoanId,
    principal: f64,
    rate: Rate,
    term_months: u32,
    amortization: Amortization,
    channel: Channel,
    recourse: Recourse,
}

/// Unvalidated mirror of [`Loan`], so deserialization goes through [`Loan::new`].
#[derive(Deserialize)]
struct LoanFields {
    id: LoanId,
    principal: f64,
    rate: Rate,
    term_months: u32,
    amortization: Amortization,
    channel: Channel,
    recourse: Recourse,
}

impl TryFrom<LoanFields> for Loan {
    type Error = Error;
    fn try_from(f: LoanFields) -> Result<Self> {
        Self::new(
            f.id,
            f.principal,
            f.rate,
            f.term_months,
            f.amortization,
            f.channel,
            f.recourse,
        )
    }
}

/// The largest principal a loan may have (10^15 currency units, a thousand times the
/// largest bank balance sheet): below it, the sums of a book of up to 10^8 loans and their
/// interest stay far from overflow, so no projection prints `inf`.
pub const MAX_PRINCIPAL: f64 = 1e15;

impl Loan {
    /// A loan; rejects a principal that is not positive and finite or above
    /// [`MAX_PRINCIPAL`], a current rate outside
    /// `[0, 1]`, a term outside `1..=600` months, or a balloon month outside `1..term`.
    pub fn new(
        id: LoanId,
        principal: f64,
        rate: Rate,
        term_months: u32,
        amortization: Amortization,
        channel: Channel,
        recourse: Recourse,
    ) -> Result<Self> {
        if !(principal.is_finite() && principal > 0.0) {
            return Err(Error::invalid(
                "principal",
                format!("{principal} is not a positive finite amount"),
            ));
        }
        if principal > MAX_PRINCIPAL {
            return Err(Error::invalid(
                "principal",
                format!(
                    "{principal:e} is above {MAX_PRINCIPAL:e}: a book's sums and a loan's \
                     interest would overflow to infinity; state amounts in larger units"
                ),
            ));
        }
        rate.validate()?;
        if term_months == 0 || term_months > MAX_TERM_MONTHS {
            return Err(Error::invalid(
                "term_months",
                format!("{term_months} is outside 1..={MAX_TERM_MONTHS}"),
            ));
        }
        if let Amortization::Balloon { balloon_month } = amortization
            && (balloon_month == 0 || balloon_month >= term_months)
        {
            return Err(Error::invalid(
                "balloon_month",
                format!("{balloon_month} is outside 1..{term_months} (the term)"),
            ));
        }
        Ok(Self {
            id,
            principal,
            rate,
            term_months,
            amortization,
            channel,
            recourse,
        })
    }

    /// The loan's identifier.
    pub fn id(&self) -> LoanId {
        self.id
    }
    /// Original principal (currency units).
    pub fn principal(&self) -> f64 {
        self.principal
    }
    /// The rate definition (fixed or floating).
    pub fn rate(&self) -> Rate {
        self.rate
    }
    /// Term in months: the amortization schedule's length.
    pub fn term_months(&self) -> u32 {
        self.term_months
    }
    /// The repayment profile.
    pub fn amortization(&self) -> Amortization {
        self.amortization
    }
    /// The origination channel.
    pub fn channel(&self) -> Channel {
        self.channel
    }
    /// The recourse the lender has beyond the collateral.
    pub fn recourse(&self) -> Recourse {
        self.recourse
    }

    /// Month in which the loan is fully repaid on schedule: the balloon month, or the term.
    pub fn maturity_months(&self) -> u32 {
        match self.amortization {
            Amortization::Balloon { balloon_month } => balloon_month,
            _ => self.term_months,
        }
    }

    /// The scheduled monthly payment (principal and interest) at the current rate: the
    /// annuity payment for level-payment and balloon loans, interest alone for
    /// interest-only loans (before the bullet).
    pub fn monthly_payment(&self) -> f64 {
        let r = self.rate.current() / 12.0;
        match self.amortization {
            Amortization::InterestOnly => self.principal * r,
            _ => level_payment(self.principal, r, self.term_months),
        }
    }
}

/// Level monthly payment of an annuity: `P r / (1 - (1 + r)^-n)`, or `P / n` when `r = 0`.
///
/// `monthly_rate` is the annual rate divided by 12. With `n = 0` the whole principal is due.
pub fn level_payment(principal: f64, monthly_rate: f64, n: u32) -> f64 {
    if n == 0 {
        return principal;
    }
    if monthly_rate <= 0.0 {
        return principal / f64::from(n);
    }
    principal * monthly_rate / (1.0 - (1.0 + monthly_rate).powi(-(n as i32)))
}
