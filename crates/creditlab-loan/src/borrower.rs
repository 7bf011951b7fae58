//! What the lender knows about the borrower: possibly nothing.

use crate::error::{Error, Result, check_range};
use serde::{Deserialize, Serialize};

/// Lowest credit score accepted (FICO-like scale).
pub const MIN_SCORE: u16 = 300;
/// Highest credit score accepted (FICO-like scale).
pub const MAX_SCORE: u16 = 850;

/// A borrower's underwriting information. Every field is optional because a DeFi borrower
/// reveals none of it; missing is `None`, never a default value.
///
/// ```
/// use creditlab_loan::Borrower;
/// let known = Borrower::new(Some(720), Some(90_000.0), Some(27_000.0))?;
/// assert_eq!(known.dti(), Some(0.3));
/// // Nothing revealed is not an average borrower: every fact stays unknown.
/// let anon = Borrower::anonymous();
/// assert!(anon.is_anonymous() && anon.dti().is_none());
/// assert!(Borrower::new(Some(900), None, None).is_err());
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "BorrowerFields")]
pub struct Borrower {
    credit_score: Option<u16>,
    income: Option<f64>,
    debt_service: Option<f64>,
}

/// Unvalidated mirror of [`Borrower`] for deserialization.
#[derive(Deserialize)]
struct BorrowerFields {
    credit_score: Option<u16>,
    income: Option<f64>,
    debt_service: Option<f64>,
}

impl TryFrom<BorrowerFields> for Borrower {
    type Error = Error;
    fn try_from(f: BorrowerFields) -> Result<Self> {
        Self::new(f.credit_score, f.income, f.debt_service)
    }
}

impl Borrower {
    /// A borrower. `credit_score` must lie in 300..=850; `income` (annual) and
    /// `debt_service` (annual payments on all debts, this loan included) must be finite and
    /// non-negative.
    pub fn new(
        credit_score: Option<u16>,
        income: Option<f64>,
        debt_service: Option<f64>,
    ) -> Result<Self> {
        if let Some(s) = credit_score
            && !(MIN_SCORE..=MAX_SCORE).contains(&s)
        {
            return Err(Error::invalid(
                "credit_score",
                format!("{s} is outside {MIN_SCORE}..={MAX_SCORE}"),
            ));
        }
        if let Some(i) = income {
            check_range("income", i, 0.0, f64::MAX)?;
        }
        if let Some(d) = debt_service {
            check_range("debt_service", d, 0.0, f64::MAX)?;
        }
        Ok(Self {
            credit_score,
            income,
            debt_service,
        })
    }

    /// A borrower who reveals nothing (the DeFi case).
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// Credit-history score, if known.
    pub fn credit_score(&self) -> Option<u16> {
        self.credit_score
    }
    /// Annual income, if known.
    pub fn income(&self) -> Option<f64> {
        self.income
    }
    /// Annual debt service (payments on all debts), if known.
    pub fn debt_service(&self) -> Option<f64> {
        self.debt_service
    }

    /// Debt-to-income ratio `debt_service / income`, when both are known and income is
    /// positive.
    pub fn dti(&self) -> Option<f64> {
        match (self.debt_service, self.income) {
            (Some(d), Some(i)) if i > 0.0 => Some(d / i),
            _ => None,
        }
    }

    /// True when nothing at all is known about the borrower.
    pub fn is_anonymous(&self) -> bool {
        self.credit_score.is_none() && self.income.is_none() && self.debt_service.is_none()
    }
}
