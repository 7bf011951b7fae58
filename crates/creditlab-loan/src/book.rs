//! A book: loans with their borrowers and collateral, one record per loan.

use crate::borrower::Borrower;
use crate::collateral::Collateral;
use crate::error::{Error, Result};
use crate::loan::Loan;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// One loan with what the lender knows about its borrower and collateral, and, when
/// observed, whether it defaulted (for fitting and validating scorecards).
///
/// ```
/// use creditlab_loan::*;
/// let loan = Loan::new(LoanId(7), 6_000.0, Rate::Floating { index: 0.04, spread: 0.02 }, 12,
///     Amortization::InterestOnly, Channel::DefiAnonymous, Recourse::None)?;
/// let eth = Collateral::new(CollateralKind::CryptoAsset, 10_000.0, 0.8, 0.05)?;
/// let record = LoanRecord::new(loan, Borrower::anonymous(), eth);
/// assert_eq!(record.ltv(), Some(0.6));
/// assert_eq!(record.defaulted, None);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoanRecord {
    /// The loan contract.
    pub loan: Loan,
    /// The borrower's underwriting information (possibly all missing).
    pub borrower: Borrower,
    /// The collateral.
    pub collateral: Collateral,
    /// Observed default outcome: `Some(true)` defaulted, `Some(false)` did not, `None`
    /// unknown.
    pub defaulted: Option<bool>,
}

impl LoanRecord {
    /// A record with an unknown default outcome.
    pub fn new(loan: Loan, borrower: Borrower, collateral: Collateral) -> Self {
        Self {
            loan,
            borrower,
            collateral,
            defaulted: None,
        }
    }

    /// Loan-to-value: principal over collateral value; `None` when unsecured.
    pub fn ltv(&self) -> Option<f64> {
        let v = self.collateral.value();
        (v > 0.0).then(|| self.loan.principal() / v)
    }
}

/// A set of loan records with unique ids.
///
/// ```
/// use creditlab_loan::Book;
/// use creditlab_loan::synthetic::{BookSpec, bank_book};
/// let book = bank_book(&BookSpec { loans: 100, total_principal: Some(1.0e7), seed: 1 })?;
/// assert_eq!(book.len(), 100);
/// assert!((book.total_principal() - 1.0e7).abs() < 1e-6);
/// // Ids must be unique: a book of the same records twice is refused.
/// let twice: Vec<_> = book.iter().chain(book.iter()).cloned().collect();
/// assert!(Book::new(twice).is_err());
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "BookFields")]
pub struct Book {
    records: Vec<LoanRecord>,
}

/// Unvalidated mirror of [`Book`], so deserialization checks the ids.
#[derive(Deserialize)]
struct BookFields {
    records: Vec<LoanRecord>,
}

impl TryFrom<BookFields> for Book {
    type Error = Error;
    fn try_from(f: BookFields) -> Result<Self> {
        Self::new(f.records)
    }
}

impl Book {
    /// A book; rejects two records with the same loan id.
    pub fn new(records: Vec<LoanRecord>) -> Result<Self> {
        let mut seen = HashSet::with_capacity(records.len());
        for r in &records {
            if !seen.insert(r.loan.id()) {
                return Err(Error::DuplicateId(r.loan.id().0));
            }
        }
        Ok(Self { records })
    }

    /// Reads a book from any stream of records (e.g. a tape reader), checking ids.
    pub fn from_records<I: IntoIterator<Item = Result<LoanRecord>>>(records: I) -> Result<Self> {
        let records = records.into_iter().collect::<Result<Vec<_>>>()?;
        Self::new(records)
    }

    /// The records, in order.
    pub fn records(&self) -> &[LoanRecord] {
        &self.records
    }
    /// Consumes the book, returning its records.
    pub fn into_records(self) -> Vec<LoanRecord> {
        self.records
    }
    /// Number of loans.
    pub fn len(&self) -> usize {
        self.records.len()
    }
    /// True when the book holds no loan.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
    /// Iterates over the records.
    pub fn iter(&self) -> std::slice::Iter<'_, LoanRecord> {
        self.records.iter()
    }

    /// Sum of the loans' principals.
    pub fn total_principal(&self) -> f64 {
        self.records.iter().map(|r| r.loan.principal()).sum()
    }
    /// Sum of collateral values.
    pub fn total_collateral_value(&self) -> f64 {
        self.records.iter().map(|r| r.collateral.value()).sum()
    }
    /// LTV of each loan, in order (`None` for unsecured loans).
    pub fn ltvs(&self) -> Vec<Option<f64>> {
        self.records.iter().map(LoanRecord::ltv).collect()
    }
    /// Principal-weighted average LTV over the secured loans; `None` if none is secured.
    pub fn weighted_average_ltv(&self) -> Option<f64> {
        let (mut num, mut den) = (0.0, 0.0);
        for r in &self.records {
            if let Some(ltv) = r.ltv() {
                num += ltv * r.loan.principal();
                den += r.loan.principal();
            }
        }
        (den > 0.0).then(|| num / den)
    }
    /// Principal-weighted average current rate; `None` for an empty book.
    pub fn weighted_average_rate(&self) -> Option<f64> {
        let den = self.total_principal();
        (den > 0.0).then(|| {
            self.records
                .iter()
                .map(|r| r.loan.rate().current() * r.loan.principal())
                .sum::<f64>()
                / den
        })
    }
    /// Fraction of loans with an observed default among those whose outcome is known;
    /// `None` when no outcome is known.
    pub fn observed_default_rate(&self) -> Option<f64> {
        let known: Vec<bool> = self.records.iter().filter_map(|r| r.defaulted).collect();
        (!known.is_empty())
            .then(|| known.iter().filter(|d| **d).count() as f64 / known.len() as f64)
    }
}

impl<'a> IntoIterator for &'a Book {
    type Item = &'a LoanRecord;
    type IntoIter = std::slice::Iter<'a, LoanRecord>;
    fn into_iter(self) -> Self::IntoIter {
        self.records.iter()
    }
}
